// Input checks shared by every adapter. The HTTP schemas refuse malformed JSON first; these
// checks hold the same line for the library and CLI paths, naming the field that is wrong.
import { limits } from '../domain/limits';
import { formatUsdExact } from '../domain/money';
import { usageOf, type TokenUsage } from '../domain/pricing';
import { invalid } from '../domain/refusals';

export function integerIn(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw invalid(field, `must be an integer, got ${JSON.stringify(value)}`);
  if (value < min || value > max) throw invalid(field, `must be between ${min} and ${max}, got ${value}`, { min, max, got: value });
  return value;
}

export function tokens(field: string, value: unknown, optional = false): number {
  if (value === undefined && optional) return 0;
  return integerIn(field, value, 0, limits.tokens_per_request_max);
}

/** An amount in micros; its bounds are said in dollars too. */
export function amountMicros(field: string, value: unknown, min = 0): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && (value < min || value > limits.amount_micros_max))
    throw invalid(
      field,
      `must be between ${min} and ${limits.amount_micros_max} micros (${formatUsdExact(min)} to ${formatUsdExact(limits.amount_micros_max)}), got ${value}`,
      { min, max: limits.amount_micros_max, got: value },
    );
  return integerIn(field, value, min, limits.amount_micros_max);
}

/**
 * Why a string cannot be stored and read back exactly, or null when it can. PostgreSQL text
 * refuses NUL outright (a 500 if it got that far); a lone UTF-16 surrogate has no UTF-8 form,
 * so the database would store U+FFFD and two different ids ("\ud800", "\udbff") would become
 * one. Every text field of every adapter is held to this.
 */
export function textProblem(value: string): string | null {
  if (value.includes('\u0000')) return 'must not contain the NUL character (\\u0000)';
  if (!value.isWellFormed()) return 'must be well-formed Unicode text (it has a lone UTF-16 surrogate)';
  return null;
}

/** A field's name in an error, one style everywhere: `events[0].usage.input_tokens`. */
export function fieldPath(segments: ReadonlyArray<string | number>): string {
  let path = '';
  for (const s of segments) path += typeof s === 'number' || /^\d+$/.test(s) ? `[${s}]` : path === '' ? s : `.${s}`;
  return path;
}

export function text(field: string, value: unknown, max_length: number = limits.id_length_max): string {
  if (typeof value !== 'string' || value.length === 0) throw invalid(field, 'must be a non-empty string');
  if (value.length > max_length) throw invalid(field, `must be at most ${max_length} characters`);
  const problem = textProblem(value);
  if (problem) throw invalid(field, problem);
  return value;
}

export function optionalText(field: string, value: unknown, max_length: number = limits.id_length_max): string | null {
  if (value === undefined || value === null) return null;
  return text(field, value, max_length);
}

export function idempotencyKey(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return text('Idempotency-Key', value, limits.idempotency_key_length_max);
}

/**
 * Anthropic's Messages API `usage` object, passed through as the API returns it (SPEC §2): the
 * four counts (null cache counts are 0), `cache_creation` with its 5-minute and 1-hour parts,
 * and any other field (`service_tier`, `server_tool_use`, fields added later), which is ignored.
 * When both are given, the total and its parts must agree.
 */
export function usage(prefix: string, value: unknown): TokenUsage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(prefix, 'must be an object with input_tokens and output_tokens');
  const v = value as Record<string, unknown>;
  const count = (key: string) => (v[key] === null || v[key] === undefined ? 0 : tokens(`${prefix}.${key}`, v[key]));
  let writes_1h = 0;
  let writes_5m: number | null = null;
  if (v.cache_creation !== undefined && v.cache_creation !== null) {
    if (typeof v.cache_creation !== 'object' || Array.isArray(v.cache_creation))
      throw invalid(`${prefix}.cache_creation`, 'must be an object with ephemeral_5m_input_tokens and ephemeral_1h_input_tokens');
    const parts = v.cache_creation as Record<string, unknown>;
    const part = (key: string) => (parts[key] === null || parts[key] === undefined ? 0 : tokens(`${prefix}.cache_creation.${key}`, parts[key]));
    writes_5m = part('ephemeral_5m_input_tokens');
    writes_1h = part('ephemeral_1h_input_tokens');
  }
  const given_total = v.cache_creation_input_tokens === undefined || v.cache_creation_input_tokens === null ? null : count('cache_creation_input_tokens');
  const total = given_total ?? (writes_5m ?? 0) + writes_1h;
  if (writes_5m !== null && given_total !== null && given_total !== writes_5m + writes_1h) {
    throw invalid(
      `${prefix}.cache_creation_input_tokens`,
      `is ${given_total}, but cache_creation says ${writes_5m} (5 minutes) + ${writes_1h} (1 hour) = ${writes_5m + writes_1h}`,
    );
  }
  if (total > limits.tokens_per_request_max) throw invalid(`${prefix}.cache_creation_input_tokens`, `must be at most ${limits.tokens_per_request_max}`);
  return usageOf({
    input_tokens: tokens(`${prefix}.input_tokens`, v.input_tokens),
    output_tokens: tokens(`${prefix}.output_tokens`, v.output_tokens),
    cache_creation_input_tokens: total,
    cache_read_input_tokens: count('cache_read_input_tokens'),
    cache_creation_1h_input_tokens: writes_1h,
  });
}

export function timestampMs(field: string, value: unknown): number {
  if (typeof value !== 'string') throw invalid(field, 'must be an ISO 8601 timestamp string');
  const ms = Date.parse(value);
  if (!Number.isFinite(ms) || !/^\d{4}-\d{2}-\d{2}T/.test(value)) throw invalid(field, `"${value}" is not an ISO 8601 timestamp`);
  yearInRange(field, ms);
  return ms;
}

/** A calendar date YYYY-MM-DD within the accepted years, as written. */
export function date(field: string, value: unknown): string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) throw invalid(field, 'must be a date as YYYY-MM-DD');
  yearInRange(field, Date.parse(value));
  return value;
}

function yearInRange(field: string, ms: number): void {
  const year = new Date(ms).getUTCFullYear();
  if (year < limits.timestamp_year_min || year > limits.timestamp_year_max)
    throw invalid(field, `must be in the years ${limits.timestamp_year_min} to ${limits.timestamp_year_max}, got ${year}`);
}

export function email(field: string, value: unknown): string {
  const v = text(field, value, limits.name_length_max).trim().toLowerCase();
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v)) throw invalid(field, `"${v}" is not an email address`);
  return v;
}

export function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
    throw invalid(field, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}
