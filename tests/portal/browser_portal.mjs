// Chromium test of "Open with the portal" against the real sealportal,
// driven by test_portal_browser.py (which starts the portal, the SMTP sink
// and a control server for captured mails, and writes spec.json).
//
// Flow, as a recipient would do it: open the envelope from file://, click
// "Open with the portal"; in the portal window register, confirm from the
// mailed link (another tab) and choose a password; click again, sign in in
// the portal window, which asks to confirm (naming the file:// page and the
// sender) and on "Open the message" releases the key: the envelope page
// shows the text, the HTML part and the attachment. Then: reply through the
// portal (the mail reaches the sink); the attack (a page of another origin
// and a sandboxed frame, holding a copy of the envelope, open the portal
// window while the recipient is signed in: nothing is released without the
// recipient's click; tests/browser/attacker.mjs); Cancel in the portal
// window is reported on the envelope page; security "high" asks for the
// password in the portal window first (and then the confirmation); a revoked and an expired envelope
// are refused with their messages; the JS-free envelope's "Open online"
// form shows the text on the portal; wrong passwords lock the sign-in
// (the right password is refused while locked).
//
// Usage: node browser_portal.mjs SPEC.json   (exit 0 passed, 1 failed)
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { startAttacker, runAttack } from '../browser/attacker.mjs';

const CHROMIUM = process.env.SEAL_TEST_CHROMIUM || '/usr/bin/chromium';
const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const P = spec.portal_strings;
const E = spec.envelope_strings;

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
  return ok;
}

async function loadPlaywright() {
  const dir = spec.node_modules;
  if (!fs.existsSync(path.join(dir, 'node_modules', 'playwright-core'))) {
    const npm = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
      cwd: dir, stdio: 'inherit',
      env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
    });
    if (npm.status !== 0) throw new Error('npm ci failed in ' + dir);
  }
  const mod = await import(pathToFileURL(path.join(dir, 'node_modules', 'playwright-core', 'index.mjs')).href);
  return mod.chromium;
}

let mailIndex = 0;
// The next mail to `to` captured by the sink (after the last one read).
async function nextMail(to) {
  const res = await fetch(`${spec.control}/mail?to=${encodeURIComponent(to)}&after=${mailIndex}&timeout=20`);
  if (!res.ok) throw new Error('no mail to ' + to);
  const mail = await res.json();
  mailIndex = mail.index + 1;
  return mail.raw;
}

// Quoted-printable soft breaks and =3D undone, enough to find a link.
function mailText(raw) {
  return raw.replace(/=\r?\n/g, '').replace(/=3D/gi, '=');
}

// Whether the mail carries `words` (plain, quoted-printable or base64).
function mailContains(raw, words) {
  if (mailText(raw).includes(words)) return true;
  return raw.split(/\r?\n\r?\n/).some((block) => {
    const b64 = block.replace(/\s+/g, '');
    return /^[A-Za-z0-9+/]+=*$/.test(b64) && Buffer.from(b64, 'base64').toString('utf8').includes(words);
  });
}

const fileUrl = (name) => pathToFileURL(spec.envelopes[name].path).href;

async function envelopeState(page) {
  return page.evaluate(() => ({ state: document.body.dataset.state,
    error: document.body.dataset.error || '',
    message: document.getElementById('seal-error')?.textContent || '' }));
}

async function waitOutcome(page, timeout) {
  try {
    await page.waitForFunction(() => ['open', 'error'].includes(document.body.dataset.state),
      null, { timeout: timeout || 30000 });
  } catch (e) {
    // reported by the caller's check
  }
  return envelopeState(page);
}

async function clickPortal(context, page) {
  const [popup] = await Promise.all([
    context.waitForEvent('page', { timeout: 10000 }),
    page.click('#seal-portal-open'),
  ]);
  await popup.waitForLoadState();
  return popup;
}

// The recipient confirms in the portal window (or cancels); returns what
// the window showed.
async function confirmPortal(popup, button) {
  await popup.waitForSelector('#release-confirm', { state: 'visible', timeout: 15000 });
  const shown = { origin: await popup.textContent('#release-origin'),
    sender: await popup.textContent('#release-sender').catch(() => '') };
  await popup.click(button || '#release-confirm-open');
  return shown;
}

async function bodyText(page) {
  return (await page.textContent('body')) || '';
}

function watch(page, problems) {
  page.on('pageerror', (e) => problems.push(page.url() + ' pageerror: ' + e.message));
}

async function login(page, email, password) {
  await page.fill('#email', email);
  await page.fill('#password', password);
  await Promise.all([page.waitForLoadState(), page.click('main form button[type=submit]')]);
}

