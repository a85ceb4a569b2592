// Promotional grants (SPEC §1.5): what expiry does. A grant past its expiry stops counting at
// once (isGrantLive, the one definition the balance, funding and the page all use); the expiry
// job then moves what is left of it back to the operator's promotions book.
import { grantExpiryTransfer, type Transfer } from './ledger';
import { isGrantLive, type WalletState } from './wallet';

export interface GrantExpiryPlan {
  transfers: Transfer[];
  events: Array<{ type: 'grant.expired'; payload: { grant_id: string; amount_micros: number } }>;
}

/** Sweeps the wallet's expired grants that still hold something: one transfer and one event each. Mutates `wallet`. */
export function planGrantExpiry(account_id: string, wallet: WalletState, now_ms: number): GrantExpiryPlan {
  const plan: GrantExpiryPlan = { transfers: [], events: [] };
  for (const grant of wallet.grants) {
    if (grant.remaining_micros === 0 || grant.expires_at_ms === null || isGrantLive(grant, now_ms)) continue;
    plan.transfers.push(grantExpiryTransfer(account_id, grant.remaining_micros, grant.id, now_ms));
    plan.events.push({ type: 'grant.expired', payload: { grant_id: grant.id, amount_micros: grant.remaining_micros } });
    grant.remaining_micros = 0;
  }
  return plan;
}
