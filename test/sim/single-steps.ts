// The simulation's other use cases, one per account script: purchases (some on a declining
// card, some retried with their key), grants, extra-usage settings and auto-reload, plan changes
// and cancellations (lapse), refunds, team seats (a member joins, or leaves), a new default card. Each is sent at once with
// the other scripts and checked against the model; an unknown outcome is learned by retrying.
import { expectEqual, SimFailure } from './checks';
import type { SingleStep } from './ops';
import { attempt, count, OPERATOR, untilKnown, type Outcome, type Sim } from './runner';

interface PurchaseMade {
  key: string;
  body: { amount_micros: number; payment_method_id?: string };
  /** The answer type it got: 'ok', or a refusal; a row exists only for 'ok' and card declines. */
  result: string;
}

export class SingleSteps {
  private readonly pending = new Map<
    number,
    { step: SingleStep; run: () => Promise<unknown>; outcome: Outcome<unknown>; key?: string; body?: PurchaseMade['body'] }
  >();
  private readonly purchases = new Map<number, PurchaseMade[]>();

  constructor(private readonly sim: Sim) {}

  async send(a: number, step: SingleStep): Promise<void> {
    const { run, key, body } = this.resolve(a, step);
    const outcome = await attempt(run);
    this.pending.set(a, { step, run, outcome, ...(key ? { key } : {}), ...(body ? { body } : {}) });
  }

  private resolve(a: number, step: SingleStep): { run: () => Promise<unknown>; key?: string; body?: PurchaseMade['body'] } {
    const tb = this.sim.tb;
    const acc = this.sim.m.accounts[a]!;
    const now = this.sim.now;
    switch (step.kind) {
      case 'purchase': {
        const key = this.sim.key('purchase');
        const body = { amount_micros: step.amount, ...(step.declined ? { payment_method_id: acc.card_declined } : {}) };
        return { run: () => this.sim.tb.purchaseCredits(acc.id, body, key, OPERATOR), key, body };
      }
      case 'purchase_retry': {
        const made = this.purchases.get(a) ?? [];
        if (made.length === 0) return { run: async () => null };
        const first = made[step.pick % made.length]!;
        const body = step.same ? first.body : { ...first.body, amount_micros: first.body.amount_micros + 10_000 };
        return { run: () => this.sim.tb.purchaseCredits(acc.id, body, first.key, OPERATOR), key: first.key, body };
      }
      case 'grant': {
        const key = this.sim.key('grant');
        const input = { amount_micros: step.amount, ...(step.expires_in_ms !== null ? { expires_at: new Date(now + step.expires_in_ms).toISOString() } : {}) };
        return { run: () => this.sim.tb.grantCredits(acc.id, input, OPERATOR, key) };
      }
      case 'settings': {
        const key = this.sim.key('settings');
        const patch = {
          ...(step.enabled !== null ? { enabled: step.enabled } : {}),
          ...(step.limit.set ? { monthly_spend_limit_micros: step.limit.value } : {}),
          ...(step.reload ? { auto_reload: { enabled: step.reload.enabled, amount_micros: step.reload.amount, threshold_micros: step.reload.threshold } } : {}),
        };
        return { run: () => this.sim.tb.updateExtraUsage(acc.id, patch, OPERATOR, key) };
      }
      case 'plan': {
        const key = this.sim.key('plan');
        const input = { plan: step.plan, ...(step.plan === 'team' ? { seats: step.seats } : {}) };
        return { run: () => this.sim.tb.changeSubscription(acc.id, input, OPERATOR, key) };
      }
      case 'cancel':
        return { run: () => tb.cancelSubscription(acc.id, OPERATOR) };
      case 'refund': {
        const key = this.sim.key('refund');
        return { run: () => this.sim.tb.refundCredits(acc.id, step.amount === null ? {} : { amount_micros: step.amount }, key, OPERATOR) };
      }
      case 'seat':
        return { run: () => this.join(a, step.user) };
      case 'leave': {
        const user = this.leaver(a, step.user);
        const change = { kind: 'plan' as const, account_id: acc.id, user_id: user.id, change: { remove: true as const } };
        return { run: () => tb.changeMember(change, { role: 'member', user_id: user.id }, { id: `user:${user.id}`, request_id: 'sim' }) };
      }
      case 'card':
        return { run: () => this.sim.tb.addPaymentMethod(acc.id, { token: step.declines ? 'tok_chargeDeclined' : 'tok_visa' }, OPERATOR) };
      default: {
        const never: never = step;
        throw new Error(`unknown step ${JSON.stringify(never)}`);
      }
    }
  }

  /** Who leaves: mostly a member other than the owner; now and then anyone (the owner, or someone not a member). */
  private leaver(a: number, pick: number): { id: string; email: string } {
    const acc = this.sim.m.accounts[a]!;
    const others = acc.members.slice(1);
    if (pick % 4 !== 0 && others.length > 0) return this.sim.users.find((u) => u.id === others[pick % others.length])!;
    return this.sim.users[pick % this.sim.users.length]!;
  }

