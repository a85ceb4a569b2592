// Runs the schema's migrations (src/store/schema.ts) once each, one process at a time, and the
// first-start work of a server under a lock of its own.
import type { Db } from './db';
import { MIGRATIONS } from './schema';

export { MIGRATIONS };

const MIGRATION_LOCK = 7270001;
const STARTUP_LOCK = 7270002;

export async function migrate(db: Db): Promise<number[]> {
  const applied: number[] = [];
  for (const migration of MIGRATIONS) {
    // Several processes may start at once on one PostgreSQL: an advisory lock makes one migrate.
    // Everything, the bookkeeping table too, is created under it: `CREATE TABLE IF NOT EXISTS`
    // run by two sessions at once can fail in one of them with a unique violation.
    const did = await db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      await tx.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const done = await tx.query('SELECT 1 FROM schema_migrations WHERE id = $1', [migration.id]);
      if (done.length > 0) return false;
      for (const statement of splitStatements(migration.sql)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (id, name) VALUES ($1, $2)', [migration.id, migration.name]);
      return true;
    });
    if (did) applied.push(migration.id);
  }
  return applied;
}

/**
 * Runs a server's first-start work (catalog, operator token, demo seed) one process at a time:
 * the second process to start waits, then finds the work done. On PostgreSQL the lock is held
 * by a transaction of its own while `fn` uses other connections; PGlite is one process.
 */
export async function underStartupLock<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  if (db.engine === 'pglite') return fn();
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${STARTUP_LOCK})`);
    return fn();
  });
}

function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*\n/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}
