// The `tokenbank` CLI end to end: a real server (embedded database, demo account) started by the
// test, and the CLI run as a child process (`node bin/tokenbank.mjs …`) with its own HOME, the
// way a user runs it. Checks each command's output, that --json equals the API's object, the exit
// codes (0 ok, 1 refused or failed, 2 usage error), bad input, refusals, and the 0600 token file.
// At the end the server is stopped, `tokenbank serve` runs on the same data directory, and
// `audit` reads the database directly, clean and then tampered with.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { apiCall, assertExit, BIN, ROOT, runCli, type Run } from '../fixtures/cli';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { configFromEnv, start } from '../../src/main';
import { buildProgram, run } from '../../src/cli/main';
import { makeKit } from '../../src/cli/kit';
import { formatUsd } from '../../src/domain/money';
import { openPglite } from '../../src/store/db';
import { freshPostgres, closeAll, postgresUrlOf } from '../fixtures/databases';
import { harness, makeAccount } from '../fixtures/tokenbank';

const OPERATOR = 'test-operator-token-0123456789';
const DEMO = { email: 'demo@tokenbank.local', password: 'demo-password' };

let server: Awaited<ReturnType<typeof start>> | null = null;
let url = '';
let work = '';
let data_dir = '';
let demo_account = '';

/** A home directory of its own: the CLI's config lives in it. */
function home(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Runs the CLI as a child process; never a TTY, NO_COLOR set, only the environment given. */
function cli(args: string[], options: { home?: string; env?: Record<string, string>; input?: string } = {}): Promise<Run> {
  return runCli(args, { url, ...options, home: options.home ?? home('user') });
}

/**
 * The same program in this process, for matrices of bad input that never reach the network: a
 * child process per case would only repeat the start-up. Every exit-code class is also checked
 * through the real binary above.
 */
async function cliInProcess(args: string[]): Promise<Run> {
  const out = sink();
  const err = sink();
  const h = home('user');
  const stdin = { isTTY: false } as unknown as NodeJS.ReadStream;
  const code = await run(['node', 'tokenbank', ...args], { streams: { out: out.stream, err: err.stream, env: { HOME: h, XDG_CONFIG_HOME: join(h, 'config'), NO_COLOR: '1', TOKENBANK_URL: url } }, stdin });
  return { code, stdout: out.text(), stderr: err.text() };
}

const api = (method: string, path: string, token: string, body?: unknown) => apiCall(url, method, path, token, body);

function storedConfig(h: string): { server: string; token: string; account?: string } {
  return JSON.parse(readFileSync(join(h, 'config', 'tokenbank', 'config.json'), 'utf8'));
}


/** A writable that keeps what is written (for the CLI run in process). */
function sink(): { stream: Writable; text(): string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk;
      done();
    },
  });
  return { stream, text: () => text };
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((ok) => probe.listen(0, '127.0.0.1', ok));
  const { port } = probe.address() as AddressInfo;
  await new Promise((ok) => probe.close(ok));
  return port;
}

