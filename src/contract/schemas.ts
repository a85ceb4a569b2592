// The wire contract of HTTP API v1: one TypeBox schema gives the TypeScript type, the request
// validator and the OpenAPI document. Every object is closed (additionalProperties: false) and
// every number a bounded integer, so bad input is refused, never reinterpreted.
import { Type, type Static, type TProperties, type TSchema } from '@sinclair/typebox';
import { EVENT_TYPE_NAMES, EVENT_TYPES } from '../domain/events';
import { FUNDING_REASONS, FUNDING_SOURCES } from '../domain/funding';
import { limits } from '../domain/limits';
import { ExtraUsageForecast } from './forecast';

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

export const SessionRequest = Type.Object(
  { email: Type.String({ maxLength: limits.email_length_max }), password: Type.String({ maxLength: limits.password_length_max }) },
  closed,
);
export const TokenRequest = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: limits.token_name_length_max })),
    ttl_days: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.personal_token_ttl_days_max })),
  },
  closed,
);
export const ServiceTokenRequest = Type.Object({ name: Type.String({ minLength: 1, maxLength: limits.token_name_length_max }) }, closed);

export const CreateAccountRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: limits.name_length_max }),
    plan: Id,
    owner_email: Type.String({ maxLength: limits.email_length_max }),
    owner_password: Type.Optional(Type.String({ minLength: limits.password_length_min, maxLength: limits.password_length_max })),
    seats: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.seats_max })),
  },
  closed,
);
/** POST /v1/accounts/{id}/members: an invitation; the invited user accepts it (no password: nobody is made here). */
export const SubscriptionRequest = Type.Object({ plan: Id, seats: Type.Optional(Type.Integer({ minimum: 1, maximum: limits.seats_max })) }, closed);
export const PaymentMethodRequest = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: limits.card_token_length_max, description: 'a payment-provider token, e.g. tok_visa' }) },
  closed,
);
export const ExtraUsagePatchRequest = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean()),
    monthly_spend_limit_micros: Type.Optional(Nullable(Micros)),
    auto_reload: Type.Optional(
      Type.Object({ enabled: Type.Optional(Type.Boolean()), amount_micros: Type.Optional(Micros), threshold_micros: Type.Optional(Micros) }, closed),
    ),
  },
  closed,
);
export const CreditsRequest = Type.Object(
  { amount_micros: Type.Integer({ minimum: 1, maximum: limits.amount_micros_max }), payment_method_id: Type.Optional(Id) },
  closed,
);
export const GrantRequest = Type.Object(
  {
    amount_micros: Type.Integer({ minimum: 1, maximum: limits.amount_micros_max }),
    expires_at: Type.Optional(Nullable(Timestamp)),
    reason: Type.Optional(Type.String({ minLength: 1, maxLength: limits.name_length_max })),
  },
  closed,
);

