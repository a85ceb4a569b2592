// The real clock and id source, for production wiring. Tests inject their own.
import { randomBytes } from 'node:crypto';
import type { Clock, Ids } from './ports';

export const systemClock: Clock = { now_ms: () => Date.now() };

/** Time-ordered, unguessable ids: `<prefix>_<ms base36><random base32>`. */
export const randomIds: Ids = {
  next(prefix: string) {
    return `${prefix}_${Date.now().toString(36)}${randomBytes(10).toString('hex')}`;
  },
};
