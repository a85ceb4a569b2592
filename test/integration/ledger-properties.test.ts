// Ledger properties (SPEC §1.1, §1.5, §1.6, §1.8): random sequences of purchases (some on a
// declining card), grants (with and without expiry), extra-usage settings, authorizations,
// settlements (some above their hold), releases, expiries, usage events (some with duplicate
// ids) and clock jumps across days and billing cycles, on three accounts, on both engines.
//
// Each step is checked against an independent model written here from the SPEC, not from
// src/: costs (§1.1 one half-up rounding of the exact sum), who pays and every funding refusal in
// the documented order with its figures (the allowance room is the one the account page shows;
// windows themselves are not modelled), mixed shares, draw order (promotional soonest-expiring
// first, then purchased), the spend counter per billing cycle (day clamped), the per-UTC-day
// purchase cap, hold expiry at its instant. After every step every account's extra-usage view
// must equal the model, and spent + held may pass the monthly limit only through what §1.8
// allows (usage events, settlements above their hold, a lowered limit); every few steps and after
// every run the ledger proof (`audit()`) must have no findings. Bursts of concurrent
// authorizations must get exactly the answers one-by-one calls would. Replays (same key and
// body) must change nothing: every account's view and every book's total are compared.
//
// A failure prints fast-check's seed and path. Reproduce one with
//   LEDGER_SEED=<seed> LEDGER_PATH=<path> node --import tsx --test test/integration/ledger-properties.test.ts
// and make a longer hunt with LEDGER_RUNS=<n> LEDGER_OPS=<n> (LEDGER_SHRINK=0: no shrinking).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { assertAuditClean, harness, OPERATOR, type Harness } from '../fixtures/tokenbank';
import { AppError } from '../../src/domain/refusals';
import type { Db } from '../../src/store/db';
import type { AuthorizationRecord } from '../../src/app/ports';
// The pricing arithmetic of the independent model, shared with the simulation's (test/sim/model.ts).
import { ceilShare, cost as expectedCost, FIRST_PARTY, PRICES, THIRD_PARTY, type Usage } from '../sim/model';

/** SPEC §1.6's late-settlement window, as the model knows it: one hour after a hold's expiry. */
const LATE_WINDOW_MS = 60 * 60 * 1000;
/** Card charges are whole cents: an amount rounded down to 10,000 micros. */
const wholeCents = (micros: number) => micros - (micros % 10_000);

const RUNS = Number(process.env.LEDGER_RUNS ?? 25);
const OPS_MAX = Number(process.env.LEDGER_OPS ?? 40);
const ACCOUNTS = 3;

// ---- the independent model -------------------------------------------------------------------

const MODEL_IDS = Object.keys(PRICES);
const HOLD_TTL_DEFAULT_MS = 10 * 60 * 1000;
const PURCHASE_MIN = 5_000_000;
const PURCHASE_MAX = 2_500_000_000;
const DAILY_CAP = 2_000_000_000;
const DEFAULT_LIMIT = 50_000_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Allowance tokens with every multiplier 1: input + output + cache write (cache reads count 0). */
function tokensOf(u: Usage): number {
  return u.input_tokens + u.output_tokens + u.cache_creation_input_tokens;
}

/** The billing cycle holding `now_ms`: monthly from the anchor, day clamped to the month (example 10). */
function cycleOf(anchor_ms: number, now_ms: number): { start_ms: number; end_ms: number } {
  const a = new Date(anchor_ms);
  const nth = (k: number) => {
    const months = a.getUTCMonth() + k;
    const year = a.getUTCFullYear() + Math.floor(months / 12);
    const month = months % 12;
    const last_day = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    return Date.UTC(year, month, Math.min(a.getUTCDate(), last_day), a.getUTCHours(), a.getUTCMinutes(), a.getUTCSeconds(), a.getUTCMilliseconds());
  };
  let k = 0;
  while (nth(k + 1) <= now_ms) k += 1;
  return { start_ms: nth(k), end_ms: nth(k + 1) };
}

const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

interface MGrant {
  id: string;
  remaining: number;
  expires_at_ms: number | null;
}
interface MAuth {
  id: string;
  a: number;
  request: Record<string, unknown>;
  key: string | null;
  model_id: string;
  source: string;
  allowance_tokens: number;
  held_micros: number;
  status: 'held' | 'settled' | 'released' | 'expired';
  /** Expired unsettled, and its late-settlement window (SPEC §1.6) has not ended. */
  late_counted: boolean;
  expires_at_ms: number;
  settle_body: Usage | null;
  charged: number | null;
}
interface MPurchase {
  a: number;
  key: string;
  body: Record<string, unknown>;
  /** null when it was refused before a purchase row was written (bounds, daily cap). */
  purchase_id: string | null;
  status: 'succeeded' | 'failed' | 'refused';
}
interface MEvent {
  a: number;
  body: Record<string, unknown>;
  record_id: string;
}
interface MAccount {
  id: string;
  anchor_ms: number;
  declined_payment_method: string;
  enabled: boolean;
  limit: number | null;
  purchased: number;
  grants: MGrant[];
  /** Extra usage consumed, by billing-cycle start. */
  spent: Map<number, number>;
  /** Credits added, by UTC day. */
  redeemed: Map<string, number>;
  /** Σ amounts of ledger transfers by kind, as the model expects them. */
  transfers: { purchase: number; grant: number; usage: number; grant_expiry: number };
  usage_records: number;
}

class Model {
  readonly accounts: MAccount[] = [];
  readonly auths: MAuth[] = [];
  readonly purchases: MPurchase[] = [];
  readonly events: MEvent[] = [];

