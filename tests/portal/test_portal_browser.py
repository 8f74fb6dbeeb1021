#!/usr/bin/env python3
"""Chromium test of the portal path of the secure envelope (suite 'portal').

Starts sealportal with tests/portal/portal_harness.py (SMTP sink, SQLite
store, portal key), writes envelopes with portal slots and their records,
then runs browser_portal.mjs in the system's headless Chromium (through
playwright-core from tests/browser/node_modules). The page script asks this
driver for captured mails over a small HTTP control server on 127.0.0.1
(GET /mail?to=ADDR&after=N&timeout=S -> {"index", "raw"}, 404 on timeout).

Exit status: 0 passed, 1 failed, 77 (skip) only when /usr/bin/chromium is
missing.

Usage: test_portal_browser.py --build BUILD_DIR [--node PATH]
"""
import argparse
import base64
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

CHROMIUM = os.environ.get('SEAL_TEST_CHROMIUM', '/usr/bin/chromium')
SENDER = 'alice@example.org'
RECIPIENT = 'bob@example.net'
OTHER = 'carol@example.net'
TEXT = 'Hello Bob,\nthe contract draft is attached. Grüße, 日本語 😀\n'
HTML = ('<html><body><p id="greeting" style="color:#b00020">'
        'Hello Bob, from the HTML part</p></body></html>')
ATTACHMENT_NAME = 'draft.txt'
ATTACHMENT = 'Draft contract, clause 1: everything is fine.'


def read_strings(path):
    """key = value lines of a locale file (envelope/locales format)."""
    out = {}
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.rstrip('\n')
            if not line or line.startswith('#') or ' = ' not in line:
                continue
            key, value = line.split(' = ', 1)
            out[key.strip()] = value
    return out


class Control:
    """HTTP server the page script polls for mails captured by the sink."""

    def __init__(self, harness):
        harness_ref = harness

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                u = urllib.parse.urlparse(self.path)
                q = urllib.parse.parse_qs(u.query)
                if u.path != '/mail':
                    self.send_error(404)
                    return
                to = q.get('to', [''])[0].lower()
                after = int(q.get('after', ['0'])[0])
                deadline = time.time() + float(q.get('timeout', ['20'])[0])
                while time.time() < deadline:
                    mails = harness_ref.mails()
                    for index, (rcpts, raw) in enumerate(mails):
                        if index < after:
                            continue
                        if to in [r.lower() for r in rcpts]:
                            body = json.dumps({
                                'index': index,
                                'raw': raw.decode('utf-8', 'replace'),
                            }).encode()
                            self.send_response(200)
                            self.send_header('Content-Type', 'application/json')
                            self.send_header('Content-Length', str(len(body)))
                            self.end_headers()
                            self.wfile.write(body)
                            return
                    time.sleep(0.1)
                self.send_error(404, 'no mail')

            def do_POST(self):
                self.send_error(405)

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.url = 'http://127.0.0.1:%d' % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--build', required=True)
    ap.add_argument('--node', default=shutil.which('node') or 'node')
    args = ap.parse_args()
    if not os.path.exists(CHROMIUM):
        print('# SKIP: %s is missing (Debian package chromium)' % CHROMIUM)
        return 77
    from portal_harness import PortalHarness  # noqa: E402 (after the skip)

    tmp = tempfile.mkdtemp(prefix='seal-portal-browser-')
    harness = PortalHarness(tmp, args.build)
    control = None
    ok = False
    try:
        harness.start()
        control = Control(harness)
        envelopes = {}

        def make(name, **kw):
            made = harness.make_envelope(SENDER, [RECIPIENT, OTHER], TEXT, **kw)
            envelopes[name] = {'id': made[0], 'path': os.path.abspath(made[1])}

        make('main', html=HTML, attachment=(ATTACHMENT_NAME, ATTACHMENT))
        make('high', security='high')
        make('revoked')
        harness.revoke(envelopes['revoked']['id'])
        make('expired')
        harness.expire(envelopes['expired']['id'])
        make('jsfree', js_free=True)
        spec = {
            'url': harness.url,
            'control': control.url,
            'sender': SENDER,
            'recipient': RECIPIENT,
            'password': 'correct horse battery staple 42',
            'text': TEXT,
            'attachment': {'name': ATTACHMENT_NAME,
                           'base64': base64.b64encode(
                               ATTACHMENT.encode()).decode()},
            'envelopes': envelopes,
            'lockout_failures': getattr(harness, 'lockout_failures', 5),
            'portal_strings': read_strings(
                os.path.join(SOURCE, 'portal', 'locales', 'en.txt')),
            'envelope_strings': read_strings(
                os.path.join(SOURCE, 'envelope', 'locales', 'en.txt')),
            'out': tmp,
            'node_modules': os.path.join(SOURCE, 'tests', 'browser'),
        }
        spec_path = os.path.join(tmp, 'spec.json')
        with open(spec_path, 'w', encoding='utf-8') as f:
            json.dump(spec, f)
        rc = subprocess.run(
            [args.node, os.path.join(HERE, 'browser_portal.mjs'), spec_path],
            timeout=900).returncode
        ok = rc == 0
        return 0 if ok else 1
    finally:
        if control:
            control.stop()
        harness.stop()
        if ok:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print('# kept %s for inspection' % tmp)


if __name__ == '__main__':
    sys.exit(main())