/** An API organization's key (tbk_…), instead of account_id: paid by API credits only (issue 12). */
const ApiKeyField = Type.String({ minLength: 1, maxLength: limits.token_length_max, description: "an API organization's key (tbk_…), never with account_id" });
export const AuthorizeRequest = Type.Object(
  {
    account_id: Type.Optional(Type.String({ minLength: 1, maxLength: limits.id_length_max, description: 'the account that pays (or api_key)' })),
    app: Type.Optional(Type.String({ minLength: 1, maxLength: limits.id_length_max, description: 'the client surface (required with account_id)' })),
    api_key: Type.Optional(ApiKeyField),
    model: Id,
    input_tokens: Tokens,
    max_output_tokens: Type.Integer({ minimum: 1, maximum: limits.tokens_per_request_max }),
    user_id: Type.Optional(Id),
    ttl_ms: Type.Optional(Type.Integer({ minimum: limits.hold_ttl_ms_min, maximum: limits.hold_ttl_ms_max })),
    cache_write: Type.Optional(
      Type.Union([Type.Literal('none'), Type.Literal('5m'), Type.Literal('1h')], {
        description: 'prompt-cache writes this request may make: the hold prices its input at that rate (default none)',
      }),
    ),
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
      Type.Union([
        Type.Object(
          { ephemeral_5m_input_tokens: Type.Optional(NullableTokens), ephemeral_1h_input_tokens: Type.Optional(NullableTokens) },
          { additionalProperties: true },
        ),
        Type.Null(),
      ]),
    ),
    service_tier: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
    server_tool_use: Type.Optional(Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()])),
  },
  { additionalProperties: true },
);
export const SettleRequest = Usage;
export const UsageEvent = Type.Object(
  {
    id: Id,
    account_id: Type.Optional(Id),
    app: Type.Optional(Id),
    api_key: Type.Optional(ApiKeyField),
    model: Id,
    usage: Usage,
    timestamp: Timestamp,
    user_id: Type.Optional(Id),
  },
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
const Cursor = Type.String({ minLength: 1, maxLength: limits.id_length_max, description: 'the next_cursor of the page before' });
const PageSize = Type.String({ pattern: '^[0-9]{1,4}$', description: `page size, 1 to ${limits.page_size_max} (default ${limits.page_size_default})` });
/** Every list: ?limit= and ?cursor= (the next_cursor of the page before). */
export const PageQuery = Type.Object(
  {
    limit: Type.Optional(PageSize),
    cursor: Type.Optional(Cursor),
    before: Type.Optional(Type.String({ minLength: 1, maxLength: limits.id_length_max, description: 'deprecated: the same as cursor' })),
  },
  closed,
);
export const AccountsQuery = Type.Object(
  { search: Type.Optional(Type.String({ maxLength: limits.name_length_max })), limit: Type.Optional(PageSize), cursor: Type.Optional(Cursor) },
  closed,
);
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
          name: Type.String({ minLength: 1, maxLength: limits.plan_name_length_max }),
          price_micros: Micros,
          per_seat: Type.Boolean(),
          extra_usage_allowed: Type.Boolean(),
          windows: Type.Array(
            Type.Object({ kind: WindowKind, limit_tokens: Type.Integer({ minimum: 0, maximum: limits.allowance_window_tokens_max }) }, closed),
            { maxItems: limits.plan_windows_max },
          ),
          requests_per_minute: Type.Integer({ minimum: 1, maximum: limits.plan_requests_per_minute_max }),
          tokens_per_minute: Type.Integer({ minimum: 1, maximum: limits.plan_tokens_per_minute_max }),
        },
        closed,
      ),
      { maxItems: limits.catalog_plans_max },
    ),
    models: Type.Array(
      Type.Object(
        {
          id: Id,
          tier: Type.Union([Type.Literal('haiku'), Type.Literal('sonnet'), Type.Literal('opus')]),
          allowance_multiplier_milli: Type.Integer({ minimum: 1, maximum: limits.allowance_multiplier_milli_max }),
        },
        closed,
      ),
      { maxItems: limits.catalog_models_max },
    ),
    prices: Type.Array(
      Type.Object(
        {
          id: Id,
          model_id: Id,
          effective_at: Timestamp,
          input_micros_per_mtok: Type.Integer({ minimum: 0, maximum: limits.price_micros_per_mtok_max }),
          output_micros_per_mtok: Type.Integer({ minimum: 0, maximum: limits.price_micros_per_mtok_max }),
          cache_write_micros_per_mtok: Type.Integer({ minimum: 0, maximum: limits.price_micros_per_mtok_max }),
          cache_write_1h_micros_per_mtok: Type.Optional(
            Type.Integer({ minimum: 0, maximum: limits.price_micros_per_mtok_max, description: '1-hour cache writes; default 2× input' }),
          ),
          cache_read_micros_per_mtok: Type.Integer({ minimum: 0, maximum: limits.price_micros_per_mtok_max }),
        },
        closed,
      ),
      { maxItems: limits.catalog_prices_max },
    ),
    apps: Type.Array(Type.Object({ id: Id, kind: Type.Union([Type.Literal('first_party'), Type.Literal('third_party')]) }, closed), {
      maxItems: limits.catalog_apps_max,
    }),
  },
  closed,
);

