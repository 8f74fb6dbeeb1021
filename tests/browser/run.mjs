// Browser test of the secure envelope opener (meson suite 'browser').
//
// Generates envelopes with the C++ tool, opens them from file:// in the
// system's headless Chromium (Debian package chromium) driven by
// playwright-core, and checks: decryption with the passphrase (typed in
// another case and spacing), the decrypted text, the HTML part rendered in
// a sandboxed iframe where its <script> does not run, cid: images shown and
// remote images blocked, attachment downloads with the right bytes and
// names (RFC 2231), the non-ASCII subject, the refusals (wrong passphrase,
// modified ciphertext, modified metadata, expired), the French page, the
// JS-free variant, "remember the passphrase" and an envelope with one slot
// per recipient (different labels). Saves one screenshot of
// the opened message (envelope-open.png in the output directory).
// The portal path ("Open with the portal") runs against a stand-in portal
// served here on 127.0.0.1 (the real portal/assets/release.js, and a
// release API written in Node from portal/key_release.h): release, the
// portal-only envelope, reply links, every refusal the page must explain
// (revoked, expired, CSRF, a key that does not unwrap, a closed portal
// window, a blocked pop-up, a portal that never answers, the recipient
// choosing Cancel in the portal window), and that a message from any other
// window is ignored. The portal window asks the recipient to confirm before
// it releases anything; the attack that this prevents (a page of another
// origin, or a sandboxed frame, plays the envelope's part with a copy of
// the envelope and a key of its own: attacker.mjs) gets nothing without a
// trusted click. tests/portal/ runs the same flows against the real
// sealportal.
//
// Exit status: 0 all passed, 1 a check failed, 77 (skip) only when
// /usr/bin/chromium is missing. Runs `npm ci` first when node_modules is
// missing (the npm registry must be reachable then). Never downloads a
// browser.
//
// Usage: node run.mjs --tool PATH --branding DIR --out DIR
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startAttacker, runAttack } from './attacker.mjs';

// SEAL_TEST_CHROMIUM exists only to test the skip path; CI uses the default.
const CHROMIUM = process.env.SEAL_TEST_CHROMIUM || '/usr/bin/chromium';
const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const args = {};
  for (let i = 2; i < argv.length; i += 2) args[argv[i].replace(/^--/, '')] = argv[i + 1];
  for (const key of ['tool', 'branding', 'out']) {
    if (!args[key]) {
      console.error('usage: node run.mjs --tool PATH --branding DIR --out DIR');
      process.exit(1);
    }
  }
  return args;
}

let failures = 0;
let checks = 0;
function check(ok, what, detail) {
  checks += 1;
  if (ok) {
    console.log('ok - ' + what);
  } else {
    failures += 1;
    console.log('FAILED - ' + what + (detail === undefined ? '' : ': ' + JSON.stringify(detail)));
  }
}

async function loadPlaywright() {
  if (!fs.existsSync(path.join(here, 'node_modules', 'playwright-core'))) {
    console.log('# node_modules missing: running npm ci in ' + here);
    const npm = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
      cwd: here, stdio: 'inherit',
      env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
    });
    if (npm.status !== 0) {
      console.error('npm ci failed (is the npm registry reachable?)');
      process.exit(1);
    }
  }
  const mod = await import(pathToFileURL(path.join(here, 'node_modules', 'playwright-core', 'index.mjs')).href);
  return mod.chromium;
}

