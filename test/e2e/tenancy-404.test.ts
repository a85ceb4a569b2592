// "Not yours" and "does not exist" are one answer (issue 8, item 7): on every route that takes an
// id, a caller asking for another tenant's thing gets the same status and body (request_id
// stripped, the asked-for id written as <id>) as for an id that was never issued. Nothing in the
// answer names the other tenant's account.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPersonalToken, createServiceToken } from '../../src/app/auth';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { apiHarness, email, type Api, type Reply, type TestAccount, withoutIds } from '../fixtures/http';

const OPUS_HOLD = { app: 'claude-code', model: 'claude-opus-4-5', input_tokens: 1000, max_output_tokens: 4000 } as const;

interface Probe {
  method: string;
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A route with an id: the request for a given id, and the ids of "theirs" and "nobody's". */
interface Case {
  route: string;
  /** Who asks: a token of tenant B (or of a service, for operator-only routes). */
  as: () => string;
  probe: (id: string) => Probe;
  theirs: () => string;
  ghost: string;
  /** What "theirs" is, when a route is probed with more than one kind of foreign id. */
  label?: string;
}

const normalized = withoutIds;

after(closeAll);

for (const engine of databaseEngines()) {
  describe(`not yours = does not exist (${engine.name})`, { skip: engine.skip }, () => {
    let api: Api;
    let a: TestAccount; // the other tenant
    let b: TestAccount; // the caller
    const ids: Record<string, string> = {};
    let n = 0;

    before(async () => {
      api = await apiHarness(await engine.open());
      a = await api.account({ team: true, credits_micros: 20_000_000, extra_usage: true });
      b = await api.account({ team: true, credits_micros: 20_000_000, extra_usage: true });
      const held = await api.call('POST', '/v1/authorizations', { token: api.service, body: { account_id: a.id, ...OPUS_HOLD } });
      assert.equal(held.status, 201, held.text);
      ids.authorization = held.body.id;
      ids.personal_token = (await createPersonalToken(api.tb.deps, { kind: 'user', token_id: 'x', user_id: a.owner.id, email: a.owner.email, via: 'personal' }, { name: 'a-cli' })).record.id;
      ids.service_token = (await createServiceToken(api.tb.deps, { kind: 'operator', token_id: 'x' }, { name: 'a-gw' })).record.id;
      ids.payment_method = (await api.tb.store.listPaymentMethods(a.id))[0]!.id;
      // Sent to someone else: to A's invitee, and one that B's own owner sent.
      ids.invitation = (await api.call('POST', `/v1/accounts/${a.id}/members`, { token: a.owner.token, body: { email: email('a-invitee'), role: 'member' } })).body.id;
      ids.sent_by_b = (await api.call('POST', `/v1/accounts/${b.id}/members`, { token: b.owner.token, body: { email: email('b-invitee'), role: 'member' } })).body.id;
      assert.ok(ids.invitation && ids.sent_by_b);
    });
    after(async () => {
      await api?.close();
      if (engine.name === 'pglite') await api?.db.close();
    });

    const owner = () => b.owner.token;
    const member = () => b.member!.token;
    const account = (method: string, tail: string, body?: unknown, headers?: () => Record<string, string>): Omit<Case, 'as'> => ({
      route: `${method} /v1/accounts/{id}${tail}`,
      probe: (id) => ({ method, url: `/v1/accounts/${id}${tail}`, ...(body !== undefined ? { body } : {}), ...(headers ? { headers: headers() } : {}) }),
      theirs: () => a.id,
      ghost: 'acct_ghost00000001',
    });
    const key = () => ({ 'idempotency-key': `tenancy-${++n}` });

    const cases: Case[] = [
      ...[owner, member].flatMap((as) => [
        account('GET', ''),
        account('PUT', '/subscription', { plan: 'pro' }),
        account('DELETE', '/subscription'),
        account('GET', '/members'),
        account('POST', '/members', { email: 'someone@example.com', role: 'member' }),
        account('POST', '/payment-methods', { token: 'tok_visa' }),
        account('GET', '/payment-methods'),
        account('GET', '/extra-usage'),
        account('PATCH', '/extra-usage', { enabled: true }),
        account('POST', '/extra-usage/credits', { amount_micros: 5_000_000 }, key),
        account('POST', '/grants', { amount_micros: 1_000_000 }),
        account('GET', '/usage'),
        account('GET', '/usage-records'),
        account('GET', '/transactions'),
        account('GET', '/events'),
      ].map((c) => ({ ...c, as }))),
      { route: 'GET /v1/authorizations/{id}', as: owner, probe: (id) => ({ method: 'GET', url: `/v1/authorizations/${id}` }), theirs: () => ids.authorization!, ghost: 'auth_ghost00000001' },
      { route: 'GET /v1/authorizations/{id}', as: member, probe: (id) => ({ method: 'GET', url: `/v1/authorizations/${id}` }), theirs: () => ids.authorization!, ghost: 'auth_ghost00000001' },
      { route: 'POST /v1/authorizations/{id}/settle', as: owner, probe: (id) => ({ method: 'POST', url: `/v1/authorizations/${id}/settle`, body: { input_tokens: 1, output_tokens: 1 } }), theirs: () => ids.authorization!, ghost: 'auth_ghost00000001' },
      { route: 'POST /v1/authorizations/{id}/release', as: owner, probe: (id) => ({ method: 'POST', url: `/v1/authorizations/${id}/release` }), theirs: () => ids.authorization!, ghost: 'auth_ghost00000001' },
      { route: 'DELETE /v1/tokens/{id}', as: owner, probe: (id) => ({ method: 'DELETE', url: `/v1/tokens/${id}` }), theirs: () => ids.personal_token!, ghost: 'tok_ghost00000001' },
      { route: 'DELETE /v1/service-tokens/{id}', as: owner, probe: (id) => ({ method: 'DELETE', url: `/v1/service-tokens/${id}` }), theirs: () => ids.service_token!, ghost: 'tok_ghost00000001' },
      ...(['accept', 'decline'] as const).flatMap((answer) =>
        [owner, member].flatMap((as) =>
          (['invitation', 'sent_by_b'] as const).map((which) => ({
            route: `POST /v1/invitations/{id}/${answer}`,
            as,
            probe: (id: string) => ({ method: 'POST', url: `/v1/invitations/${id}/${answer}` }),
            theirs: () => ids[which]!,
            ghost: 'inv_ghost00000001',
            label: which === 'invitation' ? "an invitation of A's" : "an invitation B's owner sent to someone else",
          })),
        ),
      ),
      // An id in the body: B's own purchase paid with A's card.
      {
        route: 'POST /v1/accounts/{id}/extra-usage/credits (payment_method_id)',
        as: owner,
        probe: (id) => ({ method: 'POST', url: `/v1/accounts/${b.id}/extra-usage/credits`, body: { amount_micros: 5_000_000, payment_method_id: id }, headers: key() }),
        theirs: () => ids.payment_method!,
        ghost: 'pm_ghost00000001',
      },
    ];

    for (const c of cases) {
      it(`${c.route} as ${c.as === owner ? "B's owner" : "B's member"}: ${c.label ?? "another tenant's id"} answers exactly as an id that does not exist`, async () => {
        const send = (p: Probe) => api.call(p.method, p.url, { token: c.as(), ...(p.body !== undefined ? { body: p.body } : {}), ...(p.headers ? { headers: p.headers } : {}) });
        const theirs = await send(c.probe(c.theirs()));
        const ghost = await send(c.probe(c.ghost));
        assert.ok(theirs.status >= 400, `refused: ${theirs.status} ${theirs.text}`);
        assert.deepEqual(normalized(theirs, c.theirs()), normalized(ghost, c.ghost));
        if (c.theirs() !== a.id) assert.ok(!theirs.text.includes(a.id), `names the other tenant's account: ${theirs.text}`);
      });
    }

    it('every documented route with an id is in the table', async () => {
      const doc = (await api.call('GET', '/openapi.json')).body;
      const with_ids = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => (path.includes('{') ? Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`) : []));
      const covered = new Set(cases.map((c) => c.route));
      assert.deepEqual(with_ids.filter((r) => !covered.has(r)), []);
    });
  });
}
