// SPEC §1.1 cost of a request, §1.3 allowance tokens, §4 examples 1–4.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { allowanceTokens, costMicros, maxCostMicros, usageOf } from '../../src/domain/pricing';
import { standardPrice, type Model } from '../../src/domain/catalog';
import { model, price } from '../fixtures/domain-state';

describe('the cost of a request is one half-up rounding of the exact sum (SPEC §4)', () => {
  it('example 1: sonnet, input 1,000, output 200 → 3,000 + 3,000 = 6,000 micros', () => {
    assert.equal(costMicros(usageOf({ input_tokens: 1000, output_tokens: 200 }), price('claude-sonnet-4-5')), 6000);
  });
  it('example 2: sonnet, input 10, cache write 100, cache read 1,001, output 7 → 810.3 → 810', () => {
    const usage = usageOf({ input_tokens: 10, cache_creation_input_tokens: 100, cache_read_input_tokens: 1001, output_tokens: 7 });
    assert.equal(costMicros(usage, price('claude-sonnet-4-5')), 810);
  });
  it('rounds once, of the sum: haiku cache write 2 (2.5) + cache read 5 (0.5) = 3.0 → 3, not 3 + 1 = 4', () => {
    assert.equal(costMicros(usageOf({ cache_creation_input_tokens: 2, cache_read_input_tokens: 5 }), price('claude-haiku-4-5')), 3);
  });
  it('example 3: haiku, input 3, cache read 5 → 3 + 0.5 = 3.5 → 4 (half up)', () => {
    assert.equal(costMicros(usageOf({ input_tokens: 3, cache_read_input_tokens: 5 }), price('claude-haiku-4-5')), 4);
  });
  it('below half a micro rounds to 0: haiku cache read 4 = 0.4 → 0', () => {
    assert.equal(costMicros(usageOf({ cache_read_input_tokens: 4 }), price('claude-haiku-4-5')), 0);
  });
  it('example 4: the hold of opus, input 1,000, max_output_tokens 4,000 is 5,000 + 100,000 = 105,000', () => {
    assert.equal(maxCostMicros(1000, 4000, price('claude-opus-4-5')), 105_000);
  });
  it('the defaults: cache write is 1.25× and cache read 0.1× the input price', () => {
    const opus = price('claude-opus-4-5');
    assert.equal(opus.input_micros_per_mtok, 5_000_000);
    assert.equal(opus.output_micros_per_mtok, 25_000_000);
    assert.equal(opus.cache_write_micros_per_mtok, 6_250_000);
    assert.equal(opus.cache_read_micros_per_mtok, 500_000);
  });
  it('1-hour cache writes cost 2× input, 5-minute ones 1.25×, in one rounding: opus 1,000 5m + 3 1h = 6,250 + 30', () => {
    const opus = price('claude-opus-4-5');
    assert.equal(opus.cache_write_1h_micros_per_mtok, 10_000_000);
    assert.equal(costMicros(usageOf({ cache_creation_input_tokens: 1003, cache_creation_1h_input_tokens: 3 }), opus), 6_280);
    assert.throws(() => costMicros(usageOf({ cache_creation_input_tokens: 1, cache_creation_1h_input_tokens: 2 }), opus), /invariant/);
  });
  it('a price whose derived cache rates would not be integers is refused, not rounded', () => {
    assert.throws(() => standardPrice('p', 'm', 0, 1_000_001, 5_000_000), /multiple of 40/);
  });
  it('the largest request at the largest price stays a safe integer: 10M tokens of every kind at $1,000/MTok = $33,500', () => {
    const dear = standardPrice('p', 'm', 0, 1_000_000_000, 1_000_000_000);
    assert.equal(costMicros(usageOf({ input_tokens: 10_000_000, output_tokens: 10_000_000, cache_creation_input_tokens: 10_000_000, cache_read_input_tokens: 10_000_000 }), dear), 33_500_000_000);
  });
  it('no usage costs nothing', () => assert.equal(costMicros(usageOf({}), price('claude-opus-4-5')), 0));
});

describe('allowance tokens are (input + output + cache write) × multiplier; cache reads count 0 (SPEC §1.3)', () => {
  it('example 7: haiku, input 7, output 3 → T = 10', () => {
    assert.equal(allowanceTokens(usageOf({ input_tokens: 7, output_tokens: 3 }), model('claude-haiku-4-5')), 10);
  });
  it('cache writes count, cache reads do not', () => {
    assert.equal(allowanceTokens(usageOf({ input_tokens: 10, cache_creation_input_tokens: 100, cache_read_input_tokens: 1001, output_tokens: 7 }), model('claude-sonnet-4-5')), 117);
  });
  it('a multiplier of 1.5 (1,500 milli) scales and rounds up to whole tokens', () => {
    const heavy: Model = { id: 'heavy', tier: 'opus', allowance_multiplier_milli: 1500 };
    assert.equal(allowanceTokens(usageOf({ input_tokens: 10, output_tokens: 0 }), heavy), 15);
    assert.equal(allowanceTokens(usageOf({ input_tokens: 1, output_tokens: 0 }), heavy), 2); // 1.5 → 2
  });
  it('usageOf fills the missing kinds with 0', () => {
    assert.deepEqual(usageOf({ input_tokens: 5 }), { input_tokens: 5, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
  });
});
