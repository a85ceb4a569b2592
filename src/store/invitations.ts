// The invitations aggregate: an open invitation per account and email (renewed, not duplicated),
// locked while it is answered; the invited user's list pages by a cursor among their own.
import type { InvitationRecord } from '../app/ports';
import type { AccountKind } from '../domain/members';
import type { Sql } from './db';
import { fromDbInvitation, type InvitationRow } from './rows';
import { iso } from './sql-kit';

export async function upsertInvitation(sql: Sql, i: InvitationRecord) {
  const rows = await sql.query<InvitationRow>(
    `INSERT INTO invitations (id, account_id, email, role, invited_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (account_id, email) WHERE accepted_at IS NULL AND declined_at IS NULL
     DO UPDATE SET role = EXCLUDED.role, invited_by = EXCLUDED.invited_by, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
     RETURNING *`,
    [i.id, i.account_id, i.email, i.role, i.invited_by, iso(i.created_at_ms), iso(i.expires_at_ms)],
  );
  return fromDbInvitation(rows[0]!);
}

export async function lockInvitation(sql: Sql, id: string) {
  const rows = await sql.query<InvitationRow>(`SELECT * FROM invitations WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0] ? fromDbInvitation(rows[0]) : undefined;
}

export async function updateInvitation(sql: Sql, i: InvitationRecord) {
  await sql.query(`UPDATE invitations SET accepted_at = $2, accepted_by = $3, declined_at = $4 WHERE id = $1`, [
    i.id,
    iso(i.accepted_at_ms),
    i.accepted_by,
    iso(i.declined_at_ms),
  ]);
}

export async function countPendingInvitations(sql: Sql, account_id: string, now_ms: number, except_email: string) {
  const rows = await sql.query<{ n: number }>(
    `SELECT COUNT(*)::bigint AS n FROM invitations WHERE account_id = $1 AND accepted_at IS NULL AND declined_at IS NULL AND expires_at > $2 AND email <> $3`,
    [account_id, iso(now_ms), except_email],
  );
  return rows[0]!.n;
}

export async function getInvitation(sql: Sql, id: string) {
  const rows = await sql.query<InvitationRow>(`SELECT * FROM invitations WHERE id = $1`, [id]);
  return rows[0] ? fromDbInvitation(rows[0]) : undefined;
}

export async function listPendingInvitations(sql: Sql, email: string, now_ms: number, limit: number, after_id?: string) {
  // The cursor is looked up among this email's invitations only: someone else's id must page
  // like an id never issued (empty), or the answer tells that it exists and when it was made.
  const rows = await sql.query<InvitationRow & { account_name: string; account_kind: AccountKind }>(
    `SELECT i.*, a.name AS account_name, a.kind AS account_kind FROM invitations i JOIN accounts a ON a.id = i.account_id
      WHERE i.email = $1 AND i.accepted_at IS NULL AND i.declined_at IS NULL AND i.expires_at > $2
        AND ($4::text IS NULL OR (i.created_at, i.id) > (SELECT c.created_at, c.id FROM invitations c WHERE c.id = $4 AND c.email = $1))
      ORDER BY i.created_at, i.id LIMIT $3`,
    [email.toLowerCase(), iso(now_ms), limit, after_id ?? null],
  );
  return rows.map((r) => ({ invitation: fromDbInvitation(r), account_name: r.account_name, account_kind: r.account_kind }));
}