async function main() {
  const args = parseArgs(process.argv);
  if (!fs.existsSync(CHROMIUM)) {
    console.log('# SKIP: ' + CHROMIUM + ' is missing (Debian package chromium)');
    process.exit(77);
  }
  fs.rmSync(args.out, { recursive: true, force: true });
  fs.mkdirSync(args.out, { recursive: true });
  const portal = await startPortal();
  const made = spawnSync(args.tool, [args.branding, args.out, portal.base], { stdio: 'inherit' });
  if (made.status !== 0) {
    console.error('make_browser_envelopes failed');
    process.exit(1);
  }
  const expected = JSON.parse(fs.readFileSync(path.join(args.out, 'expected.json'), 'utf8'));
  portal.key = Buffer.from(expected.portal_key, 'base64');
  const url = (name) => pathToFileURL(path.join(args.out, name)).href;

  const chromium = await loadPlaywright();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'seal-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    viewport: { width: 1100, height: 900 },
    args: ['--headless', '--no-sandbox', '--disable-gpu',
      '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
  // Nothing may leave the machine: every http(s) request must be stopped
  // by the CSP before it is sent (Chromium reports those as failed 'csp').
  const network = new Map();
  // Requests to the stand-in portal come from its window only (checked
  // below: never from an envelope page).
  const portalFromEnvelope = [];
  context.on('request', (req) => {
    if (req.url().startsWith(portal.base + '/')) {
      let from = '';
      try {
        from = req.frame().page().url();
      } catch (e) {
        from = '';
      }
      if (from.startsWith('file:')) portalFromEnvelope.push(req.url());
      return;
    }
    if (attackerBase && req.url().startsWith(attackerBase + '/')) return;  // the attack test's own pages
    if (/^https?:/.test(req.url())) network.set(req, 'sent');
  });
  context.on('requestfailed', (req) => {
    if (network.has(req) && req.failure()?.errorText === 'csp') network.set(req, 'csp');
  });
  try {
    await run(context, expected, url, args.out);
    await runPortal(context, expected, url, portal);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
    portal.close();
  }
  check(portalFromEnvelope.length === 0, 'the envelope page itself sent nothing to the portal', portalFromEnvelope);
  const sent = [...network].filter(([, how]) => how !== 'csp').map(([req]) => req.url());
  const blocked = [...network].filter(([, how]) => how === 'csp').map(([req]) => req.url());
  check(sent.length === 0, 'no network request left the browser', sent);
  check(blocked.includes('https://tracker.example.com/pixel.png'), 'the remote image was stopped by the CSP', blocked);
  console.log(`# ${checks - failures}/${checks} checks passed`);
  process.exit(failures === 0 ? 0 : 1);
}

async function newPage(context) {
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Content Security Policy|sandboxed|Not allowed to load local resource|net::ERR_/.test(m.text())) {
      problems.push('console: ' + m.text());
    }
  });
  return { page, problems };
}

async function openWith(page, passphrase) {
  await page.fill('#seal-passphrase', passphrase);
  await page.click('#seal-open');
  await page.waitForFunction(() => ['open', 'error'].includes(document.body.dataset.state),
    null, { timeout: 60000 });
  return page.evaluate(() => ({ state: document.body.dataset.state,
    error: document.body.dataset.error || '',
    message: document.getElementById('seal-error')?.textContent || '' }));
}

