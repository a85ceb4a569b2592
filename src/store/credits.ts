// Refunds, campaign codes and lapse notices (issue 11): their rows, and the reads the jobs and
// lists page through. Every writer here runs after the caller locked the account it touches.
import type { PromotionClaimRow } from '../app/ports';
import type { LapseNotice } from '../domain/lapse';
import type { Promotion } from '../domain/promotions';
import type { RefundablePurchase, RefundPart, RefundRecord } from '../domain/refunds';
import type { Db, Sql } from './db';
import { columnsOf, iso, json, ms, msOrNull, parseJson } from './sql-kit';
import { fromDbGrant, type GrantRow } from './rows';

interface RefundRow {
  id: string;
  account_id: string;
  idempotency_key: string;
  request_hash: string;
  amount_micros: number;
  refunded_micros: number;
  purchase_id: string | null;
  status: RefundRecord['status'];
  parts: unknown;
  attempts: number;
  actor: string;
  created_at: unknown;
  completed_at: unknown;
}

interface PromotionRow {
  id: string;
  code: string;
  amount_micros: number;
  expires_at: unknown;
  credit_expires_in_days: number | null;
  claims_max: number;
  claims_count: number;
  created_at: unknown;
}

function fromDbRefund(r: RefundRow): RefundRecord {
  return {
    id: r.id,
    account_id: r.account_id,
    idempotency_key: r.idempotency_key,
    request_hash: r.request_hash,
    amount_micros: r.amount_micros,
    refunded_micros: r.refunded_micros,
    purchase_id: r.purchase_id,
    status: r.status,
    parts: parseJson<RefundPart[]>(r.parts),
    attempts: r.attempts,
    actor: r.actor,
    created_at_ms: ms(r.created_at),
    completed_at_ms: msOrNull(r.completed_at),
  };
}

function fromDbPromotion(r: PromotionRow): Promotion {
  return {
    id: r.id,
    code: r.code,
    amount_micros: r.amount_micros,
    expires_at_ms: msOrNull(r.expires_at),
    credit_expires_in_days: r.credit_expires_in_days,
    claims_max: r.claims_max,
    claims_count: r.claims_count,
    created_at_ms: ms(r.created_at),
  };
}

export async function refundablePurchases(sql: Sql, account_id: string): Promise<RefundablePurchase[]> {
  const rows = await sql.query<{ id: string; amount_micros: number; refunded_micros: number; provider_charge_id: string | null; created_at: unknown }>(
    `SELECT id, amount_micros, refunded_micros, provider_charge_id, created_at FROM purchases
      WHERE account_id = $1 AND status = 'succeeded' ORDER BY created_at, id`,
    [account_id],
  );
  return rows.map((r) => ({
    id: r.id,
    amount_micros: r.amount_micros,
    refunded_micros: r.refunded_micros,
    charge_id: r.provider_charge_id,
    created_at_ms: ms(r.created_at),
  }));
}

export async function addPurchasesRefunded(sql: Sql, rows: Array<{ purchase_id: string; delta_micros: number }>) {
  if (rows.length === 0) return;
  await sql.query(
    `UPDATE purchases SET refunded_micros = purchases.refunded_micros + u.delta FROM unnest($1::text[], $2::bigint[]) AS u(id, delta) WHERE purchases.id = u.id`,
    columnsOf(rows, [(r) => r.purchase_id, (r) => r.delta_micros]),
  );
}

export async function getRefundByKey(sql: Sql, account_id: string, idempotency_key: string) {
  const rows = await sql.query<RefundRow>(`SELECT * FROM refunds WHERE account_id = $1 AND idempotency_key = $2`, [account_id, idempotency_key]);
  return rows[0] ? fromDbRefund(rows[0]) : undefined;
}

export async function getRefund(sql: Sql, id: string) {
  const rows = await sql.query<RefundRow>(`SELECT * FROM refunds WHERE id = $1`, [id]);
  return rows[0] ? fromDbRefund(rows[0]) : undefined;
}

