// The API objects the CLI reads: the contract's own types (src/contract), never re-declared
// here. The CLI names only the fields it shows and passes --json output through untouched.
import type { ResponseOf } from '../contract/routes';
import type {
  AccountBody,
  ExtraUsageBody,
  PaymentMethodBody,
  TransactionBody,
  UsageBody,
  UsageBucket as ContractUsageBucket,
  UsageRecordBody,
} from '../contract/views';
import type { FundingReason, FundingSource } from '../domain/funding';

export type ExtraUsage = ExtraUsageBody;
export type AccountView = AccountBody;
export type UsageBucket = ContractUsageBucket;
export type UsageView = UsageBody;
export type PaymentMethod = PaymentMethodBody & { default?: boolean };
export type Transaction = TransactionBody;
export type TransactionsView = ResponseOf<'GET /v1/accounts/{id}/transactions'>;
/** The receipt: which source paid and why (the contract names both as enums, so both can be put in words). */
export type UsageRecordView = UsageRecordBody;

export const WINDOW_LABEL: Record<string, string> = { rolling_5h: '5-hour window', weekly: 'weekly window', cycle: 'cycle window' };

/** Which pool paid, in words. */
export const FUNDING_SOURCE_LABEL: Record<FundingSource, string> = {
  allowance: 'plan allowance',
  extra_usage: 'extra usage',
  mixed: 'allowance + extra usage',
  api_credits: 'API credits',
};

/** Why that pool paid: the answer to "why did this come out of my credits?". */
export const FUNDING_REASON_TEXT: Record<FundingReason, string> = {
  first_party_allowance: 'the plan allowance had room for the whole request',
  first_party_overflow: 'the plan allowance was used up, so extra usage paid all of it',
  first_party_mixed: 'the plan allowance had some room; extra usage paid the rest',
  third_party_extra_usage_only: 'third-party apps draw only on extra usage',
  api_key: 'API-key requests draw only on API credits',
};

/** A transfer kind in words. */
export const TRANSACTION_KIND_LABEL: Record<string, string> = {
  purchase: 'purchase',
  grant: 'promotional grant',
  grant_expiry: 'grant expired',
  refund: 'refund',
  usage: 'usage',
};
