"""End-to-end harness: a private Postfix, the real sealmilter, an SMTP sink.

Python 3 standard library only. Shared by the tests in this directory and by
scripts/demo. Everything runs on 127.0.0.1 inside one private temporary
directory, so two runs can go on side by side:

    SMTP client (smtplib)                    Postfix.send()
      -> private Postfix smtpd on a free port, smtpd_milters = sealmilter
      -> Postfix smtp client, relayhost [127.0.0.1]:sink port
      -> SmtpSink, one file per delivered message

Usage (see Stack for the all-in-one form):

    import harness as H
    H.require_root()                       # exits 77 (meson: skipped) if not
    with H.Stack(binary, milter_values={"log.level": '"debug"'}) as st:
        r = st.postfix.send(message_bytes, "a@example.org", ["b@example.net"])
        assert r.code == 250, r
        [m] = st.sink.wait_for(1)          # SinkMessage: data, envelope
        line = st.milter.passed_line(r.queue_id)

Why root: Postfix's daemons run as user postfix and its master as root. The
milter drops to user "nobody"; its socket lives in a 0755 directory with mode
0660 and group postfix so that smtpd can connect.

Private Postfix: own config_directory, queue_directory and data_directory,
maillog_file inside the private directory (maillog_file_prefixes allows it),
no chroot, only the services this needs in master.cf, inet_interfaces
127.0.0.1, mydestination empty (nothing is delivered locally), relayhost the
sink, milter_default_action = tempfail, short queue delays. Postfix's meta
files (/etc/postfix/postfix-files, dynamicmaps.cf) are read, never written;
/etc/postfix/main.cf is neither needed nor touched.

Clean-up: every sink, milter and Postfix started here is registered and
stopped at interpreter exit and on SIGTERM/SIGINT/SIGHUP (turned into
SystemExit so finally blocks run), and Postfix processes still carrying our
MAIL_CONFIG in their environment are killed by pid. Set
SEALMILTER_E2E_KEEP=1 to keep the private directory for inspection.

Sanitizer builds: the daemon gets ASAN_OPTIONS/UBSAN_OPTIONS that abort on
the first report; Milter.problems() finds sanitizer reports and error lines.
"""

import atexit
import dataclasses
import json
import os
import pwd
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

IS_ROOT = os.geteuid() == 0
MILTER_USER = "nobody"
POSTFIX_USER = "postfix"

EXIT_SKIP = 77  # meson's "skipped"

# Generous for ASan builds on a loaded machine; libmilter needs up to about
# 5 s to notice SIGTERM.
MILTER_START_TIMEOUT = 60.0
MILTER_STOP_TIMEOUT = 30.0
POSTFIX_TIMEOUT = 60.0
DELIVERY_TIMEOUT = 60.0
# Postfix logs within milliseconds of the event; this only covers a loaded
# machine.
MAILLOG_TIMEOUT = 20.0

SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=1:halt_on_error=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
}
_SANITIZER_RE = re.compile(
    r"ERROR: (Address|Leak)Sanitizer|runtime error:|"
    r"SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer|"
    r"AddressSanitizer:DEADLYSIGNAL")

# sealmilter[PID]: info: s3/4XkQ1zV9: passed unchanged: size=1234 rcpts=1
#   spilled=no time=0.3ms
PASSED_RE = re.compile(
    r"^sealmilter\[(?P<pid>\d+)\]: info: (?P<session>s\d+)/(?P<qid>[^:\s]+): "
    r"passed unchanged: size=(?P<size>\d+) rcpts=(?P<rcpts>\d+) "
    r"spilled=(?P<spilled>yes|no)(?P<extra>(?: [a-z_-]+=\S*)*) "
    r"time=(?P<time>[0-9.]+)ms$", re.M)
STARTUP_RE = re.compile(
    r"^sealmilter\[\d+\]: notice: startup: .* listening on ", re.M)
_ERROR_LINE_RE = re.compile(r"^sealmilter\[\d+\]: error: .*$", re.M)


def log(msg):
    """Progress output: stdout, flushed (meson -v shows it live)."""
    print(msg, flush=True)


