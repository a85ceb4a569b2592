// Usage history: daily or monthly, cost or tokens, grouped by app, model or funding source.
// A stacked bar chart (uPlot) or a table of the same figures, and a CSV of them.
import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { UsageBody, UsageGroupBy } from '../../src/contract/views';
import { api } from './api';
import { decimalUsd, tokens, usd } from './money';
import { calendarDay, ymd } from './time';
import { Body, Section, useLoad } from './ui';
import { SOURCE_WORDS } from './words';
import type { Caller } from './account';

const COLORS = ['#3b5bdb', '#f08c00', '#2f9e44', '#c2255c', '#7048e8', '#1098ad', '#e8590c', '#5c940d', '#868e96'];

type Measure = 'cost' | 'tokens';

interface Table {
  starts: string[];
  groups: string[];
  /** values[g][i]: micros or tokens of group g in bucket i */
  values: number[][];
}

/** Every day (or month) from `from` to `to`, so a quiet day shows as a gap, not as no day at all. */
function periods(u: UsageBody): string[] {
  const out: string[] = [];
  if (u.granularity === 'day') {
    for (let t = Date.parse(`${u.from}T00:00:00Z`); t <= Date.parse(`${u.to}T00:00:00Z`) && out.length < 400; t += 86_400_000) out.push(ymd(new Date(t)));
  } else {
    const [fy, fm] = u.from.split('-').map(Number) as [number, number];
    for (let d = new Date(Date.UTC(fy, fm - 1, 1)); ymd(d) <= u.to && out.length < 40; d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)))
      out.push(ymd(d));
  }
  return out;
}

function tableOf(u: UsageBody, measure: Measure): Table {
  const starts = [...new Set([...periods(u), ...u.buckets.map((b) => b.start)])].sort();
  const groups = [...new Set(u.buckets.map((b) => b.group ?? 'all'))].sort();
  const values = groups.map(() => starts.map(() => 0));
  for (const b of u.buckets) {
    const g = groups.indexOf(b.group ?? 'all');
    const i = starts.indexOf(b.start);
    values[g]![i] = measure === 'cost' ? b.cost_micros : b.input_tokens + b.output_tokens + b.cache_creation_input_tokens + b.cache_read_input_tokens;
  }
  return { starts, groups, values };
}

const groupLabel = (by: UsageGroupBy, g: string) => (by === 'source' ? (SOURCE_WORDS[g] ?? g) : g);

function range(granularity: 'day' | 'month'): { from: string; to: string } {
  const now = new Date();
  const to = ymd(now);
  if (granularity === 'day') return { from: ymd(new Date(now.getTime() - 29 * 86_400_000)), to };
  return { from: `${ymd(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 11, 1)))}`, to };
}

/** `version` changes after a change on the page: the figures reload, the chosen view stays. */
export function HistorySection({ account_id, caller, version = 0 }: { account_id: string; caller: Caller; version?: number }) {
  const [granularity, setGranularity] = useState<'day' | 'month'>('day');
  const [group_by, setGroupBy] = useState<UsageGroupBy>('app');
  const [measure, setMeasure] = useState<Measure>('cost');
  const [view, setView] = useState<'chart' | 'table'>('chart');
  const { from, to } = range(granularity);
  const usage = useLoad(
    () =>
      api<UsageBody>('GET', `/v1/accounts/${account_id}/usage?from=${from}&to=${to}&granularity=${granularity}&group_by=${group_by}`, undefined, {
        as_operator: caller.as_operator,
      }),
    `${account_id}|${granularity}|${group_by}|${from}|${version}`,
  );
  const table = useMemo(() => (usage.data ? tableOf(usage.data, measure) : undefined), [usage.data, measure]);
  const fmt = measure === 'cost' ? usd : tokens;
  const csv = () => {
    if (table) downloadCsv(table, measure, `usage-${account_id}-${granularity}-${group_by}-${from}-${to}.csv`, group_by);
  };
  return (
    <Section title="Usage history" id="history">
      <div className="controls">
        <label className="field">
          Period
          <select value={granularity} onChange={(e) => setGranularity(e.target.value as 'day' | 'month')}>
            <option value="day">Daily (30 days)</option>
            <option value="month">Monthly (12 months)</option>
          </select>
        </label>
        <label className="field">
          Group by
          <select value={group_by} onChange={(e) => setGroupBy(e.target.value as UsageGroupBy)}>
            <option value="app">App</option>
            <option value="model">Model</option>
            <option value="source">Funding source</option>
          </select>
        </label>
        <label className="field">
          Show
          <select value={measure} onChange={(e) => setMeasure(e.target.value as Measure)}>
            <option value="cost">Cost</option>
            <option value="tokens">Tokens</option>
          </select>
        </label>
        <div className="field">
          View
          <div className="seg" role="group" aria-label="View">
            <button type="button" aria-pressed={view === 'chart'} onClick={() => setView('chart')}>
              Chart
            </button>
            <button type="button" aria-pressed={view === 'table'} onClick={() => setView('table')}>
              Table
            </button>
          </div>
        </div>
        <button type="button" onClick={csv} disabled={!table}>
          Download CSV
        </button>
      </div>
      <div className="history-body">
        <Body loaded={usage} what="usage history" lines={10}>
          {(u) =>
            !table || u.buckets.length === 0 ? (
              <p className="muted">
                No usage between {from} and {to}.
              </p>
            ) : (
              <>
                <p className="muted small">
                  {from} – {to} (UTC days): {u.totals.requests} requests, {usd(u.totals.cost_micros)} in total, {usd(u.totals.extra_usage_micros)} of it paid by
                  extra usage.
                </p>
                {view === 'chart' ? (
                  <Chart table={table} by={group_by} monthly={granularity === 'month'} fmt={fmt} />
                ) : (
                  <UsageTable table={table} by={group_by} monthly={granularity === 'month'} fmt={fmt} />
                )}
              </>
            )
          }
        </Body>
      </div>
    </Section>
  );
}

