// Two real server processes (`node --import tsx src/main.ts`, as `npm start` runs it) on one
// PostgreSQL database, started together. Through the HTTP API only: a catalog plan with high
// rate limits, an account with a card, $20 of credits, extra usage with a $5 monthly limit and a
// gateway service token; then 1,000 concurrent authorize → settle pairs split across both
// servers (opus, 1,000 in, 4,000 max out, settled at 4,000 out: exactly 105,000 micros each).
// The hard cap holds across processes: at most ⌊5,000,000 / 105,000⌋ = 47 pairs are charged,
// every other authorization is refused with 402 spend_limit_reached, and the ledger audits clean.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, freshPostgres, postgresUrlOf } from '../fixtures/databases';
import { freePort, pool, request, startServer, stopServer, waitHealthy, type Server } from '../fixtures/servers';
import { defaultCatalogData } from '../../src/domain/catalog';
import { ensureOperatorToken } from '../../src/app/auth';
import { randomIds, systemClock } from '../../src/app/system';
import { Tokenbank } from '../../src/app/tokenbank';
import { SandboxPayments } from '../../src/payments/sandbox';
import { openPostgres } from '../../src/store/db';
import { PgStore } from '../../src/store/store';

const ADMIN_TOKEN = 'multiprocess-admin-token-0123456789';
const PAIRS = 1000;
const IN_FLIGHT_MAX = 100;
const LIMIT_MICROS = 5_000_000;
const PAIR_MICROS = 105_000; // SPEC §4 example 4
const CHARGED_PAIRS_MAX = Math.floor(LIMIT_MICROS / PAIR_MICROS); // 47

const LOAD_PLAN = { id: 'load', name: 'Load', price_micros: 20_000_000, per_seat: false, extra_usage_allowed: true, windows: [{ kind: 'rolling_5h' as const, limit_tokens: 500_000 }], requests_per_minute: 1_000_000, tokens_per_minute: 1_000_000_000 };

const skip = process.env.TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL not set: the multi-process test needs PostgreSQL';

function startServerOn(database_url: string, port: number, extra_env: NodeJS.ProcessEnv = {}): Server {
  return startServer(port, { DATABASE_URL: database_url, TOKENBANK_ADMIN_TOKEN: ADMIN_TOKEN, ...extra_env });
}

