// Containers on the real dockerd, as a person uses them: create one from the locally built
// busybox image through the form, see it running, stop and start it with its buttons, and delete
// it with its name typed again. Docker itself is asked afterwards.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPanel, launchBrowser, openPage, login, until, buildTestImage, TEST_IMAGE } from './harness.mjs';

const IMAGE = TEST_IMAGE;
const NAME = `e2e-web-${process.pid}`;
let browser;

before(async () => {
  browser = await launchBrowser();
  buildTestImage();
});
after(async () => {
  await browser?.close();
  spawnSync('docker', ['rm', '-f', NAME]);
});

const docker = (...args) => spawnSync('docker', args, { encoding: 'utf8' });

test('a container is created from the form, stopped, started and deleted with its name typed', async () => {
  const panel = await startPanel({ env: { PIER_DOCKER_HOST: 'unix:///var/run/docker.sock' } });
  try {
    const page = await openPage(browser, { viewport: { width: 1280, height: 1000 } });
    await login(page, panel.base, { next: '/containers' });
    await page.locator('[data-engine="local"]', { hasText: 'connected' }).waitFor();

    await page.getByLabel('Name', { exact: true }).fill(NAME);
    await page.getByLabel('Image', { exact: true }).selectOption(IMAGE);
    await page.getByLabel(/^Command/).fill("sh\n-c\necho \"$GREETING\"; echo oops >&2; trap 'exit 0' TERM; while true; do echo tick; sleep 1; done");
    await page.getByLabel(/^Environment/).fill('GREETING=hello; $(not run)');
    // A mistake is named under its field and nothing is created.
    await page.getByLabel(/^Published ports/).fill('eighty');
    await page.getByRole('button', { name: 'Create container' }).click();
    await page.locator('.field-error', { hasText: 'is not host:container' }).waitFor();
    assert.notEqual(docker('inspect', NAME).status, 0, 'nothing was created');
    await page.getByLabel(/^Published ports/).fill('');
    await page.getByRole('button', { name: 'Create container' }).click();

    const card = page.locator(`[data-container="${NAME}"]`);
    await card.getByTestId('container-state').filter({ hasText: 'running' }).waitFor();
    assert.equal(docker('inspect', '-f', '{{.State.Status}}', NAME).stdout.trim(), 'running');
    // Live figures reach the card (two samples a few seconds apart make the first rates).
    await card.getByTestId('container-cpu').waitFor({ timeout: 20_000 });
    assert.match(docker('inspect', '-f', '{{index .Config.Labels "io.pier.owner"}}', NAME).stdout, /^\d+/);
    assert.match(docker('inspect', '-f', '{{json .Config.Env}}', NAME).stdout, /GREETING=hello; \$\(not run\)/);
    assert.equal(await card.getByRole('button', { name: 'Start', exact: true }).isDisabled(), true, 'start is disabled while running');

    await card.getByRole('button', { name: 'Stop', exact: true }).click();
    await card.getByTestId('container-state').filter({ hasText: 'exited' }).waitFor({ timeout: 20_000 });
    await card.getByRole('button', { name: 'Start', exact: true }).click();
    await card.getByTestId('container-state').filter({ hasText: 'running' }).waitFor();
    // Killed outside Pier: Docker's event reaches the page without a reload.
    assert.equal(docker('kill', NAME).status, 0);
    await card.getByTestId('container-state').filter({ hasText: 'exited' }).waitFor({ timeout: 10_000 });
    await card.getByRole('button', { name: 'Start', exact: true }).click();
    await card.getByTestId('container-state').filter({ hasText: 'running' }).waitFor();

    // Logs, live: stdout and stderr apart, new lines arriving while the page is open.
    await card.getByRole('link', { name: 'Logs' }).click();
    await page.waitForURL(/\/containers\/[0-9a-f]{64}\/logs$/);
    await page.locator('#status[data-state="following"]').waitFor();
    await page.locator('.line', { hasText: 'hello; $(not run)' }).first().waitFor();
    await page.locator('.line.err', { hasText: 'oops' }).first().waitFor();
    const ticks = await page.locator('.line', { hasText: 'tick' }).count();
    await until(async () => (await page.locator('.line', { hasText: 'tick' }).count()) > ticks + 1, 'new lines to arrive live', 10_000);
    // Search narrows the view; Clear starts it fresh from now.
    await page.getByLabel('Search in the log view').fill('oops');
    assert.equal(await page.locator('.line:not([hidden])', { hasText: 'tick' }).count(), 0);
    await page.getByLabel('Search in the log view').fill('');
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.locator('#status[data-state="following"]').waitFor();
    assert.equal(await page.locator('.line', { hasText: 'oops' }).count(), 0, 'cleared');
    await page.locator('.line', { hasText: 'tick' }).first().waitFor({ timeout: 10_000 });
    const download = await page.evaluate(async (href) => (await fetch(href)).text(), await page.locator('#download').getAttribute('href'));
    assert.match(download, /oops/, 'the download has everything, whatever the view shows');
    await page.goto(`${panel.base}/containers`);

    // Terminal: a shell in the container; typed text runs and its output shows.
    await card.getByRole('link', { name: 'Terminal' }).click();
    await page.locator('#status[data-state="connected"]').waitFor();
    await page.locator('.xterm').click();
    await page.keyboard.type('echo $((6 * 7))');
    await page.keyboard.press('Enter');
    await page.locator('.xterm-rows', { hasText: '42' }).waitFor();
    await page.goto(`${panel.base}/containers`);

    // Files: upload one (progress, then listed), edit and save a text file, read it back.
    await card.getByRole('link', { name: 'Files' }).click();
    await page.locator('tr[data-name="bin"][data-kind="dir"]').waitFor();
    const upload = join(mkdtempSync(join(tmpdir(), 'pier-up-')), 'hello.txt');
    writeFileSync(upload, 'first version\n');
    await page.locator('#upload').setInputFiles(upload);
    await page.locator('#status', { hasText: 'Uploaded hello.txt' }).waitFor();
    const row = page.locator('tr[data-name="hello.txt"]');
    await row.waitFor();
    await row.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('File contents').fill('second version\n');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#status', { hasText: 'Saved /hello.txt' }).waitFor();
    assert.equal(docker('exec', NAME, 'cat', '/hello.txt').stdout, 'second version\n');
    // A folder made here, then the file deleted (the browser's own confirm is accepted).
    page.once('dialog', (d) => d.accept('made-here'));
    await page.getByRole('button', { name: 'New folder' }).click();
    await page.locator('tr[data-name="made-here"][data-kind="dir"]').waitFor();
    page.once('dialog', (d) => d.accept());
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.waitFor({ state: 'detached' });
    assert.notEqual(docker('exec', NAME, 'cat', '/hello.txt').status, 0, 'deleted in the container');
    await page.goto(`${panel.base}/containers`);

    await card.getByRole('button', { name: 'Delete', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox').fill(NAME);
    await dialog.getByRole('button', { name: 'Delete container' }).click();
    await page.locator('.toast', { hasText: `Deleted ${NAME}` }).waitFor();
    await card.waitFor({ state: 'detached' });
    assert.notEqual(docker('inspect', NAME).status, 0, 'gone from Docker');
    assert.deepEqual(page.errors, []);
  } finally {
    await panel.stop();
  }
});
