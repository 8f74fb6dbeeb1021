#!/usr/bin/env python3
"""Runs miltertest Lua scripts against a real sealmilter daemon.

usage: run_miltertest.py --daemon PATH [--miltertest PATH] SCRIPT.lua...

Per script: a private directory, a config written from the base values
(mtharness.TestEnv) plus the script's "@config" lines, the daemon started
with -f -e -c, miltertest run with the socket and the daemon's details as -D
variables, the daemon stopped with SIGTERM. The script passes when
  * miltertest exits 0 (a Lua error exits 1 with little output: the
    transcript is printed),
  * the daemon exits 0 and stops in time,
  * the daemon's log has no "error:" line (exactly N with "@expect-errors:
    N"), no
    sanitizer report, every "@expect-log" pattern and no "@forbid-log"
    pattern,
  * the daemon never sent a reply other than negotiation, continue and
    accept, plus what "@allow-replies" lists (the transcript comes from
    miltertest -vv): a modification request or reply code it did not expect
    fails the test even where mt.eom_check cannot see it.

Script header lines (Lua comments at the top of the script):
  -- @config: section.key = TOML-value     (repeatable)
  -- @expect-log: REGEX                    (repeatable, must match)
  -- @expect-log-count: N REGEX            (must match exactly N times)
  -- @forbid-log: REGEX                    (repeatable, must not match)
  -- @allow-replies: LETTERS               (e.g. "y" for SMFIR_REPLYCODE)
  -- @expect-errors: N                     (exactly N "error:" lines)
On failure the transcript and the daemon log are printed.
"""

import argparse
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtharness as H  # noqa: E402

# Replies the daemon may send unless a script allows more: option
# negotiation, continue, accept.
DEFAULT_REPLIES = set("Oca")
REPLY_NAMES = {
    "+": "SMFIR_ADDRCPT", "-": "SMFIR_DELRCPT", "2": "SMFIR_ADDRCPT_PAR",
    "4": "SMFIR_SHUTDOWN", "a": "SMFIR_ACCEPT", "b": "SMFIR_REPLBODY",
    "c": "SMFIR_CONTINUE", "d": "SMFIR_DISCARD", "e": "SMFIR_CHGFROM",
    "f": "SMFIR_CONN_FAIL", "h": "SMFIR_ADDHEADER", "i": "SMFIR_INSHEADER",
    "l": "SMFIR_SETSYMLIST", "m": "SMFIR_CHGHEADER", "p": "SMFIR_PROGRESS",
    "q": "SMFIR_QUARANTINE", "r": "SMFIR_REJECT", "s": "SMFIR_SKIP",
    "t": "SMFIR_TEMPFAIL", "y": "SMFIR_REPLYCODE", "O": "SMFIC_OPTNEG",
}
READ_LINE = re.compile(r"^miltertest: mt_milter_read\(\d+\): cmd (.), len \d+",
                       re.M)


class Meta:
    def __init__(self):
        self.config = {}
        self.expect_log = []
        self.expect_count = []
        self.forbid_log = []
        self.allow_replies = set()
        self.expect_errors = 0


def parse_meta(path):
    meta = Meta()
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^--\s*@([a-z-]+)(?::\s*(.*?))?\s*$", line)
            if not m:
                continue
            key, value = m.group(1), m.group(2) or ""
            if key == "config":
                k, _, v = value.partition("=")
                meta.config[k.strip()] = v.strip()
            elif key == "expect-log":
                meta.expect_log.append(value)
            elif key == "expect-log-count":
                n, _, rx = value.partition(" ")
                meta.expect_count.append((int(n), rx))
            elif key == "forbid-log":
                meta.forbid_log.append(value)
            elif key == "allow-replies":
                meta.allow_replies |= set(value)
            elif key == "expect-errors":
                meta.expect_errors = int(value)
            else:
                raise SystemExit(f"{path}: unknown header @{key}")
    return meta


def check_log(log, meta):
    problems = []
    for line in H.sanitizer_reports(log):
        problems.append("sanitizer report: " + line)
    errors = H.error_lines(log)
    if len(errors) != meta.expect_errors:
        problems.append(f"{len(errors)} error line(s) in the log, expected "
                        f"{meta.expect_errors}")
        problems += ["  " + line for line in errors]
    for rx in meta.expect_log:
        if not re.search(rx, log, re.M):
            problems.append(f"log does not match {rx!r}")
    for n, rx in meta.expect_count:
        got = len(re.findall(rx, log, re.M))
        if got != n:
            problems.append(f"log matches {rx!r} {got} times, expected {n}")
    for rx in meta.forbid_log:
        if re.search(rx, log, re.M):
            problems.append(f"log matches forbidden {rx!r}")
    return problems


