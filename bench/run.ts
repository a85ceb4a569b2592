// `npm run bench`: the metering path's benchmark suite (issue 4). Every figure is measured next
// to a baseline run in the same invocation, because this machine is shared and absolute numbers
// drift; the table shows target, measured, baseline, ratio and whether the target is met.
// Results: bench/results/latest.json (and latest.md, the same table). See bench/README.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createServiceToken } from '../src/app/auth';
import { cpuShare, cpuSnapshot } from './lib/cpu';
import { profiled } from './lib/profile';
import { admin_url, createDatabase, dropAllDatabases, dropDatabase, pgbenchTpcb, serverInfo, type PgbenchResult } from './lib/postgres';
import { assertAuditClean, fundedAccounts, openBank, type BenchBank } from './lib/setup';
import { round, seededRandom, zipfSampler } from './lib/stats';
import { loadBare, loadPairs, measureServer, startServer, type HttpRun } from './workloads/http';
import { runIngest, type IngestResult } from './workloads/ingest';
import { runPairs, type PairsResult } from './workloads/pairs';
import { generateUsage, measureUsagePage, type UsagePageResult } from './workloads/usage-page';

const env = process.env;
const config = {
  warmup_s: Number(env.BENCH_WARMUP_SECONDS ?? 2),
  measure_s: Number(env.BENCH_SECONDS ?? 10),
  accounts: Number(env.BENCH_ACCOUNTS ?? 1000),
  zipf_exponent: 1,
  concurrency: Number(env.BENCH_CONCURRENCY ?? 4000),
  ingest_concurrency: Number(env.BENCH_INGEST_CONCURRENCY ?? 40),
  http_connections: Number(env.BENCH_HTTP_CONNECTIONS ?? 256),
  usage_rows: Number(env.BENCH_USAGE_ROWS ?? 10_000_000),
  usage_queries: Number(env.BENCH_USAGE_QUERIES ?? 300),
  pgbench: { clients: 8, threads: 2, seconds: Number(env.BENCH_PGBENCH_SECONDS ?? 10) },
  only: env.BENCH_ONLY ? new Set(env.BENCH_ONLY.split(',')) : null,
};
const WORKLOADS = ['pairs-pg', 'pairs-pglite', 'http', 'ingest', 'usage'] as const;
const runs = (w: (typeof WORKLOADS)[number]) => !config.only || config.only.has(w);

const results_dir = fileURLToPath(new URL('./results/', import.meta.url));
const run_id = `b${Date.now().toString(36)}`;
const admin_token = 'tbo_bench_admin_token_0123456789';
const started_at = new Date();
const log = (line: string) => console.error(`[${((Date.now() - started_at.getTime()) / 1000).toFixed(0).padStart(4)} s] ${line}`);

interface Row {
  id: string;
  workload: string;
  target: string;
  measured: string;
  baseline: string;
  ratio: string;
  met: boolean | null;
}

const rows: Row[] = [];
const details: Record<string, unknown> = {};
const checks: string[] = [];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const x = (n: number) => `${n.toFixed(n >= 10 ? 0 : 1)}×`;
const pct = (n: number) => `${Math.round(n * 100)}%`;

function checkPairs(result: PairsResult, what: string) {
  const refused = Object.values(result.refusals).reduce((a, b) => a + b, 0);
  if (refused > 0) throw new Error(`${what}: ${refused} pairs refused or failed: ${JSON.stringify(result.refusals)}`);
  checks.push(`${what}: 0 refusals`);
}

async function auditClean(bank: BenchBank, what: string) {
  const audit = await assertAuditClean(bank, what);
  checks.push(`${what}: audit clean (${fmt(audit.accounts_checked)} wallets, ${fmt(audit.transfers_checked)} transfers)`);
}

