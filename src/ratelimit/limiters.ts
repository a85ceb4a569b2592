// Rate limiters behind the app's RateLimiter port, from rate-limiter-flexible: memory for one
// process, Redis (shared by every server process) when REDIS_URL is set.
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimiter } from '../app/ports';

const window_s = 60;

class FlexibleLimiter implements RateLimiter {
  private readonly limiters = new Map<number, RateLimiterAbstract>();
  constructor(private readonly make: (points: number) => RateLimiterAbstract, private readonly onClose?: () => Promise<void>) {}

  async consume(key: string, points: number, limit_per_minute: number) {
    if (points > limit_per_minute) return { ok: false as const, retry_after_ms: window_s * 1000 };
    let limiter = this.limiters.get(limit_per_minute);
    if (!limiter) {
      limiter = this.make(limit_per_minute);
      this.limiters.set(limit_per_minute, limiter);
    }
    try {
      await limiter.consume(key, points);
      return { ok: true as const };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return { ok: false as const, retry_after_ms: Math.max(1, rejection.msBeforeNext) };
      throw rejection;
    }
  }

  async close() {
    await this.onClose?.();
  }
}

export function memoryRateLimiter(): RateLimiter {
  return new FlexibleLimiter((points) => new RateLimiterMemory({ points, duration: window_s, keyPrefix: `tb${points}` }));
}

export const redis_connect_ms_max = 5000;

export async function redisRateLimiter(url: string): Promise<RateLimiter> {
  const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true, connectTimeout: redis_connect_ms_max });
  client.on('error', () => {
    // Reported per request by the limiter; the client reconnects on its own.
  });
  await client.connect();
  return new FlexibleLimiter(
    (points) => new RateLimiterRedis({ storeClient: client, points, duration: window_s, keyPrefix: `tb:rl:${points}` }),
    async () => {
      client.disconnect();
    },
  );
}

/** For tests and benchmarks that measure the ledger alone. */
export const unlimitedRateLimiter: RateLimiter = { consume: async () => ({ ok: true }) };
