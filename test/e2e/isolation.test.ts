// The isolation matrix (issue 13, part 4): every documented route × every principal answers as
// SPEC §2 and §1.11 say, one table, every cell asserted; B cannot tell A's ids from ids that were
// never issued; no secret reaches the server's log; sign-in is throttled.
//
// Columns (principals):
//   anonymous  no credential
//   operator   the operator token (everything)
//   service    a gateway service token (metering calls; the catalog and /v1/me it needs to meter)
//   owner, billing, member   users of account A, each through a session
//   outsider   the owner of account B: A's ids are "not found", never "forbidden", never data
//   revoked    a personal token of A's owner, revoked
//   expired    a session of A's owner, used after session_ttl_ms (the harness clock moved on)
//   foreign    a well-formed session of another server's database (same code, another database)
// Every route of GET /openapi.json must have a row: a new route fails this file until it has one.
//
// The whole matrix runs against a server whose pino logger writes to memory; the last test greps
// that log for every password, token and card token the run used.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createPersonalToken, createServiceToken, session_ttl_ms } from '../../src/app/auth';
import { defaultCatalogData } from '../../src/domain/catalog';
import { limits } from '../../src/domain/limits';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { apiHarness, assertAnthropicError, assertError, email, OPERATOR_TOKEN, PASSWORD, type Api, type Reply, type TestAccount, withoutIds } from '../fixtures/http';
import { OPERATOR } from '../fixtures/tokenbank';
import { signedEvent } from '../fixtures/fake-stripe';
import { OPERATOR_UPSTREAM_KEY, startFakeAnthropic, type FakeAnthropic } from '../fixtures/fake-anthropic';
import { anthropicUpstream } from '../../src/upstream/anthropic';

const WHO = ['anonymous', 'operator', 'service', 'owner', 'billing', 'member', 'outsider', 'revoked', 'expired', 'foreign'] as const;
type Who = (typeof WHO)[number];
const WRONG_PASSWORD = 'wrong password, guessed';
const CARD_TOKENS = ['tok_visa', 'tok_mastercard', 'tok_chargeDeclined', 'tok_insufficientFunds', 'tok_expiredCard'];
const UNKNOWN_CARD = 'tok_notACardWeKnow';

interface Request {
  method: string;
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
}

const OPUS_HOLD = { app: 'claude-code', model: 'claude-opus-4-5', input_tokens: 1000, max_output_tokens: 4000 } as const;

const normalized = withoutIds;

const documentedRoutes = (doc: { paths: Record<string, Record<string, unknown>> }) => Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));

after(closeAll);

