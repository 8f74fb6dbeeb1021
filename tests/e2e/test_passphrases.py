#!/usr/bin/env python3
"""Per-recipient envelope passphrases (envelope.passphrase = per-recipient)
behind a real Postfix.

One private Postfix (smtpd_milters = sealmilter, a milter-free smtpd for
reinjection) relays to an SMTP sink (harness.py). The milter runs on its
shipped rules with a SQLite store whose master key was made by `sealctl ca
init` (store.key_file), and envelope.passphrase = "per-recipient".

  first          a US SSN to bob (no passphrase yet): the sender's notice
                 names bob's new personal passphrase; the envelope opens
                 with it (`sealctl envelope open`), the slot is labelled
                 with bob's address; `sealctl passphrase list --json` shows
                 bob with origin "message" and one use; `sealctl passphrase
                 show` prints the same passphrase.
  reused         a second SSN mail to bob: no notice to the sender, the
                 notification asks for the passphrase bob already has, and
                 the new envelope opens with the first one's passphrase.
  admin          `sealctl passphrase set carol --stdin` (the administrator
                 agreed one with carol): carol's envelope opens with it and
                 the sender gets no notice.
  split          one mail to bob (known) and dave (new): two envelopes, one
                 each; one notice, naming dave only; each envelope opens
                 with its recipient's passphrase and not with the other's.
  unannounced    the reinjection listener refuses connections: the mail to
                 erin (new) is tempfailed although erin's passphrase was
                 already stored; once the listener is back the retry's
                 notice names that same stored passphrase, and the mail
                 after it sends none.
  deleted        `sealctl passphrase delete bob`: the next mail to bob gets
                 a new passphrase, announced; the old one no longer opens it.
  no-master-key  store.key_file pointing nowhere (restart): an SSN mail is
                 tempfailed (451), nothing delivered, no notice.
  clean-exit     the milter exits 0 on SIGTERM.

usage: test_passphrases.py [--daemon PATH] [--sealctl PATH]
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
BOB = "bob@example.net"
CAROL = "carol@partner.test"
DAVE = "dave@example.net"
ERIN = "erin@example.net"
SSN = "078-05-1120"  # a structurally valid SSN, not a real person's
ADMIN_PASSPHRASE = "correct horse battery staple 42"
GENERATED = re.compile(r"\b([2-9a-z]{4}(?:-[2-9a-z]{4}){5})\b")
TAG = f"{os.getpid()}.{int(time.time())}"
QUIET = 2.0  # seconds in which a notice that should not come would come


def expect(cond, message):
    if not cond:
        raise AssertionError(message)


def message(name, to, subject, body):
    msgid = f"<{name}.{TAG}@e2e.test>"
    head = (f"From: Alice <{SENDER}>\r\n"
            f"To: {', '.join('<' + t + '>' for t in to)}\r\n"
            f"Subject: {subject}\r\n"
            f"Date: Wed, 02 Dec 2026 10:00:00 +0000\r\n"
            f"Message-ID: {msgid}\r\n"
            f"MIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=us-ascii\r\n").encode()
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
        print("test_passphrases.py: set SEALMILTER and SEALCTL or pass "
              "--daemon and --sealctl")
        return 64
    H.require_root()
    binary = os.path.abspath(binary)
    sealctl = os.path.abspath(sealctl)
    t0 = time.monotonic()
    work = tempfile.mkdtemp(prefix="sealmilter-pass-")
    os.chmod(work, 0o755)
    try:
        return run_all(binary, sealctl, work, t0)
    finally:
        if os.environ.get("SEALMILTER_E2E_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)


def run_all(binary, sealctl, work, t0):
    store_dir = os.path.join(work, "store")
    os.makedirs(store_dir)
    store = os.path.join(store_dir, "store.db")
    master = os.path.join(store_dir, "master.key")
    common = ["--store", store, "--master-key", master]
    rc, _, err = run([sealctl, "ca", "init", *common])
    if rc != 0:
        raise RuntimeError(f"sealctl ca init failed: {err}")
    pw = pwd.getpwnam(H.MILTER_USER)
    for path in (store_dir, store):
        os.chown(path, pw.pw_uid, pw.pw_gid)
    os.chmod(master, 0o600)

    def ctl(*argv, stdin=None):
        extra = common if argv[0] in ("show", "set") else common[:2]
        rc, out, err = run([sealctl, "passphrase", *argv, *extra],
                           input=stdin)
        return rc, out.decode("utf-8", "replace"), err

    def listed():
        rc, out, err = ctl("list", "--json")
        expect(rc == 0, f"sealctl passphrase list failed ({rc}): {err}")
        rows = json.loads(out)
        return {r["address"]: r for r in rows}

    def shown(address):
        rc, out, err = ctl("show", address)
        expect(rc == 0, f"sealctl passphrase show failed ({rc}): {err}")
        return out

    values = {
        "store.path": H.toml_string(store),
        "store.key_file": H.toml_string(master),
        "gateway.internal_domains": '["example.org"]',
        "envelope.passphrase": '"per-recipient"',
        "log.level": '"info"',
    }
    with H.Stack(binary, milter_values=values, reinject=True,
                 prefix="sealmilter-pass-e2e-") as st:

        def send_ssn(name, rcpts, code=250):
            body = f"Hello,\r\n\r\nmy SSN is {SSN}.\r\n".encode()
            msgid, data = message(name, rcpts, "tax form", body)
            before = st.sink.count()
            r = st.postfix.send(data, SENDER, rcpts)
            expect(r.code == code, f"{name}: want {code}, got {r}")
            return msgid, data, before

        def deliveries(before, n):
            """The next n messages; then none for QUIET seconds."""
            msgs = st.sink.wait_for(before + n)[before:]
            time.sleep(QUIET)
            msgs = st.sink.messages()[before:]
            expect(len(msgs) == n, f"want {n} messages, got {len(msgs)}: "
                   f"{[m.rcpts for m in msgs]}")
            return msgs

        def split(msgs):
            notices = [m for m in msgs if SENDER in m.rcpts]
            notes = {}
            for m in msgs:
                if SENDER in m.rcpts:
                    continue
                expect(len(m.rcpts) == 1, f"an envelope for {m.rcpts}")
                notes[m.rcpts[0]] = m
            return notices, notes

        def notice_passphrases(notice):
            text = notice.data.decode("utf-8", "replace")
            return GENERATED.findall(text), text

        def opens(note, passphrase, name):
            path = os.path.join(work, name + ".eml")
            with open(path, "wb") as f:
                f.write(note.data)
            out = os.path.join(work, name + ".opened")
            rc, _, err = run([sealctl, "envelope", "open", path,
                              "--passphrase", passphrase, "--out", out])
            if rc != 0:
                return None, err
            with open(out, "rb") as f:
                return f.read(), ""

        saved = {}

        def test_first():
            _, data, before = send_ssn("first", [BOB])
            notices, notes = split(deliveries(before, 2))
            expect(len(notices) == 1 and BOB in notes,
                   "want one notice and bob's envelope")
            found, text = notice_passphrases(notices[0])
            expect(len(found) == 1, f"notice passphrases: {found}: {text}")
            expect(BOB in text, f"the notice does not name bob: {text}")
            passphrase = found[0]
            expect(passphrase.encode() not in notes[BOB].data,
                   "the passphrase is in bob's copy")
            expect(SSN.encode() not in notes[BOB].data, "SSN in clear")
            opened, err = opens(notes[BOB], passphrase, "first")
            expect(opened == data, f"does not open: {err}")
            path = os.path.join(work, "first.eml")
            rc, out, err = run([sealctl, "envelope", "open", path, "--info"])
            expect(rc == 0 and BOB in out.decode(),
                   f"slot label: {out!r} {err}")
            rows = listed()
            expect(BOB in rows, f"bob not listed: {rows}")
            expect(rows[BOB]["origin"] == "message", f"row: {rows[BOB]}")
            expect(rows[BOB]["uses"] == 1, f"row: {rows[BOB]}")
            expect(passphrase in shown(BOB), "show gives another one")
            saved["bob"] = passphrase

        def test_reused():
            _, data, before = send_ssn("reused", [BOB])
            notices, notes = split(deliveries(before, 1))
            expect(not notices, "a notice for a known recipient")
            body = notes[BOB].data.decode("utf-8", "replace")
            expect("gives it to you separately" not in body,
                   "the notification promises a new passphrase")
            opened, err = opens(notes[BOB], saved["bob"], "reused")
            expect(opened == data, f"bob's passphrase does not open it: {err}")
            expect(listed()[BOB]["uses"] == 2, "use not counted")

        def test_admin():
            rc, out, err = ctl("set", CAROL, "--stdin",
                               stdin=(ADMIN_PASSPHRASE + "\n").encode())
            expect(rc == 0, f"passphrase set failed ({rc}): {err}")
            _, data, before = send_ssn("admin", [CAROL])
            notices, notes = split(deliveries(before, 1))
            expect(not notices, "a notice for an administrator's passphrase")
            opened, err = opens(notes[CAROL], ADMIN_PASSPHRASE, "admin")
            expect(opened == data, f"the admin's passphrase fails: {err}")
            expect(listed()[CAROL]["origin"] == "admin", "origin")

        def test_split():
            _, data, before = send_ssn("split", [BOB, DAVE])
            notices, notes = split(deliveries(before, 3))
            expect(set(notes) == {BOB, DAVE}, f"envelopes: {list(notes)}")
            expect(len(notices) == 1, f"{len(notices)} notices")
            found, text = notice_passphrases(notices[0])
            expect(len(found) == 1 and DAVE in text and BOB not in text,
                   f"the notice should name dave's only: {text}")
            dave = found[0]
            expect(dave != saved["bob"], "dave got bob's passphrase")
            for who, mine, other in ((BOB, saved["bob"], dave),
                                     (DAVE, dave, saved["bob"])):
                opened, err = opens(notes[who], mine, "split-" + who)
                expect(opened == data, f"{who}'s does not open: {err}")
                opened, _ = opens(notes[who], other, "split-x-" + who)
                expect(opened is None, f"{who}'s opens with the other's")

        def test_unannounced():
            good = dict(st.milter.values)
            st.milter.write_config({**good, "gateway.reinject":
                                    H.toml_string(f"127.0.0.1:{H.free_port()}")})
            expect(st.milter.reload(), "reload refused")
            try:
                _, _, before = send_ssn("erin-down", [ERIN], code=451)
                time.sleep(QUIET)
                expect(st.sink.count() == before, "delivered after a 451")
            finally:
                st.milter.write_config(good)
                expect(st.milter.reload(), "reload refused")
            rows = listed()
            expect(ERIN in rows and rows[ERIN]["uses"] == 0,
                   f"erin's passphrase should be stored, unused: {rows}")
            stored = shown(ERIN)
            _, data, before = send_ssn("erin-retry", [ERIN])
            notices, notes = split(deliveries(before, 2))
            expect(len(notices) == 1, "no notice on the retry")
            found, text = notice_passphrases(notices[0])
            expect(len(found) == 1 and found[0] in stored,
                   f"the retry announced another passphrase: {found}")
            opened, err = opens(notes[ERIN], found[0], "erin")
            expect(opened == data, f"erin's does not open: {err}")
            _, _, before = send_ssn("erin-after", [ERIN])
            notices, _ = split(deliveries(before, 1))
            expect(not notices, "announced a third time")

        def test_deleted():
            rc, _, err = ctl("delete", BOB)
            expect(rc == 0, f"delete failed ({rc}): {err}")
            expect(BOB not in listed(), "still listed")
            _, data, before = send_ssn("deleted", [BOB])
            notices, notes = split(deliveries(before, 2))
            expect(len(notices) == 1, "no notice for bob's new passphrase")
            found, _ = notice_passphrases(notices[0])
            expect(len(found) == 1 and found[0] != saved["bob"],
                   f"not a new one: {found}")
            opened, err = opens(notes[BOB], found[0], "deleted")
            expect(opened == data, f"the new one does not open: {err}")
            opened, _ = opens(notes[BOB], saved["bob"], "deleted-old")
            expect(opened is None, "the deleted passphrase still opens")

        def test_no_master_key():
            good = dict(st.milter.values)
            st.milter.write_config({**good, "store.key_file": H.toml_string(
                os.path.join(work, "no-such.key"))})
            st.milter.stop()
            st.milter.start()
            try:
                _, _, before = send_ssn("nokey", [BOB, "frank@example.net"],
                                        code=451)
                time.sleep(QUIET)
                expect(st.sink.count() == before, "delivered without a key")
                st.milter.wait_for_log(
                    r"reason=passphrase-store-unavailable", timeout=5)
                st.milter.wait_for_log(r"personal passphrases unavailable",
                                       timeout=5)
            finally:
                st.milter.write_config(good)
                st.milter.stop()
                st.milter.start()

        def test_clean_exit():
            rc = st.milter.stop()
            expect(rc == 0, f"milter exit status {rc}")

        failures = H.run_tests([
            ("first", test_first),
            ("reused", test_reused),
            ("admin", test_admin),
            ("split", test_split),
            ("unannounced", test_unannounced),
            ("deleted", test_deleted),
            ("no-master-key", test_no_master_key),
            ("clean-exit", test_clean_exit),
        ])
    H.log(f"{failures} failed, {time.monotonic() - t0:.1f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
