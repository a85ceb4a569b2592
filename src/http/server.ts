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
import { fieldPath, textProblem } from '../app/validate';
import { limits } from '../domain/limits';
import { API_KEY_PREFIX } from '../domain/orgs';
import { anthropicErrorBody } from '../domain/gateway';
import { formatUsdExact } from '../domain/money';
import { AppError } from '../domain/refusals';
import { ErrorBody } from '../contract/schemas';
import { AnthropicErrorBody } from '../contract/gateway';
import { STATUS_OF } from './errors';
import { registerRoutes } from './routes/index';
import { hasBuiltPage, isPagePath, registerPage, sendPage } from './web';

export const http_limits = {
  body_bytes_max: limits.http_body_bytes_max,
  request_timeout_ms: limits.http_request_timeout_ms,
  session_cookie_name: 'tb_session',
} as const;

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** The caller's X-Request-Id, when it sent a well-formed one; never used as our own id. */
    client_request_id: string | null;
    /** The body's bytes as sent, kept only for routes with `config: { raw_body: true }` (signed webhooks). */
    raw_body?: Buffer;
  }
  interface FastifyContextConfig {
    raw_body?: boolean;
    /** Errors in Anthropic's shape, {"type":"error","error":{…}} (the drop-in gateway, POST /v1/messages). */
    anthropic_errors?: boolean;
    /**
     * An API key (tbk_…) may come as the bearer token: the Anthropic SDK sends its apiKey as
     * `Authorization: Bearer`. It is left to the route (the gateway resolves it as an API key).
     */
    bearer_api_keys?: boolean;
  }
}

export interface ServerOptions {
  tb: Tokenbank;
  logger?: boolean | object;
  /** Cookies are marked Secure when the page is served over https. */
  secure_cookies?: boolean;
  /**
   * The origin (scheme://host[:port]) the page is served from, when a proxy in front changes
   * it (TLS termination). Without it, the origin is this server's: its scheme, Host and port.
   */
  public_origin?: string;
  /**
   * Set while a server's first-start work (catalog, operator token, demo seed) runs after it has
   * bound its port: /healthz answers 503 `starting` until `done`, so a load balancer or a test
   * waits for a ready server.
   */
  startup?: { done: boolean };
  /** A folder with the built page (web/dist): served at /, with index.html for other page paths. */
  web_root?: string;
}

export interface Metrics {
  registry: client.Registry;
  refusals: client.Counter<'type'>;
  /** How the drop-in gateway's holds ended (docs/gateway.md): final, best_known, hold_figures, released, failed. */
  gateway_outcomes: client.Counter<'outcome'>;
}

