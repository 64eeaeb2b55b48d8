#!/usr/bin/env node
// tests/ui/drive.js — drive the inspector (sa-serve /ui/) in headless
// Chromium with puppeteer-core, for tests/bats/ui.bats.
//
// Usage: node drive.js FLOW URL OUTDIR [--token T] [--wrong-token W]
//                      [--session ID] [--reply once|always|reject] [--free TEXT]
//                      [--timeout S]
// FLOW is one of: notoken, token, permission, question, burst, terminate,
// deeplink, files, phone, demo.  URL is the sa-serve base (http://127.0.0.1:PORT).
// Prints one JSON object (what the page showed) on stdout and saves
// OUTDIR/FLOW.png; the bats tests assert on both and on the server's events.
// Exit 0 when the flow ran, 1 when it failed (a wait timed out, the page
// threw), 2 on usage errors.  Every wait is bounded; the whole run is cut at
// --timeout seconds (default 90) and then Chromium is killed.
//
// Needs NODE_PATH holding puppeteer-core (tests/ui/install.sh prints it) and
// Chromium at $SA_CHROMIUM (default /usr/bin/chromium).
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const argv = process.argv.slice(2);
const opt = { token: '', wrong: '', session: '', reply: 'once', free: '', timeout: 90 };
const pos = [];
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--token') opt.token = argv[++i];
  else if (a === '--wrong-token') opt.wrong = argv[++i];
  else if (a === '--session') opt.session = argv[++i];
  else if (a === '--reply') opt.reply = argv[++i];
  else if (a === '--free') opt.free = argv[++i];
  else if (a === '--timeout') opt.timeout = Number(argv[++i]);
  else if (a === '-h' || a === '--help') { console.log('usage: drive.js FLOW URL OUTDIR [options]'); process.exit(0); }
  else pos.push(a);
}
if (pos.length !== 3) { console.error('drive.js: usage: drive.js FLOW URL OUTDIR [options]'); process.exit(2); }
const [flow, base, out] = pos;
const WAIT = 20000;              // one wait in the page

let puppeteer;
try { puppeteer = require('puppeteer-core'); } catch (e) {
  console.error('drive.js: cannot load puppeteer-core (NODE_PATH?): ' + e.message); process.exit(1);
}

let browser = null, profile = null;
process.on('exit', () => { if (profile) fs.rmSync(profile, { recursive: true, force: true }); });
const killer = setTimeout(() => {
  console.error(`drive.js: ${flow}: timed out after ${opt.timeout} s`);
  if (browser && browser.process()) browser.process().kill('SIGKILL');
  process.exit(1);
}, opt.timeout * 1000);

