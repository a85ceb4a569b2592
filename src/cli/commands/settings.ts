// Extra usage settings (PATCH /v1/accounts/{id}/extra-usage): `extra-usage on|off`,
// `limit set <dollars>|unlimited` (and `limit unlimited`), and `autoreload on --amount
// --threshold | off`. The reload itself runs on the server.
import type { Command } from 'commander';
import { usageError } from '../errors';
import { formatUsd, shortDate } from '../format';
import { cardDollars, dollars } from '../input';
import { examples, group, type Kit } from '../kit';
import type { ExtraUsage } from '../views';
import type { Ctx, AccountRef } from '../context';

async function patch(ctx: Ctx, account: AccountRef, body: Record<string, unknown>): Promise<ExtraUsage> {
  return ctx.api.call('PATCH /v1/accounts/{id}/extra-usage', {
    params: { id: account.id },
    body,
    retry: true /* a PATCH of absolute values is safe to repeat */,
  });
}

export function register(program: Command, kit: Kit): void {
  registerExtraUsage(program, kit);
  registerLimit(program, kit);
  registerAutoReload(program, kit);
}

function registerLimit(program: Command, kit: Kit): void {
  const limit = group(program, 'limit', 'The monthly spend limit of extra usage (a hard cap)');
  examples(limit, ['tokenbank limit set 50', 'tokenbank limit set unlimited', 'tokenbank limit unlimited']);

  const setLimit = async (value: number | null, options: { json?: boolean }, command: Command) => {
    const ctx = kit.context(command);
    const account = await ctx.account();
    const extra = await patch(ctx, account, { monthly_spend_limit_micros: value });
    if (options.json) return ctx.out.json(extra);
    ctx.printAccount(account);
    const s = ctx.out.style;
    const shown = value === null ? 'unlimited' : formatUsd(value);
    ctx.out.line(
      `${s.green('✓')} Monthly spend limit: ${s.bold(shown)}. Spent this cycle: ${formatUsd(extra.spent_this_cycle_micros)}; the counter resets ${shortDate(extra.cycle_end)}.`,
    );
    if (value !== null && extra.spent_this_cycle_micros >= value)
      ctx.out.line(
        s.yellow('This cycle has already reached the new limit: requests paid by extra usage are refused until the cycle resets or the limit is raised.'),
      );
    if (!extra.enabled) ctx.out.line(s.dim('Extra usage is off for this account; the limit applies once it is on (`tokenbank extra-usage on`).'));
  };

  const set = limit
    .command('set')
    .description('Set the most extra usage that may be consumed per billing cycle')
    .argument('<dollars|unlimited>', 'a dollar amount (40, 12.50, $100) or "unlimited"')
    .option('--json', "print the API's extra-usage object")
    .action(async (text: string, options: { json?: boolean }, command: Command) => {
      const value = /^unlimited$/i.test(text.trim()) ? null : dollars('<dollars|unlimited>', text);
      await setLimit(value, options, command);
    });
  examples(set, ['tokenbank limit set 50', 'tokenbank limit set $12.50 --account "Acme Inc"', 'tokenbank limit set unlimited']);

  const unlimited = limit
    .command('unlimited')
    .description('Remove the monthly spend limit (the same as `limit set unlimited`)')
    .option('--json', "print the API's extra-usage object")
    .action(async (options: { json?: boolean }, command: Command) => setLimit(null, options, command));
  examples(unlimited, ['tokenbank limit unlimited']);
}

