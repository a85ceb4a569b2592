// A committed batch is final (issue 8, item 5). Nothing after COMMIT may run a batch again, and
// a COMMIT whose connection drops is resolved by reading back what it wrote, never by running
// it again. Faults are injected at the database boundary (a Db that wraps the real one), so the
// Meter, the store and the SQL under test are the real ones, on both engines.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { assertAuditClean, harness, makeAccount, type Harness } from '../fixtures/tokenbank';
import { CommitOutcomeUnknown } from '../../src/app/ports';
import { AppError } from '../../src/domain/refusals';
import type { Db, Sql } from '../../src/store/db';

type Fault = 'none' | 'lost_after_commit' | 'lost_before_commit';

/** The real database, with a COMMIT that can be made to lose its connection, and reads that can fail. */
class FaultyDb implements Db {
  fault: Fault = 'none';
  reads_fail = false;
  /** Reads fail from the moment the armed COMMIT loses its connection (not before: the batch's own reads, the catalog's, still work). */
  reads_fail_after_fault = false;
  commits_lost = 0;
  constructor(private readonly inner: Db) {}
  get engine() {
    return this.inner.engine;
  }
  query<R>(text: string, params?: unknown[]): Promise<R[]> {
    if (this.reads_fail) return Promise.reject(new Error('Connection terminated unexpectedly'));
    return this.inner.query<R>(text, params);
  }
  async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    const fault = this.fault;
    if (fault === 'none') return this.inner.transaction(fn);
    this.fault = 'none'; // one fault per arming
    this.commits_lost += 1;
    const lost = new Error('Connection terminated unexpectedly');
    if (fault === 'lost_after_commit') {
      const committed = await this.inner.transaction(fn);
      if (this.reads_fail_after_fault) this.reads_fail = true;
      throw new CommitOutcomeUnknown(committed, lost);
    }
    const rolled_back = Symbol('rolled back');
    let value: T | undefined;
    await this.inner
      .transaction(async (tx) => {
        value = await fn(tx);
        throw rolled_back;
      })
      .catch((e) => {
        if (e !== rolled_back) throw e;
      });
    throw new CommitOutcomeUnknown(value, lost);
  }
  close() {
    return this.inner.close();
  }
}

const request = (account_id: string) => ({ account_id, app: 'claude-code', model: 'claude-opus-4-5', input_tokens: 1000, max_output_tokens: 4000 });

for (const engine of databaseEngines()) {
  describe(`a committed batch is final, on ${engine.name}`, { skip: engine.skip }, () => {
    let db: FaultyDb;
    let h: Harness;
    before(async () => {
      db = new FaultyDb(await engine.open());
      h = await harness(db);
    });
    after(async () => {
      await db?.close();
      await closeAll();
    });

    const holdsOf = async (account_id: string) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM authorizations WHERE account_id = $1`, [account_id]))[0]!.n;
    const four = (account_id: string) =>
      Promise.all(
        Array.from({ length: 4 }, () =>
          h.tb.authorize(request(account_id)).then(
            (a) => ({ ok: true as const, id: a.id }),
            (e: unknown) => {
              if (e instanceof AppError) return { ok: false as const, type: e.type, figures: e.figures };
              throw e;
            },
          ),
        ),
      );

    it('a throw after COMMIT never runs the batch again: four unkeyed authorizations, four holds, each answered once', async () => {
      const account = await makeAccount(h, { credits_micros: 20_000_000, extra_usage: true, limit_micros: null });
      const hook = h.tb.meter.onCommit;
      h.tb.meter.onCommit = () => {
        throw new Error('metrics exploded');
      };
      try {
        const answers = await four(account.id);
        assert.ok(answers.every((a) => a.ok), JSON.stringify(answers));
        assert.equal(new Set(answers.map((a) => (a.ok ? a.id : ''))).size, 4);
      } finally {
        h.tb.meter.onCommit = hook;
      }
      assert.equal(await holdsOf(account.id), 4);
      await assertAuditClean(h);
    });

    it('a COMMIT that committed but lost its connection is answered from what it committed, not run again', async () => {
      const account = await makeAccount(h, { credits_micros: 20_000_000, extra_usage: true, limit_micros: null });
      db.fault = 'lost_after_commit';
      const answers = await four(account.id);
      assert.equal(db.commits_lost, 1, 'the fault fired');
      assert.ok(answers.every((a) => a.ok), JSON.stringify(answers));
      assert.equal(await holdsOf(account.id), 4);
      await assertAuditClean(h);
    });

    it('a COMMIT that lost its connection before committing is run again, once', async () => {
      const account = await makeAccount(h, { credits_micros: 20_000_000, extra_usage: true, limit_micros: null });
      db.commits_lost = 0;
      db.fault = 'lost_before_commit';
      const answers = await four(account.id);
      assert.equal(db.commits_lost, 1, 'the fault fired');
      assert.ok(answers.every((a) => a.ok), JSON.stringify(answers));
      assert.equal(await holdsOf(account.id), 4);
      await assertAuditClean(h);
    });

    it('when the outcome cannot be read back, each caller gets commit_unknown (503) naming the authorization id, which a later look-up finds', async () => {
      const account = await makeAccount(h, { credits_micros: 20_000_000, extra_usage: true, limit_micros: null });
      db.fault = 'lost_after_commit';
      db.reads_fail_after_fault = true;
      let answers;
      try {
        answers = await four(account.id);
      } finally {
        db.reads_fail_after_fault = false;
        db.reads_fail = false;
      }
      assert.deepEqual(answers.map((a) => (a.ok ? 'ok' : a.type)), ['commit_unknown', 'commit_unknown', 'commit_unknown', 'commit_unknown']);
      for (const a of answers) {
        assert.ok(!a.ok && typeof a.figures.id === 'string');
        const found = await h.tb.getAuthorization(a.figures.id as string);
        assert.equal(found?.status, 'held', 'it had committed');
      }
      assert.equal(await holdsOf(account.id), 4);
      await assertAuditClean(h);
    });
  });
}