// ---- responses ------------------------------------------------------------------------------
// Every success answer has a schema here, and Fastify serialises the answer through it: a field
// not listed here is not sent (no internal field can leak), and a listed field the handler does
// not give is a 500, not a silent gap. Objects are closed unless their shape is open by nature
// (an event's payload, an audit entry's details), which say so with `open`.

const open = { additionalProperties: true } as const;
const Int = Type.Integer();
const Str = Type.String();
const When = Type.String({ format: 'date-time' });
export const Role = Type.Union([Type.Literal('owner'), Type.Literal('billing'), Type.Literal('member')]);

/**
 * One page of a list, the same for every list: newest (or first) items in `data`; when
 * `has_more`, pass `next_cursor` back as `?cursor=` for the next page.
 */
export const Page = <T extends TSchema, E extends TProperties = {}>(item: T, extra: E = {} as E, options: { $id?: string; description?: string } = {}) =>
  Type.Object(
    {
      ...extra,
      data: Type.Array(item),
      has_more: Type.Boolean({ description: 'more items after this page' }),
      next_cursor: Nullable(Type.String({ description: 'pass as ?cursor= for the next page; null on the last page' })),
    },
    { ...closed, ...options },
  );

export const TokenUsageBody = Type.Object(
  { input_tokens: Int, output_tokens: Int, cache_creation_input_tokens: Int, cache_read_input_tokens: Int },
  { ...open, description: 'token counts named as in the Messages API usage object' },
);

const FundingSourceSchema = Type.Union(
  FUNDING_SOURCES.map((s) => Type.Literal(s)),
  { description: 'which pool paid' },
);
const FundingReasonSchema = Type.Union(
  FUNDING_REASONS.map((r) => Type.Literal(r)),
  { description: 'why this source paid, e.g. third_party_extra_usage_only' },
);
export const Funding = Type.Object(
  {
    source: FundingSourceSchema,
    reason: FundingReasonSchema,
    allowance_tokens: Int,
    held_micros: Int,
    max_cost_micros: Int,
    price_version: Str,
  },
  closed,
);
export const AuthorizationResponse = Type.Object(
  {
    id: Str,
    status: Type.Union([Type.Literal('held'), Type.Literal('settled'), Type.Literal('released'), Type.Literal('expired')]),
    account_id: Str,
    app: Str,
    model: Str,
    user_id: Nullable(Str),
    input_tokens: Int,
    max_output_tokens: Int,
    funding: Funding,
    created_at: When,
    expires_at: When,
    finished_at: Nullable(When),
    usage: Nullable(TokenUsageBody),
    cost_micros: Nullable(Int),
    charged_micros: Nullable(Int),
    allowance_tokens: Nullable(Int),
    cache_write: Type.Union([Type.Literal('none'), Type.Literal('5m'), Type.Literal('1h')]),
    beyond_hold: Nullable(Type.Boolean({ description: 'settled for more than the hold covered (charged in full)' })),
    api_key_id: Type.Optional(Nullable(Str)),
    late_settlement_window_ends_at: Nullable(
      Type.String({ format: 'date-time', description: 'an expired hold: until then it still counts against the spend limit' }),
    ),
  },
  closed,
);

