// The application: every use case, given its dependencies once. Adapters (HTTP, CLI, jobs,
// tests) call these methods and nothing below them.
import { defaultCatalogData, withCacheWrite1h, type Plan } from '../domain/catalog';
import { limits } from '../domain/limits';
import { lateWindowExpiryCutoff } from '../domain/funding';
import { CACHE_WRITES } from '../domain/pricing';
import { tooLargeForPlan } from '../domain/ratelimits';
import { AppError, invalid, notFound } from '../domain/refusals';
import * as accounts from './accounts';
import * as members from './members';
import type { AccountKind, MemberRole } from '../domain/members';
import * as billing from './billing';
import { CatalogCache } from './catalog-cache';
import { SYSTEM_ACTOR, type Actor, type Deps, type OperatorSettings } from './deps';
import { Meter, type AuthorizeRequest, type ChargeActor, type MeterOptions, type MeterResult, type UsageEventInput } from './metering';
import type {
  AuthorizationRecord,
  CatalogData,
  CatalogInput,
  Clock,
  Ids,
  PaymentProvider,
  ModelUpstream,
  PaymentWebhookVerifier,
  RateLimiter,
  Store,
  UsageRecord,
} from './ports';
import * as providerEvents from './provider-events';
import type { Replayable } from './idempotency';
import * as reads from './reads';
import * as refunds from './refunds';
import * as promotions from './promotions';
import * as lapse from './lapse';
import * as grants from './grants';
import * as v from './validate';
import * as webhooks from './webhooks';
import * as orgs from './orgs';
import * as gateway from './gateway';
import { RateLimits, type RateHeaders, type RateTaken } from './api-rates';
import { API_APP_ID } from '../domain/orgs';

export interface TokenbankOptions {
  store: Store;
  clock: Clock;
  ids: Ids;
  payments: PaymentProvider;
  settings?: Partial<OperatorSettings>;
  meter?: MeterOptions;
  /** Per-plan requests and tokens per minute (SPEC §1.9). Absent: no rate limits. */
  rate_limiter?: RateLimiter;
  /** Sign-in throttling (wrong passwords per email and per address). Absent: not throttled. */
  sign_in_limiter?: RateLimiter;
  /** Webhook delivery: the network, the SSRF rule, the retry schedule. Absent: no delivery. */
  webhooks?: Partial<webhooks.WebhookSettings>;
  /** The card provider's signed webhooks (POST /v1/webhooks/stripe). Absent: refused. */
  payment_webhooks?: PaymentWebhookVerifier;
  /** The drop-in gateway's upstream model API (POST /v1/messages, docs/gateway.md). Absent: the gateway answers 502. */
  upstream?: ModelUpstream;
}

/** How long an account's plan id is trusted for rate limiting before it is read again. */
export const plan_cache_ttl_ms = limits.plan_cache_ttl_ms;

export class Tokenbank {
  readonly deps: Deps;
  readonly meter: Meter;
  private readonly rate_limiter: RateLimiter | undefined;
  private readonly plan_cache = new Map<string, { plan_id: string | null; read_at_ms: number }>();
  private readonly rates: RateLimits;
  private readonly upstream: ModelUpstream | undefined;

  constructor(options: TokenbankOptions) {
    const catalog = new CatalogCache(options.store);
    this.deps = {
      store: options.store,
      clock: options.clock,
      ids: options.ids,
      payments: options.payments,
      catalog,
      settings: {
        purchase_micros_min: options.settings?.purchase_micros_min ?? limits.purchase_micros_min,
        purchase_micros_max: options.settings?.purchase_micros_max ?? limits.purchase_micros_max,
        redeemed_micros_per_day_max: options.settings?.redeemed_micros_per_day_max ?? limits.redeemed_micros_per_day_max,
        lapse_notice_days: options.settings?.lapse_notice_days ?? limits.lapse_notice_days_default,
      },
      sign_in_limiter: options.sign_in_limiter ?? null,
      webhooks: { ...webhooks.defaultWebhookSettings(), ...options.webhooks },
      payment_webhooks: options.payment_webhooks ?? null,
    };
    this.meter = new Meter(options.store, catalog, options.clock, options.ids, {
      redeemed_micros_per_day_max: this.deps.settings.redeemed_micros_per_day_max,
      ...options.meter,
    });
    this.rate_limiter = options.rate_limiter;
    this.upstream = options.upstream;
    this.rates = new RateLimits(this.deps, options.rate_limiter, (account_id) => this.planOf(account_id));
  }

