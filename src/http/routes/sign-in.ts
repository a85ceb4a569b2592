// Sign-in, personal tokens and service tokens. Each route: who may call, one use case, format.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { createPersonalToken, createServiceToken, requireOperator, revokeToken, signIn, signOut } from '../../app/auth';
import { wholePage } from '../../app/reads';
import * as S from '../../contract/schemas';
import { toApiAccountSummary } from '../format';
import { who, err, ok, type Ctx } from './kit';

/** Sign-in. */
export function signInRoutes(app: FastifyInstance, ctx: Ctx) {
  sessionRoutes(app, ctx);
  personalTokenRoutes(app, ctx);
  serviceTokenRoutes(app, ctx);
}

function sessionRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.post(
    '/v1/sessions',
    {
      schema: {
        tags: ['sign-in'],
        operationId: 'createSession',
        summary: 'Sign in with email and password',
        security: [],
        body: S.SessionRequest,
        response: { ...ok(201, 'a session token, also set as the page cookie', S.SessionResponse), ...err(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const session = await signIn(deps, request.body, { address: request.ip });
      reply.setCookie('tb_session', session.token, {
        httpOnly: true,
        sameSite: 'strict',
        secure: ctx.secure_cookies,
        path: '/',
        expires: new Date(session.expires_at_ms),
      });
      return reply
        .status(201)
        .send({ token: session.token, expires_at: new Date(session.expires_at_ms).toISOString(), user: { id: session.user.id, email: session.user.email } });
    },
  );

  api.delete(
    '/v1/sessions/current',
    {
      schema: {
        tags: ['sign-in'],
        operationId: 'deleteSession',
        summary: 'Sign out',
        body: S.NoBody,
        response: { ...ok(200, 'signed out', S.OkResponse), ...err(400, 401) },
      },
    },
    async (request, reply) => {
      await signOut(deps, who(request));
      reply.clearCookie('tb_session', { path: '/' });
      return { ok: true };
    },
  );

  api.get(
    '/v1/me',
    {
      schema: {
        tags: ['sign-in'],
        operationId: 'getMe',
        summary: 'Who am I, and which accounts I belong to',
        response: { ...ok(200, 'the caller', S.MeResponse), ...err(401) },
      },
    },
    async (request) => {
      const p = who(request);
      if (p.kind !== 'user') return { kind: p.kind, accounts: [] };
      const memberships = await tb.listMemberships(p.user_id);
      return { kind: 'user', user: { id: p.user_id, email: p.email }, accounts: memberships.map((m) => toApiAccountSummary(m.account, m.role)) };
    },
  );
}

function personalTokenRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.post(
    '/v1/tokens',
    {
      schema: {
        tags: ['sign-in'],
        operationId: 'createPersonalToken',
        summary: 'Create a personal access token (for the CLI); the secret is shown once',
        body: S.TokenRequest,
        response: { ...ok(201, 'the new token', S.PersonalTokenResponse), ...err(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { token, record } = await createPersonalToken(deps, who(request), request.body);
      return reply
        .status(201)
        .send({ id: record.id, token, name: record.name, expires_at: record.expires_at_ms === null ? null : new Date(record.expires_at_ms).toISOString() });
    },
  );

  api.delete(
    '/v1/tokens/:id',
    {
      schema: {
        tags: ['sign-in'],
        operationId: 'revokePersonalToken',
        summary: 'Revoke one of your personal access tokens (e.g. on logout)',
        params: S.IdParams,
        body: S.NoBody,
        response: { ...ok(200, 'revoked', S.RevokedResponse), ...err(400, 401, 404) },
      },
    },
    async (request) => {
      await revokeToken(deps, who(request), request.params.id, 'personal');
      return { id: request.params.id, revoked: true };
    },
  );
}

function serviceTokenRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;
  const deps = tb.deps;

  api.post(
    '/v1/service-tokens',
    {
      schema: {
        tags: ['operator'],
        operationId: 'createServiceToken',
        summary: 'Create a service token for the model gateway (metering calls only)',
        body: S.ServiceTokenRequest,
        response: { ...ok(201, 'the new token; the secret is shown once', S.ServiceTokenResponse), ...err(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { token, record } = await createServiceToken(deps, who(request), request.body);
      return reply.status(201).send({ id: record.id, token, name: record.name });
    },
  );

  api.get(
    '/v1/service-tokens',
    {
      schema: {
        tags: ['operator'],
        operationId: 'listServiceTokens',
        summary: 'List service tokens (never their secrets)',
        response: { ...ok(200, 'tokens', S.ServiceTokenList), ...err(401, 403) },
      },
    },
    async (request) => {
      requireOperator(who(request));
      const tokens = await tb.listServiceTokens();
      return wholePage(tokens.map((t) => ({ id: t.id, name: t.name, created_at: new Date(t.created_at_ms).toISOString() })));
    },
  );

  api.delete(
    '/v1/service-tokens/:id',
    {
      schema: {
        tags: ['operator'],
        operationId: 'revokeServiceToken',
        summary: 'Revoke a service token',
        params: S.IdParams,
        body: S.NoBody,
        response: { ...ok(200, 'revoked', S.RevokedResponse), ...err(400, 401, 403, 404) },
      },
    },
    async (request) => {
      await revokeToken(deps, who(request), request.params.id, 'service');
      return { id: request.params.id, revoked: true };
    },
  );
}