async function api(method, p, body) {
  const headers = {};
  if (opt.token) headers.Authorization = 'Bearer ' + opt.token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const t = await r.text();
  if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${t}`);
  return t ? JSON.parse(t) : null;
}

// Wait (bounded) until fn(arg) is truthy in the page; returns its value.
async function until(page, what, fn, arg, timeout = WAIT) {
  try {
    const h = await page.waitForFunction(fn, { timeout, polling: 50 }, arg);
    return await h.jsonValue();
  } catch (e) {
    throw new Error(`waiting for ${what}: ${e.message}`);
  }
}

async function createInPage(page, id) {
  await until(page, 'the create form', () => document.querySelector('#new-agent option[value="mock"]'));
  await page.$eval('#new-id', (el, v) => { el.value = v; }, id);
  await page.select('#new-agent', 'mock');
  await until(page, 'modes', () => document.querySelector('#new-mode option'));
  await page.click('#create');
  await until(page, 'the session page', s => location.hash === '#/sessions/' + s && document.querySelector('#conn.live'), id);
}

async function send(page, text) {
  await page.click('#message');
  await page.type('#message', text);
  await page.keyboard.press('Enter');
}

async function clickWhen(page, sel, what) {
  await until(page, what, s => { const b = document.querySelector(s); return b && !b.disabled; }, sel);
  await page.click(sel);
}

const turnEnded = n => document.querySelectorAll('#transcript .type-turn-ended').length >= n;
const texts = () => [...document.querySelectorAll('#transcript .entry.item .text')].map(e => e.textContent);

const flows = {
  async notoken(page) {
    await page.goto(base + '/ui/');
    await until(page, 'the agents table', () => document.querySelector('#agents tr[data-agent="mock"]'));
    return { dialog: await page.$eval('#token-dialog', d => d.open),
             agents: await page.$$eval('#agents tr[data-agent]', r => r.map(x => x.dataset.agent)) };
  },

  async token(page) {
    await page.goto(base + '/ui/');
    const asked = [];
    for (const t of [opt.wrong, opt.token].filter(Boolean)) {
      const n = asked.length + 1;       // the n-th time the page asks
      await until(page, 'the token dialog', k => document.querySelector('#token-dialog[open]') &&
        Number(document.querySelector('#token-dialog').dataset.asks) === k, n);
      asked.push(await page.$eval('#token-why', e => e.textContent));
      await page.type('#token-input', t);
      await page.click('#token-ok');
      await until(page, 'the dialog to close or ask again', k => !document.querySelector('#token-dialog[open]') ||
        Number(document.querySelector('#token-dialog').dataset.asks) > k, n);
    }
    await until(page, 'the agents table', () => document.querySelector('#agents tr[data-agent="mock"]'));
    await createInPage(page, 'tok1');
    await send(page, 'echo through the token');
    await until(page, 'the reply', () => [...document.querySelectorAll('#transcript .role-assistant .text')]
      .some(e => e.textContent === 'through the token'));
    return { asked, texts: await page.evaluate(texts) };
  },

  async permission(page) {
    await page.goto(base + '/ui/');
    await createInPage(page, 'perm1');
    await send(page, 'permission');
    const clicked = [];
    for (const pid of ['mock_1_permission', 'mock_1_permission_denied']) {
      await clickWhen(page, `button[data-perm="${pid}"][data-reply="${opt.reply}"]`, pid + ' buttons');
      clicked.push(pid);
    }
    await until(page, 'the turn to end', turnEnded, 1);
    await until(page, 'no pending cards', () => !document.querySelector('#pending .card'));
    return { clicked, texts: await page.evaluate(texts) };
  },

  async question(page) {
    await page.goto(base + '/ui/');
    await createInPage(page, 'q1');
    await send(page, 'question');
    if (opt.free) {                  // typed into the card's free answer box
      await until(page, 'the answer box', () => document.querySelector('input[data-question-free="mock_1_question"]'));
      await page.type('input[data-question-free="mock_1_question"]', opt.free);
      await clickWhen(page, 'button[data-question-submit="mock_1_question"]', 'the Answer button');
    } else {
      await clickWhen(page, 'button[data-question="mock_1_question"][data-answer="Blue"]', 'the Blue button');
    }
    await clickWhen(page, 'button[data-question-reject="mock_1_question_reject"]', 'the Reject button');
    await until(page, 'the turn to end', turnEnded, 1);
    await until(page, 'no pending cards', () => !document.querySelector('#pending .card'));
    return { texts: await page.evaluate(texts) };
  },

  async burst(page) {
    await page.goto(base + '/ui/');
    await createInPage(page, 'b1');
    // cut the stream 4 times, 60 events into each connection, resuming 7 events early
    await page.evaluate(() => window.saInspector.view.stream.dropAfter(60, 7, 4));
    await send(page, 'burst 400 8');
    await until(page, 'the turn to end', turnEnded, 1, 60000);
    const last = await api('GET', '/v1/sessions/b1');
    await until(page, 'every event', n => window.saInspector.view.stream.lastSeq >= n, last.eventCount);
    await page.click('#tab-events');
    const s = await page.evaluate(() => {
      const st = window.saInspector.view.stream;
      return { drops: st.drops, duplicates: st.duplicates, connects: st.connects, lastSeq: st.lastSeq };
    });
    return { ...s, eventCount: last.eventCount,
             rows: await page.$$eval('#events .ev-row', r => r.map(x => Number(x.dataset.seq))),
             texts: await page.evaluate(texts) };
  },

  async terminate(page) {
    await page.goto(base + '/ui/');
    await createInPage(page, 't1');
    await send(page, 'echo before the end');
    await until(page, 'the turn to end', turnEnded, 1);
    await page.click('#terminate');
    await until(page, 'the confirmation', () => document.querySelector('#terminate').textContent.startsWith('Really'));
    await page.click('#terminate');
    await until(page, 'session.ended', () => document.querySelector('#transcript .type-session-ended'));
    return { ended: await page.$eval('#transcript .type-session-ended', e => e.textContent),
             info: await until(page, 'the info to say ended', () => document.querySelector('#session-info').dataset.ended === 'true') };
  },

  async deeplink(page) {
    await page.goto(`${base}/ui/#/sessions/${encodeURIComponent(opt.session)}`);
    await until(page, 'the reply', () => [...document.querySelectorAll('#transcript .text')]
      .some(e => e.textContent === 'shared link'));
    return { title: await page.$eval('h1', e => e.textContent), texts: await page.evaluate(texts) };
  },

  async files(page) {
    fs.mkdirSync(path.join(out, 'src'), { recursive: true });
    const up = path.join(out, 'src', 'upload-me.txt');
    fs.writeFileSync(up, 'uploaded through the inspector\n');
    await page.goto(base + '/ui/#/files');
    await until(page, 'the listing', () => document.querySelector('#fs-list table'));
    const input = await page.$('#fs-files');
    await input.uploadFile(up);
    await page.click('#fs-upload');
    await until(page, 'the uploaded file', () => document.querySelector('#fs-list tr[data-entry="upload-me.txt"] a'));
    await page.click('#fs-list tr[data-entry="upload-me.txt"] a');
    const content = await until(page, 'its content', () => { const p = document.querySelector('#fs-content'); return p && p.textContent; });
    return { content, entries: await page.$$eval('#fs-list tr[data-entry]', r => r.map(x => x.dataset.entry)) };
  },

  async phone(page) {
    await page.setViewport({ width: 390, height: 844, isMobile: true, hasTouch: true });
    await page.goto(base + '/ui/');
    await createInPage(page, 'ph1');
    await send(page, 'demo');
    await until(page, 'the turn to end', turnEnded, 1);
    await send(page, 'question');
    await until(page, 'the question card', () => document.querySelector('#pending .card'));
    return await page.evaluate(() => ({ width: window.innerWidth, scrollWidth: document.documentElement.scrollWidth,
      sendVisible: (r => r.bottom <= window.innerHeight && r.right <= window.innerWidth)(document.querySelector('#send').getBoundingClientRect()) }));
  },

  // The README's picture: a tool turn (call, result, diff), then a pending permission.
  async demo(page) {
    await page.setViewport({ width: 1000, height: 1300 });
    await page.goto(base + '/ui/');
    await createInPage(page, 'demo');
    await send(page, 'tool');
    await until(page, 'the turn to end', turnEnded, 1);
    await send(page, 'permission');
    await until(page, 'the permission cards', () => document.querySelectorAll('#pending .card').length === 2);
    await until(page, 'the usage line', () => document.querySelector('#session-info [data-field="events"]'));
    return { texts: await page.evaluate(texts) };
  },
};