def require_root():
    """Exits 77 (skipped) unless running as root: Postfix needs it."""
    if not IS_ROOT:
        log("SKIP: the end-to-end tests start a private Postfix and need root")
        sys.exit(EXIT_SKIP)
    for user in (MILTER_USER, POSTFIX_USER):
        try:
            pwd.getpwnam(user)
        except KeyError:
            log(f"SKIP: user {user!r} does not exist (is postfix installed?)")
            sys.exit(EXIT_SKIP)
    for prog in ("/usr/sbin/postfix", "/usr/sbin/postconf",
                 "/usr/sbin/postqueue"):
        if not os.access(prog, os.X_OK):
            log(f"SKIP: {prog} missing (Debian package postfix)")
            sys.exit(EXIT_SKIP)


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago. The kernel picks
    it, so concurrent runs get different ones; a caller that loses the race
    anyway must retry (Postfix.start does)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def wait_until(predicate, timeout, interval=0.05, what="condition"):
    """Polls predicate() until it returns a true value, which is returned.
    Raises TimeoutError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def tail(text, lines=40):
    return "\n".join(text.splitlines()[-lines:])


def pid_alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    state = stat[stat.rfind(b")") + 2:stat.rfind(b")") + 3]
    return state not in (b"Z", b"X")


def make_private_dir(prefix):
    """A fresh directory under /tmp, mode 0755 so that the postfix and
    nobody users can traverse it to their sockets and spool."""
    path = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    os.chmod(path, 0o755)
    return path


# ---------------------------------------------------------------------------
# Clean-up registry: whatever is started here is stopped on every way out.

_cleanups = []
_cleanup_lock = threading.Lock()


def _register(obj):
    with _cleanup_lock:
        _cleanups.append(obj)


def _unregister(obj):
    with _cleanup_lock:
        if obj in _cleanups:
            _cleanups.remove(obj)


def cleanup_all():
    """Stops everything still registered, newest first. Idempotent."""
    while True:
        with _cleanup_lock:
            if not _cleanups:
                return
            obj = _cleanups.pop()
        try:
            obj.close()
        except Exception:  # keep cleaning up the rest
            traceback.print_exc()


_signalled = False


def _on_signal(signum, _frame):
    """First SIGTERM/SIGINT/SIGHUP: unwind (finally blocks and atexit stop
    what was started). Later ones are ignored so that they cannot cut that
    clean-up short; SIGKILL remains for the impatient."""
    global _signalled
    if _signalled:
        return
    _signalled = True
    raise SystemExit(128 + signum)


atexit.register(cleanup_all)
if threading.current_thread() is threading.main_thread():
    for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(_sig, _on_signal)


# ---------------------------------------------------------------------------
# SMTP sink


@dataclasses.dataclass
class SinkMessage:
    """One message the sink accepted. `data` is the DATA payload exactly as
    sent, after dot-unstuffing, without the terminating ".\\r\\n"."""
    seq: int
    path: str           # NNNN.eml: the data
    meta_path: str      # NNNN.json: envelope
    mail_from: str
    rcpts: list
    mail_params: list
    helo: str
    data: bytes

    def header(self, name):
        """First value of header `name` (unfolded, stripped), or None."""
        return header_value(self.data, name)


def split_message(data):
    """(header block including the empty line, body) of a CRLF message."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return data, b""
    return data[:end + 4], data[end + 4:]


def header_fields(data):
    """Header fields of a CRLF message as a list of raw bytes, each field
    with its continuation lines and their CRLFs."""
    head, _ = split_message(data)
    if head.endswith(b"\r\n\r\n"):
        head = head[:-2]  # the empty line ending the header
    fields, pos = [], 0
    while pos < len(head):
        end = head.find(b"\r\n", pos)
        end = len(head) if end < 0 else end + 2
        line = head[pos:end]
        pos = end
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1] += line
        else:
            fields.append(line)
    return fields


def header_value(data, name):
    want = name.lower().encode() + b":"
    for field in header_fields(data):
        if field.lower().startswith(want):
            value = field[len(want):]
            return re.sub(rb"\r\n[ \t]", b" ", value).strip().decode(
                "utf-8", "replace")
    return None


