// Load held (issue 13, part 5): four server processes on one PostgreSQL database, 1,000
// concurrent authorize → settle pairs on one account with a $5 monthly limit, spread over the four,
// while other clients buy credits, raise the limit step by step and auto-reload keeps firing.
// A poller reads the account all along: at every instant it sees, spend + held ≤ the limit it
// sees (the limit only goes up here, so no lowered limit can excuse a pass). At the end: the spend
// is at most the last limit, every reload that fired was credited exactly once, every acknowledged
// purchase once, nothing held, and the ledger audits clean.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeAll, freshPostgres, postgresUrlOf } from '../fixtures/databases';
import { allPages, freePort, pool, request, startServer, stopServer, waitHealthy, type Server } from '../fixtures/servers';
import { defaultCatalogData } from '../../src/domain/catalog';
import type { Db } from '../../src/store/db';

const ADMIN_TOKEN = 'load-held-admin-token-0123456789';
const SERVERS = 4;
const PAIRS = 1000;
const IN_FLIGHT_MAX = 200;
const LIMIT_START_MICROS = 5_000_000;
const LIMIT_STEP_MICROS = 250_000;
const LIMIT_STEPS = 4;
const PURCHASES = 20;
const PAIR_MICROS = 105_000; // opus, 1,000 in and 4,000 out (SPEC §4 example 4)
const LOAD_PLAN = { id: 'load', name: 'Load', price_micros: 20_000_000, per_seat: false, extra_usage_allowed: true, windows: [{ kind: 'rolling_5h' as const, limit_tokens: 1000 }], requests_per_minute: 1_000_000, tokens_per_minute: 1_000_000_000 };

const skip = process.env.TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL not set: the four-process load test needs PostgreSQL';

after(closeAll);