  held(a: number): number {
    return this.auths.filter((x) => x.a === a && x.status === 'held').reduce((s, x) => s + x.held_micros, 0);
  }
  /** Expired holds still counted against the limit (not the balance). */
  lateHeld(a: number): number {
    return this.auths.filter((x) => x.a === a && x.late_counted).reduce((s, x) => s + x.held_micros, 0);
  }
  promotional(a: number, now_ms: number): number {
    return this.accounts[a]!.grants.filter((g) => g.remaining > 0 && (g.expires_at_ms === null || now_ms < g.expires_at_ms)).reduce((s, g) => s + g.remaining, 0);
  }
  balance(a: number, now_ms: number): number {
    return this.accounts[a]!.purchased + this.promotional(a, now_ms);
  }
  spent(a: number, now_ms: number): number {
    const acc = this.accounts[a]!;
    return acc.spent.get(cycleOf(acc.anchor_ms, now_ms).start_ms) ?? 0;
  }
  /** Consumes extra usage: counts it against this cycle and draws it, promotional soonest-expiring first, then purchased. */
  charge(a: number, amount: number, now_ms: number): void {
    if (amount === 0) return;
    const acc = this.accounts[a]!;
    const cycle = cycleOf(acc.anchor_ms, now_ms).start_ms;
    acc.spent.set(cycle, (acc.spent.get(cycle) ?? 0) + amount);
    acc.transfers.usage += amount;
    let left = amount;
    const live = acc.grants
      .filter((g) => g.remaining > 0 && (g.expires_at_ms === null || now_ms < g.expires_at_ms))
      .sort((x, y) => (x.expires_at_ms ?? Infinity) - (y.expires_at_ms ?? Infinity) || (x.id < y.id ? -1 : 1));
    for (const g of live) {
      const take = Math.min(left, g.remaining);
      g.remaining -= take;
      left -= take;
    }
    acc.purchased -= left;
  }
  /** The first extra-usage refusal for a hold of `hold` micros, in the SPEC's order, or null. */
  extraRefusal(a: number, hold: number, now_ms: number): string | null {
    const acc = this.accounts[a]!;
    if (acc.purchased < 0) return 'negative_balance';
    if (this.balance(a, now_ms) - this.held(a) < hold) return 'insufficient_balance';
    if (acc.limit !== null && this.spent(a, now_ms) + this.held(a) + this.lateHeld(a) + hold > acc.limit) return 'spend_limit_reached';
    return null;
  }
}

// ---- operations --------------------------------------------------------------------------------

type Op =
  | { kind: 'purchase'; a: number; amount: number; declined: boolean }
  | { kind: 'grant'; a: number; amount: number; expires_in_ms: number | null }
  | { kind: 'settings'; a: number; enabled: boolean | null; limit: { set: false } | { set: true; value: number | null } }
  | { kind: 'authorize'; a: number; third_party: boolean; app: number; model: number; input: number; max_output: number; ttl_ms: number | null; keyed: boolean }
  | { kind: 'burst'; a: number; n: number; model: number; input: number; max_output: number }
  | { kind: 'settle'; open: boolean; pick: number; input_pct: number; output_pct: number; cache_write: number; cache_read: number; same: boolean }
  | { kind: 'release'; pick: number }
  | { kind: 'expire'; advance_ms: number; at_hold: boolean; pick: number; early_ms: number }
  | { kind: 'fill'; a: number; leave: number }
  | { kind: 'event'; a: number; third_party: boolean; app: number; model: number; usage: Usage; back_ms: number; duplicate: 'new' | 'same' | 'different'; pick: number }
  | { kind: 'advance'; a: number; to: 'small' | 'day' | 'cycle_end' | 'grant_expiry'; ms: number }
  | { kind: 'replay'; what: 'authorize' | 'purchase'; pick: number; same: boolean };

// Account 0 is the busy one, so sequences on one account get long enough to reach the edges.
type AuthorizeOp = Extract<Op, { kind: 'authorize' }>;

const account = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.nat({ max: ACCOUNTS - 1 }) });
const small_tokens = fc.record({ input: fc.nat({ max: 20_000 }), max_output: fc.integer({ min: 1, max: 20_000 }) });
// Big requests drain the Pro allowance (500k tokens per 5 h), so overflow and mixed funding happen.
const big_tokens = fc.record({ input: fc.integer({ min: 20_000, max: 200_000 }), max_output: fc.integer({ min: 50_000, max: 300_000 }) });
const usage = fc.record({
  input_tokens: fc.nat({ max: 30_000 }),
  output_tokens: fc.nat({ max: 30_000 }),
  cache_creation_input_tokens: fc.oneof(fc.constant(0), fc.nat({ max: 5_000 })),
  cache_read_input_tokens: fc.oneof(fc.constant(0), fc.nat({ max: 50_000 })),
});
// Big events use up the allowance outright (usage events are never refused).
const big_usage = fc.record({
  input_tokens: fc.integer({ min: 100_000, max: 600_000 }),
  output_tokens: fc.nat({ max: 100_000 }),
  cache_creation_input_tokens: fc.constant(0),
  cache_read_input_tokens: fc.constant(0),
});
const limit_value = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 2_000_000 }) },
  { weight: 3, arbitrary: fc.integer({ min: 1_000_000, max: 8_000_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 8_000_000, max: 30_000_000 }) },
);

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('purchase' as const),
      a: account,
      amount: fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: PURCHASE_MIN, max: 40_000_000 }).map(wholeCents) },
        { weight: 2, arbitrary: fc.integer({ min: PURCHASE_MIN, max: PURCHASE_MAX }).map(wholeCents) },
        { weight: 1, arbitrary: fc.integer({ min: PURCHASE_MIN, max: 40_000_000 }) },
        { weight: 1, arbitrary: fc.constantFrom(PURCHASE_MIN - 1, PURCHASE_MIN, 1_500_000_000, PURCHASE_MAX, PURCHASE_MAX + 1) },
      ),
      declined: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('grant' as const), a: account, amount: fc.integer({ min: 1, max: 8_000_000 }), expires_in_ms: fc.option(fc.integer({ min: 60_000, max: 40 * DAY }), { nil: null }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('settings' as const),
      a: account,
      enabled: fc.option(fc.boolean(), { nil: null }),
      limit: fc.oneof(fc.constant({ set: false as const }), limit_value.map((value) => ({ set: true as const, value }))),
    }),
  },
  {
    weight: 9,
    arbitrary: fc
      .record({
        kind: fc.constant('authorize' as const),
        a: account,
        third_party: fc.boolean(),
        app: fc.nat({ max: 11 }),
        model: fc.nat({ max: MODEL_IDS.length - 1 }),
        tokens: fc.oneof({ weight: 3, arbitrary: small_tokens }, { weight: 2, arbitrary: big_tokens }),
        ttl_ms: fc.option(fc.integer({ min: 1000, max: HOUR }), { nil: null }),
        keyed: fc.integer({ min: 0, max: 3 }).map((n) => n !== 0),
      })
      .map(({ tokens, ...rest }) => ({ ...rest, input: tokens.input, max_output: tokens.max_output })),
  },
  // Holds of a few hundred thousand micros against limits of a few dollars: the hard cap binds.
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('burst' as const),
      a: account,
      n: fc.integer({ min: 2, max: 12 }),
      model: fc.nat({ max: MODEL_IDS.length - 1 }),
      input: fc.nat({ max: 10_000 }),
      max_output: fc.integer({ min: 1_000, max: 30_000 }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('settle' as const),
      // Mostly an open (or expired) hold; sometimes any authorization, to replay or conflict.
      open: fc.integer({ min: 0, max: 3 }).map((n) => n !== 0),
      pick: fc.nat(),
      input_pct: fc.oneof(fc.constant(100), fc.nat({ max: 100 })),
      // Above 100: more output than max_output_tokens, so the charge may pass the hold (SPEC example 6).
      output_pct: fc.oneof({ weight: 2, arbitrary: fc.constant(100) }, { weight: 5, arbitrary: fc.nat({ max: 100 }) }, { weight: 2, arbitrary: fc.integer({ min: 101, max: 200 }) }),
      cache_write: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat({ max: 3_000 }) }),
      cache_read: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat({ max: 30_000 }) }),
      same: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('expire' as const),
      advance_ms: fc.oneof(fc.nat({ max: 20 * 60_000 }), fc.integer({ min: HOUR, max: 3 * DAY })),
      // Or to an open hold's expiry exactly (it expires), or a millisecond before (it does not).
      at_hold: fc.boolean(),
      pick: fc.nat(),
      early_ms: fc.constantFrom(0, 1),
    }),
  },
  // Use the allowance up to `leave` tokens: the next first-party requests are mixed.
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('fill' as const), a: account, leave: fc.integer({ min: 1, max: 15_000 }) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('event' as const),
      a: account,
      third_party: fc.boolean(),
      app: fc.nat({ max: 11 }),
      model: fc.nat({ max: MODEL_IDS.length - 1 }),
      usage: fc.oneof({ weight: 3, arbitrary: usage }, { weight: 2, arbitrary: big_usage }),
      back_ms: fc.nat({ max: 2 * DAY }),
      duplicate: fc.constantFrom('new' as const, 'new' as const, 'same' as const, 'different' as const),
      pick: fc.nat(),
    }),
  },
  // A first-party event the size of the whole 5-hour allowance: what follows overflows or is mixed.
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('event' as const),
      a: account,
      third_party: fc.constant(false),
      app: fc.nat({ max: 2 }),
      model: fc.constant(0),
      usage: fc.record({ input_tokens: fc.integer({ min: 480_000, max: 520_000 }), output_tokens: fc.constant(0), cache_creation_input_tokens: fc.constant(0), cache_read_input_tokens: fc.constant(0) }),
      back_ms: fc.constant(0),
      duplicate: fc.constant('new' as const),
      pick: fc.constant(0),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('advance' as const), a: account, to: fc.constantFrom('small' as const, 'day' as const, 'cycle_end' as const, 'grant_expiry' as const), ms: fc.nat({ max: HOUR }) }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('replay' as const), what: fc.constantFrom('authorize' as const, 'purchase' as const), pick: fc.nat(), same: fc.boolean() }) },
);

