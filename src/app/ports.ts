// What the use cases need from the outside world. The store, the clock, ids and the payment
// provider are given to them; nothing in app/ reaches for I/O on its own.
import type { Catalog } from '../domain/catalog';
import type { AuditFinding, Transfer } from '../domain/ledger';
import type { CardRefusalType } from '../domain/refusals';
import type { WalletState } from '../domain/wallet';

/**
 * The connection failed while COMMIT was in flight: the transaction may or may not have been
 * committed. Carries what the transaction's function returned, so the caller can check which
 * it was by reading back what it wrote, instead of running the work again.
 */
export class CommitOutcomeUnknown extends Error {
  override name = 'CommitOutcomeUnknown';
  constructor(
    readonly value: unknown,
    override readonly cause: unknown,
  ) {
    super(`the outcome of COMMIT is unknown: ${String((cause as Error)?.message ?? cause)}`);
  }
}

/** What a metering batch wrote, to tell after an unknown COMMIT whether it committed. */
export interface MeterCommitProbe {
  authorization_ids: string[];
  usage_ids: string[];
  changed_authorizations: Array<{ id: string; status: string; finished_at_ms: number | null }>;
}

export type { AccountChanges, AccountRecord, AuditEntry, AuthorizationRecord, CardDetails, CatalogData, CatalogInput, GrantRecord, InvitationRecord, LockedAccount, OutboxEvent, PaymentMethodRecord, PurchaseRecord, PurchaseStatus, ReloadEvent, Role, TokenKind, TokenRecord, TransferRow, UsageBucketRow, UsageRecord, UserRecord, WindowRow } from '../domain/records';
import type { AccountChanges, AccountRecord, AuditEntry, AuthorizationRecord, CardDetails, CatalogData, GrantRecord, InvitationRecord, LockedAccount, OutboxEvent, PaymentMethodRecord, PurchaseRecord, ReloadEvent, Role, TokenKind, TokenRecord, TransferRow, UsageBucketRow, UsageRecord, UserRecord, WindowRow } from '../domain/records';

export interface Clock {
  now_ms(): number;
}

export interface Ids {
  /** A new unique id with a readable prefix, e.g. `auth_…`. */
  next(prefix: string): string;
}

/** Fixed-window-per-minute counters: in memory on one node, in Redis across several. */
export interface RateLimiter {
  /**
   * Takes `points` from `key`'s budget of `limit` per fixed window of `window_ms` (default a
   * minute, rate_limit_window_ms_default); refuses with the wait when it is spent.
   */
  consume(key: string, points: number, limit: number, window_ms?: number): Promise<{ ok: true } | { ok: false; retry_after_ms: number }>;
  /** Gives back `points` taken from `key` in the current window (never below zero). */
  refund(key: string, points: number, limit: number, window_ms?: number): Promise<void>;
  /** Forgets everything `key` has taken in the current window. */
  reset(key: string, limit: number, window_ms?: number): Promise<void>;
  close?(): Promise<void>;
}

export type ChargeResult = { ok: true; charge_id: string } | { ok: false; type: CardRefusalType; message: string };

export interface PaymentProvider {
  readonly name: string;
  /** Turns a provider token (`tok_visa`) into a reusable payment method reference. */
  attach(token: string): Promise<{ ok: true; provider_ref: string; card: CardDetails } | { ok: false; type: CardRefusalType | 'invalid_request'; message: string }>;
  /** Charges once per idempotency key: a retry with the same key returns the first result. */
  charge(input: { provider_ref: string; amount_micros: number; idempotency_key: string; description: string }): Promise<ChargeResult>;
}

/** Writes and locked reads, inside one transaction. Every write takes a batch (set-based SQL). */
/** Everything one metering batch writes (see StoreTx.writeMeterBatch). */
export interface MeterBatchWrites {
  /** Inserted with their state at the end of the batch (a hold may be settled in the batch that made it). */
  new_authorizations: AuthorizationRecord[];
  changed_authorizations: AuthorizationRecord[];
  usage: UsageRecord[];
  transfers: Transfer[];
  wallets: Array<{ account_id: string; wallet: WalletState; last_reload_event?: ReloadEvent | null }>;
  windows: WindowRow[];
  outbox: OutboxEvent[];
}

