// Meter scripts of the simulation: authorizations (some duplicated, some retried with their key),
// usage events (some delivered twice, some reusing an id with other content), and requests on
// one hold (settle below and above it, settle again, release, release before settle). Sent at
// once, so they share group-commit batches; checked in order against the model.
import type { AuthorizationRecord, UsageRecord } from '../../src/app/ports';
import { expectEqual, SimFailure } from './checks';
import { FIRST_PARTY, MODELS, PLANS, THIRD_PARTY, type MAuth, type Usage } from './model';
import type { HoldStep, MeterStep, Script } from './ops';
import { attempt, count, refusedUnrecorded, untilKnown, type Outcome, type Sim } from './runner';

type AuthorizeSend = { kind: 'authorize'; request: Record<string, unknown>; key: string | null; outcome?: Outcome<AuthorizationRecord> };
type EventSend = { kind: 'event'; body: Record<string, unknown>; outcome?: Outcome<{ ok: boolean; record?: UsageRecord; duplicate?: boolean; type?: string }> };
type HoldSend =
  | { kind: 'settle'; auth: MAuth; usage: Usage; outcome?: Outcome<AuthorizationRecord> }
  | { kind: 'release'; auth: MAuth; outcome?: Outcome<AuthorizationRecord> };
type Send = AuthorizeSend | EventSend | HoldSend;

const TTL_MAX_MS = 3_600_000;

export class MeterScripts {
  private readonly by_key = new Map<string, MAuth>();
  private readonly by_account = new Map<number, MAuth[]>();
  private readonly events = new Map<string, { body: Record<string, unknown>; record_id: string }>();
  private readonly event_ids = new Map<number, string[]>();
  private readonly pending = new Map<number, Send[]>();
  private readonly settled_later: Array<{ auth: MAuth; what: string }> = [];

  constructor(private readonly sim: Sim) {}

  private get m() {
    return this.sim.m;
  }

  /** The user a request names: on a per-seat plan, a member (or, now and then, nobody: refused). */
  private userOf(a: number, pick: number): string | undefined {
    const acc = this.m.accounts[a]!;
    if (!PLANS[acc.plan]!.per_seat || pick === 7) return undefined;
    return acc.members[pick % acc.members.length];
  }

  async send(s: Extract<Script, { kind: 'meter' | 'hold' }>): Promise<void> {
    const sends = s.kind === 'meter' ? this.resolveMeter(s.a, s.steps) : this.resolveHold(s);
    this.pending.set(s.a, sends);
    const tb = this.sim.tb;
    const events = sends.filter((x): x is EventSend => x.kind === 'event');
    const calls: Array<Promise<unknown>> = [];
    if (events.length > 0) {
      // One call for the script's events: they reach the queue in their order.
      calls.push(
        attempt(() => tb.recordUsageEvents(events.map((e) => e.body))).then((o) => {
          events.forEach((e, i) => {
            e.outcome = o.ok ? eventOutcome(o.value[i]!) : o;
          });
        }),
      );
    }
    for (const x of sends) {
      if (x.kind === 'authorize') calls.push(attempt(() => tb.authorize(x.request, x.key ?? undefined)).then((o) => (x.outcome = o)));
      if (x.kind === 'settle') calls.push(attempt(() => tb.settle(x.auth.id, x.usage)).then((o) => (x.outcome = o)));
      if (x.kind === 'release') calls.push(attempt(() => tb.release(x.auth.id)).then((o) => (x.outcome = o)));
    }
    await Promise.all(calls);
  }

