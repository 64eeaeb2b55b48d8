// views.js — the inspector's list views: home (#/: agents with
// capabilities and install state, sessions with agent, modes, ended, event
// count and usage, the create-session form) and the file browser
// (#/files?path=P&session=S over /v1/fs: list, read, upload).
//
// Ownership: each view builds its DOM inside root and returns
// {destroy()} (which stops its refresh timer).

import { h, fill, fmtBytes, fmtTime, fmtUsage, problemText } from './dom.js';
import { api, enc } from './api.js';

const PERMISSION_MODES = ['default', 'plan', 'bypass', 'acceptEdits'];
const MAX_SHOW = 1 << 20;      // files larger than this are offered as a download only

export function homeView(root) {
  const agentsEl = h('div', { class: 'scroll', id: 'agents' }, 'loading…');
  const sessionsEl = h('div', { class: 'scroll', id: 'sessions' }, 'loading…');
  const note = h('div', { class: 'note', role: 'status' });
  const idIn = h('input', { type: 'text', id: 'new-id', required: true, pattern: '[A-Za-z0-9._~\\-]+', value: newId() });
  const agentSel = h('select', { id: 'new-agent' });
  const modeSel = h('select', { id: 'new-mode' });
  const permSel = h('select', { id: 'new-permission' }, PERMISSION_MODES.map(m => h('option', { value: m }, m)));
  const modelIn = h('input', { type: 'text', id: 'new-model', placeholder: 'default' });
  const create = h('button', { type: 'submit', id: 'create' }, 'Create session');
  agentSel.addEventListener('change', () => loadModes(agentSel.value));

  fill(root,
    h('section', {}, h('h2', {}, 'New session'),
      h('form', { class: 'create', onsubmit: submit },
        label('id', idIn), label('agent', agentSel), label('agent mode', modeSel),
        label('permission mode', permSel), label('model', modelIn), create),
      note),
    h('section', {}, h('h2', {}, 'Sessions'), sessionsEl),
    h('section', {}, h('h2', {}, 'Agents'), agentsEl));

  async function loadAgents() {
    try {
      const r = await api('GET', 'v1/agents');
      const agents = r.agents || [];
      const cur = agentSel.value;
      fill(agentSel, agents.map(a => h('option', { value: a.id }, a.id + (a.installed ? '' : ' (not installed)'))));
      agentSel.value = cur || (agents.some(a => a.id === 'mock') ? 'mock' : (agents[0] || {}).id || '');
      if (!cur) loadModes(agentSel.value);
      fill(agentsEl, h('table', {},
        h('thead', {}, h('tr', {}, ['agent', 'installed', 'version', 'credentials', 'capabilities', ''].map(c => h('th', {}, c)))),
        h('tbody', {}, agents.map(agentRow))));
    } catch (e) { fill(agentsEl, h('span', { class: 'bad' }, problemText(e))); }
  }

  function agentRow(a) {
    const caps = Object.entries(a.capabilities || {});
    const inst = h('button', { type: 'button', class: 'small', onclick: async () => {
      inst.disabled = true; say('installing ' + a.id + '…');
      try { await api('POST', `v1/agents/${enc(a.id)}/install`, { json: {} }); say(a.id + ' installed'); loadAgents(); }
      catch (e) { say(problemText(e), true); inst.disabled = false; }
    } }, a.installed ? 'Reinstall' : 'Install');
    return h('tr', { 'data-agent': a.id },
      h('td', {}, h('b', {}, a.id)),
      h('td', {}, a.installed ? 'yes' : 'no', a.path ? h('div', { class: 'muted small-text' }, a.path) : null),
      h('td', {}, a.version || '—'),
      h('td', {}, a.credentialsAvailable ? 'yes' : 'no'),
      h('td', { class: 'caps' }, caps.map(([k, v]) => h('span', { class: 'chip' + (v ? ' on' : ''), title: k + ': ' + v }, k))),
      h('td', {}, a.installed ? null : inst));
  }

  async function loadModes(agent) {
    if (!agent) return;
    try {
      const r = await api('GET', `v1/agents/${enc(agent)}/modes`);
      fill(modeSel, (r.modes || []).map(m => h('option', { value: m.id, title: m.description || '' }, m.name || m.id)));
    } catch { fill(modeSel, h('option', { value: 'build' }, 'build')); }
  }

  async function loadSessions() {
    try {
      const r = await api('GET', 'v1/sessions');
      const list = (r.sessions || []).slice().sort((a, b) => (b.updatedAt || 0) - (a.updatedAt || 0));
      if (!list.length) { fill(sessionsEl, h('p', { class: 'muted' }, 'No sessions yet.')); return; }
      fill(sessionsEl, h('table', {},
        h('thead', {}, h('tr', {}, ['session', 'agent', 'modes', 'model', 'ended', 'events', 'usage', 'updated'].map(c => h('th', {}, c)))),
        h('tbody', {}, list.map(s => h('tr', { 'data-session': s.sessionId },
          h('td', {}, h('a', { href: '#/sessions/' + enc(s.sessionId) }, s.sessionId), s.title ? h('div', { class: 'muted' }, s.title) : null),
          h('td', {}, s.agent), h('td', {}, `${s.agentMode} / ${s.permissionMode}`), h('td', {}, s.model || '—'),
          h('td', {}, s.ended ? 'yes' : 'no'), h('td', { class: 'num' }, s.eventCount),
          h('td', {}, fmtUsage(s.usage) || '—'), h('td', {}, fmtTime(s.updatedAt)))))));
    } catch (e) { fill(sessionsEl, h('span', { class: 'bad' }, problemText(e))); }
  }

  async function submit(e) {
    e.preventDefault();
    const body = { agent: agentSel.value, agentMode: modeSel.value || undefined, permissionMode: permSel.value };
    if (modelIn.value.trim()) body.model = modelIn.value.trim();
    create.disabled = true;
    try {
      await api('POST', `v1/sessions/${enc(idIn.value)}`, { json: body });
      location.hash = '#/sessions/' + enc(idIn.value);
    } catch (err) { say(problemText(err), true); create.disabled = false; }
  }

  function say(t, bad) { note.textContent = t; note.className = 'note' + (bad ? ' bad' : ''); }

  loadAgents();
  loadSessions();
  const timer = setInterval(loadSessions, 5000);
  return { destroy() { clearInterval(timer); } };
}

