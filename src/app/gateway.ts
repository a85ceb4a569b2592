// The drop-in model gateway (docs/gateway.md): POST /v1/messages as Anthropic's Messages API
// answers it, metered. One use case: who pays (an API key, or a signed-in member of an
// account) → a hold for the largest cost the request can have → the upstream call → a
// settlement with the usage the upstream reported, or a release when it answered nothing.
// The upstream's answer goes back unchanged; the caller's credential never goes upstream.
import { anthropicErrorBody, cacheWriteOf, inputTokensBound, StreamUsage, type MessagesBody, type UpstreamUsage } from '../domain/gateway';
import { limits } from '../domain/limits';
import { API_KEY_PREFIX } from '../domain/orgs';
import { AppError, invalid } from '../domain/refusals';
import { actorOf, requireRole, type Principal } from './auth';
import type { Actor } from './deps';
import type { AuthorizationRecord, ModelUpstream } from './ports';
import type { Tokenbank } from './tokenbank';
import * as v from './validate';

export interface RelayInput {
  principal: Principal | null;
  /** The headers as received: x-api-key, tokenbank-account-id, tokenbank-app, anthropic-version, anthropic-beta. */
  headers: Record<string, unknown>;
  body: unknown;
  /** The body's bytes as sent: forwarded as they are. */
  raw_body: Buffer | undefined;
  request_id: string | null;
  /** Told once how the request's hold ended (the route counts and logs it). */
  ended?: (outcome: RelayOutcome) => void;
}

/** How a request's hold ended (RelayInput.ended); the route logs every outcome that is not `final`. */
export interface RelayOutcome {
  settled: 'final' | 'best_known' | 'hold_figures' | 'released' | 'failed';
  authorization_id: string;
  charged_micros: number | null;
  reason: string | null;
}

/** Writes a chunk to the client; resolves at once when the client has gone (the upstream is read to its end anyway). */
export type StreamSink = (chunk: Uint8Array) => Promise<void>;

export type RelayAnswer =
  | { kind: 'answer'; status: number; headers: Record<string, string>; body: Uint8Array; outcome: RelayOutcome }
  | { kind: 'stream'; status: number; headers: Record<string, string>; pump(sink: StreamSink): Promise<RelayOutcome> };

/** The metered part of a Messages body, checked; the rest is the upstream's to judge. */
export function parseMessagesBody(body: unknown): MessagesBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('body', 'must be a JSON object (a Messages API request)');
  const b = body as Record<string, unknown>;
  const model = v.text('model', b.model);
  const max_tokens = v.integerIn('max_tokens', b.max_tokens, 1, limits.gateway_output_tokens_max);
  if (!Array.isArray(b.messages) || b.messages.length === 0) throw invalid('messages', 'must be a non-empty array of messages');
  if (b.stream !== undefined && typeof b.stream !== 'boolean') throw invalid('stream', 'must be true or false');
  return { ...b, model, max_tokens, messages: b.messages };
}

/** A single header value, or null when absent; a repeated header is refused, naming it. */
function header(headers: Record<string, unknown>, name: string, max_length: number = limits.id_length_max): string | null {
  const value = headers[name];
  if (value === undefined) return null;
  if (typeof value !== 'string') throw invalid(name, 'must be sent once');
  return v.text(name, value, max_length);
}

/** Who pays, as an authorization's payer fields, and who the settlement is recorded as. */
async function payerOf(tb: Tokenbank, input: RelayInput): Promise<{ payer: Record<string, unknown>; actor: (a: AuthorizationRecord) => Actor }> {
  // An API key comes as x-api-key, or as the bearer token (the Anthropic SDK sends its apiKey so;
  // the server leaves a bearer tbk_… on this route unresolved, principal null).
  const authorization = input.headers.authorization;
  const bearer_key =
    !input.principal && typeof authorization === 'string' && authorization.startsWith(`Bearer ${API_KEY_PREFIX}_`)
      ? v.text('authorization', authorization.slice('Bearer '.length).trim(), limits.token_length_max)
      : null;
  const sent_key = header(input.headers, 'x-api-key', limits.token_length_max);
  if (sent_key !== null && bearer_key !== null && sent_key !== bearer_key)
    throw invalid('x-api-key', 'two different API keys were sent (x-api-key and Authorization): send one');
  const api_key = sent_key ?? bearer_key;
  const account_id = header(input.headers, 'tokenbank-account-id');
  const app = header(input.headers, 'tokenbank-app');
  const p = input.principal;
  if (api_key !== null) {
    if (p) throw invalid('x-api-key', 'send one credential: an API key in x-api-key, or a token in Authorization: Bearer, not both');
    if (account_id !== null) throw invalid('tokenbank-account-id', 'an API key pays from its own organization: send no tokenbank-account-id with it');
    return { payer: { api_key }, actor: (a) => ({ id: `api_key:${a.api_key_id ?? 'unknown'}`, request_id: input.request_id }) };
  }
  if (!p)
    throw new AppError(
      'unauthenticated',
      'Send an API key (tbk_…, in x-api-key or Authorization: Bearer), or a session or personal token (Authorization: Bearer …) with the account to meter in tokenbank-account-id.',
    );
  if (p.kind !== 'user')
    throw new AppError('forbidden', 'The gateway serves API keys and signed-in users; the operator and service tokens meter through /v1/authorizations.');
  if (account_id === null) throw invalid('tokenbank-account-id', 'name the account that pays (a user may belong to several): send tokenbank-account-id');
  await requireRole(tb.deps, p, account_id, 'member');
  const catalog = await tb.deps.catalog.get();
  const first_party = [...catalog.apps.values()].find((a) => a.kind === 'first_party');
  const app_id = app ?? first_party?.id;
  if (app_id === undefined) throw invalid('tokenbank-app', 'the catalog has no first-party app to default to: name the app');
  return { payer: { account_id, app: app_id, user_id: p.user_id }, actor: () => actorOf(p, input.request_id) };
}