class SmtpSink:
    """An SMTP server on 127.0.0.1 that stores every message it accepts as
    DIRECTORY/NNNN.eml (the bytes) and NNNN.json (envelope). Advertises
    8BITMIME so Postfix relays 8-bit mail unconverted.

    Faults: fail(stage, reply, times) makes the sink answer `reply` (e.g.
    "451 4.3.0 test fault") at stage "connect" (greeting; the connection is
    then closed), "mail", "rcpt", "data" (the DATA command) or "eom" (after
    the message text, which is then not stored), for the next `times`
    occurrences (None: until clear_faults()). attempts[stage] counts how
    often each stage was reached."""

    STAGES = ("connect", "mail", "rcpt", "data", "eom")

    def __init__(self, directory, hostname="sink.e2e.test"):
        self.directory = directory
        self.hostname = hostname
        os.makedirs(directory, exist_ok=True)
        self.port = None
        self._sock = None
        self._thread = None
        self._lock = threading.Condition()
        self._seq = self._existing_count()
        self._faults = {}
        self._stopping = False
        self.attempts = {s: 0 for s in self.STAGES}
        self.errors = []  # protocol errors seen (for diagnostics)

    def _existing_count(self):
        return len([n for n in os.listdir(self.directory)
                    if n.endswith(".eml")])

    def start(self):
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(32)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop,
                                        name="smtp-sink", daemon=True)
        self._thread.start()
        _register(self)
        return self

    def close(self):
        """Stops listening. Idempotent."""
        self._stopping = True
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        _unregister(self)

    stop = close

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # -- faults
    def fail(self, stage, reply, times=None):
        if stage not in self.STAGES:
            raise ValueError(f"unknown sink stage {stage!r}")
        if not re.match(r"^[45]\d\d ", reply):
            raise ValueError(f"fault reply must be 4xx/5xx text: {reply!r}")
        with self._lock:
            self._faults[stage] = [reply, times]

    def clear_faults(self):
        with self._lock:
            self._faults.clear()

    def _fault(self, stage):
        with self._lock:
            self.attempts[stage] += 1
            f = self._faults.get(stage)
            if f is None:
                return None
            reply, times = f
            if times is not None:
                if times <= 1:
                    del self._faults[stage]
                else:
                    f[1] = times - 1
            return reply

    # -- results
    def messages(self):
        """Every stored message, oldest first."""
        out = []
        for name in sorted(os.listdir(self.directory)):
            if not name.endswith(".eml"):
                continue
            path = os.path.join(self.directory, name)
            meta_path = path[:-4] + ".json"
            with open(meta_path) as f:
                meta = json.load(f)
            with open(path, "rb") as f:
                data = f.read()
            out.append(SinkMessage(seq=meta["seq"], path=path,
                                   meta_path=meta_path,
                                   mail_from=meta["mail_from"],
                                   rcpts=meta["rcpts"],
                                   mail_params=meta["mail_params"],
                                   helo=meta["helo"], data=data))
        return out

    def count(self):
        return self._existing_count()

    def wait_for(self, n, timeout=DELIVERY_TIMEOUT):
        """Waits until at least n messages are stored; returns all of them.
        Raises TimeoutError saying how many arrived."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._seq < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"sink: {self._seq} message(s) after {timeout:.0f}s, "
                        f"expected {n}")
                self._lock.wait(min(left, 0.5))
        return self.messages()

    def find(self, message_id):
        """Stored messages whose Message-ID header equals message_id."""
        return [m for m in self.messages()
                if m.header("Message-ID") == message_id]

    # -- server
    def _accept_loop(self):
        while not self._stopping:
            try:
                conn, peer = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn, peer),
                             name="smtp-sink-conn", daemon=True).start()

    def _store(self, helo, mail_from, mail_params, rcpts, data):
        with self._lock:
            seq = self._seq + 1
            base = os.path.join(self.directory, f"{seq:04d}")
            meta = {"seq": seq, "helo": helo, "mail_from": mail_from,
                    "mail_params": mail_params, "rcpts": rcpts,
                    "size": len(data), "time": time.time()}
            with open(base + ".json.tmp", "w") as f:
                json.dump(meta, f, indent=1)
            os.replace(base + ".json.tmp", base + ".json")
            with open(base + ".eml.tmp", "wb") as f:
                f.write(data)
            os.replace(base + ".eml.tmp", base + ".eml")  # visible last
            self._seq = seq
            self._lock.notify_all()
            return seq

    def _serve(self, conn, peer):
        conn.settimeout(120)
        rfile = conn.makefile("rb")

        def send(text):
            conn.sendall(text.encode() + b"\r\n")

        try:
            fault = self._fault("connect")
            if fault:
                send(fault)
                return
            send(f"220 {self.hostname} ESMTP sealmilter e2e sink")
            helo, mail_from, mail_params, rcpts = "", None, [], []
            while True:
                line = rfile.readline(65536)
                if not line:
                    return
                if not line.endswith(b"\r\n"):
                    self.errors.append(f"command without CRLF: {line[:80]!r}")
                    send("500 5.5.2 line not terminated by CRLF")
                    continue
                cmd = line[:-2].decode("utf-8", "replace")
                verb = cmd.split(" ", 1)[0].upper()
                arg = cmd[len(verb):].strip()
                if verb == "EHLO":
                    helo, mail_from, mail_params, rcpts = arg, None, [], []
                    send(f"250-{self.hostname}\r\n250-8BITMIME\r\n"
                         f"250-SIZE 0\r\n250 ENHANCEDSTATUSCODES")
                elif verb == "HELO":
                    helo, mail_from, mail_params, rcpts = arg, None, [], []
                    send(f"250 {self.hostname}")
                elif verb == "MAIL":
                    m = re.match(r"(?i)^FROM:\s*<([^>]*)>\s*(.*)$", arg)
                    if not m:
                        send("501 5.5.4 syntax: MAIL FROM:<address>")
                        continue
                    fault = self._fault("mail")
                    if fault:
                        send(fault)
                        continue
                    mail_from, rcpts = m.group(1), []
                    mail_params = m.group(2).split()
                    send("250 2.1.0 Ok")
                elif verb == "RCPT":
                    m = re.match(r"(?i)^TO:\s*<([^>]*)>", arg)
                    if mail_from is None or not m:
                        send("503 5.5.1 need MAIL first" if mail_from is None
                             else "501 5.5.4 syntax: RCPT TO:<address>")
                        continue
                    fault = self._fault("rcpt")
                    if fault:
                        send(fault)
                        continue
                    rcpts.append(m.group(1))
                    send("250 2.1.5 Ok")
                elif verb == "DATA":
                    if not rcpts:
                        send("554 5.5.1 no valid recipients")
                        continue
                    fault = self._fault("data")
                    if fault:
                        send(fault)
                        continue
                    send("354 End data with <CR><LF>.<CR><LF>")
                    data = self._read_data(rfile)
                    if data is None:
                        return
                    fault = self._fault("eom")
                    if fault:
                        send(fault)
                    else:
                        seq = self._store(helo, mail_from, mail_params,
                                          rcpts, data)
                        send(f"250 2.0.0 Ok: stored as {seq:04d}")
                    mail_from, mail_params, rcpts = None, [], []
                elif verb == "RSET":
                    mail_from, mail_params, rcpts = None, [], []
                    send("250 2.0.0 Ok")
                elif verb == "NOOP":
                    send("250 2.0.0 Ok")
                elif verb == "QUIT":
                    send("221 2.0.0 Bye")
                    return
                else:
                    send("502 5.5.2 command not implemented")
        except OSError as e:
            if not self._stopping:
                self.errors.append(f"{peer}: {e}")
        finally:
            try:
                rfile.close()
                conn.close()
            except OSError:
                pass

    @staticmethod
    def _read_data(rfile):
        """Reads the message text up to "." CRLF, removing the dot-stuffing
        (a leading "." of a line is dropped). Lines are kept byte-exact,
        including their CRLF. None if the client went away."""
        chunks = []
        while True:
            line = rfile.readline(1 << 20)
            if not line:
                return None
            if line == b".\r\n":
                return b"".join(chunks)
            if line.startswith(b"."):
                line = line[1:]
            chunks.append(line)


# ---------------------------------------------------------------------------
# sealmilter


def toml_string(value):
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_toml(values):
    """{"section.key": "TOML literal"} -> TOML text, sections in first-seen
    order."""
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


def daemon_env():
    env = dict(os.environ)
    for key, value in SANITIZER_ENV.items():
        user = os.environ.get(key)
        env[key] = value + (":" + user if user else "")
    return env


class Milter:
    """The sealmilter daemon, run in the foreground with its log on stderr
    (-f -e), from a config file it writes. Directory layout:
        DIR/milter.conf    config (0644, readable after the privilege drop)
        DIR/sock/          0755; the socket, 0660 MILTER_USER:socket_group
        DIR/spool/         0700 MILTER_USER
        DIR/milter.log     stderr of every run, appended
    Only the socket, user, socket group and spool directory are set unless
    `values` ({"section.key": "TOML literal"}) adds more."""

    def __init__(self, binary, directory, values=None, user=MILTER_USER,
                 socket_group=POSTFIX_USER):
        self.binary = binary
        self.directory = directory
        os.makedirs(directory, mode=0o755, exist_ok=True)
        os.chmod(directory, 0o755)
        self.sock_dir = os.path.join(directory, "sock")
        os.makedirs(self.sock_dir, mode=0o755, exist_ok=True)
        self.spool = os.path.join(directory, "spool")
        os.makedirs(self.spool, mode=0o700, exist_ok=True)
        pw = pwd.getpwnam(user)
        os.chown(self.spool, pw.pw_uid, pw.pw_gid)
        self.user = user
        self.socket_group = socket_group
        self.socket_path = os.path.join(self.sock_dir, "sealmilter.sock")
        self.socket_spec = "unix:" + self.socket_path
        self.config_path = os.path.join(directory, "milter.conf")
        self.log_path = os.path.join(directory, "milter.log")
        self.proc = None
        self.exit_codes = []  # of every run stopped so far
        self._log_start = 0   # offset of the current run's log
        self.write_config(values)

    def base_values(self):
        return {
            "milter.socket": toml_string(self.socket_spec),
            "milter.user": toml_string(self.user),
            "milter.socket_group": toml_string(self.socket_group),
            "spool.directory": toml_string(self.spool),
        }

    def write_config(self, values=None):
        """Writes the config: base values plus `values` (a value of None
        drops the key). Takes effect on start() or reload()."""
        merged = self.base_values()
        for k, v in (values or {}).items():
            if v is None:
                merged.pop(k, None)
            else:
                merged[k] = v
        self.values = merged
        tmp = self.config_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(render_toml(merged))
        os.chmod(tmp, 0o644)
        os.replace(tmp, self.config_path)

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout=MILTER_START_TIMEOUT):
        """Starts the daemon and waits for its start-up line and socket.
        Raises RuntimeError with the log if it exits or times out."""
        if self.running:
            raise RuntimeError("milter already running")
        self._log_start = os.path.getsize(self.log_path) \
            if os.path.exists(self.log_path) else 0
        logf = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                [self.binary, "-f", "-e", "-c", self.config_path],
                stdin=subprocess.DEVNULL, stdout=logf, stderr=logf,
                env=daemon_env(), start_new_session=True)
        finally:
            logf.close()
        _register(self)
        deadline = time.monotonic() + timeout
        while True:
            text = self.run_log()
            if STARTUP_RE.search(text) and os.path.exists(self.socket_path):
                return self
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                self.exit_codes.append(rc)
                self.proc = None
                raise RuntimeError(
                    f"sealmilter exited with status {rc} during start-up:\n"
                    f"{tail(text)}")
            if time.monotonic() >= deadline:
                raise RuntimeError(f"sealmilter did not start within "
                                   f"{timeout:.0f}s:\n{tail(text)}")
            time.sleep(0.05)

    def stop(self, timeout=MILTER_STOP_TIMEOUT):
        """SIGTERM, then waits; SIGKILL after `timeout`. Returns the exit
        status (negative: killed by that signal), None if not running."""
        proc = self.proc
        if proc is None:
            return None
        # self.proc stays set until the process is gone: if this wait is
        # interrupted (SIGTERM to the test), close() still finds it.
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                log(f"harness: sealmilter pid {proc.pid} ignored SIGTERM for "
                    f"{timeout:.0f}s; killing it")
                proc.kill()
                proc.wait(timeout=10)
        self.proc = None
        self.exit_codes.append(proc.returncode)
        return proc.returncode

    def close(self):
        """Stops the daemon if it runs (clean-up path). Idempotent."""
        try:
            self.stop()
        finally:
            _unregister(self)

    def reload(self, timeout=20.0):
        """SIGUSR1; waits for the reload's log line. Returns True when the
        new configuration was taken, False when the daemon refused it."""
        before = self.run_log()
        pattern = re.compile(
            r"configuration reloaded|configuration reload failed")
        n = len(pattern.findall(before))
        self.proc.send_signal(signal.SIGUSR1)
        wait_until(lambda: len(pattern.findall(self.run_log())) > n, timeout,
                   what="the milter's reload log line")
        last = pattern.findall(self.run_log())[-1]
        return last == "configuration reloaded"

    def log(self):
        """The whole log of every run."""
        return read_text(self.log_path)

    def run_log(self):
        """The log of the current (or last) run only."""
        with open(self.log_path, "rb") as f:
            f.seek(self._log_start)
            return f.read().decode("utf-8", "replace")

    def wait_for_log(self, regex, timeout=DELIVERY_TIMEOUT):
        """Waits for `regex` (multiline) in the whole log; returns the
        match."""
        r = re.compile(regex, re.M)
        return wait_until(lambda: r.search(self.log()), timeout,
                          what=f"milter log line /{regex}/")

    def passed_lines(self):
        """Every "passed unchanged" line as a dict (pid, session, qid, size,
        rcpts, spilled, time), in log order."""
        return [m.groupdict() for m in PASSED_RE.finditer(self.log())]

    def passed_line(self, queue_id, timeout=DELIVERY_TIMEOUT):
        """Waits for the "passed unchanged" line of queue_id and returns it
        (see passed_lines); raises AssertionError if it appears twice."""
        def find():
            return [p for p in self.passed_lines() if p["qid"] == queue_id]
        found = wait_until(find, timeout,
                           what=f"'passed unchanged' line for {queue_id}")
        if len(found) != 1:
            raise AssertionError(f"{len(found)} 'passed unchanged' lines for "
                                 f"{queue_id}, expected exactly 1")
        return found[0]

    def problems(self):
        """Sanitizer report lines and "error:" lines in the whole log."""
        text = self.log()
        return ([l for l in text.splitlines() if _SANITIZER_RE.search(l)] +
                _ERROR_LINE_RE.findall(text))

    def socket_accepts(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect(self.socket_path)
            return True
        except OSError:
            return False
        finally:
            s.close()


# ---------------------------------------------------------------------------
# Postfix


@dataclasses.dataclass
class SendResult:
    """What the SMTP client saw. stage: where it ended ("connect", "ehlo",
    "mail", "rcpt", "data" for the DATA command, "eom" for the reply after
    the message text). code 0 means no reply (connection failed)."""
    stage: str
    code: int
    text: str
    queue_id: str = None

    @property
    def accepted(self):
        return self.stage == "eom" and self.code == 250

    def __str__(self):
        return f"{self.code} {self.text} (at {self.stage})"


MASTER_CF = """\
# Private sealmilter e2e instance: only the services it needs, no chroot.
# service type  private unpriv  chroot  wakeup  maxproc command + args
{listen} inet n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
{reinject}"""

# The milter-free listener sealmilter hands its own notices to
# (gateway.reinject), as in contrib/postfix/master.cf.example.
REINJECT_CF = """\
{listen} inet n       -       n       -       -       smtpd
  -o smtpd_milters=
  -o non_smtpd_milters=
