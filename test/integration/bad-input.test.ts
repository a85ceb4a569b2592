// Bad input is refused, not reinterpreted (STYLE habit 10; SPEC §2 "400 invalid_request, naming
// the field"): negative, fractional, huge and string-typed amounts and token counts, unknown
// models, apps and accounts, oversized batches. Each case checks the type, that the field is
// named, and that nothing changed: the extra-usage view is the same before and after, no
// transfer was written and the ledger proof still holds.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { assertAuditClean, harness, makeAccount, OPERATOR, type Harness } from '../fixtures/tokenbank';
import { AppError } from '../../src/domain/refusals';
import { limits } from '../../src/domain/limits';
import type { Db } from '../../src/store/db';

after(closeAll);

interface Context {
  h: Harness;
  account_id: string;
  /** A live hold on the account, for settle cases. */
  auth_id: string;
  at: string;
}

interface Case {
  name: string;
  call: (c: Context) => Promise<unknown>;
  type: 'invalid_request' | 'not_found';
  /** The field named in figures.field (invalid_request) or the id in figures.id (not_found). */
  names: string;
}

const authorize = (c: Context, over: Record<string, unknown>, key?: unknown) =>
  c.h.tb.authorize({ account_id: c.account_id, app: 'claude-code', model: 'claude-haiku-4-5', input_tokens: 100, max_output_tokens: 100, ...over }, key);
const settle = (c: Context, usage: unknown) => c.h.tb.settle(c.auth_id, usage);
const purchase = (c: Context, input: { amount_micros: unknown; payment_method_id?: unknown }, key: { key: unknown } = { key: `buy-${Math.random()}` }) => c.h.tb.purchaseCredits(c.account_id, input, key.key, OPERATOR);
const patch = (c: Context, body: Record<string, unknown>) => c.h.tb.updateExtraUsage(c.account_id, body, OPERATOR);
const good_event = (c: Context, over: Record<string, unknown> = {}) => ({ id: `bad-input-${Math.random()}`, account_id: c.account_id, app: 'claude-code', model: 'claude-haiku-4-5', usage: { input_tokens: 10, output_tokens: 10 }, timestamp: c.at, ...over });

const TOO_MANY_TOKENS = limits.tokens_per_request_max + 1;
const TOO_MUCH_MONEY = limits.amount_micros_max + 1;

