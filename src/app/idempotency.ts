// Idempotency for mutating calls that have no idempotency column of their own (settings,
// grants, subscription changes): the key and the request's fingerprint go into the call's audit
// entry, written in the same transaction as the change, and are looked up under the account's
// row lock, so two calls with one key serialise. Same key + same body: the first change stands
// and nothing is written again. Same key + another body: idempotency_conflict (409), as for
// authorizations and purchases. No new table: the audit log is already the record of the change.
import { AppError } from '../domain/refusals';
import type { AuditEntry, StoreTx } from './ports';

/** A keyed call's answer, with whether it is the first call's (a replay changed nothing). */
export type Replayable<T> = T & { replayed: boolean };

/** What an audit entry's details carry for a keyed call. */
export function keyDetails(idempotency_key: string | null, request_hash: string): Record<string, string> {
  return idempotency_key === null ? {} : { idempotency_key, request_hash };
}

/**
 * The same, with the call's answer, for a call whose answer is a view of the account (settings,
 * subscription): a replay gives back that answer as it was, not the account as it is now
 * (README: "the same key with the same body returns the first result"). Without a key there is
 * no replay, so nothing is kept.
 */
export function keyDetailsWithAnswer(idempotency_key: string | null, request_hash: string, answer: object): Record<string, unknown> {
  return idempotency_key === null ? {} : { ...keyDetails(idempotency_key, request_hash), answer };
}

/** The first call's answer kept by keyDetailsWithAnswer; null for an entry written before answers were kept. */
export function firstAnswer<T extends object>(first: AuditEntry): T | null {
  const answer = first.details.answer;
  return typeof answer === 'object' && answer !== null ? (answer as T) : null;
}

/**
 * The first call's audit entry when this is a replay of it; null when there is no key or the
 * key is new. Throws idempotency_conflict when the key was used for another body.
 * Call it after locking the account.
 */
export async function firstCallWithKey(
  tx: StoreTx,
  account_id: string,
  action: string,
  idempotency_key: string | null,
  request_hash: string,
  what: string,
): Promise<(AuditEntry & { id: number }) | null> {
  if (idempotency_key === null) return null;
  const first = await tx.findAuditByIdempotencyKey(account_id, action, idempotency_key);
  if (!first) return null;
  if (first.details.request_hash !== request_hash) {
    const first_at = new Date(first.created_at_ms).toISOString();
    throw new AppError(
      'idempotency_conflict',
      `Idempotency-Key "${idempotency_key}" was used for a different ${what} at ${first_at} (audit entry ${first.id}). Use a new key for a new change.`,
      { idempotency_key, first_audit_id: first.id, first_at },
    );
  }
  return first;
}