/** Each account starts with a card, maybe some credits, and its own extra-usage settings. */
const setup = fc.array(
  fc.record({
    credits: fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: PURCHASE_MIN, max: 30_000_000 }).map(wholeCents) }),
    enabled: fc.integer({ min: 0, max: 3 }).map((n) => n !== 0),
    limit: fc.oneof({ weight: 1, arbitrary: fc.constant({ set: false as const }) }, { weight: 3, arbitrary: limit_value.map((value) => ({ set: true as const, value })) }),
  }),
  { minLength: ACCOUNTS, maxLength: ACCOUNTS },
);

// Subscriptions that start on a 31st, on the 30th of January, at a month's last minute, or plainly.
const start = fc.tuple(
  fc.constantFrom(Date.UTC(2027, 0, 31, 12), Date.UTC(2028, 0, 30, 23, 30), Date.UTC(2027, 1, 28, 23, 59), Date.UTC(2026, 10, 2, 9), Date.UTC(2027, 4, 31, 0, 0)),
  fc.nat({ max: 2 * HOUR }),
).map(([base, offset]) => base + offset);

// ---- running a sequence ------------------------------------------------------------------------

type Outcome<T> = { ok: true; value: T } | { ok: false; error: AppError };

async function attempt<T>(fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    if (error instanceof AppError) return { ok: false, error };
    throw error;
  }
}

function refusedWith<T>(outcome: Outcome<T>, type: string, what: string): void {
  if (outcome.ok) assert.fail(`${what}: expected ${type}, but it succeeded`);
  assert.equal(outcome.error.type, type, `${what}: expected ${type}, got ${outcome.error.type}: ${outcome.error.message}`);
}

function succeeded<T>(outcome: Outcome<T>, what: string): T {
  if (!outcome.ok) assert.fail(`${what}: expected success, got ${outcome.error.type}: ${outcome.error.message}`);
  return outcome.value;
}

type View = Awaited<ReturnType<Harness['tb']['getExtraUsage']>>;

class Run {
  readonly m = new Model();
  private key_counter = 0;
  private step_index = 0;
  views: View[] = [];
  stats = { mixed: 0, overflow: 0, allowance_exhausted: 0, spend_limit_reached: 0, authorized: 0, refused: 0, settled: 0, over_hold: 0, released: 0, expired: 0, events: 0, replays: 0, purchases: 0, declined: 0 };

  constructor(
    readonly h: Harness,
    readonly tag: string,
  ) {}

  get now() {
    return this.h.clock.now_ms();
  }

  key(prefix: string) {
    return `${prefix}-${this.tag}-${++this.key_counter}`;
  }

  async createAccounts(initial: Array<{ credits: number; enabled: boolean; limit: { set: false } | { set: true; value: number | null } }>) {
    for (const [a, init] of initial.entries()) {
      // One owner for every account: no password hashing per account.
      const { account } = await this.h.tb.createAccount({ name: `Property ${this.tag}/${a}`, plan: 'pro', owner_email: `ledger-properties-${this.tag}@example.com`, owner_password: 'correct horse' }, OPERATOR);
      // The declining card first: the newest card becomes the default, so tok_visa is the default.
      const declined = await this.h.tb.addPaymentMethod(account.id, { token: 'tok_chargeDeclined' }, OPERATOR);
      await this.h.tb.addPaymentMethod(account.id, { token: 'tok_visa' }, OPERATOR);
      this.m.accounts.push({
        id: account.id,
        anchor_ms: account.anchor_ms,
        declined_payment_method: declined.id,
        enabled: false,
        limit: null,
        purchased: 0,
        grants: [],
        spent: new Map(),
        redeemed: new Map(),
        transfers: { purchase: 0, grant: 0, usage: 0, grant_expiry: 0 },
        usage_records: 0,
      });
      assert.equal(account.anchor_ms, this.now);
      if (init.credits > 0) await this.apply({ kind: 'purchase', a, amount: init.credits, declined: false });
      await this.apply({ kind: 'settings', a, enabled: init.enabled, limit: init.limit });
    }
    this.views = await this.readViews();
    this.checkViews();
  }

  async readViews(): Promise<View[]> {
    const out: View[] = [];
    for (const acc of this.m.accounts) out.push(await this.h.tb.getExtraUsage(acc.id));
    return out;
  }