function label(text, el) { return h('label', {}, h('span', {}, text), el); }

function newId() {
  const a = new Uint8Array(4);
  crypto.getRandomValues(a);
  return 's-' + [...a].map(b => b.toString(16).padStart(2, '0')).join('');
}

export function filesView(root, params) {
  const session = params.get('session') || '';
  const where = params.get('path') || '';
  const q = p => `path=${enc(p)}` + (session ? `&sessionId=${enc(session)}` : '');
  const pathIn = h('input', { type: 'text', id: 'fs-path', value: where, placeholder: session ? 'the session directory' : 'the root' });
  const listEl = h('div', { class: 'scroll', id: 'fs-list' }, 'loading…');
  const viewEl = h('div', { class: 'fs-view', id: 'fs-view' });
  const note = h('div', { class: 'note', role: 'status' });
  const files = h('input', { type: 'file', multiple: true, id: 'fs-files' });
  const go = p => { location.hash = '#/files?' + new URLSearchParams({ ...(p ? { path: p } : {}), ...(session ? { session } : {}) }); };

  fill(root,
    h('section', {},
      h('h2', {}, 'Files', session ? h('span', { class: 'muted' }, ' · session ', h('a', { href: '#/sessions/' + enc(session) }, session)) : null),
      h('form', { class: 'row', onsubmit: e => { e.preventDefault(); go(pathIn.value.trim()); } },
        pathIn, h('button', { type: 'submit' }, 'Open'),
        h('button', { type: 'button', onclick: () => go(parent(current)) }, 'Up')),
      h('form', { class: 'row upload', onsubmit: upload }, files, h('button', { type: 'submit', id: 'fs-upload' }, 'Upload here')),
      note, listEl, viewEl));

  let current = where, blobUrl = null;     // blobUrl: the shown file's download link (revoked when replaced)

  async function list() {
    try {
      const entries = await api('GET', 'v1/fs/entries?' + q(where || '.'));
      entries.sort((a, b) => (a.entryType === b.entryType ? a.name.localeCompare(b.name) : a.entryType === 'directory' ? -1 : 1));
      if (entries.length && !where) current = parent(entries[0].path);
      else if (where) current = where;
      if (!pathIn.value && current) pathIn.value = current;
      fill(listEl, h('table', {},
        h('thead', {}, h('tr', {}, ['name', 'size', 'modified'].map(c => h('th', {}, c)))),
        h('tbody', {}, entries.map(e => h('tr', { 'data-entry': e.name },
          h('td', {}, h('a', { href: '#', onclick: ev => { ev.preventDefault(); e.entryType === 'directory' ? go(e.path) : read(e); } },
            e.name + (e.entryType === 'directory' ? '/' : ''))),
          h('td', { class: 'num' }, e.entryType === 'directory' ? '' : fmtBytes(e.size)),
          h('td', {}, fmtTime(e.modified)))))));
    } catch (err) { fill(listEl, h('span', { class: 'bad' }, problemText(err))); }
  }

  async function read(e) {
    try {
      const r = await api('GET', 'v1/fs/file?' + q(e.path), { raw: true });
      const blob = await r.blob();
      const bytes = new Uint8Array(await blob.slice(0, Math.min(blob.size, MAX_SHOW)).arrayBuffer());
      if (blobUrl) URL.revokeObjectURL(blobUrl);
      blobUrl = URL.createObjectURL(blob);
      const link = h('a', { href: blobUrl, download: e.name }, 'download');
      let text = null;
      if (blob.size <= MAX_SHOW && !bytes.includes(0)) {
        try { text = new TextDecoder('utf-8', { fatal: true }).decode(bytes); } catch { text = null; }
      }
      fill(viewEl, h('div', { class: 'row' }, h('b', {}, e.path), ' ', fmtBytes(blob.size), ' ', link),
        text !== null ? h('pre', { id: 'fs-content' }, text) : h('p', { class: 'muted' }, 'Binary or large file: not shown.'));
    } catch (err) { say(problemText(err), true); }
  }

  async function upload(ev) {
    ev.preventDefault();
    const dir = current || where || '.';
    let n = 0;
    for (const f of files.files) {
      try { await api('PUT', 'v1/fs/file?' + q(dir.replace(/\/$/, '') + '/' + f.name), { body: f }); n++; }
      catch (err) { say(f.name + ': ' + problemText(err), true); return; }
    }
    say(`uploaded ${n} file${n === 1 ? '' : 's'}`);
    files.value = '';
    list();
  }

  function say(t, bad) { note.textContent = t; note.className = 'note' + (bad ? ' bad' : ''); }
  list();
  return { destroy() { if (blobUrl) URL.revokeObjectURL(blobUrl); } };
}

function parent(p) {
  if (!p) return '';
  const t = p.replace(/\/+$/, '');
  const i = t.lastIndexOf('/');
  return i <= 0 ? '/' : t.slice(0, i);
}
