// Monitoring as a person sees it: the host's charts fill in and grow live (a sample a second
// here) without a reload, the hover read-out names a time and a value, a longer range is drawn
// from coarser points, and a user without staff rights is pointed at their own resources.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startPanel, launchBrowser, openPage, login, until } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

const points = async (chart) => Number(await chart.getAttribute('data-points'));

test('host charts fill in live, read out on hover, and change range', async () => {
  const panel = await startPanel({ env: { PIER_MONITOR_INTERVAL: '1' } });
  try {
    const page = await openPage(browser, { viewport: { width: 1280, height: 1000 } });
    await login(page, panel.base, { next: '/monitoring' });
    await page.getByRole('heading', { name: 'This machine' }).waitFor();
    const cpu = page.locator('figure.chart[data-metric="cpu"]').first();
    await cpu.waitFor();
    // Samples arrive over the live socket: the point count grows with no reload.
    await until(async () => (await points(cpu)) >= 2, 'CPU samples drawn', 20_000);
    const before = await points(cpu);
    await until(async () => (await points(cpu)) >= before + 2, 'the chart growing live', 20_000);
    // Pier's own traffic: the page's requests show in its request and latency charts.
    const pier = page.locator('.metrics-panel').nth(1);
    await until(async () => (await points(pier.locator('figure.chart[data-metric="latency_p95_ms"]'))) >= 1, "Pier's latency charted", 20_000);
    assert.match(await pier.locator('figure.chart[data-metric="requests_per_s"] .chart-value').innerText(), /\/s$/);
    const mem = page.locator('figure.chart[data-metric="mem_used_pct"]');
    assert.match(await mem.locator('.chart-value').innerText(), /^\d+\.\d %$/);
    // Hover: the read-out names the time and the value under the pointer.
    const box = await mem.locator('svg').boundingBox();
    await page.mouse.move(box.x + box.width - 3, box.y + box.height / 2);
    await until(async () => /UTC · \d+\.\d % \(min/.test(await mem.locator('.chart-value').innerText()), 'the hover read-out');
    // A day: drawn from 1-minute points (none closed yet in a fresh panel), without errors.
    const host = page.locator('.metrics-panel').first();
    await host.getByRole('button', { name: '24 h' }).click();
    await until(async () => (await host.getByRole('button', { name: '24 h' }).getAttribute('aria-pressed')) === 'true', 'the range chosen');
    await host.getByRole('button', { name: '1 h' }).click();
    await until(async () => (await points(page.locator('figure.chart[data-metric="cpu"]').first())) >= 2, 'back to raw samples');
    assert.equal(page.errors.length, 0, page.errors.join('\n'));

    // A user without staff rights sees where their own figures are, not the machine's.
    const admin = page;
    await admin.goto(panel.base + '/users');
    await admin.getByLabel('Username', { exact: true }).fill('ulla');
    await admin.getByLabel('Email', { exact: true }).fill('ulla@example.com');
    await admin.getByLabel('Initial password').fill('a long enough password');
    await admin.getByRole('button', { name: 'Create user' }).click();
    await admin.locator('.toast', { hasText: 'Created ulla (user).' }).waitFor();
    const user = await openPage(browser, { viewport: { width: 390, height: 800 } });
    await login(user, panel.base, { username: 'ulla', password: 'a long enough password', next: '/monitoring' });
    await user.getByText('has its charts on its own page').waitFor();
    assert.equal(await user.locator('figure.chart').count(), 0);
    // Their overview: their own VPSs and alerts, not the machine's gauges or the hosts.
    await user.goto(panel.base + '/');
    await user.locator('[data-own-vps]').getByText('No VPS yet.').waitFor();
    assert.equal(await user.locator('[data-machine]').count(), 0);
    assert.equal(await user.locator('[data-glance="alerts"]').getAttribute('data-firing'), '0');
    assert.equal(user.errors.length, 0, user.errors.join('\n'));
  } finally {
    await panel.stop();
  }
});

test("the overview moves live: the machine's gauges follow its samples and a firing alert is counted", async () => {
  const panel = await startPanel({ env: { PIER_MONITOR_INTERVAL: '1' } });
  try {
    const page = await openPage(browser, { viewport: { width: 1280, height: 1000 } });
    await login(page, panel.base, { next: '/' });
    const cpu = page.locator('[data-gauge="cpu"] .gauge-value');
    await until(async () => /^\d+\.\d %$/.test(await cpu.innerText()), 'a CPU figure', 20_000);
    assert.match(await page.locator('[data-gauge="memory"] .gauge-value').innerText(), /^\d+\.\d %$/);
    // The sampling time moves with no reload: the gauges are fed by the live socket.
    const sampled = page.locator('[data-sampled-at]');
    const first = Number(await sampled.getAttribute('data-sampled-at'));
    await until(async () => Number(await sampled.getAttribute('data-sampled-at')) > first, 'a newer sample on the gauges', 20_000);
    assert.match(await sampled.innerText(), /^\d\d:\d\d:\d\d UTC$/);
    const alerts = page.locator('[data-glance="alerts"]');
    assert.equal(await alerts.getAttribute('data-firing'), '0');
    await page.getByText('Nothing is firing.').waitFor();

    // A rule that holds at once, made in another tab: the overview counts and lists it live.
    const other = await openPage(browser, { viewport: { width: 1280, height: 1000 } });
    await login(other, panel.base, { next: '/alerts' });
    await other.getByLabel('Rule name').fill('load watch');
    await other.getByLabel(/^Metric/).fill('mem_used_pct');
    await other.getByLabel('Threshold').fill('0');
    await other.getByLabel('For (seconds)').fill('0');
    await other.getByRole('button', { name: 'Add rule' }).click();
    await other.locator('.toast', { hasText: 'Rule load watch is saved.' }).waitFor();
    await until(async () => Number(await alerts.getAttribute('data-firing')) >= 1, 'the firing alert counted', 30_000);
    await page.locator('li.alert-row[data-alert-state="firing"]', { hasText: 'load watch on host' }).waitFor();
    assert.equal(await page.locator('[data-glance="vps"]').count() + await page.locator('[data-glance="containers"]').count(), 2);
    assert.equal(page.errors.length, 0, page.errors.join('\n'));
  } finally {
    await panel.stop();
  }
});
