#!/usr/bin/env python3
"""sealmilter as an encryption gateway behind a real Postfix.

One private Postfix (smtpd_milters = sealmilter, a second milter-free
smtpd for reinjection) relays everything to an SMTP sink; see harness.py.
The milter runs on its shipped rules with a SQLite store that holds one
recipient certificate (imported with sealctl certs import).

  plain          no rule fires: delivered byte-identical, the log line says
                 "passed unchanged ... direction=outbound rules=-".
  smime          "#" subject tag to a recipient whose certificate is in the
                 store: the delivered message is application/pkcs7-mime,
                 keeps From/To/Subject/Message-ID, does not contain the body
                 text, and `openssl cms -decrypt` with the recipient's key
                 gives back exactly the original content fields and body.
  envelope       a US SSN to a recipient without a certificate: the
                 recipient gets the notification with secure-message.html
                 and nothing of the original body or the SSN in clear; the
                 sender gets the passphrase notice through the reinjection
                 listener; `sealctl envelope open` with that passphrase
                 gives back the original message byte for byte (less the
                 X-Seal-* option fields); a wrong passphrase does not.
  option-headers X-Seal-* option headers never leave, even on mail that
                 passes unchanged.
  already-encrypted  an S/MIME message with a "#" tag is not encrypted
                 again.
  fail-closed    the same SSN mail with gateway.reinject emptied by a
                 SIGUSR1 reload: no envelope can be made, the client gets
                 451 4.7.0 and nothing is delivered or queued; with
                 gateway.on_failure = "reject" it gets 550 5.7.1.
  failure-policy over gateway.max_encrypt_size: 552 5.3.4 naming the limit
                 and a failure notice to the sender; with
                 gateway.on_failure_profiles = ["default=quarantine"] the
                 same impossible mail is held in the store (sealctl
                 quarantine list shows it) and not delivered.
  on-truncated   rules.max_scan_bytes = "1K": mail with nothing found in
                 its first 1K leaves unchanged (on_truncated = "classify"),
                 is S/MIME-encrypted with "encrypt" (the log names the rule
                 rules.on_truncated), and refused 550 5.7.1 with "reject".
  clean-exit     the milter exits 0 on SIGTERM with no error in its log.

usage: test_gateway.py [--daemon PATH] [--sealctl PATH]
       (or SEALMILTER=PATH SEALCTL=PATH)
Exit 0 all passed, 1 a test failed, 77 skipped (not root).
"""

