// The page's Notifications and Webhooks sections in a real browser (issue 11, part 6), against
// the server with TOKENBANK_WEBHOOK_ALLOW_PRIVATE=1 and TOKENBANK_WEBHOOK_RETRY_SCHEDULE=1s,1s and
// its background jobs running, and a receiver on 127.0.0.1: the owner adds an endpoint and sees its
// signing secret once (copied, then never shown again); a grant made through the API reaches the
// receiver, signed with that secret, and its delivery shows in the log with 200; the receiver
// fails, the log shows every failed attempt, Redeliver brings it through; the notifications say
// the event in words and page with More; deleting asks first; a member cannot manage endpoints
// (no controls, and the API refuses); the operator's console creates a campaign code (once) and manages operator-wide endpoints.
// TOKENBANK_SCREENSHOTS=docs writes docs/webhooks-page.png.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { DEMO } from '../../src/app/demo';
import { startReceiver, type Receiver } from '../fixtures/receiver';
import { BROWSER_SKIP, launchBrowser, startWebServer, WEB_OPERATOR_TOKEN, WORK, type WebServer } from '../fixtures/web';

/** The page's globals, inside page.evaluate/waitForFunction callbacks (they run in the browser). */
declare const document: { documentElement: { scrollWidth: number } };
declare const navigator: { clipboard: { readText(): Promise<string> } };

if (BROWSER_SKIP) console.log(`# ${BROWSER_SKIP}`);

const shots = process.env.TOKENBANK_SCREENSHOTS;
const WAIT_MS = 15_000;
const SERVER_ENV = { TOKENBANK_WEBHOOK_ALLOW_PRIVATE: '1', TOKENBANK_WEBHOOK_RETRY_SCHEDULE: '1s,1s' };