export const AutoReloadEvent = Type.Object(
  { type: Type.Union([Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('skipped')]), reason: Nullable(Str), amount_micros: Int, at: When },
  closed,
);
export const ExtraUsageResponse = Type.Object(
  {
    account_id: Str,
    enabled: Type.Boolean(),
    balance_micros: Int,
    purchased_micros: Int,
    promotional_micros: Int,
    held_micros: Int,
    late_held_micros: Type.Integer({
      description: 'expired holds still counted against the spend limit (not the balance) during their late-settlement window',
    }),
    available_micros: Int,
    monthly_spend_limit_micros: Nullable(Int),
    spent_this_cycle_micros: Int,
    cycle_start: When,
    cycle_end: When,
    plan_status: Str,
    refundable_micros: Type.Integer({
      description: 'purchased credits a refund would return now: purchased − held, in whole cents; promotional credit is never refunded',
    }),
    frozen: Type.Boolean({ description: 'the balance is kept but cannot be used: the plan lapsed, or is not a paid plan' }),
    frozen_reason: Nullable(Str),
    auto_reload: Type.Object(
      { enabled: Type.Boolean(), amount_micros: Nullable(Int), threshold_micros: Nullable(Int), last_event: Nullable(AutoReloadEvent) },
      closed,
    ),
    forecast: ExtraUsageForecast,
  },
  closed,
);

export const OkResponse = Type.Object({ ok: Type.Boolean() }, closed);
export const RevokedResponse = Type.Object({ id: Str, revoked: Type.Boolean() }, closed);
export const UserRef = Type.Object({ id: Str, email: Str }, closed);

export const SessionResponse = Type.Object({ token: Str, expires_at: When, user: UserRef }, closed);
export const AccountSummary = Type.Object(
  { id: Str, kind: Str, name: Str, plan: Nullable(Str), seats: Int, created_at: When, role: Type.Optional(Role) },
  closed,
);
export const MeResponse = Type.Object({ kind: Str, user: Type.Optional(UserRef), accounts: Type.Array(AccountSummary) }, closed);
export const PersonalTokenResponse = Type.Object(
  { id: Str, token: Type.String({ description: 'the secret, shown once' }), name: Nullable(Str), expires_at: Nullable(When) },
  closed,
);
export const ServiceTokenResponse = Type.Object({ id: Str, token: Type.String({ description: 'the secret, shown once' }), name: Nullable(Str) }, closed);
export const ServiceTokenSummary = Type.Object({ id: Str, name: Nullable(Str), created_at: When }, closed);
export const ServiceTokenList = Page(ServiceTokenSummary);

export const AccountWindow = Type.Object({ kind: Str, seat: Nullable(Str), used: Int, limit: Int, resets_at: Nullable(When) }, closed);
export const AccountResponse = Type.Object(
  {
    id: Str,
    kind: Str,
    name: Str,
    plan: Nullable(Type.Object({ id: Str, name: Str, price_micros: Int, per_seat: Type.Boolean() }, closed)),
    plan_status: Str,
    seats: Int,
    cancel_at: Nullable(When),
    cycle_start: When,
    cycle_end: When,
    created_at: When,
    windows: Type.Array(AccountWindow),
    role: Type.Optional(
      Nullable(Type.Union([Role, Type.Literal('operator')], { description: "the caller's role in this account; operator for the operator" })),
    ),
    owner: Type.Optional(UserRef),
  },
  closed,
);
export const AccountList = Page(AccountSummary);
export const PaymentMethod = Type.Object(
  { id: Str, brand: Str, last4: Str, exp_month: Int, exp_year: Int, created_at: When, default: Type.Optional(Type.Boolean()) },
  closed,
);
export const PaymentMethodList = Page(PaymentMethod);
export const PurchaseResponse = Type.Object(
  {
    transaction_id: Str,
    amount_micros: Int,
    balance_micros: Type.Integer({ description: 'the balance after the purchase (on a replay: now)' }),
    status: Str,
    replayed: Type.Boolean({ description: 'deprecated, read the Idempotent-Replayed header: the answer to an earlier call with this Idempotency-Key' }),
  },
  closed,
);
export const GrantResponse = Type.Object({ id: Str, amount_micros: Int, expires_at: Nullable(When), reason: Str }, closed);

