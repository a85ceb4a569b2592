// The notifications' words (web/src/notice-words.ts): every event type the API has gets a title
// and a line with its figures, from payloads shaped as docs/events.md says; none reads
// "undefined", "NaN" or an empty amount.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EVENT_TYPE_NAMES } from '../src/domain/events';
import type { EventBody } from '../src/contract/views';
import { describeEvent, EVENT_TITLES, EVENT_TYPE_LIST } from '../web/src/notice-words';

const at = '2026-12-07T12:00:00.000Z';
const event = (type: string, payload: Record<string, unknown>): EventBody => ({ id: 1, type: type as EventBody['type'], payload, created_at: at });
const window = { window: 'weekly', used_tokens: 100_000, limit_tokens: 100_000, window_start: at, resets_at: at };

const SAMPLES: Record<string, Record<string, unknown>> = {
  'credits.purchased': { purchase_id: 'p1', amount_micros: 20_000_000 },
  'credits.refunded': { refund_id: 'r1', amount_micros: 10_000_000, purchases: [] },
  'grant.added': { grant_id: 'g1', amount_micros: 5_000_000, expires_at: null },
  'grant.expired': { grant_id: 'g1', amount_micros: 1_500_000 },
  'auto_reload.fired': { purchase_id: 'p2', amount_micros: 20_000_000 },
  'auto_reload.succeeded': { purchase_id: 'p2', amount_micros: 20_000_000 },
  'auto_reload.failed': { purchase_id: 'p2', reason: 'card_declined', attempt: 2, retried: true },
  'auto_reload.skipped': { reason: 'limit', available_micros: 1, threshold_micros: 5_000_000, amount_micros: 20_000_000, spent_micros: 48_000_000, limit_micros: 50_000_000 },
  'auto_reload.disabled': { purchase_id: 'p2', reason: 'insufficient_funds', attempts: 3 },
  'balance.low': { balance_micros: 4_994_000, threshold_micros: 5_000_000, auto_reload_enabled: false },
  'spend_limit.warning': { spent_micros: 40_000_000, limit_micros: 50_000_000, cycle_end: at, warning_percent: 80 },
  'spend_limit.reached': { spent_micros: 50_000_000, limit_micros: 50_000_000, cycle_end: at },
  'allowance.warning': { ...window, used_tokens: 80_000, warning_percent: 80 },
  'allowance.exhausted': window,
  'allowance.reset': { ...window, used_tokens: 0, previous_window_start: at, previous_used_tokens: 100_000 },
  'extra_usage.started': {},
  'plan.lapsing': { lapses_at: at, balance_micros: 12_000_000, message: '…' },
  'plan.lapsed': { lapsed_at: at, balance_micros: 12_000_000, frozen: true, message: '…' },
  'member.invited': { invitation_id: 'i1', email: 'sam@example.com', role: 'billing', account_name: 'Acme', expires_at: at },
  'member.joined': { invitation_id: 'i1', user_id: 'u1', email: 'sam@example.com', role: 'billing' },
  'webhook_endpoint.disabled': { endpoint_id: 'we1', url: 'https://example.com/h', reason: 'failing for 5 days', failing_since: at },
  'payment.disputed': { purchase_id: 'pur_1', amount_micros: 10_000_000, reason: 'fraudulent' },
};

test('every event type of the API has a title, in the API order', () => {
  assert.deepEqual(EVENT_TYPE_LIST, EVENT_TYPE_NAMES);
  for (const t of EVENT_TYPE_NAMES) assert.ok(EVENT_TITLES[t].length > 0, t);
});

test('every event type reads as a line with its figures', () => {
  assert.deepEqual(Object.keys(SAMPLES).sort(), [...EVENT_TYPE_NAMES].sort(), 'a sample per type');
  for (const [type, payload] of Object.entries(SAMPLES)) {
    const line = describeEvent(event(type, payload));
    assert.doesNotMatch(line, /undefined|NaN|null|\$ |\$$|\[object/, `${type}: ${line}`);
    assert.ok(line.length >= 12, `${type}: ${line}`);
  }
});

test('the lines the page shows, word for word', () => {
  const words = (type: string, ctx = {}) => describeEvent(event(type, SAMPLES[type]!), ctx);
  assert.equal(words('auto_reload.succeeded'), 'Auto-reload added $20.00');
  assert.equal(words('balance.low'), 'Balance below $5.00 ($4.99 left); add credits or turn auto-reload on');
  assert.match(words('allowance.exhausted', { extra_usage_on: true }), /^Plan allowance used up; extra usage now pays until the weekly window resets /);
  assert.match(words('allowance.exhausted', { extra_usage_on: false }), /extra usage is off, so first-party requests wait$/);
  assert.equal(words('credits.refunded'), 'Refund of $10.00 to the card it was paid with');
  assert.equal(words('auto_reload.failed'), 'Auto-reload failed (attempt 2): the card was declined; it is tried again');
  assert.equal(
    describeEvent(event('auto_reload.failed', { purchase_id: 'p3', reason: 'card_declined', attempt: 3, retried: false })),
    'Auto-reload failed (attempt 3): the card was declined; auto-reload is now off',
  );
  assert.equal(words('auto_reload.skipped'), 'Auto-reload skipped: it would go past the monthly spend limit');
  assert.equal(words('grant.added'), '$5.00 of promotional credit granted, with no expiry');
  assert.equal(words('member.joined'), 'sam@example.com joined as billing');
  assert.equal(words('payment.disputed'), 'The payment of $10.00 for purchase pur_1 was disputed with the bank (fraudulent)');
});
