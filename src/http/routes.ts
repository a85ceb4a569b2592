// Routes of HTTP API v1 (SPEC §2). Each: check who may call, one use case, format.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import {
  actorOf,
  createPersonalToken,
  createServiceToken,
  requireMetering,
  requireOperator,
  requireRole,
  revokeToken,
  signIn,
  signOut,
  type Principal,
} from '../app/auth';
import type { Tokenbank } from '../app/tokenbank';
import { AppError, notFound } from '../domain/refusals';
import { limits } from '../domain/limits';
import { wholePage } from '../app/reads';
import * as S from '../contract/schemas';
import * as v from '../app/validate';
import { toApiAccountSummary, toApiAuthorization, toApiInvitation, toApiPaymentMethod, toApiUsageRecord } from './format';
import type { CatalogInput } from '../app/ports';

interface Ctx {
  tb: Tokenbank;
  secure_cookies: boolean;
}


function who(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthenticated', 'Sign in first: send Authorization: Bearer <token> (POST /v1/sessions gives one).');
  return request.principal;
}

/** Invitations are answered by the user they were sent to, signed in: not by a token of the operator or a service. */
function invitee(p: Principal) {
  if (p.kind !== 'user') throw new AppError('forbidden', 'Invitations are answered by the invited user: sign in as them.');
  return { user_id: p.user_id, email: p.email };
}
const actor = (request: FastifyRequest) => actorOf(who(request), request.id);
const idem = (request: FastifyRequest) => request.headers['idempotency-key'];
const err = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, { $ref: 'Error#', description: `error (${c})` }]));
/** ?limit= as a page size: the default when absent, never above page_size_max (the schema allows digits only). */
const pageSize = (limit: string | undefined) => Math.min(Math.max(1, Number(limit ?? limits.page_size_default)), limits.page_size_max);
/** A success answer and its schema: the document shows it, and the answer is serialised through it. */
const ok = <T extends TSchema>(status: number, description: string, schema: T) => ({ [status]: { ...schema, description, headers: ANSWER_HEADERS } as T });
/** The same, for a call that takes Idempotency-Key: its answer may be a replay. */
const okKeyed = <T extends TSchema>(status: number, description: string, schema: T) => ({ [status]: { ...schema, description, headers: KEYED_ANSWER_HEADERS } as T });
/** Headers of every success answer, as documented (errors carry Request-Id too, and their body names it). */
const ANSWER_HEADERS = {
  'Request-Id': { type: 'string', description: "the server's id of this request (also X-Request-Id); quote it when reporting a problem" },
};
const KEYED_ANSWER_HEADERS = {
  ...ANSWER_HEADERS,
  'Idempotent-Replayed': { type: 'string', enum: ['true'], description: "present on the answer to a repeated Idempotency-Key with the same body: the first call's status and body; nothing was done again" },
};
/** A keyed call answered from its first call: the same status and body, marked for the client. */
function markReplay(reply: FastifyReply, replayed: boolean) {
  if (replayed) reply.header('idempotent-replayed', 'true');
}

export function registerRoutes(app: FastifyInstance, ctx: Ctx) {
  signInRoutes(app, ctx);
  accountRoutes(app, ctx);
  invitationRoutes(app, ctx);
  extraUsageRoutes(app, ctx);
  meteringRoutes(app, ctx);
  operatorRoutes(app, ctx);
}

