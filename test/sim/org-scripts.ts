// The API organizations of the simulated world (docs/simulation.md): created through the real use
// cases with their cards and API keys, then one script per org and round, sent with the
// accounts' scripts so they share group-commit batches and meet the same faults. Metering goes by
// API key; every answer is checked against the org model (test/sim/org-model.ts), including
// refusals (api_credits_exhausted, spend_limit_reached, key_limit_reached, unauthenticated) and the
// requests that try to cross between the two pools (refused, changing nothing).
import type { AuthorizationRecord, UsageRecord } from '../../src/app/ports';
import { expectEqual, SimFailure } from './checks';
import { MODELS, THIRD_PARTY, type Usage } from './model';
import { keyLimit, orgLimit, type OrgMeterStep, type OrgScript, type OrgSingleStep } from './org-ops';
import { OrgModel, type MKey, type MOrg, type MOrgAuth } from './org-model';
import type { HoldStep } from './ops';
import type { Prng } from './prng';
import { attempt, count, OPERATOR, refusedUnrecorded, untilKnown, type Outcome, type Sim } from './runner';

export const ORGS = 2;
const KEYS_PER_ORG_MAX = 6;

type EventOutcome = Outcome<{ ok: boolean; record?: UsageRecord; duplicate?: boolean; type?: string }>;
type Send =
  | { kind: 'authorize'; k: number; request: Record<string, unknown>; key: string | null; outcome?: Outcome<unknown> }
  | { kind: 'cross'; run: () => Promise<unknown>; outcome?: Outcome<unknown> }
  | { kind: 'event'; k: number; body: Record<string, unknown>; outcome?: EventOutcome }
  | { kind: 'settle'; auth: MOrgAuth; usage: Usage; outcome?: Outcome<AuthorizationRecord> }
  | { kind: 'release'; auth: MOrgAuth; outcome?: Outcome<AuthorizationRecord> }
  | { kind: 'single'; step: OrgSingleStep; run: () => Promise<unknown>; k: number; outcome?: Outcome<unknown>; body?: Record<string, unknown> };

/** The month start (UTC) of an instant: an org's months are calendar months. */
const monthOf = (ms: number) => Date.UTC(new Date(ms).getUTCFullYear(), new Date(ms).getUTCMonth(), 1);

export class OrgScripts {
  readonly om = new OrgModel();
  private readonly by_key = new Map<string, MOrgAuth>();
  private readonly by_org = new Map<number, MOrgAuth[]>();
  private readonly events = new Map<string, { body: Record<string, unknown>; record_id: string }>();
  private readonly pending = new Map<number, Send[]>();
  /** Releases whose retry found their (expired) hold settled by a later request of the same batch: checked at the script's end. */
  private readonly settled_later: Array<{ auth: MOrgAuth; what: string }> = [];

  constructor(private readonly sim: Sim) {}

  /** The orgs, each with a declining card and a good one (the default), 2–3 keys, a first purchase, and maybe a monthly limit. */
  async setup(r: Prng): Promise<void> {
    const tb = this.sim.tb;
    for (let o = 0; o < ORGS; o++) {
      const limit = orgLimit(r);
      const { org } = await tb.createOrg(
        { name: `Sim org ${this.sim.tag}/${o}`, admin_email: this.sim.users[1 + o]!.email, ...(limit !== null ? { monthly_limit_micros: limit } : {}) },
        OPERATOR,
      );
      const declined = await tb.addPaymentMethod(org.id, { token: 'tok_chargeDeclined' }, OPERATOR);
      const visa = await tb.addPaymentMethod(org.id, { token: 'tok_visa' }, OPERATOR);
      this.om.orgs.push({
        id: org.id,
        anchor_ms: monthOf(this.sim.now),
        limit,
        card_visa: visa.id,
        card_declined: declined.id,
        purchased: 0,
        grants: [],
        held: 0,
        late_held: 0,
        spent: new Map(),
        redeemed: new Map(),
        bought: 0,
        keys: [],
        excused: new Set(),
        lowered_below_holds: false,
      });
      for (let k = r.int(2, 3); k > 0; k--) await this.run({ kind: 'org_single', o, step: { kind: 'new_key', limit: keyLimit(r) } });
      await this.run({ kind: 'org_single', o, step: { kind: 'purchase', amount: r.int(5, 30) * 1_000_000, declined: false } });
    }
  }

