// The contract, typed both ways (issue 9, part 4): every success answer has a schema in the
// OpenAPI document and is serialised through it without losing a field; every list pages as
// {data, has_more, next_cursor} with a cursor that works; every answer carries Request-Id; a
// replayed idempotent call answers the first status and body with Idempotent-Replayed: true.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { freshPglite } from '../fixtures/databases';
import { apiHarness, email, type Api, type Reply } from '../fixtures/http';
import { OPERATOR } from '../fixtures/tokenbank';
import { buildServer } from '../../src/http/server';

const HOLD = { app: 'claude-code', model: 'claude-opus-4-5', input_tokens: 1000, max_output_tokens: 4000 } as const;
const USAGE = { input_tokens: 1000, output_tokens: 2000 };

/** A schema that says nothing about the answer: absent, or an object with no properties. */
function isEmptySchema(schema: any, components: Record<string, any>): boolean {
  if (!schema || typeof schema !== 'object') return true;
  if (typeof schema.$ref === 'string') return isEmptySchema(components[schema.$ref.split('/').pop()!], components);
  if (schema.anyOf || schema.oneOf || schema.allOf) return false;
  if (schema.type === 'array') return isEmptySchema(schema.items, components);
  if (schema.type && schema.type !== 'object') return false;
  return Object.keys(schema.properties ?? {}).length === 0;
}

