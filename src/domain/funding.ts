// Who pays for a request (SPEC §1.4), the hard spend cap (§1.6) and holds (§1.8).
// Pure: the caller passes loaded state and `now_ms`, gets back a plan, and applies it.
import { invariant } from './assert';
import { limits } from './limits';
import type { App, Model, ModelPrice, Plan, WindowKind } from './catalog';
import { windowAt, windowRoom, type WindowState, type WindowView } from './cycles';
import { formatUsd, shareCeil } from './money';
import { allowanceTokens, costMicros, maxCostMicros, type CacheWrite, type TokenUsage } from './pricing';
import { refusal, type FundingRefusal } from './refusals';
import {
  addSpent,
  availableMicros,
  balanceMicros,
  currentCycle,
  drawFromWallet,
  exceedsCap,
  extraUsageAllowed,
  planStatusAt,
  spentThisCycle,
  type AccountState,
  type Draw,
  type WalletState,
} from './wallet';

/** Which pool paid a request. */
export const FUNDING_SOURCES = ['allowance', 'extra_usage', 'mixed', 'api_credits'] as const;
export type FundingSource = (typeof FUNDING_SOURCES)[number];

/** Why the source was chosen: the answer to "why did this come out of my credits?". */
export const FUNDING_REASONS = [
  'first_party_allowance', // the plan allowance had room for the whole request
  'first_party_overflow', // the allowance was used up; extra usage paid all of it
  'first_party_mixed', // the allowance had some room; extra usage paid the rest
  'third_party_extra_usage_only', // third-party apps draw only on extra usage
  'api_key', // API-key requests draw only on API credits
] as const;
export type FundingReason = (typeof FUNDING_REASONS)[number];

export interface WindowMark {
  kind: WindowKind;
  start_ms: number;
}

export interface Funding {
  source: FundingSource;
  reason: FundingReason;
  /** Allowance tokens reserved (all of T for allowance, the room R for mixed, 0 otherwise). */
  allowance_tokens: number;
  held_micros: number;
  max_cost_micros: number;
  /** The windows the allowance tokens were reserved in (so settle/release find them again). */
  windows: WindowMark[];
}

export type SeatWindows = Map<WindowKind, WindowState>;

export interface AuthorizeInput {
  account: AccountState;
  plan: Plan | undefined;
  app: App;
  model: Model;
  price: ModelPrice;
  wallet: WalletState;
  seat_windows: SeatWindows;
  input_tokens: number;
  max_output_tokens: number;
  /** Declared cache writes: the hold prices the input at that rate (SPEC §1.6). Default none. */
  cache_write?: CacheWrite;
  now_ms: number;
}

export type Decision<T> = { ok: true; value: T } | { ok: false; refusal: FundingRefusal };

function refuse(type: FundingRefusal['type'], message: string, figures: FundingRefusal['figures']): Decision<never> {
  return { ok: false, refusal: refusal(type, message, figures) };
}

