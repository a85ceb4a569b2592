// The batch interpreter's working state: the rows one metering batch loaded under its locks,
// the decisions (made in src/domain) for each operation in arrival order, and the writes they
// produce, flushed as one statement. Used by the Meter (./metering.ts) inside its transaction.
import { decideAutoReload } from '../domain/autoreload';
import { priceAt, priceById, type App, type Catalog, type Model, type ModelPrice } from '../domain/catalog';
import {
  applyCharge,
  applyHold,
  beyondHold,
  computeCharge,
  decideAuthorization,
  decideEventFunding,
  endLateHold,
  lateWindowEndsAt,
  expireHold,
  releaseHold,
  type Funding,
  type SeatWindows,
} from '../domain/funding';
import { usageTransfers } from '../domain/ledger';
import { limits } from '../domain/limits';
import { invariant } from '../domain/assert';
import type { TokenUsage } from '../domain/pricing';
import { spendLimitCrossings } from '../domain/purchase';
import { AppError, invalid, notFound } from '../domain/refusals';
import { addRedeemed, currentCycle, spentThisCycle } from '../domain/wallet';
import { requestHash } from './hash';
import { meterNotices, noticeBaseline, type NoticeBaseline } from './meter-notices';
import type { AuthorizationRecord, Ids, LockedAccount, MeterCommitProbe, OutboxEvent, PurchaseRecord, ReloadEvent, StoreTx, UsageRecord } from './ports';

import type { AuthorizeRequest, BatchCounts, ChargeActor, MeterOp, MeterResult, UsageEventInput } from './metering';
import { BatchKeys } from './meter-keys';
import { usageRecordOf, type UsageFacts } from './usage-record';
import { API_APP_ID, apiFunding } from '../domain/orgs';

/** The working state of one batch: loaded rows, decisions, and the writes they produce. */
export class BatchState {
  private accounts = new Map<string, LockedAccount>();
  private auths = new Map<string, AuthorizationRecord>();
  private auth_by_key = new Map<string, AuthorizationRecord>();
  private events = new Map<string, UsageRecord>();
  private new_auths: AuthorizationRecord[] = [];
  private changed_auths = new Set<AuthorizationRecord>();
  private usage: UsageRecord[] = [];
  private transfers: ReturnType<typeof usageTransfers> = [];
  private outbox: OutboxEvent[] = [];
  private touched = new Set<string>();
  /** The account the operation being applied changed, if it changed one (refusals and replays do not). */
  private changed_now: string | null = null;
  private reloads: PurchaseRecord[] = [];
  /** Per account, the auto-reload event this batch records (a skip that is news). */
  private reload_events = new Map<string, ReloadEvent>();
  private touched_seats = new Map<string, Set<string>>();
  private members = new Set<string>();
  private spent_before = new Map<string, number>();
  private windows_before = new Map<string, string>();
  private baselines = new Map<string, NoticeBaseline>();
  private readonly keys = new BatchKeys();
  readonly counts: BatchCounts = { late_settlements_in_window: 0, late_settlements_after_window: 0, settlements_beyond_hold: 0 };

  constructor(
    private readonly tx: StoreTx,
    private readonly catalog: Catalog,
    private readonly ids: Ids,
    private readonly now_ms: number,
    private readonly redeemed_micros_per_day_max: number,
  ) {}