async function run(context, expected, url, outDir) {
  // ---- the good envelope -------------------------------------------------
  {
    const { page, problems } = await newPage(context);
    await page.goto(url('ok.html'));
    await page.evaluate(() => {
      window.__sealMessages = [];
      window.addEventListener('message', (e) => window.__sealMessages.push(String(e.data)));
    });
    check(await page.isVisible('#seal-unlock'), 'passphrase form shown');
    check((await page.textContent('.org')).trim() === expected.organization, 'branding: organisation name');
    check(await page.getAttribute('.brand-link', 'href') === 'https://www.example.com', 'branding: link');
    check((await page.textContent('.facts dd')).trim() === expected.sender, 'sender shown before opening');
    check(await page.isVisible('#seal-online'), 'online form shown');
    check(await page.getAttribute('#seal-online', 'action') === expected.portal_action, 'online form posts to PORTAL/open');
    check(await page.isVisible('#seal-portal-open'), '"Open with the portal" shown (portal slot)');
    const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    check(/^default-src 'none'; script-src 'sha256-[A-Za-z0-9+/]+=*'; style-src 'unsafe-inline'; img-src data: blob:; frame-src blob:; form-action https:\/\/portal\.example\.com; base-uri 'none'$/.test(csp), 'CSP', csp);

    // Typed in capitals with spaces: generated passphrases forgive that.
    const typed = expected.passphrase.toUpperCase().replace(/-/g, ' ');
    const t0 = Date.now();
    const result = await openWith(page, typed);
    check(result.state === 'open', 'opens with the passphrase', result);
    console.log(`# key derivation and decryption took ${Date.now() - t0} ms`);
    check((await page.textContent('#seal-subject')) === expected.subject, 'non-ASCII subject (RFC 2047)', await page.textContent('#seal-subject'));
    const fields = await page.textContent('#seal-fields');
    check(fields.includes('Renée Müller <renee@example.com>'), 'From decoded', fields);
    check(fields.includes('carol@example.org'), 'Cc shown');
    check(await page.title() === expected.subject + ' · Secure message', 'page title', await page.title());

    // The HTML part: sandboxed iframe, no scripts.
    const frameEl = await page.$('#seal-body iframe');
    check(frameEl !== null, 'HTML part rendered in an iframe');
    check(await frameEl.getAttribute('sandbox') === '', 'iframe sandbox="" (no scripts, no same-origin)');
    check((await frameEl.getAttribute('src')).startsWith('blob:'), 'iframe loads a blob: URL');
    const frame = await frameEl.contentFrame();
    await frame.waitForSelector('#greeting');
    const greeting = await frame.textContent('#greeting');
    check(greeting === 'Hello Bob — Grüße, 日本語 😀', 'HTML text decoded (UTF-8, base64)', greeting);
    check(!greeting.includes('SCRIPT RAN'), 'the <script> in the message did not run');
    const color = await frame.$eval('#greeting', (e) => getComputedStyle(e).color);
    check(color === 'rgb(176, 0, 32)', 'the message\'s own styles apply', color);
    const chart = await frame.$eval('#chart', (e) => ({ w: e.naturalWidth, src: e.src.slice(0, 22) }));
    check(chart.w === 24 && chart.src === 'data:image/png;base64,', 'cid: image shown', chart);
    const remote = await frame.$eval('#remote', (e) => e.naturalWidth);
    check(remote === 0, 'remote image blocked');
    check(await page.isVisible('#seal-blocked'), 'blocked-content notice shown');
    await page.waitForTimeout(300);
    const messages = await page.evaluate(() => window.__sealMessages);
    check(messages.length === 0, 'no script or event handler in the message reached the page', messages);

    // Plain text view.
    check(await page.isVisible('#seal-switch'), 'view switch shown');
    await page.click('#seal-view-text');
    const text = await page.textContent('#seal-body pre');
    check(text === expected.text.replace(/\n/g, '\r\n'), 'plain text part', text);
    await page.click('#seal-view-html');

    // Attachments.
    const names = await page.$$eval('#seal-attachment-list .name', (els) => els.map((e) => e.textContent));
    check(JSON.stringify(names) === JSON.stringify(expected.attachments.map((a) => a.name)), 'attachment names (RFC 2231)', names);
    for (const [i, a] of expected.attachments.entries()) {
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.click(`#seal-attachment-list li:nth-child(${i + 1}) a`),
      ]);
      const saved = fs.readFileSync(await download.path());
      check(saved.equals(Buffer.from(a.base64, 'base64')), `download ${a.name}: content matches`);
      check(download.suggestedFilename() === a.name, `download ${a.name}: file name`, download.suggestedFilename());
    }
    const actions = await page.$$eval('#seal-actions a', (els) => els.map((e) => [e.textContent, e.getAttribute('href').slice(0, 40)]));
    check(actions.length === 3 && actions[0][1].startsWith('mailto:renee@example.com?subject=Re%3A'), 'reply actions', actions);
    check(await page.isVisible('#seal-actions button'), 'close button shown');

    await page.screenshot({ path: path.join(outDir, 'envelope-open.png'), fullPage: true });
    check(problems.length === 0, 'no page errors', problems);
    await page.close();
  }

  // ---- refusals ----------------------------------------------------------
  const refusals = [
    ['ok.html', 'not-the-passphrase', 'ui.error_passphrase', 'That passphrase is not correct'],
    ['tampered.html', expected.passphrase, 'ui.error_tampered', 'This file has been changed or damaged'],
    ['tampered-meta.html', expected.passphrase, 'ui.error_tampered', 'This file has been changed or damaged'],
  ];
  for (const [file, passphrase, key, text] of refusals) {
    const { page, problems } = await newPage(context);
    await page.goto(url(file));
    const result = await openWith(page, passphrase);
    check(result.state === 'error' && result.error === key && result.message.startsWith(text),
      `${file}: refused with ${key}`, result);
    check(await page.isHidden('#seal-message'), `${file}: nothing shown`);
    check(problems.length === 0, `${file}: no page errors`, problems);
    await page.close();
  }
  {
    const { page } = await newPage(context);
    await page.goto(url('expired.html'));
    await page.waitForFunction(() => document.body.dataset.state === 'error');
    const err = await page.textContent('#seal-error');
    check(await page.evaluate(() => document.body.dataset.error) === 'ui.error_expired' && err.startsWith('This message expired on'), 'expired.html: refused as expired', err);
    check(await page.isHidden('#seal-unlock'), 'expired.html: no passphrase form');
    await page.close();
  }

  // ---- French page ---------------------------------------------------------
  {
    const { page } = await newPage(context);
    await page.goto(url('fr.html'));
    check(await page.getAttribute('html', 'lang') === 'fr', 'fr.html: lang="fr"');
    check((await page.textContent('h1')) === 'Message sécurisé', 'fr.html: French title');
    const result = await openWith(page, 'faux');
    check(result.message.startsWith('Cette phrase secrète est incorrecte'), 'fr.html: French error', result.message);
    await page.close();
  }

  // ---- JS-free variant -------------------------------------------------------
  {
    const { page } = await newPage(context);
    await page.goto(url('jsfree.html'));
    check((await page.$$('script:not([type])')).length === 0, 'jsfree.html: no script');
    check(await page.isVisible('#seal-online'), 'jsfree.html: online form shown');
    check(await page.getAttribute('#seal-online', 'action') === expected.portal_action, 'jsfree.html: form posts to PORTAL/open');
    check(await page.$('#seal-portal-open') === null, 'jsfree.html: no portal button (it needs the script)');
    check(await page.$$eval('script', (els) => els.filter((e) => e.type !== 'application/json').length) === 0, 'jsfree.html: no executable script element');
    const fields = await page.$$eval('#seal-online [name], [form="seal-online"]', (els) => els.map((e) => e.getAttribute('name')));
    check(fields.includes('envelope') && fields.includes('ciphertext'), 'jsfree.html: form carries metadata and ciphertext', fields);
    check(await page.evaluate(() => document.body.dataset.state) === 'locked', 'jsfree.html: stays static');
    await page.close();
  }

  // ---- no portal: passphrase only ----------------------------------------
  {
    const { page, problems } = await newPage(context);
    await page.goto(url('noportal.html'));
    check(await page.isVisible('#seal-unlock'), 'noportal.html: passphrase form shown');
    check(await page.$('#seal-portal-open') === null, 'noportal.html: no portal button');
    check(await page.$('#seal-online') === null, 'noportal.html: no online form');
    const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    check(csp.includes("form-action 'none'"), 'noportal.html: CSP allows no form target', csp);
    const result = await openWith(page, expected.passphrase);
    check(result.state === 'open', 'noportal.html: opens with the passphrase', result);
    check(problems.length === 0, 'noportal.html: no page errors', problems);
    await page.close();
  }

  // ---- a 25 MB message ---------------------------------------------------
  {
    const { page, problems } = await newPage(context);
    await page.goto(url('large.html'));
    const t0 = Date.now();
    const result = await openWith(page, expected.passphrase);
    check(result.state === 'open', `large.html: ${(expected.large.message_size / 1e6).toFixed(1)} MB message opens`, result);
    console.log(`# large.html: opened in ${Date.now() - t0} ms`);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('#seal-attachment-list li:first-child a'),
    ]);
    const saved = fs.readFileSync(await download.path());
    check(saved.length === expected.large.size &&
      crypto.createHash('sha256').update(saved).digest('hex') === expected.large.sha256,
    'large.html: 18 MiB attachment downloads intact');
    check(problems.length === 0, 'large.html: no page errors', problems);
    await page.close();
  }

  // ---- remember the passphrase on this device -------------------------------
  {
    const { page } = await newPage(context);
    await page.goto(url('remember.html'));
    check(await page.isVisible('#seal-remember'), 'remember.html: remember checkbox shown');
    await page.check('#seal-remember');
    const first = await openWith(page, '  Correct Horse Battery ');
    check(first.state === 'open', 'remember.html: opens (stored passphrase, trimmed)', first);
    await page.goto(url('remember.html'));
    await page.waitForFunction(() => document.body.dataset.state === 'open', null, { timeout: 60000 })
      .then(() => check(true, 'remember.html: reopens with the remembered key'),
        () => check(false, 'remember.html: reopens with the remembered key'));
    await page.close();
  }

  // ---- one slot per recipient, different labels ----------------------------
  for (const typed of [' Bob Passphrase One', 'CAROL PASS TWO', 'Dave Three']) {
    const { page, problems } = await newPage(context);
    await page.goto(url('multi.html'));
    check(await page.$('#seal-remember') === null, 'multi.html: nothing to remember (labels differ)');
    const result = await openWith(page, typed);
    check(result.state === 'open', `multi.html: opens with "${typed}"`, result);
    check(problems.length === 0, 'multi.html: no page errors', problems);
    await page.close();
  }
  {
    const { page } = await newPage(context);
    await page.goto(url('multi.html'));
    const result = await openWith(page, 'Bob Passphrase Two');
    check(result.state === 'error' && result.error === 'ui.error_passphrase',
      'multi.html: another passphrase is refused', result);
    await page.close();
  }
}

