// `tokenbank events` and `tokenbank webhooks add|list|rm|deliveries` against a running server
// (embedded database, jobs on, private addresses allowed, a short retry schedule) and a receiver
// on 127.0.0.1: the endpoint added by the CLI gets the event, verified with the secret the CLI
// printed once; --json is the API's object; bad flags are usage errors naming the flag.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Webhook } from 'standardwebhooks';
import { run } from '../../src/cli/main';
import { configFromEnv, start } from '../../src/main';
import { openPglite } from '../../src/store/db';
import { apiCall } from '../fixtures/cli';
import { startReceiver, type Receiver } from '../fixtures/receiver';

const OPERATOR = 'cli-webhooks-operator-0123456789';
let server: Awaited<ReturnType<typeof start>> | null = null;
let receiver: Receiver;
let url = '';
let work = '';
let account_id = '';
let owner_token = '';

function sink() {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk;
      done();
    },
  });
  return { stream, text: () => text };
}

async function cli(args: string[], token = owner_token) {
  const out = sink();
  const err = sink();
  const home = join(work, 'home');
  mkdirSync(home, { recursive: true });
  const env = {
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    NO_COLOR: '1',
    TZ: 'UTC',
    TOKENBANK_URL: url,
    TOKENBANK_TOKEN: token,
    TOKENBANK_ACCOUNT: account_id,
  };
  const code = await run(['node', 'tokenbank', ...args], {
    streams: { out: out.stream, err: err.stream, env },
    stdin: { isTTY: false } as unknown as NodeJS.ReadStream,
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

const api = (method: string, path: string, token: string, body?: unknown) => apiCall(url, method, path, token, body);

describe('tokenbank events and tokenbank webhooks against a running server', () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'tokenbank-cli-hooks-'));
    const data_dir = join(work, 'data');
    const template = process.env.TOKENBANK_TEST_PGLITE_TEMPLATE;
    if (template) await (await openPglite({ data_dir, load: new Blob([readFileSync(template)]) })).close();
    receiver = await startReceiver([200]);
    const quiet = console.log;
    console.log = () => undefined;
    try {
      const config = configFromEnv({ TOKENBANK_WEBHOOK_ALLOW_PRIVATE: '1', TOKENBANK_WEBHOOK_RETRY_SCHEDULE: '200ms' });
      server = await start({
        ...config,
        port: 0,
        host: '127.0.0.1',
        data_dir,
        demo: false,
        jobs: true,
        admin_token: OPERATOR,
        log_level: 'warn',
        web_root: '',
      });
    } finally {
      console.log = quiet;
    }
    url = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
    const email = `cli.hooks.${Date.now()}@example.com`;
    account_id = (await api('POST', '/v1/accounts', OPERATOR, { name: 'CLI hooks', plan: 'pro', owner_email: email, owner_password: 'correct horse battery' }))
      .id;
    owner_token = (await api('POST', '/v1/sessions', '', { email, password: 'correct horse battery' })).token;
  });
  after(async () => {
    await server?.shutdown();
    await receiver?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('webhooks add prints the secret once; the receiver gets the next event, verified with it; deliveries shows the attempt; list never shows the secret; rm deletes', async () => {
    const added = await cli(['webhooks', 'add', receiver.url, '--events', 'grant.added,balance.low']);
    assert.equal(added.code, 0, added.stderr);
    const secret = /Signing secret \(shown once, keep it safe\): (whsec_\S+)/.exec(added.stdout)?.[1];
    const endpoint_id = /endpoint (whe_\S+)/.exec(added.stdout)?.[1];
    assert.ok(secret && endpoint_id, added.stdout);
    await api('POST', `/v1/accounts/${account_id}/grants`, OPERATOR, { amount_micros: 2_000_000 });
    await receiver.until((r) => r.length >= 1, 20_000);
    const payload = new Webhook(secret).verify(receiver.received[0]!.body, receiver.received[0]!.headers) as { type: string };
    assert.equal(payload.type, 'grant.added');

    const list = await cli(['webhooks', 'list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`${endpoint_id}[\\s\\S]*grant.added,balance.low[\\s\\S]*enabled`));
    assert.ok(!list.stdout.includes(secret.slice(6)), 'no secret in the list');
    const json = await cli(['webhooks', 'list', '--json']);
    assert.deepEqual(JSON.parse(json.stdout), await api('GET', `/v1/accounts/${account_id}/webhook-endpoints`, owner_token));

    const deliveries = await cli(['webhooks', 'deliveries', endpoint_id]);
    assert.equal(deliveries.code, 0, deliveries.stderr);
    assert.match(deliveries.stdout, /evt_\d+\s+grant\.added\s+succeeded\s+200/);

    const rm = await cli(['webhooks', 'rm', endpoint_id]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.match(rm.stdout, /Deleted webhook endpoint/);
    const gone = await cli(['webhooks', 'deliveries', endpoint_id]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /not_found/);
  });

  it('events lists the notifications newest first, pages with --cursor, and --json is the API object', async () => {
    for (let i = 0; i < 3; i++) await api('POST', `/v1/accounts/${account_id}/grants`, OPERATOR, { amount_micros: 1_000_000 + i });
    const page = await cli(['events', '--limit', '2']);
    assert.equal(page.code, 0, page.stderr);
    assert.match(page.stdout, /grant\.added\s+.*\bgrant_id=grant_\S+.*\bamount_micros=1000002\b/);
    const cursor = /More: tokenbank events --cursor (\d+)/.exec(page.stdout)?.[1];
    assert.ok(cursor, page.stdout);
    const next = await cli(['events', '--limit', '2', '--cursor', cursor, '--json']);
    assert.deepEqual(JSON.parse(next.stdout), await api('GET', `/v1/accounts/${account_id}/events?limit=2&cursor=${cursor}`, owner_token));
  });

  it('usage errors name the flag and exit 2: --events with an unknown type, --limit 0, --cursor abc', async () => {
    const bad_events = await cli(['webhooks', 'add', receiver.url, '--events', 'balance.low,nope']);
    assert.equal(bad_events.code, 2);
    assert.match(bad_events.stderr, /--events: "nope" is not an event type/);
    const bad_limit = await cli(['events', '--limit', '0']);
    assert.equal(bad_limit.code, 2);
    assert.match(bad_limit.stderr, /--limit/);
    const bad_cursor = await cli(['events', '--cursor', 'abc']);
    assert.equal(bad_cursor.code, 2);
    assert.match(bad_cursor.stderr, /--cursor/);
    const private_refused = await cli(['webhooks', 'add', 'ftp://127.0.0.1/x']);
    assert.equal(private_refused.code, 1);
    assert.match(private_refused.stderr, /url/);
  });
});
