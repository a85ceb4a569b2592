// Money in: payment methods, credit purchases (manual and auto-reload), promotional grants.
//
// A purchase is three steps so that nothing paid is lost or charged twice:
//   1. one transaction records it 'pending' (with the idempotency key) and reserves the daily cap;
//   2. the card is charged with the purchase id as the provider's idempotency key;
//   3. one transaction completes it: credits the wallet on success, gives the cap back on failure.
// A crash after 1 or 2 leaves a pending purchase; retrying the same request (or the recovery job)
// repeats step 2 with the same key — the provider returns the first charge — and then step 3.
// A charge the bank wants confirmed (3-D Secure) leaves the purchase pending with what the page
// needs; the confirm call, the provider's webhook or the end of the wait completes it.
import { planGrantExpiry } from '../domain/grants';
import { limits } from '../domain/limits';
import { invariant } from '../domain/assert';
import { cardMessage, checkPurchase, isDueForCharge, planCompletion } from '../domain/purchase';
import { AppError, invalid, notFound } from '../domain/refusals';
import { addRedeemed, balanceMicros } from '../domain/wallet';
import { SYSTEM_ACTOR, type Actor, type Deps } from './deps';
import { writeGrant } from './grants';
import { requestHash } from './hash';
import { firstCallWithKey, keyDetails, type Replayable } from './idempotency';
import {
  ProviderUnavailable,
  type ChargeResult,
  type GrantRecord,
  type LockedAccount,
  type PaymentMethodRecord,
  type PurchaseRecord,
  type StoreTx,
} from './ports';
import * as v from './validate';

export async function addPaymentMethod(deps: Deps, account_id: string, input: { token: unknown }, actor: Actor): Promise<PaymentMethodRecord> {
  const token = v.text('token', input.token);
  const account = await deps.store.getAccount(account_id);
  if (!account) throw notFound('account', account_id);
  const customer_ref = await deps.store.getPaymentCustomer(account_id, deps.payments.name);
  const attached = await unlessUnavailable(() => deps.payments.attach(token, { account_id, customer_ref }), 'The card was not added');
  if (!attached.ok) throw attached.type === 'invalid_request' ? invalid('token', attached.message) : new AppError(attached.type, attached.message);
  const now_ms = deps.clock.now_ms();
  const method: PaymentMethodRecord = {
    id: deps.ids.next('pm'),
    account_id,
    provider: deps.payments.name,
    provider_ref: attached.provider_ref,
    ...attached.card,
    created_at_ms: now_ms,
  };
  await deps.store.transaction(async (tx) => {
    const locked = (await tx.lockAccounts([account_id])).get(account_id);
    if (!locked) throw notFound('account', account_id);
    if (attached.customer_ref && attached.customer_ref !== customer_ref)
      await tx.savePaymentCustomer(account_id, deps.payments.name, attached.customer_ref, now_ms);
    await tx.insertPaymentMethod(method);
    // The newest card becomes the default: it is the one the owner just chose.
    locked.account.default_payment_method_id = method.id;
    locked.account.has_payment_method = true;
    await tx.updateAccount(account_id, { default_payment_method_id: method.id });
    await tx.insertAudit([
      {
        account_id,
        actor: actor.id,
        action: 'payment_method.added',
        request_id: actor.request_id,
        details: { payment_method_id: method.id, brand: method.brand, last4: method.last4 },
        created_at_ms: now_ms,
      },
    ]);
  });
  return method;
}

export interface PurchaseResult {
  purchase: PurchaseRecord;
  balance_micros: number;
  replayed: boolean;
}

