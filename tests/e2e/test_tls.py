#!/usr/bin/env python3
"""TLS instead of encryption (gateway.tls_required / tls_preferred) through
a real Postfix set up as contrib/postfix/ shows.

Postfix relays to a STARTTLS-capable sink (its certificate from a test CA
that Postfix trusts, name 127.0.0.1); milter_header_checks and the
re-injection listener's header_checks route X-Seal-TLS mail to transports
with smtp_tls_security_level = verify (required) or encrypt (preferred),
whose smtp_header_checks strip the field. The domain tls.test is
tls_required, pref.test tls_preferred; the
transports see only verified TLS (required) or any TLS (preferred). The
FILTER actions name the sink as next hop (contrib/ leaves it empty: the
recipient's MX).

  required-tls     an SSN to x@tls.test: the milter logs "sent to TLS",
                   the sink receives it over TLS, in clear, without
                   X-Seal-TLS; nothing else is sent.
  required-no-tls  the sink stops offering STARTTLS: the mail is not
                   delivered but stays in Postfix's queue ("TLS is
                   required"); when the sink offers TLS again and the queue
                   is flushed, it arrives over TLS. Nothing is lost and
                   nothing goes in clear without TLS.
  mixed            an SSN to bob@example.net, erin@example.net and
                   x@tls.test: bob and erin get the envelope (in place), the
                   x@tls.test group is re-injected and still only goes over
                   TLS.
  preferred        an SSN to y@pref.test goes over TLS (certificate not
                   verified); with the sink not offering TLS it is deferred,
                   never sent in clear.
  spoofed          a sender's own X-Seal-TLS field never leaves and does
                   not route mail.

usage: test_tls.py [--daemon PATH] [--sealctl PATH]
       (or SEALMILTER=PATH SEALCTL=PATH)
Exit 0 all passed, 1 a test failed, 77 skipped (not root).
"""

import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

SENDER = "alice@example.org"
BOB = "bob@example.net"
ERIN = "erin@example.net"
TLS_RCPT = "x@tls.test"
PREF_RCPT = "y@pref.test"
SSN = "078-05-1120"  # a structurally valid SSN, not a real person's
TAG = f"{os.getpid()}.{int(time.time())}"


def expect(cond, message):
    if not cond:
        raise AssertionError(message)


def message(name, to, subject, body, extra=b""):
    msgid = f"<{name}.{TAG}@e2e.test>"
    head = (f"From: Alice <{SENDER}>\r\n"
            f"To: {', '.join(to)}\r\n"
            f"Subject: {subject}\r\n"
            f"Date: Wed, 02 Dec 2026 10:00:00 +0000\r\n"
            f"Message-ID: {msgid}\r\n"
            f"MIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=us-ascii\r\n").encode() + extra
    return msgid, head + b"\r\n" + body


def openssl(*args):
    p = subprocess.run(["openssl", *args], capture_output=True, timeout=60)
    if p.returncode != 0:
        raise RuntimeError("openssl " + " ".join(args) + ": " +
                           p.stderr.decode("utf-8", "replace"))


