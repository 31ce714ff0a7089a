// Pier's container file manager: browse, open and save text files, upload (streamed, with a
// progress bar), new file/folder, rename, delete, download. Everything goes through Pier's REST
// API, which uses Docker's archive API — the container needs no shell.

const id = location.pathname.split('/')[2];
const api = `/api/v1/containers/${id}/files`;
const tbody = document.querySelector('#files tbody');
const statusEl = document.getElementById('status');
const crumbs = document.getElementById('crumbs');
const editor = document.getElementById('editor');
const text = document.getElementById('text');
const progress = document.getElementById('progress');
let dir = new URLSearchParams(location.search).get('path') || '/';
let editing = null;

const say = (msg, state = 'ok') => { statusEl.textContent = msg; statusEl.dataset.state = state; };
const join = (d, n) => (d === '/' ? `/${n}` : `${d}/${n}`);
const parent = (d) => (d === '/' ? '/' : d.replace(/\/[^/]*$/, '') || '/');
const q = (o) => new URLSearchParams(o).toString();

async function call(url, init = {}) {
  const res = await fetch(url, init);
  if (!res.ok) {
    const body = await res.json().catch(() => ({ message: `The panel answered ${res.status}.` }));
    throw new Error(body.message || `The panel answered ${res.status}.`);
  }
  return res.status === 204 || res.status === 201 ? null : res.json();
}

function size(n) {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

function drawCrumbs() {
  crumbs.replaceChildren();
  const parts = dir.split('/').filter(Boolean);
  const link = (label, path) => { const a = document.createElement('a'); a.href = `?${q({ path })}`; a.textContent = label; a.onclick = (e) => { e.preventDefault(); open(path); }; return a; };
  crumbs.append(link('/', '/'));
  parts.forEach((p, i) => { crumbs.append(' ', link(p, '/' + parts.slice(0, i + 1).join('/')), ' /'); });
  document.getElementById('download-folder').href = `${api}/download?${q({ path: dir })}`;
}

function button(label, onclick, cls = '') {
  const b = document.createElement('button');
  b.type = 'button'; b.textContent = label; b.className = cls; b.onclick = onclick;
  return b;
}

// `note`: what to say once the listing is in (the outcome of the change that led here).
async function open(path, note) {
  dir = path;
  history.replaceState(null, '', `?${q({ path })}`);
  drawCrumbs();
  say('Loading…', 'loading');
  try {
    const list = await call(`${api}?${q({ path })}`);
    tbody.replaceChildren(...list.map(row));
    if (note) say(note, 'saved'); else say(`${list.length} entries`, 'ready');
  } catch (e) { tbody.replaceChildren(); say(e.message, 'error'); }
}

function row(f) {
  const tr = document.createElement('tr');
  tr.dataset.name = f.name;
  tr.dataset.kind = f.kind;
  const name = document.createElement('td');
  const a = document.createElement('a');
  const path = join(dir, f.name);
  a.textContent = f.kind === 'dir' ? `${f.name}/` : f.name;
  a.href = f.kind === 'dir' ? `?${q({ path })}` : `${api}/download?${q({ path })}`;
  if (f.kind === 'dir') a.onclick = (e) => { e.preventDefault(); open(path); };
  name.append(a);
  if (f.link) name.append(` → ${f.link}`);
  const when = f.modified ? new Date(f.modified * 1000).toLocaleString() : '';
  const cells = [name, f.kind === 'dir' ? '' : size(f.size), (f.mode & 0o7777).toString(8).padStart(4, '0'), when].map((c) => {
    if (c instanceof HTMLElement) return c;
    const td = document.createElement('td'); td.textContent = c; return td;
  });
  const actions = document.createElement('td');
  if (f.kind === 'file') actions.append(button('Edit', () => edit(path)));
  actions.append(button('Rename', () => rename(path, f.name)), button('Delete', () => remove(path, f.name), 'danger'));
  tr.append(...cells, actions);
  return tr;
}

async function edit(path) {
  say('Opening…', 'loading');
  try {
    const file = await call(`${api}/text?${q({ path })}`);
    if (file.text === null) { say(`${path} is a binary file: download it instead.`, 'error'); return; }
    editing = path;
    document.getElementById('editor-title').textContent = path;
    text.value = file.text;
    editor.hidden = false;
    text.focus();
    say(`Editing ${path}`, 'ready');
  } catch (e) { say(e.message, 'error'); }
}

async function save() {
  try {
    await call(`${api}/text?${q({ path: editing })}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: text.value }) });
    open(dir, `Saved ${editing}`);
  } catch (e) { say(e.message, 'error'); }
}

async function rename(path, old) {
  const name = prompt(`New name for ${old}`, old);
  if (!name || name === old) return;
  try { await call(`${api}/rename`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path, name }) }); open(dir, `Renamed to ${name}`); }
  catch (e) { say(e.message, 'error'); }
}

async function remove(path, name) {
  if (!confirm(`Delete ${name}${path.endsWith('/') ? ' and everything in it' : ''}?`)) return;
  try { await call(`${api}?${q({ path })}`, { method: 'DELETE' }); open(dir, `Deleted ${name}`); }
  catch (e) { say(e.message, 'error'); }
}

function upload(file) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', `${api}/upload?${q({ dir, name: file.name })}`);
    progress.hidden = false; progress.value = 0;
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) progress.value = (100 * e.loaded) / e.total; };
    xhr.onload = () => {
      progress.hidden = true;
      if (xhr.status < 300) { say(`Uploaded ${file.name}`, 'saved'); uploaded.push(file.name); }
      else { let m = `Upload failed (${xhr.status})`; try { m = JSON.parse(xhr.responseText).message || m; } catch {} say(m, 'error'); }
      resolve();
    };
    xhr.onerror = () => { progress.hidden = true; say('The upload was interrupted', 'error'); resolve(); };
    xhr.send(file);
  });
}

document.getElementById('up').onclick = () => open(parent(dir));
document.getElementById('save').onclick = save;
document.getElementById('close').onclick = () => { editor.hidden = true; editing = null; };
document.getElementById('new-folder').onclick = async () => {
  const name = prompt('Folder name');
  if (!name) return;
  try { await call(`${api}/folder`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dir, name }) }); open(dir); }
  catch (e) { say(e.message, 'error'); }
};
document.getElementById('new-file').onclick = async () => {
  const name = prompt('File name');
  if (!name) return;
  try { await call(`${api}/text?${q({ path: join(dir, name) })}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: '' }) }); await open(dir); edit(join(dir, name)); }
  catch (e) { say(e.message, 'error'); }
};
let uploaded = [];
document.getElementById('upload').onchange = async (e) => {
  uploaded = [];
  for (const f of e.target.files) await upload(f);
  e.target.value = '';
  if (uploaded.length) open(dir, `Uploaded ${uploaded.join(', ')}`);
};
document.getElementById('title').textContent = `Files of ${id.slice(0, 12)}`;
open(dir);
