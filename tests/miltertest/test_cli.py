#!/usr/bin/env python3
"""sealmilter's command line, black-box: -t, -p, -V, -h, bad options, and
configuration errors (exit 78 with FILE:LINE:COL on standard error). No
daemon is started here; every run's standard error is also scanned for
sanitizer reports.

usage: test_cli.py --daemon PATH [--version X.Y.Z] [unittest args]
"""

import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtharness as H  # noqa: E402

ARGS = None

# (name, config text, expected line, column, message regex). The position
# is the key's (or, for TOML syntax errors, the offending character's).
CONFIG_ERRORS = [
    ("unknown key", '[milter]\nsockt = "x"\n', 2, 1,
     r"unknown key 'milter\.sockt' \(did you mean 'milter\.socket'\?\)"),
    ("unknown key at top level", 'socket = "x"\n', 1, 1,
     r"unknown key 'socket' \(did you mean 'milter\.socket'\?\)"),
    ("unknown key, no suggestion", '[log]\nlevel = "info"\nzzzzzzzz = 1\n',
     3, 1, r"unknown key 'log\.zzzzzzzz'$"),
    ("unknown section", "[nope]\nx = 1\n", 1, 2,
     r"unknown section \[nope\] \(sections: \[milter\] \[spool\] \[log\] "
     r"\[rules\] \[mime\] \[gateway\] \[store\] \[envelope\] \[portal\] \[inbound\] \[ca\]\)"),
    ("unknown subsection", "[milter.sub]\nx = 1\n", 1, 9,
     r"unknown section \[milter\.sub\]"),
    ("section given a value", "milter = 1\n", 1, 1,
     r"'milter' must be a table \(\[milter\]\)"),
    ("bad type: string for integer", '[milter]\nbacklog = "many"\n', 2, 1,
     r"milter\.backlog: expected integer, got string"),
    ("bad type: float for integer", "[milter]\nbacklog = 1.5\n", 2, 1,
     r"milter\.backlog: expected integer, got floating-point number"),
    ("bad type: boolean for enum", "[log]\nlevel = true\n", 2, 1,
     r"log\.level: expected enum, got boolean"),
    ("bad type: array for string", '[milter]\nuser = ["a"]\n', 2, 1,
     r"milter\.user: expected string, got array"),
    ("bad value: mode", '[milter]\n  socket_mode = "0999"\n', 2, 3,
     r'milter\.socket_mode: "0999" is not an octal file mode'),
    ("bad value: out of range", "[milter]\nbacklog = 0\n", 2, 1,
     r"milter\.backlog: value 0 is out of range \(1\.\.65535\)"),
    ("bad value: enum", '[log]\nlevel = "loud"\n', 2, 1,
     r'log\.level: "loud" is not one of: error warning notice info debug'),
    ("bad value: size", '[spool]\nmemory_limit = "12X"\n', 2, 1,
     r'spool\.memory_limit: "12X" is not a size'),
    ("bad value: duration", '[milter]\ntimeout = "5 minutes"\n', 2, 1,
     r'milter\.timeout: "5 minutes" is not a duration'),
    ("bad value: size below minimum", "[spool]\nmax_size = 100\n", 2, 1,
     r"spool\.max_size: value 100 is out of range"),
    ("broken TOML: unterminated string", '[milter]\nsocket = "unix:/x\n',
     2, 18, r"Error while parsing string"),
    ("broken TOML: table header", "[log]\nlevel = \"info\"\n[spool\n", 3, 7,
     r"Error while parsing table header"),
    ("broken TOML: duplicate key", '[milter]\nsocket = "a"\nsocket = "b"\n',
     3, 10, r"Error while parsing key-value pair: cannot redefine existing "
     r"string 'socket'"),
    ("broken TOML: missing value", "[milter]\n\n\nbacklog =\n", 4, 10,
     r"Error while parsing"),
]

# (name, config text, message regex): whole-file errors, no position.
SEMANTIC_ERRORS = [
    ("memory_limit above max_size",
     '[spool]\nmemory_limit = "2M"\nmax_size = "1M"\n',
     r"spool\.memory_limit \(2097152\) is larger than spool\.max_size "
     r"\(1048576\)"),
    ("relative spool directory", '[spool]\ndirectory = "rel"\n',
     r"spool\.directory must be an absolute path"),
    ("relative chroot", '[milter]\nchroot = "jail"\n',
     r"milter\.chroot must be an absolute path"),
    ("NUL byte", "[milter]\n\0\n", r"config contains a NUL byte"),
]

