// Starts the real `pier serve` (release build) on a temporary data dir and a free port, and
// launches Debian's headless Chromium through playwright-core. Nothing here is mocked.

import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const root = resolve(import.meta.dirname, '..', '..');
export const pierBin = process.env.PIER_BIN ?? join(root, 'target', 'release', 'pier');
const siteDir = process.env.PIER_SITE_DIR ?? join(root, 'target', 'site');

export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
    srv.on('error', fail);
  });
}

export const ADMIN = { username: 'admin', password: 'correct horse battery staple' };

// `pier admin create` through the real CLI, the password on stdin.
function createAdmin(env) {
  const r = spawnSync(pierBin, ['admin', 'create', '--username', ADMIN.username, '--email', 'admin@example.com', '--password-stdin'], {
    env, input: ADMIN.password + '\n', encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`admin create failed: ${r.stderr}`);
}

// options.admin (default true): create the administrator before starting; false leaves the
// panel without accounts, so it prints its one-time setup link.
// `env`: extra PIER_* settings (for example PIER_DOCKER_HOST for the container tests).
export async function startPanel({ admin = true, env: extra = {} } = {}) {
  const data = mkdtempSync(join(tmpdir(), 'pier-e2e-'));
  const port = await freePort();
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? '/root',
    PIER_DATA: data,
    PIER_LISTEN: `127.0.0.1:${port}`,
    PIER_SITE_DIR: siteDir,
    PIER_LIBVIRT_URI: '',
    PIER_DOCKER_HOST: '',
    PIER_NGINX_BIN: '',
    ...extra,
  };
  if (admin) createAdmin(env);
  const child = spawn(pierBin, ['serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`pier exited early:\n${output}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`pier did not become healthy:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    pid: child.pid,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      // nginx outlives the panel by design (sites keep serving); a test stops it.
      const prefix = join(data, 'nginx');
      if (existsSync(join(prefix, 'live'))) spawnSync('nginx', ['-p', prefix, '-c', join(prefix, 'live', 'nginx.conf'), '-s', 'stop']);
      rmSync(data, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

// A page that fails the test on any uncaught browser error (a broken hydration shows up here).
export async function openPage(browser, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // 4xx answers to refused actions are expected (the browser logs them as "Failed to load
  // resource"); everything else logged as an error counts.
  // net::ERR_NETWORK_CHANGED: Chromium drops loads in flight when any interface appears, and a
  // VM starting on this same machine adds one; the pages retry, so that is not a failure.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource: (the server responded with a status of 4\d\d|net::ERR_NETWORK_CHANGED)/.test(m.text())) errors.push(m.text());
  });
  page.errors = errors;
  return page;
}

// Signs in through the form, as a person does, and lands on `next` (default: the overview).
export async function login(page, base, { username = ADMIN.username, password = ADMIN.password, next = '/' } = {}) {
  await page.goto(base + '/login' + (next === '/' ? '' : '?next=' + encodeURIComponent(next)));
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click(); // waits until hydrated (enabled)
  await page.waitForURL(base + next);
}

// Waits until the app is hydrated and its live socket is open.
export async function waitLive(page) {
  await page.locator('[data-live="open"]').waitFor({ timeout: 15_000 });
}

// Calls a server function from the page (same origin, the page's session).
export async function call(page, name, body) {
  return page.evaluate(async ([name, body]) => {
    const r = await fetch('/api/fn/' + name, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!r.ok) throw new Error(name + ': ' + r.status + ' ' + (await r.text()));
    return r.json();
  }, [name, body]);
}

// Waits until `f()` is true (polling; for state outside the page, such as files and virsh).
export async function until(f, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// The busybox image the Rust suites build too (pier_docker::test_images): no registry here.
export const TEST_IMAGE = 'pier-test/busybox:1';

export function buildTestImage() {
  const ctx = mkdtempSync(join(tmpdir(), 'pier-busybox-'));
  try {
    copyFileSync('/bin/busybox', join(ctx, 'busybox'));
    writeFileSync(join(ctx, 'Dockerfile'), 'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n');
    const built = spawnSync('docker', ['build', '-q', '-t', TEST_IMAGE, ctx], { encoding: 'utf8' });
    if (built.status !== 0) throw new Error(`docker build ${TEST_IMAGE}: ${built.stderr}`);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}
