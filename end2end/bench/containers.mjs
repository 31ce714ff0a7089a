// Container figures (a benchmark, not a test): `node bench/containers.mjs` from end2end/, after
// a release build, with dockerd running. Prints a table:
//   - log lines per second delivered to a browser tab over Pier's log socket, against
//     `docker logs -f` on an identical container (each started, then followed from its first line);
//   - the container list (server function and the SSR page) with 500 containers present;
//   - the panel's RSS idle, and with 20 browser log streams open on idle containers.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startPanel, launchBrowser, openPage, login, call } from '../tests/harness.mjs';

// Pier's socket sends at most the last 100,000 lines of history, so both sides read that many.
const LINES = Math.min(Number(process.env.LINES ?? 100_000), 100_000);
const MANY = Number(process.env.MANY ?? 500);
const IMAGE = 'pier-test/busybox:1';
const tag = `bench-${process.pid}`;
const docker = (...a) => spawnSync('docker', a, { encoding: 'utf8' });
const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const ms = (a) => { a.sort((x, y) => x - y); return { p50: a[Math.floor(a.length / 2)], p90: a[Math.floor(a.length * 0.9)] }; };

const panel = await startPanel({ env: { PIER_DOCKER_HOST: 'unix:///var/run/docker.sock', PIER_LOG: 'warn' } });
const browser = await launchBrowser();
const rows = [];
try {
  const page = await openPage(browser);
  await login(page, panel.base, { next: '/jobs' });
  const spew = (name) => call(page, 'create_container', { container: { name, image: IMAGE, command: ['sh', '-c', `seq 1 ${LINES}; sleep 3600`], start: false } });

  // docker logs -f from the first line of a container that has just started.
  const a = await spew(`${tag}-cli`);
  docker('start', a.id);
  const t0 = Date.now();
  const cli = await new Promise((resolve) => {
    const p = spawn('docker', ['logs', '-f', a.id]);
    let n = 0;
    p.stdout.on('data', (d) => { for (const b of d) if (b === 10) n++; if (n >= LINES) { p.kill(); resolve((Date.now() - t0) / 1000); } });
  });
  console.error(`docker logs -f: ${cli}s`);
  // The same through Pier's socket (all LINES lines of history, then following), counted in
  // the browser tab.
  const b = await spew(`${tag}-web`);
  docker('start', b.id);
  const web = await page.evaluate(async ([id, lines]) => new Promise((resolve) => {
    const t0 = performance.now();
    const ws = new WebSocket(`ws://${location.host}/api/v1/containers/${id}/logs?tail=${lines}`);
    let n = 0;
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      for (const [, text] of m.lines ?? []) for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
      if (n >= lines) { ws.close(); resolve((performance.now() - t0) / 1000); }
    };
  }), [b.id, LINES]);
  console.error(`logs: docker ${cli}s, browser ${web}s`);
  rows.push([`${LINES} log lines: docker logs -f`, `${cli.toFixed(2)} s`, `${Math.round(LINES / cli)} lines/s`]);
  rows.push([`${LINES} log lines: Pier socket → browser`, `${web.toFixed(2)} s`, `${Math.round(LINES / web)} lines/s`]);

  // 20 idle log streams: RSS before and after.
  const idle = rss(panel.pid);
  const quiet = [];
  for (let i = 0; i < 20; i++) quiet.push((await call(page, 'create_container', { container: { name: `${tag}-q${i}`, image: IMAGE, command: ['sleep', '3600'], start: true } })).id);
  const before = rss(panel.pid);
  await page.evaluate(async (ids) => { window.streams = await Promise.all(ids.map((id) => new Promise((r) => { const ws = new WebSocket(`ws://${location.host}/api/v1/containers/${id}/logs`); ws.onopen = () => r(ws); }))); }, quiet);
  await new Promise((r) => setTimeout(r, 5000));
  const streaming = rss(panel.pid);
  rows.push(['RSS idle (panel just started)', `${idle.toFixed(1)} MiB`, '']);
  rows.push(['RSS with 20 idle containers', `${before.toFixed(1)} MiB`, '']);
  rows.push(['RSS with 20 open log streams', `${streaming.toFixed(1)} MiB`, `+${(streaming - before).toFixed(1)} MiB`]);
  await page.evaluate(() => window.streams.forEach((w) => w.close()));

  // 500 containers present (created, not started): the list as the UI asks for it.
  for (let i = 0; i < MANY - 22; i += 50) {
    const args = Array.from({ length: Math.min(50, MANY - 22 - i) }, (_, k) => `${tag}-m${i + k}`);
    await Promise.all(args.map((name) => new Promise((r) => spawn('docker', ['create', '--name', name, IMAGE, 'true']).on('exit', r))));
  }
  const count = (await call(page, 'list_containers', {})).length;
  const fnTimes = [];
  for (let i = 0; i < 20; i++) { const t = performance.now(); await call(page, 'list_containers', {}); fnTimes.push(performance.now() - t); }
  const pageTimes = [];
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  for (let i = 0; i < 20; i++) { const t = performance.now(); const r = await fetch(`${panel.base}/containers`, { headers: { cookie } }); await r.text(); pageTimes.push(performance.now() - t); }
  const f = ms(fnTimes), p = ms(pageTimes);
  rows.push([`list_containers with ${count} containers`, `p50 ${f.p50.toFixed(1)} ms`, `p90 ${f.p90.toFixed(1)} ms`]);
  rows.push([`GET /containers (SSR, whole page) with ${count}`, `p50 ${p.p50.toFixed(1)} ms`, `p90 ${p.p90.toFixed(1)} ms`]);
} finally {
  await browser.close();
  await panel.stop();
  const ids = docker('ps', '-aq', '--filter', `name=${tag}-`).stdout.split(/\s+/).filter(Boolean);
  for (let i = 0; i < ids.length; i += 100) docker('rm', '-f', ...ids.slice(i, i + 100));
}
console.log('| measure | value | |\n|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