describe('the contract', () => {
  let api: Api;
  let doc: any;
  /** A second server over the same Tokenbank that records what each handler returned. */
  let recorder: FastifyInstance;
  const returned = new WeakMap<object, string>();
  const losses: string[] = [];
  let compared = 0;

  before(async () => {
    api = await apiHarness(await freshPglite());
    doc = (await api.call('GET', '/openapi.json')).body;
    recorder = await buildServer({ tb: api.tb, logger: false });
    recorder.addHook('preSerialization', async (request, _reply, payload) => {
      returned.set(request, JSON.stringify(payload));
      return payload;
    });
    recorder.addHook('onSend', async (request, reply, payload) => {
      const before_serialising = returned.get(request);
      if (before_serialising === undefined || typeof payload !== 'string' || reply.statusCode >= 400) return payload;
      compared += 1;
      const where = `${request.method} ${request.routeOptions.url}`;
      const walk = (given: unknown, sent: unknown, path: string): void => {
        if (given !== null && typeof given === 'object') {
          for (const [key, value] of Object.entries(given)) {
            if (sent === null || typeof sent !== 'object' || !(key in sent)) losses.push(`${where}: ${path}.${key} was dropped`);
            else walk(value, (sent as Record<string, unknown>)[key], `${path}.${key}`);
          }
        } else if (given !== sent) losses.push(`${where}: ${path} was ${JSON.stringify(given)}, sent as ${JSON.stringify(sent)}`);
      };
      walk(JSON.parse(before_serialising), JSON.parse(payload), '$');
      return payload;
    });
    await recorder.ready();
  });
  after(async () => {
    await recorder?.close();
    await api?.close();
    await api?.db.close();
  });

  /** A call through the recording server. */
  async function call(method: string, url: string, o: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const res = await recorder.inject({ method: method as 'GET', url, headers, ...(o.body !== undefined ? { payload: JSON.stringify(o.body) } : {}) });
    const body = String(res.headers['content-type'] ?? '').includes('application/json') && res.body.length > 0 ? JSON.parse(res.body) : undefined;
    return { status: res.statusCode, headers: res.headers, body, text: res.body, cookies: [] };
  }

  /** Every page of a list, `limit` at a time, following next_cursor to the end. */
  async function allPages(url: string, token: string, limit: number): Promise<{ items: any[]; pages: number }> {
    const items: any[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const sep = url.includes('?') ? '&' : '?';
      const r = await call('GET', `${url}${sep}limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`, { token });
      assert.equal(r.status, 200, r.text);
      assert.ok(Array.isArray(r.body.data) && typeof r.body.has_more === 'boolean' && 'next_cursor' in r.body, `${url} pages as {data, has_more, next_cursor}: ${r.text}`);
      assert.ok(r.body.data.length <= limit);
      assert.equal(r.body.has_more, r.body.next_cursor !== null, 'a next cursor exactly when there is more');
      items.push(...r.body.data);
      cursor = r.body.next_cursor;
      pages += 1;
      assert.ok(pages < 1000, 'paging ends');
    } while (cursor !== null);
    return { items, pages };
  }

  async function assertPagesCoverTheList(url: string, token: string, key: (item: any) => string = (i) => String(i.id)) {
    const whole = await call('GET', `${url}${url.includes('?') ? '&' : '?'}limit=500`, { token });
    assert.equal(whole.status, 200, whole.text);
    assert.equal(whole.body.has_more, false);
    assert.ok(whole.body.data.length >= 3, `${url} has enough items to page (${whole.body.data.length})`);
    const { items, pages } = await allPages(url, token, 2);
    assert.ok(pages >= 2, 'more than one page');
    assert.deepEqual(items.map(key), whole.body.data.map(key), `${url}: the pages, in order, are the whole list, each item once`);
  }

  /** An account with credits and extra usage on, and a few charged requests. */
  async function busyAccount(requests = 3) {
    const a = await api.account({ credits_micros: 20_000_000, extra_usage: true, limit_micros: null });
    for (let i = 0; i < requests; i += 1) {
      const hold = await call('POST', '/v1/authorizations', { token: api.service, body: { account_id: a.id, ...HOLD } });
      assert.equal(hold.status, 201, hold.text);
      assert.equal((await call('POST', `/v1/authorizations/${hold.body.id}/settle`, { token: api.service, body: USAGE })).status, 200);
    }
    const events = await call('POST', '/v1/usage-events', { token: api.service, body: { events: [1, 2].map((n) => ({ id: `ev-${a.id}-${n}`, account_id: a.id, app: 'claude-code', model: 'claude-opus-4-5', usage: USAGE, timestamp: new Date(api.clock.ms).toISOString() })) } });
    assert.equal(events.status, 200, events.text);
    for (let i = 0; i < 2; i += 1) assert.equal((await call('POST', `/v1/accounts/${a.id}/grants`, { token: api.operator, body: { amount_micros: 1_000_000 + i } })).status, 201);
    return a;
  }

  describe('the OpenAPI document', () => {
    it('has no empty success schema: every 2xx answer of every operation documents its body', () => {
      const empty: string[] = [];
      for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
        for (const [method, op] of Object.entries(ops)) {
          for (const [status, response] of Object.entries(op.responses as Record<string, any>)) {
            if (!status.startsWith('2')) continue;
            if (isEmptySchema(response.content?.['application/json']?.schema, doc.components?.schemas ?? {})) empty.push(`${method.toUpperCase()} ${path} ${status}`);
          }
        }
      }
      assert.deepEqual(empty, []);
    });

    it('every list documents {data, has_more, next_cursor}', () => {
      for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
        const schema = ops.get?.responses?.['200']?.content?.['application/json']?.schema;
        if (!schema?.properties?.data) continue;
        assert.deepEqual(['data', 'has_more', 'next_cursor'].filter((f) => !(f in schema.properties)), [], `GET ${path}`);
        assert.ok(schema.required.includes('has_more') && schema.required.includes('next_cursor'), `GET ${path} requires has_more and next_cursor`);
      }
    });

    it('documents Request-Id on every success, and Idempotent-Replayed on the calls that take Idempotency-Key', () => {
      const keyed = ['POST /v1/accounts/{id}/extra-usage/credits', 'POST /v1/authorizations', 'PATCH /v1/accounts/{id}/extra-usage', 'POST /v1/accounts/{id}/grants', 'PUT /v1/accounts/{id}/subscription', 'POST /v1/accounts/{id}/refunds', 'PATCH /v1/orgs/{id}', 'POST /v1/orgs/{id}/credits', 'POST /v1/orgs/{id}/grants'];
      for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
        for (const [method, op] of Object.entries(ops)) {
          const where = `${method.toUpperCase()} ${path}`;
          for (const [status, response] of Object.entries(op.responses as Record<string, any>)) {
            if (!status.startsWith('2')) continue;
            assert.ok(response.headers?.['Request-Id'], `${where} ${status} documents Request-Id`);
            assert.equal(Boolean(response.headers?.['Idempotent-Replayed']), keyed.includes(where), `${where} ${status}: Idempotent-Replayed documented exactly on keyed calls`);
          }
        }
      }
    });

    it('names a relative server, so /docs "Try it out" calls the server it was served by', () => {
      assert.deepEqual(doc.servers, [{ url: '/' }]);
    });
  });

  describe('serialised through the schemas', () => {
    it('every route answers every field its handler gave, unchanged (nothing dropped, nothing coerced)', async () => {
      const a = await busyAccount(1);
      const owner = a.owner.token;
      const calls: Array<[string, string, string, unknown?]> = [
        ['GET', '/v1/me', owner],
        ['GET', '/v1/me', api.operator],
        ['GET', '/v1/accounts', owner],
        ['GET', '/v1/accounts?limit=5', api.operator],
        ['GET', `/v1/accounts/${a.id}`, owner],
        ['GET', `/v1/accounts/${a.id}`, api.operator],
        ['GET', `/v1/accounts/${a.id}/members`, owner],
        ['GET', `/v1/accounts/${a.id}/payment-methods`, owner],
        ['POST', `/v1/accounts/${a.id}/payment-methods`, owner, { token: 'tok_mastercard' }],
        ['GET', `/v1/accounts/${a.id}/extra-usage`, owner],
        ['PATCH', `/v1/accounts/${a.id}/extra-usage`, owner, { auto_reload: { enabled: true, amount_micros: 10_000_000, threshold_micros: 2_000_000 } }],
        ['GET', `/v1/accounts/${a.id}/usage?group_by=model`, owner],
        ['GET', `/v1/accounts/${a.id}/usage-records`, owner],
        ['GET', `/v1/accounts/${a.id}/transactions`, owner],
        ['GET', `/v1/accounts/${a.id}/events`, owner],
        ['PUT', `/v1/accounts/${a.id}/subscription`, owner, { plan: 'max' }],
        ['DELETE', `/v1/accounts/${a.id}/subscription`, owner],
        ['POST', `/v1/accounts/${a.id}/members`, owner, { email: email('invited'), role: 'member' }],
        ['GET', '/v1/invitations', owner],
        ['POST', '/v1/tokens', owner, { name: 'cli' }],
        ['POST', '/v1/service-tokens', api.operator, { name: `gw-${a.id}` }],
        ['GET', '/v1/service-tokens', api.operator],
        ['GET', '/v1/catalog', api.operator],
        ['GET', '/v1/audit', api.operator],
        ['GET', '/v1/audit-log?limit=20', api.operator],
      ];
      for (const [method, url, token, body] of calls) {
        const r = await call(method, url, { token, ...(body !== undefined ? { body } : {}) });
        assert.ok(r.status < 300, `${method} ${url}: ${r.status} ${r.text}`);
      }
      const hold = await call('POST', '/v1/authorizations', { token: api.service, body: { account_id: a.id, ...HOLD, cache_write: '5m' } });
      assert.equal(hold.status, 201, hold.text);
      assert.equal((await call('GET', `/v1/authorizations/${hold.body.id}`, { token: owner })).status, 200);
      assert.equal((await call('POST', `/v1/authorizations/${hold.body.id}/release`, { token: api.service })).status, 200);
      const credits = await call('POST', `/v1/accounts/${a.id}/extra-usage/credits`, { token: owner, body: { amount_micros: 5_000_000 }, headers: { 'idempotency-key': `k-${a.id}` } });
      assert.equal(credits.status, 201, credits.text);
      const bad_event = await call('POST', '/v1/usage-events', { token: api.service, body: { events: [{ id: `ev-x-${a.id}`, account_id: 'acct_missing', app: 'claude-code', model: 'claude-opus-4-5', usage: USAGE, timestamp: new Date(api.clock.ms).toISOString() }] } });
      assert.equal(bad_event.status, 200, bad_event.text);
      assert.ok(compared >= calls.length, `compared ${compared} answers`);
      assert.deepEqual(losses, []);
    });
  });

  describe('every list pages the same way, with a cursor that works', () => {
    it('usage records (ties in time broken by id)', async () => {
      const a = await busyAccount(4);
      await assertPagesCoverTheList(`/v1/accounts/${a.id}/usage-records`, a.owner.token);
    });

    it('events', async () => {
      const a = await busyAccount(1);
      await assertPagesCoverTheList(`/v1/accounts/${a.id}/events`, a.owner.token);
    });

    it('transactions (and the older ?before= still works)', async () => {
      const a = await busyAccount(2);
      await assertPagesCoverTheList(`/v1/accounts/${a.id}/transactions`, a.owner.token);
      const first = await call('GET', `/v1/accounts/${a.id}/transactions?limit=1`, { token: a.owner.token });
      assert.equal(String(first.body.next_before), first.body.next_cursor);
      const by_before = await call('GET', `/v1/accounts/${a.id}/transactions?limit=1&before=${first.body.next_before}`, { token: a.owner.token });
      const by_cursor = await call('GET', `/v1/accounts/${a.id}/transactions?limit=1&cursor=${first.body.next_cursor}`, { token: a.owner.token });
      assert.deepEqual(by_before.body, by_cursor.body);
    });

    it('accounts, for the operator and for a member of several', async () => {
      for (let i = 0; i < 3; i += 1) await api.account();
      await assertPagesCoverTheList('/v1/accounts', api.operator);
      const a = await api.account();
      for (let i = 0; i < 2; i += 1) {
        const other = await api.account();
        const invitation = await api.tb.inviteMember('plan', other.id, { email: a.owner.email, role: 'member' }, OPERATOR);
        await api.tb.acceptInvitation(invitation.id, { user_id: a.owner.id, email: a.owner.email }, OPERATOR);
      }
      await assertPagesCoverTheList('/v1/accounts', a.owner.token);
    });

    it('the audit log', async () => {
      await busyAccount(1);
      const { items, pages } = await allPages('/v1/audit-log', api.operator, 7);
      assert.ok(pages >= 2);
      assert.equal(new Set(items.map((e) => e.id)).size, items.length, 'each entry once');
      assert.deepEqual(items.map((e) => e.id), [...items.map((e) => e.id)].sort((x, y) => y - x), 'newest first');
    });

    it('invitations', async () => {
      const invitee_email = email('invitee');
      await api.user(invitee_email);
      const token = await api.signIn(invitee_email);
      for (let i = 0; i < 3; i += 1) await api.tb.inviteMember('plan', (await api.account()).id, { email: invitee_email, role: 'member' }, OPERATOR);
      await assertPagesCoverTheList('/v1/invitations', token);
    });

    it('a cursor is refused when it is not one (a number-keyed list given text)', async () => {
      const a = await api.account();
      const r = await call('GET', `/v1/accounts/${a.id}/events?cursor=abc`, { token: a.owner.token });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.error.field, 'cursor');
    });
  });

  describe('Request-Id', () => {
    it('every answer carries the server\'s id: successes, refusals, unknown routes and router errors', async () => {
      const answers = [
        await call('GET', '/v1/me', { token: api.operator }),
        await call('GET', '/v1/me'),
        await call('GET', '/v1/nowhere', { token: api.operator }),
        await call('GET', '/v1/accounts/%E0%A4%A', { token: api.operator }),
        await call('GET', '/openapi.json'),
      ];
      const ids = new Set<string>();
      for (const r of answers) {
        const id = r.headers['request-id'];
        assert.equal(typeof id, 'string', `Request-Id on a ${r.status}`);
        assert.equal(r.headers['x-request-id'], id, 'X-Request-Id is the same id');
        if (r.status >= 400) assert.equal(r.body.error.request_id, id, 'the error names the same id');
        ids.add(id as string);
      }
      assert.equal(ids.size, answers.length, 'one id per request');
    });

    it('is the server\'s, not the client\'s X-Request-Id', async () => {
      const r = await call('GET', '/v1/me', { token: api.operator, headers: { 'x-request-id': 'client-chosen-1' } });
      assert.notEqual(r.headers['request-id'], 'client-chosen-1');
      assert.equal(r.headers['x-client-request-id'], 'client-chosen-1');
    });
  });

  describe('Idempotent-Replayed', () => {
    /** Two calls with one key and one body: the first status and body, the second marked. */
    async function assertReplay(method: string, url: string, token: string, body: unknown, status: number) {
      const headers = { 'idempotency-key': `replay-${url}-${Math.random()}` };
      const first = await call(method, url, { token, body, headers });
      assert.equal(first.status, status, first.text);
      assert.equal(first.headers['idempotent-replayed'], undefined, `${method} ${url}: the first call is not a replay`);
      const again = await call(method, url, { token, body, headers });
      assert.equal(again.status, first.status, `${method} ${url}: the first status`);
      // A purchase's body also says `replayed` (older clients read it there); the rest is the first body.
      const { replayed: first_replayed, ...first_body } = first.body;
      const { replayed: again_replayed, ...again_body } = again.body;
      assert.deepEqual(again_body, first_body, `${method} ${url}: the first body`);
      if (first_replayed !== undefined) assert.deepEqual([first_replayed, again_replayed], [false, true]);
      assert.equal(again.headers['idempotent-replayed'], 'true', `${method} ${url}: marked as a replay`);
      const other = await call(method, url, { token, body, headers: { 'idempotency-key': `fresh-${Math.random()}` } });
      assert.equal(other.headers['idempotent-replayed'], undefined, `${method} ${url}: a new key is not a replay`);
    }

    it('purchases', async () => {
      const a = await api.account({ card: 'tok_visa' });
      await assertReplay('POST', `/v1/accounts/${a.id}/extra-usage/credits`, a.owner.token, { amount_micros: 5_000_000 }, 201);
    });

    it('authorizations', async () => {
      const a = await api.account({ credits_micros: 20_000_000, extra_usage: true });
      await assertReplay('POST', '/v1/authorizations', api.service, { account_id: a.id, ...HOLD }, 201);
    });

    it('PATCH extra-usage', async () => {
      const a = await api.account();
      await assertReplay('PATCH', `/v1/accounts/${a.id}/extra-usage`, a.owner.token, { monthly_spend_limit_micros: 30_000_000 }, 200);
    });

    it('grants', async () => {
      const a = await api.account();
      await assertReplay('POST', `/v1/accounts/${a.id}/grants`, api.operator, { amount_micros: 2_000_000, reason: 'sorry' }, 201);
    });

    it('refunds', async () => {
      const a = await api.account({ credits_micros: 20_000_000 });
      await assertReplay('POST', `/v1/accounts/${a.id}/refunds`, a.owner.token, { amount_micros: 2_000_000 }, 201);
    });

    it('subscription changes', async () => {
      const a = await api.account();
      await assertReplay('PUT', `/v1/accounts/${a.id}/subscription`, a.owner.token, { plan: 'max' }, 200);
    });
  });
});
