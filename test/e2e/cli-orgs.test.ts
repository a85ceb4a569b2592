// `tokenbank orgs list|show|create` and `tokenbank keys create|list|revoke` end to end (issue 12,
// part 6): a real server (embedded database, demo user) and the CLI as a child process. The key's
// secret is printed once; lists never show it; exit codes 0 ok, 1 refused, 2 usage error.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiCall, assertExit, runCli, startDemoServer, type Run } from '../fixtures/cli';

const OPERATOR = 'test-operator-token-0123456789';
const DEMO = { email: 'demo@tokenbank.local', password: 'demo-password' };

let server: Awaited<ReturnType<typeof startDemoServer>>['server'] | null = null;
let url = '';
let work = '';
let demo_account = '';

function cli(args: string[], options: { env?: Record<string, string>; input?: string } = {}): Promise<Run> {
  const h = join(work, 'user');
  mkdirSync(h, { recursive: true });
  return runCli(args, { url, home: h, ...options });
}
const asOperator = (args: string[]) => cli(args, { env: { TOKENBANK_TOKEN: OPERATOR } });

const api = (method: string, path: string, token: string, body?: unknown) => apiCall(url, method, path, token, body);

describe('tokenbank orgs and keys against a running server', () => {
  let org_id = '';
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'tokenbank-cli-orgs-'));
    ({ server, url } = await startDemoServer(join(work, 'data'), OPERATOR));
    assertExit(await cli(['login', '--email', DEMO.email, '--password-stdin'], { input: `${DEMO.password}\n` }), 0, 'login');
  });

  after(async () => {
    await server?.shutdown();
    rmSync(work, { recursive: true, force: true });
  });

  it('orgs create (operator only), list and show; the output names the organization', async () => {
    assertExit(await cli(['orgs', 'create', 'Nope', '--admin-email', DEMO.email]), 1, 'a user is not the operator');
    assertExit(await asOperator(['orgs', 'create', 'Acme API', '--admin-email', DEMO.email, '--limit', 'lots']), 2, '--limit lots');
    const made = await asOperator(['orgs', 'create', 'Acme API', '--admin-email', DEMO.email, '--limit', '50', '--json']);
    assertExit(made, 0, 'orgs create');
    const org = JSON.parse(made.stdout);
    org_id = org.id;
    assert.deepEqual([org.name, org.monthly_limit_micros, org.admin.email], ['Acme API', 50_000_000, DEMO.email]);
    const list = await cli(['orgs', 'list']);
    assertExit(list, 0, 'orgs list');
    assert.match(list.stdout, new RegExp(`${org_id}\\s+Acme API\\s+admin`));
    const show = await cli(['orgs', 'show']);
    assertExit(show, 0, 'orgs show');
    assert.match(show.stdout, new RegExp(`Organization: Acme API \\(${org_id}\\)`));
    assert.match(show.stdout, /API credits: \$0\.00 .*\$0\.00 of \$50\.00 this month/);
    assert.match(show.stdout, /Tier 0 .*\$5\.00 more in purchases reaches tier 1/);
    const json = await cli(['orgs', 'show', org_id, '--json']);
    assert.deepEqual(JSON.parse(json.stdout), await api('GET', `/v1/orgs/${org_id}`, OPERATOR).then((o) => ({ ...o, role: 'admin' })));
    assertExit(await cli(['orgs', 'show', 'org_ghost0001']), 1, 'an org that does not exist');
  });

  it('keys create prints the secret once; keys list never shows it; keys revoke; usage errors exit 2', async () => {
    assertExit(await cli(['keys', 'create', ' ']), 2, 'an empty name');
    assertExit(await cli(['keys', 'create', 'ci', '--limit', '1.2.3']), 2, '--limit 1.2.3');
    const made = await cli(['keys', 'create', 'ci', '--limit', '25']);
    assertExit(made, 0, 'keys create');
    const secret = made.stdout.match(/tbk_[A-Za-z0-9_-]+/)?.[0];
    assert.ok(secret, made.stdout);
    const key_id = made.stdout.match(/\((key_[^)]+)\)/)?.[1];
    assert.ok(key_id, made.stdout);
    const as_json = await cli(['keys', 'create', 'other', '--org', org_id, '--json']);
    assertExit(as_json, 0, 'keys create --json');
    assert.match(JSON.parse(as_json.stdout).secret, /^tbk_/);
    const list = await cli(['keys', 'list']);
    assertExit(list, 0, 'keys list');
    assert.ok(!list.stdout.includes(secret) && !list.stdout.includes(secret.slice(12, 24)), 'the list never shows the secret');
    assert.match(list.stdout, new RegExp(`${key_id}\\s+ci\\s+${secret.slice(0, 12)}…\\s+\\$25\\.00\\s+\\$0\\.00\\s+never\\s+active`));
    const listed = JSON.parse((await cli(['keys', 'list', '--json'])).stdout);
    assert.ok(!JSON.stringify(listed).includes(secret.slice(4)));
    assertExit(await cli(['keys', 'revoke', key_id!]), 0, 'keys revoke');
    assert.match((await cli(['keys', 'list'])).stdout, new RegExp(`${key_id}.*revoked`));
    assertExit(await cli(['keys', 'revoke', 'key_ghost0001']), 1, 'a key that does not exist');
    assertExit(await cli(['keys']), 2, 'keys without a subcommand');
  });
});
