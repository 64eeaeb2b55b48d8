// transcript.js — a session's events as readable items.
//
// Transcript.apply(ev) folds universal events (man sa-events(7)) into
// entries in arrival order: one per item (item.started / item.delta /
// item.completed merge by item_id; the completed item replaces the deltas)
// and one per other event worth showing (turn and session boundaries,
// permissions, questions, errors, unparsed output).  It keeps the pending
// permissions and questions (requested minus resolved).  render() brings
// the DOM up to date incrementally: new entries are appended and only the
// items that changed since the last render are rebuilt, so a burst of
// thousands of deltas costs one rebuild per frame.
//
// Ownership: the Transcript owns its entries and their elements; the
// caller owns the container it renders into.

import { h, pretty, fmtUsage } from './dom.js';

export class Transcript {
  constructor() {
    this.entries = [];            // {kind:'item', it} | {kind:'event', ev}
    this.items = new Map();       // item_id -> it {item, text, completed, el, seqs}
    this.permissions = new Map(); // permission_id -> data
    this.questions = new Map();   // question_id -> data
    this.dirty = new Set();
    this.rendered = 0;
    this.count = 0;
    this.ended = null;            // data of the last session.ended
  }

  apply(ev) {
    this.count++;
    const d = ev.data || {};
    switch (ev.type) {
      case 'item.started':
      case 'item.completed': {
        const item = d.item || {};
        const it = this.item(item.item_id, item);
        if (ev.type === 'item.completed') { it.item = item; it.completed = true; }
        else if (!it.completed) it.item = item;
        it.seqs.push(ev.sequence);
        this.dirty.add(it);
        return;
      }
      case 'item.delta': {
        const it = this.item(d.item_id, null);
        it.text += d.delta || '';
        it.seqs.push(ev.sequence);
        this.dirty.add(it);
        return;
      }
      case 'permission.requested': this.permissions.set(d.permission_id, d); break;
      case 'permission.resolved': this.permissions.delete(d.permission_id); break;
      case 'question.requested': this.questions.set(d.question_id, d); break;
      case 'question.resolved': this.questions.delete(d.question_id); break;
      case 'session.ended': this.ended = d; break;
      case 'turn.started': return;            // the user item that follows says enough
      default: break;
    }
    this.entries.push({ kind: 'event', ev });
  }

  item(id, item) {
    let it = this.items.get(id);
    if (!it) {
      it = { id, item: item || { item_id: id, kind: 'message', role: 'assistant', content: [], status: 'in_progress' },
             text: '', completed: false, el: null, seqs: [] };
      this.items.set(id, it);
      this.entries.push({ kind: 'item', it });
    }
    return it;
  }

  // Bring container up to date; returns true when something was added.
  render(container) {
    for (const it of this.dirty) {
      if (!it.el) continue;
      const el = itemView(it);
      it.el.replaceWith(el);
      it.el = el;
    }
    this.dirty.clear();
    const added = this.rendered < this.entries.length;
    const frag = document.createDocumentFragment();
    for (; this.rendered < this.entries.length; this.rendered++) {
      const e = this.entries[this.rendered];
      if (e.kind === 'item') { e.it.el = itemView(e.it); frag.append(e.it.el); }
      else frag.append(eventView(e.ev));
    }
    container.append(frag);
    return added;
  }
}

function textOf(it) {
  const parts = (it.item.content || []).filter(p => p.type === 'text').map(p => p.text);
  if (it.completed || !it.text) return parts.join('\n');
  return it.text;
}

function partView(p) {
  switch (p.type) {
    case 'text': return null;                     // shown as the item's text
    case 'reasoning':
      return h('details', { class: 'reasoning' },
        h('summary', {}, 'Reasoning' + (p.visibility === 'private' ? ' (private)' : '')),
        h('div', { class: 'text' }, p.text || ''));
    case 'tool_call':
      return h('div', { class: 'tool-call' },
        h('div', { class: 'label' }, 'Tool call ', h('code', {}, p.name || '?'),
          p.call_id ? h('span', { class: 'muted' }, ' ' + p.call_id) : null),
        h('pre', { class: 'args' }, pretty(p.arguments ?? '')));
    case 'tool_result':
      return h('div', { class: 'tool-result' },
        h('div', { class: 'label' }, 'Tool result', p.call_id ? h('span', { class: 'muted' }, ' ' + p.call_id) : null),
        h('pre', {}, p.output ?? ''));
    case 'file_ref':
      return h('div', { class: 'file-ref' },
        h('div', { class: 'label' }, (p.action || 'file') + ' ', h('code', {}, p.path || '')),
        p.diff ? diffView(p.diff) : null);
    case 'image':
      return h('div', { class: 'image-ref' }, 'Image ', h('code', {}, p.path || ''), p.mime ? ' (' + p.mime + ')' : '');
    case 'status':
      return h('div', { class: 'status-part' }, h('b', {}, p.label || ''), p.detail ? ' — ' + p.detail : '');
    case 'json':
      return folded('data', () => pretty(p.json));
    default:
      return h('pre', { class: 'json' }, pretty(p));
  }
}

