// api.js — the inspector's client for sa-serve's /v1 API.
//
// api() sends every request with the token (Authorization: Bearer) when one
// is known; a 401 asks the page for a token (the function given to
// onNeedToken, one prompt shared by concurrent requests) and retries.  The
// token lives in sessionStorage, or in localStorage when "remember" is
// ticked.  Errors become ApiError with the problem-details detail.
//
// EventStream follows /v1/sessions/{id}/events/sse with fetch() and a
// ReadableStream parser (EventSource can send neither the token nor our own
// Last-Event-ID), hands each event on exactly once (an event whose sequence
// is not above the last one handed on is dropped as a duplicate), and after
// a dropped connection reconnects with Last-Event-ID = that last sequence,
// backing off from 250 ms to 5 s.  It stops when stopped, when the session
// is gone (404), when no token was given (401), or when the server ends the
// stream of an ended session.
// dropAfter() is the test hook that cuts the connection on purpose.
//
// Paths are relative to the page's parent (/ui/ -> /), so a reverse proxy's
// prefix is kept.

const KEY = 'sa-inspector-token';
const BASE = new URL('..', document.baseURI);
const MAX_FRAME = 16 << 20;    // a frame larger than this ends the connection

export function url(path) { return new URL(path.replace(/^\//, ''), BASE).toString(); }
export function enc(s) { return encodeURIComponent(s); }

export function getToken() {
  return sessionStorage.getItem(KEY) || localStorage.getItem(KEY) || '';
}
export function setToken(t, remember) {
  sessionStorage.setItem(KEY, t);
  if (remember) localStorage.setItem(KEY, t); else localStorage.removeItem(KEY);
}
export function clearToken() { sessionStorage.removeItem(KEY); localStorage.removeItem(KEY); }

let askToken = null, asking = null;
export function onNeedToken(fn) { askToken = fn; }
function needToken(why) {
  if (!asking) asking = Promise.resolve(askToken ? askToken(why) : false).finally(() => { asking = null; });
  return asking;
}

export class ApiError extends Error {
  constructor(status, problem, text) {
    super(problem && problem.detail ? problem.detail : (text || ('HTTP ' + status)).trim());
    this.status = status;
    this.problem = problem;
  }
}

async function toError(r, text) {
  if (text === undefined) text = await r.text().catch(() => '');
  let p = null;
  try { p = JSON.parse(text); } catch { /* not JSON */ }
  return new ApiError(r.status, p, text);
}

// api(method, path, {json, body, headers, raw, signal}) -> parsed JSON, text,
// null (204) or, with raw, the Response.
export async function api(method, path, opt = {}) {
  for (let attempt = 0; ; attempt++) {
    const headers = new Headers(opt.headers || {});
    const t = getToken();
    if (t) headers.set('Authorization', 'Bearer ' + t);
    let body = opt.body;
    if (opt.json !== undefined) { headers.set('Content-Type', 'application/json'); body = JSON.stringify(opt.json); }
    const r = await fetch(url(path), { method, headers, body, signal: opt.signal, cache: 'no-store' });
    if (r.status === 401 && attempt < 5) {
      const text = await r.text().catch(() => '');
      if (await needToken(t ? 'The token was not accepted.' : 'This server needs a token.')) continue;
      throw await toError(r, text);
    }
    if (!r.ok) throw await toError(r);
    if (opt.raw) return r;
    if (r.status === 204) return null;
    const ct = r.headers.get('content-type') || '';
    return ct.includes('json') ? r.json() : r.text();
  }
}

function sleep(ms, signal) {
  return new Promise(res => {
    const t = setTimeout(res, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); res(); }, { once: true });
  });
}

export class EventStream {
  // onEvent(ev) for each new event; onState('connecting'|'live'|'reconnecting'|'ended'|'gone'|'stopped', info)
  constructor(sessionId, onEvent, onState) {
    this.id = sessionId;
    this.onEvent = onEvent;
    this.onState = onState || (() => {});
    this.lastSeq = 0;
    this.duplicates = 0;      // events dropped because already seen
    this.connects = 0;        // connections opened
    this.drops = 0;           // connections cut by dropAfter
    this.ended = false;       // a session.ended was seen
    this.running = false;
    this.life = new AbortController();
    this.dropLeft = 0; this.dropEvery = 0; this.dropTimes = 0; this.rewind = 0; this.rewindBy = 0;
  }

  start() {
    if (this.running || this.life.signal.aborted) return;
    this.running = true;
    this.loop().finally(() => { this.running = false; });
  }

  stop() { this.life.abort(); if (this.conn) this.conn.abort(); this.onState('stopped'); }

  // Test hook: cut the connection after n more events (the rest of that
  // chunk is lost, as on a real drop), `times` times, each next connection
  // counting from its start; each reconnection asks for `rewind` events
  // before the last one seen, to prove duplicates are dropped.
  dropAfter(n, rewind = 0, times = 1) {
    this.dropEvery = Math.max(1, n | 0);
    this.dropLeft = this.dropEvery;
    this.dropTimes = Math.max(1, times | 0);
    this.rewindBy = Math.max(0, rewind | 0);
  }

  async loop() {
    let delay = 250;
    while (!this.life.signal.aborted) {
      this.conn = new AbortController();
      const stopConn = () => this.conn.abort();
      this.life.signal.addEventListener('abort', stopConn, { once: true });
      let gotData = false;
      try {
        this.onState(this.connects ? 'reconnecting' : 'connecting');
        const headers = { Accept: 'text/event-stream' };
        const from = Math.max(0, this.lastSeq - this.rewind);
        this.rewind = 0;
        if (from > 0) headers['Last-Event-ID'] = String(from);
        const r = await api('GET', `v1/sessions/${enc(this.id)}/events/sse`,
                            { headers, raw: true, signal: this.conn.signal });
        this.connects++;
        this.onState('live');
        gotData = await this.read(r.body);
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) { this.onState('gone', e.message); return; }
        if (e instanceof ApiError && e.status === 401) { this.onState('unauthorized', e.message); return; }
      } finally {
        this.life.signal.removeEventListener('abort', stopConn);
      }
      if (this.life.signal.aborted) return;
      if (this.ended && !this.conn.signal.aborted) { this.onState('ended'); return; }
      if (gotData) delay = 250;
      this.onState('reconnecting');
      await sleep(delay, this.life.signal);
      delay = Math.min(delay * 2, 5000);
    }
  }

  // Read one connection; true if any event came.  Ends at end of stream or abort.
  async read(body) {
    const reader = body.getReader();
    const dec = new TextDecoder();
    let buf = '', got = false;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return got;
        buf += dec.decode(value, { stream: true });
        // CRLF / CR -> LF, keeping a trailing CR for the next chunk
        const cr = buf.endsWith('\r');
        if (cr) buf = buf.slice(0, -1);
        buf = buf.replace(/\r\n?/g, '\n');
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (this.frame(block)) {
            got = true;
            if (this.dropTimes && --this.dropLeft <= 0) {
              this.drops++;
              this.rewind = this.rewindBy;
              this.dropLeft = --this.dropTimes ? this.dropEvery : 0;
              this.conn.abort();
              return got;
            }
          }
        }
        if (cr) buf += '\r';
        if (buf.length > MAX_FRAME) { this.conn.abort(); return got; }
      }
    } catch {
      return got;
    } finally {
      reader.cancel().catch(() => {});
    }
  }

  // One SSE block; true when it held an event.
  frame(block) {
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
    }
    if (!data.length) return false;          // comment (": connected", heartbeat)
    let ev;
    try { ev = JSON.parse(data.join('\n')); } catch { return false; }
    if (typeof ev.sequence !== 'number') return false;
    if (ev.sequence <= this.lastSeq) { this.duplicates++; return true; }
    this.lastSeq = ev.sequence;
    if (ev.type === 'session.ended') this.ended = true;
    this.onEvent(ev);
    return true;
  }
}
