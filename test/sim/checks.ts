// What the simulation compares with the model after each round: every account's stored wallet
// (one query), the hard cap, the extra-usage and account views of a few accounts through the
// real read use cases (balances, holds, spend, allowance windows with their resets), and the
// ledger audit.
import type { Tokenbank } from '../../src/app/tokenbank';
import type { Db } from '../../src/store/db';
import { cycleOf, PLANS, type MAccount, type Model } from './model';

export class SimFailure extends Error {
  override name = 'SimFailure';
}

export function expectEqual(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new SimFailure(`${what}\n  expected ${e}\n  actual   ${a}`);
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Every account's stored wallet equals the model's, and spent + held stays within the limit. The
 * same statement reads the API organizations' wallets (`org_ids`) with their keys (json: bigint as
 * numbers, times as text); their rows are answered for test/sim/org-checks.ts.
 */
export async function checkWallets(db: Db, m: Model, now: number, org_ids: string[] = []): Promise<Map<string, Record<string, unknown>>> {
  const ids = [...m.accounts.map((a) => a.id), ...org_ids];
  const rows = await db.query<Record<string, unknown>>(
    `SELECT w.account_id, w.purchased_micros, w.promotional_micros, w.held_micros, w.late_held_micros, w.spent_cycle_micros, w.spent_cycle_start,
            w.reload_in_flight,
            (SELECT json_agg(json_build_object('id', k.id, 'monthly_limit_micros', k.monthly_limit_micros, 'spent_month_micros',
                      k.spent_month_micros, 'spent_month_start', k.spent_month_start, 'held_micros', k.held_micros,
                      'late_held_micros', k.late_held_micros, 'revoked', k.revoked_at IS NOT NULL)) FROM api_keys k WHERE k.org_id = w.account_id) AS keys
       FROM wallets w WHERE w.account_id = ANY($1::text[])`,
    [ids],
  );
  const by_id = new Map(rows.map((r) => [r.account_id as string, r]));
  for (const [a, acc] of m.accounts.entries()) {
    const row = by_id.get(acc.id);
    if (!row) throw new SimFailure(`account ${a} (${acc.id}) has no wallet`);
    const cycle = cycleOf(acc.anchor_ms, now).start_ms;
    const stored_start = (row.spent_cycle_start as Date).getTime();
    const spent = stored_start === cycle ? Number(row.spent_cycle_micros) : 0;
    expectEqual(
      {
        purchased: row.purchased_micros,
        promotional: row.promotional_micros,
        held: row.held_micros,
        late_held: row.late_held_micros,
        spent,
        reload_in_flight: row.reload_in_flight,
      },
      {
        purchased: acc.purchased,
        promotional: m.storedPromotional(acc),
        held: acc.held,
        late_held: acc.late_held,
        spent: m.spent(acc, now),
        reload_in_flight: acc.reload_in_flight,
      },
      `account ${a} (${acc.id}): the stored wallet differs from the model`,
    );
    checkHardCap(m, acc, a, now);
  }
  return new Map(org_ids.map((id) => [id, by_id.get(id)!]));
}

/** SPEC §1.6: spent + held + late holds ≤ limit, unless this cycle had one of the documented exceptions. */
function checkHardCap(m: Model, acc: MAccount, a: number, now: number): void {
  if (m.capHolds(acc, now)) return;
  throw new SimFailure(
    `account ${a}: spent + held ${m.spent(acc, now) + acc.held + acc.late_held} is above the monthly limit ${acc.limit} with no allowed cause`,
  );
}

/** The extra-usage view and the allowance windows of one account, read through the use cases. */
export async function checkViews(tb: Tokenbank, m: Model, a: number, now: number): Promise<void> {
  const acc = m.accounts[a]!;
  const view = await tb.getExtraUsage(acc.id);
  const cycle = cycleOf(acc.anchor_ms, now);
  const balance = m.balance(acc, now);
  expectEqual(
    {
      enabled: view.enabled,
      limit: view.monthly_spend_limit_micros,
      purchased: view.purchased_micros,
      promotional: view.promotional_micros,
      balance: view.balance_micros,
      held: view.held_micros,
      late_held: view.late_held_micros,
      available: view.available_micros,
      spent: view.spent_this_cycle_micros,
      cycle: [view.cycle_start, view.cycle_end],
      plan_status: view.plan_status,
      refundable: view.refundable_micros,
      reload: [view.auto_reload.enabled, view.auto_reload.amount_micros, view.auto_reload.threshold_micros],
      last_reload: view.auto_reload.last_event ? [view.auto_reload.last_event.type, view.auto_reload.last_event.reason] : null,
    },
    {
      enabled: acc.enabled,
      limit: acc.limit,
      purchased: acc.purchased,
      promotional: m.promotional(acc, now),
      balance,
      held: acc.held,
      late_held: acc.late_held,
      available: balance - acc.held,
      spent: m.spent(acc, now),
      cycle: [iso(cycle.start_ms), iso(cycle.end_ms)],
      plan_status: m.status(acc, now),
      refundable: m.refundable(acc),
      reload: [acc.reload.enabled, acc.reload.amount, acc.reload.threshold],
      last_reload: acc.last_reload ? [acc.last_reload.type, acc.last_reload.reason] : null,
    },
    `account ${a} (${acc.id}): the extra-usage view differs from the model`,
  );
  // Who belongs (members join and leave), then the allowance windows of each seat (one seat, '', unless the plan is per seat).
  const members = (await tb.listMembers(acc.id)).map((x) => x.user_id).sort();
  expectEqual(members, [...acc.members].sort(), `account ${a} (${acc.id}): the members differ from the model`);
  const seats = PLANS[acc.plan]!.per_seat ? acc.members.slice(0, 2) : [''];
  for (const seat of seats) {
    const account_view = await tb.getAccountView(acc.id, seat === '' ? null : seat);
    const expected = m
      .windowsNow(acc, seat, now)
      .map((w) => ({ kind: w.kind, used: w.used + w.held, limit: w.limit, resets_at: w.open ? iso(w.resets) : null }));
    const actual = account_view.windows.map((w) => ({ kind: w.kind, used: w.used, limit: w.limit, resets_at: w.resets_at }));
    expectEqual(actual, expected, `account ${a} (${acc.id}) seat "${seat}": the allowance windows differ from the model`);
  }
}

/** The ledger proof (SPEC §1.1): no findings. */
export async function checkAudit(tb: Tokenbank): Promise<void> {
  const audit = await tb.audit();
  if (audit.findings.length > 0) throw new SimFailure(`the audit found ${audit.findings.length} problems:\n${audit.findings.map((f) => f.message).join('\n')}`);
}
