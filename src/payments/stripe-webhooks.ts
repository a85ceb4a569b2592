// Stripe's webhooks: the signature checked by the SDK (stripe.webhooks.constructEvent on the raw
// body, STRIPE_WEBHOOK_SECRET), and the events Tokenbank acts on reduced to its own terms.
import Stripe from 'stripe';
import type { PaymentWebhookVerifier, ProviderEvent } from '../app/ports';
import { limits } from '../domain/limits';
import { centsToMicros } from '../domain/money';
import { declineOf } from './stripe';

export function stripeWebhookVerifier(secret: string): PaymentWebhookVerifier {
  return {
    provider: 'stripe',
    verify(raw_body, signature) {
      if (!signature) return { ok: false, message: 'is missing: every Stripe webhook is signed (docs/payments.md)' };
      let event: Stripe.Event;
      try {
        event = Stripe.webhooks.constructEvent(raw_body, signature, secret, limits.stripe_webhook_tolerance_s);
      } catch (error) {
        return { ok: false, message: `does not verify with STRIPE_WEBHOOK_SECRET (${(error as Error).message})` };
      }
      if (typeof event.id !== 'string' || event.id.length === 0 || event.id.length > limits.provider_event_id_length_max)
        return { ok: false, message: 'the event has no usable id' };
      return { ok: true, event: { id: event.id, type: event.type, ...readEvent(event) } as ProviderEvent };
    },
  };
}

const idOf = (v: string | { id: string } | null | undefined) => (typeof v === 'string' ? v : (v?.id ?? null));

function readEvent(event: Stripe.Event): Record<string, unknown> & { kind: ProviderEvent['kind'] } {
  switch (event.type) {
    case 'payment_intent.succeeded': {
      const intent = event.data.object;
      return { kind: 'payment_succeeded', purchase_id: intent.metadata?.purchase_id ?? null, payment_intent_id: intent.id };
    }
    case 'payment_intent.payment_failed': {
      const intent = event.data.object;
      const last = intent.last_payment_error;
      // The same reading of a decline as a charge's answer (declineOf), so both say the same.
      const failure_type = declineOf(last?.code, last?.decline_code, '').type;
      return {
        kind: 'payment_failed',
        purchase_id: intent.metadata?.purchase_id ?? null,
        payment_intent_id: intent.id,
        failure_type,
        message: `Stripe: ${last?.message ?? 'the payment failed'}`,
      };
    }
    case 'charge.refunded': {
      const charge = event.data.object;
      const intent = idOf(charge.payment_intent);
      if (!intent) return { kind: 'ignored' };
      return { kind: 'charge_refunded', payment_intent_id: intent, amount_refunded_micros: centsToMicros(charge.amount_refunded) };
    }
    case 'charge.dispute.created': {
      const dispute = event.data.object;
      const intent = idOf(dispute.payment_intent);
      if (!intent) return { kind: 'ignored' };
      return { kind: 'charge_disputed', payment_intent_id: intent, amount_micros: centsToMicros(dispute.amount), reason: dispute.reason };
    }
    default:
      return { kind: 'ignored' };
  }
}
