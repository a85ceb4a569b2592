// Every mutating route, fuzzed from its own schema (issue 13, part 3): the OpenAPI document lists
// the routes and their request schemas; fast-check makes bad requests out of a valid body for
// each (wrong types, numeric strings, missing and unknown fields, huge, negative, fractional and
// non-finite numbers as JSON text, NUL and lone surrogates, look-alike unicode, 100 KB strings),
// plus transport faults (malformed and non-object JSON, the wrong content type, a 2 MB body,
// bogus and look-alike path ids, query parameters, a body nested 50,000 deep, bytes that are not
// UTF-8, a bad Idempotency-Key, a reused key with another body, one new key raced with several
// bodies). Each is sent as the principal allowed to call the route, so the refusal is about the
// input, not the role.
//
// Guarantees: always a 4xx, never a 5xx; the error envelope {error:{type,message,...}}; a 400
// names the field it is about; and nothing changed (the account's extra-usage, transactions,
// usage records, events, members, cards, the catalog, tokens, audit log; GET /v1/audit ok).
// Finally every valid body is sent once and accepted, so each refusal was about the mutation.
//
// Short mode (npm test): FUZZ_RUNS_DEFAULT generated bodies per route plus ~45 fixed faults, about
// 1,400 requests per engine in ~6 s on PGlite. Long mode, e.g. (2,000 runs: 45,000 requests, ~75 s)
//   FUZZ_RUNS=10000 npm test -- fuzz
// Reproduce a failure with the seed it prints: FUZZ_SEED=<seed> npm test -- fuzz
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { closeAll, databaseEngines } from '../fixtures/databases';
import { apiHarness, email, PASSWORD, type Api, type Reply, type TestAccount } from '../fixtures/http';
import { OPERATOR } from '../fixtures/tokenbank';
import { signedEvent, signPayload } from '../fixtures/fake-stripe';
import { OPERATOR_UPSTREAM_KEY, startFakeAnthropic, type FakeAnthropic } from '../fixtures/fake-anthropic';
import { anthropicUpstream } from '../../src/upstream/anthropic';
import { limits } from '../../src/domain/limits';

after(closeAll);

const FUZZ_RUNS_DEFAULT = 20;
const envInteger = (name: string): number | undefined => {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  assert.ok(/^-?\d+$/.test(text), `${name} must be an integer, got ${text}`);
  return Number(text);
};
const runs = envInteger('FUZZ_RUNS') ?? FUZZ_RUNS_DEFAULT;
// A new seed each run, so CI keeps exploring; every failure names it to run the same cases again.
const base_seed = envInteger('FUZZ_SEED') ?? Math.floor(Math.random() * 2 ** 31);
const MUTATING = ['post', 'put', 'patch', 'delete'];

// ---- schemas as the OpenAPI document gives them (3.0: nullable, anyOf of enums) --------------

interface Schema {
  type?: string;
  nullable?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  format?: string;
  anyOf?: Schema[];
  enum?: unknown[];
}
type Seg = string | number;
type Json = null | boolean | number | string | Json[] | { [k: string]: Json } | Raw;