  private async run(s: OrgScript): Promise<void> {
    await this.send(s);
    await this.finish(s);
  }

  /** Key `n` of the org: one not revoked, or now and then any key whose secret we hold (revoked ones too). */
  private keyOf(org: MOrg, n: number): number | null {
    const known = org.keys.flatMap((k, i) => (k.secret !== '' ? [i] : []));
    const live = known.filter((i) => !org.keys[i]!.revoked);
    const from = n % 8 === 0 || live.length === 0 ? known : live;
    return from.length === 0 ? null : from[n % from.length]!;
  }

  async send(s: OrgScript): Promise<void> {
    const org = this.om.orgs[s.o]!;
    const sends: Send[] = [];
    this.pending.set(s.o, sends);
    if (s.kind === 'org_single') {
      const send: Send = { kind: 'single', step: s.step, k: -1, run: async () => null };
      this.resolveSingle(org, send);
      sends.push(send);
      send.outcome = await attempt(send.run);
      return;
    }
    if (s.kind === 'org_hold') {
      sends.push(...this.resolveHold(s));
      await Promise.all(
        sends.map(async (x) => {
          if (x.kind === 'settle') x.outcome = await attempt(() => this.sim.tb.settle(x.auth.id, x.usage));
          if (x.kind === 'release') x.outcome = await attempt(() => this.sim.tb.release(x.auth.id));
        }),
      );
      return;
    }
    const events: Array<Extract<Send, { kind: 'event' }>> = [];
    for (const step of s.steps) {
      if (step.kind === 'event') {
        const k = this.keyOf(org, step.key);
        if (k === null) continue;
        const body = {
          id: this.sim.key('org-event'),
          api_key: org.keys[k]!.secret,
          model: MODELS[step.model],
          usage: step.usage,
          timestamp: new Date(this.sim.now - step.back_ms).toISOString(),
        };
        events.push({ kind: 'event', k, body });
        if (step.dup === 'twice') events.push({ kind: 'event', k, body });
        continue;
      }
      sends.push(...this.resolveMeter(org, step));
    }
    // An API key is looked up before its request joins the metering queue, so requests sent at
    // once may reach it in another order. They are sent at once (sharing the round's batch) when
    // the model says the order cannot matter; otherwise one after another, each learned first.
    const tb = this.sim.tb;
    const send = (x: Extract<Send, { kind: 'authorize' | 'cross' }>) => (x.kind === 'cross' ? x.run() : tb.authorize(x.request, x.key ?? undefined));
    const requests = sends.filter((x): x is Extract<Send, { kind: 'authorize' | 'cross' }> => x.kind === 'authorize' || x.kind === 'cross');
    if (this.orderFree(org, requests)) {
      if (requests.length > 1) count(this.sim.stats.answers, 'org_sent_at_once');
      await Promise.all(requests.map(async (x) => (x.outcome = await attempt(() => send(x)))));
    } else for (const x of requests) x.outcome = await this.known(x, await attempt(() => send(x)));
    if (events.length === 0) return;
    // A script's events go in one call (they reach the queue in their order), after its crossing requests.
    sends.push(...events);
    const o = await attempt(() => this.sim.tb.recordUsageEvents(events.map((e) => e.body)));
    events.forEach((e, i) => (e.outcome = o.ok ? eventOutcome(o.value[i]!) : o));
  }

