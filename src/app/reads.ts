// Read models: what the page, the CLI and the API show. No writes.
import { cycleAt, DAY_MS } from '../domain/cycles';
import { limits } from '../domain/limits';
import { invalid, notFound } from '../domain/refusals';
import { availableMicros, balanceMicros, planStatusAt, promotionalMicros, spentThisCycle, utcDay } from '../domain/wallet';
import type { Deps } from './deps';
import type { AccountRecord, AuditEntry, LockedAccount, OutboxEvent, ReloadEvent, UsageBucketRow, UsageRecord } from './ports';
import { accountView } from './account-view';
import * as v from './validate';
import { catalogPlan } from './catalog-plan';
import { isPaidPlan } from '../domain/catalog';
import { frozenReason } from '../domain/lapse';
import { refundableFigures } from '../domain/refunds';
import { forecast, type Forecast } from '../domain/forecast';

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
  /** Purchased credits that a refund would return now (POST /v1/accounts/{id}/refunds). */
  refundable_micros: number;
  /** The balance is kept but cannot be used: no active paid plan (lapsed, or a free plan). */
  frozen: boolean;
  frozen_reason: string | null;
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

export function extraUsageView(
  locked: LockedAccount,
  now_ms: number,
  credits: { refundable_micros: number; paid_plan: boolean } = { refundable_micros: 0, paid_plan: true },
): ExtraUsageView {
  const { account, wallet } = locked;
  const status = planStatusAt(account, now_ms);
  const frozen_reason = frozenReason(status, credits.paid_plan);
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
    plan_status: status,
    refundable_micros: credits.refundable_micros,
    frozen: frozen_reason !== null,
    frozen_reason,
    auto_reload: {
      enabled: account.auto_reload.enabled,
      amount_micros: account.auto_reload.amount_micros,
      threshold_micros: account.auto_reload.threshold_micros,
      last_event: last ? { type: last.type, reason: last.reason, amount_micros: last.amount_micros, at: iso(last.at_ms) } : null,
    },
  };
}

/** The extra-usage view with its forecast (GET /v1/accounts/{id}/extra-usage). */
export type ExtraUsageAnswer = ExtraUsageView & { forecast: ForecastView };

export interface ForecastView {
  as_of: string;
  window_days: number;
  window_start: string;
  extra_usage_micros: number;
  per_day_micros: number;
  runs_out_at: string | null;
  limit_reached_at: string | null;
  projected_cycle_micros: number;
  suggested_limit_micros: number;
  suggested_reload: { amount_micros: number; threshold_micros: number };
}

function forecastView(f: Forecast): ForecastView {
  return {
    as_of: iso(f.as_of_ms),
    window_days: f.window_days,
    window_start: iso(f.window_start_ms),
    extra_usage_micros: f.extra_usage_micros,
    per_day_micros: f.per_day_micros,
    runs_out_at: f.runs_out_at_ms === null ? null : iso(f.runs_out_at_ms),
    limit_reached_at: f.limit_reached_at_ms === null ? null : iso(f.limit_reached_at_ms),
    projected_cycle_micros: f.projected_cycle_micros,
    suggested_limit_micros: f.suggested_limit_micros,
    suggested_reload: f.suggested_reload,
  };
}

/** Extra usage per UTC day of the forecast window, oldest first, from the same daily rollups as GET …/usage. */
async function dailyExtraUsage(deps: Deps, account_id: string, now_ms: number): Promise<number[]> {
  const days = Array.from({ length: limits.forecast_window_days }, (_, i) => utcDay(now_ms - (limits.forecast_window_days - 1 - i) * DAY_MS));
  const rows = await deps.store.usageBuckets({ account_id, from_day: days[0]!, to_day: days[days.length - 1]!, granularity: 'day', group_by: null });
  const by_day = new Map(rows.map((r) => [r.bucket, r.extra_usage_micros]));
  return days.map((d) => by_day.get(d) ?? 0);
}

