// Accounts, subscriptions and members. Each route: who may call, one use case, format.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { requireOperator, requireRole } from '../../app/auth';
import { wholePage } from '../../app/reads';
import * as S from '../../contract/schemas';
import * as M from '../../contract/members';
import { toApiAccountSummary, toApiInvitation } from '../format';
import { who, actor, caller, idem, err, ok, okKeyed, markReplay, type Ctx } from './kit';

/** Accounts. */
export function accountRoutes(app: FastifyInstance, ctx: Ctx) {
  accountLookupRoutes(app, ctx);
  subscriptionRoutes(app, ctx);
  memberRoutes(app, ctx);
}

function accountLookupRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.post(
    '/v1/accounts',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'createAccount',
        summary: 'Create an account with its owner (operator)',
        body: S.CreateAccountRequest,
        response: { ...ok(201, 'the account', S.AccountResponse), ...err(400, 401, 403) },
      },
    },
    async (request, reply) => {
      requireOperator(who(request));
      const { account, owner } = await tb.createAccount(request.body, actor(request));
      return reply.status(201).send({ ...(await tb.getAccountView(account.id)), owner: { id: owner.id, email: owner.email } });
    },
  );

  api.get(
    '/v1/accounts',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'listAccounts',
        summary: 'Accounts the caller may see (all, for the operator; search by name or id)',
        querystring: S.AccountsQuery,
        response: { ...ok(200, 'accounts', S.AccountList), ...err(400, 401, 403) },
      },
    },
    async (request) => {
      const p = who(request);
      if (p.kind === 'user') {
        const page = await tb.listUserAccounts(p.user_id, request.query);
        return { ...page, data: page.data.map((m) => toApiAccountSummary(m.account, m.role)) };
      }
      requireOperator(p);
      const page = await tb.listAccounts(request.query);
      return { ...page, data: page.data.map((a) => toApiAccountSummary(a)) };
    },
  );

  api.get(
    '/v1/accounts/:id',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'getAccount',
        summary: 'Account, plan, and allowance windows with used, limit, resets_at',
        params: S.IdParams,
        response: { ...ok(200, 'the account', S.AccountResponse), ...err(401, 403, 404) },
      },
    },
    async (request) => {
      const p = who(request);
      const role = await requireRole(deps, p, request.params.id, 'member');
      return { ...(await tb.getAccountView(request.params.id, p.kind === 'user' ? p.user_id : null)), role };
    },
  );
}

function subscriptionRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.put(
    '/v1/accounts/:id/subscription',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'changeSubscription',
        summary: 'Change plan or seats (owner); on a lapsed account, start a new subscription',
        params: S.IdParams,
        body: S.SubscriptionRequest,
        response: { ...okKeyed(200, 'the account', S.AccountResponse), ...err(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await requireRole(deps, who(request), request.params.id, 'owner');
      const changed = await tb.changeSubscription(request.params.id, request.body, actor(request), idem(request));
      markReplay(reply, changed.replayed);
      return changed.answer;
    },
  );

  api.delete(
    '/v1/accounts/:id/subscription',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'cancelSubscription',
        summary: 'Cancel at the end of the current cycle (owner); the balance is kept',
        params: S.IdParams,
        body: S.NoBody,
        response: { ...ok(200, 'the account', S.AccountResponse), ...err(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      await requireRole(deps, who(request), request.params.id, 'owner');
      await tb.cancelSubscription(request.params.id, actor(request));
      return tb.getAccountView(request.params.id);
    },
  );
}

function memberRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.get(
    '/v1/accounts/:id/members',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'listMembers',
        summary: 'Members and their roles',
        params: S.IdParams,
        response: { ...ok(200, 'members', M.MemberList), ...err(401, 403, 404) },
      },
    },
    async (request) => {
      await requireRole(deps, who(request), request.params.id, 'member');
      return { account_id: request.params.id, ...wholePage(await tb.listMembers(request.params.id)) };
    },
  );

  api.post(
    '/v1/accounts/:id/members',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'inviteMember',
        summary: 'Invite a member by email (owner): 202 with the invitation, the same whether or not the email is registered; team plans need a free seat',
        params: S.IdParams,
        body: M.InviteMemberRequest,
        response: { ...ok(202, 'the invitation', M.Invitation), ...err(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await requireRole(deps, who(request), request.params.id, 'owner');
      const invitation = await tb.inviteMember('plan', request.params.id, request.body, actor(request));
      return reply.status(202).send(toApiInvitation(invitation, deps.clock.now_ms()));
    },
  );

  api.patch(
    '/v1/accounts/:id/members/:user_id',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'changeMemberRole',
        summary: "Give a member another role (owner); the account's only owner cannot be made billing or member",
        params: M.MemberParams,
        body: M.MemberRoleRequest,
        response: { ...ok(200, 'the member now', M.MemberChanged), ...err(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const role = await requireRole(deps, who(request), request.params.id, 'owner');
      const p = request.params;
      return {
        account_id: p.id,
        ...(await tb.changeMember({ kind: 'plan', account_id: p.id, user_id: p.user_id, change: request.body }, caller(request, role), actor(request))),
      };
    },
  );

  api.delete(
    '/v1/accounts/:id/members/:user_id',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'removeMember',
        summary: 'Remove a member (owner), or leave (any member, their own user id); the only owner cannot be removed',
        params: M.MemberParams,
        body: S.NoBody,
        response: { ...ok(200, 'the member removed (role null)', M.MemberChanged), ...err(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const role = await requireRole(deps, who(request), request.params.id, 'member');
      const p = request.params;
      return {
        account_id: p.id,
        ...(await tb.changeMember({ kind: 'plan', account_id: p.id, user_id: p.user_id, change: { remove: true } }, caller(request, role), actor(request))),
      };
    },
  );
}