export const UsageBucket = Type.Object(
  {
    start: Type.String({ format: 'date' }),
    group: Nullable(Str),
    requests: Int,
    input_tokens: Int,
    output_tokens: Int,
    cache_creation_input_tokens: Int,
    cache_read_input_tokens: Int,
    allowance_tokens: Int,
    cost_micros: Int,
    extra_usage_micros: Int,
  },
  closed,
);
export const UsageResponse = Type.Object(
  {
    account_id: Str,
    from: Type.String({ format: 'date' }),
    to: Type.String({ format: 'date' }),
    granularity: Type.Union([Type.Literal('day'), Type.Literal('month')]),
    group_by: Nullable(Type.Union([Type.Literal('app'), Type.Literal('model'), Type.Literal('source')])),
    buckets: Type.Array(UsageBucket),
    totals: Type.Object({ requests: Int, cost_micros: Int, extra_usage_micros: Int, allowance_tokens: Int }, closed),
  },
  closed,
);
export const UsageRecordBody = Type.Object(
  {
    id: Str,
    authorization_id: Nullable(Str),
    event_id: Nullable(Str),
    user_id: Nullable(Str),
    app: Str,
    model: Str,
    price_version: Str,
    funding: Type.Object({ source: FundingSourceSchema, reason: FundingReasonSchema }, closed),
    usage: TokenUsageBody,
    allowance_tokens: Int,
    cost_micros: Int,
    charged_micros: Int,
    beyond_hold: Type.Boolean(),
    late: Type.Boolean(),
    charged_by: Nullable(Str),
    request_id: Nullable(Str),
    api_key_id: Type.Optional(Nullable(Str)),
    occurred_at: When,
    recorded_at: When,
  },
  closed,
);
export const UsageRecordList = Page(UsageRecordBody, { account_id: Str });
export const Transaction = Type.Object(
  {
    id: Int,
    kind: Str,
    amount_micros: Type.Integer({ description: "+ into the customer's books, − out of them" }),
    book: Str,
    grant_id: Nullable(Str),
    reference_id: Nullable(Str),
    created_at: When,
  },
  closed,
);
export const TransactionList = Page(Transaction, {
  account_id: Str,
  next_before: Nullable(Type.Integer({ description: 'deprecated: the same as next_cursor' })),
});
export const EventTypeSchema = Type.Union(
  EVENT_TYPE_NAMES.map((t) => Type.Literal(t)),
  { description: `one of: ${EVENT_TYPE_NAMES.map((t) => `${t} (${EVENT_TYPES[t]})`).join('; ')}` },
);
export const AccountEvent = Type.Object({ id: Int, type: EventTypeSchema, payload: Type.Object({}, open), created_at: When }, closed);
export const EventList = Page(AccountEvent, { account_id: Str });

export const UsageEventResult = Type.Object(
  {
    id: Str,
    status: Type.Union([Type.Literal('recorded'), Type.Literal('duplicate'), Type.Literal('error')]),
    usage_record: Type.Optional(UsageRecordBody),
    error: Type.Optional(Type.Object({ type: Str, message: Str }, { ...open, description: 'plus the figures behind the refusal' })),
  },
  closed,
);
export const UsageEventsResponse = Type.Object({ data: Type.Array(UsageEventResult) }, closed);