  /** Every account's extra-usage view equals the model (and no promotional part is negative). */
  checkViews() {
    for (const [a, acc] of this.m.accounts.entries()) {
      const view = this.views[a]!;
      const cycle = cycleOf(acc.anchor_ms, this.now);
      const expected = {
        enabled: acc.enabled,
        monthly_spend_limit_micros: acc.limit,
        purchased_micros: acc.purchased,
        promotional_micros: this.m.promotional(a, this.now),
        balance_micros: this.m.balance(a, this.now),
        held_micros: this.m.held(a),
        late_held_micros: this.m.lateHeld(a),
        available_micros: this.m.balance(a, this.now) - this.m.held(a),
        spent_this_cycle_micros: this.m.spent(a, this.now),
        cycle_start: new Date(cycle.start_ms).toISOString(),
        cycle_end: new Date(cycle.end_ms).toISOString(),
      };
      const actual = Object.fromEntries(Object.keys(expected).map((k) => [k, view[k as keyof View]]));
      assert.deepEqual(actual, expected, `step ${this.step_index}: account ${a} (${acc.id}) differs from the model`);
      assert.ok(view.promotional_micros >= 0, `promotional part is negative: ${view.promotional_micros}`);
      assert.ok(view.held_micros >= 0, `held is negative: ${view.held_micros}`);
    }
  }

  /** Everything a replay must leave untouched: every account's view and every book's total. */
  async snapshot() {
    return { views: await this.readViews(), totals: (await this.h.tb.audit()).totals };
  }

  async unchangedBy(what: string, fn: () => Promise<void>) {
    const before = await this.snapshot();
    await fn();
    const after = await this.snapshot();
    assert.deepEqual(after, before, `${what} changed state`);
    this.stats.replays += 1;
  }

