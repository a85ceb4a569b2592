// The card provider's routes (docs/payments.md): confirming a purchase the person's bank asked
// about (3-D Secure), and the provider's webhooks, authenticated by their signature (no token).
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requireRole } from '../../app/auth';
import * as P from '../../contract/payments';
import * as S from '../../contract/schemas';
import { AppError } from '../../domain/refusals';
import { toApiPurchase } from '../format';
import { who, actor, err, ok, type Ctx } from './kit';

export function paymentRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.post(
    '/v1/accounts/:id/extra-usage/credits/:purchase_id/confirm',
    {
      schema: {
        tags: ['extra-usage'],
        operationId: 'confirmCredits',
        summary: "Finish a purchase the bank asked the person to confirm (3-D Secure), once they completed the bank's step (billing)",
        params: P.PurchaseParams,
        body: S.NoBody,
        response: { ...ok(200, 'the purchase, completed', S.PurchaseResponse), ...err(400, 401, 402, 403, 404) },
      },
    },
    async (request) => {
      await requireRole(deps, who(request), request.params.id, 'billing');
      const result = await tb.confirmPurchase(request.params.id, request.params.purchase_id, actor(request));
      return toApiPurchase(result);
    },
  );

  api.post(
    '/v1/webhooks/stripe',
    {
      config: { raw_body: true },
      schema: {
        tags: ['payments'],
        operationId: 'receiveStripeWebhook',
        summary:
          'Stripe webhook events (payment_intent.succeeded, payment_intent.payment_failed, charge.refunded, charge.dispute.created), checked by their Stripe-Signature',
        description:
          'Authenticated by the Stripe-Signature header (STRIPE_WEBHOOK_SECRET), not by a token. Each event id is applied once; other types are answered 200 and ignored.',
        security: [],
        response: { ...ok(200, 'the event was received', P.ProviderWebhookReceipt), ...err(400) },
      },
    },
    async (request) => {
      // No body schema: the event is Stripe's to shape, and its signature is over the bytes as sent.
      if (typeof request.body !== 'object' || request.body === null || Array.isArray(request.body))
        throw new AppError('invalid_request', 'body: must be a JSON object (a Stripe event)', { field: 'body' });
      return tb.receivePaymentWebhook(request.raw_body, request.headers['stripe-signature']);
    },
  );
}
