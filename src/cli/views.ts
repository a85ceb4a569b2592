// The API objects the CLI reads, as it reads them (the server's responses are open objects;
// the CLI names only the fields it shows and passes --json output through untouched).
import type { ExtraUsageBody } from '../contract/schemas';
import type { FundingReason, FundingSource } from '../domain/funding';

export type ExtraUsage = ExtraUsageBody & { account_id: string; plan_status?: string };

export interface AccountView {
  id: string;
  kind: string;
  name: string;
  plan: { id: string; name: string; price_micros: number; per_seat: boolean } | null;
  plan_status: string;
  seats: number;
  cancel_at: string | null;
  cycle_start: string;
  cycle_end: string;
  windows: Array<{ kind: string; seat: string | null; used: number; limit: number; resets_at: string | null }>;
  role?: string;
}

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

export interface UsageView {
  account_id: string;
  from: string;
  to: string;
  granularity: 'day' | 'month';
  group_by: 'app' | 'model' | 'source' | null;
  buckets: UsageBucket[];
  totals: { requests: number; cost_micros: number; extra_usage_micros: number; allowance_tokens: number };
}

export interface PaymentMethod {
  id: string;
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
  default?: boolean;
}

export const WINDOW_LABEL: Record<string, string> = { rolling_5h: '5-hour window', weekly: 'weekly window', cycle: 'cycle window' };

export interface Transaction {
  id: number;
  kind: string;
  /** + into the customer's books, − out of them. */
  amount_micros: number;
  book: string;
  grant_id: string | null;
  reference_id: string | null;
  created_at: string;
}

export interface TransactionsView {
  account_id: string;
  data: Transaction[];
  next_before: number | null;
}

export interface UsageRecordView {
  id: string;
  authorization_id: string | null;
  event_id: string | null;
  app: string;
  model: string;
  price_version: string;
  funding: { source: FundingSource; reason: FundingReason };
  usage: { input_tokens: number; output_tokens: number; cache_creation_input_tokens: number; cache_read_input_tokens: number };
  allowance_tokens: number;
  cost_micros: number;
  charged_micros: number;
  occurred_at: string;
  recorded_at: string;
}

/** Which pool paid, in words. */
export const FUNDING_SOURCE_LABEL: Record<FundingSource, string> = {
  allowance: 'plan allowance',
  extra_usage: 'extra usage',
  mixed: 'allowance + extra usage',
  api_credits: 'API credits',
};

/** Why that pool paid: the answer to "why did this come out of my credits?". */
export const FUNDING_REASON_TEXT: Record<FundingReason, string> = {
  first_party_allowance: 'the plan allowance had room for the whole request',
  first_party_overflow: 'the plan allowance was used up, so extra usage paid all of it',
  first_party_mixed: 'the plan allowance had some room; extra usage paid the rest',
  third_party_extra_usage_only: 'third-party apps draw only on extra usage',
  api_key: 'API-key requests draw only on API credits',
};

/** A transfer kind in words. */
export const TRANSACTION_KIND_LABEL: Record<string, string> = {
  purchase: 'purchase',
  grant: 'promotional grant',
  grant_expiry: 'grant expired',
  refund: 'refund',
  usage: 'usage',
};