export async function purchaseCredits(
  deps: Deps,
  account_id: string,
  input: { amount_micros: unknown; payment_method_id?: unknown },
  idempotency_key_in: unknown,
  actor: Actor,
): Promise<PurchaseResult> {
  const idempotency_key = v.idempotencyKey(idempotency_key_in);
  if (idempotency_key === null) throw invalid('Idempotency-Key', 'is required for purchases, so that a retried purchase never charges twice');
  const amount_micros = v.amountMicros('amount_micros', input.amount_micros, 1);
  const payment_method_id = v.optionalText('payment_method_id', input.payment_method_id);
  const hash = requestHash({ amount_micros, payment_method_id });
  const catalog = await deps.catalog.get();

  const started = await deps.store.transaction(async (tx) => {
    const locked = (await tx.lockAccounts([account_id])).get(account_id);
    if (!locked) throw notFound('account', account_id);
    // Looked up under the account lock, so two concurrent retries cannot both start a purchase.
    const existing = await tx.getPurchaseByKey(account_id, idempotency_key);
    if (existing) {
      if (existing.request_hash !== hash)
        throw new AppError('idempotency_conflict', `Idempotency-Key "${idempotency_key}" was used for a different purchase (${existing.id}).`, {
          purchase_id: existing.id,
        });
      return { purchase: existing, replayed: true };
    }
    const now_ms = deps.clock.now_ms();
    const plan = locked.account.plan_id ? catalog.plans.get(locked.account.plan_id) : undefined;
    const refusal = checkPurchase(locked.account, plan, locked.wallet, amount_micros, deps.settings, now_ms);
    if (refusal) throw refusal;
    const method_id = payment_method_id ?? locked.account.default_payment_method_id;
    if (!method_id) throw invalid('payment_method_id', 'no payment method on file: add one with POST /v1/accounts/{id}/payment-methods');
    const method = await tx.getPaymentMethod(method_id);
    if (!method || method.account_id !== account_id) throw invalid('payment_method_id', `unknown payment method "${method_id}" for this account`);
    const purchase: PurchaseRecord = {
      id: deps.ids.next('pur'),
      account_id,
      kind: 'manual',
      idempotency_key,
      request_hash: hash,
      amount_micros,
      payment_method_id: method_id,
      status: 'pending',
      attempts: 0,
      failure_type: null,
      failure_message: null,
      provider_charge_id: null,
      actor: actor.id,
      created_at_ms: now_ms,
      completed_at_ms: null,
      next_attempt_at_ms: null,
    };
    // Reserve the day's cap now, so concurrent purchases cannot pass it together.
    addRedeemed(locked.wallet, now_ms, amount_micros);
    await tx.insertPurchase(purchase);
    await tx.saveWallets([{ account_id, wallet: locked.wallet }], now_ms);
    return { purchase, replayed: false };
  });

  // A purchase waiting for the person's bank is not charged again: the answer says so again.
  const awaiting = started.purchase.status === 'pending' && started.purchase.action;
  const purchase = started.purchase.status === 'pending' && !awaiting ? await chargeAndComplete(deps, started.purchase, actor) : started.purchase;
  return purchaseAnswer(deps, purchase, started.replayed);
}

/** The answer of a purchase (or of its confirmation): its balance, or why it failed or what it waits for. */
async function purchaseAnswer(deps: Deps, purchase: PurchaseRecord, replayed: boolean): Promise<PurchaseResult> {
  if (purchase.status === 'failed')
    throw new AppError(
      (purchase.failure_type ?? 'processing_error') as 'card_declined',
      purchase.failure_message ?? cardMessage(purchase.failure_type ?? 'processing_error', 'no details from the provider'),
      {
        purchase_id: purchase.id,
        amount_micros: purchase.amount_micros,
      },
    );
  if (purchase.status === 'pending' && purchase.action) {
    const { payment_intent_id, client_secret, next_action_url } = purchase.action;
    const payer = await deps.store.getAccount(purchase.account_id);
    const confirm_path =
      payer?.kind === 'api_org'
        ? `/v1/orgs/${purchase.account_id}/credits/${purchase.id}/confirm`
        : `/v1/accounts/${purchase.account_id}/extra-usage/credits/${purchase.id}/confirm`;
    throw new AppError('authentication_required', purchase.failure_message ?? cardMessage('authentication_required', 'the bank asks'), {
      purchase_id: purchase.id,
      amount_micros: purchase.amount_micros,
      payment_intent_id,
      client_secret,
      next_action_url,
      confirm_path,
    });
  }
  const after = await deps.store.readAccount(purchase.account_id);
  // The balance the extra-usage page shows: expired grants not yet swept by the job are not spendable.
  invariant(after, () => `purchase ${purchase.id} names account ${purchase.account_id}, which does not exist`);
  const balance_micros = balanceMicros(after.wallet, deps.clock.now_ms());
  return { purchase, balance_micros, replayed };
}

/**
 * The person completed their bank's step (3-D Secure): the payment is read again and the
 * purchase completed with what it says (credited, failed, or still waiting). A purchase already
 * complete answers as it is; one a crash left pending is charged again with its own key.
 */
export async function confirmPurchase(deps: Deps, account_id: string, purchase_id: string, actor: Actor): Promise<PurchaseResult> {
  const purchase = await deps.store.readPurchase(purchase_id);
  if (!purchase || purchase.account_id !== account_id) throw notFound('purchase', purchase_id);
  if (purchase.status !== 'pending') return purchaseAnswer(deps, purchase, false);
  const action = purchase.action;
  const done = action
    ? await completeWith(
        deps,
        purchase,
        await unlessUnavailable(() => deps.payments.confirm(action.payment_intent_id), pendingNote(purchase), pendingFigures(purchase)),
        actor,
      )
    : await chargeAndComplete(deps, purchase, actor);
  return purchaseAnswer(deps, done, false);
}

