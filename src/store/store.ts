// The store: the only code that writes balances. PgStoreTx is one transaction's writes and
// locked reads; PgStore is plain reads and the transaction itself. The SQL is split by kind:
//   sql-kit.ts      value conversions, array literals for unnest, the CTE runner
//   rows.ts         typed rows and their mapping to records
//   locks.ts        the locked account read every writer starts with
//   meter-writes.ts the metering batch's set-based writes, as one statement
//   history.ts      usage rollups and the paged lists
//   audit-sums.ts   the audit's sums (the comparisons are src/domain/audit.ts)
//   constraints.ts  named constraints as typed errors
// Every write is set-based (INSERT … SELECT FROM unnest, UPDATE … FROM unnest).
import { auditFindings } from '../domain/audit';
import type { Transfer } from '../domain/ledger';
import type {
  AccountChanges,
  AccountRecord,
  AuditEntry,
  AuthorizationRecord,
  CatalogData,
  GrantRecord,
  InvitationRecord,
  MeterBatchWrites,
  MeterCommitProbe,
  OutboxEvent,
  PaymentMethodRecord,
  PurchaseRecord,
  Role,
  Store,
  StoreTx,
  TokenKind,
  TokenRecord,
  UsageRecord,
  UserRecord,
  WindowRow,
} from '../app/ports';
import { auditSums } from './audit-sums';
import { readCatalog, writeCatalog } from './catalog';
import * as invitations from './invitations';
import * as members from './members';
import { listGrants } from './credits';
import type { AccountKind, MemberRole } from '../domain/members';
import { PgWebhookStore } from './webhooks';
import { PgOrgStore, PgOrgTx } from './orgs';
import { constraintError } from './constraints';
import { PgPaymentsReads, PgPaymentsTx } from './payments';
import type { Db, Sql } from './db';
import * as history from './history';
import { loadAccounts } from './locks';
import {
  grantsUpdate,
  outboxInsert,
  transfersInsert,
  usageDailyAdd,
  usageRecordsInsert,
  walletsUpdate,
  windowsUpsert,
  authorizationsInsert,
  authorizationsUpdate,
  writeMeterBatch,
  type WalletWrite,
} from './meter-writes';
import {
  fromDbAccount,
  fromDbAudit,
  fromDbAuthorization,
  fromDbGrant,
  fromDbPaymentMethod,
  fromDbPurchase,
  fromDbToken,
  fromDbUsage,
  fromDbUser,
  type AccountRow,
  type AuditLogRow,
  type AuthorizationRow,
  type GrantRow,
  type PaymentMethodRow,
  type PurchaseRow,
  type TokenRow,
  type UsageRow,
  type UserRow,
} from './rows';
import { columnsOf, iso, json, ms, parseJson, runParts } from './sql-kit';

export { constraintError } from './constraints';

export class PgStoreTx extends PgPaymentsTx implements StoreTx {
  readonly orgs: PgOrgTx;
  constructor(sql: Sql) {
    super(sql);
    this.orgs = new PgOrgTx(sql);
  }

  lockAccounts(account_ids: string[]) {
    return loadAccounts(this.sql, account_ids, true);
  }

  async saveWallets(rows: WalletWrite[], now_ms: number) {
    await runParts(this.sql, [walletsUpdate, rows, now_ms], [grantsUpdate, rows]);
  }

  async saveWindows(rows: WindowRow[]) {
    await runParts(this.sql, [windowsUpsert, rows]);
  }

  async insertTransfers(rows: Transfer[]) {
    await runParts(this.sql, [transfersInsert, rows]);
  }

  async insertOutbox(rows: OutboxEvent[]) {
    await runParts(this.sql, [outboxInsert, rows]);
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
    const [r] = await this.sql.query<AuditLogRow>(
      `SELECT * FROM audit_log WHERE account_id = $1 AND action = $2 AND details->>'idempotency_key' = $3 ORDER BY id LIMIT 1`,
      [account_id, action, idempotency_key],
    );
    return r ? fromDbAudit(r) : undefined;
  }

