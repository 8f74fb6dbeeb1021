// sealmilter secure envelope opener (format: sealmilter.envelope(5)).
//
// Runs inside the envelope page; the page's CSP allows this script only (by
// its sha256). It reads the metadata and ciphertext elements, derives the
// key-encryption key from the passphrase with PBKDF2-SHA256 (WebCrypto),
// unwraps the content key, decrypts the message with AES-256-GCM (the
// metadata text is the additional data), parses the MIME message and shows
// it: plain text in a <pre>, HTML in a sandboxed iframe without scripts
// (blob: URL, sandbox="", and a CSP of its own), attachments as downloads.
// Nothing is sent over the network on this path.
//
// "Open with the portal" (envelopes with a portal slot): the page makes an
// ephemeral ECDH P-256 key pair (private key not extractable), opens the
// portal's /release page in a new window and, when that page announces
// itself by postMessage, sends it the portal slot and the public key
// (targetOrigin: the portal's origin). After the recipient signs in and
// confirms there that this page may open the message ("sealportal-confirm"
// while it asks; "cancelled" if not), the portal answers with the content
// key wrapped for this key pair (ECDH,
// HKDF-SHA256, AES-GCM; portal/key_release.h); the page unwraps it and
// decrypts as on the passphrase path. The message never reaches the portal.
//
// Known limits: expiry is checked against this computer's clock and is
// advisory (anyone with the file and the passphrase can get round it; the
// portal enforces expiry); the whole message is held in memory; links in
// HTML messages do not open (the sandbox blocks navigation); S/MIME and
// PGP parts inside the message are offered as attachments; TNEF
// (winmail.dat) is not decoded.
'use strict';
(function () {
  const FORMAT = 'sealmilter-envelope';
  const MIN_ITERATIONS = 600000;
  const MAX_ITERATIONS = 10000000;
  const MAX_DEPTH = 20;
  const FRAME_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";
  const doc = document;
  const $ = (id) => doc.getElementById(id);
  const has = (o, k) => Object.prototype.hasOwnProperty.call(o, k);
  const encoder = new TextEncoder();
  const lang = doc.documentElement.lang || 'en';

  // ---- strings and status --------------------------------------------

  let strings = {};
  try {
    strings = JSON.parse($('seal-strings').textContent);
  } catch (e) {
    strings = {};
  }

  function t(key, vars) {
    const text = has(strings, key) ? strings[key] : key;
    return text.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (m, name) =>
      vars && has(vars, name) ? String(vars[name]) : '');
  }

  function setState(state, error) {
    doc.body.dataset.state = state;
    if (error) {
      doc.body.dataset.error = error;
    } else {
      delete doc.body.dataset.error;
    }
  }

  function showStatus(text) {
    const el = $('seal-status');
    if (el) el.textContent = text;
  }

  function showError(key, vars) {
    showStatus('');
    const el = $('seal-error');
    if (el) {
      el.textContent = t(key, vars);
      el.hidden = false;
    }
    setState('error', key);
  }

  function clearError() {
    const el = $('seal-error');
    if (el) {
      el.textContent = '';
      el.hidden = true;
    }
  }

  function formatDate(value) {
    const d = new Date(value);
    if (isNaN(d.getTime())) return String(value);
    try {
      return d.toLocaleString(lang, { dateStyle: 'long', timeStyle: 'short' });
    } catch (e) {
      return d.toString();
    }
  }

  function formatSize(n) {
    if (n < 1024) return n + ' B';
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KB';
    return (n / (1024 * 1024)).toFixed(1) + ' MB';
  }

  // ---- bytes ---------------------------------------------------------

  class OpenError extends Error {
    constructor(kind) {
      super(kind);
      this.kind = kind;
    }
  }

  // Base64 (ASCII whitespace ignored, as atob does) to bytes.
  function base64Bytes(text) {
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  // Bytes to a "binary string" (one char per byte) and back.
  function toBinary(bytes) {
    const chunks = [];
    for (let i = 0; i < bytes.length; i += 0x8000) {
      chunks.push(String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000)));
    }
    return chunks.join('');
  }

  function fromBinary(bin) {
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i) & 0xff;
    return out;
  }

  function decodeBytes(bytes, charset) {
    let label = String(charset || 'utf-8').trim().toLowerCase();
    if (label === 'us-ascii' || label === 'ascii' || label === '') label = 'windows-1252';
    try {
      return new TextDecoder(label).decode(bytes);
    } catch (e) {
      return new TextDecoder('utf-8').decode(bytes);
    }
  }

  // ---- key derivation and decryption -----------------------------------

  // Must match NormalizePassphrase() in lib/envelope/key_slots.cc.
  function normalizePassphrase(typed, mode) {
    if (mode === 'generated-v1') {
      return typed.replace(/[ \t\r\n\f\v-]/g, '').replace(/[A-Z]/g,
        (c) => c.toLowerCase());
    }
    return typed.replace(/^[ \t\r\n\f\v]+|[ \t\r\n\f\v]+$/g, '');
  }

  function slotAad(type, id) {
    return encoder.encode(FORMAT + ':1:' + type + ':' + id);
  }

  async function baseKeyFor(passphrase, slot) {
    return crypto.subtle.importKey('raw',
      encoder.encode(normalizePassphrase(passphrase, slot.normalize)),
      'PBKDF2', false, ['deriveKey']);
  }

  // The raw content key, or null when the slot does not authenticate.
  async function unwrapSlot(meta, slot, baseKey) {
    if (slot.kdf !== 'PBKDF2-SHA256' || slot.alg !== 'A256GCM' ||
        !(slot.iterations >= MIN_ITERATIONS && slot.iterations <= MAX_ITERATIONS)) {
      throw new OpenError('tampered');
    }
    let salt, iv, wrapped;
    try {
      salt = base64Bytes(slot.salt);
      iv = base64Bytes(slot.iv);
      wrapped = base64Bytes(slot.wrapped);
    } catch (e) {
      throw new OpenError('tampered');
    }
    const kek = await crypto.subtle.deriveKey(
      { name: 'PBKDF2', hash: 'SHA-256', salt: salt, iterations: slot.iterations },
      baseKey, { name: 'AES-GCM', length: 256 }, false, ['decrypt']);
    try {
      return await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: iv, additionalData: slotAad('passphrase', meta.id) },
        kek, wrapped);
    } catch (e) {
      return null;
    }
  }

  async function decryptContent(meta, metaText, rawKey) {
    const key = await crypto.subtle.importKey('raw', rawKey, 'AES-GCM', false,
      ['decrypt']);
    let iv, data;
    try {
      iv = base64Bytes(meta.content.iv);
      data = base64Bytes($('seal-ciphertext').textContent);
    } catch (e) {
      throw new OpenError('tampered');
    }
    try {
      const plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: iv, additionalData: encoder.encode(metaText) },
        key, data);
      return new Uint8Array(plain);
    } catch (e) {
      throw new OpenError('tampered');
    }
  }

  // ---- "remember the passphrase on this device" --------------------------
  // Stores the non-extractable PBKDF2 key (not the passphrase) in IndexedDB
  // under the slot's label. Failures are silent: remembering is a comfort.

  function openStore() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open('sealmilter-envelope', 1);
      req.onupgradeneeded = () => req.result.createObjectStore('keys');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }

  async function storeOp(mode, fn) {
    try {
      const db = await openStore();
      return await new Promise((resolve) => {
        const tx = db.transaction('keys', mode);
        const req = fn(tx.objectStore('keys'));
        tx.oncomplete = () => resolve(req.result);
        tx.onerror = () => resolve(undefined);
        tx.onabort = () => resolve(undefined);
      });
    } catch (e) {
      return undefined;
    }
  }

  const rememberGet = (label) => storeOp('readonly', (s) => s.get('pbkdf2:' + label));
  const rememberPut = (label, key) => storeOp('readwrite', (s) => s.put(key, 'pbkdf2:' + label));
  const rememberDelete = (label) => storeOp('readwrite', (s) => s.delete('pbkdf2:' + label));

  // ---- MIME parsing ------------------------------------------------------

  // Raw header bytes: UTF-8 when valid (RFC 6532), else windows-1252.
  function headerText(bin) {
    if (!/[\x80-\xff]/.test(bin)) return bin;
    const bytes = fromBinary(bin);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (e) {
      return new TextDecoder('windows-1252').decode(bytes);
    }
  }

  function encodedWordBytes(encoding, text) {
    if (encoding === 'b' || encoding === 'B') {
      let clean = text.replace(/[^A-Za-z0-9+/]/g, '');
      if (clean.length % 4 === 1) clean = clean.slice(0, -1);
      while (clean.length % 4) clean += '=';
      return fromBinary(atob(clean));
    }
    return fromBinary(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g,
      (m, h) => String.fromCharCode(parseInt(h, 16))));
  }

  // RFC 2047: decodes encoded words; adjacent words of one charset are
  // joined before decoding (a character may be split across them), and
  // whitespace between encoded words is dropped.
  function decodeWords(value) {
    const re = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;
    let out = '';
    let last = 0;
    let pending = null;
    let m;
    const flush = () => {
      if (pending) {
        out += decodeBytes(Uint8Array.from(pending.bytes), pending.charset);
        pending = null;
      }
    };
    while ((m = re.exec(value)) !== null) {
      let bytes;
      try {
        bytes = encodedWordBytes(m[2], m[3]);
      } catch (e) {
        continue;  // not decodable: stays as written (part of the next gap)
      }
      const gap = value.slice(last, m.index);
      const charset = m[1].replace(/\*.*$/, '').toLowerCase();
      const betweenWords = pending !== null && /^[ \t\r\n]*$/.test(gap);
      if (betweenWords && pending.charset === charset) {
        for (const b of bytes) pending.bytes.push(b);
      } else {
        flush();
        if (!betweenWords) out += gap;
        pending = { charset: charset, bytes: Array.from(bytes) };
      }
      last = re.lastIndex;
    }
    flush();
    return out + value.slice(last);
  }

  // "type/subtype; a=b; c*=utf-8''%E2%82%AC" -> {value, params}, with
  // RFC 2231 continuations and charsets, and RFC 2047 words in plain
  // (quoted) values, which many mail programs write.
  function parseStructured(text) {
    const parts = [];
    let cur = '';
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i];
      if (quoted && ch === '\\' && i + 1 < text.length) {
        cur += ch + text[++i];
        continue;
      }
      if (ch === '"') quoted = !quoted;
      if (ch === ';' && !quoted) {
        parts.push(cur);
        cur = '';
        continue;
      }
      cur += ch;
    }
    parts.push(cur);
    const value = parts.shift().trim().toLowerCase();
    const params = {};
    const continued = {};
    for (const part of parts) {
      const eq = part.indexOf('=');
      if (eq < 0) continue;
      const name = part.slice(0, eq).trim().toLowerCase();
      let val = part.slice(eq + 1).trim();
      if (val.startsWith('"')) {
        val = val.slice(1, val.length > 1 && val.endsWith('"') ? -1 : undefined)
          .replace(/\\(.)/g, '$1');
      }
      const m = /^([^*]+)(?:\*(\d+))?(\*)?$/.exec(name);
      if (!m) continue;
      if (m[2] === undefined && m[3] === undefined) {
        if (!has(params, name)) params[name] = decodeWords(val);
        continue;
      }
      (continued[m[1]] = continued[m[1]] || []).push({
        index: m[2] === undefined ? 0 : parseInt(m[2], 10),
        encoded: m[3] !== undefined,
        value: val,
      });
    }
    for (const base of Object.keys(continued)) {
      const segments = continued[base].sort((a, b) => a.index - b.index);
      let charset = 'utf-8';
      let result = '';
      let bytes = [];
      const flush = () => {
        if (bytes.length) result += decodeBytes(Uint8Array.from(bytes), charset);
        bytes = [];
      };
      segments.forEach((seg, k) => {
        let v = seg.value;
        if (seg.encoded && k === 0) {
          const m = /^([^']*)'[^']*'([\s\S]*)$/.exec(v);
          if (m) {
            charset = m[1] || 'us-ascii';
            v = m[2];
          }
        }
        if (!seg.encoded) {
          flush();
          result += v;
          return;
        }
        for (let i = 0; i < v.length; i++) {
          if (v[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(v.substr(i + 1, 2))) {
            bytes.push(parseInt(v.substr(i + 1, 2), 16));
            i += 2;
          } else {
            for (const b of encoder.encode(v[i])) bytes.push(b);
          }
        }
      });
      flush();
      params[base] = result;
    }
    return { value: value, params: params };
  }

  function splitHead(bin) {
    if (bin.startsWith('\r\n')) return ['', bin.slice(2)];
    if (bin.startsWith('\n')) return ['', bin.slice(1)];
    const m = /\r?\n\r?\n/.exec(bin);
    if (!m) return [bin, ''];
    return [bin.slice(0, m.index), bin.slice(m.index + m[0].length)];
  }

  function parseHeaders(head) {
    const fields = [];
    for (const line of head.split(/\r?\n/)) {
      if (/^[ \t]/.test(line) && fields.length) {
        fields[fields.length - 1].raw += line;
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      fields.push({ name: line.slice(0, colon).trim().toLowerCase(),
        raw: line.slice(colon + 1) });
    }
    return fields.map((f) => ({ name: f.name, value: headerText(f.raw).trim() }));
  }

  // Parts between "--boundary" lines (the line break before a delimiter
  // belongs to it). A missing close delimiter ends the last part at the end.
  function splitMultipart(body, boundary) {
    const delim = '--' + boundary;
    const marks = [];
    let from = 0;
    while (from <= body.length) {
      let idx;
      if (from === 0 && body.startsWith(delim)) {
        idx = 0;
      } else {
        idx = body.indexOf('\n' + delim, from === 0 ? 0 : from - 1);
        if (idx < 0) break;
        idx += 1;
      }
      const after = idx + delim.length;
      const next = body.charAt(after);
      const close = body.startsWith('--', after);
      if (!close && next !== '' && !/[\r\n \t]/.test(next)) {
        from = after;
        continue;
      }
      marks.push({ idx: idx, after: after, close: close });
      if (close) break;
      from = after;
    }
    const parts = [];
    for (let k = 0; k < marks.length; k++) {
      if (marks[k].close) break;
      let start = body.indexOf('\n', marks[k].after);
      start = start < 0 ? body.length : start + 1;
      let end = body.length;
      if (k + 1 < marks.length) {
        end = marks[k + 1].idx - 1;
        if (end > start && body.charAt(end - 1) === '\r') end -= 1;
      }
      parts.push(body.slice(start, Math.max(start, end)));
    }
    return parts;
  }

  function header(entity, name) {
    const f = entity.headers.find((h) => h.name === name);
    return f ? f.value : '';
  }

  function parseEntity(bin, depth, defaultType) {
    const [head, body] = splitHead(bin);
    const entity = { headers: parseHeaders(head), body: body, parts: null };
    const ct = parseStructured(header(entity, 'content-type') || defaultType);
    entity.type = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(ct.value) ? ct.value : 'text/plain';
    entity.params = ct.params;
    const cd = parseStructured(header(entity, 'content-disposition') || '');
    entity.disposition = cd.value;
    entity.dparams = cd.params;
    entity.cte = header(entity, 'content-transfer-encoding').toLowerCase();
    entity.cid = header(entity, 'content-id').replace(/^\s*<|>\s*$/g, '');
    if (entity.type.startsWith('multipart/') && entity.params.boundary && depth < MAX_DEPTH) {
      const sub = entity.type === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
      entity.parts = splitMultipart(body, entity.params.boundary)
        .map((p) => parseEntity(p, depth + 1, sub));
    }
    return entity;
  }

  function entityBytes(entity) {
    const cte = entity.cte;
    if (cte === 'base64') {
      let clean = entity.body.replace(/[^A-Za-z0-9+/]/g, '');
      if (clean.length % 4 === 1) clean = clean.slice(0, -1);
      while (clean.length % 4) clean += '=';
      return fromBinary(atob(clean));
    }
    if (cte === 'quoted-printable') {
      return fromBinary(entity.body.replace(/=[ \t]*\r?\n/g, '')
        .replace(/=([0-9A-Fa-f]{2})/g, (m, h) => String.fromCharCode(parseInt(h, 16))));
    }
    return fromBinary(entity.body);
  }

  function entityText(entity) {
    return decodeBytes(entityBytes(entity), entity.params.charset);
  }

  const isAttachment = (e) => e.disposition === 'attachment';

  // Chooses the body to show (html and/or text) and collects attachments
  // and the cid: resources of multipart/related.
  function analyze(root) {
    const view = { html: null, text: null, cids: new Map(), attachments: [] };
    const used = new Set();
    function take(e, slot) {
      view[slot] = e;
      used.add(e);
    }
    function related(e) {
      const start = (e.params.start || '').replace(/^\s*<|>\s*$/g, '');
      const root2 = (start && e.parts.find((p) => p.cid === start)) || e.parts[0];
      for (const p of e.parts) {
        if (p !== root2 && p.cid && !isAttachment(p)) {
          view.cids.set(p.cid, p);
          used.add(p);
        }
      }
      return root2 ? pick(root2) : false;
    }
    function pick(e) {
      if (isAttachment(e)) return false;
      if (e.type === 'text/plain') {
        take(e, 'text');
        return true;
      }
      if (e.type === 'text/html') {
        take(e, 'html');
        return true;
      }
      if (!e.parts) return false;
      if (e.type === 'multipart/alternative') {
        let found = false;
        for (const p of e.parts) {
          if (isAttachment(p)) continue;
          if (p.type === 'text/plain' && !view.text) {
            take(p, 'text');
            found = true;
          } else if (p.type === 'text/html') {
            take(p, 'html');
            found = true;
          } else if (p.type === 'multipart/related' && p.parts) {
            found = related(p) || found;
          }
        }
        return found;
      }
      if (e.type === 'multipart/related') return related(e);
      for (const p of e.parts) {
        if (pick(p)) return true;
      }
      return false;
    }
    pick(root);
    (function leaves(e) {
      if (e.parts) {
        e.parts.forEach(leaves);
      } else if (!used.has(e)) {
        view.attachments.push(e);
      }
    })(root);
    return view;
  }

  function attachmentName(e, index) {
    let name = e.dparams.filename || e.params.name || '';
    name = name.split(/[\\/]/).pop().replace(/[\u0000-\u001f\u007f]/g, '').trim();
    if (!name) {
      const ext = { 'message/rfc822': '.eml', 'text/plain': '.txt',
        'text/html': '.html', 'application/pdf': '.pdf',
        'image/png': '.png', 'image/jpeg': '.jpg', 'image/gif': '.gif' }[e.type] || '.bin';
      name = 'attachment-' + (index + 1) + ext;
    }
    return name.slice(0, 200);
  }

  function addresses(value) {
    return (value.match(/[^\s<>(),;:"\\]+@[^\s<>(),;:"\\]+/g) || []);
  }

  // ---- rendering ---------------------------------------------------------

  const objectUrls = [];
  function objectUrl(blob) {
    const url = URL.createObjectURL(blob);
    objectUrls.push(url);
    return url;
  }

  function dataUrl(entity) {
    return 'data:' + entity.type + ';base64,' + btoa(toBinary(entityBytes(entity)));
  }

  // The HTML part as a document for the sandboxed frame: cid: images become
  // data: URLs, <base> and <meta http-equiv> go, and a CSP is added. Parsing
  // with DOMParser runs no script and loads nothing.
  function frameDocument(htmlText, cids) {
    const d = new DOMParser().parseFromString(htmlText, 'text/html');
    let blocked = d.querySelector('script, iframe, object, embed') !== null;
    d.querySelectorAll('base, meta[http-equiv]').forEach((n) => n.remove());
    d.querySelectorAll('[src]').forEach((n) => {
      const src = n.getAttribute('src') || '';
      if (/^cid:/i.test(src)) {
        let id = src.slice(4);
        try {
          id = decodeURIComponent(id);
        } catch (e) {
          // keep it as written
        }
        const part = cids.get(id);
        if (part) {
          n.setAttribute('src', dataUrl(part));
          return;
        }
      }
      if (!/^data:/i.test(src)) blocked = true;
    });
    const meta = d.createElement('meta');
    meta.setAttribute('http-equiv', 'Content-Security-Policy');
    meta.setAttribute('content', FRAME_CSP);
    d.head.prepend(meta);
    const charset = d.createElement('meta');
    charset.setAttribute('charset', 'utf-8');
    d.head.prepend(charset);
    return { html: '<!DOCTYPE html>\n' + d.documentElement.outerHTML, blocked: blocked };
  }

  let frameUrl = null;

  function showBody(view, mode) {
    const box = $('seal-body');
    box.textContent = '';
    if (frameUrl) {
      URL.revokeObjectURL(frameUrl);
      frameUrl = null;
    }
    $('seal-blocked').hidden = true;
    if (mode === 'html' && view.html) {
      const framed = frameDocument(entityText(view.html), view.cids);
      const frame = doc.createElement('iframe');
      frame.setAttribute('sandbox', '');
      frame.setAttribute('referrerpolicy', 'no-referrer');
      frame.setAttribute('title', $('seal-subject').textContent);
      frameUrl = URL.createObjectURL(new Blob([framed.html], { type: 'text/html;charset=utf-8' }));
      frame.src = frameUrl;
      box.appendChild(frame);
      $('seal-blocked').hidden = !framed.blocked;
    } else {
      const pre = doc.createElement('pre');
      pre.textContent = view.text ? entityText(view.text) : t('ui.empty_body');
      box.appendChild(pre);
    }
    $('seal-view-html').setAttribute('aria-pressed', String(mode === 'html'));
    $('seal-view-text').setAttribute('aria-pressed', String(mode !== 'html'));
  }

  function addField(list, label, value) {
    if (!value) return;
    const row = doc.createElement('div');
    const dt = doc.createElement('dt');
    dt.textContent = label;
    const dd = doc.createElement('dd');
    dd.textContent = value;
    row.append(dt, dd);
    list.appendChild(row);
  }

  function mailto(to, subject) {
    const list = to.map((a) => encodeURIComponent(a).replace(/%40/g, '@')).join(',');
    return 'mailto:' + list + '?subject=' + encodeURIComponent(subject);
  }

  function actionLink(label, href, download) {
    const a = doc.createElement('a');
    a.className = 'button';
    a.textContent = label;
    a.href = href;
    if (download) a.setAttribute('download', download);
    return a;
  }

  // A link opening the portal's reply form in a new window.
  function portalReply(released, mode, label, subject) {
    const a = actionLink(label, released.base + '/reply?id=' +
      encodeURIComponent(released.id) + '&mode=' + mode + '&subject=' +
      encodeURIComponent(subject));
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    a.dataset.portalReply = mode;
    return a;
  }

  // `released` is null on the passphrase path; after a portal release it
  // is {base, id, reply, reply_all, forward}: replies go through the portal.
  function render(meta, plain, released) {
    const root = parseEntity(toBinary(plain), 0, 'text/plain');
    const view = analyze(root);
    const subject = decodeWords(header(root, 'subject'));
    const from = decodeWords(header(root, 'from'));
    const to = decodeWords(header(root, 'to'));
    const cc = decodeWords(header(root, 'cc'));
    const date = header(root, 'date');

    $('seal-subject').textContent = subject || t('ui.no_subject');
    const fields = $('seal-fields');
    addField(fields, t('ui.from'), from);
    addField(fields, t('ui.to'), to);
    addField(fields, t('ui.cc'), cc);
    addField(fields, t('ui.date'), date ? formatDate(date) : '');

    const options = meta.options || {};
    const actions = $('seal-actions');
    const replySubject = /^re:/i.test(subject) ? subject : 'Re: ' + subject;
    const fromAddresses = addresses(from);
    if (released) {
      if (released.reply) {
        actions.appendChild(portalReply(released, 'reply', t('ui.reply'), subject));
      }
      if (released.reply_all) {
        actions.appendChild(portalReply(released, 'reply_all', t('ui.reply_all'), subject));
      }
      if (released.forward) {
        actions.appendChild(portalReply(released, 'forward', t('ui.portal_forward'), subject));
      }
    } else {
      if (options.reply !== false && fromAddresses.length) {
        actions.appendChild(actionLink(t('ui.reply'), mailto(fromAddresses, replySubject)));
      }
      if (options.reply_all !== false && fromAddresses.length) {
        const all = Array.from(new Set(fromAddresses.concat(addresses(to), addresses(cc))));
        actions.appendChild(actionLink(t('ui.reply_all'), mailto(all, replySubject)));
      }
    }
    if (options.forward !== false) {
      actions.appendChild(actionLink(t('ui.save_original'),
        objectUrl(new Blob([plain], { type: 'message/rfc822' })), 'message.eml'));
    }

    // Closing reloads the page: the decrypted message leaves memory.
    const close = doc.createElement('button');
    close.type = 'button';
    close.textContent = t('ui.close');
    close.addEventListener('click', () => {
      objectUrls.forEach((u) => URL.revokeObjectURL(u));
      location.reload();
    });
    actions.appendChild(close);

    const switcher = $('seal-switch');
    switcher.hidden = !(view.html && view.text);
    $('seal-view-html').addEventListener('click', () => showBody(view, 'html'));
    $('seal-view-text').addEventListener('click', () => showBody(view, 'text'));
    showBody(view, view.html ? 'html' : 'text');

    const list = $('seal-attachment-list');
    view.attachments.forEach((e, i) => {
      const bytes = entityBytes(e);
      const name = attachmentName(e, i);
      const li = doc.createElement('li');
      const nameEl = doc.createElement('span');
      nameEl.className = 'name';
      nameEl.textContent = name;
      const size = doc.createElement('span');
      size.className = 'size';
      size.textContent = formatSize(bytes.length);
      const link = actionLink(t('ui.download'),
        objectUrl(new Blob([bytes], { type: 'application/octet-stream' })), name);
      link.setAttribute('aria-label', t('ui.download') + ': ' + name);
      li.append(nameEl, size, link);
      list.appendChild(li);
    });
    $('seal-attachments').hidden = view.attachments.length === 0;

    $('seal-main').hidden = true;
    $('seal-message').hidden = false;
    $('seal-message').dataset.via = released ? 'portal' : 'passphrase';
    doc.title = (subject || t('ui.title')) + ' · ' + t('ui.title');
    setState('open');
    $('seal-subject').focus();
  }

  // ---- "open with the portal" (release_protocol: key release) -------------

  const RELEASE_INFO = 'sealmilter-portal-release-v1';
  const PORTAL_TIMEOUT_MS = 60000;
  const PORTAL_ERRORS = ['login_required', 'csrf', 'not_recipient', 'revoked',
    'expired', 'unknown_envelope', 'bad_request', 'rate_limited', 'internal', 'cancelled'];

  // The portal's base URL and slot, or null when the envelope has none (or
  // a URL this page will not talk to: https, or http on the loopback only).
  function portalInfo(meta) {
    const slot = meta.slots.find((s) => s && s.type === 'portal');
    if (!slot || typeof meta.portal !== 'string' || typeof slot.key_id !== 'string' ||
        typeof slot.iv !== 'string' || typeof slot.wrapped !== 'string') {
      return null;
    }
    const base = meta.portal.replace(/\/+$/, '');
    let url;
    try {
      url = new URL(base);
    } catch (e) {
      return null;
    }
    const loopback = url.hostname === '127.0.0.1' || url.hostname === 'localhost';
    if (!(url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) ||
        url.username || url.password || url.search || url.hash) {
      return null;
    }
    return { base: base, origin: url.origin, slot: slot };
  }

  async function newBrowserKey() {
    const pair = await crypto.subtle.generateKey(
      { name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
    const pub = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
    return { privateKey: pair.privateKey, publicRaw: pub, publicB64: btoa(toBinary(pub)) };
  }

  function concatBytes(list) {
    const out = new Uint8Array(list.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of list) {
      out.set(b, at);
      at += b.length;
    }
    return out;
  }

  // The content key from the portal's answer, or null when it does not
  // unwrap (wrong sizes, a point not on the curve, or failed GCM).
  // Must match WrapForBrowser() in portal/key_release.cc: the AAD is
  // info|id|portal public|browser public, '|' being one byte.
  async function unwrapRelease(id, keys, answer) {
    let portalPub, iv, wrapped;
    try {
      portalPub = base64Bytes(String(answer.portal_public));
      iv = base64Bytes(String(answer.iv));
      wrapped = base64Bytes(String(answer.wrapped));
    } catch (e) {
      return null;
    }
    if (portalPub.length !== 65 || iv.length !== 12 || wrapped.length !== 48) return null;
    try {
      const peer = await crypto.subtle.importKey('raw', portalPub,
        { name: 'ECDH', namedCurve: 'P-256' }, false, []);
      const shared = await crypto.subtle.deriveBits({ name: 'ECDH', public: peer },
        keys.privateKey, 256);
      const ikm = await crypto.subtle.importKey('raw', shared, 'HKDF', false, ['deriveKey']);
      const kek = await crypto.subtle.deriveKey(
        { name: 'HKDF', hash: 'SHA-256', salt: encoder.encode(id),
          info: encoder.encode(RELEASE_INFO) },
        ikm, { name: 'AES-GCM', length: 256 }, false, ['decrypt']);
      const bar = encoder.encode('|');
      const aad = concatBytes([encoder.encode(RELEASE_INFO), bar, encoder.encode(id), bar,
        portalPub, bar, keys.publicRaw]);
      const raw = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: iv, additionalData: aad }, kek, wrapped);
      return raw.byteLength === 32 ? raw : null;
    } catch (e) {
      return null;
    }
  }

  function setupPortal(envelope, portal) {
    const box = $('seal-portal');
    const button = $('seal-portal-open');
    if (!box || !button) return;
    const meta = envelope.meta;
    const id = meta.id;
    const slot = portal.slot;
    const fresh = () => {
      const p = newBrowserKey();
      p.catch(() => {});
      return p;
    };
    let keys = fresh();
    let current = null;  // the attempt in progress
    box.hidden = false;

    function finish(cur) {
      cur.done = true;
      clearInterval(cur.poll);
      clearTimeout(cur.timer);
      if (current === cur) current = null;
      button.disabled = false;
      keys = fresh();  // a new key pair for every attempt
    }

    // Waits PORTAL_TIMEOUT_MS (again) for the portal's answer.
    function awaitRelease(cur) {
      clearTimeout(cur.timer);
      cur.timer = setTimeout(() => {
        if (!cur.done) fail(cur, 'ui.portal_error_timeout');
      }, PORTAL_TIMEOUT_MS);
      showStatus(t('ui.portal_releasing'));
    }

    function fail(cur, key) {
      finish(cur);
      showError(key);
    }

    button.addEventListener('click', () => {
      if (current) {
        current.win.focus();
        return;
      }
      clearError();
      const url = portal.base + '/release?id=' + encodeURIComponent(id) + '&lang=' +
        encodeURIComponent(lang);
      let win = null;
      try {
        win = window.open(url, '_blank');  // not noopener: the portal answers its opener
      } catch (e) {
        win = null;
      }
      if (!win) return showError('ui.portal_error_popup');
      const cur = { win: win, keys: keys, done: false, poll: 0, timer: 0 };
      current = cur;
      setState('portal');
      showStatus(t('ui.portal_waiting', { portal_host: new URL(portal.base).host }));
      cur.poll = setInterval(() => {
        if (win.closed && !cur.done) fail(cur, 'ui.portal_error_closed');
      }, 500);
    });

    window.addEventListener('message', async (ev) => {
      const cur = current;
      if (!cur || cur.done || ev.source !== cur.win || ev.origin !== portal.origin) return;
      const data = ev.data;
      if (!data || typeof data !== 'object' || data.id !== id) return;
      if (data.type === 'sealportal-ready') {
        // Answered on each announcement (a reloaded portal page asks again);
        // the same key pair serves the whole attempt.
        let k;
        try {
          k = await cur.keys;
        } catch (e) {
          return fail(cur, 'ui.error_browser');
        }
        if (cur.done) return;
        cur.win.postMessage({ type: 'sealportal-request', id: id, key_id: slot.key_id,
          iv: slot.iv, wrapped: slot.wrapped, browser_public: k.publicB64 }, portal.origin);
        awaitRelease(cur);
        return;
      }
      if (data.type === 'sealportal-confirm') {
        // The portal asks the recipient to confirm (a person, not a
        // timer: no timeout while it asks; a closed window still ends it).
        clearTimeout(cur.timer);
        showStatus(t('ui.portal_confirm'));
        return;
      }
      if (data.type === 'sealportal-confirmed') {
        awaitRelease(cur);
        return;
      }
      if (data.type === 'sealportal-error') {
        const code = PORTAL_ERRORS.includes(data.error) ? data.error : 'internal';
        return fail(cur, 'ui.portal_error_' + code);
      }
      if (data.type !== 'sealportal-release') return;
      finish(cur);
      setState('opening');
      showStatus(t('ui.opening'));
      let k;
      try {
        k = await cur.keys;
      } catch (e) {
        return showError('ui.error_browser');
      }
      const raw = await unwrapRelease(id, k, data);
      if (!raw) return showError('ui.portal_error_unwrap');
      try {
        const plain = await decryptContent(meta, envelope.metaText, raw);
        showStatus('');
        render(meta, plain, { base: portal.base, id: id, reply: data.reply === true,
          reply_all: data.reply_all === true, forward: data.forward === true });
      } catch (e) {
        reportFailure(e);
      }
    });
  }

  // ---- flow --------------------------------------------------------------

  function readEnvelope() {
    const metaEl = $('seal-metadata');
    const dataEl = $('seal-ciphertext');
    if (!metaEl || !dataEl) return null;
    const metaText = metaEl.textContent;
    let meta;
    try {
      meta = JSON.parse(metaText);
    } catch (e) {
      return null;
    }
    if (!meta || meta.format !== FORMAT || meta.version !== 1 ||
        typeof meta.id !== 'string' || !Array.isArray(meta.slots) ||
        !meta.content || meta.content.alg !== 'A256GCM') {
      return null;
    }
    return { meta: meta, metaText: metaText };
  }

  // Tries every passphrase slot; returns the plaintext.
  async function open(envelope, slots, baseKeys) {
    for (let i = 0; i < slots.length; i++) {
      const raw = await unwrapSlot(envelope.meta, slots[i], baseKeys[i]);
      if (raw) return decryptContent(envelope.meta, envelope.metaText, raw);
    }
    throw new OpenError('passphrase');
  }

  function reportFailure(e) {
    const kind = e instanceof OpenError ? e.kind : 'tampered';
    showError(kind === 'passphrase' ? 'ui.error_passphrase' : 'ui.error_tampered');
  }

  function init() {
    const envelope = readEnvelope();
    for (const id of ['seal-created', 'seal-expires']) {
      const el = $(id);
      if (el) el.textContent = formatDate(el.getAttribute('datetime'));
    }
    if (!envelope) return showError('ui.error_malformed');
    const meta = envelope.meta;
    if (!window.crypto || !crypto.subtle || !window.TextDecoder || !window.DOMParser) {
      return showError('ui.error_browser');
    }
    if (meta.expires && !(Date.parse(meta.expires) > Date.now())) {
      return showError('ui.error_expired', { expires: formatDate(meta.expires) });
    }
    const slots = meta.slots.filter((s) => s && s.type === 'passphrase');
    const portal = portalInfo(meta);
    if (!slots.length && !portal) return showError('ui.error_no_passphrase');
    if (portal) setupPortal(envelope, portal);
    if (!slots.length) return undefined;

    const form = $('seal-unlock');
    const input = $('seal-passphrase');
    const button = $('seal-open');
    const remember = $('seal-remember');
    const label = slots[0].label || '';
    form.hidden = false;
    $('seal-show').addEventListener('change', (ev) => {
      input.type = ev.target.checked ? 'text' : 'password';
    });

    async function attempt(baseKeys, fromStore) {
      clearError();
      button.disabled = true;
      setState('opening');
      showStatus(t(fromStore ? 'ui.remembered' : 'ui.opening'));
      try {
        const plain = await open(envelope, slots, baseKeys);
        showStatus('');
        if (remember && remember.checked && label && !fromStore) {
          await rememberPut(label, baseKeys[0]);
        }
        render(meta, plain);
      } catch (e) {
        if (fromStore && e instanceof OpenError && e.kind === 'passphrase') {
          await rememberDelete(label);
          showStatus('');
          setState('locked');
        } else {
          reportFailure(e);
          input.select();
          input.focus();
        }
      } finally {
        button.disabled = false;
      }
    }

    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      let baseKeys;
      try {
        baseKeys = await Promise.all(slots.map((s) => baseKeyFor(input.value, s)));
      } catch (e) {
        return showError('ui.error_browser');
      }
      await attempt(baseKeys, false);
    });

    if (meta.options && meta.options.remember_key && label && remember &&
        window.indexedDB && slots.every((s) => s.label === label &&
          s.normalize === slots[0].normalize)) {
      rememberGet(label).then((key) => {
        if (key) attempt(slots.map(() => key), true);
        else input.focus();
      });
    } else {
      input.focus();
    }
  }

  init();
})();
