// Rate limits of API organizations on one process (issue 12, part 4; SPEC §1.9): the org's tier
// gives requests, input tokens and output tokens per minute; an authorization takes all three at
// once; the 429 comes at the exact boundary with Retry-After; every answer carries
// anthropic-ratelimit-* headers; unused output tokens come back at settle; buying raises the tier.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, freshPglite } from '../fixtures/databases';
import { apiHarness, assertError, email, type Api } from '../fixtures/http';
import { OPERATOR } from '../fixtures/tokenbank';
import { memoryRateLimiter } from '../../src/ratelimit/limiters';

after(closeAll);

describe('API organization rate limits (one process, in memory)', () => {
  let api: Api;
  before(async () => {
    api = await apiHarness(await freshPglite(), { rate_limiter: memoryRateLimiter() });
  });
  after(async () => {
    await api?.close();
    await api?.db.close();
  });

  async function org(credits_micros = 0, grant_micros = 10_000_000) {
    const admin = await api.user(email('rl-admin'));
    const { org } = await api.tb.createOrg({ name: 'RL', admin_email: admin.email }, OPERATOR);
    await api.tb.grantCredits(org.id, { amount_micros: grant_micros }, OPERATOR);
    if (credits_micros > 0) {
      await api.tb.addPaymentMethod(org.id, { token: 'tok_visa' }, OPERATOR);
      await api.tb.purchaseCredits(org.id, { amount_micros: credits_micros }, `rl-${org.id}`, OPERATOR);
    }
    const key = await api.tb.createApiKey(org.id, { name: 'rl' }, OPERATOR);
    return { id: org.id, secret: key.secret };
  }
  const authorize = (secret: string, max_output_tokens = 100, input_tokens = 10) =>
    api.call('POST', '/v1/authorizations', { token: api.service, body: { api_key: secret, model: 'claude-haiku-4-5', input_tokens, max_output_tokens } });

  it('tier 0 (5 requests a minute): 5 admitted with the remaining count going down, the 6th is 429 with Retry-After and the headers', async () => {
    const o = await org();
    for (let i = 0; i < 5; i++) {
      const r = await authorize(o.secret);
      assert.equal(r.status, 201, r.text);
      assert.equal(r.headers['anthropic-ratelimit-requests-limit'], '5');
      assert.equal(r.headers['anthropic-ratelimit-requests-remaining'], String(4 - i));
      assert.equal(r.headers['anthropic-ratelimit-input-tokens-remaining'], String(10_000 - 10 * (i + 1)));
      assert.equal(r.headers['anthropic-ratelimit-output-tokens-remaining'], String(2000 - 100 * (i + 1)));
      assert.match(String(r.headers['anthropic-ratelimit-requests-reset']), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.000Z$/);
    }
    const refused = await authorize(o.secret);
    const e = assertError(refused, 429, 'rate_limited');
    assert.equal(Number(refused.headers['retry-after']), e.retry_after_s);
    assert.ok(e.retry_after_s >= 1 && e.retry_after_s <= 60);
    assert.deepEqual([e.tier, e.budget, e.limit], [0, 'requests', 5]);
    assert.equal(refused.headers['anthropic-ratelimit-requests-remaining'], '0');
  });

  it('output tokens are reserved at authorization (max_output_tokens) and the unused part comes back at settle', async () => {
    const o = await org();
    const first = await authorize(o.secret, 1500);
    assert.equal(first.headers['anthropic-ratelimit-output-tokens-remaining'], '500');
    assertError(await authorize(o.secret, 600), 429, 'rate_limited'); // 1500 + 600 > 2000
    const settled = await api.call('POST', `/v1/authorizations/${first.body.id}/settle`, {
      token: api.service,
      body: { input_tokens: 10, output_tokens: 100 },
    });
    assert.equal(settled.status, 200, settled.text);
    // The settle's answer carries the budgets as they are after the give-back: 1400 of 1500 came back.
    assert.equal(settled.headers['anthropic-ratelimit-output-tokens-remaining'], '1900');
    assert.equal(settled.headers['anthropic-ratelimit-requests-remaining'], '4'); // its request stays taken (the refused one took nothing)
    const again = await api.call('POST', `/v1/authorizations/${first.body.id}/settle`, { token: api.service, body: { input_tokens: 10, output_tokens: 100 } });
    assert.equal(again.headers['anthropic-ratelimit-output-tokens-remaining'], '1900', 'a replayed settle gives nothing back twice');
    const second = await authorize(o.secret, 1900); // 100 used + 1900 = 2000: exactly the budget
    assert.equal(second.status, 201, second.text);
    assert.equal(second.headers['anthropic-ratelimit-output-tokens-remaining'], '0');
  });

  it('a release gives back the whole output reservation, and its answer says so', async () => {
    const o = await org();
    const held = await authorize(o.secret, 1200);
    assert.equal(held.headers['anthropic-ratelimit-output-tokens-remaining'], '800');
    const released = await api.call('POST', `/v1/authorizations/${held.body.id}/release`, { token: api.service });
    assert.equal(released.status, 200, released.text);
    assert.equal(released.headers['anthropic-ratelimit-output-tokens-remaining'], '2000');
    assert.equal(released.headers['anthropic-ratelimit-input-tokens-remaining'], '9990');
  });

  it('a request larger than a whole minute of the tier is 400 naming the field, not a wait', async () => {
    const o = await org();
    const e = assertError(await authorize(o.secret, 2001), 400, 'invalid_request');
    assert.equal(e.field, 'max_output_tokens');
  });

  it('buying credits raises the tier and its limits at once: $5 → tier 1, 50 requests a minute', async () => {
    const o = await org(5_000_000);
    const r = await authorize(o.secret);
    assert.equal(r.headers['anthropic-ratelimit-requests-limit'], '50');
  });

  it('the operator defines the tiers (PUT /v1/api-tiers); a bad table is 400 naming the problem', async () => {
    const tiers = (await api.call('GET', '/v1/api-tiers', { token: api.operator })).body.tiers;
    assert.deepEqual(
      tiers.map((t: { purchased_micros_min: number }) => t.purchased_micros_min),
      [0, 5_000_000, 40_000_000, 200_000_000, 400_000_000],
    );
    const bad = assertError(await api.call('PUT', '/v1/api-tiers', { token: api.operator, body: { tiers: [{ ...tiers[1] }] } }), 400, 'invalid_request');
    assert.match(bad.message, /lowest tier/);
    const raised = tiers.map((t: { requests_per_minute: number }, i: number) => (i === 0 ? { ...t, requests_per_minute: 7 } : t));
    assert.equal((await api.call('PUT', '/v1/api-tiers', { token: api.operator, body: { tiers: raised } })).status, 200);
    const o = await org();
    assert.equal((await authorize(o.secret)).headers['anthropic-ratelimit-requests-limit'], '7');
  });

  it('plan accounts keep their per-plan limits through the same take, with the same headers (requests and tokens)', async () => {
    const acct = await api.account({ credits_micros: 10_000_000, extra_usage: true, limit_micros: null });
    const pro = (await api.tb.catalog()).plans.get('pro')!;
    const r = await api.call('POST', '/v1/authorizations', {
      token: api.service,
      body: { account_id: acct.id, app: 'claude-code', model: 'claude-haiku-4-5', input_tokens: 10, max_output_tokens: 100 },
    });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.headers['anthropic-ratelimit-requests-limit'], String(pro.requests_per_minute));
    assert.equal(r.headers['anthropic-ratelimit-requests-remaining'], String(pro.requests_per_minute - 1));
    assert.equal(r.headers['anthropic-ratelimit-tokens-remaining'], String(pro.tokens_per_minute - 110));
    // The unused output reservation comes back at settle, as for organizations: 100 reserved, 40 used.
    const settled = await api.call('POST', `/v1/authorizations/${r.body.id}/settle`, { token: api.service, body: { input_tokens: 10, output_tokens: 40 } });
    assert.equal(settled.status, 200, settled.text);
    assert.equal(settled.headers['anthropic-ratelimit-tokens-remaining'], String(pro.tokens_per_minute - 50));
    assert.equal(settled.headers['anthropic-ratelimit-requests-remaining'], String(pro.requests_per_minute - 1));
  });
});
