// Operator: catalog and audit. Each route: who may call, one use case, format.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requireOperator } from '../../app/auth';
import * as S from '../../contract/schemas';
import * as v from '../../app/validate';
import type { CatalogInput } from '../../app/ports';
import { who, actor, err, ok, type Ctx } from './kit';

/** Operator. */
export function operatorRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;

  api.get(
    '/v1/catalog',
    {
      schema: {
        tags: ['operator'],
        operationId: 'getCatalog',
        summary: 'Plans, models with dated prices, apps and their funding policy',
        response: { ...ok(200, 'the catalog', S.CatalogResponse), ...err(401) },
      },
    },
    async (request) => {
      who(request);
      const catalog = await tb.catalog();
      return {
        plans: [...catalog.plans.values()],
        models: [...catalog.models.values()],
        prices: [...catalog.prices.values()].flat().map(({ effective_at_ms, ...p }) => ({ ...p, effective_at: new Date(effective_at_ms).toISOString() })),
        apps: [...catalog.apps.values()],
      };
    },
  );

  api.put(
    '/v1/catalog',
    {
      schema: {
        tags: ['operator'],
        operationId: 'putCatalog',
        summary: 'Add or change plans, models, prices (new dated versions) and apps (operator)',
        body: S.CatalogBody,
        response: { ...ok(200, 'saved', S.OkResponse), ...err(400, 401, 403) },
      },
    },
    async (request) => {
      requireOperator(who(request));
      const body = request.body;
      const data: CatalogInput = {
        plans: body.plans,
        models: body.models,
        apps: body.apps,
        prices: body.prices.map(({ effective_at, ...p }, i) => ({ ...p, effective_at_ms: v.timestampMs(`prices[${i}].effective_at`, effective_at) })),
      };
      await tb.replaceCatalog(data, actor(request));
      return { ok: true };
    },
  );

  api.get(
    '/v1/audit',
    {
      schema: {
        tags: ['operator'],
        operationId: 'audit',
        summary: 'The ledger proof: Σ per currency = 0, every wallet = Σ its entries, holds consistent (operator)',
        response: { ...ok(200, 'audit result', S.AuditResponse), ...err(401, 403) },
      },
    },
    async (request) => {
      requireOperator(who(request));
      const audit = await tb.audit();
      return { ok: audit.findings.length === 0, ...audit };
    },
  );

  api.get(
    '/v1/audit-log',
    {
      schema: {
        tags: ['operator'],
        operationId: 'auditLog',
        summary: 'Append-only log of money-changing actions (operator)',
        querystring: S.PageQuery,
        response: { ...ok(200, 'entries', S.AuditLogList), ...err(401, 403) },
      },
    },
    async (request) => {
      requireOperator(who(request));
      const page = await tb.listAuditLog(request.query);
      // created_at_ms, the internal copy of created_at, is not part of the answer.
      return { ...page, data: page.data.map(({ created_at_ms, ...e }) => ({ ...e, created_at: new Date(created_at_ms).toISOString() })) };
    },
  );
}
