// Nothing paid is lost or charged twice: the card provider charges, then the process "dies"
// before the purchase is completed. The purchase stays pending and uncredited; a retry with the
// same Idempotency-Key, or the recovery job, completes it with the same provider charge. Two
// recovery jobs racing on one pending purchase still charge and credit it once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { ManualClock, OPERATOR, sequentialIds, assertAuditClean, type Harness } from '../fixtures/tokenbank';
import { PgStore } from '../../src/store/store';
import { Tokenbank } from '../../src/app/tokenbank';
import { SandboxPayments } from '../../src/payments/sandbox';
import type { ChargeResult } from '../../src/app/ports';
import type { Db } from '../../src/store/db';

/** The sandbox, except that the next `crashes` charges succeed at the provider and then throw here. */
class CrashAfterCharge extends SandboxPayments {
  crashes = 0;
  override async charge(input: Parameters<SandboxPayments['charge']>[0]): Promise<ChargeResult> {
    const result = await super.charge(input);
    if (this.crashes > 0) {
      this.crashes -= 1;
      throw new Error('process died after the provider charged the card');
    }
    return result;
  }
}

const $ = (dollars: number) => dollars * 1_000_000;

for (const engine of databaseEngines()) {
  describe(`crash between charge and completion (${engine.name})`, { skip: engine.skip }, () => {
    let db: Db;
    let h: Harness;
    let payments: CrashAfterCharge;
    before(async () => {
      db = await engine.open();
      payments = new CrashAfterCharge();
      const clock = new ManualClock();
      const tb = new Tokenbank({ store: new PgStore(db), clock, ids: sequentialIds(), payments });
      await tb.ensureCatalog();
      h = { db, tb, clock, payments };
    });
    after(async () => {
      if (engine.name === 'pglite') await db.close();
      await closeAll();
    });

    async function account() {
      const { account } = await h.tb.createAccount({ name: 'Crash', plan: 'pro', owner_email: `crash-${Math.random().toString(36).slice(2)}@example.com`, owner_password: 'correct horse' }, OPERATOR);
      await h.tb.addPaymentMethod(account.id, { token: 'tok_visa' }, OPERATOR);
      return account.id;
    }

    it('a retry with the same Idempotency-Key completes the purchase with the first charge', async () => {
      const id = await account();
      const charges_before = payments.charges.size;
      payments.crashes = 1;
      await assert.rejects(h.tb.purchaseCredits(id, { amount_micros: $(20) }, 'buy-crash-1', OPERATOR), /process died/);
      const pending = await h.tb.getExtraUsage(id);
      assert.equal(pending.purchased_micros, 0, 'not credited before completion');
      assert.equal(payments.charges.size, charges_before + 1, 'the provider did charge');

      const retried = await h.tb.purchaseCredits(id, { amount_micros: $(20) }, 'buy-crash-1', OPERATOR);
      assert.equal(retried.purchase.status, 'succeeded');
      assert.equal(retried.replayed, true);
      assert.equal(payments.charges.size, charges_before + 1, 'the retry reused the same provider charge');
      assert.equal((await h.tb.getExtraUsage(id)).purchased_micros, $(20), 'credited exactly once');
      // A third call is a plain replay: no charge, no credit.
      await h.tb.purchaseCredits(id, { amount_micros: $(20) }, 'buy-crash-1', OPERATOR);
      assert.equal((await h.tb.getExtraUsage(id)).purchased_micros, $(20));
      await assertAuditClean(h);
    });

    it('without a retry, the recovery job completes it once the grace period has passed; two jobs racing credit it once', async () => {
      const id = await account();
      const charges_before = payments.charges.size;
      payments.crashes = 1;
      await assert.rejects(h.tb.purchaseCredits(id, { amount_micros: $(30) }, 'buy-crash-2', OPERATOR));
      assert.equal(await h.tb.processPendingPurchases({ grace_ms: 30_000 }), 0, 'too young: its own request may still be completing it');
      h.clock.advance(31_000);
      const [a, b] = await Promise.all([h.tb.processPendingPurchases({ grace_ms: 30_000 }), h.tb.processPendingPurchases({ grace_ms: 30_000 })]);
      assert.ok(a + b >= 1);
      assert.equal(payments.charges.size, charges_before + 1, 'one provider charge');
      const view = await h.tb.getExtraUsage(id);
      assert.equal(view.purchased_micros, $(30), 'credited exactly once');
      const purchases = await db.query<{ n: number }>(`SELECT COUNT(*)::bigint AS n FROM transfers WHERE account_id = $1 AND kind = 'purchase'`, [id]);
      assert.equal(purchases[0]!.n, 1);
      await assertAuditClean(h);
    });

    it('the daily cap reserved by a crashed purchase is not lost or counted twice', async () => {
      const id = await account();
      payments.crashes = 1;
      await assert.rejects(h.tb.purchaseCredits(id, { amount_micros: $(1500) }, 'big-1', OPERATOR));
      // The pending purchase holds its share of the cap: a second $600 would pass $2,000.
      await assert.rejects(h.tb.purchaseCredits(id, { amount_micros: $(600) }, 'big-2', OPERATOR), (e: { type?: string }) => e.type === 'daily_cap_reached');
      await h.tb.purchaseCredits(id, { amount_micros: $(1500) }, 'big-1', OPERATOR);
      await assert.rejects(h.tb.purchaseCredits(id, { amount_micros: $(600) }, 'big-3', OPERATOR), (e: { type?: string }) => e.type === 'daily_cap_reached');
      await h.tb.purchaseCredits(id, { amount_micros: $(500) }, 'big-4', OPERATOR);
      assert.equal((await h.tb.getExtraUsage(id)).purchased_micros, $(2000));
      await assertAuditClean(h);
    });
  });
}
