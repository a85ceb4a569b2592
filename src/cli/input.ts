// Parsing what the user typed. Dollars go through the domain's exact parser (never a float);
// anything malformed is a usage error (exit 2) that names the argument.
import { limits } from '../domain/limits';
import { floorToCents, formatUsd, parseDollars } from '../domain/money';
import { usageError } from './errors';

export const input_limits = {
  /** Cards are charged in whole cents, so amounts charged to a card have at most 2 decimals. */
  card_amount_decimals_max: 2,
  /** PaymentMethodRequest.token's maxLength in the contract. */
  card_token_length_max: limits.card_token_length_max,
} as const;

/** "12", "12.5", "12.50", "$12", "1,000.25" → micros; at most 6 decimals. */
export function dollars(what: string, text: string): number {
  const parsed = parseDollars(text);
  if (!parsed.ok) throw usageError(`${what}: ${parsed.message}`);
  return parsed.amount_micros;
}

/** A dollar amount charged to a card: whole cents only ("12.345" is refused, not rounded). */
export function cardDollars(what: string, text: string): number {
  const micros = dollars(what, text);
  if (micros % limits.card_charge_unit_micros !== 0) {
    throw usageError(
      `${what}: "${text}" has more than ${input_limits.card_amount_decimals_max} decimals; cards are charged in whole cents (e.g. ${formatUsd(floorToCents(Math.abs(micros)))})`,
    );
  }
  return micros;
}

export function integer(what: string, text: string, min: number, max: number): number {
  if (!/^\d{1,9}$/.test(text.trim())) throw usageError(`${what}: "${text}" is not a whole number`);
  const value = Number(text.trim());
  if (value < min || value > max) throw usageError(`${what}: must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** A calendar day as YYYY-MM-DD that exists (2026-02-30 does not). */
export function day(what: string, text: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  // Date.parse gives NaN for a month 13 (toISOString would throw on it) and rolls Feb 30 over
  // to Mar 2: a day exists only when it survives the round trip unchanged.
  const ms = match ? Date.parse(`${match[0]}T00:00:00Z`) : NaN;
  const valid = match !== null && Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === match[0];
  if (!match || !valid) throw usageError(`${what}: "${text}" is not a date as YYYY-MM-DD`);
  return match[0];
}

/** A calendar month as YYYY-MM; its first day as YYYY-MM-01. */
export function month(what: string, text: string): string {
  const match = /^(\d{4})-(\d{2})$/.exec(text.trim());
  if (!match || Number(match[2]) < 1 || Number(match[2]) > 12) throw usageError(`${what}: "${text}" is not a month as YYYY-MM`);
  return `${match[0]}-01`;
}

/** A payment provider's card token (tok_visa in the sandbox): one word, as long as the API takes. */
export function cardToken(what: string, text: string): string {
  const value = text.trim();
  if (!new RegExp(`^\\S{1,${input_limits.card_token_length_max}}$`).test(value))
    throw usageError(`${what}: "${text}" is not a card token (one word of at most ${input_limits.card_token_length_max} characters, e.g. tok_visa)`);
  return value;
}

/** The UTC day `days_back` days before `now_ms`, as YYYY-MM-DD (the server counts usage in UTC days). */
export function utcDayBefore(now_ms: number, days_back: number): string {
  return new Date(now_ms - days_back * 86_400_000).toISOString().slice(0, 10);
}
