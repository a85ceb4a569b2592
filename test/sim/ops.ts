// The simulation's operations, drawn from the seeded PRNG before anything runs: abstract choices
// ("settle the n-th hold of account 2 at 130% of its output") that the runner resolves against
// the model's state when it applies them, so a sequence with steps dropped still makes sense
// (that is what shrinking needs).
//
// A round is a few global steps (clock, jobs, an armed fault, a restart) and then, at once, one
// script per account. Every operation of a round is sent concurrently, so group commit batches
// them; one account's script is either metering requests that share its lane (authorizations and
// events, sent in order), or requests on one hold (settle, duplicate and reordered deliveries),
// or one other use case. Scripts of different accounts cannot interfere.
import { FAULT_KINDS } from './faults';
import { DAY_MS, HOUR_MS, PURCHASE_MAX, PURCHASE_MIN, type Usage } from './model';
import { orgScript, type OrgScript } from './org-ops';
import type { Prng } from './prng';

export type MeterStep =
  | {
      kind: 'authorize';
      third: boolean;
      app: number;
      model: number;
      input: number;
      max_output: number;
      ttl_ms: number;
      keyed: boolean;
      dup: boolean;
      user: number;
    }
  | { kind: 'event'; third: boolean; app: number; model: number; usage: Usage; back_ms: number; dup: 'new' | 'twice' | 'different'; user: number }
  | { kind: 'replay_authorize'; pick: number; same: boolean }
  | { kind: 'replay_event'; pick: number };
export type HoldStep =
  | { kind: 'settle'; input_pct: number; output_pct: number; cache_write: number; cache_read: number }
  | { kind: 'settle_again'; same: boolean }
  | { kind: 'release' };
export type SingleStep =
  | { kind: 'purchase'; amount: number; declined: boolean }
  | { kind: 'purchase_retry'; pick: number; same: boolean }
  | { kind: 'grant'; amount: number; expires_in_ms: number | null }
  | {
      kind: 'settings';
      enabled: boolean | null;
      limit: { set: false } | { set: true; value: number | null };
      reload: null | { enabled: boolean; amount: number; threshold: number };
    }
  | { kind: 'plan'; plan: 'free' | 'pro' | 'max' | 'team'; seats: number }
  | { kind: 'cancel' }
  | { kind: 'refund'; amount: number | null }
  | { kind: 'seat'; user: number }
  | { kind: 'leave'; user: number }
  | { kind: 'card'; declines: boolean };
export type Script =
  | { kind: 'meter'; a: number; steps: MeterStep[] }
  | { kind: 'hold'; a: number; pick: number; open: boolean; steps: HoldStep[] }
  | { kind: 'single'; a: number; step: SingleStep }
  | OrgScript;
export type GlobalStep =
  | { kind: 'advance'; to: 'small' | 'hold_expiry' | 'hour' | 'rolling' | 'day' | 'week' | 'cycle_end' | 'grant_expiry'; a: number; ms: number }
  | { kind: 'expire_holds' }
  | { kind: 'expire_grants' }
  | { kind: 'charge_reloads' }
  | { kind: 'fault'; fault: (typeof FAULT_KINDS)[number]; statement: number }
  | { kind: 'restart' };
export interface Round {
  global: GlobalStep[];
  scripts: Script[];
}

const centsOf = (micros: number) => micros - (micros % 10_000);

export function usage(r: Prng, big: boolean): Usage {
  return big
    ? { input_tokens: r.int(50_000, 400_000), output_tokens: r.nat(80_000), cache_creation_input_tokens: 0, cache_read_input_tokens: 0 }
    : {
        input_tokens: r.nat(20_000),
        output_tokens: r.nat(20_000),
        cache_creation_input_tokens: r.chance(20) ? r.nat(5_000) : 0,
        cache_read_input_tokens: r.chance(20) ? r.nat(50_000) : 0,
      };
}

/** One step of a meter script: all authorizations, or all usage events (one call), so they reach the queue in order. */
function meterStep(r: Prng, events: boolean): MeterStep {
  const kind = events ? (r.chance(85) ? 'event' : 'replay_event') : r.chance(92) ? 'authorize' : 'replay_authorize';
  const third = r.chance(45);
  if (kind === 'replay_authorize') return { kind, pick: r.nat(), same: r.chance(75) };
  if (kind === 'replay_event') return { kind, pick: r.nat() };
  if (kind === 'event') {
    const dup = r.weighted([
      [8, 'new'],
      [1, 'twice'],
      [1, 'different'],
    ] as const);
    return { kind, third, app: r.nat(11), model: r.nat(2), usage: usage(r, r.chance(25)), back_ms: r.nat(HOUR_MS), dup, user: r.nat(7) };
  }
  const big = r.chance(30);
  return {
    kind,
    third,
    app: r.nat(11),
    model: r.nat(2),
    input: big ? r.int(20_000, 200_000) : r.nat(20_000),
    max_output: big ? r.int(50_000, 300_000) : r.int(1, 20_000),
    ttl_ms: r.int(1000, HOUR_MS),
    keyed: r.chance(80),
    dup: r.chance(8),
    user: r.nat(7),
  };
}

