// Webhook rules (SPEC §1.10, docs/webhooks.md), pure: the retry schedule and what one attempt's
// outcome does to its delivery and endpoint, the URL rules that need no network, and the body
// a receiver gets.
import { limits } from './limits';

/** TOKENBANK_WEBHOOK_RETRY_SCHEDULE: comma-separated delays after the first attempt, each a whole number with ms, s, m, h or d. */
export function parseRetrySchedule(text: string): { ok: true; delays_ms: number[] } | { ok: false; message: string } {
  const unit_ms: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length > limits.webhook_retry_schedule_entries_max)
    return { ok: false, message: `has ${parts.length} delays; at most ${limits.webhook_retry_schedule_entries_max}` };
  const delays_ms: number[] = [];
  for (const part of parts) {
    const m = /^(\d{1,9})(ms|s|m|h|d)$/.exec(part);
    if (!m) return { ok: false, message: `"${part}" is not a delay: write a whole number and a unit (ms, s, m, h, d), e.g. 1s,2s,5s` };
    const delay_ms = Number(m[1]) * unit_ms[m[2]!]!;
    if (delay_ms < 1 || delay_ms > limits.webhook_retry_delay_ms_max)
      return { ok: false, message: `"${part}" must be from 1ms to ${limits.webhook_retry_delay_ms_max / 86_400_000}d` };
    delays_ms.push(delay_ms);
  }
  return { ok: true, delays_ms };
}

export type AttemptResult = { ok: true; status_code: number } | { ok: false; status_code: number | null; error: string };

export type DeliveryNext = { status: 'succeeded' } | { status: 'pending'; next_attempt_at_ms: number } | { status: 'failed' };

/**
 * After attempt number `attempts` (1 = the first): a 2xx is delivered; otherwise the next try
 * waits schedule[attempts − 1], lengthened by `jitter` ∈ [0, 1) × webhook_retry_jitter_percent
 * (so many deliveries failing together do not retry together); past the schedule it has failed.
 */
export function nextAfterAttempt(result: AttemptResult, attempts: number, schedule_ms: readonly number[], jitter: number, now_ms: number): DeliveryNext {
  if (result.ok) return { status: 'succeeded' };
  const delay_ms = schedule_ms[attempts - 1];
  if (delay_ms === undefined) return { status: 'failed' };
  const extra_ms = Math.floor((delay_ms * limits.webhook_retry_jitter_percent * Math.min(Math.max(jitter, 0), 0.999999)) / 100);
  return { status: 'pending', next_attempt_at_ms: now_ms + delay_ms + extra_ms };
}

/** An endpoint failing since at or before this instant is disabled at its next failure. */
export function endpointDisableCutoff(now_ms: number): number {
  return now_ms - limits.webhook_endpoint_failing_ms_max;
}

/** The rules a webhook URL must meet before any address is looked up; null when it meets them. */
export function webhookUrlProblem(text: string, allow_private: boolean): string | null {
  if (text.length > limits.webhook_url_length_max) return `must be at most ${limits.webhook_url_length_max} characters`;
  if (/[\s\u0000-\u001f\u007f]/.test(text)) return 'must not contain spaces or control characters (percent-encode them)';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'must be an absolute URL, e.g. https://example.com/webhooks/tokenbank';
  }
  if (url.protocol !== 'https:' && !(allow_private && url.protocol === 'http:'))
    return allow_private
      ? 'must start with https:// or http://'
      : 'must start with https:// (http:// only with TOKENBANK_WEBHOOK_ALLOW_PRIVATE=1, for local development)';
  if (url.username !== '' || url.password !== '') return 'must not carry a user name or password; authenticate the request by its signature';
  if (url.hostname === '') return 'must name a host';
  return null;
}

/** The webhook body: the event as the events list shows it, under Standard Webhooks' type/timestamp/data. */
export function webhookBody(event: { id: number; account_id: string; type: string; payload: Record<string, unknown>; created_at_ms: number }): string {
  return JSON.stringify({
    id: webhookId(event.id),
    type: event.type,
    timestamp: new Date(event.created_at_ms).toISOString(),
    account_id: event.account_id,
    data: event.payload,
  });
}

/** The webhook-id header: the event's, the same on every attempt and every endpoint, so receivers can drop duplicates. */
export function webhookId(event_id: number): string {
  return `evt_${event_id}`;
}