/** Sign-in. */
function signInRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.post('/v1/sessions', { schema: { tags: ['sign-in'], operationId: 'createSession', summary: 'Sign in with email and password', security: [], body: S.SessionRequest, response: { ...ok(201, 'a session token, also set as the page cookie', S.SessionResponse), ...err(400, 401, 429) } } }, async (request, reply) => {
    const session = await signIn(deps, request.body, { address: request.ip });
    reply.setCookie('tb_session', session.token, { httpOnly: true, sameSite: 'strict', secure: ctx.secure_cookies, path: '/', expires: new Date(session.expires_at_ms) });
    return reply.status(201).send({ token: session.token, expires_at: new Date(session.expires_at_ms).toISOString(), user: { id: session.user.id, email: session.user.email } });
  });

  api.delete('/v1/sessions/current', { schema: { tags: ['sign-in'], operationId: 'deleteSession', summary: 'Sign out', body: S.NoBody, response: { ...ok(200, 'signed out', S.OkResponse), ...err(400, 401) } } }, async (request, reply) => {
    await signOut(deps, who(request));
    reply.clearCookie('tb_session', { path: '/' });
    return { ok: true };
  });

  api.get('/v1/me', { schema: { tags: ['sign-in'], operationId: 'getMe', summary: 'Who am I, and which accounts I belong to', response: { ...ok(200, 'the caller', S.MeResponse), ...err(401) } } }, async (request) => {
    const p = who(request);
    if (p.kind !== 'user') return { kind: p.kind, accounts: [] };
    const memberships = await tb.listMemberships(p.user_id);
    return { kind: 'user', user: { id: p.user_id, email: p.email }, accounts: memberships.map((m) => toApiAccountSummary(m.account, m.role)) };
  });

  api.post('/v1/tokens', { schema: { tags: ['sign-in'], operationId: 'createPersonalToken', summary: 'Create a personal access token (for the CLI); the secret is shown once', body: S.TokenRequest, response: { ...ok(201, 'the new token', S.PersonalTokenResponse), ...err(400, 401, 403) } } }, async (request, reply) => {
    const { token, record } = await createPersonalToken(deps, who(request), request.body);
    return reply.status(201).send({ id: record.id, token, name: record.name, expires_at: record.expires_at_ms === null ? null : new Date(record.expires_at_ms).toISOString() });
  });

  api.delete('/v1/tokens/:id', { schema: { tags: ['sign-in'], operationId: 'revokePersonalToken', summary: 'Revoke one of your personal access tokens (e.g. on logout)', params: S.IdParams, body: S.NoBody, response: { ...ok(200, 'revoked', S.RevokedResponse), ...err(400, 401, 404) } } }, async (request) => {
    await revokeToken(deps, who(request), request.params.id, 'personal');
    return { id: request.params.id, revoked: true };
  });

  api.post('/v1/service-tokens', { schema: { tags: ['operator'], operationId: 'createServiceToken', summary: 'Create a service token for the model gateway (metering calls only)', body: S.ServiceTokenRequest, response: { ...ok(201, 'the new token; the secret is shown once', S.ServiceTokenResponse), ...err(400, 401, 403) } } }, async (request, reply) => {
    const { token, record } = await createServiceToken(deps, who(request), request.body);
    return reply.status(201).send({ id: record.id, token, name: record.name });
  });

  api.get('/v1/service-tokens', { schema: { tags: ['operator'], operationId: 'listServiceTokens', summary: 'List service tokens (never their secrets)', response: { ...ok(200, 'tokens', S.ServiceTokenList), ...err(401, 403) } } }, async (request) => {
    requireOperator(who(request));
    const tokens = await tb.listServiceTokens();
    return wholePage(tokens.map((t) => ({ id: t.id, name: t.name, created_at: new Date(t.created_at_ms).toISOString() })));
  });

  api.delete('/v1/service-tokens/:id', { schema: { tags: ['operator'], operationId: 'revokeServiceToken', summary: 'Revoke a service token', params: S.IdParams, body: S.NoBody, response: { ...ok(200, 'revoked', S.RevokedResponse), ...err(400, 401, 403, 404) } } }, async (request) => {
    await revokeToken(deps, who(request), request.params.id, 'service');
    return { id: request.params.id, revoked: true };
  });
}

