// API organizations across two real server processes on one PostgreSQL (issue 12): a revoked API
// key is refused at once by the other process (no cache: the key is read at every authorization
// and re-read under its row lock by the batch); per-key and per-org monthly limits are hard caps
// under 500 concurrent authorizations split over both processes; the audit stays clean.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, freshPostgres, postgresUrlOf } from '../fixtures/databases';
import { freePort, pool, request, startServer, stopServer, waitHealthy, type Server } from '../fixtures/servers';

const ADMIN_TOKEN = 'orgs-processes-admin-token-0123456789';
const CONCURRENT = 500;
const IN_FLIGHT_MAX = 100;
const HOLD = { model: 'claude-sonnet-4-5', input_tokens: 1000, max_output_tokens: 1000 } as const; // 18,000 micros held
const HOLD_MICROS = 18_000;
const LIMIT_MICROS = 1_000_000;
const FIT = Math.floor(LIMIT_MICROS / HOLD_MICROS); // 55

const skip = process.env.TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL not set: the multi-process test needs PostgreSQL';
const REQUESTS_PER_MINUTE = 20;

describe('API organizations on two server processes (PostgreSQL)', { skip }, () => {
  const servers: Server[] = [];
  let a: string;
  let b: string;
  let service: string;
  const op = (base: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    request(base, method, path, ADMIN_TOKEN, body, headers);

  /** An org with $20 of API credits (bought through server A), optionally a monthly limit, and one key. */
  async function org(org_limit_micros: number | null, key_limit_micros: number | null) {
    const created = await op(a, 'POST', '/v1/orgs', {
      name: 'Two processes',
      admin_email: `admin.${Date.now()}.${Math.random()}@example.com`,
      admin_password: 'correct horse battery',
      monthly_limit_micros: org_limit_micros,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id as string;
    assert.equal((await op(b, 'POST', `/v1/orgs/${id}/payment-methods`, { token: 'tok_visa' })).status, 201);
    const bought = await op(a, 'POST', `/v1/orgs/${id}/credits`, { amount_micros: 20_000_000 }, { 'idempotency-key': `seed-${id}` });
    assert.equal(bought.status, 201, JSON.stringify(bought.body));
    const key = await op(b, 'POST', `/v1/orgs/${id}/keys`, { name: 'load', monthly_limit_micros: key_limit_micros });
    assert.equal(key.status, 201);
    return { id, secret: key.body.secret as string, key_id: key.body.id as string };
  }

  before(async () => {
    const db = await freshPostgres();
    const url = postgresUrlOf(db!);
    for (const port of [await freePort(), await freePort()]) servers.push(startServer(port, { DATABASE_URL: url, TOKENBANK_ADMIN_TOKEN: ADMIN_TOKEN }));
    await Promise.all(servers.map((s) => waitHealthy(s, 'postgres')));
    [a, b] = servers.map((s) => s.base) as [string, string];
    const gateway = await op(a, 'POST', '/v1/service-tokens', { name: 'gateway' });
    service = gateway.body.token;
    // Rate limits far above this test's load (the tiers are the operator's, SPEC §1.9).
    const tiers = await op(a, 'PUT', '/v1/api-tiers', {
      tiers: [
        { tier: 0, purchased_micros_min: 0, requests_per_minute: 1_000_000, input_tokens_per_minute: 1_000_000_000, output_tokens_per_minute: 1_000_000_000 },
      ],
    });
    assert.equal(tiers.status, 200, JSON.stringify(tiers.body));
  });
  after(async () => {
    await Promise.all(servers.map(stopServer));
    await closeAll();
  });

  it('a key revoked through one process is refused (401) by the other on its very next authorization', async () => {
    const o = await org(null, null);
    const authorize = (base: string) => request(base, 'POST', '/v1/authorizations', service, { api_key: o.secret, ...HOLD });
    assert.equal((await authorize(b)).status, 201);
    const revoked = await op(a, 'DELETE', `/v1/orgs/${o.id}/keys/${o.key_id}`);
    assert.equal(revoked.status, 200);
    const refused = await authorize(b);
    assert.deepEqual([refused.status, refused.body.error.type], [401, 'unauthenticated']);
    assert.ok(!JSON.stringify(refused.body).includes(o.secret.slice(4, 16)));
  });

  for (const which of ['key', 'org'] as const) {
    it(`${CONCURRENT} concurrent authorizations over both processes against a $1 ${which} monthly limit: exactly ${FIT} held, the rest ${which === 'key' ? 'key_limit_reached' : 'spend_limit_reached'}; audit clean`, async () => {
      const o = which === 'key' ? await org(null, LIMIT_MICROS) : await org(LIMIT_MICROS, null);
      const type = which === 'key' ? 'key_limit_reached' : 'spend_limit_reached';
      const outcomes = await pool(CONCURRENT, IN_FLIGHT_MAX, (i) =>
        request(i % 2 === 0 ? a : b, 'POST', '/v1/authorizations', service, { api_key: o.secret, ...HOLD }, { 'idempotency-key': `c-${i}` }),
      );
      const held = outcomes.filter((r) => r.status === 201);
      const others = outcomes.filter((r) => r.status !== 201 && !(r.status === 402 && r.body.error.type === type));
      assert.deepEqual(others.slice(0, 3), [], `every refusal is 402 ${type}`);
      assert.equal(held.length, FIT);
      for (const r of held) assert.equal(r.body.funding.source, 'api_credits');
      // Settle half of them at the full hold, release the rest: the month's spend stays within the limit.
      await pool(held.length, IN_FLIGHT_MAX, (i) =>
        i % 2 === 0
          ? request(i % 4 === 0 ? a : b, 'POST', `/v1/authorizations/${held[i]!.body.id}/settle`, service, { input_tokens: 1000, output_tokens: 1000 })
          : request(b, 'POST', `/v1/authorizations/${held[i]!.body.id}/release`, service),
      );
      const view = await op(b, 'GET', `/v1/orgs/${o.id}`);
      const settled = Math.ceil(FIT / 2);
      assert.deepEqual(
        [view.body.held_micros, view.body.spent_this_month_micros, view.body.credit_balance_micros],
        [0, settled * HOLD_MICROS, 20_000_000 - settled * HOLD_MICROS],
      );
      const keys = await op(a, 'GET', `/v1/orgs/${o.id}/keys`);
      assert.equal(keys.body.data[0].spent_this_month_micros, settled * HOLD_MICROS);
      const audit = await op(a, 'GET', '/v1/audit');
      assert.equal(audit.body.ok, true, JSON.stringify(audit.body));
    });
  }

  it(
    `rate limits shared through Redis: ${REQUESTS_PER_MINUTE * 3} concurrent authorizations over both processes against ${REQUESTS_PER_MINUTE} requests a minute → exactly ${REQUESTS_PER_MINUTE} admitted, the rest 429 with Retry-After`,
    { skip: process.env.TEST_REDIS_URL ? false : 'TEST_REDIS_URL not set' },
    async () => {
      const tier = {
        tier: 0,
        purchased_micros_min: 0,
        requests_per_minute: REQUESTS_PER_MINUTE,
        input_tokens_per_minute: 1_000_000_000,
        output_tokens_per_minute: 1_000_000_000,
      };
      assert.equal((await op(a, 'PUT', '/v1/api-tiers', { tiers: [tier] })).status, 200);
      const o = await org(null, null);
      // One fixed minute for the whole burst: wait for the next minute when this one is nearly over.
      const into_minute_ms = Date.now() % 60_000;
      if (into_minute_ms > 50_000) await new Promise((r) => setTimeout(r, 60_000 - into_minute_ms + 100));
      const outcomes = await pool(REQUESTS_PER_MINUTE * 3, REQUESTS_PER_MINUTE * 3, (i) =>
        request(i % 2 === 0 ? a : b, 'POST', '/v1/authorizations', service, { api_key: o.secret, ...HOLD }),
      );
      const admitted = outcomes.filter((r) => r.status === 201);
      const limited = outcomes.filter((r) => r.status === 429);
      assert.equal(admitted.length, REQUESTS_PER_MINUTE, JSON.stringify(outcomes.filter((r) => r.status !== 201 && r.status !== 429).slice(0, 2)));
      assert.equal(limited.length, REQUESTS_PER_MINUTE * 2);
      for (const r of limited)
        assert.deepEqual([r.body.error.type, r.body.error.budget, r.body.error.limit], ['rate_limited', 'requests', REQUESTS_PER_MINUTE]);
    },
  );

  it(
    'output tokens reserved through one process come back when the other settles (Redis): the next request may use them',
    { skip: process.env.TEST_REDIS_URL ? false : 'TEST_REDIS_URL not set' },
    async () => {
      const tier = { tier: 0, purchased_micros_min: 0, requests_per_minute: 1000, input_tokens_per_minute: 1_000_000, output_tokens_per_minute: 2000 };
      assert.equal((await op(a, 'PUT', '/v1/api-tiers', { tiers: [tier] })).status, 200);
      const o = await org(null, null);
      const into_minute_ms = Date.now() % 60_000;
      if (into_minute_ms > 50_000) await new Promise((r) => setTimeout(r, 60_000 - into_minute_ms + 100));
      const authorize = (base: string, max_output_tokens: number) =>
        request(base, 'POST', '/v1/authorizations', service, { api_key: o.secret, model: HOLD.model, input_tokens: 10, max_output_tokens });
      const first = await authorize(a, 1500);
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.equal((await authorize(b, 600)).status, 429, 'both processes count one budget');
      const settled = await request(b, 'POST', `/v1/authorizations/${first.body.id}/settle`, service, { input_tokens: 10, output_tokens: 100 });
      assert.equal(settled.status, 200, JSON.stringify(settled.body));
      assert.equal(settled.headers.get('anthropic-ratelimit-output-tokens-remaining'), '1900');
      const again = await request(a, 'POST', `/v1/authorizations/${first.body.id}/settle`, service, { input_tokens: 10, output_tokens: 100 });
      assert.equal(again.status, 200);
      assert.equal(again.headers.get('anthropic-ratelimit-output-tokens-remaining'), '1900', 'the replay on the first process gives nothing back twice');
      const second = await authorize(a, 1900);
      assert.equal(second.status, 201, JSON.stringify(second.body));
      assert.equal(second.headers.get('anthropic-ratelimit-output-tokens-remaining'), '0');
    },
  );
});