/** Runs a provider call; a provider that did not answer is a refusal saying what stays as it was. */
async function unlessUnavailable<T>(call: () => Promise<T>, what: string, figures: Record<string, string | number> = {}): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof ProviderUnavailable)) throw error;
    throw new AppError('processing_error', `The payment provider did not answer (${error.message}). ${what}.`, figures, error);
  }
}

const pendingFigures = (p: PurchaseRecord) => ({ purchase_id: p.id, amount_micros: p.amount_micros, status: 'pending' });

const pendingNote = (p: PurchaseRecord) =>
  `Purchase ${p.id} stays pending: repeat the request with the same Idempotency-Key (or wait for the recovery job); it is never charged twice`;

/** Steps 2 and 3 of a purchase; safe to repeat for a pending purchase (same provider key). */
export async function chargeAndComplete(deps: Deps, purchase: PurchaseRecord, actor: Actor): Promise<PurchaseRecord> {
  return completeWith(deps, purchase, await unlessUnavailable(() => providerOutcome(deps, purchase), pendingNote(purchase), pendingFigures(purchase)), actor);
}

/**
 * Step 2: the charge, with a key derived from the purchase (or reload) and its attempt, so a
 * repeat after a crash or a timeout gets the first payment back instead of making a second. A
 * purchase whose wait for the person's bank is over is ended instead (succeeded meanwhile or not).
 */
async function providerOutcome(deps: Deps, purchase: PurchaseRecord): Promise<ChargeResult> {
  if (purchase.action) {
    const ended = await deps.payments.cancel(purchase.action.payment_intent_id);
    if (ended.ok || ended.type !== 'authentication_required') return ended;
    return { ok: false, type: 'card_declined', message: 'the payment was not confirmed with the bank in time' };
  }
  const method = purchase.payment_method_id ? await deps.store.getPaymentMethod(purchase.payment_method_id) : undefined;
  if (!method) return { ok: false, type: 'processing_error', message: 'No payment method on file.' };
  return deps.payments.charge({
    provider_ref: method.provider_ref,
    customer_ref: await deps.store.getPaymentCustomer(purchase.account_id, deps.payments.name),
    amount_micros: purchase.amount_micros,
    idempotency_key: `${purchase.id}:${purchase.attempts}`,
    description: `Tokenbank credits ${purchase.id}`,
    off_session: purchase.kind === 'auto_reload',
    purchase_id: purchase.id,
  });
}

/** Step 3: one transaction completes the purchase with the provider's outcome (once: a completed one is left as it is). */
export async function completeWith(deps: Deps, purchase: PurchaseRecord, result: ChargeResult, actor: Actor): Promise<PurchaseRecord> {
  return deps.store.transaction(async (tx) => {
    const locked = (await tx.lockAccounts([purchase.account_id])).get(purchase.account_id);
    if (!locked) throw notFound('account', purchase.account_id);
    const current = await tx.getPurchase(purchase.id);
    if (!current || current.status !== 'pending') return current ?? purchase; // someone else completed it
    await writeCompletion(tx, locked, current, result, actor, deps.clock.now_ms());
    return current;
  });
}

/** Writes what the domain decides a pending purchase becomes with `result`, in the caller's transaction (account locked). */
export async function writeCompletion(tx: StoreTx, locked: LockedAccount, current: PurchaseRecord, result: ChargeResult, actor: Actor, now_ms: number) {
  const plan = planCompletion(current, locked.wallet, result, now_ms);
  Object.assign(current, plan.purchase);
  if (plan.transfers.length > 0) await tx.insertTransfers(plan.transfers);
  if (plan.turn_auto_reload_off) await tx.updateAccount(current.account_id, { auto_reload: { enabled: false } });
  await tx.saveWallets(
    [{ account_id: current.account_id, wallet: locked.wallet, ...(plan.reload_event ? { last_reload_event: plan.reload_event } : {}) }],
    now_ms,
  );
  await tx.updatePurchase(current);
  if (plan.events.length > 0) await tx.insertOutbox(plan.events.map((e) => ({ account_id: current.account_id, ...e, created_at_ms: now_ms })));
  await tx.insertAudit([
    {
      account_id: current.account_id,
      actor: actor.id,
      action: plan.audit.action,
      request_id: actor.request_id,
      details: plan.audit.details,
      created_at_ms: now_ms,
    },
  ]);
}

