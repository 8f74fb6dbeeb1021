#!/usr/bin/env python3
"""sealmilter as a gateway under faults and at size, behind a real Postfix.

One private Postfix with a milter-free reinjection smtpd (harness.Stack)
relays to an SMTP sink. The milter runs the shipped rules plus one private
rule file (keyword ZEBRA-7 → encrypt), with a SQLite store holding one
recipient certificate. Every test ends by checking that nothing was lost:
each message Postfix accepted (250) is at the sink or still in its queue,
and nothing refused is at the sink or in the queue.

  big-smime      a 20 MB message (a 15 MB random attachment) with a "#"
                 subject to the certificate holder: delivered as
                 enveloped-data; `openssl cms -decrypt` gives back the
                 original content byte for byte (compared by SHA-256).
  big-plain      a 20 MB message no rule fires on: delivered unchanged (one
                 Received: field + the sent bytes); the milter spilled it.
  store-write-locked  another process holds the store in an exclusive
                 write transaction: the store is in WAL mode, so readers go
                 on and mail is still encrypted, without waiting.
  store-unavailable  the milter restarted with store.path naming a missing
                 file, a file of garbage, a directory, and a database
                 another process holds in exclusive locking mode (busy
                 timeout 1s): it starts ("certificate store unavailable"),
                 "#" mail (and SSN mail) gets 451 4.7.0 and is neither
                 delivered nor queued, plain mail passes. Then the lock is
                 released without a restart: the milter's retry opens the
                 store ("certificate store available again") and "#" mail
                 is S/MIME encrypted again.
  milter-killed  SIGKILL to the milter while the client is half-way through
                 DATA: the client gets 4xx at the end of data, nothing is
                 delivered, nothing stays in Postfix's queue; after a
                 restart, mail flows again.
  reinject-down  an SSN mail needs an envelope and the sender's notice, but
                 the reinjection listener refuses connections, answers 421
                 at greeting, or 451 at end of data: 4xx to the client,
                 nothing delivered (neither the recipient's copy nor the
                 notice), nothing queued.
  reload-broken  SIGUSR1 with a rule file broken three ways (TOML syntax,
                 bad regex, unknown action): each reload is refused, the log
                 names rule-file:line, and the old policy keeps working (SSN
                 still sealed, ZEBRA-7 still S/MIME); a fixed file is then
                 taken.
  reload-under-load  while four clients send without pause (plain, SSN,
                 ZEBRA-7 to the certificate holder), the three broken rule
                 files are reloaded one after another: every reload is
                 refused, every message is accepted (none tempfailed) and
                 delivered, every SSN sealed and every ZEBRA-7 mail S/MIME
                 encrypted under the old rules.
  milter-killed-eom  SIGKILL to the milter after the whole 20 MB S/MIME
                 message reached Postfix, while the milter works on it (its
                 CPU time grows): 4xx, nothing delivered, nothing queued,
                 no half-rewritten copy anywhere.
  nothing-lost   over the whole run; no unexpected milter errors; clean exit;
                 and the black-hole name server got no query at all.

The whole run does no DNS, so slow DNS cannot slow mail ("slow DNS free
paths"): the script re-executes itself under `unshare --mount` and bind-
mounts a private resolv.conf over /etc/resolv.conf naming only 127.0.0.9
(options timeout:30 attempts:1, also in RES_OPTIONS), where a UDP and a TCP
socket of this script listen, never answer and record every query. The
milter and Postfix inherit that mount namespace; the system's resolv.conf
is never changed.
  dns-probe      control: `getent ahosts` of a name does reach the black
                 hole (so the check below can fail).
  dns-free       a plain, an SSN (envelope + notice, reinjected) and a "#"
                 (S/MIME) message each go from client to sink in well under
                 the 30 s resolver timeout (a check of "no lookup waited",
                 not a performance figure), and the black hole saw nothing.

usage: test_faults.py [--daemon PATH] [--sealctl PATH] [--only T1,T2]
       (or SEALMILTER=PATH SEALCTL=PATH); --only runs those tests and
       nothing-lost
Exit 0 all passed, 1 a test failed, 77 skipped (not root).
"""

import base64
import hashlib
import os
import pwd
import re
import select
import shutil
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

SENDER = "alice@example.org"
EXTERNAL = "bob@example.net"       # no certificate: secure envelope
CERT_RCPT = "carol@partner.test"   # certificate in the store: S/MIME
SSN = "078-05-1120"  # a structurally valid SSN, not a real person's
KEYWORD = "ZEBRA-7"
QUIET_PERIOD = 3.0
BIG = 20 * 1024 * 1024
TAG = f"{os.getpid()}.{int(time.time())}"

