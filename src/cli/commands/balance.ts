// `balance`: balance, held, available, spent this cycle of the limit, auto-reload, the server's
// forecast, plan windows.
// `--json` prints the API's extra-usage object; `--statusline` one short line for a prompt.
import { Option, type Command } from 'commander';
import type { AccountRef, Ctx } from '../context';
import { formatInt, formatUsd, formatUsdShort, percentFloor, shortDate, shortDateTime } from '../format';
import { examples, type Kit } from '../kit';
import { bar } from '../output';
import { WINDOW_LABEL, type AccountView, type ExtraUsage } from '../views';

export function register(program: Command, kit: Kit): void {
  const balance = program
    .command('balance')
    .description('Extra usage balance, spend limit, auto-reload and plan windows')
    .addOption(new Option('--json', "print the API's extra-usage object").conflicts('statusline'))
    .option('--statusline', 'one short line for a shell prompt or an editor status bar')
    .action(async (options: { json?: boolean; statusline?: boolean }, command: Command) => {
      // A prompt redraws often: no spinner there.
      const ctx = kit.context(command, { spinner: !options.statusline });
      const account = await ctx.account();
      const params = { id: account.id };
      if (options.json) return ctx.out.json(await ctx.api.call('GET /v1/accounts/{id}/extra-usage', { params }));
      if (options.statusline) {
        const extra = await ctx.api.call('GET /v1/accounts/{id}/extra-usage', { params });
        const view = extra.enabled ? null : await ctx.api.call('GET /v1/accounts/{id}', { params });
        return ctx.out.line(statusline(extra, view));
      }
      const [extra, view] = await Promise.all([
        ctx.api.call('GET /v1/accounts/{id}/extra-usage', { params }),
        ctx.api.call('GET /v1/accounts/{id}', { params }),
      ]);
      printBalance(ctx, account, extra, view);
    });
  examples(balance, [
    'tokenbank balance',
    'tokenbank balance --account "Acme Inc"',
    'tokenbank balance --json | jq .available_micros',
    'tokenbank balance --statusline   # $12.40 · 62% of $50 · resets Dec 1',
  ]);
}

/**
 * `$12.40 · 62% of $50 · resets Dec 1`: available balance, the share of the monthly limit spent
 * this cycle, and when the cycle (and with it the limit's counter) resets. With extra usage off,
 * the fullest plan window instead: `extra usage off · 5h 12% · resets 14:12`.
 */
export function statusline(extra: ExtraUsage, view: AccountView | null): string {
  if (!extra.enabled) {
    const parts = ['extra usage off'];
    const fullest = [...(view?.windows ?? [])].sort((a, b) => percentFloor(b.used, b.limit) - percentFloor(a.used, a.limit))[0];
    if (fullest) {
      parts.push(`${fullest.kind === 'rolling_5h' ? '5h' : fullest.kind} ${percentFloor(fullest.used, fullest.limit)}%`);
      if (fullest.resets_at) parts.push(`resets ${fullest.kind === 'rolling_5h' ? shortDateTime(fullest.resets_at) : shortDate(fullest.resets_at)}`);
    }
    return parts.join(' · ');
  }
  const limit = extra.monthly_spend_limit_micros;
  const spent =
    limit === null
      ? `${formatUsdShort(extra.spent_this_cycle_micros)} spent, no limit`
      : `${percentFloor(extra.spent_this_cycle_micros, limit)}% of ${formatUsdShort(limit)}`;
  return [formatUsd(extra.available_micros), spent, `resets ${shortDate(extra.cycle_end)}`].join(' · ');
}

/** The server's forecast (`forecast` of GET …/extra-usage), in the page's words; nothing computed here. */
export function forecastText(extra: ExtraUsage): string {
  const f = extra.forecast;
  if (f.per_day_micros === 0) return `no extra usage in the last ${f.window_days} days: nothing to forecast`;
  const runs_out = f.runs_out_at === null ? 'more than a year from now' : shortDate(f.runs_out_at);
  const limit = extra.monthly_spend_limit_micros;
  const limit_text =
    limit === null
      ? 'no monthly limit'
      : f.limit_reached_at !== null
        ? `the ${formatUsd(limit)} limit is reached around ${shortDate(f.limit_reached_at)}`
        : `under the ${formatUsd(limit)} limit this cycle (about ${formatUsd(f.projected_cycle_micros)} projected)`;
  return (
    `about ${formatUsd(f.per_day_micros)} a day (last ${f.window_days} days) · runs out around ${runs_out} · ${limit_text} · ` +
    `suggested: reload ${formatUsd(f.suggested_reload.amount_micros)} below ${formatUsd(f.suggested_reload.threshold_micros)}, limit ${formatUsd(f.suggested_limit_micros)}`
  );
}

