// The page's build (npm run build:web, run by `prepare` on npm ci/install) and its dev server
// (npm run dev:web): Vite's hot reload, with /v1 proxied to a running API (npm start).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));
const api = process.env.TOKENBANK_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, reportCompressedSize: false },
  // The Host header is kept (changeOrigin false) so the API's same-origin check sees the page's origin.
  server: { port: 5173, strictPort: false, proxy: { '/v1': { target: api, changeOrigin: false } } },
});
