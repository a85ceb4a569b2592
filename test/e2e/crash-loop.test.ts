// The crash loop (issue 13, part 2): one real server process under mixed HTTP load (authorize →
// settle pairs, usage events, card purchases, auto-reload firing all the time) is killed with
// SIGKILL at random moments, CRASH_KILLS times (20 by default), and started again on the same
// database. Every client call is retried with its own idempotency key (or event id, or
// authorization id) until it gets an answer, as a gateway and the CLI do. On PostgreSQL, the
// database server itself (a private cluster, so the shared one is untouched) is also crashed and
// restarted once mid-load (`pg_ctl stop -m immediate`, then start) while the Tokenbank server
// stays up and must reconnect.
//
// Then, through the API: no acknowledged operation lost (every acknowledged settlement is there
// with its charge, every acknowledged event is a duplicate with the same cost, every acknowledged
// purchase is in the ledger), none applied twice (the cycle's spend is exactly the sum of the
// acknowledged charges; each purchase and reload credited at most once), nothing left held, and
// the ledger audits clean.
//
// The kill moments come from CRASH_SEED (printed; a new one each run), e.g.
//   CRASH_SEED=123 CRASH_KILLS=50 npm test -- crash-loop
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCatalogData } from '../../src/domain/catalog';
import { allPages, freePort, killServer, request, startServer, stopServer, waitHealthy, type Server } from '../fixtures/servers';
import { privatePostgresUnavailable, startPrivatePostgres, type PrivatePostgres } from '../fixtures/private-postgres';

const ADMIN_TOKEN = 'crash-loop-admin-token-0123456789';
const KILLS = Number(process.env.CRASH_KILLS ?? 20);
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const WORKERS = 12;
/** How long the server runs between kills, at random in this range. */
const UP_MS = { min: 150, max: 900 } as const;
const RETRY_PAUSE_MS = 40;
const PURCHASE_MICROS = 5_000_000;
const PURCHASES_MAX = 60;
const LOAD_PLAN = { id: 'load', name: 'Load', price_micros: 20_000_000, per_seat: false, extra_usage_allowed: true, windows: [{ kind: 'rolling_5h' as const, limit_tokens: 1000 }], requests_per_minute: 1_000_000, tokens_per_minute: 1_000_000_000 };
const HOLD = { app: 'claude-code', model: 'claude-haiku-4-5', input_tokens: 800, max_output_tokens: 600 } as const;

/** mulberry32: the kill moments and the op mix, reproducible from the seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Acked {
  pairs: Array<{ authorization_id: string; charged_micros: number }>;
  events: Array<{ id: string; charged_micros: number; body: unknown }>;
  purchases: Array<{ key: string; transaction_id: string }>;
  retries: number;
}

/** The server of the moment: replaced after each kill; calls go to whichever is up. */
class Target {
  server!: Server;
  constructor(readonly env: NodeJS.ProcessEnv, readonly port: number) {}
  async start() {
    this.server = startServer(this.port, this.env);
    await waitHealthy(this.server);
  }
}

/** One call, repeated until it is answered (not a connection failure, not a 5xx). */
async function untilAnswered(target: Target, acked: Acked, method: string, path: string, token: string, body?: unknown, headers?: Record<string, string>) {
  for (;;) {
    try {
      const reply = await request(target.server.base, method, path, token, body, headers);
      if (reply.status < 500) return reply;
    } catch {
      // refused or cut off by the kill: the same call again, with the same key
    }
    acked.retries += 1;
    await pause(RETRY_PAUSE_MS);
  }
}

