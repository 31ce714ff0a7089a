// Creating a VPS as a person does: the form, the card with the job's progress, the card running.
// The platform (host on libvirt's test driver, plan, image) is set up through the same API the
// pages use; the VPS itself is made through clicks and typing.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPanel, launchBrowser, openPage, login, call } from './harness.mjs';

let browser;
let files;
before(async () => {
  browser = await launchBrowser();
  files = mkdtempSync(join(tmpdir(), 'pier-e2e-vps-'));
});
after(async () => {
  await browser?.close();
  rmSync(files, { recursive: true, force: true });
});

test('a VPS is created through the form and its card shows it running', async () => {
  const panel = await startPanel();
  try {
    const page = await openPage(browser, { viewport: { width: 1280, height: 1000 } });
    await login(page, panel.base, { next: '/vps' });
    const base = join(files, 'base.qcow2');
    assert.equal(spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', base, '1G']).status, 0);
    await call(page, 'save_host', { id: null, settings: { name: 'lab', uri: 'test:///default', storage_dir: join(files, 'vms'), cpu_overcommit: 4, ram_overcommit: 1 } });
    await call(page, 'save_plan', { id: null, settings: { name: 'small', vcpus: 1, memory_mib: 256, disk_gb: 2, snapshot_limit: 1 } });
    await call(page, 'register_image', { image: { name: 'debian-12', path: base, os_family: 'debian', os_version: '12', default_user: 'debian', min_disk_gb: 1 } });
    for (let i = 0; i < 50; i++) {
      const images = await call(page, 'list_images', {});
      if (images[0]?.status === 'ready') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await page.reload();

    await page.getByLabel('Name', { exact: true }).fill('web');
    await page.getByLabel('Host name').fill('bad host');
    await page.getByRole('button', { name: 'Create VPS' }).click();
    await page.getByRole('alert').filter({ hasText: 'Host name: labels of letters' }).waitFor();
    await page.getByLabel('Host name').fill('web.example.com');
    await page.getByLabel('Cloud-init user-data (optional)').fill('#cloud-config\npackages: [nginx');
    await page.getByRole('button', { name: 'Create VPS' }).click();
    await page.getByRole('alert').filter({ hasText: 'not valid YAML' }).waitFor();
    await page.getByLabel('Cloud-init user-data (optional)').fill('#cloud-config\npackages: [nginx]');
    await page.getByLabel('Expires after (empty = never)').fill('2');
    await page.getByLabel('Unit', { exact: true }).selectOption('hours');
    await page.getByRole('button', { name: 'Create VPS' }).click();
    await page.locator('.toast', { hasText: 'Creating web (job #' }).waitFor();
    const card = page.locator('section[data-vps="web"][data-state="running"]');
    await card.waitFor();
    await card.getByText('1 vCPU · 256 MiB · 2 GB').waitFor();
    await card.getByText('private network').waitFor();
    // Less than a day left: the card warns.
    await card.locator('.expiry-soon', { hasText: 'in 1 h 5' }).waitFor();
    assert.deepEqual(page.errors, []);
  } finally {
    await panel.stop();
  }
});