  /**
   * Applies one operation to Tokenbank and to the model, checking the answer. Returns the
   * accounts for which this operation may legitimately push spent + held past the monthly
   * limit (SPEC §1.6/§1.8: usage events, settlements larger than their hold, a lowered limit).
   */
  async apply(o: Op): Promise<{ may_pass_limit: Set<number>; hold_placed: number | null }> {
    const { tb } = this.h;
    const m = this.m;
    const may_pass_limit = new Set<number>();
    let hold_placed: number | null = null;
    switch (o.kind) {
      case 'purchase': {
        const acc = m.accounts[o.a]!;
        const key = this.key('purchase');
        const body: Record<string, unknown> = { amount_micros: o.amount, ...(o.declined ? { payment_method_id: acc.declined_payment_method } : {}) };
        const outcome = await attempt(() => tb.purchaseCredits(acc.id, body as { amount_micros: number }, key, OPERATOR));
        const day = utcDay(this.now);
        const today = acc.redeemed.get(day) ?? 0;
        const record: MPurchase = { a: o.a, key, body, purchase_id: null, status: 'refused' };
        m.purchases.push(record);
        if (o.amount < PURCHASE_MIN || o.amount > PURCHASE_MAX || o.amount % 10_000 !== 0) {
          // Bounds, and card charges are whole cents ($0.01 = 10,000 micros).
          refusedWith(outcome, 'invalid_request', `purchase of ${o.amount}`);
        } else if (today + o.amount > DAILY_CAP) {
          refusedWith(outcome, 'daily_cap_reached', `purchase of ${o.amount} with ${today} added today`);
        } else if (o.declined) {
          refusedWith(outcome, 'card_declined', 'purchase on tok_chargeDeclined');
          record.status = 'failed';
          record.purchase_id = String(outcome.ok ? '' : outcome.error.figures.purchase_id);
          assert.match(record.purchase_id, /^pur_/);
          this.stats.declined += 1;
        } else {
          const result = succeeded(outcome, `purchase of ${o.amount}`);
          assert.equal(result.purchase.status, 'succeeded');
          assert.equal(result.replayed, false);
          acc.purchased += o.amount;
          acc.redeemed.set(day, today + o.amount);
          acc.transfers.purchase += o.amount;
          record.status = 'succeeded';
          record.purchase_id = result.purchase.id;
          // The balance the purchase answers with is the one the extra-usage page shows.
          assert.equal(result.balance_micros, m.balance(o.a, this.now), 'purchase answered a balance that differs from the extra-usage balance');
          this.stats.purchases += 1;
        }
        break;
      }
      case 'grant': {
        const acc = m.accounts[o.a]!;
        const expires_at_ms = o.expires_in_ms === null ? null : this.now + o.expires_in_ms;
        const grant = await tb.grantCredits(acc.id, { amount_micros: o.amount, ...(expires_at_ms !== null ? { expires_at: new Date(expires_at_ms).toISOString() } : {}) }, OPERATOR);
        acc.grants.push({ id: grant.id, remaining: o.amount, expires_at_ms });
        acc.transfers.grant += o.amount;
        break;
      }
      case 'settings': {
        const acc = m.accounts[o.a]!;
        const patch: Record<string, unknown> = {};
        if (o.enabled !== null) patch.enabled = o.enabled;
        if (o.limit.set) patch.monthly_spend_limit_micros = o.limit.value;
        const before_limit = acc.limit;
        const { answer: account } = await tb.updateExtraUsage(acc.id, patch, OPERATOR);
        // SPEC §1.6: enabling extra usage sets a $50 default, unless a limit is chosen explicitly.
        if (o.enabled === true && !acc.enabled && !o.limit.set && acc.limit === null) acc.limit = DEFAULT_LIMIT;
        if (o.enabled !== null) acc.enabled = o.enabled;
        if (o.limit.set) acc.limit = o.limit.value;
        assert.equal(account.enabled, acc.enabled);
        assert.equal(account.monthly_spend_limit_micros, acc.limit);
        if (acc.limit !== before_limit) may_pass_limit.add(o.a);
        break;
      }
      case 'authorize': {
        hold_placed = await this.authorize(o);
        break;
      }
      case 'burst': {
        hold_placed = await this.burst(o);
        break;
      }
      case 'settle': {
        const candidates = o.open ? m.auths.filter((x) => x.status === 'held' || x.status === 'expired') : m.auths;
        const auth = candidates.length === 0 ? undefined : candidates[o.pick % candidates.length];
        if (!auth) break;
        const passed = await this.settle(auth, o);
        if (passed) may_pass_limit.add(auth.a);
        break;
      }
      case 'release': {
        const auth = m.auths.length === 0 ? undefined : m.auths[o.pick % m.auths.length];
        if (!auth) break;
        const what = `release of ${auth.status} ${auth.id}`;
        if (auth.status === 'held') {
          const released = succeeded(await attempt(() => tb.release(auth.id)), what);
          assert.equal(released.status, 'released');
          auth.status = 'released';
          this.stats.released += 1;
        } else if (auth.status === 'settled') {
          await this.unchangedBy(what, async () => refusedWith(await attempt(() => tb.release(auth.id)), 'conflict', what));
        } else {
          await this.unchangedBy(what, async () => {
            const again = succeeded(await attempt(() => tb.release(auth.id)), what);
            assert.equal(again.status, auth.status);
          });
        }
        break;
      }
      case 'expire': {
        const open = m.auths.filter((x) => x.status === 'held' && x.expires_at_ms - o.early_ms >= this.now);
        if (o.at_hold && open.length > 0) this.h.clock.set(new Date(open[o.pick % open.length]!.expires_at_ms - o.early_ms).toISOString());
        else this.h.clock.advance(o.advance_ms);
        let expired = 0;
        for (let n = await tb.expireHolds(); n > 0; n = await tb.expireHolds()) expired += n;
        while ((await tb.expireGrants()) > 0);
        let expected = 0;
        for (const auth of m.auths) {
          if (auth.status === 'held' && auth.expires_at_ms <= this.now) {
            auth.status = 'expired';
            auth.late_counted = auth.held_micros > 0;
            expected += 1;
          }
          if (auth.late_counted && auth.expires_at_ms + LATE_WINDOW_MS <= this.now) auth.late_counted = false;
        }
        // Holds of accounts from earlier runs in this database may expire too.
        assert.ok(expired >= expected, `expireHolds expired ${expired} holds, the model expects at least ${expected}`);
        this.stats.expired += expected;
        for (const acc of m.accounts) {
          for (const g of acc.grants) {
            if (g.expires_at_ms !== null && g.expires_at_ms <= this.now && g.remaining > 0) {
              acc.transfers.grant_expiry += g.remaining;
              g.remaining = 0;
            }
          }
        }
        break;
      }
      case 'fill': {
        const room = await this.allowanceRoom(o.a);
        if (room <= o.leave) break;
        const usage: Usage = { input_tokens: room - o.leave, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
        await this.event({ kind: 'event', a: o.a, third_party: false, app: 0, model: 0, usage, back_ms: 0, duplicate: 'new', pick: 0 });
        assert.equal(await this.allowanceRoom(o.a), o.leave, 'allowance room after filling');
        break;
      }
      case 'event': {
        const passed = await this.event(o);
        if (passed) may_pass_limit.add(o.a);
        break;
      }
      case 'advance': {
        if (o.to === 'small') this.h.clock.advance(60_000 + o.ms * 50);
        else if (o.to === 'day') this.h.clock.advance(DAY + o.ms);
        else if (o.to === 'grant_expiry') {
          // To a live grant's expiry, exactly (it is no longer spendable) or a millisecond before (it is).
          const early = o.ms % 2;
          const live = m.accounts[o.a]!.grants.filter((g) => g.remaining > 0 && g.expires_at_ms !== null && g.expires_at_ms - early > this.now);
          if (live.length > 0) this.h.clock.set(new Date(live[o.ms % live.length]!.expires_at_ms! - early).toISOString());
        } else {
          // To the end of the account's billing cycle, exactly or a little after: a new cycle begins.
          const acc = m.accounts[o.a]!;
          const end = cycleOf(acc.anchor_ms, this.now).end_ms;
          this.h.clock.set(new Date(end + (o.ms % 3 === 0 ? 0 : o.ms)).toISOString());
        }
        break;
      }
      case 'replay': {
        if (o.what === 'authorize') await this.replayAuthorize(o.pick, o.same);
        else await this.replayPurchase(o.pick, o.same);
        break;
      }
      default: {
        const never: never = o;
        throw new Error(`unknown op ${JSON.stringify(never)}`);
      }
    }
    return { may_pass_limit, hold_placed };
  }

  private authorizeRequest(o: AuthorizeOp) {
    const acc = this.m.accounts[o.a]!;
    const app = o.third_party ? THIRD_PARTY[o.app % THIRD_PARTY.length]! : FIRST_PARTY[o.app % FIRST_PARTY.length]!;
    const model_id = MODEL_IDS[o.model]!;
    const request: Record<string, unknown> = { account_id: acc.id, app, model: model_id, input_tokens: o.input, max_output_tokens: o.max_output };
    if (o.ttl_ms !== null) request.ttl_ms = o.ttl_ms;
    return { request, key: o.keyed ? this.key('authorize') : null };
  }

  private async authorize(o: AuthorizeOp): Promise<number | null> {
    const { request, key } = this.authorizeRequest(o);
    const room = o.third_party ? null : await this.allowanceRoom(o.a);
    return this.checkAuthorization(o, request, key, await attempt(() => this.h.tb.authorize(request, key ?? undefined)), room);
  }

  /**
   * Many authorizations on one account at once. Group commit must answer them exactly as if
   * they had come one by one in the order they were sent (src/app/metering.ts, step 3).
   */
  private async burst(o: Extract<Op, { kind: 'burst' }>): Promise<number | null> {
    const ops: AuthorizeOp[] = Array.from({ length: o.n }, (_, i) => ({ kind: 'authorize', a: o.a, third_party: true, app: i, model: o.model, input: o.input, max_output: o.max_output, ttl_ms: null, keyed: i % 2 === 0 }));
    const requests = ops.map((x) => this.authorizeRequest(x));
    const outcomes = await Promise.all(requests.map(({ request, key }) => attempt(() => this.h.tb.authorize(request, key ?? undefined))));
    let placed: number | null = null;
    for (const [i, x] of ops.entries()) placed = (await this.checkAuthorization(x, requests[i]!.request, requests[i]!.key, outcomes[i]!, null)) ?? placed;
    return placed;
  }

  private async checkAuthorization(o: AuthorizeOp, request: Record<string, unknown>, key: string | null, outcome: Outcome<AuthorizationRecord>, room: number | null): Promise<number | null> {
    const m = this.m;
    const acc = m.accounts[o.a]!;
    const app = String(request.app);
    const model_id = String(request.model);
    const max_cost = expectedCost(model_id, { input_tokens: o.input, output_tokens: o.max_output, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
    const total_tokens = o.input + o.max_output;
    const what = `authorize ${app} ${model_id} ${o.input}+${o.max_output} (max ${max_cost}) on account ${o.a}`;
    const now = this.now;

    if (o.third_party) {
      // SPEC §1.4: third-party apps use extra usage only; every refusal is predictable from the model.
      const balance = m.balance(o.a, now);
      const expected = !acc.enabled || (balance <= 0 && acc.purchased >= 0) ? 'extra_usage_required' : m.extraRefusal(o.a, max_cost, now);
      if (expected !== null) {
        refusedWith(outcome, expected, what);
        if (expected === 'spend_limit_reached') this.stats.spend_limit_reached += 1;
        this.checkRefusalFigures(o.a, outcome as { ok: false; error: AppError }, max_cost);
        this.stats.refused += 1;
        return null;
      }
      const auth = succeeded(outcome, what);
      assert.equal(auth.funding.source, 'extra_usage', what);
      assert.equal(auth.funding.reason, 'third_party_extra_usage_only', what);
      assert.equal(auth.funding.held_micros, max_cost, what);
      assert.equal(auth.funding.allowance_tokens, 0, what);
      return this.recordHold(o, request, key, model_id, auth);
    }

    // First party (SPEC §1.4): the plan allowance first, with the room the account page shows;
    // when it cannot cover the request, overflow (room 0) or mixed funding from extra usage.
    if (room === null) throw new Error('a first-party authorization needs the allowance room');
    let expected: { source: string; reason: string; allowance_tokens: number; held_micros: number } | null = null;
    let refusal: string | null = null;
    let hold = 0;
    if (room >= total_tokens) expected = { source: 'allowance', reason: 'first_party_allowance', allowance_tokens: total_tokens, held_micros: 0 };
    else if (!acc.enabled) refusal = 'allowance_exhausted';
    else {
      // Mixed (example 7): the allowance takes the room R, extra usage holds ⌈max cost × (T − R) / T⌉.
      hold = room > 0 ? ceilShare(max_cost, total_tokens - room, total_tokens) : max_cost;
      refusal = m.extraRefusal(o.a, hold, now);
      expected = room > 0 ? { source: 'mixed', reason: 'first_party_mixed', allowance_tokens: room, held_micros: hold } : { source: 'extra_usage', reason: 'first_party_overflow', allowance_tokens: 0, held_micros: hold };
    }
    if (refusal !== null) {
      refusedWith(outcome, refusal, `${what} with ${room} allowance tokens left`);
      this.checkRefusalFigures(o.a, outcome as { ok: false; error: AppError }, hold);
      if (refusal === 'allowance_exhausted') this.stats.allowance_exhausted += 1;
      if (refusal === 'spend_limit_reached') this.stats.spend_limit_reached += 1;
      this.stats.refused += 1;
      return null;
    }
    const auth = succeeded(outcome, `${what} with ${room} allowance tokens left`);
    const f = auth.funding;
    assert.deepEqual(
      { source: f.source, reason: f.reason, allowance_tokens: f.allowance_tokens, held_micros: f.held_micros, max_cost_micros: f.max_cost_micros },
      { ...expected!, max_cost_micros: max_cost },
      `${what} with ${room} allowance tokens left`,
    );
    if (f.source === 'mixed') this.stats.mixed += 1;
    if (f.source === 'extra_usage') this.stats.overflow += 1;
    return this.recordHold(o, request, key, model_id, auth);
  }

  /** The allowance tokens a request may still take: the smallest room of the windows the account page shows. */
  private async allowanceRoom(a: number): Promise<number> {
    const view = await this.h.tb.getAccountView(this.m.accounts[a]!.id);
    assert.ok(view.windows.length > 0, 'a Pro account shows its allowance windows');
    return Math.min(...view.windows.map((w) => Math.max(0, w.limit - w.used)));
  }

  /** A refusal's figures are the model's figures (SPEC §1.8: "the figures behind it"). */
  private checkRefusalFigures(a: number, outcome: { ok: false; error: AppError }, required: number) {
    const m = this.m;
    const figures = outcome.error.figures;
    const now = this.now;
    switch (outcome.error.type) {
      case 'spend_limit_reached':
        assert.deepEqual(
          { limit: figures.limit_micros, spent: figures.spent_micros, held: figures.held_micros, late_held: figures.late_held_micros, required: figures.required_micros },
          { limit: m.accounts[a]!.limit, spent: m.spent(a, now), held: m.held(a), late_held: m.lateHeld(a), required },
        );
        assert.ok(Number(figures.spent_micros) + Number(figures.held_micros) + Number(figures.late_held_micros) + required > Number(figures.limit_micros));
        break;
      case 'insufficient_balance':
        assert.deepEqual(
          { balance: figures.balance_micros, held: figures.held_micros, available: figures.available_micros, required: figures.required_micros },
          { balance: m.balance(a, now), held: m.held(a), available: m.balance(a, now) - m.held(a), required },
        );
        break;
      case 'negative_balance':
        assert.equal(figures.owed_micros, -m.accounts[a]!.purchased);
        break;
      default:
        break;
    }
  }

  private recordHold(o: AuthorizeOp, request: Record<string, unknown>, key: string | null, model_id: string, auth: AuthorizationRecord): number {
    assert.equal(auth.status, 'held');
    assert.equal(auth.account_id, this.m.accounts[o.a]!.id);
    assert.equal(auth.expires_at_ms, this.now + (o.ttl_ms ?? HOLD_TTL_DEFAULT_MS));
    assert.ok(!this.m.auths.some((x) => x.id === auth.id), `authorization id ${auth.id} handed out twice`);
    this.m.auths.push({
      id: auth.id,
      a: o.a,
      request,
      key,
      model_id,
      source: auth.funding.source,
      allowance_tokens: auth.funding.allowance_tokens,
      held_micros: auth.funding.held_micros,
      status: 'held',
      late_counted: false,
      expires_at_ms: auth.expires_at_ms,
      settle_body: null,
      charged: null,
    });
    this.stats.authorized += 1;
    return o.a;
  }

  /** The extra usage a settlement of `u` charges under the authorization's funding (SPEC §1.4, §1.8). */
  private expectedCharge(auth: MAuth, u: Usage): { cost: number; charged: number; allowance_tokens: number } {
    const cost = expectedCost(auth.model_id, u);
    const tokens = tokensOf(u);
    switch (auth.source) {
      case 'allowance':
        return { cost, charged: 0, allowance_tokens: tokens };
      case 'extra_usage':
        return { cost, charged: cost, allowance_tokens: 0 };
      case 'mixed': {
        const from_allowance = Math.min(tokens, auth.allowance_tokens);
        return { cost, charged: tokens === 0 ? cost : ceilShare(cost, tokens - from_allowance, tokens), allowance_tokens: from_allowance };
      }
      default:
        throw new Error(`unknown source ${auth.source}`);
    }
  }

  /** Returns whether this settlement may take spent + held past the limit (it charged more than it released). */
  private async settle(auth: MAuth, o: Extract<Op, { kind: 'settle' }>): Promise<boolean> {
    const { tb } = this.h;
    const input = Number(auth.request.input_tokens);
    const max_output = Number(auth.request.max_output_tokens);
    const u: Usage = {
      input_tokens: Math.floor((input * o.input_pct) / 100),
      output_tokens: Math.floor((max_output * o.output_pct) / 100),
      cache_creation_input_tokens: o.cache_write,
      cache_read_input_tokens: o.cache_read,
    };
    const what = `settle of ${auth.status} ${auth.source} ${auth.id} (held ${auth.held_micros}) with ${JSON.stringify(u)}`;
    if (auth.status === 'settled') {
      // Settlements are idempotent by authorization: the same usage returns the first result,
      // other usage is a conflict; neither changes anything.
      const body = o.same ? auth.settle_body! : { ...auth.settle_body!, output_tokens: auth.settle_body!.output_tokens + 1 };
      await this.unchangedBy(`re-${what}`, async () => {
        const outcome = await attempt(() => tb.settle(auth.id, body));
        if (!o.same) return refusedWith(outcome, 'idempotency_conflict', `re-${what}`);
        const again = succeeded(outcome, `re-${what}`);
        assert.equal(again.charged_micros, auth.charged);
        assert.equal(again.status, 'settled');
      });
      return false;
    }
    if (auth.status === 'released') {
      await this.unchangedBy(what, async () => refusedWith(await attempt(() => tb.settle(auth.id, u)), 'conflict', what));
      return false;
    }
    // Held, or expired (a late settlement is still charged in full: usage that happened is never lost).
    const expected = this.expectedCharge(auth, u);
    const settled = succeeded(await attempt(() => tb.settle(auth.id, u)), what);
    assert.deepEqual(
      { status: settled.status, cost: settled.cost_micros, charged: settled.charged_micros, allowance_tokens: settled.settled_allowance_tokens },
      { status: 'settled', cost: expected.cost, charged: expected.charged, allowance_tokens: expected.allowance_tokens },
      what,
    );
    const released = auth.status === 'held' || auth.late_counted ? auth.held_micros : 0;
    auth.status = 'settled';
    auth.late_counted = false;
    auth.settle_body = u;
    auth.charged = expected.charged;
    const acc = this.m.accounts[auth.a]!;
    this.m.charge(auth.a, expected.charged, this.now);
    acc.usage_records += 1;
    this.stats.settled += 1;
    if (expected.charged > auth.held_micros) this.stats.over_hold += 1;
    return expected.charged > released;
  }

  /** Returns whether the event charged extra usage (events are never refused, so they may pass the limit). */
  private async event(o: Extract<Op, { kind: 'event' }>): Promise<boolean> {
    const m = this.m;
    const { tb } = this.h;
    const mine = m.events.filter((e) => e.a === o.a);
    const original = o.duplicate !== 'new' && mine.length > 0 ? mine[o.pick % mine.length]! : undefined;
    if (original) {
      const same = o.duplicate === 'same';
      const body = same ? original.body : { ...original.body, usage: { ...(original.body.usage as Usage), output_tokens: (original.body.usage as Usage).output_tokens + 1 } };
      const what = `${same ? 'duplicate' : 'conflicting'} usage event ${String(original.body.id)}`;
      await this.unchangedBy(what, async () => {
        const [result] = await tb.recordUsageEvents([body]);
        assert.ok(result, what);
        if (!same) {
          assert.equal(result.ok, false, what);
          if (!result.ok) assert.equal(result.error.type, 'idempotency_conflict', what);
          return;
        }
        if (!result.ok) assert.fail(`${what}: ${result.error.type}: ${result.error.message}`);
        assert.equal(result.duplicate, true, what);
        assert.equal(result.record.id, original.record_id, what);
      });
      return false;
    }
    const acc = m.accounts[o.a]!;
    const app = o.third_party ? THIRD_PARTY[o.app % THIRD_PARTY.length]! : FIRST_PARTY[o.app % FIRST_PARTY.length]!;
    const model_id = MODEL_IDS[o.model]!;
    const room = o.third_party ? 0 : await this.allowanceRoom(o.a);
    const body = { id: this.key('event'), account_id: acc.id, app, model: model_id, usage: o.usage, timestamp: new Date(this.now - o.back_ms).toISOString() };
    const what = `usage event ${app} ${model_id} ${JSON.stringify(o.usage)} on account ${o.a}`;
    const [result] = await tb.recordUsageEvents([body]);
    assert.ok(result, what);
    if (!result.ok) assert.fail(`${what}: ${result.error.type}: ${result.error.message}`);
    assert.equal(result.duplicate, false, what);
    const record = result.record;
    const cost = expectedCost(model_id, o.usage);
    const tokens = tokensOf(o.usage);
    assert.equal(record.cost_micros, cost, what);
    // Third party: extra usage, even when it is off (the usage happened). First party: the
    // allowance while it has room, or when extra usage is off (over its limit rather than charging
    // credits the owner switched off); else mixed or overflow, as for an authorization.
    const expected = o.third_party
      ? { source: 'extra_usage', allowance_tokens: 0, charged: cost }
      : room >= tokens || !acc.enabled
        ? { source: 'allowance', allowance_tokens: tokens, charged: 0 }
        : room > 0
          ? { source: 'mixed', allowance_tokens: room, charged: ceilShare(cost, tokens - room, tokens) }
          : { source: 'extra_usage', allowance_tokens: 0, charged: cost };
    assert.deepEqual({ source: record.source, allowance_tokens: record.allowance_tokens, charged: record.extra_usage_micros }, expected, `${what} with ${room} allowance tokens left`);
    const charged = expected.charged;
    assert.equal(record.extra_usage_micros, charged, what);
    m.charge(o.a, charged, this.now);
    acc.usage_records += 1;
    m.events.push({ a: o.a, body, record_id: record.id });
    this.stats.events += 1;
    return charged > 0;
  }

  private async replayAuthorize(pick: number, same: boolean) {
    const keyed = this.m.auths.filter((x) => x.key !== null);
    if (keyed.length === 0) return;
    const auth = keyed[pick % keyed.length]!;
    const body = same ? auth.request : { ...auth.request, max_output_tokens: Number(auth.request.max_output_tokens) + 1 };
    const what = `${same ? 'replayed' : 'conflicting'} authorization ${auth.key} (${auth.status})`;
    await this.unchangedBy(what, async () => {
      const outcome = await attempt(() => this.h.tb.authorize(body, auth.key));
      if (!same) return refusedWith(outcome, 'idempotency_conflict', what);
      const again = succeeded(outcome, what);
      assert.equal(again.id, auth.id, what);
      assert.equal(again.status, auth.status, what);
      assert.equal(again.funding.held_micros, auth.held_micros, what);
    });
  }

  private async replayPurchase(pick: number, same: boolean) {
    const written = this.m.purchases.filter((p) => p.purchase_id !== null);
    if (written.length === 0) return;
    const p = written[pick % written.length]!;
    const acc = this.m.accounts[p.a]!;
    const body = same ? p.body : { ...p.body, amount_micros: Number(p.body.amount_micros) + 1 };
    const what = `${same ? 'replayed' : 'conflicting'} purchase ${p.key} (${p.status})`;
    await this.unchangedBy(what, async () => {
      const outcome = await attempt(() => this.h.tb.purchaseCredits(acc.id, body as { amount_micros: number }, p.key, OPERATOR));
      if (!same) return refusedWith(outcome, 'idempotency_conflict', what);
      if (p.status === 'failed') return refusedWith(outcome, 'card_declined', what);
      const again = succeeded(outcome, what);
      assert.equal(again.replayed, true, what);
      assert.equal(again.purchase.id, p.purchase_id, what);
    });
  }

  /** One step: the operation, then the model comparison and the spend-limit transition checks. */
  async step(o: Op) {
    this.step_index += 1;
    const before = this.views;
    const { may_pass_limit, hold_placed } = await this.apply(o);
    this.views = await this.readViews();
    this.checkViews();
    for (const [a] of this.m.accounts.entries()) {
      const excess = (v: View) => (v.monthly_spend_limit_micros === null ? null : v.spent_this_cycle_micros + v.held_micros + v.late_held_micros - v.monthly_spend_limit_micros);
      const now_excess = excess(this.views[a]!);
      if (now_excess === null) continue;
      // SPEC §1.6: right after a hold is placed, spent + held ≤ limit.
      if (hold_placed === a && this.m.auths.at(-1)!.held_micros > 0) {
        assert.ok(now_excess <= 0, `step ${this.step_index}: a hold took account ${a} ${now_excess} micros past its limit`);
      }
      // Nothing else may push spent + held further past the limit than it already was.
      if (!may_pass_limit.has(a)) {
        const was = excess(before[a]!);
        if (was !== null) assert.ok(now_excess <= Math.max(was, 0), `step ${this.step_index} (${o.kind}): account ${a} went from ${was} to ${now_excess} micros past its limit`);
      }
    }
    if (this.step_index % 10 === 0) await assertAuditClean(this.h);
  }

  /** After a run: the ledger proof, and the database's rows against the model's. */
  async finish(db: Db) {
    await assertAuditClean(this.h);
    for (const [a, acc] of this.m.accounts.entries()) {
      const rows = await db.query<{ kind: string; total: number }>(`SELECT kind, SUM(amount_micros)::bigint AS total FROM transfers WHERE account_id = $1 GROUP BY kind`, [acc.id]);
      const totals = Object.fromEntries(rows.map((r) => [r.kind, r.total]));
      assert.deepEqual(
        { purchase: totals.purchase ?? 0, grant: totals.grant ?? 0, usage: totals.usage ?? 0, grant_expiry: totals.grant_expiry ?? 0 },
        acc.transfers,
        `account ${a}: transfers by kind differ from the model`,
      );
      const succeeded_purchases = await db.query<{ n: number; total: number }>(`SELECT COUNT(*)::bigint AS n, COALESCE(SUM(amount_micros), 0)::bigint AS total FROM purchases WHERE account_id = $1 AND status = 'succeeded'`, [acc.id]);
      assert.equal(succeeded_purchases[0]!.total, acc.transfers.purchase, `account ${a}: succeeded purchases`);
      const grants = await this.h.tb.store.listGrants(acc.id);
      assert.deepEqual(
        grants.map((g) => ({ id: g.id, remaining: g.remaining_micros })),
        acc.grants.map((g) => ({ id: g.id, remaining: g.remaining })),
        `account ${a}: grants`,
      );
      const records = await db.query<{ n: number }>(`SELECT COUNT(*)::bigint AS n FROM usage_records WHERE account_id = $1`, [acc.id]);
      assert.equal(records[0]!.n, acc.usage_records, `account ${a}: usage records`);
    }
    for (const auth of this.m.auths) {
      const stored = await this.h.tb.getAuthorization(auth.id);
      assert.equal(stored?.status, auth.status, `authorization ${auth.id}`);
      assert.equal(stored?.charged_micros ?? null, auth.charged, `authorization ${auth.id} charged`);
    }
    // Leave no open holds behind for the next run's expiry sweep.
    for (const auth of this.m.auths) {
      if (auth.status === 'held') {
        await this.h.tb.release(auth.id);
        auth.status = 'released';
      }
    }
    await assertAuditClean(this.h);
  }
}

// ---- the properties, on each engine ------------------------------------------------------------

const params = () => ({
  numRuns: RUNS,
  includeErrorInReport: true,
  ...(process.env.LEDGER_SEED ? { seed: Number(process.env.LEDGER_SEED) } : {}),
  ...(process.env.LEDGER_PATH ? { path: process.env.LEDGER_PATH } : {}),
  // Shrinking replays sequences against the database: bound it so a failure reports promptly
  // (LEDGER_SHRINK=0 reports the first failing sequence as found).
  interruptAfterTimeLimit: 10 * 60_000,
  ...(process.env.LEDGER_SHRINK === '0' ? { endOnFailure: true } : {}),
});

for (const engine of databaseEngines()) {
  describe(`ledger properties on ${engine.name}`, { skip: engine.skip }, () => {
    let db: Db;
    let runs = 0;
    const totals = { steps: 0, mixed: 0, overflow: 0, allowance_exhausted: 0, spend_limit_reached: 0, authorized: 0, refused: 0, settled: 0, over_hold: 0, released: 0, expired: 0, events: 0, replays: 0, purchases: 0, declined: 0 };
    before(async () => {
      db = await engine.open();
    });
    after(async () => {
      await db?.close();
      await closeAll();
    });

    it('conserves money, matches the model at every step, keeps the hard cap, and replays change nothing', async () => {
      await fc.assert(
        fc.asyncProperty(start, setup, fc.array(op, { maxLength: OPS_MAX, size: 'max' }), async (start_ms, initial, ops) => {
          const h = await harness(db, { start: new Date(start_ms).toISOString() });
          const run = new Run(h, `${engine.name}${++runs}x${Math.random().toString(36).slice(2, 6)}`);
          await run.createAccounts(initial);
          for (const o of ops) await run.step(o);
          await run.finish(db);
          totals.steps += ops.length;
          for (const k of Object.keys(run.stats) as Array<keyof Run['stats']>) totals[k] += run.stats[k];
        }),
        params(),
      );
      // The generators must reach the interesting paths, or the property proves little.
      assert.ok(totals.authorized > 0 && totals.refused > 0 && totals.settled > 0 && totals.events > 0 && totals.replays > 0, `too few interesting steps: ${JSON.stringify(totals)}`);
      console.log(`# ${engine.name}: ${JSON.stringify(totals)}`);
    });
  });
}
