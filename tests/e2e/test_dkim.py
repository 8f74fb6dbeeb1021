#!/usr/bin/env python3
"""sealmilter before a DKIM signer (OpenDKIM) in one real Postfix.

The order that works, smtpd_milters = <sealmilter>, <opendkim>: Postfix
gives each milter the message as the milters before it left it, so
OpenDKIM signs what sealmilter made of it. The reverse order signs the
plain text, which sealmilter then replaces: the signature is broken on
every message sealmilter rewrites. This test shows both.

Set-up: one private Postfix (harness.Stack) with smtpd_milters =
sealmilter, opendkim; the reinjection listener (gateway.reinject) runs
OpenDKIM alone, so the notices sealmilter sends itself are signed too,
and never sealmilter (contrib/postfix/master.cf.example, section 4).
OpenDKIM (Debian opendkim) runs in the foreground from a private config
on an inet socket on 127.0.0.1, signing example.org with a key made by
opendkim-genkey (Debian opendkim-tools) in the private directory.
Signatures are checked with dkimpy (Debian python3-dkim) whose DNS lookup
is a function returning our own TXT record: no DNS is ever asked.

  plain        a mail no rule touches: delivered byte-identical below the
               signature, which verifies; the body hash (bh=, recomputed
               here from the delivered body) matches.
  envelope     an SSN to a recipient without a certificate becomes a secure
               envelope: the notification's signature verifies, covers the
               rewritten Subject and Content-Type (h=), has no l= (the
               whole body is covered), and its bh= is that of the delivered
               envelope, not of the plain text; the sender's passphrase
               notice, re-injected through the listener, is signed and
               verifies as well.
  smime        a "#" subject to a recipient with a certificate becomes
               application/pkcs7-mime: the same checks.
  tampered     one byte changed in a delivered encrypted body, or in its
               Subject, makes the signature fail: the checks above can
               fail.
  wrong-order  smtpd_milters = <opendkim>, <sealmilter>: the envelope
               notification and the S/MIME message carry a signature that
               does NOT verify, and its bh= is that of the plain text
               OpenDKIM was shown. This is why the order matters.
  clean-exit   sealmilter exits 0 on SIGTERM with no error in its log;
               OpenDKIM is still running (it never crashed on our edits).

usage: test_dkim.py [--daemon PATH] [--sealctl PATH]
       (or SEALMILTER=PATH SEALCTL=PATH)
Exit 0 all passed, 1 a test failed, 77 skipped (not root, or OpenDKIM or
dkimpy missing).
"""

import base64
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

# dkimpy comes from Debian (python3-dkim) and is installed for Debian's
# python3. Under another interpreter (pyenv, a venv) run again with that one.
SYSTEM_PYTHON = "/usr/bin/python3"
try:
    import dkim  # noqa: E402
except ImportError:
    if (os.path.realpath(sys.executable) !=
            os.path.realpath(SYSTEM_PYTHON) and
            os.access(SYSTEM_PYTHON, os.X_OK) and
            not os.environ.get("SEALMILTER_DKIM_REEXEC")):
        os.environ["SEALMILTER_DKIM_REEXEC"] = "1"
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON, os.path.abspath(__file__),
                                 *sys.argv[1:]])
    dkim = None

OPENDKIM = "/usr/sbin/opendkim"
OPENDKIM_GENKEY = "/usr/sbin/opendkim-genkey"

DOMAIN = "example.org"
SELECTOR = "e2e"
SENDER = f"alice@{DOMAIN}"
EXTERNAL = "bob@example.net"       # no certificate: secure envelope
CERT_RCPT = "carol@partner.test"   # certificate in the store: S/MIME
SSN = "078-05-1120"  # a structurally valid SSN, not a real person's
TAG = f"{os.getpid()}.{int(time.time())}"
OPENDKIM_START_TIMEOUT = 30.0


def expect(cond, message):
    if not cond:
        raise AssertionError(message)


def message(name, to, subject, body, extra=b""):
    msgid = f"<{name}.{TAG}@e2e.test>"
    head = (f"From: Alice <{SENDER}>\r\n"
            f"To: <{to}>\r\n"
            f"Subject: {subject}\r\n"
            f"Date: Wed, 02 Dec 2026 10:00:00 +0000\r\n"
            f"Message-ID: {msgid}\r\n"
            f"MIME-Version: 1.0\r\n").encode() + extra
    return msgid, head + b"\r\n" + body


