// Bounded background loops: hold expiry, grant expiry, pending purchases (auto-reload charges
// and purchases a crash left half-done), pending refunds, lapse notices. Each tick does at most one batch and never overlaps
// itself; an error is logged and the next tick tries again.
import type { Tokenbank } from '../app/tokenbank';
import { limits } from '../domain/limits';

export const job_intervals_ms = {
  expire_holds: limits.job_expire_holds_interval_ms,
  expire_grants: limits.job_expire_grants_interval_ms,
  pending_purchases: limits.job_pending_purchases_interval_ms,
  pending_refunds: limits.job_pending_refunds_interval_ms,
  lapse_notices: limits.job_lapse_notices_interval_ms,
} as const;

/** A purchase younger than this is still being completed by its own request. */
export const pending_purchase_grace_ms = limits.pending_purchase_grace_ms;

export interface Logger {
  error(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export function startJobs(tb: Tokenbank, log: Logger): () => Promise<void> {
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<unknown>>();
  const every = (name: string, interval_ms: number, tick: () => Promise<number>) => {
    let busy = false;
    timers.push(
      setInterval(() => {
        if (busy) return;
        busy = true;
        const run = tick()
          .then((n) => {
            if (n > 0) log.info({ job: name, count: n }, `${name}: ${n}`);
          })
          .catch((error) => log.error({ job: name, err: error }, `${name} failed`))
          .finally(() => {
            busy = false;
            running.delete(run);
          });
        running.add(run);
      }, interval_ms).unref(),
    );
  };
  every('expire_holds', job_intervals_ms.expire_holds, () => tb.expireHolds());
  every('expire_grants', job_intervals_ms.expire_grants, () => tb.expireGrants());
  every('pending_purchases', job_intervals_ms.pending_purchases, () => tb.processPendingPurchases({ grace_ms: pending_purchase_grace_ms }));
  every('pending_refunds', job_intervals_ms.pending_refunds, () => tb.processPendingRefunds({ grace_ms: limits.pending_refund_grace_ms }));
  every('lapse_notices', job_intervals_ms.lapse_notices, () => tb.sendLapseNotices());
  every('webhooks', limits.job_webhooks_interval_ms, () => tb.deliverWebhooks());
  return async () => {
    for (const t of timers) clearInterval(t);
    await Promise.allSettled([...running]);
  };
}
