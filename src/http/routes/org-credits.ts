// API credits of an organization (issue 12, part 3): cards on file, purchases, promotional
// grants. The same use cases as an account's extra-usage credits (src/app/billing.ts: bounds,
// daily cap, Idempotency-Key, the three-step purchase), called with the org's id: its own books.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requireOperator } from '../../app/auth';
import { requireOrgRole } from '../../app/orgs';
import { wholePage } from '../../app/reads';
import * as P from '../../contract/payments';
import * as S from '../../contract/schemas';
import { toApiPaymentMethod, toApiPurchase } from '../format';
import { who, actor, idem, err, ok, okKeyed, markReplay, type Ctx } from './kit';

export function orgCreditRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.post(
    '/v1/orgs/:id/payment-methods',
    {
      schema: {
        tags: ['orgs'],
        operationId: 'addOrgPaymentMethod',
        summary: "Add a card to the organization by provider token (billing); it becomes the org's default",
        params: S.IdParams,
        body: S.PaymentMethodRequest,
        response: { ...ok(201, 'the payment method', S.PaymentMethod), ...err(400, 401, 402, 403, 404) },
      },
    },
    async (request, reply) => {
      await requireOrgRole(deps, who(request), request.params.id, 'billing');
      return reply.status(201).send(toApiPaymentMethod(await tb.addPaymentMethod(request.params.id, request.body, actor(request))));
    },
  );

  api.get(
    '/v1/orgs/:id/payment-methods',
    {
      schema: {
        tags: ['orgs'],
        operationId: 'listOrgPaymentMethods',
        summary: "The organization's cards on file (billing)",
        params: S.IdParams,
        response: { ...ok(200, 'payment methods', S.PaymentMethodList), ...err(401, 403, 404) },
      },
    },
    async (request) => {
      await requireOrgRole(deps, who(request), request.params.id, 'billing');
      return wholePage((await tb.listPaymentMethods(request.params.id)).map((m) => ({ ...toApiPaymentMethod(m.method), default: m.default })));
    },
  );

  orgPurchaseRoutes(app, ctx);
}

function orgPurchaseRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.post(
    '/v1/orgs/:id/credits',
    {
      schema: {
        tags: ['orgs'],
        operationId: 'addOrgCredits',
        summary: 'Buy API credits by card (billing): the same bounds and daily cap as extra usage; requires Idempotency-Key',
        params: S.IdParams,
        body: S.CreditsRequest,
        response: { ...okKeyed(201, 'the purchase', S.PurchaseResponse), ...err(400, 401, 402, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await requireOrgRole(deps, who(request), request.params.id, 'billing');
      const result = await tb.purchaseCredits(request.params.id, request.body, idem(request), actor(request));
      markReplay(reply, result.replayed);
      return reply.status(201).send(toApiPurchase(result));
    },
  );

  api.post(
    '/v1/orgs/:id/credits/:purchase_id/confirm',
    {
      schema: {
        tags: ['orgs'],
        operationId: 'confirmOrgCredits',
        summary: "Finish an API-credit purchase the bank asked the person to confirm (3-D Secure), once they completed the bank's step (billing)",
        params: P.PurchaseParams,
        body: S.NoBody,
        response: { ...ok(200, 'the purchase, completed', S.PurchaseResponse), ...err(400, 401, 402, 403, 404) },
      },
    },
    async (request) => {
      await requireOrgRole(deps, who(request), request.params.id, 'billing');
      const result = await tb.confirmPurchase(request.params.id, request.params.purchase_id, actor(request));
      return toApiPurchase(result);
    },
  );

  api.post(
    '/v1/orgs/:id/grants',
    {
      schema: {
        tags: ['orgs'],
        operationId: 'grantOrgCredits',
        summary: 'Grant promotional API credits to the organization, optionally expiring (operator)',
        params: S.IdParams,
        body: S.GrantRequest,
        response: { ...okKeyed(201, 'the grant', S.GrantResponse), ...err(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      requireOperator(who(request));
      await requireOrgRole(deps, who(request), request.params.id, 'admin');
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