  async load(account_ids: string[], ops: MeterOp[]) {
    this.accounts = await this.tx.lockAccounts(account_ids);
    // Reads below run after the locks, so they see everything committed before this batch.
    const auth_ids = ops.flatMap((op) =>
      op.kind === 'settle' || op.kind === 'release' || op.kind === 'expire' || op.kind === 'end_late_window' ? [op.authorization_id] : [],
    );
    this.auths = await this.tx.getAuthorizations(auth_ids);
    await this.keys.load(this.tx, ops, this.auths);
    const keys = ops.flatMap((op) =>
      op.kind === 'authorize' && op.idempotency_key !== null ? [{ account_id: op.request.account_id, idempotency_key: op.idempotency_key }] : [],
    );
    for (const a of await this.tx.getAuthorizationsByKey(keys)) this.auth_by_key.set(keyOf(a.account_id, a.idempotency_key!), a);
    const event_keys = ops.flatMap((op) => (op.kind === 'event' ? [{ account_id: op.event.account_id, event_id: op.event.id }] : []));
    for (const r of await this.tx.getUsageEvents(event_keys)) this.events.set(keyOf(r.account_id, r.event_id!), r);
    // Per-seat plans count allowance per member: a user_id must belong to the account.
    const seat_users = ops.flatMap((op) => {
      const [account_id, user_id] =
        op.kind === 'authorize' ? [op.request.account_id, op.request.user_id] : op.kind === 'event' ? [op.event.account_id, op.event.user_id] : [null, null];
      return account_id && user_id ? [{ account_id, user_id }] : [];
    });
    this.members = await this.tx.getMembers(seat_users);
    for (const [id, locked] of this.accounts) {
      this.spent_before.set(id, spentThisCycle(locked.wallet, currentCycle(locked.account, this.now_ms)));
      this.baselines.set(id, noticeBaseline(locked, this.now_ms));
      for (const [seat, windows] of locked.windows)
        for (const state of windows.values()) this.windows_before.set(windowKey(id, seat, state.kind), windowFingerprint(state));
    }
  }

  /**
   * One operation's answer. An authorization is answered as this operation left it: a later
   * operation of the same batch may change the same record (a late settlement after a release of
   * the expired hold), and that must not rewrite an earlier answer. The copy is shallow: a record
   * is changed only by replacing its fields (Object.assign), never inside its nested objects.
   */
  apply(op: MeterOp): MeterResult {
    this.changed_now = null;
    const result = this.decide(op);
    // SPEC §1.7: auto-reload is decided after any hold, settlement or event, so after each
    // operation that changed an account, exactly as the same requests one by one would decide it.
    if (this.changed_now !== null) this.decideReload(this.changed_now);
    return result.ok && result.kind === 'authorization' ? { ...result, authorization: { ...result.authorization } } : result;
  }

  private decide(op: MeterOp): MeterResult {
    try {
      switch (op.kind) {
        case 'authorize':
          return this.authorize(op.request, op.idempotency_key);
        case 'settle':
          return this.settle(op.authorization_id, op.usage, op.by);
        case 'release':
          return this.release(op.authorization_id, 'released');
        case 'expire':
          return this.release(op.authorization_id, 'expired');
        case 'end_late_window':
          return this.endLateWindow(op.authorization_id);
        case 'event':
          return this.event(op.event, op.by);
        default: {
          const never: never = op;
          throw new Error(`unknown op ${JSON.stringify(never)}`);
        }
      }
    } catch (error) {
      if (error instanceof AppError) return { ok: false, error };
      throw error;
    }
  }

  private touch(account_id: string): void {
    this.touched.add(account_id);
    this.changed_now = account_id;
  }

  private resolveProduct(account_id: string, app_id: string, model_id: string, api = false): { locked: LockedAccount; app: App; model: Model } {
    const locked = this.accounts.get(account_id);
    if (!locked) throw notFound('account', account_id);
    // API-key requests name no client surface: they are recorded under the app id `api`.
    const app = api ? ({ id: API_APP_ID, kind: 'third_party' } as App) : this.catalog.apps.get(app_id);
    if (!app) throw invalid('app', `unknown app "${app_id}"; known apps: ${[...this.catalog.apps.keys()].join(', ')}`);
    const model = this.catalog.models.get(model_id);
    if (!model) throw invalid('model', `unknown model "${model_id}"; known models: ${[...this.catalog.models.keys()].join(', ')}`);
    if (!api && locked.account.kind !== 'plan') throw invalid('account_id', 'API organizations are metered with api_key, not account_id');
    return { locked, app, model };
  }

