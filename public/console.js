// Pier's console window: asks the panel for a single-use ticket for this VPS, then opens the
// serial console in xterm.js or the graphical one in noVNC over Pier's WebSocket. The browser
// never reaches a VNC port or libvirt; the ticket is bound to the signed-in person and the VPS.
import { Terminal } from '/vendor/xterm/xterm.mjs';
import { FitAddon } from '/vendor/xterm/addon-fit.mjs';
import RFB from '/vendor/novnc/core/rfb.js';

const id = Number(location.pathname.split('/')[2]);
const kind = new URLSearchParams(location.search).get('kind') === 'vnc' ? 'vnc' : 'serial';
const screen = document.getElementById('screen');
const statusEl = document.getElementById('status');
const setStatus = (text, state) => { statusEl.textContent = text; statusEl.dataset.state = state; };
let current = null;

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

// fetch that tries again when the request never got an answer (a network blip); an answer,
// even a refusal, is final.
async function fetchRetrying(url, init, tries = 4) {
  for (let i = 1; ; i++) {
    try {
      return await fetch(url, init);
    } catch (e) {
      if (i >= tries) throw e;
      await pause(400 * i);
    }
  }
}

async function ticket() {
  const res = await fetchRetrying('/api/fn/console_ticket', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id, kind }),
  });
  const body = await res.json().catch(() => ({ message: `The panel answered ${res.status}.` }));
  if (!res.ok) throw new Error(body.message || `The panel answered ${res.status}.`);
  return body;
}

function socketUrl(t) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/api/v1/console?ticket=${encodeURIComponent(t)}`;
}

function openSerial(url) {
  const term = new Terminal({ cursorBlink: true, fontSize: 14, scrollback: 5000 });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(screen);
  fit.fit();
  const ws = new WebSocket(url, ['binary']);
  ws.binaryType = 'arraybuffer';
  const enc = new TextEncoder();
  let opened = false;
  ws.onopen = () => { opened = true; attempts = 0; setStatus('Connected — press Enter for a prompt', 'connected'); term.focus(); };
  ws.onmessage = (e) => term.write(new Uint8Array(e.data));
  ws.onclose = (e) => {
    if (!opened && retryLater()) return;
    setStatus(`Disconnected: ${e.reason || 'the console closed'}`, 'closed');
  };
  // Typing and pasting (Ctrl+Shift+V, right click) both arrive here.
  term.onData((d) => { if (ws.readyState === WebSocket.OPEN) ws.send(enc.encode(d)); });
  const resize = new ResizeObserver(() => fit.fit());
  resize.observe(screen);
  window.pierTerminal = term; // for the browser tests: what the terminal shows
  return {
    type: (text) => ws.readyState === WebSocket.OPEN && ws.send(enc.encode(text.replace(/\r?\n/g, '\r'))),
    close: () => { resize.disconnect(); ws.close(); term.dispose(); },
  };
}

// X11 keysyms: Latin-1 characters are their own code, newline is Return, the rest Unicode.
function keysym(ch) {
  if (ch === '\n') return 0xff0d;
  if (ch === '\t') return 0xff09;
  const c = ch.codePointAt(0);
  return (c >= 0x20 && c <= 0xff) ? c : 0x01000000 + c;
}

function openVnc(url) {
  const rfb = new RFB(screen, url, { wsProtocols: ['binary'] });
  rfb.scaleViewport = true;
  let opened = false;
  rfb.addEventListener('connect', () => { opened = true; attempts = 0; setStatus('Connected', 'connected'); rfb.focus(); });
  rfb.addEventListener('disconnect', (e) => {
    if (!opened && retryLater()) return;
    setStatus(e.detail.clean ? 'Disconnected' : 'The connection was lost', 'closed');
  });
  window.pierRfb = rfb;
  return {
    type: (text) => { for (const ch of text.replace(/\r\n/g, '\n')) rfb.sendKey(keysym(ch)); },
    ctrlAltDel: () => rfb.sendCtrlAltDel(),
    close: () => rfb.disconnect(),
  };
}

// A socket that never opened (a network blip, the VPS still coming up) is tried again with a
// fresh ticket a few times; one that opened and closed is reported (the person reconnects).
let attempts = 0;
function retryLater() {
  if (attempts >= 3) return false;
  attempts += 1;
  setStatus('Connecting again…', 'connecting');
  setTimeout(connect, 700 * attempts);
  return true;
}

async function connect() {
  if (current) current.close();
  screen.replaceChildren();
  setStatus('Connecting…', 'connecting');
  try {
    const url = socketUrl(await ticket());
    current = kind === 'vnc' ? openVnc(url) : openSerial(url);
  } catch (e) {
    current = null;
    setStatus(e.message, 'error');
  }
}

document.getElementById('title').textContent = kind === 'vnc' ? 'Graphical console' : 'Serial console';
document.getElementById('cad').hidden = kind !== 'vnc';
document.getElementById('cad').addEventListener('click', () => current?.ctrlAltDel?.());
document.getElementById('reconnect').addEventListener('click', () => { attempts = 0; connect(); });
const dialog = document.getElementById('type-dialog');
const text = document.getElementById('type-text');
document.getElementById('type').addEventListener('click', async () => {
  text.value = await navigator.clipboard?.readText?.().catch(() => '') ?? '';
  dialog.showModal();
  text.focus();
});
document.getElementById('type-form').addEventListener('submit', (e) => {
  if (e.submitter?.value === 'send') current?.type(text.value);
});
connect();
