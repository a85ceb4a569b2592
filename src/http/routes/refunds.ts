// Refunds, campaign codes and grant lists (issue 11). Each route: who may call, one use case, format.
import { isoOrNull } from '../format';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requireOperator, requireRole } from '../../app/auth';
import * as C from '../../contract/credits';
import * as S from '../../contract/schemas';
import type { Promotion } from '../../domain/promotions';
import type { RefundRecord } from '../../domain/refunds';
import type { GrantRecord } from '../../app/ports';
import { who, actor, idem, err, ok, okKeyed, markReplay, type Ctx } from './kit';

function toApiRefund(r: RefundRecord) {
  return {
    id: r.id,
    status: r.status,
    amount_micros: r.amount_micros,
    refunded_micros: r.refunded_micros,
    purchase_id: r.purchase_id,
    parts: r.parts.map((p) => ({ purchase_id: p.purchase_id, amount_micros: p.amount_micros, status: p.status, provider_refund_id: p.provider_refund_id })),
    created_at: isoOrNull(r.created_at_ms)!,
    completed_at: isoOrNull(r.completed_at_ms),
  };
}

function toApiPromotion(p: Promotion) {
  return {
    id: p.id,
    code: p.code,
    amount_micros: p.amount_micros,
    expires_at: isoOrNull(p.expires_at_ms),
    credit_expires_in_days: p.credit_expires_in_days,
    claims_max: p.claims_max,
    claims_count: p.claims_count,
    created_at: isoOrNull(p.created_at_ms)!,
  };
}

function toApiGrant(g: GrantRecord, live: boolean) {
  return {
    id: g.id,
    amount_micros: g.amount_micros,
    remaining_micros: g.remaining_micros,
    expires_at: isoOrNull(g.expires_at_ms),
    reason: g.reason,
    created_at: isoOrNull(g.created_at_ms)!,
    live,
  };
}

/** Refunds. */
export function refundRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.post(
    '/v1/accounts/:id/refunds',
    {
      schema: {
        tags: ['extra-usage'],
        operationId: 'refundCredits',
        summary: 'Refund unspent purchased credits to the card (owner); requires Idempotency-Key. Without purchase_id: the most recent purchases first',
        params: S.IdParams,
        body: C.RefundRequest,
        response: { ...okKeyed(201, 'the refund', C.RefundResponse), ...err(400, 401, 402, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await requireRole(deps, who(request), request.params.id, 'owner');
      const result = await tb.refundCredits(request.params.id, request.body, idem(request), actor(request));
      markReplay(reply, result.replayed);
      return reply.status(201).send({ ...toApiRefund(result.refund), balance_micros: result.balance_micros, refundable_micros: result.refundable_micros });
    },
  );

  api.get(
    '/v1/accounts/:id/refunds',
    {
      schema: {
        tags: ['extra-usage'],
        operationId: 'listRefunds',
        summary: 'Refunds of this account, newest first (paged by ?cursor=)',
        params: S.IdParams,
        querystring: S.PageQuery,
        response: { ...ok(200, 'refunds', C.RefundList), ...err(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await requireRole(deps, who(request), request.params.id, 'billing');
      const page = await tb.listRefunds(request.params.id, request.query);
      return { account_id: request.params.id, ...page, data: page.data.map(toApiRefund) };
    },
  );
}

/** Grants and campaign codes. */
export function promotionRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.get(
    '/v1/accounts/:id/grants',
    {
      schema: {
        tags: ['extra-usage'],
        operationId: 'listGrants',
        summary: 'Promotional grants of this account, with what is left of each and whether it still counts (paged)',
        params: S.IdParams,
        querystring: S.PageQuery,
        response: { ...ok(200, 'grants', C.GrantList), ...err(401, 403, 404) },
      },
    },
    async (request) => {
      await requireRole(deps, who(request), request.params.id, 'member');
      const page = await tb.listGrants(request.params.id, request.query);
      return { account_id: request.params.id, ...page, data: page.data.map((g) => toApiGrant(g.grant, g.live)) };
    },
  );

  api.post(
    '/v1/accounts/:id/promotions/claim',
    {
      schema: {
        tags: ['extra-usage'],
        operationId: 'claimPromotion',
        summary: 'Claim a campaign code (billing): adds its promotional grant; once per account',
        params: S.IdParams,
        body: C.ClaimRequest,
        response: { ...ok(201, 'the grant', C.ClaimResponse), ...err(400, 401, 402, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await requireRole(deps, who(request), request.params.id, 'billing');
      const claimed = await tb.claimPromotion(request.params.id, request.body, actor(request));
      return reply.status(201).send({ code: claimed.promotion.code, grant: toApiGrant(claimed.grant, claimed.live) });
    },
  );

  api.post(
    '/v1/promotions',
    {
      schema: {
        tags: ['operator'],
        operationId: 'createPromotion',
        summary: 'Create a campaign code: an amount, an optional end, a lifetime for the credit and a claim limit (operator)',
        body: C.PromotionRequest,
        response: { ...ok(201, 'the promotion', C.Promotion), ...err(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      requireOperator(who(request));
      return reply.status(201).send(toApiPromotion(await tb.createPromotion(request.body, actor(request))));
    },
  );

  api.get(
    '/v1/promotions',
    {
      schema: {
        tags: ['operator'],
        operationId: 'listPromotions',
        summary: 'Campaign codes with their claim counts, by code (operator)',
        querystring: S.PageQuery,
        response: { ...ok(200, 'promotions', C.PromotionList), ...err(400, 401, 403) },
      },
    },
    async (request) => {
      requireOperator(who(request));
      const page = await tb.listPromotions(request.query);
      return { ...page, data: page.data.map(toApiPromotion) };
    },
  );
}
