// The data model: the records the rules work on and the store persists. Types only; they live
// with the domain so that the rules and their data are read in one place (src/app/ports.ts
// re-exports them for the adapters).
import type { App, Model, ModelPrice, ModelPriceInput, Plan } from './catalog';
import type { MemberRole } from './members';
import type { WindowState } from './cycles';
import type { Funding, SeatWindows } from './funding';
import type { Transfer } from './ledger';
import type { CacheWrite, TokenUsage } from './pricing';
import type { AccountState, WalletState } from './wallet';

export interface CardDetails {
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
}

export interface ReloadEvent {
  type: 'succeeded' | 'failed' | 'skipped';
  reason: string | null;
  amount_micros: number;
  at_ms: number;
}

export interface AccountRecord extends AccountState {
  name: string;
  created_at_ms: number;
  default_payment_method_id: string | null;
}

/**
 * The account columns a use case changes. A writer names only what it changed, so two
 * concurrent writers of different settings never undo each other (the row lock orders them,
 * and neither rewrites the other's column from a copy it read earlier).
 */
export type AccountChanges = Partial<
  Pick<
    AccountRecord,
    'name' | 'plan_id' | 'seats' | 'anchor_ms' | 'cancel_at_ms' | 'extra_usage_enabled' | 'monthly_spend_limit_micros' | 'default_payment_method_id'
  >
> & {
  auto_reload?: Partial<AccountRecord['auto_reload']>;
};

/** An account with its wallet and account rows locked for the rest of the transaction. */
export interface LockedAccount {
  account: AccountRecord;
  wallet: WalletState;
  /** Allowance windows by seat ('' when the plan is not per seat). */
  windows: Map<string, SeatWindows>;
  last_reload_event: ReloadEvent | null;
}

export type AuthorizationStatus = 'held' | 'settled' | 'released' | 'expired';

export interface AuthorizationRecord {
  id: string;
  account_id: string;
  idempotency_key: string | null;
  request_hash: string;
  user_id: string | null;
  seat: string;
  app_id: string;
  model_id: string;
  price_id: string;
  input_tokens: number;
  max_output_tokens: number;
  funding: Funding;
  /** The cache-write rate the hold priced the input at (SPEC §1.6). */
  cache_write: CacheWrite;
  status: AuthorizationStatus;
  /** Expired unsettled and still counted against the spend limit (its late-settlement window is open). */
  late_counted: boolean;
  created_at_ms: number;
  expires_at_ms: number;
  finished_at_ms: number | null;
  settle_hash: string | null;
  usage: TokenUsage | null;
  cost_micros: number | null;
  charged_micros: number | null;
  settled_allowance_tokens: number | null;
  /** Settled for more than its hold covered (more tokens, or cache writes it did not declare); null until settled. */
  beyond_hold: boolean | null;
  /** The API key of an API organization's request (its account_id is the org's); absent or null for an account's. */
  api_key_id?: string | null;
}

export interface UsageRecord {
  id: string;
  account_id: string;
  authorization_id: string | null;
  event_id: string | null;
  event_hash: string | null;
  user_id: string | null;
  app_id: string;
  model_id: string;
  price_id: string;
  source: Funding['source'];
  reason: Funding['reason'];
  usage: TokenUsage;
  allowance_tokens: number;
  cost_micros: number;
  extra_usage_micros: number;
  occurred_at_ms: number;
  recorded_at_ms: number;
  /** A settlement beyond what its hold covered (never for events, which have no hold). */
  beyond_hold: boolean;
  /** A settlement that arrived after its hold had expired. */
  late: boolean;
  /**
   * The start of the spend-limit cycle its extra usage was counted in (the wallet's counter after
   * the charge); null when it charged no extra usage. Written, not read back: the audit sums by it.
   */
  spend_cycle_start_ms?: number | null;
  /** Who charged it (a service token, a user, the operator) and the server's request id (SPEC §1.11). */
  actor: string | null;
  request_id: string | null;
  /** The API key that made it (an API organization's usage); absent or null for an account's. */
  api_key_id?: string | null;
}

export interface OutboxEvent {
  account_id: string;
  type: string;
  payload: Record<string, unknown>;
  created_at_ms: number;
}

export interface AuditEntry {
  account_id: string | null;
  actor: string;
  action: string;
  request_id: string | null;
  details: Record<string, unknown>;
  created_at_ms: number;
}

export type PurchaseStatus = 'pending' | 'succeeded' | 'failed';

export interface PurchaseRecord {
  id: string;
  account_id: string;
  kind: 'manual' | 'auto_reload';
  idempotency_key: string | null;
  request_hash: string;
  amount_micros: number;
  payment_method_id: string | null;
  status: PurchaseStatus;
  attempts: number;
  failure_type: string | null;
  failure_message: string | null;
  provider_charge_id: string | null;
  actor: string;
  created_at_ms: number;
  completed_at_ms: number | null;
  /** When a pending purchase may be charged (again); null = now. */
  next_attempt_at_ms: number | null;
  /** A purchase waiting for the person to confirm it with their bank (3-D Secure): what the page needs. */
  action?: PaymentAction | null;
}

/** What the page needs to finish a payment the bank asks the person to confirm (3-D Secure). */
export interface PaymentAction {
  payment_intent_id: string;
  client_secret: string | null;
  /** Where the person completes the bank's step (Stripe's redirect URL), when the provider gave one. */
  next_action_url: string | null;
}

export interface PaymentMethodRecord extends CardDetails {
  id: string;
  account_id: string;
  provider: string;
  provider_ref: string;
  created_at_ms: number;
}

export interface GrantRecord {
  id: string;
  account_id: string;
  amount_micros: number;
  remaining_micros: number;
  expires_at_ms: number | null;
  reason: string;
  created_at_ms: number;
}

export interface UserRecord {
  id: string;
  email: string;
  password_hash: string;
  created_at_ms: number;
}

export type Role = 'owner' | 'billing' | 'member';

/** An invitation to join an account, accepted or declined by the user whose email it names. */
export interface InvitationRecord {
  id: string;
  account_id: string;
  /** Lower-cased, as users' emails are. Nothing says whether a user with it exists. */
  email: string;
  /** One of its account kind's roles (domain/members.ts). */
  role: MemberRole;
  /** The actor who invited ('user:<id>' or 'operator'). */
  invited_by: string;
  created_at_ms: number;
  expires_at_ms: number;
  accepted_at_ms: number | null;
  declined_at_ms: number | null;
  /** The user who accepted it. */
  accepted_by: string | null;
}

export interface WindowRow {
  account_id: string;
  seat: string;
  state: WindowState;
}

export interface CatalogData {
  plans: Plan[];
  models: Model[];
  prices: ModelPrice[];
  apps: App[];
}

/** A catalog as the operator sends it: price versions may leave the 1-hour cache-write rate to its standard. */
export type CatalogInput = Omit<CatalogData, 'prices'> & { prices: ModelPriceInput[] };

export interface UsageBucketRow {
  bucket: string;
  group: string | null;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  allowance_tokens: number;
  cost_micros: number;
  extra_usage_micros: number;
}

export interface TransferRow extends Transfer {
  id: number;
}

export type TokenKind = 'operator' | 'service' | 'personal' | 'session';

export interface TokenRecord {
  id: string;
  kind: TokenKind;
  user_id: string | null;
  name: string;
  token_hash: string;
  created_at_ms: number;
  expires_at_ms: number | null;
  revoked_at_ms: number | null;
}
