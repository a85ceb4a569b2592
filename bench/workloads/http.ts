// Workloads 2 and 5: the HTTP API over loopback, and the server's memory while it serves.
// The server runs in a child process exactly as `npm start` would (`node --import tsx
// src/main.ts`), on the bench's PostgreSQL database; autocannon drives it from this process at a
// fixed number of connections. Baseline: bench/bare-server.ts, a bare Fastify JSON POST route in
// the same kind of process, driven the same way.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import autocannon, { type Result } from 'autocannon';
import { PAIR_APPS, PAIR_REQUEST, PAIR_USAGE } from './pairs';
import { round, sleep } from '../lib/stats';
import { cpuShare, cpuSnapshot } from '../lib/cpu';

const repo_root = fileURLToPath(new URL('../..', import.meta.url));

export interface Server {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

/** Starts `script` under `node --import tsx` and waits until GET /healthz answers. */
export async function startServer(script: string, port: number, env: Record<string, string>): Promise<Server> {
  const extra = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', script], {
    cwd: repo_root,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A benchmark that dies must not leave a server behind.
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  child.once('exit', () => process.off('exit', kill));
  let output = '';
  child.stdout!.on('data', (d) => (output = (output + d).slice(-4000)));
  child.stderr!.on('data', (d) => (output = (output + d).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${script} did not answer /healthz within 60 s:\n${output}`);
    }
    await sleep(200);
  }
  return {
    child,
    url,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** VmRSS of `pid` in MB, sampled every `interval_ms` until `stop()`; reports max and mean. */
export function sampleRss(pid: number, interval_ms = 100) {
  const samples: number[] = [];
  const read = () => {
    try {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      if (kb) samples.push(Number(kb) / 1024);
    } catch {
      // the process ended
    }
  };
  read();
  const timer = setInterval(read, interval_ms);
  return {
    stop() {
      clearInterval(timer);
      read();
      return { rss_mb_max: round(Math.max(0, ...samples), 1), rss_mb_mean: round(samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length), 1), samples: samples.length };
    },
  };
}

export interface LoadResult {
  requests_per_s: number;
  latency_ms_p50: number;
  latency_ms_p99: number;
  non2xx: number;
  errors: number;
  statuses: Record<string, number>;
  connections: number;
  seconds: number;
  target_rate: number | null;
}

function summarise(result: Result, connections: number, target_rate: number | null): LoadResult {
  const statuses: Record<string, number> = {};
  let total = 0;
  for (const [status, { count }] of Object.entries(result.statusCodeStats ?? {})) {
    statuses[status] = Number(count);
    total += Number(count);
  }
  return {
    requests_per_s: round(total / result.duration),
    latency_ms_p50: result.latency.p50,
    latency_ms_p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    statuses,
    connections,
    seconds: round(result.duration, 1),
    target_rate,
  };
}

/** The bare route: one JSON POST per request. */
export async function loadBare(url: string, options: { connections: number; seconds: number; rate?: number }): Promise<LoadResult> {
  const result = await autocannon({
    url: `${url}/echo`,
    connections: options.connections,
    duration: options.seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ account_id: 'acct_bench', app: PAIR_APPS[1], ...PAIR_REQUEST }),
    ...(options.rate ? { overallRate: options.rate } : {}),
  });
  return summarise(result, options.connections, options.rate ?? null);
}

/**
 * The gateway's conversation: POST /v1/authorizations (with an Idempotency-Key), then POST
 * /v1/authorizations/{id}/settle, on every connection, over and over. Requests per second count
 * both calls; authorizations per second are half of them.
 */
export async function loadPairs(url: string, options: { connections: number; seconds: number; rate?: number; token: string; pick: () => string; run_id: string }): Promise<LoadResult> {
  let n = 0;
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${options.token}` };
  const settle_body = JSON.stringify(PAIR_USAGE);
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.seconds,
    ...(options.rate ? { overallRate: options.rate } : {}),
    requests: [
      {
        method: 'POST',
        path: '/v1/authorizations',
        setupRequest: (request, context) => {
          n += 1;
          context.auth_id = undefined;
          return { ...request, headers: { ...headers, 'idempotency-key': `${options.run_id}-${n}` }, body: JSON.stringify({ account_id: options.pick(), app: PAIR_APPS[n % 2], ...PAIR_REQUEST }) };
        },
        onResponse: (status, body, context) => {
          if (status === 201) context.auth_id = (JSON.parse(body) as { id: string }).id;
        },
      },
      {
        method: 'POST',
        setupRequest: (request, context) => (typeof context.auth_id === 'string' ? { ...request, path: `/v1/authorizations/${context.auth_id}/settle`, headers, body: settle_body } : null),
      },
    ],
  });
  return summarise(result, options.connections, options.rate ?? null);
}

export interface HttpRun {
  max: LoadResult;
  half: LoadResult;
  rss: { rss_mb_max: number; rss_mb_mean: number; samples: number };
  cpu: ReturnType<typeof cpuShare>;
}

/**
 * Warm-up, a run at full speed, then a run at half the measured rate (overallRate) for the
 * latency a server sees when it is not saturated. Memory is sampled throughout.
 */
export async function measureServer(server: Server, load: (options: { seconds: number; rate?: number }) => Promise<LoadResult>, seconds: { warmup: number; measure: number }): Promise<HttpRun> {
  const rss = sampleRss(server.child.pid!);
  await load({ seconds: seconds.warmup });
  const before = cpuSnapshot([server.child.pid!]);
  const max = await load({ seconds: seconds.measure });
  const cpu = cpuShare(before, cpuSnapshot([server.child.pid!]), server.child.pid!);
  const half = await load({ seconds: seconds.measure, rate: Math.max(1, Math.floor(max.requests_per_s / 2)) });
  return { max, half, rss: rss.stop(), cpu };
}
