// Wire schemas of the webhook endpoints and their delivery log (docs/webhooks.md).
import { Type, type Static } from '@sinclair/typebox';
import { EVENT_TYPE_NAMES } from '../domain/events';
import { limits } from '../domain/limits';
import { EventTypeSchema, Id, Page } from './schemas';

const closed = { additionalProperties: false } as const;
const When = Type.String({ format: 'date-time' });
const Nullable = <T extends ReturnType<typeof Type.String> | ReturnType<typeof Type.Integer>>(schema: T) => Type.Union([schema, Type.Null()]);

export const WebhookEndpointRequest = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: limits.webhook_url_length_max, description: 'https:// on a public address (docs/webhooks.md)' }),
    events: Type.Optional(
      Type.Array(EventTypeSchema, {
        minItems: 1,
        maxItems: EVENT_TYPE_NAMES.length,
        uniqueItems: true,
        description: 'the event types to send; all when omitted',
      }),
    ),
  },
  closed,
);
export const EndpointParams = Type.Object({ id: Id, endpoint_id: Id }, closed);
export const OperatorEndpointParams = Type.Object({ endpoint_id: Id }, closed);
export const DeliveryParams = Type.Object({ id: Id, endpoint_id: Id, delivery_id: Id }, closed);
export const OperatorDeliveryParams = Type.Object({ endpoint_id: Id, delivery_id: Id }, closed);

const endpointFields = {
  id: Type.String(),
  account_id: Type.Union([Type.String(), Type.Null()], { description: 'null: an operator-wide endpoint (every account’s events)' }),
  url: Type.String(),
  events: Type.Union([Type.Array(EventTypeSchema), Type.Null()], { description: 'null: every event type' }),
  status: Type.Union([Type.Literal('enabled'), Type.Literal('disabled')]),
  created_at: When,
  failing_since: Nullable(When),
  disabled_at: Nullable(When),
  disabled_reason: Nullable(Type.String()),
};
export const WebhookEndpoint = Type.Object(endpointFields, closed);
export const WebhookEndpointCreated = Type.Object(
  { ...endpointFields, secret: Type.String({ description: 'whsec_…: the signing secret, shown this once; verify deliveries with it' }) },
  closed,
);
export const WebhookEndpointList = Page(WebhookEndpoint);
export const WebhookEndpointDeleted = Type.Object({ id: Type.String(), deleted: Type.Boolean() }, closed);

export const WebhookAttempt = Type.Object(
  {
    attempt: Type.Integer(),
    status_code: Nullable(Type.Integer({ description: 'the receiver’s HTTP status; null when there was no answer' })),
    error: Nullable(Type.String()),
    duration_ms: Type.Integer(),
    attempted_at: When,
  },
  closed,
);
export const WebhookDelivery = Type.Object(
  {
    id: Type.String(),
    endpoint_id: Type.String(),
    event_id: Type.Integer(),
    webhook_id: Type.String({ description: 'the webhook-id header: the same on every attempt' }),
    event_type: EventTypeSchema,
    status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
    attempts: Type.Integer(),
    next_attempt_at: Nullable(When),
    created_at: When,
    completed_at: Nullable(When),
    log: Type.Array(WebhookAttempt),
  },
  closed,
);
export const WebhookDeliveryList = Page(WebhookDelivery, { endpoint_id: Type.String() });

export type WebhookEndpointBody = Static<typeof WebhookEndpoint>;
export type WebhookEndpointCreatedBody = Static<typeof WebhookEndpointCreated>;
export type WebhookDeliveryBody = Static<typeof WebhookDelivery>;
