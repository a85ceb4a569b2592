// The only code that writes balances. SQL and row mapping (fromDb… / toDb…) live here; every
// write is set-based (INSERT … SELECT FROM unnest, UPDATE … FROM unnest) so a batch of a
// thousand operations costs a handful of statements.
import type { WindowKind } from '../domain/catalog';
import type { WindowState } from '../domain/cycles';
import type { Funding, SeatWindows } from '../domain/funding';
import { BOOKS, type AuditFinding, type Transfer } from '../domain/ledger';
import { usageOf, type TokenUsage } from '../domain/pricing';
import { utcDay, type WalletState } from '../domain/wallet';
import type {
  AccountChanges,
  AccountRecord,
  AuditEntry,
  AuthorizationRecord,
  CatalogData,
  GrantRecord,
  InvitationRecord,
  LockedAccount,
  MeterBatchWrites,
  MeterCommitProbe,
  OutboxEvent,
  PaymentMethodRecord,
  PurchaseRecord,
  ReloadEvent,
  Role,
  Store,
  StoreTx,
  TokenKind,
  TokenRecord,
  TransferRow,
  UsageBucketRow,
  UsageRecord,
  UserRecord,
  WindowRow,
} from '../app/ports';
import type { Db, Sql } from './db';
import { AppError } from '../domain/refusals';

type Row = Record<string, any>;

const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
const ms = (value: unknown): number => {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') return Date.parse(value);
  throw new Error(`not a timestamp: ${String(value)}`);
};
const msOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : ms(value));
const json = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));
const parseJson = <T>(value: unknown): T => (typeof value === 'string' ? (JSON.parse(value) as T) : (value as T));

// ---- named constraints ------------------------------------------------------------------------

/**
 * The named constraints that input can break, as the typed error each one means: the one place
 * a database refusal becomes an answer. `field` is the input the row came from, as precise as
 * the caller knows it (`prices[3]`); each entry has a default for callers that do not say.
 */
const CONSTRAINT_ERRORS: Record<string, { field: string; error: (field: string) => AppError }> = {
  model_prices_model_effective_unique: {
    field: 'prices',
    error: (field) => new AppError('conflict', `${field}.effective_at: the model already has a price version from this instant; give the new version a later effective_at.`, { field: `${field}.effective_at` }),
  },
  model_prices_model_id_fkey: {
    field: 'prices',
    error: (field) => new AppError('invalid_request', `${field}.model_id: names a model that is not in the catalog; add it under models first.`, { field: `${field}.model_id` }),
  },
};

/** A database error from a named constraint as its typed error; anything else unchanged. */
export function constraintError(error: unknown, field?: string): unknown {
  const name = (error as { constraint?: unknown } | null)?.constraint;
  const entry = typeof name === 'string' ? CONSTRAINT_ERRORS[name] : undefined;
  return entry ? entry.error(field ?? entry.field) : error;
}

// ---- row mapping ---------------------------------------------------------------------------

function fromDbAccount(r: Row): AccountRecord {
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

function fromDbWallet(r: Row, grants: GrantRecord[]): WalletState {
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

function fromDbReloadEvent(value: unknown): ReloadEvent | null {
  return value === null || value === undefined ? null : parseJson<ReloadEvent>(value);
}

function fromDbGrant(r: Row): GrantRecord {
  return { id: r.id, account_id: r.account_id, amount_micros: r.amount_micros, remaining_micros: r.remaining_micros, expires_at_ms: msOrNull(r.expires_at), reason: r.reason, created_at_ms: ms(r.created_at) };
}

function fromDbAuthorization(r: Row): AuthorizationRecord {
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
  };
}

function fromDbUsage(r: Row): UsageRecord {
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
    usage: usageOf({ input_tokens: r.input_tokens, output_tokens: r.output_tokens, cache_creation_input_tokens: r.cache_creation_input_tokens, cache_read_input_tokens: r.cache_read_input_tokens, cache_creation_1h_input_tokens: r.cache_creation_1h_input_tokens }),
    allowance_tokens: r.allowance_tokens,
    cost_micros: r.cost_micros,
    extra_usage_micros: r.extra_usage_micros,
    occurred_at_ms: ms(r.occurred_at),
    recorded_at_ms: ms(r.recorded_at),
    beyond_hold: r.beyond_hold,
    late: r.late,
    actor: r.actor,
    request_id: r.request_id,
  };
}

function fromDbPurchase(r: Row): PurchaseRecord {
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
  };
}

function fromDbPaymentMethod(r: Row): PaymentMethodRecord {
  return { id: r.id, account_id: r.account_id, provider: r.provider, provider_ref: r.provider_ref, brand: r.brand, last4: r.last4, exp_month: r.exp_month, exp_year: r.exp_year, created_at_ms: ms(r.created_at) };
}