  /** An invitation and its acceptance; a retry after an unknown outcome sees whether the member joined. */
  private async join(a: number, pick: number): Promise<string> {
    const acc = this.sim.m.accounts[a]!;
    const user = this.sim.users[pick % this.sim.users.length]!;
    const members = await this.sim.tb.listMembers(acc.id);
    if (members.some((m) => m.user_id === user.id)) return user.id;
    const invitation = await this.sim.tb.inviteMember('plan', acc.id, { email: user.email, role: 'member' }, OPERATOR);
    await this.sim.tb.acceptInvitation(invitation.id, { user_id: user.id, email: user.email }, { id: user.id, request_id: 'sim' });
    return user.id;
  }

  async finish(a: number): Promise<void> {
    const p = this.pending.get(a)!;
    this.pending.delete(a);
    const outcome = await untilKnown(p.outcome, p.run, this.sim.stats);
    const what = `account ${a}: ${JSON.stringify(p.step)}`;
    const m = this.sim.m;
    const acc = m.accounts[a]!;
    const now = this.sim.now;
    const got = outcome.ok ? 'ok' : outcome.type;
    count(outcome.ok ? this.sim.stats.answers : this.sim.stats.refusals, outcome.ok ? p.step.kind : got);
    const expect = (expected: string) => {
      if (got !== expected) throw new SimFailure(`${what}: expected ${expected}, got ${got}${outcome.ok ? '' : `: ${(outcome.error as Error).message}`}`);
    };
    switch (p.step.kind) {
      case 'purchase':
      case 'purchase_retry':
        return this.finishPurchase(a, p.key, p.body, outcome, what);
      case 'grant': {
        const expires = p.step.expires_in_ms === null ? null : now + p.step.expires_in_ms;
        expect('ok');
        m.grant(acc, (outcome as { value: { id: string } }).value.id, p.step.amount, expires);
        return;
      }
      case 'settings': {
        const r = p.step.reload;
        const change = {
          ...(p.step.enabled !== null ? { enabled: p.step.enabled } : {}),
          ...(p.step.limit.set ? { limit: p.step.limit.value } : {}),
          ...(r ? { reload: { enabled: r.enabled, amount: r.amount, threshold: r.threshold } } : {}),
        };
        return expect(m.settings(acc, change, now).ok ? 'ok' : 'invalid_request');
      }
      case 'plan': {
        const r = m.changePlan(acc, p.step.plan, p.step.plan === 'team' ? p.step.seats : undefined, now);
        return expect(r.ok ? 'ok' : r.type);
      }
      case 'cancel': {
        const r = m.cancel(acc, now);
        return expect(r.ok ? 'ok' : r.type);
      }
      case 'refund': {
        const r = m.refund(acc, p.step.amount);
        expect(r.ok ? 'ok' : r.type);
        if (r.ok) expectEqual((outcome as { value: { refund: { amount_micros: number } } }).value.refund.amount_micros, r.value, `${what}: refunded`);
        return;
      }
      case 'seat': {
        const user = this.sim.users[p.step.user % this.sim.users.length]!;
        const r = acc.members.includes(user.id) ? ({ ok: true } as const) : m.join(acc, user.id);
        return expect(r.ok ? 'ok' : r.type);
      }
      case 'leave': {
        const user = this.leaver(a, p.step.user);
        // After an unknown outcome, a retry finds them gone if the first attempt committed.
        if (!p.outcome.ok && p.outcome.type === 'unknown' && got === 'not_found' && acc.members.includes(user.id) && acc.members[0] !== user.id) {
          m.leave(acc, user.id);
          return;
        }
        const r = m.leave(acc, user.id);
        return expect(r.ok ? 'ok' : r.type);
      }
      case 'card':
        expect('ok');
        acc.default_declines = p.step.declines;
        return;
      default: {
        const never: never = p.step;
        throw new Error(`unknown step ${JSON.stringify(never)}`);
      }
    }
  }

  private finishPurchase(a: number, key: string | undefined, body: PurchaseMade['body'] | undefined, outcome: Outcome<unknown>, what: string): void {
    if (!key || !body) return; // a retry with no purchase made yet
    const m = this.sim.m;
    const acc = m.accounts[a]!;
    const made = this.purchases.get(a) ?? [];
    const first = made.find((x) => x.key === key);
    const got = outcome.ok ? 'ok' : outcome.type;
    let expected: string;
    if (first && (first.result === 'ok' || first.result === 'card_declined')) {
      // The key has a purchase: the same body is answered from it, another body is a conflict.
      expected = JSON.stringify(first.body) !== JSON.stringify(body) ? 'idempotency_conflict' : first.result;
    } else {
      const declines = body.payment_method_id === acc.card_declined || (body.payment_method_id === undefined && acc.default_declines);
      const r = m.purchase(acc, body.amount_micros, declines, this.sim.now);
      expected = r.ok ? 'ok' : r.type;
      if (first) Object.assign(first, { body, result: expected });
      else made.push({ key, body, result: expected });
      this.purchases.set(a, made);
    }
    if (got !== expected) throw new SimFailure(`${what}: expected ${expected}, got ${got}${outcome.ok ? '' : `: ${(outcome.error as Error).message}`}`);
    if (outcome.ok && expected === 'ok')
      expectEqual((outcome.value as { balance_micros: number }).balance_micros, m.balance(acc, this.sim.now), `${what}: the balance after the purchase`);
  }
}
