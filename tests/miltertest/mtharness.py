"""Shared helpers for the sealmilter black-box tests (Python 3 std lib only).

One TestEnv is one private directory holding a config file, a spool
directory and the milter socket. Daemon starts sealmilter on it, waits for
its socket, stops it with SIGTERM and hands back its log (standard error,
-e). Every daemon started here is remembered and killed at exit, so a failed
test leaves nothing running.

When the tests run as root, the daemon drops to user "nobody": the directory
is made traversable and the spool directory is owned by nobody. Otherwise
milter.user is "" (the daemon must not try to change user).

Sanitizer builds: the daemon gets ASAN_OPTIONS/UBSAN_OPTIONS that abort on
the first report and detect leaks at exit, and every log is scanned for
sanitizer reports (sanitizer_reports()). The same settings are harmless for
an ordinary build.
"""

import atexit
import os
import pwd
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

IS_ROOT = os.geteuid() == 0
DAEMON_USER = "nobody" if IS_ROOT else ""

# Exit codes of sealmilter (milter/daemon.h).
EXIT_OK = 0
EXIT_USAGE = 64
EXIT_OS_ERROR = 71
EXIT_CONFIG = 78

# ASan: abort on the first error, leaks checked at exit (LeakSanitizer was
# checked to work after the daemon's privilege drop on Debian 12; see
# README). UBSan: every "runtime error:" is fatal.
SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=1:halt_on_error=1:"
                    "detect_stack_use_after_return=1:strict_string_checks=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
    "LSAN_OPTIONS": "",
}

_SANITIZER_PATTERNS = [
    re.compile(r"ERROR: AddressSanitizer"),
    re.compile(r"ERROR: LeakSanitizer"),
    re.compile(r"runtime error:"),
    re.compile(r"SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer"),
    re.compile(r"LeakSanitizer has encountered a fatal error"),
    re.compile(r"AddressSanitizer:DEADLYSIGNAL"),
]

_ERROR_LINE = re.compile(r"^sealmilter\[\d+\]: error: ", re.M)

# Generous: an ASan build on a loaded machine starts slowly, and libmilter
# takes up to about 5 s to notice SIGTERM.
START_TIMEOUT = 60.0
STOP_TIMEOUT = 60.0

_started_pids = set()


def _kill_leftovers():
    for pid in list(_started_pids):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        except PermissionError:
            pass
    _started_pids.clear()


atexit.register(_kill_leftovers)


def remember_pid(pid):
    _started_pids.add(pid)


def forget_pid(pid):
    _started_pids.discard(pid)


def pid_alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    # The state follows the command name in parentheses.
    state = stat[stat.rfind(b")") + 2:stat.rfind(b")") + 3]
    return state not in (b"Z", b"X")


