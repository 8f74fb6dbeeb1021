#!/usr/bin/env python3
"""Privilege drop, black-box (needs root; skipped otherwise, exit 77).

* started as root with milter.user = "nobody", the running daemon has
  real, effective, saved and file-system uid and gid of nobody, only
  nobody's supplementary groups, no capabilities, and cannot regain root;
* the unix socket is created owned by nobody with mode 0660 (no window
  with other permissions), group nogroup by default, milter.socket_group
  (e.g. "mail") when set; milter.socket_mode and milter.group are honoured;
* root refuses to run with milter.user = "" or a user whose uid is 0
  (exit 71, a clear message); an unknown user or group is a config error
  (exit 78);
* a config file only root can read makes a later SIGUSR1 reload fail
  clearly while the daemon keeps serving.

usage: test_privileges.py --daemon PATH [--miltertest PATH] [unittest
args]
"""

import grp
import os
import pwd
import re
import signal
import stat
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtharness as H  # noqa: E402

ARGS = None


def ids(status, key):
    return [int(x) for x in status[key].split()]


class PrivilegesTest(unittest.TestCase):
    def setUp(self):
        self.env = H.TestEnv(prefix="mt-priv-")
        self.addCleanup(self.env.cleanup)
        self.nobody = pwd.getpwnam("nobody")

    def run_daemon(self, overrides=None):
        self.env.write_config(overrides)
        d = H.Daemon(ARGS.daemon, self.env).start()
        self.addCleanup(d.kill)
        return d

    def stop(self, d):
        rc = d.stop()
        log = d.log()
        self.assertEqual(rc, 0, log)
        self.assertEqual(H.sanitizer_reports(log), [], log)
        self.assertEqual(H.error_lines(log), [], log)

    def start_failing(self, overrides, code, message):
        self.env.write_config(overrides)
        d = H.Daemon(ARGS.daemon, self.env)
        d.start(wait=False)
        try:
            rc = d.proc.wait(H.START_TIMEOUT)
        finally:
            d.kill()
        log = d.log()
        self.assertEqual(rc, code, log)
        self.assertRegex(log, r"(?m)^sealmilter\[\d+\]: error: startup: " +
                         message + "$")
        self.assertNotIn("listening on", log)
        self.assertEqual(H.sanitizer_reports(log), [], log)

    def test_process_runs_as_nobody(self):
        d = self.run_daemon()
        st = H.proc_status(d.pid)
        uid, gid = self.nobody.pw_uid, self.nobody.pw_gid
        self.assertEqual(ids(st, "Uid"), [uid] * 4)   # real eff saved fs
        self.assertEqual(ids(st, "Gid"), [gid] * 4)
        allowed = set(os.getgrouplist("nobody", gid))
        groups = set(int(g) for g in st["Groups"].split())
        self.assertTrue(groups <= allowed, (groups, allowed))
        self.assertNotIn(0, groups)
        for cap in ("CapEff", "CapPrm", "CapInh", "CapAmb"):
            self.assertEqual(int(st.get(cap, "0"), 16), 0, cap)
        self.assertIn(f"uid {uid})", d.log())
        # The cwd is "/" (no directory kept busy).
        self.assertEqual(os.readlink(f"/proc/{d.pid}/cwd"), "/")
        H.smoke(ARGS.miltertest, self.env, d.pid)
        self.stop(d)

    def assert_socket(self, uid, gid, mode):
        st = os.stat(self.env.socket_path)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual((st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)),
                         (uid, gid, mode),
                         f"socket is {st.st_uid}:{st.st_gid} "
                         f"{oct(stat.S_IMODE(st.st_mode))}")

    def test_socket_owner_and_mode(self):
        d = self.run_daemon()
        self.assert_socket(self.nobody.pw_uid, self.nobody.pw_gid, 0o660)
        self.stop(d)

    def test_socket_group(self):
        mail = grp.getgrnam("mail").gr_gid
        d = self.run_daemon({"milter.socket_group": '"mail"'})
        self.assert_socket(self.nobody.pw_uid, mail, 0o660)
        # Only the socket: the process keeps nobody's group.
        self.assertEqual(ids(H.proc_status(d.pid), "Gid")[0],
                         self.nobody.pw_gid)
        self.stop(d)

    def test_socket_mode(self):
        d = self.run_daemon({"milter.socket_mode": '"0600"'})
        self.assert_socket(self.nobody.pw_uid, self.nobody.pw_gid, 0o600)
        self.stop(d)

    def test_group_option(self):
        mail = grp.getgrnam("mail").gr_gid
        d = self.run_daemon({"milter.group": '"mail"'})
        self.assertEqual(ids(H.proc_status(d.pid), "Gid"), [mail] * 4)
        self.assert_socket(self.nobody.pw_uid, mail, 0o660)
        self.stop(d)

    def test_refuses_root_with_empty_user(self):
        self.start_failing({"milter.user": '""'}, H.EXIT_OS_ERROR,
                           r"refusing to run as root: set milter\.user to an "
                           r"unprivileged user")

    def test_refuses_user_root(self):
        self.start_failing({"milter.user": '"root"'}, H.EXIT_OS_ERROR,
                           r"milter\.user root is root; choose an "
                           r"unprivileged user")

    def test_unknown_user_and_group(self):
        self.start_failing({"milter.user": '"no-such-user-x"'},
                           H.EXIT_CONFIG, r"no such user: no-such-user-x")
        self.start_failing({"milter.socket_group": '"no-such-group-x"'},
                           H.EXIT_CONFIG, r"no such group: no-such-group-x")
        self.start_failing({"milter.group": '"no-such-group-y"'},
                           H.EXIT_CONFIG, r"no such group: no-such-group-y")

    def test_reload_of_a_root_only_config_fails_clearly(self):
        d = self.run_daemon()
        os.chmod(self.env.config_path, 0o600)     # root:root, as shipped
        d.signal(signal.SIGUSR1)
        d.wait_log(r"configuration reload failed")
        self.assertRegex(
            d.log(), r"error: reload: configuration reload failed, keeping "
                     r"generation 1: cannot open config file " +
                     re.escape(self.env.config_path) +
                     r": Permission denied$")
        H.smoke(ARGS.miltertest, self.env, d.pid)
        rc = d.stop()
        self.assertEqual(rc, 0)
        self.assertEqual(len(H.error_lines(d.log())), 1)


def main():
    global ARGS
    ARGS, argv = H.parse_common_args(sys.argv[1:], __doc__)
    if not H.IS_ROOT:
        print("not root: privilege tests skipped")
        sys.exit(77)
    unittest.main(argv=argv, verbosity=2)


if __name__ == "__main__":
    main()
