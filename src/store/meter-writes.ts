// The metering writes: one set-based part per table, which a metering batch joins into one
// statement (writeMeterBatch). The parts touch different rows (authorizations created in the
// batch are inserted in their final state, never also updated), which is what a single
// statement's shared snapshot requires.
import type { Transfer } from '../domain/ledger';
import { utcDay, type WalletState } from '../domain/wallet';
import type { AuthorizationRecord, MeterBatchWrites, OutboxEvent, ReloadEvent, UsageRecord, WindowRow } from '../app/ports';
import type { Sql } from './db';
import { arrays, byAccount, iso, json, runParts, type Part } from './sql-kit';
import { apiKeysUpdate } from './orgs';

export type WalletWrite = { account_id: string; wallet: WalletState; last_reload_event?: ReloadEvent | null };

export const walletsUpdate: Part<WalletWrite> = (params, rows, now_ms) => {
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

export const grantsUpdate: Part<WalletWrite> = (params, rows) => {
  const grants = byAccount(rows).flatMap((r) => r.wallet.grants);
  if (grants.length === 0) return null;
  const a = arrays(params, grants, [
    ['text', (g) => g.id],
    ['bigint', (g) => g.remaining_micros],
  ]);
  return `UPDATE grants SET remaining_micros = u.remaining FROM unnest(${a.join(', ')}) AS u(id, remaining)
          WHERE grants.id = u.id AND grants.remaining_micros <> u.remaining`;
};

export const windowsUpsert: Part<WindowRow> = (params, rows) => {
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

export const transfersInsert: Part<Transfer> = (params, rows) => {
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

export const outboxInsert: Part<OutboxEvent> = (params, rows) => {
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
export const authorizationsInsert: Part<AuthorizationRecord> = (params, rows) => {
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
    ['text', (r) => r.api_key_id ?? null],
  ]);
  return `INSERT INTO authorizations (id, account_id, idempotency_key, request_hash, user_id, seat, app_id, model_id, price_id,
          input_tokens, max_output_tokens, source, reason, allowance_tokens, held_micros, max_cost_micros, windows, status,
          cache_write, late_counted, beyond_hold, created_at, expires_at, finished_at, settle_hash, usage, cost_micros, charged_micros,
          settled_allowance_tokens, api_key_id)
       SELECT i, a, k, h, u, s, ap, m, p, it, mo, so, re, al, he, mc, w::jsonb, st, cw, lc, bh, c, e, f, sh, us::jsonb, co, ch, sa, ak
         FROM unnest(${a.join(', ')})
           AS x(i, a, k, h, u, s, ap, m, p, it, mo, so, re, al, he, mc, w, st, cw, lc, bh, c, e, f, sh, us, co, ch, sa, ak)`;
};

export const authorizationsUpdate: Part<AuthorizationRecord> = (params, rows) => {
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

export const usageRecordsInsert: Part<UsageRecord> = (params, rows) => {
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
    ['text', (r) => r.api_key_id ?? null],
    ['timestamptz', (r) => (r.spend_cycle_start_ms == null ? null : iso(r.spend_cycle_start_ms))],
  ]);
  return `INSERT INTO usage_records (id, account_id, authorization_id, event_id, event_hash, user_id, app_id, model_id, price_id, source, reason,
          input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens, allowance_tokens, cost_micros, extra_usage_micros,
          occurred_at, recorded_at, beyond_hold, late, actor, request_id, cache_creation_1h_input_tokens, api_key_id, spend_cycle_start)
       SELECT * FROM unnest(${a.join(', ')})`;
};

/** Adds usage records to their daily rollups, summed here so one statement never touches a key twice. */
export const usageDailyAdd: Part<UsageRecord> = (params, rows) => {
  const buckets = new Map<string, { key: [string, string, string, string, string]; sums: number[] }>();
  for (const r of rows) {
    const key: [string, string, string, string, string] = [r.account_id, utcDay(r.occurred_at_ms), r.app_id, r.model_id, r.source];
    const id = key.join('\u0000');
    const bucket = buckets.get(id) ?? { key, sums: [0, 0, 0, 0, 0, 0, 0, 0, 0] };
    const add = [
      1,
      r.usage.input_tokens,
      r.usage.output_tokens,
      r.usage.cache_creation_input_tokens,
      r.usage.cache_read_input_tokens,
      r.allowance_tokens,
      r.cost_micros,
      r.extra_usage_micros,
      r.usage.cache_creation_1h_input_tokens ?? 0,
    ];
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

/** A metering batch's writes as one statement: one round trip and one parse instead of up to nine. */
export async function writeMeterBatch(sql: Sql, w: MeterBatchWrites, now_ms: number): Promise<void> {
  const fresh = new Set(w.new_authorizations);
  await runParts(
    sql,
    [authorizationsInsert, w.new_authorizations],
    [authorizationsUpdate, w.changed_authorizations.filter((a) => !fresh.has(a))],
    [usageRecordsInsert, w.usage],
    [usageDailyAdd, w.usage],
    [transfersInsert, w.transfers],
    [walletsUpdate, w.wallets, now_ms],
    [grantsUpdate, w.wallets],
    [windowsUpsert, w.windows],
    [outboxInsert, w.outbox],
    [apiKeysUpdate, w.api_keys ?? []],
  );
}