function createMetrics(tb: Tokenbank): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const requests = new client.Counter({
    name: 'tokenbank_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const refusals = new client.Counter({ name: 'tokenbank_refusals_total', help: 'Refusals by type', labelNames: ['type'], registers: [registry] });
  const commit = new client.Histogram({
    name: 'tokenbank_ledger_commit_seconds',
    help: 'Time to commit one metering batch',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const batch_ops = new client.Histogram({
    name: 'tokenbank_ledger_batch_operations',
    help: 'Operations per committed metering batch',
    buckets: [1, 2, 5, 10, 50, 100, 500, 1000],
    registers: [registry],
  });
  new client.Gauge({
    name: 'tokenbank_holds_open',
    help: 'Authorizations currently holding funds',
    registers: [registry],
    async collect() {
      this.set(await tb.countOpenHolds());
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
  const late = new client.Counter({
    name: 'tokenbank_late_settlements_total',
    help: 'Settlements of holds that had expired, by whether their late-settlement window (still counted against the spend limit) was open',
    labelNames: ['window'],
    registers: [registry],
  });
  const beyond = new client.Counter({
    name: 'tokenbank_settlements_beyond_hold_total',
    help: 'Settlements charged beyond what their hold covered (more tokens, or undeclared cache writes)',
    registers: [registry],
  });
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
  const gateway_outcomes = new client.Counter({
    name: 'tokenbank_gateway_holds_total',
    help: "How the drop-in gateway's holds ended: settled with the upstream's final usage, with the best known usage of a broken stream, at the hold's figures, released (nothing charged), or failed to settle",
    labelNames: ['outcome'],
    registers: [registry],
  });
  for (const outcome of ['final', 'best_known', 'hold_figures', 'released', 'failed']) gateway_outcomes.inc({ outcome }, 0);
  return { registry, refusals, gateway_outcomes };
}

/** The origin (scheme://host[:port]) of a URL, or null for `Origin: null` (sandboxed or privacy-sensitive contexts) or anything unparseable. */
function originOf(url: string): string | null {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

/** The field an Ajv error is about, written as everywhere else: `events[0].timestamp`, `querystring.from`. */
function validationMessage(error: FastifyError): { field: string; message: string } {
  const first = error.validation?.[0];
  if (!first) return { field: 'body', message: error.message };
  const params = first.params as Record<string, unknown>;
  const segments = (first.instancePath || '')
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const context = error.validationContext ?? 'body';
  const prefix = context === 'body' ? [] : [context];
  // A property's name stays a name: an unknown field "0" is `0` (or `auto_reload.0`), not `[0]`.
  const property = (name: unknown) => [fieldPath([...prefix, ...segments]), String(name)].filter((s) => s !== '').join('.');
  if (params.missingProperty) return { field: property(params.missingProperty), message: 'is required' };
  if (params.additionalProperty) return { field: property(params.additionalProperty), message: 'is not a known field' };
  const field = segments.length === 0 ? context : fieldPath([...prefix, ...segments]);
  return { field, message: (first.message ?? 'is invalid') + inDollars(field, params) };
}

/** A bound on an amount in micros, said in dollars too: "must be <= 1000000000000 ($1,000,000.00)". */
function inDollars(field: string, params: Record<string, unknown>): string {
  const bound = params.limit;
  return field.endsWith('_micros') && typeof bound === 'number' && Number.isSafeInteger(bound) ? ` (${formatUsdExact(bound)})` : '';
}

/**
 * The first string in a parsed request part that cannot be stored exactly (NUL, lone
 * surrogate), with its field path. Iterative, so a deeply nested body cannot overflow the stack;
 * each item links to its parent and the path is built only for the problem found, so a body
 * nested 500,000 deep (1 MiB of "[") costs linear time, not the square of its depth.
 */
function badText(value: unknown, prefix: Array<string | number>): { field: string; problem: string } | null {
  interface Item {
    value: unknown;
    parent: Item | null;
    key: string | number | null;
  }
  const pathOf = (item: Item | null): Array<string | number> => {
    const keys: Array<string | number> = [];
    for (let at = item; at !== null && at.key !== null; at = at.parent) keys.push(at.key);
    return [...prefix, ...keys.reverse()];
  };
  const stack: Item[] = [{ value, parent: null, key: null }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item.value === 'string') {
      const problem = textProblem(item.value);
      if (problem) {
        const path = pathOf(item);
        return { field: path.length === 0 ? 'body' : fieldPath(path), problem };
      }
    } else if (Array.isArray(item.value)) {
      for (let i = item.value.length - 1; i >= 0; i -= 1) stack.push({ value: item.value[i], parent: item, key: i });
    } else if (typeof item.value === 'object' && item.value !== null) {
      const entries = Object.entries(item.value);
      for (let i = entries.length - 1; i >= 0; i -= 1) {
        const [key, v] = entries[i]!;
        const key_problem = textProblem(key);
        if (key_problem) return { field: fieldPath(pathOf(item)) || 'body', problem: `has a field name that ${key_problem}` };
        stack.push({ value: v, parent: item, key });
      }
    }
  }
  return null;
}

/** Fastify's own errors (router, body parser, validation) as the API's typed errors, with their status. */
function fromFastifyError(fe: FastifyError): { error: AppError; status?: number } | null {
  if (fe.validation) {
    const { field, message } = validationMessage(fe);
    return { error: new AppError('invalid_request', `${field}: ${message}`, { field }) };
  }
  switch (fe.code) {
    case 'FST_ERR_BAD_URL':
      return {
        error: new AppError('invalid_request', 'path: is not valid percent-encoded UTF-8; encode each path segment with encodeURIComponent.', {
          field: 'path',
        }),
      };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { error: new AppError('invalid_request', `path: an id in the path is longer than ${limits.id_length_max} characters.`, { field: 'path' }) };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { error: new AppError('invalid_request', 'content-type: must be application/json.', { field: 'content-type' }), status: 415 };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { error: new AppError('invalid_request', `body: is larger than ${http_limits.body_bytes_max} bytes.`, { field: 'body' }), status: 413 };
  }
  if (fe.statusCode === 415)
    return { error: new AppError('invalid_request', 'content-type: must be application/json.', { field: 'content-type' }), status: 415 };
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500)
    return { error: new AppError('invalid_request', `body: ${fe.message}`, { field: 'body' }), status: fe.statusCode };
  return null;
}

/** JSON bodies are parsed as UTF-8, refusing any other bytes. */
function acceptUtf8JsonOnly(app: FastifyInstance) {
  // JSON bodies must be valid UTF-8: the default parser would turn a bad byte (or an encoded
  // surrogate, ED A0 80) into U+FFFD, so an id would not be stored as it was sent.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  app.removeContentTypeParser('application/json');
  // JSON only: Fastify also parses text/plain, which a cross-site form can send without a
  // preflight, and which reached the handlers of calls that take no body (invitations).
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    // A signature is over the bytes sent: the route that checks one gets them as they came.
    if (request.routeOptions.config?.raw_body) request.raw_body = body as Buffer;
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      done(new AppError('invalid_request', 'body: is not valid UTF-8; send JSON encoded as UTF-8.', { field: 'body' }), undefined);
      return;
    }
    parseJson(request, text, done);
  });
}

/**
 * While the first start's work runs (the port is bound first, see main.ts), the API answers 503
 * `starting`: a call made then would race the demo seed (an auto-reload switched on mid-replay
 * fires on the replayed history). The page, /healthz and /metrics still answer.
 */
function refuseUntilStarted(app: FastifyInstance, startup: { done: boolean } | undefined) {
  if (!startup) return;
  app.addHook('onRequest', async (request) => {
    if (startup.done || !request.url.startsWith('/v1/')) return;
    throw new AppError(
      'starting',
      `Tokenbank is finishing its first start (catalog, operator token, demo account). Retry in ${limits.starting_retry_after_s} s.`,
      {
        retry_after_s: limits.starting_retry_after_s,
      },
    );
  });
}

/** The server's own request id on every answer; a client's X-Request-Id kept apart. */
function assignRequestIds(app: FastifyInstance) {
  app.addHook('onRequest', async (request, reply) => {
    const given = request.headers['x-request-id'];
    if (typeof given === 'string' && given.length <= limits.client_request_id_length_max && /^[\w.-]+$/.test(given)) {
      request.client_request_id = given;
      request.log = request.log.child({ client_request_id: given });
      reply.header('x-client-request-id', given);
    }
    // The server's id for this request, on every answer (errors and 404s too): Request-Id is the
    // name the API documents; X-Request-Id stays for clients that read it already.
    reply.header('request-id', request.id);
    reply.header('x-request-id', request.id);
    // The query parser keeps a bad percent-escape as literal text ("%ED%A0%80" would be stored
    // as those nine characters): refuse it instead, naming the parameter.
    const query_at = request.url.indexOf('?');
    if (query_at >= 0) {
      for (const pair of request.url.slice(query_at + 1).split('&')) {
        const equals = pair.indexOf('=');
        const key = equals < 0 ? pair : pair.slice(0, equals);
        for (const part of [key, equals < 0 ? '' : pair.slice(equals + 1)]) {
          try {
            decodeURIComponent(part.replace(/\+/g, ' '));
          } catch {
            const name = /^[\w.-]{1,64}$/.test(key) ? key : 'parameter';
            throw new AppError('invalid_request', `querystring.${name}: is not valid percent-encoded UTF-8.`, { field: `querystring.${name}` });
          }
        }
      }
    }
  });
}

/** Bearer token or session cookie → request.principal; cookie changes must come from our origin. */
function authenticateRequests(app: FastifyInstance, options: ServerOptions) {
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
    if (!via_cookie && request.routeOptions.config?.bearer_api_keys && token.startsWith(`${API_KEY_PREFIX}_`)) return;
    const principal = await authenticate(options.tb.deps, token);
    if (!principal) {
      // A stale cookie is the same as none; so is a stale bearer token on a route that needs no
      // credential (`security: []`, sign-in: "anyone" in SPEC §2), where it is how a client whose
      // token expired gets a new one.
      const needs_none = request.routeOptions.schema?.security?.length === 0;
      if (via_cookie || needs_none) return;
      throw new AppError('unauthenticated', 'The bearer token is unknown, revoked or expired. Sign in again (POST /v1/sessions) or use a current token.');
    }
    // CSRF: a cookie-authenticated change must come from our own origin (JSON-only + SameSite=Strict do the rest).
    if (via_cookie && !['GET', 'HEAD', 'OPTIONS'].includes(request.method)) {
      // Scheme, host and port: an https page of the same host is another origin to an http server.
      const origin = request.headers.origin;
      const own = options.public_origin
        ? originOf(options.public_origin)
        : originOf(`${options.secure_cookies ? 'https' : request.protocol}://${request.headers.host ?? ''}`);
      if (typeof origin === 'string' && (own === null || originOf(origin) !== own)) throw new AppError('forbidden', 'Cross-site request refused.');
    }
    request.principal = principal;
    void reply;
  });
}

