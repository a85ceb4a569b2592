// History reads: usage by day or month from the rollups, and the account's lists (usage
// records, transfers, events, the audit log), each paged by a keyset cursor in its own order.
import type { Sql } from './db';
import type { UsageBucketRow } from '../domain/records';
import { fromDbAudit, fromDbTransfer, fromDbUsage, type AuditLogRow, type OutboxRow, type TransferDbRow, type UsageRow } from './rows';
import { ms, parseJson } from './sql-kit';

export async function usageBuckets(
  db: Sql,
  input: { account_id: string; from_day: string; to_day: string; granularity: 'day' | 'month'; group_by: 'app' | 'model' | 'source' | null },
) {
  const bucket = input.granularity === 'day' ? `to_char(day, 'YYYY-MM-DD')` : `to_char(day, 'YYYY-MM')`;
  const group = input.group_by === null ? 'NULL::text' : { app: 'app_id', model: 'model_id', source: 'source' }[input.group_by];
  const rows = await db.query<UsageBucketRow>(
    `SELECT ${bucket} AS bucket, ${group} AS "group", SUM(requests)::bigint AS requests, SUM(input_tokens)::bigint AS input_tokens,
            SUM(output_tokens)::bigint AS output_tokens, SUM(cache_creation_input_tokens)::bigint AS cache_creation_input_tokens,
            SUM(cache_read_input_tokens)::bigint AS cache_read_input_tokens, SUM(allowance_tokens)::bigint AS allowance_tokens,
            SUM(cost_micros)::bigint AS cost_micros, SUM(extra_usage_micros)::bigint AS extra_usage_micros
       FROM usage_daily WHERE account_id = $1 AND day >= $2::date AND day <= $3::date
      GROUP BY 1, 2 ORDER BY 1, 2`,
    [input.account_id, input.from_day, input.to_day],
  );
  return rows;
}

export async function usageRecords(db: Sql, input: { account_id: string; limit: number; before_id?: string }) {
  // Keyset paging in the list's own order (occurred_at, id): the page after the record
  // `before_id`; an unknown id matches nothing, so a bad cursor gives an empty page.
  const rows = await db.query<UsageRow>(
    `SELECT * FROM usage_records WHERE account_id = $1
        AND ($2::text IS NULL OR (occurred_at, id) < (SELECT c.occurred_at, c.id FROM usage_records c WHERE c.account_id = $1 AND c.id = $2))
      ORDER BY occurred_at DESC, id DESC LIMIT $3`,
    [input.account_id, input.before_id ?? null, input.limit],
  );
  return rows.map(fromDbUsage);
}

export async function listTransfers(db: Sql, input: { account_id: string; limit: number; before_id?: number }) {
  const rows = await db.query<TransferDbRow>(`SELECT * FROM transfers WHERE account_id = $1 AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3`, [
    input.account_id,
    input.before_id ?? null,
    input.limit,
  ]);
  return rows.map(fromDbTransfer);
}

export async function listOutbox(db: Sql, input: { account_id: string; limit: number; before_id?: number }) {
  const rows = await db.query<OutboxRow>(`SELECT * FROM outbox WHERE account_id = $1 AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $2`, [
    input.account_id,
    input.limit,
    input.before_id ?? null,
  ]);
  return rows.map((r) => ({
    id: r.id,
    account_id: r.account_id,
    type: r.type,
    payload: parseJson<Record<string, unknown>>(r.payload),
    created_at_ms: ms(r.created_at),
  }));
}

export async function listAudit(db: Sql, input: { account_id: string | null; limit: number; before_id?: number }) {
  const rows = await db.query<AuditLogRow>(
    `SELECT * FROM audit_log WHERE ($1::text IS NULL OR account_id = $1) AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $2`,
    [input.account_id, input.limit, input.before_id ?? null],
  );
  return rows.map(fromDbAudit);
}