  /** The account's plan for rate limiting, its id cached for plan_cache_ttl_ms; null: no account or no plan. */
  private async planOf(account_id: string): Promise<Plan | null> {
    const now = Date.now(); // cache freshness only
    let cached = this.plan_cache.get(account_id);
    if (!cached || now - cached.read_at_ms > plan_cache_ttl_ms) {
      const account = await this.deps.store.getAccount(account_id);
      if (!account) return null; // the metering path answers not_found with the rest of its checks
      cached = { plan_id: account.plan_id, read_at_ms: now };
      if (this.plan_cache.size >= limits.plan_cache_entries_max) this.plan_cache.clear();
      this.plan_cache.set(account_id, cached);
    }
    return (cached.plan_id && (await this.deps.catalog.get()).plans.get(cached.plan_id)) || null;
  }

  /**
   * Rate limits of the account's plan, shared by allowance and extra usage: one request and
   * input + max_output tokens per authorization. Refused with `rate_limited` and the wait.
   */
  private async takePlanRate(account_id: string, input_tokens: number, max_output_tokens: number): Promise<RateTaken | null> {
    if (!this.rate_limiter) return null;
    const plan = await this.planOf(account_id);
    if (!plan) return null;
    const too_large = tooLargeForPlan(plan, input_tokens + max_output_tokens);
    if (too_large) throw too_large;
    return this.rates.takeForPlan(plan, account_id, input_tokens, max_output_tokens);
  }

  get store() {
    return this.deps.store;
  }

  // ---- catalog -----------------------------------------------------------------------------

  /** Loads the default catalog when the database has none (first start). */
  async ensureCatalog(): Promise<boolean> {
    const current = await this.deps.store.loadCatalog();
    if (current.plans.length > 0) return false;
    await this.replaceCatalog(defaultCatalogData(), SYSTEM_ACTOR);
    return true;
  }

  async replaceCatalog(input: CatalogInput, actor: Actor): Promise<void> {
    const data: CatalogData = { ...input, prices: input.prices.map(withCacheWrite1h) };
    // Price versions are insert-only (authorizations refer to them): an existing id sent with other
    // figures would be skipped by the insert while the call answered ok, so it is refused instead.
    const stored = new Map((await this.deps.store.loadCatalog()).prices.map((p) => [p.id, p]));
    for (const [i, p] of data.prices.entries()) {
      const old = stored.get(p.id);
      const changed = old ? (Object.keys(old) as Array<keyof typeof old>).filter((k) => String(old[k]) !== String(p[k])) : [];
      if (changed.length > 0)
        throw new AppError(
          'conflict',
          `prices[${i}]: price version ${p.id} exists with another ${changed.join(', ')}; a price version never changes: give the new price a new id.`,
          { field: `prices[${i}].id` },
        );
    }
    const now_ms = this.deps.clock.now_ms();
    await this.deps.store.transaction(async (tx) => {
      await tx.replaceCatalog(data);
      await tx.insertAudit([
        {
          account_id: null,
          actor: actor.id,
          action: 'catalog.updated',
          request_id: actor.request_id,
          details: { plans: data.plans.length, models: data.models.length, prices: data.prices.length, apps: data.apps.length },
          created_at_ms: now_ms,
        },
      ]);
    });
    this.deps.catalog.invalidate();
  }

  catalog() {
    return this.deps.catalog.get();
  }

  // ---- accounts ----------------------------------------------------------------------------

