// The hard cap and idempotency under real concurrency (SPEC §1.5, §1.6 example 5, §1.8, §3
// "several server processes may share one PostgreSQL and stay exact").
//
// On PostgreSQL: three OS processes (test/fixtures/metering-worker.ts), each its own Tokenbank
// with its own Meter and pg pool, against one database; the test process only sets up accounts
// and reads the database. In one process: 1,000 concurrent authorize promises on each engine.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, databaseEngines, freshPostgres, postgresUrlOf } from '../fixtures/databases';
import { OPERATOR, assertAuditClean, harness, makeAccount, type Harness } from '../fixtures/tokenbank';
import type { WorkerAnswer, WorkerCommand, WorkerOp, WorkerResult } from '../fixtures/metering-worker';
import { AppError } from '../../src/domain/refusals';
import type { Db } from '../../src/store/db';

const root = new URL('../..', import.meta.url).pathname;
const worker_path = new URL('../fixtures/metering-worker.ts', import.meta.url).pathname;

// SPEC example 4 and 5: opus, 1,000 in, 4,000 max out = 5,000 + 100,000 = 105,000 micros held;
// under a $5 limit with nothing spent, ⌊5,000,000 / 105,000⌋ = 47 fit (4,935,000).
const LIMIT = 5_000_000;
const BALANCE = 20_000_000;
const HOLD = 105_000;
const FIT = Math.floor(LIMIT / HOLD);
const request = (account_id: string) => ({ account_id, app: 'claude-code', model: 'claude-opus-4-5', input_tokens: 1000, max_output_tokens: 4000 });
/** opus: 1,000 × 5 + output × 25 micros. */
const charge = (output_tokens: number) => 1000 * 5 + output_tokens * 25;

// ---- worker processes ----------------------------------------------------------------------------

