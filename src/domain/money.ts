// Money is an integer number of micro-dollars (1 USD = 1,000,000 micros), everywhere.
// This module is the one place that multiplies, divides and rounds money. Products that may
// pass 2^53 (tokens × price) are computed in BigInt and brought back to a safe integer.

import { limits } from './limits';

export const MICROS_PER_DOLLAR = 1_000_000;
export const MICROS_PER_CENT = 10_000;
export const TOKENS_PER_MTOK = 1_000_000n;

export class MoneyInvariantError extends Error {
  override name = 'MoneyInvariantError';
}

/** A broken money invariant is a bug: it throws and fails that one operation. */
export function assertMicros(value: number, what = 'amount'): number {
  if (!Number.isSafeInteger(value)) throw new MoneyInvariantError(`${what} is not a safe integer of micros: ${value}`);
  return value;
}

/** Micros to the card provider's unit, whole cents; an amount that is not whole cents is a bug here (callers check first). */
export function microsToCents(amount_micros: number): number {
  assertMicros(amount_micros);
  if (amount_micros % limits.card_charge_unit_micros !== 0) throw new MoneyInvariantError(`not whole cents: ${amount_micros} micros`);
  return amount_micros / limits.card_charge_unit_micros;
}

/** The whole cents in a non-negative amount, rounded down (what a card refund can carry): integer arithmetic only. */
export function floorToCents(amount_micros: number): number {
  assertMicros(amount_micros);
  if (amount_micros < 0) throw new MoneyInvariantError(`floorToCents takes a non-negative amount: ${amount_micros} micros`);
  return amount_micros - (amount_micros % limits.card_charge_unit_micros);
}

/** The card provider's cents back to micros. */
export function centsToMicros(cents: number): number {
  if (!Number.isSafeInteger(cents)) throw new MoneyInvariantError(`not a whole number of cents: ${cents}`);
  return assertMicros(cents * limits.card_charge_unit_micros, 'cents');
}

export function toSafeNumber(value: bigint, what = 'amount'): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new MoneyInvariantError(`${what} overflows a safe integer: ${value}`);
  }
  return Number(value);
}

/** round_half_up(numerator / denominator) for non-negative numerator, positive denominator. */
export function divRoundHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n || numerator < 0n) throw new MoneyInvariantError('divRoundHalfUp takes numerator >= 0, denominator > 0');
  return (numerator * 2n + denominator) / (denominator * 2n);
}

/** ceil(numerator / denominator) for non-negative numerator, positive denominator. */
export function divCeil(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n || numerator < 0n) throw new MoneyInvariantError('divCeil takes numerator >= 0, denominator > 0');
  return (numerator + denominator - 1n) / denominator;
}

/** The smallest multiple of `step` that is ≥ value, for value ≥ 0 and step > 0 ($13.27 → $15 with a $5 step). */
export function roundUpToMultiple(value: bigint, step: bigint): bigint {
  return divCeil(value, step) * step;
}

/** ceil(amount × part / whole): the share of `amount` that `part` of `whole` owes (SPEC §1.4 mixed). */
export function shareCeil(amount_micros: number, part: number, whole: number): number {
  if (whole <= 0) throw new MoneyInvariantError('shareCeil needs whole > 0');
  return toSafeNumber(divCeil(BigInt(amount_micros) * BigInt(part), BigInt(whole)), 'share');
}

/** "$12.40"; negative amounts as "-$3.00". Exact: no float touches the digits. */
export function formatUsd(amount_micros: number, fraction_digits = 2): string {
  assertMicros(amount_micros);
  const negative = amount_micros < 0;
  const abs = BigInt(Math.abs(amount_micros));
  const scale = 10n ** BigInt(6 - fraction_digits);
  const rounded = divRoundHalfUp(abs, scale); // in units of 10^-fraction_digits dollars
  const unit = 10n ** BigInt(fraction_digits);
  const whole = (rounded / unit).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const frac = fraction_digits > 0 ? '.' + (rounded % unit).toString().padStart(fraction_digits, '0') : '';
  return `${negative ? '-' : ''}$${whole}${frac}`;
}

export type DollarParse = { ok: true; amount_micros: number } | { ok: false; message: string };

/** Dollars exactly: cents when the amount is whole cents ($5.00), all six digits when not ($0.000001). */
export function formatUsdExact(amount_micros: number): string {
  return formatUsd(amount_micros, amount_micros % MICROS_PER_CENT === 0 ? 2 : 6);
}

/** Parses "12", "12.5", "12.50", "$12", "1,000.25" into micros exactly. More than 6 decimals is an error. */
export function parseDollars(text: string): DollarParse {
  const trimmed = text.trim().replace(/^\$/, '').replace(/,/g, '');
  const match = /^(\d{1,12})(?:\.(\d+))?$/.exec(trimmed);
  if (!match) return { ok: false, message: `"${text}" is not a dollar amount (examples: 12, 12.50, $12)` };
  const fraction = match[2] ?? '';
  if (fraction.length > 6) return { ok: false, message: `"${text}" has more than 6 decimals; the smallest unit is $0.000001` };
  const micros = BigInt(match[1]!) * 1_000_000n + BigInt((fraction + '000000').slice(0, 6));
  // Typed input past 2^53 − 1 micros (about $9 billion) is a refusal, not a broken invariant.
  if (micros > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, message: `"${text}" is too large; the most is ${formatUsd(Number.MAX_SAFE_INTEGER)}` };
  return { ok: true, amount_micros: Number(micros) };
}
