// API organizations (SPEC §1.2, §1.4): a payer of its own kind. An organization is an account of
// kind `api_org` with no plan: its wallet holds its API credits (purchased and promotional, on
// the same ledger books as every other payer, scoped by the org's id), and API keys draw on it
// only. The rules here are the API-key side of funding: which refusal, with its figures; the
// spend cap is the same rule as an account's (exceedsCap, SPEC §1.6), applied to the org and to
// each key that has its own monthly limit.
import type { Model, ModelPrice } from './catalog';
import type { Cycle } from './cycles';
import type { Decision, Funding } from './funding';
import { formatUsd } from './money';
import { maxCostMicros, type CacheWrite } from './pricing';
import { refusal } from './refusals';
import { availableMicros, balanceMicros, currentCycle, exceedsCap, spentThisCycle, type AccountState, type WalletState } from './wallet';
import { invariant } from './assert';

export const ORG_ROLES = ['admin', 'billing', 'developer'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];
/** admin: members and keys; billing: credits, cards, limits, auto-reload; developer: reads. Each role may do what the ones below it may. */
export const ORG_ROLE_RANK: Record<OrgRole, number> = { developer: 0, billing: 1, admin: 2 };

/** The app id API-key requests are recorded under (they name no client surface). */
export const API_APP_ID = 'api';
/** API key secrets: a recognisable prefix, then the random part. */
export const API_KEY_PREFIX = 'tbk';
/** How much of a secret the key list shows (`tbk_` and the first characters of the random part). */
export const API_KEY_SHOWN_CHARS = 12;

