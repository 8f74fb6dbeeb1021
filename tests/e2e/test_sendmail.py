#!/usr/bin/env python3
"""sealmilter behind a real Sendmail, configured with contrib/sendmail.

A private Sendmail (sendmail_harness.py: unpacked from the Debian packages,
its .mc including contrib/sendmail/sealmilter.mc with only the socket
changed) relays everything to an SMTP sink. A second Sendmail daemon
without filter is the reinjection listener. The milter runs the shipped
rules with a SQLite store holding one recipient certificate.

  plain          no rule fires: the sink gets the sent bytes exactly, after
                 the one Received: field Sendmail prepends; the milter's
                 "passed unchanged" line carries Sendmail's queue id ({i}
                 from the contrib macro lists) and direction=outbound.
  envelope       a US SSN to a recipient without a certificate: the
                 recipient's copy has secure-message.html and neither the
                 SSN nor the body in clear; the sender's passphrase notice
                 comes back through the filterless "reinject" daemon (the
                 maillog says daemon=reinject); `sealctl envelope open`
                 gives back the sent bytes less X-Seal-* (Sendmail does
                 not show the milter its own Received: field).
  smime          "#" subject to a recipient with a certificate: the
                 delivered message is enveloped-data and `openssl cms
                 -decrypt` gives back exactly the original content.
  milter-down    the milter stopped: F=T makes Sendmail answer 4xx, nothing
                 is delivered or queued; once it is back, mail flows again.
  nothing-lost   every message Sendmail accepted was delivered (or is
                 still in its queue); no milter error lines; clean exit.

usage: test_sendmail.py [--daemon PATH] [--sealctl PATH]
       (or SEALMILTER=PATH SEALCTL=PATH)
Exit 0 all passed, 1 a test failed, 77 skipped (not root, or Sendmail
cannot be downloaded: the reason is printed).
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402
import sendmail_harness as S  # noqa: E402

SENDER = "alice@example.org"
EXTERNAL = "bob@example.net"       # no certificate: secure envelope
CERT_RCPT = "carol@partner.test"   # certificate in the store: S/MIME
SSN = "078-05-1120"  # a structurally valid SSN, not a real person's
QUIET_PERIOD = 3.0
TAG = f"{os.getpid()}.{int(time.time())}"


def expect(cond, message):
    if not cond:
        raise AssertionError(message)


def message(name, to, subject, body, extra=b""):
    msgid = f"<sm-{name}.{TAG}@e2e.test>"
    head = (f"From: Alice <{SENDER}>\r\n"
            f"To: <{to}>\r\n"
            f"Subject: {subject}\r\n"
            f"Date: Wed, 02 Dec 2026 10:00:00 +0000\r\n"
            f"Message-ID: {msgid}\r\n"
            f"MIME-Version: 1.0\r\n").encode() + extra
    return msgid, head + b"\r\n" + body


def run(args, **kw):
    p = subprocess.run(args, capture_output=True, timeout=120, **kw)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def received_prefix(data, sent):
    """The header fields Sendmail put before `sent` in `data`; raises
    AssertionError unless data is exactly those fields + sent and they are
    all Received: fields."""
    expect(data.endswith(sent), "the sent bytes are not the tail of what "
           f"arrived: {data[:400]!r}")
    prefix = data[:len(data) - len(sent)]
    fields = H.header_fields(prefix + b"\r\n")
    expect(fields and all(f.lower().startswith(b"received:")
                          for f in fields) and b"".join(fields) == prefix,
           f"Sendmail added more than Received: {prefix!r}")
    return prefix


def main():
    args = sys.argv[1:]
    binary = os.environ.get("SEALMILTER")
    sealctl = os.environ.get("SEALCTL")
    while args:
        if args[0] == "--daemon" and len(args) > 1:
            binary, args = args[1], args[2:]
        elif args[0] == "--sealctl" and len(args) > 1:
            sealctl, args = args[1], args[2:]
        else:
            print(__doc__)
            return 64
    if not binary or not sealctl:
        print("test_sendmail.py: set SEALMILTER and SEALCTL or pass "
              "--daemon and --sealctl")
        return 64
    root = S.require_sendmail()
    binary = os.path.abspath(binary)
    sealctl = os.path.abspath(sealctl)
    t0 = time.monotonic()

    work = tempfile.mkdtemp(prefix="sealmilter-sm-")
    os.chmod(work, 0o755)
    key, cert = H.make_smime_cert(work, CERT_RCPT, "carol")
    store = H.make_store(sealctl, work, [cert])

    values = {
        "store.path": H.toml_string(store),
        "gateway.internal_domains": '["example.org"]',
        "gateway.reinject_journal": H.toml_string(
            os.path.join(work, "journal")),
        "log.level": '"info"',
    }
    failures = 0
    accepted = []  # (message id, queue id) of every 250 at end of data
    with S.SendmailStack(binary, root, milter_values=values,
                         reinject=True) as st:
        sm = st.sendmail
        if not sm.namespaces:
            H.log("note: Sendmail runs without namespaces: no maillog")

        def send(msgid, data, rcpts):
            r = sm.send(data, SENDER, rcpts)
            if r.accepted:
                accepted.append((msgid, r.queue_id))
            return r

        def send_ok(msgid, data, rcpts):
            r = send(msgid, data, rcpts)
            expect(r.code == 250 and r.queue_id, f"send: {r}")
            return r

        def delivered(msgid):
            found = H.wait_until(lambda: st.sink.find(msgid), 30,
                                 what=f"{msgid} at the sink")
            expect(len(found) == 1, f"{len(found)} copies of {msgid}")
            return found[0]

        def for_rcpt(msgs, rcpt):
            return [m for m in msgs if rcpt in m.rcpts]

        def test_plain():
            msgid, data = message("plain", EXTERNAL, "lunch?",
                                  b"See you at noon.\r\n")
            r = send_ok(msgid, data, [EXTERNAL])
            line = st.milter.passed_line(r.queue_id)
            expect("direction=outbound rules=-" in line["extra"],
                   f"log line extras: {line}")
            # Sendmail does not show the milter its own Received: field.
            expect(int(line["size"]) == len(data),
                   f"milter saw {line['size']} bytes, sent {len(data)}")
            m = delivered(msgid)
            prefix = received_prefix(m.data, data)
            expect(prefix.count(b"Received:") == 1 and
                   r.queue_id.encode() in prefix,
                   f"expected Sendmail's one Received: field: {prefix!r}")
            if sm.namespaces:
                sm.wait_for_maillog(re.escape(r.queue_id) +
                                    r": to=<bob@example\.net>.*stat=Sent")

        def test_envelope():
            body = (f"Hello Bob,\r\n\r\nmy SSN is {SSN}, please file it.\r\n"
                    ).encode()
            msgid, data = message(
                "envelope", EXTERNAL, "tax form", body,
                b"Content-Type: text/plain; charset=us-ascii\r\n"
                b"X-Seal-Expires: +7\r\n")
            before = st.sink.count()
            r = send_ok(msgid, data, [EXTERNAL])
            st.milter.wait_for_log(re.escape(r.queue_id) +
                                   r": encrypted: .* method=envelope id=")
            msgs = st.sink.wait_for(before + 2)[before:]
            [note] = for_rcpt(msgs, EXTERNAL)
            [notice] = for_rcpt(msgs, SENDER)
            expect(note.header("Message-ID") == msgid,
                   "the notification lost the Message-ID")
            expect(SSN.encode() not in note.data and
                   b"file it" not in note.data,
                   "the SSN or the body travels in clear")
            expect(b"secure-message.html" in note.data,
                   "no secure-message.html attachment")
            expect(b"X-Seal-Expires" not in note.data,
                   "option header left the gateway")
            expect(notice.mail_from == "", "notice must have the null "
                   f"sender, has {notice.mail_from!r}")
            if sm.namespaces:
                sm.wait_for_maillog(r"daemon=reinject")
            text = notice.data.decode("utf-8", "replace")
            m = re.search(r"\b([2-9a-z]{4}(?:-[2-9a-z]{4}){5})\b", text)
            expect(m is not None, "no passphrase in the sender's notice")
            passphrase = m.group(1)
            expect(passphrase.encode() not in note.data,
                   "the passphrase is in the recipient's copy")
            path = os.path.join(work, "envelope.eml")
            with open(path, "wb") as f:
                f.write(note.data)
            out = os.path.join(work, "opened.eml")
            rc, _, err = run([sealctl, "envelope", "open", path,
                              "--passphrase", passphrase, "--out", out])
            expect(rc == 0, f"sealctl envelope open failed ({rc}): {err}")
            with open(out, "rb") as f:
                opened = f.read()
            # Sendmail does not show the milter its own Received: field
            # (as Postfix does not): the sealed message is what was sent.
            want = data.replace(b"X-Seal-Expires: +7\r\n", b"")
            expect(opened == want, "the opened envelope differs from the "
                   f"original: {opened[:300]!r}")

        def test_smime():
            body = b"The merger closes on Friday.\r\n"
            msgid, data = message(
                "smime", CERT_RCPT, "# board minutes", body,
                b"Content-Type: text/plain; charset=us-ascii\r\n")
            r = send_ok(msgid, data, [CERT_RCPT])
            st.milter.wait_for_log(re.escape(r.queue_id) +
                                   r": encrypted: .* method=smime certs=1")
            m = delivered(msgid)
            ct = m.header("Content-Type") or ""
            expect("application/pkcs7-mime" in ct and
                   "enveloped-data" in ct, f"Content-Type: {ct}")
            expect(m.header("Subject") == "# board minutes",
                   f"Subject: {m.header('Subject')}")
            expect(b"merger" not in m.data, "plaintext body leaked")
            path = os.path.join(work, "smime.eml")
            with open(path, "wb") as f:
                f.write(m.data)
            rc, plain, err = run(["openssl", "cms", "-decrypt", "-in", path,
                                  "-inkey", key, "-recip", cert])
            expect(rc == 0, f"openssl cms -decrypt failed: {err}")
            want = b"Content-Type: text/plain; charset=us-ascii\r\n\r\n" + body
            expect(plain == want, f"decrypted {plain!r}, want {want!r}")

        def test_milter_down():
            rc = st.milter.stop()
            expect(rc == 0, f"milter exit status {rc} on SIGTERM")
            before = st.sink.count()
            queued = len(sm.queued_files())
            for name, to, subject, body in (
                    ("down-plain", EXTERNAL, "hi", b"plain text\r\n"),
                    ("down-ssn", EXTERNAL, "ssn",
                     f"SSN {SSN}\r\n".encode())):
                msgid, data = message(name, to, subject, body)
                r = send(msgid, data, [to])
                expect(400 <= r.code < 500,
                       f"{name}: expected 4xx with the milter down, got {r}")
            time.sleep(QUIET_PERIOD)
            expect(st.sink.count() == before,
                   "mail was delivered while the milter was down")
            expect(len(sm.queued_files()) == queued,
                   f"mail was queued while the milter was down: "
                   f"{sm.queue_files()}")
            if sm.namespaces:
                sm.wait_for_maillog(r"Milter \(sealmilter\): to error state")
            st.milter.start()
            msgid, data = message("back", EXTERNAL, "back", b"again\r\n")
            r = send_ok(msgid, data, [EXTERNAL])
            st.milter.passed_line(r.queue_id)
            received_prefix(delivered(msgid).data, data)

        def test_nothing_lost():
            def settled():
                present = {m.header("Message-ID") for m in
                           st.sink.messages()}
                return all(mid in present for mid, _ in accepted)
            try:
                H.wait_until(settled, 30, what="every accepted message")
            except TimeoutError:
                queued = sm.queue_files()
                present = {m.header("Message-ID") for m in
                           st.sink.messages()}
                lost = [(mid, qid) for mid, qid in accepted
                        if mid not in present and
                        not any(qid in f for f in queued)]
                expect(not lost, f"accepted but neither delivered nor "
                       f"queued: {lost}")
            rc = st.milter.stop()
            expect(rc == 0, f"milter exit status {rc} on SIGTERM")
            problems = st.milter.problems()
            expect(not problems, f"milter log problems: {problems}")

        failures = H.run_tests([
            ("plain", test_plain),
            ("envelope", test_envelope),
            ("smime", test_smime),
            ("milter-down", test_milter_down),
            ("nothing-lost", test_nothing_lost),
        ], per_test_timeout=120)
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
