// Refunds (SPEC §1.5), in the three steps of a purchase so that nothing is lost or refunded twice:
//   1. one transaction, under the account lock: the refund is planned (src/domain/refunds.ts),
//      recorded 'pending' with its idempotency key, its credits leave the purchased book and its
//      purchases' refunded amounts grow — so nothing can spend or refund them a second time;
//   2. the provider refunds each part, with a key derived from the refund id and the purchase;
//   3. one transaction completes it: a part the provider refused is reversed (its credits come
//      back); when no part is left pending the refund is done and `credits.refunded` is written.
// A crash or a provider that does not answer after 1 or 2 leaves the refund pending; repeating
// the request with its key (or the recovery job) repeats 2 with the same keys — the provider
// returns the first refund — and then 3.
import { limits } from '../domain/limits';
import { formatUsd } from '../domain/money';
import { isRefundDue, planRefund, planRefundCompletion, refundableFigures, type RefundOutcome, type RefundRecord } from '../domain/refunds';
import { AppError, invalid, notFound } from '../domain/refusals';
import { balanceMicros } from '../domain/wallet';
import type { Actor, Deps } from './deps';
import { requestHash } from './hash';
import { keyDetails } from './idempotency';
import { type Page, pageLimit, pageOf, type PageRequest } from './reads';
import * as v from './validate';

export interface RefundResult {
  refund: RefundRecord;
  balance_micros: number;
  refundable_micros: number;
  replayed: boolean;
}

export async function refundCredits(
  deps: Deps,
  account_id: string,
  input: { amount_micros?: unknown; purchase_id?: unknown },
  idempotency_key_in: unknown,
  actor: Actor,
): Promise<RefundResult> {
  const idempotency_key = v.idempotencyKey(idempotency_key_in);
  if (idempotency_key === null) throw invalid('Idempotency-Key', 'is required for refunds, so that a retried refund never refunds twice');
  const amount_micros = input.amount_micros === undefined || input.amount_micros === null ? null : v.amountMicros('amount_micros', input.amount_micros, 1);
  const purchase_id = v.optionalText('purchase_id', input.purchase_id);
  const request_hash = requestHash({ refund: true, amount_micros, purchase_id });

  const started = await deps.store.transaction(async (tx) => {
    const locked = (await tx.lockAccounts([account_id])).get(account_id);
    if (!locked) throw notFound('account', account_id);
    // Under the account lock, so two concurrent retries cannot both start a refund.
    const existing = await tx.getRefundByKey(account_id, idempotency_key);
    if (existing) {
      if (existing.request_hash !== request_hash)
        throw new AppError('idempotency_conflict', `Idempotency-Key "${idempotency_key}" was used for a different refund (${existing.id}).`, {
          refund_id: existing.id,
        });
      return { refund: existing, replayed: true };
    }
    const now_ms = deps.clock.now_ms();
    const refund_id = deps.ids.next('ref');
    const purchases = await tx.refundablePurchases(account_id);
    const plan = planRefund({ refund_id, account_id, amount_micros, purchase_id }, locked.wallet, purchases, now_ms);
    const refund: RefundRecord = {
      id: refund_id,
      account_id,
      idempotency_key,
      request_hash,
      amount_micros: plan.amount_micros,
      refunded_micros: 0,
      purchase_id,
      status: 'pending',
      parts: plan.parts,
      attempts: 0,
      actor: actor.id,
      created_at_ms: now_ms,
      completed_at_ms: null,
    };
    await tx.insertRefund(refund);
    await tx.addPurchasesRefunded(plan.parts.map((p) => ({ purchase_id: p.purchase_id, delta_micros: p.amount_micros })));
    await tx.insertTransfers(plan.transfers);
    await tx.saveWallets([{ account_id, wallet: locked.wallet }], now_ms);
    await tx.insertAudit([
      {
        account_id,
        actor: actor.id,
        action: 'credits.refund_requested',
        request_id: actor.request_id,
        details: {
          refund_id,
          amount_micros: plan.amount_micros,
          purchases: plan.parts.map((p) => ({ purchase_id: p.purchase_id, amount_micros: p.amount_micros })),
          refundable_micros: plan.figures.refundable_micros,
          ...keyDetails(idempotency_key, request_hash),
        },
        created_at_ms: now_ms,
      },
    ]);
    return { refund, replayed: false };
  });

  const refund = started.refund.status === 'pending' ? await refundAndComplete(deps, started.refund, actor) : started.refund;
  if (refund.status === 'failed')
    throw new AppError(
      'processing_error',
      `The payment provider refused the refund; the ${formatUsd(refund.amount_micros)} are back in the balance. ${refund.parts.map((p) => p.failure_message).join(' ')}`.trim(),
      { refund_id: refund.id, amount_micros: refund.amount_micros },
    );
  const after = await deps.store.readAccount(account_id);
  const now_ms = deps.clock.now_ms();
  const purchases = await deps.store.readRefundablePurchases(account_id);
  return {
    refund,
    balance_micros: after ? balanceMicros(after.wallet, now_ms) : 0,
    refundable_micros: after ? refundableFigures(after.wallet, purchases, now_ms).refundable_micros : 0,
    replayed: started.replayed,
  };
}

