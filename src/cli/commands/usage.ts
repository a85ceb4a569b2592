// `usage`: usage per UTC day (or per month with --month), optionally by app, model or funding
// source, as a table and a bar chart (█ charged to extra usage, ░ covered by the plan allowance);
// or --json / --csv. Every flag is checked before the first call to the server.
import { Option, type Command } from 'commander';
import { limits } from '../../domain/limits';
import type { Ctx } from '../context';
import { usageError } from '../errors';
import { formatInt, formatUsd, microsToDecimal } from '../format';
import { day, integer, month, utcDayBefore } from '../input';
import { examples, type Kit } from '../kit';
import { renderTable, visibleLength, output_limits } from '../output';
import type { UsageBucket, UsageView } from '../views';

export const usage_limits = {
  days_default: 30,
  days_max: limits.usage_query_days_max,
  /** With --month and no range: this month and the 11 before it (≤ 366 days, within days_max). */
  months_default: 12,
} as const;

type Group = 'app' | 'model' | 'source';

interface UsageOptions {
  days?: string;
  from?: string;
  to?: string;
  by?: Group;
  groupBy?: Group;
  month?: boolean;
  json?: boolean;
  csv?: boolean;
}

export function register(program: Command, kit: Kit): void {
  const usage = program
    .command('usage')
    .description('Usage and cost per day or per month, as a table and a bar chart')
    .addOption(
      new Option(
        '--days <n>',
        `the last n UTC days, today included (default ${usage_limits.days_default}; with --month, ${usage_limits.months_default} months)`,
      ).conflicts(['from', 'to']),
    )
    .option('--from <YYYY-MM-DD>', 'first UTC day (with --month also YYYY-MM)')
    .option('--to <YYYY-MM-DD>', 'last UTC day, default today (with --month also YYYY-MM: its last day)')
    .option('--month', 'one row per calendar month (UTC) instead of per day')
    .addOption(new Option('--by <group>', 'split by app, model or funding source').choices(['app', 'model', 'source']).conflicts('groupBy'))
    .addOption(new Option('--group-by <group>', 'the same as --by').choices(['app', 'model', 'source']))
    .addOption(new Option('--json', "print the API's usage object").conflicts('csv'))
    .option('--csv', 'print CSV (amounts in micros and exact dollars)')
    .action(async (options: UsageOptions, command: Command) => {
      const ctx = kit.context(command);
      const range = rangeOf(options, Date.now());
      const account = await ctx.account();
      const body = await ctx.api.call('GET /v1/accounts/{id}/usage', {
        params: { id: account.id },
        query: { from: range.from, to: range.to, granularity: options.month ? 'month' : 'day', group_by: options.by ?? options.groupBy },
      });
      if (options.json) return ctx.out.json(body);
      if (options.csv) return ctx.out.line(toCsv(body));
      ctx.printAccount(account);
      printUsage(ctx, body);
    });
  examples(usage, [
    'tokenbank usage',
    'tokenbank usage --days 7 --by app',
    'tokenbank usage --month --group-by source',
    'tokenbank usage --month --from 2026-01 --to 2026-06 --json',
    'tokenbank usage --from 2026-11-01 --to 2026-11-30 --by model',
    'tokenbank usage --by source --csv > usage.csv',
  ]);
}

export function rangeOf(options: UsageOptions, now_ms: number): { from: string; to: string } {
  if (options.days !== undefined) {
    const days = integer('--days', options.days, 1, usage_limits.days_max);
    return { from: utcDayBefore(now_ms, days - 1), to: utcDayBefore(now_ms, 0) };
  }
  const monthly = Boolean(options.month);
  const first = (flag: string, text: string) => (monthly && /^\s*\d{4}-\d{2}\s*$/.test(text) ? month(flag, text) : day(flag, text));
  const last = (flag: string, text: string) => (monthly && /^\s*\d{4}-\d{2}\s*$/.test(text) ? lastDayOfMonth(month(flag, text)) : day(flag, text));
  const today = utcDayBefore(now_ms, 0);
  const to = options.to !== undefined ? last('--to', options.to) : today;
  const from =
    options.from !== undefined
      ? first('--from', options.from)
      : monthly
        ? monthsBefore(to, usage_limits.months_default - 1)
        : utcDayBefore(Date.parse(`${to}T00:00:00Z`), usage_limits.days_default - 1);
  if (from > to) throw usageError(`--from ${from} is after --to ${to}.`);
  if ((Date.parse(to) - Date.parse(from)) / 86_400_000 > usage_limits.days_max) throw usageError(`The range may span at most ${usage_limits.days_max} days.`);
  return { from, to };
}

