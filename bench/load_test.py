#!/usr/bin/env python3
"""Load test through a real Postfix on loopback (issue 8).

Runs the same mail through two private Postfix + milter stacks, round
after round, alternating: A = bench/noop_milter (a libmilter filter that
reads everything and accepts it), B = sealmilter on its shipped rules with
a store holding one recipient certificate. Each round sends --messages
messages over --sessions concurrent SMTP sessions (one connection per
message): sizes mostly 10 KB, some 100 KB and 1 MB; 30% carry content the
rules encrypt (a '#' subject to the recipient with a certificate: S/MIME;
a US SSN to one without: secure envelope).

Measured per message: the time from DATA to the final 250 (the milter runs
inside it). Reported per side: msg/s, p50/p99 of that time for the 10 KB
messages and for all, and the ratio B/A of msg/s; sealmilter's peak RSS
while the sessions are open, divided by the sessions, and its RSS before
and after (bounded memory); and, unless --quick, GB/s for a 50 MB plain
and a 50 MB S/MIME message from the milter's log line: from eom= (the
milter's own work at end of message: classification, encryption, the new
body in the spool) and from time= (since MAIL FROM, so including the
transfer through Postfix).

--passphrase per-recipient runs sealmilter with envelope.passphrase =
"per-recipient" (a master key beside the store): each envelope recipient's
passphrase and its PBKDF2 result are stored with its first envelope and
reused, so later envelopes cost no PBKDF2. The default is per-message, as
shipped.

Checks, and exits 1 on failure, only what must hold whatever the machine's
speed: every message accepted by Postfix reached the sink exactly once,
the S/MIME ones as application/pkcs7-mime, the envelope ones without the
SSN in clear. Timing never fails the run.

usage: load_test.py [--quick] [--sessions N] [--messages M] [--rounds R]
                    [--passphrase per-message|per-recipient]
                    [--sealmilter PATH] [--noop PATH] [--sealctl PATH]
       (or SEALMILTER, NOOP_MILTER, SEALCTL in the environment)
Exit 0 passed, 1 mail lost or sent in clear, 77 skipped (not root).
"""

import argparse
import concurrent.futures
import os
import random
import re
import smtplib
import statistics
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
import harness as H  # noqa: E402

SENDER = "alice@example.org"
EXTERNAL = "bob@example.net"
CERT_RCPT = "carol@partner.test"
SSN = "078-05-1120"
TIME_CAP = 600  # seconds for the whole run, whatever the options
QUICK_CAP = 85  # seconds for --quick
BIG_MB = 50  # the large-message throughput figure


def make_messages(count, seed, tag, quick):
    """[(msgid, rcpt, data, kind, size_class)]: deterministic per seed."""
    rnd = random.Random(seed)
    out = []
    for i in range(count):
        r = rnd.random()
        size = 10 * 1024
        if not quick and r < 0.03:
            size = 1024 * 1024
        elif r < 0.15:
            size = 100 * 1024
        e = rnd.random()
        kind = "plain"
        if e < 0.15:
            kind = "smime"
        elif e < 0.30:
            kind = "envelope"
        rcpt = CERT_RCPT if kind == "smime" else EXTERNAL
        subject = "# quarterly" if kind == "smime" else "report"
        msgid = f"<load.{tag}.{i}@bench.test>"
        head = (f"From: Alice <{SENDER}>\r\nTo: <{rcpt}>\r\n"
                f"Subject: {subject}\r\nMessage-ID: {msgid}\r\n"
                "Date: Wed, 02 Dec 2026 10:00:00 +0000\r\n"
                "MIME-Version: 1.0\r\n"
                "Content-Type: text/plain; charset=us-ascii\r\n\r\n")
        first = f"SSN {SSN}\r\n" if kind == "envelope" else "Numbers.\r\n"
        line = "The quick brown fox jumps over the lazy dog 0123456789.\r\n"
        body = first + line * max(1, (size - len(head) - len(first)) //
                                  len(line))
        out.append((msgid, rcpt, (head + body).encode(), kind, size))
    return out


