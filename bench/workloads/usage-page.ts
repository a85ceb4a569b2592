// Workload 4: the usage page's query (tb.getUsage by day and by app, i.e. store.usageBuckets on
// the usage_daily rollup) on a database holding `rows` usage records. The records are generated
// in SQL (INSERT … SELECT … FROM generate_series, two connections in parallel) and the rollup is
// built from them with INSERT … SELECT … GROUP BY, the same sums the metering path keeps.
//
// Shape (1,000 accounts, one year): 10 heavy accounts (a team using every app and model) share
// 10% of the records, ~274 a day each; 990 others use two apps and two models, ~27 records a
// day. The page is read for the heavy accounts, the worst case.
import type { BenchBank } from '../lib/setup';
import { percentile, round } from '../lib/stats';

export const USAGE_ACCOUNTS = 1000;
export const USAGE_HEAVY_ACCOUNTS = 10;
const APPS = `ARRAY['web','mobile','desktop','claude-code','cursor','windsurf','cline']`;
const MODELS = `ARRAY['claude-haiku-4-5','claude-sonnet-4-5','claude-opus-4-5']`;
const PRICES = `ARRAY['price_haiku_4_5_v1','price_sonnet_4_5_v1','price_opus_4_5_v1']`;

const accountId = (k: number) => `bacct_${String(k).padStart(5, '0')}`;

export interface UsagePageResult {
  rows: number;
  daily_rows: number;
  generate_s: number;
  rollup_s: number;
  database_size: string;
  queries: number;
  page_30d_ms_p50: number;
  page_30d_ms_p99: number;
  page_365d_ms_p50: number;
  page_365d_ms_p99: number;
  buckets_365d: number;
  point_query_ms_p50: number;
  point_query_ms_p99: number;
}

export async function generateUsage(bank: BenchBank, rows: number, log: (line: string) => void): Promise<{ generate_s: number; rollup_s: number; daily_rows: number }> {
  const { db } = bank;
  await db.query(
    `INSERT INTO accounts (id, kind, name, plan_id, anchor_at, created_at)
     SELECT 'bacct_' || lpad(k::text, 5, '0'), 'plan', 'Usage ' || k, 'bench', now() - interval '400 days', now() - interval '400 days'
       FROM generate_series(1, ${USAGE_ACCOUNTS}) k`,
  );
  await db.query(`INSERT INTO wallets (account_id, spent_cycle_start, updated_at) SELECT id, anchor_at, now() FROM accounts WHERE id LIKE 'bacct_%'`);
  const started = performance.now();
  const parts = 2;
  const chunk = Math.ceil(rows / parts);
  let done = 0;
  await Promise.all(
    Array.from({ length: parts }, async (_, p) => {
      // Sub-chunks keep each statement's memory small and let the log show progress.
      const step = 1_000_000;
      for (let from = p * chunk + 1; from <= Math.min(rows, (p + 1) * chunk); from += step) {
        const to = Math.min(rows, (p + 1) * chunk, from + step - 1);
        await db.query(
          `INSERT INTO usage_records (id, account_id, authorization_id, event_id, event_hash, user_id, app_id, model_id, price_id, source, reason,
              input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens, allowance_tokens, cost_micros, extra_usage_micros, occurred_at, recorded_at)
           SELECT 'use_' || i, 'bacct_' || lpad(acct::text, 5, '0'), NULL, 'evt_' || i, NULL, NULL, app, model, price,
                  CASE WHEN app_n <= 3 THEN 'allowance' ELSE 'extra_usage' END,
                  CASE WHEN app_n <= 3 THEN 'first_party_allowance' ELSE 'third_party_extra_usage_only' END,
                  input, output, 0, 0,
                  CASE WHEN app_n <= 3 THEN input + output ELSE 0 END,
                  cost, CASE WHEN app_n <= 3 THEN 0 ELSE cost END,
                  at, at
             FROM (SELECT i, acct, app_n, (${APPS})[app_n] AS app, (${MODELS})[model_n] AS model, (${PRICES})[model_n] AS price,
                          input, output, (input * model_n + output * 5 * model_n) AS cost,
                          now() - ((i * 7919) % 31536000) * interval '1 second' AS at
                     FROM (SELECT i,
                                  CASE WHEN i % 10 = 0 THEN 1 + (i / 10) % ${USAGE_HEAVY_ACCOUNTS} ELSE ${USAGE_HEAVY_ACCOUNTS + 1} + i % ${USAGE_ACCOUNTS - USAGE_HEAVY_ACCOUNTS} END AS acct,
                                  CASE WHEN i % 10 = 0 THEN 1 + (i / 3) % 7 ELSE 1 + (i % ${USAGE_ACCOUNTS - USAGE_HEAVY_ACCOUNTS} + (i / 7) % 2) % 7 END AS app_n,
                                  CASE WHEN i % 10 = 0 THEN 1 + (i / 5) % 3 ELSE 1 + (i % ${USAGE_ACCOUNTS - USAGE_HEAVY_ACCOUNTS} + (i / 11) % 2) % 3 END AS model_n,
                                  100 + i % 900 AS input, 50 + i % 450 AS output
                             FROM generate_series(${from}::bigint, ${to}::bigint) i) g) s`,
        );
        done += to - from + 1;
        log(`  usage records: ${done.toLocaleString('en-US')} / ${rows.toLocaleString('en-US')}`);
      }
    }),
  );
  const generate_s = (performance.now() - started) / 1000;
  const rollup_started = performance.now();
  // The rollup, split by account range over two connections.
  const split = accountId(Math.floor(USAGE_ACCOUNTS / 2) + 1);
  await Promise.all(
    [`account_id < '${split}'`, `account_id >= '${split}'`].map((range) =>
      db.query(
        `INSERT INTO usage_daily (account_id, day, app_id, model_id, source, requests, input_tokens, output_tokens,
            cache_creation_input_tokens, cache_read_input_tokens, allowance_tokens, cost_micros, extra_usage_micros)
         SELECT account_id, (occurred_at AT TIME ZONE 'UTC')::date, app_id, model_id, source, COUNT(*), SUM(input_tokens), SUM(output_tokens),
                SUM(cache_creation_input_tokens), SUM(cache_read_input_tokens), SUM(allowance_tokens), SUM(cost_micros), SUM(extra_usage_micros)
           FROM usage_records WHERE account_id LIKE 'bacct_%' AND ${range}
          GROUP BY 1, 2, 3, 4, 5`,
      ),
    ),
  );
  await db.query('ANALYZE usage_daily');
  await db.query('ANALYZE accounts');
  const rollup_s = (performance.now() - rollup_started) / 1000;
  const daily_rows = (await db.query<{ n: number }>(`SELECT COUNT(*)::bigint AS n FROM usage_daily`))[0]!.n;
  return { generate_s: round(generate_s, 1), rollup_s: round(rollup_s, 1), daily_rows };
}