  private seatOf(locked: LockedAccount, user_id: string | null | undefined): string {
    const plan = locked.account.plan_id ? this.catalog.plans.get(locked.account.plan_id) : undefined;
    if (plan?.per_seat) {
      if (!user_id) throw invalid('user_id', `is required on a ${plan.name} plan: its allowance is per seat (member)`);
      if (!this.members.has(keyOf(locked.account.id, user_id)))
        throw invalid('user_id', `"${user_id}" is not a member of account ${locked.account.id}; a ${plan.name} seat belongs to a member`);
      return user_id;
    }
    return '';
  }

  private seatWindows(locked: LockedAccount, seat: string): SeatWindows {
    const seats = this.touched_seats.get(locked.account.id) ?? new Set<string>();
    seats.add(seat);
    this.touched_seats.set(locked.account.id, seats);
    let windows = locked.windows.get(seat);
    if (!windows) {
      windows = new Map();
      locked.windows.set(seat, windows);
    }
    return windows;
  }

  private authorize(request: AuthorizeRequest, idempotency_key: string | null): MeterResult {
    const hash = requestHash(request);
    if (idempotency_key !== null) {
      const existing = this.auth_by_key.get(keyOf(request.account_id, idempotency_key));
      if (existing) {
        if (existing.request_hash !== hash)
          throw new AppError(
            'idempotency_conflict',
            `Idempotency-Key "${idempotency_key}" was used for a different authorization request (${existing.id}). Use a new key for a new request.`,
            { authorization_id: existing.id },
          );
        return { ok: true, kind: 'authorization', authorization: existing, replayed: true };
      }
    }
    const key_id = request.api_key_id ?? null;
    const { locked, app, model } = this.resolveProduct(request.account_id, request.app, request.model, key_id !== null);
    const price = priceAt(this.catalog, model.id, this.now_ms);
    if (!price) throw invalid('model', `model "${model.id}" has no price in effect yet`);
    const { seat, seat_windows, plan } = this.payer(locked, request.user_id);
    const cache_write = request.cache_write ?? 'none';
    const { input_tokens, max_output_tokens } = request;
    const decision =
      key_id !== null
        ? this.keys.decide(key_id, locked, { model, price, input_tokens, max_output_tokens, cache_write }, this.now_ms)
        : decideAuthorization({
            account: locked.account,
            plan,
            app,
            model,
            price,
            wallet: locked.wallet,
            seat_windows,
            input_tokens: request.input_tokens,
            max_output_tokens: request.max_output_tokens,
            cache_write,
            now_ms: this.now_ms,
          });
    if (!decision.ok) throw AppError.from(decision.refusal);
    const funding = decision.value;
    applyHold(locked.wallet, seat_windows, funding);
    if (key_id !== null) this.keys.hold(key_id, funding, this.now_ms);
    const ttl_ms = request.ttl_ms ?? limits.hold_ttl_ms_default;
    const record: AuthorizationRecord = {
      id: this.ids.next('auth'),
      account_id: locked.account.id,
      idempotency_key,
      request_hash: hash,
      user_id: request.user_id ?? null,
      seat,
      app_id: app.id,
      model_id: model.id,
      price_id: price.id,
      input_tokens: request.input_tokens,
      max_output_tokens: request.max_output_tokens,
      funding,
      cache_write,
      status: 'held',
      late_counted: false,
      created_at_ms: this.now_ms,
      expires_at_ms: this.now_ms + ttl_ms,
      finished_at_ms: null,
      settle_hash: null,
      usage: null,
      cost_micros: null,
      charged_micros: null,
      settled_allowance_tokens: null,
      beyond_hold: null,
      ...(key_id !== null ? { api_key_id: key_id } : {}),
    };
    this.new_auths.push(record);
    this.auths.set(record.id, record);
    if (idempotency_key !== null) this.auth_by_key.set(keyOf(record.account_id, idempotency_key), record);
    this.touch(record.account_id);
    return { ok: true, kind: 'authorization', authorization: record, replayed: false };
  }