# ---------------------------------------------------------------------------
# OpenDKIM


def parse_zone_txt(text):
    """The TXT data of opendkim-genkey's SELECTOR.txt (zone file syntax:
    NAME IN TXT ( "part" "part" ... ) ; comment): the quoted parts joined."""
    inner = text[text.index("(") + 1:text.rindex(")")]
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', inner)
    if not parts:
        raise ValueError(f"no quoted TXT data in {text!r}")
    return "".join(parts).encode()


class OpenDkim:
    """OpenDKIM in the foreground (-f) from DIR/opendkim.conf, signing
    `domain` with selector `selector` on inet:PORT@127.0.0.1. The key
    (opendkim-genkey) is DIR/SELECTOR.private, its DNS record
    DIR/SELECTOR.txt. stderr goes to DIR/opendkim.log; it logs nothing else
    (Syslog no: a private instance has no syslog)."""

    def __init__(self, directory, domain=DOMAIN, selector=SELECTOR):
        self.directory = directory
        os.makedirs(directory, mode=0o700, exist_ok=True)
        self.domain = domain
        self.selector = selector
        self.port = H.free_port()
        self.spec = f"inet:127.0.0.1:{self.port}"  # as Postfix names it
        self.conf = os.path.join(directory, "opendkim.conf")
        self.log_path = os.path.join(directory, "opendkim.log")
        self.key = os.path.join(directory, f"{selector}.private")
        self.proc = None
        p = subprocess.run([OPENDKIM_GENKEY, "-b", "2048", "-d", domain, "-s",
                            selector, "-D", directory], capture_output=True,
                           timeout=120)
        if p.returncode != 0:
            raise RuntimeError("opendkim-genkey failed: " +
                               p.stderr.decode("utf-8", "replace"))
        with open(os.path.join(directory, f"{selector}.txt")) as f:
            self.txt = parse_zone_txt(f.read())
        self._write_conf()

    def _write_conf(self):
        # RequireSafeKeys no: the key is 0600 root, but below /tmp, which
        # OpenDKIM's path check refuses. Canonicalization and From
        # oversigning as in Debian's /etc/opendkim.conf. SignHeaders named:
        # this OpenDKIM's default signs only From, To, Subject and Date.
        with open(self.conf, "w") as f:
            f.write(f"Mode s\n"
                    f"Domain {self.domain}\n"
                    f"Selector {self.selector}\n"
                    f"KeyFile {self.key}\n"
                    f"Socket inet:{self.port}@127.0.0.1\n"
                    f"InternalHosts 127.0.0.1\n"
                    f"Canonicalization relaxed/simple\n"
                    f"OversignHeaders From\n"
                    f"SignHeaders From,To,Cc,Subject,Date,Message-ID,"
                    f"MIME-Version,Content-Type,Content-Transfer-Encoding\n"
                    f"Background no\n"
                    f"Syslog no\n"
                    f"RequireSafeKeys no\n"
                    f"PidFile {self.directory}/opendkim.pid\n")

    def dnsfunc(self, name, timeout=5):
        """dkimpy's TXT lookup: our record for SELECTOR._domainkey.DOMAIN,
        nothing for any other name (never real DNS)."""
        if isinstance(name, bytes):
            name = name.decode()
        want = f"{self.selector}._domainkey.{self.domain}"
        return self.txt if name.rstrip(".").lower() == want else None

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def _listening(self):
        """Whether 127.0.0.1:PORT is in LISTEN state (read from
        /proc/net/tcp, so no milter session is opened to find out)."""
        want = f"0100007F:{self.port:04X}"
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if cols[1] == want and cols[3] == "0A":
                    return True
        return False

    def start(self):
        logf = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                [OPENDKIM, "-f", "-x", self.conf], stdin=subprocess.DEVNULL,
                stdout=logf, stderr=logf, start_new_session=True)
        finally:
            logf.close()
        H._register(self)
        deadline = time.monotonic() + OPENDKIM_START_TIMEOUT
        while not self._listening():
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"opendkim exited with {self.proc.returncode}: "
                    f"{H.tail(H.read_text(self.log_path))}")
            if time.monotonic() > deadline:
                raise RuntimeError("opendkim did not listen within "
                                   f"{OPENDKIM_START_TIMEOUT:.0f}s")
            time.sleep(0.05)
        return self

    def stop(self):
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        return proc.returncode

    def close(self):
        try:
            self.stop()
        finally:
            H._unregister(self)


