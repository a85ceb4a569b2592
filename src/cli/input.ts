// Parsing what the user typed. Dollars go through the domain's exact parser (never a float);
// anything malformed is a usage error (exit 2) that names the argument.
import { parseDollars, formatUsd } from '../domain/money';
import { usageError } from './errors';

export const input_limits = {
  /** Cards are charged in whole cents, so amounts charged to a card have at most 2 decimals. */
  card_amount_decimals_max: 2,
  micros_per_cent: 10_000,
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
  if (micros % input_limits.micros_per_cent !== 0) {
    throw usageError(`${what}: "${text}" has more than ${input_limits.card_amount_decimals_max} decimals; cards are charged in whole cents (e.g. ${formatUsd(micros - (micros % input_limits.micros_per_cent))})`);
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
  const valid = match && new Date(`${match[0]}T00:00:00Z`).toISOString().slice(0, 10) === match[0];
  if (!match || !valid) throw usageError(`${what}: "${text}" is not a date as YYYY-MM-DD`);
  return match[0];
}

/** The UTC day `days_back` days before `now_ms`, as YYYY-MM-DD (the server counts usage in UTC days). */
export function utcDayBefore(now_ms: number, days_back: number): string {
  return new Date(now_ms - days_back * 86_400_000).toISOString().slice(0, 10);
}
