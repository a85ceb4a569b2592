// Invitations on the page, in a real browser: the invited user sees each pending invitation with
// the account's name and kind, declines one (it goes, nobody is added) and accepts the other (the
// account joins the switcher at once, without signing in again). Checked through the API too.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { closeAll } from '../fixtures/databases';
import { BROWSER_SKIP, callServer, launchBrowser, startWebServer, WEB_OPERATOR_TOKEN, WORK, type WebServer } from '../fixtures/web';

if (BROWSER_SKIP) console.log(`# ${BROWSER_SKIP}`);

const WAIT_MS = 15_000;
const INVITEE = { email: 'ada@invited.example', password: 'ada-invited-password-1' };
const OTHER = 'Side Project';

describe('pending invitations on the page, in Chromium', { skip: BROWSER_SKIP }, () => {
  let server: WebServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const call = (method: string, path: string, body?: unknown) => callServer(server.url, method, path, WEB_OPERATOR_TOKEN, body);
  const memberEmails = async (account_id: string) => (await call('GET', `/v1/accounts/${account_id}/members`)).body.data.map((m: { email: string }) => m.email);

  before(async () => {
    [server, browser] = await Promise.all([startWebServer(), launchBrowser()]);
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    // The invitee has an account of their own; two others invite them.
    assert.equal(
      (await call('POST', '/v1/accounts', { name: 'Ada Personal', plan: 'pro', owner_email: INVITEE.email, owner_password: INVITEE.password })).status,
      201,
    );
    const other = await call('POST', '/v1/accounts', { name: OTHER, plan: 'pro', owner_email: WORK.owner_email });
    assert.equal(other.status, 201, other.text);
    for (const [id, role] of [
      [server.work_account_id, 'billing'],
      [other.body.id, 'member'],
    ] as const)
      assert.equal((await call('POST', `/v1/accounts/${id}/members`, { email: INVITEE.email, role })).status, 202);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await closeAll();
  });

  it('lists both invitations; declining one removes it and adds nobody; accepting the other puts the account in the switcher at once', async () => {
    await page.goto(server.url);
    await page.getByLabel('Email').fill(INVITEE.email);
    await page.getByLabel('Password').fill(INVITEE.password);
    await page.getByLabel('Password').press('Enter');
    const invitations = page.getByRole('region', { name: 'Invitations', exact: true });
    await invitations.getByText(WORK.name).waitFor({ timeout: WAIT_MS });
    const text = await invitations.innerText();
    assert.match(text, new RegExp(`${WORK.name.replace(/[()]/g, '\\$&')} \\(account\\) invites you as billing`));
    assert.match(text, new RegExp(`${OTHER} \\(account\\) invites you as member`));

    await invitations.locator('li', { hasText: OTHER }).getByRole('button', { name: 'Decline' }).click();
    await invitations.getByText(`You declined the invitation to ${OTHER}.`).waitFor({ timeout: WAIT_MS });
    assert.equal(await invitations.locator('li', { hasText: OTHER }).count(), 0);

    await invitations.locator('li', { hasText: WORK.name }).getByRole('button', { name: 'Accept' }).click();
    await invitations.getByText(`You joined ${WORK.name} as billing.`).waitFor({ timeout: WAIT_MS });
    const switcher = page.getByRole('banner').getByLabel('Account');
    await switcher.locator('option', { hasText: WORK.name }).waitFor({ state: 'attached', timeout: WAIT_MS });
    await switcher.selectOption({ label: `${WORK.name} (billing)` });
    await page.getByTestId('showing').getByText(WORK.name).waitFor({ timeout: WAIT_MS });
    assert.match(await page.getByTestId('showing').innerText(), /you are a billing member/);

    assert.ok((await memberEmails(server.work_account_id)).includes(INVITEE.email), 'accepted: a member');
    const other_id = (await call('GET', `/v1/accounts?search=${encodeURIComponent(OTHER)}`)).body.data[0].id;
    assert.ok(!(await memberEmails(other_id)).includes(INVITEE.email), 'declined: not a member');
  });
});
