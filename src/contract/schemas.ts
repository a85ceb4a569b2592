// The wire contract of HTTP API v1: one TypeBox schema gives the TypeScript type, the request
// validator and the OpenAPI document. Every object is closed (additionalProperties: false) and
// every number a bounded integer, so bad input is refused, never reinterpreted.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { limits } from '../domain/limits';

const closed = { additionalProperties: false } as const;

export const Id = Type.String({ minLength: 1, maxLength: limits.id_length_max });
export const Micros = Type.Integer({ minimum: 0, maximum: limits.amount_micros_max, description: 'micro-dollars (1 USD = 1,000,000)' });
export const Tokens = Type.Integer({ minimum: 0, maximum: limits.tokens_per_request_max });
export const Timestamp = Type.String({ format: 'date-time' });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const ErrorBody = Type.Object(
  {
    error: Type.Object(
      {
        type: Type.String({ description: 'stable machine-readable reason, e.g. spend_limit_reached' }),
        message: Type.String({ description: 'what happened and what to do about it' }),
      },
      { additionalProperties: true, description: 'plus the figures behind the refusal, e.g. limit_micros, spent_micros, resets_at' },
    ),
  },
  { $id: 'Error' },
);

export const SessionRequest = Type.Object({ email: Type.String({ maxLength: 200 }), password: Type.String({ maxLength: 200 }) }, closed);
export const TokenRequest = Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), ttl_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })) }, closed);
export const ServiceTokenRequest = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, closed);

export const CreateAccountRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: limits.name_length_max }),
    plan: Id,
    owner_email: Type.String({ maxLength: 200 }),
    owner_password: Type.Optional(Type.String({ minLength: 8, maxLength: 200 })),
    seats: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.seats_max })),
  },
  closed,
);
/** POST /v1/accounts/{id}/members: an invitation; the invited user accepts it (no password: nobody is made here). */
export const InviteMemberRequest = Type.Object(
  { email: Type.String({ maxLength: 200 }), role: Type.Union([Type.Literal('owner'), Type.Literal('billing'), Type.Literal('member')]) },
  closed,
);
export const SubscriptionRequest = Type.Object({ plan: Id, seats: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.seats_max })) }, closed);
export const PaymentMethodRequest = Type.Object({ token: Type.String({ minLength: 1, maxLength: 200, description: 'a payment-provider token, e.g. tok_visa' }) }, closed);
export const ExtraUsagePatchRequest = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    monthly_spend_limit_micros: Type.Optional(Nullable(Micros)),
    auto_reload: Type.Optional(Type.Object({ enabled: Type.Optional(Type.Boolean()), amount_micros: Type.Optional(Micros), threshold_micros: Type.Optional(Micros) }, closed)),
  },
  closed,
);
export const CreditsRequest = Type.Object({ amount_micros: Type.Integer({ minimum: 1, maximum: limits.amount_micros_max }), payment_method_id: Type.Optional(Id) }, closed);
export const GrantRequest = Type.Object(
  { amount_micros: Type.Integer({ minimum: 1, maximum: limits.amount_micros_max }), expires_at: Type.Optional(Nullable(Timestamp)), reason: Type.Optional(Type.String({ minLength: 1, maxLength: limits.name_length_max })) },
  closed,
);

export const AuthorizeRequest = Type.Object(
  {
    account_id: Id,
    app: Id,
    model: Id,
    input_tokens: Tokens,
    max_output_tokens: Type.Integer({ minimum: 1, maximum: limits.tokens_per_request_max }),
    user_id: Type.Optional(Id),
    ttl_ms: Type.Optional(Type.Integer({ minimum: limits.hold_ttl_ms_min, maximum: limits.hold_ttl_ms_max })),
    cache_write: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('5m'), Type.Literal('1h')], { description: 'prompt-cache writes this request may make: the hold prices its input at that rate (default none)' })),
  },
  closed,
);
const NullableTokens = Type.Union([Tokens, Type.Null()]);
/** Anthropic's `usage` object as the Messages API returns it; fields it adds later are accepted and ignored. */
export const Usage = Type.Object(
  {
    input_tokens: Tokens,
    output_tokens: Tokens,
    cache_creation_input_tokens: Type.Optional(NullableTokens),
    cache_read_input_tokens: Type.Optional(NullableTokens),
    cache_creation: Type.Optional(
      Type.Union([Type.Object({ ephemeral_5m_input_tokens: Type.Optional(NullableTokens), ephemeral_1h_input_tokens: Type.Optional(NullableTokens) }, { additionalProperties: true }), Type.Null()]),
    ),
    service_tier: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
    server_tool_use: Type.Optional(Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()])),
  },
  { additionalProperties: true },
);
export const SettleRequest = Usage;
export const UsageEvent = Type.Object(
  { id: Id, account_id: Id, app: Id, model: Id, usage: Usage, timestamp: Timestamp, user_id: Type.Optional(Id) },
  closed,
);
export const UsageEventsRequest = Type.Object({ events: Type.Array(UsageEvent, { minItems: 1, maxItems: limits.events_per_batch_max }) }, closed);

