// Webhooks over HTTP, in process, on both engines (docs/webhooks.md): a receiver on 127.0.0.1 that
// answers 500 three times then 200 gets the event four times with one webhook-id and signatures
// the standardwebhooks library verifies; the delivery log shows every attempt; a delivery past its
// schedule is failed; an endpoint failing for days is disabled and its owner told; redelivery;
// event filters; the SSRF rule at creation and at delivery; the secret shown once, never listed,
// never logged. The clock is the harness's (moved by hand), started at the real time so that
// receivers' timestamp tolerance accepts the signatures.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Webhook } from 'standardwebhooks';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { apiHarness, assertError, type Api, type TestAccount } from '../fixtures/http';
import { startReceiver, type Receiver } from '../fixtures/receiver';
import { limits } from '../../src/domain/limits';

const SCHEDULE_MS = [1000, 2000, 5000];
/** Longer than any delay of SCHEDULE_MS with its jitter. */
const STEP_MS = 10_000;

after(closeAll);

for (const engine of databaseEngines()) {
  describe(`webhooks (${engine.name})`, { skip: engine.skip }, () => {
    let api: Api;
    let a: TestAccount;
    const log: string[] = [];
    const receivers: Receiver[] = [];
    before(async () => {
      const stream = new Writable({
        write(chunk, _encoding, done) {
          log.push(String(chunk));
          done();
        },
      });
      api = await apiHarness(await engine.open(), {
        start: new Date().toISOString(),
        webhooks: { retry_schedule_ms: SCHEDULE_MS },
        logger: { level: 'trace', stream },
      });
      a = await api.account({ credits_micros: 20_000_000, extra_usage: true, limit_micros: null, team: true });
    });
    after(async () => {
      await api?.close();
      await Promise.all(receivers.map((r) => r.close()));
      if (engine.name === 'pglite') await api?.db.close();
    });
    const receiver = async (statuses: number[]) => {
      const r = await startReceiver(statuses);
      receivers.push(r);
      return r;
    };
    const addEndpoint = async (body: Record<string, unknown>, token = a.owner.token, path = `/v1/accounts/${a.id}/webhook-endpoints`) => {
      const r = await api.call('POST', path, { token, body });
      assert.equal(r.status, 201, r.text);
      return r.body as { id: string; secret: string; url: string };
    };
    const grant = async (amount_micros = 1_000_000) =>
      assert.equal((await api.call('POST', `/v1/accounts/${a.id}/grants`, { token: api.operator, body: { amount_micros } })).status, 201);
    /** Runs the worker, moving the clock a step after each tick, until `done` or `ticks_max` ticks. */
    const work = async (done: () => boolean, ticks_max = 20) => {
      for (let i = 0; i < ticks_max && !done(); i++) {
        await api.tb.deliverWebhooks();
        if (!done()) api.clock.advance(STEP_MS);
      }
    };
    const deliveries = async (endpoint_id: string, token = a.owner.token, prefix = `/v1/accounts/${a.id}`) => {
      const r = await api.call('GET', `${prefix}/webhook-endpoints/${endpoint_id}/deliveries`, { token });
      assert.equal(r.status, 200, r.text);
      return r.body.data as Array<{
        id: string;
        status: string;
        attempts: number;
        webhook_id: string;
        event_type: string;
        log: Array<{ status_code: number | null; error: string | null }>;
      }>;
    };

    it('500, 500, 500, then 200: four attempts with one webhook-id, each signature verified by the standardwebhooks library; the log shows them', async () => {
      const r = await receiver([500, 500, 500, 200]);
      const endpoint = await addEndpoint({ url: r.url, events: ['grant.added'] });
      assert.match(endpoint.secret, /^whsec_[A-Za-z0-9+/]{32}$/);
      await grant();
      await work(() => r.received.length >= 4);
      assert.equal(r.received.length, 4);
      const ids = new Set(r.received.map((x) => x.headers['webhook-id']));
      assert.equal(ids.size, 1, 'the same webhook-id on every attempt');
      const wh = new Webhook(endpoint.secret);
      for (const x of r.received) {
        const payload = wh.verify(x.body, x.headers) as { id: string; type: string; account_id: string; data: { amount_micros: number } };
        assert.deepEqual([payload.id, payload.type, payload.account_id, payload.data.amount_micros], [x.headers['webhook-id'], 'grant.added', a.id, 1_000_000]);
        assert.match(x.headers['webhook-signature']!, /^v1,[A-Za-z0-9+/]+=*$/);
      }
      assert.throws(
        () => new Webhook(`whsec_${Buffer.alloc(24, 7).toString('base64')}`).verify(r.received[0]!.body, r.received[0]!.headers),
        'another secret does not verify',
      );
      const [delivery] = await deliveries(endpoint.id);
      assert.equal(delivery!.status, 'succeeded');
      assert.equal(delivery!.webhook_id, [...ids][0]);
      assert.deepEqual(
        delivery!.log.map((l) => l.status_code),
        [500, 500, 500, 200],
      );
      await api.tb.deliverWebhooks();
      assert.equal(r.received.length, 4, 'nothing sent again once delivered');
    });

    it(`past the schedule (${SCHEDULE_MS.length} retries) the delivery is failed; redeliver sends it again, with a fresh schedule`, async () => {
      const r = await receiver([503]);
      const endpoint = await addEndpoint({ url: r.url });
      await grant();
      await work(() => false, SCHEDULE_MS.length + 3);
      assert.equal(r.received.length, SCHEDULE_MS.length + 1);
      const [failed] = await deliveries(endpoint.id);
      assert.deepEqual([failed!.status, failed!.attempts, failed!.log.length], ['failed', SCHEDULE_MS.length + 1, SCHEDULE_MS.length + 1]);
      const again = await api.call('POST', `/v1/accounts/${a.id}/webhook-endpoints/${endpoint.id}/deliveries/${failed!.id}/redeliver`, {
        token: a.billing!.token,
      });
      assert.equal(again.status, 202, again.text);
      assert.equal(again.body.status, 'pending');
      await api.tb.deliverWebhooks();
      assert.equal(r.received.length, SCHEDULE_MS.length + 2);
      assert.equal(new Set(r.received.map((x) => x.headers['webhook-id'])).size, 1);
    });

    it(`an endpoint failing for ${limits.webhook_endpoint_failing_ms_max / 86_400_000} days is disabled, its owner told (webhook_endpoint.disabled); redelivery enables it again`, async () => {
      const r = await receiver([500]);
      const endpoint = await addEndpoint({ url: r.url, events: ['grant.added'] });
      await grant();
      await api.tb.deliverWebhooks(); // failing since now
      api.clock.advance(limits.webhook_endpoint_failing_ms_max);
      await grant(); // a new event, delivered and failed: the endpoint has failed for the whole bound
      await work(() => false, 2);
      const listed = (await api.call('GET', `/v1/accounts/${a.id}/webhook-endpoints`, { token: a.owner.token })).body.data.find(
        (e: { id: string }) => e.id === endpoint.id,
      );
      assert.equal(listed.status, 'disabled', JSON.stringify(listed));
      const events = (await api.call('GET', `/v1/accounts/${a.id}/events`, { token: a.member!.token })).body.data;
      const told = events.filter(
        (e: { type: string; payload: { endpoint_id?: string } }) => e.type === 'webhook_endpoint.disabled' && e.payload.endpoint_id === endpoint.id,
      );
      assert.equal(told.length, 1);
      const sent = r.received.length;
      await grant();
      await work(() => false, 3);
      assert.equal(r.received.length, sent, 'a disabled endpoint gets nothing');
      assert.ok(
        (await deliveries(endpoint.id)).every((d) => d.status !== 'pending'),
        'its pending deliveries were failed',
      );
      const [latest] = await deliveries(endpoint.id);
      assert.equal(
        (await api.call('POST', `/v1/accounts/${a.id}/webhook-endpoints/${endpoint.id}/deliveries/${latest!.id}/redeliver`, { token: a.owner.token })).status,
        202,
      );
      const enabled = (await api.call('GET', `/v1/accounts/${a.id}/webhook-endpoints`, { token: a.owner.token })).body.data.find(
        (e: { id: string }) => e.id === endpoint.id,
      );
      assert.equal(enabled.status, 'enabled');
    });

    it('events: an endpoint gets only the types it asked for; an operator-wide endpoint gets every account’s events', async () => {
      api.clock.ms = Date.now(); // receivers check the timestamp against their own clock
      const only_low = await receiver([200]);
      const everything = await receiver([200]);
      const low = await addEndpoint({ url: only_low.url, events: ['balance.low'] });
      const operator = await addEndpoint({ url: everything.url }, api.operator, '/v1/webhook-endpoints');
      const other = await api.account({ credits_micros: 5_000_000 });
      assert.equal((await api.call('POST', `/v1/accounts/${other.id}/grants`, { token: api.operator, body: { amount_micros: 2_000_000 } })).status, 201);
      await grant();
      await work(() => everything.received.length >= 3, 3);
      assert.equal(only_low.received.length, 0);
      const accounts = everything.received.map((x) => (new Webhook(operator.secret).verify(x.body, x.headers) as { account_id: string }).account_id);
      assert.deepEqual([...new Set(accounts)].sort(), [a.id, other.id].sort(), 'the other account’s purchase and grant, and this one’s grant');
      assert.equal((await deliveries(operator.id, api.operator, '/v1')).length, everything.received.length);
      assert.equal((await api.call('DELETE', `/v1/accounts/${a.id}/webhook-endpoints/${low.id}`, { token: a.owner.token })).status, 200);
      assertError(await api.call('GET', `/v1/accounts/${a.id}/webhook-endpoints/${low.id}/deliveries`, { token: a.owner.token }), 404, 'not_found');
      assertError(await api.call('GET', `/v1/webhook-endpoints/${low.id}/deliveries`, { token: api.operator }), 404, 'not_found');
    });

    it('the signing secret is shown once: never in the list, the delivery log or the server log; members cannot manage endpoints', async () => {
      api.clock.ms = Date.now();
      const r = await receiver([200]);
      const endpoint = await addEndpoint({ url: r.url }, a.billing!.token);
      await grant();
      await work(() => r.received.length >= 1, 3);
      const listed = await api.call('GET', `/v1/accounts/${a.id}/webhook-endpoints`, { token: a.owner.token });
      const deliveries_text = (await api.call('GET', `/v1/accounts/${a.id}/webhook-endpoints/${endpoint.id}/deliveries`, { token: a.owner.token })).text;
      const random = endpoint.secret.slice('whsec_'.length);
      for (const text of [listed.text, deliveries_text, log.join('')]) assert.ok(!text.includes(random.slice(0, 12)), 'the secret is not there');
      assert.ok(listed.body.data.every((e: Record<string, unknown>) => !('secret' in e)));
      assertError(await api.call('GET', `/v1/accounts/${a.id}/webhook-endpoints`, { token: a.member!.token }), 403, 'forbidden');
      assertError(await api.call('POST', `/v1/accounts/${a.id}/webhook-endpoints`, { token: a.member!.token, body: { url: r.url } }), 403, 'forbidden');
    });

    it('400 naming the field: an unknown event type, a URL with spaces, a relative URL', async () => {
      const post = (body: unknown) => api.call('POST', `/v1/accounts/${a.id}/webhook-endpoints`, { token: a.owner.token, body });
      assertError(await post({ url: 'http://127.0.0.1:9/x', events: ['balance.lowish'] }), 400, 'invalid_request', { field: 'events[0]' });
      assertError(await post({ url: 'http://127.0.0.1:9/x y' }), 400, 'invalid_request', { field: 'url' });
      assertError(await post({ url: '/hooks' }), 400, 'invalid_request', { field: 'url' });
    });
  });

  describe(`webhook URLs on non-public addresses are refused without TOKENBANK_WEBHOOK_ALLOW_PRIVATE (${engine.name})`, { skip: engine.skip }, () => {
    let api: Api;
    let a: TestAccount;
    before(async () => {
      api = await apiHarness(await engine.open(), { start: new Date().toISOString(), webhooks: { allow_private: false } });
      a = await api.account();
    });
    after(async () => {
      await api?.close();
      if (engine.name === 'pglite') await api?.db.close();
    });
    const post = (url: string) => api.call('POST', `/v1/accounts/${a.id}/webhook-endpoints`, { token: a.owner.token, body: { url } });

    const REFUSED = [
      'https://127.0.0.1/hook',
      'https://127.1.2.3:8443/hook',
      'https://10.0.0.5/hook',
      'https://172.16.3.4/hook',
      'https://192.168.1.1/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://100.64.0.1/hook',
      'https://0.0.0.0/hook',
      'https://[::1]/hook',
      'https://[fe80::1]/hook',
      'https://[fd00::1]/hook',
      'https://[::ffff:127.0.0.1]/hook',
      'https://[::ffff:a9fe:a9fe]/hook',
      'https://2130706433/hook',
      'https://0x7f.1/hook',
      'https://localhost/hook',
    ];
    for (const url of REFUSED) {
      it(`${url} → 400 url`, async () => {
        const e = assertError(await post(url), 400, 'invalid_request', { field: 'url' });
        assert.match(e.message, /address|resolve/);
      });
    }

    it('http:// is refused (https required); a public address is accepted', async () => {
      const e = assertError(await post('http://93.184.215.14/hook'), 400, 'invalid_request', { field: 'url' });
      assert.match(e.message, /https/);
      const created = await post('https://93.184.215.14/hook');
      assert.equal(created.status, 201, created.text);
      assert.equal((await api.call('DELETE', `/v1/accounts/${a.id}/webhook-endpoints/${created.body.id}`, { token: a.owner.token })).status, 200);
    });

    it('checked again at delivery: an endpoint on 127.0.0.1 (made while private addresses were allowed) gets nothing once they are not', async () => {
      const r = await startReceiver([200]);
      try {
        api.tb.deps.webhooks.allow_private = true;
        const endpoint = await api.tb.createWebhookEndpoint(a.id, { url: r.url });
        api.tb.deps.webhooks.allow_private = false;
        await api.tb.grantCredits(a.id, { amount_micros: 1_000_000 }, { id: 'operator', request_id: null });
        await api.tb.deliverWebhooks();
        assert.equal(r.received.length, 0);
        const [delivery] = (await api.tb.listWebhookDeliveries(a.id, endpoint.id, {})).data;
        assert.match(delivery!.log[0]!.error!, /^not sent: the URL (must start with https|.*loopback)/);
      } finally {
        api.tb.deps.webhooks.allow_private = false;
        await r.close();
      }
    });
  });
}
