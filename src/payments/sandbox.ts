// The default card provider: deterministic, offline, and speaking Stripe's test tokens.
// `tok_visa` and `tok_mastercard` charge successfully; `tok_chargeDeclined`,
// `tok_insufficientFunds` and `tok_expiredCard` attach but fail at charge time. A charge is a
// pure function of its idempotency key, so a retry after a crash returns the same charge id and
// the sandbox can say how many distinct charges it made (tests use that to prove "never twice").
import { createHash } from 'node:crypto';
import type { CardDetails, ChargeResult, PaymentProvider } from '../app/ports';
import type { CardRefusalType } from '../domain/refusals';

interface SandboxCard extends CardDetails {
  fails_with: CardRefusalType | null;
}

const CARDS: Record<string, SandboxCard> = {
  tok_visa: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2034, fails_with: null },
  tok_mastercard: { brand: 'mastercard', last4: '4444', exp_month: 12, exp_year: 2034, fails_with: null },
  tok_chargeDeclined: { brand: 'visa', last4: '0002', exp_month: 12, exp_year: 2034, fails_with: 'card_declined' },
  tok_insufficientFunds: { brand: 'visa', last4: '9995', exp_month: 12, exp_year: 2034, fails_with: 'insufficient_funds' },
  tok_expiredCard: { brand: 'visa', last4: '0069', exp_month: 12, exp_year: 2020, fails_with: 'expired_card' },
};

export class SandboxPayments implements PaymentProvider {
  readonly name = 'sandbox';
  /** Distinct successful charges by idempotency key (what a card statement would show). */
  readonly charges = new Map<string, { amount_micros: number; charge_id: string }>();
  charge_calls = 0;

  async attach(token: string) {
    const card = CARDS[token];
    if (!card) return { ok: false as const, type: 'invalid_request' as const, message: `unknown sandbox token "${token}"; use one of ${Object.keys(CARDS).join(', ')}` };
    const { fails_with: _ignored, ...details } = card;
    return { ok: true as const, provider_ref: `sandbox_card_${token}`, card: details };
  }

  async charge(input: { provider_ref: string; amount_micros: number; idempotency_key: string; description: string }): Promise<ChargeResult> {
    this.charge_calls += 1;
    const token = input.provider_ref.replace(/^sandbox_card_/, '');
    const card = CARDS[token];
    if (!card) return { ok: false, type: 'processing_error', message: `unknown sandbox card ${input.provider_ref}` };
    if (card.fails_with) return { ok: false, type: card.fails_with, message: `sandbox: ${token} fails with ${card.fails_with}` };
    const charge_id = `ch_sandbox_${createHash('sha256').update(input.idempotency_key).digest('hex').slice(0, 24)}`;
    const previous = this.charges.get(input.idempotency_key);
    if (previous && previous.amount_micros !== input.amount_micros) return { ok: false, type: 'processing_error', message: 'sandbox: idempotency key reused with a different amount' };
    this.charges.set(input.idempotency_key, { amount_micros: input.amount_micros, charge_id });
    return { ok: true, charge_id };
  }
}
