#!/usr/bin/env python3
"""SIGUSR1 configuration reload, black-box against the real daemon.

* a good change is logged "configuration reloaded from PATH (generation
  2)" and takes effect for the next message (spool.memory_limit, log.level);
* a broken file (TOML syntax, unknown key, bad value, cross-key error,
  missing or unreadable file) is logged as one error line with file:line:
  column where there is one, the generation stays, and the daemon keeps
  serving (a miltertest transaction after each); failed reloads do not use
  up generation numbers;
* a restart-only key changed logs one warning per key and keeps its old
  value: the daemon still listens on the old socket;
* a burst of signals during traffic is survived (no crash, no sanitizer
  report, every message accepted).

usage: test_reload.py --daemon PATH [--miltertest PATH] [unittest args]
"""

import os
import re
import signal
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtharness as H  # noqa: E402

ARGS = None


class ReloadTest(unittest.TestCase):
    def setUp(self):
        self.env = H.TestEnv(prefix="mt-reload-")
        self.addCleanup(self.env.cleanup)
        self.base = {"spool.memory_limit": '"64K"'}
        self.env.write_config(self.base)
        self.daemon = H.Daemon(ARGS.daemon, self.env).start()
        self.addCleanup(self.daemon.kill)
        self.expected_errors = 0

    def tearDown(self):
        rc = self.daemon.stop()
        log = self.daemon.log()
        self.assertEqual(rc, 0, log)
        self.assertEqual(H.sanitizer_reports(log), [], log)
        self.assertEqual(len(H.error_lines(log)), self.expected_errors, log)

    def reload(self, overrides=None, text=None, wait_for=None, count=1):
        if text is not None or overrides is not None:
            values = dict(self.base)
            values.update(overrides or {})
            self.env.write_config(values, text=text)
        self.daemon.signal(signal.SIGUSR1)
        if wait_for:
            self.daemon.wait_log(wait_for, count=count)

    def smoke(self, qid, body_size=100):
        H.smoke(ARGS.miltertest, self.env, self.daemon.pid, qid=qid,
                body_size=body_size)
        m = re.search(r"/" + qid + r": passed unchanged: size=(\d+) "
                      r"rcpts=(\d+) spilled=(\w+)", self.daemon.log())
        self.assertIsNotNone(m, self.daemon.log())
        return m.group(3)

    def reloaded(self, generation):
        return (r"(?m)^sealmilter\[\d+\]: notice: reload: configuration "
                r"reloaded from " + re.escape(self.env.config_path) +
                r" \(generation " + str(generation) + r"\)$")

    def test_good_change_applies_to_the_next_message(self):
        self.assertEqual(self.smoke("RL-BEFORE", 3000), "no")
        self.reload({"spool.memory_limit": '"1K"'}, wait_for=self.reloaded(2))
        self.assertEqual(self.smoke("RL-AFTER", 3000), "yes")
        self.assertNotIn("keeps its old value", self.daemon.log())
        # Reloading an unchanged file is a new generation too.
        self.reload(wait_for=self.reloaded(3))
        self.assertEqual(self.smoke("RL-SAME", 3000), "yes")

    def test_log_level_follows_reload(self):
        self.smoke("RL-DEBUG1")
        self.assertRegex(self.daemon.log(), r"debug: s1: connect from")
        self.reload({"log.level": '"info"'}, wait_for=self.reloaded(2))
        self.smoke("RL-INFO")
        self.assertNotRegex(self.daemon.log(), r"debug: s2: connect from")
        self.reload({"log.level": '"debug"'}, wait_for=self.reloaded(3))
        self.smoke("RL-DEBUG2")
        self.assertRegex(self.daemon.log(), r"debug: s3: connect from")

    def test_broken_files_keep_the_running_configuration(self):
        path = re.escape(self.env.config_path)
        good = H.render_config({**self.env.base_values(), **self.base})
        # (name, file text or None to delete / "UNREADABLE", message regex)
        cases = [
            ("TOML syntax", good + "[spool\n",
             path + r":\d+:\d+: Error while parsing table header"),
            ("unknown key", good.replace("[log]", "[log]\nlevle = \"info\""),
             path + r":\d+:1: unknown key 'log\.levle' \(did you mean "
             r"'log\.level'\?\)"),
            ("bad value", good.replace('level = "debug"', 'level = "loud"'),
             path + r":\d+:1: log\.level: \"loud\" is not one of"),
            ("bad type", good.replace('memory_limit = "64K"',
                                      "memory_limit = true"),
             path + r":\d+:1: spool\.memory_limit: expected size, got "
             r"boolean"),
            ("cross-key", good.replace('memory_limit = "64K"',
                                       'memory_limit = "2M"\n'
                                       'max_size = "1M"'),
             path + r": spool\.memory_limit \(2097152\) is larger than "
             r"spool\.max_size \(1048576\)"),
            ("missing file", None,
             r"cannot open config file " + path +
             r": No such file or directory"),
        ]
        # The daemon runs as nobody (or as the same non-root user): after
        # chmod 000 it cannot read the file.
        cases.append(("unreadable file", "UNREADABLE",
                      r"cannot open config file " + path +
                      r": Permission denied"))
        for i, (name, text, message) in enumerate(cases, 1):
            with self.subTest(name):
                if text is None:
                    os.unlink(self.env.config_path)
                elif text == "UNREADABLE":
                    self.env.write_config(text=good)
                    os.chmod(self.env.config_path, 0)
                else:
                    self.env.write_config(text=text)
                self.reload(wait_for=r"configuration reload failed", count=i)
                self.expected_errors = i
                lines = H.error_lines(self.daemon.log())
                self.assertEqual(len(lines), i, lines)
                self.assertRegex(
                    lines[-1],
                    r"^sealmilter\[\d+\]: error: reload: configuration "
                    r"reload failed, keeping generation 1: " + message)
                # Still serving, with the old memory_limit (64K).
                self.assertEqual(self.smoke(f"RL-BROKEN{i}", 3000), "no")
        # Failed reloads used up no generation number.
        self.env.write_config({**self.base, "spool.memory_limit": '"1K"'})
        self.reload(wait_for=self.reloaded(2))
        self.assertEqual(self.smoke("RL-FIXED", 3000), "yes")

    def test_restart_only_keys_warn_and_keep_old_values(self):
        other_socket = os.path.join(self.env.dir, "other.sock")
        changes = {
            "milter.socket": H.toml_string("unix:" + other_socket),
            "milter.backlog": "7",
            "milter.timeout": '"9s"',
            "milter.socket_mode": '"0600"',
            "milter.pid_file": H.toml_string(
                os.path.join(self.env.dir, "x.pid")),
            "log.facility": '"local5"',
            # And one reloadable key in the same file: applied.
            "spool.memory_limit": '"1K"',
        }
        self.reload(changes, wait_for=self.reloaded(2))
        log = self.daemon.log()
        for key in ("milter.socket", "milter.backlog", "milter.timeout",
                    "milter.socket_mode", "milter.pid_file", "log.facility"):
            self.assertRegex(log, r"(?m)^sealmilter\[\d+\]: warning: reload: " +
                             re.escape(key) + r" changed; it keeps its old "
                             r"value until restart$")
        self.assertEqual(len(re.findall("keeps its old value", log)), 6, log)
        self.assertNotIn("spool.memory_limit changed", log)
        # Old socket still served, new one never created, new limit used.
        self.assertFalse(os.path.exists(other_socket))
        self.assertEqual(self.smoke("RL-RESTART", 3000), "yes")
        self.assertFalse(os.path.exists(os.path.join(self.env.dir, "x.pid")))

    def test_signal_burst_during_traffic(self):
        stop = threading.Event()
        failures = []

        def traffic():
            n = 0
            while not stop.is_set():
                n += 1
                try:
                    H.smoke(ARGS.miltertest, self.env, self.daemon.pid,
                            qid=f"RL-BURST{n}", body_size=1500 + n)
                except AssertionError as e:
                    failures.append(str(e))
                    return

        t = threading.Thread(target=traffic)
        t.start()
        try:
            for i in range(40):
                limit = '"1K"' if i % 2 else '"64K"'
                self.env.write_config({"spool.memory_limit": limit})
                self.daemon.signal(signal.SIGUSR1)
                time.sleep(0.02)
        finally:
            time.sleep(0.5)
            stop.set()
            t.join(120)
        self.assertEqual(failures, [])
        self.assertIsNone(self.daemon.proc.poll(), "daemon died")
        gens = [int(g) for g in re.findall(r"\(generation (\d+)\)",
                                           self.daemon.log())]
        # Signals may coalesce; each one handled is one generation.
        self.assertGreaterEqual(max(gens), 2)
        self.assertEqual(gens, list(range(2, max(gens) + 1)))
        self.smoke("RL-BURST-END")


def main():
    global ARGS
    ARGS, argv = H.parse_common_args(sys.argv[1:], __doc__)
    unittest.main(argv=argv, verbosity=2)


if __name__ == "__main__":
    main()
