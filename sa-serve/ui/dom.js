// dom.js — the inspector's DOM helpers.  h() builds elements from data with
// textContent and attributes only (never innerHTML), so agent output can't
// inject markup; fmt* helpers format sizes, times and usage for display.
// Nothing here keeps state.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  add(el, children);
  return el;
}

function add(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) add(el, c);
    else if (c instanceof Node) el.append(c);
    else el.append(document.createTextNode(String(c)));
  }
}

// Replace el's children.
export function fill(el, ...children) {
  el.replaceChildren();
  add(el, children);
  return el;
}

export function fmtBytes(n) {
  if (typeof n !== 'number') return '';
  if (n < 1024) return n + ' B';
  if (n < 1048576) return (n / 1024).toFixed(1) + ' KiB';
  return (n / 1048576).toFixed(1) + ' MiB';
}

export function fmtTime(v) {
  if (v === null || v === undefined || v === '') return '';
  const d = new Date(v);
  return isNaN(d) ? String(v) : d.toLocaleString();
}

// "12 in / 40 out / $0.0100" from a usage object; "" when nothing was reported.
export function fmtUsage(u) {
  if (!u) return '';
  const p = [];
  if (u.input_tokens != null) p.push(u.input_tokens + ' in');
  if (u.output_tokens != null) p.push(u.output_tokens + ' out');
  if (u.cache_read_tokens != null) p.push(u.cache_read_tokens + ' cached');
  if (u.reasoning_tokens != null) p.push(u.reasoning_tokens + ' reasoning');
  if (u.cost_usd != null) p.push('$' + Number(u.cost_usd).toFixed(4));
  return p.join(' / ');
}

// Pretty JSON for display; strings that hold JSON (tool arguments) are parsed first.
export function pretty(v) {
  if (typeof v === 'string') {
    try { return JSON.stringify(JSON.parse(v), null, 2); } catch { return v; }
  }
  return JSON.stringify(v, null, 2);
}

export function problemText(e) {
  return e && e.message ? e.message : String(e);
}
