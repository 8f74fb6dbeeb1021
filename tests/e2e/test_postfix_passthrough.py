#!/usr/bin/env python3
"""sealmilter behind a real Postfix: mail passes byte-identical, a stopped
milter holds mail back, an oversize message is refused.

One private Postfix (smtpd_milters = sealmilter, milter_default_action =
tempfail) relays everything to an SMTP sink; see harness.py. The milter runs
with spool.memory_limit 64K (so the multi-MB message spills to disk) and
spool.max_size 4M; Postfix's message_size_limit is 32 MB.

  passthrough   plain ASCII, 8-bit UTF-8 (body and raw UTF-8 headers),
                dot-stuffing and line edge cases, long and odd header
                fields, an empty body, three recipients, 3 MB with a base64
                attachment: each arrives at the sink byte-identical after
                Postfix's own Received: header, with its envelope; the
                milter logs exactly one "passed unchanged" line for Postfix's
                queue id with the exact size, recipient count and spill
                flag; the maillog ties that queue id to the Message-ID and to
                the delivery into the sink.
  deferred-retry  the sink answers the first delivery attempt with 451:
                Postfix defers the message and retries it from its queue; it
                arrives byte-identical and the milter logged it exactly once
                (queue retries do not pass through smtpd_milters).
  oversize      5 MB > spool.max_size: the client gets 552 5.3.4 at end of
                DATA, Postfix logs the milter reject, nothing is delivered or
                queued, and there is no "passed unchanged" line.
  milter-down   milter stopped (exit 0; socket refuses): the client gets a
                4xx, Postfix logs that it cannot reach the milter, nothing is
                delivered or queued. Milter started again: the same message,
                retried, is delivered byte-identical.
  clean-exit    the milter exits 0 on SIGTERM every time, its log has no
                error line and no sanitizer report; the maillog has no
                fatal/panic; the sink saw no protocol error.

usage: test_postfix_passthrough.py [--daemon PATH]   (or SEALMILTER=PATH)
Exit 0 all passed, 1 a test failed, 77 skipped (not root).
"""

import base64
import os
import re
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

MEMORY_LIMIT = 64 * 1024
MAX_SIZE = 4 * 1024 * 1024
SENDER = "sender@example.org"
RCPT = "rcpt@example.net"
# How long to watch for a message that must NOT arrive. Postfix delivers an
# accepted message to the sink within a few hundred milliseconds here.
QUIET_PERIOD = 3.0

TAG = f"{os.getpid()}.{int(time.time())}"


def expect(cond, message):
    if not cond:
        raise AssertionError(message)


def first_difference(a, b):
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def describe_mismatch(sent, got):
    i = first_difference(sent, got)
    return (f"sent {len(sent)} bytes, the sink has {len(got)}; first "
            f"difference at byte {i}: sent {sent[max(0, i - 40):i + 40]!r} "
            f"vs delivered {got[max(0, i - 40):i + 40]!r}")


def message(name, headers, body):
    """A CRLF message: standard headers with a unique Message-ID, then
    `headers` (raw bytes, each field ending in CRLF), an empty line and
    `body` (raw bytes)."""
    msgid = f"<{name}.{TAG}@e2e.test>"
    head = (f"From: Sender <{SENDER}>\r\n"
            f"To: <{RCPT}>\r\n"
            f"Subject: e2e {name}\r\n"
            f"Date: Sun, 23 Nov 2025 10:00:00 +0000\r\n"
            f"Message-ID: {msgid}\r\n").encode() + headers
    return msgid, head + b"\r\n" + body


def crlf(*lines):
    return b"".join(line + b"\r\n" for line in lines)


