// `cards list` and `cards add <token>` (GET/POST /v1/accounts/{id}/payment-methods): the cards
// that purchases and auto-reload charge. A card is added by the payment provider's token (in
// the sandbox: tok_visa, tok_mastercard, tok_chargeDeclined…); the new card becomes the default.
import type { Command } from 'commander';
import type { Ctx } from '../context';
import { cardToken } from '../input';
import { examples, group, type Kit } from '../kit';
import { renderTable } from '../output';
import type { PaymentMethod } from '../views';

export function cardText(card: PaymentMethod): string {
  return `${card.brand} •••• ${card.last4} (exp ${String(card.exp_month).padStart(2, '0')}/${card.exp_year})`;
}

export function register(program: Command, kit: Kit): void {
  const cards = group(program, 'cards', 'Cards on file, charged by credit purchases and auto-reload');
  examples(cards, ['tokenbank cards list', 'tokenbank cards add tok_visa']);

  const list = cards
    .command('list')
    .description('List the cards on file; * marks the default one')
    .option('--json', "print the API's object")
    .action(async (options: { json?: boolean }, command: Command) => {
      const ctx = kit.context(command);
      const account = await ctx.account();
      const body = await ctx.api.call('GET /v1/accounts/{id}/payment-methods', { params: { id: account.id } });
      if (options.json) return ctx.out.json(body);
      ctx.printAccount(account);
      printCards(ctx, body.data);
    });
  examples(list, ['tokenbank cards list', 'tokenbank cards list --account "Acme Inc" --json']);

  const add = cards
    .command('add')
    .description("Add a card by the payment provider's token; it becomes the default")
    .argument('<token>', 'the provider token of the card (sandbox: tok_visa, tok_mastercard, tok_chargeDeclined)')
    .option('--json', "print the API's payment-method object")
    .action(async (text: string, options: { json?: boolean }, command: Command) => {
      const token = cardToken('<token>', text);
      const ctx = kit.context(command);
      const account = await ctx.account();
      const card = await ctx.api.call('POST /v1/accounts/{id}/payment-methods', { params: { id: account.id }, body: { token }, label: 'Adding the card…' });
      if (options.json) return ctx.out.json(card);
      ctx.printAccount(account);
      const s = ctx.out.style;
      ctx.out.line(`${s.green('✓')} Added ${s.bold(cardText(card))} as the default card. ${s.dim(`Card ${card.id}.`)}`);
    });
  examples(add, ['tokenbank cards add tok_visa', 'tokenbank cards add tok_mastercard --json']);
}

function printCards(ctx: Ctx, cards: PaymentMethod[]): void {
  const s = ctx.out.style;
  if (cards.length === 0) {
    ctx.out.line('No card on file.');
    ctx.out.line(s.dim('Add one with `tokenbank cards add <token>` (sandbox: tok_visa).'));
    return;
  }
  const rows = cards.map((c) => [c.default ? s.green('*') : ' ', c.id, c.brand, `•••• ${c.last4}`, `${String(c.exp_month).padStart(2, '0')}/${c.exp_year}`]);
  ctx.out.line(renderTable([' ', 'ID', 'BRAND', 'NUMBER', 'EXPIRES'], rows, { style: s }));
}
