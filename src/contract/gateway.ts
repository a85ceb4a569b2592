// The drop-in model gateway (docs/gateway.md): POST /v1/messages takes and answers what
// Anthropic's Messages API does. Unlike the rest of the API these objects are open: the gateway
// checks only what it meters by (model, max_tokens, messages, stream) and forwards the body as
// it came, so a field the upstream adds tomorrow passes through today.
import { Type, type Static } from '@sinclair/typebox';
import { limits } from '../domain/limits';

const open = { additionalProperties: true } as const;

export const MessagesRequest = Type.Object(
  {
    model: Type.String({ minLength: 1, maxLength: limits.id_length_max, description: 'a model of the catalog (GET /v1/catalog), e.g. claude-sonnet-4-5' }),
    max_tokens: Type.Integer({ minimum: 1, maximum: limits.gateway_output_tokens_max, description: 'the most output tokens: the hold covers all of them' }),
    messages: Type.Array(
      Type.Object(
        {
          role: Type.String({ minLength: 1, maxLength: limits.name_length_max }),
          content: Type.Union([Type.String(), Type.Array(Type.Object({ type: Type.String({ minLength: 1 }) }, open))]),
        },
        open,
      ),
      { minItems: 1 },
    ),
    stream: Type.Optional(Type.Boolean({ description: 'true: the answer is Server-Sent Events (text/event-stream), relayed as they come' })),
  },
  { ...open, description: 'a Messages API request; every other field (system, tools, temperature, …) is forwarded as sent' },
);

export const MessagesResponse = Type.Object(
  {
    id: Type.String(),
    type: Type.String({ description: 'message' }),
    role: Type.String(),
    model: Type.String(),
    content: Type.Array(Type.Object({ type: Type.String() }, open)),
    stop_reason: Type.Union([Type.String(), Type.Null()]),
    stop_sequence: Type.Union([Type.String(), Type.Null()]),
    usage: Type.Object({ input_tokens: Type.Integer(), output_tokens: Type.Integer() }, { ...open, description: 'the usage the hold was settled with' }),
  },
  { ...open, description: "the upstream's answer, byte for byte" },
);

/** The error of this route, in Anthropic's shape: `{"type":"error","error":{"type","message",…figures}}`. */
export const AnthropicErrorBody = Type.Object(
  {
    type: Type.Literal('error'),
    error: Type.Object(
      {
        type: Type.String({ description: "Tokenbank's type (insufficient_balance, spend_limit_reached, rate_limited, …) or the upstream's" }),
        message: Type.String(),
      },
      { ...open, description: 'plus the figures behind a refusal, e.g. available_micros, limit_micros' },
    ),
  },
  { $id: 'AnthropicError' },
);

export type MessagesRequestBody = Static<typeof MessagesRequest>;
export type MessagesResponseBody = Static<typeof MessagesResponse>;
