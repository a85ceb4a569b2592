// API organizations (issue 12): organizations, members, settings, API keys. Each route: who may
// call, one use case, format. An org's roles: admin (members, keys), billing (credits, cards,
// limits), developer (reads); the operator everything.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requireOperator } from '../../app/auth';
import { requireOrgRole } from '../../app/orgs';
import { wholePage } from '../../app/reads';
import * as O from '../../contract/orgs';
import * as S from '../../contract/schemas';
import * as M from '../../contract/members';
import { toApiApiKey, toApiOrgMember, toApiOrgSummary } from '../format-orgs';
import { who, actor, caller, idem, err, ok, okKeyed, markReplay, type Ctx } from './kit';
import { toApiInvitation } from '../format';
import { orgCreditRoutes } from './org-credits';
import { apiTierRoutes, orgHistoryRoutes } from './org-history';

export function orgRoutes(app: FastifyInstance, ctx: Ctx) {
  orgLookupRoutes(app, ctx);
  orgMemberRoutes(app, ctx);
  apiKeyRoutes(app, ctx);
  orgCreditRoutes(app, ctx);
  orgHistoryRoutes(app, ctx);
  apiTierRoutes(app, ctx);
}

function orgLookupRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.post(
    '/v1/orgs',
    {
      schema: {
        tags: ['orgs'],
        operationId: 'createOrg',
        summary: 'Create an API organization with its first admin (operator)',
        body: O.CreateOrgRequest,
        response: { ...ok(201, 'the organization', O.OrgResponse), ...err(400, 401, 403) },
      },
    },
    async (request, reply) => {
      requireOperator(who(request));
      const { org, admin } = await tb.createOrg(request.body, actor(request));
      return reply.status(201).send({ ...(await tb.getOrg(org.id)), role: 'operator', admin: { id: admin.id, email: admin.email } });
    },
  );

  api.get(
    '/v1/orgs',
    {
      schema: {
        tags: ['orgs'],
        operationId: 'listOrgs',
        summary: 'API organizations the caller may see (all, for the operator; theirs, for a user)',
        querystring: S.PageQuery,
        response: { ...ok(200, 'organizations', O.OrgList), ...err(400, 401, 403) },
      },
    },
    async (request) => {
      const page = await tb.listOrgs(who(request), request.query);
      return { ...page, data: page.data.map((r) => toApiOrgSummary(r.org, r.role)) };
    },
  );

  api.get(
    '/v1/orgs/:id',
    {
      schema: {
        tags: ['orgs'],
        operationId: 'getOrg',
        summary: 'An organization: API credits (balance, held, available), monthly limit and spend, tier and rate limits',
        params: S.IdParams,
        response: { ...ok(200, 'the organization', O.OrgResponse), ...err(401, 403, 404) },
      },
    },
    async (request) => {
      const role = await requireOrgRole(deps, who(request), request.params.id, 'developer');
      return { ...(await tb.getOrg(request.params.id)), role };
    },
  );

  api.patch(
    '/v1/orgs/:id',
    {
      schema: {
        tags: ['orgs'],
        operationId: 'updateOrg',
        summary: "The organization's monthly limit (a hard cap) and auto-reload (billing)",
        params: S.IdParams,
        body: O.OrgPatchRequest,
        response: { ...okKeyed(200, 'the organization', O.OrgResponse), ...err(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const role = await requireOrgRole(deps, who(request), request.params.id, 'billing');
      const changed = await tb.updateOrg(request.params.id, request.body, actor(request), idem(request));
      markReplay(reply, changed.replayed);
      return { ...changed.answer, role };
    },
  );
}

function orgMemberRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.get(
    '/v1/orgs/:id/members',
    {
      schema: {
        tags: ['orgs'],
        operationId: 'listOrgMembers',
        summary: 'Members of the organization and their roles',
        params: S.IdParams,
        response: { ...ok(200, 'members', O.OrgMemberList), ...err(401, 403, 404) },
      },
    },
    async (request) => {
      await requireOrgRole(deps, who(request), request.params.id, 'developer');
      return { org_id: request.params.id, ...wholePage((await tb.listOrgMembers(request.params.id)).map(toApiOrgMember)) };
    },
  );

  api.post(
    '/v1/orgs/:id/members',
    {
      schema: {
        tags: ['orgs'],
        operationId: 'inviteOrgMember',
        summary:
          'Invite a member by email with a role: admin, billing or developer (admin): 202 with the invitation, the same whether or not the email is registered',
        params: S.IdParams,
        body: O.InviteOrgMemberRequest,
        response: { ...ok(202, 'the invitation', M.Invitation), ...err(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await requireOrgRole(deps, who(request), request.params.id, 'admin');
      const invitation = await tb.inviteMember('api_org', request.params.id, request.body, actor(request));
      return reply.status(202).send(toApiInvitation(invitation, deps.clock.now_ms()));
    },
  );

  api.patch(
    '/v1/orgs/:id/members/:user_id',
    {
      schema: {
        tags: ['orgs'],
        operationId: 'changeOrgMemberRole',
        summary: "Give a member another role (admin); the organization's only admin cannot be made billing or developer",
        params: M.MemberParams,
        body: O.OrgMemberRoleRequest,
        response: { ...ok(200, 'the member now', M.MemberChanged), ...err(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const role = await requireOrgRole(deps, who(request), request.params.id, 'admin');
      const p = request.params;
      return {
        account_id: p.id,
        ...(await tb.changeMember({ kind: 'api_org', account_id: p.id, user_id: p.user_id, change: request.body }, caller(request, role), actor(request))),
      };
    },
  );

  api.delete(
    '/v1/orgs/:id/members/:user_id',
    {
      schema: {
        tags: ['orgs'],
        operationId: 'removeOrgMember',
        summary: 'Remove a member (admin), or leave (any member, their own user id); the only admin cannot be removed',
        params: M.MemberParams,
        body: S.NoBody,
        response: { ...ok(200, 'the member removed (role null)', M.MemberChanged), ...err(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const role = await requireOrgRole(deps, who(request), request.params.id, 'developer');
      const p = request.params;
      return {
        account_id: p.id,
        ...(await tb.changeMember({ kind: 'api_org', account_id: p.id, user_id: p.user_id, change: { remove: true } }, caller(request, role), actor(request))),
      };
    },
  );
}

function apiKeyRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.post(
    '/v1/orgs/:id/keys',
    {
      schema: {
        tags: ['orgs'],
        operationId: 'createApiKey',
        summary: 'A new API key (admin): the secret (tbk_…) is in this answer only; it is stored as a hash',
        params: S.IdParams,
        body: O.CreateApiKeyRequest,
        response: { ...ok(201, 'the key with its secret, shown once', O.ApiKeyCreated), ...err(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await requireOrgRole(deps, who(request), request.params.id, 'admin');
      const created = await tb.createApiKey(request.params.id, request.body, actor(request));
      return reply.status(201).send({ ...toApiApiKey(created), secret: created.secret });
    },
  );

  api.get(
    '/v1/orgs/:id/keys',
    {
      schema: {
        tags: ['orgs'],
        operationId: 'listApiKeys',
        summary: "The organization's API keys: prefix, name, limit, spent this month, created and last used (never the secret)",
        params: S.IdParams,
        response: { ...ok(200, 'keys, newest first', O.ApiKeyList), ...err(401, 403, 404) },
      },
    },
    async (request) => {
      await requireOrgRole(deps, who(request), request.params.id, 'developer');
      return { org_id: request.params.id, ...wholePage((await tb.listApiKeys(request.params.id)).map(toApiApiKey)) };
    },
  );

  api.delete(
    '/v1/orgs/:id/keys/:key_id',
    {
      schema: {
        tags: ['orgs'],
        operationId: 'revokeApiKey',
        summary: 'Revoke an API key (admin): refused at once on every server process',
        params: O.OrgKeyParams,
        body: S.NoBody,
        response: { ...ok(200, 'the revoked key', O.ApiKey), ...err(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await requireOrgRole(deps, who(request), request.params.id, 'admin');
      return toApiApiKey(await tb.revokeApiKey(request.params.id, request.params.key_id, actor(request)));
    },
  );
}