async function libraryPairs(engine: 'postgres' | 'pglite', pgbench: PgbenchResult | null, bank: BenchBank) {
  const label = engine === 'postgres' ? 'PostgreSQL' : 'PGlite';
  log(`${label}: creating ${config.accounts} funded accounts and one hot account`);
  const accounts = await fundedAccounts(bank, config.accounts, 500_000_000, `zipf-${engine}`);
  const [hot] = await fundedAccounts(bank, 1, 2_000_000_000, `hot-${engine}`);
  const zipf = zipfSampler(accounts.length, config.zipf_exponent, seededRandom(42));
  const out: Record<string, PairsResult & { cpu: ReturnType<typeof cpuShare> }> = {};
  for (const [mix, pick] of [
    ['zipf', () => accounts[zipf()]!],
    ['hot', () => hot!],
  ] as const) {
    log(`${label}: authorize+settle pairs, ${mix === 'zipf' ? `${config.accounts} accounts (Zipf s=1)` : 'one hot account'}, ${config.concurrency} in flight`);
    const before = cpuSnapshot();
    const result = await profiled(`pairs-${engine}-${mix}`, () => runPairs({ bank, pick, concurrency: config.concurrency, warmup_s: config.warmup_s, measure_s: config.measure_s, run_id: `${run_id}-${engine}-${mix}` }));
    out[mix] = { ...result, cpu: cpuShare(before, cpuSnapshot()) };
    log(`  ${fmt(result.pairs_per_s)} pairs/s, p50 ${result.pair_latency_ms_p50} ms, p99 ${result.pair_latency_ms_p99} ms, ${result.ops_per_batch_avg} ops/batch`);
    checkPairs(result, `${label} pairs (${mix})`);
  }
  await auditClean(bank, `${label} after pairs`);
  const ratio = (v: number) => (pgbench ? x(v / pgbench.tps) : 'n/a');
  const base = pgbench ? `pgbench ${fmt(pgbench.tps)} tps` : 'n/a';
  if (engine === 'postgres') {
    const z = out.zipf!.pairs_per_s;
    rows.push({ id: 'pairs_pg_zipf', workload: `library pairs, PostgreSQL, ${fmt(config.accounts)} accounts (Zipf)`, target: '≥ 30,000/s and ≥ 5× pgbench', measured: `${fmt(z)}/s`, baseline: base, ratio: ratio(z), met: z >= 30_000 && (pgbench ? z / pgbench.tps >= 5 : false) });
    const h = out.hot!.pairs_per_s;
    rows.push({ id: 'pairs_pg_hot', workload: 'library pairs, PostgreSQL, one hot account', target: '≥ 20,000/s', measured: `${fmt(h)}/s`, baseline: base, ratio: ratio(h), met: h >= 20_000 });
  } else {
    for (const mix of ['zipf', 'hot'] as const) {
      const v = out[mix]!.pairs_per_s;
      rows.push({ id: `pairs_pglite_${mix}`, workload: `library pairs, PGlite, ${mix === 'zipf' ? `${fmt(config.accounts)} accounts (Zipf)` : 'one hot account'}`, target: '≥ 10,000/s', measured: `${fmt(v)}/s`, baseline: base, ratio: ratio(v), met: v >= 10_000 });
    }
  }
  details[`pairs_${engine}`] = out;
  return accounts;
}

async function http(bank: BenchBank, url: string, accounts: string[]) {
  const seconds = { warmup: config.warmup_s, measure: config.measure_s };
  log(`HTTP: bare Fastify route, ${config.http_connections} connections`);
  const bare_server = await startServer('bench/bare-server.ts', 18090, {});
  let bare: HttpRun;
  try {
    bare = await measureServer(bare_server, (o) => loadBare(bare_server.url, { connections: config.http_connections, ...o }), seconds);
  } finally {
    await bare_server.stop();
  }
  log(`  ${fmt(bare.max.requests_per_s)} req/s, p50 ${bare.max.latency_ms_p50} ms, p99 ${bare.max.latency_ms_p99} ms; at 50%: p99 ${bare.half.latency_ms_p99} ms`);

  const { token } = await createServiceToken(bank.tb.deps, { kind: 'operator', token_id: 'bench' }, { name: `bench gateway ${run_id}` });
  log(`HTTP: Tokenbank server (node --import tsx src/main.ts on PostgreSQL), authorize+settle, ${config.http_connections} connections`);
  const server = await startServer('src/main.ts', 18091, { DATABASE_URL: url, TOKENBANK_DEMO: '0', TOKENBANK_JOBS: '0', LOG_LEVEL: 'warn', TOKENBANK_ADMIN_TOKEN: admin_token });
  const zipf = zipfSampler(accounts.length, config.zipf_exponent, seededRandom(43));
  let tb_run: HttpRun;
  try {
    let part = 0;
    tb_run = await measureServer(server, (o) => loadPairs(server.url, { connections: config.http_connections, token, pick: () => accounts[zipf()]!, run_id: `${run_id}-http-${++part}`, ...o }), seconds);
  } finally {
    await server.stop();
  }
  const m = tb_run.max;
  log(`  ${fmt(m.requests_per_s)} req/s (${fmt(m.requests_per_s / 2)} authorizations/s), p50 ${m.latency_ms_p50} ms, p99 ${m.latency_ms_p99} ms; at 50%: p99 ${tb_run.half.latency_ms_p99} ms; RSS max ${tb_run.rss.rss_mb_max} MB`);
  for (const run of [m, tb_run.half]) {
    const bad = Object.entries(run.statuses).filter(([s]) => s !== '200' && s !== '201');
    if (bad.length > 0 || run.errors > 0) throw new Error(`HTTP: unexpected answers ${JSON.stringify(run.statuses)}, ${run.errors} connection errors`);
  }
  checks.push(`HTTP: every answer 201/200 (${fmt(m.requests_per_s * m.seconds + tb_run.half.requests_per_s * tb_run.half.seconds)} requests)`);
  const authorize_per_s = m.requests_per_s / 2;
  const share = m.requests_per_s / bare.max.requests_per_s;
  rows.push({ id: 'http_authorize', workload: `HTTP authorize+settle, ${config.http_connections} connections: authorizations/s`, target: '≥ 10,000/s and ≥ 50% of bare req/s', measured: `${fmt(authorize_per_s)}/s (${fmt(m.requests_per_s)} req/s; p50 ${m.latency_ms_p50} ms, p99 ${m.latency_ms_p99} ms)`, baseline: `bare ${fmt(bare.max.requests_per_s)} req/s (p50 ${bare.max.latency_ms_p50} ms, p99 ${bare.max.latency_ms_p99} ms)`, ratio: pct(share), met: authorize_per_s >= 10_000 && share >= 0.5 });
  rows.push({ id: 'http_p99_half', workload: `HTTP p99 at 50% of max rate (${fmt(tb_run.half.target_rate ?? 0)} req/s)`, target: '≤ 5 ms', measured: `${tb_run.half.latency_ms_p99} ms (p50 ${tb_run.half.latency_ms_p50} ms)`, baseline: `bare at 50%: ${bare.half.latency_ms_p99} ms`, ratio: x(tb_run.half.latency_ms_p99 / Math.max(0.01, bare.half.latency_ms_p99)), met: tb_run.half.latency_ms_p99 <= 5 });
  rows.push({ id: 'server_rss', workload: 'server RSS during the HTTP runs (max)', target: '≤ 250 MB', measured: `${tb_run.rss.rss_mb_max} MB (mean ${tb_run.rss.rss_mb_mean})`, baseline: `bare ${bare.rss.rss_mb_max} MB`, ratio: x(tb_run.rss.rss_mb_max / bare.rss.rss_mb_max), met: tb_run.rss.rss_mb_max <= 250 });
  details.http = { bare, tokenbank: tb_run };
  await auditClean(bank, 'PostgreSQL after HTTP');
}

