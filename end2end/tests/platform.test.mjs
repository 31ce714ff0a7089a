// The VPS platform as an administrator meets it: adding a libvirt host (libvirt's test driver,
// a real libvirt connection) and seeing it connected with its capacity, a refused URI, an IP
// pool, a plan, and an OS image checked by a job with a progress bar — or refused in words.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPanel, launchBrowser, openPage, login } from './harness.mjs';

let browser;
let files;
before(async () => {
  browser = await launchBrowser();
  files = mkdtempSync(join(tmpdir(), 'pier-e2e-files-'));
});
after(async () => {
  await browser?.close();
  rmSync(files, { recursive: true, force: true });
});

test('an admin adds a host, an IP pool and a plan', async () => {
  const panel = await startPanel();
  try {
    const page = await openPage(browser, { viewport: { width: 1280, height: 900 } });
    await login(page, panel.base, { next: '/hosts' });
    await page.getByLabel('Name', { exact: true }).fill('lab');
    await page.getByLabel('libvirt URI').fill('qemu+ssh://h/system?netcat=/tmp/x');
    await page.getByLabel('Storage directory').fill(join(files, 'vms'));
    await page.getByRole('button', { name: 'Add host' }).click();
    await page.getByRole('alert').filter({ hasText: 'is not allowed' }).waitFor();

    await page.getByLabel('libvirt URI').fill('test:///default');
    await page.getByRole('button', { name: 'Add host' }).click();
    const card = page.locator('section[data-host="lab"][data-status="connected"]');
    await card.waitFor();
    await card.getByText('(TEST)').waitFor();
    assert.ok(await card.getByRole('meter', { name: 'vCPUs' }).count() === 1);

    // An IP pool with a gateway inside its own range is refused; a proper one is listed on the card.
    await page.getByLabel('Network (CIDR)').fill('203.0.113.0/24');
    await page.getByLabel('Gateway').fill('203.0.113.15');
    await page.getByLabel('First address').fill('203.0.113.10');
    await page.getByLabel('Last address').fill('203.0.113.20');
    await page.getByRole('button', { name: 'Add pool' }).click();
    await page.getByRole('alert').filter({ hasText: 'outside the range' }).waitFor();
    await page.getByLabel('Gateway').fill('203.0.113.1');
    await page.getByRole('button', { name: 'Add pool' }).click();
    await card.locator('li[data-pool="public"]').getByText('0 of 11 in use').waitFor();

    await page.goto(panel.base + '/plans');
    await page.getByLabel('Name', { exact: true }).fill('small');
    await page.getByLabel('vCPUs').fill('0');
    await page.getByRole('button', { name: 'Add plan' }).click();
    await page.getByRole('alert').filter({ hasText: 'vCPUs: 1 to 64' }).waitFor();
    await page.getByLabel('vCPUs').fill('2');
    await page.getByRole('button', { name: 'Add plan' }).click();
    await page.locator('tr[data-plan="small"]').getByText('1024 MiB').waitFor();
    await page.locator('tr[data-plan="small"]').getByRole('button', { name: 'Retire' }).click();
    await page.locator('.toast', { hasText: 'small is no longer offered.' }).waitFor();
    assert.deepEqual(page.errors, []);
  } finally {
    await panel.stop();
  }
});

test('an image is checked by a job with a progress bar; a file that is not a disk is refused', async () => {
  const panel = await startPanel();
  try {
    const good = join(files, 'debian.qcow2');
    assert.equal(spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', good, '2G']).status, 0);
    const text = join(files, 'notes.img');
    writeFileSync(text, 'not a disk\n'.repeat(200));

    const page = await openPage(browser, { viewport: { width: 1280, height: 900 } });
    await login(page, panel.base, { next: '/images' });
    await page.getByLabel('Name', { exact: true }).fill('debian-12');
    await page.getByLabel('File on this machine').fill(good);
    await page.getByLabel('Version').fill('12');
    await page.getByRole('button', { name: 'Register' }).click();
    await page.locator('tr[data-image="debian-12"][data-status="ready"]').waitFor();
    await page.locator('tr[data-image="debian-12"]').getByText('2.0 GiB').waitFor();

    await page.getByLabel('Name', { exact: true }).fill('notes');
    await page.getByLabel('File on this machine').fill(text);
    await page.getByLabel('Version').fill('1');
    await page.getByRole('button', { name: 'Register' }).click();
    const refused = page.locator('tr[data-image="notes"][data-status="failed"]');
    await refused.waitFor();
    await refused.getByRole('alert').filter({ hasText: 'not a disk image' }).waitFor();

    // The checks are jobs, listed with their outcome.
    await page.goto(panel.base + '/jobs');
    await page.getByText('debian-12 is ready: qcow2, 2 GiB virtual.').waitFor();
    assert.deepEqual(page.errors, []);
  } finally {
    await panel.stop();
  }
});
