// Account security as a person meets it: enrolling two-factor authentication with an
// authenticator app (the secret read off the page, the code computed here), signing in with a
// code and with a recovery code, the 2FA policy, a password-reset link, SSH keys and API tokens.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPanel, launchBrowser, openPage, waitLive, login, ADMIN } from './harness.mjs';
import { totp } from './totp.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

async function passwordStep(page, base, { username = ADMIN.username, password = ADMIN.password } = {}) {
  await page.goto(base + '/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
}

test('enrol 2FA from the profile, then sign in with a code and with a recovery code', async () => {
  const panel = await startPanel();
  try {
    const page = await openPage(browser, { viewport: { width: 1280, height: 900 } });
    await login(page, panel.base, { next: '/profile' });
    await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
    const secret = (await page.locator('#totp-secret').textContent()).trim();
    assert.match(secret, /^[A-Z2-7]{32}$/);
    await page.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
    await page.getByLabel('Code from the app').fill('000000');
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByRole('alert').filter({ hasText: 'That code is not right' }).waitFor();
    await page.getByLabel('Code from the app').fill(totp(secret));
    await page.getByRole('button', { name: 'Turn on' }).click();
    const codes = await page.locator('#recovery-codes li').allTextContents();
    assert.equal(codes.length, 10);
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await page.locator('#two-factor').getByText('10 recovery code(s) left.').waitFor();

    // Sign out; the password alone now leads to the code step.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/login/);
    await passwordStep(page, panel.base);
    await page.getByLabel('Authentication code').fill('123456');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('alert').filter({ hasText: 'wrong or was already used' }).waitFor();
    // The next step's code (the one used to enrol is spent).
    await page.getByLabel('Authentication code').fill(totp(secret, 1));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(panel.base + '/');
    await waitLive(page);

    // A recovery code works once.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/login/);
    await passwordStep(page, panel.base);
    await page.getByLabel('Authentication code').fill(codes[0]);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.waitForURL(panel.base + '/');
    await page.goto(panel.base + '/profile');
    await page.locator('#two-factor').getByText('9 recovery code(s) left.').waitFor();
    assert.deepEqual(page.errors, []);
  } finally {
    await panel.stop();
  }
});

test('a role that must use 2FA is sent to enrol; an admin hands out a password-reset link', async () => {
  const panel = await startPanel();
  try {
    const admin = await openPage(browser, { viewport: { width: 1280, height: 900 } });
    await login(admin, panel.base, { next: '/users' });
    await admin.getByLabel('Username', { exact: true }).fill('erin');
    await admin.getByLabel('Email', { exact: true }).fill('erin@example.com');
    await admin.getByLabel('Initial password').fill('a first long passphrase');
    await admin.getByRole('button', { name: 'Create user' }).click();
    await admin.locator('tr[data-username="erin"]').waitFor();
    await admin.getByRole('checkbox', { name: 'user' }).check();
    await admin.getByRole('button', { name: 'Save' }).click();
    await admin.locator('.toast', { hasText: '2FA is now required for: user.' }).waitFor();

    // Erin forgot her password: the admin makes a link, Erin opens it on her phone.
    await admin.locator('tr[data-username="erin"]').getByRole('button', { name: 'Reset link' }).click();
    const link = await admin.locator('tr[data-username="erin"] input.secret-field').inputValue();
    assert.match(link, /\/reset\?token=[0-9a-f]{64}$/);
    const erin = await openPage(browser, { viewport: { width: 390, height: 844 }, isMobile: true });
    await erin.goto(link);
    await erin.getByText('For the account erin.').waitFor();
    await erin.getByLabel('New password (at least 12 characters)').fill('a brand new long phrase');
    await erin.getByLabel('Repeat the new password').fill('a brand new long phrase');
    await erin.getByRole('button', { name: 'Set the new password' }).click();
    await erin.getByRole('status').filter({ hasText: 'Your password is changed' }).waitFor();
    await erin.goto(link);
    await erin.getByRole('alert').filter({ hasText: 'invalid, already used, or expired' }).waitFor();

    // Signing in, she is held at enrolment: any page leads to the profile's 2FA set-up.
    await erin.goto(panel.base + '/login');
    await erin.getByLabel('Username').fill('erin');
    await erin.getByLabel('Password').fill('a brand new long phrase');
    await erin.getByRole('button', { name: 'Sign in' }).click();
    await erin.waitForURL(/\/profile\?enrol=2fa$/);
    await erin.getByRole('alert').filter({ hasText: 'Your role must use two-factor authentication' }).waitFor();
    await erin.getByRole('button', { name: 'Set up two-factor authentication' }).click();
    const secret = (await erin.locator('#totp-secret').textContent()).trim();
    await erin.getByLabel('Code from the app').fill(totp(secret));
    await erin.getByRole('button', { name: 'Turn on' }).click();
    await erin.getByRole('button', { name: 'I have saved them' }).click();
    await erin.locator('#two-factor').getByText('10 recovery code(s) left.').waitFor();
    await erin.goto(panel.base + '/jobs');
    await erin.getByRole('heading', { name: 'Jobs', exact: true, level: 1 }).waitFor();
    await waitLive(erin);
    assert.deepEqual(erin.errors, []);

    // The admin resets Erin's 2FA (lost phone): the row's badge goes away.
    await admin.reload();
    await admin.locator('tr[data-username="erin"]').getByText('2FA', { exact: true }).waitFor();
    await admin.locator('tr[data-username="erin"]').getByRole('button', { name: 'Reset 2FA' }).click();
    await admin.locator('.toast', { hasText: 'Two-factor authentication removed for erin.' }).waitFor();
    await admin.locator('tr[data-username="erin"] .badge', { hasText: '2FA' }).waitFor({ state: 'detached' });
  } finally {
    await panel.stop();
  }
});

test('SSH keys are checked and fingerprinted; an API token is shown once and its scope holds', async () => {
  const panel = await startPanel();
  try {
    const page = await openPage(browser, { viewport: { width: 1280, height: 900 } });
    await login(page, panel.base, { next: '/profile' });
    const keys = page.locator('#ssh-keys');
    await keys.getByLabel('Public key').fill('ssh-ed25519 AAAAnotakey');
    await keys.getByRole('button', { name: 'Add key' }).click();
    await keys.getByRole('alert').filter({ hasText: 'base64' }).waitFor();
    await keys.getByLabel('Public key').fill('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDZjDQg5F/nrNYmLJcOLrwnMQOX5Obzp13WchxgoBliM alice@laptop');
    await keys.getByRole('button', { name: 'Add key' }).click();
    await keys.getByText('SHA256:z0G1xghNRqR5m9sUAGwiA5iaRwkQeRXtG/fyCevOvAY').waitFor();
    await keys.getByText('alice@laptop', { exact: true }).waitFor();

    const tokens = page.locator('#api-tokens');
    await tokens.getByLabel('Token name').fill('monitoring');
    await tokens.getByRole('button', { name: 'Create token' }).click();
    const token = await page.locator('#new-token').inputValue();
    assert.match(token, /^pier_[0-9a-f]{64}$/);
    await tokens.getByRole('button', { name: 'Done' }).click();
    await tokens.locator('tr[data-token="monitoring"]').getByText('read-only').waitFor();
    assert.equal(await page.locator('#new-token').count(), 0, 'the token is not shown again');

    // A script with the read-only token reads, and is refused writes.
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    assert.equal((await fetch(panel.base + '/api/v1/jobs', { headers: auth })).status, 200);
    const write = await fetch(panel.base + '/api/v1/jobs', { method: 'POST', headers: auth, body: JSON.stringify({ kind: 'system.check' }) });
    assert.equal(write.status, 403);
    assert.match(await write.text(), /read-only/);
    await page.reload();
    await tokens.locator('tr[data-token="monitoring"]').getByText('never', { exact: true }).waitFor({ state: 'detached' });

    // Revoked: the script is out.
    await tokens.getByRole('button', { name: 'Revoke token monitoring' }).click();
    await page.locator('.toast', { hasText: 'Revoked monitoring.' }).waitFor();
    assert.equal((await fetch(panel.base + '/api/v1/jobs', { headers: auth })).status, 401);
    assert.deepEqual(page.errors, []);
  } finally {
    await panel.stop();
  }
});
