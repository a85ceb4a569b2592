// `events` (GET /v1/accounts/{id}/events): the account's notifications, newest first, paged by
// --cursor. `webhooks add|list|rm|deliveries|redeliver` (…/webhook-endpoints): where those
// notifications are sent, signed (docs/webhooks.md); --operator for the operator-wide endpoints.
import type { Command } from 'commander';
import { EVENT_TYPE_NAMES } from '../../domain/events';
import { limits } from '../../domain/limits';
import type { Ctx } from '../context';
import { usageError } from '../errors';
import { utcMinute } from '../format';
import { integer } from '../input';
import { examples, group, type Kit } from '../kit';
import { renderTable } from '../output';

export const events_limits = { summary_chars_max: 110, events_default: 20 } as const;

type EndpointView = { id: string; url: string; events: string[] | null; status: string; created_at: string; failing_since: string | null };

export function register(program: Command, kit: Kit): void {
  const events = program
    .command('events')
    .description('Notifications of the account (balance low, spend limit, reloads, allowance, grants…), newest first')
    .option('--limit <n>', `at most n events (1–${limits.page_size_max})`, String(events_limits.events_default))
    .option('--cursor <cursor>', 'the next page: the cursor the page before printed')
    .option('--json', "print the API's object")
    .action(async (options: { limit: string; cursor?: string; json?: boolean }, command: Command) => {
      const limit = integer('--limit', options.limit, 1, limits.page_size_max);
      if (options.cursor !== undefined && !/^[1-9][0-9]{0,15}$/.test(options.cursor))
        throw usageError(`--cursor: "${options.cursor}" is not a cursor (a whole number, as the page before printed it)`);
      const ctx = kit.context(command);
      const account = await ctx.account();
      const body = await ctx.api.call('GET /v1/accounts/{id}/events', { params: { id: account.id }, query: { limit: String(limit), cursor: options.cursor } });
      if (options.json) return ctx.out.json(body);
      ctx.printAccount(account);
      if (body.data.length === 0) return ctx.out.line('No events yet.');
      const rows = body.data.map((e) => [String(e.id), utcMinute(e.created_at), e.type, summary(e.payload)]);
      ctx.out.line(renderTable(['ID', 'TIME (UTC)', 'TYPE', 'DETAILS'], rows, { style: ctx.out.style }));
      if (body.next_cursor) ctx.out.line(ctx.out.style.dim(`More: tokenbank events --cursor ${body.next_cursor}`));
    });
  examples(events, ['tokenbank events', 'tokenbank events --limit 5', 'tokenbank events --cursor 1234 --json']);
  registerWebhooks(program, kit);
}

function summary(payload: Record<string, unknown>): string {
  const text = Object.entries(payload)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  return text.length > events_limits.summary_chars_max ? `${text.slice(0, events_limits.summary_chars_max - 1)}…` : text;
}

/** --events a,b: each an event type, named in the error when it is not. */
export function eventTypes(what: string, text: string): string[] {
  const names = text.split(',').map((s) => s.trim());
  for (const name of names)
    if (!(EVENT_TYPE_NAMES as string[]).includes(name))
      throw usageError(`${what}: "${name}" is not an event type; event types: ${EVENT_TYPE_NAMES.join(', ')}`);
  return [...new Set(names)];
}

interface Scoped {
  operator?: boolean;
  json?: boolean;
}

