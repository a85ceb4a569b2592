// The simulation's independent model of Tokenbank, written from /work/shared/SPEC.md in plain
// code. It must not import src/domain or src/app decision code (a check in simulation.test.ts
// enforces it): only the named bounds of src/domain/limits.ts. Plans and prices are the default
// catalog's figures, written out here; the simulation checks once that the catalog it runs on has
// them. Everything is integer micros and epoch milliseconds.
import { limits } from '../../src/domain/limits';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;
const ROLLING_MS = 5 * HOUR_MS;
const LATE_WINDOW_MS = limits.late_settlement_window_ms;
export const PURCHASE_MIN = limits.purchase_micros_min;
export const PURCHASE_MAX = limits.purchase_micros_max;
const DAILY_CAP = limits.redeemed_micros_per_day_max;
const DEFAULT_LIMIT = limits.spend_limit_micros_default;
const CENT = limits.card_charge_unit_micros;
const RELOAD_ATTEMPTS = limits.reload_attempts_max;

/** SPEC §1.4 default models: micros per million tokens (input, output); cache write 1.25×, cache read 0.1× input. */
export const PRICES: Record<string, { input: number; output: number }> = {
  'claude-haiku-4-5': { input: 1_000_000, output: 5_000_000 },
  'claude-sonnet-4-5': { input: 3_000_000, output: 15_000_000 },
  'claude-opus-4-5': { input: 5_000_000, output: 25_000_000 },
};
export const MODELS = Object.keys(PRICES);
export const FIRST_PARTY = ['web', 'mobile', 'desktop'];
export const THIRD_PARTY = ['claude-code', 'cursor', 'windsurf', 'cline'];

export type WindowKind = 'rolling_5h' | 'weekly' | 'cycle';
export interface PlanSpec {
  paid: boolean;
  per_seat: boolean;
  windows: Array<{ kind: WindowKind; limit: number }>;
}
/** The default catalog's plans (SPEC §1.3: sizes are the operator's choice). */
export const PLANS: Record<string, PlanSpec> = {
  free: { paid: false, per_seat: false, windows: [{ kind: 'rolling_5h', limit: 50_000 }] },
  pro: {
    paid: true,
    per_seat: false,
    windows: [
      { kind: 'rolling_5h', limit: 500_000 },
      { kind: 'weekly', limit: 5_000_000 },
    ],
  },
  max: {
    paid: true,
    per_seat: false,
    windows: [
      { kind: 'rolling_5h', limit: 2_500_000 },
      { kind: 'weekly', limit: 25_000_000 },
    ],
  },
  team: {
    paid: true,
    per_seat: true,
    windows: [
      { kind: 'rolling_5h', limit: 750_000 },
      { kind: 'cycle', limit: 20_000_000 },
    ],
  },
};

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/** round_half_up(Σ tokens × price / 10^6), exactly (SPEC §1.1). */
export function cost(model_id: string, u: Usage): number {
  const p = PRICES[model_id]!;
  const sum =
    BigInt(u.input_tokens) * BigInt(p.input) +
    BigInt(u.output_tokens) * BigInt(p.output) +
    BigInt(u.cache_creation_input_tokens) * BigInt((p.input * 5) / 4) +
    BigInt(u.cache_read_input_tokens) * BigInt(p.input / 10);
  const whole = sum / 1_000_000n;
  return Number(sum % 1_000_000n >= 500_000n ? whole + 1n : whole);
}

/** ⌈amount × part / whole⌉ (SPEC §1.4 mixed funding). */
export function ceilShare(amount: number, part: number, whole: number): number {
  return Number((BigInt(amount) * BigInt(part) + BigInt(whole) - 1n) / BigInt(whole));
}

/** Allowance tokens, every multiplier 1: cache reads count 0. */
export const tokensOf = (u: Usage) => u.input_tokens + u.output_tokens + u.cache_creation_input_tokens;

