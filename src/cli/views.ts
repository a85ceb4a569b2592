// The API objects the CLI reads, as it reads them (the server's responses are open objects;
// the CLI names only the fields it shows and passes --json output through untouched).
import type { ExtraUsageBody } from '../contract/schemas';

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
