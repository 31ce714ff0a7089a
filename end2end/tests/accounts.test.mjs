// Accounts as a person meets them: the first administrator through the printed setup link,
// a refused password, signing out, and being sent to sign in.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPanel, launchBrowser, openPage, waitLive, login, until } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('the first administrator is created through the printed setup link', async () => {
  const panel = await startPanel({ admin: false });
  try {
    const link = panel.output().match(/http:\/\/\S+\/setup\?token=[0-9a-f]{64}/)?.[0];
    assert.ok(link, `a setup link is printed:\n${panel.output()}`);
    const page = await openPage(browser);
    await page.goto(link);
    await page.getByLabel('Username').fill('founder');
    await page.getByLabel('Email').fill('founder@example.com');
    await page.getByLabel('Password (at least 12 characters)').fill('short');
    await page.getByLabel('Repeat the password').fill('short');
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.getByRole('alert').filter({ hasText: 'at least 12 characters' }).waitFor();

    await page.getByLabel('Password (at least 12 characters)').fill('a long and unusual phrase');
    await page.getByLabel('Repeat the password').fill('a long and unusual phrase');
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await page.waitForURL(panel.base + '/');
    await waitLive(page);
    assert.equal(await page.locator('.user-name').innerText(), 'founder');
    assert.ok(await page.getByRole('link', { name: 'Users' }).first().isVisible(), 'an admin sees the Users section');

    // The link works once.
    const again = await openPage(browser);
    await again.goto(link);
    await again.getByRole('alert').filter({ hasText: 'invalid, already used, or expired' }).waitFor();
    assert.deepEqual(page.errors, []);
  } finally {
    await panel.stop();
  }
});

test('sign-in refuses a wrong password, and signing out ends the session', async () => {
  const panel = await startPanel();
  try {
    const page = await openPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true });
    const res = await page.goto(panel.base + '/jobs');
    assert.match(page.url(), /\/login\?next=%2Fjobs$/, 'a page needs a session: sent to sign in');
    assert.equal(res.status(), 200);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor();
    assert.equal(await page.getByLabel('Password').inputValue(), '', 'the wrong password is cleared');

    await login(page, panel.base, { next: '/jobs' });
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/login$/);
    await page.goto(panel.base + '/jobs');
    assert.match(page.url(), /\/login\?next=/, 'the old session no longer works');
  } finally {
    await panel.stop();
  }
});

test('an admin creates a user, who sees no admin navigation, and suspension ends their session', async () => {
  const panel = await startPanel();
  try {
    const admin = await openPage(browser, { viewport: { width: 1280, height: 900 } });
    await login(admin, panel.base, { next: '/users' });
    await admin.getByLabel('Username', { exact: true }).fill('dana');
    await admin.getByLabel('Email', { exact: true }).fill('dana@example.com');
    await admin.getByLabel('Initial password').fill('short');
    await admin.getByRole('button', { name: 'Create user' }).click();
    await admin.getByRole('alert').filter({ hasText: 'at least 12 characters' }).waitFor();
    await admin.getByLabel('Initial password').fill('her long unusual passphrase');
    await admin.getByRole('button', { name: 'Create user' }).click();
    await admin.locator('.toast', { hasText: 'Created dana (user).' }).waitFor();
    await admin.locator('tr[data-username="dana"][data-status="active"]').waitFor();

    // Dana signs in on a phone: her own navigation only.
    const dana = await openPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true });
    await login(dana, panel.base, { username: 'dana', password: 'her long unusual passphrase' });
    await waitLive(dana);
    await dana.getByRole('button', { name: 'More' }).click();
    const drawer = dana.getByRole('dialog', { name: 'All sections' });
    await drawer.getByRole('link', { name: 'Jobs' }).waitFor();
    for (const hidden of ['Users', 'Audit log', 'System']) {
      assert.equal(await drawer.getByRole('link', { name: hidden }).count(), 0, `${hidden} is hidden from a user`);
    }
    // And the server refuses what the menu hides.
    const refused = await dana.evaluate(async () => (await fetch('/api/fn/list_users', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: {} }),
    })).text());
    assert.match(refused, /forbidden/);

    // The admin suspends Dana: her next page load sends her to sign in.
    await admin.locator('tr[data-username="dana"]').getByRole('button', { name: 'Suspend' }).click();
    await admin.locator('tr[data-username="dana"][data-status="suspended"]').waitFor();
    await dana.goto(panel.base + '/jobs');
    assert.match(dana.url(), /\/login\?next=/);
    await dana.getByLabel('Username').fill('dana');
    await dana.getByLabel('Password').fill('her long unusual passphrase');
    await dana.getByRole('button', { name: 'Sign in' }).click();
    await dana.getByRole('alert').filter({ hasText: 'This account is suspended' }).waitFor();

    // Deleting asks for the username to be typed.
    await admin.locator('tr[data-username="dana"]').getByRole('button', { name: 'Delete' }).click();
    const dialog = admin.getByRole('dialog', { name: 'Delete dana?' });
    await dialog.getByLabel(/Type .* to confirm/).fill('dana');
    await dialog.getByRole('button', { name: 'Delete account' }).click();
    await admin.locator('.toast', { hasText: 'Deleted dana.' }).waitFor();
    // The toast can come before the list has been read again: wait for the row to go (a row
    // that stays fails here by timeout).
    await admin.locator('tr[data-username="dana"]').waitFor({ state: 'detached', timeout: 10_000 });
    assert.deepEqual(admin.errors, []);
  } finally {
    await panel.stop();
  }
});