  private settle(authorization_id: string, usage: TokenUsage, by: ChargeActor | undefined): MeterResult {
    const auth = this.auths.get(authorization_id);
    if (!auth) throw notFound('authorization', authorization_id);
    const hash = requestHash(usage);
    if (auth.status === 'settled') {
      if (auth.settle_hash !== hash)
        throw new AppError('idempotency_conflict', `Authorization ${auth.id} was already settled with different usage; a settlement cannot be changed.`, {
          authorization_id: auth.id,
          charged_micros: auth.charged_micros,
        });
      return { ok: true, kind: 'authorization', authorization: auth, replayed: true };
    }
    if (auth.status === 'released')
      throw new AppError('conflict', `Authorization ${auth.id} was released; it cannot be settled. Report the usage with POST /v1/usage-events instead.`, {
        authorization_id: auth.id,
        status: auth.status,
      });
    const locked = this.accounts.get(auth.account_id);
    if (!locked) throw notFound('account', auth.account_id);
    const model = this.catalog.models.get(auth.model_id);
    const price = priceById(this.catalog, auth.model_id, auth.price_id);
    invariant(model && price, () => `authorization ${auth.id} refers to a model or price version that no longer exists`);
    const seat_windows = this.seatWindows(locked, auth.seat);
    // An expired hold left the balance already; its late settlement is still charged in full,
    // and while its late-settlement window is open the limit was still counting it (SPEC §1.6).
    const late = auth.status === 'expired';
    if (auth.status === 'held') releaseHold(locked.wallet, seat_windows, auth.funding);
    if (auth.status === 'held') this.keys.unhold(auth, 'release');
    if (late) {
      if (auth.late_counted) {
        endLateHold(locked.wallet, auth.funding);
        this.keys.unhold(auth, 'end_late');
        auth.late_counted = false;
        this.counts.late_settlements_in_window += 1;
      } else {
        this.counts.late_settlements_after_window += 1;
      }
    }
    const charge = computeCharge(auth.funding, model, price, usage);
    const beyond_hold = beyondHold(auth.funding, charge);
    if (beyond_hold) this.counts.settlements_beyond_hold += 1;
    const draws = applyCharge(locked.account, locked.wallet, seat_windows, auth.funding.windows, charge, this.now_ms);
    this.keys.charge(auth.api_key_id, locked.account, charge.extra_usage_micros, this.now_ms);
    this.transfers.push(...usageTransfers(auth.account_id, draws, auth.id, this.now_ms));
    Object.assign(auth, {
      status: 'settled',
      finished_at_ms: this.now_ms,
      settle_hash: hash,
      usage,
      cost_micros: charge.cost_micros,
      charged_micros: charge.extra_usage_micros,
      settled_allowance_tokens: charge.allowance_tokens,
      beyond_hold,
    } satisfies Partial<AuthorizationRecord>);
    this.changed_auths.add(auth);
    this.usage.push(
      this.usageRecord(auth.account_id, {
        authorization_id: auth.id,
        event_id: null,
        event_hash: null,
        user_id: auth.user_id,
        app_id: auth.app_id,
        model,
        price,
        funding: auth.funding,
        usage,
        charge,
        occurred_at_ms: auth.created_at_ms,
        beyond_hold,
        late,
        by,
        api_key_id: auth.api_key_id ?? null,
      }),
    );
    this.touch(auth.account_id);
    return { ok: true, kind: 'authorization', authorization: auth, replayed: false };
  }

