// What the use cases need from the outside world. The store, the clock, ids and the payment
// provider are given to them; nothing in app/ reaches for I/O on its own.
import type { Catalog } from '../domain/catalog';
import type { AuditFinding, Transfer } from '../domain/ledger';
import type { ChargeOutcome } from '../domain/purchase';
import type { CardRefusalType } from '../domain/refusals';
import type { WalletState } from '../domain/wallet';
import type { CreditsReads, CreditsTx } from './credits-ports';
import type { OrgStore, OrgTx } from './orgs-ports';
export type { OrgMemberRow, OrgStore, OrgTx, OrgUsageRow } from './orgs-ports';
import type { ApiKeyState } from '../domain/orgs';
import type { AccountKind, MemberRole, MemberState } from '../domain/members';
export type { CreditsReads, CreditsTx, PromotionClaimRow } from './credits-ports';

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

// The data model lives in the domain; it is re-exported for the adapters that import it with the ports.
export type * from '../domain/records';
import type {
  AccountChanges,
  AccountRecord,
  AuditEntry,
  AuthorizationRecord,
  CardDetails,
  CatalogData,
  GrantRecord,
  InvitationRecord,
  LockedAccount,
  OutboxEvent,
  PaymentMethodRecord,
  PurchaseRecord,
  ReloadEvent,
  Role,
  TokenKind,
  TokenRecord,
  TransferRow,
  UsageBucketRow,
  UsageRecord,
  UserRecord,
  WindowRow,
} from '../domain/records';

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
  /**
   * Takes every budget at once or none (atomic: one Lua script on Redis): several budgets of one
   * caller (requests, input and output tokens per minute) are admitted together or refused with
   * the first that is spent. Fixed windows of `window_ms` aligned to the clock.
   */
  take?(budgets: RateBudget[], window_ms?: number): Promise<RateTake>;
  /**
   * Remembers that hold `hold_id` took `points` of `key` in the window that started at
   * `window_start_ms`, until that window ends, so that whichever process settles the hold can
   * give back what it did not use (shared through Redis when configured).
   */
  hold?(hold_id: string, key: string, points: number, window_start_ms: number, window_ms?: number): Promise<void>;
  /**
   * Gives back what hold `hold_id` took beyond `used_points`, to the window it was taken from
   * (never below zero; nothing once that window ended). Once: the record is taken atomically, so a
   * replayed settle or a settle on two processes gives back nothing more.
   */
  giveHeld?(hold_id: string, used_points: number): Promise<void>;
  /** What each budget has left in the current window, and when it resets; takes nothing. */
  peek?(budgets: RateBudget[], window_ms?: number): Promise<{ remaining: number[]; reset_ms: number }>;
  close?(): Promise<void>;
}

export interface RateBudget {
  key: string;
  points: number;
  limit: number;
}
/** What each budget has left after the take (or, refused, which budget is spent), and when the window resets. */
export type RateTake =
  | { ok: true; window_start_ms: number; reset_ms: number; remaining: number[] }
  | { ok: false; window_start_ms: number; reset_ms: number; spent_index: number; remaining: number[] };

export type ChargeResult = ChargeOutcome;

/** The account's customer at the provider (Stripe's `cus_…`), null until its first card. */
export interface ProviderCustomer {
  account_id: string;
  customer_ref: string | null;
}

/**
 * The provider did not answer (a timeout or a network failure after the SDK's own retries): the
 * charge may or may not have been made. The purchase stays pending; repeating the call with the
 * same idempotency key (a retry or the recovery job) returns the first charge, never a second one.
 */
export class ProviderUnavailable extends Error {
  override name = 'ProviderUnavailable';
}

export interface PaymentProvider {
  readonly name: string;
  /**
   * Turns a provider token (`tok_visa`) or payment method id (`pm_…`) into a reusable payment
   * method of the account's customer (made on first use; its ref is returned to be kept).
   */
  attach(
    token: string,
    customer?: ProviderCustomer,
  ): Promise<
    | { ok: true; provider_ref: string; card: CardDetails; customer_ref?: string | null }
    | { ok: false; type: CardRefusalType | 'invalid_request'; message: string }
  >;
  /**
   * Charges once per idempotency key: a retry with the same key returns the first result (never a
   * second charge). `off_session`: nobody is there to confirm with their bank (auto-reload).
   * Throws ProviderUnavailable when the outcome is unknown.
   */
  charge(input: {
    provider_ref: string;
    amount_micros: number;
    idempotency_key: string;
    description: string;
    customer_ref?: string | null;
    off_session?: boolean;
    purchase_id?: string;
  }): Promise<ChargeResult>;
  /** Re-reads a payment waiting for the person's bank (after they completed its step): its outcome now. */
  confirm(payment_intent_id: string): Promise<ChargeResult>;
  /** Ends a payment nobody confirmed in time; answers its outcome (a payment that succeeded meanwhile stays succeeded). */
  cancel(payment_intent_id: string): Promise<ChargeResult>;
  /**
   * Refunds `amount_micros` (whole cents) of the charge `charge_id`, once per idempotency key:
   * a retry with the same key returns the first refund. Never more than the charge had left.
   */
  refund(input: { charge_id: string; amount_micros: number; idempotency_key: string; reason: string }): Promise<RefundResult>;
}

