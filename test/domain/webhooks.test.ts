// The pure webhook rules: the retry schedule as TOKENBANK_WEBHOOK_RETRY_SCHEDULE writes it (parsed
// strictly), what an attempt's outcome does next (backoff with bounded jitter, failed past the
// schedule), the URL rules that need no network, and a bad schedule stopping the server's start
// with one line.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { limits } from '../../src/domain/limits';
import { nextAfterAttempt, parseRetrySchedule, webhookUrlProblem } from '../../src/domain/webhooks';
import { root } from '../fixtures/servers';

describe('TOKENBANK_WEBHOOK_RETRY_SCHEDULE', () => {
  it('whole numbers with ms, s, m, h or d, comma-separated', () => {
    assert.deepEqual(parseRetrySchedule('1s,2s,5s'), { ok: true, delays_ms: [1000, 2000, 5000] });
    assert.deepEqual(parseRetrySchedule('250ms, 5m,2h,1d'), { ok: true, delays_ms: [250, 300_000, 7_200_000, 86_400_000] });
  });
  for (const bad of [
    '',
    '1',
    '1.5s',
    '-1s',
    '1 s',
    '1sec',
    '1s,,2s',
    '0s',
    '8d',
    '1e3ms',
    Array(limits.webhook_retry_schedule_entries_max + 1)
      .fill('1s')
      .join(','),
  ]) {
    it(`"${bad.slice(0, 40)}" is refused with the reason`, () => {
      const parsed = parseRetrySchedule(bad);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.ok(parsed.message.length > 10);
    });
  }
  it('the default is Standard Webhooks’ schedule: about a day (27.6 h) over 8 attempts', () => {
    const total_ms = limits.webhook_retry_schedule_ms_default.reduce((a, b) => a + b, 0);
    assert.equal(total_ms, 99_305_000);
    assert.ok(total_ms > 20 * 3_600_000 && total_ms < 30 * 3_600_000);
  });
  it('a bad value stops the server at start with one line (exit 2)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: { ...process.env, TOKENBANK_WEBHOOK_RETRY_SCHEDULE: '1s,soon', PORT: '0' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(
      r.stderr.trim(),
      'tokenbank: cannot start: TOKENBANK_WEBHOOK_RETRY_SCHEDULE: "soon" is not a delay: write a whole number and a unit (ms, s, m, h, d), e.g. 1s,2s,5s',
    );
  });
});

describe('after an attempt', () => {
  const schedule = [1000, 2000, 5000];
  const failed = { ok: false as const, status_code: 500, error: 'answered 500' };
  it('a 2xx is delivered', () => assert.deepEqual(nextAfterAttempt({ ok: true, status_code: 204 }, 1, schedule, 0.5, 0), { status: 'succeeded' }));
  it('a failure waits the schedule’s delay for that attempt, plus at most 20% jitter', () => {
    assert.deepEqual(nextAfterAttempt(failed, 1, schedule, 0, 10_000), { status: 'pending', next_attempt_at_ms: 11_000 });
    assert.deepEqual(nextAfterAttempt(failed, 2, schedule, 0.5, 10_000), { status: 'pending', next_attempt_at_ms: 12_200 });
    const at = nextAfterAttempt(failed, 3, schedule, 0.9999999, 0);
    assert.ok(at.status === 'pending' && at.next_attempt_at_ms < 6000 && at.next_attempt_at_ms >= 5999, JSON.stringify(at));
  });
  it('past the schedule it has failed', () => assert.deepEqual(nextAfterAttempt(failed, 4, schedule, 0, 0), { status: 'failed' }));
});

describe('webhook URLs, before any lookup', () => {
  it('https only, unless private addresses are allowed (then http too)', () => {
    assert.equal(webhookUrlProblem('https://example.com/hook', false), null);
    assert.match(webhookUrlProblem('http://example.com/hook', false)!, /https/);
    assert.equal(webhookUrlProblem('http://127.0.0.1:8080/hook', true), null);
    assert.match(webhookUrlProblem('ftp://example.com/hook', true)!, /https/);
  });
  it('no credentials, spaces or control characters, an absolute URL, a bounded length', () => {
    assert.match(webhookUrlProblem('https://user:pw@example.com/', false)!, /user name/);
    assert.match(webhookUrlProblem('https://example.com/a b', false)!, /spaces/);
    assert.match(webhookUrlProblem('/relative', false)!, /absolute/);
    assert.match(webhookUrlProblem(`https://example.com/${'x'.repeat(limits.webhook_url_length_max)}`, false)!, /at most/);
  });
});
