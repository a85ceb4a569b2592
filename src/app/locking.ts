// Locking one account for a use case's transaction: the row is locked (FOR UPDATE, with its
// wallet and windows loaded), or the account is not found. With `kind`, an account of the other
// kind is not found either (an org's id on an account route, or the other way round).
import { kindNoun, type AccountKind } from '../domain/members';
import { notFound } from '../domain/refusals';
import type { LockedAccount, StoreTx } from './ports';

export async function lockAccount(tx: StoreTx, account_id: string, kind?: AccountKind): Promise<LockedAccount> {
  const locked = (await tx.lockAccounts([account_id])).get(account_id);
  if (!locked || (kind !== undefined && locked.account.kind !== kind)) throw notFound(kindNoun(kind ?? 'plan'), account_id);
  return locked;
}
