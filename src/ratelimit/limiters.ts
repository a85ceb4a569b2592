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
  give?: (key: string, points: number, window_start_ms: number, window_ms?: number) => Promise<void>;
}

/** The fixed window `now_ms` is in, aligned to the clock, so every process counts in the same one. */
const windowStart = (now_ms: number, window_ms: number) => Math.floor(now_ms / window_ms) * window_ms;

/** All-or-nothing takes in one process: JavaScript runs one take at a time, which makes it atomic. */
function memoryBudgets() {
  const used = new Map<string, { window_start_ms: number; points: number }>();
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
    async give(key: string, points: number, window_start_ms: number) {
      const entry = used.get(key);
      if (entry && entry.window_start_ms === window_start_ms) entry.points = Math.max(0, entry.points - points);
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
const GIVE_SCRIPT = `
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
local d = math.min(v, tonumber(ARGV[1]))
if d > 0 then redis.call('DECRBY', KEYS[1], d) end
return d`;

function redisBudgets(client: Redis) {
  const keyOf = (key: string, start: number) => `tb:rl:budget:${key}:${start}`;
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
    async give(key: string, points: number, window_start_ms: number) {
      await client.eval(GIVE_SCRIPT, 1, keyOf(key, window_start_ms), String(points));
    },
  };
}

export function memoryRateLimiter(): RateLimiter {
  const limiter = new FlexibleLimiter(
    (limit, window_ms) => new RateLimiterMemory({ points: limit, duration: windowSeconds(window_ms), keyPrefix: prefixOf('tb', limit, window_ms) }),
  );
  return Object.assign(limiter, memoryBudgets());
}

export const redis_connect_ms_max = 5000;

export async function redisRateLimiter(url: string): Promise<RateLimiter> {
  const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true, connectTimeout: redis_connect_ms_max });
  client.on('error', () => {
    // Reported per request by the limiter; the client reconnects on its own.
  });
  await client.connect();
  const limiter = new FlexibleLimiter(
    (limit, window_ms) =>
      new RateLimiterRedis({ storeClient: client, points: limit, duration: windowSeconds(window_ms), keyPrefix: prefixOf('tb:rl:', limit, window_ms) }),
    async () => {
      client.disconnect();
    },
  );
  return Object.assign(limiter, redisBudgets(client));
}

/** For tests and benchmarks that measure the ledger alone. */
export const unlimitedRateLimiter: RateLimiter = { consume: async () => ({ ok: true }), refund: async () => undefined, reset: async () => undefined };