  async getAuthorizations(ids: string[]) {
    const out = new Map<string, AuthorizationRecord>();
    if (ids.length === 0) return out;
    const rows = await this.sql.query<AuthorizationRow>(`SELECT * FROM authorizations WHERE id = ANY($1::text[])`, [[...new Set(ids)]]);
    for (const r of rows) out.set(r.id, fromDbAuthorization(r));
    return out;
  }

  async getAuthorizationsByKey(pairs: Array<{ account_id: string; idempotency_key: string }>) {
    if (pairs.length === 0) return [];
    const rows = await this.sql.query<AuthorizationRow>(
      `SELECT a.* FROM authorizations a JOIN unnest($1::text[], $2::text[]) AS k(account_id, idempotency_key)
         ON a.account_id = k.account_id AND a.idempotency_key = k.idempotency_key`,
      columnsOf(pairs, [(p) => p.account_id, (p) => p.idempotency_key]),
    );
    return rows.map(fromDbAuthorization);
  }

  async insertAuthorizations(rows: AuthorizationRecord[]) {
    await runParts(this.sql, [authorizationsInsert, rows]);
  }

  async updateAuthorizations(rows: AuthorizationRecord[]) {
    await runParts(this.sql, [authorizationsUpdate, rows]);
  }

  async getUsageEvents(pairs: Array<{ account_id: string; event_id: string }>) {
    if (pairs.length === 0) return [];
    const rows = await this.sql.query<UsageRow>(
      `SELECT r.* FROM usage_records r JOIN unnest($1::text[], $2::text[]) AS k(account_id, event_id)
         ON r.account_id = k.account_id AND r.event_id = k.event_id`,
      columnsOf(pairs, [(p) => p.account_id, (p) => p.event_id]),
    );
    return rows.map(fromDbUsage);
  }

  async insertUsageRecords(rows: UsageRecord[]) {
    await runParts(this.sql, [usageRecordsInsert, rows], [usageDailyAdd, rows]);
  }

  writeMeterBatch(w: MeterBatchWrites, now_ms: number) {
    return writeMeterBatch(this.sql, w, now_ms);
  }

  async getMembers(pairs: Array<{ account_id: string; user_id: string }>) {
    const out = new Set<string>();
    if (pairs.length === 0) return out;
    const rows = await this.sql.query<{ account_id: string; user_id: string }>(
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
      [
        account.id,
        account.kind,
        account.name,
        account.plan_id,
        account.seats,
        iso(account.anchor_ms),
        iso(account.cancel_at_ms),
        account.extra_usage_enabled,
        account.monthly_spend_limit_micros,
        account.auto_reload.enabled,
        account.auto_reload.amount_micros,
        account.auto_reload.threshold_micros,
        account.default_payment_method_id,
        iso(account.created_at_ms),
      ],
    );
    await this.sql.query(`INSERT INTO wallets (account_id, spent_cycle_start, updated_at) VALUES ($1, $2, $3)`, [
      account.id,
      iso(account.anchor_ms),
      iso(now_ms),
    ]);
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
    const rows = await this.sql.query<{ id: string }>(`UPDATE accounts SET ${sets.join(', ')} WHERE id = $1 RETURNING id`, params);
    if (rows.length !== 1) throw new Error(`updateAccount: account ${account_id} does not exist`);
  }

  async insertUser(user: UserRecord) {
    await this.sql.query(`INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)`, [
      user.id,
      user.email,
      user.password_hash,
      iso(user.created_at_ms),
    ]);
  }

  insertMembership(account_id: string, user_id: string, role: Role, now_ms: number) {
    return members.putMember(this.sql, account_id, 'plan', user_id, role, now_ms);
  }

  memberRoles(account_id: string, kind: AccountKind) {
    return members.memberRoles(this.sql, account_id, kind);
  }

  putMember(account_id: string, kind: AccountKind, user_id: string, role: MemberRole, now_ms: number) {
    return members.putMember(this.sql, account_id, kind, user_id, role, now_ms);
  }

  removeMember(account_id: string, kind: AccountKind, user_id: string) {
    return members.removeMember(this.sql, account_id, kind, user_id);
  }

  upsertInvitation(i: InvitationRecord) {
    return invitations.upsertInvitation(this.sql, i);
  }

  lockInvitation(id: string) {
    return invitations.lockInvitation(this.sql, id);
  }

