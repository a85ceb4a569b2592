// Builds the page (web/ → web/dist) with Vite. Run by `prepare` (so `npm ci` builds it, with no
// download: Vite and the page's packages are in node_modules) and by `npm run build:web`
// (--force). Without Vite (an install with --omit=dev) it says so and leaves the API to serve alone.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const vite = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
if (!existsSync(vite)) {
  console.log('build-web: Vite is not installed (dev dependencies omitted?); the page is not built, the API still runs.');
  process.exit(0);
}
const built = spawnSync(process.execPath, [vite, 'build', '--config', join(root, 'web', 'vite.config.ts'), '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
process.exit(built.status ?? 1);
