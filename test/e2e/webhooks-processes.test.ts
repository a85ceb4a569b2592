// Webhook delivery by real server processes (`node --import tsx src/main.ts`) with their jobs on,
// a receiver on 127.0.0.1 (TOKENBANK_WEBHOOK_ALLOW_PRIVATE=1) and a short retry schedule:
// - a server killed with SIGKILL after the events committed and before any delivery (its jobs
//   were off) delivers them after it restarts, 500 three times then 200, one webhook-id, verified
//   signatures, the secret in no line of the server's log (both engines);
// - two server processes on one PostgreSQL deliver each of many events exactly once (counted by
//   webhook-id at the receiver).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { closeAll, freshPostgres, postgresUrlOf } from '../fixtures/databases';
import { startReceiver } from '../fixtures/receiver';
import { freePort, killServer, pool, request, startServer, stopServer, waitHealthy, type Server } from '../fixtures/servers';

const ADMIN_TOKEN = 'webhooks-admin-token-0123456789';
const SCHEDULE = '200ms,200ms,300ms,500ms';
const EVENTS = 40;
const pg_skip = process.env.TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL not set: several processes need PostgreSQL';

const servers: Server[] = [];
const dirs: string[] = [];
after(async () => {
  await Promise.all(servers.map(stopServer));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await closeAll();
});

async function serve(database: Record<string, string>, jobs: boolean, log_level = 'warn'): Promise<Server> {
  const server = startServer(await freePort(), {
    ...database,
    TOKENBANK_ADMIN_TOKEN: ADMIN_TOKEN,
    TOKENBANK_JOBS: jobs ? '1' : '0',
    TOKENBANK_WEBHOOK_ALLOW_PRIVATE: '1',
    TOKENBANK_WEBHOOK_RETRY_SCHEDULE: SCHEDULE,
    TOKENBANK_WEB_ROOT: '',
    LOG_LEVEL: log_level,
  });
  servers.push(server);
  await waitHealthy(server);
  return server;
}

const op = (server: Server, method: string, path: string, body?: unknown) => request(server.base, method, path, ADMIN_TOKEN, body);

async function account(server: Server): Promise<string> {
  const r = await op(server, 'POST', '/v1/accounts', {
    name: 'Hooks',
    plan: 'pro',
    owner_email: `hooks.${Date.now()}.${Math.random()}@example.com`,
    owner_password: 'correct horse battery',
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.id as string;
}

async function grant(server: Server, account_id: string, amount_micros: number) {
  const r = await op(server, 'POST', `/v1/accounts/${account_id}/grants`, { amount_micros });
  assert.equal(r.status, 201, JSON.stringify(r.body));
}

const engines = [
  {
    name: 'pglite',
    skip: false as const,
    database: async () => ({ TOKENBANK_DATA_DIR: dirs[dirs.push(mkdtempSync(join(tmpdir(), 'tb-hooks-'))) - 1]!, DATABASE_URL: '' }),
  },
  { name: 'postgres', skip: pg_skip, database: async () => ({ DATABASE_URL: postgresUrlOf((await freshPostgres())!) }) },
];

for (const engine of engines) {
  describe(`a server killed between the commit and the delivery delivers after its restart (${engine.name})`, { skip: engine.skip }, () => {
    it('SIGKILL with the events committed and undelivered → after the restart: 500, 500, 500, 200 with one webhook-id, signatures verified; the secret in no log line', async () => {
      const receiver = await startReceiver([500, 500, 500, 200]);
      try {
        const database = await engine.database();
        const first = await serve(database, false, 'info');
        const id = await account(first);
        const created = await op(first, 'POST', `/v1/accounts/${id}/webhook-endpoints`, { url: receiver.url, events: ['grant.added'] });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const secret = created.body.secret as string;
        await grant(first, id, 3_000_000);
        await killServer(first); // the grant and its outbox row are committed; nothing was sent
        assert.equal(receiver.received.length, 0);

        const second = await serve(database, true, 'info');
        await receiver.until((r) => r.length >= 4, 30_000);
        assert.equal(receiver.received.length, 4);
        assert.equal(new Set(receiver.received.map((r) => r.headers['webhook-id'])).size, 1);
        for (const r of receiver.received) {
          const payload = new Webhook(secret).verify(r.body, r.headers) as { type: string; data: { amount_micros: number } };
          assert.deepEqual([payload.type, payload.data.amount_micros], ['grant.added', 3_000_000]);
        }
        // The receiver has answered the fourth attempt; the server records it just after: read the log until it has.
        const logged = async () =>
          ((await op(second, 'GET', `/v1/accounts/${id}/webhook-endpoints/${created.body.id}/deliveries`)).body.data[0].log as Array<{ status_code: number }>).map(
            (l) => l.status_code,
          );
        let statuses = await logged();
        for (const deadline = Date.now() + 10_000; statuses.length < 4 && Date.now() < deadline; statuses = await logged())
          await new Promise((resolve) => setTimeout(resolve, 100));
        assert.deepEqual(statuses, [500, 500, 500, 200]);
        const listed = await op(second, 'GET', `/v1/accounts/${id}/webhook-endpoints`);
        assert.ok(!JSON.stringify(listed.body).includes(secret.slice(6, 18)));
        await stopServer(second);
        const output = [...first.output, ...second.output].join('');
        assert.ok(output.includes('/webhook-endpoints'), 'the log was captured');
        assert.ok(!output.includes(secret.slice(6, 18)), 'the secret is in no log line');
      } finally {
        await receiver.close();
      }
    });
  });
}

describe('two server processes on one PostgreSQL deliver each event once', { skip: pg_skip }, () => {
  it(`${EVENTS} events written through both servers, both delivering: each webhook-id arrives exactly once`, async () => {
    const receiver = await startReceiver([200]);
    try {
      const database = await engines[1]!.database();
      const a = await serve(database, true);
      const b = await serve(database, true);
      const id = await account(a);
      const created = await op(b, 'POST', `/v1/accounts/${id}/webhook-endpoints`, { url: receiver.url, events: ['grant.added'] });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      await pool(EVENTS, 8, (i) => grant(i % 2 === 0 ? a : b, id, 1_000_000 + i));
      await receiver.until((r) => new Set(r.map((x) => x.headers['webhook-id'])).size >= EVENTS, 60_000);
      await new Promise((r) => setTimeout(r, 1500)); // time for a second delivery, if there were one
      const counts = receiver.countsById();
      assert.equal(counts.size, EVENTS);
      assert.deepEqual(
        [...counts.values()].filter((n) => n !== 1),
        [],
        'no event delivered twice',
      );
      const amounts = receiver.received.map(
        (r) => (new Webhook(created.body.secret).verify(r.body, r.headers) as { data: { amount_micros: number } }).data.amount_micros,
      );
      assert.deepEqual(
        amounts.sort((x, y) => x - y),
        Array.from({ length: EVENTS }, (_, i) => 1_000_000 + i),
      );
    } finally {
      await receiver.close();
    }
  });
});