  updateInvitation(i: InvitationRecord) {
    return invitations.updateInvitation(this.sql, i);
  }

  countPendingInvitations(account_id: string, now_ms: number, except_email: string) {
    return invitations.countPendingInvitations(this.sql, account_id, now_ms, except_email);
  }

  async insertGrants(rows: GrantRecord[]) {
    if (rows.length === 0) return;
    await this.sql.query(
      `INSERT INTO grants (id, account_id, amount_micros, remaining_micros, expires_at, reason, created_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::timestamptz[], $6::text[], $7::timestamptz[])`,
      columnsOf(rows, [
        (r) => r.id,
        (r) => r.account_id,
        (r) => r.amount_micros,
        (r) => r.remaining_micros,
        (r) => iso(r.expires_at_ms),
        (r) => r.reason,
        (r) => iso(r.created_at_ms),
      ]),
    );
  }

  async getPurchaseByKey(account_id: string, idempotency_key: string) {
    const rows = await this.sql.query<PurchaseRow>(`SELECT * FROM purchases WHERE account_id = $1 AND idempotency_key = $2`, [account_id, idempotency_key]);
    return rows[0] ? fromDbPurchase(rows[0]) : undefined;
  }

  async getPurchase(id: string) {
    const rows = await this.sql.query<PurchaseRow>(`SELECT * FROM purchases WHERE id = $1`, [id]);
    return rows[0] ? fromDbPurchase(rows[0]) : undefined;
  }