RULES_GOOD = f"""\
# test_faults.py: a private rule, to see which policy is in force.
[[rule]]
id = "zebra"
description = "Mentions the {KEYWORD} project"
scopes = ["subject", "body"]
patterns = '\\b{KEYWORD}\\b'
action = "encrypt"
when = {{ direction = "outbound" }}
"""

# Broken rule files: (what, text, line the error is on).
RULES_BROKEN = [
    ("toml-syntax", RULES_GOOD.replace('id = "zebra"', 'id = "zebra'), 3),
    ("bad-regex", RULES_GOOD.replace(f"'\\b{KEYWORD}\\b'", "'(unclosed'"),
     6),
    ("unknown-action", RULES_GOOD.replace('action = "encrypt"',
                                          'action = "encrypt-twice"'), 7),
]


def expect(cond, message):
    if not cond:
        raise AssertionError(message)


def message(name, to, subject, body, extra=b""):
    msgid = f"<faults-{name}.{TAG}@e2e.test>"
    head = (f"From: Alice <{SENDER}>\r\n"
            f"To: <{to}>\r\n"
            f"Subject: {subject}\r\n"
            f"Date: Wed, 02 Dec 2026 10:00:00 +0000\r\n"
            f"Message-ID: {msgid}\r\n"
            f"MIME-Version: 1.0\r\n").encode() + extra
    return msgid, head + b"\r\n" + body


