// Pier's container terminal: xterm.js over Pier's WebSocket to `docker exec` with a TTY.
// The shell is chosen here (sh, bash, or a custom command split on spaces into arguments — no
// shell interprets it on the way). Resizing follows the window; paste and Ctrl-C are xterm's.
import { Terminal } from '/vendor/xterm/xterm.mjs';
import { FitAddon } from '/vendor/xterm/addon-fit.mjs';

const id = location.pathname.split('/')[2];
const screen = document.getElementById('screen');
const statusEl = document.getElementById('status');
const shellEl = document.getElementById('shell');
const customEl = document.getElementById('custom');
const setStatus = (text, state) => { statusEl.textContent = text; statusEl.dataset.state = state; };
document.getElementById('title').textContent = `Terminal in ${id.slice(0, 12)}`;
let current = null;

function command() {
  if (shellEl.value === 'custom') return customEl.value.trim().split(/\s+/).filter(Boolean);
  return [shellEl.value];
}

function open() {
  current?.close();
  screen.replaceChildren();
  const cmd = command();
  if (!cmd.length) { setStatus('Type a command first', 'error'); return; }
  const term = new Terminal({ cursorBlink: true, fontSize: 14, scrollback: 5000 });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(screen);
  fit.fit();
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const q = new URLSearchParams({ cmd: JSON.stringify(cmd), cols: String(term.cols), rows: String(term.rows) });
  const ws = new WebSocket(`${scheme}://${location.host}/api/v1/containers/${id}/exec?${q}`, ['binary']);
  ws.binaryType = 'arraybuffer';
  const enc = new TextEncoder();
  setStatus('Connecting…', 'connecting');
  ws.onopen = () => { setStatus(`Connected: ${cmd.join(' ')}`, 'connected'); term.focus(); };
  ws.onmessage = (e) => term.write(new Uint8Array(e.data));
  ws.onclose = (e) => setStatus(`Closed: ${e.reason || 'the connection ended'}`, 'closed');
  term.onData((d) => { if (ws.readyState === WebSocket.OPEN) ws.send(enc.encode(d)); });
  term.onResize(({ cols, rows }) => { if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ resize: [cols, rows] })); });
  const resize = new ResizeObserver(() => fit.fit());
  resize.observe(screen);
  window.pierTerminal = term; // for the browser tests: what the terminal shows
  current = { close: () => { resize.disconnect(); ws.close(); term.dispose(); } };
}

shellEl.addEventListener('change', () => { customEl.hidden = shellEl.value !== 'custom'; });
document.getElementById('open').addEventListener('click', open);
open();
