// One simulation run (a seed on a fresh database) and the shrinking of a failing one: replay
// shorter prefixes and sequences with rounds, scripts and global steps dropped, each on a fresh
// database, keeping every reduction that still fails.
import type { Engine } from '../fixtures/databases';
import { FaultyDb, type FaultKind } from './faults';
import { round, stepsOf, type Round } from './ops';
import { Prng } from './prng';
import { Sim, type SimStats } from './runner';
import { SimFailure } from './checks';
import { ORGS } from './org-scripts';

export const ACCOUNTS = 10;
export const STEPS_PER_SCRIPT_MAX = 14;
/** Every run starts at a month's end, so the first cycles clamp their day (SPEC example 10). */
const START_MS = Date.UTC(2027, 0, 31, 12, 0, 0);

export interface RunResult {
  seed: number;
  steps: number;
  rounds: number;
  faults: Partial<Record<FaultKind, number>>;
  stats: SimStats;
  duration_ms: number;
  failure: { round: number; message: string } | null;
  /** The rounds that ran (all of them, or up to the failing one). */
  sequence: Round[];
}

/** The rounds of a seed until `steps` steps, drawn before anything runs. */
export function roundsOf(seed: number, steps: number): Round[] {
  const r = new Prng(seed);
  const out: Round[] = [];
  for (let n = 0; n < steps;) {
    const rd = round(r, ACCOUNTS, ORGS, STEPS_PER_SCRIPT_MAX);
    out.push(rd);
    n += stepsOf(rd);
  }
  return out;
}

/** Runs `rounds` on a fresh database of `engine`; stops at the first difference from the model. */
export async function run(engine: Engine, seed: number, rounds: Round[]): Promise<RunResult> {
  const started = performance.now();
  const db = new FaultyDb(await engine.open());
  const sim = new Sim(db, `s${(seed >>> 0).toString(36)}x`, START_MS);
  const checks = new Prng(seed ^ 0xc0ffee);
  let failure: RunResult['failure'] = null;
  let index = -1;
  try {
    await sim.setup(ACCOUNTS, seed);
    for (index = 0; index < rounds.length; index++) await sim.round(rounds[index]!, index, checks);
    index = rounds.length - 1;
    await sim.check(true);
  } catch (error) {
    const message =
      error instanceof SimFailure ? `${error.message}\n  at ${error.stack?.split('\n').slice(1, 3).join(' ')}` : String((error as Error)?.stack ?? error);
    failure = { round: Math.max(0, index), message };
  } finally {
    await db.close().catch(() => undefined);
  }
  return {
    seed,
    steps: sim.stats.steps,
    rounds: sim.stats.rounds,
    faults: sim.faultCounts(),
    stats: sim.stats,
    duration_ms: performance.now() - started,
    failure,
    sequence: failure ? rounds.slice(0, failure.round + 1) : rounds,
  };
}

/** A shorter sequence that still fails, found within `budget_ms`. */
export async function shrink(engine: Engine, seed: number, failing: Round[], budget_ms: number): Promise<{ rounds: Round[]; message: string; tries: number }> {
  const deadline = performance.now() + budget_ms;
  let best = failing;
  let message = '';
  let tries = 0;
  const fails = async (candidate: Round[]) => {
    if (performance.now() > deadline) return false;
    tries += 1;
    const result = await run(engine, seed, candidate);
    if (!result.failure) return false;
    best = result.sequence;
    message = result.failure.message;
    return true;
  };
  // Whole rounds, in chunks from half the sequence down to one.
  for (let size = Math.max(1, Math.floor(best.length / 2)); size >= 1; size = Math.floor(size / 2)) {
    for (let at = 0; at + size <= best.length - 1;) {
      if (!(await fails([...best.slice(0, at), ...best.slice(at + size)]))) at += size;
    }
    if (performance.now() > deadline) break;
  }
  // Then the scripts and global steps of the rounds that are left.
  for (let i = 0; i < best.length && performance.now() < deadline; i++) {
    for (let s = best[i]!.scripts.length - 1; s >= 0; s--) {
      const rd = best[i]!;
      await fails(best.map((x, k) => (k === i ? { ...rd, scripts: rd.scripts.filter((_, j) => j !== s) } : x)));
    }
    for (let g = best[i]!.global.length - 1; g >= 0; g--) {
      const rd = best[i]!;
      await fails(best.map((x, k) => (k === i ? { ...rd, global: rd.global.filter((_, j) => j !== g) } : x)));
    }
  }
  return { rounds: best, message, tries };
}