/** p50/p99 of the page for the heavy accounts, one query at a time, and of a primary-key probe. */
export async function measureUsagePage(bank: BenchBank, rows: number, generated: { generate_s: number; rollup_s: number; daily_rows: number }, queries: number): Promise<UsagePageResult> {
  const { tb, db } = bank;
  const today = new Date().toISOString().slice(0, 10);
  const year_ago = new Date(Date.now() - 364 * 86_400_000).toISOString().slice(0, 10);
  const heavy = Array.from({ length: USAGE_HEAVY_ACCOUNTS }, (_, k) => accountId(k + 1));
  const time = async (fn: () => Promise<unknown>) => {
    const started = performance.now();
    await fn();
    return performance.now() - started;
  };
  let buckets_365d = 0;
  const page30 = () => tb.getUsage(heavy[Math.floor(Math.random() * heavy.length)]!, { granularity: 'day', group_by: 'app' });
  const page365 = async () => {
    const view = await tb.getUsage(heavy[Math.floor(Math.random() * heavy.length)]!, { from: year_ago, to: today, granularity: 'day', group_by: 'app' });
    buckets_365d = view.buckets.length;
  };
  const point = () => db.query(`SELECT * FROM accounts WHERE id = $1`, [accountId(1 + Math.floor(Math.random() * USAGE_ACCOUNTS))]);
  for (let i = 0; i < 20; i++) {
    await page30();
    await page365();
    await point();
  }
  const t30: number[] = [];
  const t365: number[] = [];
  const tpoint: number[] = [];
  for (let i = 0; i < queries; i++) {
    t30.push(await time(page30));
    t365.push(await time(page365));
    tpoint.push(await time(point));
  }
  const size = (await db.query<{ s: string }>(`SELECT pg_size_pretty(pg_database_size(current_database())) AS s`))[0]!.s;
  return {
    rows,
    ...generated,
    database_size: size,
    queries,
    page_30d_ms_p50: round(percentile(t30, 50), 2),
    page_30d_ms_p99: round(percentile(t30, 99), 2),
    page_365d_ms_p50: round(percentile(t365, 50), 2),
    page_365d_ms_p99: round(percentile(t365, 99), 2),
    buckets_365d,
    point_query_ms_p50: round(percentile(tpoint, 50), 2),
    point_query_ms_p99: round(percentile(tpoint, 99), 2),
  };
}
