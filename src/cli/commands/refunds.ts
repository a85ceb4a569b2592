// `refund [dollars] [--purchase ID]`, `refunds`, `promo claim CODE`: unspent purchased credits
// back to the card (owner), the refunds so far, and campaign codes. One Idempotency-Key per
// invocation (or --idempotency-key), so a retried refund never refunds twice.
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { limits } from '../../domain/limits';
import { CliError, EXIT, usageError } from '../errors';
import { formatUsd } from '../format';
import { cardDollars, integer } from '../input';
import { confirm, examples, group, type Kit } from '../kit';
import { renderTable } from '../output';

export function register(program: Command, kit: Kit): void {
  registerRefund(program, kit);
  registerRefunds(program, kit);
  registerPromo(program, kit);
}

function registerRefund(program: Command, kit: Kit): void {
  const refund = program
    .command('refund')
    .description('Refund unspent purchased credits to the card (owner); promotional credit is never refunded')
    .argument('[dollars]', 'amount in whole cents (default: everything refundable); from the most recent purchases first')
    .option('--purchase <purchase_id>', 'refund from this purchase only')
    .option('-y, --yes', 'do not ask for confirmation (scripts)')
    .option('--idempotency-key <key>', 'reuse a key to retry a refund safely across invocations (default: a new key per run)')
    .option('--json', "print the API's refund object")
    .action(async (text: string | undefined, options: { purchase?: string; yes?: boolean; idempotencyKey?: string; json?: boolean }, command: Command) => {
      const amount_micros = text === undefined ? undefined : cardDollars('[dollars]', text);
      if (options.purchase !== undefined && options.purchase.trim() === '') throw usageError('--purchase: needs a purchase id (see `tokenbank history`)');
      if (!options.yes && !(kit.stdin.isTTY && kit.streams.err.isTTY))
        throw usageError('A refund needs a confirmation and there is no terminal to ask.', 'Pass --yes to confirm from a script.');
      const ctx = kit.context(command);
      const account = await ctx.account();
      const params = { id: account.id };
      if (!options.json) ctx.printAccount(account);
      const view = await ctx.api.call('GET /v1/accounts/{id}/extra-usage', { params });
      const what = amount_micros === undefined ? `everything refundable (${formatUsd(view.refundable_micros)})` : formatUsd(amount_micros);
      const from = options.purchase ? ` from purchase ${options.purchase}` : '';
      if (!(await confirm(kit, `Refund ${what}${from} of ${account.name} (${account.id}) to the card?`, options.yes)))
        throw new CliError('cancelled', 'Nothing was refunded.', EXIT.failed);
      const result = await ctx.api.call('POST /v1/accounts/{id}/refunds', {
        params,
        body: { ...(amount_micros !== undefined ? { amount_micros } : {}), ...(options.purchase ? { purchase_id: options.purchase } : {}) },
        headers: { 'idempotency-key': options.idempotencyKey ?? `cli-${randomUUID()}` },
        retry: true, // same key: a retry returns the first refund, never a second one
        label: `Refunding ${what}…`,
      });
      if (options.json) return ctx.out.json(result);
      const s = ctx.out.style;
      if (result.status === 'pending') {
        ctx.out.line(
          `${s.yellow('…')} The refund of ${formatUsd(result.amount_micros)} (${result.id}) is waiting for the payment provider; the credits are set aside and it completes on its own. Check with \`tokenbank refunds\`.`,
        );
        return;
      }
      ctx.out.line(
        `${s.green('✓')} Refunded ${s.bold(formatUsd(result.refunded_micros))} to the card. Balance now ${s.bold(formatUsd(result.balance_micros))}; still refundable ${formatUsd(result.refundable_micros)}. ${s.dim(`Refund ${result.id}.`)}`,
      );
    });
  examples(refund, ['tokenbank refund 10', 'tokenbank refund --yes', 'tokenbank refund 5.50 --purchase pur_123 --yes --json']);
}

function registerRefunds(program: Command, kit: Kit): void {
  const refunds = program
    .command('refunds')
    .description('Refunds of the account, newest first (billing)')
    .option('--limit <n>', `at most n refunds (1–${limits.page_size_max})`, String(limits.page_size_default))
    .option('--json', "print the API's list")
    .action(async (options: { limit: string; json?: boolean }, command: Command) => {
      const limit = integer('--limit', options.limit, 1, limits.page_size_max);
      const ctx = kit.context(command);
      const account = await ctx.account();
      const body = await ctx.api.call('GET /v1/accounts/{id}/refunds', { params: { id: account.id }, query: { limit: String(limit) } });
      if (options.json) return ctx.out.json(body);
      ctx.printAccount(account);
      if (body.data.length === 0) return ctx.out.line('No refunds yet.');
      const rows = body.data.map((r) => [
        r.id,
        r.created_at.slice(0, 16).replace('T', ' '),
        r.status,
        formatUsd(r.amount_micros),
        formatUsd(r.refunded_micros),
        r.parts.map((p) => p.purchase_id).join(', '),
      ]);
      ctx.out.line(
        renderTable(['ID', 'WHEN (UTC)', 'STATUS', 'AMOUNT', 'REFUNDED', 'PURCHASES'], rows, {
          style: ctx.out.style,
          align: ['left', 'left', 'left', 'right', 'right', 'left'],
        }),
      );
    });
  examples(refunds, ['tokenbank refunds', 'tokenbank refunds --limit 5 --json']);
}

function registerPromo(program: Command, kit: Kit): void {
  const promo = group(program, 'promo', 'Campaign codes');
  examples(promo, ['tokenbank promo claim SPRING-26']);
  const claim = promo
    .command('claim')
    .description('Claim a campaign code (billing): its promotional credit is added to the account, once per account')
    .argument('<code>', 'the code (letters, digits, - and _; case does not matter)')
    .option('--json', "print the API's answer")
    .action(async (code: string, options: { json?: boolean }, command: Command) => {
      if (code.trim().length < limits.promotion_code_length_min || code.trim().length > limits.promotion_code_length_max)
        throw usageError(`<code>: a code has ${limits.promotion_code_length_min} to ${limits.promotion_code_length_max} characters, got "${code}"`);
      const ctx = kit.context(command);
      const account = await ctx.account();
      const result = await ctx.api.call('POST /v1/accounts/{id}/promotions/claim', { params: { id: account.id }, body: { code: code.trim() } });
      if (options.json) return ctx.out.json(result);
      ctx.printAccount(account);
      const s = ctx.out.style;
      const expiry = result.grant.expires_at ? `, expires ${result.grant.expires_at.slice(0, 16).replace('T', ' ')} UTC` : ', does not expire';
      ctx.out.line(
        `${s.green('✓')} Claimed ${result.code}: ${s.bold(formatUsd(result.grant.amount_micros))} of promotional credit${expiry}. ${s.dim(`Grant ${result.grant.id}.`)}`,
      );
    });
  examples(claim, ['tokenbank promo claim SPRING-26', 'tokenbank promo claim welcome10 --account "Acme Inc" --json']);
}