/** JSON text put in a body as is: 1e400 and -0.5 must reach the server as written. */
class Raw {
  constructor(readonly text: string) {}
}
function serialize(v: Json): string {
  if (v instanceof Raw) return v.text;
  if (Array.isArray(v)) return `[${v.map(serialize).join(',')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${serialize(x)}`).join(',')}}`;
  return JSON.stringify(v);
}

/** The field path the API writes: events[0].usage.input_tokens. */
function fieldPath(segments: readonly Seg[]): string {
  let path = '';
  for (const s of segments) path += typeof s === 'number' ? `[${s}]` : path === '' ? s : `.${s}`;
  return path;
}

interface Slot {
  path: Seg[];
  schema: Schema;
  value: Json;
}
/** Every value of `body` that its schema describes, and every object in it. */
function slots(schema: Schema, value: Json, path: Seg[] = [], out: { values: Slot[]; objects: Slot[] } = { values: [], objects: [] }) {
  if (path.length > 0) out.values.push({ path, schema, value });
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Raw) && schema.properties) {
    out.objects.push({ path, schema, value });
    for (const [k, s] of Object.entries(schema.properties)) if (k in value) slots(s, value[k]!, [...path, k], out);
  } else if (Array.isArray(value) && schema.items) {
    value.forEach((x, i) => slots(schema.items!, x, [...path, i], out));
  }
  return out;
}

const quote = (s: string) => JSON.stringify(s);
const enumOf = (s: Schema): string[] | null => (s.anyOf && s.anyOf.every((x) => x.enum) ? s.anyOf.flatMap((x) => x.enum as string[]) : s.enum ? (s.enum as string[]) : null);

/** Look-alikes: Cyrillic letters, a zero-width space, a fullwidth letter, a trailing space, case. */
const CONFUSABLE: Record<string, string> = { a: '\u0430', e: '\u0435', o: '\u043e', p: '\u0440', c: '\u0441', x: '\u0445', i: '\u0456', s: '\u0455' };
function lookAlike(s: string, how: number): string {
  switch (how % 5) {
    case 0: {
      const i = [...s].findIndex((ch) => ch in CONFUSABLE);
      return i < 0 ? `${s}\u200b` : s.slice(0, i) + CONFUSABLE[s[i]!] + s.slice(i + 1);
    }
    case 1:
      return `${s}\u200b`;
    case 2:
      return s.length > 0 ? String.fromCodePoint(s.codePointAt(0)! + (s.charCodeAt(0) < 0x7f && s.charCodeAt(0) > 0x20 ? 0xfee0 : 1)) + s.slice(1) : '\uff41';
    case 3:
      return `${s} `;
    default:
      return s.toUpperCase() === s ? `${s}x` : s.toUpperCase();
  }
}

/** JSON texts that the schema refuses, whatever the rest of the body is. */
function badValues(s: Schema): fc.Arbitrary<string> {
  const never_null = s.nullable ? [] : ['null'];
  const choices: Array<fc.Arbitrary<string>> = [];
  const values = enumOf(s);
  if (values) {
    choices.push(fc.tuple(fc.constantFrom(...values), fc.nat()).map(([v, how]) => quote(lookAlike(v, how))));
    choices.push(fc.constantFrom('5', 'true', '[]', '{}', ...never_null, quote(`${values[0]}\u0000`)));
    return fc.oneof(...choices);
  }
  switch (s.type) {
    case 'integer': {
      const min = s.minimum ?? -(2 ** 53);
      const max = s.maximum ?? 2 ** 53;
      // Not JSON at all (+5, 05, .5, NaN, 0x10) or not finite once parsed (1E400).
      const fixed = ['1e400', '-1e400', '1E400', '+5', '05', '.5', '5.', 'NaN', 'Infinity', '-Infinity', '0x10', '1_000', '-0.5', '0.5', `${min}.5`, String(max + 1), '9007199254740993', '1e308', '"5"', `"${min}"`, '"1e3"', '"NaN"', '"Infinity"', 'true', 'false', '[]', '[1]', '{}', ...never_null];
      if (s.minimum !== undefined && s.minimum > -(2 ** 53)) fixed.push(String(s.minimum - 1), String(s.minimum - 1_000_000));
      if (min >= 1) fixed.push('-0', '0', '0.0');
      choices.push(fc.constantFrom(...fixed));
      if (max < 2 ** 52) choices.push(fc.integer({ min: max + 1, max: Number.MAX_SAFE_INTEGER }).map(String)); // past the maximum
      choices.push(fc.integer({ min: Math.max(min, 0), max: Math.min(max, 1e12) }).map((n) => quote(String(n)))); // numeric strings
      choices.push(fc.integer({ min: Math.max(min, 0), max: Math.min(max - 1, 1e9) }).map((n) => `${n}.${1 + (n % 9)}`)); // fractions
      if (min > -(2 ** 52)) choices.push(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: min - 1 }).map(String)); // below the minimum
      return fc.oneof(...choices);
    }
    case 'boolean':
      return fc.constantFrom('"true"', '"false"', '0', '1', '[]', '{}', '"yes"', ...never_null);
    case 'string': {
      const fixed = ['5', '0', 'true', '[]', '{}', '["x"]', '1e400', ...never_null];
      if ((s.minLength ?? 0) >= 1) fixed.push('""');
      if (s.format === 'date-time') fixed.push('"yesterday"', '"2026-13-01T00:00:00Z"', '"1700000000000"', '"0000-01-01T00:00:00Z"');
      choices.push(fc.constantFrom(...fixed));
      if (s.maxLength !== undefined || s.format !== undefined) {
        const max = s.maxLength ?? 0;
        choices.push(fc.integer({ min: max + 1, max: Math.max(max + 1, 100_000) }).map((n) => quote('x'.repeat(n)))); // up to 100 KB
        choices.push(fc.constant(quote('y'.repeat(100_000))));
      }
      return fc.oneof(...choices);
    }
    case 'object':
      return fc.constantFrom('5', '"{}"', '[]', '[{}]', 'true', ...never_null);
    case 'array':
      return fc.constantFrom('{}', '"[]"', '5', ...((s.minItems ?? 0) >= 1 ? ['[]'] : []), ...never_null);
    default:
      return fc.constantFrom('{}');
  }
}

// ---- mutations --------------------------------------------------------------------------------

/** One change to a valid body, and the fields a 400 may name for it (null: any field). */
interface Mutation {
  what: string;
  apply(body: { [k: string]: Json }): boolean;
  fields: string[] | null;
}

/** Sets an own field, even "__proto__" (an assignment would set the prototype and send nothing). */
function put(parent: { [k: string]: Json } | Json[], key: Seg, value: Json) {
  Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true });
}
/** A mutation that fast-check prints as what it does, not as its functions. */
function mutation(what: string, apply: Mutation['apply'], fields: string[] | null): Mutation {
  return Object.assign({ what, apply, fields }, { [fc.toStringMethod]: () => what });
}

function setAt(root: Json, path: readonly Seg[], f: (parent: { [k: string]: Json } | Json[], key: Seg) => void): boolean {
  let node: Json = root;
  for (const seg of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object' || node instanceof Raw) return false;
    node = (node as Record<string, Json>)[seg as string]!;
  }
  if (node === null || typeof node !== 'object' || node instanceof Raw || node === undefined) return false;
  f(node as { [k: string]: Json }, path[path.length - 1]!);
  return true;
}

const NASTY = ['\u0000', '\ud800', '\udfff', 'a\u0000b', '\ud83d'];
const EXTRA_KEYS = ['extra', 'amount', 'Amount_micros', 'id ', 'x\u0000', '__proto__', '\u0430ccount_id', 'is_admin', '$where'];

/** Text that is not JSON (+5, NaN) is refused by the parser, which names the body. */
function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function mutations(schema: Schema, body: Json, refs: ReadonlySet<string>): fc.Arbitrary<Mutation[]> {
  const { values, objects } = slots(schema, body);
  const strings = values.filter((v) => typeof v.value === 'string');
  const strict: Array<fc.Arbitrary<Mutation>> = [];
  if (values.length > 0)
    strict.push(
      fc.constantFrom(...values).chain((slot) =>
        badValues(slot.schema).map((text) =>
          mutation(`${fieldPath(slot.path)} = ${text.length > 40 ? `${text.slice(0, 20)}…(${text.length} chars)` : text}`, (b) => setAt(b, slot.path, (p, k) => put(p, k, new Raw(text))), isJson(text) ? [fieldPath(slot.path)] : [fieldPath(slot.path), 'body']),
        ),
      ),
    );
  if (strings.length > 0)
    strict.push(
      fc.tuple(fc.constantFrom(...strings), fc.constantFrom(...NASTY), fc.nat()).map(([slot, bad, at]) => {
        const s = slot.value as string;
        const i = at % (s.length + 1);
        const changed = s.slice(0, i) + bad + s.slice(i);
        return mutation(`${fieldPath(slot.path)} = ${JSON.stringify(changed).slice(0, 60)}`, (b) => setAt(b, slot.path, (p, k) => put(p, k, changed)), [fieldPath(slot.path)]);
      }),
    );
  const with_required = objects.flatMap((o) => (o.schema.required ?? []).filter((k) => k in (o.value as object)).map((k) => ({ o, k })));
  if (with_required.length > 0)
    strict.push(
      fc.constantFrom(...with_required).map(({ o, k }) =>
        mutation(`without ${fieldPath([...o.path, k])}`, (b) => setAt(b, [...o.path, k], (p, key) => delete (p as Record<string, Json>)[key as string]), [fieldPath([...o.path, k])]),
      ),
    );
  // One item more than the array may hold (1,001 events, 101 plans), each a copy of a valid one.
  const bounded = values.filter((v) => Array.isArray(v.value) && v.value.length > 0 && v.schema.maxItems !== undefined);
  if (bounded.length > 0)
    strict.push(
      fc.constantFrom(...bounded).map((slot) => {
        const text = `[${Array.from({ length: slot.schema.maxItems! + 1 }, () => serialize((slot.value as Json[])[0]!)).join(',')}]`;
        return mutation(`${fieldPath(slot.path)} with ${slot.schema.maxItems! + 1} items`, (b) => setAt(b, slot.path, (p, k) => put(p, k, new Raw(text))), [fieldPath(slot.path)]);
      }),
    );
  const closed = objects.filter((o) => o.schema.additionalProperties === false);
  if (closed.length > 0)
    strict.push(
      fc
        .tuple(fc.constantFrom(...closed), fc.oneof(fc.constantFrom(...EXTRA_KEYS), fc.string({ minLength: 1, maxLength: 12 })), fc.constantFrom<Json>(1, 'x', null, true, {}, []))
        .filter(([o, k]) => !Object.hasOwn(o.schema.properties ?? {}, k))
        .map(([o, k, v]) =>
          // A name the server cannot store (NUL) is reported on its object; __proto__ by the JSON parser.
          mutation(`extra ${JSON.stringify(k)} = ${JSON.stringify(v)} in ${fieldPath(o.path) || 'body'}`, (b) => setAt(b, [...o.path, k], (p, key) => put(p, key, v)), [fieldPath([...o.path, k]), fieldPath(o.path) || 'body', 'body']),
        ),
    );
  const arbitraries: Array<fc.Arbitrary<Mutation[]>> = [];
  if (strict.length > 0) arbitraries.push(fc.array(fc.oneof(...strict), { minLength: 1, maxLength: 3 }));
  // A look-alike of an id the server knows (plan, model, account) is well-formed: refused by the
  // use case (400 or 404), so any field may be named. Alone, so it is the only thing wrong.
  const ref_slots = strings.filter((s) => refs.has(String(s.path[s.path.length - 1])));
  if (ref_slots.length > 0)
    arbitraries.push(
      fc.tuple(fc.constantFrom(...ref_slots), fc.nat()).map(([slot, how]) => {
        const changed = lookAlike(slot.value as string, how);
        return [mutation(`${fieldPath(slot.path)} = ${JSON.stringify(changed)} (look-alike)`, (b) => setAt(b, slot.path, (p, k) => put(p, k, changed)), null)];
      }),
    );
  return fc.oneof(...arbitraries);
}

// ---- the routes and who calls them ------------------------------------------------------------

interface Route {
  method: string;
  path: string; // OpenAPI template, e.g. /v1/accounts/{id}/grants
  operation: string;
  body_schema: Schema | null;
  keyed: boolean;
}

function routesOf(doc: { paths: Record<string, Record<string, any>> }): Route[] {
  const routes: Route[] = [];
  for (const [path, ops] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(ops)) {
      if (!MUTATING.includes(method)) continue;
      const success = Object.entries<any>(op.responses).filter(([s]) => s.startsWith('2'));
      routes.push({
        method: method.toUpperCase(),
        path,
        operation: op.operationId,
        body_schema: op.requestBody?.content?.['application/json']?.schema ?? null,
        keyed: success.some(([, r]) => r.headers && 'Idempotent-Replayed' in r.headers),
      });
    }
  return routes;
}

interface Fixture {
  api: Api;
  a: TestAccount;
  invitee_token: string;
  invitation_id: string;
  victim_session: string;
  personal_token: string;
  personal_token_id: string;
  spare_service_token_id: string;
  hold_to_settle: string;
  hold_to_release: string;
  /** An API organization (issue 12) with a card and one API key. */
  org_id: string;
  org_key_id: string;
}

type Who = 'none' | 'operator' | 'service' | 'owner' | 'invitee' | 'victim';
interface Plan {
  who: Who;
  id?: (f: Fixture) => string;
  body: (f: Fixture) => { [k: string]: Json };
  /** Body fields whose value names something the server knows: a look-alike of it is refused by the use case. */
  refs?: string[];
  /** Another valid body, for a reused Idempotency-Key. */
  other?: (f: Fixture) => { [k: string]: Json };
  headers?: Record<string, string>;
  /** The drop-in gateway (POST /v1/messages): errors in Anthropic's shape, and a body bound of its own. */
  gateway?: { body_bytes_max: number };
}

const hold = (f: Fixture) => ({ account_id: f.a.id, app: 'claude-code', model: 'claude-haiku-4-5', input_tokens: 10, max_output_tokens: 10 });
const catalogBody = async (api: Api) => {
  const c = (await api.call('GET', '/v1/catalog', { token: api.operator })).body;
  return { plans: c.plans.slice(0, 2), models: c.models.slice(0, 2), prices: c.prices.filter((p: { model_id: string }) => c.models.slice(0, 2).some((m: { id: string }) => m.id === p.model_id)).slice(0, 2), apps: c.apps.slice(0, 2) };
};
let catalog_body: { [k: string]: Json } = {};

/** Every mutating operation in the OpenAPI document has a row here (a new route fails the test until it has one). */
const PLANS: Record<string, Plan> = {
  createSession: { who: 'none', body: (f) => ({ email: f.a.owner.email, password: PASSWORD }) }, // emails are matched trimmed and case-insensitively: no look-alike refs
  deleteSession: { who: 'victim', body: () => ({}) },
  createPersonalToken: { who: 'owner', body: () => ({ name: 'cli', ttl_days: 30 }) },
  revokePersonalToken: { who: 'owner', id: (f) => f.personal_token_id, body: () => ({}) },
  createServiceToken: { who: 'operator', body: () => ({ name: 'gateway-2' }) },
  revokeServiceToken: { who: 'operator', id: (f) => f.spare_service_token_id, body: () => ({}) },
  createAccount: { who: 'operator', body: () => ({ name: 'Fuzz Inc', plan: 'team', owner_email: 'fuzz.owner@example.com', owner_password: PASSWORD, seats: 2 }), refs: ['plan'] },
  changeSubscription: { who: 'owner', id: (f) => f.a.id, body: () => ({ plan: 'max' }), refs: ['plan'], other: () => ({ plan: 'team', seats: 2 }) },
  cancelSubscription: { who: 'owner', id: (f) => f.a.id, body: () => ({}) },
  inviteMember: { who: 'owner', id: (f) => f.a.id, body: () => ({ email: 'fuzz.invited@example.com', role: 'member' }) },
  // The role change before the removal: the last pass sends every valid body once, in this order.
  changeMemberRole: { who: 'owner', id: (f) => f.a.id, body: () => ({ role: 'billing' }) },
  removeMember: { who: 'owner', id: (f) => f.a.id, body: () => ({}) },
  acceptInvitation: { who: 'invitee', id: (f) => f.invitation_id, body: () => ({}) },
  declineInvitation: { who: 'invitee', id: (f) => f.invitation_id, body: () => ({}) },
  addPaymentMethod: { who: 'owner', id: (f) => f.a.id, body: () => ({ token: 'tok_mastercard' }), refs: ['token'] },
  updateExtraUsage: {
    who: 'owner',
    id: (f) => f.a.id,
    body: () => ({ enabled: true, monthly_spend_limit_micros: 40_000_000, auto_reload: { enabled: true, amount_micros: 20_000_000, threshold_micros: 5_000_000 } }),
    other: () => ({ monthly_spend_limit_micros: 30_000_000 }),
  },
  addCredits: { who: 'owner', id: (f) => f.a.id, body: () => ({ amount_micros: 10_000_000 }), refs: ['payment_method_id'], other: () => ({ amount_micros: 15_000_000 }), headers: { 'idempotency-key': 'fuzz-credits' } },
  grantCredits: { who: 'operator', id: (f) => f.a.id, body: () => ({ amount_micros: 1_000_000, expires_at: '2027-01-01T00:00:00Z', reason: 'fuzz' }), other: () => ({ amount_micros: 2_000_000 }) },
  authorize: { who: 'service', body: (f) => ({ ...hold(f), ttl_ms: 60_000, cache_write: '5m', user_id: 'u1' }), refs: ['account_id', 'app', 'model'], other: (f) => ({ ...hold(f), input_tokens: 11 }) },
  settle: { who: 'service', id: (f) => f.hold_to_settle, body: () => ({ input_tokens: 5, output_tokens: 5, cache_read_input_tokens: 0, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 }, service_tier: 'standard' }) },
  release: { who: 'service', id: (f) => f.hold_to_release, body: () => ({}) },
  recordUsageEvents: {
    who: 'service',
    body: (f) => ({ events: [{ id: 'fuzz-ev-1', account_id: f.a.id, app: 'claude-code', model: 'claude-haiku-4-5', usage: { input_tokens: 1, output_tokens: 1 }, timestamp: '2026-11-02T08:00:00Z', user_id: 'u1' }] }),
    refs: ['account_id', 'app', 'model'],
  },
  putCatalog: { who: 'operator', body: () => structuredClone(catalog_body), refs: ['model_id'] },
  refundCredits: { who: 'owner', id: (f) => f.a.id, body: () => ({ amount_micros: 1_000_000 }), other: () => ({ amount_micros: 2_000_000 }), headers: { 'idempotency-key': 'fuzz-refund' } },
  createPromotion: { who: 'operator', body: () => ({ code: 'FUZZ-NEW', amount_micros: 1_000_000, expires_at: '2027-01-01T00:00:00Z', credit_expires_in_days: 30, claims_max: 5 }) },
  claimPromotion: { who: 'owner', id: (f) => f.a.id, body: () => ({ code: 'FUZZ-CODE' }), refs: ['code'] },
  createWebhookEndpoint: { who: 'owner', id: (f) => f.a.id, body: () => ({ url: 'http://127.0.0.1:9/fuzz', events: ['balance.low', 'credits.purchased'] }) },
  createWebhookEndpointOperator: { who: 'operator', body: () => ({ url: 'http://127.0.0.1:9/fuzz-operator' }) },
  // Redelivery before deletion: the last pass sends every valid body once, in this order.
  redeliverWebhook: { who: 'owner', id: (f) => f.a.id, body: () => ({}) },
  redeliverWebhookOperator: { who: 'operator', body: () => ({}) },
  deleteWebhookEndpoint: { who: 'owner', id: (f) => f.a.id, body: () => ({}) },
  deleteWebhookEndpointOperator: { who: 'operator', body: () => ({}) },
  // The card provider: confirming a completed purchase answers it as it is; a Stripe event is valid only with its signature (made afresh per call).
  confirmCredits: { who: 'owner', id: (f) => f.a.id, body: () => ({}) },
  receiveStripeWebhook: {
    who: 'none',
    body: () => STRIPE_EVENT,
    get headers() {
      return { 'stripe-signature': signPayload(JSON.stringify(STRIPE_EVENT)) };
    },
  },
  // API organizations (issue 12)
  createOrg: { who: 'operator', body: (f) => ({ name: 'Fuzz API', admin_email: f.a.owner.email, monthly_limit_micros: 10_000_000 }) },
  updateOrg: { who: 'operator', id: (f) => f.org_id, body: () => ({ monthly_limit_micros: 40_000_000, auto_reload: { enabled: false, amount_micros: 20_000_000, threshold_micros: 5_000_000 } }), other: () => ({ monthly_limit_micros: 30_000_000 }) },
  inviteOrgMember: { who: 'operator', id: (f) => f.org_id, body: () => ({ email: 'fuzz.org.invited@example.com', role: 'developer' }) },
  changeOrgMemberRole: { who: 'operator', id: (f) => f.org_id, body: () => ({ role: 'billing' }) },
  removeOrgMember: { who: 'operator', id: (f) => f.org_id, body: () => ({}) },
  createApiKey: { who: 'operator', id: (f) => f.org_id, body: () => ({ name: 'fuzz', monthly_limit_micros: 1_000_000 }) },
  revokeApiKey: { who: 'operator', id: (f) => f.org_id, body: () => ({}) },
  addOrgPaymentMethod: { who: 'operator', id: (f) => f.org_id, body: () => ({ token: 'tok_mastercard' }), refs: ['token'] },
  confirmOrgCredits: { who: 'operator', id: (f) => f.org_id, body: () => ({}) },
  addOrgCredits: { who: 'operator', id: (f) => f.org_id, body: () => ({ amount_micros: 10_000_000 }), refs: ['payment_method_id'], other: () => ({ amount_micros: 15_000_000 }), headers: { 'idempotency-key': 'fuzz-org-credits' } },
  putApiTiers: { who: 'operator', body: () => ({ tiers: [{ tier: 0, purchased_micros_min: 0, requests_per_minute: 5, input_tokens_per_minute: 10_000, output_tokens_per_minute: 2000 }, { tier: 1, purchased_micros_min: 5_000_000, requests_per_minute: 50, input_tokens_per_minute: 50_000, output_tokens_per_minute: 10_000 }] }) },
  grantOrgCredits: { who: 'operator', id: (f) => f.org_id, body: () => ({ amount_micros: 1_000_000, expires_at: '2027-01-01T00:00:00Z', reason: 'fuzz' }), other: () => ({ amount_micros: 2_000_000 }) },
  // The drop-in gateway (docs/gateway.md): the owner meters the account named in tokenbank-account-id.
  createMessage: {
    who: 'owner',
    body: () => ({ model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
    refs: ['model'],
    gateway: { body_bytes_max: limits.gateway_body_bytes_max },
    get headers() {
      return { 'tokenbank-account-id': gateway_account.id };
    },
  },
};
/** The account the gateway's plan meters (the fixture's account, known once it is made). */
const gateway_account = { id: '' };
const STRIPE_EVENT = JSON.parse(signedEvent('customer.created', { id: 'cus_fuzz', object: 'customer' }, { id: 'evt_fuzz' }).payload);
/** The purchases the confirm routes are called with ({purchase_id}): the account's, and the org's. */
const fuzz_purchase = { id: '', org_id: '' };
/** The other path ids ({endpoint_id}, {delivery_id}), by scope: an account's endpoint or the operator's. */
const path_ids = { account: { endpoint_id: '', delivery_id: '' }, operator: { endpoint_id: '', delivery_id: '' } };
/** {key_id} of DELETE /v1/orgs/{id}/keys/{key_id}. */
let org_key_path_id = '';
/** {user_id} of …/members/{user_id}: a member of the account, and one of the org. */
const member_ids = { account: '', org: '' };

function tokenOf(f: Fixture, who: Who): string | undefined {
  switch (who) {
    case 'none':
      return undefined;
    case 'operator':
      return f.api.operator;
    case 'service':
      return f.api.service;
    case 'owner':
      return f.a.owner.token;
    case 'invitee':
      return f.invitee_token;
    case 'victim':
      return f.victim_session;
  }
}

const urlOf = (route: Route, id: string) => {
  const ids = route.path.startsWith('/v1/accounts/') ? path_ids.account : path_ids.operator;
  return route.path
    .replace('{id}', id)
    .replace('{endpoint_id}', ids.endpoint_id)
    .replace('{delivery_id}', ids.delivery_id)
    .replace('{purchase_id}', route.path.startsWith('/v1/orgs/') ? fuzz_purchase.org_id : fuzz_purchase.id)
    .replace('{key_id}', org_key_path_id)
    .replace('{user_id}', route.path.startsWith('/v1/orgs/') ? member_ids.org : member_ids.account);
};

// ---- asserting a refusal ---------------------------------------------------------------------

interface Expect {
  fields: string[] | null;
  status?: number;
  /** recordUsageEvents answers a well-formed batch with one result per event: all errors is a refusal too. */
  per_event?: boolean;
  /** The drop-in gateway answers Anthropic's envelope, {"type":"error","error":{…}}. */
  anthropic?: boolean;
}

function assertRefused(r: Reply, expect: Expect, what: string) {
  const where = `${what} → ${r.status} ${r.text.slice(0, 300)}`;
  if (expect.per_event && r.status === 200) {
    assert.ok(Array.isArray(r.body?.data) && r.body.data.every((x: { status: string; error?: { type: unknown; message: unknown } }) => x.status === 'error' && typeof x.error?.type === 'string' && typeof x.error?.message === 'string'), where);
    return;
  }
  assert.ok(r.status >= 400 && r.status < 500, `a 4xx: ${where}`);
  if (expect.status !== undefined) assert.equal(r.status, expect.status, where);
  assert.match(String(r.headers['content-type']), /^application\/json/, where);
  if (expect.anthropic) assert.equal(r.body?.type, 'error', where);
  assert.deepEqual(Object.keys(r.body ?? {}), expect.anthropic ? ['type', 'error'] : ['error'], where);
  assert.equal(typeof r.body.error.type, 'string', where);
  assert.equal(typeof r.body.error.message, 'string', where);
  assert.ok(!r.text.includes('FST_ERR') && !('statusCode' in r.body.error), `not Fastify's shape: ${where}`);
  if (r.status === 400) {
    assert.equal(r.body.error.type, 'invalid_request', where);
    assert.ok(typeof r.body.error.field === 'string' && r.body.error.field.length > 0, `a 400 names the field: ${where}`);
    if (expect.fields) assert.ok(expect.fields.includes(r.body.error.field), `names ${expect.fields.join(' or ')}: ${where}`);
  }
}