def make_ca_and_server_cert(d):
    """A test CA and a server certificate for 127.0.0.1 signed by it."""
    ca_key, ca = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
    key, csr = os.path.join(d, "srv.key"), os.path.join(d, "srv.csr")
    cert, ext = os.path.join(d, "srv.pem"), os.path.join(d, "srv.ext")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
            ca_key, "-out", ca, "-days", "2", "-subj", "/CN=sealmilter e2e CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out",
            csr, "-subj", "/CN=127.0.0.1")
    with open(ext, "w") as f:
        f.write("basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                "subjectAltName=DNS:127.0.0.1,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
            "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext)
    for p in (ca, cert):
        os.chmod(p, 0o644)
    return ca, key, cert


class TlsSink:
    """An SMTP sink on 127.0.0.1 that offers STARTTLS while offer_tls is
    true, and records (mail_from, rcpts, data, over_tls) per message."""

    def __init__(self, key, cert):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.offer_tls = True
        self.messages = []
        self.lock = threading.Condition()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self):
        self.stopping = True
        self.sock.close()

    def count(self):
        with self.lock:
            return len(self.messages)

    def wait_for(self, n, timeout=60):
        with self.lock:
            end = time.monotonic() + timeout
            while len(self.messages) < n:
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self.messages)} of {n} messages "
                                       "at the TLS sink")
                self.lock.wait(left)
            return list(self.messages)

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,),
                             daemon=True).start()

    def _serve(self, conn):
        conn.settimeout(60)
        tls = False
        f = conn.makefile("rb")

        def send(text):
            conn.sendall(text.encode() + b"\r\n")

        try:
            send("220 tls-sink.e2e.test ESMTP")
            mail_from, rcpts = None, []
            while True:
                line = f.readline(65536)
                if not line:
                    return
                cmd = line.decode("utf-8", "replace").strip()
                verb = cmd.split(" ", 1)[0].upper()
                if verb == "EHLO":
                    starttls = "250-STARTTLS\r\n" if (
                        self.offer_tls and not tls) else ""
                    send(f"250-tls-sink.e2e.test\r\n{starttls}250 8BITMIME")
                elif verb == "STARTTLS" and self.offer_tls and not tls:
                    send("220 2.0.0 go ahead")
                    f.close()
                    conn = self.ctx.wrap_socket(conn, server_side=True)
                    f = conn.makefile("rb")
                    tls = True
                    mail_from, rcpts = None, []
                elif verb == "MAIL":
                    mail_from = re.search(r"<([^>]*)>", cmd).group(1)
                    rcpts = []
                    send("250 ok")
                elif verb == "RCPT":
                    rcpts.append(re.search(r"<([^>]*)>", cmd).group(1))
                    send("250 ok")
                elif verb == "DATA":
                    send("354 go")
                    data = b""
                    while True:
                        ln = f.readline(1 << 20)
                        if not ln or ln == b".\r\n":
                            break
                        data += ln[1:] if ln.startswith(b"..") else ln
                    with self.lock:
                        self.messages.append((mail_from, rcpts, data, tls))
                        self.lock.notify_all()
                    send("250 stored")
                elif verb == "QUIT":
                    send("221 bye")
                    return
                else:
                    send("250 ok" if verb in ("RSET", "NOOP") else "502 no")
        except (OSError, ssl.SSLError):
            return
        finally:
            try:
                conn.close()
            except OSError:
                pass


