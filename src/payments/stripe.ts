// The Stripe card provider, on the official SDK (docs/payments.md). Selected when STRIPE_SECRET_KEY
// is set; STRIPE_API_BASE points the SDK at another host (the tests' fake Stripe). Card numbers
// never reach Tokenbank: it is given a token (`tok_…`) or a payment method id (`pm_…`) made by
// Stripe.js or Stripe's test mode, and keeps only the payment method id and the card's brand,
// last four digits and expiry.
//
// Every call that moves money carries an idempotency key derived from what it pays for (the
// purchase or reload and its attempt, the refund and its purchase): the SDK's own retries after a
// timeout, a retried request and the recovery job after a crash all send the same key, and Stripe
// answers the first PaymentIntent (or refund) again instead of making a second.
import Stripe from 'stripe';
import { ProviderUnavailable, type CardDetails, type ChargeResult, type PaymentProvider, type ProviderCustomer, type RefundResult } from '../app/ports';
import { limits } from '../domain/limits';
import { microsToCents } from '../domain/money';

export interface StripeOptions {
  secret_key: string;
  /** Another API host, e.g. http://127.0.0.1:12111 (STRIPE_API_BASE). */
  api_base?: string | undefined;
  /** Where Stripe sends the person back after their bank's step (the page), when set. */
  return_url?: string | undefined;
  timeout_ms?: number;
  max_network_retries?: number;
}

type Decline = Exclude<ChargeResult, { ok: true } | { type: 'authentication_required' }>;

/** The SDK's configuration: the host, the time per request and the retries (same idempotency key). */
export function stripeConfig(options: StripeOptions) {
  const base = options.api_base ? new URL(options.api_base) : undefined;
  return {
    maxNetworkRetries: options.max_network_retries ?? limits.stripe_network_retries_max,
    timeout: options.timeout_ms ?? limits.stripe_request_timeout_ms,
    telemetry: false,
    ...(base
      ? {
          host: base.hostname,
          port: base.port || (base.protocol === 'http:' ? '80' : '443'),
          protocol: base.protocol === 'http:' ? ('http' as const) : ('https' as const),
        }
      : {}),
  };
}

export class StripePayments implements PaymentProvider {
  readonly name = 'stripe';
  readonly stripe: Stripe;

  constructor(private readonly options: StripeOptions) {
    this.stripe = new Stripe(options.secret_key, stripeConfig(options));
  }

  async attach(token: string, customer?: ProviderCustomer) {
    try {
      const customer_ref = customer?.customer_ref ?? (await this.customerFor(customer?.account_id));
      // A test token (tok_visa) becomes a PaymentMethod first; a pm_… id (Stripe.js, or pm_card_visa in test mode) is attached as it is.
      const method_id = token.startsWith('pm_') ? token : (await this.stripe.paymentMethods.create({ type: 'card', card: { token } })).id;
      const method = await this.stripe.paymentMethods.attach(method_id, { customer: customer_ref });
      const card: CardDetails = {
        brand: method.card?.brand ?? 'card',
        last4: method.card?.last4 ?? '????',
        exp_month: method.card?.exp_month ?? 0,
        exp_year: method.card?.exp_year ?? 0,
      };
      return { ok: true as const, provider_ref: method.id, card, customer_ref };
    } catch (error) {
      const e = stripeError(error);
      if (e.type === 'StripeCardError') return declineOf(e.code, e.decline_code, e.message);
      if (e.type === 'StripeInvalidRequestError') return { ok: false as const, type: 'invalid_request' as const, message: `Stripe: ${e.message}` };
      throw unavailable(error);
    }
  }

  /** One Stripe customer per account: the key makes two concurrent first cards share one. */
  private async customerFor(account_id: string | undefined): Promise<string> {
    const params = account_id ? { metadata: { tokenbank_account_id: account_id } } : {};
    const created = await this.stripe.customers.create(params, account_id ? { idempotencyKey: `customer-${account_id}` } : {});
    return created.id;
  }

  async charge(input: Parameters<PaymentProvider['charge']>[0]): Promise<ChargeResult> {
    const off_session = input.off_session === true;
    const params: Stripe.PaymentIntentCreateParams = {
      amount: microsToCents(input.amount_micros),
      currency: 'usd',
      payment_method: input.provider_ref,
      confirm: true,
      description: input.description,
      metadata: input.purchase_id ? { purchase_id: input.purchase_id } : {},
      ...(input.customer_ref ? { customer: input.customer_ref } : {}),
      // Without a page to come back to, no payment method that leaves for another site (cards' 3-D Secure still works).
      ...(!off_session && this.options.return_url
        ? { return_url: this.options.return_url }
        : { automatic_payment_methods: { enabled: true, allow_redirects: 'never' as const } }),
      ...(off_session ? { off_session: true } : {}),
    };
    try {
      return outcomeOf(await this.stripe.paymentIntents.create(params, { idempotencyKey: input.idempotency_key }));
    } catch (error) {
      return refusalOf(error);
    }
  }