/** Reads an upstream body whole, at most `bytes_max`. */
async function readAll(body: AsyncIterable<Uint8Array>, bytes_max: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > bytes_max) throw new Error(`the upstream answer is larger than ${bytes_max} bytes`);
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

const JSON_HEADERS = { 'content-type': 'application/json' };
const isTimeout = (error: unknown) => (error as { name?: unknown })?.name === 'TimeoutError';

function upstreamFailure(failure: 'network' | 'timeout', message: string): AppError {
  return failure === 'timeout'
    ? new AppError('upstream_timeout', `The model API did not answer in time (${message}); nothing was charged. Retry the request.`)
    : new AppError('upstream_error', `The model API could not be reached (${message}); nothing was charged. Retry the request.`);
}

/**
 * An upstream refusal relayed: its status and its body when it is Anthropic-shaped, else one in
 * that shape. 401 and 403 are the operator's key failing, not the caller's: answered 502, so a
 * client is not told its own credential is wrong.
 */
function relayedError(status: number, bytes: Uint8Array): { status: number; body: Uint8Array } {
  const json = (body: unknown) => Buffer.from(JSON.stringify(body));
  if (status === 401 || status === 403) {
    const message = `The model API refused the gateway's own credential (${status}); nothing was charged. Tell the operator.`;
    return { status: 502, body: json(anthropicErrorBody('upstream_error', message, { upstream_status: status })) };
  }
  try {
    const parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as { type?: unknown; error?: { type?: unknown } };
    if (parsed.type === 'error' && typeof parsed.error?.type === 'string') return { status, body: bytes };
  } catch {
    // not JSON: wrapped below
  }
  return { status, body: json(anthropicErrorBody('upstream_error', `The model API answered ${status}; nothing was charged.`, { upstream_status: status })) };
}

/** The answer's headers: Tokenbank's rate limits, and the upstream's request id under its own name (never its account's headers). */
function answerHeaders(base: Record<string, string>, upstream: Record<string, string>, rate_limits: Record<string, unknown> | undefined) {
  const headers: Record<string, string> = { ...base };
  for (const [name, value] of Object.entries(rate_limits ?? {})) if (name.startsWith('anthropic-ratelimit-')) headers[name] = String(value);
  if (upstream['request-id']) headers['upstream-request-id'] = upstream['request-id'];
  return headers;
}

export async function relayMessages(tb: Tokenbank, upstream: ModelUpstream, input: RelayInput): Promise<RelayAnswer> {
  const body = parseMessagesBody(input.body);
  const anthropic_version = header(input.headers, 'anthropic-version', limits.gateway_header_length_max);
  const anthropic_beta = header(input.headers, 'anthropic-beta', limits.gateway_header_length_max);
  const { payer, actor } = await payerOf(tb, input);
  const cache_write = cacheWriteOf(body);
  const authorization = await tb.authorize({
    ...payer,
    model: body.model,
    input_tokens: inputTokensBound(body),
    max_output_tokens: body.max_tokens,
    ttl_ms: limits.hold_ttl_ms_max,
    ...(cache_write !== 'none' ? { cache_write } : {}),
  });
  const ended = (outcome: RelayOutcome) => (input.ended?.(outcome), outcome);
  const release = async (reason: string): Promise<RelayOutcome> => {
    await tb.release(authorization.id);
    return ended({ settled: 'released', authorization_id: authorization.id, charged_micros: 0, reason });
  };
  // A settlement that fails (the database unreachable) is an outcome too: the answer was produced
  // and still goes to the client; the failure is logged and the hold expires.
  const settle = async (usage: UpstreamUsage, settled: RelayOutcome['settled'], reason: string | null): Promise<RelayOutcome> => {
    try {
      const done = await tb.settle(authorization.id, usage, actor(authorization));
      return ended({ settled, authorization_id: authorization.id, charged_micros: done.charged_micros, reason });
    } catch (error) {
      if (error instanceof AppError && error.type === 'invalid_request') throw error; // an unreadable usage: settleAnswer decides
      return ended({ settled: 'failed', authorization_id: authorization.id, charged_micros: null, reason: `the settlement failed: ${String(error)}` });
    }
  };
  const stream = body.stream === true;
  const raw = input.raw_body ?? Buffer.from(JSON.stringify(input.body));
  let answer;
  try {
    answer = await upstream.sendMessages({ body: raw, anthropic_version, anthropic_beta, stream });
  } catch (error) {
    await release('the upstream call threw');
    throw error;
  }
  if (!answer.ok) {
    await release(`upstream ${answer.failure}: ${answer.message}`);
    throw upstreamFailure(answer.failure, answer.message);
  }
  if (answer.status !== 200) {
    const bytes = await readAll(answer.body, limits.gateway_error_body_bytes_max).catch(() => new Uint8Array());
    const outcome = await release(`upstream answered ${answer.status}`);
    const relayed = relayedError(answer.status, bytes);
    const retry_after = answer.headers['retry-after'];
    return {
      kind: 'answer',
      status: relayed.status,
      headers: { ...JSON_HEADERS, ...(retry_after ? { 'retry-after': retry_after } : {}) },
      body: relayed.body,
      outcome,
    };
  }
  if (stream)
    return streamed(
      answer.body,
      answerHeaders({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }, answer.headers, authorization.rate_limits),
      { settle, release, held: heldFigures(authorization) },
    );
  let bytes: Uint8Array;
  try {
    bytes = await readAll(answer.body, limits.gateway_body_bytes_max);
  } catch (error) {
    await release(`the upstream answer broke: ${String(error)}`);
    throw upstreamFailure(isTimeout(error) ? 'timeout' : 'network', isTimeout(error) ? 'the answer did not finish in time' : 'the answer broke off');
  }
  const outcome = await settleAnswer(bytes, authorization, settle);
  return { kind: 'answer', status: 200, headers: answerHeaders(JSON_HEADERS, answer.headers, authorization.rate_limits), body: bytes, outcome };
}