function diffView(diff) {
  return h('pre', { class: 'diff' }, String(diff).split('\n').map(l =>
    h('span', { class: l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : l.startsWith('@@') ? 'hunk' : '' }, l + '\n')));
}

function itemView(it) {
  const item = it.item;
  const role = item.role || 'none';
  const status = it.completed ? (item.status || 'completed') : 'in_progress';
  const text = textOf(it);
  const cls = `entry item kind-${item.kind || 'unknown'} role-${role} status-${status}`;
  return h('div', { class: cls, 'data-item': it.id, 'data-seqs': it.seqs.join(' ') },
    h('div', { class: 'who' }, role === 'none' ? item.kind : role,
      item.kind !== 'message' ? h('span', { class: 'muted' }, ' · ' + item.kind) : null,
      status !== 'completed' ? h('span', { class: 'badge ' + status }, status.replace('_', ' ')) : null),
    text ? h('div', { class: 'text' }, text) : null,
    (item.content || []).map(partView),
    folded('JSON', () => pretty(item)));
}

// <details> whose <pre> is filled from make() when first opened.
function folded(label, make) {
  const pre = h('pre', { class: 'json' });
  const d = h('details', { class: 'json-toggle' }, h('summary', {}, label), pre);
  d.addEventListener('toggle', () => { if (d.open && !pre.textContent) pre.textContent = make(); });
  return d;
}

function eventView(ev) {
  const d = ev.data || {};
  const at = { class: 'entry event type-' + ev.type.replace('.', '-'), 'data-seq': ev.sequence };
  switch (ev.type) {
    case 'session.started': {
      const m = d.metadata || {};
      return h('div', at, 'Session started', m.agent ? ` · ${m.agent} · ${m.agentMode || ''}/${m.permissionMode || ''}` : '');
    }
    case 'session.ended':
      return h('div', at, `Session ended: ${d.reason || ''} (by ${d.terminated_by || '?'})`,
        d.message ? ' — ' + d.message : '', d.exit_code != null ? ` exit ${d.exit_code}` : '',
        d.stderr ? h('pre', {}, [d.stderr.head, d.stderr.tail].filter(Boolean).join('\n…\n')) : null);
    case 'turn.ended': {
      const u = fmtUsage(d.usage);
      return h('div', at, 'Turn ended', u ? ' · ' + u : '');
    }
    case 'permission.requested':
      return h('div', at, 'Permission requested: ', h('code', {}, d.action || ''), h('span', { class: 'muted' }, ' ' + d.permission_id));
    case 'permission.resolved':
      return h('div', at, 'Permission ', h('code', {}, d.permission_id), ': ', h('b', {}, d.status));
    case 'question.requested':
      return h('div', at, 'Question: ', d.prompt || '', h('span', { class: 'muted' }, ' ' + d.question_id));
    case 'question.resolved':
      return h('div', at, 'Question ', h('code', {}, d.question_id), ': ', h('b', {}, d.status),
        d.response != null ? ' — ' + d.response : '');
    case 'error':
      return h('div', at, h('b', {}, 'Error'), d.code ? ` [${d.code}]` : '', ': ', d.message || '',
        d.details != null ? h('pre', {}, pretty(d.details)) : null);
    case 'agent.unparsed':
      return h('div', at, h('b', {}, 'Unparsed agent output'), ': ', d.error || '', d.location ? ` (${d.location})` : '');
    default:
      return h('div', at, ev.type, h('pre', { class: 'json' }, pretty(d)));
  }
}

// The events tab: one folded row per event; its JSON is built when opened.
export function eventRow(ev, loadRaw) {
  const pre = h('pre', { class: 'json' });
  const rawBtn = h('button', { type: 'button', class: 'small', onclick: async () => {
    rawBtn.disabled = true;
    try { pre.textContent = pretty(await loadRaw(ev.sequence)); } catch (e) { pre.textContent = String(e.message || e); }
    rawBtn.disabled = false;
  } }, 'with native payload');
  const d = h('details', { class: 'ev-row', 'data-seq': ev.sequence },
    h('summary', {}, h('span', { class: 'seq' }, '#' + ev.sequence), ' ', h('code', {}, ev.type),
      ' ', h('span', { class: 'muted' }, ev.time || '')),
    rawBtn, pre);
  d.addEventListener('toggle', () => { if (d.open && !pre.textContent) pre.textContent = pretty(ev); });
  return d;
}