  private resolveMeter(a: number, steps: MeterStep[]): Send[] {
    const acc = this.m.accounts[a]!;
    const out: Send[] = [];
    const expiries = new Set((this.by_account.get(a) ?? []).filter((x) => x.status === 'held').map((x) => x.expires_at_ms));
    for (const step of steps) {
      if (step.kind === 'authorize') {
        const request: Record<string, unknown> = {
          account_id: acc.id,
          app: step.third ? THIRD_PARTY[step.app % THIRD_PARTY.length] : FIRST_PARTY[step.app % FIRST_PARTY.length],
          model: MODELS[step.model],
          input_tokens: step.input,
          max_output_tokens: step.max_output,
        };
        // No two holds of an account expire at one instant: the expiry job's order is then the model's.
        let ttl = step.ttl_ms;
        while (expiries.has(this.sim.now + ttl)) ttl = ttl >= TTL_MAX_MS ? 1000 : ttl + 1;
        expiries.add(this.sim.now + ttl);
        request.ttl_ms = ttl;
        const user = this.userOf(a, step.user);
        if (user !== undefined) request.user_id = user;
        const key = step.keyed ? this.sim.key('auth') : null;
        out.push({ kind: 'authorize', request, key });
        if (step.dup) out.push({ kind: 'authorize', request, key });
      } else if (step.kind === 'replay_authorize') {
        const keyed = (this.by_account.get(a) ?? []).filter((x) => x.key !== null);
        if (keyed.length === 0) continue;
        const first = keyed[step.pick % keyed.length]!;
        const request = step.same ? first.request : { ...first.request, max_output_tokens: Number(first.request.max_output_tokens) + 1 };
        out.push({ kind: 'authorize', request, key: first.key });
      } else if (step.kind === 'event') {
        const id = this.sim.key('event');
        const app = step.third ? THIRD_PARTY[step.app % THIRD_PARTY.length] : FIRST_PARTY[step.app % FIRST_PARTY.length];
        const body: Record<string, unknown> = {
          id,
          account_id: acc.id,
          app,
          model: MODELS[step.model],
          usage: step.usage,
          timestamp: new Date(this.sim.now - step.back_ms).toISOString(),
        };
        const user = this.userOf(a, step.user);
        if (user !== undefined) body.user_id = user;
        out.push({ kind: 'event', body });
        if (step.dup === 'twice') out.push({ kind: 'event', body });
        if (step.dup === 'different') out.push({ kind: 'event', body: { ...body, usage: { ...step.usage, output_tokens: step.usage.output_tokens + 1 } } });
      } else {
        const ids = this.event_ids.get(a) ?? [];
        if (ids.length > 0) out.push({ kind: 'event', body: this.events.get(ids[step.pick % ids.length]!)!.body });
      }
    }
    return out;
  }

