// What a person sees and does in the shell: hydration, theme, phone layout, jobs with live
// progress, the typed confirmation, form validation and the error page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPanel, launchBrowser, openPage, waitLive, login, ADMIN } from './harness.mjs';

let panel;
let browser;

before(async () => {
  panel = await startPanel();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await panel?.stop();
});

test('the shell renders and hydrates on a desktop', async () => {
  const page = await openPage(browser, { viewport: { width: 1280, height: 800 } });
  await login(page, panel.base);
  assert.equal(await page.title(), 'Overview · Pier');
  assert.equal(await page.locator('.user-name').innerText(), ADMIN.username); // the user menu
  const sidebar = page.locator('aside.sidebar');
  assert.ok(await sidebar.isVisible(), 'sidebar visible on desktop');
  assert.ok(!(await page.locator('nav.bottombar').isVisible()), 'no bottom bar on desktop');
  await waitLive(page); // the WASM ran and opened the live socket

  // A client-side interaction: the theme toggle flips <html data-theme> and remembers it.
  const before = await page.evaluate(() => document.documentElement.dataset.theme ?? '');
  await page.getByRole('button', { name: /Switch to (dark|light) theme/ }).click();
  const after = await page.evaluate(() => document.documentElement.dataset.theme);
  assert.ok(after === 'dark' || after === 'light');
  assert.notEqual(after, before);
  assert.equal(await page.evaluate(() => localStorage.getItem('pier-theme')), after);

  // Client-side navigation keeps the socket (no reload): go to System and see the checks.
  await sidebar.getByRole('link', { name: 'System' }).click();
  await page.locator('table tr[data-component="database"][data-status="ok"]').waitFor();
  assert.equal(await page.title(), 'System · Pier');
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('a phone shows the bottom bar and the drawer', async () => {
  const page = await openPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await login(page, panel.base);
  await waitLive(page);
  const bottom = page.locator('nav.bottombar');
  assert.ok(await bottom.isVisible(), 'bottom bar visible on a phone');
  assert.ok(!(await page.locator('aside.sidebar').isVisible()), 'sidebar hidden on a phone');
  const box = await bottom.boundingBox();
  assert.ok(box.y + box.height >= 844 - 1, 'bottom bar sits at the bottom');

  await bottom.getByRole('button', { name: 'More' }).click();
  const drawer = page.getByRole('dialog', { name: 'All sections' });
  await drawer.waitFor();
  await drawer.getByRole('link', { name: 'Jobs' }).click();
  await page.waitForURL(/\/jobs$/);
  assert.equal(await drawer.count(), 0, 'drawer closes after navigating');
  assert.equal(await bottom.getByRole('link', { name: 'Jobs' }).getAttribute('aria-current'), 'page');
  // Nothing overflows sideways at phone width.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone`);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("a job's progress bar moves to done, live", async () => {
  const page = await openPage(browser, { viewport: { width: 1280, height: 900 } });
  await login(page, panel.base, { next: '/jobs' });
  await waitLive(page);
  await page.getByLabel('Duration (seconds)').fill('3');
  await page.getByLabel('Steps').fill('6');
  await page.getByRole('button', { name: 'Run worker self-test' }).click();
  await page.locator('.toast', { hasText: 'Started Worker self-test' }).waitFor();

  const row = page.locator('li.job', { hasText: 'Worker self-test' }).first();
  const bar = row.getByRole('progressbar');
  // Watch the bar as a person would: it passes through intermediate values to 100.
  const seen = new Set();
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const v = Number(await bar.getAttribute('aria-valuenow').catch(() => '0'));
    seen.add(v);
    if ((await row.getAttribute('data-state')) === 'succeeded') break;
    await page.waitForTimeout(100);
  }
  assert.equal(await row.getAttribute('data-state'), 'succeeded');
  assert.equal(await bar.getAttribute('aria-valuenow'), '100');
  assert.ok([...seen].some((v) => v > 0 && v < 100), `saw intermediate progress: ${[...seen]}`);
  assert.match(await row.locator('.job-message').innerText(), /Completed 6 steps/);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('cancelling a job asks for its name to be typed', async () => {
  const page = await openPage(browser);
  await login(page, panel.base, { next: '/jobs' });
  await waitLive(page);
  await page.getByLabel('Duration (seconds)').fill('60');
  await page.getByLabel('Steps').fill('60');
  await page.getByRole('button', { name: 'Run worker self-test' }).click();
  const row = page.locator('li.job[data-state="running"]', { hasText: 'Worker self-test' }).first();
  await row.waitFor();
  const id = await row.getAttribute('data-job-id');

  await row.getByRole('button', { name: 'Cancel' }).click();
  const dialog = page.getByRole('dialog', { name: `Cancel job #${id}?` });
  await dialog.waitFor();
  const confirm = dialog.getByRole('button', { name: 'Cancel job' });
  assert.ok(await confirm.isDisabled(), 'disabled until the name is typed');
  await dialog.getByLabel(/Type .* to confirm/).fill('job-0');
  assert.ok(await confirm.isDisabled(), 'a wrong name keeps it disabled');
  await dialog.getByLabel(/Type .* to confirm/).fill(`job-${id}`);
  assert.ok(await confirm.isEnabled());
  await confirm.click();
  await page.locator(`li.job[data-job-id="${id}"][data-state="cancelled"]`).waitFor({ timeout: 15_000 });
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test('the form says what is wrong before asking the server', async () => {
  const page = await openPage(browser);
  await login(page, panel.base, { next: '/jobs' });
  await waitLive(page);
  await page.getByLabel('Steps').fill('0');
  await page.getByRole('button', { name: 'Run worker self-test' }).click();
  await page.getByRole('alert').filter({ hasText: 'Steps must be between 1 and 100.' }).waitFor();
  await page.context().close();
});

test('an unknown address shows the error page with status 404', async () => {
  const page = await openPage(browser);
  await login(page, panel.base);
  const response = await page.goto(panel.base + '/definitely/not/here');
  assert.equal(response.status(), 404);
  await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  await page.getByRole('link', { name: 'Back to the overview' }).click();
  await page.waitForURL(panel.base + '/');
  await page.context().close();
});
