// The card provider's webhooks (POST /v1/webhooks/stripe): the outcomes it tells later than the
// call that asked — a payment the person confirmed with their bank, one that failed, a refund or
// a dispute made at the provider. Each event is applied once: its id is recorded in the same
// transaction as its effects, so the provider's retries (and a duplicate) change nothing again.
import { providerOutcomeApplies } from '../domain/purchase';
import { planProviderRefund } from '../domain/refunds';
import { AppError, invalid } from '../domain/refusals';
import { SYSTEM_ACTOR, type Deps } from './deps';
import { writeCompletion } from './billing';
import type { ProviderEvent, PurchaseRecord } from './ports';

export interface WebhookReceipt {
  received: true;
  /** False: a duplicate, a type Tokenbank does not act on, or an event about nothing it knows. */
  applied: boolean;
  duplicate: boolean;
}

export async function receivePaymentWebhook(deps: Deps, raw_body: Buffer | undefined, signature: unknown): Promise<WebhookReceipt> {
  const verifier = deps.payment_webhooks;
  if (!verifier) throw invalid('Stripe-Signature', 'cannot be checked: this server has no STRIPE_WEBHOOK_SECRET, so it accepts no provider webhook');
  if (!raw_body || raw_body.length === 0) throw invalid('body', 'is empty; the provider sends the event as JSON');
  const checked = verifier.verify(raw_body, typeof signature === 'string' ? signature : undefined);
  if (!checked.ok) throw new AppError('invalid_request', `Stripe-Signature: ${checked.message}`, { field: 'Stripe-Signature' });
  const event = checked.event;
  if (event.kind === 'ignored') return { received: true, applied: false, duplicate: false };
  const purchase = await purchaseOf(deps, event);
  const now_ms = deps.clock.now_ms();
  const record = { id: event.id, provider: verifier.provider, type: event.type, received_at_ms: now_ms };
  if (!purchase) {
    const first = await deps.store.transaction((tx) => tx.recordProviderEvent({ ...record, account_id: null }));
    return { received: true, applied: false, duplicate: !first };
  }
  return deps.store.transaction(async (tx) => {
    const locked = (await tx.lockAccounts([purchase.account_id])).get(purchase.account_id);
    if (!(await tx.recordProviderEvent({ ...record, account_id: purchase.account_id }))) return { received: true, applied: false, duplicate: true };
    const current = await tx.getPurchase(purchase.id);
    if (!locked || !current) return { received: true, applied: false, duplicate: false };
    const actor = { id: `provider:${verifier.provider}`, request_id: null };
    if (event.kind === 'payment_succeeded' && providerOutcomeApplies(current, event)) {
      await writeCompletion(tx, locked, current, { ok: true, charge_id: event.payment_intent_id }, actor, now_ms);
      return { received: true, applied: true, duplicate: false };
    }
    if (event.kind === 'payment_failed' && providerOutcomeApplies(current, event)) {
      await writeCompletion(tx, locked, current, { ok: false, type: event.failure_type, message: event.message }, actor, now_ms);
      return { received: true, applied: true, duplicate: false };
    }
    if (event.kind === 'charge_refunded') {
      await tx.insertAudit([{ account_id: current.account_id, ...providerNote(event, current), request_id: null, created_at_ms: now_ms }]);
      const bought = (await tx.refundablePurchases(current.account_id)).find((p) => p.id === current.id);
      const plan = bought
        ? planProviderRefund(
            {
              refund_id: deps.ids.next('ref'),
              account_id: current.account_id,
              event_id: event.id,
              actor: actor.id,
              purchase: bought,
              provider_refunded_micros: event.amount_refunded_micros,
            },
            locked.wallet,
            now_ms,
          )
        : null;
      if (plan) {
        await tx.insertRefund(plan.refund);
        await tx.addPurchasesRefunded([{ purchase_id: current.id, delta_micros: plan.refund.amount_micros }]);
        await tx.insertTransfers(plan.transfers);
        await tx.saveWallets([{ account_id: current.account_id, wallet: locked.wallet }], now_ms);
        await tx.insertOutbox([{ account_id: current.account_id, ...plan.event, created_at_ms: now_ms }]);
      }
      return { received: true, applied: true, duplicate: false }; // noted always; in the ledger when something was new
    }
    if (event.kind === 'charge_disputed') {
      await tx.insertAudit([{ account_id: current.account_id, ...providerNote(event, current), request_id: null, created_at_ms: now_ms }]);
      // The card's owner contests a charge: no card is charged again on its own while that is open.
      const reload_was_on = locked.account.auto_reload.enabled;
      if (reload_was_on) await tx.updateAccount(current.account_id, { auto_reload: { enabled: false } });
      await tx.insertOutbox([
        {
          account_id: current.account_id,
          type: 'payment.disputed',
          payload: { purchase_id: current.id, amount_micros: event.amount_micros, reason: event.reason, auto_reload_turned_off: reload_was_on },
          created_at_ms: now_ms,
        },
      ]);
      return { received: true, applied: true, duplicate: false };
    }
    return { received: true, applied: false, duplicate: false };
  });
}

async function purchaseOf(deps: Deps, event: ProviderEvent): Promise<PurchaseRecord | undefined> {
  if (event.kind === 'ignored') return undefined;
  const by_id = 'purchase_id' in event && event.purchase_id ? await deps.store.readPurchase(event.purchase_id) : undefined;
  return by_id ?? (await deps.store.purchaseByCharge(event.payment_intent_id));
}

/** A refund or a dispute made at the provider, for the operator's audit log (Tokenbank's own refunds are already in the ledger). */
function providerNote(event: ProviderEvent & { kind: 'charge_refunded' | 'charge_disputed' }, purchase: PurchaseRecord) {
  const details =
    event.kind === 'charge_refunded'
      ? { purchase_id: purchase.id, payment_intent_id: event.payment_intent_id, provider_refunded_micros: event.amount_refunded_micros }
      : { purchase_id: purchase.id, payment_intent_id: event.payment_intent_id, amount_micros: event.amount_micros, reason: event.reason };
  return { actor: SYSTEM_ACTOR.id, action: event.kind === 'charge_refunded' ? 'provider.charge_refunded' : 'provider.charge_disputed', details };
}