  createAccount(input: accounts.CreateAccountInput, actor: Actor) {
    return accounts.createAccount(this.deps, input, actor);
  }
  /** An invitation to an account (`plan`) or an API organization (`api_org`). */
  inviteMember(kind: AccountKind, account_id: string, input: { email: unknown; role: unknown }, actor: Actor) {
    return members.inviteMember(this.deps, kind, account_id, input, actor);
  }
  acceptInvitation(invitation_id: string, invitee: members.Invitee, actor: Actor) {
    return members.acceptInvitation(this.deps, invitation_id, invitee, actor);
  }
  declineInvitation(invitation_id: string, invitee: members.Invitee, actor: Actor) {
    return members.declineInvitation(this.deps, invitation_id, invitee, actor);
  }
  listInvitations(invitee: members.Invitee, query: reads.PageRequest) {
    return members.listInvitations(this.deps, invitee, query);
  }
  /** A member's role changed, or the member removed (or leaving). */
  changeMember(input: members.MemberChangeInput, caller: { role: MemberRole | 'operator'; user_id: string | null }, actor: Actor) {
    return members.changeMember(this.deps, input, caller, actor);
  }
  changeSubscription(account_id: string, input: { plan: unknown; seats?: unknown }, actor: Actor, idempotency_key?: unknown) {
    return accounts.changeSubscription(this.deps, account_id, input, actor, idempotency_key);
  }
  cancelSubscription(account_id: string, actor: Actor) {
    return accounts.cancelSubscription(this.deps, account_id, actor);
  }
  updateExtraUsage(account_id: string, patch: accounts.ExtraUsagePatch, actor: Actor, idempotency_key?: unknown) {
    return accounts.updateExtraUsage(this.deps, account_id, patch, actor, idempotency_key);
  }

  // ---- money in ----------------------------------------------------------------------------

  addPaymentMethod(account_id: string, input: { token: unknown }, actor: Actor) {
    return billing.addPaymentMethod(this.deps, account_id, input, actor);
  }
  purchaseCredits(account_id: string, input: { amount_micros: unknown; payment_method_id?: unknown }, idempotency_key: unknown, actor: Actor) {
    return billing.purchaseCredits(this.deps, account_id, input, idempotency_key, actor);
  }
  grantCredits(account_id: string, input: { amount_micros: unknown; expires_at?: unknown; reason?: unknown }, actor: Actor, idempotency_key?: unknown) {
    return billing.grantCredits(this.deps, account_id, input, actor, idempotency_key);
  }
  expireGrants() {
    return billing.expireGrants(this.deps);
  }
  processPendingPurchases(options?: { grace_ms?: number; batch_max?: number }) {
    return billing.processPendingPurchases(this.deps, options);
  }

  // ---- the card provider: 3-D Secure and its webhooks (docs/payments.md) ----------------------

  confirmPurchase(account_id: string, purchase_id: string, actor: Actor) {
    return billing.confirmPurchase(this.deps, account_id, purchase_id, actor);
  }
  receivePaymentWebhook(raw_body: Buffer | undefined, signature: unknown) {
    return providerEvents.receivePaymentWebhook(this.deps, raw_body, signature);
  }

  // ---- refunds, campaign codes, lapse notices (issue 11) ---------------------------------------

  refundCredits(account_id: string, input: { amount_micros?: unknown; purchase_id?: unknown }, idempotency_key: unknown, actor: Actor) {
    return refunds.refundCredits(this.deps, account_id, input, idempotency_key, actor);
  }
  listRefunds(account_id: string, query: reads.PageRequest) {
    return refunds.listRefunds(this.deps, account_id, query);
  }
  processPendingRefunds(options?: { grace_ms?: number; batch_max?: number }) {
    return refunds.processPendingRefunds(this.deps, options);
  }
  createPromotion(input: promotions.PromotionInput, actor: Actor) {
    return promotions.createPromotion(this.deps, input, actor);
  }
  listPromotions(query: reads.PageRequest) {
    return promotions.listPromotions(this.deps, query);
  }
  claimPromotion(account_id: string, input: { code: unknown }, actor: Actor) {
    return promotions.claimPromotion(this.deps, account_id, input, actor);
  }
  sendLapseNotices(batch_max?: number) {
    return lapse.sendLapseNotices(this.deps, batch_max);
  }
  listGrants(account_id: string, query: reads.PageRequest = {}) {
    return grants.listGrants(this.deps, account_id, query);
  }

  // ---- metering ----------------------------------------------------------------------------