for (const engine of databaseEngines()) {
  describe(`isolation matrix (${engine.name})`, { skip: engine.skip }, () => {
    let api: Api;
    let foreign_api: Api;
    let a: TestAccount;
    let b: TestAccount;
    let auth_id: string;
    const tokens = {} as Record<Who, string | undefined>;
    const hooks = { endpoint: '', operator_endpoint: '', delivery: '', operator_delivery: '' };
    /** API organizations (issue 12): org X with an admin, billing and developer, org Y with its admin, and a key of X. */
    const org = { x: '', y: '', key: '', key_id: '' };
    const org_people = {} as Record<'x_admin' | 'x_billing' | 'x_developer' | 'y_admin', string>;
    /** Every secret this run handed out or sent: none may be in the log. */
    const secrets = new Set<string>([OPERATOR_TOKEN, PASSWORD, WRONG_PASSWORD, OPERATOR_UPSTREAM_KEY]);
    /** The drop-in gateway's upstream (POST /v1/messages). */
    let upstream: FakeAnthropic;
    const log: string[] = [];
    let n = 0;
    const next = () => `${++n}-${Math.random().toString(36).slice(2, 8)}`;

    before(async () => {
      const stream = new Writable({
        write(chunk, _encoding, done) {
          log.push(String(chunk));
          done();
        },
      });
      upstream = await startFakeAnthropic();
      api = await apiHarness(await engine.open(), { logger: { level: 'trace', stream }, upstream: anthropicUpstream({ base_url: upstream.url, api_key: OPERATOR_UPSTREAM_KEY }) });
      foreign_api = await apiHarness(await engine.open());
      a = await api.account({ credits_micros: 100_000_000, extra_usage: true, limit_micros: null, team: true });
      b = await api.account({ credits_micros: 20_000_000, team: true });
      auth_id = (await api.tb.authorize({ account_id: a.id, ...OPUS_HOLD })).id;
      const revoked = await api.call('POST', '/v1/tokens', { token: a.owner.token, body: { name: 'to-revoke' } });
      assert.equal(revoked.status, 201, revoked.text);
      assert.equal((await api.call('DELETE', `/v1/tokens/${revoked.body.id}`, { token: a.owner.token })).status, 200);
      const expired = await api.signIn(a.owner.email);
      const foreign = await foreign_api.account();
      Object.assign(tokens, { anonymous: undefined, operator: api.operator, service: api.service, owner: a.owner.token, billing: a.billing!.token, member: a.member!.token, outsider: b.owner.token, revoked: revoked.body.token, expired, foreign: foreign.owner.token });
      for (const t of [...Object.values(tokens), b.billing!.token, b.member!.token, foreign_api.service]) if (t) secrets.add(t);
      // Webhook endpoints with a delivery each (one attempt, to a port nobody listens on).
      const endpoint = await api.tb.createWebhookEndpoint(a.id, { url: 'http://127.0.0.1:9/matrix' });
      const operator_endpoint = await api.tb.createWebhookEndpoint(null, { url: 'http://127.0.0.1:9/operator' });
      for (const e of [endpoint, operator_endpoint]) secrets.add(e.secret);
      await api.tb.grantCredits(a.id, { amount_micros: 1_000_000 }, OPERATOR);
      assert.ok((await api.tb.deliverWebhooks()) >= 2);
      const first = async (account_id: string | null, endpoint_id: string) => (await api.tb.listWebhookDeliveries(account_id, endpoint_id, {})).data[0]!.id;
      Object.assign(hooks, { endpoint: endpoint.id, operator_endpoint: operator_endpoint.id, delivery: await first(a.id, endpoint.id), operator_delivery: await first(null, operator_endpoint.id) });
      // API organizations: X (admin, billing, developer, one key) and Y (its admin).
      for (const [name, which] of [['X', 'x'], ['Y', 'y']] as const) {
        const admin = await api.user(email(`${which}-admin`));
        org[which] = (await api.tb.createOrg({ name: `Org ${name}`, admin_email: admin.email }, OPERATOR)).org.id;
        org_people[`${which}_admin`] = await api.signIn(admin.email);
      }
      for (const role of ['billing', 'developer'] as const) {
        const user = await api.user(email(`x-${role}`));
        await api.join('api_org', org.x, user, role);
        org_people[`x_${role}`] = await api.signIn(user.email);
      }
      const key = await api.tb.createApiKey(org.x, { name: 'matrix' }, OPERATOR);
      Object.assign(org, { key: key.secret, key_id: key.key.id });
      for (const t of [...Object.values(org_people), key.secret]) secrets.add(t);
    });
    after(async () => {
      await api?.close();
      await foreign_api?.close();
      await upstream?.close();
      if (engine.name === 'pglite') {
        await api?.db.close();
        await foreign_api?.db.close();
      }
    });

    /** One call as `who`; the expired session is used with the clock past its TTL, then the clock is put back. */
    async function callAs(who: Who, request: Request, token = tokens[who]): Promise<Reply> {
      const send = () => api.call(request.method, request.url, { token, ...(request.body !== undefined ? { body: request.body } : {}), ...(request.headers ? { headers: request.headers } : {}) });
      if (who !== 'expired') return send();
      const start = api.clock.ms;
      api.clock.advance(session_ttl_ms + 1000);
      try {
        return await send();
      } finally {
        api.clock.ms = start;
      }
    }
    const USER_EMAIL: Partial<Record<Who, () => string>> = { owner: () => a.owner.email, billing: () => a.billing!.email, member: () => a.member!.email, outsider: () => b.owner.email };

    const hold = async () => (await api.tb.authorize({ account_id: a.id, ...OPUS_HOLD })).id;
    const catalogBody = () => {
      const data = defaultCatalogData();
      return { plans: data.plans, models: data.models, apps: data.apps, prices: data.prices.map(({ effective_at_ms, ...p }) => ({ ...p, effective_at: new Date(effective_at_ms).toISOString() })) };
    };
    /** An invitation to A for an email no column has: only its invitee may answer it. */
    const invitation = async () => (await api.tb.inviteMember('plan', a.id, { email: email('invitee'), role: 'member' }, OPERATOR)).id;
    /** A fresh campaign code, so each principal's claim is its first. */
    const promotion = async () => (await api.tb.createPromotion({ code: `CODE-${next()}`, amount_micros: 1_000_000, claims_max: 100 }, OPERATOR)).code;
    const orgMember = async () => ({ email: (await api.user(email('org-joiner'))).email, role: 'developer' });
    /** A fresh user who joined the account or org as its lowest role: the member a row changes or removes. */
    const joiner = async (kind: 'plan' | 'api_org', id: string) => {
      const user = await api.user(email('joiner'));
      await api.join(kind, id, user, kind === 'plan' ? 'member' : 'developer');
      return user.id;
    };
    const orgKey = async () => (await api.tb.createApiKey(org.x, { name: `k-${next()}` }, OPERATOR)).key.id;
    const event = () => ({ events: [{ id: `ev-${next()}`, account_id: a.id, app: 'web', model: 'claude-haiku-4-5', usage: { input_tokens: 10, output_tokens: 10 }, timestamp: '2026-11-02T08:00:00Z' }] });

    interface Row {
      route: string;
      statuses: string;
      make: () => Request | Promise<Request>;
      /** Each user column signs in afresh for this row (the row ends its caller's session). */
      fresh_session?: boolean;
      /** The drop-in gateway: errors in Anthropic's shape; an API key sent as the bearer token is an API key there. */
      gateway?: { api_key_bearer_status: number };
    }
    // SPEC §2's "who" column, cell by cell. Where §2 is silent (routes the project designed), the
    // rule is §1.11's: users see only their accounts (another's is 404), the service token only
    // metering, the operator everything; a credential that is revoked, expired or not this
    // database's is 401 wherever a credential is needed, and ignored where none is (sign-in).
    //                                                                        anon op  svc own bil mem out rev exp for
    const table: Row[] = [
      { route: 'POST /v1/sessions', statuses: '                             201 201 201 201 201 201 201 201 201 201', make: () => ({ method: 'POST', url: '/v1/sessions', body: { email: b.owner.email, password: PASSWORD } }) },
      { route: 'DELETE /v1/sessions/current', statuses: '                   401 200 200 200 200 200 200 401 401 401', make: () => ({ method: 'DELETE', url: '/v1/sessions/current' }), fresh_session: true },
      { route: 'GET /v1/me', statuses: '                                    401 200 200 200 200 200 200 401 401 401', make: () => ({ method: 'GET', url: '/v1/me' }) },
      { route: 'POST /v1/tokens', statuses: '                               401 403 403 201 201 201 201 401 401 401', make: () => ({ method: 'POST', url: '/v1/tokens', body: { name: 'cli' } }) },
      { route: 'DELETE /v1/tokens/{id}', statuses: '                        401 200 403 200 404 404 404 401 401 401', make: async () => ({ method: 'DELETE', url: `/v1/tokens/${(await createPersonalToken(api.tb.deps, { kind: 'user', token_id: 'x', user_id: a.owner.id, email: a.owner.email, via: 'personal' }, { name: `tmp-${next()}` })).record.id}` }) },
      { route: 'POST /v1/service-tokens', statuses: '                       401 201 403 403 403 403 403 401 401 401', make: () => ({ method: 'POST', url: '/v1/service-tokens', body: { name: `gw-${next()}` } }) },
      { route: 'GET /v1/service-tokens', statuses: '                        401 200 403 403 403 403 403 401 401 401', make: () => ({ method: 'GET', url: '/v1/service-tokens' }) },
      { route: 'DELETE /v1/service-tokens/{id}', statuses: '                401 200 403 403 403 403 403 401 401 401', make: async () => ({ method: 'DELETE', url: `/v1/service-tokens/${(await createServiceToken(api.tb.deps, { kind: 'operator', token_id: 'x' }, { name: `tmp-${next()}` })).record.id}` }) },
      { route: 'POST /v1/accounts', statuses: '                             401 201 403 403 403 403 403 401 401 401', make: () => ({ method: 'POST', url: '/v1/accounts', body: { name: 'New', plan: 'pro', owner_email: email('new'), owner_password: PASSWORD } }) },
      { route: 'GET /v1/accounts', statuses: '                              401 200 403 200 200 200 200 401 401 401', make: () => ({ method: 'GET', url: '/v1/accounts' }) },
      { route: 'GET /v1/accounts/{id}', statuses: '                         401 200 403 200 200 200 404 401 401 401', make: () => ({ method: 'GET', url: `/v1/accounts/${a.id}` }) },
      { route: 'PUT /v1/accounts/{id}/subscription', statuses: '            401 200 403 200 403 403 404 401 401 401', make: () => ({ method: 'PUT', url: `/v1/accounts/${a.id}/subscription`, body: { plan: 'pro' } }) },
      { route: 'DELETE /v1/accounts/{id}/subscription', statuses: '         401 200 403 200 403 403 404 401 401 401', make: () => ({ method: 'DELETE', url: `/v1/accounts/${a.id}/subscription` }) },
      { route: 'GET /v1/accounts/{id}/members', statuses: '                 401 200 403 200 200 200 404 401 401 401', make: () => ({ method: 'GET', url: `/v1/accounts/${a.id}/members` }) },
      { route: 'POST /v1/accounts/{id}/members', statuses: '                401 202 403 202 403 403 404 401 401 401', make: () => ({ method: 'POST', url: `/v1/accounts/${a.id}/members`, body: { email: email('joiner'), role: 'member' } }) },
      { route: 'PATCH /v1/accounts/{id}/members/{user_id}', statuses: '     401 200 403 200 403 403 404 401 401 401', make: async () => ({ method: 'PATCH', url: `/v1/accounts/${a.id}/members/${await joiner('plan', a.id)}`, body: { role: 'billing' } }) },
      { route: 'DELETE /v1/accounts/{id}/members/{user_id}', statuses: '    401 200 403 200 403 403 404 401 401 401', make: async () => ({ method: 'DELETE', url: `/v1/accounts/${a.id}/members/${await joiner('plan', a.id)}` }) },
      { route: 'GET /v1/invitations', statuses: '                           401 403 403 200 200 200 200 401 401 401', make: () => ({ method: 'GET', url: '/v1/invitations' }) },
      { route: 'POST /v1/invitations/{id}/accept', statuses: '              401 403 403 404 404 404 404 401 401 401', make: async () => ({ method: 'POST', url: `/v1/invitations/${await invitation()}/accept` }) },
      { route: 'POST /v1/invitations/{id}/decline', statuses: '             401 403 403 404 404 404 404 401 401 401', make: async () => ({ method: 'POST', url: `/v1/invitations/${await invitation()}/decline` }) },
      { route: 'POST /v1/accounts/{id}/payment-methods', statuses: '        401 201 403 201 201 403 404 401 401 401', make: () => ({ method: 'POST', url: `/v1/accounts/${a.id}/payment-methods`, body: { token: 'tok_visa' } }) },
      { route: 'GET /v1/accounts/{id}/payment-methods', statuses: '         401 200 403 200 200 403 404 401 401 401', make: () => ({ method: 'GET', url: `/v1/accounts/${a.id}/payment-methods` }) },
      { route: 'GET /v1/accounts/{id}/extra-usage', statuses: '             401 200 403 200 200 200 404 401 401 401', make: () => ({ method: 'GET', url: `/v1/accounts/${a.id}/extra-usage` }) },
      { route: 'PATCH /v1/accounts/{id}/extra-usage', statuses: '           401 200 403 200 200 403 404 401 401 401', make: () => ({ method: 'PATCH', url: `/v1/accounts/${a.id}/extra-usage`, body: { enabled: true } }) },
      { route: 'POST /v1/accounts/{id}/extra-usage/credits', statuses: '    401 201 403 201 201 403 404 401 401 401', make: () => ({ method: 'POST', url: `/v1/accounts/${a.id}/extra-usage/credits`, body: { amount_micros: 5_000_000 }, headers: { 'idempotency-key': `k-${next()}` } }) },
      { route: 'POST /v1/accounts/{id}/grants', statuses: '                 401 201 403 403 403 403 403 401 401 401', make: () => ({ method: 'POST', url: `/v1/accounts/${a.id}/grants`, body: { amount_micros: 1_000_000 } }) },
      { route: 'GET /v1/accounts/{id}/usage', statuses: '                   401 200 403 200 200 200 404 401 401 401', make: () => ({ method: 'GET', url: `/v1/accounts/${a.id}/usage` }) },
      { route: 'GET /v1/accounts/{id}/usage-records', statuses: '           401 200 403 200 200 200 404 401 401 401', make: () => ({ method: 'GET', url: `/v1/accounts/${a.id}/usage-records` }) },
      { route: 'GET /v1/accounts/{id}/transactions', statuses: '            401 200 403 200 200 200 404 401 401 401', make: () => ({ method: 'GET', url: `/v1/accounts/${a.id}/transactions` }) },
      { route: 'GET /v1/accounts/{id}/events', statuses: '                  401 200 403 200 200 200 404 401 401 401', make: () => ({ method: 'GET', url: `/v1/accounts/${a.id}/events` }) },
      { route: 'POST /v1/authorizations', statuses: '                       401 201 201 403 403 403 403 401 401 401', make: () => ({ method: 'POST', url: '/v1/authorizations', body: { account_id: a.id, ...OPUS_HOLD } }) },
      { route: 'GET /v1/authorizations/{id}', statuses: '                   401 200 200 200 200 200 404 401 401 401', make: () => ({ method: 'GET', url: `/v1/authorizations/${auth_id}` }) },
      { route: 'POST /v1/authorizations/{id}/settle', statuses: '           401 200 200 403 403 403 403 401 401 401', make: async () => ({ method: 'POST', url: `/v1/authorizations/${await hold()}/settle`, body: { input_tokens: 1000, output_tokens: 10 } }) },
      { route: 'POST /v1/authorizations/{id}/release', statuses: '          401 200 200 403 403 403 403 401 401 401', make: async () => ({ method: 'POST', url: `/v1/authorizations/${await hold()}/release` }) },
      { route: 'POST /v1/usage-events', statuses: '                         401 200 200 403 403 403 403 401 401 401', make: () => ({ method: 'POST', url: '/v1/usage-events', body: event() }) },
      { route: 'GET /v1/catalog', statuses: '                               401 200 200 200 200 200 200 401 401 401', make: () => ({ method: 'GET', url: '/v1/catalog' }) },
      { route: 'PUT /v1/catalog', statuses: '                               401 200 403 403 403 403 403 401 401 401', make: () => ({ method: 'PUT', url: '/v1/catalog', body: catalogBody() }) },
      { route: 'GET /v1/audit', statuses: '                                 401 200 403 403 403 403 403 401 401 401', make: () => ({ method: 'GET', url: '/v1/audit' }) },
      { route: 'GET /v1/audit-log', statuses: '                             401 200 403 403 403 403 403 401 401 401', make: () => ({ method: 'GET', url: '/v1/audit-log' }) },
      // Refunds: the owner (or the operator) gives money back; billing may read them. Codes: the operator makes them, billing claims one (a fresh code per call).
      { route: 'POST /v1/accounts/{id}/refunds', statuses: '                401 201 403 201 403 403 404 401 401 401', make: () => ({ method: 'POST', url: `/v1/accounts/${a.id}/refunds`, body: { amount_micros: 1_000_000 }, headers: { 'idempotency-key': `r-${next()}` } }) },
      { route: 'GET /v1/accounts/{id}/refunds', statuses: '                 401 200 403 200 200 403 404 401 401 401', make: () => ({ method: 'GET', url: `/v1/accounts/${a.id}/refunds` }) },
      { route: 'GET /v1/accounts/{id}/grants', statuses: '                  401 200 403 200 200 200 404 401 401 401', make: () => ({ method: 'GET', url: `/v1/accounts/${a.id}/grants` }) },
      { route: 'POST /v1/accounts/{id}/promotions/claim', statuses: '       401 201 403 201 201 403 404 401 401 401', make: async () => ({ method: 'POST', url: `/v1/accounts/${a.id}/promotions/claim`, body: { code: await promotion() } }) },
      { route: 'POST /v1/promotions', statuses: '                           401 201 403 403 403 403 403 401 401 401', make: () => ({ method: 'POST', url: '/v1/promotions', body: { code: `NEW-${next()}`, amount_micros: 1_000_000, claims_max: 10 } }) },
      { route: 'GET /v1/promotions', statuses: '                            401 200 403 403 403 403 403 401 401 401', make: () => ({ method: 'GET', url: '/v1/promotions' }) },
      // Webhooks: an account's endpoints are managed by its owner and billing users (docs/webhooks.md); the operator's by the operator.
      { route: 'POST /v1/accounts/{id}/webhook-endpoints', statuses: '      401 201 403 201 201 403 404 401 401 401', make: () => ({ method: 'POST', url: `/v1/accounts/${a.id}/webhook-endpoints`, body: { url: 'http://127.0.0.1:9/matrix' } }) },
      { route: 'GET /v1/accounts/{id}/webhook-endpoints', statuses: '       401 200 403 200 200 403 404 401 401 401', make: () => ({ method: 'GET', url: `/v1/accounts/${a.id}/webhook-endpoints` }) },
      { route: 'DELETE /v1/accounts/{id}/webhook-endpoints/{endpoint_id}', statuses: '401 200 403 200 200 403 404 401 401 401', make: async () => ({ method: 'DELETE', url: `/v1/accounts/${a.id}/webhook-endpoints/${(await api.tb.createWebhookEndpoint(a.id, { url: 'http://127.0.0.1:9/d' })).id}` }) },
      { route: 'GET /v1/accounts/{id}/webhook-endpoints/{endpoint_id}/deliveries', statuses: '401 200 403 200 200 403 404 401 401 401', make: () => ({ method: 'GET', url: `/v1/accounts/${a.id}/webhook-endpoints/${hooks.endpoint}/deliveries` }) },
      { route: 'POST /v1/accounts/{id}/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver', statuses: '401 202 403 202 202 403 404 401 401 401', make: () => ({ method: 'POST', url: `/v1/accounts/${a.id}/webhook-endpoints/${hooks.endpoint}/deliveries/${hooks.delivery}/redeliver` }) },
      { route: 'POST /v1/webhook-endpoints', statuses: '                    401 201 403 403 403 403 403 401 401 401', make: () => ({ method: 'POST', url: '/v1/webhook-endpoints', body: { url: 'http://127.0.0.1:9/operator', events: ['balance.low'] } }) },
      { route: 'GET /v1/webhook-endpoints', statuses: '                     401 200 403 403 403 403 403 401 401 401', make: () => ({ method: 'GET', url: '/v1/webhook-endpoints' }) },
      { route: 'DELETE /v1/webhook-endpoints/{endpoint_id}', statuses: '    401 200 403 403 403 403 403 401 401 401', make: async () => ({ method: 'DELETE', url: `/v1/webhook-endpoints/${(await api.tb.createWebhookEndpoint(null, { url: 'http://127.0.0.1:9/d' })).id}` }) },
      { route: 'GET /v1/webhook-endpoints/{endpoint_id}/deliveries', statuses: '401 200 403 403 403 403 403 401 401 401', make: () => ({ method: 'GET', url: `/v1/webhook-endpoints/${hooks.operator_endpoint}/deliveries` }) },
      { route: 'POST /v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver', statuses: '401 202 403 403 403 403 403 401 401 401', make: () => ({ method: 'POST', url: `/v1/webhook-endpoints/${hooks.operator_endpoint}/deliveries/${hooks.operator_delivery}/redeliver` }) },
      // The card provider (docs/payments.md): confirming a purchase is billing's, like buying; Stripe's webhooks need no credential, only their signature.
      { route: 'POST /v1/accounts/{id}/extra-usage/credits/{purchase_id}/confirm', statuses: '401 200 403 200 200 403 404 401 401 401', make: async () => ({ method: 'POST', url: `/v1/accounts/${a.id}/extra-usage/credits/${(await api.tb.purchaseCredits(a.id, { amount_micros: 5_000_000 }, `c-${next()}`, OPERATOR)).purchase.id}/confirm` }) },
      { route: 'POST /v1/webhooks/stripe', statuses: '                      200 200 200 200 200 200 200 200 200 200', make: () => { const e = signedEvent('customer.created', { id: 'cus_isolation', object: 'customer' }); return { method: 'POST', url: '/v1/webhooks/stripe', body: JSON.parse(e.payload), headers: { 'stripe-signature': e.signature } }; } },
      // API organizations (issue 12): A's users belong to no org, so X is "not found" for them; the org's own principals are the matrix below.
      { route: 'POST /v1/orgs', statuses: '                                 401 201 403 403 403 403 403 401 401 401', make: async () => ({ method: 'POST', url: '/v1/orgs', body: { name: 'New org', admin_email: (await api.user(email('new-org'))).email } }) },
      { route: 'GET /v1/orgs', statuses: '                                  401 200 403 200 200 200 200 401 401 401', make: () => ({ method: 'GET', url: '/v1/orgs' }) },
      { route: 'GET /v1/orgs/{id}', statuses: '                             401 200 403 404 404 404 404 401 401 401', make: () => ({ method: 'GET', url: `/v1/orgs/${org.x}` }) },
      { route: 'PATCH /v1/orgs/{id}', statuses: '                           401 200 403 404 404 404 404 401 401 401', make: () => ({ method: 'PATCH', url: `/v1/orgs/${org.x}`, body: { monthly_limit_micros: null } }) },
      { route: 'GET /v1/orgs/{id}/members', statuses: '                     401 200 403 404 404 404 404 401 401 401', make: () => ({ method: 'GET', url: `/v1/orgs/${org.x}/members` }) },
      { route: 'POST /v1/orgs/{id}/members', statuses: '                    401 202 403 404 404 404 404 401 401 401', make: async () => ({ method: 'POST', url: `/v1/orgs/${org.x}/members`, body: await orgMember() }) },
      { route: 'PATCH /v1/orgs/{id}/members/{user_id}', statuses: '         401 200 403 404 404 404 404 401 401 401', make: async () => ({ method: 'PATCH', url: `/v1/orgs/${org.x}/members/${await joiner('api_org', org.x)}`, body: { role: 'billing' } }) },
      { route: 'DELETE /v1/orgs/{id}/members/{user_id}', statuses: '        401 200 403 404 404 404 404 401 401 401', make: async () => ({ method: 'DELETE', url: `/v1/orgs/${org.x}/members/${await joiner('api_org', org.x)}` }) },
      { route: 'POST /v1/orgs/{id}/keys', statuses: '                       401 201 403 404 404 404 404 401 401 401', make: () => ({ method: 'POST', url: `/v1/orgs/${org.x}/keys`, body: { name: 'matrix' } }) },
      { route: 'GET /v1/orgs/{id}/keys', statuses: '                        401 200 403 404 404 404 404 401 401 401', make: () => ({ method: 'GET', url: `/v1/orgs/${org.x}/keys` }) },
      { route: 'DELETE /v1/orgs/{id}/keys/{key_id}', statuses: '            401 200 403 404 404 404 404 401 401 401', make: async () => ({ method: 'DELETE', url: `/v1/orgs/${org.x}/keys/${await orgKey()}` }) },
      { route: 'POST /v1/orgs/{id}/payment-methods', statuses: '            401 201 403 404 404 404 404 401 401 401', make: () => ({ method: 'POST', url: `/v1/orgs/${org.x}/payment-methods`, body: { token: 'tok_visa' } }) },
      { route: 'GET /v1/orgs/{id}/payment-methods', statuses: '             401 200 403 404 404 404 404 401 401 401', make: () => ({ method: 'GET', url: `/v1/orgs/${org.x}/payment-methods` }) },
      { route: 'POST /v1/orgs/{id}/credits', statuses: '                    401 201 403 404 404 404 404 401 401 401', make: () => ({ method: 'POST', url: `/v1/orgs/${org.x}/credits`, body: { amount_micros: 5_000_000 }, headers: { 'idempotency-key': `o-${next()}` } }) },
      { route: 'POST /v1/orgs/{id}/credits/{purchase_id}/confirm', statuses: '401 200 403 404 404 404 404 401 401 401', make: async () => ({ method: 'POST', url: `/v1/orgs/${org.x}/credits/${(await api.tb.purchaseCredits(org.x, { amount_micros: 5_000_000 }, `oc-${next()}`, OPERATOR)).purchase.id}/confirm` }) },
      { route: 'POST /v1/orgs/{id}/grants', statuses: '                     401 201 403 403 403 403 403 401 401 401', make: () => ({ method: 'POST', url: `/v1/orgs/${org.x}/grants`, body: { amount_micros: 1_000_000 } }) },
      { route: 'GET /v1/orgs/{id}/usage', statuses: '                       401 200 403 404 404 404 404 401 401 401', make: () => ({ method: 'GET', url: `/v1/orgs/${org.x}/usage?group_by=key` }) },
      { route: 'GET /v1/orgs/{id}/transactions', statuses: '                401 200 403 404 404 404 404 401 401 401', make: () => ({ method: 'GET', url: `/v1/orgs/${org.x}/transactions` }) },
      { route: 'GET /v1/orgs/{id}/events', statuses: '                      401 200 403 404 404 404 404 401 401 401', make: () => ({ method: 'GET', url: `/v1/orgs/${org.x}/events` }) },
      { route: 'GET /v1/api-tiers', statuses: '                             401 200 403 403 403 403 403 401 401 401', make: () => ({ method: 'GET', url: '/v1/api-tiers' }) },
      { route: 'PUT /v1/api-tiers', statuses: '                             401 200 403 403 403 403 403 401 401 401', make: async () => ({ method: 'PUT', url: '/v1/api-tiers', body: { tiers: (await api.tb.listApiTiers()) } }) },
      // The drop-in gateway (docs/gateway.md): a member meters their account (tokenbank-account-id); B's owner is told it does not exist.
      { route: 'POST /v1/messages', statuses: '                             401 403 403 200 200 200 404 401 401 401', gateway: { api_key_bearer_status: 400 }, make: () => ({ method: 'POST', url: '/v1/messages', body: { model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, headers: { 'tokenbank-account-id': a.id } }) },
    ];
    /** The org principals × the org routes: admin, billing, developer of X, the admin of Y, and X's API key sent as a bearer token. */
    const ORG_WHO = ['x_admin', 'x_billing', 'x_developer', 'y_admin', 'x_api_key'] as const;
    //                                                          xad xbi xde yad key
    const org_table: Record<string, string> = {
      'POST /v1/orgs': '                                         403 403 403 403 401',
      'GET /v1/orgs': '                                          200 200 200 200 401',
      'GET /v1/orgs/{id}': '                                     200 200 200 404 401',
      'PATCH /v1/orgs/{id}': '                                   200 200 403 404 401',
      'GET /v1/orgs/{id}/members': '                             200 200 200 404 401',
      'POST /v1/orgs/{id}/members': '                            202 403 403 404 401',
      'PATCH /v1/orgs/{id}/members/{user_id}': '                 200 403 403 404 401',
      'DELETE /v1/orgs/{id}/members/{user_id}': '                200 403 403 404 401',
      'POST /v1/orgs/{id}/keys': '                               201 403 403 404 401',
      'GET /v1/orgs/{id}/keys': '                                200 200 200 404 401',
      'DELETE /v1/orgs/{id}/keys/{key_id}': '                    200 403 403 404 401',
      'POST /v1/orgs/{id}/payment-methods': '                    201 201 403 404 401',
      'GET /v1/orgs/{id}/payment-methods': '                     200 200 403 404 401',
      'POST /v1/orgs/{id}/credits': '                            201 201 403 404 401',
      'POST /v1/orgs/{id}/credits/{purchase_id}/confirm': '      200 200 403 404 401',
      'POST /v1/orgs/{id}/grants': '                             403 403 403 403 401',
      'GET /v1/orgs/{id}/usage': '                               200 200 200 404 401',
      'GET /v1/orgs/{id}/transactions': '                        200 200 200 404 401',
      'GET /v1/orgs/{id}/events': '                              200 200 200 404 401',
      'GET /v1/api-tiers': '                                     403 403 403 403 401',
      'PUT /v1/api-tiers': '                                     403 403 403 403 401',
    };

    describe('route × principal → status', () => {
      for (const row of table) {
        const cells = row.statuses.trim().split(/\s+/).map(Number);
        assert.equal(cells.length, WHO.length, `${row.route}: one status per principal`);
        it(`${row.route}: ${WHO.map((w, i) => `${w} ${cells[i]}`).join(', ')}`, async () => {
          const expected = Object.fromEntries(WHO.map((w, i) => [w, cells[i]]));
          const actual: Record<string, number> = {};
          for (const who of WHO) {
            const request = await row.make();
            const user_email = USER_EMAIL[who];
            const token = row.fresh_session && user_email ? await api.signIn(user_email()) : tokens[who];
            if (token) secrets.add(token);
            const r = await callAs(who, request, token);
            actual[who] = r.status;
            if (r.status >= 400) {
              const type = { 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found' }[r.status] ?? 'unexpected';
              if (row.gateway) assertAnthropicError(r, r.status, type);
              else assertError(r, r.status, type);
            }
            if (r.status >= 400 || who === 'outsider') {
              // A refusal is never the data: nothing of A's, not even its id unless it was the one asked for.
              const leaks = [a.owner.email, a.billing!.email, a.member!.email, ...(JSON.stringify(request).includes(a.id) ? [] : [a.id])];
              for (const what of leaks) assert.ok(!r.text.includes(what), `${who} on ${row.route} sees ${what}: ${r.text}`);
            }
            if (r.body && typeof r.body.token === 'string') secrets.add(r.body.token);
            if (r.body && typeof r.body.secret === 'string') secrets.add(r.body.secret);
          }
          assert.deepEqual(actual, expected);
        });
      }

      it('every route of the OpenAPI document has a row, and every row is a documented route', async () => {
        const documented = documentedRoutes((await api.call('GET', '/openapi.json')).body);
        const rows = table.map((r) => r.route);
        assert.deepEqual(documented.filter((r) => !rows.includes(r)), [], 'routes without a row in the matrix');
        assert.deepEqual(rows.filter((r) => !documented.includes(r)), [], 'rows for routes that are not documented');
      });

      it('the undocumented routes (/healthz, /metrics, /openapi.json) need no credential and name no account, user or token', async () => {
        for (const url of ['/healthz', '/metrics', '/openapi.json']) {
          const r = await api.call('GET', url);
          assert.equal(r.status, 200, `${url}: ${r.text.slice(0, 200)}`);
          for (const what of [a.id, b.id, a.owner.email, a.owner.id, auth_id, ...secrets]) assert.ok(!r.text.includes(what), `${url} shows ${what.slice(0, 12)}`);
        }
      });

      it('the org routes × admin, billing, developer of org X, the admin of org Y, and X\'s API key as a bearer token', async () => {
        const actual: Record<string, string> = {};
        const expected: Record<string, string> = {};
        for (const row of table.filter((r) => r.route in org_table)) {
          expected[row.route] = org_table[row.route]!.trim().split(/\s+/).join(' ');
          const cells: number[] = [];
          for (const who of ORG_WHO) {
            const request = await row.make();
            const r = await callAs('anonymous', request, who === 'x_api_key' ? org.key : org_people[who]);
            if (r.status === 404 && who === 'y_admin') assert.ok(!r.text.includes(org.x) || JSON.stringify(request).includes(org.x), r.text);
            cells.push(r.status);
          }
          actual[row.route] = cells.join(' ');
        }
        assert.deepEqual(actual, expected);
      });

      it("API key of org X: every route answers it as no credential at all (SPEC §1.11: a key only meters its org, sent as api_key by the gateway)", async () => {
        const differences: string[] = [];
        for (const row of table) {
          const request = await row.make();
          const r = await callAs('anonymous', request, org.key);
          // No credential at all: answered as without a token (401, or what a route needing none answers).
          // The gateway takes an API key as the bearer token (the Anthropic SDK sends it so); with the
          // row's tokenbank-account-id of A it is refused 400: a key pays from its own organization only.
          const expected = row.gateway?.api_key_bearer_status ?? Number(row.statuses.trim().split(/\s+/)[0]);
          if (r.status !== expected) differences.push(`${row.route}: ${r.status}`);
        }
        assert.deepEqual(differences, []);
      });

      it('a credential of another server is unknown here, whatever its kind (session, personal, service)', async () => {
        const personal = (await foreign_api.call('POST', '/v1/tokens', { token: tokens.foreign, body: { name: 'elsewhere' } })).body.token as string;
        secrets.add(personal);
        for (const token of [tokens.foreign!, personal, foreign_api.service]) {
          assertError(await api.call('GET', '/v1/me', { token }), 401, 'unauthenticated');
          assertError(await api.call('POST', '/v1/authorizations', { token, body: { account_id: a.id, ...OPUS_HOLD } }), 401, 'unauthenticated');
          assertError(await api.call('GET', `/v1/accounts/${a.id}`, { cookies: { tb_session: token } }), 401, 'unauthenticated');
        }
      });
    });

    // ---- not yours = does not exist ---------------------------------------------------------
    describe("B cannot tell whether A's ids exist", () => {
      const ids: Record<string, string> = {};
      before(async () => {
        ids.personal_token = (await createPersonalToken(api.tb.deps, { kind: 'user', token_id: 'x', user_id: a.owner.id, email: a.owner.email, via: 'personal' }, { name: 'a-cli' })).record.id;
        ids.service_token = (await createServiceToken(api.tb.deps, { kind: 'operator', token_id: 'x' }, { name: 'a-gw' })).record.id;
        ids.session = (await api.tb.store.listTokens({ kind: 'session', user_id: a.owner.id }))[0]!.id;
        ids.payment_method = (await api.tb.store.listPaymentMethods(a.id))[0]!.id;
        ids.invitation = await invitation();
        ids.sent_by_b = (await api.tb.inviteMember('plan', b.id, { email: email('b-invitee'), role: 'member' }, OPERATOR)).id;
      });
      const key = () => ({ 'idempotency-key': `tenancy-${next()}` });
      /** Bodies valid for their route, so the answer is about the id and nothing else. */
      const BODY: Record<string, () => { body?: unknown; headers?: Record<string, string> }> = {
        'PUT /v1/accounts/{id}/subscription': () => ({ body: { plan: 'pro' } }),
        'POST /v1/accounts/{id}/members': () => ({ body: { email: 'someone@example.com', role: 'member' } }),
        'POST /v1/accounts/{id}/payment-methods': () => ({ body: { token: 'tok_visa' } }),
        'PATCH /v1/accounts/{id}/extra-usage': () => ({ body: { enabled: true } }),
        'POST /v1/accounts/{id}/extra-usage/credits': () => ({ body: { amount_micros: 5_000_000 }, headers: key() }),
        'POST /v1/accounts/{id}/grants': () => ({ body: { amount_micros: 1_000_000 } }),
        'POST /v1/accounts/{id}/refunds': () => ({ body: { amount_micros: 1_000_000 }, headers: key() }),
        'POST /v1/accounts/{id}/promotions/claim': () => ({ body: { code: 'NO-SUCH-CODE' } }),
        'POST /v1/authorizations/{id}/settle': () => ({ body: { input_tokens: 1, output_tokens: 1 } }),
        'POST /v1/accounts/{id}/webhook-endpoints': () => ({ body: { url: 'http://127.0.0.1:9/tenancy' } }),
        'PATCH /v1/orgs/{id}': () => ({ body: { monthly_limit_micros: 1_000_000 } }),
        'POST /v1/orgs/{id}/members': () => ({ body: { email: 'someone@example.com', role: 'developer' } }),
        'PATCH /v1/orgs/{id}/members/{user_id}': () => ({ body: { role: 'billing' } }),
        'PATCH /v1/accounts/{id}/members/{user_id}': () => ({ body: { role: 'billing' } }),
        'POST /v1/orgs/{id}/keys': () => ({ body: { name: 'tenancy' } }),
        'POST /v1/orgs/{id}/payment-methods': () => ({ body: { token: 'tok_visa' } }),
        'POST /v1/orgs/{id}/credits': () => ({ body: { amount_micros: 5_000_000 }, headers: key() }),
        'POST /v1/orgs/{id}/grants': () => ({ body: { amount_micros: 1_000_000 } }),
      };
      /** The ids of A's (or of someone else's) that each kind of path id can be, and a never-issued one. */
      const ID_OF: Record<string, { theirs: () => Array<[label: string, id: string]>; ghost: string }> = {
        '/v1/accounts/{id}': { theirs: () => [["A's account", a.id]], ghost: 'acct_ghost00000001' },
        '/v1/authorizations/{id}': { theirs: () => [["A's authorization", auth_id]], ghost: 'auth_ghost00000001' },
        '/v1/tokens/{id}': { theirs: () => [["A's owner's personal token", ids.personal_token!], ["A's owner's session", ids.session!]], ghost: 'tok_ghost00000001' },
        '/v1/service-tokens/{id}': { theirs: () => [['a service token', ids.service_token!]], ghost: 'tok_ghost00000001' },
        '/v1/invitations/{id}': { theirs: () => [["an invitation of A's", ids.invitation!], ["an invitation B's owner sent to someone else", ids.sent_by_b!]], ghost: 'inv_ghost00000001' },
        '/v1/orgs/{id}': { theirs: () => [['API organization X', org.x]], ghost: 'org_ghost00000001' },
      };
      const AS = { "B's owner": () => b.owner.token, "B's billing": () => b.billing!.token, "B's member": () => b.member!.token };

      it('every documented route with an id, as B’s owner, billing and member', async () => {
        const routes = documentedRoutes((await api.call('GET', '/openapi.json')).body).filter((r) => r.includes('{id}'));
        assert.ok(routes.length >= 20, routes.join(', '));
        const differences: string[] = [];
        let compared = 0;
        for (const route of routes) {
          const [method, path] = route.split(' ') as [string, string];
          const kind = Object.keys(ID_OF).find((prefix) => path.startsWith(prefix));
          assert.ok(kind, `${route}: which kind of id is {id}? add it to ID_OF`);
          const { theirs, ghost } = ID_OF[kind]!;
          for (const [as, token] of Object.entries(AS)) {
            for (const [label, id] of theirs()) {
              const send = (x: string) => api.call(method, path.replace('{id}', x), { token: token(), ...(BODY[route]?.() ?? {}) });
              const mine = await send(id);
              const none = await send(ghost);
              compared += 1;
              if (mine.status < 400) differences.push(`${route} as ${as}: ${label} answered ${mine.status}`);
              const [x, y] = [normalized(mine, id), normalized(none, ghost)];
              if (x.status !== y.status || x.body !== y.body) differences.push(`${route} as ${as}, ${label}: ${x.status} ${x.body} ≠ ${y.status} ${y.body}`);
              if (id !== a.id && mine.text.includes(a.id)) differences.push(`${route} as ${as}: names A's account: ${mine.text}`);
            }
          }
        }
        assert.deepEqual(differences, []);
        assert.ok(compared >= 60, `${compared} comparisons`);
      });

      it("an id in the body: B's purchase with A's card answers as with a card that does not exist", async () => {
        for (const token of [b.owner.token, b.billing!.token]) {
          const send = (id: string) => api.call('POST', `/v1/accounts/${b.id}/extra-usage/credits`, { token, body: { amount_micros: 5_000_000, payment_method_id: id }, headers: key() });
          const mine = await send(ids.payment_method!);
          assert.ok(mine.status >= 400, mine.text);
          assert.deepEqual(normalized(mine, ids.payment_method!), normalized(await send('pm_ghost00000001'), 'pm_ghost00000001'));
        }
      });

      it("an id as a page cursor: A's id answers exactly as one never issued (invitations, usage records)", async () => {
        // Someone with an invitation newer than A's: a cursor that resolved A's invitation would page past it.
        const probe = email('probe');
        await api.user(probe);
        await api.tb.inviteMember('plan', b.id, { email: probe, role: 'member' }, OPERATOR);
        const session = await api.signIn(probe);
        secrets.add(session);
        const pending = await api.call('GET', '/v1/invitations', { token: session });
        assert.equal(pending.body.data.length, 1, pending.text);
        const invitations = (cursor: string) => api.call('GET', `/v1/invitations?cursor=${cursor}`, { token: session });
        assert.deepEqual(normalized(await invitations(ids.invitation!), ids.invitation!), normalized(await invitations('inv_ghost00000001'), 'inv_ghost00000001'));

        assert.equal((await api.call('POST', '/v1/usage-events', { token: api.service, body: event() })).status, 200);
        const theirs = (await api.call('GET', `/v1/accounts/${a.id}/usage-records`, { token: api.operator })).body.data[0].id as string;
        const records = (cursor: string) => api.call('GET', `/v1/accounts/${b.id}/usage-records?cursor=${cursor}`, { token: b.owner.token });
        assert.deepEqual(normalized(await records(theirs), theirs), normalized(await records('ur_ghost00000001'), 'ur_ghost00000001'));
      });

      it("an Idempotency-Key A used is a new key for B: neither A's answer replayed nor a conflict", async () => {
        const shared = `shared-${next()}`;
        const buy = (account: TestAccount, amount_micros: number) => api.call('POST', `/v1/accounts/${account.id}/extra-usage/credits`, { token: account.owner.token, body: { amount_micros }, headers: { 'idempotency-key': shared } });
        const patch = (account: TestAccount, enabled: boolean) => api.call('PATCH', `/v1/accounts/${account.id}/extra-usage`, { token: account.owner.token, body: { enabled }, headers: { 'idempotency-key': shared } });
        const first = await buy(a, 5_000_000);
        assert.equal(first.status, 201, first.text);
        const mine = await buy(b, 6_000_000); // another body: a key shared with A would be a 409, a replay would say 5,000,000
        assert.equal(mine.status, 201, mine.text);
        assert.equal(mine.headers['idempotent-replayed'], undefined);
        assert.equal(mine.body.amount_micros, 6_000_000);
        assert.equal((await patch(a, true)).status, 200);
        const theirs = await patch(b, false);
        assert.equal(theirs.status, 200, theirs.text);
        assert.equal(theirs.headers['idempotent-replayed'], undefined);
        assert.equal(theirs.body.enabled, false);
      });

      it('sign-in answers a wrong password exactly as an email nobody registered', async () => {
        const wrong = await api.call('POST', '/v1/sessions', { body: { email: b.member!.email, password: WRONG_PASSWORD }, remote_address: '10.9.9.1' });
        const nobody_email = email('nobody');
        const nobody = await api.call('POST', '/v1/sessions', { body: { email: nobody_email, password: WRONG_PASSWORD }, remote_address: '10.9.9.1' });
        assertError(wrong, 401, 'unauthenticated');
        assert.deepEqual(normalized(wrong, b.member!.email), normalized(nobody, nobody_email));
      });
    });

    // ---- sign-in throttling, one cheap row ----------------------------------------------------
    it(`sign-in: ${limits.sign_in_failures_per_email_max} wrong passwords for one email (from as many addresses) → the right one is refused with 429 and Retry-After; another user from the same address signs in`, async () => {
      const victim = email('victim');
      await api.user(victim);
      for (let i = 0; i < limits.sign_in_failures_per_email_max; i++) assertError(await api.call('POST', '/v1/sessions', { body: { email: victim, password: WRONG_PASSWORD }, remote_address: `10.8.0.${i + 1}` }), 401, 'unauthenticated');
      const refused = await api.call('POST', '/v1/sessions', { body: { email: victim, password: PASSWORD }, remote_address: '10.8.1.1' });
      const e = assertError(refused, 429, 'rate_limited');
      assert.equal(Number(refused.headers['retry-after']), e.retry_after_s);
      assert.equal((await api.call('POST', '/v1/sessions', { body: { email: b.member!.email, password: PASSWORD }, remote_address: '10.8.1.1' })).status, 201);
    });

    // ---- secrets never reach the log ----------------------------------------------------------
    describe('secrets and tokens never appear in the server log', () => {
      it('sign-in (right, wrong, throttled), tokens made and used by header and cookie, cards added and charged and declined', async () => {
        const session = await api.call('POST', '/v1/sessions', { body: { email: a.billing!.email, password: PASSWORD } });
        assert.equal(session.status, 201);
        secrets.add(session.body.token);
        const cookie = session.cookies.find((c) => c.name === 'tb_session')!.value;
        assert.equal((await api.call('GET', `/v1/accounts/${a.id}/extra-usage`, { cookies: { tb_session: cookie } })).status, 200);
        const personal = await api.call('POST', '/v1/tokens', { token: session.body.token, body: { name: 'log-check' } });
        secrets.add(personal.body.token);
        const service = await api.call('POST', '/v1/service-tokens', { token: api.operator, body: { name: `log-${next()}` } });
        secrets.add(service.body.token);
        assert.equal((await api.call('POST', '/v1/authorizations', { token: service.body.token, body: { account_id: a.id, ...OPUS_HOLD } })).status, 201);
        for (const card of CARD_TOKENS) {
          const pm = await api.call('POST', `/v1/accounts/${a.id}/payment-methods`, { token: personal.body.token, body: { token: card } });
          assert.equal(pm.status, 201, pm.text);
          const bought = await api.call('POST', `/v1/accounts/${a.id}/extra-usage/credits`, { token: personal.body.token, body: { amount_micros: 5_000_000, payment_method_id: pm.body.id }, headers: { 'idempotency-key': `log-${next()}` } });
          assert.ok([201, 402].includes(bought.status), bought.text);
        }
        // API keys in metering bodies: the key of X (201, or 402 when X has no credits left), a revoked one (401), an event with each.
        const dead = await api.tb.createApiKey(org.x, { name: 'log-dead' }, OPERATOR);
        secrets.add(dead.secret);
        await api.tb.revokeApiKey(org.x, dead.key.id, OPERATOR);
        for (const api_key of [org.key, dead.secret]) {
          assert.ok([201, 401, 402].includes((await api.call('POST', '/v1/authorizations', { token: service.body.token, body: { api_key, model: 'claude-haiku-4-5', input_tokens: 1, max_output_tokens: 1 } })).status));
          const ev = { id: `log-${next()}`, api_key, model: 'claude-haiku-4-5', usage: { input_tokens: 1, output_tokens: 1 }, timestamp: '2026-11-02T08:00:00Z' };
          assert.equal((await api.call('POST', '/v1/usage-events', { token: service.body.token, body: { events: [ev] } })).status, 200);
        }
        // A bad request whose body carries a password, and an unknown card token.
        assert.equal((await api.call('POST', '/v1/sessions', { body: { email: a.owner.email, password: PASSWORD, extra: PASSWORD } })).status, 400);
        assert.equal((await api.call('POST', `/v1/accounts/${a.id}/payment-methods`, { token: personal.body.token, body: { token: UNKNOWN_CARD } })).status, 400);
        assertError(await api.call('POST', '/v1/sessions', { body: { email: a.owner.email, password: WRONG_PASSWORD } }), 401, 'unauthenticated');
        assertError(await api.call('GET', '/v1/me', { token: `${personal.body.token}x` }), 401, 'unauthenticated');
      });

      it('the captured log (the whole run: matrix, tenancy, throttling, the calls above) holds none of them', () => {
        const text = log.join('');
        assert.ok(log.length > 500 && text.includes('"url":"/v1/sessions"'), `the log was captured (${log.length} lines)`);
        const found: string[] = [];
        for (const secret of secrets) {
          // The whole secret, and its random part alone (after the kind prefix such as tbsess_).
          const random = secret.includes('_') ? secret.slice(secret.indexOf('_') + 1) : secret;
          if (text.includes(secret) || (random.length >= 12 && text.includes(random.slice(0, 12)))) found.push(`${secret.slice(0, 10)}…`);
        }
        for (const card of [...CARD_TOKENS, UNKNOWN_CARD]) if (text.includes(card)) found.push(card);
        for (const field of ['"authorization":', '"cookie":', '"set-cookie":', '"password":']) if (text.toLowerCase().includes(field)) found.push(`a field ${field}`);
        assert.deepEqual(found, [], `secrets in the log (${secrets.size} secrets checked)`);
        assert.ok(secrets.size >= 20, `${secrets.size} secrets`);
      });
    });
  });
}