async function ingest(bank: BenchBank, accounts: string[], pgbench: PgbenchResult | null) {
  log(`ingestion: batches of 100 usage events (10 resent), ${config.ingest_concurrency} batches in flight`);
  const zipf = zipfSampler(accounts.length, config.zipf_exponent, seededRandom(44));
  const before = cpuSnapshot();
  const result: IngestResult = await profiled('ingest-postgres', () => runIngest({ bank, pick: () => accounts[zipf()]!, concurrency: config.ingest_concurrency, warmup_s: config.warmup_s, measure_s: config.measure_s, run_id: `${run_id}-ingest` }));
  const cpu = cpuShare(before, cpuSnapshot());
  log(`  ${fmt(result.events_per_s)} events/s (${fmt(result.new_events_per_s)} new), ${fmt(result.unique_events)} distinct events, ${fmt(result.records_in_db)} usage records`);
  checks.push(`ingestion: ${fmt(result.unique_events)} distinct event ids sent (+${fmt(result.duplicates_answered)} resends answered as duplicates) → exactly ${fmt(result.records_in_db)} usage records, one per id`);
  await auditClean(bank, 'PostgreSQL after ingestion');
  rows.push({ id: 'ingest_pg', workload: 'usage-event ingestion, PostgreSQL, batches of 100 (10% resent)', target: '≥ 50,000 events/s', measured: `${fmt(result.events_per_s)}/s`, baseline: pgbench ? `pgbench ${fmt(pgbench.tps)} tps` : 'n/a', ratio: pgbench ? x(result.events_per_s / pgbench.tps) : 'n/a', met: result.events_per_s >= 50_000 });
  details.ingest = { ...result, cpu };
}

async function usagePage() {
  const name = `tb_bench_${process.pid}_usage`;
  const url = await createDatabase(name);
  const bank = await openBank({ engine: 'postgres', url });
  try {
    log(`usage page: generating ${fmt(config.usage_rows)} usage records and their daily rollup`);
    const generated = await generateUsage(bank, config.usage_rows, log);
    log(`  generated in ${generated.generate_s} s, rollup (${fmt(generated.daily_rows)} rows) in ${generated.rollup_s} s; querying`);
    const result: UsagePageResult = await measureUsagePage(bank, config.usage_rows, generated, config.usage_queries);
    log(`  30 days: p50 ${result.page_30d_ms_p50} ms, p99 ${result.page_30d_ms_p99} ms; 365 days: p50 ${result.page_365d_ms_p50} ms, p99 ${result.page_365d_ms_p99} ms`);
    const size = `${fmt(config.usage_rows)} records`;
    const base = `PK probe p99 ${result.point_query_ms_p99} ms`;
    rows.push({ id: 'usage_page_30d', workload: `usage page, 30 days by day × app (${size})`, target: '≤ 50 ms p99', measured: `p99 ${result.page_30d_ms_p99} ms (p50 ${result.page_30d_ms_p50})`, baseline: base, ratio: x(result.page_30d_ms_p99 / result.point_query_ms_p99), met: result.page_30d_ms_p99 <= 50 && config.usage_rows >= 10_000_000 });
    rows.push({ id: 'usage_page_365d', workload: `usage page, 365 days by day × app (${size})`, target: '≤ 50 ms p99', measured: `p99 ${result.page_365d_ms_p99} ms (p50 ${result.page_365d_ms_p50})`, baseline: base, ratio: x(result.page_365d_ms_p99 / result.point_query_ms_p99), met: result.page_365d_ms_p99 <= 50 && config.usage_rows >= 10_000_000 });
    details.usage_page = result;
  } finally {
    await bank.close();
    await dropDatabase(name);
  }
}

