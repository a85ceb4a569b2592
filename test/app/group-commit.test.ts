// The generic group-commit engine (src/app/group-commit.ts), driven by a small runner of the
// test's own: a "database" that is an array of committed values, all-or-nothing per batch. The
// metering interpreter on the real database is tested in test/integration/commit-faults.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCommit, type BatchRunner, type Fault } from '../../src/app/group-commit';

type Op = { key: string; value: string };
type Result = { ok: true; value: string } | { ok: false; why: string };

class ArrayDb implements BatchRunner<Op, Result, { size: number }> {
  committed: string[] = [];
  commits = 0;
  attempts = 0;
  throw_after_commit = false;
  after_commits = 0;
  in_flight = 0;
  in_flight_max = 0;
  async commit(ops: Op[]) {
    this.attempts += 1;
    this.in_flight += 1;
    this.in_flight_max = Math.max(this.in_flight_max, this.in_flight);
    await new Promise((r) => setTimeout(r, 1));
    this.in_flight -= 1;
    // All or nothing: a batch with a poisoned operation commits none of it.
    if (ops.some((o) => o.value.startsWith('poison'))) throw new Error(`constraint violated by ${ops.find((o) => o.value.startsWith('poison'))!.value}`);
    this.committed.push(...ops.map((o) => o.value));
    this.commits += 1;
    return { results: ops.map((o): Result => ({ ok: true, value: o.value })), info: { size: ops.length } };
  }
  afterCommit() {
    this.after_commits += 1;
    if (this.throw_after_commit) throw new Error('a metrics hook broke');
  }
  laneKey(op: Op) {
    return op.key;
  }
  failed(error: unknown): Result {
    assert.ok(error instanceof Error);
    return { ok: false, why: 'failed alone' };
  }
  overloaded(queue_ops_max: number): Result {
    return { ok: false, why: `overloaded at ${queue_ops_max}` };
  }
}

const ops = (n: number, key = 'a') => Array.from({ length: n }, (_, i) => ({ key, value: `op-${i}` }));

describe('group commit: one transaction for many callers, answered after COMMIT', () => {
  it('a poisoned operation among nine good ones fails alone; the nine commit exactly once each', async () => {
    const db = new ArrayDb();
    const faults: Fault[] = [];
    const engine = new GroupCommit(db, { batch_ops_max: 100, queue_ops_max: 1000, lanes: 1 });
    engine.onFault = (f) => faults.push(f);
    const batch = ops(10);
    batch[6] = { key: 'a', value: 'poison-6' };
    const results = await Promise.all(batch.map((o) => engine.submit(o)));
    assert.deepEqual(results.filter((r) => !r.ok), [{ ok: false, why: 'failed alone' }]);
    assert.equal((results[6] as { ok: boolean }).ok, false);
    assert.deepEqual([...db.committed].sort(), batch.filter((o) => !o.value.startsWith('poison')).map((o) => o.value).sort());
    assert.equal(new Set(db.committed).size, db.committed.length, 'nothing committed twice');
    assert.ok(faults.every((f) => f.stage === 'batch') && faults.length > 0, 'the causes were reported');
    assert.equal(engine.stats.ops, 9);
  });

  it('a throw after COMMIT never runs the batch again: answered once with what it committed, the fault reported', async () => {
    const db = new ArrayDb();
    db.throw_after_commit = true;
    const faults: Fault[] = [];
    const engine = new GroupCommit(db, { batch_ops_max: 100, queue_ops_max: 1000, lanes: 1 });
    engine.onFault = (f) => faults.push(f);
    const results = await Promise.all(ops(4).map((o) => engine.submit(o)));
    assert.ok(results.every((r) => r.ok));
    assert.deepEqual([db.attempts, db.commits, db.committed.length], [1, 1, 4]);
    assert.deepEqual(faults.map((f) => f.stage), ['post_commit']);
  });

  it('the queue is bounded: past queue_ops_max callers are answered overloaded at once', async () => {
    const db = new ArrayDb();
    const engine = new GroupCommit(db, { batch_ops_max: 100, queue_ops_max: 3, lanes: 1 });
    const results = await Promise.all(ops(5).map((o) => engine.submit(o)));
    assert.deepEqual(results.map((r) => (r.ok ? 'ok' : r.why)), ['ok', 'ok', 'ok', 'overloaded at 3', 'overloaded at 3']);
  });

  it('batches are at most batch_ops_max; lanes run batches of different keys at once, one batch per lane', async () => {
    const db = new ArrayDb();
    const engine = new GroupCommit(db, { batch_ops_max: 5, queue_ops_max: 1000, lanes: 4 });
    const all = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].flatMap((key) => ops(12, key).map((o) => ({ ...o, value: `${key}-${o.value}` })));
    const results = await Promise.all(all.map((o) => engine.submit(o)));
    assert.ok(results.every((r) => r.ok));
    assert.equal(db.committed.length, all.length);
    assert.ok(db.commits >= Math.ceil(all.length / 5), 'no batch is larger than batch_ops_max');
    assert.ok(db.in_flight_max > 1 && db.in_flight_max <= 4, `batches in flight at once: ${db.in_flight_max}`);
    await engine.drain();
    assert.equal(engine.stats.queue_depth, 0);
  });
});
