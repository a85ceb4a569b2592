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
  // Notifications (SPEC §1.10): balance.low below the auto-reload threshold, else below this;
  // allowance.warning when a plan window reaches this share of its limit.
  balance_low_micros_default: 5_000_000,
  allowance_warning_percent: 80,

  reload_attempts_max: 3,
  // The API's answer while a first start's work runs (503 starting): retry after this.
  starting_retry_after_s: 1,
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
  // Budgets a process's in-memory limiter keeps before it drops those of past windows; holds whose
  // unused output tokens this process may still give back at settle (issue 12).
  rate_budget_keys_max: 100_000,
  rate_holds_remembered_max: 100_000,
  // Redis at start: one connection attempt, and how long a start waits for Redis to answer at all.
  redis_connect_attempt_ms_max: 5000,
  redis_connect_wait_ms_max: 30_000,
  // API organizations' usage tiers the operator may define.
  api_tiers_max: 20,
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
  // Random bytes in a secret: tokens and webhook signing secrets 24 (192 bits), API keys 32 (256 bits).
  secret_bytes: 24,
  api_key_secret_bytes: 32,
  password_length_max: 200,
  token_name_length_max: 100,
  // A process remembers a token's owner this long (a revocation elsewhere takes effect within it).
  token_cache_ttl_ms: 2000,
  token_cache_entries_max: 10_000,
  // The rate limiter remembers an account's plan this long.
  plan_cache_ttl_ms: 5000,
  // How long a process trusts its copy of the catalog; price changes take effect at least this far ahead.
  catalog_cache_ttl_ms: 2000,
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

  // Refunds, promotions and plan lapse (issue 11). A refund left pending by a crash or a provider
  // that did not answer is finished by the job once its own request has had the grace to do it.
  job_pending_refunds_interval_ms: 5000,
  pending_refund_grace_ms: 30_000,
  pending_refunds_batch_max: 50,
  // Owners are told this many days before a cancelled plan lapses (TOKENBANK_LAPSE_NOTICE_DAYS).
  lapse_notice_days_default: 7,
  lapse_notice_days_max: 90,
  job_lapse_notices_interval_ms: 60_000,
  lapse_notices_batch_max: 100,
  // Campaign codes: letters, digits, - and _, compared without case.
  promotion_code_length_min: 3,
  promotion_code_length_max: 40,
  promotion_claims_max: 10_000_000,
  promotion_credit_expires_in_days_max: 3650,
  // Webhooks (docs/webhooks.md): endpoints per account (and for the operator), URL length, one
  // attempt's time and the response bytes read, the lease that makes one process deliver an
  // event while it tries (longer than an attempt), batch sizes, and when an endpoint that keeps
  // failing is disabled. Default retry schedule (Standard Webhooks'): 5 s, 5 min, 30 min, 2 h,
  // 5 h, 10 h, 10 h after the first attempt ≈ 27.6 h, each delay lengthened by up to 20% jitter.
  webhook_endpoints_per_account_max: 20,
  webhook_url_length_max: 2000,
  webhook_request_timeout_ms: 10_000,
  webhook_dns_timeout_ms: 5000,
  webhook_response_body_bytes_max: 4096,
  webhook_error_length_max: 500,
  /** How much of the resolver's own words a refused endpoint URL quotes (the field's message stays short). */
  webhook_dns_error_quoted_chars_max: 100,
  webhook_lease_ms: 60_000,
  webhook_deliveries_per_tick_max: 50,
  webhook_events_per_fan_out_max: 500,
  webhook_retry_schedule_ms_default: [5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
  webhook_retry_schedule_entries_max: 20,
  webhook_retry_delay_ms_max: 7 * 24 * 60 * 60 * 1000,
  webhook_retry_jitter_percent: 20,
  webhook_endpoint_failing_ms_max: 5 * 24 * 60 * 60 * 1000,
  job_webhooks_interval_ms: 200,

  // Stripe (docs/payments.md): the SDK's time per request and its retries (same idempotency key),
  // how long a purchase waits for the person's bank (3-D Secure) before the job ends it, and the
  // webhook signature's tolerance for clock skew.
  stripe_request_timeout_ms: 20_000,
  stripe_network_retries_max: 2,
  authentication_wait_ms: 60 * 60 * 1000,
  stripe_webhook_tolerance_s: 300,
  provider_event_id_length_max: 255,

  // The drop-in model gateway (POST /v1/messages, docs/gateway.md). A request body may be as large
  // as the Messages API takes (32 MB: images and PDFs travel base64 in it). Its hold's input
  // bound is the UTF-8 bytes of its system prompt, messages, tools and tool_choice (a token is at
  // least one byte of text) with each base64 image or document counted at its own bound instead of
  // its bytes, plus a fixed overhead for what the upstream adds to a prompt (message framing, the
  // tool-use system prompt: 264–346 tokens for current models), and never more than the largest
  // context window of any model (a longer prompt is refused by the upstream, which charges nothing).
  gateway_body_bytes_max: 32 * 1024 * 1024,
  gateway_request_overhead_tokens: 1000,
  // The upstream resizes every image to at most ~1,600 tokens (1.15 megapixels / 750 pixels per token).
  gateway_image_input_tokens_max: 2000,
  // A document (a PDF: text and an image per page) may fill a standard 200k context window.
  gateway_document_input_tokens_max: 200_000,
  gateway_context_tokens_max: 1_000_000,
  // max_tokens of one request: the largest output any model allows (128k with the output-128k beta).
  gateway_output_tokens_max: 128_000,
  // The upstream call: until its answer's headers, and a whole non-streamed answer; a stream may
  // be silent this long between two chunks and last this long in all (less than the hold's TTL,
  // hold_ttl_ms_max, so a stream is settled while its hold holds).
  gateway_upstream_timeout_ms: 10 * 60 * 1000,
  gateway_stream_idle_timeout_ms: 5 * 60 * 1000,
  gateway_stream_ms_max: 50 * 60 * 1000,
  // Bytes of an upstream error answer read and relayed; an SSE event's bytes kept while parsing it.
  gateway_error_body_bytes_max: 64 * 1024,
  // anthropic-version and anthropic-beta (a comma-separated list of betas) as forwarded.
  gateway_header_length_max: 2000,
  gateway_sse_event_bytes_max: 1024 * 1024,

  page_size_default: 50,
  page_size_max: 500,
  usage_query_days_max: 400,
  /** A usage query without `from` covers this many UTC days, today included. */
  usage_query_days_default: 30,

  // The forecast (src/domain/forecast.ts, GET …/extra-usage `forecast`): the spend rate is the
  // extra usage of the last `forecast_window_days` UTC days (today included, as the part of it
  // that has passed) per day; a run-out date further than the horizon is "not within a year".
  forecast_window_days: 7,
  // The forecast is taken as of the start of the current UTC hour, so every read within the hour
  // (the page and the CLI side by side) shows the same figures instead of ones that tick each ms.
  forecast_resolution_ms: 60 * 60 * 1000,
  forecast_horizon_days: 365,
  // Suggested auto-reload: a week of usage rounded up to $5, at least $10 (and within the
  // purchase bounds); its threshold two days of usage rounded up to $1, at least $5.
  suggested_reload_days: 7,
  suggested_reload_step_micros: 5_000_000,
  suggested_reload_micros_min: 10_000_000,
  suggested_threshold_days: 2,
  suggested_threshold_step_micros: 1_000_000,
  suggested_threshold_micros_min: 5_000_000,
  // Suggested monthly limit: the projected cycle spend plus 25%, rounded up to $10, at least $20.
  suggested_limit_headroom_percent: 125,
  suggested_limit_step_micros: 10_000_000,
  suggested_limit_micros_min: 20_000_000,
} as const;

export type Limits = typeof limits;
