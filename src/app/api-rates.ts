// Rate limits of API organizations (SPEC §1.9): the org's tier gives requests, input tokens and
// output tokens per minute; an authorization takes one request, its input tokens and its
// max_output_tokens from all three budgets at once (atomically: one Lua script on Redis), and the
// output tokens it did not use are given back at settle (all of them at release). Refused: 429
// `rate_limited` with Retry-After. The answers carry Anthropic-style rate-limit headers.
import { limits } from '../domain/limits';
import { AppError, invalid } from '../domain/refusals';
import type { Deps } from './deps';
import { orgTier } from './orgs';
import type { Plan } from '../domain/catalog';
import { rateLimited } from '../domain/ratelimits';
import type { RateLimiter } from './ports';

const BUDGETS = ['requests', 'input-tokens', 'output-tokens'] as const;

/** The `anthropic-ratelimit-*` headers of one answer: limit, remaining and reset (RFC 3339) per budget. */
export type RateHeaders = Record<string, string>;

export interface ApiRate {
  window_start_ms: number;
  headers: RateHeaders;
}

function headersOf(limit: number[], remaining: number[], reset_ms: number, names: readonly string[] = BUDGETS): RateHeaders {
  const out: RateHeaders = {};
  const reset = new Date(reset_ms).toISOString();
  names.forEach((name, i) => {
    out[`anthropic-ratelimit-${name}-limit`] = String(limit[i]);
    out[`anthropic-ratelimit-${name}-remaining`] = String(Math.max(0, remaining[i]!));
    out[`anthropic-ratelimit-${name}-reset`] = reset;
  });
  return out;
}

export class ApiRateLimits {
  /** Holds this process admitted: whose output-token budget their unused part goes back to. Bounded, oldest out first. */
  private readonly holds = new Map<string, { org_id: string; max_output_tokens: number; window_start_ms: number }>();

  constructor(
    private readonly deps: Deps,
    private readonly limiter: RateLimiter | undefined,
  ) {}

  /** Takes one request, the input and the largest output from the org's tier budgets, or refuses (429). Null: no limiter. */
  async take(org_id: string, input_tokens: number, max_output_tokens: number): Promise<ApiRate | null> {
    if (!this.limiter?.take) return null;
    const { tier } = await orgTier(this.deps, org_id);
    if (input_tokens > tier.input_tokens_per_minute)
      throw invalid(
        'input_tokens',
        `${input_tokens} is more than tier ${tier.tier}'s ${tier.input_tokens_per_minute} input tokens per minute; send a smaller request`,
      );
    if (max_output_tokens > tier.output_tokens_per_minute)
      throw invalid(
        'max_output_tokens',
        `${max_output_tokens} is more than tier ${tier.tier}'s ${tier.output_tokens_per_minute} output tokens per minute; lower it`,
      );
    const limit = [tier.requests_per_minute, tier.input_tokens_per_minute, tier.output_tokens_per_minute];
    const taken = await this.limiter.take([
      { key: `api:rpm:${org_id}`, points: 1, limit: limit[0]! },
      { key: `api:itpm:${org_id}`, points: input_tokens, limit: limit[1]! },
      { key: `api:otpm:${org_id}`, points: max_output_tokens, limit: limit[2]! },
    ]);
    const headers = headersOf(limit, taken.remaining, taken.reset_ms);
    if (taken.ok) return { window_start_ms: taken.window_start_ms, headers };
    const budget = BUDGETS[taken.spent_index]!;
    const retry_after_s = Math.max(1, Math.ceil((taken.reset_ms - Date.now()) / 1000));
    throw new AppError(
      'rate_limited',
      `Tier ${tier.tier} allows ${limit[taken.spent_index]} ${budget.replace('-', ' ')} per minute and this minute's are spent. Retry in ${retry_after_s} s; buying more API credits raises the tier.`,
      { retry_after_s, tier: tier.tier, budget, limit: limit[taken.spent_index]!, ...headers },
    );
  }

  remember(authorization_id: string, org_id: string, max_output_tokens: number, rate: ApiRate): void {
    this.holds.set(authorization_id, { org_id, max_output_tokens, window_start_ms: rate.window_start_ms });
    if (this.holds.size > limits.rate_holds_remembered_max) this.holds.delete(this.holds.keys().next().value!);
  }

  /** Settled with `output_tokens` (0: released): the rest of its max_output_tokens goes back to the window it was taken from. */
  async giveBack(authorization_id: string, output_tokens: number): Promise<void> {
    const hold = this.holds.get(authorization_id);
    if (!hold || !this.limiter?.give) return;
    this.holds.delete(authorization_id);
    const unused = hold.max_output_tokens - output_tokens;
    if (unused > 0) await this.limiter.give(`api:otpm:${hold.org_id}`, unused, hold.window_start_ms);
  }
}

/**
 * A plan account's per-plan limits (requests and tokens per minute, shared by allowance and extra
 * usage) through the same atomic take: both budgets or neither. Answers the headers
 * (`anthropic-ratelimit-requests-*`, `anthropic-ratelimit-tokens-*`), or throws 429.
 */
export async function planRate(limiter: RateLimiter, plan: Plan, account_id: string, tokens: number): Promise<RateHeaders> {
  const limit = [plan.requests_per_minute, plan.tokens_per_minute];
  const taken = await limiter.take!([
    { key: `plan:rpm:${account_id}`, points: 1, limit: limit[0]! },
    { key: `plan:tpm:${account_id}`, points: tokens, limit: limit[1]! },
  ]);
  const headers = headersOf(limit, taken.remaining, taken.reset_ms, ['requests', 'tokens']);
  if (taken.ok) return headers;
  const error = rateLimited(plan, taken.spent_index === 0 ? 'requests' : 'tokens', Math.max(1, taken.reset_ms - Date.now()));
  Object.assign(error.figures, headers);
  throw error;
}
