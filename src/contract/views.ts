// The wire shapes of the API's read answers, as TypeScript types: what the page (web/) and
// other clients read. Types only (no runtime code); the server's toApi… functions (src/http/
// format.ts) and read models (src/app/reads.ts) produce them. Amounts are integer micros.

export interface ApiErrorBody {
  error: { type: string; message: string; request_id?: string; [figure: string]: unknown };
}

export interface SessionBody {
  token: string;
  expires_at: string;
  user: { id: string; email: string };
}

export type Role = 'owner' | 'billing' | 'member';

export interface AccountSummary {
  id: string;
  kind: string;
  name: string;
  plan: string | null;
  seats: number;
  created_at: string;
  role?: Role;
}

export interface MeBody {
  kind: 'user' | 'operator' | 'service';
  user?: { id: string; email: string };
  accounts: AccountSummary[];
}

export type WindowKind = 'cycle' | 'rolling_5h' | 'weekly';

export interface AccountBody {
  id: string;
  kind: string;
  name: string;
  plan: { id: string; name: string; price_micros: number; per_seat: boolean } | null;
  plan_status: string;
  seats: number;
  cancel_at: string | null;
  cycle_start: string;
  cycle_end: string;
  created_at: string;
  windows: Array<{ kind: WindowKind; seat: string | null; used: number; limit: number; resets_at: string | null }>;
  role?: Role;
}

export interface PaymentMethodBody {
  id: string;
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
  created_at: string;
  default?: boolean;
}

export interface CreditsBody {
  transaction_id: string;
  amount_micros: number;
  balance_micros: number;
  status: string;
  replayed: boolean;
}

export type UsageGroupBy = 'app' | 'model' | 'source';

export interface UsageBucket {
  start: string;
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

export interface UsageBody {
  account_id: string;
  from: string;
  to: string;
  granularity: 'day' | 'month';
  group_by: UsageGroupBy | null;
  buckets: UsageBucket[];
  totals: { requests: number; cost_micros: number; extra_usage_micros: number; allowance_tokens: number };
}

export type FundingSource = 'allowance' | 'extra_usage' | 'mixed' | 'api_credits';

export interface UsageRecordBody {
  id: string;
  authorization_id: string | null;
  event_id: string | null;
  user_id: string | null;
  app: string;
  model: string;
  price_version: string;
  funding: { source: FundingSource; reason: string };
  usage: { input_tokens: number; output_tokens: number; cache_creation_input_tokens?: number; cache_read_input_tokens?: number };
  allowance_tokens: number;
  cost_micros: number;
  charged_micros: number;
  beyond_hold: boolean;
  late: boolean;
  charged_by: string;
  request_id: string | null;
  occurred_at: string;
  recorded_at: string;
}

export interface TransactionBody {
  id: number;
  kind: string;
  amount_micros: number;
  book: string;
  grant_id: string | null;
  reference_id: string | null;
  created_at: string;
}

export interface Page<T> {
  account_id?: string;
  data: T[];
  next_before?: number | null;
}

export interface EventBody {
  id: number;
  type: string;
  payload: Record<string, unknown>;
  created_at: string;
}

export interface CatalogBodyView {
  plans: Array<{ id: string; name: string; price_micros: number; per_seat: boolean; extra_usage_allowed: boolean; windows: Array<{ kind: WindowKind; limit_tokens: number }>; requests_per_minute: number; tokens_per_minute: number }>;
  models: Array<{ id: string; tier: string; allowance_multiplier_milli: number }>;
  prices: Array<{ id: string; model_id: string; effective_at: string; input_micros_per_mtok: number; output_micros_per_mtok: number; cache_write_micros_per_mtok: number; cache_read_micros_per_mtok: number }>;
  apps: Array<{ id: string; kind: 'first_party' | 'third_party' }>;
}

export interface AuditBody {
  ok: boolean;
  findings: Array<{ message: string; [k: string]: unknown }>;
  [k: string]: unknown;
}

export interface AuditLogEntry {
  id: number | string;
  account_id: string | null;
  actor: string;
  action: string;
  created_at: string;
  [k: string]: unknown;
}

export interface GrantBody {
  id: string;
  amount_micros: number;
  expires_at: string | null;
  reason: string | null;
}

export interface ServiceTokenBody {
  id: string;
  name: string;
  created_at?: string;
  token?: string;
}
