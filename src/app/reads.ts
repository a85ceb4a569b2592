// Read models: what the page, the CLI and the API show. No writes.
import { cycleAt } from '../domain/cycles';
import { windowViews } from '../domain/funding';
import { limits } from '../domain/limits';
import { invalid, notFound } from '../domain/refusals';
import { availableMicros, balanceMicros, planStatusAt, promotionalMicros, spentThisCycle, utcDay } from '../domain/wallet';
import type { Deps } from './deps';
import type { AccountRecord, LockedAccount, ReloadEvent, UsageBucketRow } from './ports';
import * as v from './validate';

const iso = (ms: number) => new Date(ms).toISOString();

export interface ExtraUsageView {
  account_id: string;
  enabled: boolean;
  balance_micros: number;
  purchased_micros: number;
  promotional_micros: number;
  held_micros: number;
  available_micros: number;
  late_held_micros: number;
  monthly_spend_limit_micros: number | null;
  spent_this_cycle_micros: number;
  cycle_start: string;
  cycle_end: string;
  plan_status: string;
  auto_reload: {
    enabled: boolean;
    amount_micros: number | null;
    threshold_micros: number | null;
    last_event: { type: ReloadEvent['type']; reason: string | null; amount_micros: number; at: string } | null;
  };
}

async function read(deps: Deps, account_id: string): Promise<LockedAccount> {
  const locked = await deps.store.readAccount(account_id);
  if (!locked) throw notFound('account', account_id);
  return locked;
}

export function extraUsageView(locked: LockedAccount, now_ms: number): ExtraUsageView {
  const { account, wallet } = locked;
  const cycle = cycleAt(account.anchor_ms, now_ms);
  const last = locked.last_reload_event;
  return {
    account_id: account.id,
    enabled: account.extra_usage_enabled,
    balance_micros: balanceMicros(wallet, now_ms),
    purchased_micros: wallet.purchased_micros,
    promotional_micros: promotionalMicros(wallet, now_ms),
    held_micros: wallet.held_micros,
    late_held_micros: wallet.late_held_micros,
    available_micros: availableMicros(wallet, now_ms),
    monthly_spend_limit_micros: account.monthly_spend_limit_micros,
    spent_this_cycle_micros: spentThisCycle(wallet, cycle),
    cycle_start: iso(cycle.start_ms),
    cycle_end: iso(cycle.end_ms),
    plan_status: planStatusAt(account, now_ms),
    auto_reload: {
      enabled: account.auto_reload.enabled,
      amount_micros: account.auto_reload.amount_micros,
      threshold_micros: account.auto_reload.threshold_micros,
      last_event: last ? { type: last.type, reason: last.reason, amount_micros: last.amount_micros, at: iso(last.at_ms) } : null,
    },
  };
}

export async function getExtraUsage(deps: Deps, account_id: string): Promise<ExtraUsageView> {
  return extraUsageView(await read(deps, account_id), deps.clock.now_ms());
}

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
  created_at: string;
  windows: Array<{ kind: string; seat: string | null; used: number; limit: number; resets_at: string | null }>;
}

/** Account, plan and allowance windows (for per-seat plans, the seat of `user_id`). */
export async function getAccountView(deps: Deps, account_id: string, user_id: string | null = null): Promise<AccountView> {
  const locked = await read(deps, account_id);
  const catalog = await deps.catalog.get();
  const now_ms = deps.clock.now_ms();
  const { account } = locked;
  const plan = account.plan_id ? catalog.plans.get(account.plan_id) : undefined;
  const seat = plan?.per_seat ? user_id ?? '' : '';
  const views = windowViews({ account, plan, seat_windows: locked.windows.get(seat) ?? new Map(), now_ms });
  const cycle = cycleAt(account.anchor_ms, now_ms);
  return {
    id: account.id,
    kind: account.kind,
    name: account.name,
    plan: plan ? { id: plan.id, name: plan.name, price_micros: plan.price_micros, per_seat: plan.per_seat } : null,
    plan_status: planStatusAt(account, now_ms),
    seats: account.seats,
    cancel_at: account.cancel_at_ms === null ? null : iso(account.cancel_at_ms),
    cycle_start: iso(cycle.start_ms),
    cycle_end: iso(cycle.end_ms),
    created_at: iso(account.created_at_ms),
    windows: views.map((w) => {
      // A rolling window that is closed opens at the next request: it has no reset time yet.
      const stored = locked.windows.get(seat)?.get(w.kind);
      const open = w.kind !== 'rolling_5h' || (stored?.start_ms !== null && stored?.start_ms === w.start_ms);
      return { kind: w.kind, seat: plan?.per_seat ? seat || null : null, used: w.used_tokens + w.held_tokens, limit: w.limit_tokens, resets_at: open ? iso(w.resets_at_ms) : null };
    }),
  };
}