function registerAutoReload(program: Command, kit: Kit): void {
  const autoreload = group(program, 'autoreload', 'Buy credits automatically when the balance runs low');
  examples(autoreload, ['tokenbank autoreload on --amount 20 --threshold 5', 'tokenbank autoreload off']);

  const on = autoreload
    .command('on')
    .description('Turn auto-reload on: buy --amount when the available balance falls below --threshold')
    .option('--amount <dollars>', 'credits bought per reload, charged to the default card (≥ the minimum purchase)')
    .option('--threshold <dollars>', 'reload when the available balance falls below this')
    .option('--json', "print the API's extra-usage object")
    .action(async (options: { amount?: string; threshold?: string; json?: boolean }, command: Command) => {
      const amount_micros = options.amount === undefined ? undefined : cardDollars('--amount', options.amount);
      const threshold_micros = options.threshold === undefined ? undefined : dollars('--threshold', options.threshold);
      const ctx = kit.context(command);
      const account = await ctx.account();
      if (amount_micros === undefined || threshold_micros === undefined) {
        // Turning it back on may reuse the stored amount and threshold; the first time needs both.
        const current = await ctx.api.call('GET /v1/accounts/{id}/extra-usage', { params: { id: account.id } });
        if ((amount_micros ?? current.auto_reload.amount_micros) === null || (threshold_micros ?? current.auto_reload.threshold_micros) === null) {
          throw usageError('Auto-reload needs --amount and --threshold the first time.', 'Example: tokenbank autoreload on --amount 20 --threshold 5');
        }
      }
      const extra = await patch(ctx, account, {
        auto_reload: {
          enabled: true,
          ...(amount_micros !== undefined ? { amount_micros } : {}),
          ...(threshold_micros !== undefined ? { threshold_micros } : {}),
        },
      });
      if (options.json) return ctx.out.json(extra);
      ctx.printAccount(account);
      const r = extra.auto_reload;
      ctx.out.line(
        `${ctx.out.style.green('✓')} Auto-reload on: buys ${ctx.out.style.bold(formatUsd(r.amount_micros ?? 0))} when the available balance falls below ${ctx.out.style.bold(formatUsd(r.threshold_micros ?? 0))}.`,
      );
      if (extra.monthly_spend_limit_micros !== null)
        ctx.out.line(
          ctx.out.style.dim(`It does not fire when a reload would take this cycle past the ${formatUsd(extra.monthly_spend_limit_micros)} monthly limit.`),
        );
      if (!extra.enabled)
        ctx.out.line(ctx.out.style.yellow('Extra usage is off for this account; auto-reload fires once it is on (`tokenbank extra-usage on`).'));
    });
  examples(on, ['tokenbank autoreload on --amount 20 --threshold 5', 'tokenbank autoreload on          # again, with the stored amount and threshold']);

  const off = autoreload
    .command('off')
    .description('Turn auto-reload off (the amount and threshold are kept)')
    .option('--json', "print the API's extra-usage object")
    .action(async (options: { json?: boolean }, command: Command) => {
      const ctx = kit.context(command);
      const account = await ctx.account();
      const extra = await patch(ctx, account, { auto_reload: { enabled: false } });
      if (options.json) return ctx.out.json(extra);
      ctx.printAccount(account);
      ctx.out.line(`${ctx.out.style.green('✓')} Auto-reload off.`);
    });
  examples(off, ['tokenbank autoreload off']);
}

function registerExtraUsage(program: Command, kit: Kit): void {
  const extra_usage = group(
    program,
    'extra-usage',
    'Turn extra usage on or off: whether requests beyond the plan allowance (and third-party apps) may draw on the balance',
  );
  examples(extra_usage, ['tokenbank extra-usage on', 'tokenbank extra-usage off']);
  for (const enabled of [true, false]) {
    const name = enabled ? 'on' : 'off';
    const sub = extra_usage
      .command(name)
      .description(
        enabled
          ? 'Turn extra usage on: requests the plan allowance cannot cover draw on the balance, up to the monthly limit'
          : 'Turn extra usage off: requests the plan allowance cannot cover are refused; the balance is kept',
      )
      .option('--json', "print the API's extra-usage object")
      .action(async (options: { json?: boolean }, command: Command) => {
        const ctx = kit.context(command);
        const account = await ctx.account();
        const extra = await patch(ctx, account, { enabled });
        if (options.json) return ctx.out.json(extra);
        ctx.printAccount(account);
        const s = ctx.out.style;
        if (!enabled)
          return ctx.out.line(
            `${s.green('✓')} Extra usage off. Requests beyond the plan allowance, and third-party apps, are refused; the ${formatUsd(extra.balance_micros)} balance is kept.`,
          );
        const limit_text =
          extra.monthly_spend_limit_micros === null
            ? 'no monthly limit'
            : `monthly limit ${formatUsd(extra.monthly_spend_limit_micros)}, ${formatUsd(extra.spent_this_cycle_micros)} spent this cycle`;
        ctx.out.line(`${s.green('✓')} Extra usage on. Available ${s.bold(formatUsd(extra.available_micros))}; ${limit_text}.`);
        if (extra.available_micros <= 0)
          ctx.out.line(s.yellow('The balance is empty: add credits with `tokenbank credits add <dollars>` (a card first: `tokenbank cards add <token>`).'));
      });
    examples(sub, [`tokenbank extra-usage ${name}`, `tokenbank extra-usage ${name} --account "Acme Inc" --json`]);
  }
}
