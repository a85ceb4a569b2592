// Plan lapse (SPEC §1.5): owners are told `notice_days` before a cancelled plan ends
// (`plan.lapsing`) and when it ends (`plan.lapsed`). Each notice goes out once per account and
// cycle: it is keyed by the instant the plan lapses, so cancelling, resuming and cancelling again
// in one cycle tells once. The balance is kept, frozen while no active paid plan lets it be used,
// shown and refundable. This is the one definition: the cancellation and the job both ask it.
import { formatUsd } from './money';
import { balanceMicros, type AccountState, type WalletState } from './wallet';

export type LapseNotice = 'plan.lapsing' | 'plan.lapsed';

/** The notice due for `account` at `now_ms`, or null; `sent` are the notices already sent for its lapse instant. */
export function dueLapseNotice(account: AccountState, now_ms: number, notice_ms: number, sent: ReadonlySet<LapseNotice>): LapseNotice | null {
  if (account.cancel_at_ms === null) return null;
  // Once lapsed, a warning that it will lapse is too late: only the lapse itself is told.
  if (now_ms >= account.cancel_at_ms) return sent.has('plan.lapsed') ? null : 'plan.lapsed';
  if (now_ms >= account.cancel_at_ms - notice_ms) return sent.has('plan.lapsing') ? null : 'plan.lapsing';
  return null;
}

export function lapseEvent(
  kind: LapseNotice,
  account: AccountState,
  wallet: WalletState,
  now_ms: number,
): { type: LapseNotice; payload: Record<string, unknown> } {
  const lapses_at = new Date(account.cancel_at_ms!).toISOString();
  const balance_micros = balanceMicros(wallet, now_ms);
  const kept = `Your extra usage balance of ${formatUsd(balance_micros)} is kept, frozen, and refundable on request (POST /v1/accounts/{id}/refunds).`;
  return kind === 'plan.lapsing'
    ? { type: kind, payload: { lapses_at, balance_micros, message: `The plan lapses at ${lapses_at}. ${kept} Renew the plan to keep using it.` } }
    : {
        type: kind,
        payload: { lapsed_at: lapses_at, balance_micros, frozen: true, message: `The plan lapsed at ${lapses_at}. ${kept} Renew the plan to use it again.` },
      };
}

/** Why the balance cannot be used now, or null when it can (the extra-usage view's `frozen`). */
export function frozenReason(status: 'active' | 'canceling' | 'lapsed', paid_plan: boolean): string | null {
  if (status === 'lapsed') return 'The plan lapsed: the balance is kept and refundable; renew the plan to use it.';
  if (!paid_plan) return 'Extra usage needs a paid plan (Pro, Max or Team): the balance is kept and refundable; upgrade to use it.';
  return null;
}