/** Everything a refused call must not have changed. */
async function snapshot(f: Fixture) {
  const { api, a } = f;
  const op = { token: api.operator };
  const get = async (url: string, options: { token?: string } = op) => {
    const r = await api.call('GET', url, options);
    return { status: r.status, body: r.body };
  };
  const audit = await get('/v1/audit');
  assert.equal(audit.body?.ok, true, `GET /v1/audit: ${JSON.stringify(audit.body)}`);
  return {
    extra_usage: await get(`/v1/accounts/${a.id}/extra-usage`),
    account: await get(`/v1/accounts/${a.id}`),
    transactions: await get(`/v1/accounts/${a.id}/transactions?limit=500`),
    usage_records: await get(`/v1/accounts/${a.id}/usage-records?limit=500`),
    events: await get(`/v1/accounts/${a.id}/events?limit=500`),
    members: await get(`/v1/accounts/${a.id}/members`),
    payment_methods: await get(`/v1/accounts/${a.id}/payment-methods`),
    accounts: await get('/v1/accounts?limit=500'),
    catalog: await get('/v1/catalog'),
    service_tokens: await get('/v1/service-tokens'),
    audit_log: await get('/v1/audit-log?limit=500'),
    audit: audit.body,
    holds: [await get(`/v1/authorizations/${f.hold_to_settle}`), await get(`/v1/authorizations/${f.hold_to_release}`)],
    invitations: await get('/v1/invitations', { token: f.invitee_token }),
    victim_session: (await get('/v1/me', { token: f.victim_session })).status,
    personal_token: (await get('/v1/me', { token: f.personal_token })).status,
    charges: api.payments.charges.size,
  };
}

