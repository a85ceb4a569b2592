// The API keys one metering batch uses: locked with their org's wallet (after it, in id order),
// checked for revocation under that lock, and their monthly counters kept beside the wallet's.
// Used by the batch interpreter (./meter-batch.ts); the rules are src/domain/orgs.ts.
import type { Model, ModelPrice } from '../domain/catalog';
import type { Decision, Funding } from '../domain/funding';
import { addKeySpent, applyKeyHold, decideApiAuthorization, endKeyLateHold, expireKeyHold, releaseKeyHold, type ApiKeyState } from '../domain/orgs';
import type { CacheWrite } from '../domain/pricing';
import { AppError } from '../domain/refusals';
import type { AuthorizationRecord, LockedAccount, StoreTx } from './ports';
import type { MeterOp } from './metering';

export class BatchKeys {
  private keys = new Map<string, ApiKeyState>();
  private readonly changed = new Set<ApiKeyState>();

  /** Locks every key the batch's operations name (new requests and the holds they settle or release). */
  async load(tx: StoreTx, ops: MeterOp[], auths: Map<string, AuthorizationRecord>): Promise<void> {
    const ids = new Set<string>();
    for (const op of ops) {
      if (op.kind === 'authorize' && op.request.api_key_id) ids.add(op.request.api_key_id);
      else if (op.kind === 'event' && op.event.api_key_id) ids.add(op.event.api_key_id);
    }
    for (const auth of auths.values()) if (auth.api_key_id) ids.add(auth.api_key_id);
    if (ids.size > 0) this.keys = await tx.orgs.lockApiKeys([...ids]);
  }

  /** A key that may be used now: revoked (or deleted) since the request was resolved is 401, as it would be then. */
  private usable(key_id: string, org_id: string): ApiKeyState {
    const key = this.keys.get(key_id);
    if (!key || key.revoked_at_ms !== null || key.org_id !== org_id)
      throw new AppError('unauthenticated', 'api_key: the API key is unknown or revoked. Create a key with POST /v1/orgs/{id}/keys.', { field: 'api_key' });
    return key;
  }

  decide(
    key_id: string,
    locked: LockedAccount,
    request: { model: Model; price: ModelPrice; input_tokens: number; max_output_tokens: number; cache_write: CacheWrite },
    now_ms: number,
  ): Decision<Funding> {
    const key = this.usable(key_id, locked.account.id);
    return decideApiAuthorization({ org: locked.account, wallet: locked.wallet, key, ...request, now_ms });
  }

  hold(key_id: string, funding: Funding, now_ms: number): void {
    const key = this.keys.get(key_id)!;
    applyKeyHold(key, funding, now_ms);
    this.changed.add(key);
  }

  /** An event: the key must still be usable; its charge is counted by `charge`. */
  checkEvent(key_id: string, org_id: string): void {
    this.usable(key_id, org_id);
  }

  /** The hold of `auth` left the key (settle, release, expiry) or its late window ended. */
  unhold(auth: AuthorizationRecord, how: 'release' | 'expire' | 'end_late'): void {
    const key = auth.api_key_id ? this.keys.get(auth.api_key_id) : undefined;
    if (!key) return;
    if (how === 'release') releaseKeyHold(key, auth.funding);
    else if (how === 'expire') expireKeyHold(key, auth.funding);
    else endKeyLateHold(key, auth.funding);
    this.changed.add(key);
  }

  charge(key_id: string | null | undefined, org: LockedAccount['account'], amount_micros: number, now_ms: number): void {
    const key = key_id ? this.keys.get(key_id) : undefined;
    if (!key) return;
    addKeySpent(key, org, amount_micros, now_ms);
    this.changed.add(key);
  }

  writes(): ApiKeyState[] {
    return [...this.changed];
  }
}