  private release(authorization_id: string, to: 'released' | 'expired'): MeterResult {
    const auth = this.auths.get(authorization_id);
    if (!auth) throw notFound('authorization', authorization_id);
    if (auth.status === 'settled') {
      if (to === 'expired') return { ok: true, kind: 'authorization', authorization: auth, replayed: true };
      throw new AppError('conflict', `Authorization ${auth.id} was already settled; there is no hold left to release.`, {
        authorization_id: auth.id,
        status: auth.status,
      });
    }
    if (auth.status !== 'held') return { ok: true, kind: 'authorization', authorization: auth, replayed: true };
    if (to === 'expired' && auth.expires_at_ms > this.now_ms) return { ok: true, kind: 'authorization', authorization: auth, replayed: true };
    const locked = this.accounts.get(auth.account_id);
    if (!locked) throw notFound('account', auth.account_id);
    if (to === 'expired') auth.late_counted = expireHold(locked.wallet, this.seatWindows(locked, auth.seat), auth.funding);
    else releaseHold(locked.wallet, this.seatWindows(locked, auth.seat), auth.funding);
    this.keys.unhold(auth, to === 'expired' ? 'expire' : 'release');
    auth.status = to;
    auth.finished_at_ms = this.now_ms;
    this.changed_auths.add(auth);
    this.touch(auth.account_id);
    return { ok: true, kind: 'authorization', authorization: auth, replayed: false };
  }

  private endLateWindow(authorization_id: string): MeterResult {
    const auth = this.auths.get(authorization_id);
    if (!auth) throw notFound('authorization', authorization_id);
    if (!auth.late_counted || lateWindowEndsAt(auth.expires_at_ms) > this.now_ms)
      return { ok: true, kind: 'authorization', authorization: auth, replayed: true };
    const locked = this.accounts.get(auth.account_id);
    if (!locked) throw notFound('account', auth.account_id);
    endLateHold(locked.wallet, auth.funding);
    this.keys.unhold(auth, 'end_late');
    auth.late_counted = false;
    this.changed_auths.add(auth);
    this.touch(auth.account_id);
    return { ok: true, kind: 'authorization', authorization: auth, replayed: false };
  }

  private event(event: UsageEventInput, by: ChargeActor | undefined): MeterResult {
    const hash = requestHash(event);
    const existing = this.events.get(keyOf(event.account_id, event.id));
    if (existing) {
      if (existing.event_hash !== hash)
        throw new AppError('idempotency_conflict', `Usage event "${event.id}" was recorded with different content; an event id is charged once.`, {
          event_id: event.id,
        });
      return { ok: true, kind: 'usage', record: existing, duplicate: true };
    }
    const key_id = event.api_key_id ?? null;
    const { locked, app, model } = this.resolveProduct(event.account_id, event.app, event.model, key_id !== null);
    if (key_id !== null) this.keys.checkEvent(key_id, locked.account.id);
    // The price in force when the usage happened (clamped: a future timestamp uses today's price).
    const at_ms = Math.min(event.timestamp_ms, this.now_ms);
    const price = priceAt(this.catalog, model.id, at_ms) ?? priceAt(this.catalog, model.id, this.now_ms);
    if (!price) throw invalid('model', `model "${model.id}" has no price in effect`);
    const { seat, seat_windows, plan } = this.payer(locked, event.user_id);
    const funding =
      key_id !== null
        ? apiFunding(0, computeCharge({ source: 'api_credits', allowance_tokens: 0 }, model, price, event.usage).cost_micros)
        : decideEventFunding({
            account: locked.account,
            plan,
            app,
            model,
            price,
            wallet: locked.wallet,
            seat_windows,
            usage: event.usage,
            now_ms: this.now_ms,
          });
    const charge = computeCharge(funding, model, price, event.usage);
    const record_id = this.ids.next('use');
    const draws = applyCharge(locked.account, locked.wallet, seat_windows, funding.windows, charge, this.now_ms);
    this.keys.charge(key_id, locked.account, charge.extra_usage_micros, this.now_ms);
    this.transfers.push(...usageTransfers(event.account_id, draws, record_id, this.now_ms));
    const record = this.usageRecord(
      event.account_id,
      {
        authorization_id: null,
        event_id: event.id,
        event_hash: hash,
        user_id: event.user_id ?? null,
        app_id: app.id,
        model,
        price,
        funding,
        usage: event.usage,
        charge,
        occurred_at_ms: event.timestamp_ms,
        beyond_hold: false,
        late: false,
        by,
        api_key_id: key_id,
      },
      record_id,
    );
    this.usage.push(record);
    this.events.set(keyOf(event.account_id, event.id), record);
    this.touch(event.account_id);
    return { ok: true, kind: 'usage', record, duplicate: false };
  }

