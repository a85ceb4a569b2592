// The API console's settings in a real browser: an org admin invites members by email with a role
// (an unregistered email is answered the same), the invited accept on their own page and join; the
// admin later gives a member another role and removes one (the only admin is refused in the API's
// words). The admin sets and removes the org's monthly limit
// (with a confirmation), turns auto-reload on (a too-small amount is refused in the API's words),
// and pages through the org's transactions by the API's cursor. The added members sign in and see
// the console as their role: the developer reads only (and the API refuses their change), the
// billing member changes the limit but adds nobody. Every change is checked through the API. On
// PGlite, and on PostgreSQL too when TEST_DATABASE_URL is set.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { DEMO } from '../../src/app/demo';
import type { Db } from '../../src/store/db';
import { closeAll, freshPostgres } from '../fixtures/databases';
import { BROWSER_SKIP, buyOrgCredits, callServer, launchBrowser, startWebServer, WEB_OPERATOR_TOKEN, WORK, type WebServer } from '../fixtures/web';

declare const document: { querySelectorAll(selector: string): { length: number } };

if (BROWSER_SKIP) console.log(`# ${BROWSER_SKIP}`);

const WAIT_MS = 15_000;
const ORG = 'Nimbus API';
const ADMIN = { email: 'grace@nimbus.example', password: 'grace-nimbus-password-1' };
const DEVELOPER = { email: DEMO.email, password: DEMO.password };
const BILLING = { email: WORK.owner_email, password: WORK.owner_password };
/** Operator grants made before the page opens: with the $20 purchase, more than the page's 20 rows. */
const GRANTS_COUNT = 21;
const GRANT_MICROS = 1_000_000;
const TRANSACTIONS_PER_PAGE = 20;