/** Accounts. */
function accountRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.post('/v1/accounts', { schema: { tags: ['accounts'], operationId: 'createAccount', summary: 'Create an account with its owner (operator)', body: S.CreateAccountRequest, response: { ...ok(201, 'the account', S.AccountResponse), ...err(400, 401, 403) } } }, async (request, reply) => {
    requireOperator(who(request));
    const { account, owner } = await tb.createAccount(request.body, actor(request));
    return reply.status(201).send({ ...(await tb.getAccountView(account.id)), owner: { id: owner.id, email: owner.email } });
  });

  api.get('/v1/accounts', { schema: { tags: ['accounts'], operationId: 'listAccounts', summary: 'Accounts the caller may see (all, for the operator; search by name or id)', querystring: S.AccountsQuery, response: { ...ok(200, 'accounts', S.AccountList), ...err(400, 401, 403) } } }, async (request) => {
    const p = who(request);
    if (p.kind === 'user') {
      const page = await tb.listUserAccounts(p.user_id, request.query);
      return { ...page, data: page.data.map((m) => toApiAccountSummary(m.account, m.role)) };
    }
    requireOperator(p);
    const page = await tb.listAccounts(request.query);
    return { ...page, data: page.data.map((a) => toApiAccountSummary(a)) };
  });

  api.get('/v1/accounts/:id', { schema: { tags: ['accounts'], operationId: 'getAccount', summary: 'Account, plan, and allowance windows with used, limit, resets_at', params: S.IdParams, response: { ...ok(200, 'the account', S.AccountResponse), ...err(401, 403, 404) } } }, async (request) => {
    const p = who(request);
    const role = await requireRole(deps, p, request.params.id, 'member');
    return { ...(await tb.getAccountView(request.params.id, p.kind === 'user' ? p.user_id : null)), role };
  });

  api.put('/v1/accounts/:id/subscription', { schema: { tags: ['accounts'], operationId: 'changeSubscription', summary: 'Change plan or seats (owner); on a lapsed account, start a new subscription', params: S.IdParams, body: S.SubscriptionRequest, response: { ...okKeyed(200, 'the account', S.AccountResponse), ...err(400, 401, 403, 404, 409) } } }, async (request, reply) => {
    await requireRole(deps, who(request), request.params.id, 'owner');
    const changed = await tb.changeSubscription(request.params.id, request.body, actor(request), idem(request));
    markReplay(reply, changed.replayed);
    return tb.getAccountView(request.params.id);
  });

  api.delete('/v1/accounts/:id/subscription', { schema: { tags: ['accounts'], operationId: 'cancelSubscription', summary: 'Cancel at the end of the current cycle (owner); the balance is kept', params: S.IdParams, body: S.NoBody, response: { ...ok(200, 'the account', S.AccountResponse), ...err(400, 401, 403, 404, 409) } } }, async (request) => {
    await requireRole(deps, who(request), request.params.id, 'owner');
    await tb.cancelSubscription(request.params.id, actor(request));
    return tb.getAccountView(request.params.id);
  });

  api.get('/v1/accounts/:id/members', { schema: { tags: ['accounts'], operationId: 'listMembers', summary: 'Members and their roles', params: S.IdParams, response: { ...ok(200, 'members', S.MemberList), ...err(401, 403, 404) } } }, async (request) => {
    await requireRole(deps, who(request), request.params.id, 'member');
    return { account_id: request.params.id, ...wholePage(await tb.listMembers(request.params.id)) };
  });

  api.post('/v1/accounts/:id/members', { schema: { tags: ['accounts'], operationId: 'inviteMember', summary: 'Invite a member by email (owner): 202 with the invitation, the same whether or not the email is registered; team plans need a free seat', params: S.IdParams, body: S.InviteMemberRequest, response: { ...ok(202, 'the invitation', S.Invitation), ...err(400, 401, 403, 404, 409) } } }, async (request, reply) => {
    await requireRole(deps, who(request), request.params.id, 'owner');
    const invitation = await tb.inviteMember(request.params.id, request.body, actor(request));
    return reply.status(202).send(toApiInvitation(invitation, deps.clock.now_ms()));
  });
}

/** Invitations (the invited user's side). */
function invitationRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.get('/v1/invitations', { schema: { tags: ['accounts'], operationId: 'listInvitations', summary: "The signed-in user's pending invitations", querystring: S.PageQuery, response: { ...ok(200, 'invitations', S.InvitationList), ...err(400, 401, 403) } } }, async (request) => {
    const limit = pageSize(request.query.limit);
    const rows = await tb.listInvitations(invitee(who(request)), limit + 1, request.query.cursor ?? request.query.before);
    const has_more = rows.length > limit;
    const data = rows.slice(0, limit).map((r) => ({ ...toApiInvitation(r.invitation, deps.clock.now_ms()), account_name: r.account_name }));
    return { data, has_more, next_cursor: has_more ? data[data.length - 1]!.id : null };
  });

  api.post('/v1/invitations/:id/accept', { schema: { tags: ['accounts'], operationId: 'acceptInvitation', summary: 'Accept an invitation sent to your email: you become a member (a team plan needs a free seat)', params: S.IdParams, body: S.NoBody, response: { ...ok(200, 'the accepted invitation', S.Invitation), ...err(400, 401, 403, 404, 409) } } }, async (request) => {
    return toApiInvitation(await tb.acceptInvitation(request.params.id, invitee(who(request)), actor(request)), deps.clock.now_ms());
  });

  api.post('/v1/invitations/:id/decline', { schema: { tags: ['accounts'], operationId: 'declineInvitation', summary: 'Decline an invitation sent to your email', params: S.IdParams, body: S.NoBody, response: { ...ok(200, 'the declined invitation', S.Invitation), ...err(400, 401, 403, 404, 409) } } }, async (request) => {
    return toApiInvitation(await tb.declineInvitation(request.params.id, invitee(who(request)), actor(request)), deps.clock.now_ms());
  });
}

