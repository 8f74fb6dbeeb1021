#!/usr/bin/env python3
"""Runs the PostgreSQL store tests against a private server.

Starts a throw-away cluster (initdb into a temp dir, as the postgres user
when run as root) listening only on 127.0.0.1 at a free port and a socket
in the temp dir, creates the database, runs the test binary given as the
first argument with SEAL_PG_CONNINFO (and SEAL_TEST_PG_CONNINFO, which
makes the shared store suites use PostgreSQL) / SEAL_PG_STOP / SEAL_PG_START set,
then stops the server and removes the directory. Exits 77 (skipped) when
no PostgreSQL server binaries are installed (Debian: postgresql).
"""
import glob
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile


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


def main():
    if len(sys.argv) < 2:
        print("usage: run_pg_tests.py TEST_BINARY [catch2 args...]")
        return 2
    bindir = find_bindir()
    if bindir is None:
        print("skipped: no PostgreSQL server binaries (apt-get install "
              "postgresql)")
        return 77
    as_user = []
    tmp = tempfile.mkdtemp(prefix="sealmilter-pg-")
    if os.getuid() == 0:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            print("skipped: running as root and there is no postgres user")
            return 77
        os.chmod(tmp, 0o700)
        os.chown(tmp, pw.pw_uid, pw.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data = os.path.join(tmp, "data")
    log = os.path.join(tmp, "server.log")
    port = free_port()
    pg_ctl = os.path.join(bindir, "pg_ctl")
    opts = ("-k %s -h 127.0.0.1 -p %d -c fsync=off -c max_connections=60"
            % (tmp, port))
    start = as_user + [pg_ctl, "-D", data, "-l", log, "-w", "-t", "60",
                       "-o", opts, "start"]
    stop = as_user + [pg_ctl, "-D", data, "-m", "fast", "-w", "stop"]
    started = False
    try:
        subprocess.run(as_user + [os.path.join(bindir, "initdb"), "-D", data,
                                  "-A", "trust", "-U", "sealtest", "-E",
                                  "UTF8", "--locale=C"],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(start, check=True, stdout=subprocess.DEVNULL)
        started = True
        subprocess.run(as_user + [os.path.join(bindir, "createdb"), "-h",
                                  "127.0.0.1", "-p", str(port), "-U",
                                  "sealtest", "sealtest"], check=True)
        env = dict(os.environ)
        env["SEAL_PG_CONNINFO"] = (
            "host=127.0.0.1 port=%d dbname=sealtest user=sealtest" % port)
        # The shared store suites (testing::TestDb) use PostgreSQL too.
        env["SEAL_TEST_PG_CONNINFO"] = env["SEAL_PG_CONNINFO"]
        env["SEAL_PG_STOP"] = " ".join(map(shlex.quote, stop)) + " >/dev/null"
        env["SEAL_PG_START"] = " ".join(map(shlex.quote, start)) + " >/dev/null"
        return subprocess.run(sys.argv[1:], env=env).returncode
    except subprocess.CalledProcessError as e:
        print("cannot start the private PostgreSQL server: %s" % e)
        if os.path.exists(log):
            with open(log) as f:
                print(f.read()[-4000:])
        return 1
    finally:
        if started:
            subprocess.run(stop + ["-m", "immediate"],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