def build_messages():
    """(name, message-id, bytes, recipients) of every passthrough case."""
    out = []

    def add(name, headers, body, rcpts=(RCPT,)):
        msgid, data = message(name, headers, body)
        out.append((name, msgid, data, list(rcpts)))

    add("plain-ascii", b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=us-ascii\r\n",
        crlf(b"Hello,", b"", b"this is a plain note.", b"", b"-- ", b"Sender"))

    add("utf8-8bit",
        "Subject-Raw: Grüße aus Köln — 東京 ✓\r\n"
        "X-Name: Zoë Ångström <zoe@example.org>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n".encode(),
        crlf("Grüße, naïve café, Ελληνικά, русский, 日本語, emoji 🙂".encode(),
             b"Latin-1 byte, not UTF-8: \xe9 and a lone \xff",
             "ends with a non-ASCII character: ß".encode()))

    # Lines a sloppy SMTP implementation mangles: "." alone (would end
    # DATA), leading dots (dot-stuffing), ".\r\n" as the very last line,
    # whitespace-only and trailing-whitespace lines, a 998-octet line (the
    # longest RFC 5322 allows; Postfix's smtp_line_length_limit is 998).
    add("dots-and-lines", b"",
        crlf(b".", b"..", b"...", b".hidden", b". leading dot and space",
             b"", b" ", b"\t", b"trailing spaces   ", b"tab\tinside\t",
             b"a." , b"x" * 998, b"-- ", b"."))

    # Long and unusual header fields: folded with tabs and spaces, 40
    # continuation lines, a 900-octet physical line, no space after the
    # colon, an empty value, trailing whitespace, a duplicate field.
    refs = b"References:" + b"".join(
        b"\r\n\t<%d.reference.%s@long-folding.example.org>" % (
            i, b"r" * 20) for i in range(40)) + b"\r\n"
    add("header-folding",
        refs +
        b"X-Folded-Space: first part\r\n   second part\r\n    third part\r\n"
        b"X-Long-Line: " + b"L" * 900 + b"\r\n"
        b"X-No-Space:value-without-space\r\n"
        b"X-Empty:\r\n"
        b"X-Trailing: value with trailing blanks  \t \r\n"
        b"X-Duplicate: one\r\n"
        b"X-Duplicate: two\r\n"
        b"Comments: a (nested (comment)) \"quoted \\\" string\"\r\n",
        crlf(b"Body after a long header block."))

    add("empty-body", b"X-Note: the body is empty\r\n", b"")

    add("three-recipients", b"Cc: <cc1@example.net>, <cc2@example.com>\r\n",
        crlf(b"One message, three envelope recipients."),
        rcpts=(RCPT, "cc1@example.net", "cc2@example.com"))

    # About 3 MB: larger than spool.memory_limit, so the milter spills the
    # message to an unlinked temporary file; below spool.max_size.
    blob = bytes((i * 7 + (i >> 8)) & 0xFF for i in range(2_200_000))
    b64 = base64.encodebytes(blob).replace(b"\n", b"\r\n")
    body = (b"--BOUNDARY\r\n"
            b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
            b"A large attachment follows.\r\n"
            b"--BOUNDARY\r\n"
            b"Content-Type: application/octet-stream\r\n"
            b"Content-Transfer-Encoding: base64\r\n"
            b"Content-Disposition: attachment; filename=\"blob.bin\"\r\n\r\n"
            + b64 + b"--BOUNDARY--\r\n")
    add("multi-mb", b"MIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=\"BOUNDARY\"\r\n", body)
    return out


def check_received_prefix(prefix, queue_id):
    """The bytes before the original message must be exactly one header
    field, Postfix's "Received:", naming the queue id."""
    expect(prefix.startswith(b"Received: ") and prefix.endswith(b"\r\n"),
           f"Postfix added something other than one Received: field in "
           f"front: {prefix[:300]!r}")
    lines = prefix[:-2].split(b"\r\n")
    expect(all(l[:1] in (b" ", b"\t") for l in lines[1:]),
           f"more than one header field in front of the original message: "
           f"{prefix!r}")
    expect(re.search(rb" with ESMTP id " + queue_id.encode() + rb"\b", prefix),
           f"Received: field does not name queue id {queue_id}: {prefix!r}")


