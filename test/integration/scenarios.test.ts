// The rules of SPEC §1.3–§1.8 and the worked examples of §4, as scenarios through the Tokenbank
// facade on a real database (each engine of databaseEngines()). One database per engine for the
// file; every scenario makes its own accounts, so they never see each other's money. The clock is
// injected and only moves forward; every scenario ends with the ledger proof (assertAuditClean).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { assertAuditClean, harness, makeAccount, OPERATOR, type Harness } from '../fixtures/tokenbank';
import { defaultCatalogData, type Plan } from '../../src/domain/catalog';
import { AppError } from '../../src/domain/refusals';
import type { Db } from '../../src/store/db';

after(closeAll);

const $ = (dollars: number) => Math.round(dollars * 1_000_000);
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** A Pro-priced plan with tiny windows, so a test can fill one with a handful of tokens. */
const TINY: Plan = {
  id: 'tiny',
  name: 'Tiny',
  price_micros: 20_000_000,
  per_seat: false,
  extra_usage_allowed: true,
  windows: [
    { kind: 'rolling_5h', limit_tokens: 100 },
    { kind: 'weekly', limit_tokens: 1000 },
  ],
  requests_per_minute: 1000,
  tokens_per_minute: 10_000_000,
};
/** Its per-seat sibling for the team rules. */
const TINY_TEAM: Plan = { ...TINY, id: 'tiny_team', name: 'Tiny Team', per_seat: true, windows: [{ kind: 'rolling_5h', limit_tokens: 100 }] };

/** Awaits a refusal of `type` and returns it for a look at its figures. */
async function refused(promise: Promise<unknown>, type: string): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    assert.equal(error.type, type, `expected ${type}, got ${error.type}: ${error.message}`);
    return error;
  }
  return assert.fail(`expected a ${type} refusal, but the call succeeded`);
}