describe('notifications and webhooks on the page, in Chromium', { skip: BROWSER_SKIP }, () => {
  let server: WebServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let context: BrowserContext;
  let page: Page;
  let receiver: Receiver;
  let secret = '';

  const see = (text: string | RegExp, within?: string) =>
    (within ? page.locator(within) : page).getByText(text).first().waitFor({ state: 'visible', timeout: WAIT_MS });
  const section = (title: string) => page.getByRole('region', { name: title, exact: true });
  const operatorCall = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${WEB_OPERATOR_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`);
    return text;
  };
  const grant = (amount_micros: number, account_id = server.demo_account_id) =>
    operatorCall('POST', `/v1/accounts/${account_id}/grants`, { amount_micros, reason: 'web test' });
  const deliveryRows = (status: string) =>
    section('Webhooks')
      .getByTestId('delivery')
      .and(page.locator(`[data-status="${status}"]`));

  before(async () => {
    [server, browser, receiver] = await Promise.all([startWebServer({ env: SERVER_ENV }), launchBrowser(), startReceiver([200])]);
    context = browser.context;
    page = context.pages()[0] ?? (await context.newPage());
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await receiver?.close();
  });

  it('the owner adds an endpoint for two event types and sees its signing secret once, with a copy button', async () => {
    await page.goto(server.url);
    await page.getByLabel('Email').fill(DEMO.email);
    await page.getByLabel('Password').fill(DEMO.password);
    await page.getByLabel('Password').press('Enter');
    await page.getByTestId('showing').waitFor();
    const hooks = section('Webhooks');
    await hooks.getByText('No endpoints yet.').waitFor({ timeout: WAIT_MS });
    await hooks.getByLabel('Endpoint URL').fill(receiver.url);
    await hooks.getByText(/^Event types: all of them/).click();
    await hooks.getByRole('checkbox', { name: /Promotional credits granted/ }).check();
    await hooks.getByRole('checkbox', { name: /Credits purchased/ }).check();
    await hooks.getByText(/^Event types: 2 chosen/).waitFor();
    await hooks.getByLabel('Endpoint URL').press('Enter'); // by keyboard
    const shown = hooks.getByTestId('new-secret');
    await shown.waitFor({ timeout: WAIT_MS });
    secret = await shown.getByLabel('Signing secret').inputValue();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]{32}$/);
    await shown.getByText('You will not see it again.').waitFor();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await shown.getByRole('button', { name: 'Copy secret' }).click();
    await shown.getByText('Copied.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret, 'the clipboard holds the secret');
    const endpoint = hooks.getByTestId('endpoint');
    await endpoint.getByText('enabled').waitFor();
    await endpoint.getByText(/Sends: Credits purchased, Promotional credits granted/).waitFor();
    await shown.getByRole('button', { name: 'I have stored it' }).click();
    await shown.waitFor({ state: 'hidden' });
    await page.reload();
    await section('Webhooks').getByTestId('endpoint').waitFor({ timeout: WAIT_MS });
    assert.ok(!(await page.content()).includes(secret), 'the secret is not on the page again');
    const listed = await operatorCall('GET', `/v1/accounts/${server.demo_account_id}/webhook-endpoints`);
    assert.ok(listed.includes(receiver.url), listed);
    assert.ok(!listed.includes(secret), 'nor in the list the API gives');
  });

  it('a grant made through the API reaches the receiver, signed with that secret, and the log shows its delivery with 200', async () => {
    await grant(7_000_000);
    await receiver.until((r) => r.length >= 1, WAIT_MS);
    const got = receiver.received[0]!;
    const event = new Webhook(secret).verify(got.body, got.headers) as { type: string; data: { amount_micros: number } };
    assert.equal(event.type, 'grant.added');
    assert.equal(event.data.amount_micros, 7_000_000);
    const hooks = section('Webhooks');
    await hooks.getByRole('button', { name: 'Deliveries' }).click();
    const delivered = deliveryRows('succeeded');
    await delivered.first().waitFor({ timeout: WAIT_MS });
    assert.equal(await delivered.count(), 1);
    assert.match((await delivered.first().getByTestId('attempt-answer').textContent()) ?? '', /^200/);
    await delivered.getByText(got.headers['webhook-id']!).waitFor();
    assert.match((await delivered.first().getByTestId('attempt-duration').textContent()) ?? '', /^ · \d+ ms$/);
  });

  it('the receiver fails: every attempt is in the log, the delivery fails, Redeliver brings it through with the same webhook-id', async () => {
    receiver.answerAll(500);
    await grant(3_000_000);
    const failed = deliveryRows('failed');
    await failed.first().waitFor({ timeout: WAIT_MS });
    const answers = await failed.first().getByTestId('attempt-answer').allTextContents();
    assert.equal(answers.length, 3, `one attempt and the schedule's two retries: ${answers.join(' | ')}`);
    for (const a of answers) assert.match(a, /^500/);
    await section('Webhooks')
      .getByTestId('endpoint')
      .getByText(/^failing since /)
      .waitFor({ timeout: WAIT_MS });
    const id = receiver.received[receiver.received.length - 1]!.headers['webhook-id']!;
    assert.equal(receiver.countsById().get(id), 3);
    receiver.answerAll(200);
    await failed
      .first()
      .getByRole('button', { name: /^Redeliver / })
      .click();
    await see(/is due again now, with a fresh retry schedule/, '#webhooks');
    await receiver.until(() => receiver.countsById().get(id) === 4, WAIT_MS);
    await page.waitForFunction(() => document.documentElement.scrollWidth > 0); // the page is alive
    await deliveryRows('succeeded').nth(1).waitFor({ timeout: WAIT_MS });
    assert.equal(await deliveryRows('failed').count(), 0, 'the redelivered one succeeded');
    const redelivered = deliveryRows('succeeded').first();
    assert.deepEqual(
      (await redelivered.getByTestId('attempt-answer').allTextContents()).map((a) => a.split(' ')[0]),
      ['500', '500', '500', '200'],
      'every attempt stays in the log',
    );
    await redelivered.getByText('redelivered').waitFor();
    const last = receiver.received[receiver.received.length - 1]!;
    assert.equal((new Webhook(secret).verify(last.body, last.headers) as { type: string }).type, 'grant.added');
    await section('Webhooks')
      .getByTestId('endpoint')
      .getByText(/^failing since /)
      .waitFor({ state: 'hidden', timeout: WAIT_MS });
    if (shots) await section('Webhooks').screenshot({ path: join(shots, 'webhooks-page.png') });
  });

  it('the notifications say the events in words, newest first, and More pages on with the cursor', async () => {
    await page.reload();
    const notes = section('Notifications');
    const list = notes.getByTestId('notifications');
    await list.waitFor({ timeout: WAIT_MS });
    const first = list.locator('li').first();
    assert.match((await first.textContent()) ?? '', /Promotional credits granted.*grant\.added.*\$3\.00 of promotional credit granted, with no expiry/);
    await list.getByText('$7.00 of promotional credit granted, with no expiry').waitFor();
    const total = (await server.tb.listEvents(server.demo_account_id, { limit: '100' })).data.length;
    assert.ok(total > 20, `the demo and the grants made more than a page of events (${total})`);
    assert.equal(await list.locator('li').count(), 20, 'a page of 20');
    await notes.getByRole('button', { name: 'More' }).click();
    await page.waitForFunction(
      (n) =>
        (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll(
          '[data-testid="notifications"] li',
        ).length === n,
      Math.min(total, 40),
    );
  });

  it('fits a 375 px screen with the delivery log open', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await section('Webhooks').getByRole('button', { name: 'Deliveries' }).click();
    await deliveryRows('succeeded').first().waitFor({ timeout: WAIT_MS });
    await page.waitForTimeout(200);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, `page is ${width} px wide at a 375 px viewport`);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('deleting an endpoint asks first; "Keep it" keeps it', async () => {
    const hooks = section('Webhooks');
    await hooks.getByRole('button', { name: `Delete ${receiver.url}…` }).click();
    const confirm = page.getByRole('alertdialog', { name: /Delete this endpoint\?/ });
    await confirm.getByRole('button', { name: 'Keep it' }).click();
    await confirm.waitFor({ state: 'hidden' });
    assert.equal(await hooks.getByTestId('endpoint').count(), 1);
    await hooks.getByRole('button', { name: `Delete ${receiver.url}…` }).click();
    await confirm.getByRole('button', { name: 'Yes, delete it' }).click();
    await see(/Deleted the endpoint/, '#webhooks');
    await hooks.getByText('No endpoints yet.').waitFor({ timeout: WAIT_MS });
    const left = JSON.parse(await operatorCall('GET', `/v1/accounts/${server.demo_account_id}/webhook-endpoints`)) as { data: unknown[] };
    assert.equal(left.data.length, 0);
  });

  it('a member of the work account sees a note and no endpoint controls; the API refuses the member too', async () => {
    await page.getByLabel('Account').selectOption({ label: `${WORK.name} (member)` });
    const hooks = section('Webhooks');
    await hooks
      .getByRole('note')
      .getByText(/owner and billing members choose where they go/)
      .waitFor({ timeout: WAIT_MS });
    for (const control of ['Add endpoint', 'Deliveries', 'Redeliver'])
      assert.equal(await hooks.getByRole('button', { name: control }).count(), 0, `no ${control} for a member`);
    assert.equal(await hooks.getByLabel('Endpoint URL').count(), 0);
    const status = await page.evaluate(
      async ([id, url]) =>
        (
          await fetch(`/v1/accounts/${id}/webhook-endpoints`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ url }),
          })
        ).status,
      [server.work_account_id, receiver.url] as const,
    );
    assert.equal(status, 403, 'a member cannot add one through the API either');
    await section('Notifications')
      .getByText(/invited as member|joined as member/)
      .first()
      .waitFor({ timeout: WAIT_MS });
    await page.getByLabel('Account').selectOption({ label: 'Demo (Pro) (owner)' });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Email').waitFor();
  });

  it("the operator's console creates a campaign code, and adds an operator-wide endpoint, which gets every account's events", async () => {
    const everything = await startReceiver([200]);
    try {
      await page.goto(`${server.url}/operator`);
      await page.getByLabel('Operator token').fill(WEB_OPERATOR_TOKEN);
      await page.getByRole('button', { name: 'Open console' }).click();
      await page.getByRole('button', { name: 'Campaign codes' }).click();
      const form = section('New campaign code');
      await form.getByLabel('Code').fill('HOOKS15');
      await form.getByLabel('Credit per claim (USD)').fill('15');
      await form.getByLabel('Claim limit (accounts)').fill('5');
      await form.getByLabel('Credit expires after (days, optional)').fill('30');
      await form.getByRole('button', { name: 'Create code' }).click();
      await see('Code HOOKS15 created: $15.00 for each of up to 5 accounts.');
      await section('Campaign codes')
        .getByRole('row', { name: /HOOKS15 \$15\.00 0 of 5 no end 30 days after the claim/ })
        .waitFor({ timeout: WAIT_MS });
      await form.getByLabel('Code').fill('HOOKS15');
      await form.getByRole('button', { name: 'Create code' }).click();
      await form.getByRole('alert').filter({ hasText: 'Code not created' }).waitFor({ timeout: WAIT_MS });
      await page.getByRole('button', { name: 'Webhooks' }).click();
      const hooks = section('Operator-wide webhooks');
      await hooks.getByText(/receive every account's events/).waitFor();
      await hooks.getByLabel('Endpoint URL').fill(everything.url);
      await hooks.getByRole('button', { name: 'Add endpoint' }).click();
      const operator_secret = await hooks.getByTestId('new-secret').getByLabel('Signing secret').inputValue();
      await grant(2_000_000, server.work_account_id);
      await everything.until((r) => r.some((x) => x.body.includes(server.work_account_id)), WAIT_MS);
      const got = everything.received.find((x) => x.body.includes(server.work_account_id))!;
      assert.equal((new Webhook(operator_secret).verify(got.body, got.headers) as { account_id: string }).account_id, server.work_account_id);
      await hooks.getByRole('button', { name: 'Deliveries' }).click();
      await hooks.getByTestId('delivery').and(page.locator('[data-status="succeeded"]')).first().waitFor({ timeout: WAIT_MS });
    } finally {
      await everything.close();
    }
  });
});
