// Lapse notices (SPEC §1.5): the one writer of `plan.lapsing` and `plan.lapsed`. The due notice is
// the domain's (dueLapseNotice); it is recorded as sent (plan_notices, once per account, kind and
// lapse instant) in the same transaction that writes it to the outbox. The cancellation asks it
// too, so a plan cancelled within the notice period is told at once, and never twice.
import { dueLapseNotice, lapseEvent, type LapseNotice } from '../domain/lapse';
import { DAY_MS } from '../domain/cycles';
import { limits } from '../domain/limits';
import type { Deps } from './deps';
import type { LockedAccount, StoreTx } from './ports';

/** Under the account's lock: writes the notice due now, if any; returns it. */
export async function sendDueLapseNotice(tx: StoreTx, deps: Deps, locked: LockedAccount, now_ms: number): Promise<LapseNotice | null> {
  const { account, wallet } = locked;
  if (account.cancel_at_ms === null) return null;
  const sent = await tx.lapseNoticesSent(account.id, account.cancel_at_ms);
  const notice = dueLapseNotice(account, now_ms, deps.settings.lapse_notice_days * DAY_MS, sent);
  if (notice === null) return null;
  if (!(await tx.recordLapseNotice(account.id, notice, account.cancel_at_ms, now_ms))) return null;
  await tx.insertOutbox([{ account_id: account.id, ...lapseEvent(notice, account, wallet, now_ms), created_at_ms: now_ms }]);
  return notice;
}

/** Job: the lapse notices that are due, one account per transaction. */
export async function sendLapseNotices(deps: Deps, batch_max: number = limits.lapse_notices_batch_max): Promise<number> {
  const now_ms = deps.clock.now_ms();
  const due = await deps.store.lapseNoticeCandidates(now_ms, deps.settings.lapse_notice_days * DAY_MS, batch_max);
  let sent = 0;
  for (const account_id of due) {
    const notice = await deps.store.transaction(async (tx) => {
      const locked = (await tx.lockAccounts([account_id])).get(account_id);
      return locked ? sendDueLapseNotice(tx, deps, locked, now_ms) : null;
    });
    if (notice) sent += 1;
  }
  return sent;
}