/** anchor + n months, the anchor's day clamped to the month (SPEC example 10). */
function nthCycleStart(anchor_ms: number, n: number): number {
  const a = new Date(anchor_ms);
  const months = a.getUTCMonth() + n;
  const year = a.getUTCFullYear() + Math.floor(months / 12);
  const month = ((months % 12) + 12) % 12;
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return Date.UTC(year, month, Math.min(a.getUTCDate(), last), a.getUTCHours(), a.getUTCMinutes(), a.getUTCSeconds(), a.getUTCMilliseconds());
}

export function cycleOf(anchor_ms: number, now_ms: number): { start_ms: number; end_ms: number } {
  let n = 0;
  while (nthCycleStart(anchor_ms, n + 1) <= now_ms) n += 1;
  return { start_ms: nthCycleStart(anchor_ms, n), end_ms: nthCycleStart(anchor_ms, n + 1) };
}

export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export interface MWindow {
  start: number | null;
  used: number;
  held: number;
}
export interface Mark {
  kind: WindowKind;
  start: number;
}
export type Source = 'allowance' | 'extra_usage' | 'mixed';
export interface Funding {
  source: Source;
  allowance_tokens: number;
  held_micros: number;
  marks: Mark[];
}
export interface MAuth {
  id: string;
  a: number;
  seat: string;
  model: string;
  request: Record<string, unknown>;
  key: string | null;
  funding: Funding;
  status: 'held' | 'settled' | 'released' | 'expired';
  late_counted: boolean;
  expires_at_ms: number;
  settle_usage: Usage | null;
  charged: number | null;
}
export interface MGrant {
  id: string;
  remaining: number;
  expires_at_ms: number | null;
}
export interface MReload {
  amount: number;
  attempts: number;
  created_ms: number;
  next_attempt_ms: number | null;
  declines: boolean;
}
export interface MAccount {
  id: string;
  plan: string;
  seats: number;
  anchor_ms: number;
  cancel_at_ms: number | null;
  enabled: boolean;
  limit: number | null;
  reload: { enabled: boolean; amount: number | null; threshold: number | null };
  /** Whether the default card declines (the newest card added is the default). */
  default_declines: boolean;
  card_visa: string;
  card_declined: string;
  purchased: number;
  grants: MGrant[];
  held: number;
  late_held: number;
  spent: Map<number, number>;
  redeemed: Map<string, number>;
  reload_in_flight: boolean;
  reloads: MReload[];
  last_reload: { type: string; reason: string | null } | null;
  windows: Map<string, Map<WindowKind, MWindow>>;
  /** User ids of the members (the owner first). */
  members: string[];
  /** Succeeded purchases and reloads, oldest first: what refunds return. */
  purchases: Array<{ amount: number; refunded: number }>;
  /** Cycle starts in which spent + held may pass the limit by what SPEC §1.6/§1.8 allows. */
  excused: Set<number>;
  /** The limit was lowered below what was already spent and held: until those holds finish, the total may stay above it. */
  lowered_below_holds: boolean;
}

export type Expect<T> = { ok: true; value: T } | { ok: false; type: string };
const refuse = (type: string): { ok: false; type: string } => ({ ok: false, type });

export class Model {
  readonly accounts: MAccount[] = [];
  readonly auths = new Map<string, MAuth>();

  // ---- reads --------------------------------------------------------------------------------

  /** SPEC §1.6: spent + held + late holds within the limit, unless this cycle had one of the documented exceptions. */
  capHolds(acc: MAccount, now: number): boolean {
    if (acc.lowered_below_holds && acc.held + acc.late_held === 0) acc.lowered_below_holds = false;
    if (acc.limit === null || acc.lowered_below_holds || acc.excused.has(cycleOf(acc.anchor_ms, now).start_ms)) return true;
    return this.spent(acc, now) + acc.held + acc.late_held <= acc.limit;
  }

