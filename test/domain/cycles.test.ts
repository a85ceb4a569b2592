// SPEC §1.3 billing cycles and allowance windows; §4 examples 10 and 11.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addMonthsClamped, cycleAt, windowAt, windowRoom, type WindowState } from '../../src/domain/cycles';
import { DAY_MS, HOUR_MS } from '../fixtures/domain-state';

const utc = (iso: string) => Date.parse(iso);
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

describe('billing cycles are monthly from the subscription start, day clamped, anchor kept (example 10)', () => {
  const anchor = utc('2027-01-31T00:00:00Z');

  it('a subscription started 2027-01-31 has cycles starting 01-31, 02-28, 03-31, 04-30, 05-31', () => {
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((n) => day(addMonthsClamped(anchor, n))),
      ['2027-01-31', '2027-02-28', '2027-03-31', '2027-04-30', '2027-05-31'],
    );
  });

  it('cycleAt finds the same cycles from any instant inside them', () => {
    const starts = ['2027-01-31', '2027-02-28', '2027-03-31', '2027-04-30', '2027-05-31'];
    const probes = ['2027-02-01', '2027-03-01', '2027-04-15', '2027-05-30', '2027-06-29'];
    probes.forEach((probe, i) => {
      const cycle = cycleAt(anchor, utc(`${probe}T12:00:00Z`));
      assert.equal(day(cycle.start_ms), starts[i], `cycle of ${probe}`);
      assert.equal(cycle.index, i);
      assert.equal(cycle.end_ms, addMonthsClamped(anchor, i + 1));
    });
  });

  it('the clamp does not stick: after February 28 the next cycle starts on the 31st again', () => {
    const feb = cycleAt(anchor, utc('2027-03-10T00:00:00Z'));
    assert.equal(day(feb.start_ms), '2027-02-28');
    assert.equal(day(feb.end_ms), '2027-03-31');
  });

  it('a cycle boundary belongs to the new cycle', () => {
    const at_boundary = cycleAt(anchor, utc('2027-02-28T00:00:00Z'));
    assert.equal(at_boundary.index, 1);
    const just_before = cycleAt(anchor, utc('2027-02-28T00:00:00Z') - 1);
    assert.equal(just_before.index, 0);
  });

  it('the time of day of the anchor is kept', () => {
    const afternoon = utc('2027-01-31T15:30:00Z');
    assert.equal(new Date(addMonthsClamped(afternoon, 1)).toISOString(), '2027-02-28T15:30:00.000Z');
    assert.equal(cycleAt(afternoon, utc('2027-02-28T15:29:59Z')).index, 0);
    assert.equal(cycleAt(afternoon, utc('2027-02-28T15:30:00Z')).index, 1);
  });

  it('leap years clamp to February 29, and years roll over', () => {
    assert.equal(day(addMonthsClamped(utc('2028-01-31T00:00:00Z'), 1)), '2028-02-29');
    assert.equal(day(addMonthsClamped(utc('2026-11-30T00:00:00Z'), 3)), '2027-02-28');
    assert.equal(day(addMonthsClamped(utc('2026-12-15T00:00:00Z'), 1)), '2027-01-15');
    assert.equal(cycleAt(utc('2026-12-31T00:00:00Z'), utc('2028-03-01T00:00:00Z')).index, 14);
  });

  it('before the anchor, the first cycle is the answer', () => {
    const cycle = cycleAt(anchor, anchor - DAY_MS);
    assert.deepEqual(cycle, { start_ms: anchor, end_ms: addMonthsClamped(anchor, 1), index: 0 });
  });
});

describe('rolling_5h opens at the first request after it closed and lasts 5 hours (example 11)', () => {
  const spec = { kind: 'rolling_5h' as const, limit_tokens: 100 };
  const opened = utc('2026-11-02T09:12:00Z');
  const state: WindowState = { kind: 'rolling_5h', start_ms: opened, used_tokens: 40, held_tokens: 5 };
  const anchor = utc('2026-10-15T00:00:00Z');

  it('a first request at 09:12 opens the window 09:12–14:12', () => {
    const view = windowAt(spec, undefined, anchor, opened);
    assert.equal(new Date(view.start_ms).toISOString(), '2026-11-02T09:12:00.000Z');
    assert.equal(new Date(view.resets_at_ms).toISOString(), '2026-11-02T14:12:00.000Z');
    assert.equal(view.used_tokens, 0);
    assert.equal(view.rolled, false);
  });

  it('a request at 14:11:59.999 is still in it, with its counters', () => {
    const view = windowAt(spec, state, anchor, utc('2026-11-02T14:12:00Z') - 1);
    assert.equal(view.start_ms, opened);
    assert.equal(view.used_tokens, 40);
    assert.equal(view.held_tokens, 5);
    assert.equal(windowRoom(view), 55);
  });

  it('the first request at or after 14:12 opens the next one, empty', () => {
    for (const iso of ['2026-11-02T14:12:00Z', '2026-11-02T16:40:00Z']) {
      const view = windowAt(spec, state, anchor, utc(iso));
      assert.equal(view.start_ms, utc(iso), `opens at ${iso}`);
      assert.equal(view.resets_at_ms, utc(iso) + 5 * HOUR_MS);
      assert.equal(view.used_tokens, 0);
      assert.equal(view.rolled, true);
      assert.equal(windowRoom(view), 100);
    }
  });
});

describe('weekly windows run in 7-day steps from the cycle anchor; cycle windows follow the cycle', () => {
  const anchor = utc('2026-10-15T06:00:00Z');

  it('20 days after the anchor the week is days 14–21', () => {
    const view = windowAt({ kind: 'weekly', limit_tokens: 1000 }, undefined, anchor, anchor + 20 * DAY_MS);
    assert.equal(view.start_ms, anchor + 14 * DAY_MS);
    assert.equal(view.resets_at_ms, anchor + 21 * DAY_MS);
  });

  it('counters of last week read as zero this week', () => {
    const last_week: WindowState = { kind: 'weekly', start_ms: anchor + 7 * DAY_MS, used_tokens: 900, held_tokens: 0 };
    const view = windowAt({ kind: 'weekly', limit_tokens: 1000 }, last_week, anchor, anchor + 14 * DAY_MS);
    assert.equal(view.used_tokens, 0);
    assert.equal(view.rolled, true);
    const same_week = windowAt({ kind: 'weekly', limit_tokens: 1000 }, last_week, anchor, anchor + 14 * DAY_MS - 1);
    assert.equal(same_week.used_tokens, 900);
    assert.equal(windowRoom(same_week), 100);
  });

  it('a cycle window resets at the cycle end', () => {
    const now = utc('2026-11-20T00:00:00Z');
    const view = windowAt({ kind: 'cycle', limit_tokens: 1000 }, undefined, anchor, now);
    assert.equal(new Date(view.start_ms).toISOString(), '2026-11-15T06:00:00.000Z');
    assert.equal(new Date(view.resets_at_ms).toISOString(), '2026-12-15T06:00:00.000Z');
  });

  it('room never goes below zero, even over the limit', () => {
    const over: WindowState = { kind: 'cycle', start_ms: anchor, used_tokens: 1500, held_tokens: 10 };
    assert.equal(windowRoom(windowAt({ kind: 'cycle', limit_tokens: 1000 }, over, anchor, anchor + DAY_MS)), 0);
  });
});
