// The HTTP adapter: Fastify with closed schemas, one auth hook, one error table, OpenAPI.
// Handlers parse, call one use case and format; rules live in app/ and domain/.
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { randomUUID } from 'node:crypto';
import client from 'prom-client';
import { authenticate, type Principal } from '../app/auth';
import type { Tokenbank } from '../app/tokenbank';
import { AppError } from '../domain/refusals';
import { ErrorBody } from '../contract/schemas';
import { STATUS_OF } from './errors';
import { registerRoutes } from './routes';

export const http_limits = {
  body_bytes_max: 1_048_576, // 1 MiB: a full batch of 1,000 usage events is ~300 KB
  request_timeout_ms: 30_000,
  session_cookie_name: 'tb_session',
} as const;

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export interface ServerOptions {
  tb: Tokenbank;
  logger?: boolean | object;
  /** Cookies are marked Secure when the page is served over https. */
  secure_cookies?: boolean;
}

export interface Metrics {
  registry: client.Registry;
  refusals: client.Counter<'type'>;
}

function createMetrics(tb: Tokenbank): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const requests = new client.Counter({ name: 'tokenbank_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const refusals = new client.Counter({ name: 'tokenbank_refusals_total', help: 'Refusals by type', labelNames: ['type'], registers: [registry] });
  const commit = new client.Histogram({ name: 'tokenbank_ledger_commit_seconds', help: 'Time to commit one metering batch', buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1], registers: [registry] });
  const batch_ops = new client.Histogram({ name: 'tokenbank_ledger_batch_operations', help: 'Operations per committed metering batch', buckets: [1, 2, 5, 10, 50, 100, 500, 1000], registers: [registry] });
  new client.Gauge({
    name: 'tokenbank_holds_open',
    help: 'Authorizations currently holding funds',
    registers: [registry],
    async collect() {
      this.set(await tb.store.countOpenHolds());
    },
  });
  new client.Gauge({
    name: 'tokenbank_meter_queue_depth',
    help: 'Metering operations waiting for a batch',
    registers: [registry],
    collect() {
      this.set(tb.meter.stats.queue_depth);
    },
  });
  const late = new client.Counter({ name: 'tokenbank_late_settlements_total', help: 'Settlements of holds that had expired, by whether their late-settlement window (still counted against the spend limit) was open', labelNames: ['window'], registers: [registry] });
  const beyond = new client.Counter({ name: 'tokenbank_settlements_beyond_hold_total', help: 'Settlements charged beyond what their hold covered (more tokens, or undeclared cache writes)', registers: [registry] });
  late.inc({ window: 'open' }, 0);
  late.inc({ window: 'ended' }, 0);
  tb.meter.onCommit = ({ ops, commit_ms, counts }) => {
    commit.observe(commit_ms / 1000);
    batch_ops.observe(ops);
    if (counts.late_settlements_in_window > 0) late.inc({ window: 'open' }, counts.late_settlements_in_window);
    if (counts.late_settlements_after_window > 0) late.inc({ window: 'ended' }, counts.late_settlements_after_window);
    if (counts.settlements_beyond_hold > 0) beyond.inc(counts.settlements_beyond_hold);
  };
  (registry as unknown as { requests: typeof requests }).requests = requests;
  return { registry, refusals };
}

/** The host of an Origin header; null for `Origin: null` (sandboxed or privacy-sensitive contexts) or anything unparseable. */
function originHost(origin: string): string | null {
  try {
    return new URL(origin).host;
  } catch {
    return null;
  }
}