class Run:
    def __init__(self, stack):
        self.st = stack
        self.delivered = 0   # messages the sink should hold
        self.accepted_qids = []

    def send_and_verify(self, name, msgid, data, rcpts):
        """Sends one message and checks everything about its passage."""
        st = self.st
        r = st.postfix.send(data, SENDER, rcpts)
        expect(r.accepted and r.queue_id,
               f"{name}: Postfix did not accept the message: {r}")
        qid = r.queue_id
        self.accepted_qids.append(qid)
        self.delivered += 1
        msgs = st.sink.wait_for(self.delivered)
        expect(len(msgs) == self.delivered,
               f"{name}: the sink holds {len(msgs)} messages, expected "
               f"{self.delivered}")
        found = st.sink.find(msgid)
        expect(len(found) == 1,
               f"{name}: {len(found)} delivered copies with Message-ID "
               f"{msgid}, expected 1")
        m = found[0]

        # Envelope as sent.
        expect(m.mail_from == SENDER,
               f"{name}: envelope sender {m.mail_from!r}, sent {SENDER!r}")
        expect(sorted(m.rcpts) == sorted(rcpts),
               f"{name}: envelope recipients {m.rcpts}, sent {rcpts}")

        # Content. Postfix prepends exactly one header field, its own
        # Received: (it adds no Message-ID, Date or From, and rewrites no
        # address, because local_header_rewrite_clients is empty and the
        # messages are complete). Everything after it must be the sent bytes
        # exactly: every original header byte (folding, order, case, 8-bit)
        # and every body byte. The sink stores the DATA payload after
        # dot-unstuffing; smtplib sent it dot-stuffed and added nothing.
        if not m.data.endswith(data):
            fields = H.header_fields(m.data)
            after_first = m.data[len(fields[0]):] if fields else m.data
            raise AssertionError(
                f"{name}: delivered copy is not Received: + the sent bytes; "
                f"after its first header field: "
                f"{describe_mismatch(data, after_first)} ({m.path})")
        check_received_prefix(m.data[:len(m.data) - len(data)], qid)
        if any(b >= 0x80 for b in data):
            expect("BODY=8BITMIME" in [p.upper() for p in m.mail_params],
                   f"{name}: 8-bit message relayed without BODY=8BITMIME: "
                   f"{m.mail_params}")

        # The milter's log: one line for this queue id. Postfix does not
        # show the milter its own Received: field, so the milter saw
        # exactly the sent bytes: size must be len(data).
        p = st.milter.passed_line(qid)
        spilled = "yes" if len(data) > MEMORY_LIMIT else "no"
        expect(int(p["size"]) == len(data),
               f"{name}: milter logged size={p['size']}, the message has "
               f"{len(data)} bytes")
        expect(int(p["rcpts"]) == len(rcpts),
               f"{name}: milter logged rcpts={p['rcpts']}, sent {len(rcpts)}")
        expect(p["spilled"] == spilled,
               f"{name}: milter logged spilled={p['spilled']}, expected "
               f"{spilled} ({len(data)} bytes, memory_limit {MEMORY_LIMIT})")

        # Postfix's maillog: the same queue id carries this Message-ID and
        # was delivered to the sink under the sink's sequence number.
        st.postfix.wait_for_maillog(
            rf"postfix-e2e/cleanup\[\d+\]: {qid}: "
            rf"message-id={re.escape(msgid)}$")
        for rcpt in rcpts:
            st.postfix.wait_for_maillog(
                rf"postfix-e2e/smtp\[\d+\]: {qid}: to=<{re.escape(rcpt)}>, "
                rf"relay=127\.0\.0\.1\[127\.0\.0\.1\]:{st.sink.port}, .*"
                rf"status=sent \(250 2\.0\.0 Ok: stored as {m.seq:04d}\)$")
        H.log(f"     {name}: {len(data)} bytes, queue id {qid}, "
              f"milter size={p['size']} rcpts={p['rcpts']} "
              f"spilled={p['spilled']} -> {os.path.basename(m.path)}")
        return qid

    def expect_nothing_delivered_or_queued(self, what):
        time.sleep(QUIET_PERIOD)
        n = self.st.sink.count()
        expect(n == self.delivered,
               f"{what}: the sink holds {n} messages, expected "
               f"{self.delivered} (something was delivered)")
        files = self.st.postfix.queued_files()
        expect(not files, f"{what}: Postfix queued something: {files}")
        q = self.st.postfix.queue()
        expect("Mail queue is empty" in q,
               f"{what}: postqueue -p does not say the queue is empty:\n{q}")


