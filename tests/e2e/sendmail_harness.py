"""End-to-end harness, Sendmail side: a private Sendmail before sealmilter.

Python 3 standard library only; builds on harness.py (sink, milter, SMTP
client, clean-up registry). Everything listens on 127.0.0.1 inside one
private temporary directory:

    SMTP client (smtplib)                    Sendmail.send()
      -> private Sendmail daemon "MTA" on a free port,
         INPUT_MAIL_FILTER(sealmilter) taken from contrib/sendmail
      -> Sendmail's esmtp mailer, SMART_HOST [127.0.0.1], sink port
      -> SmtpSink
    and, with reinject, the second daemon "reinject" of the contrib lines
    (InputMailFilters= empty) on another port: the milter-free listener
    gateway.reinject points at.

Where Sendmail comes from: it is never installed (the package would replace
Postfix as the system MTA). prepare() runs `apt-get download sendmail-bin
sendmail-base sendmail-cf` and `dpkg -x` into CACHE/root, CACHE being
$SEALMILTER_SENDMAIL_CACHE or /var/cache/sealmilter-tests/sendmail; later
runs reuse it. scripts/install-deps calls `sendmail_harness.py --prepare`
(as root, after apt-get update) so that CI has it; when it cannot be had,
require_sendmail() exits 77 (skipped) with the reason. The binary needs
libwrap0 and m4 (for the .mc) from install-deps.

How it runs: sendmail -bD (daemon in the foreground) -q2s with -C our .cf,
started through `unshare --uts --mount --pid --fork --kill-child`:
  * --uts: the host name is harness.localdomain. Sendmail wants a name with
    a dot and otherwise waits 60 s at start ("My unqualified host name ...
    unknown; sleeping for retry").
  * --mount: a private /dev (tmpfs with null, zero, random, urandom, full,
    tty bound from the real one) whose /dev/log points to a datagram socket
    of ours, so Sendmail's syslog lines land in DIR/maillog. The real /dev
    is not changed.
  * --pid --kill-child: Sendmail and every child it forks live in their own
    pid namespace; when the unshare process dies, they all die, and unshare
    dies with this test (setpriv --pdeathsig KILL). That is the whole
    clean-up story (Sendmail overwrites its environment with its
    process title, so it cannot be found by a marker as Postfix is).
If unshare cannot do that (no CAP_SYS_ADMIN), it runs without a namespace
and without a maillog; then a host name without a dot costs 60 s.

No DNS: FEATURE(nocanonify), FEATURE(accept_unresolvable_domains), a
private service switch with "hosts files" and hosts file. Relaying: only
127.0.0.1 connects, and RELAY_DOMAIN(127.0.0.1) lets it relay.

Limits: one Sendmail per Sendmail object; IPv4 only; the cached tree is
shared between runs and replaced atomically, so concurrent first runs each
download once. Not thread-safe: drive a Sendmail from one thread.
"""

import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

PACKAGES = ("sendmail-bin", "sendmail-base", "sendmail-cf")
DEFAULT_CACHE = "/var/cache/sealmilter-tests/sendmail"
HOSTNAME = "harness.localdomain"
SENDMAIL_TIMEOUT = 60.0
CONTRIB_MC = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "..", "..", "contrib", "sendmail", "sealmilter.mc")
# "250 2.0.0 6B2880JY011957 Message accepted for delivery"
QUEUE_ID_RE = re.compile(r"\b([0-9A-Za-z]{14}) Message accepted")


class Unavailable(Exception):
    """Sendmail cannot be had on this machine; the message says why."""


def cache_dir():
    return os.environ.get("SEALMILTER_SENDMAIL_CACHE", DEFAULT_CACHE)


def _binary(root):
    return os.path.join(root, "usr", "libexec", "sendmail", "sendmail")


def _cf_dir(root):
    return os.path.join(root, "usr", "share", "sendmail", "cf")


