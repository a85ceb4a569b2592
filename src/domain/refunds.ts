// Refunds (SPEC §1.5): only unspent purchased credits go back to the card, never promotional
// credit, never more than is unspent. The rules, decided here on loaded state:
//   - unspent purchased = purchased balance − held: an open hold may still be paid from purchased
//     credits, so what it holds counts as spent until it is settled or released;
//   - refundable = that, in whole cents, rounded down, and never more than the purchases have left
//     unrefunded (a purchase is refunded to the card that paid it, at most what it charged);
//   - without a purchase: the most recent purchases first; with one: from that purchase only.
// A refund is three steps like a purchase: start (take the credits out of the purchased book into
// the operator's cash book, mark the purchases' refunded amounts), the provider's refund of each
// part, then completion (a part the provider refused is reversed: its credits come back).
import { refundReversalTransfer, refundTransfer, type Transfer } from './ledger';
import { limits } from './limits';
import { floorToCents, formatUsd } from './money';
import { invariant } from './assert';
import { AppError, invalid, notFound } from './refusals';
import { promotionalMicros, type WalletState } from './wallet';

/** A succeeded purchase (or reload) as refunds see it. */
export interface RefundablePurchase {
  id: string;
  amount_micros: number;
  refunded_micros: number;
  /** The provider's charge; a purchase without one has nothing to refund to. */
  charge_id: string | null;
  created_at_ms: number;
}

export interface RefundFigures {
  refundable_micros: number;
  purchased_micros: number;
  held_micros: number;
  promotional_micros: number;
  /** What the purchases have left unrefunded, all of them. */
  purchases_unrefunded_micros: number;
}

export type RefundPartStatus = 'pending' | 'succeeded' | 'failed';

export interface RefundPart {
  purchase_id: string;
  charge_id: string;
  amount_micros: number;
  status: RefundPartStatus;
  provider_refund_id: string | null;
  failure_message: string | null;
}

export type RefundStatus = 'pending' | 'succeeded' | 'failed';

function leftOf(p: RefundablePurchase): number {
  invariant(
    p.refunded_micros >= 0 && p.refunded_micros <= p.amount_micros,
    () => `purchase ${p.id} has ${p.refunded_micros} of ${p.amount_micros} micros refunded`,
  );
  return p.charge_id === null ? 0 : p.amount_micros - p.refunded_micros;
}

/** What may be refunded now, with the figures behind it. */
export function refundableFigures(wallet: WalletState, purchases: readonly RefundablePurchase[], now_ms: number): RefundFigures {
  const purchases_unrefunded_micros = purchases.reduce((sum, p) => sum + leftOf(p), 0);
  const unspent = wallet.purchased_micros - wallet.held_micros;
  return {
    // Nothing is refundable while the balance owes (unspent below zero): a rule, not a clamp.
    refundable_micros: floorToCents(Math.max(0, Math.min(unspent, purchases_unrefunded_micros))),
    purchased_micros: wallet.purchased_micros,
    held_micros: wallet.held_micros,
    promotional_micros: promotionalMicros(wallet, now_ms),
    purchases_unrefunded_micros,
  };
}

export interface RefundRequest {
  refund_id: string;
  account_id: string;
  /** null: everything refundable (of the purchase, when one is named). */
  amount_micros: number | null;
  purchase_id: string | null;
}

export interface RefundPlan {
  amount_micros: number;
  parts: RefundPart[];
  transfers: Transfer[];
  figures: RefundFigures;
}

function exceeds(figures: RefundFigures, requested: number | null, purchase?: { id: string; left_micros: number }): AppError {
  const bound = purchase ? Math.min(figures.refundable_micros, floorToCents(purchase.left_micros)) : figures.refundable_micros;
  const why =
    bound === 0
      ? figures.purchased_micros - figures.held_micros <= 0 && figures.promotional_micros > 0
        ? 'Nothing is refundable: promotional credit is never refunded, and no purchased credit is left unspent.'
        : 'Nothing is refundable: no purchased credit is left unspent' + (purchase ? ` on purchase ${purchase.id}.` : '.')
      : `At most ${formatUsd(bound)} is refundable${purchase ? ` from purchase ${purchase.id}` : ''}; ${formatUsd(requested ?? 0)} was asked.`;
  const held = figures.held_micros > 0 ? ` ${formatUsd(figures.held_micros)} is held by open requests and counts as spent until they finish.` : '';
  return new AppError('refund_exceeds_refundable', `${why}${held} Ask for at most the refundable amount.`, {
    refundable_micros: bound,
    purchased_micros: figures.purchased_micros,
    held_micros: figures.held_micros,
    promotional_micros: figures.promotional_micros,
    ...(requested !== null ? { requested_micros: requested } : {}), // asked for everything refundable: no figure
    ...(purchase ? { purchase_id: purchase.id, purchase_unrefunded_micros: purchase.left_micros } : {}),
  });
}

