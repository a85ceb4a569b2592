// The one file that wires everything together: configuration from the environment, the
// database (embedded PGlite or PostgreSQL), the app, the jobs and the HTTP server.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { ensureOperatorToken, createServiceToken } from './app/auth';
import { SYSTEM_ACTOR } from './app/deps';
import { DEMO, ReplayClock, seedDemo } from './app/demo';
import { randomIds, systemClock } from './app/system';
import { Tokenbank } from './app/tokenbank';
import { limits } from './domain/limits';
import { buildServer } from './http/server';
import { startJobs } from './jobs/loops';
import { SandboxPayments } from './payments/sandbox';
import { memoryRateLimiter, redisRateLimiter } from './ratelimit/limiters';
import { DataDirInUse, openDatabase } from './store/db';
import { migrate, underStartupLock } from './store/migrations';
import { PgStore } from './store/store';

export interface Config {
  port: number;
  host: string;
  data_dir: string;
  database_url: string | undefined;
  redis_url: string | undefined;
  admin_token: string | undefined;
  demo: boolean;
  jobs: boolean;
  log_level: string;
  /** Logs as JSON lines (for a log collector), or readable lines for a person (pino-pretty). */
  log_format: 'json' | 'pretty';
  /** The origin the page is served from (e.g. https://billing.example.com behind a TLS proxy): cookie calls must come from it. */
  public_origin: string | undefined;
  /** The built page (web/dist); built at start when missing. Empty string: serve no page. */
  web_root: string;
}

const repo_root = new URL('..', import.meta.url).pathname;

/**
 * The page is built by `npm ci`/`npm install` (the prepare script); a clone that skipped it
 * (or deleted web/dist) gets it built here, once, before the server listens. No download: Vite
 * and the page's packages are already in node_modules.
 */
export function ensureBuiltPage(web_root: string): boolean {
  if (existsSync(join(web_root, 'index.html'))) return true;
  const vite = join(repo_root, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!existsSync(vite)) {
    console.error(`The page is not built (${web_root}) and Vite is not installed: run npm ci (it builds the page). Serving the API only.`);
    return false;
  }
  console.log('Building the page (web/dist is missing) …');
  const built = spawnSync(process.execPath, [vite, 'build', '--config', join(repo_root, 'web', 'vite.config.ts'), '--logLevel', 'warn'], { cwd: repo_root, stdio: 'inherit' });
  return built.status === 0 && existsSync(join(web_root, 'index.html'));
}

/** A start that cannot go on, said in one line (no stack trace): bad settings, a taken port, a locked directory. */
export class StartupError extends Error {
  override name = 'StartupError';
}

function portOf(text: string | undefined): number {
  if (text === undefined || text === '') return 8080;
  const port = Number(text);
  if (!/^\d{1,5}$/.test(text) || port > 65535) throw new StartupError(`PORT must be a whole number from 0 to 65535, got "${text}"`);
  return port;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const admin_token = env.TOKENBANK_ADMIN_TOKEN || undefined;
  if (admin_token !== undefined && admin_token.length < limits.token_length_min) throw new StartupError(`TOKENBANK_ADMIN_TOKEN must be at least ${limits.token_length_min} characters (it has ${admin_token.length})`);
  return {
    port: portOf(env.PORT),
    host: env.HOST ?? '127.0.0.1',
    data_dir: resolve(env.TOKENBANK_DATA_DIR ?? './data'),
    database_url: env.DATABASE_URL || undefined,
    redis_url: env.REDIS_URL || undefined,
    admin_token,
    demo: env.TOKENBANK_DEMO !== '0',
    jobs: env.TOKENBANK_JOBS !== '0',
    log_level: env.LOG_LEVEL ?? 'info',
    // Readable on a terminal, JSON lines otherwise (a pipe, a file, a collector); LOG_FORMAT overrides.
    log_format: env.LOG_FORMAT === 'json' || env.LOG_FORMAT === 'pretty' ? env.LOG_FORMAT : process.stdout.isTTY ? 'pretty' : 'json',
    public_origin: env.TOKENBANK_PUBLIC_ORIGIN || undefined,
    web_root: env.TOKENBANK_WEB_ROOT ?? join(repo_root, 'web', 'dist'),
  };
}