"""


class Postfix:
    """A private Postfix instance under DIR:
        DIR/etc/      config_directory (main.cf, master.cf)
        DIR/queue/    queue_directory (subdirectories made by postfix start)
        DIR/data/     data_directory, owned by postfix
        DIR/maillog   maillog_file
    smtpd listens on 127.0.0.1:smtpd_port (free_port() unless given) with
    smtpd_milters = milter_spec; everything is relayed to
    [127.0.0.1]:relay_port. `main` adds or overrides main.cf parameters."""

    def __init__(self, directory, relay_port, milter_spec, main=None,
                 smtpd_port=None, name=None, reinject_port=None):
        self.directory = directory
        os.makedirs(directory, mode=0o755, exist_ok=True)
        os.chmod(directory, 0o755)
        self.config_dir = os.path.join(directory, "etc")
        self.queue_dir = os.path.join(directory, "queue")
        self.data_dir = os.path.join(directory, "data")
        self.maillog_path = os.path.join(directory, "maillog")
        for d in (self.config_dir, self.queue_dir):
            os.makedirs(d, mode=0o755, exist_ok=True)
        os.makedirs(self.data_dir, mode=0o700, exist_ok=True)
        pw = pwd.getpwnam(POSTFIX_USER)
        os.chown(self.data_dir, pw.pw_uid, pw.pw_gid)
        self.relay_port = relay_port
        self.milter_spec = milter_spec
        self.main_overrides = dict(main or {})
        self.smtpd_port = smtpd_port
        self.reinject_port = reinject_port
        self.name = name or os.path.basename(directory.rstrip("/"))
        self.started = False

    def main_cf(self):
        host = re.sub(r"[^a-z0-9-]", "-", self.name.lower()).strip("-")[:50]
        params = {
            "compatibility_level": "3.6",
            "config_directory": self.config_dir,
            "queue_directory": self.queue_dir,
            "data_directory": self.data_dir,
            "mail_owner": POSTFIX_USER,
            "setgid_group": "postdrop",
            "maillog_file": self.maillog_path,
            "maillog_file_prefixes": self.directory,
            "syslog_name": "postfix-e2e",
            "myhostname": f"{host or 'e2e'}.localdomain",
            "mydomain": "localdomain",
            "myorigin": "$myhostname",
            "mydestination": "",
            "local_recipient_maps": "",
            "local_transport": "error:5.1.1 local delivery disabled",
            "alias_maps": "",
            "alias_database": "",
            "relay_domains": "",
            "relayhost": f"[127.0.0.1]:{self.relay_port}",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "smtpd_peername_lookup": "no",
            # Headers of mail from 127.0.0.1 are not rewritten (no
            # @myorigin appended, no Message-ID/Date added): what reaches
            # the sink is what the client sent, plus Postfix's Received:.
            "local_header_rewrite_clients": "",
            "smtpd_milters": self.milter_spec,
            "non_smtpd_milters": "",
            "milter_protocol": "6",
            "milter_default_action": "tempfail",
            "message_size_limit": str(32 * 1024 * 1024),
            "mailbox_size_limit": "0",
            "smtp_tls_security_level": "none",
            "smtpd_tls_security_level": "none",
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "maximal_queue_lifetime": "1h",
            "bounce_queue_lifetime": "1h",
            "biff": "no",
            "append_dot_mydomain": "no",
            "default_process_limit": "20",
        }
        params.update(self.main_overrides)
        return "".join(f"{k} = {v}\n" for k, v in params.items())

    def _env(self):
        env = dict(os.environ)
        env["MAIL_CONFIG"] = self.config_dir
        return env

    def _run(self, args, timeout=POSTFIX_TIMEOUT, check=True):
        p = subprocess.run(args, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout,
                           env=self._env())
        out = (p.stdout + p.stderr).decode("utf-8", "replace")
        if check and p.returncode != 0:
            raise RuntimeError(
                f"{' '.join(args)} exited {p.returncode}:\n{out}")
        return p.returncode, out

    def postconf(self, *args):
        """postconf -c DIR ARGS... -> stdout."""
        return self._run(
            ["/usr/sbin/postconf", "-c", self.config_dir, *args])[1]

    def _write_config(self):
        with open(os.path.join(self.config_dir, "main.cf"), "w") as f:
            f.write(self.main_cf())
        sasl_dir = self.main_overrides.get("cyrus_sasl_config_path")
        if sasl_dir:
            # Debian's Postfix ignores cyrus_sasl_config_path and reads
            # $config_directory/sasl/smtpd.conf (seen with strace).
            os.makedirs(os.path.join(self.config_dir, "sasl"), exist_ok=True)
            shutil.copy(os.path.join(sasl_dir, "smtpd.conf"),
                        os.path.join(self.config_dir, "sasl", "smtpd.conf"))
        with open(os.path.join(self.config_dir, "master.cf"), "w") as f:
            reinject = ""
            if self.reinject_port:
                reinject = REINJECT_CF.format(
                    listen=f"127.0.0.1:{self.reinject_port}")
            f.write(MASTER_CF.format(listen=f"127.0.0.1:{self.smtpd_port}",
                                     reinject=reinject))

    def start(self, timeout=POSTFIX_TIMEOUT):
        """postfix -c DIR start, retrying on a new port should another
        program have taken ours in the meantime."""
        fixed_port = self.smtpd_port is not None
        _register(self)
        for attempt in range(3):
            if not fixed_port:
                self.smtpd_port = free_port()
            self._write_config()
            rc, out = self._run(["/usr/sbin/postfix", "-c", self.config_dir,
                                 "start"], timeout=timeout, check=False)
            if rc == 0:
                self.started = True
                break
            self._kill_leftovers()
            in_use = "in use" in out or "in use" in tail(self.maillog(), 10)
            if fixed_port or not in_use or attempt == 2:
                raise RuntimeError(f"postfix start failed ({rc}):\n{out}\n"
                                   f"maillog:\n{tail(self.maillog())}")
            log(f"harness: port {self.smtpd_port} taken meanwhile; retrying")

        # master -w (inside postfix start) returns only once the master has
        # initialised, which includes binding the smtpd listener: no need
        # to probe it (a probe would be a milter session in the log).
        return self

    def master_pid(self):
        try:
            with open(os.path.join(self.queue_dir, "pid", "master.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def _our_pids(self):
        """Processes whose environment carries MAIL_CONFIG=our config
        directory: the master and every daemon it started."""
        marker = b"MAIL_CONFIG=" + self.config_dir.encode()
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                with open(f"/proc/{entry}/environ", "rb") as f:
                    env = f.read().split(b"\0")
            except OSError:
                continue
            if marker in env and pid_alive(int(entry)):
                pids.append(int(entry))
        return pids

    def _kill_leftovers(self):
        for pid in self._our_pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            wait_until(lambda: not self._our_pids(), 10,
                       what="Postfix processes to exit")
        except TimeoutError as e:
            log(f"harness: {e}: {self._our_pids()}")

    def stop(self, timeout=POSTFIX_TIMEOUT):
        """postfix stop; if the master is still there after `timeout`,
        postfix abort and SIGKILL of whatever is left. Idempotent."""
        if not self.started:
            self._kill_leftovers()
            return
        self.started = False
        try:
            self._run(["/usr/sbin/postfix", "-c", self.config_dir, "stop"],
                      timeout=timeout, check=False)
            wait_until(lambda: not self._our_pids(), timeout, interval=0.1,
                       what="Postfix to stop")
        except (TimeoutError, subprocess.TimeoutExpired) as e:
            log(f"harness: {e}; aborting Postfix")
            try:
                self._run(["/usr/sbin/postfix", "-c", self.config_dir,
                           "abort"], timeout=20, check=False)
            except subprocess.TimeoutExpired:
                pass
        self._kill_leftovers()

    def close(self):
        try:
            self.stop()
        finally:
            _unregister(self)

    # -- inspection
    def maillog(self):
        return read_text(self.maillog_path)

    def wait_for_maillog(self, regex, timeout=MAILLOG_TIMEOUT):
        r = re.compile(regex, re.M)
        return wait_until(lambda: r.search(self.maillog()), timeout,
                          what=f"Postfix maillog line /{regex}/")

    def maillog_for(self, queue_id):
        """The maillog lines about queue_id."""
        return [l for l in self.maillog().splitlines()
                if f": {queue_id}: " in l]

    def queue(self):
        """postqueue -p output ("Mail queue is empty" when empty)."""
        return self._run(["/usr/sbin/postqueue", "-c", self.config_dir,
                          "-p"], check=False)[1]

    def queued_files(self):
        """Queue files in incoming, active, deferred, hold and maildrop,
        read from disk (works while Postfix is down as well)."""
        out = []
        for sub in ("maildrop", "incoming", "active", "deferred", "hold"):
            top = os.path.join(self.queue_dir, sub)
            for root, _dirs, files in os.walk(top):
                out.extend(os.path.join(root, f) for f in files)
        return sorted(out)

    def flush(self):
        """postqueue -f: attempt delivery of deferred mail now."""
        return self._run(["/usr/sbin/postqueue", "-c", self.config_dir,
                          "-f"], check=False)[1]

    def problems(self):
        """fatal:/panic: lines in the maillog."""
        return [l for l in self.maillog().splitlines()
                if re.search(r"\b(fatal|panic): ", l)]

    # -- sending
    def send(self, message, mail_from, rcpts, timeout=60,
             helo="client.e2e.test", mail_options=None, auth=None):
        """smtp_send() to this instance's smtpd."""
        return smtp_send(self.smtpd_port, message, mail_from, rcpts,
                         timeout=timeout, helo=helo,
                         mail_options=mail_options, auth=auth)