export interface StoreTx {
  /** Locks the wallets of `account_ids` in sorted order (FOR UPDATE) and loads their state. */
  lockAccounts(account_ids: string[]): Promise<Map<string, LockedAccount>>;
  saveWallets(rows: Array<{ account_id: string; wallet: WalletState; last_reload_event?: ReloadEvent | null }>, now_ms: number): Promise<void>;
  saveWindows(rows: WindowRow[]): Promise<void>;
  insertTransfers(rows: Transfer[]): Promise<void>;
  insertOutbox(rows: OutboxEvent[]): Promise<void>;
  insertAudit(rows: AuditEntry[]): Promise<void>;
  /** The first audit entry of `action` on the account written with this idempotency key (details.idempotency_key). */
  findAuditByIdempotencyKey(account_id: string, action: string, idempotency_key: string): Promise<AuditEntry | undefined>;

  getAuthorizations(ids: string[]): Promise<Map<string, AuthorizationRecord>>;
  getAuthorizationsByKey(pairs: Array<{ account_id: string; idempotency_key: string }>): Promise<AuthorizationRecord[]>;
  insertAuthorizations(rows: AuthorizationRecord[]): Promise<void>;
  updateAuthorizations(rows: AuthorizationRecord[]): Promise<void>;
  getUsageEvents(pairs: Array<{ account_id: string; event_id: string }>): Promise<UsageRecord[]>;
  /** Inserts usage records and adds them to the daily rollups, in this transaction. */
  insertUsageRecords(rows: UsageRecord[]): Promise<void>;
  /** Which of these (account, user) pairs are memberships, as `${account_id}\u0000${user_id}` keys. */
  getMembers(pairs: Array<{ account_id: string; user_id: string }>): Promise<Set<string>>;
  /** All of a metering batch's writes, as few statements as the engine allows (one on PostgreSQL and PGlite). */
  writeMeterBatch(writes: MeterBatchWrites, now_ms: number): Promise<void>;

  insertAccount(account: AccountRecord, now_ms: number): Promise<void>;
  /** Writes only the named columns of an account locked by `lockAccounts` in this transaction. */
  updateAccount(account_id: string, changes: AccountChanges): Promise<void>;
  insertUser(user: UserRecord): Promise<void>;
  insertMembership(account_id: string, user_id: string, role: Role, now_ms: number): Promise<void>;
  /** The user ids of an account's members, read in this transaction (under the account lock: the seat count). */
  memberUserIds(account_id: string): Promise<string[]>;
  /**
   * Writes an invitation; an open one (neither accepted nor declined) for the same account and
   * email is renewed instead (role, inviter, times), keeping its id. Returns what is stored.
   */
  upsertInvitation(row: InvitationRecord): Promise<InvitationRecord>;
  /** Locks and reads one invitation (FOR UPDATE). */
  lockInvitation(id: string): Promise<InvitationRecord | undefined>;
  /** Records acceptance or refusal (accepted_at, accepted_by, declined_at). */
  updateInvitation(row: InvitationRecord): Promise<void>;
  /** Open invitations of an account not yet expired at `now_ms`, other than the one for `except_email`. */
  countPendingInvitations(account_id: string, now_ms: number, except_email: string): Promise<number>;
  insertGrants(rows: GrantRecord[]): Promise<void>;

  getPurchaseByKey(account_id: string, idempotency_key: string): Promise<PurchaseRecord | undefined>;
  getPurchase(id: string): Promise<PurchaseRecord | undefined>;
  insertPurchase(row: PurchaseRecord): Promise<void>;
  updatePurchase(row: PurchaseRecord): Promise<void>;
  insertPaymentMethod(row: PaymentMethodRecord): Promise<void>;
  getPaymentMethod(id: string): Promise<PaymentMethodRecord | undefined>;

