// `transactions` (GET /v1/accounts/{id}/transactions): purchases, reloads, grants, refunds and
// usage charges, newest first, paged by --before. `requests` (GET …/usage-records): the latest
// charged requests with their receipt: app, model, tokens, cost, which pool paid and why.
import type { Command } from 'commander';
import { limits } from '../../domain/limits';
import type { Ctx } from '../context';
import { usageError } from '../errors';
import { formatInt, formatUsd, formatUsdPrecise, utcMinute } from '../format';
import { MICROS_PER_CENT } from '../../domain/money';
import { integer } from '../input';
import { examples, type Kit } from '../kit';
import { renderTable } from '../output';
import { FUNDING_REASON_TEXT, FUNDING_SOURCE_LABEL, TRANSACTION_KIND_LABEL, type TransactionsView, type UsageRecordView } from '../views';

export const history_limits = {
  requests_default: 20,
  /** A transaction id: a positive integer the server pages by (PageQuery.before: ≤ 16 digits). */
  before_digits_max: 16,
} as const;

/** Dollars with cents; a request that cost under a cent shows as many digits as it needs. */
function requestCost(micros: number): string {
  return micros !== 0 && Math.abs(micros) < MICROS_PER_CENT ? formatUsdPrecise(micros) : formatUsd(micros);
}

export function register(program: Command, kit: Kit): void {
  const transactions = program
    .command('transactions')
    .description('Purchases, reloads, grants, refunds and usage charges, newest first')
    .option('--limit <n>', `at most n transactions (1–${limits.page_size_max})`, String(limits.page_size_default))
    .option('--before <id>', 'only transactions older than this id (the next page)')
    .option('--json', "print the API's object")
    .action(async (options: { limit: string; before?: string; json?: boolean }, command: Command) => {
      const limit = integer('--limit', options.limit, 1, limits.page_size_max);
      const before = options.before === undefined ? undefined : transactionId('--before', options.before);
      const ctx = kit.context(command);
      const account = await ctx.account();
      const body = await ctx.api.call('GET /v1/accounts/{id}/transactions', { params: { id: account.id }, query: { limit: String(limit), before } });
      if (options.json) return ctx.out.json(body);
      ctx.printAccount(account);
      printTransactions(ctx, body);
    });
  examples(transactions, ['tokenbank transactions', 'tokenbank transactions --limit 10', 'tokenbank transactions --before 1234 --json']);

  const requests = program
    .command('requests')
    .description('Recent charged requests with their receipt: app, model, tokens, cost, which pool paid and why')
    .option('--limit <n>', `the latest n requests (1–${limits.page_size_max})`, String(history_limits.requests_default))
    .option('--json', "print the API's object")
    .action(async (options: { limit: string; json?: boolean }, command: Command) => {
      const limit = integer('--limit', options.limit, 1, limits.page_size_max);
      const ctx = kit.context(command);
      const account = await ctx.account();
      const body = await ctx.api.call('GET /v1/accounts/{id}/usage-records', { params: { id: account.id }, query: { limit: String(limit) } });
      if (options.json) return ctx.out.json(body);
      ctx.printAccount(account);
      printRequests(ctx, body.data);
    });
  examples(requests, ['tokenbank requests', 'tokenbank requests --limit 5', 'tokenbank requests --json | jq ".data[].funding"']);
}

function transactionId(what: string, text: string): string {
  const value = text.trim();
  const shape = new RegExp(`^[1-9][0-9]{0,${history_limits.before_digits_max - 1}}$`);
  if (!shape.test(value) || !Number.isSafeInteger(Number(value)))
    throw usageError(`${what}: "${text}" is not a transaction id (a whole number, as \`tokenbank transactions\` shows them)`);
  return value;
}

function printTransactions(ctx: Ctx, body: TransactionsView): void {
  const s = ctx.out.style;
  if (body.data.length === 0) return ctx.out.line('No transactions yet.');
  const rows = body.data.map((t) => [
    String(t.id),
    utcMinute(t.created_at),
    TRANSACTION_KIND_LABEL[t.kind] ?? t.kind,
    t.amount_micros > 0 ? `+${requestCost(t.amount_micros)}` : requestCost(t.amount_micros),
    t.book.replace(/^customer\./, ''),
    t.reference_id ?? '—',
  ]);
  ctx.out.line(
    renderTable(['ID', 'WHEN', 'KIND', 'AMOUNT', 'BOOK', 'REFERENCE'], rows, { style: s, align: ['right', 'left', 'left', 'right', 'left', 'left'] }),
  );
  if (body.next_before !== null) ctx.out.line(s.dim(`More: tokenbank transactions --before ${body.next_before}`));
}

function printRequests(ctx: Ctx, records: UsageRecordView[]): void {
  const s = ctx.out.style;
  if (records.length === 0) return ctx.out.line('No requests yet.');
  const rows = records.map((r) => {
    const u = r.usage;
    const tokens = u.input_tokens + u.output_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens;
    return [
      utcMinute(r.occurred_at),
      r.app,
      r.model,
      formatInt(tokens),
      requestCost(r.cost_micros),
      requestCost(r.charged_micros),
      FUNDING_SOURCE_LABEL[r.funding.source] ?? r.funding.source,
      FUNDING_REASON_TEXT[r.funding.reason] ?? r.funding.reason,
    ];
  });
  ctx.out.line(
    renderTable(['WHEN', 'APP', 'MODEL', 'TOKENS', 'COST', 'CHARGED', 'PAID BY', 'WHY'], rows, {
      style: s,
      align: ['left', 'left', 'left', 'right', 'right', 'right', 'left', 'left'],
    }),
  );
  ctx.out.line(s.dim('COST is the list price of the request; CHARGED is what extra usage paid (the rest was covered by the plan allowance).'));
}