# ---------------------------------------------------------------------------
# DKIM-Signature fields and the body hash, computed here (RFC 6376 3.4.3,
# 3.4.4, 3.7) independently of dkimpy.


def dkim_fields(data):
    """Every DKIM-Signature field of a message, as {tag: value} with folding
    white space removed from the values."""
    out = []
    for field in H.header_fields(data):
        name, _, value = field.partition(b":")
        if name.strip().lower() != b"dkim-signature":
            continue
        tags = {}
        for item in value.decode("ascii", "replace").split(";"):
            tag, sep, val = item.partition("=")
            if sep:
                tags[tag.strip()] = re.sub(r"\s+", "", val)
        out.append(tags)
    return out


def canonical_body(body, method):
    """The body canonicalized with "simple" or "relaxed"."""
    if method == "relaxed":
        lines = body.split(b"\r\n")
        if lines and lines[-1] == b"":
            lines.pop()
        lines = [re.sub(rb"[ \t]+", b" ", l).rstrip(b" \t") for l in lines]
        while lines and lines[-1] == b"":
            lines.pop()
        return b"".join(l + b"\r\n" for l in lines)
    if method != "simple":
        raise ValueError(f"unknown body canonicalization {method!r}")
    if body and not body.endswith(b"\r\n"):
        body += b"\r\n"
    while body.endswith(b"\r\n\r\n"):
        body = body[:-2]
    return body or b"\r\n"


def body_hash(body, sig):
    """bh= as it would be for `body` under the signature's c= and a=."""
    c = sig.get("c", "simple/simple")
    method = c.split("/")[1] if "/" in c else "simple"
    algo = sig.get("a", "rsa-sha256").split("-")[1]
    digest = hashlib.new(algo, canonical_body(body, method)).digest()
    return base64.b64encode(digest).decode()


def signed_headers(sig):
    return [h.strip().lower() for h in sig.get("h", "").split(":")]


# ---------------------------------------------------------------------------


