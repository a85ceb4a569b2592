// The card provider's side of payments (docs/payments.md): each account's customer at the
// provider, the provider's webhook events already applied (so a repeated event is applied once),
// and a purchase waiting for the person's bank. Writers run after the caller locked the account.
import type { Db, Sql } from './db';
import { fromDbPurchase, type PurchaseRow } from './rows';
import { iso } from './sql-kit';
import { PgCreditsReads, PgCreditsTx } from './credits';

export async function paymentCustomer(sql: Sql, account_id: string, provider: string): Promise<string | null> {
  const rows = await sql.query<{ customer_ref: string }>(`SELECT customer_ref FROM payment_customers WHERE account_id = $1 AND provider = $2`, [
    account_id,
    provider,
  ]);
  return rows[0]?.customer_ref ?? null;
}

/** Transaction writes of payments: PgStoreTx extends it. */
export class PgPaymentsTx extends PgCreditsTx {
  /** Keeps the first customer made for the account (a concurrent second one is not recorded). */
  async savePaymentCustomer(account_id: string, provider: string, customer_ref: string, now_ms: number) {
    await this.sql.query(
      `INSERT INTO payment_customers (account_id, provider, customer_ref, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, provider) DO NOTHING`,
      [account_id, provider, customer_ref, iso(now_ms)],
    );
  }
  /** True the first time an event id is seen (its effects are then applied in the same transaction). */
  async recordProviderEvent(row: { id: string; provider: string; type: string; account_id: string | null; received_at_ms: number }) {
    const rows = await this.sql.query(
      `INSERT INTO provider_events (id, provider, type, account_id, received_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (provider, id) DO NOTHING RETURNING id`,
      [row.id, row.provider, row.type, row.account_id, iso(row.received_at_ms)],
    );
    return rows.length > 0;
  }
}

/** Plain reads of payments: PgStore extends it. */
export class PgPaymentsReads extends PgCreditsReads {
  constructor(db: Db) {
    super(db);
  }
  getPaymentCustomer(account_id: string, provider: string) {
    return paymentCustomer(this.db, account_id, provider);
  }
  async readPurchase(id: string) {
    const rows = await this.db.query<PurchaseRow>(`SELECT * FROM purchases WHERE id = $1`, [id]);
    return rows[0] ? fromDbPurchase(rows[0]) : undefined;
  }
  /** The purchase a provider's charge (Stripe: the payment intent) paid for. */
  async purchaseByCharge(provider_charge_id: string) {
    const rows = await this.db.query<PurchaseRow>(`SELECT * FROM purchases WHERE provider_charge_id = $1 LIMIT 1`, [provider_charge_id]);
    return rows[0] ? fromDbPurchase(rows[0]) : undefined;
  }
}
