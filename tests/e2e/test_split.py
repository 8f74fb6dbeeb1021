#!/usr/bin/env python3
"""The per-recipient split through a real Postfix (DESIGN.md step 4).

One private Postfix with sealmilter and its milter-free reinjection
listener relays to an SMTP sink. The store holds certificates for
carol@partner.test and dave@partner.test; bob@example.net and
erin@example.net have none. A test rule encrypts mail that says
PARTNER-ONLY for recipients at partner.test only.

  clear-and-smime  PARTNER-ONLY to bob and carol: bob's copy stays in this
                   transaction and arrives byte-identical; carol's copy is
                   re-injected as S/MIME that her key decrypts to the
                   original content. The log line says
                   "inplace=clear:1 reinjected=smime:1>".
  four-groups      an SSN to To: carol, bob and Bcc: dave, erin: carol gets
                   S/MIME for her alone (dave's key cannot open it), dave
                   his own S/MIME copy, bob and erin each their own secure
                   envelope, and alice one passphrase notice per envelope.
                   Nothing names a Bcc recipient to anyone else, and every
                   recipient gets exactly one message.
  retry            the same SSN mail with gateway.reinject pointing at a
                   listener that refuses erin once: the client gets 451 and
                   carol (in place) gets nothing; the resent mail (the
                   sending MTA's retry) re-injects only erin's group, so
                   dave and bob still have exactly one copy each.
  clean-exit       the milter exits 0 on SIGTERM with no error in its log.

usage: test_split.py [--daemon PATH] [--sealctl PATH]
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
BOB = "bob@example.net"       # no certificate
ERIN = "erin@example.net"     # no certificate, Bcc
CAROL = "carol@partner.test"  # certificate
DAVE = "dave@partner.test"    # certificate, Bcc
# An envelope group names its envelope in the log: "envelope:1>(ID)".
ENV_ID = r"(\([0-9a-f]{32}\))?"
SSN = "078-05-1120"  # a structurally valid SSN, not a real person's
TAG = f"{os.getpid()}.{int(time.time())}"
PASSPHRASE_RE = re.compile(r"\b([2-9a-z]{4}(?:-[2-9a-z]{4}){5})\b")

PARTNER_RULE = """\
[[rule]]
id = "partner-only"
description = "PARTNER-ONLY mail is encrypted for partner.test"
scopes = "body"
patterns = 'PARTNER-ONLY'
action = "encrypt"
when = { recipient_domains = "partner.test" }
"""


def expect(cond, message):
    if not cond:
        raise AssertionError(message)


def message(name, to, subject, body):
    msgid = f"<{name}.{TAG}@e2e.test>"
    head = (f"From: Alice <{SENDER}>\r\n"
            f"To: {', '.join(to)}\r\n"
            f"Subject: {subject}\r\n"
            f"Date: Wed, 02 Dec 2026 10:00:00 +0000\r\n"
            f"Message-ID: {msgid}\r\n"
            f"MIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=us-ascii\r\n").encode()
    return msgid, head + b"\r\n" + body


def run(args):
    p = subprocess.run(args, capture_output=True, timeout=120)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


class CountingSink(H.SmtpSink):
    """A sink that refuses one RCPT: the n-th it is asked for (1-based)."""

    def __init__(self, directory, refuse_rcpt_at):
        super().__init__(directory, hostname="reinject.e2e.test")
        self.refuse_rcpt_at = refuse_rcpt_at

    def _fault(self, stage):
        with self._lock:
            self.attempts[stage] += 1
            if stage == "rcpt" and self.attempts[stage] == self.refuse_rcpt_at:
                return "451 4.3.0 test fault: try again"
        return None


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
        print("test_split.py: set SEALMILTER and SEALCTL or pass --daemon "
              "and --sealctl")
        return 64
    H.require_root()
    binary, sealctl = os.path.abspath(binary), os.path.abspath(sealctl)
    t0 = time.monotonic()

    work = tempfile.mkdtemp(prefix="sealmilter-split-")
    os.chmod(work, 0o755)
    carol_key, carol_cert = H.make_smime_cert(work, CAROL, "carol")
    dave_key, dave_cert = H.make_smime_cert(work, DAVE, "dave")
    store = H.make_store(sealctl, work, [carol_cert, dave_cert])
    rule_file = os.path.join(work, "partner.toml")
    with open(rule_file, "w") as f:
        f.write(PARTNER_RULE)
    os.chmod(rule_file, 0o644)

    values = {
        "store.path": H.toml_string(store),
        "gateway.internal_domains": '["example.org"]',
        "gateway.reinject_journal": H.toml_string(
            os.path.join(work, "journal")),
        "rules.paths": f"[{H.toml_string(rule_file)}]",
        "log.level": '"info"',
    }
    failures = 0
    with H.Stack(binary, milter_values=values, reinject=True,
                 prefix="sealmilter-split-e2e-") as st:

        def for_rcpt(msgs, rcpt):
            return [m for m in msgs if rcpt in m.rcpts]

        def decrypts(data, key, cert, name):
            path = os.path.join(work, f"{name}.eml")
            with open(path, "wb") as f:
                f.write(data)
            return run(["openssl", "cms", "-decrypt", "-in", path, "-inkey",
                        key, "-recip", cert])

        def open_envelope(data, passphrase, name):
            path = os.path.join(work, f"{name}.eml")
            with open(path, "wb") as f:
                f.write(data)
            rc, _, err = run([sealctl, "envelope", "open", path,
                              "--passphrase", passphrase, "--out",
                              path + ".opened"])
            if rc != 0:
                return None, err
            with open(path + ".opened", "rb") as f:
                return f.read(), ""

        def test_clear_and_smime():
            body = b"PARTNER-ONLY: the price list for Q1.\r\n"
            msgid, data = message("clear-smime", [BOB, CAROL], "prices", body)
            before = st.sink.count()
            r = st.postfix.send(data, SENDER, [BOB, CAROL])
            expect(r.code == 250, f"send: {r}")
            st.milter.wait_for_log(
                re.escape(r.queue_id) +
                r": encrypted: .*rules=partner-only "
                r"inplace=clear:1 reinjected=smime:1>( |$)")
            msgs = st.sink.wait_for(before + 2)[before:]
            [clear] = for_rcpt(msgs, BOB)
            [smime] = for_rcpt(msgs, CAROL)
            expect(clear.rcpts == [BOB] and smime.rcpts == [CAROL],
                   f"recipients: {clear.rcpts} / {smime.rcpts}")
            _, got = H.split_message(clear.data)
            expect(got == body, f"bob's copy changed: {got!r}")
            expect(b"price list" not in smime.data, "carol's copy in clear")
            expect(smime.header("Message-ID") == msgid, "Message-ID lost")
            expect(smime.mail_from == SENDER,
                   f"re-injected sender {smime.mail_from!r}")
            rc, plain, err = decrypts(smime.data, carol_key, carol_cert,
                                      "clear-smime")
            expect(rc == 0, f"openssl cms -decrypt: {err}")
            want = b"Content-Type: text/plain; charset=us-ascii\r\n\r\n" + body
            expect(plain == want, f"decrypted {plain!r}")

        def test_four_groups():
            body = f"Payroll: SSN {SSN} for the new hire.\r\n".encode()
            msgid, data = message("four", [CAROL, BOB], "payroll", body)
            before = st.sink.count()
            r = st.postfix.send(data, SENDER, [CAROL, BOB, DAVE, ERIN])
            expect(r.code == 250, f"send: {r}")
            st.milter.wait_for_log(
                re.escape(r.queue_id) + r": encrypted: .* inplace=smime:1 "
                r"reinjected=smime\+bcc:1>,envelope:1>" + ENV_ID +
                r",envelope\+bcc:1>" + ENV_ID)
            msgs = st.sink.wait_for(before + 6)[before:]
            time.sleep(2)
            expect(st.sink.count() == before + 6,
                   f"{st.sink.count() - before} messages, want 6")
            for rcpt in (CAROL, BOB, DAVE, ERIN):
                got = for_rcpt(msgs, rcpt)
                expect(len(got) == 1 and got[0].rcpts == [rcpt],
                       f"{rcpt}: {[m.rcpts for m in got]}")
                expect(SSN.encode() not in got[0].data,
                       f"{rcpt}'s copy has the SSN in clear")
            for m in msgs:
                for hidden in (DAVE, ERIN):
                    if hidden not in m.rcpts and m.mail_from != "":
                        expect(hidden.encode() not in m.data,
                               f"{hidden} is named in the copy for {m.rcpts}")
            [carol] = for_rcpt(msgs, CAROL)
            [dave] = for_rcpt(msgs, DAVE)
            rc, _, err = decrypts(carol.data, carol_key, carol_cert, "carol")
            expect(rc == 0, f"carol cannot decrypt hers: {err}")
            rc, _, _ = decrypts(carol.data, dave_key, dave_cert, "carol-dave")
            expect(rc != 0, "dave's key opens carol's copy: he is in it")
            rc, _, err = decrypts(dave.data, dave_key, dave_cert, "dave")
            expect(rc == 0, f"dave cannot decrypt his: {err}")
            notices = for_rcpt(msgs, SENDER)
            expect(len(notices) == 2, f"{len(notices)} notices, want 2")
            # Each notice opens exactly the envelope it was made for.
            want = data
            for rcpt in (BOB, ERIN):
                [env] = for_rcpt(msgs, rcpt)
                expect(b"secure-message.html" in env.data,
                       f"{rcpt}: no envelope attachment")
                opened = []
                for n in notices:
                    m = PASSPHRASE_RE.search(
                        n.data.decode("utf-8", "replace"))
                    expect(m is not None, "a notice without passphrase")
                    got, _ = open_envelope(env.data, m.group(1),
                                           f"env-{rcpt}")
                    if got is not None:
                        opened.append(got)
                expect(len(opened) == 1,
                       f"{rcpt}: {len(opened)} passphrases open it")
                expect(opened[0] == want, f"{rcpt}: opened content differs")

        def test_retry():
            reinject_dir = os.path.join(st.dir, "reinject-sink")
            # Rcpt order of the re-injection: dave's copy, the notice for
            # bob's envelope, bob's envelope, the notice for erin's, erin's.
            fake = CountingSink(reinject_dir, refuse_rcpt_at=5).start()
            try:
                st.milter.write_config({
                    **st.milter.values,
                    "gateway.reinject": H.toml_string(
                        f"127.0.0.1:{fake.port}")})
                st.milter.reload()
                body = f"Retry me: SSN {SSN}.\r\n".encode()
                _, data = message("retry", [CAROL, BOB], "retry", body)
                before = st.sink.count()
                r = st.postfix.send(data, SENDER, [CAROL, BOB, DAVE, ERIN])
                expect(r.code == 451, f"first try: want 451, got {r}")
                first = fake.count()
                expect(first == 4, f"{first} re-injected before the fault")
                r = st.postfix.send(data, SENDER, [CAROL, BOB, DAVE, ERIN])
                expect(r.code == 250, f"retry: {r}")
                st.milter.wait_for_log(
                    re.escape(r.queue_id) + r": encrypted: .* "
                    r"reinjected=smime\+bcc:1>seen,envelope:1>seen" +
                    ENV_ID + r",envelope\+bcc:1>" + ENV_ID + r"( |$)")
                msgs = fake.wait_for(first + 2)
                time.sleep(2)
                expect(fake.count() == first + 2,
                       f"retry re-injected {fake.count() - first}, want 2")
                for rcpt in (DAVE, BOB, ERIN):
                    n = len(for_rcpt(msgs, rcpt))
                    expect(n == 1, f"{rcpt} has {n} copies")
                delivered = st.sink.wait_for(before + 1)[before:]
                expect([m.rcpts for m in delivered] == [[CAROL]],
                       f"in place: {[m.rcpts for m in delivered]}")
            finally:
                fake.close()

        def test_clean_exit():
            rc = st.milter.stop()
            expect(rc == 0, f"milter exit status {rc} on SIGTERM")
            problems = st.milter.problems()
            expect(not problems, f"milter log problems: {problems}")

        failures = H.run_tests([
            ("clear-and-smime", test_clear_and_smime),
            ("four-groups", test_four_groups),
            ("retry", test_retry),
            ("clean-exit", test_clean_exit),
        ], per_test_timeout=150)
        if failures:
            st.print_diagnostics()

    H.log(f"{'FAILED' if failures else 'passed'}: {failures} failure(s), "
          f"{time.monotonic() - t0:.1f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