/** NUL and lone surrogates refused in params, query and body, naming the field. */
function refuseUnstorableText(app: FastifyInstance) {
  // Text that the database would refuse (NUL) or change (lone surrogates) is refused here, for
  // every route and every part of the request, before any schema or use case sees it.
  app.addHook('preValidation', async (request) => {
    // A call that changes something takes no query parameters: one sent (?amount_micros=…) was
    // ignored while the call went ahead. Refused, like an unknown body field.
    if (!['GET', 'HEAD', 'OPTIONS'].includes(request.method) && !request.routeOptions.schema?.querystring) {
      const name = Object.keys((request.query ?? {}) as object)[0];
      if (name !== undefined) {
        const field = `querystring.${/^[\w.-]{1,64}$/.test(name) ? name : 'parameter'}`;
        throw new AppError('invalid_request', `${field}: is not a known parameter; this call takes its input in the body.`, { field });
      }
    }
    const parts: Array<[unknown, Array<string | number>]> = [
      [request.params, ['params']],
      [request.query, ['querystring']],
      [request.body, []],
    ];
    for (const [value, prefix] of parts) {
      const bad = badText(value, prefix);
      if (bad) throw new AppError('invalid_request', `${bad.field}: ${bad.problem}`, { field: bad.field });
    }
  });
}

