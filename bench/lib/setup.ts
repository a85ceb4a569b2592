// A Tokenbank for the benchmark: the production clock and ids, the sandbox card provider, no
// rate limiter, on PostgreSQL or PGlite; and funded accounts made through the app itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Actor } from '../../src/app/deps';
import type { MeterOptions } from '../../src/app/metering';
import { randomIds, systemClock } from '../../src/app/system';
import { Tokenbank } from '../../src/app/tokenbank';
import { defaultCatalogData, type Plan } from '../../src/domain/catalog';
import { SandboxPayments } from '../../src/payments/sandbox';
import { openPglite, openPostgres, type Db } from '../../src/store/db';
import { migrate } from '../../src/store/migrations';
import { PgStore } from '../../src/store/store';

export const BENCH_ACTOR: Actor = { id: 'operator', request_id: 'bench' };

/**
 * The plan every bench account is on: Pro's allowance windows and extra usage, with rate limits
 * far above anything this machine can send, so the HTTP workload measures the ledger, not a 429.
 */
export const BENCH_PLAN: Plan = {
  ...defaultCatalogData().plans.find((p) => p.id === 'pro')!,
  id: 'bench',
  name: 'Bench',
  requests_per_minute: 1_000_000_000,
  tokens_per_minute: 1_000_000_000_000,
};

export interface BenchBank {
  tb: Tokenbank;
  db: Db;
  engine: 'postgres' | 'pglite';
  close(): Promise<void>;
}

export async function openBank(target: { engine: 'postgres'; url: string; pool_connections_max?: number } | { engine: 'pglite' }, meter: MeterOptions = {}): Promise<BenchBank> {
  let db: Db;
  let cleanup = async () => undefined as void;
  if (target.engine === 'postgres') {
    db = openPostgres({ url: target.url, application_name: 'tokenbank-bench', ...(target.pool_connections_max ? { pool_connections_max: target.pool_connections_max } : {}) });
  } else {
    const dir = mkdtempSync(join(tmpdir(), 'tokenbank-bench-pglite-'));
    db = await openPglite({ data_dir: dir });
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
  await migrate(db);
  const tb = new Tokenbank({ store: new PgStore(db), clock: systemClock, ids: randomIds, payments: new SandboxPayments(), meter });
  await tb.ensureCatalog();
  const data = await tb.store.loadCatalog();
  if (!data.plans.some((p) => p.id === BENCH_PLAN.id)) await tb.replaceCatalog({ ...data, plans: [...data.plans, BENCH_PLAN] }, BENCH_ACTOR);
  return {
    tb,
    db,
    engine: target.engine,
    async close() {
      await tb.meter.drain();
      await db.close();
      await cleanup();
    },
  };
}

/** Runs `fn` over `items` with at most `concurrency` at once. */
export async function forEachLimit<T>(items: T[], concurrency: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
}

/**
 * `count` accounts on the bench plan, each with a card, `credits_micros` of purchased extra usage
 * and extra usage on with no monthly limit (an explicit choice, SPEC §1.6) — so no pair is
 * refused and the benchmark measures the write path, not refusals. All made through the app
 * (one owner, so only the first account pays for a password hash).
 */
export async function fundedAccounts(bank: BenchBank, count: number, credits_micros: number, label: string): Promise<string[]> {
  const { tb } = bank;
  const owner_email = `bench-owner-${label}@example.com`;
  const ids: string[] = new Array(count);
  const make = async (i: number) => {
    const { account } = await tb.createAccount({ name: `Bench ${label} ${i}`, plan: BENCH_PLAN.id, owner_email, owner_password: 'bench-password' }, BENCH_ACTOR);
    await tb.addPaymentMethod(account.id, { token: 'tok_visa' }, BENCH_ACTOR);
    await tb.purchaseCredits(account.id, { amount_micros: credits_micros }, `bench-seed-${account.id}`, BENCH_ACTOR);
    await tb.updateExtraUsage(account.id, { enabled: true, monthly_spend_limit_micros: null }, BENCH_ACTOR);
    ids[i] = account.id;
  };
  await make(0);
  const rest = Array.from({ length: count - 1 }, (_, i) => i + 1);
  await forEachLimit(rest, bank.engine === 'postgres' ? 16 : 1, (i) => make(i));
  return ids;
}

export async function assertAuditClean(bank: BenchBank, what: string): Promise<{ accounts_checked: number; transfers_checked: number }> {
  const audit = await bank.tb.audit();
  if (audit.findings.length > 0) throw new Error(`${what}: audit found ${audit.findings.length} problems:\n${audit.findings.slice(0, 10).map((f) => f.message).join('\n')}`);
  return { accounts_checked: audit.accounts_checked, transfers_checked: audit.transfers_checked };
}
