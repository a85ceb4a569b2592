// One SQL dialect (PostgreSQL's), two engines: the embedded PGlite and a PostgreSQL server
// through `pg`. Both parse int8 and numeric into safe-integer numbers (or throw), timestamps into
// Date and `date` into 'YYYY-MM-DD' text, so every column has one type whichever engine ran.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { CommitOutcomeUnknown } from '../app/ports';

export interface Sql {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
}

export interface Db extends Sql {
  readonly engine: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction (READ COMMITTED); commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export class DbInvariantError extends Error {
  override name = 'DbInvariantError';
}

/** A server's answer carries a SQLSTATE; a lost connection does not. */
function hasSqlState(error: unknown): boolean {
  return typeof (error as { code?: unknown })?.code === 'string' && /^[0-9A-Z]{5}$/.test((error as { code: string }).code);
}

const OID = { INT8: 20, NUMERIC: 1700, DATE: 1082, TIMESTAMPTZ: 1184 } as const;

export function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new DbInvariantError(`integer column value ${text} is not a safe integer`);
  return value;
}

const parsers = {
  [OID.INT8]: parseInt8,
  [OID.NUMERIC]: parseInt8, // only integral sums are selected; anything else is a bug
  [OID.DATE]: (text: string) => text,
};

/** Another live process has the embedded data directory open. */
export class DataDirInUse extends Error {
  override name = 'DataDirInUse';
}

const LOCK_FILE = 'tokenbank.lock';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * PGlite is one process's database: two processes on one directory would corrupt it. The lock
 * file holds the owner's pid; a lock whose process is gone (kill -9, a crash) is taken over.
 * Returns the release function.
 */
export function lockDataDir(data_dir: string): () => void {
  const path = join(data_dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isSafeInteger(owner) && owner !== process.pid && processAlive(owner)) {
        throw new DataDirInUse(
          `the embedded database in ${data_dir} is in use by process ${owner} (a running Tokenbank server?): stop it first, or use a PostgreSQL DATABASE_URL to run several processes`,
        );
      }
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  throw new DataDirInUse(`could not lock the embedded database in ${data_dir}`);
}

/** The embedded database: fsync off, one connection, every statement serialised. */
export async function openPglite(options: { data_dir?: string; load?: Blob } = {}): Promise<Db> {
  let unlock = () => undefined as void;
  if (options.data_dir) {
    mkdirSync(options.data_dir, { recursive: true });
    unlock = lockDataDir(options.data_dir);
  }
  try {
    return await openLockedPglite(options, unlock);
  } catch (error) {
    unlock();
    throw error;
  }
}

async function openLockedPglite(options: { data_dir?: string; load?: Blob }, unlock: () => void): Promise<Db> {
  const db = await PGlite.create({
    ...(options.data_dir ? { dataDir: options.data_dir } : {}),
    ...(options.load ? { loadDataDir: options.load } : {}),
    relaxedDurability: true,
    parsers,
  });
  await db.exec("SET TIME ZONE 'UTC'");
  return {
    engine: 'pglite',
    async query<R>(text: string, params?: unknown[]) {
      const result = await db.query<R>(text, params);
      return result.rows;
    },
    async transaction<T>(fn: (tx: Sql) => Promise<T>) {
      return db.transaction(async (tx) =>
        fn({
          async query<R>(text: string, params?: unknown[]) {
            return (await tx.query<R>(text, params)).rows;
          },
        }),
      );
    },
    async close() {
      await db.close();
      unlock();
    },
    // exposed for the test template
    ...({ pglite: db } as object),
  } as Db;
}

export function pgliteOf(db: Db): PGlite | undefined {
  return (db as unknown as { pglite?: PGlite }).pglite;
}

const pgTypes = {
  getTypeParser(oid: number, format?: string) {
    const parser = (parsers as Record<number, (text: string) => unknown>)[oid];
    if (parser && format !== 'binary') return parser;
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/** A PostgreSQL server through a `pg` pool. */
export function openPostgres(options: { url: string; pool_connections_max?: number; application_name?: string }): Db {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.pool_connections_max ?? 10,
    application_name: options.application_name ?? 'tokenbank',
    types: pgTypes as never,
    options: '-c TimeZone=UTC',
  });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it. Queries report their own errors.
  });
  return {
    engine: 'postgres',
    async query<R>(text: string, params?: unknown[]) {
      const result = await pool.query(text, params as unknown[]);
      return result.rows as R[];
    },
    async transaction<T>(fn: (tx: Sql) => Promise<T>) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const value = await fn({
          async query<R>(text: string, params?: unknown[]) {
            return (await client.query(text, params as unknown[])).rows as R[];
          },
        });
        try {
          await client.query('COMMIT');
        } catch (error) {
          // A refusal from the server (a deferred constraint, a serialization failure) is a
          // rollback; anything else (the connection dropped) leaves the outcome unknown.
          if (hasSqlState(error)) throw error;
          broken = error as Error;
          throw new CommitOutcomeUnknown(value, error);
        }
        return value;
      } catch (error) {
        if (!broken) await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        // A connection that failed mid-COMMIT is not returned to the pool.
        client.release(broken);
      }
    },
    async close() {
      await pool.end();
    },
  };
}

/** `DATABASE_URL` → PostgreSQL; otherwise PGlite under `data_dir`. */
export async function openDatabase(options: { database_url?: string | undefined; data_dir: string; pool_connections_max?: number }): Promise<Db> {
  if (options.database_url)
    return openPostgres({ url: options.database_url, ...(options.pool_connections_max ? { pool_connections_max: options.pool_connections_max } : {}) });
  return openPglite({ data_dir: options.data_dir });
}