export const CatalogResponse = Type.Object(
  {
    plans: Type.Array(
      Type.Object(
        {
          id: Str,
          name: Str,
          price_micros: Int,
          per_seat: Type.Boolean(),
          extra_usage_allowed: Type.Boolean(),
          windows: Type.Array(Type.Object({ kind: Str, limit_tokens: Int }, closed)),
          requests_per_minute: Int,
          tokens_per_minute: Int,
        },
        closed,
      ),
    ),
    models: Type.Array(Type.Object({ id: Str, tier: Str, allowance_multiplier_milli: Int }, closed)),
    prices: Type.Array(
      Type.Object(
        {
          id: Str,
          model_id: Str,
          effective_at: When,
          input_micros_per_mtok: Int,
          output_micros_per_mtok: Int,
          cache_write_micros_per_mtok: Int,
          cache_write_1h_micros_per_mtok: Int,
          cache_read_micros_per_mtok: Int,
        },
        closed,
      ),
    ),
    apps: Type.Array(Type.Object({ id: Str, kind: Str }, closed)),
  },
  closed,
);
export const AuditResponse = Type.Object(
  {
    ok: Type.Boolean({ description: 'no findings' }),
    findings: Type.Array(Type.Object({ check: Str, account_id: Nullable(Str), expected: Type.Number(), actual: Type.Number(), message: Str }, closed)),
    totals: Type.Record(Type.String(), Type.Number()),
    accounts_checked: Int,
    transfers_checked: Int,
  },
  closed,
);
export const AuditLogEntry = Type.Object(
  { id: Int, account_id: Nullable(Str), actor: Str, action: Str, request_id: Nullable(Str), details: Type.Object({}, open), created_at: When },
  closed,
);
export const AuditLogList = Page(AuditLogEntry);

// ---- static types, for the CLI and the page ----------------------------------------------------

export type AuthorizeRequestBody = Static<typeof AuthorizeRequest>;
export type SettleRequestBody = Static<typeof SettleRequest>;
export type CatalogRequestBody = Static<typeof CatalogBody>;
export type SessionRequestBody = Static<typeof SessionRequest>;
export type TokenRequestBody = Static<typeof TokenRequest>;
export type CreateAccountRequestBody = Static<typeof CreateAccountRequest>;
export type SubscriptionRequestBody = Static<typeof SubscriptionRequest>;
export type PaymentMethodRequestBody = Static<typeof PaymentMethodRequest>;
export type ExtraUsagePatchRequestBody = Static<typeof ExtraUsagePatchRequest>;
export type CreditsRequestBody = Static<typeof CreditsRequest>;
export type GrantRequestBody = Static<typeof GrantRequest>;
export type UsageEventsRequestBody = Static<typeof UsageEventsRequest>;
export type ErrorResponseBody = Static<typeof ErrorBody>;

/** Any list's page: `{ data, has_more, next_cursor }`. */
export interface PageBody<T> {
  data: T[];
  has_more: boolean;
  next_cursor: string | null;
}
export type ExtraUsageBody = Static<typeof ExtraUsageResponse>;
export type AuthorizationBody = Static<typeof AuthorizationResponse>;
export type OkBody = Static<typeof OkResponse>;
export type RevokedBody = Static<typeof RevokedResponse>;
export type SessionBody = Static<typeof SessionResponse>;
export type MeBody = Static<typeof MeResponse>;
export type AccountSummaryBody = Static<typeof AccountSummary>;
export type PersonalTokenBody = Static<typeof PersonalTokenResponse>;
export type ServiceTokenBody = Static<typeof ServiceTokenResponse>;
export type ServiceTokenListBody = Static<typeof ServiceTokenList>;
export type AccountBody = Static<typeof AccountResponse>;
export type AccountListBody = Static<typeof AccountList>;
export type PaymentMethodBody = Static<typeof PaymentMethod>;
export type PaymentMethodListBody = Static<typeof PaymentMethodList>;
export type PurchaseBody = Static<typeof PurchaseResponse>;
export type GrantBody = Static<typeof GrantResponse>;
export type UsageBody = Static<typeof UsageResponse>;
export type UsageRecordBodyType = Static<typeof UsageRecordBody>;
export type UsageRecordListBody = Static<typeof UsageRecordList>;
export type TransactionBody = Static<typeof Transaction>;
export type TransactionListBody = Static<typeof TransactionList>;
export type AccountEventBody = Static<typeof AccountEvent>;
export type EventListBody = Static<typeof EventList>;
export type UsageEventsBody = Static<typeof UsageEventsResponse>;
export type CatalogResponseBody = Static<typeof CatalogResponse>;
export type AuditBody = Static<typeof AuditResponse>;
export type AuditLogListBody = Static<typeof AuditLogList>;