  replaceCatalog(data: CatalogData): Promise<void>;
  insertToken(row: TokenRecord): Promise<void>;
  revokeToken(id: string, now_ms: number): Promise<boolean>;
  /** Revokes every unrevoked token of `kind` except the one with `keep_token_hash`; returns their ids. */
  revokeTokensOfKindExcept(kind: TokenKind, keep_token_hash: string, now_ms: number): Promise<string[]>;
}

/** Reads outside a transaction, and the transaction itself. */
export interface Store {
  readonly engine: 'pglite' | 'postgres';
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /** Whether the batch that wrote `probe` committed (read back; throws when the database cannot be reached). */
  meterBatchCommitted(probe: MeterCommitProbe): Promise<boolean>;

  loadCatalog(): Promise<CatalogData>;
  getAccount(id: string): Promise<AccountRecord | undefined>;
  /** The account and wallet without taking a lock (for reads). */
  readAccount(id: string): Promise<LockedAccount | undefined>;
  listAccounts(options: { search?: string; limit: number; after?: string }): Promise<AccountRecord[]>;
  findUserByEmail(email: string): Promise<UserRecord | undefined>;
  getUser(id: string): Promise<UserRecord | undefined>;
  getMembership(account_id: string, user_id: string): Promise<Role | undefined>;
  listMemberships(user_id: string): Promise<Array<{ account: AccountRecord; role: Role }>>;
  listAccountMembers(account_id: string): Promise<Array<{ user_id: string; email: string; role: Role }>>;
  getInvitation(id: string): Promise<InvitationRecord | undefined>;
  /** Invitations for `email` neither accepted, declined nor expired at `now_ms`, oldest first, with their account's name. */
  listPendingInvitations(email: string, now_ms: number, limit: number, after_id?: string): Promise<Array<{ invitation: InvitationRecord; account_name: string }>>;
  authorizationAccounts(ids: string[]): Promise<Map<string, string>>;
  getAuthorization(id: string): Promise<AuthorizationRecord | undefined>;
  expiredHolds(now_ms: number, limit: number): Promise<Array<{ id: string; account_id: string }>>;
  /** Expired holds still counted against the limit whose expiry is at or before `expired_before_ms`. */
  lateWindowsEnded(expired_before_ms: number, limit: number): Promise<Array<{ id: string; account_id: string }>>;
  getPaymentMethod(id: string): Promise<PaymentMethodRecord | undefined>;
  listPaymentMethods(account_id: string): Promise<PaymentMethodRecord[]>;
  /** Pending purchases due now: reloads whose next attempt has come, manual ones older than `grace_ms`. */
  pendingPurchases(now_ms: number, grace_ms: number, limit: number): Promise<PurchaseRecord[]>;
  listGrants(account_id: string): Promise<GrantRecord[]>;
  expiredGrants(now_ms: number, limit: number): Promise<GrantRecord[]>;
  usageBuckets(input: { account_id: string; from_day: string; to_day: string; granularity: 'day' | 'month'; group_by: 'app' | 'model' | 'source' | null }): Promise<UsageBucketRow[]>;
  usageRecords(input: { account_id: string; limit: number; before_id?: string }): Promise<UsageRecord[]>;
  listTransfers(input: { account_id: string; limit: number; before_id?: number }): Promise<TransferRow[]>;
  listOutbox(input: { account_id: string; limit: number; before_id?: number }): Promise<Array<OutboxEvent & { id: number }>>;
  listAudit(input: { account_id: string | null; limit: number; before_id?: number }): Promise<Array<AuditEntry & { id: number }>>;
  /** The ledger proof of SPEC §1.1; returns what does not balance (empty = clean). */
  audit(now_ms: number): Promise<{ findings: AuditFinding[]; totals: Record<string, number>; accounts_checked: number; transfers_checked: number }>;
  findTokenByHash(token_hash: string): Promise<TokenRecord | undefined>;
  listTokens(input: { kind: TokenKind; user_id?: string | null }): Promise<TokenRecord[]>;
  countOpenHolds(): Promise<number>;
  close(): Promise<void>;
}

export type { Catalog };