/** Extra usage. */
function extraUsageRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.post('/v1/accounts/:id/payment-methods', { schema: { tags: ['extra-usage'], operationId: 'addPaymentMethod', summary: 'Add a card by provider token (billing); it becomes the default', params: S.IdParams, body: S.PaymentMethodRequest, response: { ...ok(201, 'the payment method', S.PaymentMethod), ...err(400, 401, 402, 403, 404) } } }, async (request, reply) => {
    await requireRole(deps, who(request), request.params.id, 'billing');
    return reply.status(201).send(toApiPaymentMethod(await tb.addPaymentMethod(request.params.id, request.body, actor(request))));
  });

  api.get('/v1/accounts/:id/payment-methods', { schema: { tags: ['extra-usage'], operationId: 'listPaymentMethods', summary: 'Cards on file (billing)', params: S.IdParams, response: { ...ok(200, 'payment methods', S.PaymentMethodList), ...err(401, 403, 404) } } }, async (request) => {
    await requireRole(deps, who(request), request.params.id, 'billing');
    return wholePage((await tb.listPaymentMethods(request.params.id)).map((m) => ({ ...toApiPaymentMethod(m.method), default: m.default })));
  });

  api.get('/v1/accounts/:id/extra-usage', { schema: { tags: ['extra-usage'], operationId: 'getExtraUsage', summary: 'Balance, holds, spend limit, cycle and auto-reload state', params: S.IdParams, response: { ...ok(200, 'extra usage', S.ExtraUsageResponse), ...err(401, 403, 404) } } }, async (request) => {
    await requireRole(deps, who(request), request.params.id, 'member');
    return tb.getExtraUsage(request.params.id);
  });

  api.patch('/v1/accounts/:id/extra-usage', { schema: { tags: ['extra-usage'], operationId: 'updateExtraUsage', summary: 'Turn extra usage on/off, set the monthly spend limit, configure auto-reload (billing)', params: S.IdParams, body: S.ExtraUsagePatchRequest, response: { ...okKeyed(200, 'extra usage', S.ExtraUsageResponse), ...err(400, 401, 403, 404, 409) } } }, async (request, reply) => {
    await requireRole(deps, who(request), request.params.id, 'billing');
    const changed = await tb.updateExtraUsage(request.params.id, request.body, actor(request), idem(request));
    markReplay(reply, changed.replayed);
    return tb.getExtraUsage(request.params.id);
  });

  api.post('/v1/accounts/:id/extra-usage/credits', { schema: { tags: ['extra-usage'], operationId: 'addCredits', summary: 'Buy extra usage credits by card (billing); requires Idempotency-Key', params: S.IdParams, body: S.CreditsRequest, response: { ...okKeyed(201, 'the purchase', S.PurchaseResponse), ...err(400, 401, 402, 403, 404, 409) } } }, async (request, reply) => {
    await requireRole(deps, who(request), request.params.id, 'billing');
    const result = await tb.purchaseCredits(request.params.id, request.body, idem(request), actor(request));
    markReplay(reply, result.replayed);
    return reply.status(201).send({ transaction_id: result.purchase.id, amount_micros: result.purchase.amount_micros, balance_micros: result.balance_micros, status: result.purchase.status, replayed: result.replayed });
  });

  api.post('/v1/accounts/:id/grants', { schema: { tags: ['operator'], operationId: 'grantCredits', summary: 'Grant promotional credits, optionally expiring (operator)', params: S.IdParams, body: S.GrantRequest, response: { ...okKeyed(201, 'the grant', S.GrantResponse), ...err(400, 401, 403, 404, 409) } } }, async (request, reply) => {
    requireOperator(who(request));
    const grant = await tb.grantCredits(request.params.id, request.body, actor(request), idem(request));
    markReplay(reply, grant.replayed);
    return reply.status(201).send({ id: grant.id, amount_micros: grant.amount_micros, expires_at: grant.expires_at_ms === null ? null : new Date(grant.expires_at_ms).toISOString(), reason: grant.reason });
  });

  api.get('/v1/accounts/:id/usage', { schema: { tags: ['extra-usage'], operationId: 'getUsage', summary: 'Usage history by day or month, grouped by app, model or source', params: S.IdParams, querystring: S.UsageQuery, response: { ...ok(200, 'usage buckets', S.UsageResponse), ...err(400, 401, 403, 404) } } }, async (request) => {
    await requireRole(deps, who(request), request.params.id, 'member');
    return tb.getUsage(request.params.id, request.query);
  });

  api.get('/v1/accounts/:id/usage-records', { schema: { tags: ['extra-usage'], operationId: 'listUsageRecords', summary: 'Charged requests with their funding receipt: which source paid, why, at which price version', params: S.IdParams, querystring: S.PageQuery, response: { ...ok(200, 'usage records', S.UsageRecordList), ...err(400, 401, 403, 404) } } }, async (request) => {
    await requireRole(deps, who(request), request.params.id, 'member');
    const page = await tb.listUsageRecords(request.params.id, request.query);
    return { account_id: request.params.id, ...page, data: page.data.map(toApiUsageRecord) };
  });

  api.get('/v1/accounts/:id/transactions', { schema: { tags: ['extra-usage'], operationId: 'listTransactions', summary: 'Purchases, reloads, grants, refunds and usage charges, newest first (paged by ?cursor=)', params: S.IdParams, querystring: S.PageQuery, response: { ...ok(200, 'transactions', S.TransactionList), ...err(400, 401, 403, 404) } } }, async (request) => {
    await requireRole(deps, who(request), request.params.id, 'member');
    return tb.listTransactions(request.params.id, request.query);
  });

  api.get('/v1/accounts/:id/events', { schema: { tags: ['extra-usage'], operationId: 'listEvents', summary: 'Notifications for this account (spend-limit warnings, reloads, grants, plan changes)', params: S.IdParams, querystring: S.PageQuery, response: { ...ok(200, 'events', S.EventList), ...err(400, 401, 403, 404) } } }, async (request) => {
    await requireRole(deps, who(request), request.params.id, 'member');
    const page = await tb.listEvents(request.params.id, request.query);
    return { account_id: request.params.id, ...page, data: page.data.map((e) => ({ id: e.id, type: e.type, payload: e.payload, created_at: new Date(e.created_at_ms).toISOString() })) };
  });
}

