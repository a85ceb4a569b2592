// The rate limiter's held reservations (issue 12, part 4): an authorization takes its
// max_output_tokens; whichever process settles it gives the unused part back, once, to the window
// it was taken from. In memory for one process; through Redis, shared by every process.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { memoryRateLimiter, redisRateLimiter } from '../../src/ratelimit/limiters';
import type { RateLimiter } from '../../src/app/ports';

const redis_url = process.env.TEST_REDIS_URL;
const opened: RateLimiter[] = [];
after(async () => {
  for (const l of opened) await l.close?.();
});

/** Two limiters that should share their counts: one memory limiter twice, or two Redis clients. */
async function pair(kind: 'memory' | 'redis'): Promise<[RateLimiter, RateLimiter]> {
  if (kind === 'memory') {
    const one = memoryRateLimiter();
    return [one, one];
  }
  const two = [await redisRateLimiter(redis_url!), await redisRateLimiter(redis_url!)] as [RateLimiter, RateLimiter];
  opened.push(...two);
  return two;
}

/** Each case runs inside one fixed minute: it waits out the last two seconds of a minute. */
async function awayFromMinuteEnd() {
  const left_ms = 60_000 - (Date.now() % 60_000);
  if (left_ms < 2000) await new Promise((r) => setTimeout(r, left_ms + 50));
}

for (const kind of ['memory', 'redis'] as const) {
  describe(`held rate reservations (${kind})`, { skip: kind === 'redis' && !redis_url ? 'TEST_REDIS_URL not set' : false }, () => {
    const budget = (key: string, points: number) => [{ key, points, limit: 2000 }];

    it('the unused part of a hold goes back, once, whichever limiter settles it', async () => {
      await awayFromMinuteEnd();
      const [a, b] = await pair(kind);
      const key = `test:otpm:${randomUUID()}`;
      const taken = await a.take!(budget(key, 1500));
      assert.ok(taken.ok);
      const hold_id = `auth_${randomUUID()}`;
      await a.hold!(hold_id, key, 1500, taken.window_start_ms);
      assert.equal((await b.take!(budget(key, 600))).ok, false, '1500 + 600 > 2000');
      await b.giveHeld!(hold_id, 100); // used 100 of 1500: 1400 back
      assert.deepEqual((await b.peek!(budget(key, 0))).remaining, [1900]);
      await a.giveHeld!(hold_id, 100); // a replayed settle, on the other process: nothing more
      await b.giveHeld!(hold_id, 0);
      assert.deepEqual((await a.peek!(budget(key, 0))).remaining, [1900]);
      const second = await a.take!(budget(key, 1900));
      assert.deepEqual([second.ok, second.remaining], [true, [0]]);
    });

    it('a hold that used all it reserved (or more) gives nothing back, and a count never goes below zero', async () => {
      await awayFromMinuteEnd();
      const [a, b] = await pair(kind);
      const key = `test:otpm:${randomUUID()}`;
      const taken = await a.take!(budget(key, 500));
      await a.hold!('h-all', key, 500, taken.window_start_ms);
      await b.giveHeld!('h-all', 700);
      assert.deepEqual((await a.peek!(budget(key, 0))).remaining, [1500]);
      const other = `test:otpm:${randomUUID()}`;
      await a.hold!('h-none', other, 500, taken.window_start_ms); // remembered, but its budget holds nothing
      await b.giveHeld!('h-none', 0);
      assert.deepEqual((await a.peek!(budget(other, 0))).remaining, [2000]);
    });

    it('an unknown hold gives nothing; peek takes nothing and names the reset', async () => {
      await awayFromMinuteEnd();
      const [a] = await pair(kind);
      const key = `test:otpm:${randomUUID()}`;
      await a.take!(budget(key, 10));
      await a.giveHeld!(`never-${randomUUID()}`, 0);
      const now = await a.peek!(budget(key, 5));
      const again = await a.peek!(budget(key, 5));
      assert.deepEqual(now.remaining, [1990]);
      assert.deepEqual(again.remaining, [1990]);
      assert.equal(now.reset_ms % 60_000, 0);
      assert.ok(now.reset_ms > Date.now() - 1000);
    });
  });
}
