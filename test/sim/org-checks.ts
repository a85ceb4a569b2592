// What the simulation compares for API organizations after each round: every org's stored wallet
// and every key's counters (one query each), the hard caps of the org and of each key, and one
// org (all of them at the full checks) read through the real read use cases: the org view (credits,
// holds, spend this month, month, limit, tier) and the key list (limits, holds, spend, revoked).
import type { Tokenbank } from '../../src/app/tokenbank';
import { expectEqual, SimFailure } from './checks';
import { cycleOf } from './model';
import type { OrgModel } from './org-model';

const iso = (ms: number) => new Date(ms).toISOString();

/** Every org's stored wallet and keys (read with the accounts' wallets, test/sim/checks.ts) equal the model's; the caps hold. */
export function checkOrgWallets(wallet_of: Map<string, Record<string, unknown>>, om: OrgModel, now: number): void {
  for (const [o, org] of om.orgs.entries()) {
    const row = wallet_of.get(org.id);
    if (!row) throw new SimFailure(`org ${o} (${org.id}) has no wallet`);
    const month = cycleOf(org.anchor_ms, now).start_ms;
    const spent = (row.spent_cycle_start as Date).getTime() === month ? Number(row.spent_cycle_micros) : 0;
    expectEqual(
      [row.purchased_micros, row.promotional_micros, row.held_micros, row.late_held_micros, spent],
      [org.purchased, om.storedPromotional(org), org.held, org.late_held, om.spent(org, now)],
      `org ${o} (${org.id}): the stored wallet (purchased, promotional, held, late held, spent this month) differs from the model`,
    );
    const keys = (typeof row.keys === 'string' ? JSON.parse(row.keys) : (row.keys ?? [])) as Array<Record<string, unknown>>;
    const key_of = new Map(keys.map((r) => [r.id as string, r]));
    expectEqual(keys.length, org.keys.length, `org ${o} (${org.id}): the number of API keys differs from the model`);
    for (const [k, key] of org.keys.entries()) {
      const r = key_of.get(key.id);
      if (!r) throw new SimFailure(`org ${o} key ${k} (${key.id}) is not stored`);
      const key_spent = Date.parse(String(r.spent_month_start)) === month ? Number(r.spent_month_micros) : 0;
      expectEqual(
        [r.monthly_limit_micros, key_spent, r.held_micros, r.late_held_micros, r.revoked],
        [key.limit, om.keySpent(org, key, now), key.held, key.late_held, key.revoked],
        `org ${o} key ${k} (${key.id}): the stored key (limit, spent this month, held, late held, revoked) differs from the model`,
      );
    }
    if (!om.capHolds(org, now)) throw new SimFailure(`org ${o}: spent + held passes the org's or a key's monthly limit with no allowed cause`);
  }
}

/** The org view and the key list of org `o`, read through the use cases. */
export async function checkOrgViews(tb: Tokenbank, om: OrgModel, o: number, now: number): Promise<void> {
  const org = om.orgs[o]!;
  const view = await tb.getOrg(org.id);
  const month = cycleOf(org.anchor_ms, now);
  const balance = om.balance(org, now);
  expectEqual(
    [
      view.credit_balance_micros,
      view.purchased_micros,
      view.promotional_micros,
      view.held_micros,
      view.available_micros,
      view.monthly_limit_micros,
      view.spent_this_month_micros,
      [view.month_start, view.month_end],
      [view.tier.tier, view.tier.purchased_total_micros],
    ],
    [
      balance,
      org.purchased,
      om.promotional(org, now),
      org.held,
      balance - org.held,
      org.limit,
      om.spent(org, now),
      [iso(month.start_ms), iso(month.end_ms)],
      [om.tier(org), org.bought],
    ],
    `org ${o} (${org.id}): the org view (balance, purchased, promotional, held, available, limit, spent, month, tier) differs from the model`,
  );
  const listed = new Map((await tb.listApiKeys(org.id)).map((v) => [v.key.id, v]));
  const actual = org.keys.map((k) => {
    const v = listed.get(k.id);
    return v ? [v.key.monthly_limit_micros, v.spent_this_month_micros, v.key.held_micros, v.key.late_held_micros, v.key.revoked_at_ms !== null] : null;
  });
  const expected = org.keys.map((k) => [k.limit, om.keySpent(org, k, now), k.held, k.late_held, k.revoked]);
  expectEqual([listed.size, actual], [org.keys.length, expected], `org ${o} (${org.id}): the key list differs from the model`);
}
