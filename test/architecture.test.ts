// The import directions of STYLE.md, checked on every run so the layout does not depend on
// memory in review. domain ← app ← store and the adapters; main wires everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ALLOWED: Record<string, string[]> = {
  domain: ['domain'],
  app: ['domain', 'app'],
  store: ['domain', 'app', 'store'],
  contract: ['domain', 'contract'],
  http: ['domain', 'app', 'contract', 'http'],
  cli: ['domain', 'contract', 'cli'],
  jobs: ['domain', 'app', 'jobs'],
  payments: ['domain', 'app', 'payments'],
  ratelimit: ['domain', 'app', 'ratelimit'],
  upstream: ['domain', 'app', 'upstream'],
  web: ['domain', 'contract', 'web'],
};

/** Files an adapter may reach app/ through: only the ports (types), never the use cases. */
const PORTS_ONLY = new Set(['store', 'payments', 'ratelimit', 'upstream']);

export interface SourceFile {
  path: string; // relative to the repo root, e.g. src/app/metering.ts
  text: string;
}

function layerOf(path: string): string {
  const parts = path.split('/');
  if (parts[0] !== 'src') return 'outside';
  if (parts.length === 2) return parts[1]!.replace(/\.ts$/, '');
  return parts[1]!;
}

export function importsOf(text: string): string[] {
  const found: string[] = [];
  const re = /(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;
  for (const m of text.matchAll(re)) found.push((m[1] ?? m[2] ?? m[3])!);
  return found;
}

export function violations(files: SourceFile[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    const from = layerOf(file.path);
    if (from === 'main') continue;
    for (const spec of importsOf(file.text)) {
      if (!spec.startsWith('.')) {
        if (from === 'domain') out.push(`${file.path} imports ${spec} (domain is pure: no packages, no node built-ins)`);
        continue;
      }
      const target = relative(process.cwd(), resolve(dirname(resolve(file.path)), spec)).split('\\').join('/');
      const to = layerOf(target.endsWith('.ts') ? target : `${target}.ts`);
      if (from === to) continue;
      const allowed = ALLOWED[from] ?? [];
      const cli_local = from === 'cli' && file.path.endsWith('/cli/local.ts');
      if (cli_local && ['app', 'store', 'main', 'payments'].includes(to)) continue;
      if (!allowed.includes(to)) {
        out.push(`${file.path} imports ${spec} (layer ${from} → ${to} not allowed)`);
        continue;
      }
      if (PORTS_ONLY.has(from) && to === 'app' && !/\/app\/ports(\.ts)?$/.test(target)) out.push(`${file.path} imports ${spec} (${from} may use only app/ports)`);
    }
    if (from === 'domain') {
      const code = file.text.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
      for (const banned of ['Date.now(', 'Math.random(', 'new Date()', 'performance.now(', 'process.']) {
        if (code.includes(banned)) out.push(`${file.path} uses ${banned} (domain has no clock, randomness or environment)`);
      }
    }
  }
  return out;
}

function sources(dir: string): SourceFile[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return sources(path);
      return path.endsWith('.ts') ? [{ path: relative(process.cwd(), path).split('\\').join('/'), text: readFileSync(path, 'utf8') }] : [];
    });
}

test('every import in src/ follows the layer directions of STYLE.md', () => {
  const files = sources('src');
  assert.ok(files.length > 20, 'found the source files');
  assert.deepEqual(violations(files), []);
});

test('the checker catches a domain file that reads the clock or imports the store', () => {
  const bad: SourceFile[] = [
    { path: 'src/domain/x.ts', text: "import { PgStore } from '../store/store';\nexport const t = Date.now();" },
    { path: 'src/app/y.ts', text: "import { openPglite } from '../store/db';" },
    { path: 'src/store/z.ts', text: "import { Tokenbank } from '../app/tokenbank';" },
    { path: 'src/cli/w.ts', text: "const m = await import('../app/tokenbank');" },
  ];
  const found = violations(bad);
  assert.equal(found.length, 5, found.join('\n'));
  assert.match(found.join('\n'), /domain → store/);
  assert.match(found.join('\n'), /Date\.now/);
  assert.match(found.join('\n'), /app → store/);
  assert.match(found.join('\n'), /store may use only app\/ports/);
  assert.match(found.join('\n'), /cli → app/);
});

