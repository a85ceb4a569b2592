// Input at the edges of what a wire can carry is refused with the API's 400 envelope naming the
// field, never a 500 and never a foreign error shape (issue 8, items 6, 11 and 13): NUL and
// lone surrogates in any text, ids the router measures, bad percent-encoding, years the
// database cannot hold, catalog rows that break a named constraint, unknown body fields on
// body-less calls, a reused Idempotency-Key on PATCH extra-usage, one style of field path, no
// raw database error in an internal_error, and the server's own request id in every answer.
// In process (app.inject), on every engine; each refusal is checked to have changed nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { apiHarness, assertError, email, PASSWORD, type Api, type TestAccount } from '../fixtures/http';
import { defaultCatalogData } from '../../src/domain/catalog';
import { limits } from '../../src/domain/limits';
import type { Db } from '../../src/store/db';
import { buildServer } from '../../src/http/server';

after(closeAll);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NUL = 'a\u0000b';
const LONE_HIGH = '\ud800';
const LONE_LOW = '\udbff';

/** A database whose next transaction fails with a message that must stay in the log. */
function faultyDb(db: Db): Db & { failNext(message: string): void } {
  let failure: string | null = null;
  return Object.assign(Object.create(db) as Db, {
    engine: db.engine,
    query: db.query.bind(db),
    close: db.close.bind(db),
    transaction<T>(fn: Parameters<Db['transaction']>[0]): Promise<T> {
      if (failure !== null) {
        const message = failure;
        failure = null;
        return Promise.reject(new Error(message));
      }
      return db.transaction(fn) as Promise<T>;
    },
    failNext(message: string) {
      failure = message;
    },
  });
}