export interface UsageQuery {
  from?: unknown;
  to?: unknown;
  granularity?: unknown;
  group_by?: unknown;
}

export interface UsageView {
  account_id: string;
  from: string;
  to: string;
  granularity: 'day' | 'month';
  group_by: 'app' | 'model' | 'source' | null;
  buckets: Array<Omit<UsageBucketRow, 'bucket' | 'group'> & { start: string; group: string | null }>;
  totals: { requests: number; cost_micros: number; extra_usage_micros: number; allowance_tokens: number };
}

function day(field: string, value: unknown, fallback: string): string {
  if (value === undefined || value === null || value === '') return fallback;
  return v.date(field, value);
}

export async function getUsage(deps: Deps, account_id: string, query: UsageQuery): Promise<UsageView> {
  const now_ms = deps.clock.now_ms();
  const to = day('to', query.to, utcDay(now_ms));
  const from = day('from', query.from, utcDay(Date.parse(to) - 29 * 86_400_000));
  if (from > to) throw invalid('from', 'must not be after to');
  if ((Date.parse(to) - Date.parse(from)) / 86_400_000 > limits.usage_query_days_max) throw invalid('from', `the range may span at most ${limits.usage_query_days_max} days`);
  const granularity = query.granularity === undefined ? 'day' : query.granularity;
  if (granularity !== 'day' && granularity !== 'month') throw invalid('granularity', 'must be day or month');
  const group_by = query.group_by === undefined || query.group_by === null || query.group_by === '' ? null : query.group_by;
  if (group_by !== null && group_by !== 'app' && group_by !== 'model' && group_by !== 'source') throw invalid('group_by', 'must be app, model or source');
  if (!(await deps.store.getAccount(account_id))) throw notFound('account', account_id);
  const rows = await deps.store.usageBuckets({ account_id, from_day: from, to_day: to, granularity, group_by });
  const totals = { requests: 0, cost_micros: 0, extra_usage_micros: 0, allowance_tokens: 0 };
  for (const r of rows) {
    totals.requests += r.requests;
    totals.cost_micros += r.cost_micros;
    totals.extra_usage_micros += r.extra_usage_micros;
    totals.allowance_tokens += r.allowance_tokens;
  }
  return {
    account_id,
    from,
    to,
    granularity,
    group_by,
    buckets: rows.map(({ bucket, ...rest }) => ({ ...rest, start: granularity === 'day' ? bucket : `${bucket}-01` })),
    totals,
  };
}

export async function listTransactions(deps: Deps, account_id: string, query: { limit?: unknown; before?: unknown }) {
  const limit = query.limit === undefined ? limits.page_size_default : v.integerIn('limit', Number(query.limit), 1, limits.page_size_max);
  const before_id = query.before === undefined ? undefined : v.integerIn('before', Number(query.before), 1, Number.MAX_SAFE_INTEGER);
  if (!(await deps.store.getAccount(account_id))) throw notFound('account', account_id);
  const rows = await deps.store.listTransfers({ account_id, limit: limit + 1, ...(before_id !== undefined ? { before_id } : {}) });
  const page = rows.slice(0, limit);
  return {
    account_id,
    data: page.map((t) => ({
      id: t.id,
      kind: t.kind,
      amount_micros: signedAmount(t.debit_book, t.credit_book, t.amount_micros),
      book: t.credit_book.startsWith('customer.') ? t.credit_book : t.debit_book,
      grant_id: t.grant_id,
      reference_id: t.reference_id,
      created_at: iso(t.created_at_ms),
    })),
    next_before: rows.length > limit ? page[page.length - 1]!.id : null,
  };
}

/** + when money came into the customer's books, − when it left. */
function signedAmount(debit_book: string, credit_book: string, amount_micros: number): number {
  if (credit_book.startsWith('customer.')) return amount_micros;
  if (debit_book.startsWith('customer.')) return -amount_micros;
  return 0;
}

export async function listAccountsForUser(deps: Deps, user_id: string): Promise<Array<{ account: AccountRecord; role: string }>> {
  return deps.store.listMemberships(user_id);
}
