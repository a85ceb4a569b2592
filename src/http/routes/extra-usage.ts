// Extra usage: cards, credits, grants, usage and history. Each route: who may call, one use case, format.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requireOperator, requireRole } from '../../app/auth';
import { wholePage } from '../../app/reads';
import * as S from '../../contract/schemas';
import { toApiPaymentMethod, toApiPurchase, toApiUsageRecord } from '../format';
import { who, actor, idem, err, ok, okKeyed, markReplay, type Ctx } from './kit';

/** Extra usage. */
export function extraUsageRoutes(app: FastifyInstance, ctx: Ctx) {
  cardRoutes(app, ctx);
  settingsRoutes(app, ctx);
  creditRoutes(app, ctx);
  historyRoutes(app, ctx);
}

function cardRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.post(
    '/v1/accounts/:id/payment-methods',
    {
      schema: {
        tags: ['extra-usage'],
        operationId: 'addPaymentMethod',
        summary: 'Add a card by provider token (billing); it becomes the default',
        params: S.IdParams,
        body: S.PaymentMethodRequest,
        response: { ...ok(201, 'the payment method', S.PaymentMethod), ...err(400, 401, 402, 403, 404) },
      },
    },
    async (request, reply) => {
      await requireRole(deps, who(request), request.params.id, 'billing');
      return reply.status(201).send(toApiPaymentMethod(await tb.addPaymentMethod(request.params.id, request.body, actor(request))));
    },
  );

  api.get(
    '/v1/accounts/:id/payment-methods',
    {
      schema: {
        tags: ['extra-usage'],
        operationId: 'listPaymentMethods',
        summary: 'Cards on file (billing)',
        params: S.IdParams,
        response: { ...ok(200, 'payment methods', S.PaymentMethodList), ...err(401, 403, 404) },
      },
    },
    async (request) => {
      await requireRole(deps, who(request), request.params.id, 'billing');
      return wholePage((await tb.listPaymentMethods(request.params.id)).map((m) => ({ ...toApiPaymentMethod(m.method), default: m.default })));
    },
  );
}

function settingsRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.get(
    '/v1/accounts/:id/extra-usage',
    {
      schema: {
        tags: ['extra-usage'],
        operationId: 'getExtraUsage',
        summary: 'Balance, holds, spend limit, cycle and auto-reload state',
        params: S.IdParams,
        response: { ...ok(200, 'extra usage', S.ExtraUsageResponse), ...err(401, 403, 404) },
      },
    },
    async (request) => {
      await requireRole(deps, who(request), request.params.id, 'member');
      return tb.getExtraUsage(request.params.id);
    },
  );

  api.patch(
    '/v1/accounts/:id/extra-usage',
    {
      schema: {
        tags: ['extra-usage'],
        operationId: 'updateExtraUsage',
        summary: 'Turn extra usage on/off, set the monthly spend limit, configure auto-reload (billing)',
        params: S.IdParams,
        body: S.ExtraUsagePatchRequest,
        response: { ...okKeyed(200, 'extra usage', S.ExtraUsageResponse), ...err(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await requireRole(deps, who(request), request.params.id, 'billing');
      const changed = await tb.updateExtraUsage(request.params.id, request.body, actor(request), idem(request));
      markReplay(reply, changed.replayed);
      return changed.answer;
    },
  );
}

function creditRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.post(
    '/v1/accounts/:id/extra-usage/credits',
    {
      schema: {
        tags: ['extra-usage'],
        operationId: 'addCredits',
        summary: 'Buy extra usage credits by card (billing); requires Idempotency-Key',
        params: S.IdParams,
        body: S.CreditsRequest,
        response: { ...okKeyed(201, 'the purchase', S.PurchaseResponse), ...err(400, 401, 402, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await requireRole(deps, who(request), request.params.id, 'billing');
      const result = await tb.purchaseCredits(request.params.id, request.body, idem(request), actor(request));
      markReplay(reply, result.replayed);
      return reply.status(201).send(toApiPurchase(result));
    },
  );

  api.post(
    '/v1/accounts/:id/grants',
    {
      schema: {
        tags: ['operator'],
        operationId: 'grantCredits',
        summary: 'Grant promotional credits, optionally expiring (operator)',
        params: S.IdParams,
        body: S.GrantRequest,
        response: { ...okKeyed(201, 'the grant', S.GrantResponse), ...err(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      requireOperator(who(request));
      const grant = await tb.grantCredits(request.params.id, request.body, actor(request), idem(request));
      markReplay(reply, grant.replayed);
      return reply.status(201).send({
        id: grant.id,
        amount_micros: grant.amount_micros,
        expires_at: grant.expires_at_ms === null ? null : new Date(grant.expires_at_ms).toISOString(),
        reason: grant.reason,
      });
    },
  );
}

function historyRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.get(
    '/v1/accounts/:id/usage',
    {
      schema: {
        tags: ['extra-usage'],
        operationId: 'getUsage',
        summary: 'Usage history by day or month, grouped by app, model or source',
        params: S.IdParams,
        querystring: S.UsageQuery,
        response: { ...ok(200, 'usage buckets', S.UsageResponse), ...err(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await requireRole(deps, who(request), request.params.id, 'member');
      return tb.getUsage(request.params.id, request.query);
    },
  );

  api.get(
    '/v1/accounts/:id/usage-records',
    {
      schema: {
        tags: ['extra-usage'],
        operationId: 'listUsageRecords',
        summary: 'Charged requests with their funding receipt: which source paid, why, at which price version',
        params: S.IdParams,
        querystring: S.PageQuery,
        response: { ...ok(200, 'usage records', S.UsageRecordList), ...err(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await requireRole(deps, who(request), request.params.id, 'member');
      const page = await tb.listUsageRecords(request.params.id, request.query);
      return { account_id: request.params.id, ...page, data: page.data.map(toApiUsageRecord) };
    },
  );

  api.get(
    '/v1/accounts/:id/transactions',
    {
      schema: {
        tags: ['extra-usage'],
        operationId: 'listTransactions',
        summary: 'Purchases, reloads, grants, refunds and usage charges, newest first (paged by ?cursor=)',
        params: S.IdParams,
        querystring: S.PageQuery,
        response: { ...ok(200, 'transactions', S.TransactionList), ...err(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await requireRole(deps, who(request), request.params.id, 'member');
      return tb.listTransactions(request.params.id, request.query);
    },
  );

  api.get(
    '/v1/accounts/:id/events',
    {
      schema: {
        tags: ['extra-usage'],
        operationId: 'listEvents',
        summary: 'Notifications for this account (spend-limit warnings, reloads, grants, plan changes)',
        params: S.IdParams,
        querystring: S.PageQuery,
        response: { ...ok(200, 'events', S.EventList), ...err(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await requireRole(deps, who(request), request.params.id, 'member');
      const page = await tb.listEvents(request.params.id, request.query);
      return {
        account_id: request.params.id,
        ...page,
        data: page.data.map((e) => ({ id: e.id, type: e.type, payload: e.payload, created_at: new Date(e.created_at_ms).toISOString() })),
      };
    },
  );
}
