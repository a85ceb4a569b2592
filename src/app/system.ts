// The real clock and id source, for production wiring. Tests inject their own.
import { randomFillSync } from 'node:crypto';
import type { Clock, Ids } from './ports';

export const systemClock: Clock = { now_ms: () => Date.now() };

// Random bytes are drawn 4 KiB at a time and handed out 10 per id: one call into the CSPRNG per
// ~400 ids instead of one per id (a metering batch makes two or three ids per operation, and a
// call per id was ~5% of the metering path's CPU). Every byte is used once.
const random_pool_bytes = 4096;
const id_random_bytes = 10;
const pool = Buffer.alloc(random_pool_bytes);
let pool_offset = random_pool_bytes;

/** Time-ordered, unguessable ids: `<prefix>_<ms base36><80 random bits, hex>`. */
export const randomIds: Ids = {
  next(prefix: string) {
    if (pool_offset + id_random_bytes > random_pool_bytes) {
      randomFillSync(pool);
      pool_offset = 0;
    }
    const random = pool.toString('hex', pool_offset, pool_offset + id_random_bytes);
    pool_offset += id_random_bytes;
    return `${prefix}_${Date.now().toString(36)}${random}`;
  },
};
