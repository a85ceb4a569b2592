// Who may do what (SPEC §1.2, §1.11), as one table: role × route → status, every cell asserted.
// Columns: anonymous, the operator token, a gateway service token, the owner, a billing user and
// a member of account A, and the owner of another account B (an outsider to A: 404 on A's
// account routes, never its data). Then the session cookie (CSRF-safe), revocation and expiry,
// and tokens stored only as hashes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { apiHarness, assertError, email, PASSWORD, type Api, type TestAccount } from '../fixtures/http';
import { createPersonalToken, createServiceToken } from '../../src/app/auth';
import { defaultCatalogData } from '../../src/domain/catalog';
import { OPERATOR } from '../fixtures/tokenbank';

const WHO = ['anonymous', 'operator', 'service', 'owner', 'billing', 'member', 'outsider'] as const;
type Who = (typeof WHO)[number];

interface Request {
  method: string;
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
}

const OPUS_HOLD = { app: 'claude-code', model: 'claude-opus-4-5', input_tokens: 1000, max_output_tokens: 4000 } as const;

after(closeAll);

for (const engine of databaseEngines()) {
  describe(`role × route → status (${engine.name})`, { skip: engine.skip }, () => {
    let api: Api;
    let a: TestAccount;
    let outsider: TestAccount;
    let auth_id: string;
    const tokens = {} as Record<Who, string | undefined>;
    let n = 0;
    const next = () => `${++n}-${Math.random().toString(36).slice(2, 8)}`;

    before(async () => {
      api = await apiHarness(await engine.open());
      a = await api.account({ credits_micros: 100_000_000, extra_usage: true, limit_micros: null, team: true });
      outsider = await api.account({ credits_micros: 20_000_000 });
      auth_id = (await api.tb.authorize({ account_id: a.id, ...OPUS_HOLD })).id;
      Object.assign(tokens, { anonymous: undefined, operator: api.operator, service: api.service, owner: a.owner.token, billing: a.billing!.token, member: a.member!.token, outsider: outsider.owner.token });
    });
    after(async () => {
      await api?.close();
      if (engine.name === 'pglite') await api?.db.close();
    });

    const hold = async () => (await api.tb.authorize({ account_id: a.id, ...OPUS_HOLD })).id;
    const catalogBody = () => {
      const data = defaultCatalogData();
      return { plans: data.plans, models: data.models, apps: data.apps, prices: data.prices.map(({ effective_at_ms, ...p }) => ({ ...p, effective_at: new Date(effective_at_ms).toISOString() })) };
    };
    /** An invitation to A for an email none of the columns has: only its invitee may answer it. */
    const invitation = async () => (await api.tb.inviteMember(a.id, { email: email('invitee'), role: 'member' }, OPERATOR)).id;
    const event = () => ({ events: [{ id: `ev-${next()}`, account_id: a.id, app: 'web', model: 'claude-haiku-4-5', usage: { input_tokens: 10, output_tokens: 10 }, timestamp: '2026-11-02T08:00:00Z' }] });

    //                                                                     anon op  svc own bil mem out
    const table: Array<[string, string, () => Request | Promise<Request>]> = [
      ['POST /v1/sessions', '                                              201 201 201 201 201 201 201', () => ({ method: 'POST', url: '/v1/sessions', body: { email: outsider.owner.email, password: PASSWORD } })],
      ['GET /v1/me', '                                                     401 200 200 200 200 200 200', () => ({ method: 'GET', url: '/v1/me' })],
      ['POST /v1/tokens', '                                                401 403 403 201 201 201 201', () => ({ method: 'POST', url: '/v1/tokens', body: { name: 'cli' } })],
      ['DELETE /v1/tokens/{id}', '                                         401 200 403 200 404 404 404', async () => ({ method: 'DELETE', url: `/v1/tokens/${(await createPersonalToken(api.tb.deps, { kind: 'user', token_id: 'x', user_id: a.owner.id, email: a.owner.email, via: 'personal' }, { name: `tmp-${next()}` })).record.id}` })],
      ['POST /v1/service-tokens', '                                        401 201 403 403 403 403 403', () => ({ method: 'POST', url: '/v1/service-tokens', body: { name: `gw-${next()}` } })],
      ['GET /v1/service-tokens', '                                         401 200 403 403 403 403 403', () => ({ method: 'GET', url: '/v1/service-tokens' })],
      ['DELETE /v1/service-tokens/{id}', '                                 401 200 403 403 403 403 403', async () => ({ method: 'DELETE', url: `/v1/service-tokens/${(await createServiceToken(api.tb.deps, { kind: 'operator', token_id: 'x' }, { name: `tmp-${next()}` })).record.id}` })],
      ['POST /v1/accounts', '                                              401 201 403 403 403 403 403', () => ({ method: 'POST', url: '/v1/accounts', body: { name: 'New', plan: 'pro', owner_email: email('new'), owner_password: PASSWORD } })],
      ['GET /v1/accounts', '                                               401 200 403 200 200 200 200', () => ({ method: 'GET', url: '/v1/accounts' })],
      ['GET /v1/accounts/{id}', '                                          401 200 403 200 200 200 404', () => ({ method: 'GET', url: `/v1/accounts/${a.id}` })],
      ['PUT /v1/accounts/{id}/subscription', '                             401 200 403 200 403 403 404', () => ({ method: 'PUT', url: `/v1/accounts/${a.id}/subscription`, body: { plan: 'pro' } })],
      ['DELETE /v1/accounts/{id}/subscription', '                          401 200 403 200 403 403 404', () => ({ method: 'DELETE', url: `/v1/accounts/${a.id}/subscription` })],
      ['GET /v1/accounts/{id}/members', '                                  401 200 403 200 200 200 404', () => ({ method: 'GET', url: `/v1/accounts/${a.id}/members` })],
      ['POST /v1/accounts/{id}/members', '                                 401 202 403 202 403 403 404', () => ({ method: 'POST', url: `/v1/accounts/${a.id}/members`, body: { email: email('joiner'), role: 'member' } })],
      ['GET /v1/invitations', '                                            401 403 403 200 200 200 200', () => ({ method: 'GET', url: '/v1/invitations' })],
      ['POST /v1/invitations/{id}/accept', '                               401 403 403 404 404 404 404', async () => ({ method: 'POST', url: `/v1/invitations/${await invitation()}/accept` })],
      ['POST /v1/invitations/{id}/decline', '                              401 403 403 404 404 404 404', async () => ({ method: 'POST', url: `/v1/invitations/${await invitation()}/decline` })],
      ['POST /v1/accounts/{id}/payment-methods', '                         401 201 403 201 201 403 404', () => ({ method: 'POST', url: `/v1/accounts/${a.id}/payment-methods`, body: { token: 'tok_visa' } })],
      ['GET /v1/accounts/{id}/payment-methods', '                          401 200 403 200 200 403 404', () => ({ method: 'GET', url: `/v1/accounts/${a.id}/payment-methods` })],
      ['GET /v1/accounts/{id}/extra-usage', '                              401 200 403 200 200 200 404', () => ({ method: 'GET', url: `/v1/accounts/${a.id}/extra-usage` })],
      ['PATCH /v1/accounts/{id}/extra-usage', '                            401 200 403 200 200 403 404', () => ({ method: 'PATCH', url: `/v1/accounts/${a.id}/extra-usage`, body: { enabled: true } })],
      ['POST /v1/accounts/{id}/extra-usage/credits', '                     401 201 403 201 201 403 404', () => ({ method: 'POST', url: `/v1/accounts/${a.id}/extra-usage/credits`, body: { amount_micros: 5_000_000 }, headers: { 'idempotency-key': `k-${next()}` } })],
      ['POST /v1/accounts/{id}/grants', '                                  401 201 403 403 403 403 403', () => ({ method: 'POST', url: `/v1/accounts/${a.id}/grants`, body: { amount_micros: 1_000_000 } })],
      ['GET /v1/accounts/{id}/usage', '                                    401 200 403 200 200 200 404', () => ({ method: 'GET', url: `/v1/accounts/${a.id}/usage` })],
      ['GET /v1/accounts/{id}/usage-records', '                            401 200 403 200 200 200 404', () => ({ method: 'GET', url: `/v1/accounts/${a.id}/usage-records` })],
      ['GET /v1/accounts/{id}/transactions', '                             401 200 403 200 200 200 404', () => ({ method: 'GET', url: `/v1/accounts/${a.id}/transactions` })],
      ['GET /v1/accounts/{id}/events', '                                   401 200 403 200 200 200 404', () => ({ method: 'GET', url: `/v1/accounts/${a.id}/events` })],
      ['POST /v1/authorizations', '                                        401 201 201 403 403 403 403', () => ({ method: 'POST', url: '/v1/authorizations', body: { account_id: a.id, ...OPUS_HOLD } })],
      ['GET /v1/authorizations/{id}', '                                    401 200 200 200 200 200 404', () => ({ method: 'GET', url: `/v1/authorizations/${auth_id}` })],
      ['POST /v1/authorizations/{id}/settle', '                            401 200 200 403 403 403 403', async () => ({ method: 'POST', url: `/v1/authorizations/${await hold()}/settle`, body: { input_tokens: 1000, output_tokens: 10 } })],
      ['POST /v1/authorizations/{id}/release', '                           401 200 200 403 403 403 403', async () => ({ method: 'POST', url: `/v1/authorizations/${await hold()}/release` })],
      ['POST /v1/usage-events', '                                          401 200 200 403 403 403 403', () => ({ method: 'POST', url: '/v1/usage-events', body: event() })],
      ['GET /v1/catalog', '                                                401 200 200 200 200 200 200', () => ({ method: 'GET', url: '/v1/catalog' })],
      ['PUT /v1/catalog', '                                                401 200 403 403 403 403 403', () => ({ method: 'PUT', url: '/v1/catalog', body: catalogBody() })],
      ['GET /v1/audit', '                                                  401 200 403 403 403 403 403', () => ({ method: 'GET', url: '/v1/audit' })],
      ['GET /v1/audit-log', '                                              401 200 403 403 403 403 403', () => ({ method: 'GET', url: '/v1/audit-log' })],
    ];

    for (const [route, statuses, make] of table) {
      it(`${route}: ${WHO.map((w, i) => `${w} ${statuses.trim().split(/\s+/)[i]}`).join(', ')}`, async () => {
        const expected = Object.fromEntries(WHO.map((w, i) => [w, Number(statuses.trim().split(/\s+/)[i])]));
        const actual: Record<string, number> = {};
        for (const who of WHO) {
          const request = await make();
          const r = await api.call(request.method, request.url, { token: tokens[who], ...(request.body !== undefined ? { body: request.body } : {}), ...(request.headers ? { headers: request.headers } : {}) });
          actual[who] = r.status;
          if (r.status >= 400) {
            const type = { 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found' }[r.status] ?? 'unexpected';
            assertError(r, r.status, type);
          }
          if (who === 'outsider' && r.status === 404) {
            // Never the data: nothing of A's account beyond the id that was asked for.
            assert.ok(!r.text.includes(a.owner.email) && !r.text.includes('100000000'), r.text);
          }
        }
        assert.deepEqual(actual, expected);
      });
    }

    it('every route of the API is in the table (except DELETE /v1/sessions/current, below)', async () => {
      const doc = (await api.call('GET', '/openapi.json')).body;
      const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
      const covered = new Set([...table.map(([route]) => route), 'DELETE /v1/sessions/current']);
      assert.deepEqual(documented.filter((r) => !covered.has(r)), []);
    });

    describe('the session cookie', () => {
      it('the cookie from POST /v1/sessions authenticates reads', async () => {
        const signed = await api.call('POST', '/v1/sessions', { body: { email: a.member!.email, password: PASSWORD } });
        const cookie = signed.cookies.find((c) => c.name === 'tb_session')!;
        const r = await api.call('GET', `/v1/accounts/${a.id}/extra-usage`, { cookies: { tb_session: cookie.value } });
        assert.equal(r.status, 200, r.text);
        const other = await api.call('GET', `/v1/accounts/${outsider.id}`, { cookies: { tb_session: cookie.value } });
        assertError(other, 404, 'not_found');
      });

      it('a cookie-authenticated change with another Origin (site or scheme) → 403; with our own origin (or none) it passes', async () => {
        const cookie = await api.signIn(a.owner.email);
        const patch = (headers: Record<string, string>) => api.call('PATCH', `/v1/accounts/${a.id}/extra-usage`, { cookies: { tb_session: cookie }, body: { enabled: true }, headers: { host: 'billing.example.com', ...headers } });
        assertError(await patch({ origin: 'https://evil.example' }), 403, 'forbidden');
        assertError(await patch({ origin: 'https://billing.example.com.evil.example' }), 403, 'forbidden');
        assertError(await patch({ origin: 'null' }), 403, 'forbidden');
        assertError(await patch({ origin: 'https://billing.example.com' }), 403, 'forbidden'); // another scheme than this http server's
        assert.equal((await patch({ origin: 'http://billing.example.com' })).status, 200);
        assert.equal((await patch({})).status, 200);
        // A bearer token is not a browser credential: no Origin rule applies to it.
        assert.equal((await api.call('PATCH', `/v1/accounts/${a.id}/extra-usage`, { token: cookie, body: { enabled: true }, headers: { origin: 'https://evil.example' } })).status, 200);
      });

      it('a stale or unknown cookie is no credential: 401 where one is needed', async () => {
        assertError(await api.call('GET', '/v1/me', { cookies: { tb_session: 'tbsess_not-a-real-session-token' } }), 401, 'unauthenticated');
        assert.equal((await api.call('POST', '/v1/sessions', { cookies: { tb_session: 'tbsess_not-a-real-session-token' }, body: { email: a.member!.email, password: PASSWORD } })).status, 201);
      });
    });

    describe('revoked and expired tokens → 401', () => {
      it('a revoked service token', async () => {
        const made = await api.call('POST', '/v1/service-tokens', { token: api.operator, body: { name: `gw-${next()}` } });
        assert.equal((await api.call('POST', '/v1/authorizations', { token: made.body.token, body: { account_id: a.id, ...OPUS_HOLD } })).status, 201);
        assert.equal((await api.call('DELETE', `/v1/service-tokens/${made.body.id}`, { token: api.operator })).status, 200);
        assertError(await api.call('POST', '/v1/authorizations', { token: made.body.token, body: { account_id: a.id, ...OPUS_HOLD } }), 401, 'unauthenticated');
      });

      it('DELETE /v1/sessions/current signs out: the token and its cookie stop working; other sessions go on', async () => {
        for (const who of WHO) {
          const r = await api.call('DELETE', '/v1/sessions/current', { token: tokens[who] });
          assert.equal(r.status, who === 'anonymous' ? 401 : 200, `${who}: ${r.text}`);
        }
        for (const who of ['owner', 'billing', 'member', 'outsider'] as const) {
          assertError(await api.call('GET', '/v1/me', { token: tokens[who] }), 401, 'unauthenticated');
          assertError(await api.call('GET', '/v1/me', { cookies: { tb_session: tokens[who]! } }), 401, 'unauthenticated');
        }
        // Signing out a user does nothing to the operator's or the gateway's tokens.
        assert.equal((await api.call('GET', '/v1/me', { token: api.operator })).status, 200);
        assert.equal((await api.call('GET', '/v1/catalog', { token: api.service })).status, 200);
        const again = await api.signIn(a.owner.email);
        assert.equal((await api.call('GET', `/v1/accounts/${a.id}`, { token: again })).status, 200);
      });

      it('a session after 7 days and a personal token after its ttl_days', async () => {
        const session = await api.signIn(a.member!.email);
        const personal = (await api.call('POST', '/v1/tokens', { token: session, body: { name: 'short', ttl_days: 1 } })).body.token as string;
        const forever = (await api.call('POST', '/v1/tokens', { token: session, body: { name: 'long' } })).body.token as string;
        const start = api.clock.ms;
        try {
          api.clock.advance(86_400_000);
          assertError(await api.call('GET', '/v1/me', { token: personal }), 401, 'unauthenticated');
          assert.equal((await api.call('GET', '/v1/me', { token: session })).status, 200);
          api.clock.advance(6 * 86_400_000);
          assertError(await api.call('GET', '/v1/me', { token: session }), 401, 'unauthenticated');
          assert.equal((await api.call('GET', '/v1/me', { token: forever })).status, 200);
        } finally {
          api.clock.set(new Date(start).toISOString());
        }
      });
    });

    it('tokens are stored only as SHA-256 hashes; passwords only as scrypt hashes', async () => {
      const session = await api.signIn(a.owner.email);
      const personal = (await api.call('POST', '/v1/tokens', { token: session, body: { name: 'hash-check' } })).body.token as string;
      const service = (await api.call('POST', '/v1/service-tokens', { token: api.operator, body: { name: `hash-${next()}` } })).body.token as string;
      const secrets = [api.operator, api.service, session, personal, service];
      const rows = await api.db.query<Record<string, unknown>>('SELECT * FROM api_tokens');
      assert.ok(rows.length >= secrets.length);
      const dump = JSON.stringify(rows);
      for (const secret of secrets) {
        assert.ok(!dump.includes(secret), 'no column holds a secret');
        const hash = createHash('sha256').update(secret).digest('hex');
        assert.equal(rows.filter((r) => r.token_hash === hash).length, 1, 'the secret is found by its hash');
      }
      const users = await api.db.query<{ password_hash: string }>('SELECT password_hash FROM users');
      assert.ok(users.length > 0);
      for (const u of users) {
        assert.match(u.password_hash, /^scrypt\$\d+\$\d+\$\d+\$[^$]+\$[^$]+$/);
        assert.ok(!u.password_hash.includes(PASSWORD));
      }
    });
  });
}
