// The metering path: authorize, settle, release, expire and usage events, committed in groups.
//
// The group commit itself (queue, lanes, failure isolation, answers after COMMIT) is generic and
// lives in ./group-commit.ts. This file is its batch interpreter. A batch:
//   1. reads the authorizations' account ids (immutable, no lock needed),
//   2. locks every account it touches in account_id order (no two processes can deadlock),
//   3. loads the state and decides each operation in pure domain code, in arrival order, on
//      state that already includes the earlier operations of the batch — so a batch gives exactly
//      the results the same requests would get one by one,
//   4. writes everything set-based in one statement; the engine answers after COMMIT.
import { limits } from '../domain/limits';
import type { CacheWrite, TokenUsage } from '../domain/pricing';
import { AppError } from '../domain/refusals';
import type { CatalogCache } from './catalog-cache';
import { GroupCommit, type BatchRunner, type Fault, type GroupCommitStats } from './group-commit';
import { BatchState } from './meter-batch';
import { CommitOutcomeUnknown, type AuthorizationRecord, type Clock, type Ids, type MeterCommitProbe, type Store, type UsageRecord } from './ports';

export interface AuthorizeRequest {
  account_id: string;
  app: string;
  model: string;
  input_tokens: number;
  max_output_tokens: number;
  user_id?: string | null;
  ttl_ms?: number;
  /** Omitted means none; only a declared 5m or 1h is part of the request (and its idempotency hash). */
  cache_write?: Exclude<CacheWrite, 'none'>;
  /** An API organization's request: the key that made it (account_id is its org's, resolved from the secret). */
  api_key_id?: string;
}

export interface UsageEventInput {
  id: string;
  account_id: string;
  app: string;
  model: string;
  usage: TokenUsage;
  timestamp_ms: number;
  user_id?: string | null;
  /** An API organization's usage: the key that made it (account_id is its org's). */
  api_key_id?: string;
}

/** Who asked for a charge, recorded on its usage record (SPEC §1.11). */
export interface ChargeActor {
  actor: string | null;
  request_id: string | null;
}

export type MeterOp =
  | { kind: 'authorize'; request: AuthorizeRequest; idempotency_key: string | null }
  | { kind: 'settle'; authorization_id: string; usage: TokenUsage; by?: ChargeActor }
  | { kind: 'release'; authorization_id: string }
  | { kind: 'expire'; authorization_id: string }
  /** The late-settlement window of an expired hold has ended: the limit stops counting it. */
  | { kind: 'end_late_window'; authorization_id: string }
  | { kind: 'event'; event: UsageEventInput; by?: ChargeActor };

export type MeterResult =
  | { ok: true; kind: 'authorization'; authorization: AuthorizationRecord; replayed: boolean }
  | { ok: true; kind: 'usage'; record: UsageRecord; duplicate: boolean }
  | { ok: false; error: AppError };

export interface MeterOptions {
  batch_ops_max?: number;
  queue_ops_max?: number;
  /**
   * Batches committing at once in this process (1 on PGlite, which has one connection). Each
   * batch in flight serves its own lane of accounts (below), so they do not queue on each
   * other's wallet locks.
   */
  batches_in_flight_max?: number;
  /** The operator's per-day redemption cap, which auto-reload firings respect (SPEC §1.7). */
  redeemed_micros_per_day_max?: number;
}

/** What a committed batch did that /metrics counts. */
export interface BatchCounts {
  /** Settlements of expired holds: within their late-settlement window, and after it. */
  late_settlements_in_window: number;
  late_settlements_after_window: number;
  /** Settlements that went beyond what their hold covered (SPEC §1.6). */
  settlements_beyond_hold: number;
}

export interface MeterStats extends GroupCommitStats, BatchCounts {}

export type MeterFault = Fault;

/** What a transaction hands back besides the results: the probe for an unknown COMMIT, and the counts. */
interface BatchInfo {
  probe: MeterCommitProbe;
  counts: BatchCounts;
}

/**
 * The metering engine: the generic group commit (src/app/group-commit.ts) running this batch
 * interpreter. A batch loads its accounts under locks, decides each operation in src/domain on
 * state that includes the batch's earlier operations, and writes everything in one statement.
 */
export class Meter implements BatchRunner<MeterOp, MeterResult, BatchInfo> {
  private readonly engine: GroupCommit<MeterOp, MeterResult, BatchInfo>;
  private readonly redeemed_micros_per_day_max: number;
  /**
   * authorization id → account id of holds authorized by this process. An authorization never
   * changes account, so a hit is as good as the database's answer; it saves the look-up before
   * the transaction and routes the settlement to its account's lane. Bounded, oldest out first.
   */
  private readonly auth_accounts = new Map<string, string>();
  private readonly counts: BatchCounts = { late_settlements_in_window: 0, late_settlements_after_window: 0, settlements_beyond_hold: 0 };
  onCommit: ((info: { ops: number; commit_ms: number; counts: BatchCounts }) => void) | undefined;

  constructor(
    private readonly store: Store,
    private readonly catalog: CatalogCache,
    private readonly clock: Clock,
    private readonly ids: Ids,
    options: MeterOptions = {},
  ) {
    this.redeemed_micros_per_day_max = options.redeemed_micros_per_day_max ?? limits.redeemed_micros_per_day_max;
    this.engine = new GroupCommit(this, {
      batch_ops_max: options.batch_ops_max ?? limits.meter_batch_ops_max,
      queue_ops_max: options.queue_ops_max ?? limits.meter_queue_ops_max,
      lanes: options.batches_in_flight_max ?? (store.engine === 'pglite' ? 1 : limits.meter_batches_in_flight_max),
    });
  }

