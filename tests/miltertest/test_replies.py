#!/usr/bin/env python3
"""Protocol details miltertest cannot show, over a raw milter connection
(mtharness.MilterClient) to the real daemon:

* the exact SMTP reply text of the two failure verdicts, which arrive
  before end of message where mt.eom_check(MT_SMTPREPLY) cannot see them:
  "552 5.3.4 Message too big for content inspection" (body and header over
  spool.max_size) and "451 4.3.0 Message content filter unavailable, try
  again later" (spool unusable);
* an empty body (end of message with no body chunk at all);
* header fields longer than miltertest's 1 KiB buffer (up to 60 KB, one
  line and folded with CRLF and with bare LF);
* a second MAIL FROM without an abort in between starts a fresh message;
* end of message is answered with accept and no modification request at
  all.

usage: test_replies.py --daemon PATH [--miltertest PATH] [unittest args]
"""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mtharness as H  # noqa: E402

ARGS = None

REPLY_TOO_BIG = b"552 5.3.4 Message too big for content inspection\0"
REPLY_SPOOL = b"451 4.3.0 Message content filter unavailable, try again later\0"


class RepliesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.env = H.TestEnv(prefix="mt-replies-")
        cls.env.write_config({"spool.memory_limit": '"1K"',
                              "spool.max_size": '"128K"'})
        cls.daemon = H.Daemon(ARGS.daemon, cls.env).start()

    @classmethod
    def tearDownClass(cls):
        try:
            rc = cls.daemon.stop()
            log = cls.daemon.log()
            problems = H.sanitizer_reports(log) + H.error_lines(log)
            if rc != 0 or problems:
                raise AssertionError(f"daemon exit {rc}; {problems}\n{log}")
        finally:
            cls.daemon.kill()
            cls.env.cleanup()

    def client(self):
        c = H.MilterClient(self.env.socket_path)
        self.addCleanup(c.close)
        return c

    def log_result(self, qid):
        self.daemon.wait_log(re.escape("/" + qid + ": passed unchanged: "))
        m = re.search(re.escape("/" + qid + ": passed unchanged: ") +
                      r"size=(\d+) rcpts=(\d+) spilled=(\w+)",
                      self.daemon.log())
        return int(m.group(1)), int(m.group(2)), m.group(3)

    def accept_unchanged(self, c, what):
        mods, final = c.eom()
        self.assertEqual(mods, [], f"{what}: modification requests")
        self.assertEqual(final.cmd, "a", f"{what}: end of message")

    def send_ok_message(self, c, qid):
        self.assertEqual(c.mail("<s@example.org>", qid).cmd, "c")
        self.assertEqual(c.rcpt("<r@example.net>").cmd, "c")
        self.assertEqual(c.header("Subject", "after").cmd, "c")
        self.assertEqual(c.eoh().cmd, "c")
        self.assertEqual(c.body(b"fine\r\n").cmd, "c")
        self.accept_unchanged(c, qid)

    def test_body_over_max_size_reply_text(self):
        c = self.client()
        c.open("RP-BIG-BODY")
        self.assertEqual(c.header("Subject", "big").cmd, "c")
        self.assertEqual(c.eoh().cmd, "c")
        self.assertEqual(c.body(b"a" * 65535).cmd, "c")
        r = c.body(b"b" * 65535)      # crosses 128 KiB
        self.assertEqual((r.cmd, r.data), ("y", REPLY_TOO_BIG))
        c.abort()
        self.send_ok_message(c, "RP-AFTER-BIG-BODY")

    def test_header_over_max_size_reply_text(self):
        c = self.client()
        c.open("RP-BIG-HDR")
        self.assertEqual(c.header("X-A", "a" * 60000).cmd, "c")
        self.assertEqual(c.header("X-B", "b" * 60000).cmd, "c")
        r = c.header("X-C", "c" * 60000)
        self.assertEqual((r.cmd, r.data), ("y", REPLY_TOO_BIG))
        c.abort()
        self.send_ok_message(c, "RP-AFTER-BIG-HDR")

    def test_spool_failure_reply_text(self):
        c = self.client()
        c.open("RP-SPOOL")
        self.assertEqual(c.header("Subject", "spool").cmd, "c")
        self.assertEqual(c.eoh().cmd, "c")
        os.chmod(self.env.spool, 0)
        try:
            r = c.body(b"x" * 5000)   # must spill, cannot
        finally:
            os.chmod(self.env.spool, 0o700)
        self.assertEqual((r.cmd, r.data), ("y", REPLY_SPOOL))
        c.abort()
        self.send_ok_message(c, "RP-AFTER-SPOOL")
        self.assertRegex(self.daemon.log(),
                         r"warning: s\d+/RP-SPOOL: body: .*; answering 451 "
                         r"4\.3\.0")

    def test_empty_body(self):
        c = self.client()
        c.open("RP-EMPTY")
        self.assertEqual(c.header("Subject", "empty").cmd, "c")
        self.assertEqual(c.eoh().cmd, "c")
        self.accept_unchanged(c, "empty body")
        size, rcpts, spilled = self.log_result("RP-EMPTY")
        self.assertEqual((size, rcpts, spilled),
                         (len(b"Subject: empty\r\n\r\n"), 1, "no"))

    def test_long_headers(self):
        c = self.client()
        c.open("RP-LONG")
        one_line = b"x" * 60000
        folded_crlf = b"\r\n\t".join([b"y" * 76] * 300)       # ~24 KB
        folded_lf = b"\n ".join([b"z" * 76] * 300)
        headers = [("X-One-Line", one_line), ("X-Folded-CRLF", folded_crlf),
                   ("X-Folded-LF", folded_lf)]
        expected = 0
        for name, value in headers:
            r = c.header(name, value)
            self.assertEqual(r.cmd, "c", name)
            sent = b" " + value if c.options & H.SMFIP_HDR_LEADSPC else value
            # "Name:" value CRLF, bare LF becoming CRLF.
            expected += (len(name) + 1 + len(sent) + 2 +
                         sent.count(b"\n") - sent.count(b"\r\n"))
        self.assertEqual(c.eoh().cmd, "c")
        self.assertEqual(c.body(b"body\r\n").cmd, "c")
        self.accept_unchanged(c, "long headers")
        size, _, spilled = self.log_result("RP-LONG")
        self.assertEqual(size, expected + 2 + 6)
        self.assertEqual(spilled, "yes")

    def test_second_mail_without_abort_starts_fresh(self):
        c = self.client()
        c.open("RP-FIRST", rcpts=("<a@example.net>", "<b@example.net>",
                                  "<c@example.net>"))
        self.assertEqual(c.header("Subject", "first").cmd, "c")
        # No EOM, no abort: the MTA starts over (libmilter passes it on).
        self.assertEqual(c.mail("<s2@example.org>", "RP-SECOND").cmd, "c")
        self.assertEqual(c.rcpt("<d@example.net>").cmd, "c")
        self.assertEqual(c.header("Subject", "second").cmd, "c")
        self.assertEqual(c.eoh().cmd, "c")
        self.assertEqual(c.body(b"2\r\n").cmd, "c")
        self.accept_unchanged(c, "second message")
        size, rcpts, _ = self.log_result("RP-SECOND")
        self.assertEqual(rcpts, 1)
        self.assertEqual(size, len(b"Subject: second\r\n\r\n2\r\n"))
        self.assertNotIn("RP-FIRST: passed", self.daemon.log())

    def test_every_step_answered_and_nothing_modified(self):
        c = self.client()
        c.negotiate()
        # What sealmilter asked for (see negotiate.lua for the table).
        self.assertEqual(c.actions, 0x13F)
        self.assertEqual(c.options, 0x100000 | 0x100 | 0x200)
        for step, r in (("connect", c.connect()), ("helo", c.helo())):
            self.assertEqual(r.cmd, "c", step)
        for n in range(3):
            self.assertEqual(c.mail("<s@example.org>", f"RP-N{n}").cmd, "c")
            for i in range(5):
                self.assertEqual(c.rcpt(f"<r{i}@example.net>").cmd, "c")
            for i in range(20):
                self.assertEqual(c.header(f"X-H{i}", f"v{i}").cmd, "c")
            self.assertEqual(c.eoh().cmd, "c")
            for i in range(4):
                self.assertEqual(c.body(bytes([65 + i]) * 3000).cmd, "c")
            self.accept_unchanged(c, f"message {n}")


def main():
    global ARGS
    ARGS, argv = H.parse_common_args(sys.argv[1:], __doc__)
    unittest.main(argv=argv, verbosity=2)


if __name__ == "__main__":
    main()
