// Invitations (the invited user's side). Each route: who may call, one use case, format.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import * as S from '../../contract/schemas';
import * as M from '../../contract/members';
import { toApiInvitation } from '../format';
import { who, invitee, actor, err, ok, type Ctx } from './kit';

/** Invitations (the invited user's side). */
export function invitationRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.get(
    '/v1/invitations',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'listInvitations',
        summary: "The signed-in user's pending invitations",
        querystring: S.PageQuery,
        response: { ...ok(200, 'invitations', M.InvitationList), ...err(400, 401, 403) },
      },
    },
    async (request) => {
      const page = await tb.listInvitations(invitee(who(request)), request.query);
      const now_ms = deps.clock.now_ms();
      return {
        ...page,
        data: page.data.map((r) => ({ ...toApiInvitation(r.invitation, now_ms), account_name: r.account_name, account_kind: r.account_kind })),
      };
    },
  );

  api.post(
    '/v1/invitations/:id/accept',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'acceptInvitation',
        summary: 'Accept an invitation sent to your email: you become a member (a team plan needs a free seat)',
        params: S.IdParams,
        body: S.NoBody,
        response: { ...ok(200, 'the accepted invitation', M.Invitation), ...err(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      return toApiInvitation(await tb.acceptInvitation(request.params.id, invitee(who(request)), actor(request)), deps.clock.now_ms());
    },
  );

  api.post(
    '/v1/invitations/:id/decline',
    {
      schema: {
        tags: ['accounts'],
        operationId: 'declineInvitation',
        summary: 'Decline an invitation sent to your email',
        params: S.IdParams,
        body: S.NoBody,
        response: { ...ok(200, 'the declined invitation', M.Invitation), ...err(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      return toApiInvitation(await tb.declineInvitation(request.params.id, invitee(who(request)), actor(request)), deps.clock.now_ms());
    },
  );
}
