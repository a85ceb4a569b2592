// The page's 3-D Secure flow in Chromium (docs/payments.md): with the sandbox card
// tok_threeDSecure2Required, Add credits answers "Your bank asks you to confirm this payment"
// with a Confirm button and nothing added; Confirm calls the confirm route, which (in the
// sandbox, where there is no bank step) completes the purchase: the balance goes up once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { DEMO } from '../../src/app/demo';
import { BROWSER_SKIP, launchBrowser, startWebServer, type WebServer } from '../fixtures/web';

declare const document: { querySelector(selector: string): { textContent: string | null } | null };

const WAIT_MS = 10_000;

describe('the page asks the person to confirm a payment their bank wants confirmed (Chromium)', { skip: BROWSER_SKIP }, () => {
  let server: WebServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  before(async () => {
    [server, browser] = await Promise.all([startWebServer(), launchBrowser()]);
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });
  const see = (text: string | RegExp) => page.getByText(text).first().waitFor({ state: 'visible', timeout: WAIT_MS });

  it('Add credits with tok_threeDSecure2Required → the bank’s question and Confirm; Confirm adds the credits once', async () => {
    await page.goto(server.url);
    await page.getByLabel('Email').fill(DEMO.email);
    await page.getByLabel('Password').fill(DEMO.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('balance').waitFor({ timeout: WAIT_MS });
    const extra = page.getByRole('region', { name: 'Extra usage' });
    await extra.getByLabel('Card token (sandbox)').fill('tok_threeDSecure2Required');
    await extra.getByRole('button', { name: 'Add card' }).click();
    await see(/Added visa ending 3155/);
    const before_balance = await page.getByTestId('balance').textContent();
    await extra.getByLabel('$20').check();
    await extra.getByRole('button', { name: 'Add $20.00' }).click();
    const notice = extra.getByTestId('confirm-payment');
    await notice.waitFor({ timeout: WAIT_MS });
    assert.match((await notice.textContent()) ?? '', /Your bank asks you to confirm this payment of \$20\.00/);
    assert.equal(await extra.getByRole('alert').filter({ hasText: 'Not added' }).count(), 0, 'not shown as a refusal');
    assert.equal(await page.getByTestId('balance').textContent(), before_balance, 'nothing added yet');
    await notice.getByRole('button', { name: 'Confirm' }).click();
    await see(/Added \$20\.00 to your extra usage\. New balance: \$/);
    assert.equal(await extra.getByTestId('confirm-payment').count(), 0, 'the question is gone');
    await page.waitForFunction((b) => document.querySelector('[data-testid="balance"]')?.textContent !== b, before_balance);
    const parse = (t: string | null) => Number((t ?? '').replace(/[$,]/g, ''));
    assert.equal(parse(await page.getByTestId('balance').textContent()) - parse(before_balance), 20, 'the balance went up by $20, once');
  });
});