function fromDbInvitation(r: Row): InvitationRecord {
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

function fromDbUser(r: Row): UserRecord {
  return { id: r.id, email: r.email, password_hash: r.password_hash, created_at_ms: ms(r.created_at) };
}

function fromDbTransfer(r: Row): TransferRow {
  return { id: r.id, account_id: r.account_id, kind: r.kind, debit_book: r.debit_book, credit_book: r.credit_book, amount_micros: r.amount_micros, grant_id: r.grant_id, reference_id: r.reference_id, created_at_ms: ms(r.created_at) };
}

/** Columns as parallel arrays for `unnest`, in the order of `columns`. */
function columnsOf<T>(rows: T[], columns: Array<(row: T) => unknown>): unknown[][] {
  return columns.map((pick) => rows.map(pick));
}

// ---- locked reads shared by the transaction and the plain reads ------------------------------

async function loadAccounts(sql: Sql, account_ids: string[], lock: boolean): Promise<Map<string, LockedAccount>> {
  const ids = [...new Set(account_ids)].sort();
  const out = new Map<string, LockedAccount>();
  if (ids.length === 0) return out;
  // Rows are locked in account_id order, so two transactions never wait on each other in a cycle.
  // Both rows are locked, wallet and account: under READ COMMITTED a row that is only joined
  // is read from the statement's snapshot, so a writer that waited for the wallet lock would
  // see the account as it was before the writer it waited for (and undo that writer's change).
  // A locked row is re-read at its newest version once the lock is granted. NO KEY UPDATE: it
  // does not block the foreign-key checks of rows that refer to the account.
  const rows = await sql.query<Row>(
    `SELECT w.purchased_micros, w.promotional_micros, w.held_micros, w.late_held_micros, w.spent_cycle_micros, w.spent_cycle_start,
            w.redeemed_day, w.redeemed_day_micros, w.reload_in_flight, w.auto_reload_last_event, a.*
       FROM wallets w JOIN accounts a ON a.id = w.account_id
      WHERE w.account_id = ANY($1::text[])
      ORDER BY w.account_id ${lock ? 'FOR NO KEY UPDATE OF w, a' : ''}`,
    [ids],
  );
  const with_grants = rows.filter((r) => r.promotional_micros > 0).map((r) => r.id as string);
  const grants = new Map<string, GrantRecord[]>();
  if (with_grants.length > 0) {
    const grant_rows = await sql.query<Row>(`SELECT * FROM grants WHERE account_id = ANY($1::text[]) AND remaining_micros > 0 ORDER BY id`, [with_grants]);
    for (const g of grant_rows.map(fromDbGrant)) grants.set(g.account_id, [...(grants.get(g.account_id) ?? []), g]);
  }
  const window_rows = await sql.query<Row>(`SELECT * FROM allowance_windows WHERE account_id = ANY($1::text[])`, [ids]);
  const windows = new Map<string, Map<string, SeatWindows>>();
  for (const w of window_rows) {
    const by_seat = windows.get(w.account_id) ?? new Map<string, SeatWindows>();
    const seat = by_seat.get(w.seat) ?? new Map<WindowKind, WindowState>();
    seat.set(w.kind, { kind: w.kind, start_ms: ms(w.start_at), used_tokens: w.used_tokens, held_tokens: w.held_tokens });
    by_seat.set(w.seat, seat);
    windows.set(w.account_id, by_seat);
  }
  for (const r of rows) {
    out.set(r.id, {
      account: fromDbAccount(r),
      wallet: fromDbWallet(r, grants.get(r.id) ?? []),
      windows: windows.get(r.id) ?? new Map(),
      last_reload_event: fromDbReloadEvent(r.auto_reload_last_event),
    });
  }
  return out;
}

// ---- set-based writes, as parts that compose -------------------------------------------------
// Each part is one INSERT/UPDATE … FROM unnest statement for a whole set of rows; it appends
// its column arrays to `params` and refers to them as $n. Alone, a part is run as it is; a
// metering batch joins its parts into one statement (PgStoreTx.writeMeterBatch).

type WalletWrite = { account_id: string; wallet: WalletState; last_reload_event?: ReloadEvent | null };
/** Returns the statement, or null when there is nothing to write. */
type Part<T> = (params: unknown[], rows: T[], now_ms: number) => string | null;

/** Appends each column (as an array) to `params`; returns `$n::type[]` for each, in order. */
function arrays<T>(params: unknown[], rows: T[], columns: Array<[string, (row: T) => unknown]>): string[] {
  return columns.map(([type, pick]) => {
    params.push(arrayLiteral(rows, pick));
    return `$${params.length}::${type}[]`;
  });
}

const needs_escape = /["\\]/;

/**
 * A column as PostgreSQL's array literal, built in one pass: `{"a","b\"c",NULL,12}`. The driver
 * would build the same text from a JS array, but element by element with two regex replaces
 * each (5–8% of the metering path's CPU in the profile, and as much again in garbage). Strings
 * are always quoted (so "NULL" stays a string); numbers and booleans are written as they are —
 * the statement's cast (`$n::bigint[]`, `::boolean[]`) refuses anything else.
 */
function arrayLiteral<T>(rows: T[], pick: (row: T) => unknown): string {
  let out = '{';
  for (let i = 0; i < rows.length; i++) {
    const value = pick(rows[i]!);
    if (i > 0) out += ',';
    if (value === null || value === undefined) out += 'NULL';
    else if (typeof value === 'number' || typeof value === 'boolean') out += String(value);
    else {
      const text = String(value);
      out += needs_escape.test(text) ? `"${text.replace(/["\\]/g, '\\$&')}"` : `"${text}"`;
    }
  }
  return `${out}}`;
}

const byAccount = <T extends { account_id: string }>(rows: T[]) => [...rows].sort((a, b) => (a.account_id < b.account_id ? -1 : 1));

const walletsUpdate: Part<WalletWrite> = (params, rows, now_ms) => {
  const a = arrays(params, byAccount(rows), [
    ['text', (r) => r.account_id],
    ['bigint', (r) => r.wallet.purchased_micros],
    ['bigint', (r) => r.wallet.grants.reduce((sum, g) => sum + g.remaining_micros, 0)],
    ['bigint', (r) => r.wallet.held_micros],
    ['bigint', (r) => r.wallet.late_held_micros],
    ['bigint', (r) => r.wallet.spent_cycle_micros],
    ['timestamptz', (r) => iso(r.wallet.spent_cycle_start_ms)],
    ['date', (r) => r.wallet.redeemed_day],
    ['bigint', (r) => r.wallet.redeemed_day_micros],
    ['boolean', (r) => r.wallet.reload_in_flight],
    ['boolean', (r) => r.last_reload_event !== undefined],
    ['text', (r) => json(r.last_reload_event ?? null)],
  ]);
  params.push(iso(now_ms));
  return `UPDATE wallets SET
         purchased_micros = u.purchased, promotional_micros = u.promotional, held_micros = u.held, late_held_micros = u.late_held,
         spent_cycle_micros = u.spent, spent_cycle_start = u.spent_start, redeemed_day = u.redeemed_day,
         redeemed_day_micros = u.redeemed, reload_in_flight = u.in_flight,
         auto_reload_last_event = CASE WHEN u.set_event THEN u.event::jsonb ELSE wallets.auto_reload_last_event END,
         updated_at = $${params.length}::timestamptz
       FROM unnest(${a.join(', ')})
         AS u(account_id, purchased, promotional, held, late_held, spent, spent_start, redeemed_day, redeemed, in_flight, set_event, event)
       WHERE wallets.account_id = u.account_id`;
};

const grantsUpdate: Part<WalletWrite> = (params, rows) => {
  const grants = byAccount(rows).flatMap((r) => r.wallet.grants);
  if (grants.length === 0) return null;
  const a = arrays(params, grants, [
    ['text', (g) => g.id],
    ['bigint', (g) => g.remaining_micros],
  ]);
  return `UPDATE grants SET remaining_micros = u.remaining FROM unnest(${a.join(', ')}) AS u(id, remaining)
          WHERE grants.id = u.id AND grants.remaining_micros <> u.remaining`;
};

const windowsUpsert: Part<WindowRow> = (params, rows) => {
  const live = rows.filter((r) => r.state.start_ms !== null);
  if (live.length === 0) return null;
  live.sort((a, b) => (a.account_id + a.seat + a.state.kind < b.account_id + b.seat + b.state.kind ? -1 : 1));
  const a = arrays(params, live, [
    ['text', (r) => r.account_id],
    ['text', (r) => r.seat],
    ['text', (r) => r.state.kind],
    ['timestamptz', (r) => iso(r.state.start_ms)],
    ['bigint', (r) => r.state.used_tokens],
    ['bigint', (r) => r.state.held_tokens],
  ]);
  return `INSERT INTO allowance_windows (account_id, seat, kind, start_at, used_tokens, held_tokens)
       SELECT * FROM unnest(${a.join(', ')})
       ON CONFLICT (account_id, seat, kind) DO UPDATE SET start_at = EXCLUDED.start_at, used_tokens = EXCLUDED.used_tokens, held_tokens = EXCLUDED.held_tokens`;
};

const transfersInsert: Part<Transfer> = (params, rows) => {
  const a = arrays(params, rows, [
    ['text', (r) => r.account_id],
    ['text', (r) => r.kind],
    ['text', (r) => r.debit_book],
    ['text', (r) => r.credit_book],
    ['bigint', (r) => r.amount_micros],
    ['text', (r) => r.grant_id],
    ['text', (r) => r.reference_id],
    ['timestamptz', (r) => iso(r.created_at_ms)],
  ]);
  return `INSERT INTO transfers (account_id, kind, debit_book, credit_book, amount_micros, grant_id, reference_id, created_at)
       SELECT * FROM unnest(${a.join(', ')})`;
};

const outboxInsert: Part<OutboxEvent> = (params, rows) => {
  const a = arrays(params, rows, [
    ['text', (r) => r.account_id],
    ['text', (r) => r.type],
    ['text', (r) => json(r.payload)],
    ['timestamptz', (r) => iso(r.created_at_ms)],
  ]);
  return `INSERT INTO outbox (account_id, type, payload, created_at)
       SELECT a, t, p::jsonb, c FROM unnest(${a.join(', ')}) AS u(a, t, p, c)`;
};

/** Every column, so an authorization created and finished in one batch is inserted as it ends. */
const authorizationsInsert: Part<AuthorizationRecord> = (params, rows) => {
  const a = arrays(params, rows, [
    ['text', (r) => r.id],
    ['text', (r) => r.account_id],
    ['text', (r) => r.idempotency_key],
    ['text', (r) => r.request_hash],
    ['text', (r) => r.user_id],
    ['text', (r) => r.seat],
    ['text', (r) => r.app_id],
    ['text', (r) => r.model_id],
    ['text', (r) => r.price_id],
    ['bigint', (r) => r.input_tokens],
    ['bigint', (r) => r.max_output_tokens],
    ['text', (r) => r.funding.source],
    ['text', (r) => r.funding.reason],
    ['bigint', (r) => r.funding.allowance_tokens],
    ['bigint', (r) => r.funding.held_micros],
    ['bigint', (r) => r.funding.max_cost_micros],
    ['text', (r) => json(r.funding.windows)],
    ['text', (r) => r.status],
    ['text', (r) => r.cache_write],
    ['boolean', (r) => r.late_counted],
    ['boolean', (r) => r.beyond_hold],
    ['timestamptz', (r) => iso(r.created_at_ms)],
    ['timestamptz', (r) => iso(r.expires_at_ms)],
    ['timestamptz', (r) => iso(r.finished_at_ms)],
    ['text', (r) => r.settle_hash],
    ['text', (r) => json(r.usage)],
    ['bigint', (r) => r.cost_micros],
    ['bigint', (r) => r.charged_micros],
    ['bigint', (r) => r.settled_allowance_tokens],
  ]);
  return `INSERT INTO authorizations (id, account_id, idempotency_key, request_hash, user_id, seat, app_id, model_id, price_id,
          input_tokens, max_output_tokens, source, reason, allowance_tokens, held_micros, max_cost_micros, windows, status,
          cache_write, late_counted, beyond_hold, created_at, expires_at, finished_at, settle_hash, usage, cost_micros, charged_micros, settled_allowance_tokens)
       SELECT i, a, k, h, u, s, ap, m, p, it, mo, so, re, al, he, mc, w::jsonb, st, cw, lc, bh, c, e, f, sh, us::jsonb, co, ch, sa
         FROM unnest(${a.join(', ')})
           AS x(i, a, k, h, u, s, ap, m, p, it, mo, so, re, al, he, mc, w, st, cw, lc, bh, c, e, f, sh, us, co, ch, sa)`;
};

const authorizationsUpdate: Part<AuthorizationRecord> = (params, rows) => {
  const a = arrays(params, rows, [
    ['text', (r) => r.id],
    ['text', (r) => r.status],
    ['timestamptz', (r) => iso(r.finished_at_ms)],
    ['text', (r) => r.settle_hash],
    ['text', (r) => json(r.usage)],
    ['bigint', (r) => r.cost_micros],
    ['bigint', (r) => r.charged_micros],
    ['bigint', (r) => r.settled_allowance_tokens],
    ['boolean', (r) => r.late_counted],
    ['boolean', (r) => r.beyond_hold],
  ]);
  return `UPDATE authorizations SET status = u.status, finished_at = u.finished_at, settle_hash = u.settle_hash, usage = u.usage::jsonb,
              cost_micros = u.cost, charged_micros = u.charged, settled_allowance_tokens = u.allowance,
              late_counted = u.late_counted, beyond_hold = u.beyond_hold
         FROM unnest(${a.join(', ')})
           AS u(id, status, finished_at, settle_hash, usage, cost, charged, allowance, late_counted, beyond_hold)
        WHERE authorizations.id = u.id`;
};

const usageRecordsInsert: Part<UsageRecord> = (params, rows) => {
  const a = arrays(params, rows, [
    ['text', (r) => r.id],
    ['text', (r) => r.account_id],
    ['text', (r) => r.authorization_id],
    ['text', (r) => r.event_id],
    ['text', (r) => r.event_hash],
    ['text', (r) => r.user_id],
    ['text', (r) => r.app_id],
    ['text', (r) => r.model_id],
    ['text', (r) => r.price_id],
    ['text', (r) => r.source],
    ['text', (r) => r.reason],
    ['bigint', (r) => r.usage.input_tokens],
    ['bigint', (r) => r.usage.output_tokens],
    ['bigint', (r) => r.usage.cache_creation_input_tokens],
    ['bigint', (r) => r.usage.cache_read_input_tokens],
    ['bigint', (r) => r.allowance_tokens],
    ['bigint', (r) => r.cost_micros],
    ['bigint', (r) => r.extra_usage_micros],
    ['timestamptz', (r) => iso(r.occurred_at_ms)],
    ['timestamptz', (r) => iso(r.recorded_at_ms)],
    ['boolean', (r) => r.beyond_hold],
    ['boolean', (r) => r.late],
    ['text', (r) => r.actor],
    ['text', (r) => r.request_id],
    ['bigint', (r) => r.usage.cache_creation_1h_input_tokens ?? 0],
  ]);
  return `INSERT INTO usage_records (id, account_id, authorization_id, event_id, event_hash, user_id, app_id, model_id, price_id, source, reason,
          input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens, allowance_tokens, cost_micros, extra_usage_micros,
          occurred_at, recorded_at, beyond_hold, late, actor, request_id, cache_creation_1h_input_tokens)
       SELECT * FROM unnest(${a.join(', ')})`;
};

/** Adds usage records to their daily rollups, summed here so one statement never touches a key twice. */
const usageDailyAdd: Part<UsageRecord> = (params, rows) => {
  const buckets = new Map<string, { key: [string, string, string, string, string]; sums: number[] }>();
  for (const r of rows) {
    const key: [string, string, string, string, string] = [r.account_id, utcDay(r.occurred_at_ms), r.app_id, r.model_id, r.source];
    const id = key.join('\u0000');
    const bucket = buckets.get(id) ?? { key, sums: [0, 0, 0, 0, 0, 0, 0, 0, 0] };
    const add = [1, r.usage.input_tokens, r.usage.output_tokens, r.usage.cache_creation_input_tokens, r.usage.cache_read_input_tokens, r.allowance_tokens, r.cost_micros, r.extra_usage_micros, r.usage.cache_creation_1h_input_tokens ?? 0];
    for (let i = 0; i < add.length; i++) bucket.sums[i]! += add[i]!;
    buckets.set(id, bucket);
  }
  const list = [...buckets.values()].sort((a, b) => (a.key.join('\u0000') < b.key.join('\u0000') ? -1 : 1));
  const a = arrays(params, list, [
    ['text', (b) => b.key[0]],
    ['date', (b) => b.key[1]],
    ['text', (b) => b.key[2]],
    ['text', (b) => b.key[3]],
    ['text', (b) => b.key[4]],
    ...[0, 1, 2, 3, 4, 5, 6, 7, 8].map((i): [string, (b: { sums: number[] }) => unknown] => ['bigint', (b) => b.sums[i]]),
  ]);
  return `INSERT INTO usage_daily (account_id, day, app_id, model_id, source, requests, input_tokens, output_tokens,
          cache_creation_input_tokens, cache_read_input_tokens, allowance_tokens, cost_micros, extra_usage_micros, cache_creation_1h_input_tokens)
       SELECT * FROM unnest(${a.join(', ')})
       ON CONFLICT (account_id, day, app_id, model_id, source) DO UPDATE SET
         requests = usage_daily.requests + EXCLUDED.requests,
         input_tokens = usage_daily.input_tokens + EXCLUDED.input_tokens,
         output_tokens = usage_daily.output_tokens + EXCLUDED.output_tokens,
         cache_creation_input_tokens = usage_daily.cache_creation_input_tokens + EXCLUDED.cache_creation_input_tokens,
         cache_read_input_tokens = usage_daily.cache_read_input_tokens + EXCLUDED.cache_read_input_tokens,
         allowance_tokens = usage_daily.allowance_tokens + EXCLUDED.allowance_tokens,
         cost_micros = usage_daily.cost_micros + EXCLUDED.cost_micros,
         extra_usage_micros = usage_daily.extra_usage_micros + EXCLUDED.extra_usage_micros,
         cache_creation_1h_input_tokens = usage_daily.cache_creation_1h_input_tokens + EXCLUDED.cache_creation_1h_input_tokens`;
};

class PgStoreTx implements StoreTx {
  constructor(private readonly sql: Sql) {}

  lockAccounts(account_ids: string[]) {
    return loadAccounts(this.sql, account_ids, true);
  }

  async saveWallets(rows: WalletWrite[], now_ms: number) {
    await this.run([walletsUpdate, rows, now_ms], [grantsUpdate, rows]);
  }

  async saveWindows(rows: WindowRow[]) {
    await this.run([windowsUpsert, rows]);
  }

  async insertTransfers(rows: Transfer[]) {
    await this.run([transfersInsert, rows]);
  }

  async insertOutbox(rows: OutboxEvent[]) {
    await this.run([outboxInsert, rows]);
  }

  async insertAudit(rows: AuditEntry[]) {
    if (rows.length === 0) return;
    await this.sql.query(
      `INSERT INTO audit_log (account_id, actor, action, request_id, details, created_at)
       SELECT a, ac, act, r, d::jsonb, c FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[]) AS u(a, ac, act, r, d, c)`,
      columnsOf(rows, [(r) => r.account_id, (r) => r.actor, (r) => r.action, (r) => r.request_id, (r) => json(r.details), (r) => iso(r.created_at_ms)]),
    );
  }

  async findAuditByIdempotencyKey(account_id: string, action: string, idempotency_key: string) {
    const [r] = await this.sql.query<Row>(`SELECT * FROM audit_log WHERE account_id = $1 AND action = $2 AND details->>'idempotency_key' = $3 ORDER BY id LIMIT 1`, [account_id, action, idempotency_key]);
    return r ? { account_id: r.account_id, actor: r.actor, action: r.action, request_id: r.request_id, details: parseJson<Record<string, unknown>>(r.details), created_at_ms: ms(r.created_at) } : undefined;
  }

  async getAuthorizations(ids: string[]) {
    const out = new Map<string, AuthorizationRecord>();
    if (ids.length === 0) return out;
    const rows = await this.sql.query<Row>(`SELECT * FROM authorizations WHERE id = ANY($1::text[])`, [[...new Set(ids)]]);
    for (const r of rows) out.set(r.id, fromDbAuthorization(r));
    return out;
  }

  async getAuthorizationsByKey(pairs: Array<{ account_id: string; idempotency_key: string }>) {
    if (pairs.length === 0) return [];
    const rows = await this.sql.query<Row>(
      `SELECT a.* FROM authorizations a JOIN unnest($1::text[], $2::text[]) AS k(account_id, idempotency_key)
         ON a.account_id = k.account_id AND a.idempotency_key = k.idempotency_key`,
      columnsOf(pairs, [(p) => p.account_id, (p) => p.idempotency_key]),
    );
    return rows.map(fromDbAuthorization);
  }

  async insertAuthorizations(rows: AuthorizationRecord[]) {
    await this.run([authorizationsInsert, rows]);
  }

  async updateAuthorizations(rows: AuthorizationRecord[]) {
    await this.run([authorizationsUpdate, rows]);
  }

  async getUsageEvents(pairs: Array<{ account_id: string; event_id: string }>) {
    if (pairs.length === 0) return [];
    const rows = await this.sql.query<Row>(
      `SELECT r.* FROM usage_records r JOIN unnest($1::text[], $2::text[]) AS k(account_id, event_id)
         ON r.account_id = k.account_id AND r.event_id = k.event_id`,
      columnsOf(pairs, [(p) => p.account_id, (p) => p.event_id]),
    );
    return rows.map(fromDbUsage);
  }

  async insertUsageRecords(rows: UsageRecord[]) {
    await this.run([usageRecordsInsert, rows], [usageDailyAdd, rows]);
  }

  /**
   * A metering batch's writes as one statement: each part is a data-modifying CTE, so the
   * batch costs one round trip and one parse instead of up to nine. The parts touch different
   * rows (authorizations created in the batch are inserted in their final state, never also
   * updated), which is what a single statement's shared snapshot requires.
   */
  async writeMeterBatch(w: MeterBatchWrites, now_ms: number) {
    const fresh = new Set(w.new_authorizations);
    await this.run(
      [authorizationsInsert, w.new_authorizations],
      [authorizationsUpdate, w.changed_authorizations.filter((a) => !fresh.has(a))],
      [usageRecordsInsert, w.usage],
      [usageDailyAdd, w.usage],
      [transfersInsert, w.transfers],
      [walletsUpdate, w.wallets, now_ms],
      [grantsUpdate, w.wallets],
      [windowsUpsert, w.windows],
      [outboxInsert, w.outbox],
    );
  }

  /** Runs the non-empty parts as one statement (one part: itself; more: CTEs before the last). */
  private async run(...parts: Array<[Part<any>, any[]] | [Part<any>, any[], number]>) {
    const params: unknown[] = [];
    const statements: string[] = [];
    for (const [part, rows, now_ms] of parts) {
      const statement = rows.length > 0 ? part(params, rows, now_ms ?? 0) : null;
      if (statement !== null) statements.push(statement);
    }
    if (statements.length === 0) return;
    const last = statements.pop()!;
    const sql = statements.length === 0 ? last : `WITH ${statements.map((st, i) => `w${i} AS (${st})`).join(',\n')}\n${last}`;
    await this.sql.query(sql, params);
  }

  async getMembers(pairs: Array<{ account_id: string; user_id: string }>) {
    const out = new Set<string>();
    if (pairs.length === 0) return out;
    const rows = await this.sql.query<Row>(
      `SELECT m.account_id, m.user_id FROM memberships m JOIN unnest($1::text[], $2::text[]) AS k(account_id, user_id)
         ON m.account_id = k.account_id AND m.user_id = k.user_id`,
      columnsOf(pairs, [(p) => p.account_id, (p) => p.user_id]),
    );
    for (const r of rows) out.add(`${r.account_id}\u0000${r.user_id}`);
    return out;
  }

  async insertAccount(account: AccountRecord, now_ms: number) {
    await this.sql.query(
      `INSERT INTO accounts (id, kind, name, plan_id, seats, anchor_at, cancel_at, extra_usage_enabled, monthly_spend_limit_micros,
          auto_reload_enabled, auto_reload_amount_micros, auto_reload_threshold_micros, default_payment_method_id, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [account.id, account.kind, account.name, account.plan_id, account.seats, iso(account.anchor_ms), iso(account.cancel_at_ms), account.extra_usage_enabled, account.monthly_spend_limit_micros, account.auto_reload.enabled, account.auto_reload.amount_micros, account.auto_reload.threshold_micros, account.default_payment_method_id, iso(account.created_at_ms)],
    );
    await this.sql.query(`INSERT INTO wallets (account_id, spent_cycle_start, updated_at) VALUES ($1, $2, $3)`, [account.id, iso(account.anchor_ms), iso(now_ms)]);
  }

  async updateAccount(account_id: string, changes: AccountChanges) {
    const params: unknown[] = [account_id];
    const sets: string[] = [];
    const set = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (changes.name !== undefined) set('name', changes.name);
    if (changes.plan_id !== undefined) set('plan_id', changes.plan_id);
    if (changes.seats !== undefined) set('seats', changes.seats);
    if (changes.anchor_ms !== undefined) set('anchor_at', iso(changes.anchor_ms));
    if (changes.cancel_at_ms !== undefined) set('cancel_at', iso(changes.cancel_at_ms));
    if (changes.extra_usage_enabled !== undefined) set('extra_usage_enabled', changes.extra_usage_enabled);
    if (changes.monthly_spend_limit_micros !== undefined) set('monthly_spend_limit_micros', changes.monthly_spend_limit_micros);
    if (changes.default_payment_method_id !== undefined) set('default_payment_method_id', changes.default_payment_method_id);
    if (changes.auto_reload?.enabled !== undefined) set('auto_reload_enabled', changes.auto_reload.enabled);
    if (changes.auto_reload?.amount_micros !== undefined) set('auto_reload_amount_micros', changes.auto_reload.amount_micros);
    if (changes.auto_reload?.threshold_micros !== undefined) set('auto_reload_threshold_micros', changes.auto_reload.threshold_micros);
    if (sets.length === 0) return;
    const rows = await this.sql.query<Row>(`UPDATE accounts SET ${sets.join(', ')} WHERE id = $1 RETURNING id`, params);
    if (rows.length !== 1) throw new Error(`updateAccount: account ${account_id} does not exist`);
  }

  async insertUser(user: UserRecord) {
    await this.sql.query(`INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)`, [user.id, user.email, user.password_hash, iso(user.created_at_ms)]);
  }

  async insertMembership(account_id: string, user_id: string, role: Role, now_ms: number) {
    await this.sql.query(
      `INSERT INTO memberships (account_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (account_id, user_id) DO UPDATE SET role = EXCLUDED.role`,
      [account_id, user_id, role, iso(now_ms)],
    );
  }

  async memberUserIds(account_id: string) {
    const rows = await this.sql.query<Row>(`SELECT user_id FROM memberships WHERE account_id = $1`, [account_id]);
    return rows.map((r) => r.user_id as string);
  }

  async upsertInvitation(i: InvitationRecord) {
    const rows = await this.sql.query<Row>(
      `INSERT INTO invitations (id, account_id, email, role, invited_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (account_id, email) WHERE accepted_at IS NULL AND declined_at IS NULL
       DO UPDATE SET role = EXCLUDED.role, invited_by = EXCLUDED.invited_by, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
       RETURNING *`,
      [i.id, i.account_id, i.email, i.role, i.invited_by, iso(i.created_at_ms), iso(i.expires_at_ms)],
    );
    return fromDbInvitation(rows[0]!);
  }

  async lockInvitation(id: string) {
    const rows = await this.sql.query<Row>(`SELECT * FROM invitations WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0] ? fromDbInvitation(rows[0]) : undefined;
  }

  async updateInvitation(i: InvitationRecord) {
    await this.sql.query(`UPDATE invitations SET accepted_at = $2, accepted_by = $3, declined_at = $4 WHERE id = $1`, [i.id, iso(i.accepted_at_ms), i.accepted_by, iso(i.declined_at_ms)]);
  }

  async countPendingInvitations(account_id: string, now_ms: number, except_email: string) {
    const rows = await this.sql.query<Row>(
      `SELECT COUNT(*)::bigint AS n FROM invitations WHERE account_id = $1 AND accepted_at IS NULL AND declined_at IS NULL AND expires_at > $2 AND email <> $3`,
      [account_id, iso(now_ms), except_email],
    );
    return rows[0]!.n as number;
  }

  async insertGrants(rows: GrantRecord[]) {
    if (rows.length === 0) return;
    await this.sql.query(
      `INSERT INTO grants (id, account_id, amount_micros, remaining_micros, expires_at, reason, created_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::timestamptz[], $6::text[], $7::timestamptz[])`,
      columnsOf(rows, [(r) => r.id, (r) => r.account_id, (r) => r.amount_micros, (r) => r.remaining_micros, (r) => iso(r.expires_at_ms), (r) => r.reason, (r) => iso(r.created_at_ms)]),
    );
  }

  async getPurchaseByKey(account_id: string, idempotency_key: string) {
    const rows = await this.sql.query<Row>(`SELECT * FROM purchases WHERE account_id = $1 AND idempotency_key = $2`, [account_id, idempotency_key]);
    return rows[0] ? fromDbPurchase(rows[0]) : undefined;
  }

  async getPurchase(id: string) {
    const rows = await this.sql.query<Row>(`SELECT * FROM purchases WHERE id = $1`, [id]);
    return rows[0] ? fromDbPurchase(rows[0]) : undefined;
  }

  async insertPurchase(p: PurchaseRecord) {
    await this.sql.query(
      `INSERT INTO purchases (id, account_id, kind, idempotency_key, request_hash, amount_micros, payment_method_id, status, attempts,
          failure_type, failure_message, provider_charge_id, actor, created_at, completed_at, next_attempt_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
      [p.id, p.account_id, p.kind, p.idempotency_key, p.request_hash, p.amount_micros, p.payment_method_id, p.status, p.attempts, p.failure_type, p.failure_message, p.provider_charge_id, p.actor, iso(p.created_at_ms), iso(p.completed_at_ms), iso(p.next_attempt_at_ms)],
    );
  }

  async updatePurchase(p: PurchaseRecord) {
    await this.sql.query(
      `UPDATE purchases SET status = $2, attempts = $3, failure_type = $4, failure_message = $5, provider_charge_id = $6, completed_at = $7, next_attempt_at = $8 WHERE id = $1`,
      [p.id, p.status, p.attempts, p.failure_type, p.failure_message, p.provider_charge_id, iso(p.completed_at_ms), iso(p.next_attempt_at_ms)],
    );
  }

  async insertPaymentMethod(m: PaymentMethodRecord) {
    await this.sql.query(
      `INSERT INTO payment_methods (id, account_id, provider, provider_ref, brand, last4, exp_month, exp_year, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [m.id, m.account_id, m.provider, m.provider_ref, m.brand, m.last4, m.exp_month, m.exp_year, iso(m.created_at_ms)],
    );
  }

  async getPaymentMethod(id: string) {
    const rows = await this.sql.query<Row>(`SELECT * FROM payment_methods WHERE id = $1`, [id]);
    return rows[0] ? fromDbPaymentMethod(rows[0]) : undefined;
  }

  async insertToken(t: TokenRecord) {
    await this.sql.query(
      `INSERT INTO api_tokens (id, kind, user_id, name, token_hash, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [t.id, t.kind, t.user_id, t.name, t.token_hash, iso(t.created_at_ms), iso(t.expires_at_ms), iso(t.revoked_at_ms)],
    );
  }

  async revokeToken(id: string, now_ms: number) {
    const rows = await this.sql.query<Row>(`UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id`, [id, iso(now_ms)]);
    return rows.length > 0;
  }

  async revokeTokensOfKindExcept(kind: TokenKind, keep_token_hash: string, now_ms: number) {
    const rows = await this.sql.query<Row>(
      `UPDATE api_tokens SET revoked_at = $3 WHERE kind = $1 AND token_hash <> $2 AND revoked_at IS NULL RETURNING id`,
      [kind, keep_token_hash, iso(now_ms)],
    );
    return rows.map((r) => r.id as string);
  }

  async replaceCatalog(data: CatalogData) {
    for (const p of data.plans) {
      await this.sql.query(
        `INSERT INTO plans (id, name, price_micros, per_seat, extra_usage_allowed, windows, requests_per_minute, tokens_per_minute)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8)
         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, price_micros = EXCLUDED.price_micros, per_seat = EXCLUDED.per_seat,
           extra_usage_allowed = EXCLUDED.extra_usage_allowed, windows = EXCLUDED.windows,
           requests_per_minute = EXCLUDED.requests_per_minute, tokens_per_minute = EXCLUDED.tokens_per_minute`,
        [p.id, p.name, p.price_micros, p.per_seat, p.extra_usage_allowed, JSON.stringify(p.windows), p.requests_per_minute, p.tokens_per_minute],
      );
    }
    for (const m of data.models) {
      await this.sql.query(
        `INSERT INTO models (id, tier, allowance_multiplier_milli) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET tier = EXCLUDED.tier, allowance_multiplier_milli = EXCLUDED.allowance_multiplier_milli`,
        [m.id, m.tier, m.allowance_multiplier_milli],
      );
    }
    // Price versions are insert-only: a version that authorizations refer to never changes.
    for (const [i, p] of data.prices.entries()) {
      await this.sql
        .query(
          `INSERT INTO model_prices (id, model_id, effective_at, input_micros_per_mtok, output_micros_per_mtok, cache_write_micros_per_mtok, cache_write_1h_micros_per_mtok, cache_read_micros_per_mtok)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
          [p.id, p.model_id, iso(p.effective_at_ms), p.input_micros_per_mtok, p.output_micros_per_mtok, p.cache_write_micros_per_mtok, p.cache_write_1h_micros_per_mtok, p.cache_read_micros_per_mtok],
        )
        .catch((error: unknown) => {
          throw constraintError(error, `prices[${i}]`);
        });
    }
    for (const a of data.apps) {
      await this.sql.query(`INSERT INTO apps (id, kind) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind`, [a.id, a.kind]);
    }
  }
}

export class PgStore implements Store {
  constructor(readonly db: Db) {}

  get engine() {
    return this.db.engine;
  }

  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.db.transaction((sql) => fn(new PgStoreTx(sql))).catch((error: unknown) => {
      throw constraintError(error);
    });
  }

  async meterBatchCommitted(probe: MeterCommitProbe) {
    // One transaction is all or nothing: one row it wrote tells. Rows it created are the surest
    // sign (their ids are new); a changed row is matched by its new state and finish time.
    if (probe.authorization_ids.length > 0) {
      return (await this.db.query(`SELECT 1 FROM authorizations WHERE id = $1`, [probe.authorization_ids[0]])).length > 0;
    }
    if (probe.usage_ids.length > 0) {
      return (await this.db.query(`SELECT 1 FROM usage_records WHERE id = $1`, [probe.usage_ids[0]])).length > 0;
    }
    const changed = probe.changed_authorizations[0];
    if (changed) {
      const rows = await this.db.query(`SELECT 1 FROM authorizations WHERE id = $1 AND status = $2 AND finished_at IS NOT DISTINCT FROM $3::timestamptz`, [changed.id, changed.status, iso(changed.finished_at_ms)]);
      return rows.length > 0;
    }
    return true; // it wrote nothing: its answers (refusals, replays) stand either way
  }

  async loadCatalog(): Promise<CatalogData> {
    const [plans, models, prices, apps] = await Promise.all([
      this.db.query<Row>(`SELECT * FROM plans ORDER BY id`),
      this.db.query<Row>(`SELECT * FROM models ORDER BY id`),
      this.db.query<Row>(`SELECT * FROM model_prices ORDER BY model_id, effective_at`),
      this.db.query<Row>(`SELECT * FROM apps ORDER BY id`),
    ]);
    return {
      plans: plans.map((p) => ({ id: p.id, name: p.name, price_micros: p.price_micros, per_seat: p.per_seat, extra_usage_allowed: p.extra_usage_allowed, windows: parseJson(p.windows), requests_per_minute: p.requests_per_minute, tokens_per_minute: p.tokens_per_minute })),
      models: models.map((m) => ({ id: m.id, tier: m.tier, allowance_multiplier_milli: m.allowance_multiplier_milli })),
      prices: prices.map((p) => ({ id: p.id, model_id: p.model_id, effective_at_ms: ms(p.effective_at), input_micros_per_mtok: p.input_micros_per_mtok, output_micros_per_mtok: p.output_micros_per_mtok, cache_write_micros_per_mtok: p.cache_write_micros_per_mtok, cache_write_1h_micros_per_mtok: p.cache_write_1h_micros_per_mtok, cache_read_micros_per_mtok: p.cache_read_micros_per_mtok })),
      apps: apps.map((a) => ({ id: a.id, kind: a.kind })),
    };
  }

  async getAccount(id: string) {
    const rows = await this.db.query<Row>(`SELECT * FROM accounts WHERE id = $1`, [id]);
    return rows[0] ? fromDbAccount(rows[0]) : undefined;
  }

  async readAccount(id: string) {
    return (await loadAccounts(this.db, [id], false)).get(id);
  }

  async listAccounts(options: { search?: string; limit: number; after?: string }) {
    const rows = await this.db.query<Row>(
      `SELECT * FROM accounts WHERE ($1::text IS NULL OR name ILIKE '%' || $1 || '%' OR id = $1) AND ($2::text IS NULL OR id > $2) ORDER BY id LIMIT $3`,
      [options.search ?? null, options.after ?? null, options.limit],
    );
    return rows.map(fromDbAccount);
  }

  async findUserByEmail(email: string) {
    const rows = await this.db.query<Row>(`SELECT * FROM users WHERE email = $1`, [email.toLowerCase()]);
    return rows[0] ? fromDbUser(rows[0]) : undefined;
  }

  async getUser(id: string) {
    const rows = await this.db.query<Row>(`SELECT * FROM users WHERE id = $1`, [id]);
    return rows[0] ? fromDbUser(rows[0]) : undefined;
  }

  async getMembership(account_id: string, user_id: string) {
    const rows = await this.db.query<Row>(`SELECT role FROM memberships WHERE account_id = $1 AND user_id = $2`, [account_id, user_id]);
    return rows[0]?.role as Role | undefined;
  }

  async listMemberships(user_id: string) {
    const rows = await this.db.query<Row>(`SELECT a.*, m.role AS membership_role FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE m.user_id = $1 ORDER BY a.created_at, a.id`, [user_id]);
    return rows.map((r) => ({ account: fromDbAccount(r), role: r.membership_role as Role }));
  }

  async listAccountMembers(account_id: string) {
    const rows = await this.db.query<Row>(`SELECT m.user_id, u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.account_id = $1 ORDER BY m.created_at, u.email`, [account_id]);
    return rows.map((r) => ({ user_id: r.user_id as string, email: r.email as string, role: r.role as Role }));
  }

  async getInvitation(id: string) {
    const rows = await this.db.query<Row>(`SELECT * FROM invitations WHERE id = $1`, [id]);
    return rows[0] ? fromDbInvitation(rows[0]) : undefined;
  }

  async listPendingInvitations(email: string, now_ms: number, limit: number, after_id?: string) {
    // The cursor is looked up among this email's invitations only: someone else's id must page
    // like an id never issued (empty), or the answer tells that it exists and when it was made.
    const rows = await this.db.query<Row>(
      `SELECT i.*, a.name AS account_name FROM invitations i JOIN accounts a ON a.id = i.account_id
        WHERE i.email = $1 AND i.accepted_at IS NULL AND i.declined_at IS NULL AND i.expires_at > $2
          AND ($4::text IS NULL OR (i.created_at, i.id) > (SELECT c.created_at, c.id FROM invitations c WHERE c.id = $4 AND c.email = $1))
        ORDER BY i.created_at, i.id LIMIT $3`,
      [email.toLowerCase(), iso(now_ms), limit, after_id ?? null],
    );
    return rows.map((r) => ({ invitation: fromDbInvitation(r), account_name: r.account_name as string }));
  }

  async authorizationAccounts(ids: string[]) {
    const out = new Map<string, string>();
    if (ids.length === 0) return out;
    const rows = await this.db.query<Row>(`SELECT id, account_id FROM authorizations WHERE id = ANY($1::text[])`, [[...new Set(ids)]]);
    for (const r of rows) out.set(r.id, r.account_id);
    return out;
  }

  async getAuthorization(id: string) {
    const rows = await this.db.query<Row>(`SELECT * FROM authorizations WHERE id = $1`, [id]);
    return rows[0] ? fromDbAuthorization(rows[0]) : undefined;
  }

  async lateWindowsEnded(expired_before_ms: number, limit: number) {
    const rows = await this.db.query<Row>(`SELECT id, account_id FROM authorizations WHERE late_counted AND expires_at <= $1 ORDER BY expires_at LIMIT $2`, [iso(expired_before_ms), limit]);
    return rows.map((r) => ({ id: r.id as string, account_id: r.account_id as string }));
  }

  async expiredHolds(now_ms: number, limit: number) {
    const rows = await this.db.query<Row>(`SELECT id, account_id FROM authorizations WHERE status = 'held' AND expires_at <= $1 ORDER BY expires_at LIMIT $2`, [iso(now_ms), limit]);
    return rows.map((r) => ({ id: r.id as string, account_id: r.account_id as string }));
  }

  async getPaymentMethod(id: string) {
    const rows = await this.db.query<Row>(`SELECT * FROM payment_methods WHERE id = $1`, [id]);
    return rows[0] ? fromDbPaymentMethod(rows[0]) : undefined;
  }

  async listPaymentMethods(account_id: string) {
    const rows = await this.db.query<Row>(`SELECT * FROM payment_methods WHERE account_id = $1 ORDER BY created_at`, [account_id]);
    return rows.map(fromDbPaymentMethod);
  }

  async pendingPurchases(now_ms: number, grace_ms: number, limit: number) {
    const rows = await this.db.query<Row>(
      `SELECT * FROM purchases WHERE status = 'pending'
          AND ((kind = 'auto_reload' AND (next_attempt_at IS NULL OR next_attempt_at <= $1)) OR (kind = 'manual' AND created_at <= $2))
        ORDER BY created_at LIMIT $3`,
      [iso(now_ms), iso(now_ms - grace_ms), limit],
    );
    return rows.map(fromDbPurchase);
  }

  async listGrants(account_id: string) {
    const rows = await this.db.query<Row>(`SELECT * FROM grants WHERE account_id = $1 ORDER BY created_at, id`, [account_id]);
    return rows.map(fromDbGrant);
  }

  async expiredGrants(now_ms: number, limit: number) {
    const rows = await this.db.query<Row>(`SELECT * FROM grants WHERE remaining_micros > 0 AND expires_at <= $1 ORDER BY expires_at LIMIT $2`, [iso(now_ms), limit]);
    return rows.map(fromDbGrant);
  }

  async usageBuckets(input: { account_id: string; from_day: string; to_day: string; granularity: 'day' | 'month'; group_by: 'app' | 'model' | 'source' | null }) {
    const bucket = input.granularity === 'day' ? `to_char(day, 'YYYY-MM-DD')` : `to_char(day, 'YYYY-MM')`;
    const group = input.group_by === null ? 'NULL::text' : { app: 'app_id', model: 'model_id', source: 'source' }[input.group_by];
    const rows = await this.db.query<Row>(
      `SELECT ${bucket} AS bucket, ${group} AS grp, SUM(requests)::bigint AS requests, SUM(input_tokens)::bigint AS input_tokens,
              SUM(output_tokens)::bigint AS output_tokens, SUM(cache_creation_input_tokens)::bigint AS cache_creation_input_tokens,
              SUM(cache_read_input_tokens)::bigint AS cache_read_input_tokens, SUM(allowance_tokens)::bigint AS allowance_tokens,
              SUM(cost_micros)::bigint AS cost_micros, SUM(extra_usage_micros)::bigint AS extra_usage_micros
         FROM usage_daily WHERE account_id = $1 AND day >= $2::date AND day <= $3::date
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [input.account_id, input.from_day, input.to_day],
    );
    return rows.map((r) => ({ bucket: r.bucket, group: r.grp, requests: r.requests, input_tokens: r.input_tokens, output_tokens: r.output_tokens, cache_creation_input_tokens: r.cache_creation_input_tokens, cache_read_input_tokens: r.cache_read_input_tokens, allowance_tokens: r.allowance_tokens, cost_micros: r.cost_micros, extra_usage_micros: r.extra_usage_micros }));
  }

  async usageRecords(input: { account_id: string; limit: number; before_id?: string }) {
    // Keyset paging in the list's own order (occurred_at, id): the page after the record
    // `before_id`; an unknown id matches nothing, so a bad cursor gives an empty page.
    const rows = await this.db.query<Row>(
      `SELECT * FROM usage_records WHERE account_id = $1
          AND ($2::text IS NULL OR (occurred_at, id) < (SELECT c.occurred_at, c.id FROM usage_records c WHERE c.account_id = $1 AND c.id = $2))
        ORDER BY occurred_at DESC, id DESC LIMIT $3`,
      [input.account_id, input.before_id ?? null, input.limit],
    );
    return rows.map(fromDbUsage);
  }

  async listTransfers(input: { account_id: string; limit: number; before_id?: number }) {
    const rows = await this.db.query<Row>(
      `SELECT * FROM transfers WHERE account_id = $1 AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3`,
      [input.account_id, input.before_id ?? null, input.limit],
    );
    return rows.map(fromDbTransfer);
  }

  async listOutbox(input: { account_id: string; limit: number; before_id?: number }) {
    const rows = await this.db.query<Row>(`SELECT * FROM outbox WHERE account_id = $1 AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $2`, [input.account_id, input.limit, input.before_id ?? null]);
    return rows.map((r) => ({ id: r.id as number, account_id: r.account_id, type: r.type, payload: parseJson<Record<string, unknown>>(r.payload), created_at_ms: ms(r.created_at) }));
  }

  async listAudit(input: { account_id: string | null; limit: number; before_id?: number }) {
    const rows = await this.db.query<Row>(`SELECT * FROM audit_log WHERE ($1::text IS NULL OR account_id = $1) AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $2`, [input.account_id, input.limit, input.before_id ?? null]);
    return rows.map((r) => ({ id: r.id as number, account_id: r.account_id, actor: r.actor, action: r.action, request_id: r.request_id, details: parseJson<Record<string, unknown>>(r.details), created_at_ms: ms(r.created_at) }));
  }

  async audit(_now_ms: number) {
    // One snapshot for every check, so concurrent writers cannot make a clean ledger look unbalanced.
    return this.db.transaction(async (sql) => {
      if (this.db.engine === 'postgres') await sql.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const findings: AuditFinding[] = [];
      const books = await sql.query<Row>(
        `SELECT currency, book, SUM(credit)::bigint AS credits, SUM(debit)::bigint AS debits, COUNT(*)::bigint AS n FROM (
           SELECT currency, credit_book AS book, amount_micros AS credit, 0::bigint AS debit FROM transfers
           UNION ALL SELECT currency, debit_book, 0::bigint, amount_micros FROM transfers) x
         GROUP BY currency, book ORDER BY currency, book`,
      );
      const totals: Record<string, number> = {};
      const per_currency = new Map<string, number>();
      let transfers_checked = 0;
      for (const b of books) {
        const balance = b.credits - b.debits;
        totals[`${b.currency}:${b.book}`] = balance;
        per_currency.set(b.currency, (per_currency.get(b.currency) ?? 0) + balance);
        transfers_checked += b.n;
        if (!Object.values(BOOKS).includes(b.book)) findings.push({ check: 'known_book', account_id: null, expected: 0, actual: balance, message: `unknown book ${b.book}` });
      }
      transfers_checked /= 2;
      for (const [currency, sum] of per_currency) {
        if (sum !== 0) findings.push({ check: 'currency_sums_to_zero', account_id: null, expected: 0, actual: sum, message: `Σ of all ${currency} books is ${sum}, not 0` });
      }
      const wallets = await sql.query<Row>(
        `SELECT w.account_id, w.purchased_micros, w.promotional_micros, w.held_micros, w.late_held_micros, w.spent_cycle_micros, COALESCE(lh.late_held, 0)::bigint AS late_holds,
                COALESCE(t.purchased, 0)::bigint AS ledger_purchased, COALESCE(t.promotional, 0)::bigint AS ledger_promotional,
                COALESCE(h.held, 0)::bigint AS holds, COALESCE(g.remaining, 0)::bigint AS grants_remaining,
                COALESCE(u.spent, 0)::bigint AS usage_spent, COALESCE(t.usage, 0)::bigint AS ledger_usage, COALESCE(ut.charged, 0)::bigint AS usage_charged
           FROM wallets w
           LEFT JOIN (SELECT account_id,
                        SUM(CASE WHEN credit_book = '${BOOKS.purchased}' THEN amount_micros WHEN debit_book = '${BOOKS.purchased}' THEN -amount_micros ELSE 0 END) AS purchased,
                        SUM(CASE WHEN credit_book = '${BOOKS.promotional}' THEN amount_micros WHEN debit_book = '${BOOKS.promotional}' THEN -amount_micros ELSE 0 END) AS promotional,
                        SUM(CASE WHEN kind = 'usage' THEN amount_micros ELSE 0 END) AS usage
                        FROM transfers GROUP BY account_id) t ON t.account_id = w.account_id
           LEFT JOIN (SELECT account_id, SUM(held_micros) AS held FROM authorizations WHERE status = 'held' GROUP BY account_id) h ON h.account_id = w.account_id
           LEFT JOIN (SELECT account_id, SUM(held_micros) AS late_held FROM authorizations WHERE late_counted GROUP BY account_id) lh ON lh.account_id = w.account_id
           LEFT JOIN (SELECT account_id, SUM(remaining_micros) AS remaining FROM grants GROUP BY account_id) g ON g.account_id = w.account_id
           LEFT JOIN (SELECT r.account_id, SUM(r.extra_usage_micros) AS spent FROM usage_records r JOIN wallets w2 ON w2.account_id = r.account_id
                       WHERE r.recorded_at >= w2.spent_cycle_start GROUP BY r.account_id) u ON u.account_id = w.account_id
           LEFT JOIN (SELECT account_id, SUM(extra_usage_micros) AS charged FROM usage_records GROUP BY account_id) ut ON ut.account_id = w.account_id`,
      );
      const check = (name: string, account_id: string, expected: number, actual: number, what: string) => {
        if (expected !== actual) findings.push({ check: name, account_id, expected, actual, message: `${account_id}: ${what} is ${actual}, entries say ${expected}` });
      };
      for (const w of wallets) {
        check('purchased_equals_entries', w.account_id, w.ledger_purchased, w.purchased_micros, 'purchased balance');
        check('promotional_equals_entries', w.account_id, w.ledger_promotional, w.promotional_micros, 'promotional balance');
        check('promotional_equals_grants', w.account_id, w.grants_remaining, w.promotional_micros, 'promotional balance (vs grants)');
        check('held_equals_open_holds', w.account_id, w.holds, w.held_micros, 'held amount');
        check('late_held_equals_expired_holds_in_window', w.account_id, w.late_holds, w.late_held_micros, 'held against the limit for late settlements');
        check('spent_equals_cycle_usage', w.account_id, w.usage_spent, w.spent_cycle_micros, 'spent this cycle');
        check('usage_records_equal_usage_transfers', w.account_id, w.ledger_usage, w.usage_charged, 'extra usage charged in usage records');
      }
      const grants = await sql.query<Row>(
        `SELECT g.id, g.account_id, g.remaining_micros,
                COALESCE(SUM(CASE WHEN t.credit_book = '${BOOKS.promotional}' THEN t.amount_micros WHEN t.debit_book = '${BOOKS.promotional}' THEN -t.amount_micros ELSE 0 END), 0)::bigint AS ledger
           FROM grants g LEFT JOIN transfers t ON t.grant_id = g.id AND t.account_id = g.account_id
          GROUP BY g.id, g.account_id, g.remaining_micros`,
      );
      for (const g of grants) check('grant_equals_entries', g.account_id, g.ledger, g.remaining_micros, `grant ${g.id} remaining`);
      return { findings, totals, accounts_checked: wallets.length, transfers_checked };
    });
  }

  async findTokenByHash(token_hash: string) {
    const rows = await this.db.query<Row>(`SELECT * FROM api_tokens WHERE token_hash = $1`, [token_hash]);
    return rows[0] ? fromDbToken(rows[0]) : undefined;
  }

  async listTokens(input: { kind: TokenKind; user_id?: string | null }) {
    const rows = await this.db.query<Row>(
      `SELECT * FROM api_tokens WHERE kind = $1 AND ($2::text IS NULL OR user_id = $2) AND revoked_at IS NULL ORDER BY created_at, id`,
      [input.kind, input.user_id ?? null],
    );
    return rows.map(fromDbToken);
  }

  async countOpenHolds() {
    const rows = await this.db.query<Row>(`SELECT COUNT(*)::bigint AS n FROM authorizations WHERE status = 'held'`);
    return rows[0]!.n as number;
  }

  close() {
    return this.db.close();
  }
}

function fromDbToken(r: Row): TokenRecord {
  return { id: r.id, kind: r.kind, user_id: r.user_id, name: r.name, token_hash: r.token_hash, created_at_ms: ms(r.created_at), expires_at_ms: msOrNull(r.expires_at), revoked_at_ms: msOrNull(r.revoked_at) };
}
