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
// JS-free variant and "remember the passphrase". Saves one screenshot of
// the opened message (envelope-open.png in the output directory).
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
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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
  const made = spawnSync(args.tool, [args.branding, args.out], { stdio: 'inherit' });
  if (made.status !== 0) {
    console.error('make_browser_envelopes failed');
    process.exit(1);
  }
  const expected = JSON.parse(fs.readFileSync(path.join(args.out, 'expected.json'), 'utf8'));
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
  context.on('request', (req) => {
    if (/^https?:/.test(req.url())) network.set(req, 'sent');
  });
  context.on('requestfailed', (req) => {
    if (network.has(req) && req.failure()?.errorText === 'csp') network.set(req, 'csp');
  });
  try {
    await run(context, expected, url, args.out);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
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
    check(await page.getAttribute('#seal-online', 'action') === expected.portal, 'online form posts to the portal');
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
    check(await page.getAttribute('#seal-online', 'action') === expected.portal, 'jsfree.html: form posts to the portal');
    const fields = await page.$$eval('#seal-online [name], [form="seal-online"]', (els) => els.map((e) => e.getAttribute('name')));
    check(fields.includes('envelope') && fields.includes('ciphertext'), 'jsfree.html: form carries metadata and ciphertext', fields);
    check(await page.evaluate(() => document.body.dataset.state) === 'locked', 'jsfree.html: stays static');
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
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
