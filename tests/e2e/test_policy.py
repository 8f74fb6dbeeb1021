#!/usr/bin/env python3
"""Opt-out tags and the quarantine through a real Postfix with SMTP AUTH.

One private Postfix with Cyrus SASL (a sasldb in the test directory, PLAIN
and LOGIN without TLS on 127.0.0.1; harness.sasl_main_cf) and
sealmilter on its shipped rules plus one test rule file (subject "[hold]"
-> quarantine). The store has a built-in CA, a key and certificate for the
internal sender alice (so she can sign) and carol's certificate (so mail
to her can be S/MIME encrypted). 127.0.0.0/8 is an internal network: every
client here is internal, the difference is AUTH.

  auth-macro       Postfix logs sasl_username=alice for an authenticated
                   session and the milter's quarantine record carries the
                   user it got in {auth_authen}.
  noenc-honoured   authenticated alice, "[noenc]" and the word
                   "confidential" (encrypt-if-possible) to carol: delivered
                   in clear, Subject unchanged (opt-out tags are left in
                   the subject), a note names the opt-out that cancels it
                   and another the opt-out and the SASL login.
  noenc-ignored    the same without AUTH: S/MIME encrypted, the note says
                   the opt-out was ignored (not authenticated).
  noenc-must       an SSN (must-encrypt) with "[noenc]", with and without
                   AUTH: always a secure envelope, nothing in clear; the
                   note says the opt-out does not override must-encrypt, or
                   that it was ignored.
  wrong-password   AUTH with a wrong password: 535, nothing delivered.
  nosign           "[sign] [nosign]": authenticated -> not signed (notes:
                   cancels, honoured with the login); unauthenticated ->
                   signed (note: ignored, nothing honoured).
  quarantine-store "[hold]": the client gets 250, nothing reaches the
                   recipient, the sender gets a "held for review" notice
                   (no rule names, no content);
                   sealctl quarantine list shows sender, recipients, reason
                   and auth user; show prints it, show --raw gives back the
                   bytes; release re-injects it to the sink as a secure
                   envelope (it carries an SSN: the rules' encryption
                   still applies after a release); a second release is
                   refused; delete of another held one erases its bytes.
  quarantine-mta   gateway.quarantine = "mta": the message is in Postfix's
                   hold queue (postqueue -j), not at the sink.
  held-notice      must-encrypt mail that cannot be encrypted (over
                   gateway.max_encrypt_size) with gateway.oversize =
                   "quarantine": held, and the sender gets the
                   encryption-failure notice saying so and why.
  clean-exit       the milter exits 0 on SIGTERM with no error in its log.

usage: test_policy.py [--daemon PATH] [--sealctl PATH]
       (or SEALMILTER=PATH SEALCTL=PATH)
Exit 0 all passed, 1 a test failed, 77 skipped (not root, or no
saslpasswd2).
"""

import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

ALICE = "alice@example.org"        # internal sender, has a signing key
ALICE_LOGIN = ("alice", "s3cret-Pass")
EXTERNAL = "bob@example.net"       # no certificate: secure envelope
CERT_RCPT = "carol@partner.test"   # certificate in the store: S/MIME
SSN = "078-05-1120"  # a structurally valid SSN, not a real person's
QUIET_PERIOD = 3.0
TAG = f"{os.getpid()}.{int(time.time())}"

HOLD_RULES = """# Test rule: "[hold]" in the subject quarantines.
[[rule]]
id = "test-hold"
description = "Subject contains [hold]"
scopes = "subject"
patterns = '(?i)\\[hold\\]'
action = "quarantine"
"""


def expect(cond, message):
    if not cond:
        raise AssertionError(message)


def message(name, to, subject, body):
    msgid = f"<{name}.{TAG}@e2e.test>"
    head = (f"From: Alice <{ALICE}>\r\n"
            f"To: <{to}>\r\n"
            f"Subject: {subject}\r\n"
            f"Date: Wed, 02 Dec 2026 10:00:00 +0000\r\n"
            f"Message-ID: {msgid}\r\n"
            f"MIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=us-ascii\r\n").encode()
    return msgid, head + b"\r\n" + body


def run(args, **kw):
    p = subprocess.run(args, capture_output=True, timeout=120, **kw)
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


