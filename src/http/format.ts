// toApi… conversions, each in one place: internal records → the wire shapes of SPEC §2.
import { lateWindowEndsAt } from '../domain/funding';
import type { TokenUsage } from '../domain/pricing';
import { invitationStatus } from '../app/members';
import type { AccountRecord, AuthorizationRecord, InvitationRecord, PaymentMethodRecord, UsageRecord } from '../app/ports';
import type { PurchaseResult } from '../app/billing';

export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

/** Token counts in the shape of Anthropic's `usage` object, with the cache writes split by life. */
export function toApiUsage(u: TokenUsage) {
  const writes_1h = u.cache_creation_1h_input_tokens ?? 0;
  return {
    input_tokens: u.input_tokens,
    output_tokens: u.output_tokens,
    cache_creation_input_tokens: u.cache_creation_input_tokens,
    cache_read_input_tokens: u.cache_read_input_tokens,
    cache_creation: { ephemeral_5m_input_tokens: u.cache_creation_input_tokens - writes_1h, ephemeral_1h_input_tokens: writes_1h },
  };
}

export function toApiAuthorization(a: AuthorizationRecord) {
  return {
    id: a.id,
    status: a.status,
    account_id: a.account_id,
    app: a.app_id,
    model: a.model_id,
    user_id: a.user_id,
    input_tokens: a.input_tokens,
    max_output_tokens: a.max_output_tokens,
    funding: {
      source: a.funding.source,
      reason: a.funding.reason,
      allowance_tokens: a.funding.allowance_tokens,
      held_micros: a.funding.held_micros,
      max_cost_micros: a.funding.max_cost_micros,
      price_version: a.price_id,
    },
    created_at: iso(a.created_at_ms),
    expires_at: iso(a.expires_at_ms),
    finished_at: isoOrNull(a.finished_at_ms),
    usage: a.usage === null ? null : toApiUsage(a.usage),
    cost_micros: a.cost_micros,
    charged_micros: a.charged_micros,
    allowance_tokens: a.settled_allowance_tokens,
    cache_write: a.cache_write,
    beyond_hold: a.beyond_hold,
    late_settlement_window_ends_at: a.late_counted ? iso(lateWindowEndsAt(a.expires_at_ms)) : null,
    ...(a.api_key_id ? { api_key_id: a.api_key_id } : {}),
  };
}

export function toApiUsageRecord(r: UsageRecord) {
  return {
    id: r.id,
    authorization_id: r.authorization_id,
    event_id: r.event_id,
    user_id: r.user_id,
    app: r.app_id,
    model: r.model_id,
    price_version: r.price_id,
    funding: { source: r.source, reason: r.reason },
    usage: toApiUsage(r.usage),
    allowance_tokens: r.allowance_tokens,
    cost_micros: r.cost_micros,
    charged_micros: r.extra_usage_micros,
    beyond_hold: r.beyond_hold,
    late: r.late,
    charged_by: r.actor,
    request_id: r.request_id,
    ...(r.api_key_id ? { api_key_id: r.api_key_id } : {}),
    occurred_at: iso(r.occurred_at_ms),
    recorded_at: iso(r.recorded_at_ms),
  };
}

export function toApiAccountSummary(a: AccountRecord, role: string | null = null) {
  return { id: a.id, kind: a.kind, name: a.name, plan: a.plan_id, seats: a.seats, created_at: iso(a.created_at_ms), ...(role ? { role } : {}) };
}

export function toApiPaymentMethod(m: PaymentMethodRecord) {
  return { id: m.id, brand: m.brand, last4: m.last4, exp_month: m.exp_month, exp_year: m.exp_year, created_at: iso(m.created_at_ms) };
}

/** The same shape whoever it was sent to, registered or not. */
export function toApiInvitation(i: InvitationRecord, now_ms: number) {
  return {
    id: i.id,
    account_id: i.account_id,
    email: i.email,
    role: i.role,
    status: invitationStatus(i, now_ms),
    created_at: iso(i.created_at_ms),
    expires_at: iso(i.expires_at_ms),
  };
}

/** The answer of a purchase, or of its confirmation (the same shape: POST …/credits, …/confirm). */
export function toApiPurchase(result: PurchaseResult) {
  return {
    transaction_id: result.purchase.id,
    amount_micros: result.purchase.amount_micros,
    balance_micros: result.balance_micros,
    status: result.purchase.status,
    replayed: result.replayed,
  };
}