const cases: Case[] = [
  // ---- authorize: token counts -----------------------------------------------------------------
  { name: 'authorize: negative input_tokens', call: (c) => authorize(c, { input_tokens: -1 }), type: 'invalid_request', names: 'input_tokens' },
  { name: 'authorize: fractional input_tokens', call: (c) => authorize(c, { input_tokens: 1.5 }), type: 'invalid_request', names: 'input_tokens' },
  { name: 'authorize: input_tokens over tokens_per_request_max', call: (c) => authorize(c, { input_tokens: TOO_MANY_TOKENS }), type: 'invalid_request', names: 'input_tokens' },
  { name: 'authorize: input_tokens as a string', call: (c) => authorize(c, { input_tokens: '100' }), type: 'invalid_request', names: 'input_tokens' },
  { name: 'authorize: input_tokens missing', call: (c) => authorize(c, { input_tokens: undefined }), type: 'invalid_request', names: 'input_tokens' },
  { name: 'authorize: input_tokens NaN', call: (c) => authorize(c, { input_tokens: Number.NaN }), type: 'invalid_request', names: 'input_tokens' },
  { name: 'authorize: input_tokens Infinity', call: (c) => authorize(c, { input_tokens: Number.POSITIVE_INFINITY }), type: 'invalid_request', names: 'input_tokens' },
  { name: 'authorize: max_output_tokens 0', call: (c) => authorize(c, { max_output_tokens: 0 }), type: 'invalid_request', names: 'max_output_tokens' },
  { name: 'authorize: huge max_output_tokens', call: (c) => authorize(c, { max_output_tokens: 1e15 }), type: 'invalid_request', names: 'max_output_tokens' },
  { name: 'authorize: max_output_tokens as a string', call: (c) => authorize(c, { max_output_tokens: '4000' }), type: 'invalid_request', names: 'max_output_tokens' },
  { name: 'authorize: ttl_ms over an hour', call: (c) => authorize(c, { ttl_ms: limits.hold_ttl_ms_max + 1 }), type: 'invalid_request', names: 'ttl_ms' },
  { name: 'authorize: ttl_ms under a second', call: (c) => authorize(c, { ttl_ms: 999 }), type: 'invalid_request', names: 'ttl_ms' },
  { name: 'authorize: ttl_ms as a string', call: (c) => authorize(c, { ttl_ms: '60000' }), type: 'invalid_request', names: 'ttl_ms' },
  // ---- authorize: names --------------------------------------------------------------------------
  { name: 'authorize: unknown model', call: (c) => authorize(c, { model: 'gpt-5' }), type: 'invalid_request', names: 'model' },
  { name: 'authorize: unknown app', call: (c) => authorize(c, { app: 'notepad' }), type: 'invalid_request', names: 'app' },
  { name: 'authorize: unknown account', call: (c) => authorize(c, { account_id: 'acct_nobody' }), type: 'not_found', names: 'acct_nobody' },
  { name: 'authorize: account_id as a number', call: (c) => authorize(c, { account_id: 42 }), type: 'invalid_request', names: 'account_id' },
  { name: 'authorize: empty app', call: (c) => authorize(c, { app: '' }), type: 'invalid_request', names: 'app' },
  { name: 'authorize: user_id as a number', call: (c) => authorize(c, { user_id: 7 }), type: 'invalid_request', names: 'user_id' },
  { name: 'authorize: Idempotency-Key longer than 255', call: (c) => authorize(c, {}, 'k'.repeat(256)), type: 'invalid_request', names: 'Idempotency-Key' },
  { name: 'authorize: Idempotency-Key as a number', call: (c) => authorize(c, {}, 12), type: 'invalid_request', names: 'Idempotency-Key' },
  // ---- settle / release ------------------------------------------------------------------------------
  { name: 'settle: negative output_tokens', call: (c) => settle(c, { input_tokens: 100, output_tokens: -5 }), type: 'invalid_request', names: 'usage.output_tokens' },
  { name: 'settle: fractional output_tokens', call: (c) => settle(c, { input_tokens: 100, output_tokens: 2.5 }), type: 'invalid_request', names: 'usage.output_tokens' },
  { name: 'settle: huge input_tokens', call: (c) => settle(c, { input_tokens: TOO_MANY_TOKENS, output_tokens: 0 }), type: 'invalid_request', names: 'usage.input_tokens' },
  { name: 'settle: output_tokens as a string', call: (c) => settle(c, { input_tokens: 100, output_tokens: '200' }), type: 'invalid_request', names: 'usage.output_tokens' },
  { name: 'settle: cache reads as a string', call: (c) => settle(c, { input_tokens: 100, output_tokens: 1, cache_read_input_tokens: '9' }), type: 'invalid_request', names: 'usage.cache_read_input_tokens' },
  { name: 'settle: output_tokens missing', call: (c) => settle(c, { input_tokens: 100 }), type: 'invalid_request', names: 'usage.output_tokens' },
  { name: 'purchase: $5.000001 (card charges are whole cents)', call: (c) => c.h.tb.purchaseCredits(c.account_id, { amount_micros: 5_000_001 }, 'cents-1', OPERATOR), type: 'invalid_request', names: 'amount_micros' },
  { name: 'auto-reload amount of $20.000001 (card charges are whole cents)', call: (c) => c.h.tb.updateExtraUsage(c.account_id, { auto_reload: { enabled: true, amount_micros: 20_000_001, threshold_micros: 5_000_000 } }, OPERATOR), type: 'invalid_request', names: 'auto_reload.amount_micros' },
  { name: 'settle: cache_creation parts that disagree with cache_creation_input_tokens', call: (c) => settle(c, { input_tokens: 100, output_tokens: 1, cache_creation_input_tokens: 10, cache_creation: { ephemeral_5m_input_tokens: 3, ephemeral_1h_input_tokens: 3 } }), type: 'invalid_request', names: 'usage.cache_creation_input_tokens' },
  { name: 'settle: a negative 1-hour cache write', call: (c) => settle(c, { input_tokens: 100, output_tokens: 1, cache_creation: { ephemeral_1h_input_tokens: -1 } }), type: 'invalid_request', names: 'usage.cache_creation.ephemeral_1h_input_tokens' },
  { name: 'settle: usage is not an object', call: (c) => settle(c, 'lots'), type: 'invalid_request', names: 'usage' },
  { name: 'settle: unknown authorization', call: (c) => c.h.tb.settle('auth_nothing', { input_tokens: 1, output_tokens: 1 }), type: 'not_found', names: 'auth_nothing' },
  { name: 'release: unknown authorization', call: (c) => c.h.tb.release('auth_nothing'), type: 'not_found', names: 'auth_nothing' },
  // ---- purchases ---------------------------------------------------------------------------------
  { name: 'purchase: negative amount', call: (c) => purchase(c, { amount_micros: -10_000_000 }), type: 'invalid_request', names: 'amount_micros' },
  { name: 'purchase: fractional amount', call: (c) => purchase(c, { amount_micros: 10_000_000.5 }), type: 'invalid_request', names: 'amount_micros' },
  { name: 'purchase: amount as a string', call: (c) => purchase(c, { amount_micros: '10000000' }), type: 'invalid_request', names: 'amount_micros' },
  { name: 'purchase: amount as dollars with a float', call: (c) => purchase(c, { amount_micros: 12.5 }), type: 'invalid_request', names: 'amount_micros' },
  { name: 'purchase: amount past amount_micros_max', call: (c) => purchase(c, { amount_micros: TOO_MUCH_MONEY }), type: 'invalid_request', names: 'amount_micros' },
  { name: 'purchase: amount past 2^53', call: (c) => purchase(c, { amount_micros: 2 ** 60 }), type: 'invalid_request', names: 'amount_micros' },
  { name: 'purchase: below the $5 minimum', call: (c) => purchase(c, { amount_micros: 4_999_999 }), type: 'invalid_request', names: 'amount_micros' },
  { name: 'purchase: above the $2,500 maximum', call: (c) => purchase(c, { amount_micros: 2_500_000_001 }), type: 'invalid_request', names: 'amount_micros' },
  { name: 'purchase: no Idempotency-Key', call: (c) => purchase(c, { amount_micros: 10_000_000 }, { key: undefined }), type: 'invalid_request', names: 'Idempotency-Key' },
  { name: 'purchase: unknown payment method', call: (c) => purchase(c, { amount_micros: 10_000_000, payment_method_id: 'pm_nothing' }), type: 'invalid_request', names: 'payment_method_id' },
  { name: 'purchase: unknown account', call: (c) => c.h.tb.purchaseCredits('acct_nobody', { amount_micros: 10_000_000 }, 'k', OPERATOR), type: 'not_found', names: 'acct_nobody' },
  { name: 'payment method: unknown sandbox token', call: (c) => c.h.tb.addPaymentMethod(c.account_id, { token: '4242424242424242' }, OPERATOR), type: 'invalid_request', names: 'token' },
  // ---- extra-usage settings ---------------------------------------------------------------------
  { name: 'limit: negative', call: (c) => patch(c, { monthly_spend_limit_micros: -1 }), type: 'invalid_request', names: 'monthly_spend_limit_micros' },
  { name: 'limit: fractional', call: (c) => patch(c, { monthly_spend_limit_micros: 50.5 }), type: 'invalid_request', names: 'monthly_spend_limit_micros' },
  { name: 'limit: as a string', call: (c) => patch(c, { monthly_spend_limit_micros: '50000000' }), type: 'invalid_request', names: 'monthly_spend_limit_micros' },
  { name: 'limit: past amount_micros_max', call: (c) => patch(c, { monthly_spend_limit_micros: TOO_MUCH_MONEY }), type: 'invalid_request', names: 'monthly_spend_limit_micros' },
  { name: 'enabled: the string "false"', call: (c) => patch(c, { enabled: 'false' }), type: 'invalid_request', names: 'enabled' },
  { name: 'auto-reload: amount below the minimum purchase', call: (c) => patch(c, { auto_reload: { enabled: true, amount_micros: 1_000_000, threshold_micros: 5_000_000 } }), type: 'invalid_request', names: 'auto_reload.amount_micros' },
  { name: 'auto-reload: negative threshold', call: (c) => patch(c, { auto_reload: { threshold_micros: -1 } }), type: 'invalid_request', names: 'auto_reload.threshold_micros' },
  { name: 'auto-reload: amount as a string', call: (c) => patch(c, { auto_reload: { amount_micros: '20000000' } }), type: 'invalid_request', names: 'auto_reload.amount_micros' },
  { name: 'auto-reload: turned on without amount and threshold', call: (c) => patch(c, { enabled: false, auto_reload: { enabled: true } }), type: 'invalid_request', names: 'auto_reload' },
  { name: 'auto-reload: not an object', call: (c) => patch(c, { auto_reload: 'on' }), type: 'invalid_request', names: 'auto_reload' },
  { name: 'extra usage: unknown account', call: (c) => c.h.tb.updateExtraUsage('acct_nobody', { enabled: true }, OPERATOR), type: 'not_found', names: 'acct_nobody' },
  // ---- grants ------------------------------------------------------------------------------------
  { name: 'grant: zero amount', call: (c) => c.h.tb.grantCredits(c.account_id, { amount_micros: 0 }, OPERATOR), type: 'invalid_request', names: 'amount_micros' },
  { name: 'grant: negative amount', call: (c) => c.h.tb.grantCredits(c.account_id, { amount_micros: -1_000_000 }, OPERATOR), type: 'invalid_request', names: 'amount_micros' },
  { name: 'grant: amount as a string', call: (c) => c.h.tb.grantCredits(c.account_id, { amount_micros: '1000000' }, OPERATOR), type: 'invalid_request', names: 'amount_micros' },
  { name: 'grant: expiry in the past', call: (c) => c.h.tb.grantCredits(c.account_id, { amount_micros: 1_000_000, expires_at: '2020-01-01T00:00:00Z' }, OPERATOR), type: 'invalid_request', names: 'expires_at' },
  { name: 'grant: expiry not a timestamp', call: (c) => c.h.tb.grantCredits(c.account_id, { amount_micros: 1_000_000, expires_at: 'next week' }, OPERATOR), type: 'invalid_request', names: 'expires_at' },
  { name: 'grant: unknown account', call: (c) => c.h.tb.grantCredits('acct_nobody', { amount_micros: 1_000_000 }, OPERATOR), type: 'not_found', names: 'acct_nobody' },
  // ---- usage events ------------------------------------------------------------------------------
  { name: 'events: not an array', call: (c) => c.h.tb.recordUsageEvents(good_event(c)), type: 'invalid_request', names: 'events' },
  { name: 'events: empty', call: (c) => c.h.tb.recordUsageEvents([]), type: 'invalid_request', names: 'events' },
  { name: 'events: 1,001 in one batch', call: (c) => c.h.tb.recordUsageEvents(Array.from({ length: limits.events_per_batch_max + 1 }, () => good_event(c))), type: 'invalid_request', names: 'events' },
  { name: 'events: one is null', call: (c) => c.h.tb.recordUsageEvents([null]), type: 'invalid_request', names: 'events[0]' },
  { name: 'events: tokens as a string', call: (c) => c.h.tb.recordUsageEvents([good_event(c, { usage: { input_tokens: '10', output_tokens: 0 } })]), type: 'invalid_request', names: 'events[0].usage.input_tokens' },
  { name: 'events: negative tokens', call: (c) => c.h.tb.recordUsageEvents([good_event(c, { usage: { input_tokens: 10, output_tokens: -1 } })]), type: 'invalid_request', names: 'events[0].usage.output_tokens' },
  { name: 'events: huge tokens', call: (c) => c.h.tb.recordUsageEvents([good_event(c, { usage: { input_tokens: TOO_MANY_TOKENS, output_tokens: 0 } })]), type: 'invalid_request', names: 'events[0].usage.input_tokens' },
  { name: 'events: timestamp not ISO 8601', call: (c) => c.h.tb.recordUsageEvents([good_event(c, { timestamp: 'yesterday' })]), type: 'invalid_request', names: 'events[0].timestamp' },
  { name: 'events: timestamp as epoch number', call: (c) => c.h.tb.recordUsageEvents([good_event(c, { timestamp: Date.now() })]), type: 'invalid_request', names: 'events[0].timestamp' },
  { name: 'events: a good event then a bad one — the batch changes nothing', call: (c) => c.h.tb.recordUsageEvents([good_event(c), good_event(c, { id: 5 })]), type: 'invalid_request', names: 'events[1].id' },
  // ---- accounts and reads -------------------------------------------------------------------------
  { name: 'account: unknown plan', call: (c) => c.h.tb.createAccount({ name: 'X', plan: 'platinum', owner_email: 'x@example.com', owner_password: 'correct horse' }, OPERATOR), type: 'invalid_request', names: 'plan' },
  { name: 'account: seats as a string', call: (c) => c.h.tb.createAccount({ name: 'X', plan: 'team', seats: '2', owner_email: 'x@example.com', owner_password: 'correct horse' }, OPERATOR), type: 'invalid_request', names: 'seats' },
  { name: 'account: not an email', call: (c) => c.h.tb.createAccount({ name: 'X', plan: 'pro', owner_email: 'nobody', owner_password: 'correct horse' }, OPERATOR), type: 'invalid_request', names: 'owner_email' },
  { name: 'subscription: unknown plan', call: (c) => c.h.tb.changeSubscription(c.account_id, { plan: 'platinum' }, OPERATOR), type: 'invalid_request', names: 'plan' },
  { name: 'usage: granularity hour', call: (c) => c.h.tb.getUsage(c.account_id, { granularity: 'hour' }), type: 'invalid_request', names: 'granularity' },
  // ---- text that cannot be stored exactly, and years the database cannot hold (issue 8, 6 and 13) ----
  { name: 'events: an id with a lone high surrogate', call: (c) => c.h.tb.recordUsageEvents([good_event(c, { id: '\ud800' })]), type: 'invalid_request', names: 'events[0].id' },
  { name: 'events: an id with a lone low surrogate', call: (c) => c.h.tb.recordUsageEvents([good_event(c, { id: '\udbff' })]), type: 'invalid_request', names: 'events[0].id' },
  { name: 'events: NUL in an id', call: (c) => c.h.tb.recordUsageEvents([good_event(c, { id: 'ev\u0000' })]), type: 'invalid_request', names: 'events[0].id' },
  { name: 'events: a timestamp in year 0000', call: (c) => c.h.tb.recordUsageEvents([good_event(c, { timestamp: '0000-06-01T00:00:00Z' })]), type: 'invalid_request', names: 'events[0].timestamp' },
  { name: 'authorize: NUL in the account id', call: (c) => authorize(c, { account_id: `${c.account_id}\u0000` }), type: 'invalid_request', names: 'account_id' },
  { name: 'authorize: a lone surrogate in the Idempotency-Key', call: (c) => authorize(c, {}, 'key-\udc00'), type: 'invalid_request', names: 'Idempotency-Key' },
  { name: 'account: NUL in the name', call: (c) => c.h.tb.createAccount({ name: 'A\u0000B', plan: 'pro', owner_email: 'nul@example.com', owner_password: 'correct horse' }, OPERATOR), type: 'invalid_request', names: 'name' },
  { name: 'payment method: NUL in the provider token', call: (c) => c.h.tb.addPaymentMethod(c.account_id, { token: 'tok_visa\u0000' }, OPERATOR), type: 'invalid_request', names: 'token' },
  { name: 'purchase: NUL in the payment method id', call: (c) => purchase(c, { amount_micros: 10_000_000, payment_method_id: 'pm\u0000' }), type: 'invalid_request', names: 'payment_method_id' },
  { name: 'grant: a lone surrogate in the reason', call: (c) => c.h.tb.grantCredits(c.account_id, { amount_micros: 1_000_000, reason: '\ud83d' }, OPERATOR), type: 'invalid_request', names: 'reason' },
  { name: 'usage: from in year 0000', call: (c) => c.h.tb.getUsage(c.account_id, { from: '0000-01-01', to: '0000-01-02' }), type: 'invalid_request', names: 'to' },
  { name: 'catalog: a price for a model that is not in the catalog (named foreign key)', call: (c) => c.h.tb.replaceCatalog({ plans: [], models: [], apps: [], prices: [{ id: 'p-nobody', model_id: 'no-such-model', effective_at_ms: c.h.clock.ms, input_micros_per_mtok: 1, output_micros_per_mtok: 1, cache_write_micros_per_mtok: 1, cache_read_micros_per_mtok: 1 }] }, OPERATOR), type: 'invalid_request', names: 'prices[0].model_id' },
  { name: 'reads: unknown account', call: (c) => c.h.tb.getExtraUsage('acct_nobody'), type: 'not_found', names: 'acct_nobody' },
];

