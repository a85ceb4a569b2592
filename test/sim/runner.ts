// Runs rounds of simulated operations against the real Tokenbank (the use cases of
// src/app/tokenbank.ts on the real store) and against the model, and compares them. A round:
// its global steps one after another, then every account's script sent at once (group commit
// batches them), then the answers checked in each script's order against the model. An answer
// whose outcome is unknown (a lost COMMIT, a failed batch, an error from a faulted transaction)
// is learned the way a client learns it: by retrying with the same key, event id or hold.
import { PgStore } from '../../src/store/store';
import { Tokenbank } from '../../src/app/tokenbank';
import { SandboxPayments } from '../../src/payments/sandbox';
import { AppError } from '../../src/domain/refusals';
import type { Actor } from '../../src/app/deps';
import { checkAudit, checkViews, checkWallets, expectEqual, SimFailure } from './checks';
import type { FaultyDb, FaultKind } from './faults';
import { cycleOf, DAY_MS, HOUR_MS, Model, PLANS, type MAccount } from './model';
import type { GlobalStep, Round, Script } from './ops';
import { Prng } from './prng';
import { MeterScripts } from './meter-scripts';
import { SingleSteps } from './single-steps';
import { OrgScripts } from './org-scripts';
import { checkOrgViews, checkOrgWallets } from './org-checks';
import { scriptSteps } from './ops';

export const OPERATOR: Actor = { id: 'operator', request_id: 'sim' };
const RETRIES_MAX = 4;

export class ManualClock {
  constructor(public ms: number) {}
  now_ms = () => this.ms;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; type: string; error: AppError } | { ok: false; type: 'unknown'; error: unknown };

/** A call's outcome: a value, a typed refusal, or unknown (anything else, or a typed "retry" answer). */
export async function attempt<T>(fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    if (error instanceof AppError && error.type !== 'commit_unknown' && error.type !== 'internal_error') return { ok: false, type: error.type, error };
    return { ok: false, type: 'unknown', error };
  }
}

/** Retries `fn` (the same request, the same key) until its outcome is known. */
export async function untilKnown<T>(first: Outcome<T>, fn: () => Promise<T>, stats: SimStats): Promise<Outcome<T>> {
  let outcome = first;
  for (let i = 0; outcome.ok === false && outcome.type === 'unknown'; i++) {
    if (i === RETRIES_MAX) throw new SimFailure(`still unknown after ${RETRIES_MAX} retries: ${String((outcome.error as Error)?.stack ?? outcome.error)}`);
    stats.retries += 1;
    outcome = await attempt(fn);
  }
  return outcome;
}

/**
 * An authorization the batch refused, in a batch whose COMMIT could not be read back: a refusal
 * records nothing, so its retry (with its key or without) is decided again, against the balance
 * as it is when the retry arrives. The scripts check such answers after the script's other
 * requests, which the engine has answered by then, and the model decides them there too.
 */
export function refusedUnrecorded(o: Outcome<unknown> | undefined): boolean {
  if (o === undefined || o.ok || o.type !== 'unknown' || !(o.error instanceof AppError)) return false;
  return o.error.type === 'commit_unknown' && o.error.figures.id === null;
}

export interface SimStats {
  steps: number;
  /** Steps of the API organizations' scripts (a share of `steps`). */
  org_steps: number;
  rounds: number;
  retries: number;
  refusals: Record<string, number>;
  answers: Record<string, number>;
  view_checks: number;
  audits: number;
}

export function newStats(): SimStats {
  return { steps: 0, org_steps: 0, rounds: 0, retries: 0, refusals: {}, answers: {}, view_checks: 0, audits: 0 };
}