/** The first day of the month `n` months before the month of `iso_day`. */
function monthsBefore(iso_day: string, n: number): string {
  const d = new Date(`${iso_day.slice(0, 7)}-01T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() - n);
  return d.toISOString().slice(0, 10);
}

function lastDayOfMonth(first_day: string): string {
  const d = new Date(`${first_day}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + 1, 0);
  return d.toISOString().slice(0, 10);
}

const dayLabel = (iso_day: string) => new Date(`${iso_day}T00:00:00Z`).toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
const monthLabel = (iso_day: string) => new Date(`${iso_day}T00:00:00Z`).toLocaleDateString('en-US', { month: 'short', year: 'numeric', timeZone: 'UTC' });

/** The buckets' starts over the whole range, in order: every UTC day, or every month's first day. */
function bucketStarts(body: UsageView): string[] {
  const starts: string[] = [];
  if (body.granularity === 'month') {
    for (let d = `${body.from.slice(0, 7)}-01`; d <= body.to; d = monthsBefore(d, -1)) starts.push(d);
  } else {
    for (let d = body.from; d <= body.to; d = utcDayBefore(Date.parse(`${d}T00:00:00Z`), -1)) starts.push(d);
  }
  return starts;
}

function printUsage(ctx: Ctx, body: UsageView): void {
  const s = ctx.out.style;
  const by = body.group_by;
  const monthly = body.granularity === 'month';
  ctx.out.line(`${s.dim('Usage:')} ${body.from} – ${body.to} (${monthly ? 'per month, UTC' : 'UTC days'})${by ? `, by ${by}` : ''}`);
  ctx.out.line();
  if (body.buckets.length === 0) {
    ctx.out.line('No usage in this range.');
    return;
  }
  const header = [monthly ? 'MONTH' : 'DAY', ...(by ? [by.toUpperCase()] : []), 'REQUESTS', 'INPUT', 'OUTPUT', 'CACHE', 'COST', 'CHARGED'];
  const align = header.map((_, i) => (i <= (by ? 1 : 0) ? 'left' : 'right') as 'left' | 'right');
  const rows = body.buckets.map((b) => [
    monthly ? b.start.slice(0, 7) : b.start,
    ...(by ? [b.group ?? '—'] : []),
    formatInt(b.requests),
    formatInt(b.input_tokens),
    formatInt(b.output_tokens),
    formatInt(b.cache_creation_input_tokens + b.cache_read_input_tokens),
    formatUsd(b.cost_micros),
    formatUsd(b.extra_usage_micros),
  ]);
  const sum = (f: (b: UsageBucket) => number) => body.buckets.reduce((n, b) => n + f(b), 0);
  rows.push([
    'Total',
    ...(by ? [''] : []),
    formatInt(body.totals.requests),
    formatInt(sum((b) => b.input_tokens)),
    formatInt(sum((b) => b.output_tokens)),
    formatInt(sum((b) => b.cache_creation_input_tokens + b.cache_read_input_tokens)),
    formatUsd(body.totals.cost_micros),
    formatUsd(body.totals.extra_usage_micros),
  ]);
  ctx.out.line(renderTable(header, rows, { align, style: s }));
  ctx.out.line(s.dim('COST is the list price of the usage; CHARGED is what extra usage paid (the rest was covered by the plan allowance).'));

  // Every day (month) of the range: one without usage is an empty bar, not a missing one.
  const per_day = new Map<string, { cost: number; charged: number }>();
  for (const d of bucketStarts(body)) per_day.set(d, { cost: 0, charged: 0 });
  for (const b of body.buckets) {
    const entry = per_day.get(b.start) ?? { cost: 0, charged: 0 };
    entry.cost += b.cost_micros;
    entry.charged += b.extra_usage_micros;
    per_day.set(b.start, entry);
  }
  ctx.out.line();
  ctx.out.line(s.bold(monthly ? 'Cost per month' : 'Cost per day'));
  ctx.out.line(
    stackedChart(
      ctx,
      [...per_day].map(([d, v]) => ({ label: monthly ? monthLabel(d) : dayLabel(d), ...v })),
    ),
  );
  if (by) {
    const per_group = new Map<string, { cost: number; charged: number }>();
    for (const b of body.buckets) {
      const key = b.group ?? '—';
      const entry = per_group.get(key) ?? { cost: 0, charged: 0 };
      entry.cost += b.cost_micros;
      entry.charged += b.extra_usage_micros;
      per_group.set(key, entry);
    }
    ctx.out.line();
    ctx.out.line(s.bold(`Cost by ${by}`));
    ctx.out.line(
      stackedChart(
        ctx,
        [...per_group].sort((a, b) => b[1].cost - a[1].cost).map(([label, v]) => ({ label, ...v })),
      ),
    );
  }
  ctx.out.line(s.dim(`█ charged to extra usage  ░ covered by the plan allowance`));
}

