// The default card provider: deterministic, offline, and speaking Stripe's test tokens.
// `tok_visa` and `tok_mastercard` (and `pm_card_visa`, `pm_card_mastercard`) charge successfully;
// `tok_chargeDeclined`, `tok_chargeCustomerFail`, `tok_chargeDeclinedInsufficientFunds`,
// `tok_insufficientFunds` and `tok_expiredCard` attach but fail at charge time;
// `tok_threeDSecure2Required` / `pm_card_threeDSecure2Required` need the person's bank: the charge
// answers authentication_required, and confirming it (the confirm route) succeeds. A charge is a
// pure function of its idempotency key, so a retry after a crash returns the same charge id and
// the sandbox can say how many distinct charges it made (tests use that to prove "never twice").
import { createHash } from 'node:crypto';
import type { CardDetails, ChargeResult, PaymentProvider, RefundResult } from '../app/ports';
import type { CardRefusalType } from '../domain/refusals';

interface SandboxCard extends CardDetails {
  fails_with: CardRefusalType | null;
}

const THREE_DS: SandboxCard = { brand: 'visa', last4: '3155', exp_month: 12, exp_year: 2034, fails_with: 'authentication_required' };

const CARDS: Record<string, SandboxCard> = {
  tok_visa: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2034, fails_with: null },
  tok_mastercard: { brand: 'mastercard', last4: '4444', exp_month: 12, exp_year: 2034, fails_with: null },
  tok_chargeDeclined: { brand: 'visa', last4: '0002', exp_month: 12, exp_year: 2034, fails_with: 'card_declined' },
  tok_insufficientFunds: { brand: 'visa', last4: '9995', exp_month: 12, exp_year: 2034, fails_with: 'insufficient_funds' },
  tok_expiredCard: { brand: 'visa', last4: '0069', exp_month: 12, exp_year: 2020, fails_with: 'expired_card' },
  // Stripe test mode's names (docs/payments.md).
  pm_card_visa: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2034, fails_with: null },
  pm_card_mastercard: { brand: 'mastercard', last4: '4444', exp_month: 12, exp_year: 2034, fails_with: null },
  tok_chargeCustomerFail: { brand: 'visa', last4: '0341', exp_month: 12, exp_year: 2034, fails_with: 'card_declined' },
  tok_chargeDeclinedInsufficientFunds: { brand: 'visa', last4: '9995', exp_month: 12, exp_year: 2034, fails_with: 'insufficient_funds' },
  tok_threeDSecure2Required: THREE_DS,
  pm_card_threeDSecure2Required: THREE_DS,
};

const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 24);
/** A sandbox payment waiting for the bank: its id names the key, so confirming it works after a restart too. */
const INTENT_PREFIX = 'pi_sandbox_3ds_';

function parseIntent(payment_intent_id: string): { amount_micros: number; idempotency_key: string } | null {
  const m = /^pi_sandbox_3ds_(\d+)_([\w-]+)$/.exec(payment_intent_id);
  return m ? { amount_micros: Number(m[1]), idempotency_key: Buffer.from(m[2]!, 'base64url').toString() } : null;
}

export class SandboxPayments implements PaymentProvider {
  readonly name = 'sandbox';
  /** Distinct successful charges by idempotency key (what a card statement would show). */
  readonly charges = new Map<string, { amount_micros: number; charge_id: string }>();
  charge_calls = 0;
  /** Distinct refunds by idempotency key, and what each charge has had refunded. */
  readonly refunds = new Map<string, { charge_id: string; amount_micros: number; refund_id: string }>();
  private readonly refunded_by_charge = new Map<string, number>();

  async attach(token: string) {
    const card = CARDS[token];
    if (!card)
      return { ok: false as const, type: 'invalid_request' as const, message: `unknown sandbox token "${token}"; use one of ${Object.keys(CARDS).join(', ')}` };
    const { fails_with: _ignored, ...details } = card;
    return { ok: true as const, provider_ref: `sandbox_card_${token}`, card: details };
  }