  async insertPurchase(p: PurchaseRecord) {
    await this.sql.query(
      `INSERT INTO purchases (id, account_id, kind, idempotency_key, request_hash, amount_micros, payment_method_id, status, attempts,
          failure_type, failure_message, provider_charge_id, actor, created_at, completed_at, next_attempt_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
      [
        p.id,
        p.account_id,
        p.kind,
        p.idempotency_key,
        p.request_hash,
        p.amount_micros,
        p.payment_method_id,
        p.status,
        p.attempts,
        p.failure_type,
        p.failure_message,
        p.provider_charge_id,
        p.actor,
        iso(p.created_at_ms),
        iso(p.completed_at_ms),
        iso(p.next_attempt_at_ms),
      ],
    );
  }

  async updatePurchase(p: PurchaseRecord) {
    await this.sql.query(
      `UPDATE purchases SET status = $2, attempts = $3, failure_type = $4, failure_message = $5, provider_charge_id = $6, completed_at = $7,
          next_attempt_at = $8, action = $9 WHERE id = $1`,
      [
        p.id,
        p.status,
        p.attempts,
        p.failure_type,
        p.failure_message,
        p.provider_charge_id,
        iso(p.completed_at_ms),
        iso(p.next_attempt_at_ms),
        json(p.action ?? null),
      ],
    );
  }

  async insertPaymentMethod(m: PaymentMethodRecord) {
    await this.sql.query(
      `INSERT INTO payment_methods (id, account_id, provider, provider_ref, brand, last4, exp_month, exp_year, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [m.id, m.account_id, m.provider, m.provider_ref, m.brand, m.last4, m.exp_month, m.exp_year, iso(m.created_at_ms)],
    );
  }

  async getPaymentMethod(id: string) {
    const rows = await this.sql.query<PaymentMethodRow>(`SELECT * FROM payment_methods WHERE id = $1`, [id]);
    return rows[0] ? fromDbPaymentMethod(rows[0]) : undefined;
  }

  async insertToken(t: TokenRecord) {
    await this.sql.query(
      `INSERT INTO api_tokens (id, kind, user_id, name, token_hash, created_at, expires_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [t.id, t.kind, t.user_id, t.name, t.token_hash, iso(t.created_at_ms), iso(t.expires_at_ms), iso(t.revoked_at_ms)],
    );
  }

  async revokeToken(id: string, now_ms: number) {
    const rows = await this.sql.query<{ id: string }>(`UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL RETURNING id`, [
      id,
      iso(now_ms),
    ]);
    return rows.length > 0;
  }

  async revokeTokensOfKindExcept(kind: TokenKind, keep_token_hash: string, now_ms: number) {
    const rows = await this.sql.query<{ id: string }>(
      `UPDATE api_tokens SET revoked_at = $3 WHERE kind = $1 AND token_hash <> $2 AND revoked_at IS NULL RETURNING id`,
      [kind, keep_token_hash, iso(now_ms)],
    );
    return rows.map((r) => r.id as string);
  }

  replaceCatalog(data: CatalogData) {
    return writeCatalog(this.sql, data);
  }
}

export class PgStore extends PgPaymentsReads implements Store {
  readonly webhooks: PgWebhookStore;
  readonly orgs: PgOrgStore;
  constructor(db: Db) {
    super(db);
    this.webhooks = new PgWebhookStore(db);
    this.orgs = new PgOrgStore(db);
  }

  get engine() {
    return this.db.engine;
  }

  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.db
      .transaction((sql) => fn(new PgStoreTx(sql)))
      .catch((error: unknown) => {
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
      const rows = await this.db.query(`SELECT 1 FROM authorizations WHERE id = $1 AND status = $2 AND finished_at IS NOT DISTINCT FROM $3::timestamptz`, [
        changed.id,
        changed.status,
        iso(changed.finished_at_ms),
      ]);
      return rows.length > 0;
    }
    return true; // it wrote nothing: its answers (refusals, replays) stand either way
  }

  loadCatalog(): Promise<CatalogData> {
    return readCatalog(this.db);
  }

  async getAccount(id: string) {
    const rows = await this.db.query<AccountRow>(`SELECT * FROM accounts WHERE id = $1`, [id]);
    return rows[0] ? fromDbAccount(rows[0]) : undefined;
  }

  async readAccount(id: string) {
    return (await loadAccounts(this.db, [id], false)).get(id);
  }

  async listAccounts(options: { search?: string; limit: number; after?: string }) {
    const rows = await this.db.query<AccountRow>(
      `SELECT * FROM accounts WHERE kind = 'plan' AND ($1::text IS NULL OR name ILIKE '%' || $1 || '%' OR id = $1) AND ($2::text IS NULL OR id > $2) ORDER BY id LIMIT $3`,
      [options.search ?? null, options.after ?? null, options.limit],
    );
    return rows.map(fromDbAccount);
  }

  async findUserByEmail(email: string) {
    const rows = await this.db.query<UserRow>(`SELECT * FROM users WHERE email = $1`, [email.toLowerCase()]);
    return rows[0] ? fromDbUser(rows[0]) : undefined;
  }

  async getUser(id: string) {
    const rows = await this.db.query<UserRow>(`SELECT * FROM users WHERE id = $1`, [id]);
    return rows[0] ? fromDbUser(rows[0]) : undefined;
  }

  async getMembership(account_id: string, user_id: string) {
    const rows = await this.db.query<{ role: Role }>(`SELECT role FROM memberships WHERE account_id = $1 AND user_id = $2`, [account_id, user_id]);
    return rows[0]?.role;
  }

  async listMemberships(user_id: string) {
    const rows = await this.db.query<AccountRow & { membership_role: Role }>(
      `SELECT a.*, m.role AS membership_role FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE m.user_id = $1 ORDER BY a.created_at, a.id`,
      [user_id],
    );
    return rows.map((r) => ({ account: fromDbAccount(r), role: r.membership_role }));
  }

  listAccountMembers(account_id: string) {
    return members.listAccountMembers(this.db, account_id);
  }

  getInvitation(id: string) {
    return invitations.getInvitation(this.db, id);
  }

  listPendingInvitations(email: string, now_ms: number, limit: number, after_id?: string) {
    return invitations.listPendingInvitations(this.db, email, now_ms, limit, after_id);
  }

  async authorizationAccounts(ids: string[]) {
    const out = new Map<string, string>();
    if (ids.length === 0) return out;
    const rows = await this.db.query<{ id: string; account_id: string }>(`SELECT id, account_id FROM authorizations WHERE id = ANY($1::text[])`, [
      [...new Set(ids)],
    ]);
    for (const r of rows) out.set(r.id, r.account_id);
    return out;
  }

  async getAuthorization(id: string) {
    const rows = await this.db.query<AuthorizationRow>(`SELECT * FROM authorizations WHERE id = $1`, [id]);
    return rows[0] ? fromDbAuthorization(rows[0]) : undefined;
  }

  async lateWindowsEnded(expired_before_ms: number, limit: number) {
    const rows = await this.db.query<{ id: string; account_id: string }>(
      `SELECT id, account_id FROM authorizations WHERE late_counted AND expires_at <= $1 ORDER BY expires_at LIMIT $2`,
      [iso(expired_before_ms), limit],
    );
    return rows.map((r) => ({ id: r.id, account_id: r.account_id }));
  }

  async expiredHolds(now_ms: number, limit: number) {
    const rows = await this.db.query<{ id: string; account_id: string }>(
      `SELECT id, account_id FROM authorizations WHERE status = 'held' AND expires_at <= $1 ORDER BY expires_at LIMIT $2`,
      [iso(now_ms), limit],
    );
    return rows.map((r) => ({ id: r.id, account_id: r.account_id }));
  }

  async getPaymentMethod(id: string) {
    const rows = await this.db.query<PaymentMethodRow>(`SELECT * FROM payment_methods WHERE id = $1`, [id]);
    return rows[0] ? fromDbPaymentMethod(rows[0]) : undefined;
  }

  async listPaymentMethods(account_id: string) {
    const rows = await this.db.query<PaymentMethodRow>(`SELECT * FROM payment_methods WHERE account_id = $1 ORDER BY created_at`, [account_id]);
    return rows.map(fromDbPaymentMethod);
  }

  async pendingPurchases(now_ms: number, grace_ms: number, limit: number) {
    const rows = await this.db.query<PurchaseRow>(
      `SELECT * FROM purchases WHERE status = 'pending'
          AND ((kind = 'auto_reload' AND (next_attempt_at IS NULL OR next_attempt_at <= $1)) OR (kind = 'manual' AND created_at <= $2))
          AND (action IS NULL OR next_attempt_at <= $1)
        ORDER BY created_at LIMIT $3`,
      [iso(now_ms), iso(now_ms - grace_ms), limit],
    );
    return rows.map(fromDbPurchase);
  }

  listGrants(account_id: string, limit?: number, after_id?: string) {
    return listGrants(this.db, account_id, limit, after_id);
  }

  async expiredGrants(now_ms: number, limit: number) {
    const rows = await this.db.query<GrantRow>(`SELECT * FROM grants WHERE remaining_micros > 0 AND expires_at <= $1 ORDER BY expires_at LIMIT $2`, [
      iso(now_ms),
      limit,
    ]);
    return rows.map(fromDbGrant);
  }

  usageBuckets(input: Parameters<Store['usageBuckets']>[0]) {
    return history.usageBuckets(this.db, input);
  }

  usageRecords(input: Parameters<Store['usageRecords']>[0]) {
    return history.usageRecords(this.db, input);
  }

  listTransfers(input: Parameters<Store['listTransfers']>[0]) {
    return history.listTransfers(this.db, input);
  }

  listOutbox(input: Parameters<Store['listOutbox']>[0]) {
    return history.listOutbox(this.db, input);
  }

  listAudit(input: Parameters<Store['listAudit']>[0]) {
    return history.listAudit(this.db, input);
  }

  /** The audit's sums, in one snapshot; the comparisons are the domain's (src/domain/audit.ts). */
  async audit(_now_ms: number) {
    return auditFindings(await auditSums(this.db));
  }

  async findTokenByHash(token_hash: string) {
    const rows = await this.db.query<TokenRow>(`SELECT * FROM api_tokens WHERE token_hash = $1`, [token_hash]);
    return rows[0] ? fromDbToken(rows[0]) : undefined;
  }

  async listTokens(input: { kind: TokenKind; user_id?: string | null }) {
    const rows = await this.db.query<TokenRow>(
      `SELECT * FROM api_tokens WHERE kind = $1 AND ($2::text IS NULL OR user_id = $2) AND revoked_at IS NULL ORDER BY created_at, id`,
      [input.kind, input.user_id ?? null],
    );
    return rows.map(fromDbToken);
  }

  async countOpenHolds() {
    const rows = await this.db.query<{ n: number }>(`SELECT COUNT(*)::bigint AS n FROM authorizations WHERE status = 'held'`);
    return rows[0]!.n;
  }

  close() {
    return this.db.close();
  }
}