test('the profile lists sessions, and a password change signs out the other devices', async () => {
  const panel = await startPanel();
  try {
    const laptop = await openPage(browser, { viewport: { width: 1280, height: 900 } });
    const phone = await openPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true });
    await login(phone, panel.base);
    await login(laptop, panel.base);
    await laptop.locator('a.user-chip').click();
    await laptop.waitForURL(panel.base + '/profile');
    const rows = laptop.locator('table.sessions tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 2, 'two devices are signed in');
    assert.equal(await laptop.locator('tr[data-current="true"]').count(), 1);
    await laptop.locator('tr[data-current="true"]').getByText('this device').waitFor();

    await laptop.getByLabel('Current password').fill('wrong password');
    await laptop.getByLabel('New password', { exact: true }).fill('a fresh long passphrase');
    await laptop.getByLabel('Repeat the new password').fill('a fresh long passphrase');
    await laptop.getByRole('button', { name: 'Change password' }).click();
    await laptop.getByRole('alert').filter({ hasText: 'The current password is wrong.' }).waitFor();
    await laptop.getByLabel('Current password').fill('correct horse battery staple');
    await laptop.getByRole('button', { name: 'Change password' }).click();
    await laptop.locator('.toast', { hasText: 'Password changed. 1 other session(s) ended.' }).waitFor();

    await phone.goto(panel.base + '/jobs');
    assert.match(phone.url(), /\/login\?next=/, 'the other device is signed out');
    await login(phone, panel.base, { password: 'a fresh long passphrase' });
    assert.deepEqual(laptop.errors, []);
  } finally {
    await panel.stop();
  }
});

test('the audit log shows sign-ins and filters by action and outcome', async () => {
  const panel = await startPanel();
  try {
    const page = await openPage(browser, { viewport: { width: 1280, height: 900 } });
    // A failed attempt first, then a real sign-in.
    await page.goto(panel.base + '/login');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor();
    await login(page, panel.base);
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.waitForURL(panel.base + '/audit');
    await page.locator('tr[data-action="auth.login"][data-outcome="success"]').first().waitFor();
    await page.getByLabel('Outcome').selectOption('failure');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('tr[data-action="auth.login"][data-outcome="failure"]').first().waitFor();
    // The unfiltered list (which has a failure too) may still be shown for a moment.
    await until(async () => (await page.locator('tr[data-outcome="success"]').count()) === 0, 'only failures remain');
    assert.ok(await page.locator('tr[data-action="auth.login"][data-outcome="failure"]').count() >= 1);
    assert.deepEqual(page.errors, []);
  } finally {
    await panel.stop();
  }
});