def main():
    args = sys.argv[1:]
    binary = os.environ.get("SEALMILTER")
    sealctl = os.environ.get("SEALCTL")
    while args:
        if args[0] == "--daemon" and len(args) > 1:
            binary, args = args[1], args[2:]
        elif args[0] == "--sealctl" and len(args) > 1:
            sealctl, args = args[1], args[2:]
        else:
            print(__doc__)
            return 64
    if not binary or not sealctl:
        print("test_tls.py: set SEALMILTER and SEALCTL or pass --daemon and "
              "--sealctl")
        return 64
    H.require_root()
    binary, sealctl = os.path.abspath(binary), os.path.abspath(sealctl)
    t0 = time.monotonic()

    work = tempfile.mkdtemp(prefix="sealmilter-tls-")
    os.chmod(work, 0o755)
    ca, key, cert = make_ca_and_server_cert(work)
    sink = TlsSink(key, cert)
    checks = os.path.join(work, "sealmilter_header_checks")
    strip = os.path.join(work, "sealmilter_smtp_header_checks")
    with open(checks, "w") as f:
        # contrib/ leaves the destination empty (the recipient's MX); the
        # test domains do not resolve, so the next hop here is the sink.
        hop = f"[127.0.0.1]:{sink.port}"
        f.write(f"/^X-Seal-TLS:[[:space:]]*required/ FILTER seal-tls-verify:"
                f"{hop}\n/^X-Seal-TLS:[[:space:]]*preferred/ "
                f"FILTER seal-tls-encrypt:{hop}\n")
    with open(strip, "w") as f:
        f.write("/^X-Seal-TLS:/ IGNORE\n")
    _, other_cert = H.make_smime_cert(work, "carol@partner.test", "carol")
    store = H.make_store(sealctl, work, [other_cert])
    values = {
        "store.path": H.toml_string(store),
        "gateway.internal_domains": '["example.org"]',
        "gateway.tls_required": '["tls.test"]',
        "gateway.tls_preferred": '["pref.test"]',
        "log.level": '"info"',
    }
    main_cf = {
        "relayhost": f"[127.0.0.1]:{sink.port}",
        "milter_header_checks": f"regexp:{checks}",
        "smtp_tls_CAfile": ca,
    }
    failures = 0
    try:
        with H.Stack(binary, milter_values=values, postfix_main=main_cf,
                     reinject=True, prefix="sealmilter-tls-e2e-") as st:
            pf = st.postfix
            # The services of contrib/postfix/master.cf.example, section 5.
            services = {
                "seal-tls-verify/unix": "seal-tls-verify unix - - n - - smtp",
                "seal-tls-encrypt/unix":
                    "seal-tls-encrypt unix - - n - - smtp",
                "seal-cleanup/unix": "seal-cleanup unix n - n - 0 cleanup",
                "tlsmgr/unix": "tlsmgr unix - - n 1000? 1 tlsmgr",
            }
            for name, line in services.items():
                pf.postconf("-M", f"{name}={line}")
            for svc, level in (("seal-tls-verify/unix", "verify"),
                               ("seal-tls-encrypt/unix", "encrypt")):
                pf.postconf("-P", f"{svc}/smtp_tls_security_level={level}")
                pf.postconf("-P", f"{svc}/smtp_tls_verify_cert_match=nexthop")
                pf.postconf("-P", f"{svc}/smtp_header_checks=regexp:{strip}")
                pf.postconf("-P", f"{svc}/smtp_tls_loglevel=1")
            pf.postconf("-P", f"seal-cleanup/unix/header_checks=regexp:{checks}")
            pf.postconf("-P", f"127.0.0.1:{pf.reinject_port}/inet/"
                        "cleanup_service_name=seal-cleanup")
            pf._run(["/usr/sbin/postfix", "-c", pf.config_dir, "reload"])
            time.sleep(2)

            def by_rcpt(msgs, rcpt):
                return [m for m in msgs if rcpt in m[1]]

            def test_required_tls():
                before = sink.count()
                msgid, data = message("req", [TLS_RCPT], "payroll",
                                      f"SSN {SSN}\r\n".encode())
                r = pf.send(data, SENDER, [TLS_RCPT])
                expect(r.code == 250, f"send: {r}")
                st.milter.wait_for_log(
                    re.escape(r.queue_id) +
                    r": sent to TLS: .* method=tls level=required")
                msgs = sink.wait_for(before + 1)[before:]
                time.sleep(1)
                expect(sink.count() == before + 1, "more than one message")
                mail_from, rcpts, got, tls = msgs[0]
                expect(rcpts == [TLS_RCPT] and tls,
                       f"rcpts {rcpts}, over TLS: {tls}")
                expect(SSN.encode() in got, "the content was changed")
                expect(b"X-Seal-TLS" not in got, "X-Seal-TLS left Postfix")
                pf.wait_for_maillog(r"Verified TLS connection established")

            def test_required_no_tls():
                sink.offer_tls = False
                before = sink.count()
                _, data = message("req-notls", [TLS_RCPT], "payroll 2",
                                  f"SSN {SSN}\r\n".encode())
                r = pf.send(data, SENDER, [TLS_RCPT])
                expect(r.code == 250, f"send: {r}")
                pf.wait_for_maillog(re.escape(r.queue_id) +
                                    r":.*status=deferred.*TLS")
                time.sleep(3)
                expect(sink.count() == before,
                       "delivered although TLS was not offered")
                expect(r.queue_id in pf.queue(), "not kept in the queue")
                sink.offer_tls = True
                pf.flush()
                msgs = sink.wait_for(before + 1)[before:]
                expect(msgs[0][1] == [TLS_RCPT] and msgs[0][3],
                       f"after the flush: {msgs[0][1]} tls={msgs[0][3]}")

            def test_mixed():
                before = sink.count()
                _, data = message("mixed", [BOB, ERIN, TLS_RCPT], "payroll 3",
                                  f"SSN {SSN}\r\n".encode())
                r = pf.send(data, SENDER, [BOB, ERIN, TLS_RCPT])
                expect(r.code == 250, f"send: {r}")
                st.milter.wait_for_log(
                    re.escape(r.queue_id) + r": encrypted: .* "
                    r"inplace=envelope:2 reinjected=tls-required:1>")
                # envelope (bob+erin), notice (alice), x@tls.test over TLS.
                msgs = sink.wait_for(before + 3)[before:]
                time.sleep(1)
                expect(sink.count() == before + 3,
                       f"{sink.count() - before} messages, want 3")
                [tls_copy] = by_rcpt(msgs, TLS_RCPT)
                expect(tls_copy[3] and tls_copy[1] == [TLS_RCPT],
                       "the TLS group did not go over TLS alone")
                expect(b"X-Seal-TLS" not in tls_copy[2], "X-Seal-TLS left")
                [env] = by_rcpt(msgs, BOB)
                expect(sorted(env[1]) == sorted([BOB, ERIN]),
                       f"envelope rcpts {env[1]}")
                expect(SSN.encode() not in env[2], "SSN in the envelope copy")

            def test_preferred():
                before = sink.count()
                _, data = message("pref", [PREF_RCPT], "payroll 4",
                                  f"SSN {SSN}\r\n".encode())
                r = pf.send(data, SENDER, [PREF_RCPT])
                expect(r.code == 250, f"send: {r}")
                st.milter.wait_for_log(re.escape(r.queue_id) +
                                       r": sent to TLS: .* level=preferred")
                msgs = sink.wait_for(before + 1)[before:]
                expect(msgs[0][1] == [PREF_RCPT] and msgs[0][3],
                       f"rcpts {msgs[0][1]} over TLS {msgs[0][3]}")
                pf.wait_for_maillog(r"Untrusted TLS connection established"
                                    r"|Trusted TLS connection established")
                sink.offer_tls = False
                try:
                    before = sink.count()
                    _, data = message("pref-notls", [PREF_RCPT], "payroll 5",
                                      f"SSN {SSN}\r\n".encode())
                    r = pf.send(data, SENDER, [PREF_RCPT])
                    expect(r.code == 250, f"send: {r}")
                    pf.wait_for_maillog(re.escape(r.queue_id) +
                                        r":.*status=deferred.*TLS")
                    time.sleep(2)
                    expect(sink.count() == before, "sent without TLS")
                finally:
                    sink.offer_tls = True
                pf.flush()
                sink.wait_for(before + 1)

            def test_spoofed():
                before = sink.count()
                msgid, data = message("spoof", [BOB], "hello",
                                      b"nothing secret\r\n",
                                      b"X-Seal-TLS: required\r\n")
                r = pf.send(data, SENDER, [BOB])
                expect(r.code == 250, f"send: {r}")
                msgs = sink.wait_for(before + 1)[before:]
                expect(b"X-Seal-TLS" not in msgs[0][2],
                       "the sender's X-Seal-TLS left the gateway")

            failures = H.run_tests([
                ("required-tls", test_required_tls),
                ("required-no-tls", test_required_no_tls),
                ("mixed", test_mixed),
                ("preferred", test_preferred),
                ("spoofed", test_spoofed),
            ], per_test_timeout=150)
            if failures:
                st.print_diagnostics()
    finally:
        sink.close()

    H.log(f"{'FAILED' if failures else 'passed'}: {failures} failure(s), "
          f"{time.monotonic() - t0:.1f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
