// The page (web/src) is a client of the public API: it imports its own files, packages, and
// from the server's code only src/contract/, and only types (nothing of the server is bundled).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : /\.(ts|tsx)$/.test(name) ? [path] : [];
  });
}

test('web/src imports only its own files, packages and types from src/contract/', () => {
  const found: string[] = [];
  const all = files('web/src');
  assert.ok(all.length >= 5, 'found the page sources');
  for (const file of all) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(import|export)\s+(type\s+)?[^'";]*?from\s*['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm)) {
      const spec = (m[3] ?? m[4])!;
      if (!spec.startsWith('.')) continue;
      const target = relative(process.cwd(), resolve(dirname(file), spec)).split('\\').join('/');
      if (target.startsWith('web/src/')) continue;
      if (!target.startsWith('src/contract/')) found.push(`${file} imports ${spec} (the page may reach the server's code only through src/contract/)`);
      else if (!m[2]) found.push(`${file} imports ${spec} without \`import type\` (nothing of the server is bundled into the page)`);
    }
  }
  assert.deepEqual(found, []);
});
