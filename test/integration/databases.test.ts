// The two engines behind one Db (STYLE habit 1, SPEC §1.1): every integer column comes back as a
// JS number on PGlite and on PostgreSQL alike, and a value no double can hold exactly (beyond
// 2^53 − 1 micros, about $9 billion) fails the query loudly instead of rounding money. Also checks
// what the fixtures promise every other test: each database is migrated, fresh and private, and
// a PostgreSQL one is reachable by URL from other processes and dropped by closeAll().
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { closeAll, databaseEngines, freshPglite, freshPostgres, postgresUrlOf } from '../fixtures/databases';
import { DbInvariantError, type Db } from '../../src/store/db';
import { MIGRATIONS } from '../../src/store/migrations';

after(closeAll);

const safe_max = Number.MAX_SAFE_INTEGER; // 9007199254740991 = 2^53 − 1

for (const engine of databaseEngines()) {
  describe(`database on ${engine.name}`, { skip: engine.skip }, () => {
    let db: Db;
    before(async () => {
      db = await engine.open();
    });
    after(async () => {
      await db?.close();
    });

    it(`is the ${engine.name} engine and answers SELECT 1`, async () => {
      assert.equal(db.engine, engine.name);
      assert.deepEqual(await db.query('SELECT 1 AS one'), [{ one: 1 }]);
    });

    it('has every migration applied', async () => {
      const rows = await db.query<{ id: number }>('SELECT id FROM schema_migrations ORDER BY id');
      assert.deepEqual(
        rows.map((r) => r.id),
        MIGRATIONS.map((m) => m.id),
      );
    });

    it('returns int8 and integral numeric as numbers, timestamptz as Date, date as YYYY-MM-DD text', async () => {
      const [row] = await db.query<Record<string, unknown>>(
        `SELECT $1::int8 AS max, (-$1)::int8 AS min, sum(x)::numeric AS total, now() AS at, DATE '2026-02-28' AS day
         FROM (VALUES (1::int8), (2::int8)) AS v(x)`,
        [safe_max],
      );
      assert.ok(row);
      assert.equal(row.max, safe_max);
      assert.equal(row.min, -safe_max);
      assert.equal(row.total, 3);
      assert.ok(row.at instanceof Date, `now() came back as ${typeof row.at}`);
      assert.equal(row.day, '2026-02-28');
    });

    it('refuses an integer beyond 2^53 − 1 or a fractional numeric, and stays usable afterwards', async () => {
      await assert.rejects(db.query("SELECT '9007199254740992'::int8 AS n"), DbInvariantError); // 2^53
      await assert.rejects(db.query("SELECT '-9007199254740993'::int8 AS n"), DbInvariantError);
      await assert.rejects(db.query('SELECT 1.5::numeric AS n'), DbInvariantError);
      await assert.rejects(
        db.transaction((tx) => tx.query("SELECT '9223372036854775807'::int8 AS n")),
        DbInvariantError,
      );
      assert.deepEqual(await db.query('SELECT 2 AS two'), [{ two: 2 }]);
      assert.deepEqual(await db.transaction((tx) => tx.query('SELECT 3 AS three')), [{ three: 3 }]);
    });

    it('commits a transaction that resolves and rolls back one that throws', async () => {
      await db.query('CREATE TABLE fixture_probe (id integer PRIMARY KEY)');
      await db.transaction((tx) => tx.query('INSERT INTO fixture_probe VALUES (1)'));
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.query('INSERT INTO fixture_probe VALUES (2)');
          throw new Error('abandon');
        }),
        /abandon/,
      );
      assert.deepEqual(await db.query('SELECT id FROM fixture_probe ORDER BY id'), [{ id: 1 }]);
    });

    it('gives every open() a database of its own', async () => {
      const other = await engine.open();
      try {
        await other.query('CREATE TABLE fixture_private (id integer)');
        const seen = await db.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'fixture_private'");
        assert.deepEqual(seen, []);
      } finally {
        await other.close();
      }
    });
  });
}

describe('PGlite copies of the template', () => {
  it('are independent of each other', async () => {
    const [a, b] = [await freshPglite(), await freshPglite()];
    try {
      await a.query("INSERT INTO apps (id, kind) VALUES ('fixture-app', 'third_party')");
      assert.deepEqual(await b.query("SELECT id FROM apps WHERE id = 'fixture-app'"), []);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('PostgreSQL test databases', { skip: process.env.TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL not set' }, () => {
  it('are reachable by URL from another connection and dropped by closeAll()', async () => {
    const db = await freshPostgres();
    assert.ok(db);
    const url = postgresUrlOf(db);
    const name = new URL(url).pathname.slice(1);
    assert.match(name, /^tb_test_[a-z0-9_]+$/);

    await db.query("INSERT INTO apps (id, kind) VALUES ('fixture-app', 'third_party')");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ id: string }>("SELECT id FROM apps WHERE id = 'fixture-app'");
      assert.deepEqual(rows, [{ id: 'fixture-app' }]);
    } finally {
      await client.end();
    }

    await closeAll();
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    try {
      const { rows } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      assert.deepEqual(rows, [], `${name} is still on the server`);
    } finally {
      await admin.end();
    }
  });
});
