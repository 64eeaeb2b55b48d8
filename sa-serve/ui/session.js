// session.js — the view of one session (#/sessions/ID): its info (agent,
// modes, model, ended, event count, usage), the live transcript and every
// event's JSON (tabs), the pending permissions (once / always / reject) and
// questions (an option, a free answer, or reject), a message box and
// terminate.  Events come from one EventStream (api.js); rendering is
// batched to one pass per animation frame (or 100 ms when frames are not
// running, e.g. in a background tab).
//
// Ownership: sessionView owns the stream and the DOM it builds inside
// root; destroy() stops the stream (the router calls it when leaving).

import { h, fill, fmtUsage, fmtTime, pretty, problemText } from './dom.js';
import { api, enc, EventStream } from './api.js';
import { Transcript, eventRow } from './transcript.js';

export function sessionView(root, id) {
  const tr = new Transcript();
  const path = `v1/sessions/${enc(id)}`;
  const conn = h('span', { class: 'badge conn', id: 'conn' }, 'connecting');
  const info = h('div', { class: 'info', id: 'session-info' });
  const note = h('div', { class: 'note', role: 'status' });
  const transcriptEl = h('div', { class: 'transcript', id: 'transcript' });
  const eventsEl = h('div', { class: 'events', id: 'events', hidden: true });
  const pendingEl = h('div', { class: 'pending', id: 'pending' });
  const evCount = h('span', { id: 'event-count' }, '0');
  const input = h('textarea', { id: 'message', rows: 2, placeholder: 'Message the agent (Enter sends, Shift+Enter: new line)' });
  const send = h('button', { type: 'submit', id: 'send' }, 'Send');
  const term = h('button', { type: 'button', class: 'danger', id: 'terminate', onclick: terminate }, 'Terminate');
  const tabT = h('button', { type: 'button', class: 'tab active', id: 'tab-transcript', onclick: () => tab(false) }, 'Transcript');
  const tabE = h('button', { type: 'button', class: 'tab', id: 'tab-events', onclick: () => tab(true) }, 'Events (', evCount, ')');
  const form = h('form', { class: 'composer', onsubmit: submit }, input, send);
  input.addEventListener('keydown', e => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
  });

  fill(root,
    h('section', { class: 'session-head' },
      h('div', { class: 'row' },
        h('h1', {}, id), conn,
        h('span', { class: 'spacer' }),
        h('a', { href: `#/files?session=${enc(id)}`, class: 'button' }, 'Files'), term),
      info, note),
    h('div', { class: 'tabs' }, tabT, tabE),
    transcriptEl, eventsEl,
    h('section', { class: 'dock' }, pendingEl, form));

  let queued = [], scheduled = false, infoTimer = 0;
  const stream = new EventStream(id, ev => { tr.apply(ev); queued.push(ev); schedule(); if (ev.type === 'turn.ended' || ev.type === 'session.ended') refreshInfo(); },
    (state, why) => { conn.textContent = state; conn.className = 'badge conn ' + state; if (why) say(why, true); });

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    const run = () => { if (scheduled) { scheduled = false; flush(); } };
    requestAnimationFrame(run);
    setTimeout(run, 100);
  }

  function flush() {
    const nearBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 120;
    tr.render(transcriptEl);
    if (queued.length) {
      const frag = document.createDocumentFragment();
      for (const ev of queued) frag.append(eventRow(ev, loadRaw));
      eventsEl.append(frag);
      queued = [];
    }
    evCount.textContent = String(tr.count);
    const shown = info.querySelector('[data-field="events"]');
    if (shown && Number(shown.textContent) < stream.lastSeq) shown.textContent = String(stream.lastSeq);
    renderPending();
    if (nearBottom) window.scrollTo(0, document.body.scrollHeight);
  }

  function tab(events) {
    eventsEl.hidden = !events; transcriptEl.hidden = events;
    tabE.classList.toggle('active', events); tabT.classList.toggle('active', !events);
  }

  function say(text, bad) { note.textContent = text || ''; note.className = 'note' + (bad ? ' bad' : ''); }

  async function loadRaw(seq) {
    const r = await api('GET', `${path}/events?offset=${seq - 1}&limit=1&include_raw=true`);
    return r.events && r.events[0];
  }

  async function loadInfo() {
    try {
      const s = await api('GET', path);
      const u = fmtUsage(s.usage);
      fill(info,
        field('agent', s.agent), field('modes', `${s.agentMode} / ${s.permissionMode}`),
        s.model ? field('model', s.model) : null,
        field('ended', s.ended ? 'yes' : 'no'), field('events', s.eventCount),
        field('usage', u || '—'), field('created', fmtTime(s.createdAt)),
        s.directory ? field('directory', s.directory) : null);
      info.dataset.ended = String(!!s.ended);
      info.dataset.eventCount = String(s.eventCount);
      return s;
    } catch (e) { say(problemText(e), true); return null; }
  }
  function refreshInfo() { clearTimeout(infoTimer); infoTimer = setTimeout(loadInfo, 200); }
  function field(k, v) { return h('span', { class: 'field' }, h('span', { class: 'k' }, k), ' ', h('span', { class: 'v', 'data-field': k }, String(v ?? ''))); }

  async function call(btns, method, p, json) {
    btns.forEach(b => { b.disabled = true; });
    try { await api(method, p, { json }); say(''); return true; }
    catch (e) { say(problemText(e), true); btns.forEach(b => { b.disabled = false; }); return false; }
  }

  // Pending cards are keyed by id: new ones are added, resolved ones
  // removed, the others left alone (a half-typed answer survives).
  const cards = new Map();
  function renderPending() {
    for (const [key, el] of cards) {
      const [kind, id] = [key[0], key.slice(2)];
      if (!(kind === 'p' ? tr.permissions : tr.questions).has(id)) { el.remove(); cards.delete(key); }
    }
    for (const [pid, d] of tr.permissions) if (!cards.has('p:' + pid)) add('p:' + pid, permissionCard(pid, d));
    for (const [qid, d] of tr.questions) if (!cards.has('q:' + qid)) add('q:' + qid, questionCard(qid, d));
  }
  function add(key, el) { cards.set(key, el); pendingEl.append(el); }

  function permissionCard(pid, d) {
    const btns = [];
    const reply = r => call(btns, 'POST', `${path}/permissions/${enc(pid)}/reply`, { reply: r });
    btns.push(h('button', { type: 'button', 'data-perm': pid, 'data-reply': 'once', onclick: () => reply('once') }, 'Allow once'),
              h('button', { type: 'button', 'data-perm': pid, 'data-reply': 'always', onclick: () => reply('always') }, 'Always'),
              h('button', { type: 'button', class: 'danger', 'data-perm': pid, 'data-reply': 'reject', onclick: () => reply('reject') }, 'Reject'));
    return h('div', { class: 'card perm', 'data-permission': pid },
      h('div', {}, h('b', {}, 'Permission: '), h('code', {}, d.action || ''), h('span', { class: 'muted' }, ' ' + pid)),
      d.metadata != null ? h('details', {}, h('summary', {}, 'details'), h('pre', { class: 'json' }, pretty(d.metadata))) : null,
      h('div', { class: 'buttons' }, btns));
  }

  function questionCard(qid, d) {
    const btns = [];
    const answer = a => call(btns, 'POST', `${path}/questions/${enc(qid)}/reply`, { answers: [[a]] });
    const free = h('input', { type: 'text', placeholder: 'Your answer', 'data-question-free': qid });
    for (const o of d.options || [])
      btns.push(h('button', { type: 'button', 'data-question': qid, 'data-answer': o, onclick: () => answer(o) }, o));
    const options = btns.slice();
    const freeBtn = h('button', { type: 'submit', 'data-question-submit': qid }, 'Answer');
    const rej = h('button', { type: 'button', class: 'danger', 'data-question-reject': qid,
      onclick: () => call(btns, 'POST', `${path}/questions/${enc(qid)}/reject`, undefined) }, 'Reject');
    btns.push(freeBtn, rej);
    return h('div', { class: 'card question', 'data-question-card': qid },
      h('div', {}, h('b', {}, 'Question: '), d.prompt || '', h('span', { class: 'muted' }, ' ' + qid)),
      h('div', { class: 'buttons' }, options),
      h('form', { class: 'free', onsubmit: e => { e.preventDefault(); if (free.value.trim()) answer(free.value); } }, free, freeBtn, rej));
  }

  async function submit(e) {
    e.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    if (await call([send], 'POST', `${path}/messages`, { message: text })) {
      input.value = '';
      send.disabled = false;
      stream.start();        // again, if the stream of an ended session had stopped
    }
    input.focus();
  }

  let armed = 0;
  async function terminate() {
    if (!armed) {
      term.textContent = 'Really terminate?';
      armed = setTimeout(() => { armed = 0; term.textContent = 'Terminate'; }, 4000);
      return;
    }
    clearTimeout(armed); armed = 0; term.textContent = 'Terminate';
    if (await call([term], 'POST', `${path}/terminate`, undefined)) { say('terminated'); term.disabled = false; refreshInfo(); }
  }

  loadInfo().then(s => { if (s) stream.start(); });
  return { destroy() { stream.stop(); clearTimeout(infoTimer); }, stream, transcript: tr };
}
