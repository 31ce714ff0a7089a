// Pier's container log view: a WebSocket of batched lines (stdout and stderr apart), rendered in
// one DOM append per animation frame into a bounded buffer, so a container writing thousands of
// lines a second does not freeze the tab. Pause keeps receiving but stops drawing; Clear starts
// the view fresh from now (the daemon's files are not touched); Search filters the view.

const id = location.pathname.split('/')[2];
const log = document.getElementById('log');
const statusEl = document.getElementById('status');
const tailEl = document.getElementById('tail');
const tsEl = document.getElementById('timestamps');
const pauseEl = document.getElementById('pause');
const searchEl = document.getElementById('search');
const MAX_LINES = 5000; // what the view keeps; older lines scroll away (download has them all)

let ws = null;
let since = null;
let paused = false;
let pending = []; // [stream, line] waiting to be drawn
let held = []; // received while paused
let frame = 0;
let partial = { o: '', e: '' }; // a line cut between two chunks

const setStatus = (text, state) => { statusEl.textContent = text; statusEl.dataset.state = state; };
document.getElementById('title').textContent = `Logs of ${id.slice(0, 12)}`;

function query(extra = {}) {
  const p = new URLSearchParams({ tail: String(Math.max(0, Number(tailEl.value) || 0)), timestamps: String(tsEl.checked), ...extra });
  if (since !== null) p.set('since', String(since));
  return p;
}

// The download is the whole log (Clear and the tail only shape the view).
function downloadLink() {
  const p = query();
  p.delete('tail');
  p.delete('since');
  document.getElementById('download').href = `/api/v1/containers/${id}/logs.txt?${p}`;
}

function split(stream, text) {
  const all = partial[stream] + text;
  const lines = all.split('\n');
  partial[stream] = lines.pop();
  return lines.map((l) => [stream, l]);
}

function matches(line) {
  const q = searchEl.value.toLowerCase();
  return !q || line.toLowerCase().includes(q);
}

function draw() {
  frame = 0;
  if (!pending.length) return;
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  const batch = pending.length > MAX_LINES ? pending.slice(-MAX_LINES) : pending;
  pending = [];
  const frag = document.createDocumentFragment();
  for (const [stream, line] of batch) {
    const div = document.createElement('div');
    div.className = stream === 'e' ? 'line err' : 'line';
    div.textContent = line;
    if (!matches(line)) div.hidden = true;
    frag.append(div);
  }
  log.append(frag);
  const extra = log.childElementCount - MAX_LINES;
  for (let i = 0; i < extra; i++) log.firstElementChild.remove();
  if (atBottom) log.scrollTop = log.scrollHeight;
}

function receive(lines) {
  if (paused) { held.push(...lines); if (held.length > MAX_LINES) held = held.slice(-MAX_LINES); return; }
  pending.push(...lines);
  if (!frame) frame = requestAnimationFrame(draw);
}

function connect() {
  ws?.close();
  log.replaceChildren();
  pending = []; held = []; partial = { o: '', e: '' };
  downloadLink();
  setStatus('Connecting…', 'connecting');
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  ws = new WebSocket(`${scheme}://${location.host}/api/v1/containers/${id}/logs?${query()}`);
  ws.onopen = () => setStatus('Following', 'following');
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data);
    if (msg.lines) receive(msg.lines.flatMap(([s, t]) => split(s, t)));
    if (msg.error) setStatus(msg.error, 'error');
    if (msg.end) setStatus('The container stopped; its log ends here', 'ended');
  };
  ws.onclose = (e) => { if (statusEl.dataset.state === 'following' || statusEl.dataset.state === 'connecting') setStatus(e.reason || 'Disconnected', 'closed'); };
}

pauseEl.addEventListener('click', () => {
  paused = !paused;
  pauseEl.textContent = paused ? 'Resume' : 'Pause';
  if (!paused && held.length) { receive(held); held = []; }
});
document.getElementById('clear').addEventListener('click', () => { since = Math.floor(Date.now() / 1000); tailEl.value = '0'; connect(); });
tailEl.addEventListener('change', () => { since = null; connect(); });
tsEl.addEventListener('change', connect);
searchEl.addEventListener('input', () => { for (const div of log.children) div.hidden = !matches(div.textContent); });
connect();
