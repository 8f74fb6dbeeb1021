// The attacker of the key-release protocol, for the browser tests
// (tests/browser/run.mjs against the stand-in portal, tests/portal/
// browser_portal.mjs against the real sealportal).
//
// Someone holds a copy of an envelope addressed to someone else and gets
// its recipient onto a web page of theirs. That page opens PORTAL/release
// for the envelope, waits for "sealportal-ready", answers with the
// envelope's real portal slot and an ECDH key of its own, and unwraps
// whatever the portal window sends back: with the content key it could
// decrypt its copy. The portal must release nothing unless the recipient
// confirms in the portal window.
//
// startAttacker() serves, on another 127.0.0.1 port (another origin than
// the portal and than file://):
//   /attack.html  a page with a button #go (window.open needs a click)
//   /framed.html  the same page inside a sandboxed frame with
//                 allow-popups-to-escape-sandbox: the portal sees the
//                 origin "null", as for a file:// envelope
// Before the click the test sets window.attack = {portal, id, key_id, iv,
// wrapped} in the page (or the frame); the page records in window.seen
// every message type the portal window sent, in window.errors the error
// codes, and in window.stolen the unwrapped content key (hex) if a
// release came.
import http from 'node:http';

const PAGE = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Cute cats</title></head>
<body><h1>Cute cats</h1><button id="go">Show me the cats</button>
<script>
'use strict';
window.seen = [];
window.errors = [];
window.stolen = null;
const enc = new TextEncoder();
const INFO = 'sealmilter-portal-release-v1';
const b64 = (bytes) => btoa(String.fromCharCode(...bytes));
const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const keys = crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits'])
  .then(async (pair) => ({ pair, pub: new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey)) }));