def wait_pid_gone(pid, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return True
        time.sleep(0.05)
    return False


def sanitizer_reports(text):
    """The lines of `text` that belong to a sanitizer report."""
    return [line for line in text.splitlines()
            if any(p.search(line) for p in _SANITIZER_PATTERNS)]


def error_lines(text):
    return [m.group(0) + text[m.end():].split("\n", 1)[0]
            for m in _ERROR_LINE.finditer(text)]


def daemon_env():
    """The environment for sealmilter: ours, then whatever the caller set
    (sanitizer options given later win, so a run can override them)."""
    env = dict(os.environ)
    for key, value in SANITIZER_ENV.items():
        user = os.environ.get(key)
        env[key] = value + (":" + user if user else "")
    return env


def toml_string(value):
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_config(values):
    """values: {"section.key": "TOML literal"} -> TOML text, sections grouped
    in first-seen order."""
    sections = {}
    for dotted, literal in values.items():
        section, key = dotted.split(".", 1)
        sections.setdefault(section, []).append(f"{key} = {literal}")
    out = []
    for section, lines in sections.items():
        out.append(f"[{section}]")
        out.extend(lines)
        out.append("")
    return "\n".join(out)


def socket_connectable(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(2)
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


class TestEnv:
    """A private directory with config, spool directory and socket path."""

    def __init__(self, prefix="sealmilter-mt-"):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        # The daemon (nobody, when we are root) must reach its spool
        # directory and the config file for SIGUSR1 reloads.
        os.chmod(self.dir, 0o755)
        self.spool = os.path.join(self.dir, "spool")
        os.mkdir(self.spool, 0o700)
        if IS_ROOT:
            pw = pwd.getpwnam(DAEMON_USER)
            os.chown(self.spool, pw.pw_uid, pw.pw_gid)
        self.socket_path = os.path.join(self.dir, "milter.sock")
        self.socket_spec = "unix:" + self.socket_path
        self.config_path = os.path.join(self.dir, "sealmilter.conf")
        self.log_path = os.path.join(self.dir, "daemon.log")

    def base_values(self):
        return {
            "milter.socket": toml_string(self.socket_spec),
            "milter.user": toml_string(DAEMON_USER),
            "spool.directory": toml_string(self.spool),
            "spool.memory_limit": '"1K"',
            "log.level": '"debug"',
        }

    def write_config(self, overrides=None, text=None):
        """Writes the config file: the base values plus overrides
        ({"section.key": "TOML literal"}; a value of None removes the key),
        or exactly `text` when given. Returns the path."""
        if text is None:
            values = self.base_values()
            for k, v in (overrides or {}).items():
                if v is None:
                    values.pop(k, None)
                else:
                    values[k] = v
            text = render_config(values)
        # Atomically (rename), as an operator should: a SIGUSR1 arriving
        # mid-write must never see half a file.
        tmp = self.config_path + ".tmp"
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.config_path)
        return self.config_path

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class Daemon:
    """One sealmilter process in the foreground (-f -e), stderr to a file."""

    def __init__(self, exe, env, config_path=None, extra_args=()):
        self.exe = exe
        self.env = env
        self.config_path = config_path or env.config_path
        self.extra_args = list(extra_args)
        self.proc = None
        self.returncode = None
        self._log = None

    @property
    def pid(self):
        return self.proc.pid

    def start(self, wait=True):
        self._log = open(self.env.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.exe, "-f", "-e", "-c", self.config_path] + self.extra_args,
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
            env=daemon_env(), cwd=self.env.dir)
        remember_pid(self.proc.pid)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"sealmilter exited with {self.proc.returncode} during "
                    f"start-up:\n{self.log()}")
            if ("listening on" in self.log() and
                    socket_connectable(self.env.socket_path)):
                return
            time.sleep(0.05)
        raise AssertionError(
            f"sealmilter did not become ready in {timeout} s:\n{self.log()}")

    def log(self):
        try:
            with open(self.env.log_path, "r", encoding="utf-8",
                      errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern, timeout=30.0, count=1):
        """Waits until `pattern` (regex) matches `count` times in the log."""
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(rx.findall(self.log())) >= count:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(
            f"log never matched {pattern!r} x{count}:\n{self.log()}")

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM, wait; returns the exit code. SIGKILL (and an error) if the
        daemon does not stop in time."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                forget_pid(self.proc.pid)
                self._close()
                raise AssertionError(
                    f"sealmilter did not stop within {timeout} s of SIGTERM:\n"
                    f"{self.log()}")
        forget_pid(self.proc.pid)
        self._close()
        self.returncode = self.proc.returncode
        return self.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc is not None:
            forget_pid(self.proc.pid)
        self._close()

    def _close(self):
        if self._log is not None:
            self._log.close()
            self._log = None


def read_text(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        for line in f:
            key, _, value = line.partition(":")
            out[key] = value.strip()
    return out


def run_miltertest(miltertest, script, socket_spec, defines=None,
                   timeout=240, verbose=2):
    """Runs one Lua script; returns the CompletedProcess (stdout+stderr
    merged, text)."""
    args = [miltertest] + ["-v"] * verbose + ["-s", script,
                                              "-D", "socket=" + socket_spec]
    for k, v in (defines or {}).items():
        args += ["-D", f"{k}={v}"]
    return subprocess.run(args, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout, text=True, errors="replace")


def common_lua():
    return os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "common.lua")


def parse_common_args(argv, description):
    """--daemon PATH --miltertest PATH [--version V], then unittest args."""
    import argparse
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--daemon", required=True)
    p.add_argument("--miltertest", default=shutil.which("miltertest"))
    p.add_argument("--version", dest="project_version", default=None)
    known, rest = p.parse_known_args(argv)
    return known, [sys.argv[0]] + rest


def smoke_lua():
    return os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "smoke.lua")


