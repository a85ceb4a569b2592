// Rate limiters behind the app's RateLimiter port, from rate-limiter-flexible: memory for one
// process, Redis (shared by every server process) when REDIS_URL is set. One limiter per
// (limit, window) pair; a window is fixed and starts at a key's first point.
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimiter } from '../app/ports';
import { limits } from '../domain/limits';

/** rate-limiter-flexible counts windows in whole seconds. */
const windowSeconds = (window_ms: number) => Math.max(1, Math.ceil(window_ms / 1000));
/** Keys of the per-minute limiters kept their original prefix; other windows name theirs. */
const prefixOf = (base: string, limit: number, window_ms: number) => (window_ms === limits.rate_limit_window_ms_default ? `${base}${limit}` : `${base}${limit}:${windowSeconds(window_ms)}s`);

class FlexibleLimiter implements RateLimiter {
  private readonly limiters = new Map<string, RateLimiterAbstract>();
  constructor(private readonly make: (limit: number, window_ms: number) => RateLimiterAbstract, private readonly onClose?: () => Promise<void>) {}

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
}

export function memoryRateLimiter(): RateLimiter {
  return new FlexibleLimiter((limit, window_ms) => new RateLimiterMemory({ points: limit, duration: windowSeconds(window_ms), keyPrefix: prefixOf('tb', limit, window_ms) }));
}

export const redis_connect_ms_max = 5000;

export async function redisRateLimiter(url: string): Promise<RateLimiter> {
  const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true, connectTimeout: redis_connect_ms_max });
  client.on('error', () => {
    // Reported per request by the limiter; the client reconnects on its own.
  });
  await client.connect();
  return new FlexibleLimiter(
    (limit, window_ms) => new RateLimiterRedis({ storeClient: client, points: limit, duration: windowSeconds(window_ms), keyPrefix: prefixOf('tb:rl:', limit, window_ms) }),
    async () => {
      client.disconnect();
    },
  );
}

/** For tests and benchmarks that measure the ledger alone. */
export const unlimitedRateLimiter: RateLimiter = { consume: async () => ({ ok: true }), refund: async () => undefined, reset: async () => undefined };