/** A whole answer's `usage`, charged as it is; an answer without a readable one is charged at its hold's figures (the most it could be). */
async function settleAnswer(
  bytes: Uint8Array,
  authorization: AuthorizationRecord,
  settle: (u: UpstreamUsage, s: RelayOutcome['settled'], r: string | null) => Promise<RelayOutcome>,
) {
  let usage: unknown;
  try {
    usage = (JSON.parse(Buffer.from(bytes).toString('utf8')) as { usage?: unknown }).usage;
  } catch {
    usage = undefined;
  }
  try {
    if (typeof usage === 'object' && usage !== null) return await settle(usage as UpstreamUsage, 'final', null);
  } catch (error) {
    if (!(error instanceof AppError && error.type === 'invalid_request')) throw error;
  }
  return settle(heldFigures(authorization), 'hold_figures', 'the upstream answered 200 without a readable usage object');
}

/** The most a request could have used: what its hold was placed for. */
const heldFigures = (authorization: AuthorizationRecord) => ({ input_tokens: authorization.input_tokens, output_tokens: authorization.max_output_tokens });

/**
 * A stream: its bytes go to the client as they come while its events are read for usage. The
 * upstream is read to its end even when the client has gone (the tokens are produced and
 * charged either way), then the hold is settled with the final usage; a stream that broke first
 * is settled with the best known usage, or released when not even message_start arrived.
 */
function streamed(
  body: AsyncIterable<Uint8Array>,
  headers: Record<string, string>,
  hold: {
    settle: (u: UpstreamUsage, s: RelayOutcome['settled'], r: string | null) => Promise<RelayOutcome>;
    release: (reason: string) => Promise<RelayOutcome>;
    held: UpstreamUsage;
  },
): RelayAnswer {
  return {
    kind: 'stream',
    status: 200,
    headers,
    async pump(sink) {
      const usage = new StreamUsage();
      const decoder = new TextDecoder();
      let broken: string | null = null;
      try {
        for await (const chunk of body) {
          usage.push(decoder.decode(chunk, { stream: true }));
          await sink(chunk);
        }
      } catch (error) {
        broken = isTimeout(error) ? 'the stream went silent or ran too long' : 'the stream broke off';
        // The client's SDK raises on an error event, as it would for one from the upstream.
        if (!usage.error_event) {
          const event = anthropicErrorBody(isTimeout(error) ? 'upstream_timeout' : 'upstream_error', `The model API's ${broken}.`);
          await sink(Buffer.from(`event: error\ndata: ${JSON.stringify(event)}\n\n`));
        }
      }
      if (!broken && usage.error_event) broken = `the upstream sent an error event (${usage.error_event.type})`;
      const final = usage.finalUsage();
      const best = usage.bestKnownUsage();
      if (best === null) return hold.release(broken ?? 'the stream ended before message_start');
      const [figures, settled] = final && !broken ? ([final, 'final'] as const) : ([best, 'best_known'] as const);
      // Counts the upstream wrote that are not counts (an upstream fault): charged at the hold, never nothing.
      return hold.settle(figures, settled, broken ?? (settled === 'final' ? null : 'the stream ended without message_delta')).catch((error: unknown) => {
        if (!(error instanceof AppError && error.type === 'invalid_request')) throw error;
        return hold.settle(hold.held, 'hold_figures', `the stream's usage was unreadable: ${error.message}`);
      });
    },
  };
}
