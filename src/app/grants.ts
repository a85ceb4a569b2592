// Writing a promotional grant: the one definition shared by the operator's grant and a claimed
// campaign code. Under the account's lock: the grant row, its ledger transfer (operator
// promotions → customer promotional), the wallet, `grant.added` in the outbox, the audit entry.
import { grantTransfer } from '../domain/ledger';
import type { Actor, Deps } from './deps';
import { isGrantLive } from '../domain/wallet';
import { pageCursor, pageLimit, pageOf, type Page, type PageRequest } from './reads';
import type { GrantRecord, LockedAccount, StoreTx } from './ports';

export async function writeGrant(
  tx: StoreTx,
  locked: LockedAccount,
  grant: GrantRecord,
  actor: Actor,
  audit_details: Record<string, unknown> = {},
): Promise<void> {
  const { account_id, amount_micros, expires_at_ms, created_at_ms: now_ms } = grant;
  await tx.insertGrants([grant]);
  locked.wallet.grants.push({ id: grant.id, remaining_micros: amount_micros, expires_at_ms });
  await tx.insertTransfers([grantTransfer(account_id, amount_micros, grant.id, now_ms)]);
  await tx.saveWallets([{ account_id, wallet: locked.wallet }], now_ms);
  await tx.insertOutbox([
    {
      account_id,
      type: 'grant.added',
      payload: {
        grant_id: grant.id,
        amount_micros,
        expires_at: expires_at_ms === null ? null : new Date(expires_at_ms).toISOString(),
        reason: grant.reason,
      },
      created_at_ms: now_ms,
    },
  ]);
  await tx.insertAudit([
    {
      account_id,
      actor: actor.id,
      action: 'grant.added',
      request_id: actor.request_id,
      details: { grant_id: grant.id, amount_micros, reason: grant.reason, ...audit_details },
      created_at_ms: now_ms,
    },
  ]);
}

/** An account's grants, a page at a time, each saying whether it still counts, judged at the use case's now. */
export async function listGrants(deps: Deps, account_id: string, query: PageRequest): Promise<Page<{ grant: GrantRecord; live: boolean }>> {
  const limit = pageLimit(query);
  const rows = await deps.store.listGrants(account_id, limit + 1, pageCursor(query));
  const now_ms = deps.clock.now_ms();
  return pageOf(
    rows.map((grant) => ({ grant, live: isGrantLive(grant, now_ms) })),
    limit,
    (r) => r.grant.id,
  );
}
