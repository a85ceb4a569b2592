// Rows as the database returns them (int8 as number, timestamptz as Date, date as text: see
// db.ts), and their mapping to the records the app works with. One interface per table.
import type { App, Model } from '../domain/catalog';
import type { Book } from '../domain/ledger';
import type { Funding } from '../domain/funding';
import { usageOf, type TokenUsage } from '../domain/pricing';
import type { WalletState } from '../domain/wallet';
import type {
  AccountRecord,
  AuditEntry,
  AuthorizationRecord,
  GrantRecord,
  InvitationRecord,
  PaymentMethodRecord,
  PaymentAction,
  PurchaseRecord,
  ReloadEvent,
  TokenRecord,
  TransferRow,
  UsageRecord,
  UserRecord,
} from '../domain/records';
import { ms, msOrNull, parseJson } from './sql-kit';

type Timestamp = Date | string;

export interface AccountRow {
  id: string;
  kind: AccountRecord['kind'];
  name: string;
  plan_id: string | null;
  seats: number;
  anchor_at: Timestamp;
  cancel_at: Timestamp | null;
  extra_usage_enabled: boolean;
  monthly_spend_limit_micros: number | null;
  auto_reload_enabled: boolean;
  auto_reload_amount_micros: number | null;
  auto_reload_threshold_micros: number | null;
  default_payment_method_id: string | null;
  created_at: Timestamp;
}

export interface WalletRow {
  account_id: string;
  purchased_micros: number;
  promotional_micros: number;
  held_micros: number;
  late_held_micros: number;
  spent_cycle_micros: number;
  spent_cycle_start: Timestamp;
  redeemed_day: string | null;
  redeemed_day_micros: number;
  reload_in_flight: boolean;
  auto_reload_last_event: unknown;
}

export interface GrantRow {
  id: string;
  account_id: string;
  amount_micros: number;
  remaining_micros: number;
  expires_at: Timestamp | null;
  reason: string;
  created_at: Timestamp;
}

export interface WindowDbRow {
  account_id: string;
  seat: string;
  kind: 'cycle' | 'rolling_5h' | 'weekly';
  start_at: Timestamp;
  used_tokens: number;
  held_tokens: number;
}

export interface AuthorizationRow {
  id: string;
  api_key_id?: string | null;
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
  source: Funding['source'];
  reason: Funding['reason'];
  allowance_tokens: number;
  held_micros: number;
  max_cost_micros: number;
  windows: unknown;
  cache_write: AuthorizationRecord['cache_write'];
  status: AuthorizationRecord['status'];
  late_counted: boolean;
  created_at: Timestamp;
  expires_at: Timestamp;
  finished_at: Timestamp | null;
  settle_hash: string | null;
  usage: unknown;
  cost_micros: number | null;
  charged_micros: number | null;
  settled_allowance_tokens: number | null;
  beyond_hold: boolean | null;
}

export interface UsageRow {
  id: string;
  api_key_id?: string | null;
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
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_creation_1h_input_tokens: number;
  cache_read_input_tokens: number;
  allowance_tokens: number;
  cost_micros: number;
  extra_usage_micros: number;
  occurred_at: Timestamp;
  recorded_at: Timestamp;
  beyond_hold: boolean;
  late: boolean;
  actor: string | null;
  request_id: string | null;
}

export interface PurchaseRow {
  id: string;
  account_id: string;
  kind: PurchaseRecord['kind'];
  idempotency_key: string | null;
  request_hash: string;
  amount_micros: number;
  payment_method_id: string | null;
  status: PurchaseRecord['status'];
  attempts: number;
  failure_type: string | null;
  failure_message: string | null;
  provider_charge_id: string | null;
  actor: string;
  created_at: Timestamp;
  completed_at: Timestamp | null;
  next_attempt_at: Timestamp | null;
  action: unknown;
}

export interface PaymentMethodRow {
  id: string;
  account_id: string;
  provider: string;
  provider_ref: string;
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
  created_at: Timestamp;
}

export interface InvitationRow {
  id: string;
  account_id: string;
  email: string;
  role: InvitationRecord['role'];
  invited_by: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  accepted_at: Timestamp | null;
  declined_at: Timestamp | null;
  accepted_by: string | null;
}

export interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  created_at: Timestamp;
}

