// The page (web/, built by Vite into web/dist) served by the API's own server: files by path,
// and index.html for any other GET that is not an API path (the page routes in the browser).
// API paths (/v1/…), /docs, /metrics, /healthz and /openapi.json keep their own answers; an
// unknown /v1 path stays a JSON 404.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';

/** Paths that belong to the API and never fall back to the page. */
const API_PREFIXES = ['/v1/', '/v1?', '/docs', '/metrics', '/healthz', '/openapi.json'];
/** Built files live here: a missing one is a 404, not the page. */
const ASSETS_PREFIX = '/assets/';

export function isPagePath(method: string, url: string): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  if (url === '/v1') return false;
  return !url.startsWith(ASSETS_PREFIX) && !API_PREFIXES.some((p) => url.startsWith(p));
}

/** True when web_root holds a built page. */
export function hasBuiltPage(web_root: string): boolean {
  return existsSync(join(web_root, 'index.html'));
}

export async function registerPage(app: FastifyInstance, web_root: string) {
  await app.register(fastifyStatic, {
    root: web_root,
    prefix: '/',
    wildcard: false, // one route per file found at start; everything else reaches the not-found handler
    index: ['index.html'],
    // Hashed asset names never change content: cache them; index.html is always revalidated.
    setHeaders(reply, path) {
      reply.header('cache-control', path.includes(`${join('dist', 'assets')}/`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}

/** The SPA fallback: the page's index.html for a GET of a page path. */
export function sendPage(request: FastifyRequest, reply: FastifyReply) {
  void request;
  return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').sendFile('index.html');
}
