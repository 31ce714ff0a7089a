// Sites and certificates on a real nginx and Pebble, as an admin does it: register the ACME
// account, add a pool (its member shows up through the health check), add a site with an ACME
// certificate, request a second certificate by the form and watch its job, and see both listed
// with their expiry. Then a real TLS handshake through nginx with the issued chain, and the site
// switched to the second certificate and protected by an access list made on the sites page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startPanel, launchBrowser, openPage, login, until } from './harness.mjs';

const script = resolve(import.meta.dirname, '..', '..', 'scripts', 'pebble.sh');
let browser;
let pebbleDir;
let upstream;

const freePort = () => new Promise((r) => {
  const s = createServer();
  s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); });
});

before(async () => { browser = await launchBrowser(); });
after(async () => {
  await browser?.close();
  upstream?.close();
  if (pebbleDir) {
    spawnSync('bash', [script, 'stop', pebbleDir]);
    rmSync(pebbleDir, { recursive: true, force: true });
  }
});

// GET through nginx on loopback with a Host header (plain or TLS): [status, body].
function get({ port, host, tls = false, ca, auth }) {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, path: '/', headers: { host }, servername: host, ca, auth };
    const req = (tls ? httpsRequest : httpRequest)(options, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve([res.statusCode, body]));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a site with a pool gets an ACME certificate and serves TLS with it', async () => {
  const [http, https, up] = [await freePort(), await freePort(), await freePort()];
  upstream = createServer((_, res) => res.end('hello through nginx')).listen(up, '127.0.0.1');
  pebbleDir = mkdtempSync(join(tmpdir(), 'pier-pebble-'));
  const started = spawnSync('bash', [script, 'start', pebbleDir, String(http)], { encoding: 'utf8' });
  assert.equal(started.status, 0, started.stderr);
  const vars = Object.fromEntries(started.stdout.trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
  const panel = await startPanel({
    env: {
      PIER_NGINX_BIN: 'nginx', PIER_NGINX_LISTEN: '127.0.0.1', PIER_NGINX_FOREIGN_DIRS: '',
      PIER_ACME_DIRECTORY: vars.PEBBLE_DIRECTORY, PIER_ACME_CA_FILE: vars.PEBBLE_CA_FILE, PIER_ACME_DNS_RESOLVER: vars.PEBBLE_DNS,
    },
  });
  try {
    const page = await openPage(browser, { viewport: { width: 1280, height: 1000 } });
    await login(page, panel.base, { next: '/certificates' });
    // The account: the directory comes from the configuration; the terms must be accepted.
    await until(async () => (await page.getByLabel('Directory URL').inputValue()) === vars.PEBBLE_DIRECTORY, 'the directory prefilled');
    await page.getByLabel('Email for expiry notices').fill('admin@example.test');
    await page.getByRole('button', { name: 'Save account' }).click();
    await page.locator('.field-error', { hasText: 'terms of service' }).waitFor();
    await page.getByLabel("I accept the directory's terms of service").check();
    await page.getByRole('button', { name: 'Save account' }).click();
    await page.locator('[data-acme="registered"]').waitFor();

    // A pool with a health check: its member is seen up.
    await page.goto(panel.base + '/sites');
    await page.getByLabel('Pool name').fill('web');
    await page.getByLabel(/^Members/).fill(`127.0.0.1:${up}`);
    await page.getByLabel(/^Health check path/).fill('/');
    await page.getByLabel('Check every (s)').fill('1');
    await page.getByRole('button', { name: 'Add pool' }).click();
    await page.locator(`[data-pool="web"] [data-member="127.0.0.1:${up}"][data-up="true"]`).waitFor({ timeout: 15_000 });

    // The site: ACME certificate, HTTP redirected to HTTPS once it is issued.
    await page.getByLabel('Name', { exact: true }).fill('shop');
    await page.getByLabel(/^Host names/).fill('shop.test');
    await page.getByLabel('HTTP port').fill(String(http));
    await page.getByLabel('Pool', { exact: true }).selectOption('web');
    await page.getByLabel('TLS', { exact: true }).selectOption('acme');
    await page.getByLabel('HTTPS port').fill(String(https));
    await page.getByLabel('Redirect HTTP to HTTPS').check();
    await page.getByRole('button', { name: 'Add site' }).click();
    await page.locator('[data-site="shop"]', { hasText: 'live' }).waitFor();
    assert.equal(page.errors.length, 0, page.errors.join('\n'));

    // The certificates page lists the site's certificate once its job has issued it.
    await page.goto(panel.base + '/certificates');
    const siteCert = page.locator('[data-certificate="site shop"]');
    await siteCert.waitFor();
    await until(async () => {
      await page.reload();
      return (await siteCert.getAttribute('data-status')) === 'valid';
    }, 'the site certificate issued', 60_000);
    assert.match(await siteCert.locator('.cert-expiry').innerText(), /\d+ days left/);
    assert.match(await siteCert.innerText(), /Pebble/);
    const root = readFileSync(vars.PEBBLE_ISSUER_ROOT);
    await until(async () => {
      try { return (await get({ port: https, host: 'shop.test', tls: true, ca: root }))[1] === 'hello through nginx'; } catch { return false; }
    }, 'TLS through nginx with the issued chain', 15_000);
    assert.equal((await get({ port: http, host: 'shop.test' }))[0], 301);

    // A second certificate by the form: its job runs, and the card shows it issued, live.
    await page.locator('#req-name').fill('extra');
    await page.locator('#req-names').fill('shop.test');
    await page.getByRole('button', { name: 'Request' }).click();
    const extra = page.locator('[data-certificate="extra"]');
    await extra.waitFor();
    await page.locator('[data-certificate="extra"][data-status="valid"]').waitFor({ timeout: 60_000 });
    assert.match(await extra.locator('.cert-expiry').innerText(), /\d+ days left/);
    // Wildcards need DNS: the form says so before anything is ordered.
    await page.locator('#req-name').fill('wild');
    await page.locator('#req-names').fill('*.shop.test');
    await page.getByRole('button', { name: 'Request' }).click();
    await page.locator('.field-error', { hasText: 'DNS-01' }).waitFor();
    assert.equal(page.errors.length, 0, page.errors.join('\n'));

    // Password protection: an access list made on the sites page and chosen in the site's
    // form, together with the second certificate.
    await page.goto(panel.base + '/sites');
    await page.getByLabel('List name').fill('team');
    await page.getByLabel(/^Users/).fill('ann');
    await page.getByRole('button', { name: 'Add list' }).click();
    await page.locator('.field-error', { hasText: 'give them a password' }).waitFor();
    await page.getByLabel(/^Users/).fill('ann ann-long-secret');
    await page.getByRole('button', { name: 'Add list' }).click();
    await page.locator('[data-access-list="team"]').waitFor();
    await page.getByRole('link', { name: 'shop' }).click();
    await page.waitForURL(/\/sites\/\d+$/);
    await until(async () => (await page.locator('#edit-access-list option').count()) === 2, 'the access lists offered');
    await page.locator('#edit-access-list').selectOption('team');
    await until(async () => (await page.locator('#edit-tls option', { hasText: 'Certificate extra' }).count()) === 1, 'the issued certificates offered');
    await page.locator('#edit-tls').selectOption({ label: 'Certificate extra (shop.test)' });
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('.toast', { hasText: /shop version \d+ is live\./ }).waitFor();
    assert.equal((await get({ port: https, host: 'shop.test', tls: true, ca: root }))[0], 401);
    assert.deepEqual(await get({ port: https, host: 'shop.test', tls: true, ca: root, auth: 'ann:ann-long-secret' }), [200, 'hello through nginx']);
    await page.reload();
    await page.getByText('Certificate: extra').waitFor();
    assert.equal(page.errors.length, 0, page.errors.join('\n'));
  } finally {
    await panel.stop();
  }
});
