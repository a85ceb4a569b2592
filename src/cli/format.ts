// How money, dates and tokens read in the terminal. Money is formatted from integer micros by
// the domain's exact formatter; nothing here divides money with floats.
import { formatUsd, MICROS_PER_DOLLAR } from '../domain/money';

export { formatUsd };

/** "$50" for whole dollars, "$12.40" otherwise (status lines and limits read shorter). */
export function formatUsdShort(micros: number): string {
  return micros % MICROS_PER_DOLLAR === 0 ? formatUsd(micros, 0) : formatUsd(micros);
}

/** Cents, or as many decimals as the amount needs (prices per million tokens: "$0.30", "$3.75", "$0.000125"). */
export function formatUsdPrecise(micros: number): string {
  return formatUsd(micros, 6).replace(/(\.\d\d\d*?)0+$/, '$1');
}

/** Micros as an exact decimal number of dollars for CSV: 1234567 → "1.234567", -5 → "-0.000005". */
export function microsToDecimal(micros: number): string {
  const negative = micros < 0;
  const abs = BigInt(Math.abs(micros));
  const whole = abs / 1_000_000n;
  const fraction = (abs % 1_000_000n).toString().padStart(6, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

export function formatInt(n: number): string {
  return n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** ⌊part × 100 / whole⌋ as an integer percent; integer arithmetic on safe integers. */
export function percentFloor(part: number, whole: number): number {
  if (whole <= 0) return part > 0 ? 100 : 0;
  return Number((BigInt(Math.max(0, part)) * 100n) / BigInt(whole));
}

/** "Dec 1" in the local time zone. */
export function shortDate(iso: string): string {
  return new Date(iso).toLocaleDateString('en-US', { month: 'short', day: 'numeric' });
}

/** "Dec 1, 14:12" in the local time zone. */
export function shortDateTime(iso: string): string {
  const d = new Date(iso);
  return `${shortDate(iso)}, ${d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' })}`;
}

/** "2026-12-01 14:12 UTC" — unambiguous, for tables. */
export function utcMinute(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