  status(acc: MAccount, now: number): 'active' | 'canceling' | 'lapsed' {
    if (acc.cancel_at_ms === null) return 'active';
    return now >= acc.cancel_at_ms ? 'lapsed' : 'canceling';
  }
  extraAllowed(acc: MAccount, now: number): boolean {
    return PLANS[acc.plan]!.paid && this.status(acc, now) !== 'lapsed';
  }
  promotional(acc: MAccount, now: number): number {
    return acc.grants.filter((g) => g.remaining > 0 && (g.expires_at_ms === null || now < g.expires_at_ms)).reduce((s, g) => s + g.remaining, 0);
  }
  balance(acc: MAccount, now: number): number {
    return acc.purchased + this.promotional(acc, now);
  }
  spent(acc: MAccount, now: number): number {
    return acc.spent.get(cycleOf(acc.anchor_ms, now).start_ms) ?? 0;
  }
  redeemedToday(acc: MAccount, now: number): number {
    return acc.redeemed.get(utcDay(now)) ?? 0;
  }
  /** What the promotional column stores: grants not yet swept by the expiry job still count there. */
  storedPromotional(acc: MAccount): number {
    return acc.grants.reduce((s, g) => s + g.remaining, 0);
  }
  refundable(acc: MAccount): number {
    const unrefunded = acc.purchases.reduce((s, p) => s + p.amount - p.refunded, 0);
    const bound = Math.min(acc.purchased - acc.held, unrefunded);
    return Math.max(0, Math.floor(bound / CENT) * CENT);
  }

  private seatWindows(acc: MAccount, seat: string): Map<WindowKind, MWindow> {
    let w = acc.windows.get(seat);
    if (!w) acc.windows.set(seat, (w = new Map()));
    return w;
  }

  /** One window as it stands now: its start, reset, and the counters if they belong to it. */
  windowNow(acc: MAccount, seat: string, spec: { kind: WindowKind; limit: number }, now: number) {
    const state = acc.windows.get(seat)?.get(spec.kind);
    let start: number;
    if (spec.kind === 'cycle') start = cycleOf(acc.anchor_ms, now).start_ms;
    else if (spec.kind === 'weekly') start = acc.anchor_ms + (now < acc.anchor_ms ? 0 : Math.floor((now - acc.anchor_ms) / WEEK_MS)) * WEEK_MS;
    else start = state && state.start !== null && now < state.start + ROLLING_MS ? state.start : now;
    const resets = spec.kind === 'cycle' ? cycleOf(acc.anchor_ms, now).end_ms : start + (spec.kind === 'weekly' ? WEEK_MS : ROLLING_MS);
    const current = state !== undefined && state.start === start;
    const open = spec.kind !== 'rolling_5h' || (state !== undefined && state.start === start);
    return { kind: spec.kind, start, resets, limit: spec.limit, used: current ? state.used : 0, held: current ? state.held : 0, open };
  }
  windowsNow(acc: MAccount, seat: string, now: number) {
    if (this.status(acc, now) === 'lapsed') return [];
    return PLANS[acc.plan]!.windows.map((spec) => this.windowNow(acc, seat, spec, now));
  }
  room(acc: MAccount, seat: string, now: number): { room: number; marks: Mark[]; any: boolean } {
    const views = this.windowsNow(acc, seat, now);
    const room = views.length === 0 ? 0 : Math.min(...views.map((v) => Math.max(0, v.limit - v.used - v.held)));
    return { room, marks: views.map((v) => ({ kind: v.kind, start: v.start })), any: views.length > 0 };
  }

  // ---- metering -----------------------------------------------------------------------------

  /** The first extra-usage refusal for a hold of `hold` micros (SPEC §1.6, §1.8), or null. */
  private extraRefusal(acc: MAccount, hold: number, now: number): string | null {
    if (acc.purchased < 0) return 'negative_balance';
    if (this.balance(acc, now) - acc.held < hold) return 'insufficient_balance';
    if (acc.limit !== null && this.spent(acc, now) + acc.held + acc.late_held + hold > acc.limit) return 'spend_limit_reached';
    return null;
  }

