// The API organizations' operations, drawn from the seeded PRNG with the rest of a round
// (test/sim/ops.ts) and resolved against the model when they run, like the accounts' ones. One
// script per org and round: metering by API key (authorizations, or usage events in one call),
// requests on one of its holds, or one other use case (a credit purchase, a grant, a new key, a
// revocation, a new org limit).
import { DAY_MS, HOUR_MS, PURCHASE_MAX, PURCHASE_MIN, type Usage } from './model';
import { holdSteps, usage, type HoldStep } from './ops';
import type { Prng } from './prng';

export type OrgMeterStep =
  | { kind: 'authorize'; key: number; model: number; input: number; max_output: number; ttl_ms: number; keyed: boolean; dup: boolean }
  | { kind: 'replay_authorize'; pick: number; same: boolean }
  | { kind: 'event'; key: number; model: number; usage: Usage; back_ms: number; dup: 'new' | 'twice' }
  /** The pools stay apart: an org's id as an account_id, or an API key with an account_id too; both are refused. */
  | { kind: 'cross'; how: 'org_as_account' | 'key_and_account' | 'event_org_as_account'; account: number; model: number };
export type OrgSingleStep =
  | { kind: 'purchase'; amount: number; declined: boolean }
  | { kind: 'grant'; amount: number; expires_in_ms: number | null }
  | { kind: 'new_key'; limit: number | null }
  | { kind: 'revoke'; key: number }
  | { kind: 'limit'; value: number | null };
export type OrgScript =
  | { kind: 'org_meter'; o: number; steps: OrgMeterStep[] }
  | { kind: 'org_hold'; o: number; pick: number; open: boolean; steps: HoldStep[] }
  | { kind: 'org_single'; o: number; step: OrgSingleStep };

/** A key number: resolved to a key that is not revoked most of the time, to any key (revoked ones too) otherwise. */
const keyPick = (r: Prng) => r.nat();

/** A key's own monthly limit: none, or a few dollars (so key_limit_reached is met). */
export function keyLimit(r: Prng): number | null {
  return r.chance(40) ? null : r.int(1, 25) * 1_000_000;
}

/** The org's monthly limit: none, low, or generous. */
export function orgLimit(r: Prng): number | null {
  return r.weighted<number | null>([
    [2, null],
    [2, r.int(5, 30) * 1_000_000],
    [1, r.int(30, 150) * 1_000_000],
  ]);
}

function meterStep(r: Prng, events: boolean): OrgMeterStep {
  if (r.chance(4))
    return { kind: 'cross', how: r.pick(['org_as_account', 'key_and_account', 'event_org_as_account'] as const), account: r.nat(), model: r.nat(2) };
  if (events)
    return { kind: 'event', key: keyPick(r), model: r.nat(2), usage: usage(r, r.chance(20)), back_ms: r.nat(HOUR_MS), dup: r.chance(10) ? 'twice' : 'new' };
  if (r.chance(8)) return { kind: 'replay_authorize', pick: r.nat(), same: r.chance(75) };
  const big = r.chance(25);
  return {
    kind: 'authorize',
    key: keyPick(r),
    model: r.nat(2),
    input: big ? r.int(20_000, 200_000) : r.nat(20_000),
    max_output: big ? r.int(50_000, 300_000) : r.int(1, 20_000),
    ttl_ms: r.int(1000, HOUR_MS),
    keyed: r.chance(80),
    dup: r.chance(6),
  };
}

function singleStep(r: Prng): OrgSingleStep {
  const kind = r.weighted([
    [5, 'purchase'],
    [2, 'grant'],
    [2, 'new_key'],
    [1, 'revoke'],
    [3, 'limit'],
  ] as const);
  switch (kind) {
    case 'purchase': {
      const amount = r.weighted<number>([
        [8, r.int(PURCHASE_MIN / 10_000, 30_000_000 / 10_000) * 10_000],
        [1, r.int(1_000_000_000 / 10_000, PURCHASE_MAX / 10_000) * 10_000],
        [1, r.pick([PURCHASE_MIN - 10_000, PURCHASE_MAX + 10_000, 7_000_001])],
      ]);
      return { kind, amount, declined: r.chance(15) };
    }
    case 'grant':
      return { kind, amount: r.int(1, 8_000_000), expires_in_ms: r.chance(60) ? r.int(60_000, 20 * DAY_MS) : null };
    case 'new_key':
      return { kind, limit: keyLimit(r) };
    case 'revoke':
      return { kind, key: keyPick(r) };
    case 'limit':
      return { kind, value: orgLimit(r) };
  }
}

export function orgScript(r: Prng, o: number): OrgScript {
  const kind = r.weighted([
    [10, 'org_meter'],
    [5, 'org_hold'],
    [3, 'org_single'],
  ] as const);
  if (kind === 'org_single') return { kind, o, step: singleStep(r) };
  if (kind === 'org_hold') return { kind, o, steps: holdSteps(r), pick: r.nat(), open: r.chance(85) };
  const events = r.chance(30);
  // Authorizations go one after another (an API key is looked up before its request joins the queue), so these scripts stay short.
  return { kind, o, steps: Array.from({ length: r.int(1, events ? 8 : 4) }, () => meterStep(r, events)) };
}