async function setUp(target: Target) {
  const op = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => request(target.server.base, method, path, ADMIN_TOKEN, body, headers);
  const data = defaultCatalogData();
  const catalog = { plans: [...data.plans, LOAD_PLAN], models: data.models, apps: data.apps, prices: data.prices.map(({ effective_at_ms, ...p }) => ({ ...p, effective_at: new Date(effective_at_ms).toISOString() })) };
  assert.equal((await op('PUT', '/v1/catalog', catalog)).status, 200);
  const account = await op('POST', '/v1/accounts', { name: 'Crash loop', plan: 'load', owner_email: `crash.${Date.now()}@example.com`, owner_password: 'correct horse battery' });
  assert.equal(account.status, 201, JSON.stringify(account.body));
  const id = account.body.id as string;
  assert.equal((await op('POST', `/v1/accounts/${id}/payment-methods`, { token: 'tok_visa' })).status, 201);
  assert.equal((await op('POST', `/v1/accounts/${id}/extra-usage/credits`, { amount_micros: 200_000_000 }, { 'idempotency-key': 'first' })).status, 201);
  // The threshold is above the balance: a reload fires whenever none is in flight.
  const settings = await op('PATCH', `/v1/accounts/${id}/extra-usage`, { enabled: true, monthly_spend_limit_micros: null, auto_reload: { enabled: true, amount_micros: PURCHASE_MICROS, threshold_micros: 1_000_000_000 } });
  assert.equal(settings.status, 200, JSON.stringify(settings.body));
  const gateway = await op('POST', '/v1/service-tokens', { name: 'crash gateway' });
  return { id, service: gateway.body.token as string };
}

/** A worker: draws operations until told to stop, each retried until answered. */
async function worker(target: Target, w: number, ids: { id: string; service: string }, acked: Acked, stop: () => boolean, random: () => number) {
  for (let n = 0; !stop(); n++) {
    const key = `w${w}-${n}`;
    const roll = random();
    if (roll < 0.08 && acked.purchases.length < PURCHASES_MAX) {
      const r = await untilAnswered(target, acked, 'POST', `/v1/accounts/${ids.id}/extra-usage/credits`, ADMIN_TOKEN, { amount_micros: PURCHASE_MICROS }, { 'idempotency-key': key });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      acked.purchases.push({ key, transaction_id: r.body.transaction_id });
    } else if (roll < 0.35) {
      const events = { events: [{ id: key, account_id: ids.id, app: 'web', model: 'claude-haiku-4-5', usage: { input_tokens: 300 + n, output_tokens: 200 }, timestamp: new Date().toISOString() }] };
      const r = await untilAnswered(target, acked, 'POST', '/v1/usage-events', ids.service, events);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.ok(['recorded', 'duplicate'].includes(r.body.data[0].status), JSON.stringify(r.body));
      acked.events.push({ id: key, charged_micros: r.body.data[0].usage_record.charged_micros, body: events });
    } else {
      const held = await untilAnswered(target, acked, 'POST', '/v1/authorizations', ids.service, { account_id: ids.id, ...HOLD }, { 'idempotency-key': key });
      assert.equal(held.status, 201, JSON.stringify(held.body));
      const settled = await untilAnswered(target, acked, 'POST', `/v1/authorizations/${held.body.id}/settle`, ids.service, { input_tokens: 800, output_tokens: 100 + (n % 400) });
      assert.equal(settled.status, 200, JSON.stringify(settled.body));
      acked.pairs.push({ authorization_id: held.body.id, charged_micros: settled.body.charged_micros });
    }
  }
}

async function verify(target: Target, ids: { id: string; service: string }, acked: Acked) {
  const get = (path: string) => request(target.server.base, 'GET', path, ADMIN_TOKEN);
  // Lost: every acknowledged settlement is there with the charge it answered.
  for (const p of acked.pairs) {
    const auth = await get(`/v1/authorizations/${p.authorization_id}`);
    assert.deepEqual([auth.status, auth.body.status, auth.body.charged_micros], [200, 'settled', p.charged_micros], p.authorization_id);
  }
  // Every acknowledged event sent again is a duplicate at the same cost.
  for (const e of acked.events) {
    const again = await request(target.server.base, 'POST', '/v1/usage-events', ids.service, e.body);
    assert.deepEqual([again.body.data[0].status, again.body.data[0].usage_record.charged_micros], ['duplicate', e.charged_micros], e.id);
  }
  // Twice: the cycle's spend is exactly what was acknowledged, and nothing is left held.
  const charged = acked.pairs.reduce((s, p) => s + p.charged_micros, 0) + acked.events.reduce((s, e) => s + e.charged_micros, 0);
  const extra = await get(`/v1/accounts/${ids.id}/extra-usage`);
  assert.equal(extra.body.held_micros, 0);
  assert.equal(extra.body.spent_this_cycle_micros, charged, 'the cycle spend is exactly the acknowledged charges');
  const records = await allPages<{ charged_micros: number }>(target.server.base, `/v1/accounts/${ids.id}/usage-records`, ADMIN_TOKEN);
  assert.equal(records.length, acked.pairs.length + acked.events.length, 'one usage record per acknowledged charge');
  assert.equal(records.reduce((s, r) => s + r.charged_micros, 0), charged);
  // Each purchase and reload credited once, and every acknowledged purchase credited.
  const credits = (await allPages<{ kind: string; reference_id: string | null }>(target.server.base, `/v1/accounts/${ids.id}/transactions`, ADMIN_TOKEN)).filter((t) => t.kind === 'purchase');
  const by_reference = new Map<string, number>();
  for (const t of credits) by_reference.set(t.reference_id!, (by_reference.get(t.reference_id!) ?? 0) + 1);
  assert.deepEqual([...by_reference].filter(([, n]) => n > 1), [], 'no purchase credited twice');
  for (const p of acked.purchases) assert.equal(by_reference.get(p.transaction_id), 1, `purchase ${p.transaction_id} credited once`);
  const audit = await get('/v1/audit');
  assert.equal(audit.body.ok, true, JSON.stringify(audit.body.findings));
  return { charged, credits: credits.length };
}