  /** After its charge was applied: the wallet's spend counter says which cycle the charge counted in. */
  private usageRecord(account_id: string, r: UsageFacts, id = this.ids.next('use')): UsageRecord {
    const counted_in_ms = r.charge.extra_usage_micros > 0 ? this.accounts.get(account_id)!.wallet.spent_cycle_start_ms : null;
    return usageRecordOf(id, account_id, this.now_ms, r, counted_in_ms);
  }

  /** Whose allowance a request uses (the seat and its windows) and under which plan. */
  private payer(locked: LockedAccount, user_id: string | null | undefined) {
    const seat = this.seatOf(locked, user_id);
    const seat_windows = this.seatWindows(locked, seat);
    const plan = locked.account.plan_id ? this.catalog.plans.get(locked.account.plan_id) : undefined;
    return { seat, seat_windows, plan };
  }

  /** What this batch writes that shows, read back, whether it committed (see resolveUnknownCommit). */
  probe(): MeterCommitProbe {
    const fresh = new Set(this.new_auths);
    return {
      authorization_ids: this.new_auths.map((a) => a.id),
      usage_ids: this.usage.map((u) => u.id),
      changed_authorizations: [...this.changed_auths]
        .filter((a) => !fresh.has(a))
        .map((a) => ({ id: a.id, status: a.status, finished_at_ms: a.finished_at_ms })),
    };
  }

  /** Follow-ups per touched account (notifications), then every write. */
  async finish() {
    const wallets: Array<{ account_id: string; wallet: LockedAccount['wallet']; last_reload_event?: ReloadEvent | null }> = [];
    for (const account_id of [...this.touched].sort()) {
      const locked = this.accounts.get(account_id)!;
      this.notices(account_id, locked);
      const last_reload_event = this.reload_events.get(account_id);
      wallets.push({ account_id, wallet: locked.wallet, ...(last_reload_event !== undefined ? { last_reload_event } : {}) });
    }
    const reloads = this.reloads;
    for (const reload of reloads) await this.tx.insertPurchase(reload);
    if (reloads.length > 0)
      this.outbox.push(
        ...reloads.map((r) => ({
          account_id: r.account_id,
          type: 'auto_reload.fired',
          payload: { purchase_id: r.id, amount_micros: r.amount_micros },
          created_at_ms: this.now_ms,
        })),
      );
    // One statement for the rest: authorizations made in this batch are inserted in their final
    // state, so `changed_authorizations` only updates rows that existed before it.
    await this.tx.writeMeterBatch(
      {
        new_authorizations: this.new_auths,
        changed_authorizations: [...this.changed_auths],
        usage: this.usage,
        transfers: this.transfers,
        wallets,
        windows: this.changedWindows(),
        outbox: this.outbox,
        api_keys: this.keys.writes(),
      },
      this.now_ms,
    );
  }

