// The OpenAPI document at /openapi.json is accepted by a stock linter (Redocly CLI, its
// recommended rules: no errors; warnings are printed, not failed on), lists every route of SPEC
// §2 that exists, and is generated from the same closed schemas that validate requests.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshPglite } from '../fixtures/databases';
import { apiHarness, type Api } from '../fixtures/http';
import { limits } from '../../src/domain/limits';

/** SPEC §2, the routes that exist today (method and path as OpenAPI spells them). */
const SPEC_ROUTES = [
  'POST /v1/sessions',
  'POST /v1/accounts',
  'GET /v1/accounts/{id}',
  'PUT /v1/accounts/{id}/subscription',
  'DELETE /v1/accounts/{id}/subscription',
  'POST /v1/accounts/{id}/payment-methods',
  'GET /v1/accounts/{id}/extra-usage',
  'PATCH /v1/accounts/{id}/extra-usage',
  'POST /v1/accounts/{id}/extra-usage/credits',
  'GET /v1/accounts/{id}/usage',
  'GET /v1/accounts/{id}/transactions',
  'POST /v1/authorizations',
  'POST /v1/authorizations/{id}/settle',
  'POST /v1/authorizations/{id}/release',
  'POST /v1/usage-events',
];
/** SPEC §2 routes of API organizations (issue 12). */
const SPEC_ROUTES_LATER = ['POST /v1/orgs', 'GET /v1/orgs/{id}', 'POST /v1/orgs/{id}/keys', 'DELETE /v1/orgs/{id}/keys/{key_id}', 'POST /v1/orgs/{id}/credits'];

const lint_timeout_ms = 60_000;

interface LintResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function redoclyLint(file: string): Promise<LintResult> {
  const require = createRequire(import.meta.url);
  const cli = join(require.resolve('@redocly/cli/package.json'), '..', 'bin', 'cli.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'lint', file, '--format=json'], {
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), lint_timeout_ms);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('OpenAPI document', () => {
  let api: Api;
  let doc: any;
  let dir: string;

  before(async () => {
    api = await apiHarness(await freshPglite());
    const r = await api.call('GET', '/openapi.json');
    assert.equal(r.status, 200);
    doc = r.body;
    dir = mkdtempSync(join(tmpdir(), 'tokenbank-openapi-'));
  });
  after(async () => {
    await api?.close();
    await api?.db.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('passes `redocly lint` (recommended rules) with no errors', async () => {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc, null, 2));
    const result = await redoclyLint(file);
    const start = result.stdout.indexOf('{');
    assert.ok(start >= 0, `redocly printed no JSON (exit ${result.code}): ${result.stdout}${result.stderr}`);
    const report = JSON.parse(result.stdout.slice(start)) as { totals: { errors: number; warnings: number }; problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer?: string }> }> };
    const errors = report.problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
    assert.deepEqual(errors, []);
    assert.equal(report.totals.errors, 0);
    assert.equal(result.code, 0, result.stderr);
    for (const p of report.problems.filter((x) => x.severity === 'warn')) console.log(`# redocly warning ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
  });

  it('lists every route of SPEC §2 that exists', () => {
    const documented = new Set(Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
    assert.deepEqual(SPEC_ROUTES.filter((r) => !documented.has(r)), []);
  });

  it('lists the API organization routes of SPEC §2', () => {
    const documented = new Set(Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)));
    assert.deepEqual(SPEC_ROUTES_LATER.filter((r) => !documented.has(r)), []);
  });

  it('every operation has an operationId, a summary, a tag and documented error responses', () => {
    const ids = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method.toUpperCase()} ${path}`;
        assert.ok(op.operationId && !ids.has(op.operationId), `${where} has a unique operationId`);
        ids.add(op.operationId);
        assert.ok(op.summary, `${where} has a summary`);
        assert.ok(op.tags?.length, `${where} has a tag`);
        const statuses = Object.keys(op.responses ?? {});
        assert.ok(statuses.some((s) => s.startsWith('2')), `${where} documents its success`);
        // Routes that need no credential (security: [], sign-in and Stripe's signed webhooks) have no 401.
        const needs_credential = !(Array.isArray(op.security) && op.security.length === 0);
        if (needs_credential) assert.ok(statuses.includes('401'), `${where} documents 401`);
        else assert.ok(['/v1/sessions', '/v1/webhooks/stripe'].includes(path), `${where} needs no credential`);
      }
    }
  });

  it('is made from the request schemas: closed objects and bounded integers', () => {
    const body = doc.paths['/v1/authorizations'].post.requestBody.content['application/json'].schema;
    assert.equal(body.additionalProperties, false);
    // The payer is account_id with app, or api_key (an API organization's key, issue 12): the use case requires one of them, naming the field.
    assert.deepEqual([...body.required].sort(), ['input_tokens', 'max_output_tokens', 'model']);
    assert.ok(['account_id', 'app', 'api_key'].every((f) => f in body.properties));
    assert.deepEqual(body.properties.input_tokens, { type: 'integer', minimum: 0, maximum: limits.tokens_per_request_max });
    const settle = doc.paths['/v1/authorizations/{id}/settle'].post.requestBody.content['application/json'].schema;
    // Anthropic's usage object passes through as the API returns it: known fields are typed,
    // fields it adds later are accepted and ignored (issue 9, part 5).
    assert.deepEqual(Object.keys(settle.properties).sort(), ['cache_creation', 'cache_creation_input_tokens', 'cache_read_input_tokens', 'input_tokens', 'output_tokens', 'server_tool_use', 'service_tier']);
    assert.equal(settle.additionalProperties, true);
    assert.deepEqual([...settle.required].sort(), ['input_tokens', 'output_tokens']);
    const events = doc.paths['/v1/usage-events'].post.requestBody.content['application/json'].schema;
    assert.equal(events.properties.events.maxItems, limits.events_per_batch_max);
    const extra = doc.paths['/v1/accounts/{id}/extra-usage'].get.responses['200'].content['application/json'].schema;
    for (const field of ['enabled', 'balance_micros', 'purchased_micros', 'promotional_micros', 'held_micros', 'available_micros', 'monthly_spend_limit_micros', 'spent_this_cycle_micros', 'cycle_start', 'cycle_end', 'auto_reload']) {
      assert.ok(field in extra.properties, `extra-usage response documents ${field}`);
    }
    const authorized = doc.paths['/v1/authorizations'].post.responses['201'].content['application/json'].schema;
    assert.ok(['id', 'status', 'funding', 'expires_at'].every((f) => f in authorized.properties));
  });

  it('errors are documented as {"error": {"type", "message", ...figures}}', () => {
    const error = doc.components?.schemas?.Error;
    assert.ok(error, 'components.schemas.Error');
    assert.deepEqual(error.required, ['error']);
    assert.deepEqual([...error.properties.error.required].sort(), ['message', 'type']);
    assert.equal(error.properties.error.additionalProperties, true, 'room for the figures');
    const refusal = doc.paths['/v1/authorizations'].post.responses['402'];
    assert.equal(refusal?.content?.['application/json']?.schema?.$ref, '#/components/schemas/Error', '402 on POST /v1/authorizations is an Error');
    assert.ok(doc.paths['/v1/authorizations'].post.responses['429'], '429 documented on POST /v1/authorizations');
  });
});
