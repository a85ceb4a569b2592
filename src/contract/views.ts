// The wire shapes of the API's answers, as the page (web/) and the CLI read them: derived from
// the response schemas in ./schemas.ts (the ones the server serialises through), never declared
// twice. Types only. Amounts are integer micros.

import type * as S from './schemas';

export type ApiErrorBody = S.ErrorResponseBody;
export type SessionBody = S.SessionBody;
export type AccountSummary = S.AccountSummaryBody;
export type Role = NonNullable<AccountSummary['role']>;
export type MeBody = S.MeBody;
export type AccountBody = S.AccountBody;
export type ExtraUsageBody = S.ExtraUsageBody;
export type WindowKind = AccountBody['windows'][number]['kind'];
export type PaymentMethodBody = S.PaymentMethodBody;
export type CreditsBody = S.PurchaseBody;
export type UsageBody = S.UsageBody;
export type UsageBucket = UsageBody['buckets'][number];
export type UsageGroupBy = NonNullable<UsageBody['group_by']>;
export type UsageRecordBody = S.UsageRecordBodyType;
export type FundingSource = UsageRecordBody['funding']['source'];
export type TransactionBody = S.TransactionBody;
/** Every list answers one shape: data, has_more, next_cursor (SPEC §2). */
export type Page<T> = { data: T[]; has_more: boolean; next_cursor: string | null; account_id?: string; next_before?: number | null };
/** An event's payload is open (each event type has its own fields). */
export type EventBody = Omit<S.AccountEventBody, 'payload'> & { payload: Record<string, unknown> };
export type CatalogBodyView = S.CatalogResponseBody;
export type AuditBody = S.AuditBody;
export type AuditLogEntry = S.AuditLogListBody['data'][number];
export type GrantBody = S.GrantBody;
export type ServiceTokenBody = S.ServiceTokenBody & { created_at?: string };