async function crashLoop(env: NodeJS.ProcessEnv, pg: PrivatePostgres | null) {
  const random = rng(SEED);
  const target = new Target({ TOKENBANK_ADMIN_TOKEN: ADMIN_TOKEN, TOKENBANK_JOBS: '1', ...env }, await freePort());
  await target.start();
  try {
    const ids = await setUp(target);
    const acked: Acked = { pairs: [], events: [], purchases: [], retries: 0 };
    let stopping = false;
    const workers = Array.from({ length: WORKERS }, (_, w) => worker(target, w, ids, acked, () => stopping, rng(SEED + w + 1)));
    let kills = 0;
    let pg_restarts = 0;
    const started = Date.now();
    while (kills < KILLS) {
      await pause(UP_MS.min + Math.floor(random() * (UP_MS.max - UP_MS.min)));
      if (pg && pg_restarts === 0 && kills === Math.floor(KILLS / 2)) {
        await pg.crashRestart(); // the database goes down and comes back; the server stays up
        pg_restarts += 1;
        continue;
      }
      await killServer(target.server);
      kills += 1;
      await target.start();
    }
    stopping = true;
    await Promise.all(workers);
    const totals = await verify(target, ids, acked);
    const ops = acked.pairs.length + acked.events.length + acked.purchases.length;
    console.log(`# crash loop (seed ${SEED}): ${kills} kills${pg ? `, ${pg_restarts} PostgreSQL restart` : ''} in ${Math.round((Date.now() - started) / 1000)} s; ${ops} operations acknowledged (${acked.pairs.length} settled pairs, ${acked.events.length} events, ${acked.purchases.length} purchases), ${acked.retries} retries, ${totals.credits} credits (purchases and reloads), ${totals.charged} micros charged: none lost, none twice, audit clean`);
    assert.ok(acked.pairs.length > 0 && acked.events.length > 0 && acked.purchases.length > 0, 'every kind of operation ran');
  } catch (error) {
    throw new Error(`crash loop failed (CRASH_SEED=${SEED}): ${(error as Error).message}\nlast server output:\n${target.server.output.slice(-20).join('')}`, { cause: error });
  } finally {
    await stopServer(target.server);
  }
}

describe('kill -9 under load', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it(`on the embedded PGlite: ${KILLS} kills, nothing acknowledged lost or applied twice`, { timeout: 600_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokenbank-crash-'));
    dirs.push(dir);
    await crashLoop({ TOKENBANK_DATA_DIR: dir, DATABASE_URL: '' }, null);
  });

  const pg_skip = !process.env.TEST_DATABASE_URL ? 'TEST_DATABASE_URL not set: the PostgreSQL crash loop runs in CI' : privatePostgresUnavailable();
  it(`on PostgreSQL: ${KILLS} kills and one crash of PostgreSQL itself, nothing acknowledged lost or applied twice`, { timeout: 600_000, skip: pg_skip ?? false }, async () => {
    const pg = await startPrivatePostgres();
    try {
      await crashLoop({ DATABASE_URL: pg.url }, pg);
    } finally {
      pg.stop();
    }
  });
});
