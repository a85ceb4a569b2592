// What an organization's API credits did (issue 12, part 5): usage by day or month grouped by key
// or model, the ledger's transactions, the events. Paged like every list (data, has_more, next_cursor).
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requireOrgRole } from '../../app/orgs';
import * as O from '../../contract/orgs';
import * as S from '../../contract/schemas';
import { requireOperator } from '../../app/auth';
import { who, actor, err, ok, type Ctx } from './kit';

export function orgHistoryRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.get(
    '/v1/orgs/:id/usage',
    {
      schema: {
        tags: ['orgs'],
        operationId: 'getOrgUsage',
        summary: "The organization's API usage: ?from&to&granularity=day|month&group_by=key|model → buckets with tokens and cost_micros",
        params: S.IdParams,
        querystring: O.OrgUsageQuery,
        response: { ...ok(200, 'usage buckets', O.OrgUsageResponse), ...err(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await requireOrgRole(deps, who(request), request.params.id, 'developer');
      return tb.getOrgUsage(request.params.id, request.query);
    },
  );

  api.get(
    '/v1/orgs/:id/transactions',
    {
      schema: {
        tags: ['orgs'],
        operationId: 'listOrgTransactions',
        summary: 'API credit purchases, reloads, grants and usage charges of the organization, newest first (paged by ?cursor=)',
        params: S.IdParams,
        querystring: S.PageQuery,
        response: { ...ok(200, 'transactions', S.TransactionList), ...err(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await requireOrgRole(deps, who(request), request.params.id, 'developer');
      return tb.listTransactions(request.params.id, request.query);
    },
  );

  api.get(
    '/v1/orgs/:id/events',
    {
      schema: {
        tags: ['orgs'],
        operationId: 'listOrgEvents',
        summary: "The organization's notifications (credits purchased, reloads, limit warnings), newest first",
        params: S.IdParams,
        querystring: S.PageQuery,
        response: { ...ok(200, 'events', S.EventList), ...err(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await requireOrgRole(deps, who(request), request.params.id, 'developer');
      const page = await tb.listEvents(request.params.id, request.query);
      return {
        account_id: request.params.id,
        ...page,
        data: page.data.map((e) => ({ id: e.id, type: e.type, payload: e.payload, created_at: new Date(e.created_at_ms).toISOString() })),
      };
    },
  );
}

/** The operator's usage tiers of API organizations (SPEC §1.9). */
export function apiTierRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;

  api.get(
    '/v1/api-tiers',
    {
      schema: {
        tags: ['orgs'],
        operationId: 'listApiTiers',
        summary: 'Usage tiers of API organizations: rate limits and the cumulative purchases that reach them (operator)',
        response: { ...ok(200, 'the tiers', O.ApiTiersBody), ...err(401, 403) },
      },
    },
    async (request) => {
      requireOperator(who(request));
      return { tiers: await tb.listApiTiers() };
    },
  );

  api.put(
    '/v1/api-tiers',
    {
      schema: {
        tags: ['orgs'],
        operationId: 'putApiTiers',
        summary: 'Replace the usage tiers (operator); an org is in the highest tier its purchases reach',
        body: O.ApiTiersBody,
        response: { ...ok(200, 'the tiers', O.ApiTiersBody), ...err(400, 401, 403) },
      },
    },
    async (request) => {
      requireOperator(who(request));
      return { tiers: await tb.replaceApiTiers(request.body, actor(request)) };
    },
  );
}
