// API organizations' rows: members, API keys (hashes only) and their counters, usage tiers, and
// the org's usage read straight from its usage records (grouped by key or model). The org's
// money is its account's wallet: the same locked read, the same writes as any payer's.
import type { ApiKeyRecord, ApiKeyState, OrgRole } from '../domain/orgs';
import type { ApiTier } from '../domain/tiers';
import type { OrgStore, OrgTx, OrgUsageRow } from '../app/ports';
import type { Sql } from './db';
import { fromDbAccount, type AccountRow } from './rows';
import { arrays, iso, ms, msOrNull, type Part } from './sql-kit';

interface ApiKeyRow {
  id: string;
  org_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  monthly_limit_micros: number | null;
  spent_month_micros: number;
  spent_month_start: unknown;
  held_micros: number;
  late_held_micros: number;
  created_by: string;
  created_at: unknown;
  last_used_at: unknown;
  revoked_at: unknown;
}

function fromDbApiKey(r: ApiKeyRow): ApiKeyRecord {
  return {
    id: r.id,
    org_id: r.org_id,
    name: r.name,
    prefix: r.prefix,
    key_hash: r.key_hash,
    monthly_limit_micros: r.monthly_limit_micros,
    spent_month_micros: r.spent_month_micros,
    spent_month_start_ms: ms(r.spent_month_start),
    held_micros: r.held_micros,
    late_held_micros: r.late_held_micros,
    created_by: r.created_by,
    created_at_ms: ms(r.created_at),
    last_used_at_ms: msOrNull(r.last_used_at),
    revoked_at_ms: msOrNull(r.revoked_at),
  };
}

/** The counters of the keys a metering batch used, written in the batch's one statement. */
export const apiKeysUpdate: Part<ApiKeyState> = (params, rows) => {
  const sorted = [...rows].sort((a, b) => (a.id < b.id ? -1 : 1));
  const a = arrays(params, sorted, [
    ['text', (k) => k.id],
    ['bigint', (k) => k.spent_month_micros],
    ['timestamptz', (k) => iso(k.spent_month_start_ms)],
    ['bigint', (k) => k.held_micros],
    ['bigint', (k) => k.late_held_micros],
    ['timestamptz', (k) => iso(k.last_used_at_ms)],
  ]);
  return `UPDATE api_keys SET spent_month_micros = u.spent, spent_month_start = u.spent_start, held_micros = u.held, late_held_micros = u.late_held,
            last_used_at = COALESCE(u.used, api_keys.last_used_at)
       FROM unnest(${a.join(', ')}) AS u(id, spent, spent_start, held, late_held, used)
      WHERE api_keys.id = u.id`;
};

export class PgOrgTx implements OrgTx {
  constructor(private readonly sql: Sql) {}

  async insertMember(org_id: string, user_id: string, role: OrgRole, now_ms: number) {
    await this.sql.query(`INSERT INTO org_members (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)`, [org_id, user_id, role, iso(now_ms)]);
  }

