// SPEC §1.10: balance.low, allowance.warning, allowance.exhausted and allowance.reset are written
// to the outbox by the metering batch that caused them, once per crossing / window period, on both
// engines. Plus: every event type the source writes is one of EVENT_TYPES (the events list and the
// webhook payloads are typed by that list).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { harness, makeAccount, OPERATOR, type Harness } from '../fixtures/tokenbank';
import { defaultCatalogData, type Plan } from '../../src/domain/catalog';
import { EVENT_TYPES } from '../../src/domain/events';
import { limits } from '../../src/domain/limits';
import type { Db } from '../../src/store/db';

const $ = (dollars: number) => dollars * 1_000_000;
const SMALL: Plan = {
  id: 'small_windows',
  name: 'Small windows',
  price_micros: 20_000_000,
  per_seat: false,
  extra_usage_allowed: true,
  windows: [{ kind: 'rolling_5h', limit_tokens: 100 }],
  requests_per_minute: 1000,
  tokens_per_minute: 10_000_000,
};

after(closeAll);

for (const engine of databaseEngines()) {
  describe(`notifications written by metering (${engine.name})`, { skip: engine.skip }, () => {
    let db: Db;
    let h: Harness;
    before(async () => {
      db = await engine.open();
      h = await harness(db);
      const data = defaultCatalogData();
      await h.tb.replaceCatalog({ ...data, plans: [...data.plans, SMALL] }, OPERATOR);
    });
    after(async () => {
      await db?.close().catch(() => undefined);
    });
    const types = async (account_id: string) => (await h.tb.store.listOutbox({ account_id, limit: 500 })).reverse().map((e) => e.type);
    const ofType = async (account_id: string, type: string) => (await h.tb.store.listOutbox({ account_id, limit: 500 })).filter((e) => e.type === type);
    /** claude-code pays with extra usage only: sonnet, 1,000 in / 200 out = 6,000 micros (example 1). */
    const spend = async (account_id: string, times: number) => {
      for (let i = 0; i < times; i++) {
        const auth = await h.tb.authorize({ account_id, app: 'claude-code', model: 'claude-sonnet-4-5', input_tokens: 1000, max_output_tokens: 200 });
        await h.tb.settle(auth.id, { input_tokens: 1000, output_tokens: 200 });
      }
    };
    /** The web app draws on the plan: haiku, `tokens` allowance tokens held and used (tokens − 1 in, 1 out). */
    const useAllowance = async (account_id: string, tokens: number) => {
      const auth = await h.tb.authorize({ account_id, app: 'web', model: 'claude-haiku-4-5', input_tokens: tokens - 1, max_output_tokens: 1 });
      await h.tb.settle(auth.id, { input_tokens: tokens - 1, output_tokens: 1 });
    };

    it(`balance.low: once when the balance goes below the default $${limits.balance_low_micros_default / 1e6} threshold, not again while it stays below; again after a purchase lifts it`, async () => {
      const account = await makeAccount(h, { credits_micros: $(5), extra_usage: true, limit_micros: null });
      await spend(account.id, 1); // $5 → $4.994
      assert.equal((await ofType(account.id, 'balance.low')).length, 1);
      const [low] = await ofType(account.id, 'balance.low');
      assert.deepEqual(low!.payload, { balance_micros: $(5) - 6000, threshold_micros: limits.balance_low_micros_default, auto_reload_enabled: false });
      await spend(account.id, 3);
      assert.equal((await ofType(account.id, 'balance.low')).length, 1, 'still below: no second event');
      await h.tb.purchaseCredits(account.id, { amount_micros: $(5) }, `lift-${account.id}`, OPERATOR);
      await spend(account.id, 1);
      assert.equal((await ofType(account.id, 'balance.low')).length, 1, 'above again ($9.97 ≥ $5): nothing');
      const auth = await h.tb.authorize({ account_id: account.id, app: 'claude-code', model: 'claude-opus-4-5', input_tokens: 100_000, max_output_tokens: 1 });
      await h.tb.settle(auth.id, { input_tokens: 1_000_000, output_tokens: 0 }); // $5 beyond its hold: $9.97 → $4.97
      assert.equal((await ofType(account.id, 'balance.low')).length, 2, 'crossed again: a second event');
    });

    it('balance.low: the auto-reload threshold is the threshold when one is set', async () => {
      const account = await makeAccount(h, { credits_micros: $(25), extra_usage: true, limit_micros: null });
      await h.tb.updateExtraUsage(account.id, { auto_reload: { enabled: false, amount_micros: $(10), threshold_micros: $(25) } }, OPERATOR);
      await spend(account.id, 2);
      const lows = await ofType(account.id, 'balance.low');
      assert.equal(lows.length, 1);
      assert.equal(lows[0]!.payload.threshold_micros, $(25));
    });

    it('allowance.warning at 80%, allowance.exhausted at the limit, each once per window period; allowance.reset once at the first request after the window reopens', async () => {
      const account = await makeAccount(h, { plan: SMALL.id, credits_micros: $(5), extra_usage: true, limit_micros: null });
      await useAllowance(account.id, 50);
      assert.deepEqual(await types(account.id).then((t) => t.filter((x) => x.startsWith('allowance.'))), []);
      await useAllowance(account.id, 30); // 80 of 100
      await useAllowance(account.id, 5);
      assert.deepEqual(
        (await types(account.id)).filter((x) => x.startsWith('allowance.')),
        ['allowance.warning'],
      );
      await useAllowance(account.id, 15); // 100 of 100
      await useAllowance(account.id, 10); // overflow to extra usage: the window stays exhausted
      assert.deepEqual(
        (await types(account.id)).filter((x) => x.startsWith('allowance.')),
        ['allowance.warning', 'allowance.exhausted'],
      );
      const [warning] = await ofType(account.id, 'allowance.warning');
      assert.equal(warning!.payload.warning_percent, 80, 'the warning says the share it was sent at');
      const [exhausted] = await ofType(account.id, 'allowance.exhausted');
      assert.equal(exhausted!.payload.window, 'rolling_5h');
      assert.equal(exhausted!.payload.used_tokens, 100);
      assert.equal(exhausted!.payload.limit_tokens, 100);

      h.clock.advance(limits.rolling_window_ms + 1000);
      await useAllowance(account.id, 10);
      await useAllowance(account.id, 10);
      const resets = await ofType(account.id, 'allowance.reset');
      assert.equal(resets.length, 1, 'one reset for the new period, not one per request');
      assert.equal(resets[0]!.payload.previous_used_tokens, 100);
      assert.equal(resets[0]!.payload.used_tokens, 0, 'written by the hold that reopened it, before anything was used');
      assert.equal(resets[0]!.payload.window_start, new Date(h.clock.ms).toISOString());
      await useAllowance(account.id, 80); // 100 of 100 in the new period
      assert.deepEqual(
        (await types(account.id)).filter((x) => x.startsWith('allowance.')),
        ['allowance.warning', 'allowance.exhausted', 'allowance.reset', 'allowance.warning', 'allowance.exhausted'],
      );
    });

    it('concurrent requests that together cross the limit write allowance.exhausted once', async () => {
      const account = await makeAccount(h, { plan: SMALL.id, credits_micros: $(5), extra_usage: true, limit_micros: null });
      await Promise.all(Array.from({ length: 20 }, () => useAllowance(account.id, 10)));
      assert.equal((await ofType(account.id, 'allowance.exhausted')).length, 1);
      assert.equal((await ofType(account.id, 'allowance.warning')).length, 1);
    });
  });
}

describe('one list of event types', () => {
  it('every event type the source writes to the outbox is in EVENT_TYPES (src/domain/events.ts)', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : n.endsWith('.ts') ? [join(dir, n)] : []));
    const written = new Set<string>();
    for (const file of files('src')) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!/\btype:/.test(line) || /action:/.test(line)) continue;
        for (const m of line.matchAll(/'([a-z_]+\.[a-z_]+)'/g)) written.add(m[1]!);
      }
    }
    assert.ok(written.has('auto_reload.skipped') && written.has('member.invited'), [...written].join(', '));
    assert.deepEqual(
      [...written].filter((t) => !(t in EVENT_TYPES)),
      [],
    );
  });
});