  /** Who pays an authorization, or why it is refused (SPEC §1.4, in its order). */
  decideAuthorize(acc: MAccount, seat: string, app: string, model: string, input: number, max_output: number, now: number): Expect<Funding> {
    const max_cost = cost(model, { input_tokens: input, output_tokens: max_output, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
    const total = input + max_output;
    const extra_ok = this.extraAllowed(acc, now);
    if (THIRD_PARTY.includes(app)) {
      if (!extra_ok) return refuse('plan_required');
      if (!acc.enabled || (this.balance(acc, now) <= 0 && acc.purchased >= 0)) return refuse('extra_usage_required');
      const problem = this.extraRefusal(acc, max_cost, now);
      return problem ? refuse(problem) : { ok: true, value: { source: 'extra_usage', allowance_tokens: 0, held_micros: max_cost, marks: [] } };
    }
    if (this.status(acc, now) === 'lapsed') return refuse('plan_required');
    const { room, marks } = this.room(acc, seat, now);
    if (room >= total) return { ok: true, value: { source: 'allowance', allowance_tokens: total, held_micros: 0, marks } };
    if (!extra_ok || !acc.enabled) return refuse('allowance_exhausted');
    const extra = room > 0 ? ceilShare(max_cost, total - room, total) : max_cost;
    const problem = this.extraRefusal(acc, extra, now);
    if (problem) return refuse(problem);
    return room > 0
      ? { ok: true, value: { source: 'mixed', allowance_tokens: room, held_micros: extra, marks } }
      : { ok: true, value: { source: 'extra_usage', allowance_tokens: 0, held_micros: extra, marks: [] } };
  }

  /** Places a hold decided by decideAuthorize. */
  hold(auth: MAuth, now: number): void {
    const acc = this.accounts[auth.a]!;
    acc.held += auth.funding.held_micros;
    const windows = this.seatWindows(acc, auth.seat);
    for (const mark of auth.funding.marks) {
      const w = roll(windows, mark);
      w.held += auth.funding.allowance_tokens;
    }
    this.auths.set(auth.id, auth);
    this.afterChange(acc, now);
  }

  private unhold(acc: MAccount, auth: MAuth): void {
    acc.held -= auth.funding.held_micros;
    const windows = this.seatWindows(acc, auth.seat);
    for (const mark of auth.funding.marks) {
      const w = windows.get(mark.kind);
      if (w && w.start === mark.start) w.held -= auth.funding.allowance_tokens;
    }
  }

  /** Real usage under a funding decision: the extra usage it costs and the allowance tokens it takes. */
  charge(funding: Pick<Funding, 'source' | 'allowance_tokens'>, model: string, u: Usage): { cost: number; extra: number; allowance: number } {
    const c = cost(model, u);
    const t = tokensOf(u);
    if (funding.source === 'allowance') return { cost: c, extra: 0, allowance: t };
    if (funding.source === 'extra_usage') return { cost: c, extra: c, allowance: 0 };
    const from = Math.min(t, funding.allowance_tokens);
    return { cost: c, extra: t === 0 ? c : ceilShare(c, t - from, t), allowance: from };
  }

  /** Writes a charge: allowance into the hold's windows (if they are still open), extra usage into spend and the wallet. */
  private applyCharge(acc: MAccount, seat: string, marks: Mark[], ch: { extra: number; allowance: number }, now: number): void {
    if (ch.allowance > 0) {
      const windows = this.seatWindows(acc, seat);
      for (const mark of marks) {
        const w = windows.get(mark.kind);
        if (w && w.start !== null && w.start > mark.start) continue; // that window has closed: the usage is past
        roll(windows, mark).used += ch.allowance;
      }
    }
    if (ch.extra === 0) return;
    const cycle = cycleOf(acc.anchor_ms, now).start_ms;
    acc.spent.set(cycle, (acc.spent.get(cycle) ?? 0) + ch.extra);
    // SPEC §1.5: promotional first, soonest-expiring first (no expiry last), then purchased.
    let left = ch.extra;
    const live = acc.grants
      .filter((g) => g.remaining > 0 && (g.expires_at_ms === null || now < g.expires_at_ms))
      .sort((x, y) => (x.expires_at_ms ?? Number.MAX_SAFE_INTEGER) - (y.expires_at_ms ?? Number.MAX_SAFE_INTEGER) || (x.id < y.id ? -1 : 1));
    for (const g of live) {
      const take = Math.min(left, g.remaining);
      g.remaining -= take;
      left -= take;
    }
    acc.purchased -= left;
  }

  /** Settles a held or expired hold; answers what it charged. */
  settle(auth: MAuth, u: Usage, now: number): { charged: number; allowance: number } {
    const acc = this.accounts[auth.a]!;
    const counted = auth.status === 'held' || auth.late_counted;
    if (auth.status === 'held') this.unhold(acc, auth);
    if (auth.late_counted) {
      acc.late_held -= auth.funding.held_micros;
      auth.late_counted = false;
    }
    const ch = this.charge(auth.funding, auth.model, u);
    // A settlement beyond its hold, or of a hold the limit no longer counted, may pass the limit (§1.6, §1.8).
    if (ch.extra > auth.funding.held_micros || (!counted && ch.extra > 0)) acc.excused.add(cycleOf(acc.anchor_ms, now).start_ms);
    this.applyCharge(acc, auth.seat, auth.funding.marks, ch, now);
    Object.assign(auth, { status: 'settled', settle_usage: u, charged: ch.extra });
    this.afterChange(acc, now);
    return { charged: ch.extra, allowance: ch.allowance };
  }

  release(auth: MAuth, now: number): void {
    const acc = this.accounts[auth.a]!;
    this.unhold(acc, auth);
    auth.status = 'released';
    this.afterChange(acc, now);
  }

  /** The hold-expiry job: holds past their TTL expire, late-settlement windows that ended close. */
  expireHolds(now: number): number {
    let expired = 0;
    // In expiry order, as the job takes them (the simulation never gives one account two holds expiring at one instant).
    const due = [...this.auths.values()].filter((x) => x.status === 'held' && x.expires_at_ms <= now).sort((x, y) => x.expires_at_ms - y.expires_at_ms);
    for (const auth of due) {
      const acc = this.accounts[auth.a]!;
      {
        this.unhold(acc, auth);
        auth.status = 'expired';
        auth.late_counted = auth.funding.held_micros > 0;
        acc.late_held += auth.funding.held_micros;
        expired += 1;
        this.afterChange(acc, now);
      }
    }
    for (const auth of this.auths.values()) {
      if (auth.late_counted && auth.expires_at_ms + LATE_WINDOW_MS <= now) {
        const acc = this.accounts[auth.a]!;
        acc.late_held -= auth.funding.held_micros;
        auth.late_counted = false;
        this.afterChange(acc, now);
      }
    }
    return expired;
  }

  /** A usage event without a hold: never refused (SPEC §1.8). */
  event(acc: MAccount, seat: string, app: string, model: string, u: Usage, now: number): { source: Source; cost: number; extra: number; allowance: number } {
    let funding: Funding;
    const t = tokensOf(u);
    if (THIRD_PARTY.includes(app)) funding = { source: 'extra_usage', allowance_tokens: 0, held_micros: 0, marks: [] };
    else {
      const { room, marks, any } = this.room(acc, seat, now);
      const extra_on = this.extraAllowed(acc, now) && acc.enabled;
      // When the allowance cannot cover it and extra usage is off, the allowance takes it (over its limit).
      if (room >= t || (!extra_on && any)) funding = { source: 'allowance', allowance_tokens: t, held_micros: 0, marks };
      else if (room > 0) funding = { source: 'mixed', allowance_tokens: room, held_micros: 0, marks };
      else funding = { source: 'extra_usage', allowance_tokens: 0, held_micros: 0, marks: [] };
    }
    const ch = this.charge(funding, model, u);
    if (ch.extra > 0) acc.excused.add(cycleOf(acc.anchor_ms, now).start_ms);
    this.applyCharge(acc, seat, funding.marks, ch, now);
    this.afterChange(acc, now);
    return { source: funding.source, ...ch };
  }

  /** SPEC §1.7: after any hold, settlement or event, auto-reload fires, is skipped with a reason, or does nothing. */
  afterChange(acc: MAccount, now: number): void {
    const r = acc.reload;
    if (!r.enabled || r.amount === null || r.threshold === null) return;
    if (this.balance(acc, now) - acc.held >= r.threshold) return;
    let reason: string | null = null;
    if (!acc.enabled || !this.extraAllowed(acc, now)) reason = 'extra_usage_off';
    else if (acc.reload_in_flight) reason = 'in_flight';
    else if (this.redeemedToday(acc, now) + r.amount > DAILY_CAP) reason = 'daily_cap';
    else if (acc.limit !== null && this.spent(acc, now) + r.amount > acc.limit) reason = 'limit';
    if (reason === null) {
      acc.reload_in_flight = true;
      addRedeemed(acc, now, r.amount);
      acc.reloads.push({ amount: r.amount, attempts: 0, created_ms: now, next_attempt_ms: null, declines: acc.default_declines });
      return;
    }
    if (acc.last_reload?.type === 'skipped' && acc.last_reload.reason === reason) return;
    acc.last_reload = { type: 'skipped', reason };
  }

  /** The payment worker: charges due reloads; a decline is retried with backoff, then auto-reload turns off. */
  chargeReloads(now: number): number {
    let charged = 0;
    for (const acc of this.accounts) {
      for (const p of acc.reloads) {
        if (p.next_attempt_ms !== null && p.next_attempt_ms > now) continue;
        charged += 1;
        p.attempts += 1;
        if (!p.declines) {
          acc.purchased += p.amount;
          acc.purchases.push({ amount: p.amount, refunded: 0 });
          acc.reload_in_flight = false;
          acc.last_reload = { type: 'succeeded', reason: null };
          p.attempts = -1;
        } else if (p.attempts >= RELOAD_ATTEMPTS) {
          releaseRedeemed(acc, p.created_ms, p.amount);
          acc.reload_in_flight = false;
          acc.reload.enabled = false;
          acc.last_reload = { type: 'failed', reason: 'card_declined' };
          p.attempts = -1;
        } else p.next_attempt_ms = now + limits.reload_backoff_ms_base * 4 ** (p.attempts - 1);
      }
      acc.reloads = acc.reloads.filter((p) => p.attempts >= 0);
    }
    return charged;
  }

  // ---- money in and settings ------------------------------------------------------------------

  /** A manual purchase: bounds, whole cents, paid plan, the day's cap; then the card. */
  purchase(acc: MAccount, amount: number, declines: boolean, now: number): Expect<number> {
    if (amount < PURCHASE_MIN || amount > PURCHASE_MAX || amount % CENT !== 0) return refuse('invalid_request');
    if (!this.extraAllowed(acc, now)) return refuse('plan_required');
    if (this.redeemedToday(acc, now) + amount > DAILY_CAP) return refuse('daily_cap_reached');
    if (declines) return refuse('card_declined');
    addRedeemed(acc, now, amount);
    acc.purchased += amount;
    acc.purchases.push({ amount, refunded: 0 });
    return { ok: true, value: this.balance(acc, now) };
  }

  grant(acc: MAccount, id: string, amount: number, expires_at_ms: number | null): void {
    acc.grants.push({ id, remaining: amount, expires_at_ms });
  }

  expireGrants(now: number): void {
    for (const acc of this.accounts) for (const g of acc.grants) if (g.expires_at_ms !== null && g.expires_at_ms <= now) g.remaining = 0;
  }

  /** PATCH extra-usage: enabling without a limit sets the $50 default (SPEC §1.6); auto-reload on needs amount and threshold. */
  settings(
    acc: MAccount,
    change: { enabled?: boolean; limit?: number | null; reload?: { enabled?: boolean; amount?: number; threshold?: number } },
    now: number,
  ): Expect<null> {
    const r = change.reload;
    if (r?.amount !== undefined && (r.amount < PURCHASE_MIN || r.amount > PURCHASE_MAX || r.amount % CENT !== 0)) return refuse('invalid_request');
    const next = { enabled: acc.enabled, limit: acc.limit, reload: { ...acc.reload } };
    if (change.enabled === true && !acc.enabled && change.limit === undefined && acc.limit === null) next.limit = DEFAULT_LIMIT;
    if (change.enabled !== undefined) next.enabled = change.enabled;
    if (change.limit !== undefined) next.limit = change.limit;
    if (r?.amount !== undefined) next.reload.amount = r.amount;
    if (r?.threshold !== undefined) next.reload.threshold = r.threshold;
    if (r?.enabled !== undefined) next.reload.enabled = r.enabled;
    if (next.reload.enabled && (next.reload.amount === null || next.reload.threshold === null)) return refuse('invalid_request');
    // A lowered limit may leave spent + held above it: the cap binds new holds, not old ones.
    if (next.limit !== null && this.spent(acc, now) + acc.held + acc.late_held > next.limit) {
      acc.excused.add(cycleOf(acc.anchor_ms, now).start_ms);
      if (acc.held + acc.late_held > 0) acc.lowered_below_holds = true;
    }
    Object.assign(acc, next);
    return { ok: true, value: null };
  }

  /**
   * PUT subscription: a lapsed account starts a new subscription now; a cancellation is withdrawn.
   * A per-seat plan never gets fewer seats than the account has members (refused, nothing changes).
   */
  changePlan(acc: MAccount, plan: string, seats: number | undefined, now: number): Expect<null> {
    const next_seats = PLANS[plan]!.per_seat ? (seats ?? acc.seats) : 1;
    if (PLANS[plan]!.per_seat && next_seats < acc.members.length) return refuse('conflict');
    if (this.status(acc, now) === 'lapsed') acc.anchor_ms = now;
    acc.plan = plan;
    acc.seats = next_seats;
    acc.cancel_at_ms = null;
    return { ok: true, value: null };
  }

  cancel(acc: MAccount, now: number): Expect<null> {
    if (this.status(acc, now) === 'lapsed') return refuse('conflict');
    acc.cancel_at_ms = cycleOf(acc.anchor_ms, now).end_ms;
    return { ok: true, value: null };
  }

  /** A refund of unspent purchased credits, newest purchases first (SPEC §1.5). */
  refund(acc: MAccount, amount: number | null): Expect<number> {
    if (amount !== null && amount % CENT !== 0) return refuse('invalid_request');
    const bound = this.refundable(acc);
    const take_total = amount ?? bound;
    if (take_total === 0 || take_total > bound) return refuse('refund_exceeds_refundable');
    let left = take_total;
    for (const p of [...acc.purchases].reverse()) {
      const take = Math.min(left, p.amount - p.refunded);
      p.refunded += take;
      left -= take;
    }
    acc.purchased -= take_total;
    return { ok: true, value: take_total };
  }

  /** Accepting an invitation needs a free seat on a per-seat plan. */
  join(acc: MAccount, user_id: string): Expect<null> {
    if (acc.members.includes(user_id)) return refuse('conflict');
    if (PLANS[acc.plan]!.per_seat && acc.members.length >= acc.seats) return refuse('conflict');
    acc.members.push(user_id);
    return { ok: true, value: null };
  }

  /** A member leaves: someone not a member is not found; the owner (the only one) cannot. Their seat's windows stay, should they join again. */
  leave(acc: MAccount, user_id: string): Expect<null> {
    if (!acc.members.includes(user_id)) return refuse('not_found');
    if (acc.members[0] === user_id) return refuse('conflict');
    acc.members = acc.members.filter((u) => u !== user_id);
    return { ok: true, value: null };
  }
}

/** The window the mark names, its counters reset when they belonged to an earlier one. */
function roll(windows: Map<WindowKind, MWindow>, mark: Mark): MWindow {
  let w = windows.get(mark.kind);
  if (!w) windows.set(mark.kind, (w = { start: null, used: 0, held: 0 }));
  if (w.start !== mark.start) Object.assign(w, { start: mark.start, used: 0, held: 0 });
  return w;
}

function addRedeemed(acc: MAccount, now: number, amount: number): void {
  acc.redeemed.set(utcDay(now), (acc.redeemed.get(utcDay(now)) ?? 0) + amount);
}

/** A failed reload gives its day's cap back, if that day is still the one counted. */
function releaseRedeemed(acc: MAccount, reserved_ms: number, amount: number): void {
  const day = utcDay(reserved_ms);
  if (acc.redeemed.has(day)) acc.redeemed.set(day, acc.redeemed.get(day)! - amount);
}