/** A provider's webhook event, verified and reduced to what Tokenbank applies (docs/payments.md). */
export type ProviderEvent = { id: string; type: string } & (
  | { kind: 'payment_succeeded'; purchase_id: string | null; payment_intent_id: string }
  | {
      kind: 'payment_failed';
      purchase_id: string | null;
      payment_intent_id: string;
      failure_type: Exclude<CardRefusalType, 'authentication_required'>;
      message: string;
    }
  | { kind: 'charge_refunded'; payment_intent_id: string; amount_refunded_micros: number }
  | { kind: 'charge_disputed'; payment_intent_id: string; amount_micros: number; reason: string }
  | { kind: 'ignored' }
);

/** Checks a provider webhook's signature on the raw body it was sent with, and reads the event. */
export interface PaymentWebhookVerifier {
  readonly provider: string;
  verify(raw_body: Buffer, signature: string | undefined): { ok: true; event: ProviderEvent } | { ok: false; message: string };
}

export type RefundResult = { ok: true; refund_id: string } | { ok: false; type: 'processing_error'; message: string };

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
  /** API keys whose counters the batch changed (API organizations' requests). */
  api_keys?: ApiKeyState[];
}

/** The card provider's side of payments (src/store/payments.ts). */
export interface PaymentsTx {
  /** Keeps the account's customer at the provider; the first one made stays (a concurrent second is dropped). */
  savePaymentCustomer(account_id: string, provider: string, customer_ref: string, now_ms: number): Promise<void>;
  /** Records a provider webhook event; true the first time its id is seen (apply it then, in this transaction). */
  recordProviderEvent(row: { id: string; provider: string; type: string; account_id: string | null; received_at_ms: number }): Promise<boolean>;
}

