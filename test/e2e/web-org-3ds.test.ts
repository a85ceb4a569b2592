// An organization's API-credit purchase that the bank wants confirmed (3-D Secure), in Chromium:
// the console's Buy credits answers "Your bank asks you to confirm this payment" with a Confirm
// button and nothing added; Confirm calls the org's confirm path (from the refusal, not the
// account's), which in the sandbox completes the purchase: the org's balance goes up once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { BROWSER_SKIP, launchBrowser, startWebServer, WEB_OPERATOR_TOKEN, type WebServer } from '../fixtures/web';

const WAIT_MS = 15_000;
const ORG = 'Secure Pay API';
const ADMIN = { email: 'ada@securepay.example', password: 'ada-securepay-password-1' };

describe("the API console asks the person to confirm an org's payment their bank wants confirmed (Chromium)", { skip: BROWSER_SKIP }, () => {
  let server: WebServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let org_id = '';
  const orgView = async () => {
    const r = await fetch(`${server.url}/v1/orgs/${org_id}`, { headers: { authorization: `Bearer ${WEB_OPERATOR_TOKEN}` } });
    return (await r.json()) as { credit_balance_micros: number };
  };

  before(async () => {
    [server, browser] = await Promise.all([startWebServer(), launchBrowser()]);
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    const created = await fetch(`${server.url}/v1/orgs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${WEB_OPERATOR_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: ORG, admin_email: ADMIN.email, admin_password: ADMIN.password }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    org_id = ((await created.json()) as { id: string }).id;
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('Buy credits with tok_threeDSecure2Required → the bank’s question and Confirm; Confirm adds the API credits once', async () => {
    await page.goto(server.url);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByLabel('Password').press('Enter');
    await page.getByRole('button', { name: 'API console' }).click({ timeout: WAIT_MS });
    await page.getByTestId('org-showing').getByText(ORG).waitFor({ timeout: WAIT_MS });
    const credits = page.getByRole('region', { name: 'API credits', exact: true });
    await credits.getByLabel('Card token (test)').fill('tok_threeDSecure2Required');
    await credits.getByRole('button', { name: 'Add card' }).click();
    await credits.getByRole('button', { name: 'Buy credits' }).and(page.locator(':enabled')).waitFor({ timeout: WAIT_MS });
    await credits.getByLabel('Amount (USD)').fill('20');
    await credits.getByRole('button', { name: 'Buy credits' }).click();
    const notice = credits.getByTestId('confirm-payment');
    await notice.waitFor({ timeout: WAIT_MS });
    assert.match((await notice.textContent()) ?? '', /Your bank asks you to confirm this payment of \$20\.00/);
    assert.equal(await credits.getByRole('alert').count(), 0, 'not shown as a refusal');
    assert.equal((await orgView()).credit_balance_micros, 0, 'nothing added yet');
    await notice.getByRole('button', { name: 'Confirm' }).click();
    await credits.getByText('Payment confirmed: $20.00 of API credits added.').waitFor({ timeout: WAIT_MS });
    assert.equal(await credits.getByTestId('confirm-payment').count(), 0, 'the question is gone');
    await credits.getByTestId('org-balance').getByText('$20.00').waitFor({ timeout: WAIT_MS });
    assert.equal((await orgView()).credit_balance_micros, 20_000_000, 'the org has $20 of API credits, once');
  });
});
