// The API console in a real browser (issue 12, part 6): the operator creates an org with a member
// through the API; the member signs in, switches to the API console, adds a test card, buys
// credits, creates a key and sees its secret once; the key authorizes and settles a request
// through the API, then shows as used, with usage by key; the member revokes it (after a
// confirmation) and the API refuses it; the operator's Organizations tab lists the org. 375 px wide fits.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { BROWSER_SKIP, buyOrgCredits, callServer, launchBrowser, startWebServer, WEB_OPERATOR_TOKEN, type WebServer } from '../fixtures/web';

declare const document: { documentElement: { scrollWidth: number } };

if (BROWSER_SKIP) console.log(`# ${BROWSER_SKIP}`);

const WAIT_MS = 15_000;
const ADMIN = { email: 'ada@orgs.example', password: 'ada-orgs-password-1' };
const HOLD = { model: 'claude-sonnet-4-5', input_tokens: 1000, max_output_tokens: 1000 } as const;

describe('the API console on the page, in Chromium', { skip: BROWSER_SKIP }, () => {
  let server: WebServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let context: BrowserContext;
  let page: Page;
  let org_id = '';
  let service = '';
  let secret = '';

  const call = (method: string, path: string, token: string, body?: unknown) => callServer(server.url, method, path, token, body);
  const section = (title: string) => page.getByRole('region', { name: title, exact: true });

  before(async () => {
    [server, browser] = await Promise.all([startWebServer(), launchBrowser()]);
    context = browser.context;
    page = context.pages()[0] ?? (await context.newPage());
    const created = await call('POST', '/v1/orgs', WEB_OPERATOR_TOKEN, { name: 'Orbit API', admin_email: ADMIN.email, admin_password: ADMIN.password });
    assert.equal(created.status, 201, created.text);
    org_id = created.body.id;
    const token = await call('POST', '/v1/service-tokens', WEB_OPERATOR_TOKEN, { name: 'gateway' });
    assert.equal(token.status, 201, token.text);
    service = token.body.token;
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('the member signs in, switches to the API console and sees the org and their role', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(server.url);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('button', { name: 'API console' }).click({ timeout: WAIT_MS });
    await page.getByTestId('org-showing').getByText('Orbit API').waitFor({ timeout: WAIT_MS });
    assert.match(await page.getByTestId('org-showing').innerText(), /Showing organization Orbit API · you are admin/);
    await section('Limits and tier').getByText('Tier 0').waitFor({ timeout: WAIT_MS });
  });

  it('adds a test card and buys $20 of credits; the balance and tier follow', async () => {
    await buyOrgCredits(section('API credits'), '20', WAIT_MS);
    await page.getByTestId('org-balance').getByText('$20.00').waitFor({ timeout: WAIT_MS });
    await section('Limits and tier').getByText('Tier 1').waitFor({ timeout: WAIT_MS });
    const org = await call('GET', `/v1/orgs/${org_id}`, WEB_OPERATOR_TOKEN);
    assert.equal(org.body.credit_balance_micros, 20_000_000);
  });

  it('creates a key and sees its secret once; the key authorizes and settles through the API', async () => {
    const keys = section('API keys');
    await keys.getByLabel('Key name').fill('ci-bot');
    await keys.getByRole('button', { name: 'Create key' }).click();
    await keys.getByText('you will not see it again', { exact: false }).waitFor({ timeout: WAIT_MS });
    secret = (await page.getByTestId('key-secret').innerText()).trim();
    assert.match(secret, /^tbk_/);
    await page.getByTestId('key-ci-bot').waitFor({ timeout: WAIT_MS });
    assert.equal(await page.getByTestId('key-ci-bot').getByText(secret).count(), 0, 'the list shows the prefix, never the secret');
    const held = await call('POST', '/v1/authorizations', service, { api_key: secret, ...HOLD });
    assert.equal(held.status, 201, held.text);
    const settled = await call('POST', `/v1/authorizations/${held.body.id}/settle`, service, { input_tokens: 1000, output_tokens: 200 });
    assert.equal(settled.status, 200, settled.text);
    await page.reload();
    await page.getByRole('button', { name: 'API console' }).click({ timeout: WAIT_MS });
    await page.getByTestId('key-ci-bot').waitFor({ timeout: WAIT_MS });
    assert.equal(await page.getByText('you will not see it again', { exact: false }).count(), 0, 'the secret is gone after a reload');
    assert.notEqual((await page.getByTestId('key-ci-bot').getByTestId('key-last-used').innerText()).trim(), 'never');
    const row = section('Usage by key').getByTestId('usage-row').first();
    await row.waitFor({ timeout: WAIT_MS });
    assert.match(await row.innerText(), /ci-bot/);
    assert.ok((await page.evaluate(() => document.documentElement.scrollWidth)) <= 375, 'the page fits 375 px');
  });

  it('revokes the key after a confirmation; the API refuses it', async () => {
    await page.getByRole('button', { name: 'Revoke ci-bot' }).click();
    await page.getByRole('button', { name: 'Yes, revoke' }).click();
    await page
      .getByTestId('key-ci-bot')
      .getByText(/^revoked/)
      .waitFor({ timeout: WAIT_MS });
    const refused = await call('POST', '/v1/authorizations', service, { api_key: secret, ...HOLD });
    assert.equal(refused.status, 401, refused.text);
  });

  it("the operator's Organizations tab lists the org with its tier and balance", async () => {
    await page.goto(`${server.url}/operator`);
    const tokenField = page.getByLabel(/token/i).first();
    if (await tokenField.isVisible().catch(() => false)) {
      await tokenField.fill(WEB_OPERATOR_TOKEN);
      await tokenField.press('Enter');
    }
    await page.getByRole('button', { name: 'Organizations' }).click({ timeout: WAIT_MS });
    const row = page.getByTestId(`org-${org_id}`);
    await row.waitFor({ timeout: WAIT_MS });
    const text = await row.innerText();
    assert.match(text, /Orbit API/);
    assert.match(text, /\$19\.99/, '$20 bought, $0.006 settled');
  });
});
