// A real VPS on QEMU (TCG) through libvirtd: its disk boots a tiny guest (fixtures/guest.asm)
// that echoes on its serial port. The image is uploaded and the VPS created through the forms, then operated as a person does:
// power buttons, live state when the machine is changed outside Pier (virsh), the serial
// console (typed text echoes back), the graphical console (noVNC connects), snapshots, delete.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startPanel, launchBrowser, openPage, login, call, until } from './harness.mjs';

const storage = `/var/lib/libvirt/images/pier-e2e-${process.pid}`;
const guest = join(storage, 'guest.img');
let browser;
before(async () => {
  browser = await launchBrowser();
  mkdirSync(storage, { recursive: true });
  const asm = resolve(import.meta.dirname, '..', 'fixtures', 'guest.asm');
  const nasm = spawnSync('nasm', ['-f', 'bin', '-o', guest, asm], { encoding: 'utf8' });
  assert.equal(nasm.status, 0, nasm.stderr);
  assert.equal(spawnSync('truncate', ['-s', '1M', guest]).status, 0);
});
after(async () => {
  await browser?.close();
  rmSync(storage, { recursive: true, force: true });
});

const virsh = (...args) => spawnSync('virsh', ['-q', '-c', 'qemu:///system', ...args], { encoding: 'utf8' });

// Waits until the console page leaves "Connecting…" and fails with what it says if that is not
// "connected" (a console that connects and closes at once must not pass unnoticed either).
async function consoleConnected(page, frame) {
  const status = frame.locator('#status');
  await frame.locator('#status[data-state]:not([data-state="connecting"])').waitFor({ timeout: 20_000 }).catch(async (e) => {
    throw new Error(`${e.message}\nthe console still says: ${await status.textContent()} (state ${await status.getAttribute('data-state')}); browser errors: ${JSON.stringify(page.errors)}`);
  });
  const state = await status.getAttribute('data-state');
  assert.equal(state, 'connected', `the console says: ${await status.textContent()}`);
}

test('a QEMU VPS boots, is operated live, its consoles work, and deleting it leaves nothing', async () => {
  const panel = await startPanel();
  let domain;
  try {
    const page = await openPage(browser, { viewport: { width: 1280, height: 1000 } });
    await login(page, panel.base, { next: '/vps' });
    await call(page, 'save_host', { id: null, settings: { name: 'qemu', uri: 'qemu:///system', storage_dir: storage, cpu_overcommit: 4, ram_overcommit: 1 } });
    await call(page, 'save_plan', { id: null, settings: { name: 'tiny', vcpus: 1, memory_mib: 128, disk_gb: 1, snapshot_limit: 2 } });
    // The image is uploaded from the browser, as an administrator does with a downloaded file.
    await page.goto(`${panel.base}/images`);
    await page.getByLabel('Source').selectOption('upload');
    await page.getByLabel('Name', { exact: true }).fill('echo-guest');
    await page.getByLabel('Image file').setInputFiles(guest);
    await page.getByLabel('OS family').selectOption('other');
    await page.getByLabel('Version').fill('1');
    await page.getByLabel('Default login user').fill('root');
    await page.getByLabel('Minimum disk (GB)').fill('1');
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.locator('.toast', { hasText: 'Uploaded echo-guest' }).waitFor();
    await page.locator('tr[data-image="echo-guest"][data-status="ready"]').waitFor({ timeout: 30_000 });
    await page.goto(`${panel.base}/vps`);

    const started = Date.now();
    await page.getByLabel('Name', { exact: true }).fill('box');
    await page.getByLabel('Host name').fill('box.example.com');
    await page.getByRole('button', { name: 'Create VPS' }).click();
    const card = page.locator('section[data-vps="box"]');
    await card.and(page.locator('[data-state="running"]')).waitFor({ timeout: 60_000 });
    console.log(`create to running on QEMU (TCG): ${Date.now() - started} ms`);
    const [vps] = await call(page, 'list_vps', {});
    domain = `pier-vps-${vps.id}`;
    assert.match(virsh('domstate', domain).stdout, /running/);

    // Live figures arrive on the card without a reload.
    await card.getByTestId('vps-cpu').waitFor({ timeout: 20_000 });

    // Power from the detail page; the badge follows.
    await card.getByRole('link', { name: 'box' }).click();
    await page.waitForURL(`${panel.base}/vps/${vps.id}`);
    const badge = page.locator('h1').getByTestId('vps-state');
    await page.getByRole('button', { name: 'Suspend' }).click();
    await badge.filter({ hasText: 'paused' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Suspend' }).isDisabled(), true, 'suspend is disabled while paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    await badge.filter({ hasText: 'running' }).waitFor();

    // Changed outside Pier: libvirt's event reaches the page at once (no polling, no reload).
    assert.equal(virsh('destroy', domain).status, 0);
    await badge.filter({ hasText: 'stopped' }).waitFor({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Start' }).click();
    await badge.filter({ hasText: 'running' }).waitFor({ timeout: 30_000 });

    // Serial console: what is typed reaches the guest, which echoes it back.
    await page.getByRole('tab', { name: 'Console' }).click();
    const frame = page.frameLocator('iframe.console-frame');
    await consoleConnected(page, frame);
    await frame.locator('.xterm').click();
    await page.keyboard.type('hello pier');
    await frame.locator('.xterm-rows').filter({ hasText: 'hello pier' }).waitFor({ timeout: 20_000 });
    // Graphical console: noVNC connects through Pier and draws the guest's screen.
    await page.getByRole('tab', { name: 'Graphical' }).click();
    await consoleConnected(page, frame);
    await frame.locator('#screen canvas').waitFor();

    // Snapshots: take one (with memory), revert to it, delete it.
    await page.getByRole('tab', { name: 'Snapshots' }).click();
    await page.getByLabel('Name', { exact: true }).fill('before');
    await page.getByLabel('Description').fill('clean boot');
    await page.getByRole('button', { name: 'Take snapshot' }).click();
    const row = page.locator('tr[data-snapshot="before"]');
    await row.waitFor({ timeout: 60_000 });
    await row.getByText('clean boot').waitFor();
    await row.getByRole('button', { name: 'Revert' }).click();
    await row.getByRole('button', { name: 'Confirm revert?' }).click();
    await page.locator('.toast', { hasText: 'queued' }).first().waitFor();
    await badge.filter({ hasText: 'running' }).waitFor({ timeout: 60_000 });
    await page.locator('tr[data-snapshot="before"]').getByRole('button', { name: 'Delete' }).click();
    await page.locator('tr[data-snapshot="before"]').getByRole('button', { name: 'Confirm delete?' }).click();
    await page.getByTestId('no-snapshots').waitFor({ timeout: 60_000 });

    // Delete with the name typed again: the machine, disk and seed are gone.
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Delete VPS…' }).click();
    await page.getByLabel('Type box to confirm').fill('box');
    await page.getByRole('button', { name: 'Delete VPS', exact: true }).click();
    await page.getByText('This VPS was deleted.').waitFor({ timeout: 60_000 });
    await until(() => virsh('dominfo', domain).status !== 0, 'the domain to be undefined');
    assert.deepEqual(readdirSync(storage).sort(), ['guest.img'], 'only the image is left in the storage directory');
    assert.deepEqual(page.errors, []);
    domain = undefined;
  } finally {
    if (domain) {
      virsh('destroy', domain);
      virsh('undefine', domain, '--snapshots-metadata');
    }
    await panel.stop();
  }
});