/** 400 with the field named, from an Ajv validation error. */
function validationMessage(error: FastifyError): { field: string; message: string } {
  const first = error.validation?.[0];
  if (!first) return { field: 'body', message: error.message };
  const params = first.params as Record<string, unknown>;
  const base = (first.instancePath || '').replace(/^\//, '').replace(/\//g, '.');
  const context = error.validationContext ?? 'body';
  const prefix = context === 'body' ? '' : `${context}.`;
  if (params.missingProperty) return { field: `${prefix}${base ? `${base}.` : ''}${String(params.missingProperty)}`, message: 'is required' };
  if (params.additionalProperty) return { field: `${prefix}${base ? `${base}.` : ''}${String(params.additionalProperty)}`, message: 'is not a known field' };
  return { field: `${prefix}${base || context}`, message: first.message ?? 'is invalid' };
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const { tb } = options;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: http_limits.body_bytes_max,
    requestTimeout: http_limits.request_timeout_ms,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
    },
    // Refuse, never reinterpret: no coercion of "5" into 5, no silent dropping of unknown fields.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
  });
  const metrics = createMetrics(tb);
  tb.meter.onFault = ({ stage, error }) => app.log.error({ err: error, stage }, 'metering fault');
  app.decorateRequest('principal', null);

  await app.register(cookie);
  await app.register(swagger, {
    // Shared schemas appear in components under their $id (Error), not as def-0, def-1, ….
    refResolver: { buildLocalReference: (json, _base_uri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Tokenbank API', version: '1.0.0', description: 'Billing core of an AI assistant service: plan allowances, extra usage credits, hard monthly spend limits, holds and settlements. Amounts are integer micro-dollars (fields end in _micros).', license: { name: 'Proprietary', url: 'https://example.com/license' } },
      servers: [{ url: 'http://localhost:8080' }],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: http_limits.session_cookie_name } } },
      security: [{ bearer: [] }, { session: [] }],
      tags: [
        { name: 'sign-in', description: 'Sessions and tokens' },
        { name: 'accounts', description: 'Accounts, members and subscriptions' },
        { name: 'extra-usage', description: 'Credits, spend limits and auto-reload' },
        { name: 'metering', description: 'Calls of the model gateway: holds, settlements, usage events' },
        { name: 'operator', description: 'Catalog, grants, audit' },
        { name: 'system', description: 'Health and metrics' },
      ],
    },
  });
  app.addSchema(ErrorBody);
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });

  app.addHook('onRequest', async (request, reply) => {
    const header = request.headers.authorization;
    let token: string | undefined;
    let via_cookie = false;
    if (typeof header === 'string' && header.startsWith('Bearer ')) token = header.slice(7).trim();
    else if (request.cookies?.[http_limits.session_cookie_name]) {
      token = request.cookies[http_limits.session_cookie_name];
      via_cookie = true;
    }
    if (!token) return;
    const principal = await authenticate(tb.deps, token);
    if (!principal) {
      if (via_cookie) return; // a stale cookie is the same as none
      throw new AppError('unauthenticated', 'The bearer token is unknown, revoked or expired. Sign in again (POST /v1/sessions) or use a current token.');
    }
    // CSRF: a cookie-authenticated change must come from our own origin (JSON-only + SameSite=Strict do the rest).
    if (via_cookie && !['GET', 'HEAD', 'OPTIONS'].includes(request.method)) {
      const origin = request.headers.origin;
      if (typeof origin === 'string' && originHost(origin) !== request.headers.host) throw new AppError('forbidden', 'Cross-site request refused.');
    }
    request.principal = principal;
    void reply;
  });

  app.addHook('onResponse', async (request, reply) => {
    (metrics.registry as unknown as { requests: client.Counter }).requests.inc({ method: request.method, route: request.routeOptions.url ?? 'unknown', status: String(reply.statusCode) });
  });

  app.setErrorHandler((error: FastifyError | AppError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof AppError) return sendError(reply, request, error, metrics);
    const fe = error as FastifyError;
    if (fe.validation) {
      const { field, message } = validationMessage(fe);
      return sendError(reply, request, new AppError('invalid_request', `${field}: ${message}`, { field }), metrics);
    }
    if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || fe.statusCode === 415) return sendError(reply, request, new AppError('invalid_request', 'Content-Type must be application/json.', { field: 'content-type' }), metrics, 415);
    if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendError(reply, request, new AppError('invalid_request', `The body is larger than ${http_limits.body_bytes_max} bytes.`, { field: 'body' }), metrics, 413);
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return sendError(reply, request, new AppError('invalid_request', fe.message, { field: 'body' }), metrics, fe.statusCode);
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, request, new AppError('internal_error', `Something broke on our side; nothing was charged twice. Request id: ${request.id}.`), metrics);
  });

  app.setNotFoundHandler((request, reply) => sendError(reply, request, new AppError('not_found', `No route ${request.method} ${request.url}`), metrics));

  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true, engine: tb.store.engine }));
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  registerRoutes(app, { tb, secure_cookies: options.secure_cookies ?? false });
  return app;
}

function sendError(reply: FastifyReply, request: FastifyRequest, error: AppError, metrics: Metrics, status?: number) {
  const code = status ?? STATUS_OF[error.type] ?? 500;
  if (code === 402 || code === 429) metrics.refusals.inc({ type: error.type });
  const retry = error.figures.retry_after_s;
  if ((code === 429 || code === 503) && typeof retry === 'number') reply.header('retry-after', String(retry));
  return reply.status(code).send({ error: { type: error.type, message: error.message, ...error.figures, request_id: request.id } });
}