def sasl_main_cf(directory, users, realm="e2e.test"):
    """SMTP AUTH for the private Postfix: Cyrus SASL (Debian sasl2-bin,
    libsasl2-modules) with a sasldb in DIRECTORY/sasl holding `users`
    ({name: password}, realm `realm`), mechanisms PLAIN and LOGIN, allowed
    without TLS (everything is on 127.0.0.1). Returns the main.cf
    parameters to pass as Postfix(main=...) / Stack(postfix_main=...)."""
    sasl_dir = os.path.join(directory, "sasl")
    os.makedirs(sasl_dir, exist_ok=True)
    os.chmod(sasl_dir, 0o755)
    db = os.path.join(sasl_dir, "sasldb2")
    for name, password in users.items():
        p = subprocess.run(["saslpasswd2", "-c", "-p", "-f", db, "-u", realm,
                            name], input=password.encode(),
                           capture_output=True, timeout=30)
        if p.returncode != 0:
            raise RuntimeError("saslpasswd2 failed: " +
                               p.stderr.decode("utf-8", "replace"))
    pw = pwd.getpwnam(POSTFIX_USER)
    os.chown(db, pw.pw_uid, pw.pw_gid)
    os.chmod(db, 0o600)
    with open(os.path.join(sasl_dir, "smtpd.conf"), "w") as f:
        f.write("pwcheck_method: auxprop\nauxprop_plugin: sasldb\n"
                f"sasldb_path: {db}\nmech_list: PLAIN LOGIN\n")
    return {
        "smtpd_sasl_auth_enable": "yes",
        "smtpd_sasl_type": "cyrus",
        "smtpd_sasl_path": "smtpd",
        "cyrus_sasl_config_path": sasl_dir,
        "smtpd_sasl_local_domain": realm,
        "smtpd_sasl_security_options": "noanonymous",
        "smtpd_tls_auth_only": "no",
    }