/**
 * Step 1 decided: how much, from which purchases, and the transfers that take it out of the
 * purchased book. Mutates `wallet` (purchased − amount) and the purchases' refunded amounts.
 */
export function planRefund(request: RefundRequest, wallet: WalletState, purchases: RefundablePurchase[], now_ms: number): RefundPlan {
  if (request.amount_micros !== null) {
    if (request.amount_micros <= 0) throw invalid('amount_micros', 'must be a positive number of micros');
    if (request.amount_micros % limits.card_charge_unit_micros !== 0)
      throw invalid('amount_micros', `refunds go back to the card in whole cents: must be a multiple of ${limits.card_charge_unit_micros} micros ($0.01)`);
  }
  const figures = refundableFigures(wallet, purchases, now_ms);
  let sources: RefundablePurchase[];
  let bound = figures.refundable_micros;
  let named: { id: string; left_micros: number } | undefined;
  if (request.purchase_id !== null) {
    const purchase = purchases.find((p) => p.id === request.purchase_id);
    if (!purchase) throw notFound('purchase', request.purchase_id);
    named = { id: purchase.id, left_micros: leftOf(purchase) };
    bound = Math.min(bound, floorToCents(named.left_micros));
    sources = [purchase];
  } else {
    // The most recent purchases first: the credits bought last are the ones given back first.
    sources = [...purchases].sort((a, b) => b.created_at_ms - a.created_at_ms || (a.id < b.id ? 1 : -1));
  }
  const amount_micros = request.amount_micros ?? bound;
  if (amount_micros === 0 || amount_micros > bound) throw exceeds(figures, request.amount_micros, named);
  const parts: RefundPart[] = [];
  let left = amount_micros;
  for (const p of sources) {
    if (left === 0) break;
    const take = Math.min(left, leftOf(p));
    if (take <= 0) continue;
    p.refunded_micros += take;
    left -= take;
    parts.push({ purchase_id: p.id, charge_id: p.charge_id!, amount_micros: take, status: 'pending', provider_refund_id: null, failure_message: null });
  }
  invariant(left === 0, () => `refund plan: ${left} micros not covered by purchases (bound ${bound})`);
  wallet.purchased_micros -= amount_micros;
  return {
    amount_micros,
    parts,
    transfers: parts.map((part) => refundTransfer(request.account_id, part.amount_micros, request.refund_id, now_ms)),
    figures,
  };
}

/** What the provider answered for one part: a refund, a refusal, or nothing known (a timeout, a crash). */
export type RefundOutcome = { ok: true; refund_id: string } | { ok: false; message: string } | { unknown: true; message: string };

export interface RefundCompletionPlan {
  status: RefundStatus;
  parts: RefundPart[];
  refunded_micros: number;
  /** Reversals of the parts the provider refused. */
  transfers: Transfer[];
  /** Per purchase, what goes back to its unrefunded amount (the refused parts). */
  purchases_released: Array<{ purchase_id: string; amount_micros: number }>;
  events: Array<{ type: 'credits.refunded'; payload: Record<string, unknown> }>;
  done: boolean;
}

/**
 * Step 3 decided: each pending part takes its outcome; a refused part is reversed (its credits
 * come back to the purchased book and the purchase). The refund is done when no part is pending:
 * succeeded when any part was refunded, failed when none was. Mutates `wallet`.
 */
