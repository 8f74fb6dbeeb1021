#!/usr/bin/env python3
"""Inbound S/MIME and outbound signing through a real Postfix.

One private Postfix with sealmilter (harness.py). gateway.internal_networks
is empty, so mail from 127.0.0.1 without SMTP AUTH is inbound. The store
has a built-in CA (sealctl ca init, master key beside the store, root-owned
0600 as the daemon reads it before dropping privileges) and a key issued
for alice@example.org (sealctl keys issue).

  signed-ok      bob@example.net (self-signed certificate, listed in
                 inbound.trust_anchors) signs with `openssl cms -sign`: the
                 delivered mail is tagged "[signed OK]", X-Seal-Result says
                 signature=valid, and `sealctl certs list` shows bob's
                 certificate as harvested.
  forged-header  an X-Seal-Result the sender wrote is not delivered.
  decrypt        mail encrypted with `openssl cms -encrypt` to alice's
                 store certificate arrives decrypted (the text is readable,
                 no pkcs7-mime left) and tagged "[secure]".
  undecryptable  mail encrypted to a certificate we hold no key for passes
                 with "smime=undecryptable; reason=no-key".
  sign           an outbound rule with action sign: skipped with a message
                 until process.cc calls RewriteSign (see the report).

usage: test_inbound.py [--daemon PATH] [--sealctl PATH]
       (or SEALMILTER=PATH SEALCTL=PATH)
Exit 0 all passed, 1 a test failed, 77 skipped (not root).
"""

import os
import pwd
import re
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

ALICE = "alice@example.org"    # internal, key in the store
BOB = "bob@example.net"        # external signer
TAG = f"{os.getpid()}.{int(time.time())}"


def expect(cond, message):
    if not cond:
        raise AssertionError(message)


def run(args, **kw):
    p = subprocess.run(args, capture_output=True, timeout=120, **kw)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def outer(name, subject, extra=b""):
    msgid = f"<{name}.{TAG}@e2e.test>"
    head = (f"From: Bob <{BOB}>\r\n"
            f"To: <{ALICE}>\r\n"
            f"Subject: {subject}\r\n"
            f"Date: Wed, 02 Dec 2026 10:00:00 +0000\r\n"
            f"Message-ID: {msgid}\r\n").encode() + extra
    return msgid, head