/** Steps 2 and 3; safe to repeat for a pending refund (the same provider keys). */
export async function refundAndComplete(deps: Deps, refund: RefundRecord, actor: Actor): Promise<RefundRecord> {
  const outcomes = new Map<string, RefundOutcome>();
  for (const part of refund.parts) {
    if (part.status !== 'pending') continue;
    try {
      const result = await deps.payments.refund({
        charge_id: part.charge_id,
        amount_micros: part.amount_micros,
        idempotency_key: `${refund.id}:${part.purchase_id}`,
        reason: 'requested_by_customer',
      });
      outcomes.set(part.purchase_id, result.ok ? { ok: true, refund_id: result.refund_id } : { ok: false, message: result.message });
    } catch (error) {
      // No answer (a timeout, a dropped connection): the refund stays pending, asked again later with the same key.
      outcomes.set(part.purchase_id, { unknown: true, message: String((error as Error)?.message ?? error) });
    }
  }
  return deps.store.transaction(async (tx) => {
    const locked = (await tx.lockAccounts([refund.account_id])).get(refund.account_id);
    if (!locked) throw notFound('account', refund.account_id);
    const current = await tx.getRefund(refund.id);
    if (!current || current.status !== 'pending') return current ?? refund; // someone else completed it
    const now_ms = deps.clock.now_ms();
    const plan = planRefundCompletion(current, outcomes, locked.wallet, now_ms);
    current.parts = plan.parts;
    current.attempts += 1;
    current.status = plan.status;
    if (plan.done) {
      current.refunded_micros = plan.refunded_micros;
      current.completed_at_ms = now_ms;
    }
    if (plan.transfers.length > 0) {
      await tx.insertTransfers(plan.transfers);
      await tx.addPurchasesRefunded(plan.purchases_released.map((p) => ({ purchase_id: p.purchase_id, delta_micros: -p.amount_micros })));
      await tx.saveWallets([{ account_id: current.account_id, wallet: locked.wallet }], now_ms);
    }
    await tx.updateRefund(current);
    if (plan.events.length > 0) await tx.insertOutbox(plan.events.map((e) => ({ account_id: current.account_id, ...e, created_at_ms: now_ms })));
    if (plan.done)
      await tx.insertAudit([
        {
          account_id: current.account_id,
          actor: actor.id,
          action: plan.status === 'succeeded' ? 'credits.refunded' : 'credits.refund_failed',
          request_id: actor.request_id,
          details: {
            refund_id: current.id,
            amount_micros: current.amount_micros,
            refunded_micros: plan.refunded_micros,
            parts: plan.parts.map((p) => ({
              purchase_id: p.purchase_id,
              amount_micros: p.amount_micros,
              status: p.status,
              provider_refund_id: p.provider_refund_id,
            })),
          },
          created_at_ms: now_ms,
        },
      ]);
    return current;
  });
}

/** Job: finishes refunds that a crash or an unanswered provider call left pending for longer than `grace_ms`. */
export async function processPendingRefunds(deps: Deps, options: { grace_ms?: number; batch_max?: number } = {}): Promise<number> {
  const now_ms = deps.clock.now_ms();
  const grace_ms = options.grace_ms ?? 0;
  const pending = (await deps.store.pendingRefunds(now_ms - grace_ms, options.batch_max ?? limits.pending_refunds_batch_max)).filter((r) =>
    isRefundDue(r, now_ms, grace_ms),
  );
  let done = 0;
  for (const refund of pending) if ((await refundAndComplete(deps, refund, { id: refund.actor, request_id: null })).status !== 'pending') done += 1;
  return done;
}

/** The account's refunds, newest first (paged by ?cursor=, the last refund id of the page before). */
export async function listRefunds(deps: Deps, account_id: string, query: PageRequest): Promise<Page<RefundRecord>> {
  const limit = pageLimit(query);
  const cursor = query.cursor === undefined || query.cursor === null || query.cursor === '' ? undefined : v.text('cursor', query.cursor);
  if (!(await deps.store.getAccount(account_id))) throw notFound('account', account_id);
  const rows = await deps.store.listRefunds({ account_id, limit: limit + 1, ...(cursor !== undefined ? { before_id: cursor } : {}) });
  return pageOf(rows, limit, (r) => r.id);
}
