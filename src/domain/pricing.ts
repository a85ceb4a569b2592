// The cost of a request (SPEC §1.1) and its allowance tokens (SPEC §1.3).
import { invariant } from './assert';
import type { Model, ModelPrice } from './catalog';
import { TOKENS_PER_MTOK, divCeil, divRoundHalfUp, toSafeNumber } from './money';

/** Token counts, named as in Anthropic's Messages API `usage` object. */
export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  /** All cache writes, 5-minute and 1-hour (Anthropic's `cache_creation_input_tokens`). */
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  /** Of the cache writes, those with a 1-hour life (`cache_creation.ephemeral_1h_input_tokens`); absent is 0. */
  cache_creation_1h_input_tokens?: number;
}

export function usageOf(partial: Partial<TokenUsage>): TokenUsage {
  const usage: TokenUsage = {
    input_tokens: partial.input_tokens ?? 0,
    output_tokens: partial.output_tokens ?? 0,
    cache_creation_input_tokens: partial.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: partial.cache_read_input_tokens ?? 0,
  };
  if (partial.cache_creation_1h_input_tokens) usage.cache_creation_1h_input_tokens = partial.cache_creation_1h_input_tokens;
  return usage;
}

/** The 1-hour part of the cache writes (0 when not given). */
export function cacheWrites1h(usage: TokenUsage): number {
  const n = usage.cache_creation_1h_input_tokens ?? 0;
  invariant(n <= usage.cache_creation_input_tokens, () => `${n} 1-hour cache writes of ${usage.cache_creation_input_tokens} in all`);
  return n;
}

/**
 * round_half_up(Σ tokens_k × price_k / 10^6): one rounding, of the exact sum.
 * Example 2 of the SPEC: 10×3 + 100×3.75 + 1001×0.3 + 7×15 = 810.3 → 810.
 */
export function costMicros(usage: TokenUsage, price: ModelPrice): number {
  const writes_1h = cacheWrites1h(usage);
  const numerator =
    BigInt(usage.input_tokens) * BigInt(price.input_micros_per_mtok) +
    BigInt(usage.output_tokens) * BigInt(price.output_micros_per_mtok) +
    BigInt(usage.cache_creation_input_tokens - writes_1h) * BigInt(price.cache_write_micros_per_mtok) +
    BigInt(writes_1h) * BigInt(price.cache_write_1h_micros_per_mtok) +
    BigInt(usage.cache_read_input_tokens) * BigInt(price.cache_read_micros_per_mtok);
  return toSafeNumber(divRoundHalfUp(numerator, TOKENS_PER_MTOK), 'cost');
}

/** The cache writes an authorization declares: none, or prompt caching with a 5-minute or 1-hour life. */
export const CACHE_WRITES = ['none', '5m', '1h'] as const;
export type CacheWrite = (typeof CACHE_WRITES)[number];

/**
 * The rate a hold prices its input at, per million tokens: the input rate, or for declared cache
 * writes the highest rate those input tokens can be billed at (they may also arrive as plain input).
 */
export function holdInputRate(price: ModelPrice, cache_write: CacheWrite): number {
  switch (cache_write) {
    case 'none':
      return price.input_micros_per_mtok;
    case '5m':
      return Math.max(price.input_micros_per_mtok, price.cache_write_micros_per_mtok);
    case '1h':
      return Math.max(price.input_micros_per_mtok, price.cache_write_micros_per_mtok, price.cache_write_1h_micros_per_mtok);
    default: {
      const never: never = cache_write;
      throw new Error(`unknown cache_write ${String(never)}`);
    }
  }
}

/**
 * The largest cost an authorization can have: input (at the declared cache-write rate) plus
 * max_output_tokens (SPEC §1.6, example 4).
 */
export function maxCostMicros(input_tokens: number, max_output_tokens: number, price: ModelPrice, cache_write: CacheWrite = 'none'): number {
  return costMicros(
    { input_tokens, output_tokens: max_output_tokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    { ...price, input_micros_per_mtok: holdInputRate(price, cache_write) },
  );
}

/** (input + output + cache_write) × multiplier; cache reads count 0. Rounded up to whole tokens. */
export function allowanceTokens(usage: TokenUsage, model: Model): number {
  const raw = BigInt(usage.input_tokens + usage.output_tokens + usage.cache_creation_input_tokens);
  return toSafeNumber(divCeil(raw * BigInt(model.allowance_multiplier_milli), 1000n), 'allowance tokens');
}
