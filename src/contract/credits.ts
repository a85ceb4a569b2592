// The wire contract of refunds, campaign codes and grant lists (issue 11), in the style of
// schemas.ts: closed objects, bounded integers, micros.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { limits } from '../domain/limits';
import { Page, Timestamp } from './schemas';

const closed = { additionalProperties: false } as const;
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Int = Type.Integer();
const Str = Type.String();
const When = Type.String({ format: 'date-time' });
const Code = Type.String({
  minLength: limits.promotion_code_length_min,
  maxLength: limits.promotion_code_length_max,
  description: 'letters, digits, - and _, compared without case',
});

export const RefundRequest = Type.Object(
  {
    amount_micros: Type.Optional(
      Type.Integer({ minimum: 1, maximum: limits.amount_micros_max, description: 'whole cents; absent: everything refundable (of the purchase, if named)' }),
    ),
    purchase_id: Type.Optional(
      Type.String({ minLength: 1, maxLength: limits.id_length_max, description: 'refund from this purchase only; absent: the most recent purchases first' }),
    ),
  },
  closed,
);
export const RefundPart = Type.Object(
  {
    purchase_id: Str,
    amount_micros: Int,
    status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')]),
    provider_refund_id: Nullable(Str),
  },
  closed,
);
const refundFields = {
  id: Str,
  status: Type.Union([Type.Literal('pending'), Type.Literal('succeeded'), Type.Literal('failed')], {
    description:
      'pending: the provider has not answered yet; the credits are reserved and the refund is finished by a retry with the same key or by the server',
  }),
  amount_micros: Type.Integer({ description: 'what the refund took out of the purchased balance' }),
  refunded_micros: Type.Integer({ description: 'what went back to the card (set when the refund is done)' }),
  purchase_id: Nullable(Str),
  parts: Type.Array(RefundPart),
  created_at: When,
  completed_at: Nullable(When),
};
export const Refund = Type.Object(refundFields, closed);
export const RefundResponse = Type.Object(
  {
    ...refundFields,
    balance_micros: Type.Integer({ description: 'the balance now' }),
    refundable_micros: Type.Integer({ description: 'what is still refundable' }),
  },
  closed,
);
export const RefundList = Page(Refund, { account_id: Str });

export const PromotionRequest = Type.Object(
  {
    code: Code,
    amount_micros: Type.Integer({ minimum: 1, maximum: limits.amount_micros_max }),
    expires_at: Type.Optional(Nullable(Timestamp)),
    credit_expires_in_days: Type.Optional(
      Nullable(
        Type.Integer({
          minimum: 1,
          maximum: limits.promotion_credit_expires_in_days_max,
          description: 'the claimed credit expires this many days after the claim',
        }),
      ),
    ),
    claims_max: Type.Integer({ minimum: 1, maximum: limits.promotion_claims_max }),
  },
  closed,
);
export const Promotion = Type.Object(
  {
    id: Str,
    code: Str,
    amount_micros: Int,
    expires_at: Nullable(When),
    credit_expires_in_days: Nullable(Int),
    claims_max: Int,
    claims_count: Int,
    created_at: When,
  },
  closed,
);
export const PromotionList = Page(Promotion);
export const ClaimRequest = Type.Object({ code: Code }, closed);
export const Grant = Type.Object(
  { id: Str, amount_micros: Int, remaining_micros: Int, expires_at: Nullable(When), reason: Str, created_at: When, live: Type.Boolean() },
  closed,
);
export const ClaimResponse = Type.Object({ code: Str, grant: Grant }, closed);
export const GrantList = Page(Grant, { account_id: Str });

export type RefundBody = Static<typeof Refund>;
export type PromotionBody = Static<typeof Promotion>;
export type GrantListBody = Static<typeof GrantList>;
export type RefundResponseBody = Static<typeof RefundResponse>;
export type ClaimResponseBody = Static<typeof ClaimResponse>;
export type GrantListItem = Static<typeof Grant>;