  async confirm(payment_intent_id: string): Promise<ChargeResult> {
    try {
      const intent = await this.stripe.paymentIntents.retrieve(payment_intent_id);
      if (intent.status !== 'requires_confirmation') return outcomeOf(intent);
      return outcomeOf(await this.stripe.paymentIntents.confirm(payment_intent_id, {}, { idempotencyKey: `confirm-${payment_intent_id}` }));
    } catch (error) {
      return refusalOf(error);
    }
  }

  async cancel(payment_intent_id: string): Promise<ChargeResult> {
    try {
      const intent = await this.stripe.paymentIntents.cancel(payment_intent_id);
      return intent.status === 'canceled'
        ? { ok: false, type: 'card_declined', message: 'the payment was not confirmed with the bank in time' }
        : outcomeOf(intent);
    } catch (error) {
      // One that succeeded (or failed) meanwhile cannot be canceled: its outcome is what counts.
      if (stripeError(error).type !== 'StripeInvalidRequestError') throw unavailable(error);
      return this.confirm(payment_intent_id);
    }
  }

  async refund(input: { charge_id: string; amount_micros: number; idempotency_key: string; reason: string }): Promise<RefundResult> {
    try {
      const refund = await this.stripe.refunds.create(
        { payment_intent: input.charge_id, amount: microsToCents(input.amount_micros), metadata: { reason: input.reason } },
        { idempotencyKey: input.idempotency_key },
      );
      if (refund.status === 'failed' || refund.status === 'canceled')
        return { ok: false, type: 'processing_error', message: `Stripe: the refund ${refund.status}` };
      return { ok: true, refund_id: refund.id };
    } catch (error) {
      const e = stripeError(error);
      if (e.type === 'StripeInvalidRequestError' || e.type === 'StripeCardError')
        return { ok: false, type: 'processing_error', message: `Stripe: ${e.message}` };
      throw unavailable(error);
    }
  }
}

interface StripeErrorFields {
  type: string;
  code: string | undefined;
  decline_code: string | undefined;
  message: string;
  payment_intent: Stripe.PaymentIntent | undefined;
}

function stripeError(error: unknown): StripeErrorFields {
  const e = error as Partial<StripeErrorFields> & { raw?: { payment_intent?: Stripe.PaymentIntent } };
  return {
    type: typeof e?.type === 'string' ? e.type : 'unknown',
    code: e?.code,
    decline_code: e?.decline_code,
    message: String(e?.message ?? error),
    payment_intent: e?.payment_intent ?? e?.raw?.payment_intent,
  };
}

/** A failure that says nothing of whether the call was made: the caller keeps its purchase pending and asks again with the same key. */
function unavailable(error: unknown): ProviderUnavailable {
  const e = stripeError(error);
  return new ProviderUnavailable(`Stripe: ${e.type}: ${e.message}`, { cause: error });
}

/** What a thrown SDK error means for a charge: a decline, the bank's step (off session), or an unknown outcome (thrown on). */
function refusalOf(error: unknown): ChargeResult {
  const e = stripeError(error);
  if (e.type === 'StripeCardError') {
    if (e.code === 'authentication_required' || e.decline_code === 'authentication_required') return needsAuthentication(e.payment_intent, e.message);
    return declineOf(e.code, e.decline_code, e.message);
  }
  if (e.type === 'StripeInvalidRequestError' || e.type === 'StripeIdempotencyError')
    return { ok: false, type: 'processing_error', message: `Stripe: ${e.message}` };
  throw unavailable(error);
}

export function declineOf(code: string | undefined, decline_code: string | undefined, message: string): Decline {
  if (decline_code === 'insufficient_funds' || code === 'insufficient_funds') return { ok: false, type: 'insufficient_funds', message: `Stripe: ${message}` };
  if (code === 'expired_card' || decline_code === 'expired_card') return { ok: false, type: 'expired_card', message: `Stripe: ${message}` };
  return { ok: false, type: 'card_declined', message: `Stripe: ${message}` };
}

function needsAuthentication(intent: Stripe.PaymentIntent | undefined, message: string): ChargeResult {
  const action = {
    payment_intent_id: intent?.id ?? 'unknown',
    client_secret: intent?.client_secret ?? null,
    next_action_url: intent?.next_action?.redirect_to_url?.url ?? null,
  };
  return { ok: false, type: 'authentication_required', message: `Stripe: ${message}`, action };
}

/** A PaymentIntent's state as a charge outcome. */
export function outcomeOf(intent: Stripe.PaymentIntent): ChargeResult {
  switch (intent.status) {
    case 'succeeded':
      return { ok: true, charge_id: intent.id };
    case 'requires_action':
      return needsAuthentication(intent, 'the bank asks the cardholder to confirm the payment');
    case 'processing':
      // Not decided yet: the purchase stays pending; payment_intent.succeeded (or the recovery job) finishes it.
      throw new ProviderUnavailable(`Stripe: payment ${intent.id} is still processing`);
    case 'canceled':
      return { ok: false, type: 'card_declined', message: `Stripe: payment ${intent.id} was canceled` };
    default: {
      const last = intent.last_payment_error;
      return declineOf(last?.code, last?.decline_code, last?.message ?? `payment ${intent.id} is ${intent.status}`);
    }
  }
}
