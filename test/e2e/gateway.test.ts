// The drop-in model gateway (docs/gateway.md), driven by the official Anthropic SDK pointed at
// Tokenbank, with a fake upstream of our own (test/fixtures/fake-anthropic.ts) behind it.
// Guarantees: the charge is the price of the usage the upstream reported (read back through the
// API); the upstream's answer reaches the client unchanged; a stream is settled with its final
// usage, also when the client leaves in the middle; a refusal raises the SDK's error with our
// type and figures and never calls the upstream; an upstream failure releases the hold; the
// client's key never reaches the upstream and the operator's never reaches the client; with a
// spend limit, concurrent gateway requests never take spend past it.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { apiHarness, assertAnthropicError, email, type Api, type TestAccount } from '../fixtures/http';
import { OPERATOR } from '../fixtures/tokenbank';
import { OPERATOR_UPSTREAM_KEY, messageOf, startFakeAnthropic, type FakeAnthropic } from '../fixtures/fake-anthropic';
import { anthropicUpstream } from '../../src/upstream/anthropic';
import { memoryRateLimiter } from '../../src/ratelimit/limiters';
import { cacheWriteOf, inputTokensBound } from '../../src/domain/gateway';
import { limits } from '../../src/domain/limits';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, request, startServer, stopServer, waitHealthy, type Server } from '../fixtures/servers';

after(closeAll);

// Sonnet: $3 input, $15 output per million tokens = 3 and 15 micros per token.
const MODEL = 'claude-sonnet-4-5';
const costOf = (input: number, output: number) => input * 3 + output * 15;
const TIMEOUT_MS = 1500;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeout_ms = 10_000): Promise<T> {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await wait(25);
  }
}

const ask = (max_tokens = 400, extra: Record<string, unknown> = {}) => ({
  model: MODEL,
  max_tokens,
  system: 'You are terse.',
  messages: [{ role: 'user' as const, content: 'Say hello.' }],
  ...extra,
});

