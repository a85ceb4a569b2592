// Workload 1: authorize + settle pairs through the library (the Tokenbank facade, no rate
// limiter). Closed loop: `concurrency` clients each authorize, wait for the commit, settle, wait
// for that commit, and start again; a pair counts when its settlement is acknowledged inside the
// measured window. Every acknowledgement comes after the batch's COMMIT.
import { AppError } from '../../src/domain/refusals';
import type { BenchBank } from '../lib/setup';
import { percentile, round, sleep } from '../lib/stats';

/** One request as the gateway would send it: Haiku, 100 input tokens, up to 100 output. */
export const PAIR_REQUEST = { model: 'claude-haiku-4-5', input_tokens: 100, max_output_tokens: 100 } as const;
export const PAIR_USAGE = { input_tokens: 100, output_tokens: 50 } as const;
// Half first-party (allowance, then overflow to extra usage), half third-party (extra usage only).
export const PAIR_APPS = ['web', 'claude-code'] as const;

export interface PairsResult {
  pairs_per_s: number;
  pairs: number;
  seconds: number;
  concurrency: number;
  pair_latency_ms_p50: number;
  pair_latency_ms_p99: number;
  refusals: Record<string, number>;
  batches: number;
  ops_per_batch_avg: number;
  batch_commit_ms_avg: number;
}

export async function runPairs(options: { bank: BenchBank; pick: () => string; concurrency: number; warmup_s: number; measure_s: number; run_id: string }): Promise<PairsResult> {
  const { tb } = options.bank;
  let measuring = false;
  let stopped = false;
  let pairs = 0;
  let sequence = 0;
  const latencies: number[] = [];
  const refusals: Record<string, number> = {};
  let commit_ms_sum = 0;
  let commits = 0;
  const previous_on_commit = tb.meter.onCommit;
  tb.meter.onCommit = (info) => {
    if (measuring) {
      commit_ms_sum += info.commit_ms;
      commits += 1;
    }
    previous_on_commit?.(info);
  };

  const client = async () => {
    while (!stopped) {
      const n = ++sequence;
      const started = performance.now();
      try {
        const auth = await tb.authorize({ account_id: options.pick(), app: PAIR_APPS[n % 2]!, ...PAIR_REQUEST }, `${options.run_id}-${n}`);
        await tb.settle(auth.id, PAIR_USAGE);
        if (measuring) {
          pairs += 1;
          latencies.push(performance.now() - started);
        }
      } catch (error) {
        const type = error instanceof AppError ? error.type : `exception: ${(error as Error).message}`.slice(0, 200);
        refusals[type] = (refusals[type] ?? 0) + 1;
        // A refusal must not turn the loop into a busy spin.
        await sleep(1);
      }
    }
  };

  const clients = Array.from({ length: options.concurrency }, () => client());
  await sleep(options.warmup_s * 1000);
  const batches_before = tb.meter.stats.batches;
  const ops_before = tb.meter.stats.ops;
  measuring = true;
  const started = performance.now();
  await sleep(options.measure_s * 1000);
  measuring = false;
  const seconds = (performance.now() - started) / 1000;
  const batches = tb.meter.stats.batches - batches_before;
  const ops = tb.meter.stats.ops - ops_before;
  stopped = true;
  await Promise.all(clients);
  await tb.meter.drain();
  tb.meter.onCommit = previous_on_commit;
  return {
    pairs_per_s: round(pairs / seconds),
    pairs,
    seconds: round(seconds, 2),
    concurrency: options.concurrency,
    pair_latency_ms_p50: round(percentile(latencies, 50), 1),
    pair_latency_ms_p99: round(percentile(latencies, 99), 1),
    refusals,
    batches,
    ops_per_batch_avg: round(batches === 0 ? 0 : ops / batches, 1),
    batch_commit_ms_avg: round(commits === 0 ? 0 : commit_ms_sum / commits, 2),
  };
}
