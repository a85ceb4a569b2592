// Group commit, generic: many callers' operations share one database transaction.
//
// - A bounded queue in front: past `queue_ops_max` waiting operations, callers are answered
//   `overloaded` at once instead of waiting without end.
// - Lanes: operations are spread over lanes by a key (the account); a lane runs one batch at a
//   time, so two batches of this process never wait on each other's row locks. Lanes are a
//   performance device only; the runner's locks are what make overlapping batches correct.
// - Failure isolation: a batch that fails (and so committed nothing) is split in halves and
//   each half run again, so one poisoned operation fails alone and the others commit.
// - Answers go out after COMMIT only. What runs after COMMIT (`afterCommit`) is outside the
//   retry scope: a committed batch is answered once, with what it committed, whatever fails
//   afterwards. Raw causes go to `onFault` (the log), never into an answer.
// The runner (the batch interpreter) knows what the operations mean; this file does not.

export interface BatchRunner<Op, Result, Info> {
  /**
   * Runs `ops` in one transaction and resolves after COMMIT with one result per operation. A
   * throw means nothing was committed (an outcome that is unknown must be resolved by the runner).
   */
  commit(ops: Op[]): Promise<{ results: Result[]; info: Info }>;
  /** After COMMIT, outside any retry: bookkeeping and hooks. A throw is reported, not retried. */
  afterCommit(ops: Op[], results: Result[], info: Info, commit_ms: number): void;
  /** The lane key of an operation (operations with one key share a lane). */
  laneKey(op: Op): string;
  /** The answer for an operation whose batch failed on its own (the cause is reported). */
  failed(error: unknown): Result;
  /** The answer when the queue is full. */
  overloaded(queue_ops_max: number): Result;
}

export interface GroupCommitOptions {
  batch_ops_max: number;
  queue_ops_max: number;
  lanes: number;
}

export interface GroupCommitStats {
  batches: number;
  ops: number;
  batch_failures: number;
  queue_depth: number;
  last_commit_ms: number;
}

export interface Fault {
  /** batch: a batch failed and was split or refused; post_commit: a step after COMMIT threw; commit_unknown: reported by the runner. */
  stage: 'batch' | 'post_commit' | 'commit_unknown';
  error: unknown;
}

interface Pending<Op, Result> {
  op: Op;
  resolve: (result: Result) => void;
}

/** One queue of operations and at most one batch in flight for it. */
interface Lane<Op, Result> {
  queue: Array<Pending<Op, Result>>;
  busy: boolean;
}

/**
 * FNV-1a of a string: spreads keys over lanes. Any spread is correct; an even one keeps the
 * lanes equally busy.
 */
function laneHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class GroupCommit<Op, Result, Info> {
  private readonly lanes: Array<Lane<Op, Result>>;
  private queued = 0;
  private in_flight = 0;
  private scheduled = false;
  readonly stats: GroupCommitStats = { batches: 0, ops: 0, batch_failures: 0, queue_depth: 0, last_commit_ms: 0 };
  /** Where failures go: the log, never an answer. */
  onFault: ((fault: Fault) => void) | undefined;

  constructor(
    private readonly runner: BatchRunner<Op, Result, Info>,
    private readonly options: GroupCommitOptions,
  ) {
    this.lanes = Array.from({ length: Math.max(1, options.lanes) }, () => ({ queue: [], busy: false }));
  }

  submit(op: Op): Promise<Result> {
    if (this.queued >= this.options.queue_ops_max) return Promise.resolve(this.runner.overloaded(this.options.queue_ops_max));
    return new Promise((resolve) => {
      this.laneOf(op).queue.push({ op, resolve });
      this.queued += 1;
      this.stats.queue_depth = this.queued;
      this.schedule();
    });
  }

  /** Resolves when everything submitted so far has been committed or failed. */
  async drain(): Promise<void> {
    while (this.queued > 0 || this.in_flight > 0) await new Promise((r) => setTimeout(r, 2));
  }

  report(stage: Fault['stage'], error: unknown): void {
    try {
      this.onFault?.({ stage, error });
    } catch {
      // A broken log hook must not change an answer.
    }
  }

  private laneOf(op: Op): Lane<Op, Result> {
    if (this.lanes.length === 1) return this.lanes[0]!;
    return this.lanes[laneHash(this.runner.laneKey(op)) % this.lanes.length]!;
  }

  private schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate lets every request that arrived in this turn of the event loop join the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump() {
    for (const lane of this.lanes) {
      if (lane.busy || lane.queue.length === 0) continue;
      const batch = lane.queue.splice(0, this.options.batch_ops_max);
      this.queued -= batch.length;
      this.stats.queue_depth = this.queued;
      lane.busy = true;
      this.in_flight += 1;
      void this.runIsolated(batch).finally(() => {
        lane.busy = false;
        this.in_flight -= 1;
        // Through the event loop, not straight on: PGlite answers without any I/O, so pumping
        // here would chain batch after batch in microtasks and starve timers and sockets.
        if (lane.queue.length > 0) this.schedule();
      });
    }
  }

  /** Commits `batch`, then answers its callers; only a batch that committed nothing is split and run again. */
  private async runIsolated(batch: Array<Pending<Op, Result>>): Promise<void> {
    const ops = batch.map((p) => p.op);
    const started = performance.now();
    let committed: { results: Result[]; info: Info };
    try {
      committed = await this.runner.commit(ops);
    } catch (error) {
      this.stats.batch_failures += 1;
      this.report('batch', error);
      if (batch.length === 1) {
        batch[0]!.resolve(this.runner.failed(error));
        return;
      }
      const middle = Math.ceil(batch.length / 2);
      await this.runIsolated(batch.slice(0, middle));
      await this.runIsolated(batch.slice(middle));
      return;
    }
    // After COMMIT: the batch is final. Nothing below may fail it or run it again.
    const commit_ms = performance.now() - started;
    try {
      this.stats.batches += 1;
      this.stats.ops += ops.length;
      this.stats.last_commit_ms = commit_ms;
      this.runner.afterCommit(ops, committed.results, committed.info, commit_ms);
    } catch (error) {
      this.report('post_commit', error);
    }
    batch.forEach((p, i) => p.resolve(committed.results[i]!));
  }
}
