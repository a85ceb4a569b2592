// The simulation's independent model of API organizations (SPEC §1.2, §1.4, §1.9; docs/orgs.md),
// in plain code like model.ts: it imports no decision code (a check in simulation.test.ts
// enforces it), only the named bounds and model.ts's own arithmetic (prices, cycles, UTC days).
// An org has API credits (purchased and promotional), holds and late holds, spend per calendar
// month against its own limit, and API keys with their own holds, spend and limits; a revoked key
// is refused. Nothing here reads or changes an account: the two pools are apart by construction,
// so every exact comparison of both sides after a round checks that they stayed apart.
import { limits } from '../../src/domain/limits';
import { cost, cycleOf, PURCHASE_MAX, PURCHASE_MIN, utcDay, type Expect, type MGrant, type Usage } from './model';

const LATE_WINDOW_MS = limits.late_settlement_window_ms;
const DAILY_CAP = limits.redeemed_micros_per_day_max;
const CENT = limits.card_charge_unit_micros;

/** The default API tiers' purchase thresholds (docs/orgs.md): $5 → 1, $40 → 2, $200 → 3, $400 → 4. */
export const TIER_MINIMUMS = [0, 5_000_000, 40_000_000, 200_000_000, 400_000_000];

export interface MKey {
  id: string;
  /** '' when it was lost (its creation's answer was unknown): such a key is never used. */
  secret: string;
  limit: number | null;
  held: number;
  late_held: number;
  /** Spend per month start. */
  spent: Map<number, number>;
  revoked: boolean;
}
export interface MOrg {
  id: string;
  /** The 1st of the month it was created in (UTC): its months are calendar months. */
  anchor_ms: number;
  limit: number | null;
  card_visa: string;
  card_declined: string;
  purchased: number;
  grants: MGrant[];
  held: number;
  late_held: number;
  spent: Map<number, number>;
  redeemed: Map<string, number>;
  /** Succeeded purchases in all: what the tier counts. */
  bought: number;
  keys: MKey[];
  /** Month starts in which spent + held may pass a limit by what SPEC §1.6/§1.8 allow. */
  excused: Set<number>;
  lowered_below_holds: boolean;
}
export interface MOrgAuth {
  id: string;
  o: number;
  k: number;
  model: string;
  request: Record<string, unknown>;
  key: string | null;
  held_micros: number;
  status: 'held' | 'settled' | 'released' | 'expired';
  late_counted: boolean;
  expires_at_ms: number;
  settle_usage: Usage | null;
  charged: number | null;
}

const refuse = (type: string): { ok: false; type: string } => ({ ok: false, type });
const exceeds = (spent: number, held: number, hold: number, limit: number | null) => limit !== null && spent + held + hold > limit;

export class OrgModel {
  readonly orgs: MOrg[] = [];
  readonly auths = new Map<string, MOrgAuth>();

  month(org: MOrg, now: number): number {
    return cycleOf(org.anchor_ms, now).start_ms;
  }
  spent(org: MOrg, now: number): number {
    return org.spent.get(this.month(org, now)) ?? 0;
  }
  keySpent(org: MOrg, key: MKey, now: number): number {
    return key.spent.get(this.month(org, now)) ?? 0;
  }
  promotional(org: MOrg, now: number): number {
    return org.grants.filter((g) => g.remaining > 0 && (g.expires_at_ms === null || now < g.expires_at_ms)).reduce((s, g) => s + g.remaining, 0);
  }
  storedPromotional(org: MOrg): number {
    return org.grants.reduce((s, g) => s + g.remaining, 0);
  }
  balance(org: MOrg, now: number): number {
    return org.purchased + this.promotional(org, now);
  }
  tier(org: MOrg): number {
    return TIER_MINIMUMS.filter((min) => org.bought >= min).length - 1;
  }

  /** SPEC §1.6 for the org and each key: spent + held + late holds within the limit, unless this month had a documented exception. */
  capHolds(org: MOrg, now: number): boolean {
    if (org.lowered_below_holds && org.held + org.late_held === 0) org.lowered_below_holds = false;
    if (org.excused.has(this.month(org, now))) return true;
    if (!org.lowered_below_holds && exceeds(this.spent(org, now), org.held + org.late_held, 0, org.limit)) return false;
    return org.keys.every((k) => !exceeds(this.keySpent(org, k, now), k.held + k.late_held, 0, k.limit));
  }