/** The requests on one hold: settle below, at or above it, settle again, release, release then settle. */
export function holdSteps(r: Prng): HoldStep[] {
  const settle = (): HoldStep => ({
    kind: 'settle',
    input_pct: r.chance(50) ? 100 : r.nat(100),
    // Above 100: more output than the hold covered (SPEC example 6).
    output_pct: r.weighted([
      [2, 100],
      [5, r.nat(100)],
      [2, r.int(101, 200)],
    ] as const),
    cache_write: r.chance(20) ? r.nat(3000) : 0,
    cache_read: r.chance(20) ? r.nat(30_000) : 0,
  });
  const steps = r.weighted<() => HoldStep[]>([
    [8, () => [settle()]],
    [3, () => [{ kind: 'release' }]],
    [2, () => [settle(), { kind: 'settle_again', same: true }]],
    [1, () => [settle(), { kind: 'settle_again', same: false }]],
    [2, () => [{ kind: 'release' }, settle()]],
    [1, () => [settle(), { kind: 'release' }]],
    [1, () => [{ kind: 'settle_again', same: r.chance(50) }]],
  ])();
  return steps;
}

function holdScript(r: Prng, a: number): Script {
  return { kind: 'hold', a, steps: holdSteps(r), pick: r.nat(), open: r.chance(85) };
}

function limitValue(r: Prng): number | null {
  return r.weighted<number | null>([
    [1, null],
    [2, r.nat(2_000_000)],
    [3, r.int(1_000_000, 8_000_000)],
    [1, r.int(8_000_000, 40_000_000)],
  ]);
}

function singleStep(r: Prng): SingleStep {
  const kind = r.weighted([
    [6, 'purchase'],
    [2, 'purchase_retry'],
    [3, 'grant'],
    [4, 'settings'],
    [3, 'plan'],
    [1, 'cancel'],
    [2, 'refund'],
    [1, 'seat'],
    [1, 'leave'],
    [1, 'card'],
  ] as const);
  switch (kind) {
    case 'purchase': {
      const amount = r.weighted<number>([
        [8, centsOf(r.int(PURCHASE_MIN, 40_000_000))],
        [1, centsOf(r.int(1_000_000_000, PURCHASE_MAX))],
        [1, r.pick([PURCHASE_MIN - 10_000, PURCHASE_MAX + 10_000, 7_000_001, PURCHASE_MIN])],
      ]);
      return { kind, amount, declined: r.chance(15) };
    }
    case 'purchase_retry':
      return { kind, pick: r.nat(), same: r.chance(80) };
    case 'grant':
      return { kind, amount: r.int(1, 8_000_000), expires_in_ms: r.chance(60) ? r.int(60_000, 20 * DAY_MS) : null };
    case 'settings':
      return {
        kind,
        enabled: r.weighted<boolean | null>([
          [3, true],
          [1, false],
          [2, null],
        ]),
        limit: r.chance(50) ? { set: true, value: limitValue(r) } : { set: false },
        reload: r.chance(35) ? { enabled: r.chance(75), amount: centsOf(r.int(PURCHASE_MIN, 30_000_000)), threshold: r.int(0, 15_000_000) } : null,
      };
    case 'plan':
      return {
        kind,
        plan: r.weighted([
          [3, 'pro'],
          [1, 'max'],
          [2, 'team'],
          [1, 'free'],
        ] as const),
        seats: r.int(1, 4),
      };
    case 'refund':
      return { kind, amount: r.chance(40) ? null : r.chance(85) ? centsOf(r.int(10_000, 20_000_000)) : r.int(1, 9_999) };
    case 'seat':
    case 'leave':
      return { kind, user: r.nat(7) };
    case 'card':
      return { kind, declines: r.chance(40) };
    default:
      return { kind };
  }
}

function globalSteps(r: Prng, accounts: number): GlobalStep[] {
  const out: GlobalStep[] = [];
  if (r.chance(35)) {
    const to = r.weighted([
      [6, 'small'],
      [3, 'hold_expiry'],
      [2, 'hour'],
      [2, 'rolling'],
      [1, 'day'],
      [1, 'week'],
      [1, 'cycle_end'],
      [1, 'grant_expiry'],
    ] as const);
    out.push({ kind: 'advance', to, a: r.nat(accounts - 1), ms: r.nat(HOUR_MS) });
  }
  if (r.chance(25)) out.push({ kind: 'expire_holds' });
  if (r.chance(8)) out.push({ kind: 'expire_grants' });
  if (r.chance(15)) out.push({ kind: 'charge_reloads' });
  if (r.chance(6)) out.push({ kind: 'fault', fault: r.pick(FAULT_KINDS), statement: r.nat(3) });
  if (r.chance(1)) out.push({ kind: 'restart' });
  return out;
}

/** One round: global steps, then a script for most accounts. */
export function round(r: Prng, accounts: number, orgs: number, steps_per_script_max: number): Round {
  const scripts: Script[] = [];
  for (let a = 0; a < accounts; a++) {
    if (r.chance(15)) continue;
    const kind = r.weighted([
      [12, 'meter'],
      [6, 'hold'],
      [2, 'single'],
    ] as const);
    if (kind === 'meter') {
      const events = r.chance(30);
      scripts.push({ kind, a, steps: Array.from({ length: r.int(1, steps_per_script_max) }, () => meterStep(r, events)) });
    } else if (kind === 'hold') scripts.push(holdScript(r, a));
    else scripts.push({ kind, a, step: singleStep(r) });
  }
  // One script per API organization in most rounds (test/sim/org-ops.ts): a share of the steps, not extra ones.
  for (let o = 0; o < orgs; o++) if (r.chance(60)) scripts.push(orgScript(r, o));
  return { global: globalSteps(r, accounts), scripts };
}

/** The steps one script counts: each request (a single use case is one). */
export function scriptSteps(s: Script): number {
  return s.kind === 'single' || s.kind === 'org_single' ? 1 : s.steps.length;
}

/** Operations a round counts as steps: each request, job run, clock move, fault and restart. */
export function stepsOf(rd: Round): number {
  return rd.global.length + rd.scripts.reduce((s, x) => s + scriptSteps(x), 0);
}
