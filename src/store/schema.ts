// The schema, in PostgreSQL's dialect, run by PGlite and by a PostgreSQL server alike.
// Every table on the metering path carries account_id, so it can be distributed by customer.
// Operator-side books (cash, revenue, promotions) have no balance row: their balances are
// derived from transfers, so no request ever updates one hot row for the operator.
export const MIGRATIONS: Array<{ id: number; name: string; sql: string }> = [
  {
    id: 1,
    name: 'core ledger',
    sql: `
CREATE TABLE plans (
  id text PRIMARY KEY,
  name text NOT NULL,
  price_micros bigint NOT NULL CONSTRAINT plans_price_nonnegative CHECK (price_micros >= 0),
  per_seat boolean NOT NULL,
  extra_usage_allowed boolean NOT NULL,
  windows jsonb NOT NULL,
  requests_per_minute integer NOT NULL,
  tokens_per_minute bigint NOT NULL
);
CREATE TABLE models (
  id text PRIMARY KEY,
  tier text NOT NULL,
  allowance_multiplier_milli integer NOT NULL CONSTRAINT models_multiplier_positive CHECK (allowance_multiplier_milli > 0)
);
CREATE TABLE model_prices (
  id text PRIMARY KEY,
  model_id text NOT NULL REFERENCES models(id),
  effective_at timestamptz NOT NULL,
  input_micros_per_mtok bigint NOT NULL CHECK (input_micros_per_mtok >= 0),
  output_micros_per_mtok bigint NOT NULL CHECK (output_micros_per_mtok >= 0),
  cache_write_micros_per_mtok bigint NOT NULL CHECK (cache_write_micros_per_mtok >= 0),
  cache_read_micros_per_mtok bigint NOT NULL CHECK (cache_read_micros_per_mtok >= 0),
  CONSTRAINT model_prices_model_effective_unique UNIQUE (model_id, effective_at)
);
CREATE TABLE apps (
  id text PRIMARY KEY,
  kind text NOT NULL CONSTRAINT apps_kind_valid CHECK (kind IN ('first_party', 'third_party'))
);

CREATE TABLE users (
  id text PRIMARY KEY,
  email text NOT NULL CONSTRAINT users_email_unique UNIQUE,
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE TABLE accounts (
  id text PRIMARY KEY,
  kind text NOT NULL CONSTRAINT accounts_kind_valid CHECK (kind IN ('plan', 'api_org')),
  name text NOT NULL,
  plan_id text REFERENCES plans(id),
  seats integer NOT NULL DEFAULT 1 CONSTRAINT accounts_seats_positive CHECK (seats >= 1),
  anchor_at timestamptz NOT NULL,
  cancel_at timestamptz,
  extra_usage_enabled boolean NOT NULL DEFAULT false,
  monthly_spend_limit_micros bigint CONSTRAINT accounts_spend_limit_nonnegative CHECK (monthly_spend_limit_micros >= 0),
  auto_reload_enabled boolean NOT NULL DEFAULT false,
  auto_reload_amount_micros bigint CONSTRAINT accounts_reload_amount_positive CHECK (auto_reload_amount_micros > 0),
  auto_reload_threshold_micros bigint CONSTRAINT accounts_reload_threshold_nonnegative CHECK (auto_reload_threshold_micros >= 0),
  default_payment_method_id text,
  created_at timestamptz NOT NULL
);
CREATE TABLE memberships (
  account_id text NOT NULL REFERENCES accounts(id),
  user_id text NOT NULL REFERENCES users(id),
  role text NOT NULL CONSTRAINT memberships_role_valid CHECK (role IN ('owner', 'billing', 'member')),
  created_at timestamptz NOT NULL,
  PRIMARY KEY (account_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

-- One row per customer account: the stored balances. Locked (FOR UPDATE, in account_id order)
-- by every transaction that changes them; each is re-proved from entries by the audit.
CREATE TABLE wallets (
  account_id text PRIMARY KEY REFERENCES accounts(id),
  purchased_micros bigint NOT NULL DEFAULT 0,
  promotional_micros bigint NOT NULL DEFAULT 0 CONSTRAINT wallets_promotional_nonnegative CHECK (promotional_micros >= 0),
  held_micros bigint NOT NULL DEFAULT 0 CONSTRAINT wallets_held_nonnegative CHECK (held_micros >= 0),
  spent_cycle_micros bigint NOT NULL DEFAULT 0 CONSTRAINT wallets_spent_nonnegative CHECK (spent_cycle_micros >= 0),
  spent_cycle_start timestamptz NOT NULL,
  redeemed_day date,
  redeemed_day_micros bigint NOT NULL DEFAULT 0 CONSTRAINT wallets_redeemed_nonnegative CHECK (redeemed_day_micros >= 0),
  reload_in_flight boolean NOT NULL DEFAULT false,
  auto_reload_last_event jsonb,
  updated_at timestamptz NOT NULL
);

CREATE TABLE grants (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  amount_micros bigint NOT NULL CONSTRAINT grants_amount_positive CHECK (amount_micros > 0),
  remaining_micros bigint NOT NULL CONSTRAINT grants_remaining_in_range CHECK (remaining_micros >= 0 AND remaining_micros <= amount_micros),
  expires_at timestamptz,
  reason text NOT NULL,
  created_at timestamptz NOT NULL,
  expired_at timestamptz
);
CREATE INDEX grants_account_live ON grants (account_id) WHERE remaining_micros > 0;

CREATE TABLE allowance_windows (
  account_id text NOT NULL REFERENCES accounts(id),
  seat text NOT NULL,
  kind text NOT NULL,
  start_at timestamptz NOT NULL,
  used_tokens bigint NOT NULL CONSTRAINT allowance_used_nonnegative CHECK (used_tokens >= 0),
  held_tokens bigint NOT NULL CONSTRAINT allowance_held_nonnegative CHECK (held_tokens >= 0),
  PRIMARY KEY (account_id, seat, kind)
);

CREATE TABLE authorizations (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  idempotency_key text,
  request_hash text NOT NULL,
  user_id text,
  seat text NOT NULL,
  app_id text NOT NULL,
  model_id text NOT NULL,
  price_id text NOT NULL,
  input_tokens bigint NOT NULL,
  max_output_tokens bigint NOT NULL,
  source text NOT NULL,
  reason text NOT NULL,
  allowance_tokens bigint NOT NULL,
  held_micros bigint NOT NULL CONSTRAINT authorizations_held_nonnegative CHECK (held_micros >= 0),
  max_cost_micros bigint NOT NULL,
  windows jsonb NOT NULL,
  status text NOT NULL CONSTRAINT authorizations_status_valid CHECK (status IN ('held', 'settled', 'released', 'expired')),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  finished_at timestamptz,
  settle_hash text,
  usage jsonb,
  cost_micros bigint,
  charged_micros bigint,
  settled_allowance_tokens bigint,
  CONSTRAINT authorizations_idempotency_unique UNIQUE (account_id, idempotency_key)
);
CREATE INDEX authorizations_open_by_expiry ON authorizations (expires_at) WHERE status = 'held';

-- One row per request that was charged (a settlement or a usage event): who paid and why.
CREATE TABLE usage_records (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  authorization_id text,
  event_id text,
  event_hash text,
  user_id text,
  app_id text NOT NULL,
  model_id text NOT NULL,
  price_id text NOT NULL,
  source text NOT NULL,
  reason text NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  cache_creation_input_tokens bigint NOT NULL,
  cache_read_input_tokens bigint NOT NULL,
  allowance_tokens bigint NOT NULL,
  cost_micros bigint NOT NULL,
  extra_usage_micros bigint NOT NULL,
  occurred_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL,
  CONSTRAINT usage_records_event_unique UNIQUE (account_id, event_id),
  CONSTRAINT usage_records_authorization_unique UNIQUE (authorization_id)
);
CREATE INDEX usage_records_account_time ON usage_records (account_id, occurred_at);

-- Daily rollups, kept in the same transaction as the charge: the usage page reads these.
CREATE TABLE usage_daily (
  account_id text NOT NULL REFERENCES accounts(id),
  day date NOT NULL,
  app_id text NOT NULL,
  model_id text NOT NULL,
  source text NOT NULL,
  requests bigint NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  cache_creation_input_tokens bigint NOT NULL,
  cache_read_input_tokens bigint NOT NULL,
  allowance_tokens bigint NOT NULL,
  cost_micros bigint NOT NULL,
  extra_usage_micros bigint NOT NULL,
  PRIMARY KEY (account_id, day, app_id, model_id, source)
);

-- Double-entry, insert-only. A book is 'customer.purchased', 'customer.promotional' (scoped by
-- account_id) or an operator book ('operator.cash', 'operator.revenue', 'operator.promotions').
CREATE TABLE transfers (
  id bigserial PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  kind text NOT NULL,
  debit_book text NOT NULL,
  credit_book text NOT NULL,
  amount_micros bigint NOT NULL CONSTRAINT transfers_amount_positive CHECK (amount_micros > 0),
  currency text NOT NULL DEFAULT 'USD',
  grant_id text,
  reference_id text NOT NULL,
  created_at timestamptz NOT NULL,
  CONSTRAINT transfers_books_differ CHECK (debit_book <> credit_book)
);
CREATE INDEX transfers_account_time ON transfers (account_id, created_at);

CREATE TABLE payment_methods (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  provider text NOT NULL,
  provider_ref text NOT NULL,
  brand text NOT NULL,
  last4 text NOT NULL,
  exp_month integer NOT NULL,
  exp_year integer NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX payment_methods_account ON payment_methods (account_id);

-- A purchase is written 'pending' before the card is charged and completed after, so a crash
-- in between is finished by retrying with the same provider idempotency key, never charged twice.
CREATE TABLE purchases (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  kind text NOT NULL CONSTRAINT purchases_kind_valid CHECK (kind IN ('manual', 'auto_reload')),
  idempotency_key text,
  request_hash text NOT NULL,
  amount_micros bigint NOT NULL CONSTRAINT purchases_amount_positive CHECK (amount_micros > 0),
  payment_method_id text,
  status text NOT NULL CONSTRAINT purchases_status_valid CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  failure_type text,
  failure_message text,
  provider_charge_id text,
  actor text NOT NULL,
  created_at timestamptz NOT NULL,
  completed_at timestamptz,
  CONSTRAINT purchases_idempotency_unique UNIQUE (account_id, idempotency_key)
);
CREATE UNIQUE INDEX purchases_one_reload_in_flight ON purchases (account_id) WHERE kind = 'auto_reload' AND status = 'pending';

-- Notifications, written in the same transaction as the change that caused them.
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  account_id text NOT NULL,
  type text NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  delivered_at timestamptz
);
CREATE INDEX outbox_account_time ON outbox (account_id, created_at);

-- Append-only record of every money-changing action.
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  account_id text,
  actor text NOT NULL,
  action text NOT NULL,
  request_id text,
  details jsonb NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX audit_log_account_time ON audit_log (account_id, created_at);

CREATE TABLE settings (
  key text PRIMARY KEY,
  value jsonb NOT NULL
);
`,
  },
  {
    id: 2,
    name: 'tokens',
    sql: `
-- Bearer tokens of every kind, stored only as SHA-256 hashes of their random secret.
CREATE TABLE api_tokens (
  id text PRIMARY KEY,
  kind text NOT NULL CONSTRAINT api_tokens_kind_valid CHECK (kind IN ('operator', 'service', 'personal', 'session')),
  user_id text REFERENCES users(id),
  name text NOT NULL,
  token_hash text NOT NULL CONSTRAINT api_tokens_hash_unique UNIQUE,
  created_at timestamptz NOT NULL,
  expires_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
`,
  },
  {
    id: 3,
    name: 'reload backoff',
    sql: `
ALTER TABLE purchases ADD COLUMN next_attempt_at timestamptz;
CREATE INDEX purchases_pending ON purchases (next_attempt_at) WHERE status = 'pending';
`,
  },
  {
    id: 4,
    name: 'late settlement window, declared cache writes, who charged',
    sql: `
ALTER TABLE wallets ADD COLUMN late_held_micros bigint NOT NULL DEFAULT 0 CONSTRAINT wallets_late_held_nonnegative CHECK (late_held_micros >= 0);
ALTER TABLE authorizations ADD COLUMN cache_write text NOT NULL DEFAULT 'none'
  CONSTRAINT authorizations_cache_write_known CHECK (cache_write IN ('none', '5m', '1h'));
ALTER TABLE authorizations ADD COLUMN late_counted boolean NOT NULL DEFAULT false;
ALTER TABLE authorizations ADD COLUMN beyond_hold boolean;
CREATE INDEX authorizations_late_counted ON authorizations (expires_at) WHERE late_counted;
ALTER TABLE usage_records ADD COLUMN beyond_hold boolean NOT NULL DEFAULT false;
ALTER TABLE usage_records ADD COLUMN late boolean NOT NULL DEFAULT false;
ALTER TABLE usage_records ADD COLUMN actor text;
ALTER TABLE usage_records ADD COLUMN request_id text;
`,
  },
  {
    id: 5,
    name: 'invitations',
    sql: `
-- A user joins an account by accepting an invitation to their email (SPEC §1.2). An open
-- invitation (neither accepted nor declined) is unique per account and email: inviting again
-- renews it. Expired ones stay open rows until renewed; status is derived from the times.
CREATE TABLE invitations (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  email text NOT NULL,
  role text NOT NULL CONSTRAINT invitations_role_valid CHECK (role IN ('owner', 'billing', 'member')),
  invited_by text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  accepted_at timestamptz,
  accepted_by text REFERENCES users(id),
  declined_at timestamptz,
  CONSTRAINT invitations_answered_once CHECK (accepted_at IS NULL OR declined_at IS NULL),
  CONSTRAINT invitations_accepted_by_user CHECK ((accepted_at IS NULL) = (accepted_by IS NULL))
);
CREATE UNIQUE INDEX invitations_open_unique ON invitations (account_id, email) WHERE accepted_at IS NULL AND declined_at IS NULL;
CREATE INDEX invitations_open_email ON invitations (email, created_at) WHERE accepted_at IS NULL AND declined_at IS NULL;
`,
  },
  {
    id: 6,
    name: '1-hour cache writes',
    sql: `
-- 1-hour prompt-cache writes have a rate of their own (2× input in the standard prices), dated
-- with the price version like every other rate; existing versions take the standard.
ALTER TABLE model_prices ADD COLUMN cache_write_1h_micros_per_mtok bigint;
UPDATE model_prices SET cache_write_1h_micros_per_mtok = input_micros_per_mtok * 2;
ALTER TABLE model_prices ALTER COLUMN cache_write_1h_micros_per_mtok SET NOT NULL;
ALTER TABLE model_prices ADD CONSTRAINT model_prices_cache_write_1h_nonnegative CHECK (cache_write_1h_micros_per_mtok >= 0);
ALTER TABLE usage_records ADD COLUMN cache_creation_1h_input_tokens bigint NOT NULL DEFAULT 0;
ALTER TABLE usage_daily ADD COLUMN cache_creation_1h_input_tokens bigint NOT NULL DEFAULT 0;
`,
  },
  {
    id: 8,
    name: 'refunds, campaign codes, lapse notices',
    sql: `
-- Refunds (SPEC §1.5): what each purchase has had refunded (never more than it charged), and one
-- row per refund with its parts (one per purchase it draws on), written 'pending' before the
-- provider is asked and completed after, like a purchase; one refund per idempotency key.
ALTER TABLE purchases ADD COLUMN refunded_micros bigint NOT NULL DEFAULT 0;
ALTER TABLE purchases ADD CONSTRAINT purchases_refunded_in_range CHECK (refunded_micros >= 0 AND refunded_micros <= amount_micros);
CREATE TABLE refunds (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  idempotency_key text NOT NULL,
  request_hash text NOT NULL,
  amount_micros bigint NOT NULL CONSTRAINT refunds_amount_positive CHECK (amount_micros > 0),
  refunded_micros bigint NOT NULL DEFAULT 0 CONSTRAINT refunds_refunded_in_range CHECK (refunded_micros >= 0 AND refunded_micros <= amount_micros),
  purchase_id text,
  status text NOT NULL CONSTRAINT refunds_status_valid CHECK (status IN ('pending', 'succeeded', 'failed')),
  parts jsonb NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  actor text NOT NULL,
  created_at timestamptz NOT NULL,
  completed_at timestamptz,
  CONSTRAINT refunds_idempotency_unique UNIQUE (account_id, idempotency_key)
);
CREATE INDEX refunds_account_time ON refunds (account_id, created_at);
CREATE INDEX refunds_pending ON refunds (created_at) WHERE status = 'pending';

-- Campaign codes: each account claims a code once; the claim count never passes the limit.
CREATE TABLE promotions (
  id text PRIMARY KEY,
  code text NOT NULL CONSTRAINT promotions_code_unique UNIQUE,
  amount_micros bigint NOT NULL CONSTRAINT promotions_amount_positive CHECK (amount_micros > 0),
  expires_at timestamptz,
  credit_expires_in_days integer CONSTRAINT promotions_credit_days_positive CHECK (credit_expires_in_days > 0),
  claims_max integer NOT NULL CONSTRAINT promotions_claims_max_positive CHECK (claims_max > 0),
  claims_count integer NOT NULL DEFAULT 0 CONSTRAINT promotions_claims_within_max CHECK (claims_count >= 0 AND claims_count <= claims_max),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE TABLE promotion_claims (
  promotion_id text NOT NULL REFERENCES promotions(id),
  account_id text NOT NULL REFERENCES accounts(id),
  grant_id text NOT NULL REFERENCES grants(id),
  claimed_at timestamptz NOT NULL,
  CONSTRAINT promotion_claims_one_per_account PRIMARY KEY (promotion_id, account_id)
);

-- Lapse notices sent, once per account, kind and lapse instant (the cycle's end).
CREATE TABLE plan_notices (
  account_id text NOT NULL REFERENCES accounts(id),
  kind text NOT NULL CONSTRAINT plan_notices_kind_valid CHECK (kind IN ('plan.lapsing', 'plan.lapsed')),
  lapses_at timestamptz NOT NULL,
  sent_at timestamptz NOT NULL,
  CONSTRAINT plan_notices_once_per_lapse PRIMARY KEY (account_id, kind, lapses_at)
);
CREATE INDEX accounts_cancel_at ON accounts (cancel_at) WHERE cancel_at IS NOT NULL;
`,
  },
  {
    id: 9,
    name: 'webhook endpoints and deliveries',
    sql: `
-- Webhook endpoints: an account's (account_id) or the operator's (account_id NULL: every
-- account's events). The signing secret is kept as issued (whsec_…): it must sign every
-- delivery, so it cannot be hashed; no API answer after the creation shows it (docs/webhooks.md).
CREATE TABLE webhook_endpoints (
  id text PRIMARY KEY,
  account_id text REFERENCES accounts (id),
  url text NOT NULL,
  event_types jsonb,
  secret text NOT NULL,
  created_at timestamptz NOT NULL,
  failing_since timestamptz,
  disabled_at timestamptz,
  disabled_reason text
);
CREATE INDEX webhook_endpoints_account ON webhook_endpoints (account_id);
-- One delivery per (endpoint, event): the fan-out may run twice (a crash after it, before the
-- outbox row is marked) and still gives each endpoint the event once.
CREATE TABLE webhook_deliveries (
  id text PRIMARY KEY,
  endpoint_id text NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
  event_id bigint NOT NULL REFERENCES outbox (id),
  status text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  leased_until timestamptz,
  created_at timestamptz NOT NULL,
  completed_at timestamptz,
  CONSTRAINT webhook_deliveries_once UNIQUE (endpoint_id, event_id),
  CONSTRAINT webhook_deliveries_status CHECK (status IN ('pending', 'succeeded', 'failed'))
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
-- Every attempt, kept for the delivery log.
CREATE TABLE webhook_attempts (
  id bigserial PRIMARY KEY,
  delivery_id text NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
  attempt integer NOT NULL,
  status_code integer,
  error text,
  duration_ms integer NOT NULL,
  attempted_at timestamptz NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
-- Outbox rows not yet fanned out to endpoints; rows older than this migration had no endpoint.
ALTER TABLE outbox ADD COLUMN fanned_out_at timestamptz;
UPDATE outbox SET fanned_out_at = created_at;
CREATE INDEX outbox_fan_out ON outbox (id) WHERE fanned_out_at IS NULL;
`,
  },
  {
    id: 10,
    name: 'stripe',
    sql: `
-- The account's customer at the card provider (Stripe's cus_…), made with its first card.
CREATE TABLE payment_customers (
  account_id text NOT NULL REFERENCES accounts(id),
  provider text NOT NULL,
  customer_ref text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (account_id, provider)
);
-- The provider's webhook events already applied: the same event delivered twice is applied once.
CREATE TABLE provider_events (
  provider text NOT NULL,
  id text NOT NULL,
  type text NOT NULL,
  account_id text,
  received_at timestamptz NOT NULL,
  PRIMARY KEY (provider, id)
);
-- A purchase waiting for the person's bank (3-D Secure): the payment intent and what the page needs.
ALTER TABLE purchases ADD COLUMN action jsonb;
`,
  },
  {
    id: 11,
    name: 'API organizations: members, API keys, tiers',
    sql: `
-- An API organization is an account of kind 'api_org' (no plan): its wallet holds its API
-- credits. Its members have roles of their own; its API keys are stored only as SHA-256 hashes.
CREATE TABLE org_members (
  org_id text NOT NULL REFERENCES accounts(id),
  user_id text NOT NULL REFERENCES users(id),
  role text NOT NULL CONSTRAINT org_members_role_valid CHECK (role IN ('admin', 'billing', 'developer')),
  created_at timestamptz NOT NULL,
  CONSTRAINT org_members_once PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_user ON org_members (user_id);
-- A key's own monthly counters, locked (FOR UPDATE) with its org's wallet by every metering batch
-- that uses it, so a revocation committed before a batch locks the row is seen by that batch.
CREATE TABLE api_keys (
  id text PRIMARY KEY,
  org_id text NOT NULL REFERENCES accounts(id),
  name text NOT NULL,
  prefix text NOT NULL,
  key_hash text NOT NULL CONSTRAINT api_keys_hash_unique UNIQUE,
  monthly_limit_micros bigint CONSTRAINT api_keys_limit_nonnegative CHECK (monthly_limit_micros >= 0),
  spent_month_micros bigint NOT NULL DEFAULT 0 CONSTRAINT api_keys_spent_nonnegative CHECK (spent_month_micros >= 0),
  spent_month_start timestamptz NOT NULL,
  held_micros bigint NOT NULL DEFAULT 0 CONSTRAINT api_keys_held_nonnegative CHECK (held_micros >= 0),
  late_held_micros bigint NOT NULL DEFAULT 0 CONSTRAINT api_keys_late_held_nonnegative CHECK (late_held_micros >= 0),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_keys_org ON api_keys (org_id, id);
ALTER TABLE authorizations ADD COLUMN api_key_id text;
ALTER TABLE usage_records ADD COLUMN api_key_id text;
CREATE INDEX usage_records_api_org_time ON usage_records (account_id, occurred_at) INCLUDE (api_key_id) WHERE api_key_id IS NOT NULL;
-- Usage tiers of API organizations (SPEC §1.9), the operator's to change: an org is in the
-- highest tier whose purchased_micros_min its cumulative credit purchases reach.
CREATE TABLE api_tiers (
  tier integer PRIMARY KEY CONSTRAINT api_tiers_tier_nonnegative CHECK (tier >= 0),
  purchased_micros_min bigint NOT NULL CONSTRAINT api_tiers_min_nonnegative CHECK (purchased_micros_min >= 0),
  requests_per_minute integer NOT NULL CONSTRAINT api_tiers_rpm_positive CHECK (requests_per_minute > 0),
  input_tokens_per_minute bigint NOT NULL CONSTRAINT api_tiers_itpm_positive CHECK (input_tokens_per_minute > 0),
  output_tokens_per_minute bigint NOT NULL CONSTRAINT api_tiers_otpm_positive CHECK (output_tokens_per_minute > 0)
);
INSERT INTO api_tiers (tier, purchased_micros_min, requests_per_minute, input_tokens_per_minute, output_tokens_per_minute) VALUES
  (0, 0, 5, 10000, 2000),
  (1, 5000000, 50, 50000, 10000),
  (2, 40000000, 1000, 450000, 90000),
  (3, 200000000, 2000, 800000, 160000),
  (4, 400000000, 4000, 2000000, 400000);
`,
  },
  {
    id: 12,
    name: 'usage records name the spend cycle they counted in',
    sql: `
-- The audit compared a cycle's spend counter with the usage recorded at or after the cycle's
-- start: usage recorded in the very millisecond a lapsed plan was renewed (a new cycle starting
-- at that instant) counted in the old cycle but was summed into the new one, a false finding.
-- Each record now names the cycle its extra usage was counted in; older rows keep the time rule.
ALTER TABLE usage_records ADD COLUMN spend_cycle_start timestamptz;
`,
  },
  {
    id: 13,
    name: 'invitations to API organizations',
    sql: `
-- A person joins an API organization the way they join an account: by an invitation they
-- accept (SPEC 1.2). An invitation's role is one of its account kind's roles (the use case
-- checks which kind); the table takes both sets.
ALTER TABLE invitations DROP CONSTRAINT invitations_role_valid;
ALTER TABLE invitations ADD CONSTRAINT invitations_role_valid CHECK (role IN ('owner', 'billing', 'member', 'admin', 'developer'));
`,
  },
];
