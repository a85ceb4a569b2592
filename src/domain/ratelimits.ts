// Rate limits (SPEC §1.9), a plan's and an API tier's: the decisions and their words. The
// counting itself is the limiter's (memory or Redis); these say what a refusal means and what
// to do.
import type { Plan } from './catalog';
import { AppError, invalid } from './refusals';
import type { ApiTier } from './tiers';

/** A request larger than a whole minute's token budget can never pass: it is bad input, not a wait. */
export function tooLargeForPlan(plan: Plan, tokens: number): AppError | null {
  if (tokens <= plan.tokens_per_minute) return null;
  return invalid(
    'max_output_tokens',
    `input_tokens + max_output_tokens (${tokens}) is more than the ${plan.name} plan's ${plan.tokens_per_minute} tokens per minute; lower max_output_tokens`,
  );
}

/** The refusal when a minute's budget is spent: which budget, and when to retry. */
export function rateLimited(plan: Plan, budget: 'requests' | 'tokens', retry_after_ms: number): AppError {
  const which = budget === 'requests' ? `${plan.requests_per_minute} requests` : `${plan.tokens_per_minute} tokens`;
  const retry_after_s = Math.ceil(retry_after_ms / 1000);
  return new AppError('rate_limited', `The ${plan.name} plan allows ${which} per minute. Retry in ${retry_after_s} s.`, {
    retry_after_s,
    requests_per_minute: plan.requests_per_minute,
    tokens_per_minute: plan.tokens_per_minute,
  });
}

/** An API-key request larger than a whole minute of its tier's input or output budget can never pass: bad input, not a wait. */
export function tooLargeForTier(tier: ApiTier, input_tokens: number, max_output_tokens: number): AppError | null {
  if (input_tokens > tier.input_tokens_per_minute)
    return invalid(
      'input_tokens',
      `${input_tokens} is more than tier ${tier.tier}'s ${tier.input_tokens_per_minute} input tokens per minute; send a smaller request`,
      { got: input_tokens, max: tier.input_tokens_per_minute, tier: tier.tier },
    );
  if (max_output_tokens > tier.output_tokens_per_minute)
    return invalid(
      'max_output_tokens',
      `${max_output_tokens} is more than tier ${tier.tier}'s ${tier.output_tokens_per_minute} output tokens per minute; lower it`,
      { got: max_output_tokens, max: tier.output_tokens_per_minute, tier: tier.tier },
    );
  return null;
}

/** The refusal when one of a tier's minute budgets is spent: which, its limit, when to retry, and what raises it. */
export function tierRateLimited(tier: ApiTier, budget: string, limit: number, retry_after_s: number): AppError {
  return new AppError(
    'rate_limited',
    `Tier ${tier.tier} allows ${limit} ${budget.replace('-', ' ')} per minute and this minute's are spent. Retry in ${retry_after_s} s; buying more API credits raises the tier.`,
    { retry_after_s, tier: tier.tier, budget, limit },
  );
}