def prepare(cache=None, download=True):
    """The unpacked Sendmail tree (CACHE/root), downloading and unpacking
    the packages if it is not there yet. Raises Unavailable."""
    cache = cache or cache_dir()
    root = os.path.join(cache, "root")
    marker = os.path.join(root, ".complete")
    if not os.path.exists(marker):
        debs_dir = os.path.join(cache, "debs")

        def debs():
            return {p: sorted(glob.glob(os.path.join(debs_dir, f"{p}_*.deb")))
                    for p in PACKAGES}
        try:
            os.makedirs(debs_dir, exist_ok=True)
        except OSError as e:
            raise Unavailable(f"cannot create {debs_dir}: {e}")
        if not all(debs().values()):
            if not download:
                raise Unavailable(f"no Sendmail packages in {debs_dir}")
            if not shutil.which("apt-get"):
                raise Unavailable("apt-get missing: cannot download Sendmail")
            try:
                p = subprocess.run(["apt-get", "download", *PACKAGES],
                                   cwd=debs_dir, capture_output=True,
                                   timeout=300)
            except subprocess.TimeoutExpired:
                raise Unavailable("apt-get download timed out after 300s")
            if p.returncode != 0 or not all(debs().values()):
                raise Unavailable(
                    "apt-get download " + " ".join(PACKAGES) + " failed: " +
                    H.tail((p.stdout + p.stderr).decode("utf-8", "replace"),
                           5))
        tmp = f"{root}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        for pkg, files in debs().items():
            p = subprocess.run(["dpkg", "-x", files[-1], tmp],
                               capture_output=True, timeout=120)
            if p.returncode != 0:
                shutil.rmtree(tmp, ignore_errors=True)
                raise Unavailable(f"dpkg -x {files[-1]} failed: " +
                                  p.stderr.decode("utf-8", "replace"))
        with open(os.path.join(tmp, ".complete"), "w") as f:
            f.write("\n".join(os.path.basename(v[-1])
                              for v in debs().values()) + "\n")
        old = f"{root}.old-{os.getpid()}"
        if os.path.exists(root):
            os.rename(root, old)  # a half-unpacked tree from a crash
        os.rename(tmp, root)
        shutil.rmtree(old, ignore_errors=True)
    if not os.access(_binary(root), os.X_OK):
        raise Unavailable(f"{_binary(root)} missing from the unpacked tree")
    if not os.path.exists(os.path.join(_cf_dir(root), "m4", "cf.m4")):
        raise Unavailable("sendmail-cf's m4/cf.m4 missing from the tree")
    if not shutil.which("m4"):
        raise Unavailable("m4 missing (Debian package m4, see install-deps)")
    p = subprocess.run(["ldd", _binary(root)], capture_output=True,
                       timeout=30)
    missing = [l.strip() for l in p.stdout.decode().splitlines()
               if "not found" in l]
    if missing:
        raise Unavailable("Sendmail's libraries missing (libwrap0?): " +
                          "; ".join(missing))
    return root


def require_sendmail():
    """H.require_root() and prepare(); exits 77 (skipped) with the reason if
    Sendmail cannot be had. Returns the tree."""
    H.require_root()
    try:
        return prepare()
    except Unavailable as e:
        H.log(f"SKIP: Sendmail unavailable: {e}")
        sys.exit(H.EXIT_SKIP)


def milter_fragment(path, socket_spec, reinject_port):
    """contrib/sendmail/sealmilter.mc with its S= socket and its reinject
    daemon's Port= replaced by ours (the reinject line dropped when
    reinject_port is None): the test runs the shipped lines, not a copy."""
    with open(path) as f:
        text = f.read()
    text, n = re.subn(r"(INPUT_MAIL_FILTER\(`sealmilter', `S=)[^,']*",
                      lambda m: m.group(1) + socket_spec, text)
    if n != 1:
        raise RuntimeError(f"{path}: expected one INPUT_MAIL_FILTER line "
                           f"for sealmilter, found {n}")
    line_re = r"^DAEMON_OPTIONS\(`Name=reinject,[^\n]*\n"
    if reinject_port is None:
        text, n = re.subn(line_re, "", text, flags=re.M)
    else:
        text, n = re.subn(r"(^DAEMON_OPTIONS\(`Name=reinject, Port=)\d+",
                          lambda m: m.group(1) + str(reinject_port), text,
                          flags=re.M)
    if n != 1:
        raise RuntimeError(f"{path}: expected one DAEMON_OPTIONS line for "
                           f"the reinject daemon, found {n}")
    return text


