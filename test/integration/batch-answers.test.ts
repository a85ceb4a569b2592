// Group commit answers each operation with the record as that operation left it, even when a later
// operation of the same batch changes the same authorization (found by the simulation, test/sim):
// a release of an expired hold batched with its late settlement, and a retried authorization
// (same Idempotency-Key) batched with the settlement of its hold.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { assertAuditClean, harness, makeAccount, OPERATOR, type Harness } from '../fixtures/tokenbank';

const usage = { input_tokens: 1000, output_tokens: 100 };

for (const engine of databaseEngines()) {
  describe(`each answer of a batch is its own operation's, on ${engine.name}`, { skip: engine.skip }, () => {
    let h: Harness;
    before(async () => {
      h = await harness(await engine.open());
    });
    after(closeAll);

    it('a release of an expired hold, batched with its late settlement, answers "expired", not the settlement', async () => {
      const account = await makeAccount(h, { credits_micros: 20_000_000, extra_usage: true, limit_micros: null });
      const hold = await h.tb.authorize({
        account_id: account.id,
        app: 'claude-code',
        model: 'claude-haiku-4-5',
        input_tokens: 1000,
        max_output_tokens: 1000,
        ttl_ms: 1000,
      });
      h.clock.advance(2000);
      assert.equal(await h.tb.expireHolds(), 1);
      const batches = h.tb.meter.stats.batches;
      const [released, settled] = await Promise.all([h.tb.release(hold.id), h.tb.settle(hold.id, usage)]);
      assert.equal(h.tb.meter.stats.batches - batches, 1, 'the two shared one batch (the case this guards)');
      assert.equal(released.status, 'expired');
      assert.equal(released.charged_micros, null);
      assert.equal(settled.status, 'settled');
      assert.equal(settled.charged_micros, 1500);
      await assertAuditClean(h);
    });

    it('a retried authorization batched with the settlement of its hold answers the hold as it was', async () => {
      const account = await makeAccount(h, { credits_micros: 20_000_000, extra_usage: true, limit_micros: null });
      const request = { account_id: account.id, app: 'claude-code', model: 'claude-haiku-4-5', input_tokens: 1000, max_output_tokens: 1000 };
      const hold = await h.tb.authorize(request, 'retried-key');
      const batches = h.tb.meter.stats.batches;
      const [again, settled] = await Promise.all([h.tb.authorize(request, 'retried-key'), h.tb.settle(hold.id, usage)]);
      assert.equal(h.tb.meter.stats.batches - batches, 1, 'the two shared one batch (the case this guards)');
      assert.equal(again.id, hold.id);
      assert.equal(again.replayed, true);
      assert.equal(again.status, 'held');
      assert.equal(settled.status, 'settled');
      await assertAuditClean(h);
    });
  });
}

// SPEC §1.7: auto-reload is decided "after any hold, settlement or event". A batch must decide it
// after each of its operations, as the same requests one by one would, not once at its end.
for (const engine of databaseEngines()) {
  describe(`auto-reload is decided after each operation of a batch, on ${engine.name}`, { skip: engine.skip }, () => {
    let h: Harness;
    before(async () => {
      h = await harness(await engine.open());
    });
    after(closeAll);

    const event = (account_id: string, id: string, output_tokens: number) => ({
      id,
      account_id,
      app: 'claude-code',
      model: 'claude-haiku-4-5',
      usage: { input_tokens: 0, output_tokens },
      timestamp: new Date(h.clock.now_ms()).toISOString(),
    });

    it('limit $50, reload $20 below $14: after $25 spent, events of $2 then $5 in one batch fire the reload the first one calls for', async () => {
      const account = await makeAccount(h, { credits_micros: 40_000_000, extra_usage: true, limit_micros: 50_000_000 });
      await h.tb.recordUsageEvents([event(account.id, 'spend-25', 5_000_000)]);
      await h.tb.updateExtraUsage(account.id, { auto_reload: { enabled: true, amount_micros: 20_000_000, threshold_micros: 14_000_000 } }, OPERATOR);
      // After the first: available $13 < $14 and $27 + $20 ≤ $50, so it fires; after both, $32 + $20 would pass $50.
      const results = await h.tb.recordUsageEvents([event(account.id, 'spend-2', 400_000), event(account.id, 'spend-5', 1_000_000)]);
      assert.ok(results.every((r) => r.ok));
      assert.equal(await h.tb.processPendingPurchases(), 1, 'one reload fired and was charged');
      const view = await h.tb.getExtraUsage(account.id);
      assert.equal(view.auto_reload.last_event?.type, 'succeeded');
      assert.equal(view.purchased_micros, 40_000_000 - 32_000_000 + 20_000_000);
      assert.equal(view.spent_this_cycle_micros, 32_000_000);
      await assertAuditClean(h);
    });
  });
}