/**
 * One bar per row, cost long, the charged part drawn solid. Whole cells, integer arithmetic:
 * cells = round(value × width / max); a non-zero part is never drawn as nothing.
 */
function stackedChart(ctx: Ctx, rows: Array<{ label: string; cost: number; charged: number }>): string {
  const s = ctx.out.style;
  const label_width = Math.max(...rows.map((r) => visibleLength(r.label)));
  const shown = rows.map((r) => `${formatUsd(r.cost)}${r.charged > 0 ? ` (${formatUsd(r.charged)} charged)` : ''}`);
  const value_width = Math.max(...shown.map((v) => v.length));
  const width = Math.max(output_limits.chart_width_min, Math.min(output_limits.chart_width_max, ctx.out.columns - label_width - value_width - 6));
  const max = Math.max(0, ...rows.map((r) => r.cost));
  const cells = (value: number) => (value <= 0 || max <= 0 ? 0 : Math.max(1, Number((BigInt(value) * BigInt(width) * 2n + BigInt(max)) / (2n * BigInt(max)))));
  return rows
    .map((r, i) => {
      const total = cells(r.cost);
      const solid = Math.min(total, cells(r.charged));
      const drawn = s.cyan('█'.repeat(solid)) + s.dim('░'.repeat(total - solid)) + ' '.repeat(width - total);
      return `  ${r.label.padEnd(label_width)}  ${drawn}  ${shown[i]}`;
    })
    .join('\n');
}

const CSV_COLUMNS = [
  'account_id',
  'day',
  'group',
  'requests',
  'input_tokens',
  'output_tokens',
  'cache_creation_input_tokens',
  'cache_read_input_tokens',
  'allowance_tokens',
  'cost_micros',
  'charged_micros',
  'cost_usd',
  'charged_usd',
] as const;

function csvCell(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(body: UsageView): string {
  // Monthly rows name their month (2026-11); the column says which it is.
  const monthly = body.granularity === 'month';
  const lines = [CSV_COLUMNS.map((c) => (c === 'day' && monthly ? 'month' : c)).join(',')];
  for (const b of body.buckets) {
    lines.push(
      [
        body.account_id,
        monthly ? b.start.slice(0, 7) : b.start,
        b.group,
        b.requests,
        b.input_tokens,
        b.output_tokens,
        b.cache_creation_input_tokens,
        b.cache_read_input_tokens,
        b.allowance_tokens,
        b.cost_micros,
        b.extra_usage_micros,
        microsToDecimal(b.cost_micros),
        microsToDecimal(b.extra_usage_micros),
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return lines.join('\n');
}