def main():
    binary = os.environ.get("SEALMILTER")
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--daemon":
        binary = args[1]
    elif args:
        print(__doc__)
        return 64
    if not binary:
        print("test_postfix_passthrough.py: set SEALMILTER or pass --daemon")
        return 64
    H.require_root()
    binary = os.path.abspath(binary)
    t0 = time.monotonic()
    cases = build_messages()

    with H.Stack(binary, prefix="sealmilter-e2e-pass-", milter_values={
            "log.level": '"debug"',
            "spool.memory_limit": f'"{MEMORY_LIMIT // 1024}K"',
            "spool.max_size": f'"{MAX_SIZE // (1024 * 1024)}M"',
    }) as st:
        run = Run(st)
        H.log(f"private Postfix on 127.0.0.1:{st.postfix.smtpd_port}, sink "
              f"on 127.0.0.1:{st.sink.port}, milter {st.milter.socket_spec}")

        def test_passthrough():
            for name, msgid, data, rcpts in cases:
                run.send_and_verify(name, msgid, data, rcpts)
            lines = st.milter.passed_lines()
            logged = sorted(p["qid"] for p in lines)
            expect(logged == sorted(run.accepted_qids),
                   f"'passed unchanged' lines for {[p['qid'] for p in lines]}"
                   f", accepted {run.accepted_qids}")

        def test_deferred_retry():
            st.sink.fail("eom", "451 4.3.0 e2e sink fault", times=1)
            msgid, data = message("deferred-retry", b"", crlf(
                b"The sink refuses the first delivery attempt with 451."))
            qid = run.send_and_verify("deferred-retry", msgid, data, [RCPT])
            st.postfix.wait_for_maillog(
                rf"{qid}: to=<{re.escape(RCPT)}>, .*status=deferred \(host "
                rf"127\.0\.0\.1\[127\.0\.0\.1\] said: 451 4\.3\.0 e2e sink "
                rf"fault")
            expect(st.sink.attempts["eom"] >= 2,
                   f"sink saw {st.sink.attempts['eom']} delivery attempts")

        def test_oversize():
            msgid, data = message("oversize", b"",
                                  (b"z" * 998 + b"\r\n") * 5000)
            expect(len(data) > MAX_SIZE, "test bug: message not oversize")
            r = st.postfix.send(data, SENDER, [RCPT])
            expect(r.stage == "eom" and r.code == 552 and
                   r.text == "5.3.4 Message too big for content inspection",
                   f"oversize message: expected 552 5.3.4 Message too big "
                   f"for content inspection at end of DATA, got {r}")
            m = st.postfix.wait_for_maillog(
                rf": (\w+): message-id={re.escape(msgid)}$")
            qid = m.group(1)
            st.postfix.wait_for_maillog(
                rf"{qid}: milter-reject: END-OF-MESSAGE from .*: 5\.3\.4 "
                rf"Message too big for content inspection;")
            st.milter.wait_for_log(
                rf"warning: s\d+/{qid}: body: .*spool\.max_size.*; "
                rf"answering 552 5\.3\.4$")
            run.expect_nothing_delivered_or_queued("oversize message")
            passed = [p for p in st.milter.passed_lines() if p["qid"] == qid]
            expect(not passed,
                   f"oversize message {qid} has a 'passed unchanged' line")
            H.log(f"     {len(data)} bytes refused: {r}; queue id {qid}")

        def test_milter_down():
            rc = st.milter.stop()
            expect(rc == 0, f"milter exit status {rc} on SIGTERM, expected 0")
            stopped = "notice: shutdown: sealmilter stopped"
            expect(stopped in st.milter.run_log(),
                   "milter did not log 'sealmilter stopped'")
            expect(not st.milter.socket_accepts(),
                   "milter socket still accepts connections after stop")
            msgid, data = message("while-milter-down", b"",
                                  crlf(b"Sent while the milter was down."))
            r = st.postfix.send(data, SENDER, [RCPT])
            expect(400 <= r.code < 500,
                   f"milter down: expected a 4xx reply, got {r}")
            H.log(f"     milter down: client got {r}")
            st.postfix.wait_for_maillog(
                r"warning: connect to Milter service " +
                re.escape(st.milter.socket_spec) + ": ")
            st.postfix.wait_for_maillog(
                r"NOQUEUE: milter-reject: \w+ from .*: 451 4\.7\.1 ")
            run.expect_nothing_delivered_or_queued("milter down")
            st.milter.start()
            run.send_and_verify("retry-after-restart", msgid, data, [RCPT])

        failures = H.run_tests([
            ("passthrough", test_passthrough),
            ("deferred-retry", test_deferred_retry),
            ("oversize", test_oversize),
            ("milter-down", test_milter_down),
        ])

        def test_clean_exit():
            expect(st.milter.running, "the milter is not running at the end "
                   "(an earlier test left it stopped or it died)")
            rc = st.milter.stop()
            expect(rc == 0, f"milter exit status {rc} on SIGTERM, expected 0")
            expect(all(c == 0 for c in st.milter.exit_codes),
                   f"milter exit statuses {st.milter.exit_codes}")
            problems = st.milter.problems()
            expect(not problems, f"milter log problems: {problems}")
            problems = st.postfix.problems()
            expect(not problems, f"maillog fatal/panic: {problems}")
            expect(not st.sink.errors, f"sink errors: {st.sink.errors}")

        failures += H.run_tests([("clean-exit", test_clean_exit)])
        if failures:
            st.print_diagnostics()

    H.log(f"{'FAILED' if failures else 'passed'}: {failures} failure(s), "
          f"{time.monotonic() - t0:.1f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