(async () => {
  if (!flows[flow]) { console.error('drive.js: unknown flow: ' + flow); process.exit(2); }
  fs.mkdirSync(out, { recursive: true });
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sa-ui-chromium-'));   // removed at exit
  const args = ['--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check', '--disable-gpu'];
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
  browser = await puppeteer.launch({
    executablePath: process.env.SA_CHROMIUM || '/usr/bin/chromium', headless: true, args,
    userDataDir: profile, protocolTimeout: 60000,
  });
  const page = await browser.newPage();
  await page.setViewport({ width: 1100, height: 800 });
  const errors = [];
  page.on('pageerror', e => errors.push(String(e.message || e)));
  // console errors, less the browser's own note on each 401/404 answer
  page.on('console', m => { if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) errors.push(m.text()); });
  page.setDefaultTimeout(WAIT);
  let result, failed = null;
  try { result = await flows[flow](page); } catch (e) { failed = e; }
  await page.evaluate(() => window.scrollTo(0, 0)).catch(() => {});
  await page.screenshot({ path: path.join(out, flow + '.png'), fullPage: flow !== 'demo' }).catch(() => {});
  await browser.close().catch(() => {});
  clearTimeout(killer);
  if (failed) {
    console.error(`drive.js: ${flow}: ${failed.message}`);
    if (errors.length) console.error('page errors: ' + errors.join(' | '));
    process.exit(1);
  }
  console.log(JSON.stringify({ flow, ...result, errors }));
})().catch(e => { console.error('drive.js: ' + (e && e.message || e)); if (browser && browser.process()) browser.process().kill('SIGKILL'); process.exit(1); });
