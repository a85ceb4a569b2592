// A first start that cannot lock you out (issue 9, part 6): bad settings and a taken port are
// one-line errors (exit 2, no stack trace), a start that cannot bind creates no one-time secret,
// and the embedded data directory belongs to one process at a time. Real `src/main.ts` processes.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dirs: string[] = [];
const children: ChildProcess[] = [];

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tokenbank-startup-'));
  dirs.push(dir);
  return dir;
}

interface Run {
  child: ChildProcess;
  out: () => string;
  err: () => string;
  exited: Promise<number | null>;
}

function run(env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      TOKENBANK_DEMO: '0',
      TOKENBANK_JOBS: '0',
      LOG_LEVEL: 'warn',
      DATABASE_URL: '',
      REDIS_URL: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      if (signal) err += `[ended by ${signal}]`;
      resolve(code);
    }),
  );
  return { child, out: () => out, err: () => err, exited };
}

/** A first start creates and migrates a new embedded database: slow on a busy 2-core machine. */
const start_wait_ms = 120_000;

async function running(r: Run): Promise<void> {
  const deadline = Date.now() + start_wait_ms;
  while (!r.out().includes('Tokenbank is running')) {
    if (r.child.exitCode !== null) throw new Error(`exited ${r.child.exitCode}: ${r.err()}`);
    if (Date.now() > deadline) throw new Error(`not running after ${start_wait_ms / 1000} s: ${r.out()} ${r.err()}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function stop(r: Run): Promise<void> {
  if (r.child.exitCode !== null) return;
  r.child.kill('SIGTERM');
  await r.exited;
}

function assertOneLineRefusal(r: { err: () => string }, code: number | null, pattern: RegExp) {
  assert.equal(code, 2, `exit ${code}: ${r.err() || '(nothing on stderr)'}`);
  const lines = r.err().trim().split('\n');
  assert.equal(lines.length, 1, `one line, no stack trace:\n${r.err()}`);
  assert.match(lines[0]!, /^tokenbank: cannot start: /);
  assert.match(lines[0]!, pattern);
}

function listenOn(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port }));
  });
}

describe('a first start that cannot lock you out', () => {
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a PORT that is not a port and a short TOKENBANK_ADMIN_TOKEN are one-line errors (exit 2)', async () => {
    const bad_port = run({ PORT: 'eighty', TOKENBANK_DATA_DIR: dataDir() });
    assertOneLineRefusal(bad_port, await bad_port.exited, /PORT must be a whole number from 0 to 65535, got "eighty"/);
    const short = run({ PORT: '0', TOKENBANK_ADMIN_TOKEN: 'short', TOKENBANK_DATA_DIR: dataDir() });
    assertOneLineRefusal(short, await short.exited, /TOKENBANK_ADMIN_TOKEN must be at least 16 characters/);
  });

  it('a taken port is a one-line error and makes no secret; the next start on a free port prints the operator token', async () => {
    const dir = dataDir();
    const { server, port } = await listenOn();
    try {
      const taken = run({ PORT: String(port), TOKENBANK_DATA_DIR: dir });
      assertOneLineRefusal(taken, await taken.exited, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`));
    } finally {
      server.close();
    }
    const next = run({ PORT: '0', TOKENBANK_DATA_DIR: dir });
    await running(next);
    assert.match(next.out(), /Operator token \(shown once, stored hashed\): tbo_/, 'the one-time token was not made (and lost) by the failed start');
    assert.match(next.out(), /Tokenbank is running on http:\/\/127\.0\.0\.1:\d+ /, 'the banner names the bound port');
    await stop(next);
  });

  it('a REDIS_URL that never answers is a one-line error once the wait is over (exit 2), naming what to do', async () => {
    const { server, port } = await listenOn();
    server.close(); // a port nothing listens on
    const started_ms = Date.now();
    const r = run({ PORT: '0', TOKENBANK_DATA_DIR: dataDir(), REDIS_URL: `redis://:s3cret@127.0.0.1:${port}` });
    assertOneLineRefusal(r, await r.exited, /Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/? did not answer within 30 s .*unset REDIS_URL/);
    assert.ok(!r.err().includes('s3cret'), 'the password is not printed');
    assert.ok(Date.now() - started_ms >= 30_000, 'it waited for Redis before giving up');
  });

  it('the embedded data directory belongs to one process: a second server on it refuses and says who has it; after a kill -9 it can be taken over', async () => {
    const dir = dataDir();
    const first = run({ PORT: '0', TOKENBANK_DATA_DIR: dir });
    await running(first);
    const second = run({ PORT: '0', TOKENBANK_DATA_DIR: dir });
    assertOneLineRefusal(second, await second.exited, new RegExp(`in use by process ${first.child.pid}`));
    first.child.kill('SIGKILL');
    await first.exited;
    const third = run({ PORT: '0', TOKENBANK_DATA_DIR: dir });
    await running(third);
    await stop(third);
  });
});
