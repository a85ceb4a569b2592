// Rate limits (SPEC §1.9) through one atomic take. An API organization's tier gives requests,
// input tokens and output tokens per minute; a plan account's plan gives requests and tokens per
// minute. An authorization takes one request, its input tokens and its max_output_tokens from every
// budget at once (one Lua script on Redis), and the output tokens it did not use are given back at
// settle (all of them at release) to the window they were taken from, by whichever process settles
// it. Refused: 429 `rate_limited` with Retry-After. The authorization, settle and release answers
// carry Anthropic-style `anthropic-ratelimit-*` headers (limit, remaining, reset per budget).
import type { Plan } from '../domain/catalog';
import { rateLimited, tierRateLimited, tooLargeForTier } from '../domain/ratelimits';
import type { AuthorizationRecord } from '../domain/records';
import type { AppError } from '../domain/refusals';
import type { Deps } from './deps';
import { orgTier } from './orgs';
import type { RateBudget, RateLimiter } from './ports';

/** The `anthropic-ratelimit-*` headers of one answer: limit, remaining and reset (RFC 3339) per budget. */
export type RateHeaders = Record<string, string>;

/** What an admitted authorization took: the headers of its answer, and the output reservation to remember once it is held. */
export interface RateTaken {
  headers: RateHeaders;
  window_start_ms: number;
  output_key: string;
  output_points: number;
}

/** One payer's budgets for a request: names (header words), keys and limits; the output-token budget's index. */
interface Budgets {
  names: readonly string[];
  keys: string[];
  limit: number[];
  output_index: number;
}

const orgBudgets = (org_id: string, tier: { requests_per_minute: number; input_tokens_per_minute: number; output_tokens_per_minute: number }): Budgets => ({
  names: ['requests', 'input-tokens', 'output-tokens'],
  keys: [`api:rpm:${org_id}`, `api:itpm:${org_id}`, `api:otpm:${org_id}`],
  limit: [tier.requests_per_minute, tier.input_tokens_per_minute, tier.output_tokens_per_minute],
  output_index: 2,
});
const planBudgets = (account_id: string, plan: Plan): Budgets => ({
  names: ['requests', 'tokens'],
  keys: [`plan:rpm:${account_id}`, `plan:tpm:${account_id}`],
  limit: [plan.requests_per_minute, plan.tokens_per_minute],
  output_index: 1,
});

function headersOf(budgets: Budgets, remaining: number[], reset_ms: number): RateHeaders {
  const out: RateHeaders = {};
  const reset = new Date(reset_ms).toISOString();
  budgets.names.forEach((name, i) => {
    out[`anthropic-ratelimit-${name}-limit`] = String(budgets.limit[i]);
    out[`anthropic-ratelimit-${name}-remaining`] = String(Math.max(0, remaining[i]!));
    out[`anthropic-ratelimit-${name}-reset`] = reset;
  });
  return out;
}

const retryAfterS = (reset_ms: number) => Math.max(1, Math.ceil((reset_ms - Date.now()) / 1000)); // the limiter's clock, not the ledger's

export class RateLimits {
  constructor(
    private readonly deps: Deps,
    private readonly limiter: RateLimiter | undefined,
    /** The plan of a plan account (cached by the caller), or null: no plan, no per-plan limits. */
    private readonly planOf: (account_id: string) => Promise<Plan | null>,
  ) {}

  /** Takes one request, the input and the largest output from the org's tier budgets, or refuses (429). Null: no limiter. */
  async takeForOrg(org_id: string, input_tokens: number, max_output_tokens: number): Promise<RateTaken | null> {
    if (!this.limiter?.take) return null;
    const { tier } = await orgTier(this.deps, org_id);
    const too_large = tooLargeForTier(tier, input_tokens, max_output_tokens);
    if (too_large) throw too_large;
    const budgets = orgBudgets(org_id, tier);
    return this.take(budgets, [1, input_tokens, max_output_tokens], max_output_tokens, (spent_index, headers, reset_ms) => {
      const error = tierRateLimited(tier, budgets.names[spent_index]!, budgets.limit[spent_index]!, retryAfterS(reset_ms));
      Object.assign(error.figures, headers);
      return error;
    });
  }

  /** A plan account's per-plan limits (shared by allowance and extra usage): both budgets or neither. Null: no limiter with takes. */
  async takeForPlan(plan: Plan, account_id: string, input_tokens: number, max_output_tokens: number): Promise<RateTaken | null> {
    if (!this.limiter?.take) return null;
    return this.take(planBudgets(account_id, plan), [1, input_tokens + max_output_tokens], max_output_tokens, (spent_index, headers, reset_ms) => {
      const error = rateLimited(plan, spent_index === 0 ? 'requests' : 'tokens', Math.max(1, reset_ms - Date.now()));
      Object.assign(error.figures, headers);
      return error;
    });
  }

  private async take(
    budgets: Budgets,
    points: number[],
    output_points: number,
    refusal: (spent_index: number, headers: RateHeaders, reset_ms: number) => AppError,
  ) {
    const taken = await this.limiter!.take!(budgets.keys.map((key, i): RateBudget => ({ key, points: points[i]!, limit: budgets.limit[i]! })));
    const headers = headersOf(budgets, taken.remaining, taken.reset_ms);
    if (!taken.ok) throw refusal(taken.spent_index, headers, taken.reset_ms);
    return { headers, window_start_ms: taken.window_start_ms, output_key: budgets.keys[budgets.output_index]!, output_points };
  }

  /**
   * The hold committed: remember its output reservation where every process can find it. After
   * the commit, so it never fails the call: at worst the unused part is not given back this window.
   */
  async remember(authorization_id: string, taken: RateTaken): Promise<void> {
    await this.limiter?.hold?.(authorization_id, taken.output_key, taken.output_points, taken.window_start_ms).catch(() => undefined);
  }

  /**
   * Settled with `output_tokens` (0: released): the rest of its reservation goes back to the
   * window it was taken from. Answers the payer's budgets as they are now (the answer's headers),
   * or null without a limiter or a plan. After the commit, so it never fails the call.
   */
  async finished(record: AuthorizationRecord, output_tokens: number): Promise<RateHeaders | null> {
    if (!this.limiter?.peek) return null;
    try {
      await this.limiter.giveHeld?.(record.id, output_tokens);
      const budgets = record.api_key_id
        ? orgBudgets(record.account_id, (await orgTier(this.deps, record.account_id)).tier)
        : await this.planBudgetsOf(record.account_id);
      if (!budgets) return null;
      const now = await this.limiter.peek(budgets.keys.map((key, i) => ({ key, points: 0, limit: budgets.limit[i]! })));
      return headersOf(budgets, now.remaining, now.reset_ms);
    } catch {
      return null;
    }
  }

  private async planBudgetsOf(account_id: string): Promise<Budgets | null> {
    const plan = await this.planOf(account_id);
    return plan ? planBudgets(account_id, plan) : null;
  }
}
