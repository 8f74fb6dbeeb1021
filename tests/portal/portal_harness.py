"""PortalHarness: sealportal on 127.0.0.1 for tests (tests/portal, and the
browser test of the envelope opener).

    h = PortalHarness(tmpdir, build_dir)
    h.start()        # SMTP sink, config, SQLite store, portal key, daemon
    h.url            # base URL, http://127.0.0.1:PORT
    eid, path, passphrase = h.make_envelope(sender, recipients, text, ...)
    h.mails()        # [(rcpt list, raw bytes)]
    h.wait_mail(to, timeout)  # the first mail for `to` not yet waited for
    h.revoke(eid); h.expire(eid)   # through sealctl envelope revoke|expire
    h.stop()

    sys.exit(run_suite(TESTS, build_dir, "sealportal-test-"))
                     # each test(h) against one portal; 0 when all passed

Everything listens on 127.0.0.1 only. Written for this project.
"""
import base64
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import traceback


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """A minimal SMTP server that accepts everything and keeps it."""

    def __init__(self):
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self.mails = []
        self.lock = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,),
                             daemon=True).start()

    def _session(self, conn):
        f = conn.makefile("rwb")

        def reply(text):
            f.write(text.encode() + b"\r\n")
            f.flush()

        try:
            reply("220 sink.test ESMTP")
            rcpts = []
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line.decode("latin-1").strip()
                up = cmd.upper()
                if up.startswith("EHLO") or up.startswith("HELO"):
                    reply("250-sink.test")
                    reply("250 8BITMIME")
                elif up.startswith("MAIL FROM"):
                    rcpts = []
                    reply("250 ok")
                elif up.startswith("RCPT TO"):
                    addr = cmd.split(":", 1)[1].strip().strip("<>").lower()
                    rcpts.append(addr)
                    reply("250 ok")
                elif up == "DATA":
                    reply("354 go")
                    data = b""
                    while True:
                        l = f.readline()
                        if not l or l in (b".\r\n", b".\n"):
                            break
                        if l.startswith(b".."):
                            l = l[1:]
                        data += l
                    with self.lock:
                        self.mails.append((list(rcpts), data))
                        self.lock.notify_all()
                    reply("250 queued")
                elif up == "QUIT":
                    reply("221 bye")
                    return
                else:
                    reply("250 ok")
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self._stop = True
        self._sock.close()