/** A property over one route, seeded; a failure names the seed to run it again with. */
async function check<T>(name: string, seed: number, arbitrary: fc.Arbitrary<T>, predicate: (t: T) => Promise<void>, num_runs = runs) {
  const result = await fc.check(fc.asyncProperty(arbitrary, predicate), { seed, numRuns: num_runs, endOnFailure: false, maxSkipsPerRun: 1000 });
  if (result.failed) throw new Error(`${name}: fuzz case failed (reproduce: FUZZ_SEED=${base_seed} npm test -- fuzz; this property's seed ${seed}, path ${result.counterexamplePath})\n${fc.defaultReportMessage(result)}\n${result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance)}`);
}

const BOGUS_IDS = [`${'x'.repeat(limits.id_length_max + 1)}`, '%E0%A4%A', '%ZZ', '%ED%A0%80', 'a%00b', '%00', 'acct_nobody', '..%2F..%2Fcatalog', '%20', 'x'.repeat(limits.id_length_max)];
const MALFORMED = ['', '{"a":', '{', '[', '{"amount_micros":}', "{'a':1}", 'nul', '{"a":1}{"b":2}', '{"a":1,}', '\u0000', '{"a":"\\ud800"', '{"a":1e}', '--', ' '];
const NOT_OBJECTS = ['[]', '5', '"x"', 'true', 'false', '[{}]', '-0.5', '1e400', 'null'];
const WRONG_TYPES = ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'text/json'];