export interface TransferDbRow {
  id: number;
  account_id: string;
  kind: TransferRow['kind'];
  debit_book: Book;
  credit_book: Book;
  amount_micros: number;
  grant_id: string | null;
  reference_id: string;
  created_at: Timestamp;
}

export interface PlanRow {
  id: string;
  name: string;
  price_micros: number;
  per_seat: boolean;
  extra_usage_allowed: boolean;
  windows: unknown;
  requests_per_minute: number;
  tokens_per_minute: number;
}

export interface ModelRow {
  id: string;
  tier: Model['tier'];
  allowance_multiplier_milli: number;
}

export interface ModelPriceRow {
  id: string;
  model_id: string;
  effective_at: Timestamp;
  input_micros_per_mtok: number;
  output_micros_per_mtok: number;
  cache_write_micros_per_mtok: number;
  cache_write_1h_micros_per_mtok: number;
  cache_read_micros_per_mtok: number;
}

export interface AppRow {
  id: string;
  kind: App['kind'];
}

export interface OutboxRow {
  id: number;
  account_id: string;
  type: string;
  payload: unknown;
  created_at: Timestamp;
}

export interface AuditLogRow {
  id: number;
  account_id: string | null;
  actor: string;
  action: string;
  request_id: string | null;
  details: unknown;
  created_at: Timestamp;
}

export interface TokenRow {
  id: string;
  kind: TokenRecord['kind'];
  user_id: string | null;
  name: string;
  token_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export function fromDbAccount(r: AccountRow): AccountRecord {
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    plan_id: r.plan_id,
    seats: r.seats,
    anchor_ms: ms(r.anchor_at),
    cancel_at_ms: msOrNull(r.cancel_at),
    extra_usage_enabled: r.extra_usage_enabled,
    monthly_spend_limit_micros: r.monthly_spend_limit_micros,
    auto_reload: { enabled: r.auto_reload_enabled, amount_micros: r.auto_reload_amount_micros, threshold_micros: r.auto_reload_threshold_micros },
    has_payment_method: r.default_payment_method_id !== null,
    default_payment_method_id: r.default_payment_method_id,
    created_at_ms: ms(r.created_at),
  };
}

export function fromDbWallet(r: WalletRow, grants: GrantRecord[]): WalletState {
  return {
    purchased_micros: r.purchased_micros,
    grants: grants.map((g) => ({ id: g.id, remaining_micros: g.remaining_micros, expires_at_ms: g.expires_at_ms })),
    held_micros: r.held_micros,
    late_held_micros: r.late_held_micros,
    spent_cycle_micros: r.spent_cycle_micros,
    spent_cycle_start_ms: ms(r.spent_cycle_start),
    redeemed_day: r.redeemed_day,
    redeemed_day_micros: r.redeemed_day_micros,
    reload_in_flight: r.reload_in_flight,
  };
}

export function fromDbReloadEvent(value: unknown): ReloadEvent | null {
  return value === null || value === undefined ? null : parseJson<ReloadEvent>(value);
}

export function fromDbGrant(r: GrantRow): GrantRecord {
  return {
    id: r.id,
    account_id: r.account_id,
    amount_micros: r.amount_micros,
    remaining_micros: r.remaining_micros,
    expires_at_ms: msOrNull(r.expires_at),
    reason: r.reason,
    created_at_ms: ms(r.created_at),
  };
}

export function fromDbAuthorization(r: AuthorizationRow): AuthorizationRecord {
  return {
    id: r.id,
    account_id: r.account_id,
    idempotency_key: r.idempotency_key,
    request_hash: r.request_hash,
    user_id: r.user_id,
    seat: r.seat,
    app_id: r.app_id,
    model_id: r.model_id,
    price_id: r.price_id,
    input_tokens: r.input_tokens,
    max_output_tokens: r.max_output_tokens,
    funding: {
      source: r.source,
      reason: r.reason,
      allowance_tokens: r.allowance_tokens,
      held_micros: r.held_micros,
      max_cost_micros: r.max_cost_micros,
      windows: parseJson<Funding['windows']>(r.windows),
    },
    cache_write: r.cache_write,
    status: r.status,
    late_counted: r.late_counted,
    created_at_ms: ms(r.created_at),
    expires_at_ms: ms(r.expires_at),
    finished_at_ms: msOrNull(r.finished_at),
    settle_hash: r.settle_hash,
    usage: r.usage === null ? null : parseJson<TokenUsage>(r.usage),
    cost_micros: r.cost_micros,
    charged_micros: r.charged_micros,
    settled_allowance_tokens: r.settled_allowance_tokens,
    beyond_hold: r.beyond_hold,
    ...(r.api_key_id ? { api_key_id: r.api_key_id } : {}),
  };
}

