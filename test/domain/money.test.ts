// SPEC §1.1: money is an integer of micros, rounded once, half up; STYLE habit 1: one module
// does every division and rounding, and parses what people type without a float.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  MoneyInvariantError,
  assertMicros,
  divCeil,
  divRoundHalfUp,
  formatUsd,
  formatUsdExact,
  parseDollars,
  shareCeil,
  toSafeNumber,
} from '../../src/domain/money';

describe('divRoundHalfUp rounds a quotient half up, exactly', () => {
  const cases: Array<[bigint, bigint, bigint, string]> = [
    [0n, 7n, 0n, 'zero stays zero'],
    [1n, 3n, 0n, '0.33 rounds down'],
    [2n, 3n, 1n, '0.67 rounds up'],
    [1n, 2n, 1n, '0.5 rounds up'],
    [7n, 2n, 4n, '3.5 rounds up (SPEC example 3)'],
    [8103n, 10n, 810n, '810.3 rounds down (SPEC example 2)'],
    [8105n, 10n, 811n, '810.5 rounds up'],
    [6_000_000_000n, 1_000_000n, 6000n, 'whole results are exact'],
    [2n ** 80n + 1n, 2n, 2n ** 79n + 1n, 'beyond 2^53 it stays exact'],
  ];
  for (const [n, d, want, why] of cases) {
    it(`${n} / ${d} = ${want}: ${why}`, () => assert.equal(divRoundHalfUp(n, d), want));
  }
  it('refuses a negative numerator or a non-positive denominator (a bug, not a refusal)', () => {
    assert.throws(() => divRoundHalfUp(-1n, 2n), MoneyInvariantError);
    assert.throws(() => divRoundHalfUp(1n, 0n), MoneyInvariantError);
    assert.throws(() => divRoundHalfUp(1n, -2n), MoneyInvariantError);
  });
});

describe('divCeil and shareCeil round a share up, so extra usage never pays a fraction less', () => {
  it('divCeil: exact quotients stay, any remainder goes up', () => {
    assert.equal(divCeil(20n, 10n), 2n);
    assert.equal(divCeil(21n, 10n), 3n);
    assert.equal(divCeil(0n, 10n), 0n);
    assert.throws(() => divCeil(1n, 0n), MoneyInvariantError);
  });
  it('shareCeil(22, 7, 10) = ⌈15.4⌉ = 16 (SPEC example 7)', () => assert.equal(shareCeil(22, 7, 10), 16));
  it('shareCeil of an exact share is that share', () => assert.equal(shareCeil(20, 7, 10), 14));
  it('shareCeil of no part is 0 and of the whole is the amount', () => {
    assert.equal(shareCeil(105_000, 0, 5000), 0);
    assert.equal(shareCeil(105_000, 5000, 5000), 105_000);
  });
  it('shareCeil stays exact when amount × part passes 2^53', () => {
    // 9e12 × 9e6 = 8.1e19 > 2^53; the share of 1/3 is exact in BigInt.
    assert.equal(shareCeil(9_000_000_000_000, 3_000_000, 9_000_000), 3_000_000_000_000);
  });
  it('shareCeil refuses a whole of zero', () => assert.throws(() => shareCeil(10, 0, 0), MoneyInvariantError));
});

describe('safe integers only', () => {
  it('assertMicros passes safe integers and throws on fractions, NaN and > 2^53', () => {
    assert.equal(assertMicros(5_000_000), 5_000_000);
    assert.throws(() => assertMicros(0.5), MoneyInvariantError);
    assert.throws(() => assertMicros(Number.NaN), MoneyInvariantError);
    assert.throws(() => assertMicros(2 ** 53), MoneyInvariantError);
  });
  it('toSafeNumber brings a BigInt back only when it fits', () => {
    assert.equal(toSafeNumber(BigInt(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
    assert.throws(() => toSafeNumber(BigInt(Number.MAX_SAFE_INTEGER) + 1n), MoneyInvariantError);
    assert.throws(() => toSafeNumber(BigInt(Number.MIN_SAFE_INTEGER) - 1n), MoneyInvariantError);
  });
});

describe('formatUsd shows dollars exactly, with thousands separators', () => {
  const cases: Array<[number, number | undefined, string]> = [
    [12_400_000, undefined, '$12.40'],
    [0, undefined, '$0.00'],
    [-3_000_000, undefined, '-$3.00'],
    [1_000_250_000, undefined, '$1,000.25'],
    [2_500_000_000, undefined, '$2,500.00'],
    [1_234_567_890_123, undefined, '$1,234,567.89'],
    [4_995_000, undefined, '$5.00'], // $4.995 → half up
    [4_994_999, undefined, '$4.99'],
    [5, undefined, '$0.00'],
    [5, 6, '$0.000005'],
    [105_000, 6, '$0.105000'],
    [12_345_678, 0, '$12'],
    [-1_500_000, 0, '-$2'], // the magnitude rounds half up
  ];
  for (const [micros, digits, want] of cases) {
    it(`${micros} micros${digits === undefined ? '' : ` at ${digits} digits`} → ${want}`, () =>
      assert.equal(digits === undefined ? formatUsd(micros) : formatUsd(micros, digits), want));
  }
  it('refuses a fractional micro', () => assert.throws(() => formatUsd(1.5), MoneyInvariantError));
});

describe('parseDollars reads what people type into exact micros', () => {
  const good: Array<[string, number]> = [
    ['12', 12_000_000],
    ['12.5', 12_500_000],
    ['12.50', 12_500_000],
    ['$12', 12_000_000],
    ['1,000.25', 1_000_250_000],
    ['$1,000.25', 1_000_250_000],
    [' 7 ', 7_000_000],
    ['0.000001', 1],
    ['0.1', 100_000], // the float 0.1 is inexact; the parse is not
    ['2500', 2_500_000_000],
    ['9,007,199,254.740991', Number.MAX_SAFE_INTEGER],
  ];
  for (const [text, micros] of good) {
    it(`"${text}" → ${micros}`, () => assert.deepEqual(parseDollars(text), { ok: true, amount_micros: micros }));
  }
  it('refuses more than 6 decimals, saying the smallest unit', () => {
    const r = parseDollars('1.0000001');
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.message : '', /more than 6 decimals/);
  });
  it('refuses an amount past 2^53 − 1 micros as input, instead of throwing an invariant error', () => {
    for (const text of ['999999999999', '9007199254.740992']) {
      const r = parseDollars(text);
      assert.equal(r.ok, false, text);
      assert.match(!r.ok ? r.message : '', /too large/);
    }
  });
  for (const text of ['', 'abc', '-5', '5.', '.5', '1e3', '12.5.0', '$', '12 dollars', '1234567890123']) {
    it(`refuses "${text}" with a message that shows examples`, () => {
      const r = parseDollars(text);
      assert.equal(r.ok, false);
      assert.match(!r.ok ? r.message : '', /not a dollar amount/);
    });
  }
});

describe('formatUsdExact says an amount without rounding it away', () => {
  it('whole cents in cents, anything finer in all six digits', () => {
    assert.equal(formatUsdExact(5_000_000), '$5.00');
    assert.equal(formatUsdExact(1_000_000_000_000), '$1,000,000.00');
    assert.equal(formatUsdExact(1), '$0.000001');
    assert.equal(formatUsdExact(5_000_001), '$5.000001');
    assert.equal(formatUsdExact(0), '$0.00');
  });
});