/** An organization's books follow calendar months (UTC): its cycle anchor is the first of the month it was created in. */
export function orgAnchorMs(now_ms: number): number {
  const d = new Date(now_ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** The per-key counters the key's own monthly limit is checked against (same meaning as a wallet's). */
export interface ApiKeyState {
  id: string;
  org_id: string;
  name: string;
  monthly_limit_micros: number | null;
  spent_month_micros: number;
  spent_month_start_ms: number;
  held_micros: number;
  /** Holds of this key that expired unsettled and still count against its limit (SPEC §1.6). */
  late_held_micros: number;
  revoked_at_ms: number | null;
  last_used_at_ms: number | null;
}

export interface ApiKeyRecord extends ApiKeyState {
  /** `tbk_` and the first characters of the secret: enough to recognise it, never enough to use it. */
  prefix: string;
  key_hash: string;
  created_by: string;
  created_at_ms: number;
}

function keySpent(key: ApiKeyState, cycle: Cycle): number {
  return key.spent_month_start_ms === cycle.start_ms ? key.spent_month_micros : 0;
}

export interface ApiAuthorizeInput {
  org: AccountState;
  wallet: WalletState;
  key: ApiKeyState;
  model: Model;
  price: ModelPrice;
  input_tokens: number;
  max_output_tokens: number;
  cache_write?: CacheWrite;
  now_ms: number;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * An API-key request is paid by API credits only (SPEC §1.4). Checked in this order (the first
 * failing one wins): `api_credits_exhausted` (available credits below the hold, or the balance
 * below zero), `spend_limit_reached` (the org's monthly limit), `key_limit_reached` (the key's).
 */
export function decideApiAuthorization(input: ApiAuthorizeInput): Decision<Funding> {
  const { org, wallet, key, now_ms } = input;
  const hold = maxCostMicros(input.input_tokens, input.max_output_tokens, input.price, input.cache_write ?? 'none');
  const balance = balanceMicros(wallet, now_ms);
  const available = availableMicros(wallet, now_ms);
  if (wallet.purchased_micros < 0 || available < hold) {
    const owed =
      wallet.purchased_micros < 0
        ? ` (it owes ${formatUsd(-wallet.purchased_micros)}: a request cost more than its hold, or a payment was refunded after its credits were spent)`
        : '';
    return {
      ok: false,
      refusal: refusal(
        'api_credits_exhausted',
        `This request may cost up to ${formatUsd(hold, 6)} but the organization has ${formatUsd(Math.max(0, available), 6)} of API credits available${owed}. Buy API credits (POST /v1/orgs/${org.id}/credits) or turn on auto-reload.`,
        {
          balance_micros: balance,
          held_micros: wallet.held_micros,
          available_micros: available,
          required_micros: hold,
          ...(wallet.purchased_micros < 0 ? { owed_micros: -wallet.purchased_micros } : {}),
        },
      ),
    };
  }
  const cycle = currentCycle(org, now_ms);
  const resets_at = new Date(cycle.end_ms).toISOString();
  const org_limit = org.monthly_spend_limit_micros;
  const org_spent = spentThisCycle(wallet, cycle);
  const org_held = wallet.held_micros + wallet.late_held_micros;
  if (exceedsCap(org_spent, org_held, hold, org_limit)) {
    return {
      ok: false,
      refusal: refusal(
        'spend_limit_reached',
        `This request may cost up to ${formatUsd(hold, 6)}; with ${formatUsd(org_spent)} spent and ${formatUsd(org_held)} held this month it would pass the organization's ${formatUsd(org_limit!)} monthly limit. Raise the limit (PATCH /v1/orgs/${org.id}) or wait until ${day(cycle.end_ms)}.`,
        {
          limit_micros: org_limit,
          spent_micros: org_spent,
          held_micros: wallet.held_micros,
          late_held_micros: wallet.late_held_micros,
          required_micros: hold,
          resets_at,
        },
      ),
    };
  }
  const key_spent = keySpent(key, cycle);
  const key_held = key.held_micros + key.late_held_micros;
  if (exceedsCap(key_spent, key_held, hold, key.monthly_limit_micros)) {
    return {
      ok: false,
      refusal: refusal(
        'key_limit_reached',
        `This request may cost up to ${formatUsd(hold, 6)}; with ${formatUsd(key_spent)} spent and ${formatUsd(key_held)} held this month by API key "${key.name}" it would pass the key's ${formatUsd(key.monthly_limit_micros!)} monthly limit. Raise the key's limit, use another key, or wait until ${day(cycle.end_ms)}.`,
        {
          api_key_id: key.id,
          limit_micros: key.monthly_limit_micros,
          spent_micros: key_spent,
          held_micros: key.held_micros,
          late_held_micros: key.late_held_micros,
          required_micros: hold,
          resets_at,
        },
      ),
    };
  }
  return { ok: true, value: apiFunding(hold, 0) };
}

/** The funding of every API-key request: API credits, because it came with a key. */
export function apiFunding(held_micros: number, max_cost_micros: number): Funding {
  return { source: 'api_credits', reason: 'api_key', allowance_tokens: 0, held_micros, max_cost_micros: Math.max(held_micros, max_cost_micros), windows: [] };
}

// ---- the key's counters follow its holds and charges as the org's wallet does ------------------

export function applyKeyHold(key: ApiKeyState, funding: Funding, now_ms: number): void {
  key.held_micros += funding.held_micros;
  key.last_used_at_ms = now_ms;
}

export function releaseKeyHold(key: ApiKeyState, funding: Funding): void {
  invariant(key.held_micros >= funding.held_micros, () => `API key holds ${key.held_micros} µ$, less than the ${funding.held_micros} µ$ hold it releases`);
  key.held_micros -= funding.held_micros;
}

/** An expired hold: off the key's holds, still counted against its limit until the late window ends. */
export function expireKeyHold(key: ApiKeyState, funding: Funding): void {
  releaseKeyHold(key, funding);
  key.late_held_micros += funding.held_micros;
}

export function endKeyLateHold(key: ApiKeyState, funding: Funding): void {
  invariant(
    key.late_held_micros >= funding.held_micros,
    () => `API key late-holds ${key.late_held_micros} µ$, less than the ${funding.held_micros} µ$ it ends`,
  );
  key.late_held_micros -= funding.held_micros;
}

/** A charge paid through this key: this month's counter, reset first when the month moved on. */
export function addKeySpent(key: ApiKeyState, org: AccountState, amount_micros: number, now_ms: number): void {
  const cycle = currentCycle(org, now_ms);
  if (key.spent_month_start_ms !== cycle.start_ms) {
    key.spent_month_start_ms = cycle.start_ms;
    key.spent_month_micros = 0;
  }
  key.spent_month_micros += amount_micros;
  key.last_used_at_ms = now_ms;
}

/** What the key list shows of its month: spent (0 after the month turned). */
export function keySpentThisMonth(key: ApiKeyState, org: AccountState, now_ms: number): number {
  return keySpent(key, currentCycle(org, now_ms));
}