export async function getExtraUsage(deps: Deps, account_id: string): Promise<ExtraUsageAnswer> {
  const locked = await read(deps, account_id);
  const now_ms = deps.clock.now_ms();
  const plan = catalogPlan(await deps.catalog.get(), locked.account);
  const purchases = await deps.store.readRefundablePurchases(account_id);
  const view = extraUsageView(locked, now_ms, {
    refundable_micros: refundableFigures(locked.wallet, purchases, now_ms).refundable_micros,
    paid_plan: plan !== undefined && isPaidPlan(plan),
  });
  return withForecast(deps, account_id, view, now_ms);
}

/** An extra-usage view with the forecast from the last days' usage, taken at `now_ms` (read after any transaction: it reads the rollups). */
export async function withForecast(deps: Deps, account_id: string, view: ExtraUsageView, now_ms: number): Promise<ExtraUsageAnswer> {
  const f = forecast({
    available_micros: view.available_micros,
    spent_this_cycle_micros: view.spent_this_cycle_micros,
    cycle_end_ms: Date.parse(view.cycle_end),
    monthly_spend_limit_micros: view.monthly_spend_limit_micros,
    daily_extra_usage_micros: await dailyExtraUsage(deps, account_id, now_ms),
    now_ms,
    purchase_bounds: { purchase_micros_min: deps.settings.purchase_micros_min, purchase_micros_max: deps.settings.purchase_micros_max },
  });
  return { ...view, forecast: forecastView(f) };
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
  const plan = locked.account.plan_id ? catalog.plans.get(locked.account.plan_id) : undefined;
  return accountView(locked, plan, deps.clock.now_ms(), user_id);
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

/** The days and granularity of a usage query (the last 30 days by day, by default); shared by accounts and API organizations. */
export function usageRange(query: UsageQuery, now_ms: number): { from: string; to: string; granularity: 'day' | 'month' } {
  const to = day('to', query.to, utcDay(now_ms));
  const from = day('from', query.from, utcDay(Date.parse(to) - (limits.usage_query_days_default - 1) * DAY_MS));
  if (from > to) throw invalid('from', 'must not be after to');
  if ((Date.parse(to) - Date.parse(from)) / DAY_MS > limits.usage_query_days_max)
    throw invalid('from', `the range may span at most ${limits.usage_query_days_max} days`);
  const granularity = query.granularity === undefined ? 'day' : query.granularity;
  if (granularity !== 'day' && granularity !== 'month') throw invalid('granularity', 'must be day or month');
  return { from, to, granularity };
}

export async function getUsage(deps: Deps, account_id: string, query: UsageQuery): Promise<UsageView> {
  const { from, to, granularity } = usageRange(query, deps.clock.now_ms());
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

// ---- lists: every one pages the same way ----------------------------------------------------

/** A page request as the API takes it: ?limit= and ?cursor= (the next_cursor of the page before). */
export interface PageRequest {
  limit?: unknown;
  cursor?: unknown;
  /** Deprecated alias of cursor (transactions were paged by ?before= first). */
  before?: unknown;
}

export interface Page<T> {
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}

export function pageLimit(query: PageRequest): number {
  return query.limit === undefined ? limits.page_size_default : v.integerIn('limit', Number(query.limit), 1, limits.page_size_max);
}

export function pageCursor(query: PageRequest): string | undefined {
  const cursor = query.cursor ?? query.before;
  if (cursor === undefined || cursor === null || cursor === '') return undefined;
  return v.text('cursor', cursor);
}

/** A cursor that is a row id of a list ordered by a numeric id. */
function numericCursor(query: PageRequest): number | undefined {
  const cursor = pageCursor(query);
  return cursor === undefined ? undefined : v.integerIn('cursor', Number(cursor), 1, Number.MAX_SAFE_INTEGER);
}

/** rows were read with limit + 1: the extra one says whether there is a next page. */
export function pageOf<T>(rows: T[], limit: number, cursorOf: (row: T) => string | number): Page<T> {
  const data = rows.slice(0, limit);
  const has_more = rows.length > limit;
  return { data, has_more, next_cursor: has_more ? String(cursorOf(data[data.length - 1]!)) : null };
}

async function accountExists(deps: Deps, account_id: string): Promise<void> {
  if (!(await deps.store.getAccount(account_id))) throw notFound('account', account_id);
}

export async function listTransactions(deps: Deps, account_id: string, query: PageRequest) {
  const limit = pageLimit(query);
  const before_id = numericCursor(query);
  await accountExists(deps, account_id);
  const rows = await deps.store.listTransfers({ account_id, limit: limit + 1, ...(before_id !== undefined ? { before_id } : {}) });
  const page = pageOf(rows, limit, (t) => t.id);
  return {
    account_id,
    data: page.data.map((t) => ({
      id: t.id,
      kind: t.kind,
      amount_micros: signedAmount(t.debit_book, t.credit_book, t.amount_micros),
      book: t.credit_book.startsWith('customer.') ? t.credit_book : t.debit_book,
      grant_id: t.grant_id,
      reference_id: t.reference_id,
      created_at: iso(t.created_at_ms),
    })),
    has_more: page.has_more,
    next_cursor: page.next_cursor,
    next_before: page.next_cursor === null ? null : Number(page.next_cursor),
  };
}

/** Charged requests, newest first. */
export async function listUsageRecords(deps: Deps, account_id: string, query: PageRequest): Promise<Page<UsageRecord>> {
  const limit = pageLimit(query);
  const before_id = pageCursor(query);
  await accountExists(deps, account_id);
  const rows = await deps.store.usageRecords({ account_id, limit: limit + 1, ...(before_id !== undefined ? { before_id } : {}) });
  return pageOf(rows, limit, (r) => r.id);
}

/** The account's notifications (outbox events), newest first. */
export async function listEvents(deps: Deps, account_id: string, query: PageRequest): Promise<Page<OutboxEvent & { id: number }>> {
  const limit = pageLimit(query);
  const before_id = numericCursor(query);
  await accountExists(deps, account_id);
  const rows = await deps.store.listOutbox({ account_id, limit: limit + 1, ...(before_id !== undefined ? { before_id } : {}) });
  return pageOf(rows, limit, (e) => e.id);
}

/** The audit log of every account (operator), newest first. */
export async function listAuditLog(deps: Deps, query: PageRequest): Promise<Page<AuditEntry & { id: number }>> {
  const limit = pageLimit(query);
  const before_id = numericCursor(query);
  const rows = await deps.store.listAudit({ account_id: null, limit: limit + 1, ...(before_id !== undefined ? { before_id } : {}) });
  return pageOf(rows, limit, (e) => e.id);
}

/** Every account by id (operator), optionally matching a name or id. */
export async function listAllAccounts(deps: Deps, query: PageRequest & { search?: string }): Promise<Page<AccountRecord>> {
  const limit = pageLimit(query);
  const after = pageCursor(query);
  const rows = await deps.store.listAccounts({
    ...(query.search ? { search: query.search } : {}),
    limit: limit + 1,
    ...(after !== undefined ? { after } : {}),
  });
  return pageOf(rows, limit, (a) => a.id);
}

/** A user's accounts with their role, in the order they joined; paged in memory (a user belongs to few). */
export async function listUserAccounts(deps: Deps, user_id: string, query: PageRequest): Promise<Page<{ account: AccountRecord; role: string }>> {
  const limit = pageLimit(query);
  const after = pageCursor(query);
  const all = await deps.store.listMemberships(user_id);
  const start = after === undefined ? 0 : all.findIndex((m) => m.account.id === after) + 1;
  // An unknown cursor gives an empty page, as the lists read with keyset paging do.
  const rest = after !== undefined && start === 0 ? [] : all.slice(start, start + limit + 1);
  return pageOf(rest, limit, (m) => m.account.id);
}

/** A whole list as one page: lists bounded by nature (a user's tokens, an account's cards). */
export function wholePage<T>(data: T[]): Page<T> {
  return { data, has_more: false, next_cursor: null };
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