describe('two server processes on one PostgreSQL', { skip }, () => {
  const servers: Server[] = [];

  before(async () => {
    const db = await freshPostgres();
    const url = postgresUrlOf(db!);
    const ports = [await freePort(), await freePort()];
    // Started together, on a database that has never seen a server: both migrate, load the
    // catalog and register the operator token at the same moment.
    for (const port of ports) servers.push(startServerOn(url, port));
    await Promise.all(servers.map((s) => waitHealthy(s, 'postgres')));
  });

  after(async () => {
    await Promise.all(servers.map(stopServer));
    await closeAll();
  });

  it(`${PAIRS} concurrent authorize/settle pairs against a $5 spend limit: at most $5.000000 charged, the rest refused spend_limit_reached, audit clean`, async () => {
    const [a, b] = servers.map((s) => s.base) as [string, string];
    const op = (base: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) => request(base, method, path, ADMIN_TOKEN, body, headers);

    // A catalog plan with rate limits far above this test's load, written through server A and
    // again through B so that both processes read it now (not after their cache time).
    const data = defaultCatalogData();
    const catalog = { plans: [...data.plans, LOAD_PLAN], models: data.models, apps: data.apps, prices: data.prices.map(({ effective_at_ms, ...p }) => ({ ...p, effective_at: new Date(effective_at_ms).toISOString() })) };
    for (const base of [a, b]) assert.equal((await op(base, 'PUT', '/v1/catalog', catalog)).status, 200);

    const account = await op(a, 'POST', '/v1/accounts', { name: 'Load test', plan: 'load', owner_email: `load.${Date.now()}@example.com`, owner_password: 'correct horse battery' });
    assert.equal(account.status, 201, JSON.stringify(account.body));
    const id = account.body.id as string;
    assert.equal((await op(b, 'POST', `/v1/accounts/${id}/payment-methods`, { token: 'tok_visa' })).status, 201);
    const bought = await op(a, 'POST', `/v1/accounts/${id}/extra-usage/credits`, { amount_micros: 20_000_000 }, { 'idempotency-key': 'load-credits' });
    assert.deepEqual([bought.status, bought.body.balance_micros], [201, 20_000_000]);
    const limited = await op(b, 'PATCH', `/v1/accounts/${id}/extra-usage`, { enabled: true, monthly_spend_limit_micros: LIMIT_MICROS });
    assert.deepEqual([limited.status, limited.body.enabled, limited.body.monthly_spend_limit_micros], [200, true, LIMIT_MICROS]);
    const gateway = await op(a, 'POST', '/v1/service-tokens', { name: 'load gateway' });
    assert.equal(gateway.status, 201);
    const service = gateway.body.token as string;

    const started = performance.now();
    const outcomes = await pool(PAIRS, IN_FLIGHT_MAX, async (i) => {
      // Pair i authorizes on one server and settles on the other: holds cross processes.
      const [first, second] = i % 2 === 0 ? [a, b] : [b, a];
      const held = await request(first, 'POST', '/v1/authorizations', service, { account_id: id, app: 'claude-code', model: 'claude-opus-4-5', input_tokens: 1000, max_output_tokens: 4000 }, { 'idempotency-key': `pair-${i}` });
      if (held.status !== 201) return { authorize: held, settle: undefined };
      const settled = await request(second, 'POST', `/v1/authorizations/${held.body.id}/settle`, service, { input_tokens: 1000, output_tokens: 4000 });
      return { authorize: held, settle: settled };
    });
    const elapsed_ms = performance.now() - started;

    const held = outcomes.filter((o) => o.authorize.status === 201);
    const refused = outcomes.filter((o) => o.authorize.status !== 201);
    const others = refused.filter((o) => o.authorize.status !== 402 || o.authorize.body?.error?.type !== 'spend_limit_reached');
    assert.deepEqual(others.map((o) => [o.authorize.status, o.authorize.body]).slice(0, 5), [], 'every refusal is 402 spend_limit_reached');
    for (const o of held) {
      assert.equal(o.authorize.body.funding.held_micros, PAIR_MICROS);
      assert.equal(o.settle?.status, 200, JSON.stringify(o.settle?.body));
      assert.equal(o.settle!.body.status, 'settled');
    }
    const charged = held.reduce((sum, o) => sum + (o.settle!.body.charged_micros as number), 0);
    assert.ok(charged <= LIMIT_MICROS, `charged ${charged} ≤ ${LIMIT_MICROS}`);
    assert.equal(held.length, CHARGED_PAIRS_MAX, `exactly ${CHARGED_PAIRS_MAX} pairs fit under the limit`);
    assert.equal(charged, CHARGED_PAIRS_MAX * PAIR_MICROS);
    assert.equal(held.length + refused.length, PAIRS);
    for (const o of refused) {
      const e = o.authorize.body.error;
      assert.equal(e.limit_micros, LIMIT_MICROS);
      assert.ok(e.spent_micros + e.held_micros + e.required_micros > LIMIT_MICROS, 'refused only when the hold would not fit');
    }

    for (const base of [a, b]) {
      const extra = await op(base, 'GET', `/v1/accounts/${id}/extra-usage`);
      assert.equal(extra.status, 200);
      assert.ok(extra.body.spent_this_cycle_micros <= LIMIT_MICROS);
      assert.deepEqual(
        { spent: extra.body.spent_this_cycle_micros, held: extra.body.held_micros, balance: extra.body.balance_micros },
        { spent: charged, held: 0, balance: 20_000_000 - charged },
      );
    }
    const audit = await op(b, 'GET', '/v1/audit');
    assert.equal(audit.status, 200);
    assert.equal(audit.body.ok, true, JSON.stringify(audit.body));
    console.log(`# ${PAIRS} pairs over 2 processes in ${Math.round(elapsed_ms)} ms: ${held.length} charged (${charged} micros), ${refused.length} refused`);
  });

  it('processes starting at the same moment both register TOKENBANK_ADMIN_TOKEN without failing', async () => {
    // The same race as two `npm start`s on a new database, made certain: two pools, one call each, at once.
    const url = postgresUrlOf((await freshPostgres())!);
    const pools = [openPostgres({ url }), openPostgres({ url })];
    try {
      const banks = pools.map((db) => new Tokenbank({ store: new PgStore(db), clock: systemClock, ids: randomIds, payments: new SandboxPayments() }));
      const results = await Promise.allSettled(banks.map((tb) => ensureOperatorToken(tb.deps, 'simultaneous-admin-token-0123456789')));
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled'], JSON.stringify(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))));
      const rows = await pools[0]!.query<{ n: number }>("SELECT count(*)::int AS n FROM api_tokens WHERE kind = 'operator'");
      assert.equal(rows[0]!.n, 1, 'one operator token row');
    } finally {
      for (const db of pools) await db.close();
    }
  });

  it('two servers started at the same moment on a database no server has seen, demo on: both come up, one demo account, one catalog', async () => {
    const db = (await freshPostgres({ migrated: false }))!;
    const url = postgresUrlOf(db);
    const pair = [startServerOn(url, await freePort(), { TOKENBANK_DEMO: '1' }), startServerOn(url, await freePort(), { TOKENBANK_DEMO: '1' })];
    try {
      await Promise.all(pair.map((s) => waitHealthy(s, 'postgres')));
      const [accounts] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM accounts`);
      assert.equal(accounts!.n, 1, 'one demo account');
      const [migrations] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM schema_migrations`);
      assert.ok(migrations!.n >= 3);
      for (const server of pair) assert.equal(server.child.exitCode, null, server.output.join(''));
    } finally {
      await Promise.all(pair.map(stopServer));
    }
  });
});
