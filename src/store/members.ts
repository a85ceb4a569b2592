// Members of an account (table memberships) or of an API organization (table org_members), one
// way for both kinds: read with their roles, added or given another role, removed. Called inside
// a transaction that holds the account's lock, so the "last owner / last admin" rule is decided
// on rows nobody else is changing.
import type { AccountKind, MemberRole, MemberState } from '../domain/members';
import type { Role } from '../domain/records';
import type { Sql } from './db';
import { iso } from './sql-kit';

const TABLES: Record<AccountKind, { table: string; id: string }> = {
  plan: { table: 'memberships', id: 'account_id' },
  api_org: { table: 'org_members', id: 'org_id' },
};

export async function memberRoles(sql: Sql, account_id: string, kind: AccountKind): Promise<MemberState[]> {
  const t = TABLES[kind];
  return sql.query<MemberState>(`SELECT user_id, role FROM ${t.table} WHERE ${t.id} = $1 ORDER BY created_at, user_id`, [account_id]);
}

export async function putMember(sql: Sql, account_id: string, kind: AccountKind, user_id: string, role: MemberRole, now_ms: number): Promise<void> {
  const t = TABLES[kind];
  await sql.query(
    `INSERT INTO ${t.table} (${t.id}, user_id, role, created_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (${t.id}, user_id) DO UPDATE SET role = EXCLUDED.role`,
    [account_id, user_id, role, iso(now_ms)],
  );
}

export async function removeMember(sql: Sql, account_id: string, kind: AccountKind, user_id: string): Promise<void> {
  const t = TABLES[kind];
  await sql.query(`DELETE FROM ${t.table} WHERE ${t.id} = $1 AND user_id = $2`, [account_id, user_id]);
}

/** An account's members with their emails, in the order they joined. */
export async function listAccountMembers(sql: Sql, account_id: string): Promise<Array<{ user_id: string; email: string; role: Role }>> {
  return sql.query<{ user_id: string; email: string; role: Role }>(
    `SELECT m.user_id, u.email, m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.account_id = $1 ORDER BY m.created_at, u.email`,
    [account_id],
  );
}