for (const engine of databaseEngines()) {
  describe(`scenarios on ${engine.name}`, { skip: engine.skip }, () => {
    let db: Db;
    let h: Harness;
    let event_seq = 0;

    before(async () => {
      db = await engine.open();
      h = await harness(db);
      const data = defaultCatalogData();
      await h.tb.replaceCatalog({ ...data, plans: [...data.plans, TINY, TINY_TEAM] }, OPERATOR);
    });
    after(async () => {
      await db?.close().catch(() => undefined);
    });

    const at = () => new Date(h.clock.ms).toISOString();
    const extra = (account_id: string) => h.tb.getExtraUsage(account_id);
    const outbox = async (account_id: string) => (await h.tb.store.listOutbox({ account_id, limit: 100 })).reverse();
    const windowsOf = async (account_id: string, user_id: string | null = null) =>
      Object.fromEntries((await h.tb.getAccountView(account_id, user_id)).windows.map((w) => [w.kind, w.used]));

    /** Usage without a hold (POST /v1/usage-events): one event, which must be accepted. */
    async function event(account_id: string, body: { app: string; model: string; usage: Record<string, number>; user_id?: string; id?: string }) {
      const [result] = await h.tb.recordUsageEvents([{ id: body.id ?? `ev-${++event_seq}`, account_id, timestamp: at(), ...body }]);
      assert.ok(result?.ok, `event refused: ${result && !result.ok ? result.error.message : ''}`);
      return result.record;
    }
    /** Consumes exactly `micros` of extra usage (third-party opus output, 25 micros a token). */
    async function spend(account_id: string, micros: number) {
      assert.equal(micros % 25, 0);
      const record = await event(account_id, { app: 'cursor', model: 'claude-opus-4-5', usage: { input_tokens: 0, output_tokens: micros / 25 } });
      assert.equal(record.extra_usage_micros, micros);
    }
    /** Uses `tokens` of a first-party allowance (web, haiku input tokens). */
    async function useAllowance(account_id: string, tokens: number, user_id?: string) {
      const record = await event(account_id, {
        app: 'web',
        model: 'claude-haiku-4-5',
        usage: { input_tokens: tokens, output_tokens: 0 },
        ...(user_id ? { user_id } : {}),
      });
      assert.equal(record.source, 'allowance');
    }

    // ---- §1.3 plans and allowance ------------------------------------------------------------

    describe('§1.3 plans and allowance', () => {
      it('a first-party request inside the allowance is paid by it, counted in every window, and costs no credits', async () => {
        const account = await makeAccount(h, { plan: 'tiny', credits_micros: $(10), extra_usage: true });
        const auth = await h.tb.authorize({ account_id: account.id, app: 'web', model: 'claude-haiku-4-5', input_tokens: 20, max_output_tokens: 10 });
        assert.deepEqual(
          [auth.funding.source, auth.funding.reason, auth.funding.allowance_tokens, auth.funding.held_micros],
          ['allowance', 'first_party_allowance', 30, 0],
        );
        assert.deepEqual(await windowsOf(account.id), { rolling_5h: 30, weekly: 30 }, 'the hold counts against both windows');
        const settled = await h.tb.settle(auth.id, { input_tokens: 20, output_tokens: 4, cache_read_input_tokens: 500 });
        assert.equal(settled.settled_allowance_tokens, 24, 'cache reads count 0 allowance tokens');
        assert.equal(settled.charged_micros, 0);
        assert.deepEqual(await windowsOf(account.id), { rolling_5h: 24, weekly: 24 });
        assert.equal((await extra(account.id)).balance_micros, $(10));
        await assertAuditClean(h);
      });

      it('every window must have room: a full weekly window sends the request to extra usage though the 5-hour one is empty', async () => {
        const account = await makeAccount(h, { plan: 'tiny', credits_micros: $(10), extra_usage: true });
        for (let i = 0; i < 10; i++) {
          await useAllowance(account.id, 100);
          h.clock.advance(5 * HOUR_MS); // a new rolling window each time; the weekly keeps counting
        }
        const view = await windowsOf(account.id);
        assert.equal(view.weekly, 1000);
        assert.equal(view.rolling_5h, 0);
        const auth = await h.tb.authorize({ account_id: account.id, app: 'web', model: 'claude-haiku-4-5', input_tokens: 7, max_output_tokens: 3 });
        assert.deepEqual([auth.funding.source, auth.funding.reason, auth.funding.held_micros], ['extra_usage', 'first_party_overflow', 22]);
        await h.tb.release(auth.id);
        await assertAuditClean(h);
      });

      it('rolling_5h opens at the first request and closes 5 hours later; the next request opens a new one', async () => {
        const account = await makeAccount(h, { plan: 'tiny' });
        await useAllowance(account.id, 60);
        const opened = h.clock.ms;
        let view = await h.tb.getAccountView(account.id);
        assert.equal(view.windows.find((w) => w.kind === 'rolling_5h')?.resets_at, new Date(opened + 5 * HOUR_MS).toISOString());
        h.clock.advance(5 * HOUR_MS - 1);
        assert.equal((await windowsOf(account.id)).rolling_5h, 60, 'still open a millisecond before');
        h.clock.advance(1);
        assert.equal((await windowsOf(account.id)).rolling_5h, 0, 'closed at 5 hours');
        view = await h.tb.getAccountView(account.id);
        assert.equal(view.windows.find((w) => w.kind === 'rolling_5h')?.resets_at, null, 'a closed window has no reset time until a request opens it');
        await useAllowance(account.id, 10);
        view = await h.tb.getAccountView(account.id);
        assert.equal(view.windows.find((w) => w.kind === 'rolling_5h')?.resets_at, new Date(h.clock.ms + 5 * HOUR_MS).toISOString());
        assert.deepEqual(await windowsOf(account.id), { rolling_5h: 10, weekly: 70 });
        await assertAuditClean(h);
      });

      it('spend-limit counters reset with the billing cycle; the extra-usage balance does not', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(20), extra_usage: true, limit_micros: $(10) });
        await spend(account.id, $(8));
        const before = await extra(account.id);
        assert.equal(before.spent_this_cycle_micros, $(8));
        h.clock.set(before.cycle_end);
        const after = await extra(account.id);
        assert.equal(after.spent_this_cycle_micros, 0);
        assert.equal(after.balance_micros, $(12));
        assert.equal(after.cycle_start, before.cycle_end);
        await assertAuditClean(h);
      });

      it('team plans: the allowance is per seat, extra usage is pooled on the account', async () => {
        const { account, owner } = await h.tb.createAccount(
          { name: 'Team', plan: 'tiny_team', seats: 2, owner_email: `team-owner-${engine.name}@example.com`, owner_password: 'correct horse' },
          OPERATOR,
        );
        const member = {
          id: h.tb.deps.ids.next('user'),
          email: `team-member-${engine.name}@example.com`,
          password_hash: 'not used here',
          created_at_ms: h.clock.now_ms(),
        };
        await h.tb.store.transaction((tx) => tx.insertUser(member));
        const invitation = await h.tb.inviteMember('plan', account.id, { email: member.email, role: 'member' }, OPERATOR);
        await h.tb.acceptInvitation(invitation.id, { user_id: member.id, email: member.email }, OPERATOR);
        await h.tb.addPaymentMethod(account.id, { token: 'tok_visa' }, OPERATOR);
        await h.tb.purchaseCredits(account.id, { amount_micros: $(10) }, 'team-credits', OPERATOR);
        await h.tb.updateExtraUsage(account.id, { enabled: true }, OPERATOR);

        await refused(
          h.tb.authorize({ account_id: account.id, app: 'web', model: 'claude-haiku-4-5', input_tokens: 1, max_output_tokens: 1 }),
          'invalid_request',
        );
        await useAllowance(account.id, 100, owner.id);
        assert.deepEqual(await windowsOf(account.id, owner.id), { rolling_5h: 100 });
        assert.deepEqual(await windowsOf(account.id, member.id), { rolling_5h: 0 }, "the owner's use leaves the member's seat untouched");

        const member_auth = await h.tb.authorize({
          account_id: account.id,
          app: 'web',
          model: 'claude-haiku-4-5',
          input_tokens: 7,
          max_output_tokens: 3,
          user_id: member.id,
        });
        assert.equal(member_auth.funding.source, 'allowance');
        const owner_auth = await h.tb.authorize({
          account_id: account.id,
          app: 'web',
          model: 'claude-haiku-4-5',
          input_tokens: 7,
          max_output_tokens: 3,
          user_id: owner.id,
        });
        assert.equal(owner_auth.funding.source, 'extra_usage', 'the full seat overflows into the pooled balance');
        await h.tb.settle(owner_auth.id, { input_tokens: 7, output_tokens: 3 });
        await h.tb.settle(member_auth.id, { input_tokens: 7, output_tokens: 3 });
        assert.equal((await extra(account.id)).balance_micros, $(10) - 22);
        await assertAuditClean(h);
      });

      it('team plans: a user_id that is not a member of the account gets no seat of its own', async () => {
        const { account } = await h.tb.createAccount(
          { name: 'Team 2', plan: 'tiny_team', seats: 1, owner_email: `team2-owner-${engine.name}@example.com`, owner_password: 'correct horse' },
          OPERATOR,
        );
        await refused(
          h.tb.authorize({
            account_id: account.id,
            app: 'web',
            model: 'claude-haiku-4-5',
            input_tokens: 50,
            max_output_tokens: 50,
            user_id: 'user_not_a_member',
          }),
          'invalid_request',
        );
      });
    });

    // ---- §1.4 apps and who pays ----------------------------------------------------------------

    describe('§1.4 apps and who pays', () => {
      it('example 8: a third-party app pays from extra usage although the plan has room — 6,000 charged, allowance untouched', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(10), extra_usage: true });
        const auth = await h.tb.authorize({
          account_id: account.id,
          app: 'claude-code',
          model: 'claude-sonnet-4-5',
          input_tokens: 1000,
          max_output_tokens: 200,
        });
        assert.deepEqual(auth.funding, {
          ...auth.funding,
          source: 'extra_usage',
          reason: 'third_party_extra_usage_only',
          allowance_tokens: 0,
          held_micros: 6000,
        });
        const settled = await h.tb.settle(auth.id, { input_tokens: 1000, output_tokens: 200 });
        assert.equal(settled.charged_micros, 6000);
        assert.deepEqual(await windowsOf(account.id), { rolling_5h: 0, weekly: 0 }, 'GET account: the windows did not move');
        const view = await extra(account.id);
        assert.equal(view.balance_micros, $(10) - 6000);
        assert.equal(view.spent_this_cycle_micros, 6000);
        const [record] = await h.tb.store.usageRecords({ account_id: account.id, limit: 1 });
        assert.deepEqual(
          [record?.source, record?.reason, record?.extra_usage_micros],
          ['extra_usage', 'third_party_extra_usage_only', 6000],
          'the usage record says why it came out of the credits',
        );
        await assertAuditClean(h);
      });

      it('example 7: first-party overflow with 3 tokens of room is mixed — allowance 3, extra usage ⌈22 × 7 / 10⌉ = 16', async () => {
        const account = await makeAccount(h, { plan: 'tiny', credits_micros: $(10), extra_usage: true });
        await useAllowance(account.id, 97);
        const auth = await h.tb.authorize({ account_id: account.id, app: 'web', model: 'claude-haiku-4-5', input_tokens: 7, max_output_tokens: 3 });
        assert.deepEqual(
          [auth.funding.source, auth.funding.reason, auth.funding.allowance_tokens, auth.funding.held_micros],
          ['mixed', 'first_party_mixed', 3, 16],
        );
        assert.equal((await extra(account.id)).held_micros, 16);
        const settled = await h.tb.settle(auth.id, { input_tokens: 7, output_tokens: 3 });
        assert.deepEqual([settled.cost_micros, settled.settled_allowance_tokens, settled.charged_micros], [22, 3, 16]);
        assert.deepEqual(await windowsOf(account.id), { rolling_5h: 100, weekly: 100 });
        const view = await extra(account.id);
        assert.deepEqual([view.balance_micros, view.held_micros, view.spent_this_cycle_micros], [$(10) - 16, 0, 16]);
        const usage = await h.tb.getUsage(account.id, { group_by: 'source' });
        const mixed = usage.buckets.find((b) => b.group === 'mixed');
        assert.equal(mixed?.extra_usage_micros, 16);
        await assertAuditClean(h);
      });

      it('first-party with the allowance used up and extra usage off: allowance_exhausted, with the time it resets', async () => {
        const account = await makeAccount(h, { plan: 'tiny', credits_micros: $(10) });
        await useAllowance(account.id, 95);
        const opened = h.clock.ms;
        const error = await refused(
          h.tb.authorize({ account_id: account.id, app: 'web', model: 'claude-haiku-4-5', input_tokens: 7, max_output_tokens: 3 }),
          'allowance_exhausted',
        );
        assert.equal(error.figures.resets_at, new Date(opened + 5 * HOUR_MS).toISOString());
        assert.equal(error.figures.allowance_tokens_left, 5);
        assert.equal((await extra(account.id)).balance_micros, $(10), 'extra usage off: no request draws on it');
        await assertAuditClean(h);
      });

      it('a price change applies from its effective date; a hold keeps the price it was authorized at', async () => {
        const model = { id: `dated-${engine.name}`, tier: 'haiku' as const, allowance_multiplier_milli: 1000 };
        const change_at = h.clock.ms + HOUR_MS;
        await h.tb.replaceCatalog(
          {
            plans: [],
            models: [model],
            prices: [
              {
                id: `${model.id}-v1`,
                model_id: model.id,
                effective_at_ms: Date.UTC(2025, 0, 1),
                input_micros_per_mtok: 1_000_000,
                output_micros_per_mtok: 5_000_000,
                cache_write_micros_per_mtok: 1_250_000,
                cache_read_micros_per_mtok: 100_000,
              },
              {
                id: `${model.id}-v2`,
                model_id: model.id,
                effective_at_ms: change_at,
                input_micros_per_mtok: 2_000_000,
                output_micros_per_mtok: 10_000_000,
                cache_write_micros_per_mtok: 2_500_000,
                cache_read_micros_per_mtok: 200_000,
              },
            ],
            apps: [],
          },
          OPERATOR,
        );
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(5), extra_usage: true });
        const request = { account_id: account.id, app: 'cline', model: model.id, input_tokens: 1000, max_output_tokens: 1000 };
        const before_change = await h.tb.authorize(request);
        assert.equal(before_change.funding.held_micros, 6000);
        h.clock.set(new Date(change_at).toISOString());
        const after_change = await h.tb.authorize(request);
        assert.equal(after_change.funding.held_micros, 12_000);
        assert.equal((await h.tb.settle(before_change.id, { input_tokens: 1000, output_tokens: 1000 })).charged_micros, 6000);
        assert.equal((await h.tb.settle(after_change.id, { input_tokens: 1000, output_tokens: 1000 })).charged_micros, 12_000);
        const [old_event] = await h.tb.recordUsageEvents([
          {
            id: 'dated-1',
            account_id: account.id,
            app: 'cline',
            model: model.id,
            usage: { input_tokens: 1000, output_tokens: 1000 },
            timestamp: new Date(change_at - 1).toISOString(),
          },
        ]);
        assert.equal(old_event?.ok && old_event.record.extra_usage_micros, 6000, 'an event is priced at the time the usage happened');
        await assertAuditClean(h);
      });

      it('a third-party app with extra usage off or empty: extra_usage_required; turned on with credits it works', async () => {
        const account = await makeAccount(h, { plan: 'pro', card: 'tok_visa' });
        const request = { account_id: account.id, app: 'windsurf', model: 'claude-haiku-4-5', input_tokens: 10, max_output_tokens: 10 };
        await refused(h.tb.authorize(request), 'extra_usage_required');
        await h.tb.updateExtraUsage(account.id, { enabled: true }, OPERATOR);
        const empty = await refused(h.tb.authorize(request), 'extra_usage_required');
        assert.equal(empty.figures.balance_micros, 0);
        await h.tb.purchaseCredits(account.id, { amount_micros: $(5) }, 'k1', OPERATOR);
        const auth = await h.tb.authorize(request);
        assert.equal(auth.funding.held_micros, 60);
        await h.tb.release(auth.id);
        await h.tb.updateExtraUsage(account.id, { enabled: false }, OPERATOR);
        await refused(h.tb.authorize(request), 'extra_usage_required');
        await assertAuditClean(h);
      });
    });

    // ---- §1.5 extra usage ------------------------------------------------------------------------

    describe('§1.5 extra usage: paid plan, balance parts, purchases', () => {
      it('the free plan cannot add credits or pay third-party apps: plan_required', async () => {
        const account = await makeAccount(h, { plan: 'free', card: 'tok_visa' });
        const charges = h.payments.charges.size;
        await refused(h.tb.purchaseCredits(account.id, { amount_micros: $(10) }, 'free-1', OPERATOR), 'plan_required');
        await refused(
          h.tb.authorize({ account_id: account.id, app: 'claude-code', model: 'claude-haiku-4-5', input_tokens: 1, max_output_tokens: 1 }),
          'plan_required',
        );
        assert.equal(h.payments.charges.size, charges, 'no card charged');
        assert.equal((await extra(account.id)).balance_micros, 0);
        await assertAuditClean(h);
      });

      it('a lapsed plan keeps the balance, frozen and shown: purchases and third-party use get plan_required', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(20), extra_usage: true });
        await h.tb.cancelSubscription(account.id, OPERATOR);
        const canceling = await extra(account.id);
        assert.equal(canceling.plan_status, 'canceling');
        assert.equal(
          (await outbox(account.id)).find((e) => e.type === 'plan.lapsing'),
          undefined,
          'a month ahead: not yet',
        );
        h.clock.ms = Date.parse(canceling.cycle_end) - 7 * DAY_MS;
        assert.equal(await h.tb.sendLapseNotices(), 1);
        const warning = (await outbox(account.id)).find((e) => e.type === 'plan.lapsing');
        assert.equal(warning?.payload.balance_micros, $(20), 'the owner is warned, with the balance that will be kept');

        h.clock.set(canceling.cycle_end);
        const lapsed = await extra(account.id);
        assert.equal(lapsed.plan_status, 'lapsed');
        assert.equal(lapsed.balance_micros, $(20), 'never silently forfeited');
        assert.equal(lapsed.purchased_micros, $(20));
        await refused(h.tb.purchaseCredits(account.id, { amount_micros: $(10) }, 'after-lapse', OPERATOR), 'plan_required');
        await refused(
          h.tb.authorize({ account_id: account.id, app: 'claude-code', model: 'claude-haiku-4-5', input_tokens: 1, max_output_tokens: 1 }),
          'plan_required',
        );
        await refused(
          h.tb.authorize({ account_id: account.id, app: 'web', model: 'claude-haiku-4-5', input_tokens: 1, max_output_tokens: 1 }),
          'plan_required',
        );
        assert.equal((await h.tb.getAccountView(account.id)).plan_status, 'lapsed');

        await h.tb.changeSubscription(account.id, { plan: 'pro' }, OPERATOR);
        const renewed = await extra(account.id);
        assert.equal(renewed.plan_status, 'active');
        assert.equal(renewed.balance_micros, $(20), 'renewing unfreezes the same balance');
        await assertAuditClean(h);
      });

      it('a charge in the very millisecond a lapsed plan is renewed counts in the cycle it was charged in: the spend counter and the audit agree', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(20), extra_usage: true });
        await h.tb.cancelSubscription(account.id, OPERATOR);
        const cycle_end_ms = Date.parse((await extra(account.id)).cycle_end);
        const hold = { account_id: account.id, app: 'cursor', model: 'claude-haiku-4-5', input_tokens: 1000, max_output_tokens: 1000 };
        h.clock.ms = cycle_end_ms - 30 * 60_000;
        const before_lapse = await h.tb.authorize({ ...hold, ttl_ms: 60 * 60_000 });
        h.clock.ms = cycle_end_ms + 10 * 60_000; // lapsed, the hold still open
        assert.equal((await extra(account.id)).plan_status, 'lapsed');
        const first = await h.tb.settle(before_lapse.id, { input_tokens: 1000, output_tokens: 1000 });
        assert.ok((first.charged_micros ?? 0) > 0, 'charged to extra usage, counted in the cycle of the old anchor');
        await h.tb.changeSubscription(account.id, { plan: 'pro' }, OPERATOR); // renewed: a new cycle starts now, this millisecond
        const renewed = await extra(account.id);
        assert.equal(renewed.cycle_start, new Date(h.clock.ms).toISOString());
        const second = await h.tb.settle((await h.tb.authorize(hold)).id, { input_tokens: 1000, output_tokens: 1000 });
        assert.equal((await extra(account.id)).spent_this_cycle_micros, second.charged_micros, 'the new cycle has only the second charge');
        await assertAuditClean(h);
      });

      it('promotional grants are used before purchased credits, soonest-expiring first; expireGrants moves the rest back', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(5), extra_usage: true });
        const soon = await h.tb.grantCredits(account.id, { amount_micros: $(1), expires_at: new Date(h.clock.ms + DAY_MS).toISOString() }, OPERATOR);
        const later = await h.tb.grantCredits(account.id, { amount_micros: $(2), expires_at: new Date(h.clock.ms + 10 * DAY_MS).toISOString() }, OPERATOR);
        let view = await extra(account.id);
        assert.deepEqual([view.purchased_micros, view.promotional_micros, view.balance_micros], [$(5), $(3), $(8)]);

        await spend(account.id, $(2.5));
        view = await extra(account.id);
        assert.deepEqual([view.purchased_micros, view.promotional_micros], [$(5), $(0.5)], 'purchased untouched');
        const grants = await h.tb.store.listGrants(account.id);
        assert.equal(grants.find((g) => g.id === soon.id)?.remaining_micros, 0);
        assert.equal(grants.find((g) => g.id === later.id)?.remaining_micros, $(0.5));

        h.clock.advance(10 * DAY_MS);
        assert.equal((await extra(account.id)).balance_micros, $(5), 'an expired grant is not spendable even before the job runs');
        assert.ok((await h.tb.expireGrants()) >= 1);
        view = await extra(account.id);
        assert.deepEqual([view.purchased_micros, view.promotional_micros, view.balance_micros], [$(5), 0, $(5)]);
        const expired = (await outbox(account.id)).filter((e) => e.type === 'grant.expired');
        assert.deepEqual(
          expired.map((e) => [e.payload.grant_id, e.payload.amount_micros]),
          [[later.id, $(0.5)]],
        );
        const transactions = await h.tb.listTransactions(account.id, {});
        assert.ok(transactions.data.some((t) => t.kind === 'grant_expiry' && t.amount_micros === -$(0.5)));
        await assertAuditClean(h);
      });

      for (const [token, type] of [
        ['tok_chargeDeclined', 'card_declined'],
        ['tok_insufficientFunds', 'insufficient_funds'],
        ['tok_expiredCard', 'expired_card'],
      ] as const) {
        it(`a purchase with ${token} is refused ${type}: nothing credited, the daily cap not consumed`, async () => {
          const account = await makeAccount(h, { plan: 'pro', card: token });
          const charges = h.payments.charges.size;
          const error = await refused(h.tb.purchaseCredits(account.id, { amount_micros: $(100) }, 'declined-1', OPERATOR), type);
          assert.ok(error.figures.purchase_id);
          assert.equal(h.payments.charges.size, charges);
          assert.equal((await extra(account.id)).balance_micros, 0);
          await h.tb.addPaymentMethod(account.id, { token: 'tok_visa' }, OPERATOR);
          const ok = await h.tb.purchaseCredits(account.id, { amount_micros: $(2000) }, 'declined-2', OPERATOR);
          assert.equal(ok.balance_micros, $(2000), 'the whole $2,000 of the day is still available');
          await assertAuditClean(h);
        });
      }

      it('a retried purchase (same Idempotency-Key, same body) charges the card once', async () => {
        const account = await makeAccount(h, { plan: 'pro', card: 'tok_visa' });
        const charges = h.payments.charges.size;
        const first = await h.tb.purchaseCredits(account.id, { amount_micros: $(25) }, 'buy-once', OPERATOR);
        const retry = await h.tb.purchaseCredits(account.id, { amount_micros: $(25) }, 'buy-once', OPERATOR);
        assert.equal(retry.purchase.id, first.purchase.id);
        assert.equal(retry.replayed, true);
        assert.equal(h.payments.charges.size, charges + 1);
        assert.equal((await extra(account.id)).balance_micros, $(25));
        await refused(h.tb.purchaseCredits(account.id, { amount_micros: $(30) }, 'buy-once', OPERATOR), 'idempotency_conflict');
        assert.equal(h.payments.charges.size, charges + 1);
        await assertAuditClean(h);
      });

      it('example 12: $1,500 then $600 on one UTC day — the second is daily_cap_reached; from 00:00 UTC it is allowed', async () => {
        const account = await makeAccount(h, { plan: 'pro', card: 'tok_visa' });
        await h.tb.purchaseCredits(account.id, { amount_micros: $(1500) }, 'cap-1', OPERATOR);
        const error = await refused(h.tb.purchaseCredits(account.id, { amount_micros: $(600) }, 'cap-2', OPERATOR), 'daily_cap_reached');
        const midnight = new Date(h.clock.ms);
        midnight.setUTCHours(24, 0, 0, 0);
        assert.equal(error.figures.resets_at, midnight.toISOString());
        assert.equal(error.figures.redeemed_today_micros, $(1500));
        h.clock.set(midnight.toISOString());
        const ok = await h.tb.purchaseCredits(account.id, { amount_micros: $(600) }, 'cap-3', OPERATOR);
        assert.equal(ok.balance_micros, $(2100));
        await assertAuditClean(h);
      });
    });

    // ---- §1.6 monthly spend limit ----------------------------------------------------------------

    describe('§1.6 the monthly spend limit is a hard cap', () => {
      it('enabling extra usage sets a $50 limit; null (unlimited) is only an explicit choice', async () => {
        const account = await makeAccount(h, { plan: 'pro', extra_usage: true });
        assert.equal((await extra(account.id)).monthly_spend_limit_micros, $(50));
        await h.tb.updateExtraUsage(account.id, { monthly_spend_limit_micros: null }, OPERATOR);
        assert.equal((await extra(account.id)).monthly_spend_limit_micros, null);
        // The rule as written in the README: enabling sets the default whenever no limit is set,
        // so turning extra usage off and on again puts the $50 cap back unless the same request
        // says null again. (Errs on the side of a cap; see the report.)
        await h.tb.updateExtraUsage(account.id, { enabled: false }, OPERATOR);
        await h.tb.updateExtraUsage(account.id, { enabled: true }, OPERATOR);
        assert.equal((await extra(account.id)).monthly_spend_limit_micros, $(50));
        await h.tb.updateExtraUsage(account.id, { enabled: false }, OPERATOR);
        await h.tb.updateExtraUsage(account.id, { enabled: true, monthly_spend_limit_micros: null }, OPERATOR);
        assert.equal((await extra(account.id)).monthly_spend_limit_micros, null, 'unless the same request chooses unlimited');
        await assertAuditClean(h);
      });

      it('a hold for max_output_tokens that would pass the limit is refused spend_limit_reached, though the balance covers it', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(20), extra_usage: true, limit_micros: $(5) });
        await spend(account.id, $(4.9));
        const error = await refused(
          h.tb.authorize({ account_id: account.id, app: 'claude-code', model: 'claude-opus-4-5', input_tokens: 1000, max_output_tokens: 4000 }),
          'spend_limit_reached',
        );
        assert.deepEqual(
          [error.figures.limit_micros, error.figures.spent_micros, error.figures.held_micros, error.figures.required_micros],
          [$(5), $(4.9), 0, 105_000],
        );
        assert.equal((await extra(account.id)).available_micros, $(15.1), 'the balance would have covered it');
        const fits = await h.tb.authorize({
          account_id: account.id,
          app: 'claude-code',
          model: 'claude-opus-4-5',
          input_tokens: 1000,
          max_output_tokens: 3800,
        });
        assert.equal(fits.funding.held_micros, 100_000, 'exactly up to the limit is allowed');
        await h.tb.release(fits.id);
        await assertAuditClean(h);
      });

      it('example 5: limit $5, balance $20, 300 concurrent holds of 105,000 → exactly 47 held (4,935,000), the rest spend_limit_reached', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(20), extra_usage: true, limit_micros: $(5) });
        const results = await Promise.allSettled(
          Array.from({ length: 300 }, () =>
            h.tb.authorize({ account_id: account.id, app: 'claude-code', model: 'claude-opus-4-5', input_tokens: 1000, max_output_tokens: 4000 }),
          ),
        );
        const held = results.filter((r) => r.status === 'fulfilled');
        const refusals = results.flatMap((r) => (r.status === 'rejected' ? [r.reason instanceof AppError ? r.reason.type : String(r.reason)] : []));
        assert.equal(held.length, 47);
        assert.deepEqual([...new Set(refusals)], ['spend_limit_reached']);
        const view = await extra(account.id);
        assert.equal(view.held_micros, 4_935_000);
        assert.equal(view.balance_micros, $(20));
        await assertAuditClean(h);
      });

      it('warnings at 80 % and 100 % of the limit are written to the outbox once each', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(20), extra_usage: true, limit_micros: $(10) });
        await spend(account.id, $(7.9));
        await spend(account.id, $(0.1));
        await spend(account.id, $(1));
        await spend(account.id, $(1)); // an event is never refused, even past the limit
        const events = (await outbox(account.id)).filter((e) => e.type.startsWith('spend_limit.'));
        assert.deepEqual(
          events.map((e) => [e.type, e.payload.spent_micros]),
          [
            ['spend_limit.warning', $(8)],
            ['spend_limit.reached', $(10)],
          ],
        );
        await assertAuditClean(h);
      });
    });

    // ---- §1.7 auto-reload --------------------------------------------------------------------------

    describe('§1.7 auto-reload', () => {
      /** An account at example 9's point: limit $50, `spent` consumed, $2 available, reload $20 at $5. */
      async function atExample9(spent: number, card = 'tok_visa') {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: spent + $(2), extra_usage: true, limit_micros: $(50) });
        await spend(account.id, spent);
        if (card !== 'tok_visa') await h.tb.addPaymentMethod(account.id, { token: card }, OPERATOR);
        await h.tb.updateExtraUsage(account.id, { auto_reload: { enabled: true, amount_micros: $(20), threshold_micros: $(5) } }, OPERATOR);
        return account;
      }
      const small = (account_id: string) => ({ account_id, app: 'claude-code', model: 'claude-haiku-4-5', input_tokens: 10, max_output_tokens: 10 });

      it('example 9: $48 spent of $50, a $20 reload is skipped with reason limit — visible in last_event and the outbox', async () => {
        const account = await atExample9($(48));
        const charges = h.payments.charges.size;
        const auth = await h.tb.authorize(small(account.id));
        await h.tb.settle(auth.id, { input_tokens: 10, output_tokens: 10 });
        const view = await extra(account.id);
        assert.equal(view.auto_reload.last_event?.type, 'skipped');
        assert.equal(view.auto_reload.last_event?.reason, 'limit');
        const skips = (await outbox(account.id)).filter((e) => e.type === 'auto_reload.skipped');
        assert.equal(skips.length, 1, 'a skip is recorded once while nothing changes, not per request');
        assert.deepEqual(
          [skips[0]?.payload.reason, skips[0]?.payload.spent_micros, skips[0]?.payload.limit_micros, skips[0]?.payload.amount_micros],
          ['limit', $(48), $(50), $(20)],
        );
        assert.equal(await h.tb.processPendingPurchases(), 0);
        assert.equal(h.payments.charges.size, charges, 'no card charged');
        await assertAuditClean(h);
      });

      it('example 9: with $30 spent it fires — one charge of $20 even with many concurrent requests', async () => {
        const account = await atExample9($(30));
        const charges = h.payments.charges.size;
        const auths = await Promise.all(Array.from({ length: 20 }, () => h.tb.authorize(small(account.id))));
        const fired = (await outbox(account.id)).filter((e) => e.type === 'auto_reload.fired');
        assert.equal(fired.length, 1, 'one firing, one reload in flight');
        assert.equal(await h.tb.processPendingPurchases(), 1);
        assert.equal(await h.tb.processPendingPurchases(), 0, 'a second run finds nothing to charge');
        assert.equal(h.payments.charges.size, charges + 1);
        const view = await extra(account.id);
        assert.equal(view.balance_micros, $(22));
        assert.deepEqual([view.auto_reload.last_event?.type, view.auto_reload.last_event?.amount_micros], ['succeeded', $(20)]);
        const [wallet] = await db.query<{ redeemed_day_micros: number }>(`SELECT redeemed_day_micros FROM wallets WHERE account_id = $1`, [account.id]);
        assert.equal(wallet!.redeemed_day_micros, $(32) + $(20), 'the $32 purchase and one $20 reload: the firing took its share of the daily cap once');
        for (const a of auths) await h.tb.release(a.id);
        await assertAuditClean(h);
      });

      it('a reload in flight counts against the daily redemption cap: a $100 reload pending, then a $2,000 purchase is daily_cap_reached', async () => {
        const account = await makeAccount(h, { plan: 'pro', card: 'tok_visa', extra_usage: true, limit_micros: null });
        await h.tb.grantCredits(account.id, { amount_micros: $(3) }, OPERATOR);
        await h.tb.updateExtraUsage(account.id, { auto_reload: { enabled: true, amount_micros: $(100), threshold_micros: $(5) } }, OPERATOR);
        const auth = await h.tb.authorize(small(account.id));
        assert.equal((await outbox(account.id)).filter((e) => e.type === 'auto_reload.fired').length, 1, 'the reload fired and is pending');
        const error = await refused(h.tb.purchaseCredits(account.id, { amount_micros: $(2000) }, 'cap-with-reload', OPERATOR), 'daily_cap_reached');
        assert.equal(error.figures.redeemed_today_micros, $(100));
        await h.tb.purchaseCredits(account.id, { amount_micros: $(1900) }, 'cap-fits', OPERATOR);
        assert.equal(await h.tb.processPendingPurchases(), 1);
        const [wallet] = await db.query<{ redeemed_day_micros: number }>(`SELECT redeemed_day_micros FROM wallets WHERE account_id = $1`, [account.id]);
        assert.equal(wallet!.redeemed_day_micros, $(2000), 'the reload counted once, when it fired');
        assert.equal((await extra(account.id)).balance_micros, $(2003));
        await h.tb.release(auth.id);
        await assertAuditClean(h);
      });

      it('with no payment method on file a reload is skipped, reason no_payment_method', async () => {
        const account = await makeAccount(h, { plan: 'pro', extra_usage: true });
        await h.tb.grantCredits(account.id, { amount_micros: $(3) }, OPERATOR);
        await h.tb.updateExtraUsage(account.id, { auto_reload: { enabled: true, amount_micros: $(20), threshold_micros: $(5) } }, OPERATOR);
        const auth = await h.tb.authorize(small(account.id));
        const view = await extra(account.id);
        assert.deepEqual([view.auto_reload.last_event?.type, view.auto_reload.last_event?.reason], ['skipped', 'no_payment_method']);
        assert.equal((await outbox(account.id)).filter((e) => e.type === 'auto_reload.skipped').length, 1);
        await h.tb.release(auth.id);
        await assertAuditClean(h);
      });

      it('the operator’s daily redemption cap also stops a reload (skipped, reason daily_cap)', async () => {
        const capped = await harness(db, { settings: { redeemed_micros_per_day_max: $(30) } });
        capped.clock.set(new Date(h.clock.ms).toISOString());
        const account = await makeAccount(capped, { plan: 'pro', credits_micros: $(10), extra_usage: true, limit_micros: null });
        await capped.tb.recordUsageEvents([
          {
            id: 'cap-spend',
            account_id: account.id,
            app: 'cursor',
            model: 'claude-opus-4-5',
            usage: { input_tokens: 0, output_tokens: $(9) / 25 },
            timestamp: new Date(capped.clock.ms).toISOString(),
          },
        ]);
        await capped.tb.updateExtraUsage(account.id, { auto_reload: { enabled: true, amount_micros: $(25), threshold_micros: $(5) } }, OPERATOR);
        const auth = await capped.tb.authorize(small(account.id)); // $10 redeemed today + $25 > $30
        await capped.tb.release(auth.id);
        try {
          const view = await capped.tb.getExtraUsage(account.id);
          assert.deepEqual([view.auto_reload.last_event?.type, view.auto_reload.last_event?.reason], ['skipped', 'daily_cap']);
        } finally {
          await capped.tb.processPendingPurchases(); // a reload that fired anyway must not leak into the next scenario
        }
        await assertAuditClean(capped);
      });

      it('a declined reload is retried with backoff, at most 3 attempts, then auto-reload turns itself off', async () => {
        const account = await atExample9($(30), 'tok_chargeDeclined');
        const auth = await h.tb.authorize(small(account.id));
        assert.equal(await h.tb.processPendingPurchases(), 1); // attempt 1
        assert.equal(await h.tb.processPendingPurchases(), 0, 'not before its backoff');
        h.clock.advance(60_000);
        assert.equal(await h.tb.processPendingPurchases(), 1); // attempt 2
        h.clock.advance(4 * 60_000);
        assert.equal(await h.tb.processPendingPurchases(), 1); // attempt 3, the last
        const view = await extra(account.id);
        assert.equal(view.auto_reload.enabled, false);
        assert.deepEqual([view.auto_reload.last_event?.type, view.auto_reload.last_event?.reason], ['failed', 'card_declined']);
        assert.equal(view.balance_micros, $(2), 'nothing credited');
        const [wallet] = await db.query<{ redeemed_day_micros: number }>(`SELECT redeemed_day_micros FROM wallets WHERE account_id = $1`, [account.id]);
        assert.equal(wallet!.redeemed_day_micros, $(32), 'only the $32 purchase counts: a reload that finally failed gives its share of the daily cap back');
        const types = (await outbox(account.id)).map((e) => e.type).filter((t) => t.startsWith('auto_reload.'));
        assert.deepEqual(types, ['auto_reload.fired', 'auto_reload.failed', 'auto_reload.failed', 'auto_reload.disabled', 'auto_reload.failed']);
        await h.tb.release(auth.id);
        await assertAuditClean(h);
      });
    });

    // ---- §1.8 authorizations ---------------------------------------------------------------------

    describe('§1.8 authorizations: holds, settle, release, expiry, idempotency', () => {
      const sonnet = (account_id: string) => ({ account_id, app: 'claude-code', model: 'claude-sonnet-4-5', input_tokens: 1000, max_output_tokens: 1000 });

      it('example 6: settled above its hold (18,000) with output 1,500 → charged 25,500; below zero → negative_balance until paid back', async () => {
        const account = await makeAccount(h, { plan: 'pro', card: 'tok_visa', extra_usage: true, limit_micros: null });
        await h.tb.grantCredits(account.id, { amount_micros: 20_000 }, OPERATOR);
        const auth = await h.tb.authorize(sonnet(account.id));
        assert.equal(auth.funding.held_micros, 18_000);
        const settled = await h.tb.settle(auth.id, { input_tokens: 1000, output_tokens: 1500 });
        assert.equal(settled.charged_micros, 25_500);
        const view = await extra(account.id);
        assert.deepEqual([view.balance_micros, view.purchased_micros, view.promotional_micros, view.held_micros], [-5_500, -5_500, 0, 0]);
        const error = await refused(h.tb.authorize({ ...sonnet(account.id), max_output_tokens: 1 }), 'negative_balance');
        assert.equal(error.figures.owed_micros, 5_500);
        await h.tb.purchaseCredits(account.id, { amount_micros: $(5) }, 'pay-back', OPERATOR);
        assert.equal((await extra(account.id)).balance_micros, $(5) - 5_500);
        const next = await h.tb.authorize(sonnet(account.id));
        assert.equal(next.status, 'held');
        await h.tb.release(next.id);
        await assertAuditClean(h);
      });

      it('release drops a hold with no charge; a released hold cannot be settled', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(5), extra_usage: true });
        const auth = await h.tb.authorize(sonnet(account.id));
        assert.equal((await extra(account.id)).held_micros, 18_000);
        const released = await h.tb.release(auth.id);
        assert.equal(released.status, 'released');
        const view = await extra(account.id);
        assert.deepEqual([view.held_micros, view.balance_micros, view.spent_this_cycle_micros], [0, $(5), 0]);
        assert.equal((await h.tb.release(auth.id)).status, 'released', 'release is idempotent');
        await refused(h.tb.settle(auth.id, { input_tokens: 1000, output_tokens: 10 }), 'conflict');
        await assertAuditClean(h);
      });

      it('a hold not settled within its TTL expires and is released; a settle arriving later is still charged', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(5), extra_usage: true });
        const auth = await h.tb.authorize({ ...sonnet(account.id), ttl_ms: 60_000 });
        assert.equal(auth.expires_at_ms, h.clock.ms + 60_000);
        h.clock.advance(59_999);
        await h.tb.expireHolds();
        assert.equal((await h.tb.getAuthorization(auth.id))?.status, 'held', 'not before its TTL');
        h.clock.advance(1);
        assert.ok((await h.tb.expireHolds()) >= 1);
        assert.equal((await h.tb.getAuthorization(auth.id))?.status, 'expired');
        assert.equal((await extra(account.id)).held_micros, 0);
        const late = await h.tb.settle(auth.id, { input_tokens: 1000, output_tokens: 500 });
        assert.equal(late.status, 'settled');
        assert.equal(late.charged_micros, 10_500);
        const view = await extra(account.id);
        assert.deepEqual([view.balance_micros, view.held_micros], [$(5) - 10_500, 0], 'usage that happened is never lost, and not released twice');
        await assertAuditClean(h);
      });

      it('the default TTL is 10 minutes', async () => {
        const account = await makeAccount(h, { plan: 'pro' });
        const auth = await h.tb.authorize({ account_id: account.id, app: 'web', model: 'claude-haiku-4-5', input_tokens: 1, max_output_tokens: 1 });
        assert.equal(auth.expires_at_ms - auth.created_at_ms, 10 * 60_000);
        await h.tb.release(auth.id);
      });

      it('authorize is idempotent by key: same body → the same hold; a different body → idempotency_conflict', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(5), extra_usage: true });
        const first = await h.tb.authorize(sonnet(account.id), 'req-1');
        const again = await h.tb.authorize(sonnet(account.id), 'req-1');
        assert.equal(again.id, first.id);
        assert.equal((await extra(account.id)).held_micros, 18_000, 'held once');
        const conflict = await refused(h.tb.authorize({ ...sonnet(account.id), max_output_tokens: 999 }, 'req-1'), 'idempotency_conflict');
        assert.equal(conflict.figures.authorization_id, first.id);
        const other = await h.tb.authorize(sonnet(account.id), 'req-2');
        assert.notEqual(other.id, first.id);
        await h.tb.release(first.id);
        await h.tb.release(other.id);
        await assertAuditClean(h);
      });

      it('settle is idempotent by authorization: same usage → the same result, charged once; different usage → idempotency_conflict', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(5), extra_usage: true });
        const auth = await h.tb.authorize(sonnet(account.id));
        const usage = { input_tokens: 1000, output_tokens: 200 };
        const first = await h.tb.settle(auth.id, usage);
        const again = await h.tb.settle(auth.id, { ...usage });
        assert.deepEqual([again.id, again.status, again.charged_micros], [first.id, 'settled', 6000]);
        assert.equal((await extra(account.id)).balance_micros, $(5) - 6000, 'charged once');
        await refused(h.tb.settle(auth.id, { input_tokens: 1000, output_tokens: 201 }), 'idempotency_conflict');
        assert.equal((await h.tb.store.usageRecords({ account_id: account.id, limit: 10 })).length, 1);
        await assertAuditClean(h);
      });
    });

    // ---- §1.8 usage events -------------------------------------------------------------------------

    describe('§1.8 usage events without a hold', () => {
      it('a duplicate event id is charged once, in one batch or across batches; different content is a conflict', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(5), extra_usage: true });
        const e = {
          id: 'evt-dup',
          account_id: account.id,
          app: 'claude-code',
          model: 'claude-sonnet-4-5',
          usage: { input_tokens: 1000, output_tokens: 200 },
          timestamp: at(),
        };
        const batch = await h.tb.recordUsageEvents([e, e]);
        assert.deepEqual(
          batch.map((r) => r.ok && r.duplicate),
          [false, true],
        );
        const retry = await h.tb.recordUsageEvents([e]);
        assert.ok(retry[0]?.ok && retry[0].duplicate);
        assert.equal(retry[0]?.ok && retry[0].record.id, batch[0]?.ok && batch[0].record.id);
        assert.equal((await extra(account.id)).balance_micros, $(5) - 6000, 'charged once');
        const [changed] = await h.tb.recordUsageEvents([{ ...e, usage: { input_tokens: 1000, output_tokens: 201 } }]);
        assert.ok(changed && !changed.ok && changed.error.type === 'idempotency_conflict');
        await assertAuditClean(h);
      });

      it('an event is never refused for lack of funds: it is charged, and the balance may go below zero', async () => {
        const account = await makeAccount(h, { plan: 'pro', extra_usage: true });
        const record = await event(account.id, { app: 'claude-code', model: 'claude-sonnet-4-5', usage: { input_tokens: 1000, output_tokens: 200 } });
        assert.equal(record.extra_usage_micros, 6000);
        assert.equal((await extra(account.id)).balance_micros, -6000);
        await refused(
          h.tb.authorize({ account_id: account.id, app: 'claude-code', model: 'claude-haiku-4-5', input_tokens: 1, max_output_tokens: 1 }),
          'negative_balance',
        );
        await assertAuditClean(h);
      });

      it('a batch of more than 1,000 events is refused whole, naming events; 1,000 is accepted', async () => {
        const account = await makeAccount(h, { plan: 'pro', credits_micros: $(5), extra_usage: true });
        const make = (n: number) =>
          Array.from({ length: n }, (_, i) => ({
            id: `bulk-${i}`,
            account_id: account.id,
            app: 'claude-code',
            model: 'claude-haiku-4-5',
            usage: { input_tokens: 1, output_tokens: 0 },
            timestamp: at(),
          }));
        const error = await refused(h.tb.recordUsageEvents(make(1001)), 'invalid_request');
        assert.equal(error.figures.field, 'events');
        assert.equal((await extra(account.id)).balance_micros, $(5), 'nothing of the refused batch was charged');
        const results = await h.tb.recordUsageEvents(make(1000));
        assert.equal(results.filter((r) => r.ok && !r.duplicate).length, 1000);
        assert.equal((await extra(account.id)).balance_micros, $(5) - 1000);
        await assertAuditClean(h);
      });
    });
  });
}
