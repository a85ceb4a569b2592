// The drop-in model gateway (docs/gateway.md): POST /v1/messages as Anthropic's Messages API,
// metered. Parse → one use case (relayMessages: hold, upstream, settle) → relay the answer, a
// whole body or an SSE stream piped as it comes. Errors leave in Anthropic's shape.
import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { RelayOutcome, StreamSink } from '../../app/gateway';
import { limits } from '../../domain/limits';
import { MessagesRequest, MessagesResponse } from '../../contract/gateway';
import { ok, type Ctx } from './kit';

const anthropicErr = (...codes: number[]) =>
  Object.fromEntries(codes.map((c) => [c, { $ref: 'AnthropicError#', description: `error (${c}), in Anthropic's shape` }]));

export function gatewayRoutes(app: FastifyInstance, ctx: Ctx) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const { tb } = ctx;

  api.post(
    '/v1/messages',
    {
      bodyLimit: limits.gateway_body_bytes_max,
      config: { raw_body: true, anthropic_errors: true, bearer_api_keys: true },
      schema: {
        tags: ['gateway'],
        operationId: 'createMessage',
        summary:
          "Anthropic's Messages API, metered: x-api-key (tbk_…) or a bearer token with tokenbank-account-id; a hold, the upstream call, a settlement with the upstream's usage",
        body: MessagesRequest,
        response: {
          ...ok(200, "the upstream's answer unchanged (with stream: true, text/event-stream)", MessagesResponse),
          ...anthropicErr(400, 401, 402, 403, 404, 413, 429, 502, 503, 504),
        },
      },
    },
    async (request, reply) => {
      const ended = (outcome: RelayOutcome) => {
        ctx.onGatewayOutcome?.(outcome.settled);
        logOutcome(request, outcome);
      };
      const input = { principal: request.principal, headers: request.headers, body: request.body, raw_body: request.raw_body, request_id: request.id, ended };
      const answer = await tb.relayMessages(input);
      if (answer.kind === 'answer') return reply.status(answer.status).headers(answer.headers).send(Buffer.from(answer.body));
      const out = new PassThrough();
      answer
        .pump(sinkOf(out))
        .catch((error: unknown) => {
          ctx.onGatewayOutcome?.('failed');
          request.log.error({ err: error }, 'gateway: the stream was relayed but its hold could not be settled (it will expire)');
        })
        .finally(() => out.end());
      return reply.status(answer.status).headers(answer.headers).send(out);
    },
  );
}

/** Writes to the client while it is there, waiting when its buffer is full; once it has gone, every write is dropped at once. */
function sinkOf(out: PassThrough): StreamSink {
  return (chunk) => {
    if (out.destroyed || out.writableEnded) return Promise.resolve();
    if (out.write(chunk)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        out.off('drain', done);
        out.off('close', done);
        resolve();
      };
      out.on('drain', done);
      out.on('close', done);
    });
  };
}

/** Every hold that did not end with the upstream's final usage is logged with the reason (docs/gateway.md). */
function logOutcome(request: FastifyRequest, outcome: RelayOutcome) {
  const fields = { authorization_id: outcome.authorization_id, settled: outcome.settled, charged_micros: outcome.charged_micros, reason: outcome.reason };
  if (outcome.settled === 'final') request.log.debug(fields, 'gateway: settled with the upstream usage');
  else if (outcome.settled === 'released') request.log.info(fields, 'gateway: hold released, nothing charged');
  else if (outcome.settled === 'failed') request.log.error(fields, 'gateway: the answer was relayed but its hold could not be settled (it will expire)');
  else request.log.warn(fields, 'gateway: settled without a final usage from the upstream');
}