export function planRefundCompletion(
  refund: { id: string; account_id: string; parts: RefundPart[] },
  outcomes: ReadonlyMap<string, RefundOutcome>,
  wallet: WalletState,
  now_ms: number,
): RefundCompletionPlan {
  const parts = refund.parts.map((p) => ({ ...p }));
  const transfers: Transfer[] = [];
  const purchases_released: RefundCompletionPlan['purchases_released'] = [];
  for (const part of parts) {
    if (part.status !== 'pending') continue;
    const outcome = outcomes.get(part.purchase_id);
    if (!outcome || 'unknown' in outcome) continue;
    if (outcome.ok) {
      part.status = 'succeeded';
      part.provider_refund_id = outcome.refund_id;
    } else {
      part.status = 'failed';
      part.failure_message = outcome.message;
      wallet.purchased_micros += part.amount_micros;
      transfers.push(refundReversalTransfer(refund.account_id, part.amount_micros, refund.id, now_ms));
      purchases_released.push({ purchase_id: part.purchase_id, amount_micros: part.amount_micros });
    }
  }
  const done = parts.every((p) => p.status !== 'pending');
  const refunded_micros = parts.filter((p) => p.status === 'succeeded').reduce((sum, p) => sum + p.amount_micros, 0);
  const status: RefundStatus = !done ? 'pending' : refunded_micros > 0 ? 'succeeded' : 'failed';
  const events: RefundCompletionPlan['events'] =
    done && refunded_micros > 0
      ? [
          {
            type: 'credits.refunded',
            payload: {
              refund_id: refund.id,
              amount_micros: refunded_micros,
              purchases: parts.filter((p) => p.status === 'succeeded').map((p) => ({ purchase_id: p.purchase_id, amount_micros: p.amount_micros })),
            },
          },
        ]
      : [];
  return { status, parts, refunded_micros, transfers, purchases_released, events, done };
}

/** A refund as stored. */
export interface RefundRecord {
  id: string;
  account_id: string;
  idempotency_key: string;
  request_hash: string;
  /** What the refund took out of the purchased book when it started. */
  amount_micros: number;
  /** What the provider refunded (the parts it did not refuse); set when the refund is done. */
  refunded_micros: number;
  purchase_id: string | null;
  status: RefundStatus;
  parts: RefundPart[];
  attempts: number;
  actor: string;
  created_at_ms: number;
  completed_at_ms: number | null;
}

/** Whether the recovery job should finish a pending refund: once its own request had `grace_ms`. */
export function isRefundDue(r: { status: RefundStatus; created_at_ms: number }, now_ms: number, grace_ms: number): boolean {
  return r.status === 'pending' && r.created_at_ms <= now_ms - grace_ms;
}

/** A refund the provider made on its own (Stripe's dashboard, not Tokenbank's API), as the ledger takes it. */
export interface ProviderRefundPlan {
  refund: RefundRecord;
  transfers: Transfer[];
  event: { type: 'credits.refunded'; payload: Record<string, unknown> };
}

/**
 * A refund made at the provider: it says how much of the purchase's charge it has refunded in
 * all (`provider_refunded_micros`). What Tokenbank has not counted yet — its own refunds count
 * from their first step, so a webhook about one of them finds nothing new — leaves the purchased
 * book now, spent or not: the money is back on the card, so its credits go, and a balance that had
 * spent them owes them (purchased below zero pays for nothing until it is made good). Never more
 * than the purchase has left: the provider cannot refund more than it charged. Null: nothing new.
 * Mutates `wallet` and the purchase's refunded amount.
 */
export function planProviderRefund(
  input: { refund_id: string; account_id: string; event_id: string; actor: string; purchase: RefundablePurchase; provider_refunded_micros: number },
  wallet: WalletState,
  now_ms: number,
): ProviderRefundPlan | null {
  const { purchase } = input;
  const counted = Math.min(input.provider_refunded_micros, purchase.amount_micros);
  const amount_micros = counted - purchase.refunded_micros;
  if (amount_micros <= 0 || purchase.charge_id === null) return null;
  purchase.refunded_micros += amount_micros;
  wallet.purchased_micros -= amount_micros;
  const part: RefundPart = {
    purchase_id: purchase.id,
    charge_id: purchase.charge_id,
    amount_micros,
    status: 'succeeded',
    provider_refund_id: null,
    failure_message: null,
  };
  return {
    refund: {
      id: input.refund_id,
      account_id: input.account_id,
      idempotency_key: `provider-event:${input.event_id}`,
      request_hash: `provider-event:${input.event_id}`,
      amount_micros,
      refunded_micros: amount_micros,
      purchase_id: purchase.id,
      status: 'succeeded',
      parts: [part],
      attempts: 0,
      actor: input.actor,
      created_at_ms: now_ms,
      completed_at_ms: now_ms,
    },
    transfers: [refundTransfer(input.account_id, amount_micros, input.refund_id, now_ms)],
    event: {
      type: 'credits.refunded',
      payload: {
        refund_id: input.refund_id,
        amount_micros,
        purchases: [{ purchase_id: purchase.id, amount_micros }],
        made_at: 'provider',
        owed_micros: Math.max(0, -wallet.purchased_micros),
      },
    },
  };
}