for (const engine of databaseEngines()) {
  describe(`bad input is refused and changes nothing, on ${engine.name}`, { skip: engine.skip }, () => {
    let db: Db;
    const c = {} as Context;

    before(async () => {
      db = await engine.open();
      c.h = await harness(db);
      const account = await makeAccount(c.h, { plan: 'pro', credits_micros: 50_000_000, extra_usage: true, limit_micros: 50_000_000 });
      c.account_id = account.id;
      c.auth_id = (await authorize(c, {})).id;
      c.at = new Date(c.h.clock.ms).toISOString();
    });
    after(async () => {
      await db?.close().catch(() => undefined);
    });

    const snapshot = async () => ({
      extra_usage: await c.h.tb.getExtraUsage(c.account_id),
      account: await c.h.tb.getAccountView(c.account_id),
      transfers: (await c.h.tb.listTransactions(c.account_id, {})).data.length,
      usage_records: (await c.h.tb.store.usageRecords({ account_id: c.account_id, limit: 10 })).length,
      hold: (await c.h.tb.getAuthorization(c.auth_id))?.status,
      charges: c.h.payments.charges.size,
    });

    for (const t of cases) {
      it(`${t.name} → ${t.type} naming ${t.names}`, async () => {
        const before_state = await snapshot();
        const error = await t.call(c).then(
          () => assert.fail('the call succeeded'),
          (e: unknown) => e,
        );
        assert.ok(error instanceof AppError, `not an AppError: ${String(error)}`);
        assert.equal(error.type, t.type, error.message);
        if (t.type === 'invalid_request') assert.equal(error.figures.field, t.names, error.message);
        else assert.equal(error.figures.id, t.names);
        assert.ok(error.message.includes(t.names), `the message names ${t.names}: ${error.message}`);
        assert.deepEqual(await snapshot(), before_state, 'nothing changed');
      });
    }

    it('an unknown model inside an event batch is refused for that event alone, naming model', async () => {
      const before_state = await snapshot();
      const [result] = await c.h.tb.recordUsageEvents([good_event(c, { model: 'gpt-5' })]);
      assert.ok(result && !result.ok);
      assert.equal(result.error.type, 'invalid_request');
      assert.equal(result.error.figures.field, 'model');
      assert.deepEqual(await snapshot(), before_state);
    });

    it('the refused calls left the hold in place, and a valid settle still works afterwards', async () => {
      const settled = await settle(c, { input_tokens: 100, output_tokens: 100 });
      assert.equal(settled.charged_micros, 600);
      assert.equal((await c.h.tb.getExtraUsage(c.account_id)).balance_micros, 50_000_000 - 600);
      await assertAuditClean(c.h);
    });
  });
}
