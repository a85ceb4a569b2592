// The wire contract of API organizations (issue 12): organizations, their members, API keys,
// credits, usage. Closed objects and bounded integers, like every other schema (./schemas.ts).
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { limits } from '../domain/limits';
import { Micros, Page, Timestamp } from './schemas';

const closed = { additionalProperties: false } as const;
const Int = Type.Integer();
const Str = Type.String();
const When = Timestamp;
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const OrgRole = Type.Union([Type.Literal('admin'), Type.Literal('billing'), Type.Literal('developer')]);

export const CreateOrgRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: limits.name_length_max }),
    admin_email: Type.String({ maxLength: limits.email_length_max, description: 'the first admin: an existing user, or a new one with admin_password' }),
    admin_password: Type.Optional(Type.String({ minLength: limits.password_length_min, maxLength: limits.password_length_max })),
    monthly_limit_micros: Type.Optional(Type.Union([Micros, Type.Null()])),
  },
  closed,
);
export const OrgPatchRequest = Type.Object(
  {
    monthly_limit_micros: Type.Optional(
      Type.Union([Micros, Type.Null()], { description: 'a hard cap on API credits consumed per calendar month (UTC); null: unlimited' }),
    ),
    auto_reload: Type.Optional(
      Type.Object({ enabled: Type.Optional(Type.Boolean()), amount_micros: Type.Optional(Micros), threshold_micros: Type.Optional(Micros) }, closed),
    ),
  },
  closed,
);
export const InviteOrgMemberRequest = Type.Object({ email: Type.String({ maxLength: limits.email_length_max }), role: OrgRole }, closed);
export const CreateApiKeyRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: limits.token_name_length_max }),
    monthly_limit_micros: Type.Optional(
      Type.Union([Micros, Type.Null()], { description: "a hard cap on what this key may consume per calendar month (UTC); null: only the org's" }),
    ),
  },
  closed,
);
export const OrgKeyParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: limits.id_length_max }), key_id: Type.String({ minLength: 1, maxLength: limits.id_length_max }) },
  closed,
);
export const OrgUsageQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ format: 'date' })),
    to: Type.Optional(Type.String({ format: 'date' })),
    granularity: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('month')])),
    group_by: Type.Optional(Type.Union([Type.Literal('key'), Type.Literal('model')])),
  },
  closed,
);

const AutoReload = Type.Object(
  {
    enabled: Type.Boolean(),
    amount_micros: Nullable(Int),
    threshold_micros: Nullable(Int),
    last_event: Nullable(
      Type.Object(
        {
          type: Type.Union([Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('skipped')]),
          reason: Type.Union([Str, Type.Null()]),
          amount_micros: Int,
          at: When,
        },
        closed,
      ),
    ),
  },
  closed,
);
export const OrgResponse = Type.Object(
  {
    id: Str,
    kind: Type.Literal('api_org'),
    name: Str,
    created_at: When,
    role: Type.Optional(Type.Union([OrgRole, Type.Literal('operator')], { description: "the caller's role in this organization" })),
    credit_balance_micros: Type.Integer({ description: 'API credits: purchased + live promotional' }),
    purchased_micros: Int,
    promotional_micros: Int,
    held_micros: Int,
    available_micros: Int,
    monthly_limit_micros: Nullable(Int),
    spent_this_month_micros: Int,
    month_start: When,
    month_end: When,
    auto_reload: AutoReload,
    has_payment_method: Type.Boolean(),
    tier: Type.Object(
      {
        tier: Int,
        purchased_total_micros: Type.Integer({ description: 'cumulative credit purchases: the tier follows them' }),
        next: Nullable(Type.Object({ tier: Int, purchased_micros_min: Int, remaining_micros: Int }, closed)),
      },
      closed,
    ),
    limits: Type.Object({ requests_per_minute: Int, input_tokens_per_minute: Int, output_tokens_per_minute: Int }, closed),
    admin: Type.Optional(Type.Object({ id: Str, email: Str }, closed)),
  },
  closed,
);
export const OrgSummary = Type.Object({ id: Str, kind: Type.Literal('api_org'), name: Str, created_at: When, role: Nullable(OrgRole) }, closed);
export const OrgList = Page(OrgSummary);
export const OrgMember = Type.Object({ user_id: Str, email: Str, role: OrgRole, created_at: When }, closed);
export const OrgMemberList = Page(OrgMember, { org_id: Str });
export const OrgMemberRoleRequest = Type.Object({ role: OrgRole }, closed);

export const ApiKey = Type.Object(
  {
    id: Str,
    org_id: Str,
    name: Str,
    prefix: Type.String({ description: 'the first characters of the secret (tbk_…), to recognise it; never the secret' }),
    monthly_limit_micros: Nullable(Int),
    spent_this_month_micros: Int,
    created_at: When,
    last_used_at: Type.Union([When, Type.Null()]),
    revoked_at: Type.Union([When, Type.Null()]),
  },
  closed,
);
export const ApiKeyCreated = Type.Object(
  { ...ApiKey.properties, secret: Type.String({ description: 'the API key, shown once: only its hash is stored' }) },
  closed,
);
export const ApiKeyList = Page(ApiKey, { org_id: Str });

export const OrgUsageBucket = Type.Object(
  {
    start: Str,
    group: Type.Union([Str, Type.Null()], { description: 'the key id or model id (group_by), or null' }),
    requests: Int,
    input_tokens: Int,
    output_tokens: Int,
    cache_creation_input_tokens: Int,
    cache_read_input_tokens: Int,
    cost_micros: Int,
  },
  closed,
);
export const OrgUsageResponse = Type.Object(
  {
    org_id: Str,
    from: Type.String({ format: 'date' }),
    to: Type.String({ format: 'date' }),
    granularity: Type.Union([Type.Literal('day'), Type.Literal('month')]),
    group_by: Type.Union([Type.Literal('key'), Type.Literal('model'), Type.Null()]),
    buckets: Type.Array(OrgUsageBucket),
    totals: Type.Object({ requests: Int, cost_micros: Int }, closed),
  },
  closed,
);

export const ApiTier = Type.Object(
  {
    tier: Type.Integer({ minimum: 0, maximum: limits.api_tiers_max }),
    purchased_micros_min: Type.Integer({ minimum: 0, maximum: limits.amount_micros_max, description: 'cumulative credit purchases that reach this tier' }),
    requests_per_minute: Type.Integer({ minimum: 1, maximum: limits.plan_requests_per_minute_max }),
    input_tokens_per_minute: Type.Integer({ minimum: 1, maximum: limits.plan_tokens_per_minute_max }),
    output_tokens_per_minute: Type.Integer({ minimum: 1, maximum: limits.plan_tokens_per_minute_max }),
  },
  closed,
);
export const ApiTiersBody = Type.Object({ tiers: Type.Array(ApiTier, { minItems: 1, maxItems: limits.api_tiers_max }) }, closed);

export type OrgBody = Static<typeof OrgResponse>;
export type OrgSummaryBody = Static<typeof OrgSummary>;
export type OrgListBody = Static<typeof OrgList>;
export type OrgMemberListBody = Static<typeof OrgMemberList>;
export type ApiKeyBody = Static<typeof ApiKey>;
export type ApiKeyCreatedBody = Static<typeof ApiKeyCreated>;
export type ApiKeyListBody = Static<typeof ApiKeyList>;
export type OrgUsageBody = Static<typeof OrgUsageResponse>;