/** Adapters reach data only through use cases: no `.store` from a route, a job or a CLI command. */
export function storeReaches(files: SourceFile[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    const layer = layerOf(file.path);
    if (!['http', 'jobs', 'cli', 'web'].includes(layer) || file.path.endsWith('/cli/local.ts')) continue;
    const code = file.text.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
    file.text.split('\n').forEach((line, i) => {
      if (/\.store\b/.test(line.replace(/\/\/.*$/, '')) && code.length > 0) out.push(`${file.path}:${i + 1} reaches the store (${line.trim().slice(0, 60)}): call a use case`);
    });
  }
  return out;
}

/** The bounds that keep code readable on one screen. */
export const TIDY = { file_lines_max: 600, function_lines_max: 90, line_chars_max: 160 } as const;

/**
 * Lines longer than TIDY.line_chars_max (the formatter's width: `npm run format`). A line that is
 * one string (a message, an SQL statement) may be longer: it is kept whole so it can be searched for.
 */
/** A line that opens a string (after `return`, a key, a ternary branch or a call's parenthesis). */
const ONE_STRING = /^\s*(?:return\s+|[\w.]+:\s*|[?:]\s+|[\w.]+\(\s*)?[`'"]/;
export function longLines(files: SourceFile[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    file.text.split('\n').forEach((line, i) => {
      if (line.length > TIDY.line_chars_max && !ONE_STRING.test(line)) out.push(`${file.path}:${i + 1} has ${line.length} characters (at most ${TIDY.line_chars_max}): run npm run format, or split it`);
    });
  }
  return out;
}

/** Functions (declarations and methods) longer than TIDY.function_lines_max, by brace matching from their header. */
export function longFunctions(files: SourceFile[]): string[] {
  const out: string[] = [];
  const header = /^(\s*)(?:export\s+)?(?:async\s+)?(?:function\s+\w+|(?:(?:private|protected|public|static|get|set|async)\s+)*\w+)\s*(?:<[^>]*>)?\s*\(/;
  for (const file of files) {
    const lines = file.text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const m = header.exec(lines[i]!);
      if (!m || /^\s*(if|for|while|switch|return|catch|await|const|let)\b/.test(lines[i]!)) continue;
      // The body opens on the header line or a continuation line; count braces from there.
      let depth = 0;
      let opened = false;
      let j = i;
      for (; j < lines.length; j++) {
        for (const ch of lines[j]!) {
          if (ch === '{') {
            depth += 1;
            opened = true;
          } else if (ch === '}') depth -= 1;
        }
        if (opened && depth <= 0) break;
        if (!opened && /;\s*$/.test(lines[j]!)) break; // a declaration without a body
      }
      if (!opened) continue;
      const length = j - i + 1;
      if (length > TIDY.function_lines_max) out.push(`${file.path}:${i + 1} is a ${length}-line function (at most ${TIDY.function_lines_max}): split it`);
      i = m[1]!.length === 0 ? j : i; // top-level: skip its body; methods: nested functions are checked too
    }
  }
  return out;
}

test('routes, jobs and the CLI call use cases only: none reaches the store', () => {
  assert.deepEqual(storeReaches(sources('src')), []);
  assert.equal(storeReaches([{ path: 'src/http/x.ts', text: 'const a = await tb.store.getAccount(id);' }]).length, 1, 'the check catches one');
});

test('tidy: every source file, function and line fits a screen', () => {
  const tsx = (dir: string): SourceFile[] =>
    readdirSync(dir)
      .sort()
      .flatMap((name) => {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) return tsx(path);
        return /\.tsx?$/.test(path) ? [{ path: relative(process.cwd(), path).split('\\').join('/'), text: readFileSync(path, 'utf8') }] : [];
      });
  const files = [...sources('src'), ...tsx('web/src')];
  const long_files = files.filter((f) => f.text.split('\n').length > TIDY.file_lines_max).map((f) => `${f.path} has ${f.text.split('\n').length} lines (at most ${TIDY.file_lines_max})`);
  assert.deepEqual([...long_files, ...longFunctions(files), ...longLines(files)], []);
  const sample = `export function big() {\n${'  x();\n'.repeat(TIDY.function_lines_max)}}\n`;
  assert.equal(longFunctions([{ path: 'src/app/big.ts', text: sample }]).length, 1, 'the check catches one');
  assert.equal(longLines([{ path: 'src/app/wide.ts', text: `const x = [${'1, '.repeat(60)}];\n  'a message ${'x'.repeat(200)}',\n` }]).length, 1, 'the check catches a wide line of code, not a long string');
});