// ---- the stand-in portal ------------------------------------------------

const RELEASE_INFO = 'sealmilter-portal-release-v1';
const CSRF = 'csrf-token-for-the-test';
let attackerBase = null;  // the attacker's server while the attack test runs
// The stand-in's texts for the confirmation (sealportal's are localized).
const STANDIN = { cancelled: 'CANCELLED: nothing released', originNull: 'NULL: a file or a hidden page',
  originFramed: 'FRAMED: a frame in another page' };

// A /release page and /api/release as sealportal serves them
// (release_protocol.md), with the real portal/assets/release.js. `mode`
// picks the answer: ok, noreply, revoked, expired, csrf (the page carries
// a wrong token), garbage (a release that does not unwrap), hang (the API
// never answers), login (a page without the script, like the login form),
// refused (a refusal page with data-error, as sealportal serves for a
// revoked envelope).
function startPortal() {
  const releaseJs = fs.readFileSync(path.join(here, '..', '..', 'portal', 'assets', 'release.js'));
  const portal = { mode: 'ok', key: null, api: [], base: '', hanging: [] };
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://127.0.0.1');
    const headers = { 'Content-Security-Policy': "default-src 'none'; script-src 'self'; connect-src 'self'",
      'Cross-Origin-Opener-Policy': 'unsafe-none', 'Cache-Control': 'no-store' };
    if (req.method === 'GET' && u.pathname === '/assets/release.js') {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript; charset=utf-8' });
      return res.end(releaseJs);
    }
    if (req.method === 'GET' && u.pathname === '/release') {
      const id = (u.searchParams.get('id') || '').replace(/[^0-9a-f]/g, '');
      portal.lang = u.searchParams.get('lang');
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html; charset=utf-8' });
      if (portal.mode === 'refused') {
        return res.end('<!DOCTYPE html><html><body>' +
          `<main id="release" data-envelope-id="${id}" data-error="not_recipient" data-error-text="REFUSED: not for you">` +
          '<p class="message">REFUSED: not for you</p></main><script src="/assets/release.js"></script></body></html>');
      }
      if (portal.mode === 'login') {
        return res.end('<!DOCTYPE html><title>Sign in</title><main><form>Sign in</form></main>');
      }
      const token = portal.mode === 'csrf' ? 'not-the-token' : CSRF;
      return res.end('<!DOCTYPE html><html><head><title>Release</title></head><body>' +
        `<main id="release" data-envelope-id="${id}" data-csrf="${token}" data-api="/api/release" ` +
        'data-ready="1" data-done-text="DONE: close this window" data-error-text="RELEASE FAILED" ' +
        `data-cancelled-text="${STANDIN.cancelled}" data-origin-null-text="${STANDIN.originNull}" ` +
        `data-origin-framed-text="${STANDIN.originFramed}">` +
        '<p id="release-status">Working</p>' +
        '<section id="release-confirm" hidden><p>Someone asks</p><dl><dt>Asked by</dt><dd id="release-origin"></dd></dl>' +
        '<button type="button" id="release-confirm-open" disabled>Open the message</button>' +
        '<button type="button" id="release-confirm-cancel">Cancel</button></section>' +
        '</main><script src="/assets/release.js"></script></body></html>');
    }
    if (req.method === 'POST' && u.pathname === '/api/release') {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => apiRelease(portal, req, res, Buffer.concat(chunks)));
      return undefined;
    }
    res.writeHead(404, headers);
    return res.end('not found');
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      portal.base = 'http://127.0.0.1:' + server.address().port;
      portal.close = () => {
        portal.hanging.forEach((r) => r.destroy());
        server.close();
      };
      resolve(portal);
    });
  });
}