/** The OpenAPI document (`/openapi.json`) and its viewer (`/docs`). */
async function registerDocs(app: FastifyInstance) {
  await app.register(swagger, {
    // Shared schemas appear in components under their $id (Error), not as def-0, def-1, ….
    refResolver: { buildLocalReference: (json, _base_uri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Tokenbank API',
        version: '1.0.0',
        description:
          'Billing core of an AI assistant service: plan allowances, extra usage credits, hard monthly spend limits, holds and settlements. Amounts are integer micro-dollars (fields end in _micros).',
        license: { name: 'Proprietary', url: 'https://example.com/license' },
      },
      // Relative: /docs "Try it out" calls the server that served the page, on whatever port.
      servers: [{ url: '/' }],
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: http_limits.session_cookie_name } },
      },
      security: [{ bearer: [] }, { session: [] }],
      tags: [
        { name: 'sign-in', description: 'Sessions and tokens' },
        { name: 'accounts', description: 'Accounts, members and subscriptions' },
        { name: 'extra-usage', description: 'Credits, spend limits and auto-reload' },
        { name: 'metering', description: 'Calls of the model gateway: holds, settlements, usage events' },
        { name: 'operator', description: 'Catalog, grants, audit' },
        { name: 'system', description: 'Health and metrics' },
        { name: 'payments', description: 'The card provider: its signed webhooks (docs/payments.md)' },
        { name: 'gateway', description: "The drop-in model gateway: Anthropic's Messages API, metered (docs/gateway.md)" },
      ],
    },
  });
  app.addSchema(ErrorBody);
  app.addSchema(AnthropicErrorBody);
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
}

/** Every error leaves as the API's envelope; an unexpected one is logged and says only "our side". */
function answerErrorsWithTheEnvelope(app: FastifyInstance, metrics: Metrics) {
  app.setErrorHandler((error: FastifyError | AppError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof AppError) return sendError(reply, request, error, metrics);
    return sendFrameworkError(reply, request, error, metrics, 'unhandled error');
  });
}