export function count(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

/** One simulated world: a database, the engine on it, the model, and a clock. */
export class Sim {
  readonly m = new Model();
  readonly clock: ManualClock;
  readonly payments = new SandboxPayments();
  readonly stats = newStats();
  readonly users: Array<{ id: string; email: string }> = [];
  tb!: Tokenbank;
  private id_counter = 0;
  private key_counter = 0;
  private readonly ids = { next: (prefix: string) => `${prefix}_${this.tag}${(++this.id_counter).toString(36).padStart(7, '0')}` };
  private readonly meter = new MeterScripts(this);
  private readonly singles = new SingleSteps(this);
  readonly orgs = new OrgScripts(this);

  constructor(
    readonly db: FaultyDb,
    readonly tag: string,
    start_ms: number,
  ) {
    this.clock = new ManualClock(start_ms);
    this.start();
  }

  get now() {
    return this.clock.ms;
  }

  key(prefix: string): string {
    return `${prefix}-${this.tag}-${++this.key_counter}`;
  }

  /** A new engine on the same database: what a restart leaves is what was committed. */
  start(): void {
    this.tb = new Tokenbank({ store: new PgStore(this.db), clock: this.clock, ids: this.ids, payments: this.payments });
  }

  async setup(accounts: number, seed: number): Promise<void> {
    await this.tb.ensureCatalog();
    await this.checkCatalog();
    const r = new Prng(seed ^ 0x5eed);
    // One owner for every account and a few other users who may join team accounts as members.
    for (let u = 0; u < 4; u++) {
      const { owner } = await this.tb.createAccount(
        { name: `Sim user ${u}`, plan: 'free', owner_email: `sim-${this.tag}-${u}@example.com`, owner_password: 'correct horse' },
        OPERATOR,
      );
      this.users.push({ id: owner.id, email: owner.email });
    }
    for (let a = 0; a < accounts; a++) {
      const { account } = await this.tb.createAccount({ name: `Sim ${this.tag}/${a}`, plan: 'pro', owner_email: this.users[0]!.email }, OPERATOR);
      const declined = await this.tb.addPaymentMethod(account.id, { token: 'tok_chargeDeclined' }, OPERATOR);
      const visa = await this.tb.addPaymentMethod(account.id, { token: 'tok_visa' }, OPERATOR);
      this.m.accounts.push(newAccount(account.id, account.anchor_ms, visa.id, declined.id, this.users[0]!.id));
      await this.runScript({ kind: 'single', a, step: { kind: 'purchase', amount: r.int(5, 60) * 1_000_000, declined: false } });
      await this.runScript({
        kind: 'single',
        a,
        step: { kind: 'settings', enabled: r.chance(85), limit: { set: true, value: r.chance(20) ? null : r.int(2, 40) * 1_000_000 }, reload: null },
      });
    }
    await this.orgs.setup(r);
    await this.check(true);
  }

  /** The default catalog is the one the model knows (test/sim/model.ts writes its figures out). */
  private async checkCatalog(): Promise<void> {
    const catalog = await this.tb.catalog();
    const plans = Object.fromEntries(
      [...catalog.plans.values()].map((p) => [
        p.id,
        { paid: p.price_micros > 0 && p.extra_usage_allowed, per_seat: p.per_seat, windows: p.windows.map((w) => ({ kind: w.kind, limit: w.limit_tokens })) },
      ]),
    );
    const ordered = Object.fromEntries([...Object.keys(PLANS), ...Object.keys(plans).sort()].map((k) => [k, plans[k]]));
    expectEqual(ordered, PLANS, 'the catalog plans differ from the model');
  }

  /** One round: global steps in order, then every script at once; then the checks. */
  async round(rd: Round, index: number, r: Prng): Promise<void> {
    // A round takes a millisecond: usage is never recorded in the very millisecond a lapsed plan
    // is renewed (the audit attributes a charge to a cycle by its time; see docs/simulation.md).
    this.clock.ms += 1;
    for (const step of rd.global) await this.global(step);
    await Promise.all(rd.scripts.map((s) => this.sendScript(s)));
    for (const s of rd.scripts) await this.finishScript(s);
    this.db.disarm();
    this.stats.rounds += 1;
    this.stats.steps += rd.global.length;
    await this.check(index % 50 === 49, r);
  }

  /** Sends a script's requests (resolved against the model first); finishScript checks their answers. */
  private async sendScript(s: Script): Promise<void> {
    if (s.kind === 'org_meter' || s.kind === 'org_hold' || s.kind === 'org_single') return this.orgs.send(s);
    if (s.kind === 'single') return this.singles.send(s.a, s.step);
    return this.meter.send(s);
  }

  private async finishScript(s: Script): Promise<void> {
    this.stats.steps += scriptSteps(s);
    if (s.kind === 'org_meter' || s.kind === 'org_hold' || s.kind === 'org_single') {
      this.stats.org_steps += scriptSteps(s);
      return this.orgs.finish(s);
    }
    if (s.kind === 'single') return this.singles.finish(s.a);
    return this.meter.finish(s);
  }

  private async runScript(s: Script): Promise<void> {
    await this.sendScript(s);
    await this.finishScript(s);
  }

  async check(full: boolean, r?: Prng): Promise<void> {
    this.db.disarm();
    const org_wallets = await checkWallets(
      this.db,
      this.m,
      this.now,
      this.orgs.om.orgs.map((o) => o.id),
    );
    const sample = full ? this.m.accounts.map((_, a) => a) : [r!.nat(this.m.accounts.length - 1)];
    for (const a of new Set(sample)) await checkViews(this.tb, this.m, a, this.now);
    this.stats.view_checks += new Set(sample).size;
    checkOrgWallets(org_wallets, this.orgs.om, this.now);
    // One org's views every eighth round (both at the full checks): the stored state is compared every round above.
    const orgs = full ? this.orgs.om.orgs.map((_, o) => o) : r!.chance(12) ? [r!.nat(this.orgs.om.orgs.length - 1)] : [];
    for (const o of orgs) await checkOrgViews(this.tb, this.orgs.om, o, this.now);
    this.stats.view_checks += orgs.length;
    if (full) {
      await checkAudit(this.tb);
      this.stats.audits += 1;
    }
  }

  // ---- global steps -------------------------------------------------------------------------

  private async global(step: GlobalStep): Promise<void> {
    switch (step.kind) {
      case 'advance':
        return this.advance(step);
      case 'expire_holds':
        return this.expireHolds();
      case 'expire_grants':
        await this.job(() => this.tb.expireGrants().then((n) => (n > 0 ? 1 : 0)));
        this.m.expireGrants(this.now);
        this.orgs.om.expireGrants(this.now);
        return;
      case 'charge_reloads': {
        await this.job(async () => {
          await this.tb.processPendingPurchases();
          return 0;
        });
        this.m.chargeReloads(this.now);
        return;
      }
      case 'fault':
        this.db.arm(step.fault, step.statement);
        return;
      case 'restart':
        this.db.countRestart();
        this.start();
        return;
      default: {
        const never: never = step;
        throw new Error(`unknown step ${JSON.stringify(never)}`);
      }
    }
  }

  /** Runs a job until a run of it did nothing and no fault fired in it (a faulted run is simply run again). */
  private async job(run: () => Promise<number>): Promise<void> {
    for (let i = 0; i < 50; i++) {
      const fired = this.db.fired_total;
      let n: number;
      try {
        n = await run();
      } catch (error) {
        if (this.db.fired_total === fired) throw error;
        this.stats.retries += 1;
        continue;
      }
      if (n === 0 && this.db.fired_total === fired) return;
    }
    throw new SimFailure('a job did not settle in 50 runs');
  }

  private async expireHolds(): Promise<void> {
    await this.job(() => this.tb.expireHolds());
    this.m.expireHolds(this.now);
    this.orgs.om.expireHolds(this.now);
  }

  private advance(step: Extract<GlobalStep, { kind: 'advance' }>): void {
    const acc = this.m.accounts[step.a]!;
    const early = step.ms % 2;
    switch (step.to) {
      case 'small':
        this.clock.ms += 1000 + step.ms / 60;
        break;
      case 'hour':
        this.clock.ms += HOUR_MS + step.ms;
        break;
      case 'rolling':
        this.clock.ms += 5 * HOUR_MS + (step.ms % 3 === 0 ? 0 : step.ms % 1000);
        break;
      case 'day':
        this.clock.ms += DAY_MS + step.ms;
        break;
      case 'week':
        this.clock.ms += 7 * DAY_MS;
        break;
      case 'cycle_end':
        this.clock.ms = cycleOf(acc.anchor_ms, this.now).end_ms + (step.ms % 3 === 0 ? 0 : step.ms);
        break;
      case 'hold_expiry': {
        // To a hold's expiry exactly (it expires) or a millisecond before (it does not).
        const open = [...this.m.auths.values()].filter((x) => x.status === 'held' && x.expires_at_ms - early > this.now);
        if (open.length > 0) this.clock.ms = open[step.ms % open.length]!.expires_at_ms - early;
        break;
      }
      case 'grant_expiry': {
        const live = acc.grants.filter((g) => g.remaining > 0 && g.expires_at_ms !== null && g.expires_at_ms - early > this.now);
        if (live.length > 0) this.clock.ms = live[step.ms % live.length]!.expires_at_ms! - early;
        break;
      }
      default: {
        const never: never = step.to;
        throw new Error(`unknown advance ${String(never)}`);
      }
    }
    this.clock.ms = Math.floor(this.clock.ms);
  }

  faultCounts(): Partial<Record<FaultKind, number>> {
    return Object.fromEntries(this.db.fired);
  }
}

function newAccount(id: string, anchor_ms: number, visa: string, declined: string, owner: string): MAccount {
  return {
    id,
    plan: 'pro',
    seats: 1,
    anchor_ms,
    cancel_at_ms: null,
    enabled: false,
    limit: null,
    reload: { enabled: false, amount: null, threshold: null },
    default_declines: false,
    card_visa: visa,
    card_declined: declined,
    purchased: 0,
    grants: [],
    held: 0,
    late_held: 0,
    spent: new Map(),
    redeemed: new Map(),
    reload_in_flight: false,
    reloads: [],
    last_reload: null,
    windows: new Map(),
    members: [owner],
    purchases: [],
    excused: new Set(),
    lowered_below_holds: false,
  };
}