  /** A hold, or the first call's hold when this is a replay of its Idempotency-Key (`replayed`). */
  async authorize(input: Record<string, unknown>, idempotency_key?: unknown): Promise<Replayable<AuthorizationRecord> & { rate_limits?: RateHeaders }> {
    const request: AuthorizeRequest = {
      ...(await this.payerOf(input)),
      model: v.text('model', input.model),
      input_tokens: v.tokens('input_tokens', input.input_tokens),
      max_output_tokens: v.integerIn('max_output_tokens', input.max_output_tokens, 1, limits.tokens_per_request_max),
    };
    const user_id = v.optionalText('user_id', input.user_id);
    if (user_id !== null) request.user_id = user_id;
    if (input.ttl_ms !== undefined) request.ttl_ms = v.integerIn('ttl_ms', input.ttl_ms, limits.hold_ttl_ms_min, limits.hold_ttl_ms_max);
    if (input.cache_write !== undefined) {
      const cache_write = v.oneOf('cache_write', input.cache_write, CACHE_WRITES);
      if (cache_write !== 'none') request.cache_write = cache_write;
    }
    const key = v.idempotencyKey(idempotency_key);
    const rate = request.api_key_id
      ? await this.rates.takeForOrg(request.account_id, request.input_tokens, request.max_output_tokens)
      : await this.takePlanRate(request.account_id, request.input_tokens, request.max_output_tokens);
    const result = await this.meter.submit({ kind: 'authorize', request, idempotency_key: key });
    const authorization = authorizationOf(result);
    const replayed = result.ok && result.kind === 'authorization' && result.replayed;
    if (rate && !replayed) await this.rates.remember(authorization.id, rate);
    return { ...authorization, replayed, ...(rate ? { rate_limits: rate.headers } : {}) };
  }

  /**
   * Who pays: an account (account_id, app) or, with api_key, the key's organization. The key is
   * looked up on every call, never cached, so a revoked key is refused at once on every process.
   */
  private async payerOf(input: Record<string, unknown>, at = ''): Promise<Pick<AuthorizeRequest, 'account_id' | 'app' | 'api_key_id'>> {
    if (input.api_key === undefined) return { account_id: v.text(`${at}account_id`, input.account_id), app: v.text(`${at}app`, input.app) };
    if (input.account_id !== undefined) throw invalid(`${at}account_id`, 'give account_id or api_key, not both: an API key pays from its organization');
    if (input.app !== undefined) v.text(`${at}app`, input.app);
    const key = await orgs.resolveApiKey(this.deps, v.text(`${at}api_key`, input.api_key, limits.token_length_max), `${at}api_key`);
    return { account_id: key.org_id, app: API_APP_ID, api_key_id: key.id };
  }

  /** Settles a hold; the unused output reservation goes back to the rate limits, whose state the answer carries (`rate_limits`). */
  async settle(authorization_id: unknown, usage: unknown, actor: Actor = SYSTEM_ACTOR): Promise<AuthorizationRecord & { rate_limits?: RateHeaders }> {
    const id = v.text('authorization_id', authorization_id);
    const parsed = v.usage('usage', usage);
    const settled = authorizationOf(await this.meter.submit({ kind: 'settle', authorization_id: id, usage: parsed, by: chargeActor(actor) }));
    const rate_limits = await this.rates.finished(settled, parsed.output_tokens);
    return { ...settled, ...(rate_limits ? { rate_limits } : {}) };
  }

  async release(authorization_id: unknown): Promise<AuthorizationRecord & { rate_limits?: RateHeaders }> {
    const id = v.text('authorization_id', authorization_id);
    const released = authorizationOf(await this.meter.submit({ kind: 'release', authorization_id: id }));
    const rate_limits = await this.rates.finished(released, 0);
    return { ...released, ...(rate_limits ? { rate_limits } : {}) };
  }