  /** The hold of an API-key request: its largest cost. */
  holdOf(model: string, input: number, max_output: number): number {
    return cost(model, { input_tokens: input, output_tokens: max_output, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
  }

  /** An authorization with key `k`: API credits only; refused in the documented order. */
  decideAuthorize(org: MOrg, k: number, model: string, input: number, max_output: number, now: number): Expect<number> {
    const key = org.keys[k]!;
    if (key.revoked) return refuse('unauthenticated');
    const hold = this.holdOf(model, input, max_output);
    if (org.purchased < 0 || this.balance(org, now) - org.held < hold) return refuse('api_credits_exhausted');
    if (exceeds(this.spent(org, now), org.held + org.late_held, hold, org.limit)) return refuse('spend_limit_reached');
    if (exceeds(this.keySpent(org, key, now), key.held + key.late_held, hold, key.limit)) return refuse('key_limit_reached');
    return { ok: true, value: hold };
  }

  hold(auth: MOrgAuth): void {
    const org = this.orgs[auth.o]!;
    const key = org.keys[auth.k]!;
    org.held += auth.held_micros;
    key.held += auth.held_micros;
    this.auths.set(auth.id, auth);
  }

  /** A charge: the month's spend of the org and the key, promotional credits first (soonest-expiring first), then purchased. */
  private charge(org: MOrg, key: MKey, amount: number, now: number): void {
    const month = this.month(org, now);
    org.spent.set(month, (org.spent.get(month) ?? 0) + amount);
    key.spent.set(month, (key.spent.get(month) ?? 0) + amount);
    let left = amount;
    const live = org.grants
      .filter((g) => g.remaining > 0 && (g.expires_at_ms === null || now < g.expires_at_ms))
      .sort((x, y) => (x.expires_at_ms ?? Number.MAX_SAFE_INTEGER) - (y.expires_at_ms ?? Number.MAX_SAFE_INTEGER) || (x.id < y.id ? -1 : 1));
    for (const g of live) {
      const take = Math.min(left, g.remaining);
      g.remaining -= take;
      left -= take;
    }
    org.purchased -= left;
  }

  settle(auth: MOrgAuth, u: Usage, now: number): number {
    const org = this.orgs[auth.o]!;
    const key = org.keys[auth.k]!;
    const counted = auth.status === 'held' || auth.late_counted;
    if (auth.status === 'held') {
      org.held -= auth.held_micros;
      key.held -= auth.held_micros;
    }
    if (auth.late_counted) {
      org.late_held -= auth.held_micros;
      key.late_held -= auth.held_micros;
      auth.late_counted = false;
    }
    const charged = cost(auth.model, u);
    if (charged > auth.held_micros || (!counted && charged > 0)) org.excused.add(this.month(org, now));
    this.charge(org, key, charged, now);
    Object.assign(auth, { status: 'settled', settle_usage: u, charged });
    return charged;
  }

  release(auth: MOrgAuth): void {
    const org = this.orgs[auth.o]!;
    org.held -= auth.held_micros;
    org.keys[auth.k]!.held -= auth.held_micros;
    auth.status = 'released';
  }

  /** The hold-expiry job: expired holds move to the late holds of the org and the key until their window ends. */
  expireHolds(now: number): void {
    for (const auth of this.auths.values()) {
      const org = this.orgs[auth.o]!;
      const key = org.keys[auth.k]!;
      if (auth.status === 'held' && auth.expires_at_ms <= now) {
        org.held -= auth.held_micros;
        key.held -= auth.held_micros;
        auth.status = 'expired';
        auth.late_counted = auth.held_micros > 0;
        org.late_held += auth.held_micros;
        key.late_held += auth.held_micros;
      }
      if (auth.late_counted && auth.expires_at_ms + LATE_WINDOW_MS <= now) {
        org.late_held -= auth.held_micros;
        key.late_held -= auth.held_micros;
        auth.late_counted = false;
      }
    }
  }

  /** A usage event with key `k`: refused only for a revoked key; never for lack of credits (SPEC §1.8). */
  event(org: MOrg, k: number, model: string, u: Usage, now: number): Expect<number> {
    const key = org.keys[k]!;
    if (key.revoked) return refuse('unauthenticated');
    const c = cost(model, u);
    if (c > 0) org.excused.add(this.month(org, now));
    this.charge(org, key, c, now);
    return { ok: true, value: c };
  }

  purchase(org: MOrg, amount: number, declines: boolean, now: number): Expect<number> {
    if (amount < PURCHASE_MIN || amount > PURCHASE_MAX || amount % CENT !== 0) return refuse('invalid_request');
    const day = utcDay(now);
    if ((org.redeemed.get(day) ?? 0) + amount > DAILY_CAP) return refuse('daily_cap_reached');
    if (declines) return refuse('card_declined');
    org.redeemed.set(day, (org.redeemed.get(day) ?? 0) + amount);
    org.purchased += amount;
    org.bought += amount;
    return { ok: true, value: this.balance(org, now) };
  }

  grant(org: MOrg, id: string, amount: number, expires_at_ms: number | null): void {
    org.grants.push({ id, remaining: amount, expires_at_ms });
  }

  expireGrants(now: number): void {
    for (const org of this.orgs) for (const g of org.grants) if (g.expires_at_ms !== null && g.expires_at_ms <= now) g.remaining = 0;
  }

  /** A new org limit: a limit below what is spent and held binds new holds, not old ones. */
  setLimit(org: MOrg, limit: number | null, now: number): void {
    if (limit !== null && this.spent(org, now) + org.held + org.late_held > limit) {
      org.excused.add(this.month(org, now));
      if (org.held + org.late_held > 0) org.lowered_below_holds = true;
    }
    org.limit = limit;
  }

  revoke(org: MOrg, k: number): void {
    org.keys[k]!.revoked = true;
  }
}