for (const engine of databaseEngines()) {
  describe(`every mutating route refuses fuzzed input with a 4xx envelope and changes nothing (${engine.name}, ${runs} runs per route, FUZZ_SEED=${base_seed})`, { skip: engine.skip }, () => {
    const f = {} as Fixture;
    let routes: Route[] = [];
    let before_state: Awaited<ReturnType<typeof snapshot>>;
    let db: Awaited<ReturnType<typeof engine.open>>;
    let sent = 0;
    let upstream: FakeAnthropic;

    before(async () => {
      db = await engine.open();
      upstream = await startFakeAnthropic();
      const api = await apiHarness(db, { upstream: anthropicUpstream({ base_url: upstream.url, api_key: OPERATOR_UPSTREAM_KEY }) });
      f.api = api;
      f.a = await api.account({ credits_micros: 20_000_000, extra_usage: true, limit_micros: 50_000_000, card: 'tok_visa' });
      gateway_account.id = f.a.id;
      const invitee_email = email('invitee');
      await api.user(invitee_email);
      f.invitee_token = await api.signIn(invitee_email);
      f.invitation_id = (await api.tb.inviteMember('plan', f.a.id, { email: invitee_email, role: 'member' }, OPERATOR)).id;
      f.victim_session = await api.signIn(f.a.owner.email);
      const pat = await api.call('POST', '/v1/tokens', { token: f.a.owner.token, body: { name: 'fuzz' } });
      assert.equal(pat.status, 201, pat.text);
      f.personal_token = pat.body.token;
      f.personal_token_id = pat.body.id;
      const spare = await api.call('POST', '/v1/service-tokens', { token: api.operator, body: { name: 'spare' } });
      assert.equal(spare.status, 201, spare.text);
      f.spare_service_token_id = spare.body.id;
      for (const which of ['hold_to_settle', 'hold_to_release'] as const) {
        const held = await api.call('POST', '/v1/authorizations', { token: api.service, body: hold(f) });
        assert.equal(held.status, 201, held.text);
        f[which] = held.body.id;
      }
      catalog_body = await catalogBody(api);
      fuzz_purchase.id = (await api.tb.purchaseCredits(f.a.id, { amount_micros: 5_000_000 }, 'fuzz-confirm', OPERATOR)).purchase.id;
      await api.tb.createPromotion({ code: 'FUZZ-CODE', amount_micros: 1_000_000, claims_max: 5 }, OPERATOR);
      // Webhook endpoints with one delivery each (an attempt at a port nobody listens on).
      const endpoint = await api.tb.createWebhookEndpoint(f.a.id, { url: 'http://127.0.0.1:9/fuzz' });
      const operator_endpoint = await api.tb.createWebhookEndpoint(null, { url: 'http://127.0.0.1:9/fuzz' });
      assert.ok((await api.tb.grantCredits(f.a.id, { amount_micros: 1_000_000 }, OPERATOR)) && (await api.tb.deliverWebhooks()) >= 2);
      for (const [scope, e] of [['account', endpoint], ['operator', operator_endpoint]] as const)
        path_ids[scope] = { endpoint_id: e.id, delivery_id: (await api.tb.listWebhookDeliveries(e.account_id, e.id, {})).data[0]!.id };
      const org = (await api.tb.createOrg({ name: 'Fuzz org', admin_email: f.a.owner.email }, OPERATOR)).org;
      f.org_id = org.id;
      const member = await api.user(email('fuzz-member'));
      await api.join('plan', f.a.id, member, 'member');
      member_ids.account = member.id;
      const org_member = await api.user(email('fuzz-org-member'));
      await api.join('api_org', org.id, org_member, 'developer');
      member_ids.org = org_member.id;
      await api.tb.addPaymentMethod(org.id, { token: 'tok_visa' }, OPERATOR);
      f.org_key_id = org_key_path_id = (await api.tb.createApiKey(org.id, { name: 'fuzz' }, OPERATOR)).key.id;
      fuzz_purchase.org_id = (await api.tb.purchaseCredits(org.id, { amount_micros: 5_000_000 }, 'fuzz-org-confirm', OPERATOR)).purchase.id;
      const doc = await api.call('GET', '/openapi.json');
      routes = routesOf(doc.body);
      // The first call of each keyed route, so the fuzz can reuse its key with another body.
      for (const route of routes.filter((r) => r.keyed)) {
        const plan = PLANS[route.operation]!;
        const r = await api.call(route.method, urlOf(route, plan.id?.(f) ?? ''), { token: tokenOf(f, plan.who), body: plan.body(f), headers: { 'idempotency-key': `fuzz-first-${route.operation}` } });
        assert.ok(r.status >= 200 && r.status < 300, `${route.operation} first keyed call: ${r.text}`);
      }
      before_state = await snapshot(f);
    });
    after(async () => {
      await f.api?.close();
      await upstream?.close();
      if (engine.name === 'pglite') await db?.close();
    });

    it('the OpenAPI document lists the mutating routes, and each has a plan here', () => {
      assert.ok(routes.length >= 20, `found ${routes.length}`);
      const missing = routes.filter((r) => !PLANS[r.operation]).map((r) => `${r.method} ${r.path} (${r.operation})`);
      assert.deepEqual(missing, [], 'add a row to PLANS for each new mutating route');
    });

    // One test per route, built once the document is read (node:test runs `it` bodies in order).
    const OPERATIONS = Object.keys(PLANS);
    OPERATIONS.forEach((operation, index) => {
      it(`${operation}: fuzzed bodies, transport faults and path ids → 4xx envelope naming the field; nothing changed`, async () => {
        const route = routes.find((r) => r.operation === operation);
        assert.ok(route, `${operation} is in the OpenAPI document`);
        const plan = PLANS[operation]!;
        const token = tokenOf(f, plan.who);
        const id = plan.id?.(f) ?? '';
        const headers = (extra: Record<string, string> = {}) => ({ ...(plan.headers ?? {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra });
        const send = async (url: string, payload: string | Buffer | undefined, extra: Record<string, string> = {}) => {
          sent += 1;
          const remoteAddress = `10.${(sent >> 16) & 255}.${(sent >> 8) & 255}.${sent & 255}`; // sign-in throttles per address
          const res = await f.api.app.inject({ method: route.method as 'POST', url, remoteAddress, headers: headers(payload === undefined ? extra : { 'content-type': 'application/json', ...extra }), ...(payload !== undefined ? { payload } : {}) });
          let body: any;
          try {
            body = res.body.length > 0 ? JSON.parse(res.body) : undefined;
          } catch {
            body = undefined;
          }
          return { status: res.statusCode, headers: res.headers, body, text: res.body, cookies: [] } as Reply;
        };
        const url = urlOf(route, id);
        const schema = route.body_schema;
        const nullable_body = !schema || schema.nullable === true;

        // 1. Bodies made from the schema: each case is the valid body with 1-3 changes that make it invalid.
        if (schema) {
          await check(`${operation} bodies`, base_seed + index * 7 + 1, mutations(schema, plan.body(f), new Set(plan.refs ?? [])), async (changes) => {
            const body = plan.body(f);
            const applied = changes.filter((m) => m.apply(body));
            fc.pre(applied.length > 0);
            const fields = applied.some((m) => m.fields === null) ? null : applied.flatMap((m) => m.fields!);
            const r = await send(url, serialize(body));
            assertRefused(r, { fields, per_event: operation === 'recordUsageEvents', anthropic: plan.gateway !== undefined }, `${route.method} ${url} with ${applied.map((m) => m.what).join('; ')}`);
          });
        }

        // 2. Transport: malformed and non-object JSON, a wrong content type, 2 MB, bogus ids and keys.
        type Fault = { what: string; url: string; payload: string | Buffer | undefined; headers?: Record<string, string>; expect: Expect };
        const valid = serialize(plan.body(f));
        // Past the route's body bound: 2 MB, or more where the route takes more (the gateway: 32 MB).
        const too_large_bytes = Math.max(2 * 1024 * 1024, (plan.gateway?.body_bytes_max ?? 0) + 1);
        const faults: Fault[] = [
          ...MALFORMED.map((p) => ({ what: `malformed JSON ${JSON.stringify(p)}`, url, payload: p, expect: { fields: ['body'] } })),
          ...NOT_OBJECTS.filter((p) => !(nullable_body && p === 'null')).map((p) => ({ what: `a JSON ${p} body`, url, payload: p, expect: { fields: ['body'] } })),
          ...WRONG_TYPES.map((type) => ({ what: `content-type ${type}`, url, payload: valid, headers: { 'content-type': type }, expect: { fields: ['content-type'], status: 415 } })),
          { what: 'a body nested 50,000 deep with a NUL at the bottom', url, payload: `{"pad":${'['.repeat(50_000)}"\\u0000"${']'.repeat(50_000)}}`, expect: { fields: null } },
          { what: 'an unknown query parameter', url: `${url}?amount_micros=1`, payload: valid, expect: { fields: ['querystring.amount_micros'] } },
          { what: 'a query parameter with a strange name', url: `${url}?${encodeURIComponent('a b')}=1`, payload: valid, expect: { fields: ['querystring.parameter'] } },
          { what: 'bytes that are not UTF-8', url, payload: Buffer.concat([Buffer.from('{"x":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]), expect: { fields: ['body'] } },
          { what: 'an encoded lone surrogate (ED A0 80)', url, payload: Buffer.concat([Buffer.from('{"x":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]), expect: { fields: ['body'] } },
          { what: `a body of ${too_large_bytes} bytes`, url, payload: `{"pad":"${'z'.repeat(too_large_bytes)}"}`, expect: { fields: ['body'], status: 413 } },
          { what: `a body of ${too_large_bytes} bytes of valid JSON fields`, url, payload: valid.replace(/^\{/, `{"pad":${JSON.stringify('z'.repeat(too_large_bytes))},`), expect: { fields: ['body'], status: 413 } },
        ];
        // Look-alikes of the real id (Cyrillic letter, zero-width space, fullwidth, trailing space, case) name nothing.
        const look_alikes = id ? [0, 1, 2, 3, 4].map((how) => encodeURIComponent(lookAlike(id, how))) : [];
        if (route.path.includes('{id}')) for (const bogus of [...BOGUS_IDS, ...look_alikes]) faults.push({ what: `path id ${bogus.slice(0, 30)}`, url: urlOf(route, bogus), payload: valid, expect: { fields: ['path', 'params.id'] } });
        if (route.keyed) {
          faults.push({ what: 'Idempotency-Key with NUL', url, payload: valid, headers: { 'idempotency-key': 'k\u0000' }, expect: { fields: ['Idempotency-Key'] } });
          faults.push({ what: 'an Idempotency-Key too long', url, payload: valid, headers: { 'idempotency-key': 'k'.repeat(limits.idempotency_key_length_max + 1) }, expect: { fields: ['Idempotency-Key'] } });
        }
        if (plan.headers?.['idempotency-key']) {
          faults.push({ what: 'no Idempotency-Key', url, payload: valid, headers: { 'idempotency-key': '' }, expect: { fields: ['Idempotency-Key'] } });
        }
        for (const fault of faults) {
          const r = await send(fault.url, fault.payload, fault.headers);
          assertRefused(r, { ...fault.expect, anthropic: plan.gateway !== undefined }, `${route.method} ${fault.url.slice(0, 80)} with ${fault.what}`);
        }

        // 3. A reused Idempotency-Key with another valid body → refused; with the same body → the first answer again.
        if (route.keyed && plan.other) {
          const key = { 'idempotency-key': `fuzz-first-${operation}` };
          const other = plan.other(f);
          await check(`${operation} reused key`, base_seed + index * 7 + 2, fc.tuple(fc.nat(), fc.boolean()), async ([n, merge]) => {
            const body = merge ? { ...plan.body(f), ...other } : other;
            // Vary an amount (by whole cents, up to 50¢) or a token count so each run is another body, never the first one again.
            for (const k of ['amount_micros', 'monthly_spend_limit_micros', 'input_tokens']) if (typeof body[k] === 'number') body[k] = (body[k] as number) + (k === 'input_tokens' ? 1 : 10_000) * (1 + (n % 50));
            const r = await send(url, serialize(body), key);
            assertRefused(r, { fields: null }, `${route.method} ${url} reusing its Idempotency-Key with ${serialize(body)}`);
          }, Math.max(3, Math.ceil(runs / 4)));
          const again = await send(url, serialize(plan.body(f)), key);
          assert.ok(again.status >= 200 && again.status < 300, `same key, same body → the first answer: ${again.text}`);
          assert.equal(again.headers['idempotent-replayed'], 'true', again.text);
        }

        assert.deepEqual(await snapshot(f), before_state, `${operation}: nothing changed`);
      });
    });

    describe('regressions the fuzzing found (each was a 2xx or a wrong field before its fix)', () => {
      const refused = async (method: string, url: string, token: string | undefined, payload: string, status: number, field: string, content_type = 'application/json') => {
        const r = await f.api.call(method, url, { ...(token ? { token } : {}), payload, headers: { 'content-type': content_type } });
        assertRefused(r, { fields: [field], status }, `${method} ${url} ${payload.slice(0, 60)}`);
        assert.equal(r.body.error.field, field, r.text);
      };
      it('accepting or declining an invitation with a body ([], {"role":"owner"}, text) → 400 naming it; the invitation stays pending', async () => {
        for (const answer of ['accept', 'decline']) {
          const url = `/v1/invitations/${f.invitation_id}/${answer}`;
          await refused('POST', url, f.invitee_token, '[]', 400, 'body');
          await refused('POST', url, f.invitee_token, '{"role":"owner"}', 400, 'role');
          await refused('POST', url, f.invitee_token, 'accept', 415, 'content-type', 'text/plain');
        }
        const pending = await f.api.call('GET', '/v1/invitations', { token: f.invitee_token });
        assert.deepEqual(pending.body.data.map((i: { id: string; status: string }) => [i.id, i.status]), [[f.invitation_id, 'pending']]);
        assert.deepEqual(await snapshot(f), before_state);
      });
      it('a text/plain body → 415 naming content-type, on a call that takes a body and on one that takes none', async () => {
        await refused('POST', `/v1/accounts/${f.a.id}/grants`, f.api.operator, '{"amount_micros":1000000}', 415, 'content-type', 'text/plain');
        await refused('POST', `/v1/authorizations/${f.hold_to_release}/release`, f.api.service, '', 415, 'content-type', 'text/plain');
        assert.deepEqual(await snapshot(f), before_state);
      });
      it('PUT /v1/catalog with an existing price version and another figure → 409 naming prices[0].id; the catalog is unchanged', async () => {
        const body = structuredClone(catalog_body) as { prices: Array<Record<string, Json>> };
        body.prices = [{ ...body.prices[0]!, output_micros_per_mtok: (body.prices[0]!.output_micros_per_mtok as number) + 1 }];
        await refused('PUT', '/v1/catalog', f.api.operator, JSON.stringify(body), 409, 'prices[0].id');
        const other_model = (catalog_body.models as Array<{ id: string }>).find((m) => m.id !== body.prices[0]!.model_id)!.id;
        body.prices = [{ ...(catalog_body.prices as Array<Record<string, Json>>)[0]!, model_id: other_model }];
        await refused('PUT', '/v1/catalog', f.api.operator, JSON.stringify(body), 409, 'prices[0].id');
        assert.deepEqual(await snapshot(f), before_state);
      });
      it('a body nested 500,000 deep (1 MiB) is answered in linear time: 400 naming the NUL at its bottom', async () => {
        const depth = 500_000;
        const started = Date.now();
        const r = await f.api.call('POST', `/v1/authorizations/${f.hold_to_settle}/settle`, { token: f.api.service, payload: `{"input_tokens":1,"output_tokens":1,"x":${'['.repeat(depth)}"\\u0000"${']'.repeat(depth)}}`, headers: { 'content-type': 'application/json' } });
        const took_ms = Date.now() - started;
        assertRefused(r, { fields: [`x${'[0]'.repeat(depth)}`], status: 400 }, 'settle nested 500,000 deep');
        // Copying the path at every level took ~5 s at 30,000 deep and grew with the square of the depth.
        assert.ok(took_ms < 10_000, `took ${took_ms} ms`);
        assert.deepEqual(await snapshot(f), before_state);
      });
      it('a query parameter on a call that changes something → 400 naming it (it was ignored and the call went ahead)', async () => {
        await refused('POST', `/v1/accounts/${f.a.id}/grants?amount_micros=1`, f.api.operator, '{"amount_micros":1000000}', 400, 'querystring.amount_micros');
        await refused('POST', `/v1/authorizations/${f.hold_to_release}/release?dry_run=true`, f.api.service, '{}', 400, 'querystring.dry_run');
        assert.deepEqual(await snapshot(f), before_state);
      });
      it('an unknown field named "0" → 400 naming 0 (or auto_reload.0), not [0]', async () => {
        await refused('PATCH', `/v1/accounts/${f.a.id}/extra-usage`, f.a.owner.token, '{"0":1}', 400, '0');
        await refused('PATCH', `/v1/accounts/${f.a.id}/extra-usage`, f.a.owner.token, '{"auto_reload":{"0":1}}', 400, 'auto_reload.0');
        const event = { ...(PLANS.recordUsageEvents!.body(f).events as Json[])[0] as Record<string, Json>, 7: 1 };
        await refused('POST', '/v1/usage-events', f.api.service, JSON.stringify({ events: [event] }), 400, 'events[0].7');
        assert.deepEqual(await snapshot(f), before_state);
      });
    });

    it('every valid body above is accepted as it is, so each refusal was about the change made to it', async (t) => {
      t.diagnostic(`fuzzed requests refused with nothing changed: ${sent}`);
      const skip = new Set(['declineInvitation']); // answered by acceptInvitation, which comes first
      for (const operation of OPERATIONS) {
        if (skip.has(operation)) continue;
        const route = routes.find((r) => r.operation === operation)!;
        const plan = PLANS[operation]!;
        const r = await f.api.call(route.method, urlOf(route, plan.id?.(f) ?? ''), { token: tokenOf(f, plan.who), body: plan.body(f), headers: { ...(plan.headers ?? {}), ...(route.keyed ? { 'idempotency-key': `fuzz-valid-${operation}` } : {}) } });
        assert.ok(r.status >= 200 && r.status < 300, `${operation} ${route.method} ${route.path}: ${r.text}`);
        if (operation === 'recordUsageEvents') assert.equal(r.body.data[0].status, 'recorded', r.text);
      }
    });

    it('one new Idempotency-Key sent at once with different valid bodies: exactly one is applied, the others are refused; audit clean', async (t) => {
      const outcome: string[] = [];
      // The plan change last: a Team plan (one of its bodies) wants a member's user_id on every hold.
      for (const route of routes.filter((r) => r.keyed).sort((x, y) => Number(x.operation === 'changeSubscription') - Number(y.operation === 'changeSubscription'))) {
        const plan = PLANS[route.operation]!;
        const bodies = [plan.body(f), plan.other!(f), ...[1, 2, 3].map((n) => {
          const body = plan.other!(f);
          for (const k of ['amount_micros', 'monthly_spend_limit_micros', 'input_tokens']) if (typeof body[k] === 'number') body[k] = (body[k] as number) + (k === 'input_tokens' ? n : 1_000_000 * n);
          return body;
        })].filter((b, i, all) => all.findIndex((x) => serialize(x) === serialize(b)) === i);
        const key = { 'idempotency-key': `race-${route.operation}` };
        const replies = await Promise.all(bodies.map((body) => f.api.call(route.method, urlOf(route, plan.id?.(f) ?? ''), { token: tokenOf(f, plan.who), body, headers: { ...(plan.headers ?? {}), ...key } })));
        const applied = replies.filter((r) => r.status >= 200 && r.status < 300);
        assert.equal(applied.length, 1, `${route.operation}: ${applied.length} of ${bodies.length} bodies applied under one key: ${applied.map((r) => r.text).join(' | ')}`);
        for (const r of replies) if (!(r.status >= 200 && r.status < 300)) assertRefused(r, { fields: null }, `${route.operation} racing one key`);
        outcome.push(`${route.operation} ${replies.map((r) => r.status).join('/')}`);
      }
      t.diagnostic(`statuses under one key: ${outcome.join(', ')}`);
      const audit = await f.api.call('GET', '/v1/audit', { token: f.api.operator });
      assert.equal(audit.body.ok, true, audit.text);
    });
  });
}
