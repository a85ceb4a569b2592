// Campaign codes (operator): create and list; an account's owner or billing member claims one,
// which adds a promotional grant (the same grant an operator gives, src/app/grants.ts).
// A claim locks the promotion's row first, then the account: claims of one code run one at a
// time, so the claim limit holds under concurrency; a second claim by the same account is
// refused by the promotion_claims_one_per_account constraint (promotion_already_claimed).
import { catalogPlan } from './catalog-plan';
import { limits } from '../domain/limits';
import { checkClaim, claimedCreditExpiry, claimReason, normalizeCode, type Promotion } from '../domain/promotions';
import { AppError, invalid, notFound } from '../domain/refusals';
import { extraUsageAllowed, isGrantLive } from '../domain/wallet';
import type { Actor, Deps } from './deps';
import { writeGrant } from './grants';
import type { GrantRecord } from './ports';
import { type Page, pageLimit, pageOf, type PageRequest } from './reads';
import * as v from './validate';

export interface PromotionInput {
  code: unknown;
  amount_micros: unknown;
  expires_at?: unknown;
  credit_expires_in_days?: unknown;
  claims_max: unknown;
}

export async function createPromotion(deps: Deps, input: PromotionInput, actor: Actor): Promise<Promotion> {
  const code = normalizeCode('code', v.text('code', input.code, limits.promotion_code_length_max + 10));
  const amount_micros = v.amountMicros('amount_micros', input.amount_micros, 1);
  const expires_at_ms = input.expires_at === undefined || input.expires_at === null ? null : v.timestampMs('expires_at', input.expires_at);
  const credit_expires_in_days =
    input.credit_expires_in_days === undefined || input.credit_expires_in_days === null
      ? null
      : v.integerIn('credit_expires_in_days', input.credit_expires_in_days, 1, limits.promotion_credit_expires_in_days_max);
  const claims_max = v.integerIn('claims_max', input.claims_max, 1, limits.promotion_claims_max);
  const now_ms = deps.clock.now_ms();
  if (expires_at_ms !== null && expires_at_ms <= now_ms) throw invalid('expires_at', 'must be in the future');
  const promotion: Promotion = {
    id: deps.ids.next('promo'),
    code,
    amount_micros,
    expires_at_ms,
    credit_expires_in_days,
    claims_max,
    claims_count: 0,
    created_at_ms: now_ms,
  };
  await deps.store.transaction(async (tx) => {
    await tx.insertPromotion({ ...promotion, created_by: actor.id });
    await tx.insertAudit([
      {
        account_id: null,
        actor: actor.id,
        action: 'promotion.created',
        request_id: actor.request_id,
        details: { promotion_id: promotion.id, code, amount_micros, claims_max, expires_at_ms, credit_expires_in_days },
        created_at_ms: now_ms,
      },
    ]);
  });
  return promotion;
}

export async function listPromotions(deps: Deps, query: PageRequest): Promise<Page<Promotion>> {
  const limit = pageLimit(query);
  const after = query.cursor === undefined || query.cursor === null || query.cursor === '' ? undefined : v.text('cursor', query.cursor);
  const rows = await deps.store.listPromotions({ limit: limit + 1, ...(after !== undefined ? { after_code: after } : {}) });
  return pageOf(rows, limit, (p) => p.code);
}

export async function claimPromotion(
  deps: Deps,
  account_id: string,
  input: { code: unknown },
  actor: Actor,
): Promise<{ grant: GrantRecord; live: boolean; promotion: Promotion }> {
  const code = normalizeCode('code', v.text('code', input.code, limits.promotion_code_length_max + 10));
  const catalog = await deps.catalog.get();
  return deps.store.transaction(async (tx) => {
    const promotion = await tx.lockPromotionByCode(code);
    if (!promotion) throw notFound('promotion code', code);
    const now_ms = deps.clock.now_ms();
    const locked = (await tx.lockAccounts([account_id])).get(account_id);
    if (!locked) throw notFound('account', account_id);
    const extra_usage_allowed = extraUsageAllowed(locked.account, catalogPlan(catalog, locked.account), now_ms);
    const refusal = checkClaim(promotion, now_ms, { plan_id: locked.account.plan_id, extra_usage_allowed });
    if (refusal) throw refusal;
    const grant: GrantRecord = {
      id: deps.ids.next('grant'),
      account_id,
      amount_micros: promotion.amount_micros,
      remaining_micros: promotion.amount_micros,
      expires_at_ms: claimedCreditExpiry(promotion, now_ms),
      reason: claimReason(promotion),
      created_at_ms: now_ms,
    };
    // The grant row first: the claim refers to it. A second claim fails on the claim's constraint,
    // and the whole transaction (grant included) is rolled back.
    await writeGrant(tx, locked, grant, actor, { promotion_id: promotion.id, code });
    await tx.insertPromotionClaim({ promotion_id: promotion.id, account_id, grant_id: grant.id, claimed_at_ms: now_ms });
    return { grant, live: isGrantLive(grant, now_ms), promotion: { ...promotion, claims_count: promotion.claims_count + 1 } };
  });
}
