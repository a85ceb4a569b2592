// Operator commands for promotional credit, under `admin`: campaign codes (create, list) and
// grants to one account (add, list).
import type { Command } from 'commander';
import { limits } from '../../domain/limits';
import { usageError } from '../errors';
import { formatUsd } from '../format';
import { dollars, integer } from '../input';
import { examples, type Kit } from '../kit';
import { renderTable } from '../output';
import { requireOperator } from './admin';

/** `--expires-at`: an ISO date-time (or a date, taken as 00:00 UTC), sent as the API takes it. */
function timestamp(what: string, text: string): string {
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (!Number.isFinite(ms)) throw usageError(`${what}: "${text}" is not a date or date-time (e.g. 2026-12-31 or 2026-12-31T23:59:00Z)`);
  return new Date(ms).toISOString();
}

const when = (iso: string | null) => (iso === null ? '—' : iso.slice(0, 16).replace('T', ' '));

export function registerAdminCredits(admin: Command, kit: Kit): void {
  const promo = admin.command('promo').description('Campaign codes: an amount, an end, a claim limit; one claim per account');
  examples(promo, ['tokenbank admin promo create SPRING-26 --amount 10 --claims-max 500', 'tokenbank admin promo list']);
  const create = promo
    .command('create')
    .description('Create a campaign code')
    .argument('<code>', 'letters, digits, - and _ (case does not matter)')
    .requiredOption('--amount <dollars>', 'promotional credit each claim gives')
    .requiredOption('--claims-max <n>', 'how many accounts may claim it')
    .option('--expires-at <when>', 'claims are refused from then on (date or date-time, UTC)')
    .option('--credit-days <n>', 'the claimed credit expires this many days after the claim (default: never)')
    .option('--json', "print the API's promotion object")
    .action(async (code: string, options: { amount: string; claimsMax: string; expiresAt?: string; creditDays?: string; json?: boolean }, command: Command) => {
      const body = {
        code,
        amount_micros: dollars('--amount', options.amount),
        claims_max: integer('--claims-max', options.claimsMax, 1, limits.promotion_claims_max),
        ...(options.expiresAt ? { expires_at: timestamp('--expires-at', options.expiresAt) } : {}),
        ...(options.creditDays ? { credit_expires_in_days: integer('--credit-days', options.creditDays, 1, limits.promotion_credit_expires_in_days_max) } : {}),
      };
      const ctx = kit.context(command);
      await requireOperator(ctx);
      const p = await ctx.api.call('POST /v1/promotions', { body });
      if (options.json) return ctx.out.json(p);
      ctx.out.line(
        `${ctx.out.style.green('✓')} Created ${ctx.out.style.bold(p.code)}: ${formatUsd(p.amount_micros)} per claim, up to ${p.claims_max} claims${p.expires_at ? `, until ${when(p.expires_at)} UTC` : ''}${p.credit_expires_in_days ? `; the credit lasts ${p.credit_expires_in_days} days` : ''}.`,
      );
    });
  examples(create, [
    'tokenbank admin promo create SPRING-26 --amount 10 --claims-max 500',
    'tokenbank admin promo create WELCOME --amount 5 --claims-max 10000 --expires-at 2026-12-31 --credit-days 30 --json',
  ]);
  const list = promo
    .command('list', { isDefault: true })
    .description('Campaign codes with their claim counts')
    .option('--json', "print the API's list")
    .action(async (options: { json?: boolean }, command: Command) => {
      const ctx = kit.context(command);
      await requireOperator(ctx);
      const body = await ctx.api.call('GET /v1/promotions', { query: { limit: String(limits.page_size_max) } });
      if (options.json) return ctx.out.json(body);
      if (body.data.length === 0) return ctx.out.line('No campaign codes yet.');
      const rows = body.data.map((p) => [
        p.code,
        formatUsd(p.amount_micros),
        `${p.claims_count}/${p.claims_max}`,
        when(p.expires_at),
        p.credit_expires_in_days ? `${p.credit_expires_in_days} d` : 'never',
      ]);
      ctx.out.line(
        renderTable(['CODE', 'AMOUNT', 'CLAIMS', 'ENDS (UTC)', 'CREDIT EXPIRES'], rows, {
          style: ctx.out.style,
          align: ['left', 'right', 'right', 'left', 'left'],
        }),
      );
    });
  examples(list, ['tokenbank admin promo list', 'tokenbank admin promo list --json']);

  registerAdminGrants(admin, kit);
}

function registerAdminGrants(admin: Command, kit: Kit): void {
  const grants = admin.command('grants').description('Promotional grants to one account (--account): add, list');
  examples(grants, ['tokenbank admin grants add 5 --account "Acme Inc" --reason "outage credit"', 'tokenbank admin grants --account acct_123']);
  const add = grants
    .command('add')
    .description('Grant promotional credit to the account, optionally expiring')
    .argument('<dollars>', 'amount')
    .option('--expires-at <when>', 'the credit stops counting then (date or date-time, UTC)')
    .option('--reason <text>', 'why (shown in the grant and its notification)')
    .option('--json', "print the API's grant object")
    .action(async (text: string, options: { expiresAt?: string; reason?: string; json?: boolean }, command: Command) => {
      const body = {
        amount_micros: dollars('<dollars>', text),
        ...(options.expiresAt ? { expires_at: timestamp('--expires-at', options.expiresAt) } : {}),
        ...(options.reason ? { reason: options.reason } : {}),
      };
      const ctx = kit.context(command);
      await requireOperator(ctx);
      const account = await ctx.account();
      const g = await ctx.api.call('POST /v1/accounts/{id}/grants', { params: { id: account.id }, body });
      if (options.json) return ctx.out.json(g);
      ctx.printAccount(account);
      ctx.out.line(
        `${ctx.out.style.green('✓')} Granted ${formatUsd(g.amount_micros)} (${g.reason})${g.expires_at ? `, expires ${when(g.expires_at)} UTC` : ''}. Grant ${g.id}.`,
      );
    });
  examples(add, [
    'tokenbank admin grants add 5 --account "Acme Inc" --reason "outage credit"',
    'tokenbank admin grants add 10 --account acct_123 --expires-at 2026-12-31 --json',
  ]);
  const glist = grants
    .command('list', { isDefault: true })
    .description("The account's grants, with what is left of each")
    .option('--json', "print the API's list")
    .action(async (options: { json?: boolean }, command: Command) => {
      const ctx = kit.context(command);
      const account = await ctx.account();
      const body = await ctx.api.call('GET /v1/accounts/{id}/grants', { params: { id: account.id } });
      if (options.json) return ctx.out.json(body);
      ctx.printAccount(account);
      if (body.data.length === 0) return ctx.out.line('No grants.');
      const rows = body.data.map((g) => [g.id, formatUsd(g.amount_micros), formatUsd(g.remaining_micros), when(g.expires_at), g.live ? 'yes' : 'no', g.reason]);
      ctx.out.line(
        renderTable(['ID', 'AMOUNT', 'LEFT', 'EXPIRES (UTC)', 'COUNTS', 'REASON'], rows, {
          style: ctx.out.style,
          align: ['left', 'right', 'right', 'left', 'left', 'left'],
        }),
      );
      if (body.has_more)
        ctx.out.line(
          ctx.out.style.dim(
            `The oldest ${body.data.length} grants; the API pages through the rest (GET /v1/accounts/${account.id}/grants?cursor=${body.next_cursor}).`,
          ),
        );
    });
  examples(glist, ['tokenbank admin grants --account "Acme Inc"', 'tokenbank admin grants list --account acct_123 --json']);
}
