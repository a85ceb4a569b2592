// Faults at the database boundary, as in test/integration/commit-faults.test.ts: a Db that wraps
// the real one, so the use cases, the store and the SQL under test are the real ones. One fault
// is armed at a time and fires once, in the next transaction that reaches it.
import { CommitOutcomeUnknown } from '../../src/app/ports';
import type { Db, Sql } from '../../src/store/db';

export const FAULT_KINDS = ['statement_fails', 'commit_fails', 'commit_lost_committed', 'commit_lost_rolled_back', 'commit_lost_unreadable'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number] | 'restart';

/** An error as the server sends it: with a SQLSTATE, so the engine treats it as a refusal (a rollback). */
function serverError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

const rolled_back = Symbol('rolled back');

export class FaultyDb implements Db {
  private armed: { kind: (typeof FAULT_KINDS)[number]; statement: number } | null = null;
  /** Set after a lost COMMIT that cannot be read back: the next plain read fails, then reads work again. */
  private next_read_fails = false;
  readonly fired = new Map<FaultKind, number>();
  fired_total = 0;

  constructor(readonly inner: Db) {}

  get engine() {
    return this.inner.engine;
  }

  arm(kind: (typeof FAULT_KINDS)[number], statement: number): void {
    this.armed = { kind, statement };
  }
  disarm(): void {
    this.armed = null;
    this.next_read_fails = false;
  }
  get pending(): boolean {
    return this.armed !== null;
  }

  private fire(kind: FaultKind) {
    this.armed = null;
    this.fired.set(kind, (this.fired.get(kind) ?? 0) + 1);
    this.fired_total += 1;
  }

  countRestart(): void {
    this.fired.set('restart', (this.fired.get('restart') ?? 0) + 1);
  }

  query<R>(text: string, params?: unknown[]): Promise<R[]> {
    if (this.next_read_fails) {
      this.next_read_fails = false;
      return Promise.reject(new Error('Connection terminated unexpectedly'));
    }
    return this.inner.query<R>(text, params);
  }

  async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    const armed = this.armed;
    if (armed === null) return this.inner.transaction(fn);
    if (armed.kind === 'statement_fails') return this.statementFails(fn, armed.statement);
    this.fire(armed.kind);
    const lost = new Error('Connection terminated unexpectedly');
    if (armed.kind === 'commit_lost_committed' || armed.kind === 'commit_lost_unreadable') {
      const value = await this.inner.transaction(fn);
      if (armed.kind === 'commit_lost_unreadable') this.next_read_fails = true;
      throw new CommitOutcomeUnknown(value, lost);
    }
    let value: T | undefined;
    await this.inner
      .transaction(async (tx) => {
        value = await fn(tx);
        throw rolled_back;
      })
      .catch((e) => {
        if (e !== rolled_back) throw e;
      });
    if (armed.kind === 'commit_fails') throw serverError('could not serialize access due to concurrent update', '40001');
    throw new CommitOutcomeUnknown(value, lost);
  }

  /** The `statement`-th statement of the transaction fails (or a later transaction's, if this one is shorter). */
  private async statementFails<T>(fn: (tx: Sql) => Promise<T>, statement: number): Promise<T> {
    let n = 0;
    return this.inner.transaction((tx) =>
      fn({
        query: <R>(text: string, params?: unknown[]) => {
          if (this.armed !== null && this.armed.kind === 'statement_fails' && n++ === statement) {
            this.fire('statement_fails');
            return Promise.reject(serverError('canceling statement due to statement timeout', '57014'));
          }
          return tx.query<R>(text, params);
        },
      }),
    );
  }

  close() {
    return this.inner.close();
  }
}
