// Admin tasks straight on the database, for the operator on the server's machine: the one CLI
// file that may import app/ and store/. Loaded lazily, so other commands never open a database.
//
// The embedded database (PGlite) is one process's: audit it while the server is stopped, or
// audit a running server over the API. PostgreSQL may be audited at any time; the audit reads
// one REPEATABLE READ snapshot.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openDatabase } from '../store/db';
import { PgStore } from '../store/store';
import { CliError, EXIT } from './errors';

export interface LocalTarget {
  database_url: string | undefined;
  data_dir: string;
  /** Where, for the output (a DATABASE_URL without its password). */
  description: string;
}

/** Same variables and defaults as the server (`npm start`). */
export function localTarget(env: NodeJS.ProcessEnv): LocalTarget {
  const database_url = env.DATABASE_URL || undefined;
  const data_dir = resolve(env.TOKENBANK_DATA_DIR ?? './data');
  if (database_url) return { database_url, data_dir, description: `PostgreSQL ${redact(database_url)}` };
  return { database_url, data_dir, description: `the embedded database in ${data_dir}` };
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(DATABASE_URL)';
  }
}

export interface AuditResult {
  ok: boolean;
  findings: Array<{ check: string; account_id: string | null; expected: number; actual: number; message: string }>;
  totals: Record<string, number>;
  accounts_checked: number;
  transfers_checked: number;
}

/** The ledger proof of SPEC §1.1 on the database itself; the same object GET /v1/audit returns. */
export async function localAudit(target: LocalTarget): Promise<AuditResult> {
  // Never create a database by auditing the wrong directory.
  if (!target.database_url && !existsSync(join(target.data_dir, 'PG_VERSION'))) {
    throw new CliError(
      'not_found',
      `No Tokenbank database in ${target.data_dir}.`,
      EXIT.failed,
      "Set TOKENBANK_DATA_DIR to the server's data directory, or DATABASE_URL.",
    );
  }
  let db;
  try {
    db = await openDatabase({ database_url: target.database_url, data_dir: target.data_dir, pool_connections_max: 1 });
  } catch (error) {
    throw new CliError('database_unavailable', `Cannot open ${target.description}: ${(error as Error).message}`, EXIT.failed);
  }
  try {
    const audit = await new PgStore(db).audit(Date.now());
    return { ok: audit.findings.length === 0, ...audit };
  } catch (error) {
    throw new CliError(
      'database_error',
      `The audit query failed on ${target.description}: ${(error as Error).message}`,
      EXIT.failed,
      'Is this a Tokenbank database at the current schema? Start the server once to migrate it.',
    );
  } finally {
    await db.close();
  }
}
