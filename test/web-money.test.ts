// The page's money text and its words for auto-reload (web/src/money.ts, words.ts): dollars
// with cents, more digits only under a cent, typed amounts to exact micros, and the seed's
// "skipped: $48 of your $50 limit is used" in words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decimalUsd, parseUsd, usd, usdInput } from '../web/src/money';
import { reloadEventWords } from '../web/src/words';

test('decimalUsd: the CSV figure is the exact micros as dollars, no float on the way', () => {
  assert.equal(decimalUsd(0), '0.000000');
  assert.equal(decimalUsd(810), '0.000810');
  assert.equal(decimalUsd(1_234_567_890), '1234.567890');
  assert.equal(decimalUsd(-5_500), '-0.005500');
  // 2^53 − 1 micros: float division would print …740992 as its last digits.
  assert.equal(decimalUsd(Number.MAX_SAFE_INTEGER), '9007199254.740991');
});

test('usd: dollars with cents, rounded half up; under a cent keeps its digits', () => {
  assert.equal(usd(0), '$0.00');
  assert.equal(usd(20_000_000), '$20.00');
  assert.equal(usd(1_234_567_890), '$1,234.57');
  assert.equal(usd(5_000), '$0.0050');
  assert.equal(usd(9_065), '$0.009065');
  assert.equal(usd(10_000), '$0.01');
  assert.equal(usd(14_999), '$0.01');
  assert.equal(usd(15_000), '$0.02');
  assert.equal(usd(-2_500_000), '−$2.50');
});

test('parseUsd: what a person types, to exact micros; anything else is null', () => {
  assert.equal(parseUsd('20'), 20_000_000);
  assert.equal(parseUsd(' $12.5 '), 12_500_000);
  assert.equal(parseUsd('1,000.25'), 1_000_250_000);
  assert.equal(parseUsd('0.01'), 10_000);
  // Six decimals are the smallest unit: what usdInput shows reads back as itself.
  assert.equal(parseUsd('1.234'), 1_234_000);
  assert.equal(parseUsd('12.345678'), 12_345_678);
  for (const bad of ['', 'abc', '1.2345678', '-5', '1e3', '12,34', '$']) assert.equal(parseUsd(bad), null, bad);
});

test('usdInput: exact for every amount, so a form saved unchanged keeps it (review finding 19)', () => {
  assert.equal(usdInput(20_000_000), '20.00');
  assert.equal(usdInput(10_000), '0.01');
  assert.equal(usdInput(0), '0.00');
  assert.equal(usdInput(null), '');
  // $12.345678 was prefilled as "12.35" and saved as $12.35.
  assert.equal(usdInput(12_345_678), '12.345678');
  assert.equal(usdInput(1), '0.000001');
  assert.equal(usdInput(Number.MAX_SAFE_INTEGER), '9007199254.740991');
  for (const micros of [0, 1, 9_999, 10_000, 12_345_678, 20_000_000, 1_234_567_890, Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER])
    assert.equal(parseUsd(usdInput(micros)), micros, `round trip of ${micros}`);
});

const extra = (last: { type: 'succeeded' | 'failed' | 'skipped'; reason: string | null; amount_micros: number }, enabled = true) => ({
  account_id: 'acct_1',
  plan_status: 'active',
  enabled: true,
  balance_micros: 0,
  purchased_micros: 0,
  promotional_micros: 0,
  held_micros: 0,
  late_held_micros: 0,
  available_micros: 0,
  monthly_spend_limit_micros: 50_000_000,
  spent_this_cycle_micros: 48_000_000,
  cycle_start: '2026-11-01T00:00:00Z',
  cycle_end: '2026-12-01T00:00:00Z',
  refundable_micros: 0,
  frozen: false,
  frozen_reason: null,
  auto_reload: { enabled, amount_micros: 20_000_000, threshold_micros: 5_000_000, last_event: { ...last, at: '2026-11-20T10:00:00Z' } },
});

test('auto-reload: the last firing, skip or failure in words', () => {
  assert.equal(
    reloadEventWords(extra({ type: 'skipped', reason: 'limit', amount_micros: 20_000_000 })),
    'skipped: $48.00 of your $50.00 limit is used, and a $20.00 reload would go past it',
  );
  assert.equal(reloadEventWords(extra({ type: 'succeeded', reason: null, amount_micros: 20_000_000 })), 'added $20.00');
  assert.equal(
    reloadEventWords(extra({ type: 'failed', reason: 'card_declined', amount_micros: 20_000_000 }, false)),
    'failed: the card was declined; auto-reload turned itself off',
  );
  assert.equal(reloadEventWords(extra({ type: 'skipped', reason: 'no_payment_method', amount_micros: 20_000_000 })), 'skipped: there is no card on file');
});
