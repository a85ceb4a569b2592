// The page beside the API on one server (issue 10, part 1): the built page at / and at any
// other page path (the page routes in the browser), its files by name; the API's own paths keep
// their answers, and an unknown /v1 path is still the API's JSON 404. No browser needed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Tokenbank } from '../../src/app/tokenbank';
import { buildServer } from '../../src/http/server';
import { isPagePath } from '../../src/http/web';
import { SandboxPayments } from '../../src/payments/sandbox';
import type { Db } from '../../src/store/db';
import { PgStore } from '../../src/store/store';
import { freshPglite } from '../fixtures/databases';
import { ManualClock, sequentialIds } from '../fixtures/tokenbank';
import { ensureWebBuilt, WEB_ROOT } from '../fixtures/web';

describe('the page served by the API server', () => {
  let db: Db;
  let app: FastifyInstance;
  let bare: FastifyInstance;
  let tb_for_startup: Tokenbank;
  before(async () => {
    ensureWebBuilt();
    db = await freshPglite();
    const tb = new Tokenbank({ store: new PgStore(db), clock: new ManualClock(), ids: sequentialIds(), payments: new SandboxPayments() });
    await tb.ensureCatalog();
    tb_for_startup = tb;
    app = await buildServer({ tb, web_root: WEB_ROOT });
    bare = await buildServer({ tb });
  });
  after(async () => {
    await app?.close();
    await bare?.close();
    await db?.close();
  });

  it('503 starting: until the first start’s work is done, the API answers starting with Retry-After; the page and /healthz still answer', async () => {
    const startup = { done: false };
    const starting = await buildServer({ tb: tb_for_startup, startup, web_root: WEB_ROOT });
    try {
      const early = await starting.inject({ method: 'POST', url: '/v1/sessions', payload: { email: 'a@b.c', password: 'whatever-password' } });
      assert.equal(early.statusCode, 503);
      assert.equal(early.json().error.type, 'starting');
      assert.equal(early.headers['retry-after'], '1');
      assert.equal((await starting.inject({ method: 'GET', url: '/healthz' })).json().status, 'starting');
      assert.equal((await starting.inject({ method: 'GET', url: '/' })).statusCode, 200);
      startup.done = true;
      const later = await starting.inject({ method: 'POST', url: '/v1/sessions', payload: { email: 'a@b.c', password: 'whatever-password' } });
      assert.equal(later.statusCode, 401, later.body);
    } finally {
      await starting.close();
    }
  });

  it('200: / and page paths answer the page (index.html), revalidated on every load', async () => {
    for (const url of ['/', '/operator', '/some/page?x=1']) {
      const r = await app.inject({ method: 'GET', url });
      assert.equal(r.statusCode, 200, url);
      assert.match(String(r.headers['content-type']), /^text\/html/, url);
      assert.match(r.body, /<div id="root">/, url);
      assert.equal(r.headers['cache-control'], 'no-cache', url);
    }
  });

  it('200: the built files by name, cached for good (their names carry a content hash)', async () => {
    const files = readdirSync(join(WEB_ROOT, 'assets'));
    const js = files.find((f) => f.endsWith('.js'))!;
    const r = await app.inject({ method: 'GET', url: `/assets/${js}` });
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /javascript/);
    assert.match(String(r.headers['cache-control']), /immutable/);
  });

  it("404: a missing built file, an unknown /v1 path and a non-GET are the API's JSON errors, not the page", async () => {
    for (const [method, url] of [
      ['GET', '/assets/missing.js'],
      ['GET', '/v1/nope'],
      ['GET', '/v1'],
      ['POST', '/somewhere'],
      ['DELETE', '/'],
    ] as const) {
      const r = await app.inject({ method, url });
      assert.equal(r.statusCode, 404, `${method} ${url}`);
      assert.equal(r.json().error.type, 'not_found', `${method} ${url}`);
    }
  });

  it('the API, /docs, /healthz, /metrics and /openapi.json keep their own answers', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).json().ok, true);
    assert.equal((await app.inject({ method: 'GET', url: '/v1/me' })).statusCode, 401);
    assert.match(String((await app.inject({ method: 'GET', url: '/metrics' })).headers['content-type']), /^text\/plain/);
    assert.equal((await app.inject({ method: 'GET', url: '/openapi.json' })).json().openapi, '3.0.3');
    const docs = await app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(docs.statusCode, 200);
    assert.doesNotMatch(docs.body, /<div id="root">/);
  });

  it('without a built page the server is the API alone: / is a JSON 404', async () => {
    const r = await bare.inject({ method: 'GET', url: '/' });
    assert.equal(r.statusCode, 404);
    assert.equal(r.json().error.type, 'not_found');
  });

  it('isPagePath: only GET/HEAD of paths outside the API fall back to the page', () => {
    assert.equal(isPagePath('GET', '/'), true);
    assert.equal(isPagePath('HEAD', '/operator'), true);
    assert.equal(isPagePath('GET', '/v1/accounts'), false);
    assert.equal(isPagePath('GET', '/docs/json'), false);
    assert.equal(isPagePath('GET', '/metrics'), false);
    assert.equal(isPagePath('POST', '/'), false);
  });
});