async function run(chromium) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 900 } });
  const problems = [];
  context.on('page', (p) => watch(p, problems));
  try {
    await mainFlow(context);
    await attackFlow(context);
    await cancelFlow(context);
    await highFlow(context);
    await refusals(context);
    await jsFree(context);
    const locked = await browser.newContext();
    await lockout(locked);
    await locked.close();
  } finally {
    await context.close();
    await browser.close();
  }
  check(problems.length === 0, 'no page errors', problems);
}

async function mainFlow(context) {
  const page = await context.newPage();
  await page.goto(fileUrl('main'));
  check(await page.isVisible('#seal-portal-open'), 'main: "Open with the portal" shown');

  // First visit: no account. The portal window asks to sign in; register.
  let popup = await clickPortal(context, page);
  check(/\/login\?next=/.test(popup.url()), 'main: the portal window asks to sign in', popup.url());
  await Promise.all([popup.waitForLoadState(), popup.click('a[href="/register"]')]);
  await popup.fill('#email', spec.recipient);
  await Promise.all([popup.waitForLoadState(), popup.click('main form button[type=submit]')]);
  check((await bodyText(popup)).includes(P['register.sent']), 'main: registration answered');
  const mail = mailText(await nextMail(spec.recipient));
  const link = (mail.match(/https?:\/\/[^\s"<>]+\/confirm\?t=[A-Za-z0-9_-]+[^\s"<>]*/) || [''])[0];
  check(link.startsWith(spec.url + '/confirm?t='), 'main: confirmation mail with a link', link);

  // The link is opened from the mailbox, in another tab.
  const tab = await context.newPage();
  await tab.goto(link);
  await tab.fill('#password', spec.password);
  await tab.fill('#password2', spec.password);
  await Promise.all([tab.waitForLoadState(), tab.click('main form button[type=submit]')]);
  check((await bodyText(tab)).includes(P['confirm.done']) || /\/login/.test(tab.url()),
    'main: password set', await bodyText(tab));
  await tab.close();

  // The first portal window was used up; closing it is reported.
  await popup.close();
  const closed = await waitOutcome(page, 5000);
  check(closed.error === 'ui.portal_error_closed', 'main: closed portal window reported', closed);

  // Again: sign in in the portal window, which then releases the key.
  popup = await clickPortal(context, page);
  check(/\/login\?next=/.test(popup.url()), 'main: sign-in asked again', popup.url());
  await login(popup, spec.recipient, spec.password);
  const confirmation = await confirmPortal(popup).catch((e) => ({ error: e.message }));
  check(confirmation.origin === P['release.origin_null'] && confirmation.sender === spec.sender,
    'main: the portal window asks to confirm, naming the file:// page and the sender', confirmation);
  const result = await waitOutcome(page, 30000);
  if (!check(result.state === 'open', 'main: the message opens after signing in', { result, popup: popup.url(), text: await bodyText(popup) })) {
    return;
  }
  check(await page.getAttribute('#seal-message', 'data-via') === 'portal', 'main: opened through the portal');
  await popup.waitForFunction(() => document.getElementById('release')?.dataset.state === 'done', null, { timeout: 10000 }).catch(() => {});
  check((await popup.textContent('#release-status')) === P['release.done'], 'main: the portal window says it is done', await bodyText(popup));
  const frameEl = await page.$('#seal-body iframe');
  if (check(frameEl !== null, 'main: HTML part in a sandboxed frame')) {
    const frame = await frameEl.contentFrame();
    await frame.waitForSelector('#greeting');
    check((await frame.textContent('#greeting')) === 'Hello Bob, from the HTML part', 'main: HTML part shown');
  }
  if (await page.isVisible('#seal-view-text')) await page.click('#seal-view-text');
  const text = (await page.textContent('#seal-body pre')) || '';
  check(text.replace(/\r\n/g, '\n').includes(spec.text.trim()), 'main: text part shown', text);
  const names = await page.$$eval('#seal-attachment-list .name', (els) => els.map((e) => e.textContent));
  check(names.includes(spec.attachment.name), 'main: attachment listed', names);
  const index = names.indexOf(spec.attachment.name) + 1;
  if (index > 0) {
    const [download] = await Promise.all([page.waitForEvent('download'),
      page.click(`#seal-attachment-list li:nth-child(${index}) a`)]);
    check(fs.readFileSync(await download.path()).equals(Buffer.from(spec.attachment.base64, 'base64')),
      'main: attachment downloads intact');
  }
  await popup.close();

  // Reply through the portal.
  const replyLink = await page.$('#seal-actions a[data-portal-reply="reply"]');
  if (check(replyLink !== null, 'main: portal reply link shown')) {
    const [form] = await Promise.all([context.waitForEvent('page'), replyLink.click()]);
    await form.waitForLoadState();
    check(form.url().startsWith(spec.url + '/reply?id=' + spec.envelopes.main.id + '&mode=reply'), 'main: reply form opened', form.url());
    const words = 'Thanks, the draft is fine: reply ' + Date.now();
    await form.fill('#text', words);
    await Promise.all([form.waitForLoadState(), form.click('form[action="/reply"] button[type=submit]')]);
    check((await bodyText(form)).includes(P['reply.sent']), 'main: reply sent', await bodyText(form));
    const sent = await nextMail(spec.sender);
    check(mailContains(sent, words), 'main: the reply reached the sender', sent.slice(0, 600));
    await form.close();
  }
  await page.close();
}