let win = null;
document.getElementById('go').addEventListener('click', () => {
  const a = window.attack;
  win = window.open(a.portal + '/release?id=' + a.id, '_blank');
});
async function unwrap(a, k, m) {
  const portalPub = unb64(m.portal_public);
  const peer = await crypto.subtle.importKey('raw', portalPub, { name: 'ECDH', namedCurve: 'P-256' }, false, []);
  const shared = await crypto.subtle.deriveBits({ name: 'ECDH', public: peer }, k.pair.privateKey, 256);
  const ikm = await crypto.subtle.importKey('raw', shared, 'HKDF', false, ['deriveKey']);
  const kek = await crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: enc.encode(a.id),
    info: enc.encode(INFO) }, ikm, { name: 'AES-GCM', length: 256 }, false, ['decrypt']);
  const bar = [124];
  const aad = new Uint8Array([...enc.encode(INFO), ...bar, ...enc.encode(a.id), ...bar,
    ...portalPub, ...bar, ...k.pub]);
  const raw = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: unb64(m.iv),
    additionalData: aad }, kek, unb64(m.wrapped)));
  return Array.from(raw, (b) => b.toString(16).padStart(2, '0')).join('');
}
window.addEventListener('message', async (ev) => {
  const a = window.attack;
  const m = ev.data;
  if (!a || ev.source !== win || !m || typeof m !== 'object' || typeof m.type !== 'string') return;
  window.seen.push(m.type);
  const k = await keys;
  if (m.type === 'sealportal-ready') {
    win.postMessage({ type: 'sealportal-request', id: a.id, key_id: a.key_id, iv: a.iv,
      wrapped: a.wrapped, browser_public: b64(k.pub) }, '*');
  } else if (m.type === 'sealportal-error') {
    window.errors.push(m.error);
  } else if (m.type === 'sealportal-release') {
    try {
      window.stolen = await unwrap(a, k, m);
    } catch (e) {
      window.stolen = 'unwrap failed: ' + e.message;
    }
  }
});
</script></body></html>`;

const FRAMED = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Cute cats</title></head>' +
  '<body><iframe sandbox="allow-scripts allow-popups allow-popups-to-escape-sandbox" ' +
  'src="/attack.html" width="600" height="300"></iframe></body></html>';

export function startAttacker() {
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://127.0.0.1');
    const page = { '/attack.html': PAGE, '/framed.html': FRAMED }[u.pathname];
    if (!page) {
      res.writeHead(404);
      return res.end('not found');
    }
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    return res.end(page);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ base: 'http://127.0.0.1:' + server.address().port, close: () => server.close() });
    });
  });
}

// What the attacker's page (or frame) has seen so far.
export async function attackerState(frame) {
  return frame.evaluate(() => ({ seen: window.seen.slice(), errors: window.errors.slice(),
    stolen: window.stolen }));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The attack, twice: from a page of another origin (the recipient then
// chooses Cancel) and from a sandboxed frame of such a page, which the
// portal sees as "null" like a file:// envelope (the recipient then clicks
// "Open the message": the positive control, showing that the recipient's
// click, and nothing else, releases the key). Checks on the way that
// nothing is released before a click, nor by script clicks in the portal
// window (untrusted events). opts: check(ok, what, detail), attacker
// (startAttacker()), portal (its base URL), meta (the envelope's
// metadata), originFramedText and cancelledText (the portal window's
// texts), apiCalls (optional: how many API calls the portal has had),
// contentKey (optional: the content key's hex as the portal saw it).
export async function runAttack(context, opts) {
  const { check } = opts;
  const slot = opts.meta.slots.find((s) => s.type === 'portal');
  const attack = { portal: opts.portal, id: opts.meta.id, key_id: slot.key_id, iv: slot.iv,
    wrapped: slot.wrapped };
  for (const variant of ['attack', 'framed']) {
    const label = `attack (${variant === 'attack' ? 'page of another origin' : 'sandboxed frame, origin null'})`;
    const calls0 = opts.apiCalls ? opts.apiCalls() : 0;
    const page = await context.newPage();
    await page.goto(opts.attacker.base + '/' + variant + '.html');
    let frame = page.mainFrame();
    if (variant === 'framed') {
      await page.waitForSelector('iframe');
      frame = await (await page.$('iframe')).contentFrame();
      await frame.waitForSelector('#go');
    }
    await frame.evaluate((a) => { window.attack = a; }, attack);
    const [popup] = await Promise.all([context.waitForEvent('page', { timeout: 10000 }),
      frame.click('#go')]);
    await popup.waitForLoadState();
    const asked = await popup.waitForSelector('#release-confirm', { state: 'visible', timeout: 15000 })
      .then(() => true, () => false);
    check(asked, `${label}: the portal window asks for confirmation`, popup.url());
    if (asked) {
      const shown = await popup.textContent('#release-origin');
      const want = variant === 'attack' ? opts.attacker.base : opts.originFramedText;
      check(shown === want, `${label}: it names the requester`, { shown, want });
    }
    await sleep(2500);
    let state = await attackerState(frame);
    check(state.stolen === null && !state.seen.includes('sealportal-release'),
      `${label}: nothing released without a click`, state);
    if (opts.apiCalls) {
      check(opts.apiCalls() === calls0, `${label}: no API call without a click`, opts.apiCalls() - calls0);
    }
    // Script clicks in the portal window are not the recipient's.
    await popup.evaluate(() => {
      const b = document.getElementById('release-confirm-open');
      if (!b) return;
      b.click();
      b.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));
      b.disabled = false;
      b.click();
    });
    await sleep(1500);
    state = await attackerState(frame);
    check(state.stolen === null && !state.seen.includes('sealportal-release'),
      `${label}: nothing released by an untrusted (script) click`, state);
    if (opts.apiCalls) {
      check(opts.apiCalls() === calls0, `${label}: no API call after script clicks`, opts.apiCalls() - calls0);
    }
    if (variant === 'attack') {
      const cancelled = await popup.click('#release-confirm-cancel', { timeout: 5000 })
        .then(() => true, () => false);
      await sleep(700);
      state = await attackerState(frame);
      check(cancelled && state.errors.includes('cancelled') && state.stolen === null,
        `${label}: Cancel answers "cancelled" and releases nothing`, state);
      const status = await popup.textContent('#release-status').catch(() => '');
      check(status === opts.cancelledText, `${label}: the portal window says it was cancelled`, status);
    } else {
      // The recipient clicks: now, and only now, the key goes out.
      const clicked = await popup.click('#release-confirm-open', { timeout: 5000 })
        .then(() => true, () => false);
      await frame.waitForFunction(() => window.stolen !== null, null, { timeout: 15000 }).catch(() => {});
      state = await attackerState(frame);
      check(clicked && /^[0-9a-f]{64}$/.test(String(state.stolen)) &&
        (!opts.contentKey || state.stolen === opts.contentKey()),
        `${label}: a real click releases (the harness would see a release)`, state);
    }
    await popup.close();
    await page.close();
  }
}