/** Metering (the model gateway). */
function meteringRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.post('/v1/authorizations', { schema: { tags: ['metering'], operationId: 'authorize', summary: 'Place a hold for the largest cost a request can have, or refuse with the reason', body: S.AuthorizeRequest, response: { ...okKeyed(201, 'the hold', S.AuthorizationResponse), ...err(400, 401, 402, 403, 404, 409, 429, 503) } } }, async (request, reply) => {
    requireMetering(who(request));
    const authorization = await tb.authorize(request.body, idem(request));
    markReplay(reply, authorization.replayed);
    return reply.status(201).send(toApiAuthorization(authorization));
  });

  api.get('/v1/authorizations/:id', { schema: { tags: ['metering'], operationId: 'getAuthorization', summary: 'An authorization with its funding receipt', params: S.IdParams, response: { ...ok(200, 'the authorization', S.AuthorizationResponse), ...err(401, 403, 404) } } }, async (request) => {
    const p = who(request);
    const auth = await tb.getAuthorization(request.params.id);
    const missing = notFound('authorization', request.params.id);
    if (!auth) throw missing;
    if (p.kind === 'user') await requireRole(deps, p, auth.account_id, 'member', missing);
    return toApiAuthorization(auth);
  });

  api.post('/v1/authorizations/:id/settle', { schema: { tags: ['metering'], operationId: 'settle', summary: 'Charge the real usage and release the rest of the hold', params: S.IdParams, body: S.SettleRequest, response: { ...ok(200, 'the settled authorization', S.AuthorizationResponse), ...err(400, 401, 403, 404, 409, 503) } } }, async (request) => {
    requireMetering(who(request));
    return toApiAuthorization(await tb.settle(request.params.id, request.body, actor(request)));
  });

  api.post('/v1/authorizations/:id/release', { schema: { tags: ['metering'], operationId: 'release', summary: 'Drop a hold with no charge', params: S.IdParams, body: S.NoBody, response: { ...ok(200, 'the released authorization', S.AuthorizationResponse), ...err(400, 401, 403, 404, 409, 503) } } }, async (request) => {
    requireMetering(who(request));
    return toApiAuthorization(await tb.release(request.params.id));
  });

  api.post('/v1/usage-events', { schema: { tags: ['metering'], operationId: 'recordUsageEvents', summary: 'Usage without a hold (≤ 1000 events); never refused for lack of funds; charged once per event id', body: S.UsageEventsRequest, response: { ...ok(200, 'one result per event, in order', S.UsageEventsResponse), ...err(400, 401, 403) } } }, async (request) => {
    requireMetering(who(request));
    const results = await tb.recordUsageEvents(request.body.events, actor(request));
    // An event's internal error is answered without its cause; the cause goes to the log.
    for (const r of results) if (!r.ok && r.error.type === 'internal_error') request.log.error({ err: r.error.cause, request_id: request.id }, r.error.message);
    return {
      data: results.map((r, i) =>
        r.ok
          ? { id: request.body.events[i]!.id, status: r.duplicate ? 'duplicate' : 'recorded', usage_record: toApiUsageRecord(r.record) }
          : { id: request.body.events[i]!.id, status: 'error', error: { type: r.error.type, message: r.error.message, ...r.error.figures } },
      ),
    };
  });
}