  /** One touched account's notifications: spend-limit warnings crossed by this batch, allowance and balance notices. */
  private notices(account_id: string, locked: LockedAccount): void {
    const cycle = currentCycle(locked.account, this.now_ms);
    const before = this.spent_before.get(account_id);
    invariant(before !== undefined, () => `account ${account_id} was touched without its spend before the batch`);
    const after = spentThisCycle(locked.wallet, cycle);
    for (const type of spendLimitCrossings(before, after, locked.account.monthly_spend_limit_micros, limits.spend_limit_warning_percent)) {
      this.outbox.push({
        account_id,
        type,
        payload: {
          spent_micros: after,
          limit_micros: locked.account.monthly_spend_limit_micros,
          cycle_end: new Date(cycle.end_ms).toISOString(),
          ...(type === 'spend_limit.warning' ? { warning_percent: limits.spend_limit_warning_percent } : {}),
        },
        created_at_ms: this.now_ms,
      });
    }
    const plan = locked.account.plan_id ? this.catalog.plans.get(locked.account.plan_id) : undefined;
    this.outbox.push(...meterNotices(locked, plan, this.baselines.get(account_id)!, this.touched_seats.get(account_id) ?? [], this.now_ms));
  }

  /** Auto-reload for an account an operation just changed: a firing joins `reloads`, a skip that is news is recorded. */
  private decideReload(account_id: string): void {
    const locked = this.accounts.get(account_id)!;
    const plan = locked.account.plan_id ? this.catalog.plans.get(locked.account.plan_id) : undefined;
    const decision = decideAutoReload({
      account: locked.account,
      plan,
      wallet: locked.wallet,
      cycle: currentCycle(locked.account, this.now_ms),
      now_ms: this.now_ms,
      redeemed_micros_per_day_max: this.redeemed_micros_per_day_max,
    });
    if (decision.kind === 'fire') {
      // Recorded in this transaction, charged by the payment worker. It takes its share of the day's
      // cap now, as a manual purchase does: a reload in flight and a purchase cannot pass it together.
      locked.wallet.reload_in_flight = true;
      addRedeemed(locked.wallet, this.now_ms, decision.amount_micros);
      this.reloads.push({
        id: this.ids.next('pur'),
        account_id,
        kind: 'auto_reload',
        idempotency_key: null,
        request_hash: '',
        amount_micros: decision.amount_micros,
        payment_method_id: locked.account.default_payment_method_id,
        status: 'pending',
        attempts: 0,
        failure_type: null,
        failure_message: null,
        provider_charge_id: null,
        actor: 'auto_reload',
        created_at_ms: this.now_ms,
        completed_at_ms: null,
        next_attempt_at_ms: null,
      });
      return;
    }
    if (decision.kind !== 'skip') return;
    // A skip is recorded when it is news: not again for every request while nothing changes.
    const last = locked.last_reload_event;
    if (last && last.type === 'skipped' && last.reason === decision.reason) return;
    const event: ReloadEvent = { type: 'skipped', reason: decision.reason, amount_micros: locked.account.auto_reload.amount_micros ?? 0, at_ms: this.now_ms };
    locked.last_reload_event = event;
    this.reload_events.set(account_id, event);
    this.outbox.push({ account_id, type: 'auto_reload.skipped', payload: { reason: decision.reason, ...decision.figures }, created_at_ms: this.now_ms });
  }

  /** The allowance windows this batch changed (a window it only looked at is not rewritten). */
  private changedWindows() {
    const windows = [];
    for (const [account_id, seats] of this.touched_seats) {
      const locked = this.accounts.get(account_id)!;
      for (const seat of seats) {
        for (const state of locked.windows.get(seat)?.values() ?? []) {
          if (this.windows_before.get(windowKey(account_id, seat, state.kind)) !== windowFingerprint(state)) windows.push({ account_id, seat, state });
        }
      }
    }
    return windows;
  }
}

function windowKey(account_id: string, seat: string, kind: string): string {
  return `${account_id}\u0000${seat}\u0000${kind}`;
}

function windowFingerprint(state: { start_ms: number | null; used_tokens: number; held_tokens: number }): string {
  return `${state.start_ms}/${state.used_tokens}/${state.held_tokens}`;
}

function keyOf(account_id: string, key: string): string {
  return `${account_id}\u0000${key}`;
}
