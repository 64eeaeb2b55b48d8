// app.js — the inspector's entry point: the hash router
//   #/                 home (views.js)
//   #/sessions/ID      one session (session.js); the link to share
//   #/files?path=&session=   the file browser (views.js)
// the token dialog (shown when the API answers 401; api.js retries with the
// token given), and window.saInspector, a handle for debugging and the
// browser tests: the current view's stream and transcript.
//
// Ownership: the router owns the current view and destroys it on every
// route change.

import { h } from './dom.js';
import { onNeedToken, setToken, clearToken, getToken } from './api.js';
import { homeView, filesView } from './views.js';
import { sessionView } from './session.js';

const main = document.getElementById('main');
let view = null;

function route() {
  if (view) { view.destroy(); view = null; }
  const hash = location.hash.replace(/^#/, '') || '/';
  const [p, qs] = hash.split('?');
  const params = new URLSearchParams(qs || '');
  const m = p.match(/^\/sessions\/([^/]+)$/);
  window.scrollTo(0, 0);
  if (m) view = sessionView(main, decodeURIComponent(m[1]));
  else if (p === '/files') view = filesView(main, params);
  else view = homeView(main);
  document.querySelectorAll('nav a').forEach(a => a.classList.toggle('active', (a.dataset.route === '/files') === (p === '/files')));
  window.saInspector.view = view;
  updateTokenButton();
}

// The token dialog: resolves true when a token was entered, false on cancel.
const dialog = document.getElementById('token-dialog');
function askToken(why) {
  return new Promise(resolve => {
    document.getElementById('token-why').textContent = why;
    dialog.dataset.asks = String((Number(dialog.dataset.asks) || 0) + 1);
    const input = document.getElementById('token-input');
    input.value = '';
    const done = ok => {
      dialog.removeEventListener('close', onClose);
      if (dialog.open) dialog.close();
      resolve(ok);
    };
    const onClose = () => {
      if (dialog.returnValue === 'ok' && input.value) {
        setToken(input.value, document.getElementById('token-remember').checked);
        updateTokenButton();
        done(true);
      } else done(false);
    };
    dialog.returnValue = '';
    dialog.addEventListener('close', onClose);
    dialog.showModal();
    input.focus();
  });
}

function updateTokenButton() {
  document.getElementById('forget-token').hidden = !getToken();
}

document.getElementById('forget-token').addEventListener('click', () => { clearToken(); route(); });
window.saInspector = { view: null, h };
onNeedToken(askToken);
window.addEventListener('hashchange', route);
route();