/** The table as a CSV file the browser saves: one row per period and group, cost in dollars (exact). */
function downloadCsv(table: Table, measure: Measure, file_name: string, group_by: UsageGroupBy) {
  const head = ['period_start', group_by, measure === 'cost' ? 'cost_usd' : 'tokens'];
  const rows = table.starts.flatMap((s, i) =>
    table.groups.map((g, gi) => [s, g, measure === 'cost' ? decimalUsd(table.values[gi]![i]!) : String(table.values[gi]![i])]),
  );
  const text = [head, ...rows].map((r) => r.join(',')).join('\n') + '\n';
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type: 'text/csv' }));
  a.download = file_name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function Chart({ table, by, monthly, fmt }: { table: Table; by: UsageGroupBy; monthly: boolean; fmt: (n: number) => string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    // Stacked: series k holds the sum of groups 0..k; drawn from the tallest down so each shows its own band.
    const n = table.groups.length;
    const cumulative = table.groups.map((_, g) => table.starts.map((_, i) => table.values.slice(0, g + 1).reduce((s, row) => s + row[i]!, 0)));
    const xs = table.starts.map((_, i) => i);
    const order = [...Array(n).keys()].reverse();
    const bars = uPlot.paths.bars!({ size: [0.7, 48] });
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height: 260,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false, range: [-0.6, table.starts.length - 0.4] }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] } },
      axes: [
        {
          values: (_u, splits) => splits.map((s) => (Number.isInteger(s) && table.starts[s] ? calendarDay(table.starts[s]!, monthly) : '')),
          incrs: [1, 2, 3, 5, 7, 10, 15],
          space: 56,
          grid: { show: false },
        },
        { values: (_u, splits) => splits.map((s) => fmt(s)), size: 70 },
      ],
      series: [
        {},
        ...order.map((g) => ({
          label: table.groups[g],
          fill: COLORS[g % COLORS.length],
          stroke: COLORS[g % COLORS.length],
          width: 0,
          paths: bars,
          points: { show: false },
        })),
      ],
    };
    const plot = new uPlot(opts, [xs, ...order.map((g) => cumulative[g]!)] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height: 260 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [table, monthly, fmt, by]);
  const totals = table.groups.map((_, g) => table.values[g]!.reduce((s, v) => s + v, 0));
  return (
    <figure className="chart" aria-label={`Usage chart by ${by}`}>
      <div ref={box} className="chart-box" data-testid="usage-chart" />
      <figcaption>
        <ul className="legend">
          {table.groups.map((g, i) => (
            <li key={g}>
              <span className="swatch" style={{ background: COLORS[i % COLORS.length] }} aria-hidden="true" />
              {groupLabel(by, g)}: {fmt(totals[i]!)}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}

function UsageTable({ table, by, monthly, fmt }: { table: Table; by: UsageGroupBy; monthly: boolean; fmt: (n: number) => string }) {
  return (
    <div className="scroll-x">
      <table className="data">
        <caption className="sr-only">Usage by {by}</caption>
        <thead>
          <tr>
            <th scope="col">{monthly ? 'Month' : 'Day'}</th>
            {table.groups.map((g) => (
              <th scope="col" key={g} className="num">
                {groupLabel(by, g)}
              </th>
            ))}
            <th scope="col" className="num">
              Total
            </th>
          </tr>
        </thead>
        <tbody>
          {table.starts
            .map((s, i) => ({ s, i }))
            .filter(({ i }) => table.values.some((row) => row[i]! > 0))
            .map(({ s, i }) => (
              <tr key={s}>
                <th scope="row">{calendarDay(s, monthly)}</th>
                {table.groups.map((g, gi) => (
                  <td key={g} className="num">
                    {fmt(table.values[gi]![i]!)}
                  </td>
                ))}
                <td className="num">{fmt(table.values.reduce((sum, row) => sum + row[i]!, 0))}</td>
              </tr>
            ))}
        </tbody>
      </table>
    </div>
  );
}