/** Operator. */
function operatorRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;

  api.get('/v1/catalog', { schema: { tags: ['operator'], operationId: 'getCatalog', summary: 'Plans, models with dated prices, apps and their funding policy', response: { ...ok(200, 'the catalog', S.CatalogResponse), ...err(401) } } }, async (request) => {
    who(request);
    const catalog = await tb.catalog();
    return {
      plans: [...catalog.plans.values()],
      models: [...catalog.models.values()],
      prices: [...catalog.prices.values()].flat().map(({ effective_at_ms, ...p }) => ({ ...p, effective_at: new Date(effective_at_ms).toISOString() })),
      apps: [...catalog.apps.values()],
    };
  });

  api.put('/v1/catalog', { schema: { tags: ['operator'], operationId: 'putCatalog', summary: 'Add or change plans, models, prices (new dated versions) and apps (operator)', body: S.CatalogBody, response: { ...ok(200, 'saved', S.OkResponse), ...err(400, 401, 403) } } }, async (request) => {
    requireOperator(who(request));
    const body = request.body;
    const data: CatalogInput = { plans: body.plans, models: body.models, apps: body.apps, prices: body.prices.map(({ effective_at, ...p }, i) => ({ ...p, effective_at_ms: v.timestampMs(`prices[${i}].effective_at`, effective_at) })) };
    await tb.replaceCatalog(data, actor(request));
    return { ok: true };
  });

  api.get('/v1/audit', { schema: { tags: ['operator'], operationId: 'audit', summary: 'The ledger proof: Σ per currency = 0, every wallet = Σ its entries, holds consistent (operator)', response: { ...ok(200, 'audit result', S.AuditResponse), ...err(401, 403) } } }, async (request) => {
    requireOperator(who(request));
    const audit = await tb.audit();
    return { ok: audit.findings.length === 0, ...audit };
  });

  api.get('/v1/audit-log', { schema: { tags: ['operator'], operationId: 'auditLog', summary: 'Append-only log of money-changing actions (operator)', querystring: S.PageQuery, response: { ...ok(200, 'entries', S.AuditLogList), ...err(401, 403) } } }, async (request) => {
    requireOperator(who(request));
    const page = await tb.listAuditLog(request.query);
    // created_at_ms, the internal copy of created_at, is not part of the answer.
    return { ...page, data: page.data.map(({ created_at_ms, ...e }) => ({ ...e, created_at: new Date(created_at_ms).toISOString() })) };
  });
}
