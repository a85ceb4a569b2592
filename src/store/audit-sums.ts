// The audit's sums, read in one REPEATABLE READ snapshot so concurrent writers cannot make a
// clean ledger look unbalanced. Only sums: the comparisons are src/domain/audit.ts.
import type { AuditSums, BookSum, GrantSums, WalletSums } from '../domain/audit';
import { BALANCE_SIGN, BOOKS } from '../domain/ledger';
import type { Db } from './db';

/** `balanceDelta` (src/domain/ledger.ts) as SQL over a transfers row: the sign convention's one SQL form. */
function signedOn(book: string, alias = ''): string {
  const t = alias ? `${alias}.` : '';
  return `CASE WHEN ${t}credit_book = '${book}' THEN ${BALANCE_SIGN.credit} * ${t}amount_micros WHEN ${t}debit_book = '${book}' THEN ${BALANCE_SIGN.debit} * ${t}amount_micros ELSE 0 END`;
}

export function auditSums(db: Db): Promise<AuditSums> {
  return db.transaction(async (sql) => {
    if (db.engine === 'postgres') await sql.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const books = await sql.query<BookSum>(
      `SELECT currency, book, SUM(credit)::bigint AS credits, SUM(debit)::bigint AS debits, COUNT(*)::bigint AS legs FROM (
         SELECT currency, credit_book AS book, amount_micros AS credit, 0::bigint AS debit FROM transfers
         UNION ALL SELECT currency, debit_book, 0::bigint, amount_micros FROM transfers) x
       GROUP BY currency, book ORDER BY currency, book`,
    );
    const wallets = await sql.query<WalletSums>(
      `SELECT w.account_id, w.purchased_micros, w.promotional_micros, w.held_micros, w.late_held_micros, w.spent_cycle_micros,
              COALESCE(t.purchased, 0)::bigint AS ledger_purchased, COALESCE(t.promotional, 0)::bigint AS ledger_promotional,
              COALESCE(h.held, 0)::bigint AS open_holds, COALESCE(lh.late_held, 0)::bigint AS late_holds,
              COALESCE(g.remaining, 0)::bigint AS grants_remaining, COALESCE(u.spent, 0)::bigint AS cycle_usage,
              COALESCE(t.usage, 0)::bigint AS ledger_usage, COALESCE(ut.charged, 0)::bigint AS usage_charged,
              COALESCE(pr.refunded, 0)::bigint AS purchases_refunded, COALESCE(t.refunded, 0)::bigint AS ledger_refunded
         FROM wallets w
         LEFT JOIN (SELECT account_id, SUM(${signedOn(BOOKS.purchased)}) AS purchased, SUM(${signedOn(BOOKS.promotional)}) AS promotional,
                      SUM(CASE WHEN kind = 'usage' THEN amount_micros ELSE 0 END) AS usage,
                      SUM(CASE WHEN kind = 'refund' THEN amount_micros WHEN kind = 'refund_reversal' THEN -amount_micros ELSE 0 END) AS refunded
                      FROM transfers GROUP BY account_id) t ON t.account_id = w.account_id
         LEFT JOIN (SELECT account_id, SUM(refunded_micros) AS refunded FROM purchases GROUP BY account_id) pr ON pr.account_id = w.account_id
         LEFT JOIN (SELECT account_id, SUM(held_micros) AS held FROM authorizations WHERE status = 'held' GROUP BY account_id) h ON h.account_id = w.account_id
         LEFT JOIN (SELECT account_id, SUM(held_micros) AS late_held FROM authorizations WHERE late_counted GROUP BY account_id) lh
           ON lh.account_id = w.account_id
         LEFT JOIN (SELECT account_id, SUM(remaining_micros) AS remaining FROM grants GROUP BY account_id) g ON g.account_id = w.account_id
         LEFT JOIN (SELECT r.account_id, SUM(r.extra_usage_micros) AS spent FROM usage_records r JOIN wallets w2 ON w2.account_id = r.account_id
                     WHERE r.spend_cycle_start = w2.spent_cycle_start OR (r.spend_cycle_start IS NULL AND r.recorded_at >= w2.spent_cycle_start)
                     GROUP BY r.account_id) u ON u.account_id = w.account_id
         LEFT JOIN (SELECT account_id, SUM(extra_usage_micros) AS charged FROM usage_records GROUP BY account_id) ut ON ut.account_id = w.account_id`,
    );
    const grants = await sql.query<GrantSums>(
      `SELECT g.id, g.account_id, g.remaining_micros, COALESCE(SUM(${signedOn(BOOKS.promotional, 't')}), 0)::bigint AS ledger
         FROM grants g LEFT JOIN transfers t ON t.grant_id = g.id AND t.account_id = g.account_id
        GROUP BY g.id, g.account_id, g.remaining_micros`,
    );
    return { books, wallets, grants };
  });
}