class PortalHarness:
    def __init__(self, tmpdir, build_dir, lockout_failures=3,
                 session_seconds=1800, internal_domains=("example.org",),
                 extra_env=None):
        self.dir = os.path.abspath(tmpdir)
        self.build = os.path.abspath(build_dir)
        self.lockout_failures = lockout_failures
        self.session_seconds = session_seconds
        self.internal_domains = list(internal_domains)
        self.extra_env = extra_env or {}
        self.proc = None
        self.sink = None
        self.port = None
        self.url = None
        self._taken = set()
        self.config = os.path.join(self.dir, "sealmilter.conf")
        self.store = os.path.join(self.dir, "store.db")
        self.key_file = os.path.join(self.dir, "portal.key")
        self.log_path = os.path.join(self.dir, "sealportal.log")

    # --- set-up ----------------------------------------------------------
    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        self.sink = SmtpSink()
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        key = base64.b64encode(secrets.token_bytes(32)).decode()
        fd = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                     0o600)
        with os.fdopen(fd, "w") as f:
            f.write("# test key\nsealportal-key-v1 ktest1 %s\n" % key)
        domains = ", ".join('"%s"' % d for d in self.internal_domains)
        with open(self.config, "w") as f:
            f.write(
                '[spool]\ndirectory = "%s"\n'
                '[rules]\nshipped = false\n'
                '[gateway]\ninternal_domains = [%s]\n'
                '[store]\npath = "%s"\n'
                '[portal]\nurl = "%s"\nkey_file = "%s"\n'
                'listen = "127.0.0.1:%d"\nsmtp = "127.0.0.1:%d"\n'
                'mail_from = "portal@example.org"\nsecure_cookies = false\n'
                'lockout_failures = %d\nlockout = "10m"\n'
                'session = "%ds"\nmax_upload = "4M"\n'
                % (self.dir, domains, self.store, self.url, self.key_file,
                   self.port, self.sink.port, self.lockout_failures,
                   self.session_seconds))
        env = dict(os.environ)
        env.update(self.extra_env)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [os.path.join(self.build, "portal", "sealportal"),
             "-c", self.config],
            stdout=self._log, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("sealportal exited: " + self.log())
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("sealportal did not listen: " + self.log())

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.sink:
            self.sink.close()
        return self.proc.returncode if self.proc else None

    # --- envelopes -------------------------------------------------------
    def make_envelope(self, sender, recipients, text, html=None,
                      attachment=None, security="medium", reply=True,
                      js_free=False, expires_seconds=None,
                      read_receipt=False):
        """Returns (envelope_id, path of the .html file, passphrase).
        `attachment` is (name, bytes-as-text) or None."""
        n = len([p for p in os.listdir(self.dir) if p.endswith(".html")])
        path = os.path.join(self.dir, "envelope-%d.html" % n)
        args = [os.path.join(self.build, "tests", "portal",
                             "make_portal_envelope"),
                "--store", self.store, "--key-file", self.key_file,
                "--portal-url", self.url, "--out", path,
                "--sender", sender, "--text", text,
                "--security", security, "--reply", "yes" if reply else "no"]
        for r in recipients:
            args += ["--recipient", r]
        if html:
            args += ["--html", html]
        if attachment:
            args += ["--attachment", "%s=%s" % attachment]
        if js_free:
            args.append("--js-free")
        if read_receipt:
            args.append("--read-receipt")
        if expires_seconds:
            args += ["--expires-seconds", str(expires_seconds)]
        out = subprocess.run(args, check=True, capture_output=True,
                             text=True).stdout.split()
        return out[0], path, out[1]

    def _sealctl(self, *args):
        return subprocess.run(
            [os.path.join(self.build, "ctl", "sealctl")] + list(args),
            check=True, capture_output=True, text=True).stdout

    def revoke(self, envelope_id):
        return self._sealctl("envelope", "revoke", "-c", self.config,
                             envelope_id)

    def expire(self, envelope_id):
        return self._sealctl("envelope", "expire", "-c", self.config,
                             "--at", "now", envelope_id)

    # --- mail ------------------------------------------------------------
    def mails(self):
        with self.sink.lock:
            return list(self.sink.mails)

    def wait_mail(self, to, timeout=10):
        """The next mail (not returned before) with `to` among its
        recipients, as (rcpts, raw bytes); raises on timeout."""
        to = to.lower()
        deadline = time.time() + timeout
        with self.sink.lock:
            while True:
                for i, (rcpts, data) in enumerate(self.sink.mails):
                    if i not in self._taken and to in rcpts:
                        self._taken.add(i)
                        return rcpts, data
                left = deadline - time.time()
                if left <= 0:
                    raise TimeoutError("no mail for %s" % to)
                self.sink.lock.wait(left)


def run_suite(tests, build_dir, prefix):
    """Runs each fn(h) of `tests` against one started portal, goes on after
    a failure, prints ok/FAIL lines and the portal's log tail on failure;
    a portal that exits non-zero counts as a failure. Returns 0 or 1."""
    tmp = tempfile.mkdtemp(prefix=prefix)
    h = PortalHarness(tmp, build_dir)
    failures = 0
    try:
        h.start()
        for fn in tests:
            try:
                fn(h)
                print("ok   %s" % fn.__name__)
            except Exception:  # noqa: BLE001 - report and go on
                failures += 1
                print("FAIL %s" % fn.__name__)
                traceback.print_exc()
    finally:
        rc = h.stop()
        if failures:
            print("--- sealportal log ---\n" + h.log()[-4000:])
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if rc not in (0, None):
        print("sealportal exit status %r" % rc)
        failures += 1
    print("%d of %d failed" % (failures, len(tests)))
    return 1 if failures else 0
