// Sign-in is throttled (issue 8, item 9): wrong passwords are counted per email and per client
// address; at the bound the answer is 429 with Retry-After before the password is checked, so
// the right password is refused too. With Redis the count is shared by every server process.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { limits } from '../../src/domain/limits';
import { redisRateLimiter } from '../../src/ratelimit/limiters';
import type { RateLimiter } from '../../src/app/ports';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { apiHarness, assertError, email, PASSWORD, type Api } from '../fixtures/http';

const WRONG = 'not the password at all';
let address_seq = 0;
/** A client address of its own per case (and per run: Redis outlives the process). */
const address = () => `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${(++address_seq % 250) + 1}`;

after(closeAll);

const signIn = (api: Api, user_email: string, password: string, remote_address: string) => api.call('POST', '/v1/sessions', { body: { email: user_email, password }, remote_address });

function assertThrottled(r: Awaited<ReturnType<typeof signIn>>) {
  const e = assertError(r, 429, 'rate_limited');
  const retry_after = Number(r.headers['retry-after']);
  assert.ok(Number.isInteger(retry_after) && retry_after > 0 && retry_after <= limits.sign_in_failure_window_ms / 1000, `Retry-After ${r.headers['retry-after']}`);
  assert.equal(e.retry_after_s, retry_after);
  // The figures behind the refusal: the bound that was reached and its window.
  assert.ok([limits.sign_in_failures_per_email_max, limits.sign_in_failures_per_address_max].includes(e.failures_max), JSON.stringify(e));
  assert.equal(e.window_s, limits.sign_in_failure_window_ms / 1000);
}

for (const engine of databaseEngines()) {
  describe(`sign-in throttling (${engine.name})`, { skip: engine.skip }, () => {
    it(`${limits.sign_in_failures_per_email_max} wrong passwords for one email, then the right one is refused with 429 and Retry-After`, async () => {
      const api = await apiHarness(await engine.open());
      try {
        const a = await api.account();
        const from = address();
        for (let i = 0; i < limits.sign_in_failures_per_email_max; i++) assertError(await signIn(api, a.owner.email, WRONG, from), 401, 'unauthenticated');
        assertThrottled(await signIn(api, a.owner.email, PASSWORD, from));
        // The email's bound holds from any address.
        assertThrottled(await signIn(api, a.owner.email, PASSWORD, address()));
      } finally {
        await api.close();
        if (engine.name === 'pglite') await api.db.close();
      }
    });

    it('a successful sign-in starts the email count over', async () => {
      const api = await apiHarness(await engine.open());
      try {
        const a = await api.account();
        const from = address();
        for (let round = 0; round < 2; round++) {
          for (let i = 0; i < limits.sign_in_failures_per_email_max - 1; i++) assertError(await signIn(api, a.owner.email, WRONG, from), 401, 'unauthenticated');
          assert.equal((await signIn(api, a.owner.email, PASSWORD, from)).status, 201);
        }
      } finally {
        await api.close();
        if (engine.name === 'pglite') await api.db.close();
      }
    });

    it(`different emails from one address are limited by the address bound (${limits.sign_in_failures_per_address_max})`, async () => {
      const api = await apiHarness(await engine.open());
      try {
        const a = await api.account();
        const from = address();
        for (let i = 0; i < limits.sign_in_failures_per_address_max; i++) {
          const who = i % 2 === 0 ? email('nobody') : a.owner.email.replace('@', `+${i}@`);
          assertError(await signIn(api, who, WRONG, from), 401, 'unauthenticated');
        }
        assertThrottled(await signIn(api, email('fresh'), WRONG, from));
        assertThrottled(await signIn(api, a.owner.email, PASSWORD, from));
        assert.equal((await signIn(api, a.owner.email, PASSWORD, address())).status, 201, 'another address is not limited');
      } finally {
        await api.close();
        if (engine.name === 'pglite') await api.db.close();
      }
    });

    const redis_url = process.env.TEST_REDIS_URL;
    it('two Tokenbank instances sharing Redis share the count', { skip: redis_url ? false : 'TEST_REDIS_URL not set' }, async () => {
      const db = await engine.open();
      const limiters: RateLimiter[] = [await redisRateLimiter(redis_url!), await redisRateLimiter(redis_url!)];
      const [one, two] = [await apiHarness(db, { sign_in_limiter: limiters[0]! }), await apiHarness(db, { sign_in_limiter: limiters[1]! })];
      try {
        const a = await one!.account();
        const from = address();
        for (let i = 0; i < limits.sign_in_failures_per_email_max; i++) assertError(await signIn(i % 2 === 0 ? one! : two!, a.owner.email, WRONG, from), 401, 'unauthenticated');
        assertThrottled(await signIn(one!, a.owner.email, PASSWORD, from));
        assertThrottled(await signIn(two!, a.owner.email, PASSWORD, from));
      } finally {
        await one!.close();
        await two!.close();
        for (const l of limiters) await l.close?.();
        if (engine.name === 'pglite') await db.close();
      }
    });
  });
}