  /**
   * Whether the order of these requests cannot change any answer: every new hold fits even with
   * all the others placed first, or none fits even alone (a refusal changes nothing). Replays of a
   * key that has its hold, and crossing requests, are answered alike in any order.
   */
  private orderFree(org: MOrg, requests: Array<Extract<Send, { kind: 'authorize' | 'cross' }>>): boolean {
    const o = this.om.orgs.indexOf(org);
    const seen = new Set<string>();
    const fresh = requests.flatMap((x) => {
      if (x.kind === 'cross' || (x.key !== null && (this.by_key.has(`${o}:${x.key}`) || seen.has(x.key)))) return [];
      if (x.key !== null) seen.add(x.key);
      const [input, output] = [Number(x.request.input_tokens), Number(x.request.max_output_tokens)];
      return [{ k: x.k, model: String(x.request.model), input, output, hold: this.om.holdOf(String(x.request.model), input, output) }];
    });
    const now = this.sim.now;
    if (fresh.every((f) => !this.om.decideAuthorize(org, f.k, f.model, f.input, f.output, now).ok)) return true;
    return fresh.every((f, i) => {
      const others = fresh.filter((_, j) => j !== i);
      const key = org.keys[f.k]!;
      const [org_more, key_more] = [others.reduce((sum, g) => sum + g.hold, 0), others.reduce((sum, g) => sum + (g.k === f.k ? g.hold : 0), 0)];
      org.held += org_more;
      key.held += key_more;
      const ok = this.om.decideAuthorize(org, f.k, f.model, f.input, f.output, now).ok;
      org.held -= org_more;
      key.held -= key_more;
      return ok;
    });
  }

  /** A request's outcome learned: retried with the same key until known; an unkeyed authorization is looked up by the id a lost COMMIT names. */
  private async known<T>(x: Extract<Send, { kind: 'authorize' | 'cross' }>, first: Outcome<T>): Promise<Outcome<T>> {
    const tb = this.sim.tb;
    if (first.ok || first.type !== 'unknown') return first;
    if (x.kind === 'cross') return untilKnown(first, x.run as () => Promise<T>, this.sim.stats);
    if (x.key === null) {
      const id = (first.error as { figures?: { id?: unknown } }).figures?.id;
      const found = typeof id === 'string' ? await tb.getAuthorization(id) : undefined;
      if (found) return { ok: true, value: found as T };
    }
    return untilKnown(first, () => tb.authorize(x.request, x.key ?? undefined) as Promise<T>, this.sim.stats);
  }

