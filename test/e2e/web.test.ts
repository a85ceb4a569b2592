// The usage page in a real browser (issue 10): a person signs in, switches between a personal
// and a work account, adds a card and credits (a good and a declined test card), sets a limit
// and "unlimited", turns auto-reload on, reads the history chart in each grouping, opens a
// receipt, sees a refusal explained; a member sees no money controls; the operator grants
// credits. Fields are found by their labels, as a person (or a screen reader) finds them.
// TOKENBANK_SCREENSHOTS=docs writes the screenshots the README shows.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { DEMO } from '../../src/app/demo';
import { usd } from '../../web/src/money';
import { BROWSER_SKIP, launchBrowser, startWebServer, WEB_OPERATOR_TOKEN, WORK, type WebServer } from '../fixtures/web';

/** The page's document, inside page.evaluate/waitForFunction callbacks (they run in the browser). */
declare const document: { documentElement: { scrollWidth: number }; querySelector(selector: string): { textContent: string | null } | null };

if (BROWSER_SKIP) console.log(`# ${BROWSER_SKIP}`);

const shots = process.env.TOKENBANK_SCREENSHOTS;
const WAIT_MS = 10_000;

describe('the usage page in Chromium', { skip: BROWSER_SKIP }, () => {
  let server: WebServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let context: BrowserContext;
  let page: Page;

  const see = (text: string | RegExp, within?: string) => (within ? page.locator(within) : page).getByText(text).first().waitFor({ state: 'visible', timeout: WAIT_MS });
  const shot = async (name: string, full = true) => {
    if (shots) await page.screenshot({ path: join(shots, `${name}.png`), fullPage: full });
  };
  const section = (title: string) => page.getByRole('region', { name: title });
  const showing = () => page.getByTestId('showing').textContent();

  before(async () => {
    [server, browser] = await Promise.all([startWebServer(), launchBrowser()]);
    context = browser.context;
    page = context.pages()[0] ?? (await context.newPage());
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('signs in with email and password and says which account is shown', async () => {
    await page.goto(server.url);
    await page.getByLabel('Email').fill(DEMO.email);
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await see('Not signed in');
    await page.getByLabel('Password').fill(DEMO.password);
    await page.getByLabel('Password').press('Enter'); // by keyboard
    await see('Showing');
    assert.match((await showing()) ?? '', /Demo \(Pro\).*owner/);
    await page.getByTestId('balance').waitFor();
    assert.match((await page.getByTestId('balance').textContent()) ?? '', /^\$\d+\.\d\d$/, 'dollars with cents');
  });

  it('draws the history chart with data and switches its grouping; the table holds the same figures', async () => {
    const history = section('Usage history');
    await history.locator('canvas').first().waitFor({ timeout: WAIT_MS });
    await see(/claude-code: \$/, '#history');
    await shot('usage-page');
    await history.getByLabel('Group by').selectOption('model');
    await see(/claude-sonnet-4-5: \$/, '#history');
    await history.getByLabel('Group by').selectOption('source');
    await see(/Plan allowance: \$/, '#history');
    await see(/Extra usage: \$/, '#history');
    await history.getByLabel('Period').selectOption('month');
    await history.locator('canvas').first().waitFor({ timeout: WAIT_MS });
    await history.getByRole('button', { name: 'Table' }).click();
    const rows = await history.locator('tbody tr').count();
    assert.ok(rows >= 1, 'a row per month');
    const download = page.waitForEvent('download');
    await history.getByRole('button', { name: 'Download CSV' }).click();
    assert.match((await download).suggestedFilename(), /^usage-.*\.csv$/);
    await history.getByRole('button', { name: 'Chart' }).click();
  });

  it('opens a receipt that says which pool paid and why', async () => {
    const requests = section('Recent requests');
    await requests.getByRole('button', { name: /^Receipt for / }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Receipt' });
    await dialog.waitFor();
    assert.match((await dialog.getByTestId('receipt-source').textContent()) ?? '', /Plan allowance|Extra usage/);
    assert.match((await dialog.getByTestId('receipt-why').textContent()) ?? '', /app/);
    await shot('receipt', false);
    await page.keyboard.press('Escape'); // by keyboard, like the Close button
    await dialog.waitFor({ state: 'hidden' });
  });

  it('adds a card and buys credits with it; a declined test card is refused in words', async () => {
    const extra = section('Extra usage');
    await extra.getByLabel('Card token (sandbox)').fill('tok_mastercard');
    await extra.getByRole('button', { name: 'Add card' }).click();
    await see(/Added mastercard ending 4444/);
    const before_balance = await page.getByTestId('balance').textContent();
    await extra.getByLabel('$20').check();
    await extra.getByLabel('Pay with').selectOption((await extra.getByLabel('Pay with').locator('option', { hasText: 'mastercard ending 4444' }).getAttribute('value'))!);
    await extra.getByRole('button', { name: 'Add $20.00' }).click();
    await see(/Added \$20\.00 to your extra usage\. New balance: \$/);
    await page.waitForFunction((b) => document.querySelector('[data-testid="balance"]')?.textContent !== b, before_balance);

    await extra.getByLabel('Card token (sandbox)').fill('tok_chargeDeclined');
    await extra.getByRole('button', { name: 'Add card' }).click();
    await see(/Added visa ending/);
    await extra.getByLabel('Other').check();
    await extra.getByLabel('Custom amount (USD)').fill('12.50');
    await extra.getByRole('button', { name: 'Add $12.50' }).click();
    const refusal = extra.getByRole('alert').filter({ hasText: 'Not added' });
    await refusal.waitFor({ timeout: WAIT_MS });
    const text = (await refusal.textContent()) ?? '';
    assert.match(text, /declined/i, text);
    assert.match(text, /What you can do: Try another card/, text);
    await shot('card-declined', false);
  });

  it('explains a refusal from the API: a purchase under the minimum', async () => {
    const extra = section('Extra usage');
    await extra.getByLabel('Pay with').selectOption((await extra.getByLabel('Pay with').locator('option', { hasText: 'mastercard ending 4444' }).getAttribute('value'))!);
    await extra.getByLabel('Custom amount (USD)').fill('1');
    await extra.getByRole('button', { name: 'Add $1.00' }).click();
    const refusal = extra.getByRole('alert').filter({ hasText: 'Not added' });
    await refusal.filter({ hasText: /\$5|minimum|at least/i }).waitFor({ timeout: WAIT_MS });
    assert.doesNotMatch((await refusal.textContent()) ?? '', /\{|"error"/, 'never a raw error');
  });

  it('sets a monthly spend limit, then "unlimited" only after an explicit confirmation', async () => {
    const limit = section('Monthly spend limit');
    await limit.getByLabel('New monthly limit (USD)').fill('75');
    await limit.getByRole('button', { name: 'Set limit' }).click();
    await see('The monthly spend limit is now $75.00.');
    // The figure is the reloaded view's: it follows the confirmation a moment later.
    await page.getByTestId('limit').filter({ hasText: '$75.00' }).waitFor({ timeout: WAIT_MS });
    assert.equal(await page.getByTestId('limit').textContent(), '$75.00');
    await limit.getByRole('button', { name: 'Make it unlimited…' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Remove the monthly cap?' });
    await confirm.waitFor();
    await confirm.getByRole('button', { name: 'Keep a limit' }).click();
    await confirm.waitFor({ state: 'hidden' });
    assert.equal(await page.getByTestId('limit').textContent(), '$75.00', 'cancel keeps the limit');
    await limit.getByRole('button', { name: 'Make it unlimited…' }).click();
    await confirm.getByRole('button', { name: 'Yes, remove the limit' }).click();
    await see('The monthly spend limit is now unlimited.');
    await see('no limit (unlimited)', '#limit');
    const extra = await server.tb.getExtraUsage(server.demo_account_id);
    assert.equal(extra.monthly_spend_limit_micros, null);
    await limit.getByLabel('New monthly limit (USD)').fill('50');
    await limit.getByRole('button', { name: 'Set limit' }).click();
    await see('The monthly spend limit is now $50.00.');
  });

  it('turns auto-reload on with an amount and a threshold', async () => {
    const reload = section('Auto-reload');
    await reload.getByRole('switch', { name: 'Auto-reload' }).check();
    await reload.getByLabel('Reload amount (USD)').fill('20');
    await reload.getByLabel('When available balance falls below (USD)').fill('5');
    await reload.getByRole('button', { name: 'Save auto-reload' }).click();
    await see('Auto-reload is on: $20.00 whenever the available balance falls below $5.00.');
    const extra = await server.tb.getExtraUsage(server.demo_account_id);
    assert.deepEqual([extra.auto_reload.enabled, extra.auto_reload.amount_micros, extra.auto_reload.threshold_micros], [true, 20_000_000, 5_000_000]);
    await see(/^On: adds \$20\.00/, '#auto-reload');
    await see(/Suggested: auto-reload/, '#forecast');
  });

  it("the forecast is the server's figures; a sub-cent threshold prefilled in the form and saved unchanged stays exact", async () => {
    const { forecast } = await server.tb.getExtraUsage(server.demo_account_id);
    assert.ok(forecast.per_day_micros > 0, 'the demo account has a pace');
    const words = ((await page.locator('#forecast').textContent()) ?? '').replace(/\s+/g, ' ');
    assert.ok(words.includes(`about ${usd(forecast.per_day_micros)} a day`), words);
    const suggested = `Suggested: auto-reload ${usd(forecast.suggested_reload.amount_micros)} when below ${usd(forecast.suggested_reload.threshold_micros)}, and a monthly limit of ${usd(forecast.suggested_limit_micros)}.`;
    assert.ok(words.includes(suggested), words);
    // Review finding 19: $5.123456 was prefilled as "5.12" and saving the form made it $5.12.
    const actor = { id: 'operator', request_id: 'web-test' };
    await server.tb.updateExtraUsage(server.demo_account_id, { auto_reload: { enabled: true, amount_micros: 20_000_000, threshold_micros: 5_123_456 } }, actor);
    await page.reload();
    const reload = section('Auto-reload');
    const field = reload.getByLabel('When available balance falls below (USD)');
    await see(/^On: adds \$20\.00/, '#auto-reload');
    assert.equal(await field.inputValue(), '5.123456');
    await reload.getByRole('button', { name: 'Save auto-reload' }).click();
    await see('Auto-reload is on: $20.00 whenever the available balance falls below $5.12.');
    assert.equal((await server.tb.getExtraUsage(server.demo_account_id)).auto_reload.threshold_micros, 5_123_456, 'saved unchanged, still exact');
    await server.tb.updateExtraUsage(server.demo_account_id, { auto_reload: { enabled: true, amount_micros: 20_000_000, threshold_micros: 5_000_000 } }, actor);
    await page.reload();
    await see(/^On: adds \$20\.00/, '#auto-reload');
  });

  it('refunds part of the unspent purchased credits to the card and claims a promotion code', async () => {
    await server.tb.createPromotion({ code: 'WEBTEST5', amount_micros: 5_000_000, claims_max: 10 }, { id: 'operator', request_id: 'web-test' });
    const credits = section('Refunds and promotions');
    const before = await server.tb.getExtraUsage(server.demo_account_id);
    assert.ok(before.refundable_micros >= 10_000_000, `refundable ${before.refundable_micros}`);
    await credits.getByLabel('Refund amount (USD, empty: everything refundable)').fill('10');
    await credits.getByRole('button', { name: 'Refund to the card' }).click();
    await see(/Refunded \$10\.00 to the card\./);
    const after_refund = await server.tb.getExtraUsage(server.demo_account_id);
    assert.equal(before.purchased_micros - after_refund.purchased_micros, 10_000_000, 'the purchased balance went down by exactly $10');
    await credits.getByTestId('refunds').getByText(/\$10\.00 · succeeded/).waitFor({ timeout: WAIT_MS });

    await credits.getByLabel('Promotion code').fill('webtest5');
    await credits.getByRole('button', { name: 'Claim' }).click();
    await see(/Code WEBTEST5: \$5\.00 of promotional credit added/);
    await credits.getByLabel('Promotion code').fill('WEBTEST5');
    await credits.getByRole('button', { name: 'Claim' }).click();
    await credits.getByRole('alert').filter({ hasText: 'Not claimed' }).waitFor({ timeout: WAIT_MS });
    const after_claim = await server.tb.getExtraUsage(server.demo_account_id);
    assert.equal(after_claim.promotional_micros - after_refund.promotional_micros, 5_000_000, 'claimed once');
  });

  it('switches to the work account, where a member sees usage but no money controls; the choice is remembered', async () => {
    await page.getByLabel('Account').selectOption({ label: `${WORK.name} (member)` });
    await page.waitForFunction((name) => document.querySelector('[data-testid="showing"]')?.textContent?.includes(name), WORK.name);
    assert.match((await showing()) ?? '', /a member member|member/);
    await see(/You are a member of this account/);
    await section('Usage history').locator('canvas').first().waitFor({ timeout: WAIT_MS });
    for (const control of ['Add card', 'Set limit', 'Save auto-reload', /^Add \$/]) assert.equal(await page.getByRole('button', { name: control }).count(), 0, `no ${control} button for a member`);
    assert.equal(await page.getByRole('switch').count(), 0, 'no switches for a member');
    await shot('member-view');
    await page.reload();
    await see('Showing');
    assert.match((await showing()) ?? '', new RegExp(WORK.name.replace(/[()]/g, '\\$&')), 'remembered in this browser');
    await page.getByLabel('Account').selectOption({ label: 'Demo (Pro) (owner)' });
    await page.waitForFunction(() => document.querySelector('[data-testid="showing"]')?.textContent?.includes('Demo (Pro)'));
  });

  it('reads at 375 px wide with no sideways scrolling', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.getByTestId('balance').waitFor();
    await section('Usage history').locator('canvas').first().waitFor({ timeout: WAIT_MS });
    await page.waitForTimeout(200);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 375, `page is ${width} px wide at a 375 px viewport`);
    await shot('phone-375', false);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('signs out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Email').waitFor();
  });

  it('the operator signs in with the token, finds the account, sees its ledger status and grants promotional credits', async () => {
    await page.goto(`${server.url}/operator`);
    await page.getByLabel('Operator token').fill(WEB_OPERATOR_TOKEN);
    await page.getByRole('button', { name: 'Open console' }).click();
    await page.getByLabel('Search accounts').fill('Demo');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('button', { name: 'Demo (Pro)' }).click();
    await see(/Ledger balanced/);
    const before_micros = (await server.tb.getExtraUsage(server.demo_account_id)).promotional_micros;
    await page.getByLabel('Grant amount (USD)').fill('10');
    await page.getByLabel('Reason').fill('sorry for the outage');
    await page.getByRole('button', { name: 'Grant credits' }).click();
    await see('Granted $10.00 of promotional credit, with no expiry.');
    const after_micros = (await server.tb.getExtraUsage(server.demo_account_id)).promotional_micros;
    assert.ok(after_micros - before_micros >= 9_990_000, `promotional grew by ~$10: ${before_micros} → ${after_micros}`);
    await section('Usage history').locator('canvas').first().waitFor({ timeout: WAIT_MS });
    await shot('operator-console');
    await page.getByRole('button', { name: 'Catalog' }).click();
    await see('claude-opus-4-5');
    await page.getByRole('button', { name: 'Service tokens' }).click();
    await page.getByLabel('New token name').fill('gateway-eu');
    await page.getByRole('button', { name: 'Create token' }).click();
    await see(/Copy it now/);
  });
});
