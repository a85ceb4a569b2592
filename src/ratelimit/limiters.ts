// Rate limiters behind the app's RateLimiter port, from rate-limiter-flexible: memory for one
// process, Redis (shared by every server process) when REDIS_URL is set. One limiter per
// (limit, window) pair; a window is fixed and starts at a key's first point.
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateBudget, RateLimiter, RateTake } from '../app/ports';
import { limits } from '../domain/limits';

/** rate-limiter-flexible counts windows in whole seconds. */
const windowSeconds = (window_ms: number) => Math.max(1, Math.ceil(window_ms / 1000));
/** Keys of the per-minute limiters kept their original prefix; other windows name theirs. */
const prefixOf = (base: string, limit: number, window_ms: number) =>
  window_ms === limits.rate_limit_window_ms_default ? `${base}${limit}` : `${base}${limit}:${windowSeconds(window_ms)}s`;

class FlexibleLimiter implements RateLimiter {
  private readonly limiters = new Map<string, RateLimiterAbstract>();
  constructor(
    private readonly make: (limit: number, window_ms: number) => RateLimiterAbstract,
    private readonly onClose?: () => Promise<void>,
  ) {}

  private limiter(limit: number, window_ms: number) {
    const id = `${limit}/${window_ms}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = this.make(limit, window_ms);
      this.limiters.set(id, limiter);
    }
    return limiter;
  }

  async consume(key: string, points: number, limit: number, window_ms: number = limits.rate_limit_window_ms_default) {
    if (points > limit) return { ok: false as const, retry_after_ms: windowSeconds(window_ms) * 1000 };
    try {
      await this.limiter(limit, window_ms).consume(key, points);
      return { ok: true as const };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return { ok: false as const, retry_after_ms: Math.max(1, rejection.msBeforeNext) };
      throw rejection;
    }
  }

  async refund(key: string, points: number, limit: number, window_ms: number = limits.rate_limit_window_ms_default) {
    const limiter = this.limiter(limit, window_ms);
    const current = await limiter.get(key);
    if (!current || current.consumedPoints <= 0) return;
    await limiter.reward(key, Math.min(points, current.consumedPoints));
  }

  async reset(key: string, limit: number, window_ms: number = limits.rate_limit_window_ms_default) {
    await this.limiter(limit, window_ms).delete(key);
  }

  async close() {
    await this.onClose?.();
  }

  take?: (budgets: RateBudget[], window_ms?: number) => Promise<RateTake>;
  hold?: (hold_id: string, key: string, points: number, window_start_ms: number, window_ms?: number) => Promise<void>;
  giveHeld?: (hold_id: string, used_points: number) => Promise<void>;
  peek?: (budgets: RateBudget[], window_ms?: number) => Promise<{ remaining: number[]; reset_ms: number }>;
}

/** The fixed window `now_ms` is in, aligned to the clock, so every process counts in the same one. */
const windowStart = (now_ms: number, window_ms: number) => Math.floor(now_ms / window_ms) * window_ms;

/** All-or-nothing takes in one process: JavaScript runs one take at a time, which makes it atomic. */
function memoryBudgets() {
  const used = new Map<string, { window_start_ms: number; points: number }>();
  const held = new Map<string, { key: string; points: number; window_start_ms: number }>();
  const current = (key: string, start: number) => {
    const entry = used.get(key);
    return entry && entry.window_start_ms === start ? entry.points : 0;
  };
  return {
    async take(budgets: RateBudget[], window_ms = limits.rate_limit_window_ms_default): Promise<RateTake> {
      const start = windowStart(Date.now(), window_ms);
      const before = budgets.map((b) => current(b.key, start));
      const spent_index = budgets.findIndex((b, i) => before[i]! + b.points > b.limit);
      const reset_ms = start + window_ms;
      if (spent_index >= 0) return { ok: false, window_start_ms: start, reset_ms, spent_index, remaining: budgets.map((b, i) => b.limit - before[i]!) };
      budgets.forEach((b, i) => used.set(b.key, { window_start_ms: start, points: before[i]! + b.points }));
      if (used.size > limits.rate_budget_keys_max) for (const [k, v] of used) if (v.window_start_ms !== start) used.delete(k);
      return { ok: true, window_start_ms: start, reset_ms, remaining: budgets.map((b, i) => b.limit - before[i]! - b.points) };
    },
    async hold(hold_id: string, key: string, points: number, window_start_ms: number) {
      held.set(hold_id, { key, points, window_start_ms });
      if (held.size > limits.rate_holds_remembered_max) held.delete(held.keys().next().value!);
    },
    async giveHeld(hold_id: string, used_points: number) {
      const hold = held.get(hold_id);
      if (!hold) return;
      held.delete(hold_id);
      const entry = used.get(hold.key);
      const unused = hold.points - used_points;
      if (unused > 0 && entry && entry.window_start_ms === hold.window_start_ms) entry.points = Math.max(0, entry.points - unused);
    },
    async peek(budgets: RateBudget[], window_ms = limits.rate_limit_window_ms_default) {
      const start = windowStart(Date.now(), window_ms);
      return { remaining: budgets.map((b) => b.limit - current(b.key, start)), reset_ms: start + window_ms };
    },
  };
}

// KEYS: one per budget (its window in the name); ARGV: window_ms, then points and limit per budget.
// Checks every budget, then takes all of them, inside one script: Redis runs it atomically, so two
// processes can never both take the last points of a budget.
const TAKE_SCRIPT = `
local window = tonumber(ARGV[1])
local used = {}
for i = 1, #KEYS do
  used[i] = tonumber(redis.call('GET', KEYS[i]) or '0')
  if used[i] + tonumber(ARGV[2 * i]) > tonumber(ARGV[2 * i + 1]) then
    local out = {0, i}
    for j = 1, #KEYS do out[j + 2] = tonumber(redis.call('GET', KEYS[j]) or '0') end
    return out
  end
end
local out = {1, 0}
for i = 1, #KEYS do
  local v = redis.call('INCRBY', KEYS[i], ARGV[2 * i])
  if v == tonumber(ARGV[2 * i]) then redis.call('PEXPIRE', KEYS[i], window) end
  out[i + 2] = v
end
return out`;
// KEYS[1]: a hold's record ("<budget key>\n<points taken>"), KEYS[2]: that budget. ARGV[1]: the
// points the hold used. Takes the record (so a hold gives back once, whichever process settles it,
// however often) and gives back the rest, never below zero.
const GIVE_HELD_SCRIPT = `
local record = redis.call('GET', KEYS[1])
if not record then return 0 end
redis.call('DEL', KEYS[1])
local taken = tonumber(string.match(record, '\\n(%d+)$'))
local v = tonumber(redis.call('GET', KEYS[2]) or '0')
local d = math.min(v, taken - tonumber(ARGV[1]))
if d > 0 then redis.call('DECRBY', KEYS[2], d) end
return d`;

function redisBudgets(client: Redis) {
  const keyOf = (key: string, start: number) => `tb:rl:budget:${key}:${start}`;
  const holdOf = (hold_id: string) => `tb:rl:held:${hold_id}`;
  return {
    async take(budgets: RateBudget[], window_ms = limits.rate_limit_window_ms_default): Promise<RateTake> {
      const start = windowStart(Date.now(), window_ms);
      const args = [String(window_ms), ...budgets.flatMap((b) => [String(b.points), String(b.limit)])];
      const out = (await client.eval(TAKE_SCRIPT, budgets.length, ...budgets.map((b) => keyOf(b.key, start)), ...args)) as number[];
      const used = out.slice(2);
      const reset_ms = start + window_ms;
      const remaining = budgets.map((b, i) => b.limit - used[i]!);
      return out[0] === 1
        ? { ok: true, window_start_ms: start, reset_ms, remaining }
        : { ok: false, window_start_ms: start, reset_ms, spent_index: out[1]! - 1, remaining };
    },
    // The hold's record names its budget in the key's name, so giving back needs one read of it;
    // both keys are named to the script (KEYS), as Redis asks of scripts.
    async hold(hold_id: string, key: string, points: number, window_start_ms: number, window_ms = limits.rate_limit_window_ms_default) {
      const ttl_ms = Math.max(1, window_start_ms + window_ms - Date.now());
      await client.set(holdOf(hold_id), `${keyOf(key, window_start_ms)}\n${points}`, 'PX', ttl_ms);
    },
    async giveHeld(hold_id: string, used_points: number) {
      const record = await client.get(holdOf(hold_id));
      if (!record) return;
      const budget_key = record.slice(0, record.lastIndexOf('\n'));
      await client.eval(GIVE_HELD_SCRIPT, 2, holdOf(hold_id), budget_key, String(used_points));
    },
    async peek(budgets: RateBudget[], window_ms = limits.rate_limit_window_ms_default) {
      const start = windowStart(Date.now(), window_ms);
      const used = await client.mget(...budgets.map((b) => keyOf(b.key, start)));
      return { remaining: budgets.map((b, i) => b.limit - Number(used[i] ?? 0)), reset_ms: start + window_ms };
    },
  };
}

export function memoryRateLimiter(): RateLimiter {
  const limiter = new FlexibleLimiter(
    (limit, window_ms) => new RateLimiterMemory({ points: limit, duration: windowSeconds(window_ms), keyPrefix: prefixOf('tb', limit, window_ms) }),
  );
  return Object.assign(limiter, memoryBudgets());
}

/** Redis did not answer within redis_connect_wait_ms_max: the server cannot share its limits, so it does not start. */
export class RedisUnreachable extends Error {
  override name = 'RedisUnreachable';
}

/**
 * Connects, retrying (ioredis's own schedule) for up to redis_connect_wait_ms_max: a Redis that
 * starts a moment after the server, or a machine too busy to connect within one attempt's
 * redis_connect_attempt_ms_max, is waited for; one that never answers is a one-line error.
 */
async function connected(client: Redis, url: string): Promise<void> {
  let last = '';
  const failed = (error: Error) => (last = error.message);
  client.on('error', failed);
  client.connect().catch(failed);
  try {
    await new Promise<void>((resolve, reject) => {
      if (client.status === 'ready') return resolve();
      const timer = setTimeout(
        () =>
          reject(
            new RedisUnreachable(
              `Redis at ${redactedUrl(url)} did not answer within ${limits.redis_connect_wait_ms_max / 1000} s (${last || 'no answer'}): start it, or unset REDIS_URL to keep rate limits in this process`,
            ),
          ),
        limits.redis_connect_wait_ms_max,
      );
      client.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  } catch (error) {
    client.disconnect();
    throw error;
  } finally {
    client.off('error', failed);
  }
}

/** The URL without its password, for messages. */
function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'REDIS_URL';
  }
}

export async function redisRateLimiter(url: string): Promise<RateLimiter> {
  const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true, connectTimeout: limits.redis_connect_attempt_ms_max });
  client.on('error', () => {
    // Reported per request by the limiter; the client reconnects on its own.
  });
  await connected(client, url);
  const limiter = new FlexibleLimiter(
    (limit, window_ms) =>
      new RateLimiterRedis({ storeClient: client, points: limit, duration: windowSeconds(window_ms), keyPrefix: prefixOf('tb:rl:', limit, window_ms) }),
    async () => {
      client.disconnect();
    },
  );
  return Object.assign(limiter, redisBudgets(client));
}
