// sealportal: the key-release page script, served as /assets/release.js
// (the page's CSP allows script from 'self' only; nothing inline).
//
// Portal side of the release protocol (sealmilter.envelope(5), "Opening
// with the portal"). The page's <main id="release"> carries
//   data-envelope-id  the envelope id (32 hex digits)
//   data-csrf         the token for the X-CSRF-Token header
//   data-api          the release API path ("/api/release")
//   data-ready        "1" once the recipient is authenticated; the script
//                     does nothing before (re-auth form of security "high")
//   data-done-text    shown after the key went to the envelope page
//   data-error-text   shown when the release failed
//   data-cancelled-text      shown after the recipient chose Cancel
//   data-origin-null-text    names a requester whose origin is "null"
//   data-origin-framed-text  names a requester that is a frame in a page
//   data-error        optional: a refusal CODE the server already knows
//                     (revoked, expired, ...): it is sent to the opener
//                     with data-error-text as the message, nothing else
// and, on a ready page, the hidden <section id="release-confirm"> with
// #release-origin, #release-confirm-open and #release-confirm-cancel.
// Steps: announce "sealportal-ready" to window.opener every 500 ms for up
// to 60 s; take the first "sealportal-request" from window.opener (any
// other window is ignored) for this envelope id; tell the opener
// "sealportal-confirm" and show the confirmation: which page asks (its
// origin, or in words what "null" means) and the envelope. Nothing is
// released before the recipient clicks "Open the message" (a trusted
// click, not before CONFIRM_DELAY_MS after the confirmation appeared):
// whoever holds a copy of an envelope can play the envelope page's part
// with a key of their own, so the request alone proves nothing. On the
// click: tell "sealportal-confirmed", POST the request to the API
// (same-origin cookies, CSRF header); pass the answer (the content key
// wrapped for the requesting page's ECDH key) or the error code back to
// the opener; show the done or error text. Cancel
// sends the error code "cancelled" and releases nothing.
// Plain ES2020, no third-party code.
'use strict';
(function () {
  const ANNOUNCE_MS = 500;
  const ANNOUNCE_MAX = 120;  // 60 s
  const MAX_FIELD = 4096;
  const CONFIRM_DELAY_MS = 1000;  // against a click meant for the other page
  const CODES = ['login_required', 'csrf', 'not_recipient', 'revoked', 'expired',
    'unknown_envelope', 'bad_request', 'rate_limited', 'internal', 'cancelled'];

  const root = document.getElementById('release');
  if (!root) return;
  const data = root.dataset;
  const id = data.envelopeId || '';
  const csrf = data.csrf || '';
  const api = data.api || '';
  const opener = window.opener;

  function show(text, failed) {
    let el = document.getElementById('release-status');
    if (!el) {
      el = document.createElement('p');
      el.id = 'release-status';
      root.appendChild(el);
    }
    el.textContent = text;
    el.setAttribute('role', failed ? 'alert' : 'status');
    el.className = failed ? 'error' : 'message done';
    root.dataset.state = failed ? 'error' : 'done';
  }

  const doneText = () => data.doneText || '';
  const errorText = () => data.errorText || '';

  // The origin answers go to once a request came: the requester's, or '*'
  // for "null" (a file:// page cannot be named as a target).
  let target = '*';

  function tell(message) {
    try {
      // '*' before a request: the opener's origin is unknown ("null" from
      // file://, or a webmail's). Safe: the key inside is wrapped for the
      // requester's own ECDH key, and errors carry nothing secret.
      opener.postMessage(message, target);
      return true;
    } catch (e) {
      return false;
    }
  }

  function fail(code, message) {
    const known = CODES.includes(code) ? code : 'internal';
    tell({ type: 'sealportal-error', id: id, error: known, message: message || '' });
    show(message || errorText(), true);
  }

  if (!/^[0-9a-f]{32}$/.test(id)) {
    show(errorText(), true);
    return;
  }
  const hasOpener = !!opener && opener !== window;
  if (data.error) {
    // A refusal page: the server already said why; tell the envelope page.
    // The page shows the text already.
    if (hasOpener) {
      tell({ type: 'sealportal-error', id: id,
        error: CODES.includes(data.error) ? data.error : 'internal',
        message: data.errorText || '' });
    }
    return;
  }
  if (data.ready !== '1') return;
  if (!hasOpener || !api.startsWith('/') || api.startsWith('//')) {
    // Opened directly, not from an envelope page: nothing to answer.
    show(errorText(), true);
    return;
  }

  let requested = false;
  let tries = 0;
  function announce() {
    if (requested) return;
    tries += 1;
    if (tries > ANNOUNCE_MAX || openerClosed()) {
      clearInterval(timer);
      show(errorText(), true);
      return;
    }
    tell({ type: 'sealportal-ready', id: id });
  }
  const timer = setInterval(announce, ANNOUNCE_MS);
  announce();

  const isField = (v) => typeof v === 'string' && v.length > 0 && v.length <= MAX_FIELD;

  function codeOf(status) {
    return { 400: 'bad_request', 401: 'login_required', 403: 'csrf', 404: 'unknown_envelope',
      410: 'expired', 429: 'rate_limited' }[status] || 'internal';
  }

  async function release(req) {
    let res = null;
    let body = null;
    try {
      res = await fetch(api, {
        method: 'POST',
        credentials: 'same-origin',
        cache: 'no-store',
        redirect: 'error',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ id: id, key_id: req.key_id, iv: req.iv, wrapped: req.wrapped,
          browser_public: req.browser_public }),
      });
      body = await res.json();
    } catch (e) {
      body = null;
    }
    if (!body || typeof body !== 'object') body = {};
    if (res && res.ok && isField(body.portal_public) && isField(body.iv) &&
        isField(body.wrapped)) {
      tell({ type: 'sealportal-release', id: id, portal_public: body.portal_public,
        iv: body.iv, wrapped: body.wrapped, reply: body.reply === true,
        reply_all: body.reply_all === true, forward: body.forward === true });
      show(doneText(), false);
      return;
    }
    const code = typeof body.error === 'string' ? body.error : codeOf(res ? res.status : 0);
    const message = typeof body.message === 'string' ? body.message.slice(0, 1000) : '';
    fail(code, message);
  }

  // In plain words, who sent the request: its origin as is, or what an
  // opaque origin ("null") means: a file opened on this computer (the
  // envelope) or a page that hides its address; a frame inside another
  // page says so (a sandboxed frame is how a web page gets "null").
  function requesterText(origin) {
    if (typeof origin === 'string' && origin !== '' && origin !== 'null') return origin;
    let framed = false;
    try {
      framed = opener.top !== opener;
    } catch (e) {
      framed = false;
    }
    return (framed ? data.originFramedText : data.originNullText) || 'null';
  }

  function openerClosed() {
    try {
      return opener.closed;
    } catch (e) {
      return true;
    }
  }

  function cancel() {
    tell({ type: 'sealportal-error', id: id, error: 'cancelled',
      message: data.cancelledText || '' });
    show(data.cancelledText || '', false);
    root.dataset.state = 'cancelled';
  }

  // Shows the confirmation for `req` from `origin`; calls release(req)
  // only on a trusted click on "Open the message".
  function confirmRelease(req, origin) {
    const box = document.getElementById('release-confirm');
    const openButton = document.getElementById('release-confirm-open');
    const cancelButton = document.getElementById('release-confirm-cancel');
    const originEl = document.getElementById('release-origin');
    if (!box || !openButton || !cancelButton || !originEl) {
      fail('internal', '');
      return;
    }
    originEl.textContent = requesterText(origin);
    const status = document.getElementById('release-status');
    if (status) status.hidden = true;
    box.hidden = false;
    root.dataset.state = 'confirm';
    tell({ type: 'sealportal-confirm', id: id });
    let decided = false;
    // Armed a moment after it appears: a second click of a double click on
    // the other page, or a key held down there, must not land on it. The
    // focus goes to Cancel, so Enter refuses.
    openButton.disabled = true;
    const armed = setTimeout(() => {
      if (!decided) openButton.disabled = false;
    }, CONFIRM_DELAY_MS);
    cancelButton.focus();
    const decide = () => {
      decided = true;
      clearTimeout(armed);
      openButton.disabled = true;
      cancelButton.disabled = true;
      box.hidden = true;
      if (status) status.hidden = false;
    };
    openButton.addEventListener('click', (ev) => {
      // Only the recipient's own click: not a script's click(), not a
      // dispatched event, not while the button is still disarmed.
      if (decided || !ev.isTrusted || openButton.disabled) return;
      decide();
      if (openerClosed()) {
        show(errorText(), true);
        return;
      }
      root.dataset.state = 'releasing';
      tell({ type: 'sealportal-confirmed', id: id });
      release(req);
    });
    cancelButton.addEventListener('click', (ev) => {
      if (decided || !ev.isTrusted) return;
      decide();
      cancel();
    });
  }

  window.addEventListener('message', (ev) => {
    if (requested || ev.source !== opener) return;
    const req = ev.data;
    if (!req || typeof req !== 'object' || req.type !== 'sealportal-request' || req.id !== id) {
      return;
    }
    if (!isField(req.key_id) || !isField(req.iv) || !isField(req.wrapped) ||
        !isField(req.browser_public)) {
      return;
    }
    requested = true;
    clearInterval(timer);
    target = ev.origin && ev.origin !== 'null' ? ev.origin : '*';
    confirmRelease({ key_id: req.key_id, iv: req.iv, wrapped: req.wrapped,
      browser_public: req.browser_public }, ev.origin);
  });
})();