def _listening(port):
    """True if something listens on 127.0.0.1:port (read from
    /proc/net/tcp: connecting would start a milter session)."""
    want = f"0100007F:{port:04X}"
    try:
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[1] == want and fields[3] == "0A":
                    return True
    except OSError:
        pass
    return False


class SyslogReceiver:
    """A datagram socket at PATH that appends every syslog message it gets
    to LOGFILE, one line each (the <PRI> dropped)."""

    def __init__(self, path, logfile):
        self.path = path
        self.logfile = logfile
        self._sock = None
        self._thread = None
        self._stopping = False

    def start(self):
        if os.path.exists(self.path):
            os.unlink(self.path)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(self.path)
        os.chmod(self.path, 0o666)  # Sendmail's children may not be root
        self._sock.settimeout(0.2)
        self._thread = threading.Thread(target=self._loop, daemon=True,
                                        name="sendmail-syslog")
        self._thread.start()
        return self

    def _loop(self):
        with open(self.logfile, "ab", buffering=0) as out:
            while not self._stopping:
                try:
                    data = self._sock.recv(65536)
                except socket.timeout:
                    continue
                except OSError:
                    return
                data = re.sub(rb"^<\d+>", b"", data).rstrip(b"\n\0")
                out.write(data + b"\n")

    def close(self):
        self._stopping = True
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None


# The script unshare runs: private host name, private /dev with our
# /dev/log, then Sendmail as its child; SIGTERM to the script stops it. $1 is the private
# directory, the rest Sendmail's command line.
WRAPPER = """\
#!/bin/sh
# sendmail_harness.py: runs Sendmail in its namespaces (see there).
set -e
dir=$1
shift
hostname {hostname}
if [ "$SEALMILTER_SM_PRIVATE_DEV" = 1 ]; then
  mkdir -p "$dir/realdev"
  mount --bind /dev "$dir/realdev"
  mount -t tmpfs -o mode=0755,size=64k tmpfs /dev
  for n in null zero random urandom full tty; do
    : > "/dev/$n"
    mount --bind "$dir/realdev/$n" "/dev/$n"
  done
  umount -l "$dir/realdev"
  ln -s "$dir/log.sock" /dev/log
fi
# Not exec: this shell stays pid 1 of the namespace. Sendmail is set-group-
# id, and exec of such a binary clears the parent-death signal that
# unshare --kill-child relies on; the shell keeps it, and when the
# namespace's pid 1 dies, so does everything in it.
"$@" &
pid=$!
trap 'kill -TERM $pid' TERM INT
wait $pid || true
wait $pid
"""


