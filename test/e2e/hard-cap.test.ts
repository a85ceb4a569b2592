// The monthly spend limit is a hard cap (SPEC §1.6), through the two ways it used to be passed
// (issue 8, items 2 and 3), and every charge is traceable to who made it (item 11). Through the
// HTTP API, on both engines.
//
// opus: input $5, cache write $6.25, output $25 per MTok. 1,000 in and 4,000 max out holds
// 5,000 + 100,000 = 105,000 micros; under a $5 limit ⌊5,000,000 / 105,000⌋ = 47 fit.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { apiHarness, type Api } from '../fixtures/http';
import { assertAuditClean } from '../fixtures/tokenbank';
import { limits } from '../../src/domain/limits';

const LIMIT = 5_000_000;
const HOLD = 105_000;
const FIT = Math.floor(LIMIT / HOLD);
const TTL_MS = 60_000;

function metric(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

for (const engine of databaseEngines()) {
  describe(`the hard cap and who charged, on ${engine.name}`, { skip: engine.skip }, () => {
    let api: Api;
    before(async () => {
      api = await apiHarness(await engine.open());
    });
    after(async () => {
      await api?.close();
      await api?.db.close();
      await closeAll();
    });

    const authorize = (account_id: string, extra: Record<string, unknown> = {}) =>
      api.call('POST', '/v1/authorizations', { token: api.service, body: { account_id, app: 'claude-code', model: 'claude-opus-4-5', input_tokens: 1000, max_output_tokens: 4000, ttl_ms: TTL_MS, ...extra } });
    const settle = (id: string, usage: Record<string, number>) => api.call('POST', `/v1/authorizations/${id}/settle`, { token: api.service, body: usage });
    const extra = async (account_id: string) => (await api.call('GET', `/v1/accounts/${account_id}/extra-usage`, { token: api.operator })).body;
    const metrics = async () => (await api.call('GET', '/metrics')).text;

    it(`expired holds keep counting against the limit for the late-settlement window: ${FIT} expired holds leave no room for ${FIT} more, and their late settlements stay under $5`, async () => {
      const account = await api.account({ credits_micros: 20_000_000, extra_usage: true, limit_micros: LIMIT });
      const before_metrics = await metrics();
      const first = await Promise.all(Array.from({ length: FIT + 3 }, () => authorize(account.id)));
      const held = first.filter((r) => r.status === 201);
      assert.equal(held.length, FIT);
      api.clock.advance(TTL_MS + 1);
      assert.equal(await api.tb.expireHolds(), FIT);
      const view = await extra(account.id);
      assert.deepEqual([view.held_micros, view.late_held_micros, view.available_micros], [0, FIT * HOLD, 20_000_000], 'the balance is free again, the limit is not');
      const expired = (await api.call('GET', `/v1/authorizations/${held[0]!.body.id}`, { token: api.service })).body;
      assert.equal(expired.status, 'expired');
      assert.equal(expired.late_settlement_window_ends_at, new Date(api.clock.ms - 1 + limits.late_settlement_window_ms).toISOString());
      const second = await Promise.all(Array.from({ length: FIT }, () => authorize(account.id)));
      assert.deepEqual([...new Set(second.map((r) => r.status))], [402]);
      assert.equal(second[0]!.body.error.type, 'spend_limit_reached');
      assert.equal(second[0]!.body.error.late_held_micros, FIT * HOLD);
      // Every late settlement, at exactly its hold, is charged; together they fit under the limit.
      for (const r of held) {
        const s = await settle(r.body.id, { input_tokens: 1000, output_tokens: 4000 });
        assert.equal(s.status, 200, s.text);
        assert.equal(s.body.charged_micros, HOLD);
      }
      const after_view = await extra(account.id);
      assert.deepEqual([after_view.spent_this_cycle_micros, after_view.late_held_micros], [FIT * HOLD, 0]);
      assert.ok(after_view.spent_this_cycle_micros <= LIMIT);
      const text = await metrics();
      assert.equal(metric(text, 'tokenbank_late_settlements_total', '{window="open"}') - metric(before_metrics, 'tokenbank_late_settlements_total', '{window="open"}'), FIT);
      await assertAuditClean(api);
    });

    it('when the late-settlement window ends the limit stops counting the hold; a settlement after it is still charged and counted as past the window', async () => {
      const account = await api.account({ credits_micros: 20_000_000, extra_usage: true, limit_micros: HOLD });
      const before_metrics = await metrics();
      const hold = await authorize(account.id);
      assert.equal(hold.status, 201);
      api.clock.advance(TTL_MS);
      await api.tb.expireHolds();
      assert.equal((await authorize(account.id)).status, 402, 'still counted within the window');
      api.clock.advance(limits.late_settlement_window_ms);
      await api.tb.expireHolds();
      assert.equal((await extra(account.id)).late_held_micros, 0);
      const next = await authorize(account.id);
      assert.equal(next.status, 201, 'room again once the window ended');
      const late = await settle(hold.body.id, { input_tokens: 1000, output_tokens: 4000 });
      assert.equal(late.status, 200);
      assert.equal(late.body.charged_micros, HOLD, 'usage that happened is never lost');
      const text = await metrics();
      assert.equal(metric(text, 'tokenbank_late_settlements_total', '{window="ended"}') - metric(before_metrics, 'tokenbank_late_settlements_total', '{window="ended"}'), 1);
      await api.call('POST', `/v1/authorizations/${next.body.id}/release`, { token: api.service });
      await assertAuditClean(api);
    });

    it('a hold declares its cache writes and prices them: 5m holds of 106,250 cannot pass the limit even when every token is settled as a cache write', async () => {
      const account = await api.account({ credits_micros: 20_000_000, extra_usage: true, limit_micros: LIMIT });
      const answers = await Promise.all(Array.from({ length: 60 }, () => authorize(account.id, { cache_write: '5m' })));
      const held = answers.filter((r) => r.status === 201);
      assert.equal(held.length, Math.floor(LIMIT / 106_250));
      assert.ok(held.every((r) => r.body.funding.held_micros === 106_250 && r.body.cache_write === '5m'));
      for (const r of held) {
        const s = await settle(r.body.id, { input_tokens: 0, output_tokens: 4000, cache_creation_input_tokens: 1000 });
        assert.equal(s.body.charged_micros, 106_250);
        assert.equal(s.body.beyond_hold, false);
      }
      assert.ok((await extra(account.id)).spent_this_cycle_micros <= LIMIT);
      const wide = await api.account({ credits_micros: 20_000_000, extra_usage: true, limit_micros: null });
      const onehour = await authorize(wide.id, { cache_write: '1h', max_output_tokens: 10 });
      assert.equal(onehour.body.funding.held_micros, 1000 * 10 + 10 * 25, '1h writes hold twice the input rate');
      await api.call('POST', `/v1/authorizations/${onehour.body.id}/release`, { token: api.service });
      const bad = await authorize(account.id, { cache_write: '2h' });
      assert.equal(bad.status, 400);
      assert.match(JSON.stringify(bad.body.error), /cache_write/);
      await assertAuditClean(api);
    });

    it('a settlement beyond its hold (undeclared cache writes) is charged in full and says so: in its answer, its usage record and /metrics', async () => {
      const account = await api.account({ credits_micros: 20_000_000, extra_usage: true, limit_micros: null });
      const before_metrics = await metrics();
      const hold = await authorize(account.id);
      const s = await settle(hold.body.id, { input_tokens: 0, output_tokens: 4000, cache_creation_input_tokens: 1000 });
      assert.equal(s.status, 200);
      assert.deepEqual([s.body.charged_micros, s.body.beyond_hold], [106_250, true]);
      const records = (await api.call('GET', `/v1/accounts/${account.id}/usage-records`, { token: api.operator })).body.data;
      assert.equal(records[0].authorization_id, hold.body.id);
      assert.equal(records[0].beyond_hold, true);
      const text = await metrics();
      assert.equal(metric(text, 'tokenbank_settlements_beyond_hold_total') - metric(before_metrics, 'tokenbank_settlements_beyond_hold_total'), 1);
    });

    it("Anthropic's usage object passes through unchanged: null cache counts, cache_creation by life (1-hour writes at 2× input), service_tier, server_tool_use and later fields", async () => {
      const account = await api.account({ credits_micros: 20_000_000, extra_usage: true, limit_micros: null });
      const hold = await authorize(account.id, { input_tokens: 3100, max_output_tokens: 200, cache_write: '1h' });
      assert.equal(hold.body.funding.held_micros, 3100 * 10 + 200 * 25);
      const usage = { input_tokens: 100, output_tokens: 200, cache_creation_input_tokens: 3000, cache_read_input_tokens: null, cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 2000 }, service_tier: 'standard', server_tool_use: { web_search_requests: 0 }, a_field_added_later: 1 };
      const s = await api.call('POST', `/v1/authorizations/${hold.body.id}/settle`, { token: api.service, body: usage });
      assert.equal(s.status, 200, s.text);
      // 100 × $5 + 200 × $25 + 1,000 × $6.25 (5 minutes) + 2,000 × $10 (1 hour), per million.
      assert.deepEqual([s.body.charged_micros, s.body.beyond_hold], [500 + 5000 + 6250 + 20_000, false]);
      assert.deepEqual(s.body.usage, { input_tokens: 100, output_tokens: 200, cache_creation_input_tokens: 3000, cache_read_input_tokens: 0, cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 2000 } });
      const again = await api.call('POST', `/v1/authorizations/${hold.body.id}/settle`, { token: api.service, body: usage });
      assert.equal(again.status, 200, 'the same usage object again is a replay');
      const event = await api.call('POST', '/v1/usage-events', { token: api.service, body: { events: [{ id: 'anthropic-usage', account_id: account.id, app: 'cursor', model: 'claude-opus-4-5', usage: { ...usage, cache_creation_input_tokens: null }, timestamp: new Date(api.clock.ms).toISOString() }] } });
      assert.equal(event.status, 200, event.text);
      assert.equal(event.body.data[0].usage_record.cost_micros, 31_750, 'the total is taken from cache_creation when the count is null');
      await assertAuditClean(api);
    });

    it('every charge records who made it and the server request id: settlements and usage events', async () => {
      const account = await api.account({ credits_micros: 20_000_000, extra_usage: true, limit_micros: null });
      const hold = await authorize(account.id);
      const s = await settle(hold.body.id, { input_tokens: 1000, output_tokens: 10 });
      const event = await api.call('POST', '/v1/usage-events', { token: api.service, body: { events: [{ id: 'who-1', account_id: account.id, app: 'cursor', model: 'claude-opus-4-5', usage: { input_tokens: 10, output_tokens: 10 }, timestamp: new Date(api.clock.ms).toISOString() }] } });
      assert.equal(event.status, 200, event.text);
      const records = (await api.call('GET', `/v1/accounts/${account.id}/usage-records`, { token: api.operator })).body.data as Array<Record<string, unknown>>;
      const by_settle = records.find((r) => r.authorization_id === hold.body.id)!;
      const by_event = records.find((r) => r.event_id === 'who-1')!;
      for (const [record, reply] of [
        [by_settle, s],
        [by_event, event],
      ] as const) {
        assert.match(String(record.charged_by), /^service:/);
        assert.equal(record.request_id, reply.headers['x-request-id']);
      }
    });
  });
}
