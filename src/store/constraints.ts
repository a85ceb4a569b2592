// Named constraints as typed errors: the one place a database refusal becomes an answer.
import { AppError } from '../domain/refusals';

/**
 * The named constraints that input can break, as the typed error each one means: the one place
 * a database refusal becomes an answer. `field` is the input the row came from, as precise as
 * the caller knows it (`prices[3]`); each entry has a default for callers that do not say.
 */
const CONSTRAINT_ERRORS: Record<string, { field: string; error: (field: string) => AppError }> = {
  model_prices_model_effective_unique: {
    field: 'prices',
    error: (field) =>
      new AppError('conflict', `${field}.effective_at: the model already has a price version from this instant; give the new version a later effective_at.`, {
        field: `${field}.effective_at`,
      }),
  },
  model_prices_model_id_fkey: {
    field: 'prices',
    error: (field) =>
      new AppError('invalid_request', `${field}.model_id: names a model that is not in the catalog; add it under models first.`, {
        field: `${field}.model_id`,
      }),
  },
  promotion_claims_one_per_account: {
    field: 'code',
    error: (field) =>
      new AppError('promotion_already_claimed', `${field}: this account has already claimed this code; each account may claim a code once.`, { field }),
  },
  org_members_once: {
    field: 'email',
    error: (field) => new AppError('conflict', `${field}: this user is already a member of the organization; change nothing, or remove them first.`, { field }),
  },
  promotions_code_unique: {
    field: 'code',
    error: (field) => new AppError('conflict', `${field}: a promotion with this code exists; choose another code.`, { field }),
  },
  promotions_claims_within_max: {
    field: 'code',
    error: (field) => new AppError('promotion_exhausted', `${field}: the code has reached its claim limit; it can no longer be claimed.`, { field }),
  },
};

/** A database error from a named constraint as its typed error; anything else unchanged. */
export function constraintError(error: unknown, field?: string): unknown {
  const name = (error as { constraint?: unknown } | null)?.constraint;
  const entry = typeof name === 'string' ? CONSTRAINT_ERRORS[name] : undefined;
  return entry ? entry.error(field ?? entry.field) : error;
}