  private resolveHold(s: Extract<Script, { kind: 'hold' }>): Send[] {
    const all = this.by_account.get(s.a) ?? [];
    // Mostly a hold still held (settle below or above it); sometimes an expired one (late settlement) or any.
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
      const input = Number(auth.request.input_tokens);
      const max_output = Number(auth.request.max_output_tokens);
      last = {
        input_tokens: Math.floor((input * step.input_pct) / 100),
        output_tokens: Math.floor((max_output * step.output_pct) / 100),
        cache_creation_input_tokens: step.cache_write,
        cache_read_input_tokens: step.cache_read,
      };
      return { kind: 'settle', auth, usage: last };
    });
  }

  /** Checks the script's answers in order, learning unknown outcomes by retrying. */
  async finish(s: Extract<Script, { kind: 'meter' | 'hold' }>): Promise<void> {
    const sends = this.pending.get(s.a) ?? [];
    this.pending.delete(s.a);
    const decided_again: Array<[number, AuthorizeSend]> = [];
    for (const [i, x] of sends.entries()) {
      const what = `script of account ${s.a}, request ${i} (${x.kind})`;
      if (x.kind === 'authorize' && refusedUnrecorded(x.outcome)) decided_again.push([i, x]);
      else if (x.kind === 'authorize') await this.finishAuthorize(s.a, x, what);
      else if (x.kind === 'event') await this.finishEvent(s.a, x, what);
      else await this.finishHold(x, what);
    }
    for (const [i, x] of decided_again)
      await this.finishAuthorize(s.a, x, `script of account ${s.a}, request ${i} (authorize, refused in a batch whose COMMIT was unreadable, decided again)`);
    for (const { auth, what } of this.settled_later.splice(0))
      if (auth.status !== 'settled') throw new SimFailure(`${what}: a retried release found ${auth.id} settled, but the script did not settle it`);
  }

  private async finishAuthorize(a: number, x: AuthorizeSend, what: string): Promise<void> {
    const tb = this.sim.tb;
    let outcome = x.outcome!;
    if (!outcome.ok && outcome.type === 'unknown' && x.key === null) {
      // Unkeyed: a lost COMMIT names the hold it would have made; look it up, else ask again.
      const id = (outcome.error as { figures?: { id?: unknown } }).figures?.id;
      const found = typeof id === 'string' ? await tb.getAuthorization(id) : undefined;
      outcome = found ? { ok: true, value: found } : await untilKnown(outcome, () => tb.authorize(x.request), this.sim.stats);
    } else outcome = await untilKnown(outcome, () => tb.authorize(x.request, x.key ?? undefined), this.sim.stats);
    const acc = this.m.accounts[a]!;
    const existing = x.key === null ? undefined : this.by_key.get(`${a}:${x.key}`);
    if (existing) {
      if (JSON.stringify(existing.request) !== JSON.stringify(x.request)) return this.refused(outcome, 'idempotency_conflict', what);
      const value = this.succeeded(outcome, what);
      return expectEqual([value.id, value.status], [existing.id, existing.status], `${what}: a retry with the same key answers the first hold`);
    }
    const user = x.request.user_id as string | undefined;
    if (PLANS[acc.plan]!.per_seat && (user === undefined || !acc.members.includes(user))) return this.refused(outcome, 'invalid_request', what);
    const seat = PLANS[acc.plan]!.per_seat ? user! : '';
    const app = String(x.request.app);
    const model = String(x.request.model);
    const decided = this.m.decideAuthorize(acc, seat, app, model, Number(x.request.input_tokens), Number(x.request.max_output_tokens), this.sim.now);
    if (!decided.ok) return this.refused(outcome, decided.type, what);
    const value = this.succeeded(outcome, what);
    const f = decided.value;
    expectEqual(
      [value.status, value.funding.source, value.funding.allowance_tokens, value.funding.held_micros, value.expires_at_ms],
      ['held', f.source, f.allowance_tokens, f.held_micros, this.sim.now + Number(x.request.ttl_ms)],
      `${what}: ${app} ${model} ${x.request.input_tokens}+${x.request.max_output_tokens}`,
    );
    const auth: MAuth = {
      id: value.id,
      a,
      seat,
      model,
      request: x.request,
      key: x.key,
      funding: f,
      status: 'held',
      late_counted: false,
      expires_at_ms: value.expires_at_ms,
      settle_usage: null,
      charged: null,
    };
    if (x.key !== null) this.by_key.set(`${a}:${x.key}`, auth);
    const list = this.by_account.get(a) ?? [];
    list.push(auth);
    this.by_account.set(a, list);
    count(this.sim.stats.answers, `hold_${f.source}`);
    this.m.hold(auth, this.sim.now);
  }

  private async finishEvent(a: number, x: EventSend, what: string): Promise<void> {
    const tb = this.sim.tb;
    const once = async () => {
      const [r] = await tb.recordUsageEvents([x.body]);
      const o = eventOutcome(r!);
      if (!o.ok && o.type === 'unknown') throw o.error;
      return o.ok ? o.value : { ok: false, type: o.type };
    };
    const unknown = !x.outcome!.ok && x.outcome!.type === 'unknown';
    const outcome = await untilKnown(x.outcome!, once, this.sim.stats);
    const id = String(x.body.id);
    const seen = this.events.get(`${a}:${id}`);
    const got = outcome.ok ? outcome.value : { ok: false, type: outcome.type };
    if (seen) {
      if (JSON.stringify(seen.body) !== JSON.stringify(x.body)) return expectEqual([got.ok, got.type], [false, 'idempotency_conflict'], what);
      return expectEqual([got.ok, got.duplicate, got.record?.id], [true, true, seen.record_id], `${what}: a duplicate event answers the first record`);
    }
    const acc = this.m.accounts[a]!;
    const user = x.body.user_id as string | undefined;
    if (PLANS[acc.plan]!.per_seat && (user === undefined || !acc.members.includes(user)))
      return expectEqual([got.ok, got.type], [false, 'invalid_request'], what);
    count(this.sim.stats.answers, 'event');
    const u = x.body.usage as Usage;
    const seat = PLANS[acc.plan]!.per_seat ? user! : '';
    const expected = this.m.event(acc, seat, String(x.body.app), String(x.body.model), u, this.sim.now);
    const r = got.record;
    // After an unknown outcome the retry finds the event recorded if the first delivery committed.
    expectEqual(
      [got.ok, unknown ? false : got.duplicate, r?.source, r?.cost_micros, r?.extra_usage_micros, r?.allowance_tokens],
      [true, false, expected.source, expected.cost, expected.extra, expected.allowance],
      `${what}: event ${x.body.app} ${x.body.model} ${JSON.stringify(u)}`,
    );
    this.events.set(`${a}:${id}`, { body: x.body, record_id: r!.id });
    const ids = this.event_ids.get(a) ?? [];
    ids.push(`${a}:${id}`);
    this.event_ids.set(a, ids);
  }

  private async finishHold(x: HoldSend, what: string): Promise<void> {
    const tb = this.sim.tb;
    const auth = x.auth;
    if (x.kind === 'release') {
      const unknown = !x.outcome!.ok && x.outcome!.type === 'unknown';
      const outcome = await untilKnown(x.outcome!, () => tb.release(auth.id), this.sim.stats);
      if (auth.status === 'settled') return this.refused(outcome, 'conflict', what);
      // Its batch committed with a later settlement of this hold (a release of an expired hold
      // changes nothing, the settlement then charges it): the retry finds the hold settled.
      if (unknown && !outcome.ok && outcome.type === 'conflict' && auth.status === 'expired') {
        this.settled_later.push({ auth, what });
        return;
      }
      const value = this.succeeded(outcome, what);
      if (auth.status === 'held') this.m.release(auth, this.sim.now);
      count(this.sim.stats.answers, 'release');
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
    const expected = this.m.settle(auth, x.usage, this.sim.now);
    count(this.sim.stats.answers, was === 'expired' ? 'late_settle' : 'settle');
    expectEqual(
      [value.status, value.charged_micros, value.settled_allowance_tokens],
      ['settled', expected.charged, expected.allowance],
      `${what}: settle of ${was} ${auth.funding.source} ${auth.id} (held ${auth.funding.held_micros}) with ${JSON.stringify(x.usage)}`,
    );
  }

  private refused<T>(outcome: Outcome<T>, type: string, what: string): void {
    if (outcome.ok) throw new SimFailure(`${what}: expected ${type}, but it succeeded: ${JSON.stringify(outcome.value).slice(0, 300)}`);
    if (outcome.type !== type) throw new SimFailure(`${what}: expected ${type}, got ${outcome.type}: ${(outcome.error as Error).message}`);
    count(this.sim.stats.refusals, type);
  }

  private succeeded<T>(outcome: Outcome<T>, what: string): T {
    if (!outcome.ok) throw new SimFailure(`${what}: expected success, got ${outcome.type}: ${(outcome.error as Error)?.message}`);
    return outcome.value;
  }
}

/** One event's result as an outcome: a record, a typed refusal, or unknown. */
function eventOutcome(r: { ok: true; record: UsageRecord; duplicate: boolean } | { ok: false; error: { type: string } }): EventSend['outcome'] & object {
  if (r.ok) return { ok: true, value: { ok: true, record: r.record, duplicate: r.duplicate } };
  const type = r.error.type;
  if (type === 'commit_unknown' || type === 'internal_error') return { ok: false, type: 'unknown', error: r.error };
  return { ok: true, value: { ok: false, type } };
}
