#!/usr/bin/env python3
"""The running part of scripts/demo (which installs and builds first).

Starts an SMTP sink, sealmilter and a private Postfix on 127.0.0.1 with
tests/e2e/harness.py (Postfix has a second, milter-free listener for
sealmilter's notices), and sends three sample messages from
alice@example.org:

  1. a plain note to bob@example.net          -> passed unchanged
  2. a US SSN in the body to bob@example.net  -> secure HTML envelope for
     Bob (no certificate known); the passphrase goes to Alice separately
  3. a '#' subject to carol@partner.example   -> S/MIME, Carol's
     certificate is in the store

For each it prints the SMTP reply, sealmilter's log line and the delivered
files, and for 2 and 3 opens the result again (sealctl envelope open with
the passphrase from Alice's notice; openssl cms -decrypt with Carol's key).

usage: demo_run.py --daemon PATH --sealctl PATH [--out DIR]
Output in DIR (default demo-out/, replaced on every run):
  delivered/NNNN.eml   each delivered message as the sink received it
  delivered/NNNN.json  its envelope (sender, recipients, MAIL parameters)
  keys/                Carol's demo key and certificate, the store
  opened/              the envelope and S/MIME message decrypted again
  sealmilter.log       the milter's log      maillog  Postfix's log
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import harness as H  # noqa: E402

SENDER = "alice@example.org"
BOB = "bob@example.net"
CAROL = "carol@partner.example"

SAMPLES = [
    ("a plain note", BOB, "Lunch on Friday?",
     "Hi Bob,\r\n\r\nshall we have lunch on Friday at noon?\r\n\r\nAlice\r\n"),
    ("a US social security number in the body", BOB, "Payroll update",
     "Hi Bob,\r\n\r\nplease update the payroll record of J. Doe,\r\n"
     "SSN 078-05-1120, from 1 December.\r\n\r\nAlice\r\n"),
    ("a subject starting with '#'", CAROL, "#Quarterly figures",
     "Hi Carol,\r\n\r\nthe quarterly figures: revenue up 4%.\r\n\r\n"
     "Alice\r\n"),
]
PASSPHRASE_RE = re.compile(r"\b([2-9a-z]{4}(?:-[2-9a-z]{4}){5})\b")


def build(n, to, subject, body):
    msgid = f"<demo-{n}.{os.getpid()}@example.org>"
    return msgid, (f"From: Alice <{SENDER}>\r\n"
                   f"To: <{to}>\r\n"
                   f"Subject: {subject}\r\n"
                   f"Date: Wed, 02 Dec 2026 09:00:0{n} +0000\r\n"
                   f"Message-ID: {msgid}\r\n"
                   f"MIME-Version: 1.0\r\n"
                   f"Content-Type: text/plain; charset=us-ascii\r\n"
                   f"\r\n{body}").encode()


def rel(path):
    return os.path.relpath(path, os.getcwd())


def milter_line(st, qid):
    """sealmilter's per-message line for queue id `qid`."""
    r = re.compile(r"^sealmilter\[\d+\]: info: (s\d+/" + re.escape(qid) +
                   r": .*)$", re.M)
    m = H.wait_until(lambda: r.search(st.milter.log()), 30,
                     what=f"sealmilter line for {qid}")
    return m.group(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--daemon", required=True)
    ap.add_argument("--sealctl", required=True)
    ap.add_argument("--out", default="demo-out")
    args = ap.parse_args()
    H.require_root()
    binary = os.path.abspath(args.daemon)
    sealctl = os.path.abspath(args.sealctl)
    out = os.path.abspath(args.out)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    os.chmod(out, 0o755)
    delivered_dir = os.path.join(out, "delivered")
    keys = os.path.join(out, "keys")
    opened = os.path.join(out, "opened")
    os.makedirs(keys)
    os.makedirs(opened)
    os.chmod(keys, 0o755)

    carol_key, carol_cert = H.make_smime_cert(keys, CAROL, "carol")
    store = H.make_store(sealctl, keys, [carol_cert])
    values = {"store.path": H.toml_string(store),
              "gateway.internal_domains": '["example.org"]'}

    ok = True
    stack = H.Stack(binary, milter_values=values, sink_dir=delivered_dir,
                    prefix="sealmilter-demo-", reinject=True)
    with stack as st:
        print(f"== demo: private Postfix on 127.0.0.1:{st.postfix.smtpd_port} "
              f"-> sealmilter -> SMTP sink on 127.0.0.1:{st.sink.port}")
        print(f"   (notices re-enter Postfix on 127.0.0.1:"
              f"{st.reinject_port}, which skips the milter)")
        print("   sealmilter configuration (every other setting, the rules "
              "included, is the embedded default):")
        for k, v in st.milter.values.items():
            print(f"     {k} = {v}")
        print(f"   the store holds one certificate: {CAROL} "
              f"({rel(carol_cert)})")
        print()

        for n, (what, to, subject, body) in enumerate(SAMPLES, 1):
            msgid, data = build(n, to, subject, body)
            before = st.sink.count()
            print(f"{n}. {what}: To: {to}, Subject: {subject}")
            r = st.postfix.send(data, SENDER, [to])
            print(f"   Postfix replied:  {r.code} {r.text}")
            if not r.accepted:
                ok = False
                continue
            try:
                print(f"   sealmilter said:  {milter_line(st, r.queue_id)}")
                want = 2 if n == 2 else 1
                msgs = st.sink.wait_for(before + want)[before:]
            except (TimeoutError, AssertionError) as e:
                print(f"   PROBLEM: {e}")
                ok = False
                continue
            copy = [m for m in msgs if m.header("Message-ID") == msgid]
            if len(copy) != 1:
                print(f"   PROBLEM: {len(copy)} delivered copies")
                ok = False
                continue
            m = copy[0]
            print(f"   delivered to {to}: {rel(m.path)}")
            print(f"                     Content-Type: "
                  f"{m.header('Content-Type')}")
            if n == 1:
                same = m.data.endswith(data)
                print("                     " +
                      ("the sent bytes, behind Postfix's Received: header"
                       if same else "DIFFERS from what was sent"))
                ok = ok and same
            elif n == 2:
                notices = [x for x in msgs if SENDER in x.rcpts]
                found = notices and PASSPHRASE_RE.search(
                    notices[0].data.decode("utf-8", "replace"))
                if not found:
                    print("   PROBLEM: no passphrase notice for the sender")
                    ok = False
                    continue
                print(f"   passphrase notice to {SENDER}: "
                      f"{rel(notices[0].path)}")
                leaked = b"078-05-1120" in m.data
                print("   the SSN in the delivered copy: " +
                      ("FOUND IN CLEAR" if leaked else "not in clear"))
                dest = os.path.join(opened, "2-envelope.eml")
                p = subprocess.run([sealctl, "envelope", "open", m.path,
                                    "--passphrase", found.group(1),
                                    "--out", dest], capture_output=True)
                back = p.returncode == 0 and open(dest, "rb").read() == data
                print(f"   sealctl envelope open with passphrase "
                      f"{found.group(1)}:")
                print(f"                     {rel(dest)}: " +
                      ("the original message" if back else "FAILED " +
                       p.stderr.decode("utf-8", "replace").strip()))
                print("   (or open secure-message.html from the delivered "
                      "copy in a browser)")
                ok = ok and back and not leaked
            else:
                dest = os.path.join(opened, "3-smime.eml")
                p = subprocess.run(["openssl", "cms", "-decrypt", "-in",
                                    m.path, "-inkey", carol_key, "-recip",
                                    carol_cert, "-out", dest],
                                   capture_output=True)
                good = p.returncode == 0 and b"revenue up 4%" in open(
                    dest, "rb").read()
                print(f"   openssl cms -decrypt with Carol's key: "
                      f"{rel(dest)}: " +
                      ("the original text" if good else "FAILED " +
                       p.stderr.decode("utf-8", "replace").strip()))
                ok = ok and good
            print()

        print("== demo: stopping Postfix and sealmilter (about 5 s)")
        st.postfix.stop()
        rc = st.milter.stop()
        if rc != 0:
            print(f"   sealmilter exited with status {rc}")
            ok = False
        shutil.copy(st.milter.log_path, os.path.join(out, "sealmilter.log"))
        shutil.copy(st.postfix.maillog_path, os.path.join(out, "maillog"))
        print(f"== demo: files in {rel(out)}/")
        print(f"   {rel(delivered_dir)}/NNNN.eml  the delivered messages "
              f"(NNNN.json: their envelopes)")
        print(f"   {rel(opened)}/           what was decrypted again")
        print(f"   {rel(keys)}/             Carol's demo key, certificate "
              f"and the store")
        print(f"   {rel(out)}/sealmilter.log  the milter's log")
        print(f"   {rel(out)}/maillog         Postfix's log")
    print("== demo: done" if ok else "== demo: FAILED (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