export function windowViews(input: { account: AccountState; plan: Plan | undefined; seat_windows: SeatWindows; now_ms: number }): WindowView[] {
  if (!input.plan || planStatusAt(input.account, input.now_ms) === 'lapsed') return [];
  return input.plan.windows.map((spec) => windowAt(spec, input.seat_windows.get(spec.kind), input.account.anchor_ms, input.now_ms));
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The hold an extra-usage payment of `hold_micros` may place, or the refusal that stops it. */
function checkExtraUsage(input: AuthorizeInput, hold_micros: number): FundingRefusal | null {
  const { account, wallet, now_ms } = input;
  const balance = balanceMicros(wallet, now_ms);
  const available = availableMicros(wallet, now_ms);
  if (wallet.purchased_micros < 0) {
    return refusal(
      'negative_balance',
      `Your extra usage balance is ${formatUsd(balance)}: a request cost more than its hold, or a payment was refunded after its credits were spent. Add at least ${formatUsd(-wallet.purchased_micros)} of credits to continue.`,
      {
        balance_micros: balance,
        owed_micros: -wallet.purchased_micros,
      },
    );
  }
  if (available < hold_micros) {
    return refusal(
      'insufficient_balance',
      `This request may cost up to ${formatUsd(hold_micros, 6)} but ${formatUsd(available, 6)} of extra usage is available. Add credits or turn on auto-reload.`,
      {
        balance_micros: balance,
        held_micros: wallet.held_micros,
        available_micros: available,
        required_micros: hold_micros,
      },
    );
  }
  const limit = account.monthly_spend_limit_micros;
  if (limit !== null) {
    const cycle = currentCycle(account, now_ms);
    const spent = spentThisCycle(wallet, cycle);
    // The hard cap: spent + held + this hold must fit under the limit (SPEC §1.6). Holds that
    // expired unsettled still count here until their late-settlement window ends.
    const held = wallet.held_micros + wallet.late_held_micros;
    if (exceedsCap(spent, held, hold_micros, limit)) {
      const late = wallet.late_held_micros > 0 ? ` (${formatUsd(wallet.late_held_micros)} of it by expired holds that may still be settled)` : '';
      return refusal(
        'spend_limit_reached',
        `This request may cost up to ${formatUsd(hold_micros, 6)}; with ${formatUsd(spent)} spent and ${formatUsd(held)} held this cycle${late} it would pass your ${formatUsd(limit)} monthly limit. Raise the limit or wait until ${iso(cycle.end_ms).slice(0, 10)}.`,
        {
          limit_micros: limit,
          spent_micros: spent,
          held_micros: wallet.held_micros,
          late_held_micros: wallet.late_held_micros,
          required_micros: hold_micros,
          resets_at: iso(cycle.end_ms),
        },
      );
    }
  }
  return null;
}

/**
 * Decides how an authorization is funded, in the documented order:
 * first-party → allowance, overflow or mixed; third-party → extra usage only.
 * Mixed (example 7): T allowance tokens, R room → allowance takes R, extra pays ⌈cost × (T − R) / T⌉.
 */
export function decideAuthorization(input: AuthorizeInput): Decision<Funding> {
  const { account, plan, app, model, price, now_ms } = input;
  const max_cost = maxCostMicros(input.input_tokens, input.max_output_tokens, price, input.cache_write ?? 'none');
  const total_tokens = allowanceTokens(
    { input_tokens: input.input_tokens, output_tokens: input.max_output_tokens, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    model,
  );
  const extra_ok = extraUsageAllowed(account, plan, now_ms);
  const status = planStatusAt(account, now_ms);
  const facts: FundingFacts = { max_cost, total_tokens, extra_ok, status };
  return app.kind === 'third_party' ? decideThirdParty(input, facts) : decideFirstParty(input, facts);
}

/** What both kinds of app are decided on, worked out once. */
interface FundingFacts {
  max_cost: number;
  total_tokens: number;
  extra_ok: boolean;
  status: ReturnType<typeof planStatusAt>;
}

/** Third-party apps: extra usage only, even while the allowance has room (SPEC §1.4). */
function decideThirdParty(input: AuthorizeInput, { max_cost, extra_ok, status }: FundingFacts): Decision<Funding> {
  const { account, app, wallet, now_ms } = input;
  if (!extra_ok) {
    return refuse(
      'plan_required',
      `Third-party apps such as ${app.id} use extra usage, which needs an active paid plan (Pro, Max or Team). ${status === 'lapsed' ? 'Your plan has lapsed; renew it to use your balance.' : 'Upgrade your plan.'}`,
      { plan: account.plan_id, plan_status: status, app: app.id },
    );
  }
  const balance = balanceMicros(wallet, now_ms);
  if (!account.extra_usage_enabled || (balance <= 0 && wallet.purchased_micros >= 0)) {
    return refuse(
      'extra_usage_required',
      `${app.id} is a third-party app: it draws only on extra usage, even while your plan allowance has room. ${account.extra_usage_enabled ? 'Your extra usage balance is empty: add credits.' : 'Turn on extra usage and add credits.'}`,
      {
        app: app.id,
        extra_usage_enabled: account.extra_usage_enabled,
        balance_micros: balance,
      },
    );
  }
  const problem = checkExtraUsage(input, max_cost);
  if (problem) return { ok: false, refusal: problem };
  return {
    ok: true,
    value: {
      source: 'extra_usage',
      reason: 'third_party_extra_usage_only',
      allowance_tokens: 0,
      held_micros: max_cost,
      max_cost_micros: max_cost,
      windows: [],
    },
  };
}

/** First-party apps: the allowance first (every window must have room), then overflow or mixed. */
function decideFirstParty(input: AuthorizeInput, { max_cost, total_tokens, extra_ok, status }: FundingFacts): Decision<Funding> {
  const { account, plan } = input;
  const views = windowViews(input);
  if (status === 'lapsed' || !plan) {
    return refuse('plan_required', 'Your plan has lapsed: renew it to use the service. Your extra usage balance is kept and refundable.', {
      plan: account.plan_id,
      plan_status: status,
    });
  }
  const room = views.length === 0 ? 0 : Math.min(...views.map(windowRoom));
  const marks = views.map((v) => ({ kind: v.kind, start_ms: v.start_ms }));
  if (room >= total_tokens) {
    return {
      ok: true,
      value: {
        source: 'allowance',
        reason: 'first_party_allowance',
        allowance_tokens: total_tokens,
        held_micros: 0,
        max_cost_micros: max_cost,
        windows: marks,
      },
    };
  }
  const resets_at_ms = views.length === 0 ? null : Math.max(...views.filter((v) => windowRoom(v) < total_tokens).map((v) => v.resets_at_ms));
  if (!extra_ok || !account.extra_usage_enabled) {
    // A request larger than a whole window can never fit: waiting for the reset would not help.
    const never_fits = views.some((v) => v.limit_tokens < total_tokens);
    const when = never_fits
      ? `; it is larger than the whole ${plan.name} allowance window, so lower max_output_tokens`
      : resets_at_ms
        ? `; it resets at ${iso(resets_at_ms)}`
        : '';
    return refuse(
      'allowance_exhausted',
      `Your ${plan.name} allowance cannot cover this request (${room} of ${total_tokens} tokens left)${when}. ${extra_ok ? 'Turn on extra usage to keep going.' : 'Upgrade to a paid plan to use extra usage.'}`,
      {
        allowance_tokens_required: total_tokens,
        allowance_tokens_left: room,
        resets_at: resets_at_ms === null ? null : iso(resets_at_ms),
        extra_usage_enabled: account.extra_usage_enabled,
      },
    );
  }
  const extra = room > 0 ? shareCeil(max_cost, total_tokens - room, total_tokens) : max_cost;
  const problem = checkExtraUsage(input, extra);
  if (problem) {
    if (resets_at_ms !== null) problem.figures.allowance_resets_at = iso(resets_at_ms);
    return { ok: false, refusal: problem };
  }
  if (room > 0) {
    return {
      ok: true,
      value: { source: 'mixed', reason: 'first_party_mixed', allowance_tokens: room, held_micros: extra, max_cost_micros: max_cost, windows: marks },
    };
  }
  return {
    ok: true,
    value: { source: 'extra_usage', reason: 'first_party_overflow', allowance_tokens: 0, held_micros: extra, max_cost_micros: max_cost, windows: [] },
  };
}

function seatWindow(seat_windows: SeatWindows, kind: WindowKind): WindowState {
  let state = seat_windows.get(kind);
  if (!state) {
    state = { kind, start_ms: null, used_tokens: 0, held_tokens: 0 };
    seat_windows.set(kind, state);
  }
  return state;
}

/** Moves a window's stored counters to `start_ms` (a newer window), zeroing them. */
function rollTo(state: WindowState, start_ms: number): void {
  if (state.start_ms !== start_ms) {
    state.start_ms = start_ms;
    state.used_tokens = 0;
    state.held_tokens = 0;
  }
}

/** Places the hold of `funding` on the wallet and the seat's windows. */
export function applyHold(wallet: WalletState, seat_windows: SeatWindows, funding: Funding): void {
  wallet.held_micros += funding.held_micros;
  for (const mark of funding.windows) {
    const state = seatWindow(seat_windows, mark.kind);
    rollTo(state, mark.start_ms);
    state.held_tokens += funding.allowance_tokens;
  }
}

/**
 * Expiry: the hold leaves the balance but keeps counting against the spend limit until its
 * late-settlement window ends (SPEC §1.6). Returns whether anything is still counted.
 */
export function expireHold(wallet: WalletState, seat_windows: SeatWindows, funding: Funding): boolean {
  releaseHold(wallet, seat_windows, funding);
  wallet.late_held_micros += funding.held_micros;
  return funding.held_micros > 0;
}

/** When an expired hold's late-settlement window ends: until then it counts against the limit (SPEC §1.6). */
export function lateWindowEndsAt(expires_at_ms: number): number {
  return expires_at_ms + limits.late_settlement_window_ms;
}

/** The same rule seen from now: holds that expired at or before this instant have ended their window. */
export function lateWindowExpiryCutoff(now_ms: number): number {
  return now_ms - limits.late_settlement_window_ms;
}

/** A late settlement arrived, or the late-settlement window ended: the limit no longer counts the hold. */
export function endLateHold(wallet: WalletState, funding: Funding): void {
  invariant(wallet.late_held_micros >= funding.held_micros, () => `ending a late hold of ${funding.held_micros} but ${wallet.late_held_micros} is counted`);
  wallet.late_held_micros -= funding.held_micros;
}

/**
 * Whether a settlement went beyond what its hold covered: it cost more than the hold's largest
 * cost (more tokens than it held for, or cache writes it did not declare), or extra usage paid
 * more than was held for it (SPEC §1.6).
 */
export function beyondHold(funding: Funding, charge: Omit<Charge, 'draws'>): boolean {
  return charge.cost_micros > funding.max_cost_micros || (funding.source !== 'allowance' && charge.extra_usage_micros > funding.held_micros);
}

/** Drops what a hold reserved (release, expiry, or the first step of settle). */
export function releaseHold(wallet: WalletState, seat_windows: SeatWindows, funding: Funding): void {
  invariant(wallet.held_micros >= funding.held_micros, () => `releasing a hold of ${funding.held_micros} from a wallet that holds ${wallet.held_micros}`);
  wallet.held_micros -= funding.held_micros;
  for (const mark of funding.windows) {
    const state = seat_windows.get(mark.kind);
    // A window that has rolled over since the hold was placed holds nothing of it any more.
    if (state && state.start_ms === mark.start_ms) {
      invariant(
        state.held_tokens >= funding.allowance_tokens,
        () => `releasing ${funding.allowance_tokens} held tokens from a ${mark.kind} window that holds ${state.held_tokens}`,
      );
      state.held_tokens -= funding.allowance_tokens;
    }
  }
}

export interface Charge {
  cost_micros: number;
  allowance_tokens: number;
  extra_usage_micros: number;
  draws: Draw[];
}

/**
 * The charge for real usage under an existing funding decision (settle), or for a usage event
 * without a hold (funding decided now, never refused). The price version is the one chosen at
 * authorization. Allowance-funded requests consume all their tokens from the allowance; mixed
 * ones take at most the reserved room from it and pay ⌈cost × (T − A) / T⌉ in extra usage.
 */
export function computeCharge(
  funding: Pick<Funding, 'source' | 'allowance_tokens'>,
  model: Model,
  price: ModelPrice,
  usage: TokenUsage,
): Omit<Charge, 'draws'> {
  const cost = costMicros(usage, price);
  const tokens = allowanceTokens(usage, model);
  switch (funding.source) {
    case 'allowance':
      return { cost_micros: cost, allowance_tokens: tokens, extra_usage_micros: 0 };
    case 'mixed': {
      const from_allowance = Math.min(tokens, funding.allowance_tokens);
      const extra = tokens === 0 ? cost : shareCeil(cost, tokens - from_allowance, tokens);
      return { cost_micros: cost, allowance_tokens: from_allowance, extra_usage_micros: extra };
    }
    case 'extra_usage':
    case 'api_credits':
      return { cost_micros: cost, allowance_tokens: 0, extra_usage_micros: cost };
    default: {
      const never: never = funding.source;
      throw new Error(`unknown funding source ${String(never)}`);
    }
  }
}

/** Writes a charge into the wallet (draws, spend counter) and the seat's windows. */
export function applyCharge(
  account: AccountState,
  wallet: WalletState,
  seat_windows: SeatWindows,
  windows: WindowMark[],
  charge: Omit<Charge, 'draws'>,
  now_ms: number,
): Draw[] {
  if (charge.allowance_tokens > 0) {
    for (const mark of windows) {
      const state = seatWindow(seat_windows, mark.kind);
      // Usage lands in the window the hold was placed in; if that one has closed, it is past.
      if (state.start_ms === null || state.start_ms <= mark.start_ms) {
        rollTo(state, mark.start_ms);
        state.used_tokens += charge.allowance_tokens;
      }
    }
  }
  if (charge.extra_usage_micros === 0) return [];
  addSpent(wallet, currentCycle(account, now_ms), charge.extra_usage_micros);
  return drawFromWallet(wallet, charge.extra_usage_micros, now_ms);
}

/**
 * Funding for a usage event that arrives without a hold. Never refused: the usage happened.
 * Same rules as authorize for choosing the source, decided on the real tokens; when the
 * allowance cannot cover it and extra usage is off, the allowance takes it (over its limit)
 * rather than charging credits the owner switched off.
 */
export function decideEventFunding(input: Omit<AuthorizeInput, 'input_tokens' | 'max_output_tokens'> & { usage: TokenUsage }): Funding {
  const tokens = allowanceTokens(input.usage, input.model);
  const cost = costMicros(input.usage, input.price);
  if (input.app.kind === 'third_party') {
    return { source: 'extra_usage', reason: 'third_party_extra_usage_only', allowance_tokens: 0, held_micros: 0, max_cost_micros: cost, windows: [] };
  }
  const views = windowViews(input);
  const marks = views.map((v) => ({ kind: v.kind, start_ms: v.start_ms }));
  const room = views.length === 0 ? 0 : Math.min(...views.map(windowRoom));
  const extra_on = extraUsageAllowed(input.account, input.plan, input.now_ms) && input.account.extra_usage_enabled;
  if (room >= tokens || (!extra_on && views.length > 0)) {
    return { source: 'allowance', reason: 'first_party_allowance', allowance_tokens: tokens, held_micros: 0, max_cost_micros: cost, windows: marks };
  }
  if (room > 0) return { source: 'mixed', reason: 'first_party_mixed', allowance_tokens: room, held_micros: 0, max_cost_micros: cost, windows: marks };
  return { source: 'extra_usage', reason: 'first_party_overflow', allowance_tokens: 0, held_micros: 0, max_cost_micros: cost, windows: [] };
}
