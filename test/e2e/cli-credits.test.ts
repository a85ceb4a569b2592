// `tokenbank refund`, `refunds`, `promo claim` and `admin promo|grants` end to end: a real server
// (embedded database, demo account: $25 purchased, a $5 grant) and the CLI as a child process,
// as a user runs it. Checks outputs, --json against the API, exit codes (0 ok, 1 refused, 2 usage
// error naming the argument or flag) and that the ledger is clean at the end.
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

describe('tokenbank refund, refunds, promo and admin promo|grants against a running server', () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'tokenbank-cli-credits-'));
    ({ server, url } = await startDemoServer(join(work, 'data'), OPERATOR));
    demo_account = (await api('GET', '/v1/accounts?search=Demo', OPERATOR)).data[0].id;
    assertExit(await cli(['login', '--email', DEMO.email, '--password-stdin'], { input: `${DEMO.password}\n` }), 0, 'login');
  });

  after(async () => {
    await server?.shutdown();
    rmSync(work, { recursive: true, force: true });
  });

  it('refund: whole cents, a confirmation, and the refund itself; --json is the API object', async () => {
    const cents = await cli(['refund', '1.234', '--yes']);
    assertExit(cents, 2, 'refund 1.234');
    assert.match(cents.stderr, /^error: usage: \[dollars\]: .*whole cents/m);
    const unconfirmed = await cli(['refund', '5']);
    assertExit(unconfirmed, 2, 'refund without --yes and no terminal');
    assert.match(unconfirmed.stderr, /--yes/);
    const empty = await cli(['refund', '--purchase', ' ', '--yes']);
    assertExit(empty, 2, 'refund --purchase " "');
    assert.match(empty.stderr, /--purchase/);

    const before_view = await api('GET', `/v1/accounts/${demo_account}/extra-usage`, OPERATOR);
    const done = await cli(['refund', '5', '--yes', '--json']);
    assertExit(done, 0, 'refund 5');
    const refund = JSON.parse(done.stdout);
    assert.equal(refund.status, 'succeeded');
    assert.equal(refund.refunded_micros, 5_000_000);
    assert.equal(refund.balance_micros, before_view.balance_micros - 5_000_000);
    const listed = await api('GET', `/v1/accounts/${demo_account}/refunds`, OPERATOR);
    assert.equal(listed.data[0].id, refund.id);

    const words = await cli(['refund', '0.50', '--yes']);
    assertExit(words, 0, 'refund 0.50');
    assert.match(words.stdout, /Account: Demo .*\n✓ Refunded \$0\.50 to the card\. Balance now \$[\d.,]+; still refundable \$[\d.,]+\./);

    const too_much = await cli(['refund', '1000', '--yes']);
    assertExit(too_much, 1, 'refund 1000');
    assert.match(too_much.stderr, /^error: refund_exceeds_refundable: At most \$[\d.,]+ is refundable/m);
  });

  it('refunds lists them, newest first; --json is the API list', async () => {
    const table = await cli(['refunds']);
    assertExit(table, 0, 'refunds');
    assert.match(table.stdout, /ID +WHEN \(UTC\) +STATUS +AMOUNT +REFUNDED +PURCHASES/);
    assert.match(table.stdout, /succeeded +\$0\.50 +\$0\.50/);
    const json = JSON.parse((await cli(['refunds', '--json'])).stdout);
    assert.deepEqual(json, await api('GET', `/v1/accounts/${demo_account}/refunds?limit=50`, OPERATOR));
    assertExit(await cli(['refunds', '--limit', 'many']), 2, 'refunds --limit many');
  });

  it('admin promo create|list and promo claim: once per account', async () => {
    const bad = await asOperator(['admin', 'promo', 'create', 'CLI-CODE', '--amount', '3', '--claims-max', 'zero']);
    assertExit(bad, 2, '--claims-max zero');
    assert.match(bad.stderr, /--claims-max/);
    const bad_date = await asOperator(['admin', 'promo', 'create', 'CLI-CODE', '--amount', '3', '--claims-max', '5', '--expires-at', 'soon']);
    assertExit(bad_date, 2, '--expires-at soon');
    assert.match(bad_date.stderr, /--expires-at/);
    const made = await asOperator(['admin', 'promo', 'create', 'cli-code', '--amount', '3', '--claims-max', '5', '--credit-days', '30', '--json']);
    assertExit(made, 0, 'admin promo create');
    assert.equal(JSON.parse(made.stdout).code, 'CLI-CODE');
    assertExit(await cli(['admin', 'promo', 'list']), 1, 'a user is not the operator');

    const claimed = await cli(['promo', 'claim', 'cli-code']);
    assertExit(claimed, 0, 'promo claim');
    assert.match(claimed.stdout, /✓ Claimed CLI-CODE: \$3\.00 of promotional credit, expires /);
    const again = await cli(['promo', 'claim', 'CLI-CODE']);
    assertExit(again, 1, 'second claim');
    assert.match(again.stderr, /^error: promotion_already_claimed: /m);
    assertExit(await cli(['promo', 'claim', 'x']), 2, 'a code too short');

    const list = await asOperator(['admin', 'promo', 'list']);
    assertExit(list, 0, 'admin promo list');
    assert.match(list.stdout, /CLI-CODE +\$3\.00 +1\/5/);
    const json = JSON.parse((await asOperator(['admin', 'promo', 'list', '--json'])).stdout);
    assert.deepEqual(json, await api('GET', `/v1/promotions?limit=500`, OPERATOR));
  });

  it('credits add with a card the bank wants confirmed (3-D Secure): refused with the confirm command; credits confirm finishes it once', async () => {
    await api('POST', `/v1/accounts/${demo_account}/payment-methods`, OPERATOR, { token: 'tok_threeDSecure2Required' });
    const before_view = await api('GET', `/v1/accounts/${demo_account}/extra-usage`, OPERATOR);
    const asked = await cli(['credits', 'add', '7', '--yes']);
    assertExit(asked, 1, 'credits add with a 3-D Secure card');
    assert.match(asked.stderr, /^error: authentication_required: /m);
    const purchase_id = /tokenbank credits confirm (pur_\S+?)`/.exec(asked.stderr)?.[1];
    assert.ok(purchase_id, asked.stderr);
    assert.equal((await api('GET', `/v1/accounts/${demo_account}/extra-usage`, OPERATOR)).balance_micros, before_view.balance_micros, 'nothing credited yet');
    const done = await cli(['credits', 'confirm', purchase_id, '--json']);
    assertExit(done, 0, 'credits confirm');
    const purchase = JSON.parse(done.stdout);
    assert.deepEqual([purchase.transaction_id, purchase.status, purchase.balance_micros], [purchase_id, 'succeeded', before_view.balance_micros + 7_000_000]);
    const again = await cli(['credits', 'confirm', purchase_id]);
    assertExit(again, 0, 'credits confirm again');
    assert.equal(
      (await api('GET', `/v1/accounts/${demo_account}/extra-usage`, OPERATOR)).balance_micros,
      before_view.balance_micros + 7_000_000,
      'credited once',
    );
    const unknown = await cli(['credits', 'confirm', 'pur_nosuchpurchase1']);
    assertExit(unknown, 1, 'credits confirm of an unknown purchase');
    assert.match(unknown.stderr, /not_found/);
    await api('POST', `/v1/accounts/${demo_account}/payment-methods`, OPERATOR, { token: 'tok_visa' });
  });

  it('admin grants add|list; the ledger is clean at the end', async () => {
    const added = await asOperator(['admin', 'grants', 'add', '2', '--account', demo_account, '--reason', 'cli test', '--json']);
    assertExit(added, 0, 'admin grants add');
    const grant = JSON.parse(added.stdout);
    assert.deepEqual([grant.amount_micros, grant.reason], [2_000_000, 'cli test']);
    const listed = await asOperator(['admin', 'grants', '--account', demo_account]);
    assertExit(listed, 0, 'admin grants');
    assert.match(listed.stdout, new RegExp(`${grant.id} +\\$2\\.00 +\\$2\\.00 +— +yes +cli test`));
    assertExit(await asOperator(['admin', 'grants', 'add', 'two', '--account', demo_account]), 2, 'grants add two');
    const audit = await api('GET', '/v1/audit', OPERATOR);
    assert.equal(audit.ok, true, JSON.stringify(audit.findings));
  });
});
