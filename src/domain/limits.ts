// Every bound the system enforces, named with its unit last. Checked at the edge, asserted inside.

export const limits = {
  // Tokens in one request. 10M keeps tokens × price (≤ $1,000/MTok) within a safe integer of micros.
  tokens_per_request_max: 10_000_000,
  // Money amounts accepted on the wire: $1,000,000 per operation.
  amount_micros_max: 1_000_000_000_000,
  // Prices: at most $1,000 per million tokens, in micros per million tokens.
  price_micros_per_mtok_max: 1_000_000_000,
  // Allowance multipliers are stored in thousandths (1000 = ×1) so they stay integers.
  allowance_multiplier_milli_max: 1_000_000,
  allowance_window_tokens_max: 1_000_000_000_000,

  hold_ttl_ms_default: 10 * 60 * 1000,
  hold_ttl_ms_max: 60 * 60 * 1000,
  hold_ttl_ms_min: 1000,
  // SPEC §1.6: a hold that expired unsettled keeps counting against the monthly spend limit for
  // this long after its expiry, so a late settlement in that time cannot pass the limit. Later
  // than that, a settlement is still charged (usage is never lost) and counted as past the window.
  late_settlement_window_ms: 60 * 60 * 1000,
  rolling_window_ms: 5 * 60 * 60 * 1000,
  weekly_window_ms: 7 * 24 * 60 * 60 * 1000,

  // Extra usage purchases (SPEC §1.5; the operator may change them in the catalog settings).
  purchase_micros_min: 5_000_000,
  purchase_micros_max: 2_500_000_000,
  redeemed_micros_per_day_max: 2_000_000_000,
  spend_limit_micros_default: 50_000_000,
  spend_limit_warning_percent: 80,

  reload_attempts_max: 3,
  // A card is charged in whole cents: purchases and auto-reload amounts are multiples of this.
  card_charge_unit_micros: 10_000,

  events_per_batch_max: 1000,
  idempotency_key_length_max: 255,
  id_length_max: 128,
  // A client's X-Request-Id kept for its logs ([A-Za-z0-9_.-]); a longer or other one is ignored.
  client_request_id_length_max: 64,
  name_length_max: 200,
  seats_max: 10_000,
  // Invitations: how long one may be accepted, and how many may be open per account at once
  // (inviting the same email again renews its invitation instead of adding one).
  invitation_ttl_ms: 7 * 24 * 60 * 60 * 1000,
  invitations_pending_per_account_max: 100,

  // Group commit: how many metering operations one database transaction carries, and how many
  // may wait in front of it before new ones are refused as overloaded (503, Retry-After).
  meter_batch_ops_max: 1000,
  meter_queue_ops_max: 20_000,
  // Retry-After of an overloaded queue and of a COMMIT whose outcome is not known yet.
  meter_retry_after_s: 1,
  // Batches committing at once per process on PostgreSQL (PGlite has one connection: 1). Each
  // takes one pooled connection for its transaction; the pool keeps the rest for reads.
  meter_batches_in_flight_max: 4,
  // Open holds whose account this process remembers (~150 bytes each: 200k ≈ 30 MB at most).
  meter_account_cache_entries_max: 200_000,

  // Accounts whose plan id the rate limiter remembers (for plan_cache_ttl_ms); cleared when full.
  plan_cache_entries_max: 100_000,
  // Background jobs: rows one tick handles at most.
  grant_expiry_batch_max: 100,
  pending_purchases_batch_max: 50,

  // Dates and timestamps accepted on the wire, by UTC year. PostgreSQL has no year 0 and
  // Date.toISOString writes years past 9999 as "+010000-…", which it cannot read back.
  timestamp_year_min: 1970,
  timestamp_year_max: 9999,

  // Rate limits of plans are per minute; other limiters name their own window.
  rate_limit_window_ms_default: 60 * 1000,
  // Sign-in throttling: wrong passwords counted per email and per client address in a fixed
  // window; at the bound, sign-in is refused (429, Retry-After) before the password is checked.
  // 10 per email per 15 min ≈ 1,000 guesses a day at most for one account; an address gets more
  // (an office behind one NAT) but not enough to walk through a list of emails.
  sign_in_failures_per_email_max: 10,
  sign_in_failures_per_address_max: 50,
  sign_in_failure_window_ms: 15 * 60 * 1000,

  // Sign-in and tokens.
  session_ttl_ms: 7 * 24 * 60 * 60 * 1000,
  personal_token_ttl_days_max: 365,
  token_length_min: 16,
  token_length_max: 200,
  password_length_max: 200,
  token_name_length_max: 100,
  // A process remembers a token's owner this long (a revocation elsewhere takes effect within it).
  token_cache_ttl_ms: 2000,
  token_cache_entries_max: 10_000,
  // The rate limiter remembers an account's plan this long.
  plan_cache_ttl_ms: 5000,
  // A declined reload is tried again after base, then 4 × base, … (reload_attempts_max in all).
  reload_backoff_ms_base: 60_000,

  // HTTP: 1 MiB bodies (a full batch of 1,000 usage events is ~300 KB), 30 s per request.
  http_body_bytes_max: 1_048_576,
  http_request_timeout_ms: 30_000,

  // Background jobs: how often each runs, and how long a purchase is left to its own request.
  job_expire_holds_interval_ms: 1000,
  job_expire_grants_interval_ms: 30_000,
  job_pending_purchases_interval_ms: 5000,
  pending_purchase_grace_ms: 30_000,

  email_length_max: 200,
  password_length_min: 8,
  card_token_length_max: 200,
  // The operator's catalog: how many entries of each kind one document may hold.
  catalog_plans_max: 100,
  plan_name_length_max: 100,
  catalog_models_max: 100,
  catalog_prices_max: 1000,
  catalog_apps_max: 100,
  plan_windows_max: 3,
  plan_requests_per_minute_max: 1_000_000,
  plan_tokens_per_minute_max: 1_000_000_000,

  page_size_default: 50,
  page_size_max: 500,
  usage_query_days_max: 400,
} as const;

export type Limits = typeof limits;