describe('tokenbank CLI against a running server', () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'tokenbank-cli-'));
    data_dir = join(work, 'data');
    // Under `npm test`, start from the run's migrated template instead of running initdb again.
    const template = process.env.TOKENBANK_TEST_PGLITE_TEMPLATE;
    if (template) await (await openPglite({ data_dir, load: new Blob([readFileSync(template)]) })).close();
    const quiet = console.log;
    console.log = () => undefined; // the server's start-up banner
    try {
      server = await start({ ...configFromEnv({}), port: 0, host: '127.0.0.1', data_dir, demo: true, jobs: false, admin_token: OPERATOR, log_level: 'warn', database_url: undefined, redis_url: undefined });
    } finally {
      console.log = quiet;
    }
    url = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
    demo_account = (await api('GET', '/v1/accounts?search=Demo', OPERATOR)).data[0].id;
  });

  after(async () => {
    await server?.shutdown();
    await closeAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('--help on every command shows an example and exits 0', async () => {
    const root = await cli(['--help']);
    assertExit(root, 0, 'tokenbank --help');
    assert.match(root.stdout, /balance[\s\S]*usage[\s\S]*credits[\s\S]*limit[\s\S]*autoreload[\s\S]*admin[\s\S]*audit[\s\S]*serve/);
    // The same program in process, for every command of the tree (one child process each would
    // only repeat the start-up): each has --help with at least one example.
    const paths: string[][] = [];
    const walk = (command: Command, path: string[]) => {
      for (const sub of command.commands) {
        if (sub.name() === 'help') continue;
        paths.push([...path, sub.name()]);
        walk(sub, [...path, sub.name()]);
      }
    };
    walk(buildProgram(makeKit({ out: sink().stream, err: sink().stream, env: {} }, process.stdin, {})), []);
    assert.ok(paths.length >= 20, `found ${paths.length} commands`);
    for (const path of paths) {
      const out = sink();
      const code = await run(['node', 'tokenbank', ...path, '--help'], { streams: { out: out.stream, err: sink().stream, env: { NO_COLOR: '1' } } });
      assert.equal(code, 0, `${path.join(' ')} --help exits 0`);
      assert.match(out.text(), /\nExamples:\n {2}\$ .*tokenbank /, `${path.join(' ')} --help has an example`);
    }
  });

  it('usage errors exit 2 with "error: usage:" and no stack trace', async () => {
    const runs = await Promise.all([cli(['nonsense']), cli(['balance', '--bogus']), cliInProcess(['credits']), cliInProcess(['balance', '--json', '--statusline']), cliInProcess(['--server', 'not a url', 'balance']), cliInProcess(['accounts', 'use'])]);
    for (const result of runs) {
      assertExit(result, 2, 'usage error');
      assert.match(result.stderr, /^error: usage: /m);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  it('without a token, account commands are refused with unauthenticated (exit 1)', async () => {
    const run = await cli(['balance'], { home: home('nobody') });
    assertExit(run, 1, 'balance without a token');
    assert.match(run.stderr, /^error: unauthenticated: Not signed in to http:\/\/127\.0\.0\.1:\d+\./m);
    assert.match(run.stderr, /^hint: Run `tokenbank login`/m);
    assert.equal(run.stdout, '');
  });

  it('login with a wrong password is refused (exit 1) and stores nothing', async () => {
    const h = home('wrong');
    const run = await cli(['login', '--email', DEMO.email, '--password-stdin'], { home: h, input: 'not-the-password\n' });
    assertExit(run, 1, 'wrong password');
    assert.match(run.stderr, /^error: unauthenticated: Email or password is wrong\./m);
    assert.throws(() => statSync(join(h, 'config', 'tokenbank', 'config.json')));
  });

  it('login stores a personal access token in a 0600 file inside a 0700 directory', async () => {
    const h = home('user');
    const run = await cli(['login', '--email', DEMO.email, '--password-stdin'], { home: h, input: `${DEMO.password}\n` });
    assertExit(run, 0, 'login');
    assert.match(run.stdout, /Signed in to http:\/\/127\.0\.0\.1:\d+ as demo@tokenbank\.local/);
    assert.match(run.stdout, new RegExp(`Account: Demo \\(Pro\\) \\(${demo_account}\\) · pro plan · you are owner`));
    const file = join(h, 'config', 'tokenbank', 'config.json');
    assert.equal(statSync(file).mode & 0o777, 0o600, 'token file is 0600');
    assert.equal(statSync(join(h, 'config', 'tokenbank')).mode & 0o777, 0o700, 'config directory is 0700');
    const stored = storedConfig(h);
    assert.equal(stored.server, url);
    assert.match(stored.token, /^tbp_/, 'a personal access token, not the sign-in session');
    assert.equal(stored.account, demo_account);
    assert.equal((await api('GET', '/v1/me', stored.token)).user.email, DEMO.email);
  });

  it('whoami and accounts name the user and mark the active account', async () => {
    const [whoami, accounts, json] = await Promise.all([cli(['whoami']), cli(['accounts']), cli(['accounts', '--json'])]);
    assertExit(whoami, 0, 'whoami');
    assert.match(whoami.stdout, /^demo@tokenbank\.local \(user_\w+\) on http/m);
    assert.match(whoami.stdout, new RegExp(`^Account: Demo \\(Pro\\) \\(${demo_account}\\)`, 'm'));
    assertExit(accounts, 0, 'accounts');
    assert.match(accounts.stdout, /^ {3}ID\s+NAME\s+PLAN\s+ROLE\s+SEATS$/m);
    assert.match(accounts.stdout, new RegExp(`^\\*  ${demo_account}  Demo \\(Pro\\)  pro   owner`, 'm'));
    assert.deepEqual(JSON.parse(json.stdout), await api('GET', '/v1/accounts', storedConfig(home('user')).token));
  });

  it('accounts use switches by name, and refuses an account you do not belong to (exit 1)', async () => {
    const use = await cli(['accounts', 'use', 'demo (pro)']);
    assertExit(use, 0, 'accounts use');
    assert.match(use.stdout, new RegExp(`Active account: Demo \\(Pro\\) \\(${demo_account}\\)`));
    const unknown = await cli(['accounts', 'use', 'acct_nope']);
    assertExit(unknown, 1, 'accounts use unknown');
    assert.match(unknown.stderr, /^error: not_found: You do not belong to an account "acct_nope"/m);
    const flag = await cli(['balance', '--account', 'Nope Inc']);
    assertExit(flag, 1, 'balance --account unknown');
    assert.match(flag.stderr, /error: not_found: .*"Nope Inc" \(from --account\)/);
  });

  it('balance names the account and shows the figures; --json is the API object; --statusline is one line', async () => {
    const token = storedConfig(home('user')).token;
    const [human, json, line] = await Promise.all([cli(['balance']), cli(['balance', '--json']), cli(['balance', '--statusline'])]);
    const extra = await api('GET', `/v1/accounts/${demo_account}/extra-usage`, token);
    assertExit(human, 0, 'balance');
    assert.match(human.stdout, new RegExp(`^Account: Demo \\(Pro\\) \\(${demo_account}\\) · pro plan · you are owner$`, 'm'));
    for (const label of ['Balance', 'Held', 'Available', 'Spent this cycle', 'Cycle', 'Auto-reload', 'Forecast']) assert.match(human.stdout, new RegExp(`^ {2}${label}\\s`, 'm'));
    assert.match(human.stdout, /Available\s+\$\d+\.\d\d$/m);
    assert.match(human.stdout, /Spent this cycle\s+\$[\d.]+ of \$50\.00 limit \(\d+%\)/);
    assert.match(human.stdout, /^Plan {2}Pro \(\$20\.00\/cycle\) · active$/m);
    // The server's figures, as the page shows them: the demo account has used extra usage this week.
    assert.ok(extra.forecast.per_day_micros > 0, 'the demo account has a pace');
    const forecast = extra.forecast;
    assert.ok(human.stdout.includes(`  Forecast          about ${formatUsd(forecast.per_day_micros)} a day (last 7 days) · runs out around `), 'the pace');
    assert.ok(human.stdout.includes(`suggested: reload ${formatUsd(forecast.suggested_reload.amount_micros)} below ${formatUsd(forecast.suggested_reload.threshold_micros)}, limit ${formatUsd(forecast.suggested_limit_micros)}\n`), 'the suggestions');
    assert.match(human.stdout, /5-hour window\s+[\d,]+ of 500,000 tokens/);
    assertExit(json, 0, 'balance --json');
    assert.deepEqual(JSON.parse(json.stdout), extra);
    assertExit(line, 0, 'balance --statusline');
    const day = new Date(extra.cycle_end).toLocaleDateString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' });
    const pct = Math.floor((extra.spent_this_cycle_micros * 100) / extra.monthly_spend_limit_micros);
    assert.equal(line.stdout, `${formatUsd(extra.available_micros)} · ${pct}% of $50 · resets ${day}\n`);
  });

  it('usage prints a table and a bar chart; --json is the API object; --csv has a row per bucket', async () => {
    const token = storedConfig(home('user')).token;
    const [table, json, csv] = await Promise.all([cli(['usage', '--days', '14', '--by', 'app']), cli(['usage', '--days', '14', '--by', 'model', '--json']), cli(['usage', '--days', '14', '--by', 'source', '--csv'])]);
    assertExit(table, 0, 'usage');
    assert.match(table.stdout, new RegExp(`^Account: Demo \\(Pro\\) \\(${demo_account}\\)`, 'm'));
    assert.match(table.stdout, /^DAY\s+APP\s+REQUESTS\s+INPUT\s+OUTPUT\s+CACHE\s+COST\s+CHARGED$/m);
    assert.match(table.stdout, /^Total\s+\d+/m);
    assert.match(table.stdout, /^Cost per day$/m);
    assert.match(table.stdout, /^Cost by app$/m);
    assert.match(table.stdout, /^ {2}claude-code\s+█+/m, 'a bar drawn with block characters');
    assertExit(json, 0, 'usage --json');
    const body = JSON.parse(json.stdout);
    assert.deepEqual(body, await api('GET', `/v1/accounts/${demo_account}/usage?from=${body.from}&to=${body.to}&granularity=day&group_by=model`, token));
    assert.equal(body.group_by, 'model');
    assert.ok(body.buckets.length > 0, 'the demo has usage');
    assertExit(csv, 0, 'usage --csv');
    const lines = csv.stdout.trimEnd().split('\n');
    assert.equal(lines[0], 'account_id,day,group,requests,input_tokens,output_tokens,cache_creation_input_tokens,cache_read_input_tokens,allowance_tokens,cost_micros,charged_micros,cost_usd,charged_usd');
    const by_source = await api('GET', `/v1/accounts/${demo_account}/usage?from=${body.from}&to=${body.to}&granularity=day&group_by=source`, token);
    assert.equal(lines.length - 1, by_source.buckets.length);
    const first = lines[1]!.split(',');
    assert.equal(first[0], demo_account);
    assert.equal(first[9], String(by_source.buckets[0].cost_micros));
    assert.equal(first[11], `${Math.trunc(by_source.buckets[0].cost_micros / 1e6)}.${String(by_source.buckets[0].cost_micros % 1e6).padStart(6, '0')}`);
  });

  it('usage refuses bad ranges and groups with exit 2, before calling the server', async () => {
    const runs = await Promise.all([cli(['usage', '--days', '0']), cliInProcess(['usage', '--days', 'x']), cliInProcess(['usage', '--from', '2026-02-30']), cliInProcess(['usage', '--from', '2026-11-10', '--to', '2026-11-01']), cliInProcess(['usage', '--by', 'colour']), cliInProcess(['usage', '--days', '7', '--from', '2026-11-01']), cliInProcess(['usage', '--json', '--csv']), cliInProcess(['usage', '--by', 'app', '--group-by', 'model']), cliInProcess(['usage', '--group-by', 'colour']), cliInProcess(['usage', '--month', '--from', '2026-13']), cliInProcess(['usage', '--month', '--to', '2026-1'])]);
    for (const result of runs) {
      assertExit(result, 2, 'bad usage range');
      assert.match(result.stderr, /^error: usage: /m);
    }
  });

  it('usage --from 2026-13-01 (a month that does not exist) exits 2 naming the flag, with no stack trace', async () => {
    for (const result of [await cli(['usage', '--from', '2026-13-01']), await cliInProcess(['usage', '--to', '2026-00-10']), await cliInProcess(['usage', '--month', '--from', '2026-02-30'])]) {
      assertExit(result, 2, 'a date that does not exist');
      assert.match(result.stderr, /^error: usage: --(from|to): "[\d-]+" is not a date as YYYY-MM-DD$/m);
      assert.doesNotMatch(result.stderr, /internal|\n\s+at /);
    }
  });

  it('usage --month buckets by calendar month; --group-by is --by; --json is the API object', async () => {
    const token = storedConfig(home('user')).token;
    const [table, json, csv] = await Promise.all([cli(['usage', '--month', '--group-by', 'app']), cli(['usage', '--month', '--group-by', 'source', '--json']), cli(['usage', '--month', '--csv'])]);
    assertExit(table, 0, 'usage --month');
    assert.match(table.stdout, new RegExp(`^Account: Demo \\(Pro\\) \\(${demo_account}\\)`, 'm'));
    assert.match(table.stdout, /^Usage: \d{4}-\d\d-01 – \d{4}-\d\d-\d\d \(per month, UTC\), by app$/m);
    assert.match(table.stdout, /^MONTH\s+APP\s+REQUESTS\s+INPUT\s+OUTPUT\s+CACHE\s+COST\s+CHARGED$/m);
    assert.match(table.stdout, /^\d{4}-\d\d\s+claude-code\s+\d+/m);
    assert.match(table.stdout, /^Cost per month$/m);
    assertExit(json, 0, 'usage --month --json');
    const body = JSON.parse(json.stdout);
    assert.equal(body.granularity, 'month');
    assert.equal(body.group_by, 'source');
    const today = new Date().toISOString().slice(0, 10);
    assert.equal(body.to, today);
    const first = new Date(`${today.slice(0, 7)}-01T00:00:00Z`);
    first.setUTCMonth(first.getUTCMonth() - 11);
    assert.equal(body.from, first.toISOString().slice(0, 10), 'this month and the 11 before it');
    assert.deepEqual(body, await api('GET', `/v1/accounts/${demo_account}/usage?from=${body.from}&to=${body.to}&granularity=month&group_by=source`, token));
    assert.ok(body.buckets.every((b: { start: string }) => b.start.endsWith('-01')));
    assertExit(csv, 0, 'usage --month --csv');
    assert.match(csv.stdout, /^account_id,month,group,/);
    assert.match(csv.stdout.split('\n')[1]!, new RegExp(`^${demo_account},\\d{4}-\\d\\d,,`));
  });

  it('credits add buys credits with --yes; dollar input is exact and bad amounts exit 2', async () => {
    const token = storedConfig(home('user')).token;
    const before_micros = (await api('GET', `/v1/accounts/${demo_account}/extra-usage`, token)).balance_micros;
    const human = await cli(['credits', 'add', '12.5', '--yes']);
    assertExit(human, 0, 'credits add 12.5');
    assert.match(human.stdout, new RegExp(`^Account: Demo \\(Pro\\) \\(${demo_account}\\)`, 'm'));
    assert.match(human.stdout, /Added \$12\.50 to Demo \(Pro\)\. Balance now \$[\d,.]+\. Purchase pur_\w+\./);
    const json = await cli(['credits', 'add', '$12', '--yes', '--json']);
    assertExit(json, 0, 'credits add $12 --json');
    const purchase = JSON.parse(json.stdout);
    assert.equal(purchase.amount_micros, 12_000_000);
    assert.equal(purchase.status, 'succeeded');
    assert.equal(purchase.balance_micros, before_micros + 24_500_000);
    assert.equal((await api('GET', `/v1/accounts/${demo_account}/extra-usage`, token)).balance_micros, before_micros + 24_500_000);

    // One key, one charge: the same --idempotency-key twice buys once.
    const once = await cli(['credits', 'add', '5', '--yes', '--json', '--idempotency-key', 'cli-test-key-1']);
    const again = await cli(['credits', 'add', '5', '--yes', '--json', '--idempotency-key', 'cli-test-key-1']);
    assert.equal(JSON.parse(again.stdout).transaction_id, JSON.parse(once.stdout).transaction_id);
    assert.equal(JSON.parse(again.stdout).replayed, true);

    const bad = await Promise.all([cli(['credits', 'add', '12.1234567', '--yes']), cliInProcess(['credits', 'add', '12.345', '--yes']), cliInProcess(['credits', 'add', 'abc', '--yes']), cli(['credits', 'add', '20']), cliInProcess(['credits', 'add', '-5', '--yes'])]);
    for (const result of bad) {
      assertExit(result, 2, 'bad credits amount');
      assert.match(result.stderr, /^error: usage: /m);
    }
    assert.match(bad[0]!.stderr, /more than 6 decimals/);
    assert.match(bad[1]!.stderr, /whole cents/);
    assert.match(bad[3]!.stderr, /Pass --yes/);
    // The server's own refusal (below the minimum purchase) is exit 1 with its type and message.
    const small = await cli(['credits', 'add', '1', '--yes']);
    assertExit(small, 1, 'credits add 1');
    assert.match(small.stderr, /^error: invalid_request: amount_micros: must be an integer between 5000000 \(\$5\.00\)/m);
  });

  it('credits add on a declined card exits 1 with card_declined and charges nothing', async () => {
    const op = home('operator');
    const created = await cli(['admin', 'accounts', 'create', '--name', 'Declined Co', '--plan', 'pro', '--owner-email', 'owner@declined.example', '--owner-password-stdin', '--json'], { home: op, env: { TOKENBANK_TOKEN: OPERATOR }, input: 'declined-password\n' });
    assertExit(created, 0, 'admin accounts create');
    const account = JSON.parse(created.stdout);
    assert.equal(account.name, 'Declined Co');
    await api('POST', `/v1/accounts/${account.id}/payment-methods`, OPERATOR, { token: 'tok_chargeDeclined' });
    const h = home('declined');
    assertExit(await cli(['login', '--email', 'owner@declined.example', '--password-stdin'], { home: h, input: 'declined-password\n' }), 0, 'login declined owner');
    const run = await cli(['credits', 'add', '10', '--yes'], { home: h });
    assertExit(run, 1, 'declined card');
    assert.match(run.stderr, /^error: card_declined: /m);
    assert.match(run.stderr, /^hint: Nothing was charged\./m);
    assert.equal((await api('GET', `/v1/accounts/${account.id}/extra-usage`, OPERATOR)).balance_micros, 0);
  });

  it('limit set and autoreload change the settings; bad input exits 2; a server refusal exits 1', async () => {
    const token = storedConfig(home('user')).token;
    const extra = () => api('GET', `/v1/accounts/${demo_account}/extra-usage`, token);
    const set = await cli(['limit', 'set', '40.50']);
    assertExit(set, 0, 'limit set');
    assert.match(set.stdout, /Monthly spend limit: \$40\.50\./);
    assert.equal((await extra()).monthly_spend_limit_micros, 40_500_000);
    const json = await cli(['limit', 'set', 'unlimited', '--json']);
    assertExit(json, 0, 'limit set unlimited');
    assert.deepEqual(JSON.parse(json.stdout), await extra());
    assert.equal((await extra()).monthly_spend_limit_micros, null);
    assertExit(await cli(['limit', 'set', '$50']), 0, 'limit set $50');

    const on = await cli(['autoreload', 'on', '--amount', '20', '--threshold', '5']);
    assertExit(on, 0, 'autoreload on');
    assert.match(on.stdout, /Auto-reload on: buys \$20\.00 when the available balance falls below \$5\.00\./);
    assert.deepEqual((await extra()).auto_reload, { enabled: true, amount_micros: 20_000_000, threshold_micros: 5_000_000, last_event: null });
    assertExit(await cli(['autoreload', 'off']), 0, 'autoreload off');
    assert.equal((await extra()).auto_reload.enabled, false);

    const bad = await Promise.all([cli(['limit', 'set', 'abc']), cliInProcess(['limit', 'set', '12.1234567']), cliInProcess(['limit', 'set']), cliInProcess(['autoreload', 'on', '--amount', '20.001', '--threshold', '5']), cliInProcess(['autoreload', 'on', '--amount', 'x', '--threshold', '5']), cliInProcess(['autoreload'])]);
    for (const result of bad) assertExit(result, 2, 'bad setting');
    const refused = await cli(['autoreload', 'on', '--amount', '1', '--threshold', '5']);
    assertExit(refused, 1, 'autoreload below the minimum purchase');
    assert.match(refused.stderr, /^error: invalid_request: auto_reload\.amount_micros: /m);
  });

  it('cards list marks the default card; cards add makes the new card the default; bad tokens exit 2', async () => {
    const token = storedConfig(home('user')).token;
    const [list, json] = await Promise.all([cli(['cards', 'list']), cli(['cards', 'list', '--json'])]);
    assertExit(list, 0, 'cards list');
    assert.match(list.stdout, new RegExp(`^Account: Demo \\(Pro\\) \\(${demo_account}\\)`, 'm'));
    assert.match(list.stdout, /^ {3}ID\s+BRAND\s+NUMBER\s+EXPIRES$/m);
    assert.match(list.stdout, /^\*  pm_\w+\s+\w+\s+•••• \d{4}\s+\d\d\/\d{4}$/m);
    assert.deepEqual(JSON.parse(json.stdout), await api('GET', `/v1/accounts/${demo_account}/payment-methods`, token));

    const added = await cli(['cards', 'add', 'tok_mastercard']);
    assertExit(added, 0, 'cards add');
    assert.match(added.stdout, /✓ Added mastercard •••• 4444 \(exp 12\/2034\) as the default card\. Card pm_\w+\./);
    const added_json = await cli(['cards', 'add', 'tok_visa', '--json']);
    assertExit(added_json, 0, 'cards add --json');
    const card = JSON.parse(added_json.stdout);
    assert.equal(card.last4, '4242');
    const cards = (await api('GET', `/v1/accounts/${demo_account}/payment-methods`, token)).data;
    assert.equal(cards.find((c: { default?: boolean }) => c.default).id, card.id, 'the card added last is the default');
    assert.match((await cli(['cards', 'list'])).stdout, new RegExp(`^\\*  ${card.id}\\s+visa\\s+•••• 4242`, 'm'));

    const bad = await Promise.all([cli(['cards', 'add', 'tok visa']), cliInProcess(['cards', 'add', '']), cliInProcess(['cards', 'add', 'x'.repeat(201)]), cliInProcess(['cards', 'add']), cliInProcess(['cards']), cliInProcess(['cards', 'remove'])]);
    for (const result of bad) {
      assertExit(result, 2, 'bad cards input');
      assert.match(result.stderr, /^error: usage: /m);
    }
    assert.match(bad[0]!.stderr, /<token>: "tok visa" is not a card token/);
    const unknown = await cli(['cards', 'add', 'tok_nope']);
    assertExit(unknown, 1, 'a token the provider does not know');
    assert.match(unknown.stderr, /^error: \w+: /m);
  });

  it('extra-usage off and on change the setting; --json is the API object; bad input exits 2', async () => {
    const token = storedConfig(home('user')).token;
    const off = await cli(['extra-usage', 'off']);
    assertExit(off, 0, 'extra-usage off');
    assert.match(off.stdout, /✓ Extra usage off\. Requests beyond the plan allowance, and third-party apps, are refused; the \$[\d,.]+ balance is kept\./);
    assert.equal((await api('GET', `/v1/accounts/${demo_account}/extra-usage`, token)).enabled, false);
    assert.match((await cli(['balance', '--statusline'])).stdout, /^extra usage off/);
    const on = await cli(['extra-usage', 'on', '--json']);
    assertExit(on, 0, 'extra-usage on --json');
    assert.deepEqual(JSON.parse(on.stdout), await api('GET', `/v1/accounts/${demo_account}/extra-usage`, token));
    assert.equal(JSON.parse(on.stdout).enabled, true);
    assert.match((await cli(['extra-usage', 'on'])).stdout, /✓ Extra usage on\. Available \$[\d,.]+; monthly limit \$50\.00, \$[\d,.]+ spent this cycle\./);
    for (const result of await Promise.all([cli(['extra-usage', 'maybe']), cliInProcess(['extra-usage']), cliInProcess(['extra-usage', 'on', '--bogus'])])) {
      assertExit(result, 2, 'bad extra-usage input');
      assert.match(result.stderr, /^error: usage: /m);
    }
  });

  it('limit unlimited removes the limit, as limit set unlimited does', async () => {
    const token = storedConfig(home('user')).token;
    const run = await cli(['limit', 'unlimited']);
    assertExit(run, 0, 'limit unlimited');
    assert.match(run.stdout, /Monthly spend limit: unlimited\./);
    assert.equal((await api('GET', `/v1/accounts/${demo_account}/extra-usage`, token)).monthly_spend_limit_micros, null);
    assertExit(await cliInProcess(['limit', 'unlimited', '50']), 2, 'limit unlimited takes no amount');
    assertExit(await cli(['limit', 'set', '50']), 0, 'limit back to $50');
  });

  it('transactions lists purchases newest first and pages with --before; --json is the API object; bad flags exit 2', async () => {
    const token = storedConfig(home('user')).token;
    const [human, json, page] = await Promise.all([cli(['transactions']), cli(['transactions', '--json']), cli(['transactions', '--limit', '2'])]);
    assertExit(human, 0, 'transactions');
    assert.match(human.stdout, new RegExp(`^Account: Demo \\(Pro\\) \\(${demo_account}\\)`, 'm'));
    assert.match(human.stdout, /^ ?ID\s+WHEN\s+KIND\s+AMOUNT\s+BOOK\s+REFERENCE$/m);
    assert.match(human.stdout, /^\s*\d+\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC\s+purchase\s+\+\$12\.50\s+purchased\s+pur_\w+$/m);
    assertExit(json, 0, 'transactions --json');
    const body = JSON.parse(json.stdout);
    assert.deepEqual(body, await api('GET', `/v1/accounts/${demo_account}/transactions?limit=50`, token));
    assertExit(page, 0, 'transactions --limit 2');
    const next = /^More: tokenbank transactions --before (\d+)$/m.exec(page.stdout);
    assert.ok(next, `a next page is offered:\n${page.stdout}`);
    const second = await cli(['transactions', '--limit', '2', '--before', next[1]!, '--json']);
    assertExit(second, 0, 'transactions --before');
    assert.deepEqual(JSON.parse(second.stdout).data, body.data.slice(2, 4));
    const bad = await Promise.all([cli(['transactions', '--limit', '0']), cliInProcess(['transactions', '--limit', 'x']), cliInProcess(['transactions', '--limit', '501']), cliInProcess(['transactions', '--before', 'abc']), cliInProcess(['transactions', '--before', '-3']), cliInProcess(['transactions', '--before', '99999999999999999'])]);
    for (const result of bad) {
      assertExit(result, 2, 'bad transactions flag');
      assert.match(result.stderr, /^error: usage: --(limit|before)/m);
    }
  });

  it('requests show each receipt: app, model, tokens, cost, which pool paid and why, in words', async () => {
    const token = storedConfig(home('user')).token;
    const [human, json] = await Promise.all([cli(['requests', '--limit', '50']), cli(['requests', '--json'])]);
    assertExit(human, 0, 'requests');
    assert.match(human.stdout, new RegExp(`^Account: Demo \\(Pro\\) \\(${demo_account}\\)`, 'm'));
    assert.match(human.stdout, /^WHEN\s+APP\s+MODEL\s+TOKENS\s+COST\s+CHARGED\s+PAID BY\s+WHY$/m);
    // The demo's third-party apps (claude-code, cursor) always pay from extra usage; its first-party ones mostly from the plan.
    assert.match(human.stdout, /^\d{4}-\d\d-\d\d \d\d:\d\d UTC\s+(claude-code|cursor)\s+[\w.-]+\s+[\d,]+\s+\$[\d.,]+\s+\$[\d.,]+\s+extra usage\s+third-party apps draw only on extra usage$/m);
    assert.match(human.stdout, /\s+plan allowance\s+the plan allowance had room for the whole request$/m);
    assert.doesNotMatch(human.stdout, /third_party_extra_usage_only|first_party_/, 'reasons in words, not codes');
    assertExit(json, 0, 'requests --json');
    const body = JSON.parse(json.stdout);
    assert.deepEqual(body, await api('GET', `/v1/accounts/${demo_account}/usage-records?limit=20`, token));
    assert.ok(body.data.length > 0 && body.data.every((r: { funding: { source: string; reason: string } }) => r.funding.source && r.funding.reason));
    for (const result of await Promise.all([cli(['requests', '--limit', '-1']), cliInProcess(['requests', '--limit', '1000']), cliInProcess(['requests', 'extra'])])) {
      assertExit(result, 2, 'bad requests flag');
      assert.match(result.stderr, /^error: usage: /m);
    }
  });

  it('completion bash prints a script that completes commands, subcommands and choices; zsh loads it through bashcompinit', async () => {
    const bash = await cli(['completion', 'bash']);
    assertExit(bash, 0, 'completion bash');
    assert.match(bash.stdout, /^complete -F _tokenbank_complete tokenbank$/m);
    const script = join(work, 'completion.bash');
    writeFileSync(script, bash.stdout);
    const complete = (words: string[]) =>
      new Promise<string>((ok, fail) => {
        const line = `source ${script}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _tokenbank_complete; echo "\${COMPREPLY[*]}"`;
        const child = spawn('bash', ['--norc', '-c', line]);
        let out = '';
        child.stdout.on('data', (chunk) => (out += chunk));
        child.on('error', fail);
        child.on('close', () => ok(out.trim()));
      });
    assert.equal(await complete(['tokenbank', 'ca']), 'cards');
    assert.equal(await complete(['tokenbank', 'cards', '']), 'list add --server --account --token --help');
    assert.equal(await complete(['tokenbank', '--account', 'Demo', 'usage', '--group-by', '']), 'app model source');
    assert.equal(await complete(['tokenbank', 'extra-usage', 'o']), 'on off');
    const zsh = await cli(['completion', 'zsh']);
    assertExit(zsh, 0, 'completion zsh');
    assert.match(zsh.stdout, /bashcompinit && bashcompinit\ncomplete -F _tokenbank_complete tokenbank\n$/);
    for (const result of await Promise.all([cli(['completion', 'fish']), cliInProcess(['completion'])])) {
      assertExit(result, 2, 'bad shell');
      assert.match(result.stderr, /^error: usage: /m);
    }
  });

  it('admin commands refuse a user token (exit 1) and, with the operator token, list, search and show the catalog', async () => {
    const as_user = await cli(['admin', 'accounts']);
    assertExit(as_user, 1, 'admin accounts as a user');
    assert.match(as_user.stderr, /^error: forbidden: This needs the operator token/m);
    const op = { home: home('operator'), env: { TOKENBANK_TOKEN: OPERATOR } };
    const [list, search, catalog, catalog_json] = await Promise.all([cli(['admin', 'accounts'], op), cli(['admin', 'accounts', '--search', 'declined', '--json'], op), cli(['admin', 'catalog'], op), cli(['admin', 'catalog', '--json'], op)]);
    assertExit(list, 0, 'admin accounts');
    assert.match(list.stdout, /^Account: all accounts on http/m);
    assert.match(list.stdout, new RegExp(`^${demo_account}\\s+Demo \\(Pro\\)\\s+plan\\s+pro\\s+1`, 'm'));
    assert.deepEqual(JSON.parse(search.stdout), await api('GET', '/v1/accounts?search=declined&limit=50', OPERATOR));
    assert.equal(JSON.parse(search.stdout).data.length, 1);
    assertExit(catalog, 0, 'admin catalog');
    assert.match(catalog.stdout, /^ {2}pro\s+Pro\s+\$20\.00\s+allowed\s+5-hour window 500,000, weekly window 5,000,000/m);
    assert.match(catalog.stdout, /^ {2}claude-sonnet-4-5\s+sonnet\s+×1\s+price_sonnet_4_5_v1\s+2025-01-01 00:00 UTC\s+\$3\.00\s+\$15\.00\s+\$3\.75\s+\$0\.30\s+in force$/m);
    assert.match(catalog.stdout, /^ {2}claude-code\s+third_party\s+extra usage only/m);
    assert.match(catalog.stdout, /^ {2}web\s+first_party\s+plan allowance first, then extra usage/m);
    assert.deepEqual(JSON.parse(catalog_json.stdout), await api('GET', '/v1/catalog', OPERATOR));
  });

  it('admin service-tokens create shows the secret once; list and revoke', async () => {
    const op = { home: home('operator'), env: { TOKENBANK_TOKEN: OPERATOR } };
    const created = await cli(['admin', 'service-tokens', 'create', 'gateway test', '--json'], op);
    assertExit(created, 0, 'service-tokens create');
    const token = JSON.parse(created.stdout);
    assert.match(token.token, /^tbs_/);
    const list = await cli(['admin', 'service-tokens'], op);
    assert.match(list.stdout, new RegExp(`^${token.id}\\s+gateway test\\s+`, 'm'));
    assert.doesNotMatch(list.stdout, /tbs_/, 'secrets are never listed');
    assertExit(await cli(['admin', 'service-tokens', 'revoke', token.id], op), 2, 'revoke without --yes off a terminal');
    const revoked = await cli(['admin', 'service-tokens', 'revoke', token.id, '--yes'], op);
    assertExit(revoked, 0, 'revoke');
    assert.match(revoked.stdout, new RegExp(`Revoked service token ${token.id}\\.`));
    assert.doesNotMatch((await cli(['admin', 'service-tokens'], op)).stdout, new RegExp(token.id));
  });

  it('audit over the API proves the ledger balances (exit 0); a user token is refused (exit 1)', async () => {
    const op = { home: home('operator'), env: { TOKENBANK_TOKEN: OPERATOR } };
    const [human, json, as_user] = await Promise.all([cli(['audit'], op), cli(['audit', '--json'], op), cli(['audit'])]);
    assertExit(human, 0, 'audit');
    assert.match(human.stdout, /^Account: all accounts, in http/m);
    assert.match(human.stdout, /Σ USD\s+0 micros over \d+ books/);
    assert.match(human.stdout, /The ledger balances/);
    assertExit(json, 0, 'audit --json');
    const body = JSON.parse(json.stdout);
    assert.equal(body.ok, true);
    assert.deepEqual(Object.keys(body).sort(), ['accounts_checked', 'findings', 'ok', 'totals', 'transfers_checked']);
    assertExit(as_user, 1, 'audit as a user');
    assert.match(as_user.stderr, /^error: forbidden: /m);
  });

  it('logout removes the stored token; the next command is unauthenticated', async () => {
    const h = home('declined');
    const run = await cli(['logout'], { home: h });
    assertExit(run, 0, 'logout');
    assert.match(run.stdout, /Signed out of http.*\(owner@declined\.example\)/);
    assert.equal((storedConfig(h) as { token?: string }).token, undefined);
    assertExit(await cli(['whoami'], { home: h }), 1, 'whoami after logout');
  });

  it('serve runs the server on the same data directory; audit --local reads it and fails (exit 1) when a wallet is tampered with', async () => {
    await server!.shutdown();
    server = null;
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port)], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: home('serve'), TOKENBANK_DATA_DIR: data_dir, TOKENBANK_JOBS: '0', TOKENBANK_ADMIN_TOKEN: OPERATOR, LOG_LEVEL: 'warn', NO_COLOR: '1' } });
    let banner = '';
    await new Promise<void>((ok, fail) => {
      child.stdout.on('data', (chunk) => {
        banner += chunk;
        if (banner.includes('Tokenbank is running')) ok();
      });
      child.on('exit', (code) => fail(new Error(`serve exited ${code} before it was running: ${banner}`)));
    });
    assert.match(banner, new RegExp(`Tokenbank is running on http://127\\.0\\.0\\.1:${port}`));
    url = `http://127.0.0.1:${port}`;
    const line = await cli(['--server', url, 'balance', '--statusline'], { home: home('user') });
    assert.notEqual(line.code, 0, 'the stored token belongs to the old address, so it is not sent to this one');
    const as_operator = await cli(['--server', url, '--account', demo_account, 'balance', '--statusline', '--token', OPERATOR]);
    assertExit(as_operator, 0, 'balance against `tokenbank serve`');
    assert.match(as_operator.stdout, /^\$[\d,]+\.\d\d · \d+% of \$50 · resets [A-Z][a-z]{2} \d{1,2}\n$/);
    const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0, 'serve shuts down cleanly on SIGTERM');

    const local = { env: { TOKENBANK_DATA_DIR: data_dir } };
    const clean = await cli(['audit'], local);
    assertExit(clean, 0, 'audit on the embedded database');
    assert.match(clean.stdout, new RegExp(`^Account: all accounts, in the embedded database in ${data_dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    const db = await openPglite({ data_dir });
    await db.query(`UPDATE wallets SET purchased_micros = purchased_micros + 1 WHERE account_id = $1`, [demo_account]);
    await db.close();
    const tampered = await cli(['audit', '--local'], local);
    assertExit(tampered, 1, 'audit of a tampered wallet');
    assert.match(tampered.stdout, new RegExp(`purchased_equals_entries\\s+${demo_account}`));
    assert.match(tampered.stderr, /^error: audit_failed: The ledger does not balance: \d+ findings? in the embedded database/m);
    assertExit(await cli(['audit'], { env: { TOKENBANK_DATA_DIR: join(work, 'no-such-dir') } }), 1, 'audit of a missing database');
  });

  it('audit on PostgreSQL with DATABASE_URL (skipped without TEST_DATABASE_URL)', async (t) => {
    const db = await freshPostgres();
    if (!db) return t.skip('TEST_DATABASE_URL not set');
    const h = await harness(db);
    await makeAccount(h, { credits_micros: 20_000_000, extra_usage: true });
    const run = await cli(['audit', '--json'], { env: { DATABASE_URL: postgresUrlOf(db) } });
    assertExit(run, 0, 'audit on PostgreSQL');
    assert.equal(JSON.parse(run.stdout).accounts_checked, 1);
  });
});