export async function insertRefund(sql: Sql, r: RefundRecord) {
  await sql.query(
    `INSERT INTO refunds (id, account_id, idempotency_key, request_hash, amount_micros, refunded_micros, purchase_id, status, parts, attempts, actor, created_at, completed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12, $13)`,
    [
      r.id,
      r.account_id,
      r.idempotency_key,
      r.request_hash,
      r.amount_micros,
      r.refunded_micros,
      r.purchase_id,
      r.status,
      json(r.parts),
      r.attempts,
      r.actor,
      iso(r.created_at_ms),
      iso(r.completed_at_ms),
    ],
  );
}

export async function updateRefund(sql: Sql, r: RefundRecord) {
  await sql.query(`UPDATE refunds SET refunded_micros = $2, status = $3, parts = $4::jsonb, attempts = $5, completed_at = $6 WHERE id = $1`, [
    r.id,
    r.refunded_micros,
    r.status,
    json(r.parts),
    r.attempts,
    iso(r.completed_at_ms),
  ]);
}

export async function listRefunds(sql: Sql, input: { account_id: string; limit: number; before_id?: string }) {
  // The cursor is looked up among this account's refunds only, so another account's id pages like one never issued.
  const rows = await sql.query<RefundRow>(
    `SELECT * FROM refunds r WHERE r.account_id = $1
        AND ($3::text IS NULL OR (r.created_at, r.id) < (SELECT c.created_at, c.id FROM refunds c WHERE c.id = $3 AND c.account_id = $1))
      ORDER BY r.created_at DESC, r.id DESC LIMIT $2`,
    [input.account_id, input.limit, input.before_id ?? null],
  );
  return rows.map(fromDbRefund);
}

export async function pendingRefunds(sql: Sql, started_before_ms: number, limit: number) {
  const rows = await sql.query<RefundRow>(`SELECT * FROM refunds WHERE status = 'pending' AND created_at <= $1 ORDER BY created_at LIMIT $2`, [
    iso(started_before_ms),
    limit,
  ]);
  return rows.map(fromDbRefund);
}