import os
import re
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

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
    msgid = f"<{name}.{TAG}@e2e.test>"
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
        print("test_gateway.py: set SEALMILTER and SEALCTL or pass "
              "--daemon and --sealctl")
        return 64
    H.require_root()
    binary = os.path.abspath(binary)
    sealctl = os.path.abspath(sealctl)
    t0 = time.monotonic()

    work = tempfile.mkdtemp(prefix="sealmilter-gw-")
    os.chmod(work, 0o755)
    key, cert = H.make_smime_cert(work, CERT_RCPT, "carol")
    store = H.make_store(sealctl, work, [cert])

    values = {
        "store.path": H.toml_string(store),
        "gateway.internal_domains": '["example.org"]',
        "log.level": '"info"',
    }
    failures = 0
    with H.Stack(binary, milter_values=values, reinject=True,
                 prefix="sealmilter-gw-e2e-") as st:

        def send_ok(data, rcpts):
            r = st.postfix.send(data, SENDER, rcpts)
            expect(r.code == 250, f"send: {r}")
            return r

        def delivered(msgid):
            """The one delivered message with this Message-ID (waits)."""
            found = H.wait_until(lambda: st.sink.find(msgid), 30,
                                 what=f"{msgid} at the sink")
            expect(len(found) == 1, f"{len(found)} copies of {msgid}")
            return found[0]

        def for_rcpt(msgs, rcpt):
            return [m for m in msgs if rcpt in m.rcpts]

        def test_plain():
            msgid, data = message("plain", EXTERNAL, "lunch?",
                                  b"See you at noon.\r\n")
            r = send_ok(data, [EXTERNAL])
            line = st.milter.passed_line(r.queue_id)
            expect("direction=outbound rules=-" in line["extra"],
                   f"log line extras: {line}")
            m = delivered(msgid)
            _, body = H.split_message(m.data)
            expect(body == b"See you at noon.\r\n", f"body changed: {body!r}")

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
            expect("application/pkcs7-mime" in ct and
                   "enveloped-data" in ct, f"Content-Type: {ct}")
            expect(m.header("Subject") == "# board minutes",
                   f"Subject: {m.header('Subject')}")
            expect(m.header("From") == f"Alice <{SENDER}>", "From changed")
            expect(b"merger" not in m.data, "plaintext body leaked")
            path = os.path.join(work, "smime.eml")
            with open(path, "wb") as f:
                f.write(m.data)
            rc, plain, err = run(["openssl", "cms", "-decrypt", "-in", path,
                                  "-inkey", key, "-recip", cert])
            expect(rc == 0, f"openssl cms -decrypt failed: {err}")
            want = b"Content-Type: text/plain; charset=us-ascii\r\n\r\n" + body
            expect(plain == want, f"decrypted {plain!r}, want {want!r}")

        def test_envelope():
            body = (f"Hello Bob,\r\n\r\nmy SSN is {SSN}, please file it.\r\n"
                    ).encode()
            msgid, data = message(
                "envelope", EXTERNAL, "tax form", body,
                b"Content-Type: text/plain; charset=us-ascii\r\n"
                b"X-Seal-Expires: +7\r\n")
            before = st.sink.count()
            r = send_ok(data, [EXTERNAL])
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
            expect(b"tax form" not in note.data,
                   "the subject travels in clear (subject_in_notification "
                   "is off)")
            expect(b"secure-message.html" in note.data,
                   "no secure-message.html attachment")
            expect(b"X-Seal-Expires" not in note.data,
                   "option header left the gateway")
            expect(notice.mail_from == "", "notice must have the null "
                   f"sender, has {notice.mail_from!r}")
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
            # Everything but the option field, which was for the gateway.
            want = data.replace(b"X-Seal-Expires: +7\r\n", b"")
            expect(opened == want, "the opened envelope differs from the "
                   f"original: {opened[:300]!r}")
            rc, _, err = run([sealctl, "envelope", "open", path,
                              "--passphrase", "wrong-pass-word", "--out",
                              out + ".bad"])
            expect(rc != 0, "a wrong passphrase opened the envelope")

        def test_option_headers():
            msgid, data = message("options", EXTERNAL, "hello",
                                  b"nothing secret\r\n",
                                  b"X-Seal-Read-Receipt: yes\r\n")
            r = send_ok(data, [EXTERNAL])
            st.milter.passed_line(r.queue_id)
            m = delivered(msgid)
            expect(b"X-Seal-" not in m.data, "option header left the gateway")

        def test_already_encrypted():
            body = b"MIAGCSqGSIb3DQEHA6CAMIACAQAxggE=\r\n"
            msgid, data = message(
                "encrypted", EXTERNAL, "# already sealed", body,
                b"Content-Type: application/pkcs7-mime; "
                b"smime-type=enveloped-data; name=smime.p7m\r\n"
                b"Content-Transfer-Encoding: base64\r\n")
            r = send_ok(data, [EXTERNAL])
            line = st.milter.passed_line(r.queue_id)
            expect("already_encrypted=" in line["extra"], f"{line}")
            m = delivered(msgid)
            _, got = H.split_message(m.data)
            expect(got == body, "an encrypted message was changed")

        def test_fail_closed():
            for policy, code, enhanced in (("tempfail", 451, "4.7.0"),
                                           ("reject", 550, "5.7.1")):
                st.milter.write_config({**st.milter.values,
                                        "gateway.reinject": '""',
                                        "gateway.on_failure":
                                            H.toml_string(policy)})
                st.milter.reload()
                before = st.sink.count()
                queued = len(st.postfix.queued_files())
                _, data = message(f"fail-{policy}", EXTERNAL, "ssn",
                                  f"SSN {SSN}\r\n".encode())
                r = st.postfix.send(data, SENDER, [EXTERNAL])
                expect(r.code == code and enhanced in r.text,
                       f"{policy}: expected {code} {enhanced}, got {r}")
                time.sleep(QUIET_PERIOD)
                expect(st.sink.count() == before,
                       f"{policy}: something was delivered")
                expect(len(st.postfix.queued_files()) == queued,
                       f"{policy}: something was queued")

        def test_failure_policy():
            # Over gateway.max_encrypt_size: 552 5.3.4 (gateway.oversize
            # defaults to reject), and the internal sender is told why.
            st.milter.write_config({**st.milter_values,
                                    "gateway.max_encrypt_size": '"1K"'})
            st.milter.reload()
            before = st.sink.count()
            _, data = message("oversize", EXTERNAL, "ssn",
                              f"SSN {SSN}\r\n".encode() + b"x" * 2048 +
                              b"\r\n")
            r = st.postfix.send(data, SENDER, [EXTERNAL])
            expect(r.code == 552 and "5.3.4" in r.text and "1024" in r.text,
                   f"oversize: expected 552 5.3.4 naming the limit, got {r}")
            H.wait_until(lambda: st.sink.count() > before, 30,
                         what="the failure notice")
            msgs = st.sink.messages()[before:]
            expect(all(EXTERNAL not in m.rcpts for m in msgs),
                   "the oversize message reached its recipient")
            notices = [m for m in msgs if SENDER in m.rcpts]
            expect(len(notices) == 1, f"{len(notices)} failure notices")
            text = notices[0].data.decode("utf-8", "replace")
            expect("rejected" in text and "1024" in text and SSN not in text,
                   f"failure notice: {text[:400]}")
            # A profile's own action: the shipped SSN rule is of profile
            # "default"; with no way to make an envelope it is held in the
            # store instead of tempfailed.
            st.milter.write_config({
                **st.milter_values, "gateway.reinject": '""',
                "gateway.on_failure_profiles": '["default=quarantine"]'})
            st.milter.reload()
            before = st.sink.count()
            _, data = message("held", EXTERNAL, "ssn",
                              f"SSN {SSN}\r\n".encode())
            r = send_ok(data, [EXTERNAL])
            st.milter.wait_for_log(re.escape(r.queue_id) +
                                   r": quarantined: .*reason=cannot-encrypt")
            rc, out, err = run([sealctl, "quarantine", "list", "--store",
                                store])
            listing = out.decode("utf-8", "replace")
            expect(rc == 0 and "cannot encrypt" in listing and
                   EXTERNAL in listing, f"quarantine list: {listing} {err}")
            time.sleep(QUIET_PERIOD)
            expect(st.sink.count() == before, "the held message was delivered")
            st.milter.write_config(st.milter_values)
            st.milter.reload()

        def test_on_truncated():
            filler = b"nothing to see here, just filler text\r\n" * 60
            for policy in ("classify", "encrypt", "reject"):
                st.milter.write_config({
                    **st.milter_values, "rules.max_scan_bytes": '"1K"',
                    "rules.on_truncated": H.toml_string(policy)})
                st.milter.reload()
                msgid, data = message(f"cut-{policy}", CERT_RCPT, "report",
                                      filler)
                r = st.postfix.send(data, SENDER, [CERT_RCPT])
                if policy == "reject":
                    expect(r.code == 550 and "5.7.1" in r.text,
                           f"reject: expected 550 5.7.1, got {r}")
                    continue
                expect(r.code == 250, f"{policy}: send: {r}")
                m = delivered(msgid)
                ct = m.header("Content-Type") or ""
                if policy == "classify":
                    line = st.milter.passed_line(r.queue_id)
                    expect("truncated=yes" in line["extra"], f"{line}")
                    expect(b"filler text" in m.data, "classify changed it")
                else:
                    st.milter.wait_for_log(
                        re.escape(r.queue_id) +
                        r": encrypted: .*rules=rules\.on_truncated.*"
                        r"method=smime")
                    expect("application/pkcs7-mime" in ct, f"{ct}")
                    expect(b"filler text" not in m.data, "sent in clear")
            st.milter.write_config(st.milter_values)
            st.milter.reload()

        def test_clean_exit():
            rc = st.milter.stop()
            expect(rc == 0, f"milter exit status {rc} on SIGTERM")
            problems = st.milter.problems()
            expect(not problems, f"milter log problems: {problems}")

        failures = H.run_tests([
            ("plain", test_plain),
            ("smime", test_smime),
            ("envelope", test_envelope),
            ("option-headers", test_option_headers),
            ("already-encrypted", test_already_encrypted),
            ("fail-closed", test_fail_closed),
            ("failure-policy", test_failure_policy),
            ("on-truncated", test_on_truncated),
            ("clean-exit", test_clean_exit),
        ], per_test_timeout=120)
        if failures:
            st.print_diagnostics()

    H.log(f"{'FAILED' if failures else 'passed'}: {failures} failure(s), "
          f"{time.monotonic() - t0:.1f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
