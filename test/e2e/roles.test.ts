// Who may do what (SPEC §1.2, §1.11) beyond the route × principal table of isolation.test.ts
// (every route, every principal, every cell asserted): the session cookie (CSRF-safe), sign-out,
// revocation and expiry, and tokens stored only as hashes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { apiHarness, assertError, email, PASSWORD, type Api, type TestAccount } from '../fixtures/http';

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
  describe(`sessions, revocation and hashed tokens (${engine.name})`, { skip: engine.skip }, () => {
    let api: Api;
    let a: TestAccount;
    let outsider: TestAccount;
    const tokens = {} as Record<Who, string | undefined>;
    let n = 0;
    const next = () => `${++n}-${Math.random().toString(36).slice(2, 8)}`;

    before(async () => {
      api = await apiHarness(await engine.open());
      a = await api.account({ credits_micros: 100_000_000, extra_usage: true, limit_micros: null, team: true });
      outsider = await api.account({ credits_micros: 20_000_000 });
      Object.assign(tokens, { anonymous: undefined, operator: api.operator, service: api.service, owner: a.owner.token, billing: a.billing!.token, member: a.member!.token, outsider: outsider.owner.token });
    });
    after(async () => {
      await api?.close();
      if (engine.name === 'pglite') await api?.db.close();
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
