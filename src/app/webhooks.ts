// Webhook use cases (docs/webhooks.md): endpoints of an account (or, with account_id null, of the
// operator), their delivery log and redelivery, and one tick of delivery: fan the outbox out to
// deliveries, lease the due ones, sign and send each, record the attempt and what comes next.
import { randomBytes } from 'node:crypto';
import ipaddr from 'ipaddr.js';
import { Webhook } from 'standardwebhooks';
import { EVENT_TYPE_NAMES } from '../domain/events';
import { limits } from '../domain/limits';
import { AppError, invalid, notFound } from '../domain/refusals';
import { endpointDisableCutoff, nextAfterAttempt, webhookBody, webhookId, webhookUrlProblem, type AttemptResult } from '../domain/webhooks';
import type { Deps } from './deps';
import type { ClaimedDelivery, WebhookEndpointRecord, WebhookNetwork } from './ports';
import { pageLimit } from './reads';
import * as v from './validate';

/** How webhooks go out: the network (null: no delivery, no hostname checks), the SSRF rule, the retry schedule. */
export interface WebhookSettings {
  network: WebhookNetwork | null;
  /** TOKENBANK_WEBHOOK_ALLOW_PRIVATE=1: loopback, private and link-local addresses and http:// allowed (development, tests). */
  allow_private: boolean;
  /** Delays after the first attempt (TOKENBANK_WEBHOOK_RETRY_SCHEDULE). */
  retry_schedule_ms: readonly number[];
  /** [0, 1): the retry jitter. */
  random: () => number;
}

export const defaultWebhookSettings = (): WebhookSettings => ({
  network: null,
  allow_private: false,
  retry_schedule_ms: limits.webhook_retry_schedule_ms_default,
  random: Math.random,
});

/** Why `url` may not receive webhooks now (resolved again at every delivery: DNS can change), or null. */
export async function urlProblem(settings: WebhookSettings, url: string): Promise<string | null> {
  const syntax = webhookUrlProblem(url, settings.allow_private);
  if (syntax) return syntax;
  if (settings.allow_private) return null;
  const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  if (ipaddr.isValid(host)) addresses = [host];
  else if (!settings.network) return 'cannot be checked: this server delivers no webhooks';
  else {
    try {
      addresses = await settings.network.resolve(host);
    } catch (error) {
      return `names a host that does not resolve (${host}: ${String((error as Error).message ?? error).slice(0, limits.webhook_dns_error_quoted_chars_max)})`;
    }
  }
  if (addresses.length === 0) return `names a host that does not resolve (${host})`;
  for (const address of addresses) {
    const range = ipaddr.isValid(address) ? ipaddr.process(address).range() : 'invalid';
    if (range !== 'unicast')
      return `resolves to ${address}, a ${range} address: webhooks go only to public addresses (TOKENBANK_WEBHOOK_ALLOW_PRIVATE=1 allows others, for development)`;
  }
  return null;
}

/** An endpoint of this owner (an account, or null for the operator's), or the same 404 as one that does not exist. */
async function endpointOf(deps: Deps, account_id: string | null, endpoint_id: string): Promise<WebhookEndpointRecord> {
  const endpoint = await deps.store.webhooks.getEndpoint(endpoint_id);
  if (!endpoint || endpoint.account_id !== account_id) throw notFound('webhook endpoint', endpoint_id);
  return endpoint;
}

async function ownerExists(deps: Deps, account_id: string | null) {
  if (account_id !== null && !(await deps.store.getAccount(account_id))) throw notFound('account', account_id);
}

export async function createEndpoint(deps: Deps, account_id: string | null, input: { url: unknown; events?: unknown }) {
  const url = v.text('url', input.url, limits.webhook_url_length_max);
  let event_types: string[] | null = null;
  if (input.events !== undefined) {
    if (!Array.isArray(input.events) || input.events.length === 0) throw invalid('events', 'must be a non-empty list of event types, or left out for all');
    event_types = [...new Set(input.events.map((e, i) => v.oneOf(`events[${i}]`, e, EVENT_TYPE_NAMES)))];
  }
  await ownerExists(deps, account_id);
  const problem = await urlProblem(deps.webhooks, url);
  if (problem) throw invalid('url', problem);
  if ((await deps.store.webhooks.countEndpoints(account_id)) >= limits.webhook_endpoints_per_account_max)
    throw new AppError('conflict', `At most ${limits.webhook_endpoints_per_account_max} webhook endpoints; delete one first.`, {
      endpoints_max: limits.webhook_endpoints_per_account_max,
    });
  const endpoint: WebhookEndpointRecord = {
    id: deps.ids.next('whe'),
    account_id,
    url,
    event_types,
    // Standard Webhooks' form: whsec_ and the base64 of the key (24 random bytes).
    secret: `whsec_${randomBytes(limits.secret_bytes).toString('base64')}`,
    created_at_ms: deps.clock.now_ms(),
    failing_since_ms: null,
    disabled_at_ms: null,
    disabled_reason: null,
  };
  await deps.store.webhooks.insertEndpoint(endpoint);
  return endpoint;
}

