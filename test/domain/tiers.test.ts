// SPEC §1.9 usage tiers: the highest tier the credits bought and kept reach; a refund takes its amount back off.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkedTierTable, nextTier, tierFor, tierPurchasesMicros, type ApiTier } from '../../src/domain/tiers';

const $ = (dollars: number) => dollars * 1_000_000;
const tier = (n: number, min: number): ApiTier => ({
  tier: n,
  purchased_micros_min: min,
  requests_per_minute: 5 * (n + 1),
  input_tokens_per_minute: 1000,
  output_tokens_per_minute: 100,
});
const TIERS = [tier(2, $(40)), tier(0, 0), tier(1, $(5))];

it('the tier of what was bought and kept: $40 → 2; $35 refunded → 1, $36 → 0 ($4 kept), all → 0', () => {
  assert.equal(tierFor(TIERS, tierPurchasesMicros({ bought_micros: $(40), refunded_micros: 0 }))!.tier, 2);
  assert.equal(tierFor(TIERS, tierPurchasesMicros({ bought_micros: $(40), refunded_micros: $(36) }))!.tier, 0, '$4 kept is under tier 1');
  assert.equal(tierFor(TIERS, tierPurchasesMicros({ bought_micros: $(40), refunded_micros: $(35) }))!.tier, 1);
  assert.equal(tierFor(TIERS, tierPurchasesMicros({ bought_micros: $(40), refunded_micros: $(40) }))!.tier, 0);
  assert.deepEqual(nextTier(TIERS, 4_990_000), { tier: 1, purchased_micros_min: $(5), remaining_micros: 10_000 });
});

describe("checkedTierTable: the operator's tier table, checked and sorted", () => {
  const t = (tier: number, dollars: number) => ({
    tier,
    purchased_micros_min: dollars * 1_000_000,
    requests_per_minute: 5,
    input_tokens_per_minute: 10,
    output_tokens_per_minute: 10,
  });
  const refusal = (tiers: ReturnType<typeof t>[]) => {
    try {
      checkedTierTable(tiers);
    } catch (error) {
      return (error as Error).message;
    }
    return assert.fail('accepted');
  };
  it('sorts by tier', () =>
    assert.deepEqual(
      checkedTierTable([t(1, 5), t(0, 0)]).map((x) => x.tier),
      [0, 1],
    ));
  it('refuses a lowest tier above $0, a tier twice, minimums that do not rise, and no tier', () => {
    assert.match(refusal([t(0, 1)]), /lowest tier/);
    assert.match(refusal([t(0, 0), t(1, 5), t(1, 6)]), /tier 1 is listed twice/);
    assert.match(refusal([t(0, 0), t(1, 5), t(2, 5)]), /must rise/);
    assert.match(refusal([]), /at least one tier/);
  });
});