def check_transcript(transcript, meta):
    allowed = DEFAULT_REPLIES | meta.allow_replies
    seen = {}
    for m in READ_LINE.finditer(transcript):
        seen[m.group(1)] = seen.get(m.group(1), 0) + 1
    problems = []
    if not seen:
        problems.append("no milter replies in the transcript (was -vv "
                        "honoured?)")
    for cmd, n in sorted(seen.items()):
        if cmd not in allowed:
            problems.append(f"daemon sent {REPLY_NAMES.get(cmd, cmd)} "
                            f"('{cmd}') {n} time(s), not allowed here")
    return problems, seen


def run_script(args, script):
    name = os.path.basename(script)
    meta = parse_meta(script)
    env = H.TestEnv(prefix="mt-" + os.path.splitext(name)[0] + "-")
    env.write_config(meta.config)
    daemon = H.Daemon(args.daemon, env)
    problems = []
    transcript = ""
    started = time.monotonic()
    try:
        daemon.start()
        defines = {
            "common": H.common_lua(),
            "daemon_pid": str(daemon.pid),
            "daemon_log": env.log_path,
            "spool_dir": env.spool,
            "config_path": env.config_path,
            "work_dir": env.dir,
        }
        try:
            r = H.run_miltertest(args.miltertest, script, env.socket_spec,
                                 defines, timeout=args.timeout)
            transcript = r.stdout
            if r.returncode != 0:
                problems.append(f"miltertest exited with {r.returncode}")
        except H.subprocess.TimeoutExpired as e:
            transcript = (e.stdout or b"").decode("utf-8", "replace") \
                if isinstance(e.stdout, bytes) else (e.stdout or "")
            problems.append(f"miltertest did not finish in {args.timeout} s")
        mt_seconds = time.monotonic() - started
        if daemon.proc.poll() is not None:
            problems.append(f"daemon died during the test (exit "
                            f"{daemon.proc.returncode})")
        rc = daemon.stop()
        if rc != 0:
            problems.append(f"daemon exited with {rc} after SIGTERM")
        if "notice: shutdown: sealmilter stopped" not in daemon.log():
            problems.append("no clean-shutdown log line")
        problems += check_log(daemon.log(), meta)
        tp, seen = check_transcript(transcript, meta)
        problems += tp
    except AssertionError as e:
        problems.append(str(e))
        mt_seconds = time.monotonic() - started
    finally:
        daemon.kill()
    log = daemon.log()
    total = time.monotonic() - started
    if problems:
        print(f"FAIL {name} ({total:.1f} s)")
        for p in problems:
            print("  - " + p)
        print(f"---- miltertest transcript ({name}) ----")
        print(transcript[-args.transcript_bytes:]
              if len(transcript) > args.transcript_bytes else transcript)
        print(f"---- daemon log ({env.log_path}) ----")
        print(log[-args.transcript_bytes:]
              if len(log) > args.transcript_bytes else log)
        if not args.keep:
            env.cleanup()
        return False
    replies = " ".join(f"{k}={v}" for k, v in sorted(seen.items()))
    print(f"PASS {name} (script {mt_seconds:.1f} s, total {total:.1f} s; "
          f"replies {replies})")
    for line in transcript.splitlines():
        if line.startswith("INFO "):
            print("  " + line[5:])
    if args.verbose:
        print(transcript)
        print(log)
    if not args.keep:
        env.cleanup()
    return True


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--daemon", required=True, help="sealmilter binary")
    p.add_argument("--miltertest", default=H.shutil.which("miltertest"))
    p.add_argument("--timeout", type=float, default=240)
    p.add_argument("--keep", action="store_true",
                   help="keep the test directories")
    p.add_argument("--verbose", action="store_true",
                   help="print transcript and log of passing scripts too")
    p.add_argument("--transcript-bytes", type=int, default=20000)
    p.add_argument("scripts", nargs="+")
    args = p.parse_args()
    if not args.miltertest:
        print("miltertest not found")
        return 77  # meson: skipped
    ok = True
    for script in args.scripts:
        ok = run_script(args, os.path.abspath(script)) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
