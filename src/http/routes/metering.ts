// Metering: the model gateway's calls. Each route: who may call, one use case, format.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requireMetering, requireRole } from '../../app/auth';
import { AppError, notFound } from '../../domain/refusals';
import * as S from '../../contract/schemas';
import { toApiAuthorization, toApiUsageRecord } from '../format';
import { who, actor, idem, err, ok, okKeyed, markReplay, type Ctx } from './kit';

/** Metering (the model gateway). */
export function meteringRoutes(app: FastifyInstance, ctx: Ctx) {
  authorizationRoutes(app, ctx);
  settlementRoutes(app, ctx);
  usageEventRoutes(app, ctx);
}

function authorizationRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.post(
    '/v1/authorizations',
    {
      schema: {
        tags: ['metering'],
        operationId: 'authorize',
        summary: 'Place a hold for the largest cost a request can have, or refuse with the reason',
        body: S.AuthorizeRequest,
        response: { ...okKeyed(201, 'the hold', S.AuthorizationResponse), ...err(400, 401, 402, 403, 404, 409, 429, 503) },
      },
    },
    async (request, reply) => {
      requireMetering(who(request));
      const authorization = await tb.authorize(request.body, idem(request)).catch((error: unknown) => {
        // An API organization's 429 carries the rate-limit headers too (issue 12).
        if (error instanceof AppError && error.type === 'rate_limited') rateHeaders(reply, error.figures);
        throw error;
      });
      if (authorization.rate_limits) rateHeaders(reply, authorization.rate_limits);
      markReplay(reply, authorization.replayed);
      return reply.status(201).send(toApiAuthorization(authorization));
    },
  );

  api.get(
    '/v1/authorizations/:id',
    {
      schema: {
        tags: ['metering'],
        operationId: 'getAuthorization',
        summary: 'An authorization with its funding receipt',
        params: S.IdParams,
        response: { ...ok(200, 'the authorization', S.AuthorizationResponse), ...err(401, 403, 404) },
      },
    },
    async (request) => {
      const p = who(request);
      const auth = await tb.getAuthorization(request.params.id);
      const missing = notFound('authorization', request.params.id);
      if (!auth) throw missing;
      if (p.kind === 'user') await requireRole(deps, p, auth.account_id, 'member', missing);
      return toApiAuthorization(auth);
    },
  );
}

function settlementRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;

  api.post(
    '/v1/authorizations/:id/settle',
    {
      schema: {
        tags: ['metering'],
        operationId: 'settle',
        summary: 'Charge the real usage and release the rest of the hold',
        params: S.IdParams,
        body: S.SettleRequest,
        response: { ...ok(200, 'the settled authorization', S.AuthorizationResponse), ...err(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      requireMetering(who(request));
      const settled = await tb.settle(request.params.id, request.body, actor(request));
      if (settled.rate_limits) rateHeaders(reply, settled.rate_limits);
      return toApiAuthorization(settled);
    },
  );

  api.post(
    '/v1/authorizations/:id/release',
    {
      schema: {
        tags: ['metering'],
        operationId: 'release',
        summary: 'Drop a hold with no charge',
        params: S.IdParams,
        body: S.NoBody,
        response: { ...ok(200, 'the released authorization', S.AuthorizationResponse), ...err(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      requireMetering(who(request));
      const released = await tb.release(request.params.id);
      if (released.rate_limits) rateHeaders(reply, released.rate_limits);
      return toApiAuthorization(released);
    },
  );
}

function usageEventRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;

  api.post(
    '/v1/usage-events',
    {
      schema: {
        tags: ['metering'],
        operationId: 'recordUsageEvents',
        summary: 'Usage without a hold (≤ 1000 events); never refused for lack of funds; charged once per event id',
        body: S.UsageEventsRequest,
        response: { ...ok(200, 'one result per event, in order', S.UsageEventsResponse), ...err(400, 401, 403) },
      },
    },
    async (request) => {
      requireMetering(who(request));
      const results = await tb.recordUsageEvents(request.body.events, actor(request));
      // An event's internal error is answered without its cause; the cause goes to the log.
      for (const r of results)
        if (!r.ok && r.error.type === 'internal_error') request.log.error({ err: r.error.cause, request_id: request.id }, r.error.message);
      return {
        data: results.map((r, i) =>
          r.ok
            ? { id: request.body.events[i]!.id, status: r.duplicate ? 'duplicate' : 'recorded', usage_record: toApiUsageRecord(r.record) }
            : { id: request.body.events[i]!.id, status: 'error', error: { type: r.error.type, message: r.error.message, ...r.error.figures } },
        ),
      };
    },
  );
}

/** Anthropic-style `anthropic-ratelimit-*` headers of a metering answer (limit, remaining, reset per budget). */
function rateHeaders(reply: { header(name: string, value: string): unknown }, values: Record<string, unknown>) {
  for (const [name, value] of Object.entries(values)) if (name.startsWith('anthropic-ratelimit-')) reply.header(name, String(value));
}