# Queue ids in the reply to the message text: Postfix "250 2.0.0 Ok: queued
# as 4XkQ1zV9", Sendmail "250 2.0.0 6B2880JY011957 Message accepted for
# delivery".
QUEUE_ID_RES = (re.compile(r"queued as ([0-9A-Za-z]+)"),
                re.compile(r"\b([0-9A-Za-z]{8,20}) Message accepted"))


def smtp_send(port, message, mail_from, rcpts, timeout=60,
              helo="client.e2e.test", mail_options=None, auth=None):
    """Sends `message` (bytes, CRLF line ends, ending in CRLF) to
    127.0.0.1:port with smtplib, which dot-stuffs it and appends nothing.
    BODY=8BITMIME is declared when the message has 8-bit bytes. With auth
    = (user, password) it logs in with SMTP AUTH first (a refusal is a
    SendResult at stage "auth"). Never raises for an SMTP error: returns a
    SendResult (queue_id from the final reply of Postfix or Sendmail)."""
    if isinstance(message, str):
        message = message.encode("utf-8")
    if not message.endswith(b"\r\n"):
        raise ValueError("message must end with CRLF (smtplib would add "
                         "one, and the comparison would be off)")
    options = list(mail_options or [])
    if any(b >= 0x80 for b in message) and not any(
            o.upper().startswith("BODY=") for o in options):
        options.append("BODY=8BITMIME")
    try:
        client = smtplib.SMTP("127.0.0.1", port, local_hostname=helo,
                              timeout=timeout)
    except smtplib.SMTPConnectError as e:
        return SendResult("connect", e.smtp_code, _text(e.smtp_error))
    except OSError as e:
        return SendResult("connect", 0, str(e))
    try:
        code, text = client.ehlo()
        if code != 250:
            return SendResult("ehlo", code, _text(text))
        if auth is not None:
            try:
                code, text = client.login(auth[0], auth[1])
            except smtplib.SMTPAuthenticationError as e:
                return SendResult("auth", e.smtp_code, _text(e.smtp_error))
            except smtplib.SMTPNotSupportedError as e:
                return SendResult("auth", 0, str(e))
        code, text = client.mail(mail_from, options)
        if code != 250:
            return SendResult("mail", code, _text(text))
        for r in rcpts:
            code, text = client.rcpt(r)
            if code not in (250, 251):
                return SendResult("rcpt", code, _text(text))
        try:
            code, text = client.data(message)
        except smtplib.SMTPDataError as e:
            return SendResult("data", e.smtp_code, _text(e.smtp_error))
        text = _text(text)
        queue_id = None
        for r in QUEUE_ID_RES:
            m = r.search(text)
            if m:
                queue_id = m.group(1)
                break
        return SendResult("eom", code, text, queue_id)
    except smtplib.SMTPServerDisconnected as e:
        return SendResult("disconnected", 0, str(e))
    except OSError as e:
        return SendResult("io", 0, str(e))
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