class Sendmail:
    """A private Sendmail under DIR:
        DIR/etc/      sendmail.mc, sendmail.cf (m4), service.switch, hosts,
                      local-host-names (empty: nothing is local)
        DIR/mqueue/   QueueDirectory (0700)
        DIR/maillog   Sendmail's syslog lines (empty without namespaces)
        DIR/sendmail.out  its stdout and stderr
    The daemon "MTA" listens on 127.0.0.1:port (free_port() unless given),
    filtered by sealmilter at milter_spec with the lines of mc_fragment
    (contrib/sendmail/sealmilter.mc); with reinject_port its daemon
    "reinject" listens there without any filter (without, that line goes).
    Everything is relayed to [127.0.0.1]:relay_port."""

    def __init__(self, directory, root, relay_port, milter_spec,
                 reinject_port=None, port=None, mc_fragment=CONTRIB_MC):
        self.directory = directory
        self.root = root
        self.relay_port = relay_port
        self.milter_spec = milter_spec
        self.reinject_port = reinject_port
        self.port = port
        self.mc_fragment = mc_fragment
        os.makedirs(directory, mode=0o755, exist_ok=True)
        os.chmod(directory, 0o755)
        self.etc = os.path.join(directory, "etc")
        os.makedirs(self.etc, mode=0o755, exist_ok=True)
        self.queue_dir = os.path.join(directory, "mqueue")
        os.makedirs(self.queue_dir, mode=0o700, exist_ok=True)
        self.mc_path = os.path.join(self.etc, "sendmail.mc")
        self.cf_path = os.path.join(self.etc, "sendmail.cf")
        self.maillog_path = os.path.join(directory, "maillog")
        self.out_path = os.path.join(directory, "sendmail.out")
        self.wrapper = os.path.join(directory, "run-sendmail")
        # Sendmail keeps delivery statistics only if the file exists.
        open(os.path.join(directory, "sendmail.st"), "a").close()
        self.proc = None
        self.namespaces = None  # True/False once started
        self._syslog = None

    # -- configuration
    def mc(self):
        d = self.directory
        # The reinject daemon comes with the contrib lines.
        daemons = [f"DAEMON_OPTIONS(`Port={self.port}, Addr=127.0.0.1, "
                   f"Name=MTA')dnl"]
        return "\n".join([
            "divert(-1)",
            "# Private sealmilter e2e Sendmail (sendmail_harness.py)",
            "divert(0)dnl",
            f"include(`{_cf_dir(self.root)}/m4/cf.m4')dnl",
            "VERSIONID(`sealmilter e2e')dnl",
            "OSTYPE(`linux')dnl",
            f"define(`confDOMAIN_NAME', `{HOSTNAME}')dnl",
            f"define(`QUEUE_DIR', `{self.queue_dir}')dnl",
            f"define(`confPID_FILE', `{d}/sendmail.pid')dnl",
            f"define(`STATUS_FILE', `{d}/sendmail.st')dnl",
            "define(`ALIAS_FILE', `')dnl",
            "define(`confHELP_FILE', `')dnl",
            f"define(`confCW_FILE', `-o {self.etc}/local-host-names')dnl",
            f"define(`confCR_FILE', `-o {self.etc}/relay-domains')dnl",
            f"define(`confSERVICE_SWITCH_FILE', "
            f"`{self.etc}/service.switch')dnl",
            f"define(`confHOSTS_FILE', `{self.etc}/hosts')dnl",
            "define(`confDONT_PROBE_INTERFACES', `True')dnl",
            # The milter socket lives under /tmp (sticky, world-writable).
            "define(`confDONT_BLAME_SENDMAIL', "
            "`GroupWritableDirPathSafe,TrustStickyBit')dnl",
            "define(`confLOG_LEVEL', `14')dnl",
            "define(`confTO_CONNECT', `10s')dnl",
            "define(`confTO_ICONNECT', `10s')dnl",
            "define(`confMIN_QUEUE_AGE', `0')dnl",
            "define(`confMAX_MESSAGE_SIZE', `" + str(32 * 1024 * 1024) +
            "')dnl",
            "define(`SMART_HOST', `esmtp:[127.0.0.1]')dnl",
            f"define(`ESMTP_MAILER_ARGS', `TCP $h {self.relay_port}')dnl",
            "FEATURE(`no_default_msa')dnl",
            "FEATURE(`nocanonify')dnl",
            "FEATURE(`accept_unresolvable_domains')dnl",
            "RELAY_DOMAIN(`127.0.0.1')dnl",
            *daemons,
            "dnl # --- contrib/sendmail/sealmilter.mc, socket and reinject "
            "port replaced:",
            milter_fragment(self.mc_fragment, self.milter_spec,
                            self.reinject_port).rstrip("\n"),
            "dnl # ---",
            "MAILER(`smtp')dnl",
            ""])

    def _write_config(self):
        files = {
            "sendmail.mc": self.mc(),
            "service.switch": "hosts files\naliases files\n",
            "hosts": f"127.0.0.1 localhost {HOSTNAME} harness\n",
            "local-host-names": "",
            "relay-domains": "127.0.0.1\n",
        }
        for name, text in files.items():
            with open(os.path.join(self.etc, name), "w") as f:
                f.write(text)
        p = subprocess.run(
            ["m4", f"-D_CF_DIR_={_cf_dir(self.root)}/", self.mc_path],
            capture_output=True, timeout=60)
        err = p.stderr.decode("utf-8", "replace").strip()
        if p.returncode != 0 or not p.stdout:
            raise RuntimeError(f"m4 {self.mc_path} failed ({p.returncode}): "
                               f"{err}")
        with open(self.cf_path, "wb") as f:
            f.write(p.stdout)
        with open(self.wrapper, "w") as f:
            f.write(WRAPPER.format(hostname=HOSTNAME))
        os.chmod(self.wrapper, 0o755)

    # -- running
    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def _command(self, namespaces):
        sm = [_binary(self.root), "-C", self.cf_path, "-bD", "-q2s"]
        if namespaces:
            cmd = ["unshare", "--uts", "--mount", "--pid", "--fork",
                   "--kill-child", "/bin/sh", self.wrapper, self.directory,
                   *sm]
            # Should this test die without cleaning up (SIGKILL), the
            # kernel kills unshare, and unshare's namespace with it.
            if shutil.which("setpriv"):
                cmd = ["setpriv", "--pdeathsig", "KILL", "--"] + cmd
            return cmd
        return sm

    def start(self, timeout=SENDMAIL_TIMEOUT):
        """Writes the config and starts Sendmail; returns once the MTA (and
        reinject) ports listen. Retries on new ports should another program
        have taken ours; raises RuntimeError with Sendmail's output if it
        does not come up."""
        fixed = self.port is not None
        H._register(self)
        modes = [True, False] if shutil.which("unshare") else [False]
        for attempt in range(3):
            if not fixed:
                self.port = H.free_port()
            self._write_config()
            namespaces = modes[0]
            if namespaces and self._syslog is None:
                self._syslog = SyslogReceiver(
                    os.path.join(self.directory, "log.sock"),
                    self.maillog_path).start()
            env = dict(os.environ)
            env["SEALMILTER_SM_PRIVATE_DEV"] = "1"
            out = open(self.out_path, "ab")
            try:
                self.proc = subprocess.Popen(
                    self._command(namespaces), stdin=subprocess.DEVNULL,
                    stdout=out, stderr=out, env=env, start_new_session=True)
            finally:
                out.close()
            self.namespaces = namespaces
            ports = [self.port] + ([self.reinject_port]
                                   if self.reinject_port else [])
            # Without a dotted host name Sendmail sleeps 60 s first.
            limit = timeout + (0 if namespaces else 70)
            deadline = time.monotonic() + limit
            while time.monotonic() < deadline:
                if all(_listening(p) for p in ports):
                    return self
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
            text = H.read_text(self.out_path)
            self._kill()
            if namespaces and "unshare:" in text and len(modes) > 1:
                H.log("harness: unshare failed, running Sendmail without "
                      f"namespaces (no maillog): {H.tail(text, 3)}")
                modes = modes[1:]
                continue
            if "Address already in use" in text and not fixed \
                    and attempt < 2:
                H.log(f"harness: port {self.port} taken meanwhile; retrying")
                continue
            raise RuntimeError(f"Sendmail did not start within {limit:.0f}s:"
                               f"\n{H.tail(text)}\nmaillog:\n"
                               f"{H.tail(self.maillog())}")
        raise RuntimeError("Sendmail did not start")

    def _kill(self):
        proc = self.proc
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)
        self.proc = None

    def _daemon_pid(self):
        """The pid (in our namespace) to send SIGTERM to: the unshare
        process's child (the wrapper, which passes it on to Sendmail), or
        Sendmail itself without namespaces."""
        if self.proc is None:
            return None
        if not self.namespaces:
            return self.proc.pid
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/"
                      f"children") as f:
                kids = [int(x) for x in f.read().split()]
        except OSError:
            return None
        return kids[0] if kids else None

    def stop(self, timeout=SENDMAIL_TIMEOUT):
        """SIGTERM to the daemon, then waits; SIGKILL to the namespace after
        `timeout`. Idempotent."""
        proc = self.proc
        if proc is None:
            return None
        pid = self._daemon_pid()
        if pid is not None and proc.poll() is None:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                H.log(f"harness: Sendmail ignored SIGTERM for {timeout:.0f}s;"
                      " killing it")
        self._kill()
        return proc.returncode

    def close(self):
        try:
            self.stop()
        finally:
            if self._syslog is not None:
                self._syslog.close()
                self._syslog = None
            H._unregister(self)

    # -- inspection
    def maillog(self):
        return H.read_text(self.maillog_path)

    def wait_for_maillog(self, regex, timeout=H.MAILLOG_TIMEOUT):
        r = re.compile(regex, re.M)
        return H.wait_until(lambda: r.search(self.maillog()), timeout,
                            what=f"Sendmail maillog line /{regex}/")

    def maillog_for(self, queue_id):
        return [l for l in self.maillog().splitlines()
                if f" {queue_id}: " in l]

    def queued_files(self):
        """Queue control files (qf*) in the queue directory: messages that
        Sendmail accepted and has not delivered yet."""
        return sorted(glob.glob(os.path.join(self.queue_dir, "qf*")))

    def queue_files(self):
        """Every file in the queue directory (qf, df, tf, xf...)."""
        return sorted(os.listdir(self.queue_dir))

    def send(self, message, mail_from, rcpts, timeout=60,
             helo="client.e2e.test", mail_options=None):
        """harness.smtp_send() to the MTA daemon."""
        return H.smtp_send(self.port, message, mail_from, rcpts,
                           timeout=timeout, helo=helo,
                           mail_options=mail_options)