for (const engine of databaseEngines()) {
  describe(`input at the edges answers the error envelope and changes nothing (${engine.name})`, { skip: engine.skip }, () => {
    let api: Api;
    let db: ReturnType<typeof faultyDb>;
    let a: TestAccount;
    let held_id: string;
    const call = (...args: Parameters<Api['call']>) => api.call(...args);
    const hold = () => ({ account_id: a.id, app: 'claude-code', model: 'claude-haiku-4-5', input_tokens: 10, max_output_tokens: 10 });
    const event = (over: Record<string, unknown> = {}) => ({ id: `ev-${Math.random()}`, account_id: a.id, app: 'claude-code', model: 'claude-haiku-4-5', usage: { input_tokens: 1, output_tokens: 1 }, timestamp: '2026-11-02T08:00:00Z', ...over });
    const snapshot = async () => {
      const eu = await call('GET', `/v1/accounts/${a.id}/extra-usage`, { token: api.operator });
      const records = await call('GET', `/v1/accounts/${a.id}/usage-records`, { token: api.operator });
      const tx = await call('GET', `/v1/accounts/${a.id}/transactions`, { token: api.operator });
      const members = await call('GET', `/v1/accounts/${a.id}/members`, { token: api.operator });
      const catalog = await call('GET', '/v1/catalog', { token: api.operator });
      return { eu: eu.body, records: records.body.data.length, tx: tx.body.data.length, members: members.body.data.length, catalog: catalog.body };
    };

    before(async () => {
      db = faultyDb(await engine.open());
      api = await apiHarness(db);
      a = await api.account({ credits_micros: 20_000_000, extra_usage: true, card: 'tok_visa' });
      const held = await call('POST', '/v1/authorizations', { token: api.service, body: hold() });
      assert.equal(held.status, 201, held.text);
      held_id = held.body.id;
    });
    after(async () => {
      await api?.close();
      if (engine.name === 'pglite') await db?.close();
    });

    describe('text that cannot be stored exactly (NUL, lone surrogates) → 400 naming the field, on every route', () => {
      // [what, method, path, body, field, who, headers]
      type Row = [string, string, () => string, () => unknown, string, 'service' | 'operator' | 'owner' | 'none', Record<string, string>?];
      const rows: Row[] = [
        ['sessions (no token): NUL in the email', 'POST', () => '/v1/sessions', () => ({ email: `x${NUL}@example.com`, password: PASSWORD }), 'email', 'none'],
        ['sessions (no token): lone surrogate in the password', 'POST', () => '/v1/sessions', () => ({ email: a.owner.email, password: `pw${LONE_HIGH}` }), 'password', 'none'],
        ['accounts: NUL in the name', 'POST', () => '/v1/accounts', () => ({ name: NUL, plan: 'pro', owner_email: email('nul'), owner_password: PASSWORD }), 'name', 'operator'],
        ['accounts: NUL in the owner email', 'POST', () => '/v1/accounts', () => ({ name: 'X', plan: 'pro', owner_email: `o${NUL}@example.com`, owner_password: PASSWORD }), 'owner_email', 'operator'],
        ['accounts: NUL in the search', 'GET', () => `/v1/accounts?search=a%00b`, () => undefined, 'querystring.search', 'operator'],
        ['members: NUL in the email', 'POST', () => `/v1/accounts/${a.id}/members`, () => ({ email: `m${NUL}@example.com`, password: PASSWORD, role: 'member' }), 'email', 'owner'],
        ['payment methods: NUL in the provider token', 'POST', () => `/v1/accounts/${a.id}/payment-methods`, () => ({ token: `tok_visa${NUL}` }), 'token', 'owner'],
        ['credits: NUL in the payment method id', 'POST', () => `/v1/accounts/${a.id}/extra-usage/credits`, () => ({ amount_micros: 10_000_000, payment_method_id: `pm${NUL}` }), 'payment_method_id', 'owner', { 'idempotency-key': 'nul-pm' }],
        ['grants: lone surrogate in the reason', 'POST', () => `/v1/accounts/${a.id}/grants`, () => ({ amount_micros: 1_000_000, reason: `gift${LONE_LOW}` }), 'reason', 'operator'],
        ['subscription: NUL in the plan', 'PUT', () => `/v1/accounts/${a.id}/subscription`, () => ({ plan: `pro${NUL}` }), 'plan', 'owner'],
        ['authorizations: NUL in the account id', 'POST', () => '/v1/authorizations', () => ({ ...hold(), account_id: `${a.id}${NUL}` }), 'account_id', 'service'],
        ['authorizations: lone surrogate in the user id', 'POST', () => '/v1/authorizations', () => ({ ...hold(), user_id: LONE_HIGH }), 'user_id', 'service'],
        ['usage events: lone surrogate in an event id', 'POST', () => '/v1/usage-events', () => ({ events: [event(), event({ id: LONE_HIGH })] }), 'events[1].id', 'service'],
        ['usage events: NUL in a model', 'POST', () => '/v1/usage-events', () => ({ events: [event({ model: NUL })] }), 'events[0].model', 'service'],
        ['tokens: NUL in the name', 'POST', () => '/v1/tokens', () => ({ name: NUL }), 'name', 'owner'],
        ['service tokens: lone surrogate in the name', 'POST', () => '/v1/service-tokens', () => ({ name: `gw${LONE_LOW}` }), 'name', 'operator'],
        ['catalog: NUL in a plan name', 'PUT', () => '/v1/catalog', () => ({ ...catalogBody(), plans: [{ ...catalogBody().plans[0]!, name: NUL }] }), 'plans[0].name', 'operator'],
        ['path: NUL in an account id', 'GET', () => '/v1/accounts/acct%00x', () => undefined, 'params.id', 'operator'],
        ['path: NUL in an authorization id (settle)', 'POST', () => '/v1/authorizations/auth%00x/settle', () => ({ input_tokens: 1, output_tokens: 1 }), 'params.id', 'service'],
        ['path: NUL in a token id (revoke)', 'DELETE', () => '/v1/tokens/tok%00x', () => undefined, 'params.id', 'owner'],
        ['header: NUL in the Idempotency-Key', 'POST', () => `/v1/accounts/${a.id}/extra-usage/credits`, () => ({ amount_micros: 10_000_000 }), 'Idempotency-Key', 'owner', { 'idempotency-key': 'k\u0000' }],
      ];
      let before_state: Awaited<ReturnType<typeof snapshot>>;
      before(async () => {
        before_state = await snapshot();
      });
      for (const [what, method, path, make, field, who, headers] of rows) {
        it(`${method} ${what} → 400 invalid_request naming "${field}"`, async () => {
          const token = who === 'none' ? undefined : who === 'service' ? api.service : who === 'operator' ? api.operator : a.owner.token;
          const payload = make();
          const r = await call(method, path(), { token, ...(payload !== undefined ? { body: payload } : {}), ...(headers ? { headers } : {}) });
          const e = assertError(r, 400, 'invalid_request', { field });
          assert.ok(e.message.startsWith(`${field}:`), e.message);
        });
      }
      it('none of them changed anything', async () => {
        assert.deepEqual(await snapshot(), before_state);
      });
    });

    it('bytes that are not UTF-8 (an encoded surrogate, a stray byte) in a body → 400 naming body; a bad escape in a query → 400 naming it', async () => {
      const before_state = await snapshot();
      for (const bad of [[0xed, 0xa0, 0x80], [0xff]]) {
        const json = Buffer.concat([Buffer.from(`{"events":[{"id":"`), Buffer.from(bad), Buffer.from(`","account_id":"${a.id}","app":"claude-code","model":"claude-haiku-4-5","usage":{"input_tokens":1,"output_tokens":1},"timestamp":"2026-11-02T08:00:00Z"}]}`)]);
        const res = await api.app.inject({ method: 'POST', url: '/v1/usage-events', headers: { authorization: `Bearer ${api.service}`, 'content-type': 'application/json' }, payload: json });
        assertError({ status: res.statusCode, headers: res.headers, body: res.json(), text: res.body, cookies: [] }, 400, 'invalid_request', { field: 'body' });
      }
      assertError(await call('GET', '/v1/accounts?search=%ED%A0%80', { token: api.operator }), 400, 'invalid_request', { field: 'querystring.search' });
      assertError(await call('GET', `/v1/accounts/${a.id}/usage?from=%E0%A4%A`, { token: a.owner.token }), 400, 'invalid_request', { field: 'querystring.from' });
      assert.deepEqual(await snapshot(), before_state);
    });

    it('event ids round-trip exactly: "\\ud800" and "\\udbff" are refused, never merged; a well-formed astral id is recorded as sent', async () => {
      const high = await call('POST', '/v1/usage-events', { token: api.service, body: { events: [event({ id: LONE_HIGH })] } });
      assertError(high, 400, 'invalid_request', { field: 'events[0].id' });
      const low = await call('POST', '/v1/usage-events', { token: api.service, body: { events: [event({ id: LONE_LOW })] } });
      assertError(low, 400, 'invalid_request', { field: 'events[0].id' });
      const id = 'ev-\ud83d\ude00-\u00e9';
      const first = await call('POST', '/v1/usage-events', { token: api.service, body: { events: [event({ id })] } });
      assert.equal(first.status, 200, first.text);
      assert.equal(first.body.data[0].status, 'recorded');
      assert.equal(first.body.data[0].usage_record.event_id, id);
      const again = await call('POST', '/v1/usage-events', { token: api.service, body: { events: [event({ id })] } });
      assert.equal(again.body.data[0].status, 'duplicate');
      const records = await call('GET', `/v1/accounts/${a.id}/usage-records`, { token: api.operator });
      assert.deepEqual(records.body.data.filter((r: { event_id: string | null }) => r.event_id === id).length, 1);
    });

    describe("the router's own refusals answer the error envelope", () => {
      it(`path ids of 101 to ${limits.id_length_max} characters reach the route (404 not_found), not the router`, async () => {
        for (const length of [101, 120, limits.id_length_max]) {
          const id = 'x'.repeat(length);
          assertError(await call('GET', `/v1/accounts/${id}`, { token: api.operator }), 404, 'not_found', { id });
          assertError(await call('GET', `/v1/authorizations/${id}`, { token: api.service }), 404, 'not_found');
        }
      });
      it(`a path id longer than ${limits.id_length_max} characters → 400 invalid_request naming the path`, async () => {
        const r = await call('GET', `/v1/accounts/${'x'.repeat(limits.id_length_max + 1)}`, { token: api.operator });
        assertError(r, 400, 'invalid_request', { field: 'path' });
        assert.ok(!r.text.includes('FST_ERR'), r.text);
      });
      it('bad percent-encoding in a path → 400 invalid_request naming the path, with the server request id', async () => {
        for (const path of ['/v1/accounts/%E0%A4%A', '/v1/accounts/%ZZ', '/v1/authorizations/%ED%A0%80/release']) {
          const r = await call(path.endsWith('release') ? 'POST' : 'GET', path, { token: api.operator });
          const e = assertError(r, 400, 'invalid_request', { field: 'path' });
          assert.match(e.request_id, UUID);
          assert.ok(!r.text.includes('FST_ERR'), r.text);
        }
      });
      it('bad JSON, a wrong content type, a body too large and an unknown route → the envelope, never Fastify\'s shape', async () => {
        const replies = [
          [await call('POST', '/v1/authorizations', { token: api.service, payload: '{"a":', headers: { 'content-type': 'application/json' } }), 400],
          [await call('POST', '/v1/authorizations', { token: api.service, payload: '{}', headers: { 'content-type': 'application/xml' } }), 415],
          [await call('POST', '/v1/usage-events', { token: api.service, payload: JSON.stringify({ events: [{ id: 'x'.repeat(http_body_max()) }] }), headers: { 'content-type': 'application/json' } }), 413],
          [await call('GET', '/v1/nothing', { token: api.operator }), 404],
          [await call('POST', '/v1/authorizations', { token: api.service, payload: '{"__proto__":{"x":1}}', headers: { 'content-type': 'application/json' } }), 400],
        ] as const;
        for (const [r, status] of replies) {
          const e = assertError(r, status, status === 404 ? 'not_found' : 'invalid_request');
          assert.ok(!r.text.includes('FST_ERR') && !('code' in e) && !('statusCode' in e), r.text);
          assert.match(e.request_id, UUID);
        }
      });
    });

    describe('dates and timestamps outside the years the database holds → 400 naming the field', () => {
      it('usage ?from=0000-01-01 → 400 naming from; ?to=0000-12-31 → naming to', async () => {
        assertError(await call('GET', `/v1/accounts/${a.id}/usage?from=0000-01-01&to=0000-01-02`, { token: a.owner.token }), 400, 'invalid_request', { field: 'to' });
        assertError(await call('GET', `/v1/accounts/${a.id}/usage?from=0000-01-01`, { token: a.owner.token }), 400, 'invalid_request', { field: 'from' });
      });
      it('a usage event in year 0000, a grant expiring in year 0000, a price effective in year 0000', async () => {
        const before_state = await snapshot();
        assertError(await call('POST', '/v1/usage-events', { token: api.service, body: { events: [event({ timestamp: '0000-01-01T00:00:00Z' })] } }), 400, 'invalid_request', { field: 'events[0].timestamp' });
        assertError(await call('POST', `/v1/accounts/${a.id}/grants`, { token: api.operator, body: { amount_micros: 1_000_000, expires_at: '0000-01-01T00:00:00Z' } }), 400, 'invalid_request', { field: 'expires_at' });
        const body = catalogBody();
        body.prices = [{ ...body.prices[0]!, id: 'price-year-zero', effective_at: '0000-01-01T00:00:00Z' }];
        assertError(await call('PUT', '/v1/catalog', { token: api.operator, body }), 400, 'invalid_request', { field: 'prices[0].effective_at' });
        assert.deepEqual(await snapshot(), before_state);
      });
    });

    describe('catalog rows that break a named constraint → typed errors naming the field', () => {
      it('a price version clashing on (model, effective_at) → 409 conflict naming prices[i].effective_at; nothing saved', async () => {
        const before_state = await snapshot();
        const body = catalogBody();
        const existing = body.prices[0]!;
        body.prices = [...body.prices, { ...existing, id: `${existing.id}-clash`, input_micros_per_mtok: existing.input_micros_per_mtok + 1 }];
        const i = body.prices.length - 1;
        assertError(await call('PUT', '/v1/catalog', { token: api.operator, body }), 409, 'conflict', { field: `prices[${i}].effective_at` });
        assert.deepEqual(await snapshot(), before_state);
      });
      it('a price for an unknown model → 400 invalid_request naming prices[i].model_id; nothing saved', async () => {
        const before_state = await snapshot();
        const body = catalogBody();
        body.prices = [{ ...body.prices[0]!, id: 'price-for-nobody', model_id: 'no-such-model', effective_at: '2026-01-01T00:00:00Z' }];
        assertError(await call('PUT', '/v1/catalog', { token: api.operator, body }), 400, 'invalid_request', { field: 'prices[0].model_id' });
        assert.deepEqual(await snapshot(), before_state);
      });
    });

    describe('calls that take no body refuse unknown fields', () => {
      it('POST /v1/authorizations/{id}/release with a field → 400 naming it; the hold stays; {} and no body are accepted', async () => {
        assertError(await call('POST', `/v1/authorizations/${held_id}/release`, { token: api.service, body: { reason: 'done' } }), 400, 'invalid_request', { field: 'reason' });
        assert.equal((await call('GET', `/v1/authorizations/${held_id}`, { token: api.service })).body.status, 'held');
        const other = await call('POST', '/v1/authorizations', { token: api.service, body: hold() });
        assert.equal((await call('POST', `/v1/authorizations/${other.body.id}/release`, { token: api.service, body: {} })).status, 200);
      });
      it('DELETE subscription, token, service token and session with a field → 400 naming it', async () => {
        const b = await api.account();
        assertError(await call('DELETE', `/v1/accounts/${b.id}/subscription`, { token: b.owner.token, body: { now: true } }), 400, 'invalid_request', { field: 'now' });
        assertError(await call('DELETE', '/v1/tokens/tok_x', { token: b.owner.token, body: { all: true } }), 400, 'invalid_request', { field: 'all' });
        assertError(await call('DELETE', '/v1/service-tokens/tok_x', { token: api.operator, body: { all: true } }), 400, 'invalid_request', { field: 'all' });
        assertError(await call('DELETE', '/v1/sessions/current', { token: b.owner.token, body: { everywhere: true } }), 400, 'invalid_request', { field: 'everywhere' });
        assert.equal((await call('GET', `/v1/accounts/${b.id}`, { token: b.owner.token })).body.plan_status, 'active');
      });
    });

    describe('PATCH extra-usage honours Idempotency-Key like every mutating call', () => {
      it('same key + same body → 200, written once; same key + another body → 409 idempotency_conflict, nothing changed', async () => {
        const b = await api.account({ credits_micros: 10_000_000 });
        const patch = (body: Record<string, unknown>, key = 'settings-1') => call('PATCH', `/v1/accounts/${b.id}/extra-usage`, { token: b.owner.token, body, headers: { 'idempotency-key': key } });
        const first = await patch({ enabled: true, monthly_spend_limit_micros: 30_000_000 });
        assert.equal(first.status, 200, first.text);
        const replay = await patch({ monthly_spend_limit_micros: 30_000_000, enabled: true });
        assert.equal(replay.status, 200, replay.text);
        assert.equal(replay.body.monthly_spend_limit_micros, 30_000_000);
        const audit = await call('GET', '/v1/audit-log?limit=500', { token: api.operator });
        assert.equal(audit.body.data.filter((e: { account_id: string; action: string }) => e.account_id === b.id && e.action === 'extra_usage.updated').length, 1, 'the replay wrote nothing');
        assertError(await patch({ enabled: true, monthly_spend_limit_micros: 90_000_000 }), 409, 'idempotency_conflict');
        assertError(await patch({ enabled: false }), 409, 'idempotency_conflict');
        const eu = await call('GET', `/v1/accounts/${b.id}/extra-usage`, { token: b.owner.token });
        assert.deepEqual([eu.body.enabled, eu.body.monthly_spend_limit_micros], [true, 30_000_000]);
        assert.equal((await patch({ enabled: false }, 'settings-2')).body.enabled, false, 'a new key is a new change');
      });
    });

    describe('the same shape on other mutating calls without an idempotency column of their own', () => {
      it('grants: same key + same body → the first grant, credited once; same key + another amount → 409, nothing credited', async () => {
        const b = await api.account();
        const grant = (amount_micros: number) => call('POST', `/v1/accounts/${b.id}/grants`, { token: api.operator, body: { amount_micros, reason: 'sorry' }, headers: { 'idempotency-key': 'grant-once' } });
        const first = await grant(2_000_000);
        assert.equal(first.status, 201, first.text);
        const replay = await grant(2_000_000);
        assert.equal(replay.status, 201, replay.text);
        assert.equal(replay.body.id, first.body.id);
        assertError(await grant(3_000_000), 409, 'idempotency_conflict');
        const eu = await call('GET', `/v1/accounts/${b.id}/extra-usage`, { token: b.owner.token });
        assert.equal(eu.body.promotional_micros, 2_000_000, 'credited once');
      });
      it('subscription: same key + same plan → 200, changed once; same key + another plan → 409, the first change stands', async () => {
        const b = await api.account();
        const put = (body: Record<string, unknown>) => call('PUT', `/v1/accounts/${b.id}/subscription`, { token: b.owner.token, body, headers: { 'idempotency-key': 'plan-once' } });
        assert.equal((await put({ plan: 'team', seats: 3 })).status, 200);
        const replay = await put({ seats: 3, plan: 'team' });
        assert.equal(replay.status, 200, replay.text);
        assertError(await put({ plan: 'pro' }), 409, 'idempotency_conflict');
        const view = await call('GET', `/v1/accounts/${b.id}`, { token: b.owner.token });
        assert.deepEqual([view.body.plan.id, view.body.seats], ['team', 3]);
        const audit = await call('GET', '/v1/audit-log?limit=500', { token: api.operator });
        assert.equal(audit.body.data.filter((e: { account_id: string; action: string }) => e.account_id === b.id && e.action === 'subscription.changed').length, 1);
      });
    });

    it('field paths are written one way everywhere: events[0].timestamp, from the schema and from the use case', async () => {
      // The schema refuses a non-string timestamp; the use case refuses a string that is no timestamp.
      const schema = await call('POST', '/v1/usage-events', { token: api.service, body: { events: [event({ timestamp: 5 })] } });
      assertError(schema, 400, 'invalid_request', { field: 'events[0].timestamp' });
      const use_case = await call('POST', '/v1/usage-events', { token: api.service, body: { events: [event(), event({ timestamp: '2026-11-02T08:00:00+99:00' })] } });
      assertError(use_case, 400, 'invalid_request', { field: 'events[1].timestamp' });
      const nested = await call('POST', '/v1/usage-events', { token: api.service, body: { events: [event({ usage: { input_tokens: -1, output_tokens: 1 } })] } });
      assertError(nested, 400, 'invalid_request', { field: 'events[0].usage.input_tokens' });
      const catalog = await call('PUT', '/v1/catalog', { token: api.operator, body: { ...catalogBody(), models: [{ id: 'm', tier: 'huge', allowance_multiplier_milli: 1 }] } });
      assertError(catalog, 400, 'invalid_request', { field: 'models[0].tier' });
      for (const r of [schema, use_case, nested, catalog]) assert.doesNotMatch(r.body.error.field, /\.\d/, 'no events.0 style');
    });

    describe('request ids and internal errors', () => {
      it("the server makes its own request id; a client's X-Request-Id is kept apart as client_request_id", async () => {
        const given = 'client-chosen-id';
        const one = await call('GET', `/v1/accounts/${a.id}`, { token: a.owner.token, headers: { 'x-request-id': given } });
        const two = await call('GET', `/v1/accounts/${a.id}`, { token: a.owner.token, headers: { 'x-request-id': given } });
        for (const r of [one, two]) {
          assert.match(String(r.headers['x-request-id']), UUID);
          assert.equal(r.headers['x-client-request-id'], given);
        }
        assert.notEqual(one.headers['x-request-id'], two.headers['x-request-id'], 'two requests, two ids');
        const refused = await call('GET', '/v1/accounts/acct_ghost', { token: api.operator, headers: { 'x-request-id': given } });
        const e = assertError(refused, 404, 'not_found');
        assert.equal(e.request_id, refused.headers['x-request-id'], "the body carries the server's id");
        assert.notEqual(e.request_id, given);
        // The audit log records the server's id, not the client's.
        const grant = await call('POST', `/v1/accounts/${a.id}/grants`, { token: api.operator, body: { amount_micros: 1_000_000 }, headers: { 'x-request-id': given } });
        assert.equal(grant.status, 201, grant.text);
        const audit = await call('GET', '/v1/audit-log?limit=5', { token: api.operator });
        const entry = audit.body.data.find((x: { action: string; account_id: string }) => x.account_id === a.id && x.action.startsWith('grant'));
        assert.ok(entry, JSON.stringify(audit.body.data));
        assert.equal(entry.request_id, grant.headers['x-request-id']);
      });

      it("the log keeps what the answer leaves out: the internal error's cause and the client's request id", async () => {
        const lines: Array<Record<string, unknown>> = [];
        const stream = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
        const app = await buildServer({ tb: api.tb, logger: { level: 'info', stream } });
        try {
          db.failNext('connection to the secret_host lost');
          const res = await app.inject({ method: 'POST', url: `/v1/accounts/${a.id}/grants`, headers: { authorization: `Bearer ${api.operator}`, 'x-request-id': 'trace-42' }, payload: { amount_micros: 1_000_000 } });
          assert.equal(res.statusCode, 500);
          assert.ok(!res.body.includes('secret_host'), res.body);
          const logged = lines.filter((l) => l.reqId === res.headers['x-request-id']);
          assert.ok(logged.some((l) => JSON.stringify(l).includes('secret_host')), 'the cause is logged');
          assert.ok(logged.some((l) => l.client_request_id === 'trace-42'), "the client's id is logged beside ours");
          db.failNext('metering batch: the secret_host went away');
          const held = await app.inject({ method: 'POST', url: '/v1/authorizations', headers: { authorization: `Bearer ${api.service}` }, payload: hold() });
          assert.equal(held.statusCode, 500);
          assert.ok(!held.body.includes('secret_host') && !held.body.includes('cause'), held.body);
          assert.ok(lines.some((l) => l.reqId === held.headers['x-request-id'] && JSON.stringify(l).includes('metering batch: the secret_host')), 'the metering cause is logged');
        } finally {
          await app.close();
        }
      });

      it('behind a TLS proxy (public_origin): a cookie change must come from that scheme, host and port', async () => {
        const app = await buildServer({ tb: api.tb, public_origin: 'https://billing.example', secure_cookies: true });
        try {
          const b = await api.account();
          const patch = (origin: string) => app.inject({ method: 'PATCH', url: `/v1/accounts/${b.id}/extra-usage`, cookies: { tb_session: b.owner.token }, payload: { enabled: false }, headers: { origin, host: 'internal:8080' } });
          assert.equal((await patch('https://billing.example')).statusCode, 200);
          assert.equal((await patch('https://billing.example:443')).statusCode, 200, 'the default port is the same origin');
          for (const other of ['http://billing.example', 'https://billing.example:8443', 'http://internal:8080', 'https://evil.example']) assert.equal((await patch(other)).statusCode, 403, other);
        } finally {
          await app.close();
        }
      });

      it('an internal_error answer carries no raw database error (cause); the request id is the server one', async () => {
        const secret = 'duplicate key value violates unique constraint "secret_internal_name"';
        db.failNext(secret);
        const r = await call('POST', '/v1/authorizations', { token: api.service, body: hold(), headers: { 'x-request-id': 'mine' } });
        const e = assertError(r, 500, 'internal_error');
        assert.ok(!r.text.includes('secret_internal_name') && !('cause' in e), r.text);
        assert.equal(e.request_id, r.headers['x-request-id']);
        db.failNext(secret);
        const direct = await call('POST', `/v1/accounts/${a.id}/grants`, { token: api.operator, body: { amount_micros: 1_000_000 } });
        const e2 = assertError(direct, 500, 'internal_error');
        assert.ok(!direct.text.includes('secret_internal_name') && !('cause' in e2), direct.text);
      });
    });
  });
}

function http_body_max(): number {
  return 1_100_000;
}

function catalogBody() {
  const catalog = defaultCatalogData();
  return {
    plans: catalog.plans.map((p) => ({ ...p, windows: p.windows.map((w) => ({ ...w })) })),
    models: catalog.models.map((m) => ({ ...m })),
    prices: catalog.prices.map(({ effective_at_ms, ...p }) => ({ ...p, effective_at: new Date(effective_at_ms).toISOString() })),
    apps: catalog.apps.map((x) => ({ ...x })),
  };
}