function registerWebhooks(program: Command, kit: Kit): void {
  const webhooks = group(program, 'webhooks', 'Webhook endpoints that receive the notifications, signed (Standard Webhooks)');
  examples(webhooks, ['tokenbank webhooks add https://example.com/hooks/tokenbank --events balance.low,spend_limit.reached', 'tokenbank webhooks list']);
  const scope = (c: Command) =>
    c.option('--operator', 'the operator-wide endpoints (every account’s events; operator token)').option('--json', "print the API's object");

  const add = scope(
    webhooks.command('add').description('Add an endpoint; prints its signing secret, once').argument('<url>', 'https:// URL on a public address'),
  )
    .option('--events <types>', 'comma-separated event types to send (default: all)')
    .action(async (url: string, options: Scoped & { events?: string }, command: Command) => {
      const types = options.events === undefined ? undefined : eventTypes('--events', options.events);
      const ctx = kit.context(command);
      const body = { url, ...(types ? { events: types as never } : {}) };
      const endpoint = options.operator
        ? await ctx.api.call('POST /v1/webhook-endpoints', { body })
        : await ctx.api.call('POST /v1/accounts/{id}/webhook-endpoints', { params: { id: (await ctx.account()).id }, body });
      if (options.json) return ctx.out.json(endpoint);
      const s = ctx.out.style;
      ctx.out.line(
        `${s.green('✓')} Added webhook endpoint ${s.bold(endpoint.id)} → ${endpoint.url} (${endpoint.events ? endpoint.events.join(', ') : 'every event'})`,
      );
      ctx.out.line(`  Signing secret (shown once, keep it safe): ${endpoint.secret}`);
    });
  examples(add, [
    'tokenbank webhooks add https://example.com/hooks',
    'tokenbank webhooks add https://example.com/hooks --events balance.low,auto_reload.failed --json',
  ]);

  const list = scope(webhooks.command('list').description('List the endpoints (never their secrets)')).action(async (options: Scoped, command: Command) => {
    const ctx = kit.context(command);
    const body = options.operator
      ? await ctx.api.call('GET /v1/webhook-endpoints')
      : await ctx.api.call('GET /v1/accounts/{id}/webhook-endpoints', { params: { id: (await ctx.account()).id } });
    if (options.json) return ctx.out.json(body);
    printEndpoints(ctx, body.data);
  });
  examples(list, ['tokenbank webhooks list', 'tokenbank webhooks list --operator --json']);

  const rm = scope(
    webhooks.command('rm').description('Delete an endpoint and its delivery log').argument('<endpoint_id>', 'as `webhooks list` shows it'),
  ).action(async (endpoint_id: string, options: Scoped, command: Command) => {
    const ctx = kit.context(command);
    const body = options.operator
      ? await ctx.api.call('DELETE /v1/webhook-endpoints/{endpoint_id}', { params: { endpoint_id } })
      : await ctx.api.call('DELETE /v1/accounts/{id}/webhook-endpoints/{endpoint_id}', { params: { id: (await ctx.account()).id, endpoint_id } });
    if (options.json) return ctx.out.json(body);
    ctx.out.line(`${ctx.out.style.green('✓')} Deleted webhook endpoint ${endpoint_id}.`);
  });
  examples(rm, ['tokenbank webhooks rm whe_123']);

  const deliveries = scope(
    webhooks
      .command('deliveries')
      .description("An endpoint's deliveries, newest first, every attempt")
      .argument('<endpoint_id>', 'as `webhooks list` shows it'),
  )
    .option('--limit <n>', `at most n deliveries (1–${limits.page_size_max})`, String(events_limits.events_default))
    .action(async (endpoint_id: string, options: Scoped & { limit: string }, command: Command) => {
      const limit = String(integer('--limit', options.limit, 1, limits.page_size_max));
      const ctx = kit.context(command);
      const body = options.operator
        ? await ctx.api.call('GET /v1/webhook-endpoints/{endpoint_id}/deliveries', { params: { endpoint_id }, query: { limit } })
        : await ctx.api.call('GET /v1/accounts/{id}/webhook-endpoints/{endpoint_id}/deliveries', {
            params: { id: (await ctx.account()).id, endpoint_id },
            query: { limit },
          });
      if (options.json) return ctx.out.json(body);
      if (body.data.length === 0) return ctx.out.line('No deliveries yet.');
      const rows = body.data.map((d) => [
        d.id,
        d.webhook_id,
        d.event_type,
        d.status,
        d.log.map((a) => (a.status_code === null ? (a.error ?? 'error').slice(0, 30) : String(a.status_code))).join(' '),
      ]);
      ctx.out.line(renderTable(['DELIVERY', 'WEBHOOK-ID', 'EVENT', 'STATUS', 'ATTEMPTS'], rows, { style: ctx.out.style }));
    });
  examples(deliveries, ['tokenbank webhooks deliveries whe_123', 'tokenbank webhooks deliveries whe_123 --json']);
}

function printEndpoints(ctx: Ctx, endpoints: EndpointView[]): void {
  const s = ctx.out.style;
  if (endpoints.length === 0) {
    ctx.out.line('No webhook endpoints.');
    ctx.out.line(s.dim('Add one with `tokenbank webhooks add <url>`.'));
    return;
  }
  const rows = endpoints.map((e) => [
    e.id,
    e.url,
    e.events ? e.events.join(',') : 'all',
    e.status,
    e.failing_since ? `failing since ${utcMinute(e.failing_since)}` : '',
  ]);
  ctx.out.line(renderTable(['ID', 'URL', 'EVENTS', 'STATUS', ''], rows, { style: s }));
}