class Worker {
  private next_id = 0;
  private readonly waiting = new Map<number, { resolve: (a: WorkerAnswer) => void; reject: (e: Error) => void }>();
  private stderr = '';
  private exited = false;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcessWithoutNullStreams,
  ) {}

  static start(name: string, database_url: string, clock_ms: number): Promise<Worker> {
    const child = spawn(process.execPath, ['--import', 'tsx', worker_path], {
      cwd: root,
      env: { ...process.env, WORKER_DATABASE_URL: database_url, WORKER_CLOCK_MS: String(clock_ms), WORKER_NAME: name, WORKER_BATCH_OPS_MAX: '8' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const worker = new Worker(name, child);
    child.stderr.on('data', (chunk: Buffer) => {
      worker.stderr = (worker.stderr + chunk.toString()).slice(-8000);
    });
    return new Promise((resolve, reject) => {
      let ready = false;
      createInterface({ input: child.stdout }).on('line', (line) => {
        const message = JSON.parse(line) as { ready?: string } & Partial<WorkerAnswer>;
        if (message.ready) {
          ready = true;
          resolve(worker);
          return;
        }
        const waiter = worker.waiting.get(message.id!);
        worker.waiting.delete(message.id!);
        waiter?.resolve(message as WorkerAnswer);
      });
      child.on('exit', (code) => {
        worker.exited = true;
        const error = new Error(`worker ${name} exited with ${code}:\n${worker.stderr}`);
        if (!ready) reject(error);
        for (const waiter of worker.waiting.values()) waiter.reject(error);
        worker.waiting.clear();
      });
    });
  }

  send(command: Omit<WorkerCommand, 'id'>): Promise<WorkerAnswer> {
    const id = ++this.next_id;
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new Error(`worker ${this.name} has exited:\n${this.stderr}`));
      this.waiting.set(id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ ...command, id })}\n`);
    });
  }

  async close() {
    if (this.exited) return;
    await this.send({ exit: true }).catch(() => undefined);
  }
}

/** Sends each worker its ops, all to start at the same wall-clock instant; answers in worker order. */
async function together(workers: Worker[], ops: WorkerOp[][]): Promise<WorkerAnswer[]> {
  const start_at_ms = Date.now() + 150;
  const answers = await Promise.all(workers.map((w, i) => w.send({ start_at_ms, ops: ops[i]! })));
  for (const [i, answer] of answers.entries()) {
    const crashed = answer.results.find((r) => !r.ok && r.type === 'crash');
    if (crashed && !crashed.ok) assert.fail(`worker ${workers[i]!.name}: ${crashed.message}`);
  }
  return answers;
}

/**
 * Reads the database over and over until `done` settles: the most that was ever consumed or
 * reserved against the limit, by the wallet row and by the authorizations' own rows.
 */
async function watchCap(db: Db, account_id: string, done: Promise<unknown>) {
  let finished = false;
  void done.then(
    () => (finished = true),
    () => (finished = true),
  );
  const most = { wallet_micros: 0, rows_micros: 0, samples: 0 };
  while (!finished) {
    const [wallet] = await db.query<{ total: number }>(`SELECT spent_cycle_micros + held_micros AS total FROM wallets WHERE account_id = $1`, [account_id]);
    const [rows] = await db.query<{ total: number }>(
      `SELECT COALESCE(SUM(CASE status WHEN 'settled' THEN charged_micros WHEN 'held' THEN held_micros ELSE 0 END), 0)::bigint AS total FROM authorizations WHERE account_id = $1`,
      [account_id],
    );
    most.wallet_micros = Math.max(most.wallet_micros, wallet!.total);
    most.rows_micros = Math.max(most.rows_micros, rows!.total);
    most.samples += 1;
  }
  return most;
}

async function capFigures(db: Db, account_id: string) {
  const [wallet] = await db.query<{ spent: number; held: number; purchased: number }>(`SELECT spent_cycle_micros AS spent, held_micros AS held, purchased_micros AS purchased FROM wallets WHERE account_id = $1`, [account_id]);
  const [rows] = await db.query<{ charged: number; held: number; held_n: number; settled_n: number; n: number }>(
    `SELECT COALESCE(SUM(charged_micros) FILTER (WHERE status = 'settled'), 0)::bigint AS charged,
            COALESCE(SUM(held_micros) FILTER (WHERE status = 'held'), 0)::bigint AS held,
            COUNT(*) FILTER (WHERE status = 'held')::bigint AS held_n,
            COUNT(*) FILTER (WHERE status = 'settled')::bigint AS settled_n,
            COUNT(*)::bigint AS n
       FROM authorizations WHERE account_id = $1`,
    [account_id],
  );
  return { wallet: wallet!, rows: rows! };
}

function okResults(results: WorkerResult[]) {
  return results.filter((r): r is Extract<WorkerResult, { ok: true }> => r.ok);
}

function refusalTypes(results: WorkerResult[]) {
  const types = new Map<string, number>();
  for (const r of results) if (!r.ok) types.set(r.type, (types.get(r.type) ?? 0) + 1);
  return Object.fromEntries(types);
}

/** A deterministic shuffle (so a failure replays the same orders). */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

// ---- several processes, one PostgreSQL ----------------------------------------------------------

const WORKERS = 3;

describe('several processes on one PostgreSQL', { skip: process.env.TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL is not set: the multi-process cases need a PostgreSQL server (PGlite is one process)' }, () => {
  let db: Db;
  let h: Harness;
  let workers: Worker[] = [];

  before(async () => {
    db = (await freshPostgres())!;
    h = await harness(db);
    const url = postgresUrlOf(db);
    workers = await Promise.all(Array.from({ length: WORKERS }, (_, i) => Worker.start(`w${i}`, url, h.clock.now_ms())));
    // Warm every process up (catalog loaded, pool connections open, code paths compiled), so the
    // waves below start together instead of the first process to be ready taking everything.
    const warm = await makeAccount(h, { credits_micros: BALANCE, extra_usage: true, limit_micros: null });
    const answers = await together(
      workers,
      workers.map((_, w) => Array.from({ length: 20 }, (_, j): WorkerOp => ({ op: 'authorize', key: `warm-${w}-${j}`, body: request(warm.id) }))),
    );
    for (const answer of answers) assert.equal(okResults(answer.results).length, 20);
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await closeAll();
  });

  it(`1,000 concurrent authorizations from ${WORKERS} processes hold exactly what fits under a $5 limit, settle and release never pass it, and a duplicated key is one authorization`, { timeout: 180_000 }, async () => {
    const account = await makeAccount(h, { credits_micros: BALANCE, extra_usage: true, limit_micros: LIMIT });
    const body = request(account.id);

    // Wave 1: 1,000 authorizations (batches of 8 in each process). 20 Idempotency-Keys are sent by every process; each process
    // puts 2 or 3 of them in each of its first seven batches (of 8), so whichever batch commits
    // first anywhere holds some of them, and the other processes must answer them with the same id.
    const dup_keys = Array.from({ length: 20 }, (_, k) => `dup-${k}`);
    const per_worker = [334, 333, 333];
    const wave1: WorkerOp[][] = per_worker.map((n, w) => {
      const dups = shuffled(dup_keys, 17 + w);
      const own = Array.from({ length: n - dup_keys.length }, (_, j): WorkerOp => ({ op: 'authorize', key: j % 2 === 0 ? `w${w}-${j}` : null, body }));
      const ops: WorkerOp[] = [];
      for (let p = 0; ops.length < n; p++) {
        if (dups.length > 0 && p % 8 < 3) ops.push({ op: 'authorize', key: dups.pop()!, body });
        else ops.push(own.pop()!);
      }
      return ops;
    });
    assert.equal(wave1.flat().length, 1000);
    const wave1_done = together(workers, wave1);
    const [answers1, most1] = await Promise.all([wave1_done, watchCap(db, account.id, wave1_done)]);

    const results1 = answers1.flatMap((a) => a.results);
    assert.deepEqual(Object.keys(refusalTypes(results1)), ['spend_limit_reached'], `refusals: ${JSON.stringify(refusalTypes(results1))}`);
    const distinct1 = new Set(okResults(results1).map((r) => r.id));
    assert.equal(distinct1.size, FIT, `distinct holds in wave 1 (per process: ${answers1.map((a) => okResults(a.results).length).join(', ')})`);
    for (const r of okResults(results1)) assert.equal(r.held_micros, HOLD);
    const after1 = await capFigures(db, account.id);
    assert.deepEqual({ n: after1.rows.n, held_n: after1.rows.held_n, held: after1.rows.held }, { n: FIT, held_n: FIT, held: FIT * HOLD });
    assert.deepEqual({ spent: after1.wallet.spent, held: after1.wallet.held }, { spent: 0, held: FIT * HOLD });
    assert.ok(most1.wallet_micros <= LIMIT && most1.rows_micros <= LIMIT, `passed the limit during wave 1: ${JSON.stringify(most1)}`);

    // Every duplicated key: the same answer in every process; one row.
    const dup_ids = new Map<string, string>();
    for (const key of dup_keys) {
      const answers = answers1.map((a, w) => a.results[wave1[w]!.findIndex((o) => o.op === 'authorize' && o.key === key)]!);
      const ids = new Set(answers.map((r) => (r.ok ? r.id : `refused:${r.type}`)));
      assert.equal(ids.size, 1, `key ${key} was answered ${[...ids].join(' / ')} in different processes`);
      if (answers[0]!.ok) dup_ids.set(key, answers[0]!.id);
    }
    assert.ok(dup_ids.size >= 2, `only ${dup_ids.size} duplicated keys were held; the first batch to commit holds at least 2`);
    const key_rows = await db.query<{ idempotency_key: string; id: string }>(`SELECT idempotency_key, id FROM authorizations WHERE account_id = $1 AND idempotency_key LIKE 'dup-%'`, [account.id]);
    assert.deepEqual(new Map(key_rows.map((r) => [r.idempotency_key, r.id])), dup_ids);

    // Wave 2, all at once in every process: settle (in full, or below the hold) or release most of
    // its own holds, 150 new authorizations each (10 more keys shared by every process), and on
    // the shared holds: every process settles the same usage, or they race a settle and a release.
    const own = answers1.map((a, w) =>
      a.results.flatMap((r, i) => {
        const o = wave1[w]![i]!;
        return r.ok && !(o.op === 'authorize' && o.key?.startsWith('dup-')) ? [r.id] : [];
      }),
    );
    const expected_charge = new Map<string, number | 'released'>();
    const shared = [...dup_ids.values()];
    const dup2_keys = Array.from({ length: 10 }, (_, k) => `dup2-${k}`);
    const wave2: WorkerOp[][] = own.map((ids, w) => {
      const ops: WorkerOp[] = [];
      ids.forEach((id, i) => {
        const kind = i % 10;
        if (kind <= 3) {
          ops.push({ op: 'settle', id, usage: { input_tokens: 1000, output_tokens: 4000 } });
          expected_charge.set(id, charge(4000));
        } else if (kind <= 5) {
          const output = (i * 733) % 4000;
          ops.push({ op: 'settle', id, usage: { input_tokens: 1000, output_tokens: output } });
          expected_charge.set(id, charge(output));
        } else if (kind <= 8) {
          ops.push({ op: 'release', id });
          expected_charge.set(id, 'released');
        }
      });
      shared.forEach((id, i) => {
        if (i % 2 === 0) ops.push({ op: 'settle', id, usage: { input_tokens: 1000, output_tokens: 2000 } });
        else ops.push(w === 1 ? { op: 'release', id } : { op: 'settle', id, usage: { input_tokens: 1000, output_tokens: 3000 } });
      });
      for (let j = 0; j < 150; j++) ops.push({ op: 'authorize', key: j < dup2_keys.length ? dup2_keys[j]! : `w${w}-wave2-${j}`, body });
      return shuffled(ops, 101 + w);
    });
    const wave2_done = together(workers, wave2);
    const [answers2, most2] = await Promise.all([wave2_done, watchCap(db, account.id, wave2_done)]);
    assert.ok(most2.wallet_micros <= LIMIT && most2.rows_micros <= LIMIT, `passed the limit during wave 2: ${JSON.stringify(most2)}`);

    const by_id = new Map<string, Array<{ op: WorkerOp; result: WorkerResult }>>();
    const wave2_auths: WorkerResult[] = [];
    answers2.forEach((a, w) =>
      a.results.forEach((result, i) => {
        const o = wave2[w]![i]!;
        if (o.op === 'authorize') return void wave2_auths.push(result);
        const id = o.op === 'settle' || o.op === 'release' ? o.id : '';
        by_id.set(id, [...(by_id.get(id) ?? []), { op: o, result }]);
      }),
    );
    // Own holds: each answered as asked.
    for (const [id, expected] of expected_charge) {
      const { result } = by_id.get(id)![0]!;
      if (!result.ok) assert.fail(`${id}: ${result.type}: ${result.message}`);
      if (expected === 'released') assert.equal(result.status, 'released');
      else assert.deepEqual({ status: result.status, charged: result.charged_micros }, { status: 'settled', charged: expected });
    }
    // Shared holds: one outcome, whichever process got there first, and every answer agrees with it.
    for (const [i, id] of shared.entries()) {
      const answers = by_id.get(id)!;
      const [row] = await db.query<{ status: string; charged_micros: number | null }>(`SELECT status, charged_micros FROM authorizations WHERE id = $1`, [id]);
      const records = await db.query<{ n: number }>(`SELECT COUNT(*)::bigint AS n FROM usage_records WHERE authorization_id = $1`, [id]);
      if (i % 2 === 0) {
        assert.deepEqual(row, { status: 'settled', charged_micros: charge(2000) });
        for (const { result } of answers) assert.deepEqual(result.ok ? { status: result.status, charged: result.charged_micros } : result, { status: 'settled', charged: charge(2000) });
      } else {
        // Two processes settle with the same usage while the third releases: settled (the release
        // is a conflict) or released (both settlements are conflicts).
        assert.ok(row!.status === 'settled' || row!.status === 'released', `shared hold ${id} ended ${row!.status}`);
        const winner = row!.status === 'settled' ? 'settle' : 'release';
        for (const { op, result } of answers) {
          if (op.op === winner) {
            if (!result.ok) assert.fail(`${op.op} of ${row!.status} ${id} was refused: ${result.type}`);
            assert.equal(result.status, row!.status);
            if (winner === 'settle') assert.equal(result.charged_micros, charge(3000));
          } else assert.equal(result.ok ? `ok ${result.status}` : result.type, 'conflict', `${op.op} of ${row!.status} ${id}`);
        }
      }
      assert.equal(records[0]!.n, row!.status === 'settled' ? 1 : 0, `usage records of ${id}`);
    }
    // New authorizations: held or refused for the limit; a key shared by the processes is at most one hold.
    assert.ok(Object.keys(refusalTypes(wave2_auths)).every((t) => t === 'spend_limit_reached'), JSON.stringify(refusalTypes(wave2_auths)));
    for (const key of dup2_keys) {
      const ids = new Set<string>();
      answers2.forEach((a, w) => a.results.forEach((r, i) => void (r.ok && wave2[w]![i]!.op === 'authorize' && (wave2[w]![i] as { key: string }).key === key && ids.add(r.id))));
      assert.ok(ids.size <= 1, `key ${key} made ${ids.size} authorizations`);
    }

    const after2 = await capFigures(db, account.id);
    assert.ok(after2.rows.charged + after2.rows.held <= LIMIT, `charged ${after2.rows.charged} + held ${after2.rows.held} > ${LIMIT}`);
    assert.ok(after2.wallet.spent + after2.wallet.held <= LIMIT, `spent ${after2.wallet.spent} + held ${after2.wallet.held} > ${LIMIT}`);
    assert.deepEqual({ spent: after2.wallet.spent, held: after2.wallet.held, purchased: after2.wallet.purchased }, { spent: after2.rows.charged, held: after2.rows.held, purchased: BALANCE - after2.rows.charged });
    await assertAuditClean(h);

    // Wave 3: the open holds are released (wave 2 filled whatever room it freed); then, with
    // nothing moving but new holds, exactly ⌊(limit − spent) / hold⌋ more fit.
    const open_holds = await db.query<{ id: string }>(`SELECT id FROM authorizations WHERE account_id = $1 AND status = 'held'`, [account.id]);
    await Promise.all(open_holds.map((r) => h.tb.release(r.id)));
    const before3 = await capFigures(db, account.id);
    assert.deepEqual({ held: before3.wallet.held, spent: before3.wallet.spent }, { held: 0, spent: after2.wallet.spent });
    const fits = Math.floor((LIMIT - before3.wallet.spent) / HOLD);
    assert.ok(fits > 0 && fits < FIT, `wave 3 should have room for some holds, has ${fits}`);
    const wave3 = workers.map((_, w) => Array.from({ length: 100 }, (_, j): WorkerOp => ({ op: 'authorize', key: j % 3 === 0 ? null : `w${w}-wave3-${j}`, body })));
    const answers3 = await together(workers, wave3);
    const results3 = answers3.flatMap((a) => a.results);
    assert.equal(okResults(results3).length, fits, `wave 3 holds (room for ${fits})`);
    assert.ok(Object.keys(refusalTypes(results3)).every((t) => t === 'spend_limit_reached'), JSON.stringify(refusalTypes(results3)));
    const after3 = await capFigures(db, account.id);
    assert.ok(after3.wallet.spent + after3.wallet.held <= LIMIT);
    assert.ok(LIMIT - after3.wallet.spent - after3.wallet.held < HOLD, 'room for another hold was left unused');
    const audit = await assertAuditClean(h);
    console.log(
      `# ${WORKERS} processes: wave 1 holds made per process ${own.map((ids) => ids.length).join('/')} + ${dup_ids.size} on shared keys; ` +
        `batches per process ${answers3.map((a) => a.stats.batches).join('/')}; cap samples ${most1.samples + most2.samples}; wave 3 fit ${fits}; audit checked ${audit.transfers_checked} transfers`,
    );
  });

  it(`the same purchase Idempotency-Key from ${WORKERS} processes at once charges once`, { timeout: 60_000 }, async () => {
    const account = await makeAccount(h, { card: 'tok_visa' });
    const amounts = Array.from({ length: 10 }, (_, k) => 5_000_000 + k * 1_010_000);
    const ops = workers.map((_, w) => shuffled(amounts.map((amount_micros, k): WorkerOp => ({ op: 'purchase', account_id: account.id, key: `buy-${k}`, amount_micros })), 7 + w));
    const answers = await together(workers, ops);
    for (const [k, amount] of amounts.entries()) {
      const key = `buy-${k}`;
      const results = answers.map((a, w) => a.results[ops[w]!.findIndex((o) => o.op === 'purchase' && o.key === key)]!);
      for (const r of results) assert.ok(r.ok && r.status === 'succeeded', `${key}: ${JSON.stringify(r)}`);
      const oks = okResults(results);
      assert.equal(new Set(oks.map((r) => r.id)).size, 1, `${key} answered with different purchases`);
      assert.equal(oks.filter((r) => !r.replayed).length, 1, `${key}: exactly one process started the purchase`);
      const purchases = await db.query<{ id: string; status: string; amount_micros: number }>(`SELECT id, status, amount_micros FROM purchases WHERE account_id = $1 AND idempotency_key = $2`, [account.id, key]);
      assert.deepEqual(purchases, [{ id: oks[0]!.id, status: 'succeeded', amount_micros: amount }]);
      const transfers = await db.query<{ amount_micros: number }>(`SELECT amount_micros FROM transfers WHERE account_id = $1 AND kind = 'purchase' AND reference_id = $2`, [account.id, oks[0]!.id]);
      assert.deepEqual(transfers, [{ amount_micros: amount }], `${key}: purchase transfers`);
    }
    const [wallet] = await db.query<{ purchased_micros: number; redeemed_day_micros: number }>(`SELECT purchased_micros, redeemed_day_micros FROM wallets WHERE account_id = $1`, [account.id]);
    const total = amounts.reduce((s, a) => s + a, 0);
    assert.deepEqual(wallet, { purchased_micros: total, redeemed_day_micros: total });
    const [count] = await db.query<{ n: number }>(`SELECT COUNT(*)::bigint AS n FROM transfers WHERE account_id = $1 AND kind = 'purchase'`, [account.id]);
    assert.equal(count!.n, amounts.length);
    await assertAuditClean(h);
  });

  it('two $1,500 purchases from two processes on one UTC day: exactly one passes the $2,000 daily cap', { timeout: 60_000 }, async () => {
    const account = await makeAccount(h, { card: 'tok_visa' });
    const ops: WorkerOp[][] = workers.map((_, w) => (w < 2 ? [{ op: 'purchase', account_id: account.id, key: `big-${w}`, amount_micros: 1_500_000_000 }] : []));
    const results = (await together(workers, ops)).flatMap((a) => a.results);
    assert.equal(results.length, 2);
    assert.equal(okResults(results).length, 1, JSON.stringify(results));
    assert.deepEqual(refusalTypes(results), { daily_cap_reached: 1 });
    const [wallet] = await db.query<{ purchased_micros: number; redeemed_day_micros: number }>(`SELECT purchased_micros, redeemed_day_micros FROM wallets WHERE account_id = $1`, [account.id]);
    assert.deepEqual(wallet, { purchased_micros: 1_500_000_000, redeemed_day_micros: 1_500_000_000 });
    await assertAuditClean(h);
  });
});