  /** Usage events without a hold, ≤ events_per_batch_max; one result per event, in order. */
  async recordUsageEvents(
    events: unknown,
    actor: Actor = SYSTEM_ACTOR,
  ): Promise<Array<{ ok: true; record: UsageRecord; duplicate: boolean } | { ok: false; error: AppError }>> {
    if (!Array.isArray(events)) throw invalid('events', 'must be an array');
    if (events.length === 0) throw invalid('events', 'must hold at least one event');
    if (events.length > limits.events_per_batch_max) throw invalid('events', `at most ${limits.events_per_batch_max} events per request, got ${events.length}`);
    // Every event is checked before any is submitted: a malformed batch changes nothing. An
    // event with an unknown or revoked API key is answered 401 on its own (its key is its payer).
    const payers = await Promise.all(
      events.map((raw, i) =>
        typeof raw === 'object' && raw !== null
          ? this.payerOf(raw as Record<string, unknown>, `events[${i}].`).catch((error: unknown) => {
              if (error instanceof AppError && error.type === 'unauthenticated') return error;
              throw error;
            })
          : null,
      ),
    );
    const parsed: UsageEventInput[] = events.map((raw, i) => {
      if (typeof raw !== 'object' || raw === null) throw invalid(`events[${i}]`, 'must be an object');
      const e = raw as Record<string, unknown>;
      const payer = payers[i];
      const event: UsageEventInput = {
        id: v.text(`events[${i}].id`, e.id),
        ...(payer instanceof AppError || !payer ? { account_id: '', app: '' } : payer),
        model: v.text(`events[${i}].model`, e.model),
        usage: v.usage(`events[${i}].usage`, e.usage),
        timestamp_ms: v.timestampMs(`events[${i}].timestamp`, e.timestamp),
      };
      const user_id = v.optionalText(`events[${i}].user_id`, e.user_id);
      if (user_id !== null) event.user_id = user_id;
      return event;
    });
    const by = chargeActor(actor);
    const refused = (i: number) => (payers[i] instanceof AppError ? (payers[i] as AppError) : null);
    const submitted = await this.meter.submitMany(parsed.flatMap((event, i) => (refused(i) ? [] : [{ kind: 'event' as const, event, by }])));
    const results = parsed.map((_, i): MeterResult => (refused(i) ? { ok: false, error: refused(i)! } : submitted.shift()!));
    return results.map((r) => {
      if (!r.ok) return r;
      if (r.kind !== 'usage') throw new Error('usage event answered with an authorization');
      return { ok: true as const, record: r.record, duplicate: r.duplicate };
    });
  }

  /**
   * Job: expires holds past their TTL (their late settlements are still charged), and ends the
   * late-settlement window of holds whose window has ended (lateWindowEndsAt).
   */
  async expireHolds(batch_max = limits.meter_batch_ops_max): Promise<number> {
    const now_ms = this.deps.clock.now_ms();
    const due = await this.deps.store.expiredHolds(now_ms, batch_max);
    const ended = await this.deps.store.lateWindowsEnded(lateWindowExpiryCutoff(now_ms), batch_max);
    const results = await this.meter.submitMany([
      ...due.map((d) => ({ kind: 'expire' as const, authorization_id: d.id })),
      ...ended.map((d) => ({ kind: 'end_late_window' as const, authorization_id: d.id })),
    ]);
    return results.slice(0, due.length).filter((r) => r.ok && r.kind === 'authorization' && r.authorization.status === 'expired').length;
  }

  /** The drop-in gateway: POST /v1/messages metered (a hold, the upstream call, the settlement). */
  relayMessages(input: gateway.RelayInput) {
    if (!this.upstream) throw new AppError('upstream_error', 'This server has no upstream model API configured (TOKENBANK_UPSTREAM_URL); nothing was charged.');
    return gateway.relayMessages(this, this.upstream, input);
  }

  getAuthorization(id: string) {
    return this.deps.store.getAuthorization(id);
  }

  // ---- reads -------------------------------------------------------------------------------

  /** The accounts a user belongs to, with their role in each. */
  listMemberships(user_id: string) {
    return this.deps.store.listMemberships(user_id);
  }
  listMembers(account_id: string) {
    return this.deps.store.listAccountMembers(account_id);
  }
  /** Cards on file, each marked whether it is the account's default. */
  async listPaymentMethods(account_id: string) {
    const account = await this.deps.store.getAccount(account_id);
    if (!account) throw notFound('account', account_id);
    return (await this.deps.store.listPaymentMethods(account_id)).map((method) => ({ method, default: method.id === account.default_payment_method_id }));
  }
  listServiceTokens() {
    return this.deps.store.listTokens({ kind: 'service' });
  }
  /** For /metrics and /healthz: open holds, and which database engine serves this process. */
  countOpenHolds() {
    return this.deps.store.countOpenHolds();
  }
  get engine() {
    return this.deps.store.engine;
  }

