// A replaced operator token stops working: starting with a new TOKENBANK_ADMIN_TOKEN revokes the
// old one in the same transaction that registers the new one (issue 8, item 10). A restart is a
// new Tokenbank instance (its own principal cache) on the same database, as `npm start` would be.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ensureOperatorToken } from '../../src/app/auth';
import { Tokenbank } from '../../src/app/tokenbank';
import { buildServer } from '../../src/http/server';
import { SandboxPayments } from '../../src/payments/sandbox';
import type { Db } from '../../src/store/db';
import { PgStore } from '../../src/store/store';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { ManualClock, sequentialIds } from '../fixtures/tokenbank';

const TOKEN_A = 'operator-token-A-0123456789abcdef';
const TOKEN_B = 'operator-token-B-0123456789abcdef';

after(closeAll);

/** One server start: a new Tokenbank on `db`, the configured operator token, an HTTP server. */
async function startOn(db: Db, admin_token: string) {
  const tb = new Tokenbank({ store: new PgStore(db), clock: new ManualClock(), ids: sequentialIds(), payments: new SandboxPayments() });
  await tb.ensureCatalog();
  const registered = await ensureOperatorToken(tb.deps, admin_token);
  const app = await buildServer({ tb, logger: false });
  await app.ready();
  const status = async (token: string) => (await app.inject({ method: 'GET', url: '/v1/audit-log', headers: { authorization: `Bearer ${token}` } })).statusCode;
  return { tb, app, registered, status };
}

for (const engine of databaseEngines()) {
  describe(`operator token replacement (${engine.name})`, { skip: engine.skip }, () => {
    it('registering a new operator token in a process drops the old one from that process\'s principal cache at once', async () => {
      const db = await engine.open();
      try {
        const running = await startOn(db, TOKEN_A);
        assert.equal(await running.status(TOKEN_A), 200, 'A is now cached as a principal');
        const registered = await ensureOperatorToken(running.tb.deps, TOKEN_B);
        assert.equal(registered.revoked_token_ids.length, 1);
        assert.equal(await running.status(TOKEN_A), 401, 'not served from the cache');
        assert.equal(await running.status(TOKEN_B), 200);
        await running.app.close();
      } finally {
        if (engine.name === 'pglite') await db.close();
      }
    });

    it('after a restart with a new TOKENBANK_ADMIN_TOKEN the old one answers 401 and the new one 200', async () => {
      const db = await engine.open();
      try {
        const first = await startOn(db, TOKEN_A);
        assert.equal(await first.status(TOKEN_A), 200);

        const second = await startOn(db, TOKEN_B);
        assert.equal(second.registered.revoked_token_ids.length, 1, 'token A revoked when B was registered');
        assert.equal(await second.status(TOKEN_A), 401);
        assert.equal(await second.status(TOKEN_B), 200);

        // Restarting again with B changes nothing; going back to the retired A is refused at start.
        const third = await startOn(db, TOKEN_B);
        assert.deepEqual(third.registered.revoked_token_ids, []);
        assert.equal(await third.status(TOKEN_B), 200);
        await assert.rejects(() => ensureOperatorToken(third.tb.deps, TOKEN_A), /TOKENBANK_ADMIN_TOKEN/);
        const rows = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM api_tokens WHERE kind = 'operator' AND revoked_at IS NULL");
        assert.equal(rows[0]!.n, 1, 'one live operator token');
        for (const s of [first, second, third]) await s.app.close();
      } finally {
        if (engine.name === 'pglite') await db.close();
      }
    });
  });
}