def make_store(sealctl, work, extra_certs):
    """Store with a CA, alice's issued key and `extra_certs` imported; owned
    by the milter user, master key root's. Returns (store, master key)."""
    store_dir = os.path.join(work, "store")
    os.makedirs(store_dir)
    store = os.path.join(store_dir, "store.db")
    master = os.path.join(store_dir, "master.key")
    common = ["--store", store, "--master-key", master]
    for cmd in (["ca", "init", *common], ["keys", "issue", *common, ALICE],
                ["certs", "import", "--store", store, *extra_certs]):
        rc, _, err = run([sealctl, *cmd])
        if rc != 0:
            raise RuntimeError(f"sealctl {' '.join(cmd)} failed: {err}")
    pw = pwd.getpwnam(H.MILTER_USER)
    for path in (store_dir, store):
        os.chown(path, pw.pw_uid, pw.pw_gid)
    os.chmod(master, 0o600)
    return store, master


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
        print("test_policy.py: set SEALMILTER and SEALCTL or pass "
              "--daemon and --sealctl")
        return 64
    H.require_root()
    if shutil.which("saslpasswd2") is None:
        H.log("SKIP: saslpasswd2 missing (Debian packages sasl2-bin, "
              "libsasl2-modules; scripts/install-deps)")
        return H.EXIT_SKIP
    binary = os.path.abspath(binary)
    sealctl = os.path.abspath(sealctl)
    t0 = time.monotonic()

    work = tempfile.mkdtemp(prefix="sealmilter-pol-")
    os.chmod(work, 0o755)
    try:
        return run_all(binary, sealctl, work, t0)
    finally:
        if os.environ.get("SEALMILTER_E2E_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)


def run_all(binary, sealctl, work, t0):
    key, cert = H.make_smime_cert(work, CERT_RCPT, "carol")
    store, master = make_store(sealctl, work, [cert])
    rules_dir = os.path.join(work, "rules.d")
    os.makedirs(rules_dir)
    os.chmod(rules_dir, 0o755)
    with open(os.path.join(rules_dir, "60-hold.toml"), "w") as f:
        f.write(HOLD_RULES)
    os.chmod(os.path.join(rules_dir, "60-hold.toml"), 0o644)
    sasl = H.sasl_main_cf(work, {ALICE_LOGIN[0]: ALICE_LOGIN[1]})

    values = {
        "store.path": H.toml_string(store),
        "store.key_file": H.toml_string(master),
        "gateway.internal_domains": '["example.org"]',
        "gateway.internal_networks": '["127.0.0.0/8"]',
        "rules.paths": "[" + H.toml_string(rules_dir) + "]",
        "log.level": '"info"',
    }
    failures = 0
    with H.Stack(binary, milter_values=values, reinject=True,
                 postfix_main=sasl, prefix="sealmilter-pol-e2e-") as st:

        def send_ok(data, rcpts, auth=None):
            r = st.postfix.send(data, ALICE, rcpts, auth=auth)
            expect(r.code == 250, f"send: {r}")
            return r

        def delivered(msgid):
            msgs = H.wait_until(lambda: st.sink.find(msgid), H.DELIVERY_TIMEOUT,
                                what=f"delivery of {msgid}")
            expect(len(msgs) == 1, f"{len(msgs)} copies of {msgid}")
            return msgs[0]

        def for_rcpt(msgs, rcpt):
            return [m for m in msgs if m.rcpts == [rcpt]]

        def note(qid, text):
            """Waits for the milter's note line for qid containing text."""
            return st.milter.wait_for_log(
                re.escape(qid) + r": note: " + re.escape(text))

        def honoured(qid, rule):
            """The note that names the honoured opt-out and the login."""
            return st.milter.wait_for_log(
                re.escape(qid) + r": note: opt-out rule '" + re.escape(rule) +
                r"' honoured: authenticated as 'alice(@e2e\.test)?'$")

        def not_honoured(qid):
            lines = [l for l in st.milter.log().splitlines()
                     if qid in l and "honoured" in l]
            expect(not lines, f"opt-out honoured: {lines}")

        def quiet(before):
            time.sleep(QUIET_PERIOD)
            expect(st.sink.count() == before,
                   f"{st.sink.count() - before} message(s) delivered")

        def sealctl_q(*cmd):
            return run([sealctl, "quarantine", *cmd, "--store", store])

        def test_auth_macro():
            # No rule fires: only proof that AUTH works and Postfix passes
            # the login on (milter_mail_macros has {auth_authen} by
            # default; the milter asks for it at MAIL FROM).
            macros = st.postfix.postconf("-h", "milter_mail_macros")
            expect("{auth_authen}" in macros, f"milter_mail_macros={macros}")
            msgid, data = message("auth", EXTERNAL, "lunch?", b"Noon?\r\n")
            r = send_ok(data, [EXTERNAL], auth=ALICE_LOGIN)
            st.postfix.wait_for_maillog(
                re.escape(r.queue_id) + r": client=.*sasl_method=(PLAIN|LOGIN)"
                r", sasl_username=alice")
            line = st.milter.passed_line(r.queue_id)
            expect("direction=outbound" in line["extra"], f"line {line}")
            delivered(msgid)

        def test_noenc_honoured():
            body = b"The confidential figures: 42.\r\n"
            msgid, data = message("noenc-ok", CERT_RCPT,
                                  "[noenc] figures", body)
            r = send_ok(data, [CERT_RCPT], auth=ALICE_LOGIN)
            line = st.milter.passed_line(r.queue_id)
            expect("keyword-confidential" in line["extra"] and
                   "subject-tag-noenc" in line["extra"], f"line {line}")
            note(r.queue_id, "opt-out no-encrypt rule 'subject-tag-noenc' "
                 "cancels encrypt-if-possible rule 'keyword-confidential'")
            honoured(r.queue_id, "subject-tag-noenc")
            m = delivered(msgid)
            _, got = H.split_message(m.data)
            expect(got == body, f"body changed: {got!r}")
            expect(m.header("Subject") == "[noenc] figures",
                   f"Subject: {m.header('Subject')}")

        def test_noenc_ignored():
            body = b"The confidential figures: 43.\r\n"
            msgid, data = message("noenc-no", CERT_RCPT,
                                  "[noenc] figures", body)
            r = send_ok(data, [CERT_RCPT])
            st.milter.wait_for_log(re.escape(r.queue_id) +
                                   r": encrypted: .* method=smime certs=1")
            note(r.queue_id, "opt-out no-encrypt rule 'subject-tag-noenc' "
                 "ignored: the sender is not authenticated")
            not_honoured(r.queue_id)
            m = delivered(msgid)
            expect("application/pkcs7-mime" in (m.header("Content-Type")
                                                 or ""), "not S/MIME")
            expect(b"figures: 43" not in m.data, "plaintext body leaked")
            path = os.path.join(work, "noenc-ignored.eml")
            with open(path, "wb") as f:
                f.write(m.data)
            rc, plain, err = run(["openssl", "cms", "-decrypt", "-in", path,
                                  "-inkey", key, "-recip", cert])
            expect(rc == 0 and "figures: 43" in plain,
                   f"openssl cms -decrypt: {rc} {err}")

        def test_noenc_must():
            for auth, want in (
                    (ALICE_LOGIN, "opt-out no-encrypt rule 'subject-tag-noenc'"
                     " does not override must-encrypt encrypt rule 'us-ssn'"),
                    (None, "opt-out no-encrypt rule 'subject-tag-noenc' "
                     "ignored: the sender is not authenticated")):
                body = f"My SSN is {SSN}.\r\n".encode()
                msgid, data = message(f"must-{auth is None}", EXTERNAL,
                                      "[noenc] tax form", body)
                before = st.sink.count()
                r = send_ok(data, [EXTERNAL], auth=auth)
                st.milter.wait_for_log(re.escape(r.queue_id) +
                                       r": encrypted: .* method=envelope id=")
                note(r.queue_id, want)
                not_honoured(r.queue_id)
                msgs = st.sink.wait_for(before + 2)[before:]
                [env] = for_rcpt(msgs, EXTERNAL)
                expect(env.header("Message-ID") == msgid, "lost Message-ID")
                expect(SSN.encode() not in env.data and
                       b"secure-message.html" in env.data,
                       "not a secure envelope, or the SSN in clear")
                expect(len(for_rcpt(msgs, ALICE)) == 1,
                       "no passphrase notice to the sender")

        def test_wrong_password():
            before = st.sink.count()
            msgid, data = message("badpw", EXTERNAL, "hi", b"Hi.\r\n")
            r = st.postfix.send(data, ALICE, [EXTERNAL],
                                auth=(ALICE_LOGIN[0], "wrong"))
            expect(r.stage == "auth" and r.code == 535, f"send: {r}")
            st.postfix.wait_for_maillog(r"authentication failed")
            r = st.postfix.send(data, ALICE, [EXTERNAL],
                                auth=("mallory", ALICE_LOGIN[1]))
            expect(r.stage == "auth" and r.code == 535, f"send: {r}")
            quiet(before)
            expect(not st.sink.find(msgid), "delivered after failed AUTH")

        def test_nosign():
            for auth, signed, want in (
                    (ALICE_LOGIN, False, "opt-out no-sign rule "
                     "'subject-tag-nosign' cancels sign rule "
                     "'subject-tag-sign'"),
                    (None, True, "opt-out no-sign rule 'subject-tag-nosign'"
                     " ignored: the sender is not authenticated")):
                body = b"Quarterly report.\r\n"
                msgid, data = message(f"nosign-{signed}", EXTERNAL,
                                      "[sign] [nosign] report", body)
                r = send_ok(data, [EXTERNAL], auth=auth)
                note(r.queue_id, want)
                m = delivered(msgid)
                ct = m.header("Content-Type") or ""
                if signed:
                    expect("multipart/signed" in ct, f"not signed: {ct}")
                    not_honoured(r.queue_id)
                else:
                    honoured(r.queue_id, "subject-tag-nosign")
                    line = st.milter.passed_line(r.queue_id)
                    expect("subject-tag-nosign" in line["extra"],
                           f"line {line}")
                    expect("multipart/signed" not in ct, f"signed: {ct}")
                    _, got = H.split_message(m.data)
                    expect(got == body, f"body changed: {got!r}")

        def listing(state="held"):
            rc, out, err = sealctl_q("list", "--json", "--state", state)
            expect(rc == 0, f"quarantine list: {rc} {err}")
            return json.loads(out)

        def hold(name, auth=None):
            body = f"Form attached, SSN {SSN}.\r\n".encode()
            msgid, data = message(name, EXTERNAL, "[hold] tax form", body)
            r = send_ok(data, [EXTERNAL], auth=auth)
            st.milter.wait_for_log(re.escape(r.queue_id) + r": quarantined: ")
            [rec] = [q for q in listing() if q["queue_id"] == r.queue_id]
            return msgid, data, rec

        def test_quarantine_store():
            before = st.sink.count()
            msgid, data, rec = hold("held-1", auth=ALICE_LOGIN)
            _, _, other = hold("held-2")
            # Nothing reaches the recipient; the sender hears that the
            # message is held (no rule names, no content).
            notices = H.wait_until(
                lambda: for_rcpt(st.sink.messages()[before:], ALICE)[1:] and
                for_rcpt(st.sink.messages()[before:], ALICE), 30,
                what="the two held notices")
            time.sleep(QUIET_PERIOD)
            expect(st.sink.count() == before + 2,
                   f"{st.sink.count() - before} message(s) delivered")
            for n in notices:
                text = n.data.decode("utf-8", "replace")
                expect("held for review" in text and SSN not in text and
                       "test-hold" not in text and n.mail_from == "",
                       f"held notice: {text[:600]}")
            before = st.sink.count()
            expect(st.postfix.queued_files() == [],
                   f"Postfix kept a copy: {st.postfix.queued_files()}")
            expect(rec["sender"] == ALICE and rec["recipients"] == [EXTERNAL],
                   f"record {rec}")
            expect("test-hold" in rec["reason"], f"reason {rec['reason']}")
            expect(rec["auth_user"].startswith("alice") and
                   other["auth_user"] == "", f"auth users {rec} {other}")
            rc, out, err = sealctl_q("show", rec["id"])
            expect(rc == 0 and ALICE in out and EXTERNAL in out and
                   "test-hold" in out, f"show: {rc} {out} {err}")
            rc, raw, err = sealctl_q("show", "--raw", rec["id"])
            expect(rc == 0 and SSN in raw and msgid in raw,
                   f"show --raw: {rc} {err}")
            # Release: re-run the policy (the SSN still wants an envelope)
            # and re-inject through gateway.reinject.
            rc, out, err = run([sealctl, "quarantine", "release", "-c",
                                st.milter.config_path, rec["id"]])
            rel = f"{rc} {out} {err}"
            expect(rc == 0 and "released" in out, f"release: {rel}")
            msgs = st.sink.wait_for(before + 1)[before:]
            [env] = H.wait_until(
                lambda: for_rcpt(st.sink.messages()[before:], EXTERNAL), 30,
                what="the released message")
            expect(env.header("Message-ID") == msgid, f"got {msgs}")
            expect(SSN.encode() not in env.data,
                   "the released must-encrypt message left in clear")
            expect(b"secure-message.html" in env.data,
                   f"released message not enveloped: {env.data[:400]!r}")
            rc, out, err = run([sealctl, "quarantine", "release", "-c",
                                st.milter.config_path, rec["id"]])
            expect(rc != 0 and "already released" in err,
                   f"second release: {rc} {out} {err}")
            # Delete the other one: its bytes are gone, the record stays.
            rc, out, err = sealctl_q("delete", other["id"])
            expect(rc == 0 and "deleted" in out, f"delete: {rc} {err}")
            rc, raw, err = sealctl_q("show", "--raw", other["id"])
            expect(rc != 0 and SSN not in raw, f"show --raw deleted: {rc}")
            states = {q["id"]: q["state"] for q in listing("all")}
            expect(states.get(rec["id"]) == "released" and
                   states.get(other["id"]) == "deleted", f"states {states}")
            expect(all(q["id"] not in (rec["id"], other["id"])
                       for q in listing()), "still listed as held")
            time.sleep(QUIET_PERIOD)
            expect(not for_rcpt(st.sink.messages()[before:], EXTERNAL)[1:],
                   "delivered more than once")

        def test_quarantine_mta():
            st.milter.write_config({**st.milter.values,
                                    "gateway.quarantine": '"mta"'})
            st.milter.reload()
            before = st.sink.count()
            msgid, data = message("held-mta", EXTERNAL, "[hold] plans",
                                  b"Plans.\r\n")
            r = send_ok(data, [EXTERNAL])
            st.milter.wait_for_log(re.escape(r.queue_id) + r": quarantined: ")
            st.postfix.wait_for_maillog(re.escape(r.queue_id) + r": (milter-)?hold: ")
            rc, out = st.postfix._run(["/usr/sbin/postqueue", "-c",
                                       st.postfix.config_dir, "-j"],
                                      check=False)
            queued = [json.loads(l) for l in out.splitlines() if l.strip()]
            held = [q for q in queued if q.get("queue_id") == r.queue_id]
            expect(held and held[0].get("queue_name") == "hold",
                   f"postqueue -j: {out}")
            # Only the sender's "held for review" notice arrives.
            H.wait_until(lambda: for_rcpt(st.sink.messages()[before:], ALICE),
                         30, what="the held notice")
            quiet(before + 1)
            expect(not for_rcpt(st.sink.messages()[before:], EXTERNAL),
                   "the held message was delivered")
            st.postfix._run(["/usr/sbin/postsuper", "-c",
                             st.postfix.config_dir, "-d", r.queue_id,
                             "hold"], check=False)
            st.milter.write_config({**st.milter.values,
                                    "gateway.quarantine": None})
            st.milter.reload()

        def test_held_notice():
            # Must-encrypt mail that cannot be encrypted (over
            # gateway.max_encrypt_size) with gateway.oversize = quarantine:
            # held in the store, and the internal sender gets the
            # encryption-failure notice through gateway.reinject.
            st.milter.write_config({
                **st.milter.values, "gateway.max_encrypt_size": "1024",
                "gateway.oversize": '"quarantine"'})
            st.milter.reload()
            before = st.sink.count()
            msgid, data = message("toobig", EXTERNAL, "numbers",
                                  f"SSN {SSN}\r\n".encode() +
                                  b"x" * 2000 + b"\r\n")
            r = send_ok(data, [EXTERNAL], auth=ALICE_LOGIN)
            st.milter.wait_for_log(re.escape(r.queue_id) +
                                   r": quarantined: .*reason=cannot-encrypt")
            note(r.queue_id, "failure notice sent to the sender")
            [notice] = H.wait_until(
                lambda: for_rcpt(st.sink.messages()[before:], ALICE), 30,
                what="the failure notice")
            text = notice.data.decode("utf-8", "replace")
            expect("quarantined" in text and "1024" in text and
                   SSN not in text, f"failure notice: {text[:600]}")
            expect(notice.mail_from == "", "notice without null sender")
            time.sleep(QUIET_PERIOD)
            expect(not st.sink.find(msgid), "the held message was delivered")
            expect(any(q["queue_id"] == r.queue_id for q in listing()),
                   "not in the quarantine")
            st.milter.write_config({
                **st.milter.values, "gateway.max_encrypt_size": None,
                "gateway.oversize": None})
            st.milter.reload()

        def test_clean_exit():
            rc = st.milter.stop()
            expect(rc == 0, f"milter exit status {rc} on SIGTERM")
            problems = st.milter.problems()
            expect(not problems, f"milter log problems: {problems}")

        failures = H.run_tests([
            ("auth-macro", test_auth_macro),
            ("noenc-honoured", test_noenc_honoured),
            ("noenc-ignored", test_noenc_ignored),
            ("noenc-must", test_noenc_must),
            ("wrong-password", test_wrong_password),
            ("nosign", test_nosign),
            ("quarantine-store", test_quarantine_store),
            ("quarantine-mta", test_quarantine_mta),
            ("held-notice", test_held_notice),
            ("clean-exit", test_clean_exit),
        ], per_test_timeout=120)
        if failures:
            st.print_diagnostics()

    H.log(f"{'FAILED' if failures else 'passed'}: {failures} failure(s), "
          f"{time.monotonic() - t0:.1f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
