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
import type { RateLimiter } from './app/ports';
import { limits } from './domain/limits';
import { buildServer } from './http/server';
import { startJobs } from './jobs/loops';
import { nodeWebhookNetwork } from './jobs/webhooks';
import { parseRetrySchedule } from './domain/webhooks';
import { SandboxPayments } from './payments/sandbox';
import { StripePayments } from './payments/stripe';
import { stripeWebhookVerifier } from './payments/stripe-webhooks';
import { memoryRateLimiter, redisRateLimiter, RedisUnreachable } from './ratelimit/limiters';
import { DataDirInUse, openDatabase } from './store/db';
import { migrate, underStartupLock } from './store/migrations';
import { PgStore } from './store/store';
import { anthropicUpstream, DEFAULT_UPSTREAM_URL } from './upstream/anthropic';

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
  /** Days before a cancelled plan lapses that its owners are told (TOKENBANK_LAPSE_NOTICE_DAYS). */
  lapse_notice_days: number;
  /** TOKENBANK_WEBHOOK_ALLOW_PRIVATE=1 and TOKENBANK_WEBHOOK_RETRY_SCHEDULE (docs/webhooks.md). */
  webhook_allow_private: boolean;
  webhook_retry_schedule_ms: readonly number[];
  /** STRIPE_SECRET_KEY (Stripe instead of the sandbox), STRIPE_API_BASE, STRIPE_WEBHOOK_SECRET (docs/payments.md). */
  stripe: { secret_key: string | undefined; api_base: string | undefined; webhook_secret: string | undefined };
  /** The drop-in gateway's upstream (docs/gateway.md): TOKENBANK_UPSTREAM_URL and TOKENBANK_UPSTREAM_API_KEY. */
  upstream: { url: string; api_key: string | undefined };
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
  const built = spawnSync(process.execPath, [vite, 'build', '--config', join(repo_root, 'web', 'vite.config.ts'), '--logLevel', 'warn'], {
    cwd: repo_root,
    stdio: 'inherit',
  });
  return built.status === 0 && existsSync(join(web_root, 'index.html'));
}

/** A start that cannot go on, said in one line (no stack trace): bad settings, a taken port, a locked directory. */
export class StartupError extends Error {
  override name = 'StartupError';
}

function lapseNoticeDaysOf(text: string | undefined): number {
  if (text === undefined || text === '') return limits.lapse_notice_days_default;
  const days = Number(text);
  if (!/^\d{1,3}$/.test(text) || days > limits.lapse_notice_days_max)
    throw new StartupError(`TOKENBANK_LAPSE_NOTICE_DAYS must be a whole number of days from 0 to ${limits.lapse_notice_days_max}, got "${text}"`);
  return days;
}

function portOf(text: string | undefined): number {
  if (text === undefined || text === '') return 8080;
  const port = Number(text);
  if (!/^\d{1,5}$/.test(text) || port > 65535) throw new StartupError(`PORT must be a whole number from 0 to 65535, got "${text}"`);
  return port;
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const admin_token = env.TOKENBANK_ADMIN_TOKEN || undefined;
  if (admin_token !== undefined && admin_token.length < limits.token_length_min)
    throw new StartupError(`TOKENBANK_ADMIN_TOKEN must be at least ${limits.token_length_min} characters (it has ${admin_token.length})`);
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
    lapse_notice_days: lapseNoticeDaysOf(env.TOKENBANK_LAPSE_NOTICE_DAYS),
    ...webhookConfig(env),
    stripe: stripeConfigOf(env),
    upstream: upstreamConfigOf(env),
  };
}

function upstreamConfigOf(env: NodeJS.ProcessEnv): Config['upstream'] {
  const url = env.TOKENBANK_UPSTREAM_URL || DEFAULT_UPSTREAM_URL;
  if (!/^https?:\/\/[^/\s]+(\/[^\s]*)?$/.test(url))
    throw new StartupError(`TOKENBANK_UPSTREAM_URL must be an http(s) URL (e.g. https://api.anthropic.com), got "${url}"`);
  return { url, api_key: env.TOKENBANK_UPSTREAM_API_KEY || undefined };
}

function stripeConfigOf(env: NodeJS.ProcessEnv): Config['stripe'] {
  const api_base = env.STRIPE_API_BASE || undefined;
  if (api_base !== undefined && !/^https?:\/\/[^/]+\/?$/.test(api_base))
    throw new StartupError(`STRIPE_API_BASE must be a scheme and host (e.g. http://127.0.0.1:12111), got "${api_base}"`);
  return { secret_key: env.STRIPE_SECRET_KEY || undefined, api_base, webhook_secret: env.STRIPE_WEBHOOK_SECRET || undefined };
}