export interface StoreTx extends CreditsTx, PaymentsTx {
  /** API organizations: members, keys, tiers (src/app/orgs-ports.ts). */
  readonly orgs: OrgTx;
  /** Locks the wallets of `account_ids` in sorted order (FOR UPDATE) and loads their state. */
  lockAccounts(account_ids: string[]): Promise<Map<string, LockedAccount>>;
  saveWallets(rows: Array<{ account_id: string; wallet: WalletState; last_reload_event?: ReloadEvent | null }>, now_ms: number): Promise<void>;
  saveWindows(rows: WindowRow[]): Promise<void>;
  insertTransfers(rows: Transfer[]): Promise<void>;
  insertOutbox(rows: OutboxEvent[]): Promise<void>;
  insertAudit(rows: AuditEntry[]): Promise<void>;
  /** The first audit entry of `action` on the account written with this idempotency key (details.idempotency_key). */
  findAuditByIdempotencyKey(account_id: string, action: string, idempotency_key: string): Promise<(AuditEntry & { id: number }) | undefined>;

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
  /** The members of an account or organization with their roles, read in this transaction (under the account lock: seats, the last owner). */
  memberRoles(account_id: string, kind: AccountKind): Promise<MemberState[]>;
  /** Adds a member, or gives a member another role. */
  putMember(account_id: string, kind: AccountKind, user_id: string, role: MemberRole, now_ms: number): Promise<void>;
  removeMember(account_id: string, kind: AccountKind, user_id: string): Promise<void>;
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
export interface Store extends CreditsReads {
  /** The account's customer at `provider`, null until its first card. */
  getPaymentCustomer(account_id: string, provider: string): Promise<string | null>;
  readPurchase(id: string): Promise<PurchaseRecord | undefined>;
  /** The purchase a provider's charge (Stripe: the payment intent) paid for. */
  purchaseByCharge(provider_charge_id: string): Promise<PurchaseRecord | undefined>;
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
  /** Invitations for `email` neither accepted, declined nor expired at `now_ms`, oldest first, with their account's name and kind. */
  listPendingInvitations(
    email: string,
    now_ms: number,
    limit: number,
    after_id?: string,
  ): Promise<Array<{ invitation: InvitationRecord; account_name: string; account_kind: AccountKind }>>;
  authorizationAccounts(ids: string[]): Promise<Map<string, string>>;
  getAuthorization(id: string): Promise<AuthorizationRecord | undefined>;
  expiredHolds(now_ms: number, limit: number): Promise<Array<{ id: string; account_id: string }>>;
  /** Expired holds still counted against the limit whose expiry is at or before `expired_before_ms`. */
  lateWindowsEnded(expired_before_ms: number, limit: number): Promise<Array<{ id: string; account_id: string }>>;
  getPaymentMethod(id: string): Promise<PaymentMethodRecord | undefined>;
  listPaymentMethods(account_id: string): Promise<PaymentMethodRecord[]>;
  /** Pending purchases due now: reloads whose next attempt has come, manual ones older than `grace_ms`. */
  pendingPurchases(now_ms: number, grace_ms: number, limit: number): Promise<PurchaseRecord[]>;
  listGrants(account_id: string, limit?: number, after_id?: string): Promise<GrantRecord[]>;
  expiredGrants(now_ms: number, limit: number): Promise<GrantRecord[]>;
  usageBuckets(input: {
    account_id: string;
    from_day: string;
    to_day: string;
    granularity: 'day' | 'month';
    group_by: 'app' | 'model' | 'source' | null;
  }): Promise<UsageBucketRow[]>;
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
  /** Webhook endpoints, their deliveries and attempts (each method its own transaction). */
  readonly webhooks: WebhookStore;
  /** API organizations: members, keys, tiers, usage (src/app/orgs-ports.ts). */
  readonly orgs: OrgStore;
}

export type { Catalog };

// ---- webhooks --------------------------------------------------------------------------------

export interface WebhookEndpointRecord {
  id: string;
  /** null: an operator-wide endpoint (every account's events). */
  account_id: string | null;
  url: string;
  /** null: every event type. */
  event_types: string[] | null;
  secret: string;
  created_at_ms: number;
  failing_since_ms: number | null;
  disabled_at_ms: number | null;
  disabled_reason: string | null;
}

export interface WebhookAttemptRecord {
  attempt: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  attempted_at_ms: number;
}

export interface WebhookDeliveryRecord {
  id: string;
  endpoint_id: string;
  event_id: number;
  event_type: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  next_attempt_at_ms: number | null;
  created_at_ms: number;
  completed_at_ms: number | null;
  log: WebhookAttemptRecord[];
}

/** A delivery leased to this process for one attempt, with what the attempt needs. */
export interface ClaimedDelivery {
  delivery_id: string;
  endpoint_id: string;
  /** This attempt's number (1 = the first). */
  attempt: number;
  url: string;
  secret: string;
  event: OutboxEvent & { id: number };
}

export interface WebhookStore {
  insertEndpoint(row: WebhookEndpointRecord): Promise<void>;
  countEndpoints(account_id: string | null): Promise<number>;
  /** An account's endpoints, or (null) the operator-wide ones, oldest first. */
  listEndpoints(account_id: string | null): Promise<WebhookEndpointRecord[]>;
  getEndpoint(id: string): Promise<WebhookEndpointRecord | undefined>;
  deleteEndpoint(id: string): Promise<void>;
  /** An endpoint's deliveries, newest first, each with every attempt. */
  listDeliveries(input: { endpoint_id: string; limit: number; before_id?: string }): Promise<WebhookDeliveryRecord[]>;
  getDelivery(id: string): Promise<WebhookDeliveryRecord | undefined>;
  /** The delivery is due again now with a fresh schedule; its endpoint is enabled again. */
  redeliver(delivery_id: string, now_ms: number): Promise<void>;
  /** Outbox rows not fanned out yet (locked, SKIP LOCKED) → one delivery per matching endpoint. */
  fanOut(now_ms: number, events_max: number): Promise<{ events: number; deliveries: number }>;
  /** Due deliveries (SKIP LOCKED), leased until `lease_until_ms` and counted as attempted. */
  claimDeliveries(now_ms: number, lease_until_ms: number, limit: number): Promise<ClaimedDelivery[]>;
  /**
   * Records one attempt and the delivery's next state. A failure marks the endpoint failing (since
   * now, unless it already was); one failing since `disable_cutoff_ms` or earlier is disabled, its
   * pending deliveries failed, and `disabled_event(account_id)` written (account endpoints) or the
   * audit log told (operator-wide ones). A success clears the failing mark.
   */
  recordAttempt(input: {
    delivery: ClaimedDelivery;
    attempt: WebhookAttemptRecord;
    next: { status: 'succeeded' } | { status: 'pending'; next_attempt_at_ms: number } | { status: 'failed' };
    disable_cutoff_ms: number;
    now_ms: number;
  }): Promise<{ disabled: boolean }>;
}

/** The network a webhook goes out on: name lookup and one signed POST (src/jobs/webhooks.ts). */
export interface WebhookNetwork {
  /** Every address `host` resolves to (an IP literal resolves to itself). */
  resolve(host: string): Promise<string[]>;
  /** One POST with a timeout and a bounded read of the answer; never throws. */
  post(input: {
    url: string;
    headers: Record<string, string>;
    body: string;
  }): Promise<{ ok: true; status_code: number } | { ok: false; status_code: number | null; error: string }>;
}

/**
 * The upstream model API of the drop-in gateway (docs/gateway.md; src/upstream/anthropic.ts):
 * one POST /v1/messages with the operator's key, the client's body as it came and the headers
 * named here; never the client's credential. A network failure or a timeout before the answer's
 * headers is a value; reading `body` may throw later (a stream that breaks or goes silent), with
 * `name` "TimeoutError" for a timeout.
 */
export interface ModelUpstream {
  sendMessages(input: { body: Buffer | string; anthropic_version: string | null; anthropic_beta: string | null; stream: boolean }): Promise<UpstreamAnswer>;
}

export type UpstreamAnswer =
  | { ok: true; status: number; headers: Record<string, string>; body: AsyncIterable<Uint8Array> }
  | { ok: false; failure: 'network' | 'timeout'; message: string };