def main():
    args = sys.argv[1:]
    binary = os.environ.get("SEALMILTER")
    sealctl = os.environ.get("SEALCTL")
    while args:
        if args[0] == "--daemon" and len(args) > 1:
            binary = args[1]
            args = args[2:]
        elif args[0] == "--sealctl" and len(args) > 1:
            sealctl = args[1]
            args = args[2:]
        else:
            print(__doc__)
            return 64
    if not binary or not sealctl:
        print("test_dkim.py: set SEALMILTER and SEALCTL or pass --daemon "
              "and --sealctl")
        return 64
    H.require_root()
    for prog, pkg in ((OPENDKIM, "opendkim"),
                      (OPENDKIM_GENKEY, "opendkim-tools")):
        if not os.access(prog, os.X_OK):
            H.log(f"SKIP: {prog} missing (Debian package {pkg})")
            return H.EXIT_SKIP
    if dkim is None:
        H.log("SKIP: python module dkim missing (Debian package "
              "python3-dkim, for /usr/bin/python3)")
        return H.EXIT_SKIP
    binary = os.path.abspath(binary)
    sealctl = os.path.abspath(sealctl)
    t0 = time.monotonic()

    work = tempfile.mkdtemp(prefix="sealmilter-dkim-")
    os.chmod(work, 0o755)
    _key, cert = H.make_smime_cert(work, CERT_RCPT, "carol")
    store = H.make_store(sealctl, work, [cert])
    signer = OpenDkim(os.path.join(work, "opendkim")).start()

    # The reinjection listener runs the signer alone: sealmilter's own
    # notices are signed, and never pass sealmilter again. (The harness's
    # listener switches every milter off; this instance keeps one.)
    H.REINJECT_CF = H.REINJECT_CF.replace(
        "-o smtpd_milters=\n", f"-o smtpd_milters={signer.spec}\n")

    values = {
        "store.path": H.toml_string(store),
        "gateway.internal_domains": f'["{DOMAIN}"]',
        "gateway.notice_from": H.toml_string(f"postmaster@{DOMAIN}"),
        "log.level": '"info"',
    }
    failures = 0
    stack = H.Stack(binary, milter_values=values, reinject=True,
                    prefix="sealmilter-dkim-e2e-")
    # The milter's socket as Stack will make it, so that main.cf can name
    # both milters in the order under test before Postfix starts.
    milter_spec = "unix:" + os.path.join(stack.dir, "milter", "sock",
                                         "sealmilter.sock")
    stack.postfix_main = {"smtpd_milters": f"{milter_spec}, {signer.spec}"}
    with stack as st:
        expect(st.milter.socket_spec == milter_spec,
               f"milter socket {st.milter.socket_spec} != {milter_spec}")

        def send_ok(data, rcpts):
            r = st.postfix.send(data, SENDER, rcpts)
            expect(r.code == 250, f"send: {r}")
            return r

        def delivered(msgid):
            found = H.wait_until(lambda: st.sink.find(msgid), 30,
                                 what=f"{msgid} at the sink")
            expect(len(found) == 1, f"{len(found)} copies of {msgid}")
            return found[0]

        def for_rcpt(msgs, rcpt):
            return [m for m in msgs if rcpt in m.rcpts]

        def verifies(data):
            return dkim.verify(data, dnsfunc=signer.dnsfunc)

        def one_signature(data):
            sigs = dkim_fields(data)
            expect(len(sigs) == 1, f"{len(sigs)} DKIM-Signature fields")
            sig = sigs[0]
            expect(sig.get("d") == DOMAIN and sig.get("s") == SELECTOR,
                   f"signature d={sig.get('d')} s={sig.get('s')}")
            return sig

        def check_signed(data, must_sign, plain_body=None):
            """The one signature verifies, signs `must_sign` header names,
            covers the whole delivered body and (if given) not the plain
            text. Returns the signature's tags."""
            sig = one_signature(data)
            expect(verifies(data), f"DKIM signature does not verify: {sig}")
            hs = signed_headers(sig)
            for name in must_sign:
                expect(name in hs, f"{name} not signed: h={sig.get('h')}")
            expect("l" not in sig, f"body length limit l={sig.get('l')}: "
                   "part of the body is not covered")
            _, body = H.split_message(data)
            expect(sig.get("bh") == body_hash(body, sig),
                   f"bh={sig.get('bh')} is not the hash of the delivered "
                   f"body ({body_hash(body, sig)})")
            if plain_body is not None:
                expect(sig["bh"] != body_hash(plain_body, sig),
                       "bh= is the hash of the plain text")
            return sig

        state = {}

        def test_plain():
            body = b"See you at noon.\r\n"
            msgid, data = message("plain", EXTERNAL, "lunch?", body)
            r = send_ok(data, [EXTERNAL])
            line = st.milter.passed_line(r.queue_id)
            expect("direction=outbound rules=-" in line["extra"],
                   f"log line extras: {line}")
            m = delivered(msgid)
            check_signed(m.data, ["from", "to", "subject", "message-id"])
            # Below Postfix's Received: and the signature: what was sent.
            fields = H.header_fields(m.data)
            names = [f.split(b":", 1)[0].lower() for f in fields]
            expect(sorted(names[:2]) == [b"dkim-signature", b"received"],
                   f"first fields {names[:2]}")
            rest = b"".join(fields[2:]) + b"\r\n" + H.split_message(
                m.data)[1]
            expect(rest == data, "the plain message was changed")

        def test_envelope():
            body = (f"Hello Bob,\r\n\r\nmy SSN is {SSN}, please file it.\r\n"
                    ).encode()
            msgid, data = message(
                "envelope", EXTERNAL, "tax form", body,
                b"Content-Type: text/plain; charset=us-ascii\r\n")
            before = st.sink.count()
            r = send_ok(data, [EXTERNAL])
            st.milter.wait_for_log(re.escape(r.queue_id) +
                                   r": encrypted: .* method=envelope id=")
            msgs = st.sink.wait_for(before + 2)[before:]
            [note] = for_rcpt(msgs, EXTERNAL)
            [notice] = for_rcpt(msgs, SENDER)
            expect(note.header("Message-ID") == msgid, "lost Message-ID")
            expect(SSN.encode() not in note.data, "the SSN travels in clear")
            subject = note.header("Subject")
            expect(subject and "tax form" not in subject,
                   f"Subject not rewritten: {subject!r}")
            ct = note.header("Content-Type") or ""
            expect(ct.startswith("multipart/"),
                   f"notification Content-Type: {ct}")
            check_signed(note.data, ["from", "subject", "content-type"],
                         plain_body=body)
            state["envelope"] = note.data
            # The passphrase notice came through the reinjection listener,
            # where only the signer runs.
            expect(notice.header("From") and DOMAIN in notice.header("From"),
                   f"notice From: {notice.header('From')}")
            check_signed(notice.data, ["from", "subject"])

        def test_smime():
            body = b"The merger closes on Friday.\r\n"
            msgid, data = message(
                "smime", CERT_RCPT, "# board minutes", body,
                b"Content-Type: text/plain; charset=us-ascii\r\n")
            r = send_ok(data, [CERT_RCPT])
            st.milter.wait_for_log(re.escape(r.queue_id) +
                                   r": encrypted: .* method=smime certs=1")
            m = delivered(msgid)
            ct = m.header("Content-Type") or ""
            expect("application/pkcs7-mime" in ct, f"Content-Type: {ct}")
            expect(b"merger" not in m.data, "plaintext body leaked")
            check_signed(m.data, ["from", "subject", "content-type"],
                         plain_body=body)
            state["smime"] = m.data

        def test_tampered():
            expect(state.get("envelope") and state.get("smime"),
                   "needs the envelope and smime tests' messages")
            for name, data in sorted(state.items()):
                head, body = H.split_message(data)
                i = len(body) // 2
                flipped = bytes([body[i] ^ 0x01])
                bad_body = head + body[:i] + flipped + body[i + 1:]
                expect(not verifies(bad_body),
                       f"{name}: a changed body still verifies")
                bad_head = re.sub(rb"(?m)^(Subject:[^\r]*)", rb"\1!", data,
                                  count=1)
                expect(bad_head != data, f"{name}: no Subject to change")
                expect(not verifies(bad_head),
                       f"{name}: a changed Subject still verifies")

        def test_wrong_order():
            st.postfix.stop()
            st.postfix.main_overrides["smtpd_milters"] = \
                f"{signer.spec}, {milter_spec}"
            st.postfix.start()
            expect(st.postfix.postconf("-h", "smtpd_milters").strip() ==
                   f"{signer.spec}, {milter_spec}", "order not changed")
            # (b) the secure envelope
            body = f"SSN {SSN}, signed too early.\r\n".encode()
            msgid, data = message(
                "late-envelope", EXTERNAL, "tax form", body,
                b"Content-Type: text/plain; charset=us-ascii\r\n")
            before = st.sink.count()
            r = send_ok(data, [EXTERNAL])
            st.milter.wait_for_log(re.escape(r.queue_id) +
                                   r": encrypted: .* method=envelope id=")
            msgs = st.sink.wait_for(before + 2)[before:]
            [note] = for_rcpt(msgs, EXTERNAL)
            expect(SSN.encode() not in note.data, "the SSN travels in clear")
            sig = one_signature(note.data)
            expect(not verifies(note.data),
                   "signed before encryption, yet the signature verifies")
            expect(sig["bh"] == body_hash(body, sig),
                   "bh= is not the hash of the plain text OpenDKIM saw")
            # (c) S/MIME
            body = b"Signed before it was encrypted.\r\n"
            msgid, data = message(
                "late-smime", CERT_RCPT, "# minutes", body,
                b"Content-Type: text/plain; charset=us-ascii\r\n")
            r = send_ok(data, [CERT_RCPT])
            m = delivered(msgid)
            expect("application/pkcs7-mime" in (m.header("Content-Type")
                                                or ""), "not encrypted")
            sig = one_signature(m.data)
            expect(not verifies(m.data),
                   "signed before encryption, yet the signature verifies")
            expect(sig["bh"] == body_hash(body, sig),
                   "bh= is not the hash of the plain text OpenDKIM saw")

        def test_clean_exit():
            expect(signer.running, "opendkim is no longer running")
            rc = st.milter.stop()
            expect(rc == 0, f"milter exit status {rc} on SIGTERM")
            problems = st.milter.problems()
            expect(not problems, f"milter log problems: {problems}")
            expect(not st.postfix.problems(),
                   f"Postfix problems: {st.postfix.problems()}")

        failures = H.run_tests([
            ("plain", test_plain),
            ("envelope", test_envelope),
            ("smime", test_smime),
            ("tampered", test_tampered),
            ("wrong-order", test_wrong_order),
            ("clean-exit", test_clean_exit),
        ], per_test_timeout=120)
        if failures:
            st.print_diagnostics()
            H.log(f"--- opendkim log: {H.tail(H.read_text(signer.log_path))}")

    signer.close()
    if os.environ.get("SEALMILTER_E2E_KEEP") == "1":
        H.log(f"kept {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    H.log(f"{'FAILED' if failures else 'passed'}: {failures} failure(s), "
          f"{time.monotonic() - t0:.1f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