export async function start(config: Config) {
  const logger = { level: config.log_level, ...(config.log_format === 'pretty' ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } } : {}) };
  const log = pino(logger);
  const db = await openDatabase({ database_url: config.database_url, data_dir: config.data_dir }).catch((error: unknown) => {
    throw error instanceof DataDirInUse ? new StartupError(error.message) : error;
  });
  await migrate(db);
  const store = new PgStore(db);
  const rate_limiter = config.redis_url ? await redisRateLimiter(config.redis_url) : memoryRateLimiter();
  const tb = new Tokenbank({ store, clock: systemClock, ids: randomIds, payments: new SandboxPayments(), rate_limiter, sign_in_limiter: rate_limiter });
  const startup = { done: false };
  const page = config.web_root !== '' && ensureBuiltPage(config.web_root);
  const app = await buildServer({ tb, startup, logger, ...(page ? { web_root: config.web_root } : {}), ...(config.public_origin ? { public_origin: config.public_origin, secure_cookies: config.public_origin.startsWith('https:') } : {}) });
  // Listen before any one-time secret is made: a start that cannot bind (port taken) must not
  // create the operator and gateway tokens and then die without printing them.
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await app.close().catch(() => undefined);
    await db.close();
    await rate_limiter.close?.();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new StartupError(`port ${config.port} on ${config.host} is already in use: stop what runs there, or start with another PORT=`);
    throw error;
  }
  const notes: string[] = [];
  // Two processes starting on a new database: one loads the catalog and seeds, the other waits.
  const catalog_loaded = await underStartupLock(db, async () => {
    const loaded = await tb.ensureCatalog();
    const operator = await ensureOperatorToken(tb.deps, config.admin_token);
    if (operator.created && !config.admin_token) notes.push(`Operator token (shown once, stored hashed): ${operator.token}`);
    if (operator.revoked_token_ids.length > 0) notes.push(`TOKENBANK_ADMIN_TOKEN replaced: revoked ${operator.revoked_token_ids.length} earlier operator token(s)`);
    if (config.demo) {
      // The history is replayed with its own clock over the same store, then the server runs on real time.
      const replay = new ReplayClock(Date.now());
      const seeding = new Tokenbank({ store, clock: replay, ids: randomIds, payments: new SandboxPayments() });
      const demo = await seedDemo(seeding, replay, systemClock.now_ms(), SYSTEM_ACTOR);
      if (demo) {
        const gateway = await createServiceToken(tb.deps, { kind: 'operator', token_id: 'startup' }, { name: 'demo gateway' });
        notes.push(`Demo account ${demo.account_id}: sign in as ${DEMO.email} / ${DEMO.password}`);
        notes.push(`Gateway service token (shown once): ${gateway.token}`);
      }
    }
    return loaded;
  });
  startup.done = true;
  const stop_jobs = config.jobs ? startJobs(tb, log) : async () => undefined;
  const bound = app.server.address();
  const port = typeof bound === 'object' && bound ? bound.port : config.port;
  const address = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
  console.log(
    [
      '',
      `Tokenbank is running on ${address}  (${db.engine === 'pglite' ? `embedded PGlite in ${config.data_dir}` : 'PostgreSQL'}${catalog_loaded ? ', demo catalog loaded' : ''})`,
      ...(page ? [`  Usage page: ${address}/   (sign in as ${DEMO.email} / ${DEMO.password}${config.demo ? '' : ' when the demo is seeded'})`] : []),
      `  API reference: ${address}/docs   OpenAPI: ${address}/openapi.json`,
      `  Sign in: curl -s -X POST ${address}/v1/sessions -H 'content-type: application/json' -d '{"email":"${DEMO.email}","password":"${DEMO.password}"}'`,
      ...notes.map((n) => `  ${n}`),
      '',
    ].join('\n'),
  );
  const shutdown = async () => {
    await app.close();
    await stop_jobs();
    await tb.meter.drain();
    await rate_limiter.close?.();
    await db.close();
  };
  return { app, tb, db, shutdown, address };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const server = await (async () => start(configFromEnv()))().catch((error: unknown) => {
    if (!(error instanceof StartupError)) throw error;
    console.error(`tokenbank: cannot start: ${error.message}`);
    process.exit(2);
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      server.shutdown().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}
