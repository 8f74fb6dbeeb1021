#!/usr/bin/env python3
"""Two sealmilter hosts sharing one PostgreSQL store (issue #8).

One private PostgreSQL (tests/pg_harness.py) and two private Postfix
stacks A and B (harness.py Stack, each with its own sealmilter, sink and
reinjection port). Both milters use store.backend = "postgresql" with the
same conninfo and the same store.key_file (made by `sealctl ca init`).
sealctl runs with -c on a config that points at the same database.

  shared-cert    carol's certificate, imported once with sealctl, is used
                 by A and by B: "#" mail to carol arrives at each sink as
                 S/MIME that `openssl cms -decrypt` opens with carol's key.
  quarantine     A (rule "[hold]") holds a message in the store; sealctl
                 with B's config lists it and releases it; it arrives at
                 B's sink (re-injected through B's gateway.reinject).
  harvest        A, reloaded with gateway.internal_networks = [] (so mail
                 from 127.0.0.1 is inbound), harvests bob's certificate
                 from a signed message; B then encrypts "#" mail to bob
                 with it (bob's key decrypts it).
  envelope       both milters have portal.url and the same portal.key_file:
                 A makes a secure envelope for a US SSN to dave and writes
                 its record to the shared store; sealctl with B's config
                 shows it (sender, recipient, portal key) and revokes it;
                 sealctl with A's config then sees it revoked; the portal
                 key opens the delivered envelope (sealctl envelope open
                 --portal-key).
  pg-down        PostgreSQL stopped: "#" mail to carol gets 4xx on A and
                 on B and is not delivered; plain mail still flows on
                 both. After PostgreSQL is started again, "#" mail is
                 encrypted again on both without restarting the milters.

usage: test_multihost.py [--daemon PATH] [--sealctl PATH]
       (or SEALMILTER=PATH SEALCTL=PATH)
Exit 0 all passed, 1 a test failed, 77 skipped (not root, no PostgreSQL).
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
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import harness as H  # noqa: E402
import pg_harness  # noqa: E402

ALICE = "alice@example.org"
BOB = "bob@example.net"          # harvested on A, used by B
CAROL = "carol@partner.test"     # imported once with sealctl
EXTERNAL = "dave@example.net"    # no certificate
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


def message(name, frm, to, subject, body):
    msgid = f"<{name}.{TAG}@e2e.test>"
    head = (f"From: <{frm}>\r\n"
            f"To: <{to}>\r\n"
            f"Subject: {subject}\r\n"
            f"Date: Wed, 02 Dec 2026 10:00:00 +0000\r\n"
            f"Message-ID: {msgid}\r\n"
            f"MIME-Version: 1.0\r\n").encode()
    return msgid, head


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
        print("test_multihost.py: set SEALMILTER and SEALCTL or pass "
              "--daemon and --sealctl")
        return 64
    H.require_root()
    binary = os.path.abspath(binary)
    sealctl = os.path.abspath(sealctl)
    try:
        pg = pg_harness.PgServer()
    except pg_harness.Unavailable as e:
        H.log(f"SKIP: {e}")
        return H.EXIT_SKIP
    work = tempfile.mkdtemp(prefix="sealmilter-mh-")
    os.chmod(work, 0o755)
    try:
        with pg:
            return run_all(binary, sealctl, work, pg)
    finally:
        if os.environ.get("SEALMILTER_E2E_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)


def run_all(binary, sealctl, work, pg):
    t0 = time.monotonic()
    carol_key, carol_cert = H.make_smime_cert(work, CAROL, "carol")
    bob_key, bob_cert = H.make_smime_cert(work, BOB, "bob")
    master = os.path.join(work, "master.key")
    store_values = {
        "store.backend": '"postgresql"',
        "store.conninfo": H.toml_string(pg.conninfo),
        "store.key_file": H.toml_string(master),
    }
    ctl_conf = os.path.join(work, "sealctl.conf")
    with open(ctl_conf, "w") as f:
        f.write(H.render_toml(store_values))
    for cmd in (["ca", "init", "-c", ctl_conf, "--master-key", master],
                ["certs", "import", "-c", ctl_conf, carol_cert]):
        rc, _, err = run([sealctl, *cmd])
        if rc != 0:
            raise RuntimeError(f"sealctl {' '.join(cmd)} failed: {err}")
    os.chmod(master, 0o600)  # root's: read before the privilege drop
    portal_key = os.path.join(work, "portal.key")
    rc, _, err = run([sealctl, "envelope", "keygen", "--out", portal_key,
                      "--key-id", "shared-1"])
    if rc != 0:
        raise RuntimeError(f"sealctl envelope keygen failed: {err}")
    # Read again on reload (harvest reloads A), after the privilege drop.
    pw = pwd.getpwnam(H.MILTER_USER)
    os.chown(portal_key, pw.pw_uid, pw.pw_gid)

    rules_dir = os.path.join(work, "rules.d")
    os.makedirs(rules_dir)
    os.chmod(rules_dir, 0o755)
    with open(os.path.join(rules_dir, "60-hold.toml"), "w") as f:
        f.write(HOLD_RULES)
    os.chmod(os.path.join(rules_dir, "60-hold.toml"), 0o644)

    values = dict(store_values)
    values.update({
        "gateway.internal_domains": '["example.org"]',
        "gateway.internal_networks": '["127.0.0.0/8"]',
        "gateway.quarantine": '"store"',
        "inbound.trust_anchors": "[" + H.toml_string(bob_cert) + "]",
        "inbound.system_trust": "false",
        "log.level": '"info"',
        "portal.url": '"https://secure.example.org"',
        "portal.key_file": H.toml_string(portal_key),
    })
    values_a = dict(values)
    values_a["rules.paths"] = "[" + H.toml_string(rules_dir) + "]"
    with H.Stack(binary, milter_values=values_a, reinject=True,
                 prefix="sealmilter-mhA-") as a, \
            H.Stack(binary, milter_values=values, reinject=True,
                    prefix="sealmilter-mhB-") as b:
        hosts = (("A", a), ("B", b))

        def delivered(st, msgid):
            found = H.wait_until(lambda: st.sink.find(msgid),
                                 H.DELIVERY_TIMEOUT,
                                 what=f"{msgid} at the sink")
            expect(len(found) == 1, f"{len(found)} copies of {msgid}")
            return found[0]

        def send_encrypted(name, st, rcpt, key, cert):
            body = f"Secret for {rcpt} via {name}.\r\n".encode()
            msgid, head = message(f"enc-{name}", ALICE, rcpt, "# secret",
                                  body)
            inner = b"Content-Type: text/plain; charset=us-ascii\r\n"
            r = st.postfix.send(head + inner + b"\r\n" + body, ALICE,
                                [rcpt])
            expect(r.code == 250, f"host {name} send: {r}")
            st.milter.wait_for_log(re.escape(r.queue_id) +
                                   r": encrypted: .* method=smime")
            m = delivered(st, msgid)
            ct = m.header("Content-Type") or ""
            expect("application/pkcs7-mime" in ct,
                   f"host {name}: Content-Type {ct}")
            expect(b"Secret for" not in m.data, f"host {name}: cleartext")
            path = os.path.join(work, f"enc-{name}.eml")
            with open(path, "wb") as f:
                f.write(m.data)
            rc, plain, err = run(["openssl", "cms", "-decrypt", "-in", path,
                                  "-inkey", key, "-recip", cert])
            expect(rc == 0, f"host {name}: decrypt failed: {err}")
            expect(plain == inner + b"\r\n" + body,
                   f"host {name}: decrypted {plain!r}")

        def test_shared_cert():
            for name, st in hosts:
                send_encrypted(name + "-carol", st, CAROL, carol_key,
                               carol_cert)

        def sealctl_b(*cmd):
            return run([sealctl, "quarantine", *cmd[:1], "-c",
                        b.milter.config_path, *cmd[1:]])

        def test_quarantine():
            before_a, before_b = a.sink.count(), b.sink.count()
            msgid, head = message("held", ALICE, EXTERNAL, "[hold] plan",
                                  b"")
            data = head + b"\r\nThe plan, for review.\r\n"
            r = a.postfix.send(data, ALICE, [EXTERNAL])
            expect(r.code == 250, f"send: {r}")
            a.milter.wait_for_log(re.escape(r.queue_id) + r": quarantined: ")
            rc, out, err = sealctl_b("list", "--json")
            expect(rc == 0, f"list from B: {rc} {err}")
            recs = [q for q in json.loads(out) if q["queue_id"] == r.queue_id]
            expect(len(recs) == 1, f"not listed from B: {out!r}")
            expect(recs[0]["recipients"] == [EXTERNAL], f"record {recs[0]}")
            time.sleep(2)
            # A's sink gets only the sender's "held for review" notice.
            def to_external(st, before):
                return [m for m in st.sink.messages()[before:]
                        if EXTERNAL in m.rcpts]
            expect(not to_external(a, before_a), "held message delivered")
            before_a = a.sink.count()
            rc, out, err = sealctl_b("release", recs[0]["id"])
            expect(rc == 0 and b"released" in out,
                   f"release from B: {rc} {out!r} {err}")
            m = delivered(b, msgid)
            expect(b"The plan, for review." in m.data, "released body")
            expect(b.sink.count() == before_b + 1, "B sink count")
            expect(not to_external(a, before_a), "delivered by A too")
            rc, out, err = sealctl_b("release", recs[0]["id"])
            expect(rc != 0, f"second release from B succeeded: {out!r}")

        def bob_listed():
            rc, out, err = run([sealctl, "certs", "list", "-c",
                                b.milter.config_path])
            text = out.decode("utf-8", "replace")
            expect(rc == 0, f"certs list from B: {rc} {err}")
            return any("harvested" in l and BOB in l
                       for l in text.splitlines()), text

        def test_harvest():
            expect(not bob_listed()[0], "bob's certificate there already")
            inbound = dict(values_a)
            inbound["gateway.internal_networks"] = "[]"
            a.milter.write_config(inbound)
            expect(a.milter.reload(), "A refused the inbound config")
            try:
                content = os.path.join(work, "content.txt")
                with open(content, "wb") as f:
                    f.write(b"Content-Type: text/plain; charset=us-ascii"
                            b"\r\n\r\nSigned hello from Bob.\r\n")
                signed = os.path.join(work, "signed.eml")
                rc, _, err = run(["openssl", "cms", "-sign", "-in", content,
                                  "-signer", bob_cert, "-inkey", bob_key,
                                  "-crlfeol", "-out", signed])
                expect(rc == 0, f"openssl cms -sign: {err}")
                with open(signed, "rb") as f:
                    entity = f.read().replace(b"\r\n", b"\n").replace(
                        b"\n", b"\r\n")
                msgid, head = message("signed", BOB, ALICE, "hello", b"")
                head = head.replace(b"MIME-Version: 1.0\r\n", b"")
                r = a.postfix.send(head + entity, BOB, [ALICE])
                expect(r.code == 250, f"send: {r}")
                a.milter.wait_for_log(re.escape(r.queue_id) +
                                      r": verified: .*smime=signed")
                delivered(a, msgid)
                listed, text = bob_listed()
                expect(listed, f"bob not harvested (list from B): {text}")
            finally:
                a.milter.write_config(values_a)
                expect(a.milter.reload(), "A refused its config back")
            send_encrypted("B-bob", b, BOB, bob_key, bob_cert)

        def test_pg_down():
            pg.stop()
            try:
                for name, st in hosts:
                    before = st.sink.count()
                    msgid, head = message(f"down-{name}", ALICE, CAROL,
                                          "# while down", b"")
                    r = st.postfix.send(head + b"\r\nDown.\r\n", ALICE,
                                        [CAROL])
                    H.log(f"  host {name}, PG down, # mail: {r}")
                    expect(r.code == 451,
                           f"host {name}: # mail with PG down: {r}")
                    pmsg, phead = message(f"plain-{name}", ALICE, EXTERNAL,
                                          "lunch", b"")
                    r = st.postfix.send(phead + b"\r\nNoon?\r\n", ALICE,
                                        [EXTERNAL])
                    expect(r.code == 250, f"host {name}: plain mail: {r}")
                    delivered(st, pmsg)
                    expect(not st.sink.find(msgid),
                           f"host {name}: # mail delivered with PG down")
                    expect(st.sink.count() == before + 1, "sink count")
            finally:
                pg.start()
            for name, st in hosts:
                send_encrypted(name + "-recovered", st, CAROL, carol_key,
                               carol_cert)

        def envelope_cmd(st, *cmd):
            return run([sealctl, "envelope", cmd[0], "-c",
                        st.milter.config_path, *cmd[1:]])

        def test_envelope():
            # harvest rewrote A's config from values_a, which lacks the
            # Stack's gateway.reinject: an envelope needs it.
            a.milter.write_config({
                **a.milter.values, "gateway.reinject":
                    H.toml_string(f"127.0.0.1:{a.reinject_port}")})
            expect(a.milter.reload(), "A refused its config")
            _, head = message("env-A", ALICE, EXTERNAL, "form",
                                  b"")
            data = head + b"\r\nMy SSN is 078-05-1120.\r\n"
            before = a.sink.count()
            r = a.postfix.send(data, ALICE, [EXTERNAL])
            expect(r.code == 250, f"host A send: {r}")
            found = a.milter.wait_for_log(
                re.escape(r.queue_id) +
                r": encrypted: .* method=envelope id=([0-9a-f]{32})")
            env_id = found.group(1)
            msgs = a.sink.wait_for(before + 2)[before:]
            [note] = [m for m in msgs if EXTERNAL in m.rcpts]
            path = os.path.join(work, "env-A.eml")
            with open(path, "wb") as f:
                f.write(note.data)
            rc, opened, err = run([sealctl, "envelope", "open", path,
                                   "--portal-key", portal_key])
            expect(rc == 0 and opened == data,
                   f"open --portal-key: rc {rc} {err} {opened[:200]!r}")

            rc, out, err = envelope_cmd(b, "show", "--json", env_id)
            expect(rc == 0, f"B's sealctl does not see {env_id}: {err}")
            rec = json.loads(out)
            expect(rec["sender"] == ALICE and rec["recipients"] == [EXTERNAL]
                   and rec["portal_key_id"] == "shared-1" and
                   rec["state"] == "active", f"record via B: {rec}")
            rc, _, err = envelope_cmd(b, "revoke", "--reason", "e2e", env_id)
            expect(rc == 0, f"B's sealctl revoke failed: {err}")
            rc, out, err = envelope_cmd(a, "show", "--json", env_id)
            expect(rc == 0, f"A's sealctl show failed: {err}")
            rec = json.loads(out)
            expect(rec["state"] == "revoked" and rec["revoked_at"] > 0 and
                   rec["revoke_reason"] == "e2e",
                   f"A does not see the revocation: {rec}")
            rc, out, err = envelope_cmd(a, "list", "--state", "revoked",
                                        "--json")
            expect(rc == 0 and env_id in [x["id"] for x in json.loads(out)],
                   f"A's revoked list: {err} {out[:300]!r}")

        failures = H.run_tests([
            ("shared-cert", test_shared_cert),
            ("quarantine", test_quarantine),
            ("harvest", test_harvest),
            ("envelope", test_envelope),
            ("pg-down", test_pg_down),
        ], per_test_timeout=150)
        for name, st in hosts:
            bad = st.milter.problems()
            if bad:
                failures += 1
                H.log(f"FAIL host {name} log problems: {bad[:5]}")
    H.log(f"{failures} failure(s) in {time.monotonic() - t0:.1f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
