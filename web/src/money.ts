// Money on the page: integer micros in, text out, and text typed by a person into micros. No
// floating point touches an amount: dollars and cents are split with integer arithmetic.
const MICROS_PER_DOLLAR = 1_000_000;
const MICROS_PER_CENT = 10_000;

const grouped = (n: number) => n.toLocaleString('en-US');

/**
 * "$1,234.56". Cents, rounded half up; an amount under a cent that is not zero keeps up to six
 * decimals ("$0.0042"), so a cheap request does not read as free.
 */
export function usd(micros: number): string {
  const sign = micros < 0 ? '−' : '';
  const abs = Math.abs(micros);
  if (abs > 0 && abs < MICROS_PER_CENT) {
    const digits = String(abs).padStart(6, '0').replace(/0+$/, '');
    return `${sign}$0.${digits.length < 4 ? digits.padEnd(4, '0') : digits}`;
  }
  const cents = Math.floor((abs + MICROS_PER_CENT / 2) / MICROS_PER_CENT);
  return `${sign}$${grouped(Math.floor(cents / 100))}.${String(cents % 100).padStart(2, '0')}`;
}

/** Micros as an exact decimal of dollars, six places, for files ("-1.234567"): integer arithmetic only. */
export function decimalUsd(micros: number): string {
  const abs = Math.abs(micros);
  return `${micros < 0 ? '-' : ''}${Math.floor(abs / MICROS_PER_DOLLAR)}.${String(abs % MICROS_PER_DOLLAR).padStart(6, '0')}`;
}

/** "$20" for whole dollars (presets), else like usd(). */
export function usdShort(micros: number): string {
  return micros % MICROS_PER_DOLLAR === 0 ? `$${grouped(micros / MICROS_PER_DOLLAR)}` : usd(micros);
}

/**
 * Dollars as a person types them ("20", "12.5", "$1,000.25", "0.000001") → exact micros, or null
 * when it is not an amount. Up to six decimals, the smallest unit, so an amount the page shows
 * exactly (usdInput) reads back as itself; whether an amount must be whole cents is the API's to say.
 */
export function parseUsd(text: string): number | null {
  const m = /^\s*\$?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,6}))?\s*$/.exec(text);
  if (!m) return null;
  const dollars = Number(m[1]!.replace(/,/g, ''));
  const fraction = m[2] === undefined ? 0 : Number(m[2].padEnd(6, '0'));
  const micros = dollars * MICROS_PER_DOLLAR + fraction;
  return Number.isSafeInteger(micros) ? micros : null;
}

/** micros → the text a field starts with: "20.00" for whole cents, all six decimals when not ("12.345678"), so saving it unchanged keeps the amount. */
export function usdInput(micros: number | null): string {
  if (micros === null) return '';
  const abs = Math.abs(micros);
  // Integer % and an exact multiple's division: no float rounds the digits.
  const fraction = abs % MICROS_PER_DOLLAR;
  const whole = (abs - fraction) / MICROS_PER_DOLLAR;
  const digits = fraction % MICROS_PER_CENT === 0 ? String(fraction / MICROS_PER_CENT).padStart(2, '0') : String(fraction).padStart(6, '0');
  return `${micros < 0 ? '-' : ''}${whole}.${digits}`;
}

export const dollars = (n: number) => n * MICROS_PER_DOLLAR;

export function tokens(n: number): string {
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(n >= 10_000_000 ? 0 : 1)}M`;
  if (n >= 10_000) return `${Math.round(n / 1000)}k`;
  return grouped(n);
}

/** Percent of limit, whole, capped for the bar's width (the text keeps the real figure). */
export function percent(part: number, whole: number): number {
  if (whole <= 0) return part > 0 ? 100 : 0;
  return Math.round((part * 100) / whole);
}
