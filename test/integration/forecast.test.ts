// GET …/extra-usage serves the forecast (src/domain/forecast.ts) from the account's own daily
// usage rollups, the same ones GET …/usage reads, on each engine: the page and the CLI show the
// server's figures.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { harness, makeAccount, type Harness } from '../fixtures/tokenbank';

const $ = (dollars: number) => Math.round(dollars * 1_000_000);
const DAY_MS = 86_400_000;

for (const engine of databaseEngines()) {
  describe(`the extra-usage forecast on ${engine.name}`, { skip: engine.skip }, () => {
    let h: Harness;
    before(async () => {
      h = await harness(await engine.open(), { start: '2026-10-25T12:00:00Z' });
    });
    after(closeAll);

    // claude-haiku-4-5 output is $5 per million tokens: 200,000 output tokens cost $1.
    let n = 0;
    const spend = (account_id: string, dollars: number) =>
      h.tb.recordUsageEvents([
        {
          id: `forecast-${++n}`,
          account_id,
          app: 'claude-code',
          model: 'claude-haiku-4-5',
          usage: { input_tokens: 0, output_tokens: dollars * 200_000 },
          timestamp: new Date(h.clock.now_ms()).toISOString(),
        },
      ]);

    it('$2 a day for the six days before today: the pace, run-out, limit date, projection and suggestions', async () => {
      const account = await makeAccount(h, { credits_micros: $(40), extra_usage: true, limit_micros: $(50) });
      assert.equal((await h.tb.getExtraUsage(account.id)).forecast.per_day_micros, 0, 'no usage yet: no pace');
      await spend(account.id, 3); // 2026-10-25, before the window: counts for the cycle, not the pace
      h.clock.set('2026-10-27T12:00:00Z');
      for (let day = 0; day < 6; day++) {
        await spend(account.id, 2);
        h.clock.advance(DAY_MS);
      }
      h.clock.set('2026-11-02T00:29:59Z'); // as of 00:00: the window is exactly its six full days
      const view = await h.tb.getExtraUsage(account.id);
      assert.equal(view.spent_this_cycle_micros, $(15));
      assert.equal(view.available_micros, $(25));
      assert.deepEqual(view.forecast, {
        as_of: '2026-11-02T00:00:00.000Z',
        window_days: 7,
        window_start: '2026-10-27T00:00:00.000Z',
        extra_usage_micros: $(12),
        per_day_micros: $(2),
        runs_out_at: '2026-11-14T12:00:00.000Z', // $25 / $2 = 12.5 days
        limit_reached_at: '2026-11-19T12:00:00.000Z', // ($50 − $15) / $2 = 17.5 days, before the cycle ends 11-25 12:00
        projected_cycle_micros: $(62), // $15 + 23.5 days × $2
        suggested_limit_micros: $(80), // $62 × 125% = $77.50, rounded up to $10
        suggested_reload: { amount_micros: $(15), threshold_micros: $(5) }, // a week ($14) up to $5; two days ($4), at least $5
      });
      const usage = await h.tb.getUsage(account.id, { from: '2026-10-27', to: '2026-11-02' });
      assert.equal(usage.totals.extra_usage_micros, view.forecast.extra_usage_micros, 'the same rollups as GET …/usage');
    });
  });
}
