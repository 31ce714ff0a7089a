// The container platform as an administrator uses it: build an image by uploading a context
// archive (a job with progress), create a container from it, see the image refused for
// removal while used, a pull from a registry that is not there fail in words, then on the
// container's own page: a startup script run now with its output live, run again after a
// restart, the logs tab, delete from Settings, and finally remove the image.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPanel, launchBrowser, openPage, login, buildTestImage, TEST_IMAGE } from './harness.mjs';

const BASE = TEST_IMAGE;
const TAG = `pier-e2e/site:${process.pid}`;
const NAME = `e2e-site-${process.pid}`;
let browser;
let work;

const docker = (...args) => spawnSync('docker', args, { encoding: 'utf8' });

before(async () => {
  browser = await launchBrowser();
  work = mkdtempSync(join(tmpdir(), 'pier-e2e-img-'));
  buildTestImage();
  // The build context a person uploads: a Dockerfile and a page, as a tar.
  const ctx = join(work, 'ctx');
  spawnSync('mkdir', ['-p', ctx]);
  writeFileSync(join(ctx, 'Dockerfile'), `FROM ${BASE}\nCOPY index.html /www/index.html\nCMD ["sh", "-c", "trap 'exit 0' TERM; echo serving; httpd -f -h /www & wait"]\n`);
  writeFileSync(join(ctx, 'index.html'), `<h1>run ${process.pid}</h1>\n`);
  assert.equal(spawnSync('tar', ['-cf', join(work, 'context.tar'), '-C', ctx, '.']).status, 0);
});
after(async () => {
  await browser?.close();
  docker('rm', '-f', NAME);
  docker('rmi', TAG);
  rmSync(work, { recursive: true, force: true });
});

test('an image is built from an upload, used, and a container runs its startup script', async () => {
  const panel = await startPanel({ env: { PIER_DOCKER_HOST: 'unix:///var/run/docker.sock' } });
  try {
    const page = await openPage(browser, { viewport: { width: 1280, height: 1100 } });
    await login(page, panel.base, { next: '/containers' });
    const images = page.locator('#container-images');
    await images.locator(`[data-image-tag="${BASE}"]`).waitFor();

    // Build: choose what the upload is, the archive, the tag; the job shows and succeeds.
    await images.getByLabel('Upload', { exact: true }).selectOption('build');
    await images.getByLabel('Archive', { exact: true }).setInputFiles(join(work, 'context.tar'));
    await images.getByLabel(/^Tag for the built image/).fill('not a tag');
    await images.getByRole('button', { name: 'Upload and build' }).click();
    await images.locator('.field-error', { hasText: 'Not an image reference' }).waitFor();
    await images.getByLabel(/^Tag for the built image/).fill(TAG);
    await images.getByRole('button', { name: 'Upload and build' }).click();
    await images.locator('.job[data-state="succeeded"]', { hasText: `Built ${TAG}` }).waitFor({ timeout: 60_000 });
    await images.locator(`[data-image-tag="${TAG}"]`).waitFor();
    assert.equal(docker('image', 'inspect', TAG).status, 0, 'the engine has it');

    // A pull from a registry that cannot be reached fails with the reason.
    await images.getByLabel(/^Pull from a registry/).fill('127.0.0.1:9/pier/nothing:1');
    await images.getByRole('button', { name: 'Pull', exact: true }).click();
    await images.locator('.job[data-state="failed"]', { hasText: 'Is the registry reachable' }).waitFor({ timeout: 30_000 });

    // A container from the new image; its image is then refused for removal.
    await page.getByLabel('Name', { exact: true }).fill(NAME);
    await page.reload();
    await page.getByLabel('Name', { exact: true }).fill(NAME);
    await page.getByLabel('Image', { exact: true }).selectOption(TAG);
    await page.getByRole('button', { name: 'Create container' }).click();
    const card = page.locator(`[data-container="${NAME}"]`);
    await card.getByTestId('container-state').filter({ hasText: 'running' }).waitFor();
    await page.reload();
    const row = images.locator(`[data-image-tag="${TAG}"]`);
    await row.getByTestId('image-used-by').filter({ hasText: NAME }).waitFor();
    await row.getByRole('button', { name: `Remove image ${TAG}` }).click();
    await page.locator('.toast', { hasText: `is used by ${NAME}` }).waitFor();

    // The container's own page: Startup tab, a script run now, its output live.
    await card.getByRole('link', { name: 'Open' }).click();
    await page.waitForURL(/\/containers\/[0-9a-f]{64}$/);
    await page.getByRole('tab', { name: 'Startup' }).click();
    await page.getByLabel('Script', { exact: true }).fill('echo "hello from startup"\necho $((6 * 7))\ncat /www/index.html');
    await page.getByLabel('Run after every start').check();
    await page.getByRole('button', { name: 'Save script' }).click();
    await page.locator('.toast', { hasText: 'Startup script saved.' }).waitFor();
    await page.getByRole('button', { name: 'Run now' }).click();
    await page.getByTestId('script-status').filter({ hasText: 'Finished (manual): exit code 0' }).waitFor();
    const out = await page.getByTestId('script-output').textContent();
    assert.equal(out, `hello from startup\n42\n<h1>run ${process.pid}</h1>\n`);

    // Restarted from the Overview tab: the script runs again after the start, by itself.
    await page.getByRole('tab', { name: 'Overview' }).click();
    await page.getByRole('button', { name: 'Restart', exact: true }).click();
    await page.locator('.toast', { hasText: `Restart ${NAME}: done.` }).waitFor({ timeout: 20_000 });
    await page.getByRole('tab', { name: 'Startup' }).click();
    await page.getByTestId('script-status').filter({ hasText: /Last run \(start\)|Running \(start\)|Finished \(start\)/ }).waitFor({ timeout: 20_000 });
    await page.getByTestId('script-output').filter({ hasText: 'hello from startup' }).waitFor();

    // Logs, embedded: the container's own output is there.
    await page.getByRole('tab', { name: 'Logs' }).click();
    const logs = page.frameLocator('iframe[title="Container logs"]');
    await logs.locator('.line', { hasText: 'serving' }).first().waitFor();

    // Settings: delete with the name typed; back on the list, then the image can go.
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Delete container' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('textbox').fill(NAME);
    await dialog.getByRole('button', { name: 'Delete container' }).click();
    await page.waitForURL(/\/containers$/);
    assert.notEqual(docker('inspect', NAME).status, 0, 'gone from Docker');
    await images.locator(`[data-image-tag="${TAG}"]`).getByRole('button', { name: `Remove image ${TAG}` }).click();
    await page.locator('.toast', { hasText: `Removed ${TAG}.` }).waitFor();
    await images.locator(`[data-image-tag="${TAG}"]`).waitFor({ state: 'detached' });
    assert.notEqual(docker('image', 'inspect', TAG).status, 0, 'gone from the engine');
    assert.deepEqual(page.errors, []);
  } finally {
    await panel.stop();
  }
});