class SendmailStack:
    """Sink + sealmilter + private Sendmail in one private directory, as a
    context manager that always cleans up (like harness.Stack).

        with SendmailStack(binary, root, milter_values=...) as st:
            st.sink, st.milter, st.sendmail

    With reinject, gateway.reinject points at the Sendmail daemon without
    filter (a value in milter_values wins)."""

    def __init__(self, binary, root, milter_values=None, reinject=False,
                 prefix="sealmilter-sm-e2e-", keep=None):
        self.binary = binary
        self.root = root
        self.reinject_port = H.free_port() if reinject else None
        self.milter_values = dict(milter_values or {})
        if self.reinject_port:
            self.milter_values.setdefault(
                "gateway.reinject",
                H.toml_string(f"127.0.0.1:{self.reinject_port}"))
        self.dir = H.make_private_dir(prefix)
        self.keep = keep if keep is not None else \
            os.environ.get("SEALMILTER_E2E_KEEP") == "1"
        self.sink = self.milter = self.sendmail = None
        H._register(self)

    def start(self):
        try:
            self.sink = H.SmtpSink(os.path.join(self.dir, "sink")).start()
            self.milter = H.Milter(self.binary,
                                   os.path.join(self.dir, "milter"),
                                   self.milter_values).start()
            self.sendmail = Sendmail(os.path.join(self.dir, "sendmail"),
                                     self.root, self.sink.port,
                                     self.milter.socket_spec,
                                     reinject_port=self.reinject_port
                                     ).start()
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
            H.log(f"--- sealmilter log ({self.milter.log_path}), last lines:")
            H.log(H.tail(self.milter.log()))
        if self.sendmail is not None:
            H.log(f"--- Sendmail maillog ({self.sendmail.maillog_path}), "
                  f"last lines:")
            H.log(H.tail(self.sendmail.maillog()))
            H.log(f"--- Sendmail output: "
                  f"{H.tail(H.read_text(self.sendmail.out_path), 10)}")
        if self.sink is not None:
            H.log(f"--- sink: {self.sink.count()} message(s) in "
                  f"{self.sink.directory}; errors: {self.sink.errors}")

    def close(self):
        try:
            for part in (self.sendmail, self.milter, self.sink):
                if part is not None:
                    try:
                        part.close()
                    except Exception:
                        traceback.print_exc()
        finally:
            H._unregister(self)
            if os.path.isdir(self.dir):
                if self.keep:
                    H.log(f"harness: kept {self.dir}")
                else:
                    shutil.rmtree(self.dir, ignore_errors=True)


def main(argv):
    """--prepare: download and unpack Sendmail into the cache (for
    scripts/install-deps). Exit 0 with the tree's path, 1 with the
    reason."""
    if argv != ["--prepare"]:
        print("usage: sendmail_harness.py --prepare", file=sys.stderr)
        return 64
    try:
        print(prepare())
        return 0
    except Unavailable as e:
        print(f"sendmail_harness.py: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
