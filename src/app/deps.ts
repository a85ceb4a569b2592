import type { CatalogCache } from './catalog-cache';
import type { Clock, Ids, PaymentProvider, PaymentWebhookVerifier, RateLimiter, Store } from './ports';
import type { WebhookSettings } from './webhooks';

/** What every use case is given. */
export interface Deps {
  store: Store;
  clock: Clock;
  ids: Ids;
  payments: PaymentProvider;
  catalog: CatalogCache;
  settings: OperatorSettings;
  /** Counts wrong passwords per email and per client address (shared through Redis when configured); null: sign-in is not throttled. */
  sign_in_limiter: RateLimiter | null;
  /** How webhooks are checked and delivered (docs/webhooks.md). */
  webhooks: WebhookSettings;
  /** The card provider's signed webhooks (STRIPE_WEBHOOK_SECRET); null: none are accepted. */
  payment_webhooks: PaymentWebhookVerifier | null;
}

/** Operator-configurable bounds (SPEC §1.5), defaulting to the named limits. */
export interface OperatorSettings {
  purchase_micros_min: number;
  purchase_micros_max: number;
  redeemed_micros_per_day_max: number;
  /** Days before a cancelled plan lapses that its owners are told (TOKENBANK_LAPSE_NOTICE_DAYS). */
  lapse_notice_days: number;
}

/** Who is acting, for the audit log. */
export interface Actor {
  /** 'operator', 'user:<id>', 'service:<id>', 'system'. */
  id: string;
  request_id: string | null;
}

export const SYSTEM_ACTOR: Actor = { id: 'system', request_id: null };