  async charge(input: { provider_ref: string; amount_micros: number; idempotency_key: string; description: string }): Promise<ChargeResult> {
    this.charge_calls += 1;
    const token = input.provider_ref.replace(/^sandbox_card_/, '');
    const card = CARDS[token];
    if (!card) return { ok: false, type: 'processing_error', message: `unknown sandbox card ${input.provider_ref}` };
    if (card.fails_with === 'authentication_required') {
      const payment_intent_id = `${INTENT_PREFIX}${input.amount_micros}_${Buffer.from(input.idempotency_key).toString('base64url')}`;
      const action = { payment_intent_id, client_secret: `${payment_intent_id}_secret_sandbox`, next_action_url: null };
      return { ok: false, type: 'authentication_required', message: `sandbox: ${token} needs the bank's confirmation`, action };
    }
    if (card.fails_with) return { ok: false, type: card.fails_with, message: `sandbox: ${token} fails with ${card.fails_with}` };
    return this.record(input.idempotency_key, input.amount_micros);
  }

  private record(idempotency_key: string, amount_micros: number): ChargeResult {
    const charge_id = `ch_sandbox_${digest(idempotency_key)}`;
    const previous = this.charges.get(idempotency_key);
    if (previous && previous.amount_micros !== amount_micros)
      return { ok: false, type: 'processing_error', message: 'sandbox: idempotency key reused with a different amount' };
    this.charges.set(idempotency_key, { amount_micros, charge_id });
    return { ok: true, charge_id };
  }

  /** The sandbox has no bank step: confirming a payment that waits for it succeeds. */
  async confirm(payment_intent_id: string): Promise<ChargeResult> {
    const intent = parseIntent(payment_intent_id);
    if (!intent) return { ok: false, type: 'processing_error', message: `sandbox: unknown payment ${payment_intent_id}` };
    return this.record(intent.idempotency_key, intent.amount_micros);
  }

  async cancel(payment_intent_id: string): Promise<ChargeResult> {
    const intent = parseIntent(payment_intent_id);
    const known = intent ? this.charges.get(intent.idempotency_key) : undefined;
    if (known) return { ok: true, charge_id: known.charge_id };
    return { ok: false, type: 'card_declined', message: 'sandbox: the payment was not confirmed in time and was canceled' };
  }

  async refund(input: { charge_id: string; amount_micros: number; idempotency_key: string; reason: string }): Promise<RefundResult> {
    const previous = this.refunds.get(input.idempotency_key);
    if (previous) {
      if (previous.charge_id !== input.charge_id || previous.amount_micros !== input.amount_micros)
        return { ok: false, type: 'processing_error', message: 'sandbox: idempotency key reused with a different refund' };
      return { ok: true, refund_id: previous.refund_id };
    }
    if (!input.charge_id.startsWith('ch_sandbox_'))
      return { ok: false, type: 'processing_error', message: `sandbox: ${input.charge_id} is not a sandbox charge` };
    // A charge made before this process started is not in memory (the sandbox keeps nothing on
    // disk); Tokenbank's own bound (never more than the purchase has unrefunded) still holds.
    const charge = [...this.charges.values()].find((c) => c.charge_id === input.charge_id);
    const already = this.refunded_by_charge.get(input.charge_id) ?? 0;
    if (charge && already + input.amount_micros > charge.amount_micros)
      return { ok: false, type: 'processing_error', message: `sandbox: charge ${input.charge_id} has ${charge.amount_micros - already} micros left to refund` };
    const refund_id = `re_sandbox_${digest(input.idempotency_key)}`;
    this.refunded_by_charge.set(input.charge_id, already + input.amount_micros);
    this.refunds.set(input.idempotency_key, { charge_id: input.charge_id, amount_micros: input.amount_micros, refund_id });
    return { ok: true, refund_id };
  }
}