function apiRelease(portal, req, res, raw) {
  const reply = (status, obj) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(obj));
  };
  let body = null;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    body = null;
  }
  portal.api.push({ headers: req.headers, body: body });
  if (req.headers['x-csrf-token'] !== CSRF) return reply(403, { error: 'csrf', message: 'portal: bad token' });
  if (!body || req.headers['content-type'] !== 'application/json') return reply(400, { error: 'bad_request', message: 'portal: bad request' });
  if (portal.mode === 'revoked') return reply(410, { error: 'revoked', message: 'portal: withdrawn by the sender' });
  if (portal.mode === 'expired') return reply(410, { error: 'expired', message: 'portal: expired' });
  if (portal.mode === 'hang') {
    portal.hanging.push(res);
    return undefined;
  }
  try {
    const id = String(body.id);
    const iv = Buffer.from(body.iv, 'base64');
    const wrapped = Buffer.from(body.wrapped, 'base64');
    const d = crypto.createDecipheriv('aes-256-gcm', portal.key, iv);
    d.setAAD(Buffer.from('sealmilter-envelope:1:portal:' + id));
    d.setAuthTag(wrapped.subarray(32));
    const contentKey = Buffer.concat([d.update(wrapped.subarray(0, 32)), d.final()]);
    portal.contentKey = contentKey.toString('hex');
    const browserPub = Buffer.from(body.browser_public, 'base64');
    const ecdh = crypto.createECDH('prime256v1');
    const portalPub = ecdh.generateKeys();
    const kek = Buffer.from(crypto.hkdfSync('sha256', ecdh.computeSecret(browserPub),
      Buffer.from(id), Buffer.from(RELEASE_INFO), 32));
    const iv2 = crypto.randomBytes(12);
    const c = crypto.createCipheriv('aes-256-gcm', kek, iv2);
    const bar = Buffer.from('|');
    c.setAAD(Buffer.concat([Buffer.from(RELEASE_INFO), bar, Buffer.from(id), bar, portalPub, bar, browserPub]));
    const out = Buffer.concat([c.update(contentKey), c.final(), c.getAuthTag()]);
    if (portal.mode === 'garbage') out[5] ^= 1;  // well formed, does not unwrap
    const flags = portal.mode !== 'noreply';
    return reply(200, { portal_public: portalPub.toString('base64'), iv: iv2.toString('base64'),
      wrapped: out.toString('base64'), reply: flags, reply_all: flags, forward: flags });
  } catch (e) {
    return reply(500, { error: 'internal', message: 'portal: ' + e.message });
  }
}

