// Scratch databases on the benchmark's PostgreSQL server, and the pgbench baseline.
import { spawn } from 'node:child_process';
import pg from 'pg';

/** The server every PostgreSQL figure is measured on; the benchmark creates its own databases there. */
export const admin_url = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export function databaseUrl(name: string): string {
  const url = new URL(admin_url);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: admin_url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const created = new Set<string>();

/** A fresh, empty database; returns its URL. Dropped by `dropDatabase` or `dropAllDatabases`. */
export async function createDatabase(name: string): Promise<string> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`bad database name ${name}`);
  await withAdmin(async (c) => {
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.query(`CREATE DATABASE ${name}`);
  });
  created.add(name);
  return databaseUrl(name);
}

export async function dropDatabase(name: string): Promise<void> {
  await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  created.delete(name);
}

export async function dropAllDatabases(): Promise<void> {
  for (const name of [...created]) await dropDatabase(name).catch(() => undefined);
}

export async function serverInfo(): Promise<{ version: string; fsync: string; synchronous_commit: string; shared_buffers: string }> {
  return withAdmin(async (c) => {
    const row = (await c.query(`SELECT version() AS version, current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit, current_setting('shared_buffers') AS shared_buffers`)).rows[0];
    return { version: String(row.version).split(' on ')[0]!, fsync: row.fsync, synchronous_commit: row.synchronous_commit, shared_buffers: row.shared_buffers };
  });
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${out.slice(-2000)}`))));
  });
}

export interface PgbenchResult {
  tps: number;
  latency_ms_avg: number;
  clients: number;
  threads: number;
  seconds: number;
}

/**
 * The naive ledger: pgbench's built-in TPC-B-like script, one debit/credit transaction per
 * request (three UPDATEs, a SELECT and an INSERT), on a scratch database of scale 1.
 */
export async function pgbenchTpcb(options: { clients: number; threads: number; seconds: number; pgbench?: string }): Promise<PgbenchResult> {
  const pgbench = options.pgbench ?? process.env.BENCH_PGBENCH ?? '/usr/bin/pgbench';
  const name = `tb_bench_pgbench_${process.pid}`;
  const url = await createDatabase(name);
  try {
    await run(pgbench, ['-i', '-s', '1', '-q', url]);
    const out = await run(pgbench, ['-b', 'tpcb-like', '-c', String(options.clients), '-j', String(options.threads), '-T', String(options.seconds), url]);
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1];
    const latency = /latency average = ([\d.]+) ms/.exec(out)?.[1];
    if (!tps) throw new Error(`could not read tps from pgbench:\n${out}`);
    return { tps: Number(tps), latency_ms_avg: Number(latency ?? NaN), clients: options.clients, threads: options.threads, seconds: options.seconds };
  } finally {
    await dropDatabase(name);
  }
}