function table(): string {
  const header = '| workload | target | measured | baseline (same run) | ratio | met |\n|---|---|---|---|---|---|';
  const lines = rows.map((r) => `| ${r.workload} | ${r.target} | ${r.measured} | ${r.baseline} | ${r.ratio} | ${r.met === null ? '–' : r.met ? 'yes' : '**no**'} |`);
  return [header, ...lines].join('\n');
}

async function main() {
  const pg_info = await serverInfo();
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memory_gb: round(totalmem() / 2 ** 30, 1), node: process.version, postgres: pg_info };
  log(`machine: ${machine.cores} × ${machine.cpu}, ${machine.memory_gb} GB, Node ${machine.node}, ${pg_info.version} (fsync ${pg_info.fsync}, synchronous_commit ${pg_info.synchronous_commit})`);
  log(`server: ${admin_url.replace(/\/\/[^@]*@/, '//')}; workloads: ${config.only ? [...config.only].join(', ') : 'all'}`);

  let pgbench: PgbenchResult | null = null;
  if (runs('pairs-pg') || runs('pairs-pglite') || runs('ingest')) {
    log(`baseline: pgbench -b tpcb-like -c ${config.pgbench.clients} -j ${config.pgbench.threads} -T ${config.pgbench.seconds} (scale 1)`);
    pgbench = await pgbenchTpcb(config.pgbench);
    log(`  ${fmt(pgbench.tps)} tps, latency ${pgbench.latency_ms_avg} ms`);
    details.pgbench = pgbench;
  }

  if (runs('pairs-pg') || runs('http') || runs('ingest')) {
    const name = `tb_bench_${process.pid}`;
    const url = await createDatabase(name);
    const bank = await openBank({ engine: 'postgres', url });
    try {
      let accounts: string[];
      if (runs('pairs-pg')) accounts = await libraryPairs('postgres', pgbench, bank);
      else accounts = await fundedAccounts(bank, config.accounts, 500_000_000, 'zipf-postgres');
      if (runs('http')) await http(bank, url, accounts);
      if (runs('ingest')) await ingest(bank, accounts, pgbench);
    } finally {
      await bank.close();
      await dropDatabase(name);
    }
  }

  if (runs('pairs-pglite')) {
    const bank = await openBank({ engine: 'pglite' });
    try {
      await libraryPairs('pglite', pgbench, bank);
    } finally {
      await bank.close();
    }
  }

  if (runs('usage')) await usagePage();

  const out = table();
  console.log(`\nTokenbank benchmark — ${started_at.toISOString()} — ${machine.cores} × ${machine.cpu}, Node ${machine.node}, ${pg_info.version}\n`);
  console.log(out);
  console.log(`\nchecks: ${checks.join('; ')}`);
  const duration_s = round((Date.now() - started_at.getTime()) / 1000);
  console.log(`\n${duration_s} s in all; details in bench/results/latest.json`);
  mkdirSync(results_dir, { recursive: true });
  const report = { generated_at: started_at.toISOString(), duration_s, machine, config: { ...config, only: config.only ? [...config.only] : null }, rows, checks, details };
  writeFileSync(`${results_dir}latest.json`, `${JSON.stringify(report, null, 1)}\n`);
  writeFileSync(`${results_dir}latest.md`, `Tokenbank benchmark, ${started_at.toISOString()}, ${machine.cores} × ${machine.cpu}, ${machine.memory_gb} GB, Node ${machine.node}, ${pg_info.version} (fsync ${pg_info.fsync}, synchronous_commit ${pg_info.synchronous_commit}); ${duration_s} s.\n\n${out}\n\nChecks: ${checks.join('; ')}.\n`);
}

let exiting = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (exiting) return;
    exiting = true;
    void dropAllDatabases().finally(() => process.exit(130));
  });
}

try {
  await main();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await dropAllDatabases();
}
