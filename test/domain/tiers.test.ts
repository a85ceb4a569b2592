// SPEC §1.9 usage tiers: the highest tier the credits bought and kept reach; a refund takes its amount back off.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { nextTier, tierFor, tierPurchasesMicros, type ApiTier } from '../../src/domain/tiers';

const $ = (dollars: number) => dollars * 1_000_000;
const tier = (n: number, min: number): ApiTier => ({ tier: n, purchased_micros_min: min, requests_per_minute: 5 * (n + 1), input_tokens_per_minute: 1000, output_tokens_per_minute: 100 });
const TIERS = [tier(2, $(40)), tier(0, 0), tier(1, $(5))];

it('the tier of what was bought and kept: $40 → 2; $35 refunded → 1, $36 → 0 ($4 kept), all → 0', () => {
  assert.equal(tierFor(TIERS, tierPurchasesMicros({ bought_micros: $(40), refunded_micros: 0 }))!.tier, 2);
  assert.equal(tierFor(TIERS, tierPurchasesMicros({ bought_micros: $(40), refunded_micros: $(36) }))!.tier, 0, '$4 kept is under tier 1');
  assert.equal(tierFor(TIERS, tierPurchasesMicros({ bought_micros: $(40), refunded_micros: $(35) }))!.tier, 1);
  assert.equal(tierFor(TIERS, tierPurchasesMicros({ bought_micros: $(40), refunded_micros: $(40) }))!.tier, 0);
  assert.deepEqual(nextTier(TIERS, 4_990_000), { tier: 1, purchased_micros_min: $(5), remaining_micros: 10_000 });
});
