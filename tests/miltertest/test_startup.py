#!/usr/bin/env python3
"""sealmilter start-up, daemon mode and shutdown, black-box.

* start-up failures give exit 71 (OS error) or 78 (config) and one clear
  message: unusable or missing spool directory, missing socket directory,
  bad or too long socket address, a second instance on a socket in use;
* a stale socket file from a crash is replaced;
* daemon mode (no -f): the parent exits 0 only once the child is ready
  (socket accepts connections, pid file written, start-up logged), and
  exits non-zero with the child's error message when the child fails
  after the fork; the child is a session leader and leaves nothing behind
  on failure;
* SIGTERM, SIGINT and SIGHUP stop the daemon cleanly (exit 0, "sealmilter
  stopped"), also with connections open in the middle of a message, and
  also the moment start-up has been reported.

usage: test_startup.py --daemon PATH [--miltertest PATH] [unittest args]
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtharness as H  # noqa: E402

ARGS = None


class Base(unittest.TestCase):
    def setUp(self):
        self.env = H.TestEnv(prefix="mt-startup-")
        self.addCleanup(self.env.cleanup)

    def start_failing(self, overrides, exit_code, message):
        """Starts in the foreground with -e; expects exit_code and
        `message` (regex) in an error line. Returns the log."""
        self.env.write_config(overrides)
        d = H.Daemon(ARGS.daemon, self.env)
        d.start(wait=False)
        try:
            rc = d.proc.wait(H.START_TIMEOUT)
        finally:
            d.kill()
        log = d.log()
        self.assertEqual(rc, exit_code, log)
        self.assertEqual(H.sanitizer_reports(log), [], log)
        self.assertRegex(log, r"(?m)^sealmilter\[\d+\]: error: startup: " +
                         message, log)
        self.assertNotIn("listening on", log)
        return log

    def assert_clean_stop(self, d, rc):
        log = d.log()
        self.assertEqual(rc, 0, log)
        self.assertIn("notice: shutdown: sealmilter stopped", log)
        self.assertEqual(H.sanitizer_reports(log), [], log)
        self.assertEqual(H.error_lines(log), [], log)


class StartupFailureTest(Base):
    def test_unwritable_spool_directory(self):
        if H.IS_ROOT:
            os.chown(self.env.spool, 0, 0)     # nobody cannot write
        os.chmod(self.env.spool, 0o500)
        self.start_failing({}, H.EXIT_OS_ERROR,
                           r"spool\.directory is not usable: cannot create "
                           r"spool file in " + re.escape(self.env.spool) +
                           r": Permission denied$")

    def test_missing_spool_directory(self):
        missing = os.path.join(self.env.dir, "no-such-spool")
        self.start_failing({"spool.directory": H.toml_string(missing)},
                           H.EXIT_OS_ERROR,
                           r"spool\.directory is not usable: .*" +
                           re.escape(missing) +
                           r": No such file or directory$")

    def test_spool_directory_is_a_file(self):
        path = os.path.join(self.env.dir, "file")
        open(path, "w").close()
        os.chmod(path, 0o666)
        self.start_failing({"spool.directory": H.toml_string(path)},
                           H.EXIT_OS_ERROR,
                           r"spool\.directory is not usable: .*" +
                           re.escape(path))

    def test_missing_socket_directory(self):
        sock = os.path.join(self.env.dir, "no", "such", "dir", "s.sock")
        self.start_failing({"milter.socket": H.toml_string("unix:" + sock)},
                           H.EXIT_OS_ERROR,
                           r"socket directory " +
                           re.escape(os.path.dirname(sock)) +
                           r": No such file or directory$")
        self.assertFalse(os.path.exists(os.path.dirname(sock)))

    def test_socket_path_too_long(self):
        sock = "unix:/tmp/" + "x" * 120 + ".sock"
        self.start_failing({"milter.socket": H.toml_string(sock)},
                           H.EXIT_CONFIG,
                           r"milter\.socket: unix socket path is longer than "
                           r"107 bytes")

    def test_bad_socket_spec(self):
        for spec, message in (
                ("tcp:25", r"is not unix:PATH, local:PATH, inet:PORT@HOST"),
                ("unix:relative.sock", r"unix socket path must be absolute"),
                ("inet:0@127.0.0.1", r"bad port"),
                ("inet:99999@127.0.0.1", r"bad port"),
                ("inet:2525@", r"empty host")):
            with self.subTest(spec=spec):
                self.start_failing({"milter.socket": H.toml_string(spec)},
                                   H.EXIT_CONFIG, r"milter\.socket: .*" +
                                   message)

    def test_stale_socket_file_is_replaced(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(self.env.socket_path)    # left behind, nobody listening
        s.close()
        self.env.write_config()
        d = H.Daemon(ARGS.daemon, self.env).start()
        try:
            H.smoke(ARGS.miltertest, self.env, d.pid)
        finally:
            rc = d.stop()
        self.assert_clean_stop(d, rc)

    # Daemon bug (reported): the second instance unlinks the first one's
    # live socket (libmilter's smfi_opensocket(rmsocket=true)) and takes
    # over; the first keeps running, unreachable. Expected: refuse with
    # exit 71 while the socket accepts connections.
    @unittest.expectedFailure
    def test_second_instance_on_a_live_socket_is_refused(self):
        self.env.write_config()
        first = H.Daemon(ARGS.daemon, self.env).start()
        inode = os.stat(self.env.socket_path).st_ino
        second = H.Daemon(ARGS.daemon, self.env)
        second.start(wait=False)
        try:
            try:
                rc = second.proc.wait(10)
            except subprocess.TimeoutExpired:
                rc = None
            self.assertEqual(os.stat(self.env.socket_path).st_ino, inode,
                             "the running daemon's socket was replaced")
            self.assertEqual(rc, H.EXIT_OS_ERROR)
            self.assertRegex(second.log(), r"error: startup: .*in use")
        finally:
            second.stop()
            first.stop()


class DaemonModeTest(Base):
    def start_detached(self, overrides, log_stderr=True, rewrite=True):
        """Runs sealmilter without -f; returns the parent's exit code,
        standard output, standard error and run time."""
        if rewrite:
            self.env.write_config(overrides)
        argv = [ARGS.daemon, "-c", self.env.config_path]
        if log_stderr:
            argv.insert(1, "-e")
        # Files, not pipes: the child keeps its standard error open (-e)
        # and a pipe would make us wait for it.
        out_path = os.path.join(self.env.dir, "parent.out")
        err_path = os.path.join(self.env.dir, "parent.err")
        t0 = time.monotonic()
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            rc = subprocess.call(argv, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=err, env=H.daemon_env(),
                                 cwd=self.env.dir, timeout=H.START_TIMEOUT)
        took = time.monotonic() - t0
        return rc, H.read_text(out_path), H.read_text(err_path), took

    def child_pid_from(self, text):
        m = re.search(r"sealmilter\[(\d+)\]:", text)
        self.assertIsNotNone(m, text)
        pid = int(m.group(1))
        H.remember_pid(pid)
        return pid

    def stop_pid(self, pid):
        os.kill(pid, signal.SIGTERM)
        self.assertTrue(H.wait_pid_gone(pid, H.STOP_TIMEOUT),
                        f"daemon {pid} did not stop")
        H.forget_pid(pid)

    def test_parent_exits_zero_once_the_child_is_ready(self):
        pid_file = os.path.join(self.env.dir, "sealmilter.pid")
        rc, out, err, took = self.start_detached(
            {"milter.pid_file": H.toml_string(pid_file)})
        # Read everything the instant the parent is gone: no waiting here.
        connectable = H.socket_connectable(self.env.socket_path)
        pid_text = H.read_text(pid_file) if os.path.exists(pid_file) else ""
        self.assertEqual(rc, 0, err)
        self.assertEqual(out, "")
        self.assertTrue(connectable, "socket not accepting at parent exit")
        self.assertRegex(pid_text, r"^\d+\n$")
        pid = int(pid_text)
        H.remember_pid(pid)
        try:
            self.assertTrue(H.pid_alive(pid))
            self.assertRegex(err, r"(?m)^sealmilter\[" + str(pid) +
                             r"\]: notice: startup: sealmilter .* listening")
            # A session leader, detached from us.
            self.assertEqual(os.getsid(pid), pid)
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
            self.assertNotEqual(stat.rsplit(")", 1)[1].split()[1],
                                str(os.getpid()))
            # Standard input and output now point at /dev/null.
            self.assertEqual(os.readlink(f"/proc/{pid}/fd/0"), "/dev/null")
            self.assertEqual(os.readlink(f"/proc/{pid}/fd/1"), "/dev/null")
            H.smoke(ARGS.miltertest, self.env, pid,
                    log_path=os.path.join(self.env.dir, "parent.err"))
        finally:
            self.stop_pid(pid)
        log = H.read_text(os.path.join(self.env.dir, "parent.err"))
        self.assertIn("notice: shutdown: sealmilter stopped", log)
        self.assertEqual(H.sanitizer_reports(log), [])
        print(f"\n  daemon mode: parent returned after {took:.2f} s",
              file=sys.stderr)

    def test_without_e_the_parent_is_silent(self):
        pid_file = os.path.join(self.env.dir, "sealmilter.pid")
        rc, out, err, _ = self.start_detached(
            {"milter.pid_file": H.toml_string(pid_file)}, log_stderr=False)
        self.assertEqual((rc, out, err), (0, "", ""))
        pid = int(H.read_text(pid_file))
        H.remember_pid(pid)
        self.assertEqual(os.readlink(f"/proc/{pid}/fd/2"), "/dev/null")
        self.stop_pid(pid)

    def check_child_failure(self, overrides, message, log_stderr=True):
        rc, out, err, _ = self.start_detached(overrides, log_stderr)
        self.assertEqual(rc, H.EXIT_OS_ERROR, err)
        self.assertEqual(out, "")
        # The parent repeats the child's message as its own last word.
        self.assertRegex(err, r"(?m)^sealmilter: " + message)
        self.assertEqual(H.sanitizer_reports(err), [], err)
        if log_stderr:
            pid = self.child_pid_from(err)
            self.assertTrue(H.wait_pid_gone(pid, 10),
                            f"failed child {pid} still running")
            H.forget_pid(pid)
        return err

    def test_parent_reports_child_start_up_failure(self):
        if H.IS_ROOT:
            os.chown(self.env.spool, 0, 0)
        os.chmod(self.env.spool, 0o500)
        for log_stderr in (True, False):
            with self.subTest(log_stderr=log_stderr):
                self.check_child_failure(
                    {}, r"spool\.directory is not usable: cannot create "
                        r"spool file in " + re.escape(self.env.spool) +
                        r": Permission denied$", log_stderr)

    def test_parent_reports_pid_file_failure(self):
        pid_file = os.path.join(self.env.dir, "missing-dir", "x.pid")
        self.check_child_failure(
            {"milter.pid_file": H.toml_string(pid_file)},
            r"cannot write pid file " + re.escape(pid_file) +
            r": No such file or directory$")

    def test_config_error_before_fork(self):
        # Configuration errors are found before the fork: exit 78 at once.
        self.env.write_config({"spool.bogus": "1"})
        rc, out, err, _ = self.start_detached(None, rewrite=False)
        self.assertEqual(rc, H.EXIT_CONFIG, err)
        self.assertRegex(err, r"^sealmilter: " +
                         re.escape(self.env.config_path) +
                         r":\d+:\d+: unknown key 'spool\.bogus'")
        self.assertNotIn("sealmilter[", err)   # no child ever logged
        self.assertFalse(os.path.exists(self.env.socket_path))


class ShutdownTest(Base):
    def test_signals_stop_cleanly(self):
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            with self.subTest(signal=sig.name):
                self.env.write_config()
                d = H.Daemon(ARGS.daemon, self.env).start()
                H.smoke(ARGS.miltertest, self.env, d.pid,
                        qid="SIG" + sig.name)
                t0 = time.monotonic()
                d.signal(sig)
                try:
                    rc = d.proc.wait(H.STOP_TIMEOUT)
                finally:
                    d.kill()
                took = time.monotonic() - t0
                self.assert_clean_stop(d, rc)
                print(f"\n  {sig.name}: stopped in {took:.1f} s",
                      file=sys.stderr)
                os.unlink(self.env.log_path)

    def test_stop_with_connections_mid_message(self):
        self.env.write_config()
        d = H.Daemon(ARGS.daemon, self.env).start()
        clients = []
        try:
            for i in range(5):
                c = H.MilterClient(self.env.socket_path)
                clients.append(c)
                c.open(f"STOP{i}")
                self.assertEqual(c.header("Subject", "x").cmd, "c")
                self.assertEqual(c.eoh().cmd, "c")
                self.assertEqual(c.body(b"z" * (3000 * i + 10)).cmd, "c")
            idle = H.MilterClient(self.env.socket_path)
            clients.append(idle)
            idle.negotiate()
            rc = d.stop()
        finally:
            for c in clients:
                c.close(quit=False)
            d.kill()
        self.assert_clean_stop(d, rc)
        self.assertNotIn("passed unchanged", d.log())

    def test_stop_the_moment_start_up_is_reported(self):
        # "listening on" is logged (and a detached parent exits) only once
        # libmilter's listener has answered a probe: a stop that follows at
        # once finds the listener in its loop and ends cleanly. Before, the
        # line came before smfi_main, and a SIGTERM racing libmilter's
        # start could make smfi_main fail (exit 71). Each stop takes up to
        # libmilter's 5 s poll interval, hence only five rounds.
        for i in range(5):
            with self.subTest(round=i):
                self.env.write_config()
                d = H.Daemon(ARGS.daemon, self.env).start(wait=False)
                try:
                    deadline = time.monotonic() + H.START_TIMEOUT
                    while "listening on" not in d.log():
                        self.assertIsNone(d.proc.poll(), d.log())
                        self.assertLess(time.monotonic(), deadline, d.log())
                        time.sleep(0.002)
                    d.signal(signal.SIGTERM)
                    rc = d.proc.wait(H.STOP_TIMEOUT)
                finally:
                    d.kill()
                self.assert_clean_stop(d, rc)
                os.unlink(self.env.log_path)


def main():
    global ARGS
    ARGS, argv = H.parse_common_args(sys.argv[1:], __doc__)
    unittest.main(argv=argv, verbosity=2)


if __name__ == "__main__":
    main()