def smoke(miltertest, env, pid, qid="SMOKE1", body_size=100, log_path=None):
    """One miltertest transaction (smoke.lua) against the running daemon
    `pid` that logs to log_path (default env.log_path); raises
    AssertionError with the transcript when it fails."""
    log_path = log_path or env.log_path
    r = run_miltertest(miltertest, smoke_lua(), env.socket_spec, {
        "common": common_lua(), "daemon_pid": str(pid),
        "daemon_log": log_path, "spool_dir": env.spool,
        "qid": qid, "body_size": str(body_size)}, verbose=0)
    if r.returncode != 0:
        with open(log_path, encoding="utf-8", errors="replace") as f:
            log = f.read()
        raise AssertionError(f"smoke transaction {qid} failed "
                             f"(miltertest exit {r.returncode}):\n{r.stdout}"
                             f"\n---- daemon log ----\n{log}")


# ---------------------------------------------------------------------------
# A minimal MTA side of the milter protocol (version 6), for what miltertest
# cannot do: read the text of a reply given before end of message, send an
# empty body, send headers longer than miltertest's 1 KiB buffer.

SMFIF_ALL = 0x1FF          # every action up to SMFIF_SETSYMLIST
SMFIP_ALL = 0x1FFFFF       # every protocol option up to SMFIP_HDR_LEADSPC
SMFIP_HDR_LEADSPC = 0x100000


class MilterReply:
    def __init__(self, cmd, data):
        self.cmd = cmd
        self.data = data

    @property
    def text(self):
        return self.data.rstrip(b"\0").decode("latin-1")

    def __repr__(self):
        return f"MilterReply({self.cmd!r}, {self.data[:200]!r})"


class MilterClient:
    def __init__(self, path, timeout=30):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.actions = 0
        self.options = 0

    def close(self, quit=True):
        try:
            if quit:
                self.send(b"Q")
        except OSError:
            pass
        self.sock.close()

    def send(self, cmd, data=b""):
        self.sock.sendall(struct.pack(">I", len(data) + 1) + cmd + data)

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("milter closed the connection")
            buf += chunk
        return buf

    def read(self):
        (length,) = struct.unpack(">I", self._recv_exact(4))
        payload = self._recv_exact(length)
        return MilterReply(payload[:1].decode("latin-1"), payload[1:])

    def command(self, cmd, data=b""):
        """Sends a command and returns its reply, skipping progress
        notes."""
        self.send(cmd, data)
        while True:
            r = self.read()
            if r.cmd != "p":
                return r

    def negotiate(self, actions=SMFIF_ALL, options=SMFIP_ALL):
        r = self.command(b"O", struct.pack(">III", 6, actions, options))
        assert r.cmd == "O", r
        _, self.actions, self.options = struct.unpack(">III", r.data[:12])
        return r

    def macro(self, stage, **values):
        data = stage
        for k, v in values.items():
            name = k if len(k) == 1 else "{" + k + "}"
            data += name.encode() + b"\0" + v.encode() + b"\0"
        self.send(b"D", data)

    def connect(self, host="client.example.org", addr="192.0.2.10"):
        return self.command(b"C", host.encode() + b"\0" + b"4" +
                            struct.pack(">H", 25) + addr.encode() + b"\0")

    def helo(self, name="client.example.org"):
        return self.command(b"H", name.encode() + b"\0")

    def mail(self, sender, qid):
        self.macro(b"M", i=qid)
        return self.command(b"M", sender.encode() + b"\0")

    def rcpt(self, rcpt):
        return self.command(b"R", rcpt.encode() + b"\0")

    def header(self, name, value):
        """value as bytes or str, without the leading space: it is added
        when SMFIP_HDR_LEADSPC was negotiated, as an MTA does."""
        if isinstance(value, str):
            value = value.encode()
        if self.options & SMFIP_HDR_LEADSPC:
            value = b" " + value
        return self.command(b"L", name.encode() + b"\0" + value + b"\0")

    def eoh(self):
        return self.command(b"N")

    def body(self, data):
        return self.command(b"B", data)

    def eom(self):
        """End of message: returns (modification requests, final reply)."""
        self.send(b"E")
        mods = []
        while True:
            r = self.read()
            if r.cmd in ("a", "c", "r", "t", "d", "y"):
                return mods, r
            if r.cmd != "p":
                mods.append(r)

    def abort(self):
        self.send(b"A")

    def open(self, qid, sender="<sender@example.org>",
             rcpts=("<rcpt@example.net>",)):
        """negotiate, connect, helo, mail, rcpts; each must be answered
        'c'."""
        self.negotiate()
        for step, r in (("connect", self.connect()), ("helo", self.helo()),
                        ("mail", self.mail(sender, qid))):
            assert r.cmd == "c", (step, r)
        for rc in rcpts:
            r = self.rcpt(rc)
            assert r.cmd == "c", ("rcpt", r)