  async insertApiKey(k: ApiKeyRecord) {
    await this.sql.query(
      `INSERT INTO api_keys (id, org_id, name, prefix, key_hash, monthly_limit_micros, spent_month_micros, spent_month_start, held_micros, late_held_micros,
          created_by, created_at, last_used_at, revoked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
      [
        k.id,
        k.org_id,
        k.name,
        k.prefix,
        k.key_hash,
        k.monthly_limit_micros,
        k.spent_month_micros,
        iso(k.spent_month_start_ms),
        k.held_micros,
        k.late_held_micros,
        k.created_by,
        iso(k.created_at_ms),
        iso(k.last_used_at_ms),
        iso(k.revoked_at_ms),
      ],
    );
  }

  async lockApiKeys(ids: string[]) {
    const out = new Map<string, ApiKeyState>();
    if (ids.length === 0) return out;
    const rows = await this.sql.query<ApiKeyRow>(`SELECT * FROM api_keys WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`, [[...new Set(ids)].sort()]);
    for (const r of rows) out.set(r.id, fromDbApiKey(r));
    return out;
  }

  async revokeApiKey(org_id: string, key_id: string, now_ms: number) {
    const rows = await this.sql.query(`UPDATE api_keys SET revoked_at = $3 WHERE id = $2 AND org_id = $1 AND revoked_at IS NULL RETURNING id`, [
      org_id,
      key_id,
      iso(now_ms),
    ]);
    return rows.length > 0;
  }

  async replaceTiers(tiers: ApiTier[]) {
    await this.sql.query(`DELETE FROM api_tiers`);
    const params: unknown[] = [];
    const a = arrays(params, tiers, [
      ['integer', (t) => t.tier],
      ['bigint', (t) => t.purchased_micros_min],
      ['integer', (t) => t.requests_per_minute],
      ['bigint', (t) => t.input_tokens_per_minute],
      ['bigint', (t) => t.output_tokens_per_minute],
    ]);
    await this.sql.query(
      `INSERT INTO api_tiers (tier, purchased_micros_min, requests_per_minute, input_tokens_per_minute, output_tokens_per_minute)
       SELECT * FROM unnest(${a.join(', ')})`,
      params,
    );
  }
}

export class PgOrgStore implements OrgStore {
  constructor(private readonly db: Sql) {}

  async getRole(org_id: string, user_id: string) {
    const rows = await this.db.query<{ role: OrgRole }>(`SELECT role FROM org_members WHERE org_id = $1 AND user_id = $2`, [org_id, user_id]);
    return rows[0]?.role;
  }

  async listMembers(org_id: string) {
    const rows = await this.db.query<{ user_id: string; email: string; role: OrgRole; created_at: unknown }>(
      `SELECT m.user_id, u.email, m.role, m.created_at FROM org_members m JOIN users u ON u.id = m.user_id WHERE m.org_id = $1 ORDER BY m.created_at, m.user_id`,
      [org_id],
    );
    return rows.map((r) => ({ user_id: r.user_id, email: r.email, role: r.role, created_at_ms: ms(r.created_at) }));
  }

  async listUserOrgs(user_id: string, limit: number, after?: string) {
    const rows = await this.db.query<AccountRow & { member_role: OrgRole }>(
      `SELECT a.*, m.role AS member_role FROM org_members m JOIN accounts a ON a.id = m.org_id
        WHERE m.user_id = $1 AND ($2::text IS NULL OR a.id > $2) ORDER BY a.id LIMIT $3`,
      [user_id, after ?? null, limit],
    );
    return rows.map((r) => ({ org: fromDbAccount(r), role: r.member_role }));
  }

  async listOrgs(limit: number, after?: string) {
    const rows = await this.db.query<AccountRow>(`SELECT * FROM accounts WHERE kind = 'api_org' AND ($1::text IS NULL OR id > $1) ORDER BY id LIMIT $2`, [
      after ?? null,
      limit,
    ]);
    return rows.map(fromDbAccount);
  }

  async findApiKeyByHash(key_hash: string) {
    const rows = await this.db.query<ApiKeyRow>(`SELECT * FROM api_keys WHERE key_hash = $1`, [key_hash]);
    return rows[0] ? fromDbApiKey(rows[0]) : undefined;
  }

  async listApiKeys(org_id: string) {
    const rows = await this.db.query<ApiKeyRow>(`SELECT * FROM api_keys WHERE org_id = $1 ORDER BY created_at DESC, id DESC`, [org_id]);
    return rows.map(fromDbApiKey);
  }

  async purchasedTotal(org_id: string) {
    const rows = await this.db.query<{ bought: number | null; refunded: number | null }>(
      `SELECT COALESCE(SUM(amount_micros), 0)::bigint AS bought, COALESCE(SUM(refunded_micros), 0)::bigint AS refunded
         FROM purchases WHERE account_id = $1 AND status = 'succeeded'`,
      [org_id],
    );
    return { bought_micros: Number(rows[0]?.bought ?? 0), refunded_micros: Number(rows[0]?.refunded ?? 0) };
  }

  async listTiers() {
    return this.db.query<ApiTier>(
      `SELECT tier, purchased_micros_min, requests_per_minute, input_tokens_per_minute, output_tokens_per_minute FROM api_tiers ORDER BY tier`,
    );
  }

  async usage(input: { org_id: string; from_day: string; to_day: string; granularity: 'day' | 'month'; group_by: 'key' | 'model' | null }) {
    const bucket = input.granularity === 'day' ? `to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')` : `to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM')`;
    const group = input.group_by === null ? 'NULL::text' : { key: 'api_key_id', model: 'model_id' }[input.group_by];
    return this.db.query<OrgUsageRow>(
      `SELECT ${bucket} AS bucket, ${group} AS "group", COUNT(*)::bigint AS requests, SUM(input_tokens)::bigint AS input_tokens,
              SUM(output_tokens)::bigint AS output_tokens, SUM(cache_creation_input_tokens)::bigint AS cache_creation_input_tokens,
              SUM(cache_read_input_tokens)::bigint AS cache_read_input_tokens, SUM(cost_micros)::bigint AS cost_micros
         FROM usage_records
        WHERE account_id = $1 AND api_key_id IS NOT NULL
          AND occurred_at >= ($2::date::timestamp AT TIME ZONE 'UTC') AND occurred_at < (($3::date + 1)::timestamp AT TIME ZONE 'UTC')
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [input.org_id, input.from_day, input.to_day],
    );
  }
}