export async function listEndpoints(deps: Deps, account_id: string | null) {
  await ownerExists(deps, account_id);
  return deps.store.webhooks.listEndpoints(account_id);
}

export async function deleteEndpoint(deps: Deps, account_id: string | null, endpoint_id: string) {
  await ownerExists(deps, account_id);
  await endpointOf(deps, account_id, endpoint_id);
  await deps.store.webhooks.deleteEndpoint(endpoint_id);
}

export async function listDeliveries(deps: Deps, account_id: string | null, endpoint_id: string, query: { limit?: unknown; cursor?: unknown }) {
  await ownerExists(deps, account_id);
  await endpointOf(deps, account_id, endpoint_id);
  const limit = pageLimit(query);
  const before_id = query.cursor === undefined || query.cursor === '' ? undefined : v.text('cursor', query.cursor);
  const rows = await deps.store.webhooks.listDeliveries({ endpoint_id, limit: limit + 1, ...(before_id !== undefined ? { before_id } : {}) });
  const data = rows.slice(0, limit);
  return { data, has_more: rows.length > limit, next_cursor: rows.length > limit ? data[data.length - 1]!.id : null };
}

/** Sends the delivery again now, with a fresh retry schedule; a disabled endpoint is enabled again (the receiver is back). */
export async function redeliver(deps: Deps, account_id: string | null, endpoint_id: string, delivery_id: string) {
  await ownerExists(deps, account_id);
  await endpointOf(deps, account_id, endpoint_id);
  const delivery = await deps.store.webhooks.getDelivery(delivery_id);
  if (!delivery || delivery.endpoint_id !== endpoint_id) throw notFound('webhook delivery', delivery_id);
  await deps.store.webhooks.redeliver(delivery_id, deps.clock.now_ms());
  return (await deps.store.webhooks.getDelivery(delivery_id))!;
}

/** One tick of the delivery worker; answers how many attempts it made. */
export async function deliverWebhooks(deps: Deps): Promise<number> {
  const network = deps.webhooks.network;
  if (!network) return 0;
  const now_ms = deps.clock.now_ms();
  await deps.store.webhooks.fanOut(now_ms, limits.webhook_events_per_fan_out_max);
  const claimed = await deps.store.webhooks.claimDeliveries(now_ms, now_ms + limits.webhook_lease_ms, limits.webhook_deliveries_per_tick_max);
  await Promise.all(claimed.map((delivery) => attempt(deps, network, delivery)));
  return claimed.length;
}

async function attempt(deps: Deps, network: WebhookNetwork, delivery: ClaimedDelivery): Promise<void> {
  const started_ms = deps.clock.now_ms();
  const body = webhookBody(delivery.event);
  const id = webhookId(delivery.event.id);
  let result: AttemptResult;
  const problem = await urlProblem(deps.webhooks, delivery.url);
  if (problem) result = { ok: false, status_code: null, error: `not sent: the URL ${problem}` };
  else {
    const timestamp = new Date(started_ms);
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Tokenbank-Webhooks/1',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(started_ms / 1000)),
      'webhook-signature': new Webhook(delivery.secret).sign(id, timestamp, body),
    };
    const answer = await network.post({ url: delivery.url, headers, body });
    result =
      answer.ok && answer.status_code >= 200 && answer.status_code < 300
        ? { ok: true, status_code: answer.status_code }
        : { ok: false, status_code: answer.status_code, error: answer.ok ? `answered ${answer.status_code}` : answer.error };
  }
  const now_ms = deps.clock.now_ms();
  await deps.store.webhooks.recordAttempt({
    delivery,
    attempt: {
      attempt: delivery.attempt,
      status_code: result.status_code,
      error: result.ok ? null : result.error.slice(0, limits.webhook_error_length_max),
      duration_ms: Math.max(0, now_ms - started_ms),
      attempted_at_ms: started_ms,
    },
    next: nextAfterAttempt(result, delivery.attempt, deps.webhooks.retry_schedule_ms, deps.webhooks.random(), now_ms),
    disable_cutoff_ms: endpointDisableCutoff(now_ms),
    now_ms,
  });
}