  getExtraUsage(account_id: string) {
    return reads.getExtraUsage(this.deps, account_id);
  }
  getAccountView(account_id: string, user_id: string | null = null) {
    return reads.getAccountView(this.deps, account_id, user_id);
  }
  getUsage(account_id: string, query: reads.UsageQuery) {
    return reads.getUsage(this.deps, account_id, query);
  }
  listTransactions(account_id: string, query: reads.PageRequest) {
    return reads.listTransactions(this.deps, account_id, query);
  }
  listUsageRecords(account_id: string, query: reads.PageRequest) {
    return reads.listUsageRecords(this.deps, account_id, query);
  }
  listEvents(account_id: string, query: reads.PageRequest) {
    return reads.listEvents(this.deps, account_id, query);
  }
  listAuditLog(query: reads.PageRequest) {
    return reads.listAuditLog(this.deps, query);
  }
  listAccounts(query: reads.PageRequest & { search?: string }) {
    return reads.listAllAccounts(this.deps, query);
  }
  listUserAccounts(user_id: string, query: reads.PageRequest) {
    return reads.listUserAccounts(this.deps, user_id, query);
  }
  audit() {
    return this.deps.store.audit(this.deps.clock.now_ms());
  }

  // ---- API organizations (issue 12): an org is a payer of its own; its credits use the money-in paths above

  createOrg(input: orgs.CreateOrgInput, actor: Actor) {
    return orgs.createOrg(this.deps, input, actor);
  }
  getOrg(org_id: string) {
    return orgs.getOrgView(this.deps, org_id);
  }
  listOrgs(principal: Parameters<typeof orgs.listOrgs>[1], query: reads.PageRequest) {
    return orgs.listOrgs(this.deps, principal, query);
  }
  updateOrg(org_id: string, patch: orgs.OrgPatch, actor: Actor, idempotency_key?: unknown) {
    return orgs.updateOrg(this.deps, org_id, patch, actor, idempotency_key);
  }
  listOrgMembers(org_id: string) {
    return orgs.listOrgMembers(this.deps, org_id);
  }
  createApiKey(org_id: string, input: { name: unknown; monthly_limit_micros?: unknown }, actor: Actor) {
    return orgs.createApiKey(this.deps, org_id, input, actor);
  }
  listApiKeys(org_id: string) {
    return orgs.listApiKeys(this.deps, org_id);
  }
  revokeApiKey(org_id: string, key_id: string, actor: Actor) {
    return orgs.revokeApiKey(this.deps, org_id, key_id, actor);
  }
  listApiTiers() {
    return this.deps.store.orgs.listTiers();
  }
  replaceApiTiers(input: { tiers: unknown }, actor: Actor) {
    return orgs.replaceTiers(this.deps, input, actor);
  }
  getOrgUsage(org_id: string, query: reads.UsageQuery) {
    return orgs.getOrgUsage(this.deps, org_id, query);
  }

  // ---- webhooks (account_id null: the operator's endpoints) ---------------------------------

  createWebhookEndpoint(account_id: string | null, input: { url: unknown; events?: unknown }) {
    return webhooks.createEndpoint(this.deps, account_id, input);
  }
  listWebhookEndpoints(account_id: string | null) {
    return webhooks.listEndpoints(this.deps, account_id);
  }
  deleteWebhookEndpoint(account_id: string | null, endpoint_id: string) {
    return webhooks.deleteEndpoint(this.deps, account_id, endpoint_id);
  }
  listWebhookDeliveries(account_id: string | null, endpoint_id: string, query: { limit?: unknown; cursor?: unknown }) {
    return webhooks.listDeliveries(this.deps, account_id, endpoint_id, query);
  }
  redeliverWebhook(account_id: string | null, endpoint_id: string, delivery_id: string) {
    return webhooks.redeliver(this.deps, account_id, endpoint_id, delivery_id);
  }
  /** Job: one tick of webhook delivery (fan-out, lease, send, record). */
  deliverWebhooks() {
    return webhooks.deliverWebhooks(this.deps);
  }
}

function chargeActor(actor: Actor): ChargeActor {
  return { actor: actor.id, request_id: actor.request_id };
}

function authorizationOf(result: MeterResult): AuthorizationRecord {
  if (!result.ok) throw result.error;
  if (result.kind !== 'authorization') throw new Error('metering answered an authorization with a usage record');
  return result.authorization;
}