// Security "high": the portal window asks for the password again.
async function highFlow(context) {
  const page = await context.newPage();
  await page.goto(fileUrl('high'));
  const popup = await clickPortal(context, page);
  check(await popup.isVisible('#password'), 'high: the portal asks for the password again', await bodyText(popup));
  await popup.fill('#password', 'wrong password, surely');
  await Promise.all([popup.waitForLoadState(), popup.click('main form button[type=submit]')]);
  check((await envelopeState(page)).state === 'portal', 'high: a wrong password releases nothing');
  await popup.fill('#password', spec.password);
  await Promise.all([popup.waitForLoadState(), popup.click('main form button[type=submit]')]);
  await confirmPortal(popup).catch(() => {});
  const result = await waitOutcome(page, 30000);
  check(result.state === 'open', 'high: opens after the password', { result, text: await bodyText(popup) });
  await popup.close();
  await page.close();
}

// The recipient is signed in (mainFlow); a page of someone who holds a
// copy of the envelope plays the envelope's part with its own key.
async function attackFlow(context) {
  const page = await context.newPage();
  await page.goto(fileUrl('main'));
  const meta = JSON.parse(await page.textContent('#seal-metadata'));
  await page.close();
  const attacker = await startAttacker();
  try {
    await runAttack(context, { check, attacker, portal: spec.url, meta,
      originFramedText: P['release.origin_framed'], cancelledText: P['release.cancelled'] });
  } finally {
    attacker.close();
  }
}

// Cancel in the portal window: the envelope page says so, nothing opens.
async function cancelFlow(context) {
  const page = await context.newPage();
  await page.goto(fileUrl('main'));
  const popup = await clickPortal(context, page);
  await confirmPortal(popup, '#release-confirm-cancel').catch(() => {});
  const result = await waitOutcome(page, 10000);
  check(result.error === 'ui.portal_error_cancelled' && result.message === E['ui.portal_error_cancelled'],
    'cancel: the envelope page says it was cancelled', result);
  check(await page.isHidden('#seal-message'), 'cancel: nothing shown');
  check((await popup.textContent('#release-status')) === P['release.cancelled'], 'cancel: the portal window says so',
    await bodyText(popup));
  await popup.close();
  await page.close();
}

async function refusals(context) {
  for (const [name, key, portalKey] of [['revoked', 'ui.portal_error_revoked', 'release.revoked'],
    ['expired', 'ui.portal_error_expired', 'release.expired']]) {
    const page = await context.newPage();
    await page.goto(fileUrl(name));
    const popup = await clickPortal(context, page);
    check((await bodyText(popup)).includes(P[portalKey]), `${name}: the portal window refuses it`, await bodyText(popup));
    const result = await waitOutcome(page, 5000);
    check(result.state === 'error' && result.error === key && result.message === E[key],
      `${name}: the envelope page says so`, result);
    check(await page.isHidden('#seal-message'), `${name}: nothing shown`);
    await popup.close();
    await page.close();
  }
}

async function jsFree(context) {
  const page = await context.newPage();
  await page.goto(fileUrl('jsfree'));
  check(await page.$$eval('script', (els) => els.filter((e) => e.type !== 'application/json').length) === 0, 'jsfree: no script');
  check(await page.getAttribute('#seal-online', 'action') === spec.url + '/open', 'jsfree: the form posts to PORTAL/open');
  const [shown] = await Promise.all([context.waitForEvent('page'), page.click('#seal-online button[type=submit]')]);
  await shown.waitForLoadState();
  const text = await bodyText(shown);
  check(text.includes('the contract draft is attached'), 'jsfree: the portal shows the text', { url: shown.url(), text: text.slice(0, 400) });
  await shown.close();
  await page.close();
}

async function lockout(context) {
  const page = await context.newPage();
  await page.goto(spec.url + '/login');
  let locked = false;
  for (let i = 0; i < spec.lockout_failures + 1 && !locked; i++) {
    await login(page, spec.recipient, 'not the password ' + i);
    locked = (await bodyText(page)).includes(P['login.locked']);
  }
  check(locked, 'lockout: wrong passwords lock the sign-in');
  await login(page, spec.recipient, spec.password);
  check((await bodyText(page)).includes(P['login.locked']), 'lockout: the right password is refused while locked');
  await page.close();
}

async function main() {
  const chromium = await loadPlaywright();
  await run(chromium);
  console.log(`# ${checks - failures}/${checks} checks passed`);
  process.exit(failures === 0 && checks > 0 ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
