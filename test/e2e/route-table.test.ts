// The CLI's typed client is built on src/contract/routes.ts (issue 9, part 4). That table must say
// what the served OpenAPI document says, route by route: the same routes, the same success
// status, the same fields in the answer, the body and the query. A route added to the server and
// not to the table (or the other way round) fails here, so the client cannot drift.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TSchema } from '@sinclair/typebox';
import { closeAll, freshPglite } from '../fixtures/databases';
import { apiHarness, type Api } from '../fixtures/http';
import { ROUTES, routePath, type RouteKey } from '../../src/contract/routes';

after(closeAll);

type JsonSchema = { $ref?: string; properties?: Record<string, unknown>; anyOf?: JsonSchema[]; [k: string]: unknown };
type Operation = { parameters?: Array<{ in: string; name: string }>; requestBody?: { content: Record<string, { schema: JsonSchema }> }; responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }> };
type Doc = { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, JsonSchema> } };

/** The top-level field names of a schema, following a $ref and a nullable union. */
function fields(schema: JsonSchema | undefined, doc: Doc): string[] {
  if (!schema) return [];
  if (schema.$ref) return fields(doc.components?.schemas?.[schema.$ref.split('/').pop()!], doc);
  if (schema.anyOf) return [...new Set(schema.anyOf.flatMap((s) => fields(s, doc)))].sort();
  return Object.keys(schema.properties ?? {}).sort();
}
const own = (schema: TSchema | undefined) => Object.keys((schema as { properties?: object } | undefined)?.properties ?? {}).sort();

describe('the route table of the typed client', () => {
  let doc: Doc;
  let api: Api | undefined;
  before(async () => {
    api = await apiHarness(await freshPglite());
    doc = (await api.call('GET', '/openapi.json')).body as Doc;
  });
  // The harness's metering engine keeps the process alive until it is closed.
  after(async () => api?.close());

  it('has exactly the routes of the OpenAPI document', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
    assert.deepEqual(Object.keys(ROUTES).sort(), documented);
  });

  it('says what the document says of each route: success status, answer fields, body fields, query parameters', () => {
    for (const [route, shape] of Object.entries(ROUTES) as Array<[RouteKey, (typeof ROUTES)[RouteKey]]>) {
      const [method, path] = route.split(' ') as [string, string];
      const op = doc.paths[path]![method.toLowerCase()]!;
      const success = Object.keys(op.responses).filter((s) => s.startsWith('2'));
      assert.deepEqual(success, [String(shape.status)], `${route}: success status`);
      assert.deepEqual(fields(op.responses[String(shape.status)]!.content?.['application/json']?.schema, doc), own(shape.response), `${route}: answer fields`);
      const body = 'body' in shape ? shape.body : undefined;
      assert.deepEqual(fields(op.requestBody?.content['application/json']?.schema, doc), own(body), `${route}: body fields`);
      const query = 'query' in shape ? shape.query : undefined;
      const documented_query = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name).sort();
      assert.deepEqual(documented_query, own(query), `${route}: query parameters`);
    }
  });

  it('fills path parameters in, encoded, and refuses a missing one', () => {
    assert.equal(routePath('GET /v1/accounts/{id}/usage', { id: 'acct 1/2' }), '/v1/accounts/acct%201%2F2/usage');
    assert.equal(routePath('GET /v1/me', {}), '/v1/me');
    assert.throws(() => routePath('DELETE /v1/tokens/{id}', {}), /path parameter id is missing/);
  });
});
