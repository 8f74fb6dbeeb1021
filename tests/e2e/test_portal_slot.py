#!/usr/bin/env python3
"""The milter's portal key slots and envelope records behind a real Postfix.

One private Postfix (smtpd_milters = sealmilter, a milter-free smtpd for
reinjection) relays to an SMTP sink (harness.py). The milter runs on its
shipped rules with a SQLite store and portal.url / portal.key_file set
(the key file made with `sealctl envelope keygen --out`).

  portal-slot    a US SSN to an external recipient: the delivered envelope
                 has a passphrase slot and a portal slot naming the current
                 key (`sealctl envelope open --info`); `sealctl envelope
                 list` shows its record (sender, recipient, active,
                 read_receipt from the X-Seal-Read-Receipt header);
                 `sealctl envelope open --portal-key` gives back the
                 original byte for byte (less the X-Seal-* fields); the
                 milter's log line names the envelope id.
  js-free        X-Seal-JS-Free: yes: the envelope has the portal slot only
                 and no script, and no passphrase notice goes to the sender.
  rotation       `sealctl envelope keygen --rotate` + SIGUSR1: new envelopes
                 name the new key; the old envelope still opens with the
                 rotated file.
  keys-missing   portal.key_file pointing nowhere (reload): 451 and nothing
                 delivered or recorded; the right file again (reload): mail
                 is enveloped and recorded again.
  store-missing  store.path in a directory that does not exist (milter
                 restarted): 451, nothing delivered.
  clean-exit     the milter exits 0 on SIGTERM with no error in its log.

usage: test_portal_slot.py [--daemon PATH] [--sealctl PATH]
       (or SEALMILTER=PATH SEALCTL=PATH)
Exit 0 all passed, 1 a test failed, 77 skipped (not root).
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

SENDER = "alice@example.org"
EXTERNAL = "bob@example.net"
SSN = "078-05-1120"  # a structurally valid SSN, not a real person's
PORTAL = "https://secure.example.org"
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
            binary, args = args[1], args[2:]
        elif args[0] == "--sealctl" and len(args) > 1:
            sealctl, args = args[1], args[2:]
        else:
            print(__doc__)
            return 64
    if not binary or not sealctl:
        print("test_portal_slot.py: set SEALMILTER and SEALCTL or pass "
              "--daemon and --sealctl")
        return 64
    H.require_root()
    binary = os.path.abspath(binary)
    sealctl = os.path.abspath(sealctl)
    t0 = time.monotonic()

    work = tempfile.mkdtemp(prefix="sealmilter-portal-")
    os.chmod(work, 0o755)
    try:
        return run_all(binary, sealctl, work, t0)
    finally:
        if os.environ.get("SEALMILTER_E2E_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)


def run_all(binary, sealctl, work, t0):
    _key, cert = H.make_smime_cert(work, "carol@partner.test", "carol")
    store = H.make_store(sealctl, work, [cert])
    key_file = os.path.join(work, "portal.key")
    rc, out, err = run([sealctl, "envelope", "keygen", "--out", key_file,
                        "--key-id", "first"])
    if rc != 0:
        raise RuntimeError(f"sealctl envelope keygen failed: {err}")
    # Read again on SIGUSR1, after the drop to the milter user.
    pw = pwd.getpwnam(H.MILTER_USER)
    os.chown(key_file, pw.pw_uid, pw.pw_gid)

    values = {
        "store.path": H.toml_string(store),
        "gateway.internal_domains": '["example.org"]',
        "portal.url": H.toml_string(PORTAL),
        "portal.key_file": H.toml_string(key_file),
        "portal.security": '"high"',
        "log.level": '"info"',
    }
    failures = 0
    with H.Stack(binary, milter_values=values, reinject=True,
                 prefix="sealmilter-portal-e2e-") as st:

        def send_ssn(name, extra=b""):
            body = (f"Hello Bob,\r\n\r\nmy SSN is {SSN}.\r\n").encode()
            msgid, data = message(
                name, EXTERNAL, "tax form", body,
                b"Content-Type: text/plain; charset=us-ascii\r\n" + extra)
            before = st.sink.count()
            r = st.postfix.send(data, SENDER, [EXTERNAL])
            expect(r.code == 250, f"send: {r}")
            found = st.milter.wait_for_log(
                re.escape(r.queue_id) +
                r": encrypted: .* method=envelope id=([0-9a-f]{32})")
            env_id = found.group(1)
            return msgid, data, before, env_id

        def info(path):
            rc, out, err = run([sealctl, "envelope", "open", path, "--info"])
            expect(rc == 0, f"--info failed: {err}")
            return out.decode()

        def records():
            rc, out, err = run([sealctl, "envelope", "list", "--store", store,
                                "--state", "any", "--json"])
            expect(rc == 0, f"sealctl envelope list failed ({rc}): {err}")
            return json.loads(out)

        saved = {}

        def test_portal_slot():
            msgid, data, before, env_id = send_ssn(
                "portal", b"X-Seal-Read-Receipt: yes\r\n")
            msgs = st.sink.wait_for(before + 2)[before:]
            [note] = [m for m in msgs if EXTERNAL in m.rcpts]
            [_notice] = [m for m in msgs if SENDER in m.rcpts]
            expect(SSN.encode() not in note.data, "the SSN travels in clear")
            path = os.path.join(work, "portal.eml")
            with open(path, "wb") as f:
                f.write(note.data)
            text = info(path)
            expect(f"envelope   {env_id}" in text, f"id: {text}")
            expect("portal key_id=first" in text, f"no portal slot: {text}")
            expect("passphrase PBKDF2" in text, f"no passphrase slot: {text}")
            expect(f"portal     {PORTAL}" in text, f"portal url: {text}")
            [rec] = [r for r in records() if r["id"] == env_id]
            expect(rec["sender"] == SENDER, f"record: {rec}")
            expect(rec["recipients"] == [EXTERNAL], f"record: {rec}")
            expect(rec["portal_key_id"] == "first", f"record: {rec}")
            expect(rec["security"] == "high", f"record: {rec}")
            expect(rec["state"] == "active", f"record: {rec}")
            expect(rec["read_receipt"] is True, f"record: {rec}")
            rc, listed, err = run([sealctl, "envelope", "list", "--store",
                                   store])
            expect(rc == 0 and env_id in listed.decode(),
                   f"text list: {listed!r} {err}")
            out = os.path.join(work, "portal-opened.eml")
            rc, _, err = run([sealctl, "envelope", "open", path,
                              "--portal-key", key_file, "--out", out])
            expect(rc == 0, f"open --portal-key failed ({rc}): {err}")
            with open(out, "rb") as f:
                opened = f.read()
            want = data.replace(b"X-Seal-Read-Receipt: yes\r\n", b"")
            expect(opened == want, f"opened differs: {opened[:300]!r}")
            saved["first"] = path

        def test_js_free():
            _, _, before, env_id = send_ssn("jsfree",
                                            b"X-Seal-JS-Free: yes\r\n")
            st.sink.wait_for(before + 1)
            time.sleep(2)  # a passphrase notice would have come by now
            msgs = st.sink.messages()[before:]
            expect(not [m for m in msgs if SENDER in m.rcpts],
                   "a passphrase notice went out for a JS-free envelope")
            [note] = [m for m in msgs if EXTERNAL in m.rcpts]
            path = os.path.join(work, "jsfree.eml")
            with open(path, "wb") as f:
                f.write(note.data)
            text = info(path)
            expect("js_free=yes" in text, text)
            expect("portal key_id=first" in text and "passphrase" not in
                   text.split("slot 1", 1)[1], f"slots: {text}")
            expect(any(r["id"] == env_id for r in records()),
                   "no record for the JS-free envelope")

        def test_rotation():
            rc, out, err = run([sealctl, "envelope", "keygen", "--rotate",
                                key_file, "--key-id", "second"])
            expect(rc == 0, f"rotate failed: {err}")
            expect(os.stat(key_file).st_uid == pw.pw_uid,
                   "rotation lost the file's owner")
            st.milter.reload()
            time.sleep(1)
            _, _, before, env_id = send_ssn("rotated")
            msgs = st.sink.wait_for(before + 2)[before:]
            [note] = [m for m in msgs if EXTERNAL in m.rcpts]
            path = os.path.join(work, "rotated.eml")
            with open(path, "wb") as f:
                f.write(note.data)
            expect("portal key_id=second" in info(path), "not the new key")
            [rec] = [r for r in records() if r["id"] == env_id]
            expect(rec["portal_key_id"] == "second", f"record: {rec}")
            for p in (path, saved.get("first")):
                if p is None:
                    continue
                rc, _, err = run([sealctl, "envelope", "open", p,
                                  "--portal-key", key_file, "--out",
                                  p + ".out"])
                expect(rc == 0, f"{p} does not open after rotation: {err}")

        def expect_tempfail(name):
            before = st.sink.count()
            n_records = len(records())
            _, data = message(name, EXTERNAL, "ssn",
                              f"SSN {SSN}\r\n".encode())
            r = st.postfix.send(data, SENDER, [EXTERNAL])
            expect(r.code == 451, f"{name}: expected 451, got {r}")
            time.sleep(2)
            expect(st.sink.count() == before, f"{name}: something delivered")
            expect(len(records()) == n_records, f"{name}: a record was made")

        def test_keys_missing():
            good = dict(st.milter.values)
            st.milter.write_config({**good,
                                    "portal.key_file":
                                        H.toml_string(key_file + ".gone")})
            st.milter.reload()
            st.milter.wait_for_log(r"portal keys: .*does not exist")
            expect_tempfail("nokeys")
            st.milter.write_config(good)
            st.milter.reload()
            _, _, _, env_id = send_ssn("keys-back")
            expect(any(r["id"] == env_id for r in records()),
                   "no record after the key file came back")

        def test_store_missing():
            # store.path needs a restart; a directory that does not exist
            # cannot hold the store.
            good = dict(st.milter.values)
            st.milter.write_config({**good, "store.path": H.toml_string(
                os.path.join(work, "no-such-dir", "store.db"))})
            st.milter.stop()
            st.milter.start()
            try:
                expect_tempfail_store()
            finally:
                st.milter.write_config(good)
                st.milter.stop()
                st.milter.start()

        def expect_tempfail_store():
            before = st.sink.count()
            _, data = message("nostore", EXTERNAL, "ssn",
                              f"SSN {SSN}\r\n".encode())
            r = st.postfix.send(data, SENDER, [EXTERNAL])
            expect(r.code == 451, f"no store: expected 451, got {r}")
            time.sleep(2)
            expect(st.sink.count() == before, "no store: delivered")

        def test_clean_exit():
            rc = st.milter.stop()
            expect(rc == 0, f"milter exit status {rc}")
            problems = [p for p in st.milter.problems()
                        if "portal keys" not in p and "store" not in p]
            expect(not problems, f"problems in the log: {problems}")

        failures = H.run_tests([
            ("portal-slot", test_portal_slot),
            ("js-free", test_js_free),
            ("rotation", test_rotation),
            ("keys-missing", test_keys_missing),
            ("store-missing", test_store_missing),
            ("clean-exit", test_clean_exit),
        ])
    H.log(f"{failures} failed, {time.monotonic() - t0:.1f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