# ---------------------------------------------------------------------------
# All three together


class Stack:
    """Sink + sealmilter + private Postfix in one private directory.

        with Stack(binary, milter_values=..., postfix_main=...) as st:
            st.sink, st.milter, st.postfix

    On leaving with an exception, prints the milter log and maillog tails.
    sink_dir puts the delivered copies somewhere lasting (the demo does);
    otherwise they are in DIR/sink and go with DIR."""

    def __init__(self, binary, milter_values=None, postfix_main=None,
                 sink_dir=None, prefix="sealmilter-e2e-", keep=None,
                 reinject=False):
        """With reinject, Postfix also listens on a milter-free port that
        the milter's gateway.reinject points at (set before the milter
        starts; a value in milter_values wins)."""
        self.binary = binary
        self.reinject_port = free_port() if reinject else None
        self.milter_values = dict(milter_values or {})
        if self.reinject_port:
            self.milter_values.setdefault(
                "gateway.reinject",
                toml_string(f"127.0.0.1:{self.reinject_port}"))
        self.postfix_main = postfix_main
        self.dir = make_private_dir(prefix)
        self.sink_dir = sink_dir or os.path.join(self.dir, "sink")
        self.keep = keep if keep is not None else \
            os.environ.get("SEALMILTER_E2E_KEEP") == "1"
        self.sink = self.milter = self.postfix = None
        _register(self)

    def start(self):
        try:
            self.sink = SmtpSink(self.sink_dir).start()
            self.milter = Milter(self.binary, os.path.join(self.dir, "milter"),
                                 self.milter_values).start()
            self.postfix = Postfix(os.path.join(self.dir, "postfix"),
                                   self.sink.port, self.milter.socket_spec,
                                   main=self.postfix_main,
                                   name=os.path.basename(self.dir),
                                   reinject_port=self.reinject_port).start()
        except BaseException:
            self.print_diagnostics()
            self.close()
            raise
        return self

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and exc_type is not SystemExit:
            self.print_diagnostics()
        self.close()

    def print_diagnostics(self):
        if self.milter is not None:
            log(f"--- sealmilter log ({self.milter.log_path}), last lines:")
            log(tail(self.milter.log()))
        if self.postfix is not None:
            log(f"--- Postfix maillog ({self.postfix.maillog_path}), "
                f"last lines:")
            log(tail(self.postfix.maillog()))
        if self.sink is not None:
            log(f"--- sink: {self.sink.count()} message(s) in "
                f"{self.sink.directory}; errors: {self.sink.errors}")

    def close(self):
        """Stops Postfix, the milter and the sink; removes the private
        directory unless kept. Idempotent."""
        try:
            for part in (self.postfix, self.milter, self.sink):
                if part is not None:
                    try:
                        part.close()
                    except Exception:
                        traceback.print_exc()
        finally:
            _unregister(self)
            if os.path.isdir(self.dir):
                if self.keep:
                    log(f"harness: kept {self.dir}")
                else:
                    shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------------------