function printBalance(ctx: Ctx, account: AccountRef, extra: ExtraUsage, view: AccountView): void {
  const s = ctx.out.style;
  const row = (label: string, value: string) => ctx.out.line(`  ${s.dim(label.padEnd(18))}${value}`);
  ctx.printAccount(account);
  ctx.out.line();
  ctx.out.line(`${s.bold('Extra usage')}  ${extra.enabled ? s.green('on') : s.yellow('off')}`);
  row(
    'Balance',
    `${formatUsd(extra.balance_micros)}  ${s.dim(`(purchased ${formatUsd(extra.purchased_micros)} · promotional ${formatUsd(extra.promotional_micros)})`)}`,
  );
  row('Held', `${formatUsd(extra.held_micros)}  ${s.dim('(reserved by requests in flight)')}`);
  row('Available', s.bold(extra.available_micros < 0 ? s.red(formatUsd(extra.available_micros)) : formatUsd(extra.available_micros)));
  const limit = extra.monthly_spend_limit_micros;
  if (limit === null) row('Spent this cycle', `${formatUsd(extra.spent_this_cycle_micros)} ${s.dim('(no monthly limit)')}`);
  else {
    const pct = percentFloor(extra.spent_this_cycle_micros, limit);
    const meter = bar(extra.spent_this_cycle_micros, limit, 20).padEnd(20, '·');
    const paint = pct >= 100 ? s.red : pct >= 80 ? s.yellow : s.green;
    row('Spent this cycle', `${formatUsd(extra.spent_this_cycle_micros)} of ${formatUsd(limit)} limit (${pct}%)  ${paint(meter)}`);
  }
  row('Cycle', `${shortDate(extra.cycle_start)} – ${shortDate(extra.cycle_end)} ${s.dim(`(the limit's counter resets ${shortDate(extra.cycle_end)})`)}`);
  const reload = extra.auto_reload;
  let reload_text =
    reload.enabled && reload.amount_micros !== null && reload.threshold_micros !== null
      ? `${s.green('on')}: adds ${formatUsd(reload.amount_micros)} when available falls below ${formatUsd(reload.threshold_micros)}`
      : s.yellow('off');
  if (reload.last_event)
    reload_text += s.dim(
      `  (last: ${reload.last_event.type}${reload.last_event.reason ? `, ${reload.last_event.reason}` : ''}, ${formatUsd(reload.last_event.amount_micros)}, ${shortDate(reload.last_event.at)})`,
    );
  row('Auto-reload', reload_text);
  row('Forecast', forecastText(extra));
  if (extra.refundable_micros > 0) row('Refundable', `${formatUsd(extra.refundable_micros)} ${s.dim('(unspent purchased credit: `tokenbank refund`)')}`);
  if (extra.frozen && extra.frozen_reason) row('Frozen', s.yellow(extra.frozen_reason));
  ctx.out.line();
  const plan = view.plan ? `${view.plan.name} (${formatUsd(view.plan.price_micros)}/cycle${view.plan.per_seat ? ' per seat' : ''})` : 'none';
  const status =
    view.plan_status === 'active'
      ? s.green('active')
      : view.plan_status === 'canceling'
        ? s.yellow(`cancels ${view.cancel_at ? shortDate(view.cancel_at) : ''}`.trim())
        : s.red(view.plan_status);
  ctx.out.line(`${s.bold('Plan')}  ${plan} · ${status}`);
  for (const w of view.windows) {
    const pct = percentFloor(w.used, w.limit);
    const resets = w.resets_at ? `resets ${shortDateTime(w.resets_at)}` : 'opens at the next request';
    row(WINDOW_LABEL[w.kind] ?? w.kind, `${formatInt(w.used)} of ${formatInt(w.limit)} tokens (${pct}%)  ${s.dim(resets)}`);
  }
}
