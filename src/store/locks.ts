// The locked read every writer of an account starts with, shared by transactions and plain reads.
import type { WindowKind } from '../domain/catalog';
import type { WindowState } from '../domain/cycles';
import type { SeatWindows } from '../domain/funding';
import type { GrantRecord, LockedAccount } from '../app/ports';
import type { Sql } from './db';
import { fromDbAccount, fromDbGrant, fromDbReloadEvent, fromDbWallet, type AccountRow, type GrantRow, type WalletRow, type WindowDbRow } from './rows';
import { ms } from './sql-kit';

export async function loadAccounts(sql: Sql, account_ids: string[], lock: boolean): Promise<Map<string, LockedAccount>> {
  const ids = [...new Set(account_ids)].sort();
  const out = new Map<string, LockedAccount>();
  if (ids.length === 0) return out;
  // Rows are locked in account_id order, so two transactions never wait on each other in a cycle.
  // Both rows are locked, wallet and account: under READ COMMITTED a row that is only joined
  // is read from the statement's snapshot, so a writer that waited for the wallet lock would
  // see the account as it was before the writer it waited for (and undo that writer's change).
  // A locked row is re-read at its newest version once the lock is granted. NO KEY UPDATE: it
  // does not block the foreign-key checks of rows that refer to the account.
  const rows = await sql.query<AccountRow & WalletRow>(
    `SELECT w.purchased_micros, w.promotional_micros, w.held_micros, w.late_held_micros, w.spent_cycle_micros, w.spent_cycle_start,
            w.redeemed_day, w.redeemed_day_micros, w.reload_in_flight, w.auto_reload_last_event, a.*
       FROM wallets w JOIN accounts a ON a.id = w.account_id
      WHERE w.account_id = ANY($1::text[])
      ORDER BY w.account_id ${lock ? 'FOR NO KEY UPDATE OF w, a' : ''}`,
    [ids],
  );
  const with_grants = rows.filter((r) => r.promotional_micros > 0).map((r) => r.id);
  const grants = new Map<string, GrantRecord[]>();
  if (with_grants.length > 0) {
    const grant_rows = await sql.query<GrantRow>(`SELECT * FROM grants WHERE account_id = ANY($1::text[]) AND remaining_micros > 0 ORDER BY id`, [with_grants]);
    for (const g of grant_rows.map(fromDbGrant)) grants.set(g.account_id, [...(grants.get(g.account_id) ?? []), g]);
  }
  const window_rows = await sql.query<WindowDbRow>(`SELECT * FROM allowance_windows WHERE account_id = ANY($1::text[])`, [ids]);
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
