// `credits add <dollars>`: buys extra usage credits with the card on file. Confirms amount and
// card on a terminal (`--yes` for scripts). One Idempotency-Key per invocation (or given with
// --idempotency-key), so the client's own retries after a lost answer never charge twice.
import type { Api } from '../client';
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { CliError, EXIT, usageError } from '../errors';
import { formatUsd } from '../format';
import { cardDollars } from '../input';
import { confirm, examples, group, type Kit } from '../kit';
import type { PaymentMethod } from '../views';

export function register(program: Command, kit: Kit): void {
  const credits = group(program, 'credits', 'Extra usage credits');
  examples(credits, ['tokenbank credits add 20', 'tokenbank credits add $12.50 --yes']);

  const add = credits
    .command('add')
    .description('Buy extra usage credits with the card on file (charged at once)')
    .argument('<dollars>', 'amount in dollars: 20, 12.50, $12')
    .option('-y, --yes', 'do not ask for confirmation (scripts)')
    .option('--card <payment_method_id>', 'charge this card instead of the default one')
    .option('--idempotency-key <key>', 'reuse a key to retry a purchase safely across invocations (default: a new key per run)')
    .option('--json', "print the API's purchase object")
    .action(async (text: string, options: { yes?: boolean; card?: string; idempotencyKey?: string; json?: boolean }, command: Command) => {
      const amount_micros = cardDollars('<dollars>', text);
      if (!options.yes && !(kit.stdin.isTTY && kit.streams.err.isTTY))
        throw usageError('Buying credits needs a confirmation and there is no terminal to ask.', 'Pass --yes to confirm from a script.');
      const ctx = kit.context(command);
      const account = await ctx.account();
      const params = { id: account.id };
      if (!options.json) ctx.printAccount(account);
      const card = await chosenCard(ctx.api, account.id, options.card);
      const card_text = `${card.brand} •••• ${card.last4} (exp ${String(card.exp_month).padStart(2, '0')}/${card.exp_year})`;
      const question = `Add ${formatUsd(amount_micros)} of extra usage credits to ${account.name} (${account.id}), charged to ${card_text}?`;
      if (!(await confirm(kit, question, options.yes))) throw new CliError('cancelled', 'Nothing was charged.', EXIT.failed);
      const key = options.idempotencyKey ?? `cli-${randomUUID()}`;
      const result = await ctx.api.call('POST /v1/accounts/{id}/extra-usage/credits', {
        params,
        body: { amount_micros, ...(options.card ? { payment_method_id: options.card } : {}) },
        headers: { 'idempotency-key': key },
        retry: true, // same key: a retry returns the first purchase, never a second charge
        label: `Charging ${formatUsd(amount_micros)} to ${card_text}…`,
      });
      if (options.json) return ctx.out.json(result);
      const s = ctx.out.style;
      if (result.status === 'pending') {
        ctx.out.line(
          `${s.yellow('…')} The charge of ${formatUsd(result.amount_micros)} is being confirmed (purchase ${result.transaction_id}); the credits appear when it completes. Check with \`tokenbank balance\`.`,
        );
        return;
      }
      ctx.out.line(
        `${s.green('✓')} Added ${s.bold(formatUsd(result.amount_micros))} to ${account.name}${result.replayed ? ' (already done earlier with this key; not charged again)' : ''}. Balance now ${s.bold(formatUsd(result.balance_micros))}. ${s.dim(`Purchase ${result.transaction_id}.`)}`,
      );
      const extra = await ctx.api.call('GET /v1/accounts/{id}/extra-usage', { params }).catch(() => null);
      if (extra && !extra.enabled)
        ctx.out.line(
          s.yellow('Extra usage is off for this account, so requests will not draw on these credits until it is turned on (`tokenbank extra-usage on`).'),
        );
    });
  const confirm_cmd = credits
    .command('confirm')
    .description('Finish a purchase your bank asked you to confirm (3-D Secure), once you have confirmed it')
    .argument('<purchase_id>', 'the purchase the refusal named (pur_…)')
    .option('--json', "print the API's purchase object")
    .action(async (purchase_id: string, options: { json?: boolean }, command: Command) => {
      const ctx = kit.context(command);
      const account = await ctx.account();
      if (!options.json) ctx.printAccount(account);
      const result = await ctx.api.call('POST /v1/accounts/{id}/extra-usage/credits/{purchase_id}/confirm', {
        params: { id: account.id, purchase_id },
        retry: true, // the same purchase: confirming twice credits once
        label: `Asking the bank about ${purchase_id}…`,
      });
      if (options.json) return ctx.out.json(result);
      const s = ctx.out.style;
      ctx.out.line(
        `${s.green('✓')} Added ${s.bold(formatUsd(result.amount_micros))} to ${account.name}. Balance now ${s.bold(formatUsd(result.balance_micros))}. ${s.dim(`Purchase ${result.transaction_id}.`)}`,
      );
    });
  examples(confirm_cmd, ['tokenbank credits confirm pur_…', 'tokenbank credits confirm pur_… --json']);

  examples(add, [
    'tokenbank credits add 20',
    'tokenbank credits add 12.50 --account "Acme Inc"',
    'tokenbank credits add $25 --yes --json',
    'tokenbank credits add 20 --yes --idempotency-key nightly-2026-11-28',
  ]);
}

/** The card the purchase will charge: the chosen one, else the account's default. */
async function chosenCard(api: Api, account_id: string, card_id: string | undefined): Promise<PaymentMethod> {
  // Listing cards needs the billing role, as buying does: a member is refused here, before any prompt.
  const cards: PaymentMethod[] = (await api.call('GET /v1/accounts/{id}/payment-methods', { params: { id: account_id } })).data;
  if (card_id) {
    const card = cards.find((c) => c.id === card_id);
    if (!card)
      throw new CliError(
        'invalid_request',
        `No card ${card_id} on this account. Cards: ${cards.map((c) => `${c.id} (${c.brand} •••• ${c.last4})`).join(', ') || 'none'}.`,
      );
    return card;
  }
  const card = cards.find((c) => c.default);
  if (!card)
    throw new CliError(
      'invalid_request',
      'No card on file for this account.',
      EXIT.failed,
      'Add one with `tokenbank cards add <token>` (or in the account page), then try again.',
    );
  return card;
}