/** A Fastify error the API has a type for answers with it; anything else is logged and is "our side". */
function sendFrameworkError(reply: FastifyReply, request: FastifyRequest, error: unknown, metrics: Metrics, what: string) {
  const mapped = fromFastifyError(error as FastifyError);
  if (mapped) return sendError(reply, request, mapped.error, metrics, mapped.status);
  request.log.error({ err: error }, what);
  return sendError(
    reply,
    request,
    new AppError('internal_error', `Something broke on our side; nothing was charged twice. Request id: ${request.id}.`),
    metrics,
  );
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const { tb } = options;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: http_limits.body_bytes_max,
    requestTimeout: http_limits.request_timeout_ms,
    // The server's own id, always: a client's X-Request-Id is theirs to choose, so two clients
    // could send the same one. It is kept apart as client_request_id (logs, response header).
    genReqId: () => randomUUID(),
    // The router measures a parameter after decoding it; ids are at most id_length_max long,
    // so a longer one is refused by the router (mapped below), a shorter one reaches the schema.
    routerOptions: { maxParamLength: limits.id_length_max },
    // Errors the router raises before any hook (bad percent-encoding, over-long ids) answer
    // with the API's error envelope, not Fastify's own.
    frameworkErrors: (error, request, reply) => sendFrameworkError(reply, request, error, metrics, 'framework error'),
    // Refuse, never reinterpret: no coercion of "5" into 5, no silent dropping of unknown fields.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false } },
  });
  const metrics = createMetrics(tb);
  tb.meter.onFault = ({ stage, error }) => app.log.error({ err: error, stage }, 'metering fault');

  acceptUtf8JsonOnly(app);

  app.decorateRequest('principal', null);
  app.decorateRequest('client_request_id', null);

  assignRequestIds(app);
  refuseUntilStarted(app, options.startup);

  await app.register(cookie);
  await registerDocs(app);

  authenticateRequests(app, options);

  refuseUnstorableText(app);

  app.addHook('onResponse', async (request, reply) => {
    (metrics.registry as unknown as { requests: client.Counter }).requests.inc({
      method: request.method,
      route: request.routeOptions.url ?? 'unknown',
      status: String(reply.statusCode),
    });
  });

  answerErrorsWithTheEnvelope(app, metrics);

  const page = options.web_root !== undefined && hasBuiltPage(options.web_root);
  if (page) await registerPage(app, options.web_root!);
  app.setNotFoundHandler((request, reply) =>
    page && isPagePath(request.method, request.url)
      ? sendPage(request, reply)
      : sendError(reply, request, new AppError('not_found', `No route ${request.method} ${request.url}`), metrics),
  );

  app.get('/healthz', { schema: { hide: true } }, async (_request, reply) => {
    if (options.startup && !options.startup.done) return reply.status(503).send({ ok: false, status: 'starting', engine: tb.engine });
    return { ok: true, engine: tb.engine };
  });
  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  registerRoutes(app, { tb, secure_cookies: options.secure_cookies ?? false, onGatewayOutcome: (outcome) => metrics.gateway_outcomes.inc({ outcome }) });
  return app;
}

function sendError(reply: FastifyReply, request: FastifyRequest, error: AppError, metrics: Metrics, status?: number) {
  const code = status ?? STATUS_OF[error.type] ?? 500;
  // Router errors are answered before any hook ran: the ids are set here too.
  reply.header('request-id', request.id);
  reply.header('x-request-id', request.id);
  // The cause of an internal error (a raw database message, say) goes to the log, never to the client.
  if (error.type === 'internal_error' && error.cause !== undefined) request.log.error({ err: error.cause, request_id: request.id }, error.message);
  if (code === 402 || code === 429) metrics.refusals.inc({ type: error.type });
  const retry = error.figures.retry_after_s;
  if ((code === 429 || code === 503) && typeof retry === 'number') reply.header('retry-after', String(retry));
  const figures = { ...error.figures, request_id: request.id };
  // The drop-in gateway answers as the API it stands in for, so an SDK raises its own error classes.
  if (request.routeOptions?.config?.anthropic_errors) return reply.status(code).send(anthropicErrorBody(error.type, error.message, figures));
  return reply.status(code).send({ error: { type: error.type, message: error.message, ...figures } });
}