# (argv, message regex on standard error).
BAD_OPTIONS = [
    (["-x"], r"unknown option '-x'"),
    (["--bogus"], r"unknown option '--bogus'"),
    (["-fx"], r"unknown option '-x'"),
    (["-c"], r"option -c needs a file name"),
    (["stray"], r"unexpected argument 'stray'"),
    (["-t", "-c", "/dev/null", "extra"], r"unexpected argument 'extra'"),
    (["-"], r"unexpected argument '-'"),
]


def run(argv, cwd=None):
    r = subprocess.run([ARGS.daemon] + argv, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, errors="replace",
                       env=H.daemon_env(), cwd=cwd, timeout=60)
    reports = H.sanitizer_reports(r.stderr)
    if reports:
        raise AssertionError(f"sanitizer report for {argv}:\n{r.stderr}")
    return r


class CliTest(unittest.TestCase):
    def setUp(self):
        self.env = H.TestEnv(prefix="mt-cli-")
        self.addCleanup(self.env.cleanup)

    def write(self, text):
        with open(self.env.config_path, "w", encoding="utf-8",
                  newline="") as f:
            f.write(text)
        return self.env.config_path

    def test_check_good_config(self):
        path = self.env.write_config()
        r = run(["-t", "-c", path])
        self.assertEqual(r.returncode, H.EXIT_OK, r.stderr)
        self.assertEqual(r.stdout, f"sealmilter: configuration OK ({path})\n")
        self.assertEqual(r.stderr, "")
        # -t starts nothing.
        self.assertFalse(os.path.exists(self.env.socket_path))

    def test_check_long_options_and_bundles(self):
        path = self.env.write_config()
        for argv in (["--check-config", "-c", path], ["-tc", path],
                     ["-tc" + path], ["-e", "-t", "-c", path]):
            r = run(argv)
            self.assertEqual(r.returncode, H.EXIT_OK, (argv, r.stderr))
            self.assertIn("configuration OK", r.stdout, argv)

    def test_relative_config_path_is_made_absolute(self):
        # The daemon changes to "/" later: SIGUSR1 must find the file.
        self.env.write_config()
        r = run(["-t", "-c", os.path.basename(self.env.config_path)],
                cwd=self.env.dir)
        self.assertEqual(r.returncode, H.EXIT_OK, r.stderr)
        self.assertEqual(r.stdout, "sealmilter: configuration OK "
                                   f"({self.env.config_path})\n")

    def test_config_errors_have_file_line_column(self):
        for name, text, line, col, message in CONFIG_ERRORS:
            with self.subTest(name):
                path = self.write(text)
                r = run(["-t", "-c", path])
                self.assertEqual(r.returncode, H.EXIT_CONFIG, r.stderr)
                self.assertEqual(r.stdout, "")
                self.assertRegex(
                    r.stderr,
                    "^sealmilter: " + re.escape(f"{path}:{line}:{col}: ") +
                    message)
                self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)

    def test_config_errors_also_stop_the_daemon(self):
        # Not only -t: a normal start with the same file exits 78 too.
        name, text, line, col, message = CONFIG_ERRORS[0]
        path = self.write(text)
        r = run(["-f", "-e", "-c", path])
        self.assertEqual(r.returncode, H.EXIT_CONFIG, r.stderr)
        self.assertRegex(r.stderr, re.escape(f"{path}:{line}:{col}: ") +
                         message)
        self.assertFalse(os.path.exists(self.env.socket_path))

    def test_semantic_errors(self):
        for name, text, message in SEMANTIC_ERRORS:
            with self.subTest(name):
                path = self.write(text)
                r = run(["-t", "-c", path])
                self.assertEqual(r.returncode, H.EXIT_CONFIG, r.stderr)
                self.assertRegex(r.stderr, "^sealmilter: " +
                                 re.escape(path + ": ") + message)

    def test_missing_config_file(self):
        missing = os.path.join(self.env.dir, "nope.conf")
        for argv in (["-t", "-c", missing], ["-f", "-e", "-c", missing],
                     ["-p", "-c", missing]):
            with self.subTest(argv=argv):
                r = run(argv)
                self.assertEqual(r.returncode, H.EXIT_CONFIG, r.stderr)
                self.assertEqual(
                    r.stderr, f"sealmilter: cannot open config file {missing}"
                              ": No such file or directory\n")

    def test_config_is_a_directory(self):
        r = run(["-t", "-c", self.env.dir])
        self.assertEqual(r.returncode, H.EXIT_CONFIG, r.stderr)
        self.assertIn(f"{self.env.dir}: not a regular file", r.stderr)

    def test_bad_options(self):
        for argv, message in BAD_OPTIONS:
            with self.subTest(argv=argv):
                r = run(argv)
                self.assertEqual(r.returncode, H.EXIT_USAGE, r.stderr)
                self.assertRegex(r.stderr, "^sealmilter: " + message)
                self.assertIn("usage: sealmilter", r.stderr)
                self.assertEqual(r.stdout, "")

    def test_version(self):
        for flag in ("-V", "--version"):
            r = run([flag])
            self.assertEqual(r.returncode, H.EXIT_OK)
            self.assertRegex(r.stdout, r"^sealmilter \d+\.\d+\.\d+\n$")
            if ARGS.project_version:
                self.assertEqual(r.stdout,
                                 f"sealmilter {ARGS.project_version}\n")
            self.assertEqual(r.stderr, "")

    def test_help(self):
        for flag in ("-h", "--help"):
            r = run([flag])
            self.assertEqual(r.returncode, H.EXIT_OK)
            self.assertTrue(r.stdout.startswith("usage: sealmilter"),
                            r.stdout)
            for opt in ("-c", "-f", "-e", "-t", "-p", "-V", "-h", "SIGUSR1"):
                self.assertIn(opt, r.stdout)

    def test_print_config_round_trip(self):
        path = self.env.write_config({"spool.max_size": '"2M"',
                                      "milter.socket_mode": '"0640"',
                                      "milter.timeout": '"2m"',
                                      "log.facility": '"local3"'})
        first = run(["-p", "-c", path])
        self.assertEqual(first.returncode, H.EXIT_OK, first.stderr)
        self.assertTrue(first.stdout.startswith(
            f"# effective configuration from {path}\n"), first.stdout)
        # Sizes and durations come out normalised, every key is there.
        for line in ("memory_limit = 1024", "max_size = 2097152",
                     'socket_mode = "0640"', "timeout = 120",
                     'facility = "local3"', 'level = "debug"',
                     f'directory = "{self.env.spool}"',
                     f'socket = "{self.env.socket_spec}"',
                     'pid_file = ""', 'chroot = ""', "backlog = 128"):
            self.assertIn("\n" + line + "\n", first.stdout)
        printed = os.path.join(self.env.dir, "printed.conf")
        with open(printed, "w", encoding="utf-8") as f:
            f.write(first.stdout)
        check = run(["-t", "-c", printed])
        self.assertEqual(check.returncode, H.EXIT_OK, check.stderr)
        second = run(["-p", "-c", printed])
        self.assertEqual(second.returncode, H.EXIT_OK, second.stderr)
        self.assertEqual(first.stdout.split("\n", 1)[1],
                         second.stdout.split("\n", 1)[1])

    def test_print_embedded_defaults(self):
        if os.path.exists("/etc/sealmilter/sealmilter.conf"):
            self.skipTest("/etc/sealmilter/sealmilter.conf exists")
        r = run(["-p"])
        self.assertEqual(r.returncode, H.EXIT_OK, r.stderr)
        self.assertIn('socket = "unix:/run/sealmilter/sealmilter.sock"',
                      r.stdout)
        printed = os.path.join(self.env.dir, "defaults.conf")
        with open(printed, "w", encoding="utf-8") as f:
            f.write(r.stdout)
        self.assertEqual(run(["-t", "-c", printed]).returncode, H.EXIT_OK)


def main():
    global ARGS
    ARGS, argv = H.parse_common_args(sys.argv[1:], __doc__)
    unittest.main(argv=argv, verbosity=2)


if __name__ == "__main__":
    main()
