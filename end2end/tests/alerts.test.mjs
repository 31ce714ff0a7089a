// Alerts as an administrator meets them: the mail server and their own email set up through
// the forms, a rule with threshold 0 on the host's memory fires — it shows on the Alerts page
// and in the bell without a reload, and its email lands in a real SMTP sink (aiosmtpd) — then
// the threshold is raised and the alert resolves. Then a person's webhook: a signed test event
// in the delivery log, and a container that dies on its own alerted on the page and by webhook.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPanel, launchBrowser, openPage, login, until, buildTestImage, TEST_IMAGE } from './harness.mjs';

let browser;
let sink;
let mailDir;
before(async () => { browser = await launchBrowser(); });
after(async () => {
  await browser?.close();
  sink?.kill();
  if (mailDir) rmSync(mailDir, { recursive: true, force: true });
});

const freePort = () => new Promise((r) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); });
});

function mails() {
  return readdirSync(join(mailDir, 'new')).map((f) => readFileSync(join(mailDir, 'new', f), 'utf8'));
}

test('a rule with threshold 0 fires on the page, in the bell and by email, and resolves when raised', async () => {
  mailDir = mkdtempSync(join(tmpdir(), 'pier-mail-'));
  for (const d of ['cur', 'new', 'tmp']) mkdirSync(join(mailDir, d));
  const smtpPort = await freePort();
  sink = spawn('/opt/pier-smtp-sink/bin/python', ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${smtpPort}`, '-c', 'aiosmtpd.handlers.Mailbox', mailDir], { stdio: 'ignore' });
  const panel = await startPanel({ env: { PIER_MONITOR_INTERVAL: '1' } });
  try {
    const page = await openPage(browser, { viewport: { width: 1280, height: 1000 } });
    await login(page, panel.base, { next: '/notifications' });
    // The mail server (plain SMTP on loopback), a test message, and email for this person.
    await page.getByLabel('Server').fill('127.0.0.1');
    await page.getByLabel('Port').fill(String(smtpPort));
    await page.getByLabel('Security').selectOption('none');
    await page.getByLabel('Sender address').fill('pier@example.com');
    await page.getByRole('button', { name: 'Save' }).last().click();
    await page.locator('.toast', { hasText: 'Mail settings saved.' }).waitFor();
    await page.getByLabel('Send a test message to').fill('admin@example.com');
    await page.getByRole('button', { name: 'Send test' }).click();
    await page.locator('.toast', { hasText: 'Test message sent.' }).waitFor();
    await until(async () => mails().some((m) => m.includes('Subject: [Pier] Test message')), 'the test message in the sink');
    await page.getByLabel('Email me').check();
    await page.getByRole('button', { name: 'Save' }).first().click();
    await page.locator('.toast', { hasText: 'Your channels are saved.' }).waitFor();

    // The rule: memory above 0 % on this machine, at once.
    await page.goto(panel.base + '/alerts');
    await page.getByText('Nothing is firing.').waitFor();
    await page.locator('tr[data-rule="Memory above 90 %"]').waitFor();
    await page.getByLabel('Rule name').fill('memory watch');
    await page.getByLabel(/^Metric/).fill('mem_used_pct');
    await page.getByLabel('Threshold').fill('0');
    await page.getByLabel('For (seconds)').fill('0');
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.locator('.toast', { hasText: 'Rule memory watch is saved.' }).waitFor();
    // It fires within a round (10 s) and shows without a reload, in the list and the bell.
    const firing = page.locator('li.alert-row[data-alert-state="firing"]', { hasText: 'memory watch on host' });
    await firing.waitFor({ timeout: 30_000 });
    await until(async () => Number(await page.locator('.bell-count').getAttribute('data-unread')) >= 1, 'the bell counting it');
    await until(async () => mails().some((m) => m.includes('Subject: [Pier] FIRING: memory watch on host') && m.includes('To: admin@example.com')), 'the alert email in the sink', 15_000);
    // Raised to 100: the alert resolves and goes to the history.
    await page.getByRole('button', { name: 'Edit rule memory watch' }).click();
    await page.getByLabel('Threshold').fill('100');
    await page.getByRole('button', { name: 'Save rule' }).click();
    await page.locator('.toast', { hasText: 'Rule memory watch is saved.' }).waitFor();
    await page.locator('.alert-history li', { hasText: 'memory watch on host' }).waitFor({ timeout: 15_000 });
    await until(async () => (await firing.count()) === 0, 'no longer firing');
    // The notification centre lists it; marking all read empties the bell.
    await page.goto(panel.base + '/notifications');
    await page.locator('.notification', { hasText: 'FIRING: memory watch on host' }).waitFor();
    await page.getByRole('button', { name: 'Mark all read' }).click();
    await until(async () => (await page.locator('.bell-count').getAttribute('data-unread')) === '0', 'the bell emptied');
    assert.equal(page.errors.length, 0, page.errors.join('\n'));
  } finally {
    await panel.stop();
  }
});

test('a webhook gets a signed test event, and a container that dies on its own is alerted on the page and by webhook', async () => {
  buildTestImage();
  const got = [];
  const receiver = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => { got.push({ headers: req.headers, body, json: JSON.parse(body) }); res.end('ok'); });
  });
  await new Promise((ok) => receiver.listen(0, '127.0.0.1', ok));
  const SECRET = 'sixteen or more characters';
  const NAME = `e2e-crash-${process.pid}`;
  const panel = await startPanel({ env: { PIER_DOCKER_HOST: 'unix:///var/run/docker.sock' } });
  try {
    const page = await openPage(browser, { viewport: { width: 1280, height: 1000 } });
    await login(page, panel.base, { next: '/notifications' });
    await page.getByLabel('Webhook URL').fill(`http://127.0.0.1:${receiver.address().port}/hook`);
    await page.getByLabel(/^Signing secret/).fill(SECRET);
    await page.getByRole('button', { name: 'Save' }).first().click();
    await page.locator('.toast', { hasText: 'Your channels are saved.' }).waitFor();
    await page.getByText('Nothing sent yet.').waitFor();
    await page.getByRole('button', { name: 'Send a test event' }).click();
    // The log looks again by itself while the delivery is pending.
    await page.locator('.webhook-log tr[data-delivery-state="delivered"]', { hasText: 'HTTP 200' }).waitFor({ timeout: 20_000 });
    const sent = got.find((r) => r.json.event === 'test');
    assert.ok(sent, 'the receiver got the test event');
    assert.equal(sent.headers['x-pier-signature'], 'sha256=' + createHmac('sha256', SECRET).update(sent.body).digest('hex'));

    // A container whose process exits with 3 two seconds after it starts.
    await page.goto(panel.base + '/containers');
    await page.locator('[data-engine="local"]', { hasText: 'connected' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill(NAME);
    await page.getByLabel('Image', { exact: true }).selectOption(TEST_IMAGE);
    await page.getByLabel(/^Command/).fill('sh\n-c\nsleep 2; exit 3');
    await page.getByRole('button', { name: 'Create container' }).click();
    await page.locator(`[data-container="${NAME}"]`).waitFor();
    await page.goto(panel.base + '/alerts');
    const firing = page.locator('li.alert-row[data-alert-state="firing"][data-alert-kind="container_stopped"]', { hasText: `Container ${NAME} stopped unexpectedly (exit code 3)` });
    await firing.waitFor({ timeout: 40_000 });
    await until(() => got.some((r) => r.json.event === 'firing' && r.json.alert?.kind === 'container_stopped'), 'the alert at the webhook', 20_000);
    assert.equal(page.errors.length, 0, page.errors.join('\n'));
  } finally {
    await panel.stop();
    receiver.close();
    spawnSync('docker', ['rm', '-f', NAME]);
  }
});