def send_one(port, data, rcpt):
    """Returns (code, seconds from DATA to the final reply)."""
    client = smtplib.SMTP("127.0.0.1", port, local_hostname="load.test",
                          timeout=120)
    try:
        client.ehlo()
        client.mail(SENDER)
        client.rcpt(rcpt)
        t0 = time.monotonic()
        code, _ = client.data(data)
        return code, time.monotonic() - t0
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            pass


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_round(st, messages, sessions, deadline):
    """Sends, waits for delivery; returns a dict of figures and problems."""
    pid = st.milter.proc.pid
    before_count = st.sink.count()
    rss_before = rss_kib(pid)
    peak = [rss_before]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_kib(pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.monotonic()
    results = []
    with concurrent.futures.ThreadPoolExecutor(sessions) as pool:
        futs = [pool.submit(send_one, st.postfix.smtpd_port, m[2], m[1])
                for m in messages]
        for m, f in zip(messages, futs):
            code, secs = f.result()
            results.append((m, code, secs))
    elapsed = time.monotonic() - t0
    stop.set()
    sampler.join()
    problems = []
    accepted = [m for m, code, _ in results if code == 250]
    if len(accepted) != len(messages):
        problems.append(f"{len(messages) - len(accepted)} message(s) not "
                        f"accepted: codes {sorted({c for _, c, _ in results})}")
    # The passphrase notices to the sender: one per envelope; or with
    # per-recipient passphrases (all envelopes go to EXTERNAL) one with the
    # recipient's first envelope of the run, or a few when several first
    # envelopes are in flight at once (each tells the same passphrase: it
    # is marked as told only once a notice went out), none after.
    envelopes = sum(1 for m in accepted if m[3] == "envelope") \
        if st.is_sealmilter else 0
    per_recipient = getattr(st, "per_recipient", False)
    if per_recipient:
        first = envelopes > 0 and not st.announced
        extra, most = (1, min(envelopes, sessions)) if first else (0, 0)
        st.announced = st.announced or envelopes > 0
    else:
        extra = most = envelopes
    want = before_count + len(accepted) + extra
    try:
        H.wait_until(lambda: st.sink.count() >= want,
                     max(10, deadline - time.monotonic()),
                     what=f"{want - before_count} deliveries")
    except TimeoutError as e:
        problems.append(str(e))
    if per_recipient:
        time.sleep(2)  # notices beyond the first one may still be on the way
    got = {}
    for sm in st.sink.messages()[before_count:]:
        got.setdefault(sm.header("Message-ID"), []).append(sm)
    ours = {m[0] for m in accepted}
    notices = sum(len(v) for k, v in got.items() if k not in ours)
    if not extra <= notices <= most:
        problems.append(f"{notices} passphrase notices, expected "
                        f"{extra}..{most}")
    for m in accepted:
        copies = got.get(m[0], [])
        if len(copies) != 1:
            problems.append(f"{m[0]}: {len(copies)} copies at the sink")
            continue
        data = copies[0].data
        if st.is_sealmilter and m[3] == "smime" and \
                b"pkcs7-mime" not in data:
            problems.append(f"{m[0]}: not S/MIME")
        if st.is_sealmilter and m[3] == "envelope" and SSN.encode() in data:
            problems.append(f"{m[0]}: the SSN left in clear")
    lat_all = sorted(s for _, c, s in results if c == 250)
    lat_10k = sorted(s for m, c, s in results
                     if c == 250 and m[4] == 10 * 1024)
    return {
        "msgs_per_s": len(accepted) / elapsed if elapsed > 0 else 0,
        "p50_10k": pct(lat_10k, 50), "p99_10k": pct(lat_10k, 99),
        "p50": pct(lat_all, 50), "p99": pct(lat_all, 99),
        "rss_before": rss_before, "rss_peak": peak[0],
        "rss_after": rss_kib(pid), "problems": problems,
    }


def pct(values, p):
    if not values:
        return 0.0
    k = min(len(values) - 1, max(0, int(round(p / 100 * len(values))) - 1))
    return values[k]


def large_throughput(st, work):
    """GB/s from the log line's eom= and time= (since MAIL FROM)."""
    out = {}
    for kind in ("plain", "smime"):
        rcpt = CERT_RCPT if kind == "smime" else EXTERNAL
        subject = "# big" if kind == "smime" else "big"
        msgid = f"<big.{kind}.{os.getpid()}@bench.test>"
        line = b"The quick brown fox jumps over the lazy dog 0123456789.\r\n"
        body = line * (BIG_MB * 1024 * 1024 // len(line))
        data = (f"From: <{SENDER}>\r\nTo: <{rcpt}>\r\nSubject: {subject}\r\n"
                f"Message-ID: {msgid}\r\nMIME-Version: 1.0\r\n"
                "Content-Type: text/plain\r\n\r\n").encode() + body
        r = st.postfix.send(data, SENDER, [rcpt], timeout=300)
        if r.code != 250:
            out[kind] = f"not accepted: {r}"
            continue
        m = st.milter.wait_for_log(re.escape(r.queue_id) +
                                   r": \S.*size=(\d+) .*eom=([0-9.]+)ms "
                                   r"time=([0-9.]+)ms",
                                   timeout=120)
        if m:
            # GB/s of the message as sent; the log's size= is what left
            # the milter (larger for S/MIME: base64 of the ciphertext).
            size, eom, ms = (int(m.group(1)), float(m.group(2)),
                             float(m.group(3)))
            out[kind] = f"{len(data) / (eom / 1000) / 1e9:.3f} GB/s eom= " \
                        f"({eom:.0f} ms), {len(data) / (ms / 1000) / 1e9:.3f} " \
                        f"GB/s time= ({ms:.0f} ms); {len(data) / 1e6:.0f} MB " \
                        f"in, {size / 1e6:.0f} MB out"
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sessions", type=int)
    ap.add_argument("--messages", type=int)
    ap.add_argument("--rounds", type=int)
    ap.add_argument("--sealmilter", default=os.environ.get("SEALMILTER"))
    ap.add_argument("--noop", default=os.environ.get("NOOP_MILTER"))
    ap.add_argument("--sealctl", default=os.environ.get("SEALCTL"))
    ap.add_argument("--passphrase", default="per-message",
                    choices=("per-message", "per-recipient"))
    a = ap.parse_args()
    sessions = a.sessions or (4 if a.quick else 8)
    count = a.messages or (40 if a.quick else 400)
    rounds = a.rounds or (1 if a.quick else 3)
    if os.geteuid() != 0:
        print("load_test: needs root (private Postfix); skipped")
        return 77
    if not (a.sealmilter and a.noop and a.sealctl):
        print("load_test: give --sealmilter, --noop and --sealctl")
        return 2
    deadline = time.monotonic() + (QUICK_CAP if a.quick else TIME_CAP)
    work = tempfile.mkdtemp(prefix="sealmilter-load-")
    os.chmod(work, 0o755)
    _, cert = H.make_smime_cert(work, CERT_RCPT, "carol")
    store = H.make_store(a.sealctl, work, [cert])
    values = {
        "store.path": H.toml_string(store),
        "gateway.internal_domains": '["example.org"]',
        "log.level": '"info"',
        # Room for the BIG_MB messages; everything else stays as shipped
        # (rules.max_scan_bytes 32M: the scan stops there).
        "spool.max_size": '"128M"',
        "gateway.max_encrypt_size": '"64M"',
        "envelope.passphrase": H.toml_string(a.passphrase),
    }
    if a.passphrase == "per-recipient":
        # The master key sealing the stored passphrases (root's, 0600; the
        # milter reads it before it drops privileges).
        key_file = os.path.join(work, "master.key")
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(os.urandom(32).hex() + "\n")
        values["store.key_file"] = H.toml_string(key_file)
    postfix_main = {"message_size_limit": str(128 * 1024 * 1024)}
    figures = {"noop": [], "sealmilter": []}
    problems = []
    large = {}
    stacks = {}
    try:
        stacks["noop"] = H.Stack(os.path.abspath(a.noop),
                                 milter_values=values, reinject=True,
                                 postfix_main=postfix_main,
                                 prefix="sealmilter-load-a-").start()
        stacks["sealmilter"] = H.Stack(os.path.abspath(a.sealmilter),
                                       milter_values=values, reinject=True,
                                       postfix_main=postfix_main,
                                       prefix="sealmilter-load-b-").start()
        stacks["noop"].is_sealmilter = False
        stacks["sealmilter"].is_sealmilter = True
        stacks["sealmilter"].per_recipient = a.passphrase == "per-recipient"
        stacks["sealmilter"].announced = False
        for rnd in range(rounds):
            msgs = make_messages(count, 1000 + rnd, f"r{rnd}", a.quick)
            order = ("noop", "sealmilter") if rnd % 2 == 0 else \
                ("sealmilter", "noop")
            for side in order:
                if time.monotonic() > deadline:
                    problems.append("time cap reached")
                    break
                tagged = [(m[0].replace("@", f".{side}@"),) + m[1:]
                          for m in msgs]
                tagged = [(t[0], t[1], t[2].replace(
                    m[0].encode(), t[0].encode()), t[3], t[4])
                    for t, m in zip(tagged, msgs)]
                f = run_round(stacks[side], tagged, sessions, deadline)
                figures[side].append(f)
                problems += [f"{side} round {rnd}: {p}"
                             for p in f["problems"]]
                H.log(f"round {rnd} {side}: {f['msgs_per_s']:.1f} msg/s, "
                      f"p50 {f['p50'] * 1000:.0f} ms, "
                      f"p99 {f['p99'] * 1000:.0f} ms")
        if not a.quick and time.monotonic() < deadline:
            large = large_throughput(stacks["sealmilter"], work)
    finally:
        for st in stacks.values():
            st.close()

    def med(side, key):
        vals = [f[key] for f in figures[side]]
        return statistics.median(vals) if vals else 0.0

    def spread(side, key, scale=1.0):
        vals = [f[key] * scale for f in figures[side]]
        if not vals:
            return "-"
        return f"{statistics.median(vals):.1f} ({min(vals):.1f}..{max(vals):.1f})"

    ratios = [b["msgs_per_s"] / a_["msgs_per_s"]
              for a_, b in zip(figures["noop"], figures["sealmilter"])
              if a_["msgs_per_s"] > 0]
    print()
    print(f"load test: {rounds} round(s) x {count} messages, {sessions} "
          f"sessions, 30% to be encrypted, passphrases {a.passphrase}")
    for side in ("noop", "sealmilter"):
        print(f"  {side:10s} msg/s {spread(side, 'msgs_per_s')}  "
              f"10 KB p50 {spread(side, 'p50_10k', 1000)} ms "
              f"p99 {spread(side, 'p99_10k', 1000)} ms  "
              f"all p50 {spread(side, 'p50', 1000)} ms "
              f"p99 {spread(side, 'p99', 1000)} ms")
    if ratios:
        print(f"  ratio sealmilter/noop msg/s: median "
              f"{statistics.median(ratios):.2f} "
              f"({min(ratios):.2f}..{max(ratios):.2f})")
    if figures["sealmilter"]:
        f = figures["sealmilter"]
        print(f"  sealmilter RSS: before {f[0]['rss_before']} KiB, peak "
              f"{max(x['rss_peak'] for x in f)} KiB "
              f"({max(x['rss_peak'] for x in f) // sessions} KiB per "
              f"session), after {f[-1]['rss_after']} KiB")
    for kind, text in large.items():
        print(f"  {BIG_MB} MB {kind}: {text}")
    if problems:
        print("PROBLEMS:")
        for p in problems[:30]:
            print(f"  {p}")
        return 1
    print("nothing lost, nothing sent in clear")
    return 0


if __name__ == "__main__":
    sys.exit(main())