  get stats(): MeterStats {
    return { ...this.engine.stats, ...this.counts };
  }

  /** Where failures go: the log, never an answer. */
  set onFault(hook: ((fault: MeterFault) => void) | undefined) {
    this.engine.onFault = hook;
  }

  submit(op: MeterOp): Promise<MeterResult> {
    return this.engine.submit(op);
  }

  submitMany(ops: MeterOp[]): Promise<MeterResult[]> {
    return Promise.all(ops.map((op) => this.engine.submit(op)));
  }

  /** Resolves when everything submitted so far has been committed or failed. */
  drain(): Promise<void> {
    return this.engine.drain();
  }

  // ---- the BatchRunner the engine drives --------------------------------------------------------

  laneKey(op: MeterOp): string {
    return op.kind === 'authorize'
      ? op.request.account_id
      : op.kind === 'event'
        ? op.event.account_id
        : (this.auth_accounts.get(op.authorization_id) ?? op.authorization_id);
  }

  overloaded(queue_ops_max: number): MeterResult {
    return {
      ok: false,
      error: new AppError('overloaded', `The metering queue is full (${queue_ops_max} operations waiting). Retry shortly.`, {
        queue_ops_max,
        retry_after_s: limits.meter_retry_after_s,
      }),
    };
  }

  failed(error: unknown): MeterResult {
    // The cause went to the log (the engine reports it), never into the answer.
    return {
      ok: false,
      error:
        error instanceof AppError
          ? error
          : new AppError('internal_error', 'The operation could not be committed; nothing was charged. Retry it with the same idempotency key.', {}, error),
    };
  }

  afterCommit(ops: MeterOp[], results: MeterResult[], info: BatchInfo, commit_ms: number): void {
    this.rememberAccounts(results);
    this.counts.late_settlements_in_window += info.counts.late_settlements_in_window;
    this.counts.late_settlements_after_window += info.counts.late_settlements_after_window;
    this.counts.settlements_beyond_hold += info.counts.settlements_beyond_hold;
    this.onCommit?.({ ops: ops.length, commit_ms, counts: info.counts });
  }

  /** One transaction for all of `ops`; one result per op, in order. Throws when nothing was committed. */
  async commit(ops: MeterOp[]): Promise<{ results: MeterResult[]; info: BatchInfo }> {
    const catalog = await this.catalog.get();
    const account_ids = new Set<string>();
    const unknown: string[] = [];
    for (const op of ops) {
      if (op.kind === 'authorize') account_ids.add(op.request.account_id);
      else if (op.kind === 'event') account_ids.add(op.event.account_id);
      else {
        const account_id = this.auth_accounts.get(op.authorization_id);
        if (account_id) account_ids.add(account_id);
        else unknown.push(op.authorization_id);
      }
    }
    if (unknown.length > 0) for (const account_id of (await this.store.authorizationAccounts(unknown)).values()) account_ids.add(account_id);
    try {
      return await this.store.transaction(async (tx) => {
        const now_ms = this.clock.now_ms();
        const batch = new BatchState(tx, catalog, this.ids, now_ms, this.redeemed_micros_per_day_max);
        await batch.load([...account_ids], ops);
        const results = ops.map((op) => batch.apply(op));
        await batch.finish();
        return { results, info: { probe: batch.probe(), counts: batch.counts } };
      });
    } catch (error) {
      if (!(error instanceof CommitOutcomeUnknown)) throw error;
      return this.resolveUnknownCommit(error);
    }
  }

  /**
   * The connection dropped during COMMIT. Whether the batch committed is read back from what it
   * wrote: committed → its answers stand; not committed → it is run again like any failed batch
   * (the throw below); unknowable now → each operation is answered `commit_unknown` (503) with
   * the ids it would have created, so the caller can look them up or retry with its key.
   */
  private async resolveUnknownCommit(error: CommitOutcomeUnknown): Promise<{ results: MeterResult[]; info: BatchInfo }> {
    const value = error.value as { results: MeterResult[]; info: BatchInfo };
    this.engine.report('commit_unknown', error.cause);
    let outcome: boolean;
    try {
      outcome = await this.store.meterBatchCommitted(value.info.probe);
    } catch (read_error) {
      this.engine.report('commit_unknown', read_error);
      const results = value.results.map((r): MeterResult => {
        const id = !r.ok ? null : r.kind === 'authorization' ? r.authorization.id : r.record.id;
        return {
          ok: false,
          error: new AppError(
            'commit_unknown',
            `The database connection was lost while this operation was being committed, and whether it was committed cannot be told yet.${id ? ` Look up ${id}, or retry` : ' Retry'} with the same idempotency key (or event id) in a moment: a retry is answered from what was recorded.`,
            { id, retry_after_s: limits.meter_retry_after_s },
          ),
        };
      });
      return { results, info: value.info };
    }
    if (!outcome) throw new Error('the batch was not committed (connection lost during COMMIT)');
    return value;
  }

  /** Remembers committed holds' accounts; forgets finished ones (a replay just looks them up). */
  private rememberAccounts(results: MeterResult[]) {
    for (const r of results) {
      if (!r.ok || r.kind !== 'authorization') continue;
      const auth = r.authorization;
      if (auth.status === 'held') {
        this.auth_accounts.set(auth.id, auth.account_id);
        if (this.auth_accounts.size > limits.meter_account_cache_entries_max) this.auth_accounts.delete(this.auth_accounts.keys().next().value!);
      } else {
        this.auth_accounts.delete(auth.id);
      }
    }
  }
}
