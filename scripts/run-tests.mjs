// `npm test`: every test/**/*.test.ts through Node's test runner and tsx. Makes one migrated
// PGlite template for the whole run first. Arguments filter files by substring; arguments that
// start with "-" go to node before the files:
//   npm test -- ledger http
//   npm test -- --test-name-pattern=402 http-status
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const node_flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));

function walk(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : walk(path);
      return name.endsWith('.test.ts') ? [path] : [];
    });
}

const files = walk(join(root, 'test'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(2);
}

if (!process.env.TEST_DATABASE_URL) console.log('TEST_DATABASE_URL not set: PostgreSQL tests will be skipped (they run in CI via .ci/run)');
if (!process.env.TEST_REDIS_URL) console.log('TEST_REDIS_URL not set: Redis tests will be skipped (they run in CI via .ci/run)');

const template = join(tmpdir(), `tokenbank-pglite-template-${process.pid}.tar`);
// Ctrl-C reaches the children through the process group and ends them; this script must outlive
// them to delete the template (40 MB) instead of leaving one in the temp directory per interrupt.
process.on('SIGINT', () => undefined);
const removeTemplate = () => {
  try {
    rmSync(template, { force: true });
  } catch (error) {
    console.error(`could not delete ${template}: ${error.message}`);
  }
};
const made = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/make-pglite-template.ts', template], { cwd: root, stdio: 'inherit' });
if (made.status !== 0) {
  console.error('could not make the PGlite template database');
  removeTemplate();
  process.exit(1);
}

const started = Date.now();
// --test-force-exit: a file whose tests are done ends even if something it opened is still open
// (an unclosed PGlite keeps a process alive without a visible handle); a leak must not hang CI.
const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-force-exit', ...node_flags, ...files], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, TOKENBANK_TEST_PGLITE_TEMPLATE: template },
});
removeTemplate();
console.log(`test files: ${files.length}, wall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(run.status ?? 1);