# S/MIME test certificates


def make_smime_cert(directory, address, name="cert"):
    """A self-signed RSA-2048 S/MIME certificate for `address` made with
    the openssl CLI: (key path, certificate path) in `directory`."""
    key = os.path.join(directory, f"{name}.key")
    cert = os.path.join(directory, f"{name}.pem")
    cnf = os.path.join(directory, f"{name}.cnf")
    with open(cnf, "w") as f:
        f.write("[req]\ndistinguished_name=dn\nprompt=no\n[dn]\n"
                f"CN={address}\nemailAddress={address}\n[v3]\n"
                "basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=emailProtection\n"
                f"subjectAltName=email:{address}\n")
    p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                        "-nodes", "-keyout", key, "-out", cert, "-days", "30",
                        "-config", cnf, "-extensions", "v3"],
                       capture_output=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("openssl req failed: " +
                           p.stderr.decode("utf-8", "replace"))
    return key, cert


def make_store(sealctl, directory, certs, owner=MILTER_USER):
    """A SQLite store in DIR/store/store.db holding `certs` (PEM paths,
    imported with sealctl), owned by `owner` so the milter can use it after
    dropping privileges. Returns the database path."""
    store_dir = os.path.join(directory, "store")
    os.makedirs(store_dir, exist_ok=True)
    store = os.path.join(store_dir, "store.db")
    p = subprocess.run([sealctl, "certs", "import", "--store", store, *certs],
                       capture_output=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("sealctl certs import failed: " +
                           p.stderr.decode("utf-8", "replace"))
    pw = pwd.getpwnam(owner)
    for path in (store_dir, store):
        os.chown(path, pw.pw_uid, pw.pw_gid)
    return store


# ---------------------------------------------------------------------------
# A small test runner: ordered tests sharing one Stack, each bounded in time.


class TestTimeout(Exception):
    pass


def run_tests(tests, per_test_timeout=90):
    """Runs (name, function) pairs in order; prints ok/FAIL with the reason.
    Returns the number of failures. Each test is interrupted after
    per_test_timeout seconds (SIGALRM)."""
    def on_alarm(_s, _f):
        raise TestTimeout(f"test took longer than {per_test_timeout}s")
    old = signal.signal(signal.SIGALRM, on_alarm)
    failures = 0
    try:
        for name, fn in tests:
            t0 = time.monotonic()
            log(f"=== {name}")
            signal.alarm(per_test_timeout)
            try:
                fn()
            except Exception as e:  # AssertionError, TimeoutError, ...
                signal.alarm(0)
                failures += 1
                log(f"FAIL {name} ({time.monotonic() - t0:.1f}s): "
                    f"{type(e).__name__}: {e}")
                traceback.print_exc(file=sys.stdout)
            else:
                signal.alarm(0)
                log(f"ok   {name} ({time.monotonic() - t0:.1f}s)")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    return failures