const databases: Array<{ name: string; db: () => Promise<Db | undefined>; skip: string | false }> = [
  { name: 'PGlite', db: async () => undefined, skip: false },
  { name: 'PostgreSQL', db: () => freshPostgres(), skip: process.env.TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL not set' },
];

for (const database of databases) {
  describe(`the API console's members, limit, auto-reload and transactions, in Chromium, on ${database.name}`, { skip: BROWSER_SKIP || database.skip }, () => {
    let server: WebServer;
    let browser: Awaited<ReturnType<typeof launchBrowser>>;
    let page: Page;
    let org_id = '';

    const call = (method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}) =>
      callServer(server.url, method, path, token, body, headers);
    const asOperator = (path: string) => call('GET', path, WEB_OPERATOR_TOKEN);
    const section = (title: string) => page.getByRole('region', { name: title, exact: true });
    const signIn = async (who: { email: string; password: string }) => {
      await page.goto(server.url);
      await page.getByLabel('Email').fill(who.email);
      await page.getByLabel('Password').fill(who.password);
      await page.getByLabel('Password').press('Enter');
      await page.getByRole('button', { name: 'API console' }).click({ timeout: WAIT_MS });
      await page.getByTestId('org-showing').getByText(ORG).waitFor({ timeout: WAIT_MS });
    };
    const signOut = async () => {
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Sign in' }).waitFor({ timeout: WAIT_MS });
    };

    before(async () => {
      const db = await database.db();
      [server, browser] = await Promise.all([startWebServer(db ? { db } : {}), launchBrowser()]);
      page = browser.context.pages()[0] ?? (await browser.context.newPage());
      const created = await call('POST', '/v1/orgs', WEB_OPERATOR_TOKEN, { name: ORG, admin_email: ADMIN.email, admin_password: ADMIN.password });
      assert.equal(created.status, 201, created.text);
      org_id = created.body.id;
      for (let i = 0; i < GRANTS_COUNT; i++) {
        const grant = await call(
          'POST',
          `/v1/orgs/${org_id}/grants`,
          WEB_OPERATOR_TOKEN,
          { amount_micros: GRANT_MICROS, reason: `welcome ${i}` },
          { 'idempotency-key': `grant-${i}` },
        );
        assert.equal(grant.status, 201, grant.text);
      }
    });
    after(async () => {
      await browser?.close();
      await server?.close();
      await closeAll();
    });

    it('the admin sees the members with their roles, each section naming the organization', async () => {
      await signIn(ADMIN);
      const members = section('Members');
      await members.getByTestId(`member-${ADMIN.email}`).waitFor({ timeout: WAIT_MS });
      assert.match(await members.getByTestId(`member-${ADMIN.email}`).innerText(), /admin/);
      for (const title of ['Members', 'Monthly limit', 'Auto-reload', 'Transactions']) {
        assert.match(await section(title).getByTestId('section-org').innerText(), new RegExp(`of organization ${ORG}`), title);
      }
    });

    it('invites by email with a role (an unregistered email is answered the same); the invited accept on their page and join', async () => {
      const members = section('Members');
      for (const [who, role] of [
        ['nobody@nowhere.example', 'developer'],
        [DEVELOPER.email, 'developer'],
        [BILLING.email, 'billing'],
      ] as const) {
        await members.getByLabel("Member's email").fill(who);
        await members.getByRole('form', { name: 'Invite a member' }).getByLabel('Role').selectOption(role);
        await members.getByRole('button', { name: 'Invite member' }).click();
        await members.getByText(`Invitation sent to ${who} as ${role}: they join when they accept it, signed in.`).waitFor({ timeout: WAIT_MS });
      }
      const before_accepting = await asOperator(`/v1/orgs/${org_id}/members`);
      assert.deepEqual(
        before_accepting.body.data.map((m: { email: string }) => m.email),
        [ADMIN.email],
        'nobody joins before accepting',
      );
      await signOut();
      for (const [who, role] of [
        [DEVELOPER, 'developer'],
        [BILLING, 'billing'],
      ] as const) {
        await page.getByLabel('Email').fill(who.email);
        await page.getByLabel('Password').fill(who.password);
        await page.getByLabel('Password').press('Enter');
        const invitations = section('Invitations');
        await invitations.getByText(ORG).waitFor({ timeout: WAIT_MS });
        assert.match(await invitations.innerText(), new RegExp(`${ORG} \\(API organization\\) invites you as ${role}`));
        await invitations.getByRole('button', { name: 'Accept' }).click();
        await invitations.getByText(`You joined ${ORG} as ${role}.`).waitFor({ timeout: WAIT_MS });
        await page.getByRole('button', { name: 'API console' }).click({ timeout: WAIT_MS });
        await page.getByTestId('org-showing').getByText(ORG).waitFor({ timeout: WAIT_MS });
        assert.match(await page.getByTestId('org-showing').innerText(), new RegExp(`you are ${role}`));
        await signOut();
      }
      const listed = await asOperator(`/v1/orgs/${org_id}/members`);
      const roles = Object.fromEntries(listed.body.data.map((m: { email: string; role: string }) => [m.email, m.role]));
      assert.deepEqual(roles, { [ADMIN.email]: 'admin', [DEVELOPER.email]: 'developer', [BILLING.email]: 'billing' });
      await signIn(ADMIN);
    });

    it('sets a $50 monthly limit, shown against the spend; $2,000,000 is refused in the API words; removes it after a confirmation; sets it again', async () => {
      const limit = section('Monthly limit');
      await limit.getByLabel('New monthly limit (USD)').fill('50');
      await limit.getByRole('button', { name: 'Set limit' }).click();
      await limit.getByText('The monthly limit is now $50.00.').waitFor({ timeout: WAIT_MS });
      await limit.getByTestId('org-limit-spent').getByText('$50.00').waitFor({ timeout: WAIT_MS });
      assert.match(await limit.getByTestId('org-limit-spent').innerText(), /\$0\.00 spent this month of \$50\.00 · 0%/);
      assert.equal((await asOperator(`/v1/orgs/${org_id}`)).body.monthly_limit_micros, 50_000_000);
      await section('Limits and tier').getByText('$50.00 · spent $0.00 this month').waitFor({ timeout: WAIT_MS });

      await limit.getByLabel('New monthly limit (USD)').fill('2000000');
      await limit.getByRole('button', { name: 'Set limit' }).click();
      await limit.getByRole('alert').waitFor({ timeout: WAIT_MS });
      assert.match(await limit.getByRole('alert').innerText(), /Limit not changed: .*monthly_limit_micros: must be <= 1000000000000 \(\$1,000,000\.00\)/);
      assert.equal((await asOperator(`/v1/orgs/${org_id}`)).body.monthly_limit_micros, 50_000_000, 'a refused limit changes nothing');

      await limit.getByRole('button', { name: 'Remove the limit…' }).click();
      await limit.getByRole('button', { name: 'Yes, remove the limit' }).click();
      await limit.getByTestId('org-limit-spent').getByText('no limit').waitFor({ timeout: WAIT_MS });
      await limit.getByText('The monthly limit is removed', { exact: false }).waitFor({ timeout: WAIT_MS });
      assert.equal(await limit.getByRole('alert').count(), 0, 'the earlier refusal is gone');
      assert.equal(await limit.getByText('The monthly limit is now').count(), 0, 'the earlier outcome is gone');
      assert.equal((await asOperator(`/v1/orgs/${org_id}`)).body.monthly_limit_micros, null);

      await limit.getByLabel('New monthly limit (USD)').fill('50');
      await limit.getByRole('button', { name: 'Set limit' }).click();
      await limit.getByTestId('org-limit-spent').getByText('$50.00').waitFor({ timeout: WAIT_MS });
      assert.equal((await asOperator(`/v1/orgs/${org_id}`)).body.monthly_limit_micros, 50_000_000);
    });

    it('buys $20 of credits; auto-reload of $1 is refused in the API words, of $20 below $5 is turned on', async () => {
      await buyOrgCredits(section('API credits'), '20', WAIT_MS);

      const reload = section('Auto-reload');
      await reload.getByRole('switch', { name: 'Auto-reload' }).check();
      await reload.getByLabel('Reload amount (USD)').fill('1');
      await reload.getByLabel('When available credits fall below (USD)').fill('5');
      await reload.getByRole('button', { name: 'Save auto-reload' }).click();
      await reload.getByRole('alert').waitFor({ timeout: WAIT_MS });
      assert.match(
        await reload.getByRole('alert').innerText(),
        /Auto-reload not saved: auto_reload\.amount_micros: a reload is a purchase, so it must be between \$5\.00 and \$2,500\.00; got \$1\.00\. Choose an amount in that range\./,
      );
      assert.equal((await asOperator(`/v1/orgs/${org_id}`)).body.auto_reload.enabled, false);

      await reload.getByLabel('Reload amount (USD)').fill('20');
      await reload.getByRole('button', { name: 'Save auto-reload' }).click();
      await reload.getByText('Auto-reload is on: $20.00 whenever the available credits fall below $5.00.').waitFor({ timeout: WAIT_MS });
      await reload
        .getByTestId('org-reload-state')
        .getByText(/^On: buys \$20\.00 .* below \$5\.00/)
        .waitFor({ timeout: WAIT_MS });
      const org = await asOperator(`/v1/orgs/${org_id}`);
      assert.deepEqual(
        { enabled: org.body.auto_reload.enabled, amount_micros: org.body.auto_reload.amount_micros, threshold_micros: org.body.auto_reload.threshold_micros },
        { enabled: true, amount_micros: 20_000_000, threshold_micros: 5_000_000 },
      );
    });

    it('the transactions show the purchase first and page by the cursor to the oldest grants', async () => {
      const list = section('Transactions');
      const rows = list.getByTestId('org-transaction');
      await rows.first().getByText('Credits purchased').waitFor({ timeout: WAIT_MS });
      assert.match(await rows.first().innerText(), /\$20\.00/);
      assert.equal(await rows.count(), TRANSACTIONS_PER_PAGE);
      const first = await asOperator(`/v1/orgs/${org_id}/transactions?limit=${TRANSACTIONS_PER_PAGE}`);
      assert.equal(first.body.data[0].kind, 'purchase');
      assert.equal(first.body.data[0].amount_micros, 20_000_000);
      assert.equal(first.body.has_more, true);
      const second = await asOperator(`/v1/orgs/${org_id}/transactions?limit=${TRANSACTIONS_PER_PAGE}&cursor=${encodeURIComponent(first.body.next_cursor)}`);
      const older_count = GRANTS_COUNT + 1 - TRANSACTIONS_PER_PAGE;
      assert.equal(second.body.data.length, older_count);

      await list.getByRole('button', { name: 'Older' }).click();
      await list.getByTestId('section-org').getByText('page 2', { exact: false }).waitFor({ timeout: WAIT_MS });
      await page.waitForFunction((n) => document.querySelectorAll('#org-transactions [data-testid="org-transaction"]').length === n, older_count, {
        timeout: WAIT_MS,
      });
      const shown = await rows.allInnerTexts();
      assert.ok(
        shown.every((t) => /Promotional grant/.test(t) && /\$1\.00/.test(t)),
        shown.join(' | '),
      );
      assert.equal(await list.getByRole('button', { name: 'Older' }).isDisabled(), true, 'the last page has nothing older');
      await list.getByRole('button', { name: 'Newer' }).click();
      await rows.first().getByText('Credits purchased').waitFor({ timeout: WAIT_MS });
      await signOut();
    });

    it('the developer sees the console read-only; the API refuses their limit change', async () => {
      await signIn(DEVELOPER);
      assert.match(await page.getByTestId('org-showing').innerText(), /you are developer/);
      const members = section('Members');
      await members.getByTestId(`member-${ADMIN.email}`).waitFor({ timeout: WAIT_MS });
      assert.equal(await members.getByRole('button', { name: 'Invite member' }).count(), 0);
      assert.equal(await members.getByRole('button', { name: 'Remove', exact: false }).count(), 0);
      await members.getByText('Inviting and changing members needs the admin role; you are developer.').waitFor();
      const limit = section('Monthly limit');
      await limit.getByTestId('org-limit-spent').getByText('$50.00').waitFor({ timeout: WAIT_MS });
      assert.equal(await limit.getByRole('button', { name: 'Set limit' }).count(), 0);
      assert.equal(await section('Auto-reload').getByRole('button', { name: 'Save auto-reload' }).count(), 0);
      const session = await fetch(`${server.url}/v1/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(DEVELOPER),
      }).then((r) => r.json() as Promise<{ token: string }>);
      const refused = await call('PATCH', `/v1/orgs/${org_id}`, session.token, { monthly_limit_micros: 1_000_000_000 });
      assert.equal(refused.status, 403, refused.text);
      assert.equal((await asOperator(`/v1/orgs/${org_id}`)).body.monthly_limit_micros, 50_000_000);
      await signOut();
    });

    it('the billing member changes the limit but adds nobody', async () => {
      await signIn(BILLING);
      assert.match(await page.getByTestId('org-showing').innerText(), /you are billing/);
      await section('Members').getByText('Inviting and changing members needs the admin role; you are billing.').waitFor({ timeout: WAIT_MS });
      const limit = section('Monthly limit');
      await limit.getByLabel('New monthly limit (USD)').fill('75.50');
      await limit.getByRole('button', { name: 'Set limit' }).click();
      await limit.getByText('The monthly limit is now $75.50.').waitFor({ timeout: WAIT_MS });
      assert.equal((await asOperator(`/v1/orgs/${org_id}`)).body.monthly_limit_micros, 75_500_000);
      await signOut();
    });

    it("the admin gives the billing member another role and removes the developer; removing the only admin is refused in the API's words", async () => {
      await signIn(ADMIN);
      const members = section('Members');
      const roles = async () =>
        Object.fromEntries((await asOperator(`/v1/orgs/${org_id}/members`)).body.data.map((m: { email: string; role: string }) => [m.email, m.role]));
      await members.getByLabel(`Role of ${BILLING.email}`).selectOption('developer');
      await members.getByText(`${BILLING.email} is now developer.`).waitFor({ timeout: WAIT_MS });
      assert.equal((await roles())[BILLING.email], 'developer');
      await members.getByRole('button', { name: `Remove ${DEVELOPER.email}` }).click();
      await members.getByText(`${DEVELOPER.email} is no longer a member.`).waitFor({ timeout: WAIT_MS });
      await page.waitForFunction((id) => document.querySelectorAll(`#org-members [data-testid="member-${id}"]`).length === 0, DEVELOPER.email, {
        timeout: WAIT_MS,
      });
      assert.deepEqual(await roles(), { [ADMIN.email]: 'admin', [BILLING.email]: 'developer' });
      await members.getByRole('button', { name: `Remove ${ADMIN.email}` }).click();
      const refusal = members.getByRole('alert');
      await refusal.waitFor({ timeout: WAIT_MS });
      assert.match(
        await refusal.innerText(),
        /Member not changed: This is the only admin of organization .*, so they cannot be removed\. Give another member the admin role first\./,
      );
      assert.deepEqual(await roles(), { [ADMIN.email]: 'admin', [BILLING.email]: 'developer' }, 'a refused change changes nothing');
    });
  });
}