  /** An authorization step's requests (the same key twice for a duplicate), or a crossing request. */
  private resolveMeter(org: MOrg, step: Exclude<OrgMeterStep, { kind: 'event' }>): Send[] {
    const tb = this.sim.tb;
    if (step.kind === 'cross') {
      const account = this.sim.m.accounts[step.account % this.sim.m.accounts.length]!;
      const model = MODELS[step.model];
      const ask = { model, input_tokens: 10, max_output_tokens: 10 };
      const run: () => Promise<unknown> =
        step.how === 'org_as_account'
          ? () => tb.authorize({ account_id: org.id, app: THIRD_PARTY[0], ...ask })
          : step.how === 'key_and_account'
            ? () => tb.authorize({ api_key: org.keys[0]!.secret || 'tbk_unknown', account_id: account.id, ...ask })
            : async () => {
                const usage = { input_tokens: 10, output_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
                const body = {
                  id: this.sim.key('cross'),
                  account_id: org.id,
                  app: THIRD_PARTY[0],
                  model,
                  usage,
                  timestamp: new Date(this.sim.now).toISOString(),
                };
                const [r] = await tb.recordUsageEvents([body]);
                if (!r!.ok) throw r!.error;
                return r!.record;
              };
      return [{ kind: 'cross', run }];
    }
    let k: number;
    let request: Record<string, unknown>;
    let key: string | null;
    if (step.kind === 'replay_authorize') {
      const keyed = (this.by_org.get(this.om.orgs.indexOf(org)) ?? []).filter((x) => x.key !== null);
      if (keyed.length === 0) return [];
      const first = keyed[step.pick % keyed.length]!;
      k = first.k;
      request = step.same ? first.request : { ...first.request, max_output_tokens: Number(first.request.max_output_tokens) + 1 };
      key = first.key;
    } else {
      const picked = this.keyOf(org, step.key);
      if (picked === null) return [];
      k = picked;
      request = {
        api_key: org.keys[k]!.secret,
        model: MODELS[step.model],
        input_tokens: step.input,
        max_output_tokens: step.max_output,
        ttl_ms: step.ttl_ms,
      };
      key = step.keyed ? this.sim.key('org-auth') : null;
    }
    const one: Send = { kind: 'authorize', k, request, key };
    // The same request and key twice: the second is answered with the first hold.
    return step.kind === 'authorize' && step.dup ? [one, { ...one }] : [one];
  }

  private resolveHold(s: Extract<OrgScript, { kind: 'org_hold' }>): Send[] {
    const all = this.by_org.get(s.o) ?? [];
    const held = all.filter((x) => x.status === 'held');
    const candidates = !s.open ? all : held.length > 0 && s.pick % 4 !== 0 ? held : all.filter((x) => x.status === 'held' || x.status === 'expired');
    if (candidates.length === 0) return [];
    const auth = candidates[s.pick % candidates.length]!;
    let last: Usage | null = auth.settle_usage;
    return s.steps.map((step: HoldStep): Send => {
      if (step.kind === 'release') return { kind: 'release', auth };
      if (step.kind === 'settle_again') {
        const base = last ?? { input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
        return { kind: 'settle', auth, usage: step.same ? base : { ...base, output_tokens: base.output_tokens + 1 } };
      }
      last = {
        input_tokens: Math.floor((Number(auth.request.input_tokens) * step.input_pct) / 100),
        output_tokens: Math.floor((Number(auth.request.max_output_tokens) * step.output_pct) / 100),
        cache_creation_input_tokens: step.cache_write,
        cache_read_input_tokens: step.cache_read,
      };
      return { kind: 'settle', auth, usage: last };
    });
  }

  private resolveSingle(org: MOrg, send: Extract<Send, { kind: 'single' }>): void {
    const tb = this.sim.tb;
    const step = send.step;
    switch (step.kind) {
      case 'purchase': {
        const key = this.sim.key('org-purchase');
        const body = { amount_micros: step.amount, ...(step.declined ? { payment_method_id: org.card_declined } : {}) };
        send.body = body;
        send.run = () => tb.purchaseCredits(org.id, body, key, OPERATOR);
        return;
      }
      case 'grant': {
        const key = this.sim.key('org-grant');
        const input = {
          amount_micros: step.amount,
          ...(step.expires_in_ms !== null ? { expires_at: new Date(this.sim.now + step.expires_in_ms).toISOString() } : {}),
        };
        send.run = () => tb.grantCredits(org.id, input, OPERATOR, key);
        return;
      }
      case 'new_key': {
        if (org.keys.length >= KEYS_PER_ORG_MAX) return;
        const name = this.sim.key('key');
        const input = { name, ...(step.limit !== null ? { monthly_limit_micros: step.limit } : {}) };
        // Creating a key is not idempotent: after an unknown outcome, the retry looks for it by name
        // (its secret is then lost, as it would be for a client: that key is never used again).
        let tried = false;
        send.run = async () => {
          if (tried) {
            const found = (await tb.listApiKeys(org.id)).find((v) => v.key.name === name);
            if (found) return { secret: '', key: found.key };
          }
          tried = true;
          return tb.createApiKey(org.id, input, OPERATOR);
        };
        return;
      }
      case 'revoke': {
        const live = org.keys.filter((k) => !k.revoked).length;
        const k = this.keyOf(org, step.key);
        if (k === null || live <= 1) return; // never the last usable key
        send.k = k;
        send.run = () => tb.revokeApiKey(org.id, org.keys[k]!.id, OPERATOR);
        return;
      }
      case 'limit': {
        const key = this.sim.key('org-limit');
        send.run = () => tb.updateOrg(org.id, { monthly_limit_micros: step.value }, OPERATOR, key);
        return;
      }
    }
  }

  /** Checks the script's answers in order against the model, learning unknown outcomes by retrying. */
  async finish(s: OrgScript): Promise<void> {
    const sends = this.pending.get(s.o) ?? [];
    this.pending.delete(s.o);
    const decided_again: Array<[number, Extract<Send, { kind: 'authorize' }>]> = [];
    for (const [i, x] of sends.entries()) {
      const what = `script of org ${s.o}, request ${i} (${x.kind})`;
      if (x.kind === 'authorize' && refusedUnrecorded(x.outcome)) decided_again.push([i, x]);
      else if (x.kind === 'authorize') this.finishAuthorize(s.o, x, (await this.known(x, x.outcome!)) as Outcome<AuthorizationRecord>, what);
      else if (x.kind === 'cross') this.refused(await this.known(x, x.outcome!), 'invalid_request', what);
      else if (x.kind === 'event') await this.finishEvent(s.o, x, what);
      else if (x.kind === 'single') await this.finishSingle(s.o, x, what);
      else await this.finishHold(x, what);
    }
    for (const [i, x] of decided_again) {
      const what = `script of org ${s.o}, request ${i} (authorize, refused in a batch whose COMMIT was unreadable, decided again)`;
      this.finishAuthorize(s.o, x, (await this.known(x, x.outcome!)) as Outcome<AuthorizationRecord>, what);
    }
    for (const { auth, what } of this.settled_later.splice(0))
      if (auth.status !== 'settled') throw new SimFailure(`${what}: a retried release found ${auth.id} settled, but the script did not settle it`);
  }

  private finishAuthorize(o: number, x: Extract<Send, { kind: 'authorize' }>, outcome: Outcome<AuthorizationRecord>, what: string): void {
    const org = this.om.orgs[o]!;
    const existing = x.key === null ? undefined : this.by_key.get(`${o}:${x.key}`);
    // The key is looked up first: a revoked one is refused even for a replay of its earlier request.
    if (org.keys[x.k]!.revoked) return this.refused(outcome, 'unauthenticated', what);
    if (existing) {
      if (JSON.stringify(existing.request) !== JSON.stringify(x.request)) return this.refused(outcome, 'idempotency_conflict', what);
      const value = this.succeeded(outcome, what);
      return expectEqual([value.id, value.status], [existing.id, existing.status], `${what}: a retry with the same key answers the first hold`);
    }
    const model = String(x.request.model);
    const decided = this.om.decideAuthorize(org, x.k, model, Number(x.request.input_tokens), Number(x.request.max_output_tokens), this.sim.now);
    if (!decided.ok) return this.refused(outcome, decided.type, what);
    const value = this.succeeded(outcome, what);
    expectEqual(
      [value.status, value.funding.source, value.funding.held_micros, value.expires_at_ms, value.api_key_id, value.account_id],
      ['held', 'api_credits', decided.value, this.sim.now + Number(x.request.ttl_ms), org.keys[x.k]!.id, org.id],
      `${what}: key ${x.k} ${model} ${x.request.input_tokens}+${x.request.max_output_tokens}`,
    );
    const auth: MOrgAuth = {
      id: value.id,
      o,
      k: x.k,
      model,
      request: x.request,
      key: x.key,
      held_micros: decided.value,
      status: 'held',
      late_counted: false,
      expires_at_ms: value.expires_at_ms,
      settle_usage: null,
      charged: null,
    };
    if (x.key !== null) this.by_key.set(`${o}:${x.key}`, auth);
    const list = this.by_org.get(o) ?? [];
    list.push(auth);
    this.by_org.set(o, list);
    count(this.sim.stats.answers, 'org_hold');
    this.om.hold(auth);
  }

  private async finishEvent(o: number, x: Extract<Send, { kind: 'event' }>, what: string): Promise<void> {
    const tb = this.sim.tb;
    const once = async () => {
      const [r] = await tb.recordUsageEvents([x.body]);
      const e = eventOutcome(r!);
      if (!e.ok && e.type === 'unknown') throw e.error;
      return e.ok ? e.value : { ok: false, type: e.type };
    };
    const unknown = !x.outcome!.ok && x.outcome!.type === 'unknown';
    const outcome = await untilKnown(x.outcome!, once, this.sim.stats);
    const got = outcome.ok ? outcome.value : { ok: false, type: outcome.type };
    const org = this.om.orgs[o]!;
    const seen = this.events.get(String(x.body.id));
    if (org.keys[x.k]!.revoked) {
      if (got.type === 'unauthenticated') count(this.sim.stats.refusals, 'org:unauthenticated');
      return expectEqual([got.ok, got.type], [false, 'unauthenticated'], `${what}: an event with a revoked key`);
    }
    if (seen) return expectEqual([got.ok, got.duplicate, got.record?.id], [true, true, seen.record_id], `${what}: a duplicate event answers the first record`);
    const u = x.body.usage as Usage;
    const expected = this.om.event(org, x.k, String(x.body.model), u, this.sim.now);
    if (!expected.ok) throw new SimFailure(`${what}: the model refused an event with a live key`);
    const r = got.record;
    expectEqual(
      [got.ok, unknown ? false : got.duplicate, r?.source, r?.cost_micros, r?.extra_usage_micros, r?.api_key_id, r?.account_id],
      [true, false, 'api_credits', expected.value, expected.value, org.keys[x.k]!.id, org.id],
      `${what}: event ${x.body.model} ${JSON.stringify(u)}`,
    );
    count(this.sim.stats.answers, 'org_event');
    this.events.set(String(x.body.id), { body: x.body, record_id: r!.id });
  }

  private async finishHold(x: Extract<Send, { kind: 'settle' | 'release' }>, what: string): Promise<void> {
    const tb = this.sim.tb;
    const auth = x.auth;
    if (x.kind === 'release') {
      const unknown = !x.outcome!.ok && x.outcome!.type === 'unknown';
      const outcome = await untilKnown(x.outcome!, () => tb.release(auth.id), this.sim.stats);
      if (auth.status === 'settled') return this.refused(outcome, 'conflict', what);
      // As for accounts: its batch committed with a later settlement of this hold (a release of an
      // expired hold changes nothing, the late settlement then charges it): the retry finds it settled.
      if (unknown && !outcome.ok && outcome.type === 'conflict' && auth.status === 'expired') {
        this.settled_later.push({ auth, what });
        return;
      }
      const value = this.succeeded(outcome, what);
      if (auth.status === 'held') this.om.release(auth);
      count(this.sim.stats.answers, 'org_release');
      return expectEqual(value.status, auth.status, `${what}: release of ${auth.id}`);
    }
    const outcome = await untilKnown(x.outcome!, () => tb.settle(auth.id, x.usage), this.sim.stats);
    if (auth.status === 'released') return this.refused(outcome, 'conflict', what);
    if (auth.status === 'settled') {
      if (JSON.stringify(auth.settle_usage) !== JSON.stringify(x.usage)) return this.refused(outcome, 'idempotency_conflict', what);
      const again = this.succeeded(outcome, what);
      return expectEqual([again.status, again.charged_micros], ['settled', auth.charged], `${what}: a settlement again answers the first`);
    }
    const was = auth.status;
    const value = this.succeeded(outcome, what);
    const charged = this.om.settle(auth, x.usage, this.sim.now);
    count(this.sim.stats.answers, was === 'expired' ? 'org_late_settle' : charged > auth.held_micros ? 'org_settle_beyond_hold' : 'org_settle');
    expectEqual(
      [value.status, value.charged_micros],
      ['settled', charged],
      `${what}: settle of ${was} ${auth.id} (key ${auth.k}, held ${auth.held_micros}) with ${JSON.stringify(x.usage)}`,
    );
  }

  private async finishSingle(o: number, x: Extract<Send, { kind: 'single' }>, what: string): Promise<void> {
    const org = this.om.orgs[o]!;
    const now = this.sim.now;
    const outcome = await untilKnown(x.outcome!, x.run, this.sim.stats);
    what = `${what}: org ${o} ${JSON.stringify(x.step)}`;
    const step = x.step;
    switch (step.kind) {
      case 'purchase': {
        const declines = x.body!.payment_method_id === org.card_declined;
        const r = this.om.purchase(org, step.amount, declines, now);
        if (!r.ok) return this.refused(outcome, r.type, what);
        const value = this.succeeded(outcome, what) as { balance_micros: number };
        count(this.sim.stats.answers, 'org_purchase');
        return expectEqual(value.balance_micros, r.value, `${what}: the balance after the purchase`);
      }
      case 'grant': {
        const value = this.succeeded(outcome, what) as { id: string };
        count(this.sim.stats.answers, 'org_grant');
        return this.om.grant(org, value.id, step.amount, step.expires_in_ms === null ? null : now + step.expires_in_ms);
      }
      case 'new_key': {
        if (org.keys.length >= KEYS_PER_ORG_MAX) return;
        const value = this.succeeded(outcome, what) as { secret: string; key: { id: string; monthly_limit_micros: number | null } };
        expectEqual(value.key.monthly_limit_micros, step.limit, `${what}: the new key's limit`);
        const key: MKey = { id: value.key.id, secret: value.secret, limit: step.limit, held: 0, late_held: 0, spent: new Map(), revoked: false };
        org.keys.push(key);
        count(this.sim.stats.answers, 'org_new_key');
        return;
      }
      case 'revoke': {
        if (x.k < 0) return;
        const value = this.succeeded(outcome, what) as { key: { id: string; revoked_at_ms: number | null } };
        expectEqual([value.key.id, value.key.revoked_at_ms !== null], [org.keys[x.k]!.id, true], `${what}: the revoked key`);
        this.om.revoke(org, x.k);
        count(this.sim.stats.answers, 'org_revoke');
        return;
      }
      case 'limit': {
        // The answer is the org view the change wrote (a replay answers the same view).
        const value = this.succeeded(outcome, what) as { answer: { monthly_limit_micros: number | null } };
        expectEqual(value.answer.monthly_limit_micros, step.value, `${what}: the new limit`);
        this.om.setLimit(org, step.value, now);
        count(this.sim.stats.answers, 'org_limit');
        return;
      }
    }
  }

  private refused<T>(outcome: Outcome<T>, type: string, what: string): void {
    if (outcome.ok) throw new SimFailure(`${what}: expected ${type}, but it succeeded: ${JSON.stringify(outcome.value).slice(0, 300)}`);
    if (outcome.type !== type) throw new SimFailure(`${what}: expected ${type}, got ${outcome.type}: ${(outcome.error as Error).message}`);
    count(this.sim.stats.refusals, `org:${type}`);
  }

  private succeeded<T>(outcome: Outcome<T>, what: string): T {
    if (!outcome.ok) throw new SimFailure(`${what}: expected success, got ${outcome.type}: ${(outcome.error as Error)?.message}`);
    return outcome.value;
  }
}

/** One event's result as an outcome: a record, a typed refusal, or unknown. */
function eventOutcome(r: { ok: true; record: UsageRecord; duplicate: boolean } | { ok: false; error: { type: string } }): EventOutcome {
  if (r.ok) return { ok: true, value: { ok: true, record: r.record, duplicate: r.duplicate } };
  const type = r.error.type;
  if (type === 'commit_unknown' || type === 'internal_error') return { ok: false, type: 'unknown', error: r.error };
  return { ok: true, value: { ok: false, type } };
}
