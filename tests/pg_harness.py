"""A private, throw-away PostgreSQL server for tests (standard library only).

    import pg_harness
    with pg_harness.PgServer() as pg:      # raises pg_harness.Unavailable
        pg.conninfo                        # "host=127.0.0.1 port=N ..."
        pg.stop(); pg.start()              # same data directory, same port

initdb into a temp dir (as the postgres user when run as root), trust
authentication, listening only on 127.0.0.1 at a free port plus a socket in
the temp dir, fsync off; one database and role "sealtest". close() stops the
server (immediate) and removes the directory. Unavailable means "skip": no
server binaries (Debian: postgresql) or root without a postgres user.
"""
import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile


class Unavailable(Exception):
    """PostgreSQL cannot be run here; the message says why."""


def find_bindir():
    for initdb in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                         reverse=True):
        return os.path.dirname(initdb)
    path = shutil.which("initdb")
    return os.path.dirname(path) if path else None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self, db="sealtest", user="sealtest", max_connections=60):
        self.bindir = find_bindir()
        if self.bindir is None:
            raise Unavailable("no PostgreSQL server binaries (apt-get "
                              "install postgresql)")
        self.as_user = []
        if os.getuid() == 0:
            try:
                self._pw = pwd.getpwnam("postgres")
            except KeyError:
                raise Unavailable("running as root and there is no postgres "
                                  "user")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.db = db
        self.user = user
        self.max_connections = max_connections
        self.tmp = None
        self.port = None
        self.running = False

    def _bin(self, name):
        return os.path.join(self.bindir, name)

    @property
    def data(self):
        return os.path.join(self.tmp, "data")

    @property
    def log_path(self):
        return os.path.join(self.tmp, "server.log")

    @property
    def conninfo(self):
        return ("host=127.0.0.1 port=%d dbname=%s user=%s"
                % (self.port, self.db, self.user))

    def start_cmd(self):
        opts = ("-k %s -h 127.0.0.1 -p %d -c fsync=off -c max_connections=%d"
                % (self.tmp, self.port, self.max_connections))
        return self.as_user + [self._bin("pg_ctl"), "-D", self.data, "-l",
                               self.log_path, "-w", "-t", "60", "-o", opts,
                               "start"]

    def stop_cmd(self, mode="fast"):
        return self.as_user + [self._bin("pg_ctl"), "-D", self.data, "-m",
                               mode, "-w", "stop"]

    def shell(self, cmd):
        """cmd as one shell line (for SEAL_PG_START/SEAL_PG_STOP)."""
        return " ".join(map(shlex.quote, cmd)) + " >/dev/null"

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def setup(self):
        """initdb, start, createdb. Raises RuntimeError with the log tail."""
        self.tmp = tempfile.mkdtemp(prefix="sealmilter-pg-")
        if self.as_user:
            os.chmod(self.tmp, 0o700)
            os.chown(self.tmp, self._pw.pw_uid, self._pw.pw_gid)
        self.port = free_port()
        try:
            subprocess.run(self.as_user + [self._bin("initdb"), "-D",
                                           self.data, "-A", "trust", "-U",
                                           self.user, "-E", "UTF8",
                                           "--locale=C"],
                           check=True, stdout=subprocess.DEVNULL)
            self.start()
            subprocess.run(self.as_user + [self._bin("createdb"), "-h",
                                           "127.0.0.1", "-p", str(self.port),
                                           "-U", self.user, self.db],
                           check=True)
        except subprocess.CalledProcessError as e:
            tail = self.log()[-4000:]
            self.close()
            raise RuntimeError("cannot start the private PostgreSQL server: "
                               "%s\n%s" % (e, tail))
        return self

    def start(self):
        subprocess.run(self.start_cmd(), check=True,
                       stdout=subprocess.DEVNULL)
        self.running = True

    def stop(self, mode="fast"):
        subprocess.run(self.stop_cmd(mode), check=True,
                       stdout=subprocess.DEVNULL)
        self.running = False

    def close(self):
        """Stops the server if running and removes the directory.
        Idempotent."""
        if self.running:
            subprocess.run(self.stop_cmd("immediate"),
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            self.running = False
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def __enter__(self):
        return self.setup()

    def __exit__(self, *exc):
        self.close()