describe(`${SERVERS} server processes on one PostgreSQL under load`, { skip }, () => {
  const servers: Server[] = [];
  let db: Db;
  before(async () => {
    db = (await freshPostgres())!;
    const url = postgresUrlOf(db);
    for (let i = 0; i < SERVERS; i++) servers.push(startServer(await freePort(), { DATABASE_URL: url, TOKENBANK_ADMIN_TOKEN: ADMIN_TOKEN, TOKENBANK_JOBS: '1' }));
    await Promise.all(servers.map((s) => waitHealthy(s, 'postgres')));
  });
  after(() => Promise.all(servers.map(stopServer)));

  it(`${PAIRS} authorizations against a $5 limit, with purchases, limit raises and reloads: spend ≤ limit at every instant, each reload credited once, audit clean`, { timeout: 300_000 }, async () => {
    const base = (i: number) => servers[i % SERVERS]!.base;
    const op = (i: number, method: string, path: string, body?: unknown, headers?: Record<string, string>) => request(base(i), method, path, ADMIN_TOKEN, body, headers);
    const data = defaultCatalogData();
    const catalog = { plans: [...data.plans, LOAD_PLAN], models: data.models, apps: data.apps, prices: data.prices.map(({ effective_at_ms, ...p }) => ({ ...p, effective_at: new Date(effective_at_ms).toISOString() })) };
    for (let i = 0; i < SERVERS; i++) assert.equal((await op(i, 'PUT', '/v1/catalog', catalog)).status, 200);
    const account = await op(0, 'POST', '/v1/accounts', { name: 'Load held', plan: 'load', owner_email: `held.${Date.now()}@example.com`, owner_password: 'correct horse battery' });
    const id = account.body.id as string;
    assert.equal((await op(1, 'POST', `/v1/accounts/${id}/payment-methods`, { token: 'tok_visa' })).status, 201);
    assert.equal((await op(2, 'POST', `/v1/accounts/${id}/extra-usage/credits`, { amount_micros: 10_000_000 }, { 'idempotency-key': 'first' })).status, 201);
    // The threshold is above any balance here: a reload fires whenever none is in flight.
    const settings = await op(3, 'PATCH', `/v1/accounts/${id}/extra-usage`, { enabled: true, monthly_spend_limit_micros: LIMIT_START_MICROS, auto_reload: { enabled: true, amount_micros: 5_000_000, threshold_micros: 1_000_000_000 } });
    assert.equal(settings.status, 200, JSON.stringify(settings.body));
    const service = (await op(0, 'POST', '/v1/service-tokens', { name: 'load gateway' })).body.token as string;

    // The poller, a process of its own: one statement is one snapshot of the stored wallet and limit.
    const poller = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/spend-poller.ts', postgresUrlOf(db), id], { stdio: ['pipe', 'pipe', 'inherit'] });
    let polled = '';
    poller.stdout.on('data', (chunk) => (polled += chunk));
    const poller_done = new Promise((resolve) => poller.on('exit', resolve));

    const load_started = performance.now();
    const raises = (async () => {
      for (let step = 1; step <= LIMIT_STEPS; step++) {
        await new Promise((r) => setTimeout(r, 150));
        const r = await op(step, 'PATCH', `/v1/accounts/${id}/extra-usage`, { monthly_spend_limit_micros: LIMIT_START_MICROS + step * LIMIT_STEP_MICROS });
        assert.equal(r.status, 200, JSON.stringify(r.body));
      }
    })();
    const purchases = pool(PURCHASES, 4, async (i) => {
      const r = await op(i, 'POST', `/v1/accounts/${id}/extra-usage/credits`, { amount_micros: 5_000_000 }, { 'idempotency-key': `buy-${i}` });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.transaction_id as string;
    });
    const pairs = pool(PAIRS, IN_FLIGHT_MAX, async (i) => {
      const held = await request(base(i), 'POST', '/v1/authorizations', service, { account_id: id, app: 'claude-code', model: 'claude-opus-4-5', input_tokens: 1000, max_output_tokens: 4000 }, { 'idempotency-key': `pair-${i}` });
      if (held.status !== 201) {
        assert.equal(held.body.error.type, 'spend_limit_reached', JSON.stringify(held.body));
        return 0;
      }
      const settled = await request(base(i + 1), 'POST', `/v1/authorizations/${held.body.id}/settle`, service, { input_tokens: 1000, output_tokens: 4000 });
      assert.equal(settled.status, 200, JSON.stringify(settled.body));
      return settled.body.charged_micros as number;
    });
    const [charges, bought] = await Promise.all([pairs, purchases, raises]);
    const load_ms = Math.round(performance.now() - load_started);
    poller.stdin.end();
    await poller_done;
    const { polls, passes } = JSON.parse(polled) as { polls: number; passes: string[] };

    const last_limit = LIMIT_START_MICROS + LIMIT_STEPS * LIMIT_STEP_MICROS;
    const charged = charges.reduce((s, c) => s + c, 0);
    assert.deepEqual(passes.slice(0, 5), [], `spend + held ≤ limit in each of ${polls} snapshots`);
    assert.ok(charged <= last_limit, `charged ${charged} ≤ ${last_limit}`);
    assert.ok(charges.filter((c) => c > 0).length >= Math.floor(LIMIT_START_MICROS / PAIR_MICROS), 'at least the pairs that fit under the first limit were charged');

    // Let the reload in flight (if any) finish, then count credits by what they pay for.
    let extra = await op(0, 'GET', `/v1/accounts/${id}/extra-usage`);
    for (let tries = 0; tries < 100 && extra.body.auto_reload.last_event?.type === 'fired'; tries++) extra = await op(0, 'GET', `/v1/accounts/${id}/extra-usage`);
    assert.deepEqual([extra.body.spent_this_cycle_micros, extra.body.held_micros], [charged, 0]);
    const transactions = await allPages<{ kind: string; reference_id: string }>(base(1), `/v1/accounts/${id}/transactions`, ADMIN_TOKEN);
    const credited = transactions.filter((t) => t.kind === 'purchase').map((t) => t.reference_id);
    assert.equal(new Set(credited).size, credited.length, 'no purchase or reload credited twice');
    for (const p of bought) assert.ok(credited.includes(p), `purchase ${p} credited`);
    const events = await allPages<{ type: string; payload: { purchase_id?: string } }>(base(2), `/v1/accounts/${id}/events`, ADMIN_TOKEN);
    const fired = events.filter((e) => e.type === 'auto_reload.fired').map((e) => e.payload.purchase_id!);
    const succeeded = events.filter((e) => e.type === 'auto_reload.succeeded').map((e) => e.payload.purchase_id!);
    assert.ok(fired.length >= 1, 'auto-reload fired');
    assert.equal(new Set(fired).size, fired.length, 'each firing is one reload');
    for (const r of succeeded) assert.equal(credited.filter((c) => c === r).length, 1, `reload ${r} credited once`);
    const audit = await op(3, 'GET', '/v1/audit');
    assert.equal(audit.body.ok, true, JSON.stringify(audit.body.findings));
    console.log(`# ${SERVERS} processes: ${charges.filter((c) => c > 0).length} of ${PAIRS} pairs charged (${charged} micros ≤ ${last_limit}), ${bought.length} purchases, ${fired.length} reloads fired (${succeeded.length} succeeded), ${polls} snapshots in ${load_ms} ms all within the limit`);
  });
});