// ---- one process, each engine ------------------------------------------------------------------

for (const engine of databaseEngines()) {
  describe(`one process on ${engine.name}`, { skip: engine.skip }, () => {
    let db: Db;
    let h: Harness;
    before(async () => {
      db = await engine.open();
      h = await harness(db);
    });
    after(async () => {
      await db?.close();
      await closeAll();
    });

    it('1,000 concurrent authorize calls against a $5 limit and a $20 balance: exactly 47 held, the rest spend_limit_reached (SPEC example 5)', async () => {
      const account = await makeAccount(h, { credits_micros: BALANCE, extra_usage: true, limit_micros: LIMIT });
      const body = request(account.id);
      // 100 of them are 20 keys sent 5 times each: a key is one authorization however often it comes.
      const keys = Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? `same-${(i / 10) % 20}` : i % 3 === 0 ? null : `k-${i}`));
      const outcomes = await Promise.all(
        keys.map((key) =>
          h.tb.authorize(body, key ?? undefined).then(
            (a) => ({ ok: true as const, key, id: a.id, held_micros: a.funding.held_micros }),
            (error: unknown) => {
              if (error instanceof AppError) return { ok: false as const, key, type: error.type };
              throw error;
            },
          ),
        ),
      );
      const held = outcomes.filter((o) => o.ok);
      const distinct = new Set(held.map((o) => o.id));
      assert.equal(distinct.size, FIT);
      const refusals = new Map<string, number>();
      for (const o of outcomes) if (!o.ok) refusals.set(o.type, (refusals.get(o.type) ?? 0) + 1);
      assert.deepEqual(Object.fromEntries(refusals), { spend_limit_reached: 1000 - held.length });
      for (const o of held) assert.equal(o.held_micros, HOLD);
      for (let k = 0; k < 20; k++) {
        const answers = outcomes.filter((o) => o.key === `same-${k}`);
        assert.equal(new Set(answers.map((o) => (o.ok ? o.id : o.type))).size, 1, `key same-${k}: ${JSON.stringify(answers)}`);
      }
      const view = await h.tb.getExtraUsage(account.id);
      assert.deepEqual({ held: view.held_micros, spent: view.spent_this_cycle_micros, balance: view.balance_micros }, { held: FIT * HOLD, spent: 0, balance: BALANCE });
      const [rows] = await db.query<{ n: number; held: number }>(`SELECT COUNT(*)::bigint AS n, SUM(held_micros)::bigint AS held FROM authorizations WHERE account_id = $1 AND status = 'held'`, [account.id]);
      assert.deepEqual(rows, { n: FIT, held: FIT * HOLD });
      await assertAuditClean(h);
    });

    it('settings changes are never lost: 30 pairs of concurrent PATCHes (limit on one, auto-reload on the other) while holds are being placed all stick', async () => {
      const account = await makeAccount(h, { credits_micros: BALANCE, extra_usage: true, limit_micros: LIMIT });
      const traffic = () => h.tb.authorize({ ...request(account.id), max_output_tokens: 10 }).then((a) => h.tb.release(a.id)).catch(() => undefined);
      for (let i = 0; i < 30; i++) {
        const limit_micros = 60_000_000 + i * 1_000_000;
        const amount_micros = 10_000_000 + i * 1_000_000;
        await Promise.all([
          traffic(),
          h.tb.updateExtraUsage(account.id, { monthly_spend_limit_micros: limit_micros }, OPERATOR),
          h.tb.updateExtraUsage(account.id, { auto_reload: { enabled: i % 2 === 0, amount_micros, threshold_micros: 1_000_000 } }, OPERATOR),
          traffic(),
        ]);
        const view = await h.tb.getExtraUsage(account.id);
        assert.deepEqual(
          { limit: view.monthly_spend_limit_micros, reload: view.auto_reload.enabled, amount: view.auto_reload.amount_micros },
          { limit: limit_micros, reload: i % 2 === 0, amount: amount_micros },
          `pair ${i}`,
        );
      }
      // Turning extra usage off is final for the next request, whatever was in flight with it.
      await Promise.all([traffic(), h.tb.updateExtraUsage(account.id, { enabled: false }, OPERATOR), traffic()]);
      await assert.rejects(h.tb.authorize({ ...request(account.id), app: 'cursor' }), (e: unknown) => e instanceof AppError && e.type === 'extra_usage_required');
      await assertAuditClean(h);
    });
  });
}
