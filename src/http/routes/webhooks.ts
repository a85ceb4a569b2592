// Webhook endpoints (docs/webhooks.md): an account's, managed by its owner or billing users (and
// the operator), under /v1/accounts/{id}/webhook-endpoints; the operator's own, which receive
// every account's events, under /v1/webhook-endpoints. The same five routes for both.
import { isoOrNull } from '../format';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { TSchema } from '@sinclair/typebox';
import { requireOperator, requireRole } from '../../app/auth';
import type { WebhookDeliveryRecord, WebhookEndpointRecord } from '../../app/ports';
import { wholePage } from '../../app/reads';
import * as S from '../../contract/schemas';
import * as W from '../../contract/webhooks';
import { webhookId } from '../../domain/webhooks';
import { who, err, ok, type Ctx } from './kit';

export function toApiWebhookEndpoint(e: WebhookEndpointRecord): W.WebhookEndpointBody {
  return {
    id: e.id,
    account_id: e.account_id,
    url: e.url,
    events: e.event_types as W.WebhookEndpointBody['events'],
    status: e.disabled_at_ms === null ? 'enabled' : 'disabled',
    created_at: new Date(e.created_at_ms).toISOString(),
    failing_since: isoOrNull(e.failing_since_ms),
    disabled_at: isoOrNull(e.disabled_at_ms),
    disabled_reason: e.disabled_reason,
  };
}

export function toApiWebhookDelivery(d: WebhookDeliveryRecord): W.WebhookDeliveryBody {
  return {
    id: d.id,
    endpoint_id: d.endpoint_id,
    event_id: d.event_id,
    webhook_id: webhookId(d.event_id),
    event_type: d.event_type as W.WebhookDeliveryBody['event_type'],
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: isoOrNull(d.next_attempt_at_ms),
    created_at: new Date(d.created_at_ms).toISOString(),
    completed_at: isoOrNull(d.completed_at_ms),
    log: d.log.map(({ attempted_at_ms, ...a }) => ({ ...a, attempted_at: new Date(attempted_at_ms).toISOString() })),
  };
}

interface Scope {
  prefix: string;
  tag: string;
  who: string;
  params: { list: TSchema | null; endpoint: TSchema; delivery: TSchema };
  /** Checks the caller; answers whose endpoints these are (an account id, or null: the operator's). */
  owner(request: FastifyRequest): Promise<string | null>;
  id: string;
}

export function webhookRoutes(app: FastifyInstance, ctx: Ctx) {
  const deps = ctx.tb.deps;
  const account: Scope = {
    prefix: '/v1/accounts/:id/webhook-endpoints',
    tag: 'webhooks',
    who: 'owner or billing',
    params: { list: S.IdParams, endpoint: W.EndpointParams, delivery: W.DeliveryParams },
    id: 'Account',
    async owner(request) {
      const id = (request.params as { id: string }).id;
      await requireRole(deps, who(request), id, 'billing');
      return id;
    },
  };
  const operator: Scope = {
    prefix: '/v1/webhook-endpoints',
    tag: 'operator',
    who: 'operator; receives every account’s events',
    params: { list: null, endpoint: W.OperatorEndpointParams, delivery: W.OperatorDeliveryParams },
    id: 'Operator',
    async owner(request) {
      requireOperator(who(request));
      return null;
    },
  };
  for (const scope of [account, operator]) scopeRoutes(app, ctx, scope);
}

function scopeRoutes(app: FastifyInstance, ctx: Ctx, scope: Scope) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const params = (schema: TSchema | null) => (schema === null ? {} : { params: schema });
  const endpoint_id = (request: FastifyRequest) => (request.params as { endpoint_id: string }).endpoint_id;
  const delivery_id = (request: FastifyRequest) => (request.params as { delivery_id: string }).delivery_id;
  const schema = (operationId: string, summary: string, extra: Record<string, unknown>) => ({
    schema: { tags: [scope.tag], operationId: `${operationId}${scope.id === 'Operator' ? 'Operator' : ''}`, summary: `${summary} (${scope.who})`, ...extra },
  });

  api.post(
    scope.prefix,
    schema('createWebhookEndpoint', 'Add a webhook endpoint; the answer shows its signing secret, once', {
      ...params(scope.params.list),
      body: W.WebhookEndpointRequest,
      response: { ...ok(201, 'the endpoint and its signing secret', W.WebhookEndpointCreated), ...err(400, 401, 403, 404, 409) },
    }),
    async (request, reply) => {
      const owner = await scope.owner(request);
      const endpoint = await tb.createWebhookEndpoint(owner, request.body as { url: string; events?: string[] });
      return reply.status(201).send({ ...toApiWebhookEndpoint(endpoint), secret: endpoint.secret });
    },
  );

  api.get(
    scope.prefix,
    schema('listWebhookEndpoints', 'Webhook endpoints, oldest first; never their secrets', {
      ...params(scope.params.list),
      response: { ...ok(200, 'endpoints', W.WebhookEndpointList), ...err(401, 403, 404) },
    }),
    async (request) => wholePage((await tb.listWebhookEndpoints(await scope.owner(request))).map(toApiWebhookEndpoint)),
  );

  api.delete(
    `${scope.prefix}/:endpoint_id`,
    schema('deleteWebhookEndpoint', 'Delete a webhook endpoint and its delivery log', {
      params: scope.params.endpoint,
      body: S.NoBody,
      response: { ...ok(200, 'deleted', W.WebhookEndpointDeleted), ...err(400, 401, 403, 404) },
    }),
    async (request) => {
      await tb.deleteWebhookEndpoint(await scope.owner(request), endpoint_id(request));
      return { id: endpoint_id(request), deleted: true };
    },
  );

  api.get(
    `${scope.prefix}/:endpoint_id/deliveries`,
    schema('listWebhookDeliveries', "An endpoint's deliveries, newest event first, each with every attempt (paged by ?cursor=)", {
      params: scope.params.endpoint,
      querystring: S.PageQuery,
      response: { ...ok(200, 'deliveries', W.WebhookDeliveryList), ...err(400, 401, 403, 404) },
    }),
    async (request) => {
      const page = await tb.listWebhookDeliveries(await scope.owner(request), endpoint_id(request), request.query as { limit?: string; cursor?: string });
      return { endpoint_id: endpoint_id(request), ...page, data: page.data.map(toApiWebhookDelivery) };
    },
  );

  api.post(
    `${scope.prefix}/:endpoint_id/deliveries/:delivery_id/redeliver`,
    schema('redeliverWebhook', 'Send a delivery again now, with a fresh retry schedule; enables a disabled endpoint again', {
      params: scope.params.delivery,
      body: S.NoBody,
      response: { ...ok(202, 'the delivery, due now', W.WebhookDelivery), ...err(400, 401, 403, 404) },
    }),
    async (request, reply) => {
      const delivery = await tb.redeliverWebhook(await scope.owner(request), endpoint_id(request), delivery_id(request));
      return reply.status(202).send(toApiWebhookDelivery(delivery));
    },
  );
}
