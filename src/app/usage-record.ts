// One usage record (the receipt of a settlement or usage event) from the facts its batch decided.
import type { Model, ModelPrice } from '../domain/catalog';
import type { Funding } from '../domain/funding';
import type { TokenUsage } from '../domain/pricing';
import type { UsageRecord } from '../domain/records';
import type { ChargeActor } from './metering';

export type UsageFacts = {
  authorization_id: string | null;
  event_id: string | null;
  event_hash: string | null;
  user_id: string | null;
  app_id: string;
  model: Model;
  price: ModelPrice;
  funding: Funding;
  usage: TokenUsage;
  charge: { cost_micros: number; allowance_tokens: number; extra_usage_micros: number };
  occurred_at_ms: number;
  beyond_hold: boolean;
  late: boolean;
  by: ChargeActor | undefined;
  api_key_id?: string | null;
};

export function usageRecordOf(id: string, account_id: string, recorded_at_ms: number, r: UsageFacts, spend_cycle_start_ms: number | null): UsageRecord {
  return {
    id,
    account_id,
    authorization_id: r.authorization_id,
    event_id: r.event_id,
    event_hash: r.event_hash,
    user_id: r.user_id,
    app_id: r.app_id,
    model_id: r.model.id,
    price_id: r.price.id,
    source: r.funding.source,
    reason: r.funding.reason,
    usage: r.usage,
    allowance_tokens: r.charge.allowance_tokens,
    cost_micros: r.charge.cost_micros,
    extra_usage_micros: r.charge.extra_usage_micros,
    occurred_at_ms: r.occurred_at_ms,
    recorded_at_ms,
    beyond_hold: r.beyond_hold,
    late: r.late,
    spend_cycle_start_ms,
    actor: r.by?.actor ?? null,
    request_id: r.by?.request_id ?? null,
    ...(r.api_key_id ? { api_key_id: r.api_key_id } : {}),
  };
}