/** Operator: a promotional grant, optionally expiring. Consumed before purchased credits. */
export async function grantCredits(
  deps: Deps,
  account_id: string,
  input: { amount_micros: unknown; expires_at?: unknown; reason?: unknown },
  actor: Actor,
  idempotency_key_in?: unknown,
): Promise<Replayable<GrantRecord>> {
  const idempotency_key = v.idempotencyKey(idempotency_key_in);
  const amount_micros = v.amountMicros('amount_micros', input.amount_micros, 1);
  const expires_at_ms = input.expires_at === undefined || input.expires_at === null ? null : v.timestampMs('expires_at', input.expires_at);
  const reason = input.reason === undefined ? 'promotion' : v.text('reason', input.reason, limits.name_length_max);
  const request_hash = requestHash({ amount_micros, expires_at_ms, reason });
  return deps.store.transaction(async (tx) => {
    const locked = (await tx.lockAccounts([account_id])).get(account_id);
    if (!locked) throw notFound('account', account_id);
    // A retried grant with its key is the first grant, never a second one.
    const first = await firstCallWithKey(tx, account_id, 'grant.added', idempotency_key, request_hash, 'grant');
    if (first)
      return {
        id: String(first.details.grant_id),
        account_id,
        amount_micros,
        remaining_micros: locked.wallet.grants.find((g) => g.id === first.details.grant_id)?.remaining_micros ?? 0,
        expires_at_ms,
        reason,
        created_at_ms: first.created_at_ms,
        replayed: true,
      };
    const now_ms = deps.clock.now_ms();
    if (expires_at_ms !== null && expires_at_ms <= now_ms) throw invalid('expires_at', 'must be in the future');
    const grant: GrantRecord = {
      id: deps.ids.next('grant'),
      account_id,
      amount_micros,
      remaining_micros: amount_micros,
      expires_at_ms,
      reason,
      created_at_ms: now_ms,
    };
    await writeGrant(tx, locked, grant, actor, keyDetails(idempotency_key, request_hash));
    return { ...grant, replayed: false };
  });
}

/** Job: moves what is left of expired grants back to the operator's promotions book. */
export async function expireGrants(deps: Deps, batch_max: number = limits.grant_expiry_batch_max): Promise<number> {
  const now_ms = deps.clock.now_ms();
  const due = await deps.store.expiredGrants(now_ms, batch_max);
  let expired = 0;
  for (const account_id of [...new Set(due.map((g) => g.account_id))].sort()) {
    expired += await deps.store.transaction(async (tx) => {
      const locked = (await tx.lockAccounts([account_id])).get(account_id);
      if (!locked) return 0;
      const plan = planGrantExpiry(account_id, locked.wallet, now_ms);
      if (plan.transfers.length === 0) return 0;
      await tx.insertTransfers(plan.transfers);
      await tx.insertOutbox(plan.events.map((e) => ({ account_id, ...e, created_at_ms: now_ms })));
      await tx.saveWallets([{ account_id, wallet: locked.wallet }], now_ms);
      await tx.insertAudit(
        plan.events.map((e) => ({ account_id, actor: SYSTEM_ACTOR.id, action: 'grant.expired', request_id: null, details: e.payload, created_at_ms: now_ms })),
      );
      const n = plan.transfers.length;
      return n;
    });
  }
  return expired;
}

/**
 * Job: charges auto-reloads that fired (and retries declined ones after their backoff), and
 * finishes manual purchases that a crash left pending for longer than `grace_ms`.
 */
export async function processPendingPurchases(deps: Deps, options: { grace_ms?: number; batch_max?: number } = {}): Promise<number> {
  const now_ms = deps.clock.now_ms();
  const grace_ms = options.grace_ms ?? 0;
  // The query selects by the rule of isDueForCharge; the rule itself is the domain's.
  const pending = (await deps.store.pendingPurchases(now_ms, grace_ms, options.batch_max ?? limits.pending_purchases_batch_max)).filter((p) =>
    isDueForCharge(p, now_ms, grace_ms),
  );
  for (const purchase of pending) {
    try {
      await chargeAndComplete(deps, purchase, { id: purchase.actor, request_id: null });
    } catch (error) {
      // The provider did not answer: this purchase stays pending for the next run; the others go on.
      if (!(error instanceof AppError && error.cause instanceof ProviderUnavailable)) throw error;
    }
  }
  return pending.length;
}
