// Usage tiers of API organizations (SPEC §1.9): the operator defines them; an org is in the
// highest tier whose purchased_micros_min its cumulative credit purchases reach, so buying
// credits raises its rate limits on its own (defaults: $5 → 1, $40 → 2, $200 → 3, $400 → 4).
import { invalid } from './refusals';
export interface ApiTier {
  tier: number;
  purchased_micros_min: number;
  requests_per_minute: number;
  input_tokens_per_minute: number;
  output_tokens_per_minute: number;
}

/** What counts toward a tier: the credits bought and kept. A refund takes its amount back off (refunding $400 leaves tier 4). */
export function tierPurchasesMicros(purchases: { bought_micros: number; refunded_micros: number }): number {
  return purchases.bought_micros - purchases.refunded_micros;
}

/** The tier `purchased_micros` of cumulative purchases reaches (the lowest tier when none is reached). */
export function tierFor(tiers: readonly ApiTier[], purchased_micros: number): ApiTier | undefined {
  const sorted = [...tiers].sort((a, b) => a.tier - b.tier);
  let reached = sorted[0];
  for (const t of sorted) if (purchased_micros >= t.purchased_micros_min) reached = t;
  return reached;
}

/** The next tier up and what is left to buy to reach it (null at the top). */
export function nextTier(tiers: readonly ApiTier[], purchased_micros: number): { tier: number; purchased_micros_min: number; remaining_micros: number } | null {
  const up = [...tiers].sort((a, b) => a.tier - b.tier).find((t) => t.purchased_micros_min > purchased_micros);
  return up ? { tier: up.tier, purchased_micros_min: up.purchased_micros_min, remaining_micros: up.purchased_micros_min - purchased_micros } : null;
}

/**
 * A tier table as the operator sends it, checked and sorted by tier: the lowest starts at $0
 * (every organization is in some tier), no tier twice, and the minimums rise with the tier (a
 * higher tier is never cheaper to reach). Throws the refusal naming `tiers`.
 */
export function checkedTierTable(tiers: readonly ApiTier[]): ApiTier[] {
  const sorted = [...tiers].sort((a, b) => a.tier - b.tier);
  if (sorted.length === 0) throw invalid('tiers', 'must list at least one tier');
  if (sorted[0]!.purchased_micros_min !== 0) throw invalid('tiers', 'the lowest tier must have purchased_micros_min 0: every organization is in a tier');
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.tier === sorted[i - 1]!.tier) throw invalid('tiers', `tier ${sorted[i]!.tier} is listed twice`);
    if (sorted[i]!.purchased_micros_min <= sorted[i - 1]!.purchased_micros_min) throw invalid('tiers', 'purchased_micros_min must rise with the tier');
  }
  return sorted;
}