export async function insertPromotion(sql: Sql, p: Promotion & { created_by: string }) {
  await sql.query(
    `INSERT INTO promotions (id, code, amount_micros, expires_at, credit_expires_in_days, claims_max, claims_count, created_by, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [p.id, p.code, p.amount_micros, iso(p.expires_at_ms), p.credit_expires_in_days, p.claims_max, p.claims_count, p.created_by, iso(p.created_at_ms)],
  );
}

export async function lockPromotionByCode(sql: Sql, code: string) {
  const rows = await sql.query<PromotionRow>(`SELECT * FROM promotions WHERE code = $1 FOR UPDATE`, [code]);
  return rows[0] ? fromDbPromotion(rows[0]) : undefined;
}

export async function insertPromotionClaim(sql: Sql, c: PromotionClaimRow) {
  await sql.query(`INSERT INTO promotion_claims (promotion_id, account_id, grant_id, claimed_at) VALUES ($1, $2, $3, $4)`, [
    c.promotion_id,
    c.account_id,
    c.grant_id,
    iso(c.claimed_at_ms),
  ]);
  await sql.query(`UPDATE promotions SET claims_count = claims_count + 1 WHERE id = $1`, [c.promotion_id]);
}

export async function listPromotions(sql: Sql, input: { limit: number; after_code?: string }) {
  const rows = await sql.query<PromotionRow>(`SELECT * FROM promotions WHERE ($2::text IS NULL OR code > $2) ORDER BY code LIMIT $1`, [
    input.limit,
    input.after_code ?? null,
  ]);
  return rows.map(fromDbPromotion);
}

export async function lapseNoticesSent(sql: Sql, account_id: string, lapses_at_ms: number) {
  const rows = await sql.query<{ kind: LapseNotice }>(`SELECT kind FROM plan_notices WHERE account_id = $1 AND lapses_at = $2`, [
    account_id,
    iso(lapses_at_ms),
  ]);
  return new Set(rows.map((r) => r.kind));
}

export async function recordLapseNotice(sql: Sql, account_id: string, kind: LapseNotice, lapses_at_ms: number, now_ms: number) {
  const rows = await sql.query(
    `INSERT INTO plan_notices (account_id, kind, lapses_at, sent_at) VALUES ($1, $2, $3, $4) ON CONFLICT ON CONSTRAINT plan_notices_once_per_lapse DO NOTHING RETURNING kind`,
    [account_id, kind, iso(lapses_at_ms), iso(now_ms)],
  );
  return rows.length > 0;
}

export async function lapseNoticeCandidates(sql: Sql, now_ms: number, notice_ms: number, limit: number) {
  const rows = await sql.query<{ id: string }>(
    `SELECT a.id FROM accounts a
      WHERE a.cancel_at IS NOT NULL AND a.cancel_at <= $2
        AND NOT EXISTS (SELECT 1 FROM plan_notices n WHERE n.account_id = a.id AND n.lapses_at = a.cancel_at
                          AND n.kind = CASE WHEN a.cancel_at <= $1 THEN 'plan.lapsed' ELSE 'plan.lapsing' END)
      ORDER BY a.cancel_at, a.id LIMIT $3`,
    [iso(now_ms), iso(now_ms + notice_ms), limit],
  );
  return rows.map((r) => r.id);
}

/** The transaction's share of these writes: PgStoreTx extends it. */
export class PgCreditsTx {
  constructor(protected readonly sql: Sql) {}
  refundablePurchases(account_id: string) {
    return refundablePurchases(this.sql, account_id);
  }
  addPurchasesRefunded(rows: Array<{ purchase_id: string; delta_micros: number }>) {
    return addPurchasesRefunded(this.sql, rows);
  }
  getRefundByKey(account_id: string, idempotency_key: string) {
    return getRefundByKey(this.sql, account_id, idempotency_key);
  }
  getRefund(id: string) {
    return getRefund(this.sql, id);
  }
  insertRefund(row: RefundRecord) {
    return insertRefund(this.sql, row);
  }
  updateRefund(row: RefundRecord) {
    return updateRefund(this.sql, row);
  }
  insertPromotion(row: Promotion & { created_by: string }) {
    return insertPromotion(this.sql, row);
  }
  lockPromotionByCode(code: string) {
    return lockPromotionByCode(this.sql, code);
  }
  insertPromotionClaim(row: PromotionClaimRow) {
    return insertPromotionClaim(this.sql, row);
  }
  lapseNoticesSent(account_id: string, lapses_at_ms: number) {
    return lapseNoticesSent(this.sql, account_id, lapses_at_ms);
  }
  recordLapseNotice(account_id: string, kind: LapseNotice, lapses_at_ms: number, now_ms: number) {
    return recordLapseNotice(this.sql, account_id, kind, lapses_at_ms, now_ms);
  }
}

/** The plain reads: PgStore extends it. */
export class PgCreditsReads {
  constructor(readonly db: Db) {}
  listRefunds(input: { account_id: string; limit: number; before_id?: string }) {
    return listRefunds(this.db, input);
  }
  pendingRefunds(started_before_ms: number, limit: number) {
    return pendingRefunds(this.db, started_before_ms, limit);
  }
  listPromotions(input: { limit: number; after_code?: string }) {
    return listPromotions(this.db, input);
  }
  readRefundablePurchases(account_id: string) {
    return refundablePurchases(this.db, account_id);
  }
  lapseNoticeCandidates(now_ms: number, notice_ms: number, limit: number) {
    return lapseNoticeCandidates(this.db, now_ms, notice_ms, limit);
  }
}

/** An account's grants, oldest first; with `limit`, a page after the grant `after_id` (its cursor, looked up in this account only). */
export async function listGrants(sql: Sql, account_id: string, limit?: number, after_id?: string) {
  const rows = await sql.query<GrantRow>(
    `SELECT * FROM grants WHERE account_id = $1
       AND ($3::text IS NULL OR (created_at, id) > (SELECT c.created_at, c.id FROM grants c WHERE c.id = $3 AND c.account_id = $1))
     ORDER BY created_at, id LIMIT $2`,
    [account_id, limit ?? null, after_id ?? null],
  );
  return rows.map(fromDbGrant);
}