def crlf(data):
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


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
        print("test_inbound.py: set SEALMILTER and SEALCTL or pass "
              "--daemon and --sealctl")
        return 64
    H.require_root()
    binary = os.path.abspath(binary)
    sealctl = os.path.abspath(sealctl)
    t0 = time.monotonic()

    work = tempfile.mkdtemp(prefix="sealmilter-in-")
    os.chmod(work, 0o755)
    store_dir = os.path.join(work, "store")
    os.makedirs(store_dir)
    store = os.path.join(store_dir, "store.db")
    master = os.path.join(store_dir, "master.key")
    common = ["--store", store, "--master-key", master]
    for cmd in (["ca", "init", *common],
                ["keys", "issue", *common, ALICE]):
        rc, _, err = run([sealctl, *cmd])
        if rc != 0:
            raise RuntimeError(f"sealctl {' '.join(cmd)} failed: {err}")
    alice_pem = os.path.join(work, "alice.pem")
    rc, _, err = run([sealctl, "certs", "export", "--store", store, "--out",
                      alice_pem, ALICE])
    if rc != 0:
        raise RuntimeError(f"sealctl certs export failed: {err}")
    # The store belongs to the milter user; the master key stays root's.
    pw = pwd.getpwnam(H.MILTER_USER)
    for path in (store_dir, store):
        os.chown(path, pw.pw_uid, pw.pw_gid)
    os.chmod(master, 0o600)

    bob_key, bob_cert = H.make_smime_cert(work, BOB, "bob")
    other_key, other_cert = H.make_smime_cert(work, "nobody@example.org",
                                              "other")
    content = os.path.join(work, "content.txt")
    with open(content, "wb") as f:
        f.write(b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
                b"The quarterly numbers are attached.\r\n")

    values = {
        "store.path": H.toml_string(store),
        "store.key_file": H.toml_string(master),
        "gateway.internal_domains": '["example.org"]',
        "gateway.internal_networks": "[]",
        "inbound.trust_anchors": "[" + H.toml_string(bob_cert) + "]",
        "inbound.system_trust": "false",
        "log.level": '"info"',
    }
    failures = 0
    with H.Stack(binary, milter_values=values,
                 prefix="sealmilter-in-e2e-") as st:

        def send_ok(data):
            r = st.postfix.send(data, BOB, [ALICE])
            expect(r.code == 250, f"send: {r}")
            return r

        def delivered(msgid):
            found = H.wait_until(lambda: st.sink.find(msgid), 30,
                                 what=f"{msgid} at the sink")
            expect(len(found) == 1, f"{len(found)} copies of {msgid}")
            return found[0]

        def test_signed_ok():
            signed = os.path.join(work, "signed.eml")
            rc, _, err = run(["openssl", "cms", "-sign", "-in", content,
                              "-signer", bob_cert, "-inkey", bob_key,
                              "-crlfeol", "-out", signed])
            expect(rc == 0, f"openssl cms -sign: {err}")
            with open(signed, "rb") as f:
                entity = crlf(f.read())
            msgid, head = outer("signed", "numbers")
            r = send_ok(head + entity)
            st.milter.wait_for_log(re.escape(r.queue_id) +
                                   r": verified: .*smime=signed")
            m = delivered(msgid)
            expect(m.header("Subject") == "[signed OK] numbers",
                   f"Subject: {m.header('Subject')}")
            result = m.header("X-Seal-Result") or ""
            expect("signature=valid" in result and f"signer={BOB}" in result,
                   f"X-Seal-Result: {result}")
            rc, out, err = run([sealctl, "certs", "list", "--store", store])
            expect(rc == 0, f"sealctl certs list: {err}")
            text = out.decode("utf-8", "replace")
            lines = [l for l in text.splitlines() if BOB in l]
            expect(lines and any("harvested" in l for l in lines),
                   f"bob's certificate not harvested: {text}")

        def test_forged_header():
            msgid, head = outer("forged", "hello",
                                b"X-Seal-Result: smime=decrypted; "
                                b"signature=valid\r\n")
            send_ok(head + b"\r\nJust text.\r\n")
            m = delivered(msgid)
            expect(b"X-Seal-Result" not in m.data,
                   "a forged X-Seal-Result was delivered")

        def encrypt_to(cert, name):
            out = os.path.join(work, f"{name}.eml")
            rc, _, err = run(["openssl", "cms", "-encrypt", "-aes256",
                              "-in", content, "-crlfeol", "-out", out, cert])
            expect(rc == 0, f"openssl cms -encrypt: {err}")
            with open(out, "rb") as f:
                return crlf(f.read())

        def test_decrypt():
            msgid, head = outer("decrypt", "numbers")
            r = send_ok(head + encrypt_to(alice_pem, "enc"))
            st.milter.wait_for_log(re.escape(r.queue_id) +
                                   r": decrypted: .*smime=decrypted")
            m = delivered(msgid)
            expect(m.header("Subject") == "[secure] numbers",
                   f"Subject: {m.header('Subject')}")
            expect(b"The quarterly numbers are attached." in m.data,
                   "the text was not decrypted")
            expect(b"pkcs7-mime" not in m.data, "still S/MIME")
            result = m.header("X-Seal-Result") or ""
            expect(result.startswith("smime=decrypted"),
                   f"X-Seal-Result: {result}")

        def test_undecryptable():
            msgid, head = outer("nokey", "for someone else")
            send_ok(head + encrypt_to(other_cert, "other"))
            m = delivered(msgid)
            expect(m.header("X-Seal-Result") ==
                   "smime=undecryptable; reason=no-key",
                   f"X-Seal-Result: {m.header('X-Seal-Result')}")
            expect(b"pkcs7-mime" in m.data, "the message was changed")

        def test_sign():
            # Alice sends from 127.0.0.1 as an internal user; "[sign]" asks
            # for a signature (shipped rule subject-tag-sign).
            st.milter.write_config({**st.milter.values,
                                    "gateway.internal_networks":
                                        '["127.0.0.0/8"]'})
            st.milter.reload()
            partner = "partner@example.net"
            msgid = f"<sign.{os.getpid()}@e2e.test>"
            data = (f"From: Alice <{ALICE}>\r\nTo: <{partner}>\r\n"
                    f"Subject: [sign] report\r\nMessage-ID: {msgid}\r\n"
                    "MIME-Version: 1.0\r\n"
                    "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
                    "Signed numbers.\r\n").encode()
            r = st.postfix.send(data, ALICE, [partner])
            expect(r.code == 250, f"send: {r}")
            st.milter.wait_for_log(re.escape(r.queue_id) +
                                   r": signed: .* method=signed signer=")
            m = delivered(msgid)
            ct = m.header("Content-Type") or ""
            expect("multipart/signed" in ct, f"Content-Type: {ct}")
            path = os.path.join(work, "outbound-signed.eml")
            with open(path, "wb") as f:
                f.write(m.data)
            signer = os.path.join(work, "outbound-signer.pem")
            rc, out, err = run(["openssl", "cms", "-verify", "-noverify",
                                "-in", path, "-signer", signer])
            expect(rc == 0, f"openssl cms -verify: {err}")
            expect(b"Signed numbers." in out, f"verified content {out!r}")
            rc, subj, err = run(["openssl", "x509", "-in", signer, "-noout",
                                 "-subject", "-ext", "subjectAltName"])
            expect(ALICE.encode() in subj, f"signer is not alice: {subj!r}")
            # Tampering breaks it.
            with open(path, "wb") as f:
                f.write(m.data.replace(b"Signed numbers.", b"Signed NUMBERS."))
            rc, _, _ = run(["openssl", "cms", "-verify", "-noverify", "-in",
                            path])
            expect(rc != 0, "a tampered signed message verified")

        failures = H.run_tests([
            ("signed-ok", test_signed_ok),
            ("forged-header", test_forged_header),
            ("decrypt", test_decrypt),
            ("undecryptable", test_undecryptable),
            ("sign", test_sign),
        ], per_test_timeout=120)
        if failures:
            st.print_diagnostics()

    H.log(f"{'FAILED' if failures else 'passed'}: {failures} failure(s), "
          f"{time.monotonic() - t0:.1f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