for (const engine of databaseEngines()) {
  describe(`the drop-in gateway, through the Anthropic SDK (${engine.name})`, { skip: engine.skip }, () => {
    let api: Api;
    let fake: FakeAnthropic;
    let base: string;
    /** An API organization with $20 of credits and a key. */
    const org = { id: '', key: '', admin: '' };

    const orgWithKey = async (credits_micros: number, name = 'gw') => {
      const admin_email = email('gw-admin');
      await api.user(admin_email);
      const created = (await api.tb.createOrg({ name: `Gateway ${name}`, admin_email }, OPERATOR)).org;
      if (credits_micros > 0) await api.tb.grantCredits(created.id, { amount_micros: credits_micros }, OPERATOR);
      const key = await api.tb.createApiKey(created.id, { name }, OPERATOR);
      return { id: created.id, key: key.secret, admin: await api.signIn(admin_email) };
    };
    const orgBalance = async (org_id: string, token: string) => {
      const r = await api.call('GET', `/v1/orgs/${org_id}`, { token });
      assert.equal(r.status, 200, r.text);
      return r.body as { credit_balance_micros: number; available_micros: number; held_micros?: number };
    };
    const extraUsage = async (acct: TestAccount) => (await api.call('GET', `/v1/accounts/${acct.id}/extra-usage`, { token: acct.owner.token })).body;
    const keyClient = (key: string, options: Partial<ConstructorParameters<typeof Anthropic>[0]> = {}) => new Anthropic({ baseURL: base, apiKey: key, maxRetries: 0, ...options });
    const userClient = (token: string, account_id: string, app = 'claude-code') =>
      new Anthropic({ baseURL: base, apiKey: null, authToken: token, maxRetries: 0, defaultHeaders: { 'tokenbank-account-id': account_id, 'tokenbank-app': app } });

    before(async () => {
      fake = await startFakeAnthropic();
      const upstream = anthropicUpstream({ base_url: fake.url, api_key: OPERATOR_UPSTREAM_KEY, timeout_ms: TIMEOUT_MS, stream_idle_timeout_ms: TIMEOUT_MS });
      api = await apiHarness(await engine.open(), { upstream });
      await api.app.listen({ port: 0, host: '127.0.0.1' });
      const address = api.app.server.address();
      base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      Object.assign(org, await orgWithKey(20_000_000));
    });
    after(async () => {
      await api?.close();
      await fake?.close();
      if (engine.name === 'pglite') await api?.db.close();
    });
    beforeEach(() => fake.reset());

    describe('200: settled with the usage the upstream reported', () => {
      it('an API key: the answer is the upstream body unchanged; the org is charged exactly its usage; the hold is gone', async () => {
        const before_balance = await orgBalance(org.id, org.admin);
        const { data: message, response } = await keyClient(org.key).messages.create(ask(400)).withResponse();
        assert.equal(fake.requests.length, 1);
        const expected = messageOf(fake.requests[0]!.body, fake.usage(fake.requests[0]!.body), Number(message.id.slice(8)));
        assert.deepEqual(JSON.parse(JSON.stringify(message)), expected, 'the SDK sees exactly what the upstream answered');
        assert.equal(message.usage.output_tokens, 200);
        const after_balance = await orgBalance(org.id, org.admin);
        assert.equal(before_balance.credit_balance_micros - after_balance.credit_balance_micros, costOf(1200, 200));
        assert.equal(after_balance.available_micros, after_balance.credit_balance_micros, 'no hold left');
        assert.ok(response.headers.get('request-id'), "Tokenbank's request id");
        assert.equal(response.headers.get('upstream-request-id'), `req_fake${Number(message.id.slice(8))}`, "the upstream's request id, under its own name");
        assert.equal(response.headers.get('anthropic-organization-id'), null, "the operator's upstream organization is not shown");
      });

      it("the request goes upstream as sent, with the operator's key; the client's tbk_ key never does", async () => {
        const body = ask(300, { temperature: 0.2, metadata: { user_id: 'u-1' }, tools: [{ name: 'get_time', description: 'the time', input_schema: { type: 'object', properties: {} } }] });
        await keyClient(org.key, { defaultHeaders: { 'anthropic-beta': 'token-efficient-tools-2025-02-19' } }).messages.create(body);
        const sent = fake.requests[0]!;
        assert.deepEqual(sent.body, body, 'forwarded as sent');
        assert.equal(sent.headers['x-api-key'], OPERATOR_UPSTREAM_KEY);
        assert.match(String(sent.headers['anthropic-version']), /^\d{4}-\d{2}-\d{2}$/, "the SDK's anthropic-version, forwarded");
        const raw = await api.call('POST', '/v1/messages', { body: ask(10), headers: { 'x-api-key': org.key, 'anthropic-version': '2023-06-01' } });
        assert.equal(raw.status, 200, raw.text);
        assert.equal(fake.requests[1]!.headers['anthropic-version'], '2023-06-01');
        assert.equal(fake.requests[1]!.headers['anthropic-beta'], undefined);
        assert.equal(sent.headers['anthropic-beta'], 'token-efficient-tools-2025-02-19');
        assert.equal(sent.headers.authorization, undefined);
        assert.ok(!JSON.stringify(sent.headers).includes(org.key) && !sent.text.includes(org.key), 'the tbk_ key stays with Tokenbank');
        assert.ok(!JSON.stringify(sent.headers).includes(org.key.slice(4, 20)));
      });

      it('client.beta.messages with betas: forwarded as anthropic-beta; settled the same way', async () => {
        const before_balance = await orgBalance(org.id, org.admin);
        await keyClient(org.key).beta.messages.create({ ...ask(100), betas: ['context-1m-2025-08-07'] });
        assert.equal(fake.requests[0]!.headers['anthropic-beta'], 'context-1m-2025-08-07');
        assert.equal(fake.requests[0]!.body.betas, undefined, 'the SDK moved betas to the header');
        assert.equal(before_balance.credit_balance_micros - (await orgBalance(org.id, org.admin)).credit_balance_micros, costOf(1200, 50));
      });

      it('a 200 without a readable usage object is charged at the hold (the most it could be), never nothing', async () => {
        const before_balance = await orgBalance(org.id, org.admin);
        fake.usage = () => undefined as unknown as Record<string, unknown>;
        const body = ask(100);
        const r = await api.call('POST', '/v1/messages', { body, headers: { 'x-api-key': org.key } });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.body.usage, undefined);
        assert.equal(before_balance.credit_balance_micros - (await orgBalance(org.id, org.admin)).credit_balance_micros, costOf(inputTokensBound(body), 100));
      });

      it('a signed-in member metering an account: extra usage pays (claude-code) the price of the usage; the usage record says the gateway settled it', async () => {
        const acct = await api.account({ credits_micros: 20_000_000, extra_usage: true, limit_micros: null });
        const before_usage = await extraUsage(acct);
        fake.usage = () => ({ input_tokens: 900, output_tokens: 77, cache_creation_input_tokens: 100, cache_read_input_tokens: 1000, cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 0 }, service_tier: 'standard' });
        const message = await userClient(acct.owner.token, acct.id).messages.create(ask(200));
        assert.equal(message.usage.output_tokens, 77);
        const after_usage = await extraUsage(acct);
        // 900 × 3 + 100 × 3.75 + 1,000 × 0.3 + 77 × 15 = 2,700 + 375 + 300 + 1,155 = 4,530
        assert.equal(before_usage.balance_micros - after_usage.balance_micros, 4530);
        assert.equal(after_usage.held_micros, 0);
        const records = await api.call('GET', `/v1/accounts/${acct.id}/usage-records`, { token: acct.owner.token });
        assert.equal(records.body.data[0].app, 'claude-code');
        assert.equal(records.body.data[0].cost_micros, 4530);
      });

      it('without tokenbank-app, the first first-party app of the catalog meters it (the plan allowance pays)', async () => {
        const acct = await api.account({ credits_micros: 5_000_000, extra_usage: true });
        const client = new Anthropic({ baseURL: base, apiKey: null, authToken: acct.owner.token, maxRetries: 0, defaultHeaders: { 'tokenbank-account-id': acct.id } });
        await client.messages.create(ask(100));
        const records = await api.call('GET', `/v1/accounts/${acct.id}/usage-records`, { token: acct.owner.token });
        const catalog = await api.call('GET', '/v1/catalog', { token: acct.owner.token });
        const first = catalog.body.apps.find((a: { kind: string }) => a.kind === 'first_party').id;
        assert.equal(records.body.data[0].app, first);
        assert.equal(records.body.data[0].funding.source, 'allowance');
      });
    });

    describe('byte for byte: what the upstream answered is what the client reads', () => {
      it('a whole answer and a stream, through the HTTP API: the same bytes as the upstream wrote', async () => {
        const whole = await api.call('POST', '/v1/messages', { body: ask(40), headers: { 'x-api-key': org.key } });
        assert.equal(whole.status, 200, whole.text);
        assert.equal(whole.text, fake.requests[0]!.answered);
        assert.match(String(whole.headers['content-type']), /^application\/json/);
        const streamed = await api.call('POST', '/v1/messages', { body: { ...ask(40), stream: true }, headers: { 'x-api-key': org.key } });
        assert.equal(streamed.status, 200, streamed.text);
        assert.match(String(streamed.headers['content-type']), /^text\/event-stream/);
        assert.equal(streamed.text, fake.requests[1]!.answered);
        assert.match(streamed.text, /^event: message_start\n/);
        assert.ok(streamed.text.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n'));
        for (const r of [whole, streamed]) assert.ok(!r.text.includes(OPERATOR_UPSTREAM_KEY) && !JSON.stringify(r.headers).includes(OPERATOR_UPSTREAM_KEY));
      });
    });

    describe('streaming: the SSE bytes are relayed as they come; the hold is settled with the final usage', () => {
      it('stream: true → the SDK reads every event; the org is charged the message_delta usage', async () => {
        const before_balance = await orgBalance(org.id, org.admin);
        const stream = await keyClient(org.key).messages.create({ ...ask(600), stream: true });
        const types: string[] = [];
        let text = '';
        for await (const event of stream) {
          types.push(event.type);
          if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
        }
        assert.deepEqual(types, ['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
        assert.equal(text, 'word0 word1 word2 ');
        const after_balance = await until('the settlement', async () => {
          const b = await orgBalance(org.id, org.admin);
          return b.available_micros === b.credit_balance_micros && b;
        });
        assert.equal(before_balance.credit_balance_micros - after_balance.credit_balance_micros, costOf(1200, 300));
      });

      it('the stream helper (messages.stream) gets the final message with its usage', async () => {
        const final = await keyClient(org.key).messages.stream(ask(50)).finalMessage();
        assert.equal(final.usage.output_tokens, 25);
        assert.equal(final.usage.input_tokens, 1200);
      });

      it('the client leaves mid-stream: the upstream is read to its end and the real usage is charged', async () => {
        const before_balance = await orgBalance(org.id, org.admin);
        fake.mode = { kind: 'slow', deltas: 12, delay_ms: 40 };
        const done = fake.streams_done;
        const controller = new AbortController();
        const stream = await keyClient(org.key).messages.create({ ...ask(800), stream: true }, { signal: controller.signal });
        let seen = 0;
        let upstream_done_at_second_delta: boolean | null = null;
        // The SDK ends the iteration (or raises an abort error) once its request is aborted.
        await (async () => {
          for await (const event of stream) {
            if (event.type === 'content_block_delta' && ++seen === 2) {
              upstream_done_at_second_delta = fake.streams_done > done;
              controller.abort();
            }
          }
        })().catch(() => undefined);
        assert.equal(seen, 2, 'the client read two deltas and left');
        assert.equal(upstream_done_at_second_delta, false, 'events reach the client as they come, not when the upstream is done');
        await until('the upstream stream to end', async () => fake.streams_done > done);
        const after_balance = await until('the settlement', async () => {
          const b = await orgBalance(org.id, org.admin);
          return b.available_micros === b.credit_balance_micros && b;
        });
        assert.equal(before_balance.credit_balance_micros - after_balance.credit_balance_micros, costOf(1200, 400), 'charged for all 400 output tokens the upstream produced');
      });

      it('the upstream stream breaks after message_start: the SDK raises; the best known usage is charged (input, one token per delta)', async () => {
        const before_balance = await orgBalance(org.id, org.admin);
        fake.mode = { kind: 'break', deltas: 5 };
        const stream = await keyClient(org.key).messages.create({ ...ask(500), stream: true });
        await assert.rejects(async () => {
          for await (const _event of stream) void _event;
        });
        const after_balance = await until('the settlement', async () => {
          const b = await orgBalance(org.id, org.admin);
          return b.available_micros === b.credit_balance_micros && b;
        });
        assert.equal(before_balance.credit_balance_micros - after_balance.credit_balance_micros, costOf(1200, 5));
      });
    });

    describe('a stream that goes silent longer than its idle timeout', () => {
      it('is cut: the SDK raises (upstream_timeout); what message_start reported is charged', async () => {
        const before_balance = await orgBalance(org.id, org.admin);
        fake.mode = { kind: 'slow', deltas: 2, delay_ms: TIMEOUT_MS + 500 };
        const stream = await keyClient(org.key).messages.create({ ...ask(500), stream: true });
        const error = await (async () => {
          for await (const _event of stream) void _event;
        })().then(
          () => null,
          (e: unknown) => e,
        );
        assert.ok(error instanceof Error, 'the SDK raised');
        assert.match(String((error as { message?: string }).message), /upstream_timeout|silent|too long/);
        const after_balance = await until('the settlement', async () => {
          const b = await orgBalance(org.id, org.admin);
          return b.available_micros === b.credit_balance_micros && b;
        });
        assert.equal(before_balance.credit_balance_micros - after_balance.credit_balance_micros, costOf(1200, 1));
      });
    });

    describe('refusals: the SDK raises its error with our type and figures; the upstream is not called', () => {
      it('402 insufficient_balance: PaymentRequiredError with available_micros', async () => {
        const poor = await orgWithKey(1000, 'poor');
        const error = await keyClient(poor.key)
          .messages.create(ask(4000))
          .then(() => null, (e: unknown) => e);
        assert.ok(error instanceof Anthropic.APIError, String(error));
        assert.equal(error.status, 402);
        assert.ok(error instanceof Anthropic.PaymentRequiredError, 'the SDK class of a 402');
        assert.equal(error.type, (error.error as any).error.type, "the SDK's error.type is ours");
        assert.ok(['insufficient_balance', 'api_credits_exhausted'].includes((error.error as any).error.type), JSON.stringify(error.error));
        assert.equal(typeof (error.error as any).error.message, 'string');
        assert.equal(fake.requests.length, 0, 'the upstream was not called');
        assert.equal((await orgBalance(poor.id, poor.admin)).credit_balance_micros, 1000);
      });

      it('402 spend_limit_reached for an account, with its figures; the upstream is not called', async () => {
        const acct = await api.account({ credits_micros: 20_000_000, extra_usage: true, limit_micros: 10_000 });
        const error = (await userClient(acct.owner.token, acct.id)
          .messages.create(ask(4000))
          .then(() => null, (e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
        assert.ok(error instanceof Anthropic.PaymentRequiredError || error instanceof Anthropic.APIError);
        assert.equal(error.status, 402);
        const body = (error.error as any).error;
        assert.equal(body.type, 'spend_limit_reached');
        assert.equal(body.limit_micros, 10_000);
        assert.equal(fake.requests.length, 0);
      });

      it('401: an unknown key, no credential at all, or a revoked key; never upstream', async () => {
        const error = await keyClient('tbk_not_a_key_we_issued_0000000000')
          .messages.create(ask(10))
          .then(() => null, (e: unknown) => e);
        assert.ok(error instanceof Anthropic.AuthenticationError, String(error));
        assert.equal((error.error as any).type, 'error');
        assert.equal((error.error as any).error.type, 'unauthenticated');
        for (const headers of [{}, { 'x-api-key': 'tbk_not_a_key_we_issued_0000000000' }, { authorization: 'Bearer tbsess_not_a_session_0000000000' }] as Array<Record<string, string>>)
          assertAnthropicError(await api.call('POST', '/v1/messages', { body: ask(10), headers }), 401, 'unauthenticated');
        const dead = await api.tb.createApiKey(org.id, { name: 'dead' }, OPERATOR);
        await api.tb.revokeApiKey(org.id, dead.key.id, OPERATOR);
        await assert.rejects(keyClient(dead.secret).messages.create(ask(10)), Anthropic.AuthenticationError);
        assert.equal(fake.requests.length, 0);
      });

      it('404 for an account the user does not belong to (as if it did not exist); 400 without tokenbank-account-id', async () => {
        const mine = await api.account({ credits_micros: 5_000_000, extra_usage: true });
        const theirs = await api.account({ credits_micros: 5_000_000, extra_usage: true });
        await assert.rejects(userClient(mine.owner.token, theirs.id).messages.create(ask(10)), Anthropic.NotFoundError);
        const no_account = new Anthropic({ baseURL: base, apiKey: null, authToken: mine.owner.token, maxRetries: 0 });
        const error = await no_account.messages.create(ask(10)).then(() => null, (e: unknown) => e);
        assert.ok(error instanceof Anthropic.BadRequestError);
        assert.equal((error.error as any).error.field, 'tokenbank-account-id');
        assert.equal(fake.requests.length, 0);
      });

      it('400 naming the field for a body that cannot be metered; nothing held, nothing sent', async () => {
        const cases: Array<[Record<string, unknown>, string]> = [
          [{ ...ask(10), max_tokens: 0 }, 'max_tokens'],
          [{ ...ask(10), max_tokens: limits.gateway_output_tokens_max + 1 }, 'max_tokens'],
          [{ ...ask(10), max_tokens: 1.5 }, 'max_tokens'],
          [{ ...ask(10), model: 'claude-unknown-9' }, 'model'],
          [{ max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }, 'model'],
          [{ ...ask(10), messages: 'hello' }, 'messages'],
          [{ ...ask(10), stream: 'yes' }, 'stream'],
        ];
        for (const [body, field] of cases) {
          const r = await api.call('POST', '/v1/messages', { body, headers: { 'x-api-key': org.key } });
          const e = assertAnthropicError(r, 400, 'invalid_request');
          assert.equal(e.field, field, r.text);
        }
        assert.equal(fake.requests.length, 0);
        const b = await orgBalance(org.id, org.admin);
        assert.equal(b.available_micros, b.credit_balance_micros);
      });

      it('429 rate_limited with Retry-After (an org at tier 0: 5 requests a minute); the 6th is not sent upstream; successes carry anthropic-ratelimit-*', async () => {
        const limited_fake = await startFakeAnthropic();
        const limited = await apiHarness(await engine.open(), { rate_limiter: memoryRateLimiter(), upstream: anthropicUpstream({ base_url: limited_fake.url, api_key: OPERATOR_UPSTREAM_KEY }) });
        try {
          await limited.app.listen({ port: 0, host: '127.0.0.1' });
          const address = limited.app.server.address();
          const admin_email = email('rl-admin');
          await limited.user(admin_email);
          const o = (await limited.tb.createOrg({ name: 'Rate limited', admin_email }, OPERATOR)).org;
          await limited.tb.grantCredits(o.id, { amount_micros: 10_000_000 }, OPERATOR);
          const key = (await limited.tb.createApiKey(o.id, { name: 'rl' }, OPERATOR)).secret;
          const client = new Anthropic({ baseURL: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`, apiKey: key, maxRetries: 0 });
          for (let i = 0; i < 5; i++) {
            const { response } = await client.messages.create(ask(20)).withResponse();
            assert.ok(response.headers.get('anthropic-ratelimit-requests-limit'), [...response.headers.keys()].join(', '));
          }
          const error = await client.messages.create(ask(20)).then(() => null, (e: unknown) => e);
          assert.ok(error instanceof Anthropic.RateLimitError, String(error));
          assert.equal((error.error as any).error.type, 'rate_limited');
          assert.ok(Number(error.headers?.get('retry-after')) >= 1);
          assert.equal(limited_fake.requests.length, 5);
        } finally {
          await limited.close();
          await limited_fake.close();
          if (engine.name === 'pglite') await limited.db.close();
        }
      });
    });

    describe('upstream failures release the hold: nothing charged', () => {
      const failed = async (mode: FakeAnthropic['mode'], status: number, stream = false) => {
        const before_balance = await orgBalance(org.id, org.admin);
        fake.mode = mode;
        const error = await keyClient(org.key)
          .messages.create({ ...ask(300), ...(stream ? { stream: true as const } : {}) })
          .then(() => null, (e: unknown) => e);
        assert.ok(error instanceof Anthropic.APIError, String(error));
        assert.equal(error.status, status);
        assert.equal((error.error as any).type, 'error');
        const after_balance = await until('the release', async () => {
          const b = await orgBalance(org.id, org.admin);
          return b.available_micros === b.credit_balance_micros && b;
        });
        assert.equal(after_balance.credit_balance_micros, before_balance.credit_balance_micros, 'balance unchanged');
        assert.ok(!JSON.stringify(error.error).includes(OPERATOR_UPSTREAM_KEY));
        return error;
      };

      it('500 → the upstream status and its Anthropic error body', async () => {
        const error = await failed({ kind: 'error', status: 500 }, 500);
        assert.equal((error.error as any).error.type, 'api_error');
      });
      it('529 overloaded, 429 with retry-after (streaming asked): relayed with their status', async () => {
        await failed({ kind: 'error', status: 529 }, 529, true);
        const error = await failed({ kind: 'error', status: 429, headers: { 'retry-after': '7' } }, 429);
        assert.equal(error.headers?.get('retry-after'), '7');
      });
      it("an upstream 401 (the operator's key is wrong) → 502 upstream_error: the client's credential was fine", async () => {
        const error = await failed({ kind: 'error', status: 401, body: JSON.stringify({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } }) }, 502);
        assert.equal((error.error as any).error.type, 'upstream_error');
      });
      it('a body that is not JSON → wrapped in the Anthropic shape, with its status', async () => {
        const error = await failed({ kind: 'error', status: 503, body: '<html>bad gateway</html>' }, 503);
        assert.equal((error.error as any).error.type, 'upstream_error');
        assert.equal((error.error as any).error.upstream_status, 503);
      });
      it('no answer within the timeout → 504 upstream_timeout', async () => {
        const error = await failed({ kind: 'hang' }, 504);
        assert.equal((error.error as any).error.type, 'upstream_timeout');
      });
      it('nothing listening upstream → 502 upstream_error', async () => {
        const nowhere = await apiHarness(await engine.open(), { upstream: anthropicUpstream({ base_url: 'http://127.0.0.1:9', api_key: OPERATOR_UPSTREAM_KEY }) });
        try {
          const o = (await nowhere.tb.createOrg({ name: 'Nowhere', admin_email: (await nowhere.user(email('nw'))).email }, OPERATOR)).org;
          await nowhere.tb.grantCredits(o.id, { amount_micros: 1_000_000 }, OPERATOR);
          const key = (await nowhere.tb.createApiKey(o.id, { name: 'nw' }, OPERATOR)).secret;
          const r = await nowhere.call('POST', '/v1/messages', { body: ask(10), headers: { 'x-api-key': key } });
          assertAnthropicError(r, 502, 'upstream_error');
          const view = await nowhere.tb.getOrg(o.id);
          assert.equal(view.available_micros, 1_000_000);
        } finally {
          await nowhere.close();
          if (engine.name === 'pglite') await nowhere.db.close();
        }
      });
    });

    describe('the spend limit holds through the gateway', () => {
      it('a $0.50 limit, 30 concurrent requests that each use all they may: spend never passes it; the refused are 402 and never sent', async (t) => {
        const limit_micros = 500_000;
        const acct = await api.account({ credits_micros: 20_000_000, extra_usage: true, limit_micros });
        const body = ask(2000);
        const bound = inputTokensBound(body);
        // Each request reports all it could: the input bound and every output token.
        fake.usage = (b) => ({ input_tokens: bound, output_tokens: b.max_tokens });
        fake.mode = { kind: 'slow', deltas: 2, delay_ms: 5 };
        const client = userClient(acct.owner.token, acct.id);
        const results = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            client.messages.create({ ...body, ...(i % 2 ? { stream: true as const } : {}) }).then(
              async (answer: any) => {
                if (answer && typeof answer[Symbol.asyncIterator] === 'function') for await (const _e of answer) void _e;
                return 'ok';
              },
              (e: any) => `${e.status} ${(e.error as any)?.error?.type}`,
            ),
          ),
        );
        const ok = results.filter((r) => r === 'ok').length;
        const refused = results.filter((r) => r !== 'ok');
        assert.ok(ok >= 1, results.join(', '));
        assert.ok(refused.length >= 1, 'some are refused');
        assert.deepEqual([...new Set(refused)], ['402 spend_limit_reached']);
        assert.equal(fake.requests.length, ok, 'only the held requests went upstream');
        const view = await until('every settlement', async () => {
          const v = await extraUsage(acct);
          return v.held_micros === 0 && v;
        });
        const each = costOf(bound, 2000);
        assert.equal(view.spent_this_cycle_micros, ok * each);
        assert.ok(view.spent_this_cycle_micros <= limit_micros, `spent ${view.spent_this_cycle_micros} of ${limit_micros}`);
        assert.equal(ok, Math.floor(limit_micros / each), 'as many as the limit allows, no more');
        t.diagnostic(`gateway under a $0.50 limit: ${ok} of 30 concurrent requests served and charged ${view.spent_this_cycle_micros} µ$ (${each} each), ${refused.length} refused spend_limit_reached before the upstream`);
      });
    });

    describe('/metrics', () => {
      it("counts how the gateway's holds ended: settled with the final usage, with the best known, at the hold, released", async () => {
        const text = (await api.call('GET', '/metrics')).text;
        const count = (outcome: string) => Number(new RegExp(`^tokenbank_gateway_holds_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
        assert.ok(count('final') >= 10, text.slice(0, 200));
        assert.ok(count('best_known') >= 2, `best_known ${count('best_known')}`);
        assert.ok(count('hold_figures') >= 1);
        assert.ok(count('released') >= 6, `released ${count('released')}`);
        assert.equal(count('failed'), 0);
      });
    });

    describe('the input bound (docs/gateway.md)', () => {
      it('counts UTF-8 bytes of system, messages and tools, an image at its bound, plus the overhead; caps at the context window', () => {
        const text = { model: MODEL, max_tokens: 1, messages: [{ role: 'user', content: 'héllo' }] };
        const base_bound = inputTokensBound(text);
        assert.equal(base_bound, Buffer.byteLength(JSON.stringify({ messages: text.messages })) + limits.gateway_request_overhead_tokens);
        const image = { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'A'.repeat(100_000) } };
        const with_image = inputTokensBound({ ...text, messages: [{ role: 'user', content: [image, { type: 'text', text: 'héllo' }] }] });
        assert.ok(with_image < base_bound + limits.gateway_image_input_tokens_max + 100, `an image counts ${with_image - base_bound}, not its 100,000 bytes`);
        assert.ok(with_image >= base_bound + limits.gateway_image_input_tokens_max);
        assert.equal(cacheWriteOf(text), 'none');
        assert.equal(cacheWriteOf({ ...text, system: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral' } }] }), '5m');
        assert.equal(cacheWriteOf({ ...text, messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral', ttl: '1h' } }] }] }), '1h');
        const huge = inputTokensBound({ ...text, messages: [{ role: 'user', content: 'x'.repeat(limits.gateway_context_tokens_max * 2) }] });
        assert.equal(huge, limits.gateway_context_tokens_max);
      });
    });
  });
}

describe('a server process as npm start runs it (src/main.ts), with TOKENBANK_UPSTREAM_URL and TOKENBANK_UPSTREAM_API_KEY', () => {
  const admin = 'gateway-admin-token-0123456789';
  let fake: FakeAnthropic;
  let server: Server | undefined;
  let dir: string;
  before(async () => {
    fake = await startFakeAnthropic();
    dir = mkdtempSync(join(tmpdir(), 'tokenbank-gateway-'));
  });
  after(async () => {
    await stopServer(server);
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the SDK pointed at it gets the upstream answer; the org pays its usage; the upstream saw the operator key only', async () => {
    server = startServer(await freePort(), { TOKENBANK_DATA_DIR: dir, DATABASE_URL: '', TOKENBANK_ADMIN_TOKEN: admin, TOKENBANK_UPSTREAM_URL: fake.url, TOKENBANK_UPSTREAM_API_KEY: OPERATOR_UPSTREAM_KEY });
    await waitHealthy(server, 'pglite');
    const created = await request(server.base, 'POST', '/v1/orgs', admin, { name: 'Process org', admin_email: email('proc'), admin_password: 'correct horse battery' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const org_id = created.body.id as string;
    assert.equal((await request(server.base, 'POST', `/v1/orgs/${org_id}/grants`, admin, { amount_micros: 5_000_000 })).status, 201);
    const key = (await request(server.base, 'POST', `/v1/orgs/${org_id}/keys`, admin, { name: 'sdk' })).body.secret as string;
    const client = new Anthropic({ baseURL: server.base, apiKey: key, maxRetries: 0 });
    const message = await client.messages.create(ask(100));
    assert.equal(message.usage.output_tokens, 50);
    assert.equal(fake.requests[0]!.headers['x-api-key'], OPERATOR_UPSTREAM_KEY);
    assert.ok(!JSON.stringify(fake.requests[0]!.headers).includes(key));
    const org = (await request(server.base, 'GET', `/v1/orgs/${org_id}`, admin)).body;
    assert.equal(org.credit_balance_micros, 5_000_000 - costOf(1200, 50));
  });

  it('a TOKENBANK_UPSTREAM_URL that is not an http(s) URL: one line, exit 2', async () => {
    const bad = startServer(await freePort(), { TOKENBANK_DATA_DIR: dir, DATABASE_URL: '', TOKENBANK_UPSTREAM_URL: 'ftp://models.example.com' });
    const code = await new Promise<number | null>((resolve) => bad.child.once('exit', (c) => resolve(c)));
    assert.equal(code, 2, bad.output.join(''));
    assert.match(bad.output.join(''), /TOKENBANK_UPSTREAM_URL must be an http\(s\) URL/);
  });
});