async function pageState(page) {
  return page.evaluate(() => ({ state: document.body.dataset.state,
    error: document.body.dataset.error || '',
    message: document.getElementById('seal-error')?.textContent || '' }));
}

// Clicks "Open with the portal" and returns the popup.
async function openPortal(context, page) {
  const [popup] = await Promise.all([
    context.waitForEvent('page', { timeout: 10000 }),
    page.click('#seal-portal-open'),
  ]);
  return popup;
}

// The recipient confirms in the portal window, which asks before it
// releases anything; returns the requester it named.
async function confirmPortal(popup, button) {
  await popup.waitForSelector('#release-confirm', { state: 'visible', timeout: 15000 });
  const origin = await popup.textContent('#release-origin');
  await popup.click(button || '#release-confirm-open');
  return origin;
}

async function waitOutcome(page, timeout) {
  await page.waitForFunction(() => ['open', 'error'].includes(document.body.dataset.state),
    null, { timeout: timeout || 30000 });
  return pageState(page);
}

async function runPortal(context, expected, url, portal) {
  const metaOf = async (page) => JSON.parse(await page.textContent('#seal-metadata'));

  // ---- release, then the message is shown with portal reply links --------
  {
    portal.mode = 'ok';
    portal.api = [];
    const { page, problems } = await newPage(context);
    await page.goto(url('portal-live.html'));
    check(await page.isVisible('#seal-portal-open'), 'portal-live.html: portal button shown');
    check(await page.isVisible('#seal-unlock'), 'portal-live.html: passphrase form shown too');
    const meta = await metaOf(page);
    const popup = await openPortal(context, page);
    await popup.waitForSelector('#release-confirm', { state: 'visible', timeout: 15000 });
    await page.waitForTimeout(1500);
    check(portal.api.length === 0, 'portal: nothing is asked of the API before the recipient confirms', portal.api.length);
    check((await page.textContent('#seal-status')).startsWith('Confirm in the portal window'),
      'portal: the envelope page says to confirm in the portal window', await page.textContent('#seal-status'));
    check(await confirmPortal(popup) === STANDIN.originNull, 'portal: the confirmation names a file:// page as "null" in words');
    const result = await waitOutcome(page);
    check(result.state === 'open', 'portal: the message opens after the release', result);
    check(await page.getAttribute('#seal-message', 'data-via') === 'portal', 'portal: opened through the portal');
    check(popup.url().startsWith(portal.base + '/release?id=' + meta.id + '&lang=en'), 'portal: window opened on /release?id=ID&lang=en', popup.url());
    check((await page.textContent('#seal-subject')) === expected.subject, 'portal: subject');
    if (result.state !== 'open') {
      check(false, 'portal: the flow stops here', result);
      await popup.close();
      await page.close();
      return;
    }
    const frame = await (await page.$('#seal-body iframe')).contentFrame();
    await frame.waitForSelector('#greeting');
    check((await frame.textContent('#greeting')) === 'Hello Bob — Grüße, 日本語 😀', 'portal: HTML part shown');
    await page.click('#seal-view-text');
    check((await page.textContent('#seal-body pre')) === expected.text.replace(/\n/g, '\r\n'), 'portal: text part');
    const names = await page.$$eval('#seal-attachment-list .name', (els) => els.map((e) => e.textContent));
    check(JSON.stringify(names) === JSON.stringify(expected.attachments.map((a) => a.name)), 'portal: attachments listed', names);
    const [download] = await Promise.all([page.waitForEvent('download'),
      page.click('#seal-attachment-list li:nth-child(1) a')]);
    check(fs.readFileSync(await download.path()).equals(Buffer.from(expected.attachments[0].base64, 'base64')), 'portal: attachment downloads intact');

    const api = portal.api[0] || { body: {}, headers: {} };
    const slot = meta.slots.find((x) => x.type === 'portal');
    const pub = Buffer.from(String(api.body.browser_public), 'base64');
    check(portal.api.length === 1, 'portal: one API call', portal.api.length);
    check(api.body.id === meta.id && api.body.key_id === slot.key_id && api.body.iv === slot.iv &&
      api.body.wrapped === slot.wrapped, 'portal: the request carries the portal slot', api.body);
    check(pub.length === 65 && pub[0] === 4, 'portal: browser key is a raw P-256 point', pub.length);
    check(api.headers['x-csrf-token'] === CSRF && api.headers['content-type'] === 'application/json', 'portal: CSRF header and JSON');
    const links = await page.$$eval('#seal-actions a[data-portal-reply]', (els) => els.map((e) => [e.dataset.portalReply, e.getAttribute('href'), e.target]));
    const replyHref = (mode) => portal.base + '/reply?id=' + meta.id + '&mode=' + mode + '&subject=' + encodeURIComponent(expected.subject);
    check(JSON.stringify(links) === JSON.stringify(['reply', 'reply_all', 'forward'].map((m) => [m, replyHref(m), '_blank'])), 'portal: reply, reply all and forward go to PORTAL/reply', links);
    check(await page.$$eval('#seal-actions a[href^="mailto:"]', (els) => els.length) === 0, 'portal: no mailto links');
    await popup.waitForFunction(() => document.getElementById('release').dataset.state === 'done', null, { timeout: 10000 })
      .catch(() => {});
    check((await popup.textContent('#release-status')) === 'DONE: close this window', 'portal: the portal window says it is done');
    check(problems.length === 0, 'portal: no page errors', problems);
    await popup.close();
    await page.close();
  }

  // ---- portal-only envelope, release without reply rights -------------------
  {
    portal.mode = 'noreply';
    portal.api = [];
    const { page, problems } = await newPage(context);
    await page.goto(url('portal-only.html'));
    check(await page.isHidden('#seal-unlock'), 'portal-only.html: no passphrase form');
    check(await page.isVisible('#seal-portal-open'), 'portal-only.html: portal button shown');
    const popup = await openPortal(context, page);
    await confirmPortal(popup);
    const result = await waitOutcome(page);
    check(result.state === 'open', 'portal-only.html: opens through the portal', result);
    check(await page.$$eval('#seal-actions a[data-portal-reply]', (els) => els.length) === 0, 'portal-only.html: no reply links when the release says no');
    check(problems.length === 0, 'portal-only.html: no page errors', problems);
    await popup.close();
    await page.close();
  }

  // ---- refusals the page explains --------------------------------------------
  const refusals = [
    ['revoked', 'ui.portal_error_revoked', 'The sender has withdrawn this message', 'portal: withdrawn by the sender'],
    ['expired', 'ui.portal_error_expired', 'This message has expired', 'portal: expired'],
    ['csrf', 'ui.portal_error_csrf', 'The portal refused the request', 'portal: bad token'],
    ['garbage', 'ui.portal_error_unwrap', 'The key from the portal does not fit', 'DONE: close this window'],
  ];
  for (const [mode, key, text, popupText] of refusals) {
    portal.mode = mode;
    const { page, problems } = await newPage(context);
    await page.goto(url('portal-live.html'));
    const popup = await openPortal(context, page);
    await confirmPortal(popup);
    const result = await waitOutcome(page);
    check(result.state === 'error' && result.error === key && result.message.startsWith(text),
      `portal ${mode}: refused with ${key}`, result);
    check(await page.isHidden('#seal-message'), `portal ${mode}: nothing shown`);
    await popup.waitForFunction(() => ['done', 'error'].includes(document.getElementById('release').dataset.state), null, { timeout: 10000 }).catch(() => {});
    check((await popup.textContent('#release-status')) === popupText, `portal ${mode}: the portal window says so`, await popup.textContent('#release-status'));
    check(problems.length === 0, `portal ${mode}: no page errors`, problems);
    await popup.close();
    await page.close();
  }

  // ---- a refusal page (the portal knows before any request) ----------------
  {
    portal.mode = 'refused';
    portal.api = [];
    const { page, problems } = await newPage(context);
    await page.goto(url('portal-live.html'));
    const popup = await openPortal(context, page);
    const result = await waitOutcome(page, 10000);
    check(result.error === 'ui.portal_error_not_recipient' && result.message.startsWith('The account you signed in with is not a recipient'),
      'portal refusal page: the envelope page says why', result);
    check(portal.api.length === 0, 'portal refusal page: no API call');
    check((await popup.textContent('body')) === 'REFUSED: not for you', 'portal refusal page: its text stays as it is', await popup.textContent('body'));
    check(problems.length === 0, 'portal refusal page: no page errors', problems);
    await popup.close();
    await page.close();
  }

  // ---- other windows are ignored; closing the portal window ------------------
  {
    portal.mode = 'login';
    const { page } = await newPage(context);
    await page.goto(url('portal-only.html'));
    const meta = await metaOf(page);
    const popup = await openPortal(context, page);
    await popup.waitForLoadState();
    // A forged answer from the page itself (not the portal window).
    await page.evaluate((id) => {
      window.postMessage({ type: 'sealportal-release', id: id, portal_public: 'AA==', iv: 'AA==', wrapped: 'AA==' }, '*');
      window.postMessage({ type: 'sealportal-error', id: id, error: 'revoked' }, '*');
    }, meta.id);
    await page.waitForTimeout(700);
    check((await pageState(page)).state === 'portal', 'portal: messages from another window are ignored', await pageState(page));
    await popup.close();
    const result = await waitOutcome(page, 5000);
    check(result.error === 'ui.portal_error_closed' && result.message.startsWith('The portal window was closed'), 'portal: closed window reported', result);
    // The button works again afterwards.
    portal.mode = 'ok';
    const again = await openPortal(context, page);
    await confirmPortal(again);
    const second = await waitOutcome(page);
    check(second.state === 'open', 'portal: a second attempt after an error opens', second);
    await again.close();
    await page.close();
  }

  // ---- the recipient chooses Cancel in the portal window ---------------------
  {
    portal.mode = 'ok';
    portal.api = [];
    const { page, problems } = await newPage(context);
    await page.goto(url('portal-live.html'));
    const popup = await openPortal(context, page);
    await confirmPortal(popup, '#release-confirm-cancel');
    const result = await waitOutcome(page, 10000);
    check(result.error === 'ui.portal_error_cancelled' && result.message.startsWith('You cancelled in the portal window'),
      'portal cancel: the envelope page says it was cancelled', result);
    check(portal.api.length === 0, 'portal cancel: no API call');
    check((await popup.textContent('#release-status')) === STANDIN.cancelled, 'portal cancel: the portal window says so');
    check(await page.isHidden('#seal-message'), 'portal cancel: nothing shown');
    check(problems.length === 0, 'portal cancel: no page errors', problems);
    await popup.close();
    await page.close();
  }

  // ---- the attack: a copy of the envelope and a page of someone else -------
  {
    portal.mode = 'ok';
    portal.api = [];
    portal.contentKey = null;
    const { page } = await newPage(context);
    await page.goto(url('portal-live.html'));
    const meta = await metaOf(page);
    await page.close();
    const attacker = await startAttacker();
    attackerBase = attacker.base;
    try {
      await runAttack(context, { check, attacker, portal: portal.base, meta,
        originFramedText: STANDIN.originFramed, cancelledText: STANDIN.cancelled,
        apiCalls: () => portal.api.length, contentKey: () => portal.contentKey });
    } finally {
      attacker.close();
    }
    check(portal.contentKey !== null, 'attack: the stand-in saw the one confirmed release');
  }

  // ---- a blocked pop-up ------------------------------------------------------
  {
    const { page } = await newPage(context);
    await page.goto(url('portal-live.html'));
    await page.evaluate(() => {
      window.open = () => null;
    });
    await page.click('#seal-portal-open');
    const result = await waitOutcome(page, 5000);
    check(result.error === 'ui.portal_error_popup' && result.message.startsWith('The portal window could not be opened'), 'portal: blocked pop-up reported', result);
    await page.close();
  }

  // ---- a portal that never answers (60 s) -------------------------------------
  {
    portal.mode = 'hang';
    const { page } = await newPage(context);
    await page.goto(url('portal-live.html'));
    const popup = await openPortal(context, page);
    await confirmPortal(popup);
    const t0 = Date.now();
    const result = await waitOutcome(page, 90000);
    const waited = Date.now() - t0;
    check(result.error === 'ui.portal_error_timeout' && result.message.startsWith('The portal did not answer in time') &&
      waited > 55000, 'portal: no answer for 60 s reported as a timeout', { result, waited });
    await popup.close();
    await page.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