export const UsageQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date' })),
    to: Type.Optional(Type.String({ format: 'date' })),
    granularity: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('month')])),
    group_by: Type.Optional(Type.Union([Type.Literal('app'), Type.Literal('model'), Type.Literal('source')])),
  },
  closed,
);
export const PageQuery = Type.Object(
  { limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })), before: Type.Optional(Type.String({ pattern: '^[0-9]{1,16}$' })) },
  closed,
);
export const AccountsQuery = Type.Object({ search: Type.Optional(Type.String({ maxLength: 200 })), limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$' })) }, closed);
/** The body of a call that takes none: absent, or `{}`; any field in it is refused, not ignored. */
export const NoBody = Type.Object({}, { additionalProperties: false, nullable: true });
export const IdParams = Type.Object({ id: Id }, closed);

const WindowKind = Type.Union([Type.Literal('cycle'), Type.Literal('rolling_5h'), Type.Literal('weekly')]);
export const CatalogBody = Type.Object(
  {
    plans: Type.Array(
      Type.Object(
        {
          id: Id,
          name: Type.String({ minLength: 1, maxLength: 100 }),
          price_micros: Micros,
          per_seat: Type.Boolean(),
          extra_usage_allowed: Type.Boolean(),
          windows: Type.Array(Type.Object({ kind: WindowKind, limit_tokens: Type.Integer({ minimum: 0, maximum: limits.allowance_window_tokens_max }) }, closed), { maxItems: 3 }),
          requests_per_minute: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
          tokens_per_minute: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }),
        },
        closed,
      ),
      { maxItems: 100 },
    ),
    models: Type.Array(Type.Object({ id: Id, tier: Type.Union([Type.Literal('haiku'), Type.Literal('sonnet'), Type.Literal('opus')]), allowance_multiplier_milli: Type.Integer({ minimum: 1, maximum: limits.allowance_multiplier_milli_max }) }, closed), { maxItems: 100 }),
    prices: Type.Array(
      Type.Object(
        {
          id: Id,
          model_id: Id,
          effective_at: Timestamp,
          input_micros_per_mtok: Type.Integer({ minimum: 0, maximum: limits.price_micros_per_mtok_max }),
          output_micros_per_mtok: Type.Integer({ minimum: 0, maximum: limits.price_micros_per_mtok_max }),
          cache_write_micros_per_mtok: Type.Integer({ minimum: 0, maximum: limits.price_micros_per_mtok_max }),
          cache_write_1h_micros_per_mtok: Type.Optional(Type.Integer({ minimum: 0, maximum: limits.price_micros_per_mtok_max, description: '1-hour cache writes; default 2× input' })),
          cache_read_micros_per_mtok: Type.Integer({ minimum: 0, maximum: limits.price_micros_per_mtok_max }),
        },
        closed,
      ),
      { maxItems: 1000 },
    ),
    apps: Type.Array(Type.Object({ id: Id, kind: Type.Union([Type.Literal('first_party'), Type.Literal('third_party')]) }, closed), { maxItems: 100 }),
  },
  closed,
);

// ---- responses (documented; open so additions do not break clients) -------------------------

const open = { additionalProperties: true } as const;

export const Funding = Type.Object(
  {
    source: Type.Union([Type.Literal('allowance'), Type.Literal('extra_usage'), Type.Literal('mixed'), Type.Literal('api_credits')]),
    reason: Type.String({ description: 'why this source paid, e.g. third_party_extra_usage_only' }),
    allowance_tokens: Type.Integer(),
    held_micros: Type.Integer(),
    price_version: Type.String(),
  },
  open,
);
export const AuthorizationResponse = Type.Object(
  {
    id: Type.String(),
    status: Type.Union([Type.Literal('held'), Type.Literal('settled'), Type.Literal('released'), Type.Literal('expired')]),
    funding: Funding,
    expires_at: Type.String(),
    charged_micros: Type.Optional(Nullable(Type.Integer())),
    allowance_tokens: Type.Optional(Nullable(Type.Integer())),
    cache_write: Type.Optional(Type.String()),
    beyond_hold: Type.Optional(Nullable(Type.Boolean({ description: 'settled for more than the hold covered (charged in full)' }))),
    late_settlement_window_ends_at: Type.Optional(Nullable(Type.String({ description: 'an expired hold: until then it still counts against the spend limit' }))),
  },
  open,
);
export const ExtraUsageResponse = Type.Object(
  {
    enabled: Type.Boolean(),
    balance_micros: Type.Integer(),
    purchased_micros: Type.Integer(),
    promotional_micros: Type.Integer(),
    held_micros: Type.Integer(),
    late_held_micros: Type.Integer({ description: 'expired holds still counted against the spend limit (not the balance) during their late-settlement window' }),
    available_micros: Type.Integer(),
    monthly_spend_limit_micros: Nullable(Type.Integer()),
    spent_this_cycle_micros: Type.Integer(),
    cycle_start: Type.String(),
    cycle_end: Type.String(),
    auto_reload: Type.Object(
      { enabled: Type.Boolean(), amount_micros: Nullable(Type.Integer()), threshold_micros: Nullable(Type.Integer()), last_event: Nullable(Type.Object({ type: Type.String(), reason: Nullable(Type.String()), amount_micros: Type.Integer(), at: Type.String() }, open)) },
      open,
    ),
  },
  open,
);
export const AnyObject = Type.Object({}, open);

export type AuthorizeRequestBody = Static<typeof AuthorizeRequest>;
export type SettleRequestBody = Static<typeof SettleRequest>;
export type ExtraUsageBody = Static<typeof ExtraUsageResponse>;
export type AuthorizationBody = Static<typeof AuthorizationResponse>;
export type CatalogRequestBody = Static<typeof CatalogBody>;