def big_message(name, to, subject):
    """(msgid, message, content) of about BIG bytes: a short text part and
    a random application/octet-stream attachment. `content` is what S/MIME
    must seal: the Content-Type field, the empty line and the body."""
    # base64: 4 bytes per 3, 78 per 76 with the CRLFs.
    raw = os.urandom(BIG * 3 // 4 * 76 // 78 - 16 * 1024)
    b64 = base64.encodebytes(raw).replace(b"\n", b"\r\n")
    ctype = b'Content-Type: multipart/mixed; boundary="faults-boundary"\r\n'
    body = (b"--faults-boundary\r\n"
            b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
            b"The archive is attached.\r\n"
            b"--faults-boundary\r\n"
            b"Content-Type: application/octet-stream; name=archive.bin\r\n"
            b"Content-Disposition: attachment; filename=archive.bin\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + b64 +
            b"--faults-boundary--\r\n")
    msgid, data = message(name, to, subject, body, ctype)
    return msgid, data, ctype + b"\r\n" + body


# The private resolver: see the module docstring.
NS_ENV = "SEALMILTER_FAULTS_MOUNT_NS"
BLACKHOLE = "127.0.0.9"
RESOLVER_TIMEOUT = 30


class BlackHoleDns:
    """UDP and TCP port 53 on BLACKHOLE: records each query, answers none."""

    def __init__(self):
        self.queries = []  # (transport, peer, query name)
        self._lock = threading.Lock()
        self._stop = False
        self._held = []  # TCP connections kept open, unanswered
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind((BLACKHOLE, 53))
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind((BLACKHOLE, 53))
        self.tcp.listen(16)
        self._thread = threading.Thread(target=self._loop, daemon=True,
                                        name="dns-black-hole")
        self._thread.start()

    @staticmethod
    def _qname(packet):
        labels, pos = [], 12
        while pos < len(packet) and packet[pos] != 0 and len(labels) < 64:
            n = packet[pos]
            labels.append(packet[pos + 1:pos + 1 + n].decode("ascii",
                                                              "replace"))
            pos += 1 + n
        return ".".join(labels) or "?"

    def _loop(self):
        while not self._stop:
            ready, _, _ = select.select([self.udp, self.tcp] + self._held,
                                        [], [], 0.2)
            for s in ready:
                if s is self.udp:
                    packet, peer = self.udp.recvfrom(4096)
                    self._record("udp", peer, self._qname(packet))
                elif s is self.tcp:
                    conn, peer = self.tcp.accept()
                    self._held.append(conn)
                    self._record("tcp", peer, "(connection)")
                else:
                    data = s.recv(4096)
                    if not data:
                        self._held.remove(s)
                        s.close()
                    elif len(data) > 2:
                        self._record("tcp", s.getpeername(),
                                     self._qname(data[2:]))

    def _record(self, transport, peer, name):
        with self._lock:
            self.queries.append((transport, peer, name))

    def count(self):
        with self._lock:
            return len(self.queries)

    def since(self, n):
        with self._lock:
            return list(self.queries[n:])

    def close(self):
        self._stop = True
        self._thread.join(timeout=5)
        for s in [self.udp, self.tcp] + self._held:
            s.close()


def private_resolver(work):
    """In the private mount namespace: bind-mounts a resolv.conf naming the
    black hole over /etc/resolv.conf and starts the black hole. Returns
    (BlackHoleDns, None) or (None, the reason it is not in place)."""
    if os.environ.get(NS_ENV) != "1":
        return None, "not in a private mount namespace (unshare failed)"
    conf = os.path.join(work, "resolv.conf")
    with open(conf, "w") as f:
        f.write(f"# test_faults.py: a name server that never answers\n"
                f"nameserver {BLACKHOLE}\n"
                f"options timeout:{RESOLVER_TIMEOUT} attempts:1\n")
    os.chmod(conf, 0o644)
    p = subprocess.run(["mount", "--bind", conf, "/etc/resolv.conf"],
                       capture_output=True, timeout=30)
    if p.returncode != 0:
        return None, ("mount --bind of resolv.conf failed: " +
                      p.stderr.decode("utf-8", "replace").strip())
    os.environ["RES_OPTIONS"] = f"timeout:{RESOLVER_TIMEOUT} attempts:1"
    try:
        return BlackHoleDns(), None
    except OSError as e:
        return None, f"cannot listen on {BLACKHOLE}:53: {e}"


def enter_mount_namespace():
    """Re-executes this script in a private mount namespace (unshare -m, no
    fork: same pid, so meson's signals still reach it). Returns only when
    that is impossible."""
    if os.environ.get(NS_ENV) is not None:
        return
    unshare = shutil.which("unshare")
    if unshare is None:
        os.environ[NS_ENV] = "0"
        return
    env = dict(os.environ)
    env[NS_ENV] = "1"
    try:
        os.execve(unshare, [unshare, "--mount", "--propagation", "private",
                            sys.executable, os.path.abspath(__file__),
                            *sys.argv[1:]], env)
    except OSError as e:
        H.log(f"  cannot re-execute under unshare: {e}")
        os.environ[NS_ENV] = "0"


def sha(data):
    return hashlib.sha256(data).hexdigest()[:16]


def run(args, **kw):
    p = subprocess.run(args, capture_output=True, timeout=120, **kw)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def main():
    args = sys.argv[1:]
    only = None
    binary = os.environ.get("SEALMILTER")
    sealctl = os.environ.get("SEALCTL")
    while args:
        if args[0] == "--daemon" and len(args) > 1:
            binary, args = args[1], args[2:]
        elif args[0] == "--sealctl" and len(args) > 1:
            sealctl, args = args[1], args[2:]
        elif args[0] == "--only" and len(args) > 1:
            only, args = args[1].split(","), args[2:]
        else:
            print(__doc__)
            return 64
    if not binary or not sealctl:
        print("test_faults.py: set SEALMILTER and SEALCTL or pass "
              "--daemon and --sealctl")
        return 64
    H.require_root()
    enter_mount_namespace()
    binary = os.path.abspath(binary)
    sealctl = os.path.abspath(sealctl)
    t0 = time.monotonic()

    work = tempfile.mkdtemp(prefix="sealmilter-faults-")
    os.chmod(work, 0o755)
    dns, dns_missing = private_resolver(work)
    dns_baseline = [0]  # queries before the control probe's are forgotten
    key, cert = H.make_smime_cert(work, CERT_RCPT, "carol")
    store = H.make_store(sealctl, work, [cert])
    rule_file = os.path.join(work, "zebra.toml")

    def write_rules(text):
        with open(rule_file + ".tmp", "w") as f:
            f.write(text)
        os.chmod(rule_file + ".tmp", 0o644)
        os.replace(rule_file + ".tmp", rule_file)
    write_rules(RULES_GOOD)

    values = {
        "store.path": H.toml_string(store),
        "store.busy_timeout": '"1s"',
        "gateway.internal_domains": '["example.org"]',
        "gateway.reinject_journal": H.toml_string(
            os.path.join(work, "journal")),
        "rules.paths": f"[{H.toml_string(rule_file)}]",
        "log.level": '"info"',
    }
    failures = 0
    accepted = []  # (message id, queue id): Postfix said 250
    refused = []   # message ids Postfix did not accept
    with H.Stack(binary, milter_values=values, reinject=True,
                 prefix="sealmilter-faults-e2e-") as st:
        pf = st.postfix

        def send(msgid, data, rcpts):
            r = pf.send(data, SENDER, rcpts, timeout=120)
            if r.accepted:
                accepted.append((msgid, r.queue_id))
            else:
                refused.append(msgid)
            return r

        def send_ok(msgid, data, rcpts):
            r = send(msgid, data, rcpts)
            expect(r.accepted and r.queue_id, f"send {msgid}: {r}")
            return r

        def new_messages(before, n, timeout=H.DELIVERY_TIMEOUT):
            return st.sink.wait_for(before + n, timeout)[before:]

        def delivered(msgid, timeout=30):
            found = H.wait_until(lambda: st.sink.find(msgid), timeout,
                                 what=f"{msgid} at the sink")
            expect(len(found) == 1, f"{len(found)} copies of {msgid}")
            return found[0]

        def expect_tempfail(what, msgid, data, rcpts):
            """Sends; expects 4xx, then that nothing arrives or stays
            queued."""
            before = st.sink.count()
            queued = pf.queued_files()
            r = send(msgid, data, rcpts)
            expect(400 <= r.code < 500, f"{what}: expected 4xx, got {r}")
            time.sleep(QUIET_PERIOD)
            expect(st.sink.count() == before,
                   f"{what}: {st.sink.count() - before} message(s) "
                   f"delivered although the client got {r.code}")
            expect(pf.queued_files() == queued,
                   f"{what}: left in Postfix's queue: {pf.queue()}")
            return r

        def plain_passes(name):
            msgid, data = message(name, EXTERNAL, "lunch?",
                                  b"See you at noon.\r\n")
            r = send_ok(msgid, data, [EXTERNAL])
            st.milter.passed_line(r.queue_id)
            m = delivered(msgid)
            _, body = H.split_message(m.data)
            expect(body == b"See you at noon.\r\n",
                   f"{name}: body changed: {body!r}")

        def smime_works(name, subject="# works"):
            msgid, data = message(name, CERT_RCPT, subject,
                                  b"sealed text\r\n")
            r = send_ok(msgid, data, [CERT_RCPT])
            st.milter.wait_for_log(re.escape(r.queue_id) +
                                   r": encrypted: .* method=smime")
            m = delivered(msgid)
            expect(b"sealed text" not in m.data, f"{name}: clear text")

        def restart_milter(values_now):
            st.milter.stop()
            st.milter.write_config(values_now)
            st.milter.start()

        def test_big_smime():
            msgid, data, content = big_message("big-smime", CERT_RCPT,
                                               "# the archive")
            expect(len(data) >= BIG - 128 * 1024,
                   f"test message is only {len(data)} bytes")
            t = time.monotonic()
            before = st.sink.count()
            r = send_ok(msgid, data, [CERT_RCPT])
            st.milter.wait_for_log(re.escape(r.queue_id) +
                                   r": encrypted: .* method=smime certs=1",
                                   timeout=90)
            [m] = new_messages(before, 1, timeout=90)
            H.log(f"  {len(data)} bytes sent, {len(m.data)} delivered, "
                  f"{time.monotonic() - t:.1f}s")
            expect(m.header("Message-ID") == msgid, "another message came")
            ct = m.header("Content-Type") or ""
            expect("application/pkcs7-mime" in ct and "enveloped-data" in ct,
                   f"Content-Type: {ct}")
            _, tail_b64 = H.split_message(data)
            expect(tail_b64[-4096:-100] not in m.data,
                   "attachment bytes travel in clear")
            path = os.path.join(work, "big-smime.eml")
            with open(path, "wb") as f:
                f.write(m.data)
            rc, plain, err = run(["openssl", "cms", "-decrypt", "-in", path,
                                  "-inkey", key, "-recip", cert])
            os.unlink(path)
            expect(rc == 0, f"openssl cms -decrypt failed: {err}")
            expect(len(plain) == len(content) and plain == content,
                   f"decrypted {len(plain)} bytes sha256 {sha(plain)}, "
                   f"want {len(content)} bytes sha256 {sha(content)}")

        def test_big_plain():
            msgid, data, _ = big_message("big-plain", EXTERNAL,
                                         "the archive")
            before = st.sink.count()
            r = send_ok(msgid, data, [EXTERNAL])
            line = st.milter.passed_line(r.queue_id, timeout=90)
            expect(line["spilled"] == "yes" and int(line["size"]) ==
                   len(data), f"passed line: {line}")
            [m] = new_messages(before, 1, timeout=90)
            expect(m.data.endswith(data),
                   f"delivered {len(m.data)} bytes sha256 {sha(m.data)} do "
                   f"not end with the {len(data)} sent (sha256 {sha(data)})")
            prefix = m.data[:len(m.data) - len(data)]
            fields = H.header_fields(prefix + b"\r\n")
            expect(len(fields) == 1 and fields[0].startswith(b"Received:"),
                   f"more than a Received: field added: {prefix[:500]!r}")

        def test_store_write_locked():
            # The store runs in WAL mode: a writer holding the database
            # exclusively does not block readers, so encryption goes on
            # (and within store.busy_timeout).
            db = sqlite3.connect(store, timeout=1, isolation_level=None)
            try:
                db.execute("BEGIN EXCLUSIVE")
                t = time.monotonic()
                smime_works("write-locked")
                expect(time.monotonic() - t < 10, "encryption waited for "
                       "the writer")
                plain_passes("write-locked-plain")
            finally:
                db.execute("ROLLBACK")
                db.close()

        def test_store_unavailable():
            saved = dict(st.milter.values)
            bad = os.path.join(work, "bad-stores")
            os.makedirs(bad, exist_ok=True)
            garbage = os.path.join(bad, "garbage.db")
            with open(garbage, "wb") as f:
                f.write(b"SQLite format 3\0" + os.urandom(64 * 1024))
            directory = os.path.join(bad, "a-directory.db")
            os.makedirs(directory, exist_ok=True)
            locked = os.path.join(bad, "locked.db")
            shutil.copy(store, locked)
            # Owned like a real store: the milter's retry after the lock
            # goes runs as the milter user (and WAL needs the directory).
            pw = pwd.getpwnam(H.MILTER_USER)
            for p in (bad, locked):
                os.chown(p, pw.pw_uid, pw.pw_gid)
            holder = sqlite3.connect(locked, timeout=1, isolation_level=None)
            try:
                # Exclusive locking mode: the lock on the file is kept, so
                # no other process can even start reading.
                holder.execute("PRAGMA locking_mode = EXCLUSIVE")
                holder.execute("BEGIN EXCLUSIVE")
                for what, path in (
                        ("missing", os.path.join(bad, "none", "store.db")),
                        ("garbage", garbage),
                        ("directory", directory),
                        ("locked", locked)):
                    restart_milter({**saved,
                                    "store.path": H.toml_string(path)})
                    st.milter.wait_for_log(
                        r"certificate store unavailable", timeout=10)
                    msgid, data = message(f"store-{what}", CERT_RCPT,
                                          f"# store {what}",
                                          b"sealed text\r\n")
                    r = expect_tempfail(f"store {what}, S/MIME", msgid, data,
                                        [CERT_RCPT])
                    H.log(f"  store {what}: {r}")
                    if what == "missing":
                        msgid, data = message("store-missing-ssn", EXTERNAL,
                                              "form",
                                              f"SSN {SSN}\r\n".encode())
                        expect_tempfail("store missing, SSN", msgid, data,
                                        [EXTERNAL])
                    plain_passes(f"store-{what}-plain")
                # The lock goes away while the milter runs: its retry
                # thread opens the store within its interval (15 s), and
                # S/MIME works again without a restart.
                holder.execute("ROLLBACK")
                holder.close()
                holder = None
                st.milter.wait_for_log(r"certificate store available again",
                                       timeout=45)
                msgid, data = message("store-unlocked", CERT_RCPT,
                                      "# store unlocked", b"sealed text\r\n")
                r = send(msgid, data, [CERT_RCPT])
                expect(r.accepted, f"after the lock went: {r}")
                m = delivered(msgid)
                expect(b"pkcs7-mime" in m.data,
                       "not encrypted after the store came back")
            finally:
                if holder is not None:
                    holder.close()
                restart_milter(saved)
            smime_works("store-back")

        def test_milter_killed():
            msgid, data = message("killed", EXTERNAL, "# half way",
                                  b"".join(b"line %06d of a long letter\r\n"
                                           % i for i in range(20000)))
            half = len(data) // 2
            before = st.sink.count()
            queued = pf.queued_files()
            client = smtplib.SMTP("127.0.0.1", pf.smtpd_port,
                                  local_hostname="client.e2e.test",
                                  timeout=60)
            try:
                expect(client.ehlo()[0] == 250, "EHLO")
                expect(client.mail(SENDER)[0] == 250, "MAIL")
                expect(client.rcpt(EXTERNAL)[0] == 250, "RCPT")
                code, text = client.docmd("DATA")
                expect(code == 354, f"DATA: {code} {text}")
                client.sock.sendall(data[:half])
                time.sleep(0.5)
                pid = st.milter.proc.pid
                st.milter.proc.kill()
                rc = st.milter.stop()
                expect(rc == -9, f"milter {pid} exit status {rc}, want -9")
                client.sock.sendall(data[half:] + b".\r\n")
                code, text = client.getreply()
            finally:
                try:
                    client.quit()
                except (smtplib.SMTPException, OSError):
                    client.close()
            refused.append(msgid)
            H.log(f"  after the kill: {code} {H._text(text)}")
            expect(400 <= code < 500, f"after the kill: {code} {text}, "
                   "want 4xx")
            time.sleep(QUIET_PERIOD)
            expect(st.sink.count() == before, "delivered after the kill")
            expect(pf.queued_files() == queued,
                   f"left in Postfix's queue: {pf.queue()}")
            st.milter.start()
            plain_passes("after-kill")

        def test_reinject_down():
            saved = dict(st.milter.values)
            fake = H.SmtpSink(os.path.join(work, "fake-reinject")).start()
            try:
                for what, port, fault, logged in (
                        ("refused", H.free_port(), None,
                         "Connection refused"),
                        ("421 at greeting", fake.port,
                         ("connect", "421 4.3.2 reinject test fault"),
                         "greeting: 421 4.3.2 reinject test fault"),
                        ("451 at end of data", fake.port,
                         ("eom", "451 4.3.0 reinject test fault"),
                         "end of data: 451 4.3.0 reinject test fault")):
                    fake.clear_faults()
                    if fault:
                        fake.fail(*fault)
                    st.milter.write_config({
                        **saved, "gateway.reinject":
                            H.toml_string(f"127.0.0.1:{port}")})
                    expect(st.milter.reload(), "reload refused")
                    msgid, data = message(
                        "reinject-" + what.split()[0], EXTERNAL, "form",
                        f"SSN {SSN}, for the form\r\n".encode())
                    r = expect_tempfail(f"reinject {what}", msgid, data,
                                        [EXTERNAL])
                    expect(fake.count() == 0,
                           f"reinject {what}: the fake listener stored one")
                    st.milter.wait_for_log(
                        r"reinjection: unavailable: .*" + re.escape(logged),
                        timeout=5)
                    H.log(f"  reinject {what}: {r}")
                expect(fake.attempts["connect"] >= 2,
                       f"the fake listener was not used: {fake.attempts}")
            finally:
                fake.close()
                st.milter.write_config(saved)
                expect(st.milter.reload(), "reload refused")

        def test_reload_broken():
            for what, text, line in RULES_BROKEN:
                write_rules(text)
                expect(not st.milter.reload(),
                       f"{what}: the broken rule file was taken")
                failed = re.findall(r"configuration reload failed.*$",
                                    st.milter.run_log(), re.M)[-1]
                expect(re.search(re.escape(rule_file) + f":{line}\\b",
                                 failed),
                       f"{what}: log does not name {rule_file}:{line}: "
                       f"{failed}")
                H.log(f"  {what}: {failed}")
                # The old policy is in force: shipped rules and ours.
                before = st.sink.count()
                msgid, data = message(f"reload-{what}", EXTERNAL, "form",
                                      f"SSN {SSN}\r\n".encode())
                r = send_ok(msgid, data, [EXTERNAL])
                st.milter.wait_for_log(re.escape(r.queue_id) +
                                       r": encrypted: .* method=envelope")
                msgs = new_messages(before, 2)
                expect(all(SSN.encode() not in m.data for m in msgs),
                       f"{what}: the SSN left in clear")
                smime_works(f"reload-{what}-zebra",
                            subject=f"about {KEYWORD}")
            # A good file is taken again, and its change shows.
            write_rules(RULES_GOOD.replace(KEYWORD, "OKAPI-9"))
            expect(st.milter.reload(), "the fixed rule file was refused")
            smime_works("reload-okapi", subject="about OKAPI-9")
            msgid, data = message("reload-zebra-gone", CERT_RCPT,
                                  f"about {KEYWORD}", b"not secret\r\n")
            r = send_ok(msgid, data, [CERT_RCPT])
            st.milter.passed_line(r.queue_id)

        def test_dns_probe():
            expect(dns is not None, f"no private resolver: {dns_missing}")
            n = dns.count()
            t = time.monotonic()
            p = subprocess.run(["getent", "ahosts", "dns-probe.e2e.test"],
                               capture_output=True, timeout=60,
                               env={**os.environ,
                                    "RES_OPTIONS": "timeout:1 attempts:1"})
            got = dns.since(n)
            H.log(f"  getent exit {p.returncode} after "
                  f"{time.monotonic() - t:.1f}s; black hole saw {got}")
            expect(p.returncode != 0, "the probe name resolved")
            expect(any("dns-probe.e2e.test" in q[2] for q in got),
                   "the probe's query did not reach the black hole: the "
                   "private resolv.conf is not in force")
            dns_baseline[0] = dns.count()

        def test_dns_free():
            expect(dns is not None, f"no private resolver: {dns_missing}")
            n = dns.count()
            cases = [
                ("dns-plain", EXTERNAL, "lunch?", b"See you at noon.\r\n",
                 1, None),
                ("dns-envelope", EXTERNAL, "form",
                 f"SSN {SSN}\r\n".encode(), 2, "envelope"),
                ("dns-smime", CERT_RCPT, "# sealed", b"sealed text\r\n", 1,
                 "smime"),
            ]
            for name, rcpt, subject, body, copies, method in cases:
                msgid, data = message(name, rcpt, subject, body)
                before = st.sink.count()
                t = time.monotonic()
                r = send_ok(msgid, data, [rcpt])
                new_messages(before, copies, timeout=RESOLVER_TIMEOUT * 2)
                took = time.monotonic() - t
                if method:
                    st.milter.wait_for_log(re.escape(r.queue_id) +
                                           r": encrypted: .* method=" +
                                           method, timeout=5)
                else:
                    st.milter.passed_line(r.queue_id, timeout=5)
                H.log(f"  {name}: client to sink in {took:.2f}s")
                expect(took < RESOLVER_TIMEOUT / 2,
                       f"{name} took {took:.1f}s: something waited for the "
                       f"{RESOLVER_TIMEOUT}s resolver timeout")
            got = dns.since(n)
            expect(not got, f"DNS queries on the message path: {got}")

        def test_reload_under_load():
            write_rules(RULES_GOOD)
            expect(st.milter.reload(), "the good rule file was refused")
            stop = threading.Event()
            sent = []  # (kind, msgid, SendResult)
            lock = threading.Lock()
            kinds = [("plain", EXTERNAL, "lunch?", b"See you at noon.\r\n"),
                     ("ssn", EXTERNAL, "form", f"SSN {SSN}\r\n".encode()),
                     ("zebra", CERT_RCPT, f"about {KEYWORD}",
                      b"zebra text\r\n")]

            def client(k):
                i = 0
                while not stop.is_set():
                    kind, rcpt, subject, body = kinds[(k + i) % len(kinds)]
                    msgid, data = message(f"load-{k}-{i}-{kind}", rcpt,
                                          subject, body)
                    r = send(msgid, data, [rcpt])
                    with lock:
                        sent.append((kind, msgid, r))
                    i += 1
            before = st.sink.count()
            threads = [threading.Thread(target=client, args=(k,),
                                        daemon=True) for k in range(4)]
            for t in threads:
                t.start()
            try:
                time.sleep(1.0)
                for what, text, _line in RULES_BROKEN:
                    write_rules(text)
                    expect(not st.milter.reload(),
                           f"{what}: the broken rule file was taken")
                    time.sleep(1.0)
            finally:
                stop.set()
                for t in threads:
                    t.join(timeout=120)
                write_rules(RULES_GOOD)
            expect(st.milter.reload(), "the good rule file was refused")
            bad = [(m, str(r)) for _, m, r in sent if not r.accepted]
            expect(not bad, f"refused during the reloads: {bad}")
            counts = {k: sum(1 for kind, _, _ in sent if kind == k)
                      for k, _, _, _ in kinds}
            H.log(f"  {len(sent)} messages during 3 refused reloads: "
                  f"{counts}")
            expect(all(c >= 2 for c in counts.values()),
                   f"too little load: {counts}")
            want = len(sent) + counts["ssn"]  # + each SSN sender notice
            msgs = new_messages(before, want)
            by_id = {}
            for m in msgs:
                by_id.setdefault(m.header("Message-ID"), []).append(m)
            for kind, msgid, r in sent:
                # The recipient's copy (an SSN's sender notice has its own
                # Message-ID, or the original's: skip it).
                copies = [m for m in by_id.get(msgid, [])
                          if SENDER not in m.rcpts]
                expect(len(copies) == 1, f"{msgid}: {len(copies)} copies")
                m = copies[0]
                if kind == "plain":
                    expect(m.data.endswith(b"See you at noon.\r\n"),
                           f"{msgid} changed")
                elif kind == "ssn":
                    expect(SSN.encode() not in m.data,
                           f"{msgid}: the SSN left in clear")
                    st.milter.wait_for_log(re.escape(r.queue_id) +
                                           r": encrypted: .* method=envelope",
                                           timeout=5)
                else:
                    expect(b"pkcs7-mime" in m.data and
                           b"zebra text" not in m.data,
                           f"{msgid}: not S/MIME under the old rules")

        def test_milter_killed_eom():
            msgid, data, _ = big_message("killed-eom", CERT_RCPT,
                                         "# the archive")
            before = st.sink.count()
            queued = pf.queued_files()
            pid = st.milter.proc.pid

            def cpu():
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                return (int(fields[11]) + int(fields[12])) / \
                    os.sysconf("SC_CLK_TCK")
            client = smtplib.SMTP("127.0.0.1", pf.smtpd_port,
                                  local_hostname="client.e2e.test",
                                  timeout=120)
            try:
                expect(client.ehlo()[0] == 250, "EHLO")
                expect(client.mail(SENDER)[0] == 250, "MAIL")
                expect(client.rcpt(CERT_RCPT)[0] == 250, "RCPT")
                code, text = client.docmd("DATA")
                expect(code == 354, f"DATA: {code} {text}")
                client.sock.sendall(data + b".\r\n")
                # Postfix hands the message to the milter after the final
                # dot; kill once the milter has spent CPU on it, before
                # any reply reaches the client.
                # (It encrypts 20 MB in well under a second here: poll
                # finely, freeze it with SIGSTOP, then check that no reply
                # came before the freeze.)
                start = cpu()
                t = time.monotonic()
                while cpu() - start < 0.05:
                    expect(not select.select([client.sock], [], [], 0.002)[0],
                           "Postfix answered before the milter could be "
                           "killed: the message is too small for this "
                           "machine")
                    expect(time.monotonic() - t < 60,
                           "the milter never worked on the message")
                os.kill(pid, signal.SIGSTOP)
                expect(not select.select([client.sock], [], [], 0.2)[0],
                       "Postfix answered before the milter was stopped")
                st.milter.proc.kill()
                rc = st.milter.stop()
                H.log(f"  killed {time.monotonic() - t:.2f}s after the "
                      f"final dot")
                expect(rc == -9, f"milter {pid} exit status {rc}, want -9")
                code, text = client.getreply()
            finally:
                try:
                    client.quit()
                except (smtplib.SMTPException, OSError):
                    client.close()
            refused.append(msgid)
            H.log(f"  after the kill at end of message: {code} "
                  f"{H._text(text)}")
            expect(400 <= code < 500, f"after the kill: {code} {text}, "
                   "want 4xx")
            time.sleep(QUIET_PERIOD)
            expect(st.sink.count() == before, "delivered after the kill")
            expect(pf.queued_files() == queued,
                   f"left in Postfix's queue: {pf.queue()}")
            st.milter.start()
            smime_works("after-kill-eom")

        def test_nothing_lost():
            present = {}

            def settled():
                present.clear()
                for m in st.sink.messages():
                    mid = m.header("Message-ID")
                    present[mid] = present.get(mid, 0) + 1
                return all(mid in present for mid, _ in accepted)
            try:
                H.wait_until(settled, 30, interval=0.5,
                             what="every accepted message at the sink")
            except TimeoutError:
                queue = pf.queue()
                lost = [(mid, qid) for mid, qid in accepted
                        if mid not in present and qid not in queue]
                expect(not lost, f"accepted, neither delivered nor queued: "
                       f"{lost}")
            leaked = [mid for mid in refused if mid in present]
            expect(not leaked, f"refused but delivered: {leaked}")
            rc = st.milter.stop()
            expect(rc == 0, f"milter exit status {rc} on SIGTERM")
            problems = [p for p in st.milter.problems()
                        if not re.search(
                            r"configuration reload failed|"
                            r"certificate store|store|reinject", p)]
            expect(not problems, f"milter log problems: {problems}")
            expect(not pf.problems(), f"Postfix problems: {pf.problems()}")
            if dns is not None:
                got = dns.since(dns_baseline[0])
                expect(not got, f"DNS queries during the run: {got}")

        tests = [
            ("dns-probe", test_dns_probe),
            ("dns-free", test_dns_free),
            ("big-smime", test_big_smime),
            ("big-plain", test_big_plain),
            ("store-write-locked", test_store_write_locked),
            ("store-unavailable", test_store_unavailable),
            ("milter-killed", test_milter_killed),
            ("reinject-down", test_reinject_down),
            ("reload-broken", test_reload_broken),
            ("reload-under-load", test_reload_under_load),
            ("milter-killed-eom", test_milter_killed_eom),
            ("nothing-lost", test_nothing_lost),
        ]
        if only:
            tests = [t for t in tests if t[0] in only or
                     t[0] == "nothing-lost"]
        failures = H.run_tests(tests, per_test_timeout=150)
        if failures:
            st.print_diagnostics()

    if os.environ.get("SEALMILTER_E2E_KEEP") == "1":
        H.log(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    H.log(f"{'FAILED' if failures else 'passed'}: {failures} failure(s), "
          f"{time.monotonic() - t0:.1f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