/** The card provider: Stripe when STRIPE_SECRET_KEY is set, else the offline sandbox; and the provider's webhooks. */
function paymentsOf(config: Config) {
  const { secret_key, api_base, webhook_secret } = config.stripe;
  const payments = secret_key ? new StripePayments({ secret_key, api_base, return_url: config.public_origin }) : new SandboxPayments();
  return { payments, ...(webhook_secret ? { payment_webhooks: stripeWebhookVerifier(webhook_secret) } : {}) };
}

function webhookConfig(env: NodeJS.ProcessEnv): Pick<Config, 'webhook_allow_private' | 'webhook_retry_schedule_ms'> {
  const allow = env.TOKENBANK_WEBHOOK_ALLOW_PRIVATE ?? '';
  if (!['', '0', '1'].includes(allow)) throw new StartupError(`TOKENBANK_WEBHOOK_ALLOW_PRIVATE must be 1 or 0, got "${allow}"`);
  const schedule = env.TOKENBANK_WEBHOOK_RETRY_SCHEDULE;
  if (schedule === undefined || schedule === '')
    return { webhook_allow_private: allow === '1', webhook_retry_schedule_ms: limits.webhook_retry_schedule_ms_default };
  const parsed = parseRetrySchedule(schedule);
  if (!parsed.ok) throw new StartupError(`TOKENBANK_WEBHOOK_RETRY_SCHEDULE: ${parsed.message}`);
  return { webhook_allow_private: allow === '1', webhook_retry_schedule_ms: parsed.delays_ms };
}

/** The Tokenbank options that come from the configuration beyond the store and clock. */
function moreOptions(config: Config, rate_limiter: RateLimiter) {
  const webhooks = { network: nodeWebhookNetwork, allow_private: config.webhook_allow_private, retry_schedule_ms: config.webhook_retry_schedule_ms };
  const upstream = anthropicUpstream({ base_url: config.upstream.url, api_key: config.upstream.api_key ?? null });
  return { sign_in_limiter: rate_limiter, webhooks, upstream, settings: { lapse_notice_days: config.lapse_notice_days } };
}

export async function start(config: Config) {
  const logger = {
    level: config.log_level,
    ...(config.log_format === 'pretty'
      ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } }
      : {}),
  };
  const log = pino(logger);
  // Redis first: a start without it fails in seconds, before a new database is made.
  const rate_limiter = config.redis_url
    ? await redisRateLimiter(config.redis_url).catch((error: unknown) => {
        throw error instanceof RedisUnreachable ? new StartupError(error.message) : error;
      })
    : memoryRateLimiter();
  const db = await openDatabase({ database_url: config.database_url, data_dir: config.data_dir }).catch(async (error: unknown) => {
    await rate_limiter.close?.();
    throw error instanceof DataDirInUse ? new StartupError(error.message) : error;
  });
  await migrate(db);
  const store = new PgStore(db);
  const tb = new Tokenbank({ store, clock: systemClock, ids: randomIds, ...paymentsOf(config), rate_limiter, ...moreOptions(config, rate_limiter) });
  const startup = { done: false };
  const page = config.web_root !== '' && ensureBuiltPage(config.web_root);
  const app = await buildServer({
    tb,
    startup,
    logger,
    ...(page ? { web_root: config.web_root } : {}),
    ...(config.public_origin ? { public_origin: config.public_origin, secure_cookies: config.public_origin.startsWith('https:') } : {}),
  });
  // Listen before any one-time secret is made: a start that cannot bind (port taken) must not
  // create the operator and gateway tokens and then die without printing them.
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    await app.close().catch(() => undefined);
    await db.close();
    await rate_limiter.close?.();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new StartupError(`port ${config.port} on ${config.host} is already in use: stop what runs there, or start with another PORT=`);
    throw error;
  }
  const notes: string[] = [];
  // Two processes starting on a new database: one loads the catalog and seeds, the other waits.
  const catalog_loaded = await underStartupLock(db, async () => {
    const loaded = await tb.ensureCatalog();
    const operator = await ensureOperatorToken(tb.deps, config.admin_token);
    if (operator.created && !config.admin_token) notes.push(`Operator token (shown once, stored hashed): ${operator.token}`);
    if (operator.revoked_token_ids.length > 0)
      notes.push(`TOKENBANK_ADMIN_TOKEN replaced: revoked ${operator.revoked_token_ids.length} earlier operator token(s)`);
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