export function fromDbUsage(r: UsageRow): UsageRecord {
  return {
    id: r.id,
    account_id: r.account_id,
    authorization_id: r.authorization_id,
    event_id: r.event_id,
    event_hash: r.event_hash,
    user_id: r.user_id,
    app_id: r.app_id,
    model_id: r.model_id,
    price_id: r.price_id,
    source: r.source,
    reason: r.reason,
    usage: usageOf({
      input_tokens: r.input_tokens,
      output_tokens: r.output_tokens,
      cache_creation_input_tokens: r.cache_creation_input_tokens,
      cache_read_input_tokens: r.cache_read_input_tokens,
      cache_creation_1h_input_tokens: r.cache_creation_1h_input_tokens,
    }),
    allowance_tokens: r.allowance_tokens,
    cost_micros: r.cost_micros,
    extra_usage_micros: r.extra_usage_micros,
    occurred_at_ms: ms(r.occurred_at),
    recorded_at_ms: ms(r.recorded_at),
    beyond_hold: r.beyond_hold,
    late: r.late,
    actor: r.actor,
    request_id: r.request_id,
    ...(r.api_key_id ? { api_key_id: r.api_key_id } : {}),
  };
}

export function fromDbPurchase(r: PurchaseRow): PurchaseRecord {
  return {
    id: r.id,
    account_id: r.account_id,
    kind: r.kind,
    idempotency_key: r.idempotency_key,
    request_hash: r.request_hash,
    amount_micros: r.amount_micros,
    payment_method_id: r.payment_method_id,
    status: r.status,
    attempts: r.attempts,
    failure_type: r.failure_type,
    failure_message: r.failure_message,
    provider_charge_id: r.provider_charge_id,
    actor: r.actor,
    created_at_ms: ms(r.created_at),
    completed_at_ms: msOrNull(r.completed_at),
    next_attempt_at_ms: msOrNull(r.next_attempt_at),
    action: r.action === null || r.action === undefined ? null : parseJson<PaymentAction>(r.action),
  };
}

export function fromDbPaymentMethod(r: PaymentMethodRow): PaymentMethodRecord {
  return {
    id: r.id,
    account_id: r.account_id,
    provider: r.provider,
    provider_ref: r.provider_ref,
    brand: r.brand,
    last4: r.last4,
    exp_month: r.exp_month,
    exp_year: r.exp_year,
    created_at_ms: ms(r.created_at),
  };
}

export function fromDbInvitation(r: InvitationRow): InvitationRecord {
  return {
    id: r.id,
    account_id: r.account_id,
    email: r.email,
    role: r.role,
    invited_by: r.invited_by,
    created_at_ms: ms(r.created_at),
    expires_at_ms: ms(r.expires_at),
    accepted_at_ms: msOrNull(r.accepted_at),
    declined_at_ms: msOrNull(r.declined_at),
    accepted_by: r.accepted_by,
  };
}

export function fromDbUser(r: UserRow): UserRecord {
  return { id: r.id, email: r.email, password_hash: r.password_hash, created_at_ms: ms(r.created_at) };
}

export function fromDbTransfer(r: TransferDbRow): TransferRow {
  return {
    id: r.id,
    account_id: r.account_id,
    kind: r.kind,
    debit_book: r.debit_book,
    credit_book: r.credit_book,
    amount_micros: r.amount_micros,
    grant_id: r.grant_id,
    reference_id: r.reference_id,
    created_at_ms: ms(r.created_at),
  };
}

export function fromDbToken(r: TokenRow): TokenRecord {
  return {
    id: r.id,
    kind: r.kind,
    user_id: r.user_id,
    name: r.name,
    token_hash: r.token_hash,
    created_at_ms: ms(r.created_at),
    expires_at_ms: msOrNull(r.expires_at),
    revoked_at_ms: msOrNull(r.revoked_at),
  };
}

export function fromDbAudit(r: AuditLogRow): AuditEntry & { id: number } {
  return {
    id: r.id,
    account_id: r.account_id,
    actor: r.actor,
    action: r.action,
    request_id: r.request_id,
    details: parseJson<Record<string, unknown>>(r.details),
    created_at_ms: ms(r.created_at),
  };
}
