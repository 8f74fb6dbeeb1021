#!/usr/bin/env python3
"""sealmilter with its spool on a file system that fills up, behind Postfix.

The spool directory (spool.directory) is a real, small file system: a 4 MiB
tmpfs mounted for this run (`mount -t tmpfs -o size=4m`, as root; unmounted
in a finally). A root-owned filler file in it takes the space away and gives
it back. spool.memory_limit is 256 KiB, so larger messages spill to an
unlinked file on that tmpfs. If the kernel refuses the mount (a container
without CAP_SYS_ADMIN), the test exits 77 (skipped) and says so: a fake
full disk is covered by tests/unit/spool_test.cc, and only a real file
system shows what Postfix and the client see.

  too-big-for-disk  1 MiB free, a 2 MiB message: the client gets 451 4.3.0,
                 nothing is delivered, nothing stays in Postfix's queue (the
                 message stays with the client), the milter log says the
                 spool (its directory) had no space; once the transaction is
                 over the tmpfs holds only the filler again: no partial
                 spool file, visible or unlinked-but-open, is left behind.
  small-fits     the disk completely full (0 bytes free): messages below
                 spool.memory_limit (100 bytes and 200 KiB) still pass, byte
                 for byte; one just over the limit (300 KiB) gets 451 4.3.0.
  output-no-room the message fits (1.2 MiB in 2 MiB free) but its S/MIME
                 rewrite, spooled beside it, does not: 451 4.7.0 ("must be
                 encrypted and cannot be now", the encryption failure
                 policy) at end of data, nothing delivered or queued, no
                 partial file left.
  space-freed    the filler removed: the same 2 MiB message is accepted and
                 delivered intact (SHA-256 of the body); the same S/MIME
                 message is delivered encrypted and decrypts to the original.
  nothing-lost   every message Postfix accepted is at the sink, nothing it
                 refused is; the milter exits 0 on SIGTERM and logged no
                 error: lines.

usage: test_disk_full.py [--daemon PATH] [--sealctl PATH]
       (or SEALMILTER=PATH SEALCTL=PATH)
Exit 0 all passed, 1 a test failed, 77 skipped (not root, or no tmpfs).
"""

import hashlib
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness as H  # noqa: E402

SENDER = "alice@example.org"
EXTERNAL = "bob@example.net"
CERT_RCPT = "carol@partner.test"
KIB = 1024
MIB = 1024 * KIB
TMPFS_SIZE = 4 * MIB
MEMORY_LIMIT = 256 * KIB
QUIET_PERIOD = 3.0
TAG = f"{os.getpid()}.{int(time.time())}"


def expect(cond, message):
    if not cond:
        raise AssertionError(message)


def sha(data):
    return hashlib.sha256(data).hexdigest()


def message(name, to, subject, size):
    """(msgid, bytes, body) with a body of about `size` bytes of text lines
    (at most 998 octets each, so Postfix relays them unfolded)."""
    msgid = f"<diskfull-{name}.{TAG}@e2e.test>"
    head = (f"From: Alice <{SENDER}>\r\n"
            f"To: <{to}>\r\n"
            f"Subject: {subject}\r\n"
            f"Date: Wed, 02 Dec 2026 10:00:00 +0000\r\n"
            f"Message-ID: {msgid}\r\n"
            f"MIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=us-ascii\r\n\r\n").encode()
    seed = hashlib.sha256(name.encode()).hexdigest().encode()
    lines, n, i = [], 0, 0
    while n < size:
        line = b"%08d " % i + (seed * 2)[:70] + b"\r\n"
        lines.append(line)
        n += len(line)
        i += 1
    body = b"".join(lines)
    return msgid, head + body, body


def fs_used(path):
    st = os.statvfs(path)
    return (st.f_blocks - st.f_bfree) * st.f_frsize


def fs_free(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


class Tmpfs:
    """A tmpfs of `size` bytes at `path`, root dir owned by `owner` 0700."""

    def __init__(self, path, size, owner):
        self.path = path
        self.size = size
        self.owner = owner
        self.mounted = False

    def mount(self):
        os.makedirs(self.path, exist_ok=True)
        pw = pwd.getpwnam(self.owner)
        p = subprocess.run(
            ["mount", "-t", "tmpfs", "-o",
             f"size={self.size},mode=0700,uid={pw.pw_uid},gid={pw.pw_gid}",
             "tmpfs", self.path], capture_output=True, timeout=30)
        if p.returncode != 0:
            return p.stderr.decode("utf-8", "replace").strip() or \
                f"mount exited {p.returncode}"
        self.mounted = True
        return None

    def umount(self):
        if self.mounted:
            subprocess.run(["umount", self.path], capture_output=True,
                           timeout=30)
            self.mounted = False


class Filler:
    """A root-owned file on the tmpfs that leaves `free` bytes free."""

    def __init__(self, directory):
        self.path = os.path.join(directory, "filler")

    def leave_free(self, free):
        """Rewrites the filler so that `free` bytes (rounded to pages) stay
        free; free=0 fills the file system to the last byte."""
        self.remove()
        want = max(0, fs_free(os.path.dirname(self.path)) - free)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            chunk = b"\0" * (64 * KIB)
            while want > 0 or free == 0:
                try:
                    n = os.write(fd, chunk[:min(len(chunk), want)] if want
                                 else chunk[:4096])
                except OSError:  # ENOSPC: full, as asked
                    break
                want = max(0, want - n)
        finally:
            os.close(fd)

    def remove(self):
        try:
            os.unlink(self.path)
        except FileNotFoundError:
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
        print("test_disk_full.py: set SEALMILTER and SEALCTL or pass "
              "--daemon and --sealctl")
        return 64
    H.require_root()
    binary = os.path.abspath(binary)
    sealctl = os.path.abspath(sealctl)
    t0 = time.monotonic()

    work = tempfile.mkdtemp(prefix="sealmilter-diskfull-")
    os.chmod(work, 0o755)
    spool = Tmpfs(os.path.join(work, "spool"), TMPFS_SIZE, H.MILTER_USER)
    try:
        why = spool.mount()
        if why:
            H.log(f"SKIP: cannot mount a tmpfs for the spool: {why}")
            return H.EXIT_SKIP
        return run(binary, sealctl, work, spool, t0)
    finally:
        spool.umount()
        if os.environ.get("SEALMILTER_E2E_KEEP") == "1":
            H.log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(binary, sealctl, work, spool, t0):
    key, cert = H.make_smime_cert(work, CERT_RCPT, "carol")
    store = H.make_store(sealctl, work, [cert])
    filler = Filler(spool.path)
    values = {
        "spool.directory": H.toml_string(spool.path),
        "spool.memory_limit": f'"{MEMORY_LIMIT // KIB}K"',
        "store.path": H.toml_string(store),
        "gateway.internal_domains": '["example.org"]',
        "gateway.reinject_journal": H.toml_string(
            os.path.join(work, "journal")),
        "log.level": '"info"',
    }
    accepted, refused = [], []
    failures = 0
    with H.Stack(binary, milter_values=values, reinject=True,
                 prefix="sealmilter-diskfull-e2e-") as st:
        pf = st.postfix
        H.log(f"  spool: tmpfs of {TMPFS_SIZE} bytes at {spool.path}")

        def send(msgid, data, rcpts):
            r = pf.send(data, SENDER, rcpts, timeout=120)
            (accepted if r.accepted else refused).append(msgid)
            return r

        def delivered(msgid, timeout=60):
            found = H.wait_until(lambda: st.sink.find(msgid), timeout,
                                 what=f"{msgid} at the sink")
            expect(len(found) == 1, f"{len(found)} copies of {msgid}")
            return found[0]

        def no_partial_files(baseline, what):
            """The spool directory holds only the filler, and the tmpfs
            only its blocks: no spool file, named or unlinked-but-open."""
            names = sorted(os.listdir(spool.path))
            expect(names in ([], ["filler"]),
                   f"{what}: files left in the spool: {names}")
            try:
                H.wait_until(lambda: fs_used(spool.path) <= baseline, 15,
                             what="the spool's space to be given back")
            except TimeoutError:
                raise AssertionError(
                    f"{what}: the tmpfs still holds "
                    f"{fs_used(spool.path) - baseline} bytes beyond the "
                    f"filler after the transaction ended (an open spool "
                    f"file)") from None

        def expect_disk_tempfail(what, msgid, data, rcpts, log_re,
                                 enhanced="4.3.0"):
            before = st.sink.count()
            queued = pf.queued_files()
            baseline = fs_used(spool.path)
            seen = len(re.findall(log_re + r".*$", st.milter.log(), re.M))
            r = send(msgid, data, rcpts)
            H.log(f"  {what}: {r}")
            expect(r.code == 451 and r.text.startswith(enhanced),
                   f"{what}: expected 451 {enhanced}, got {r}")
            time.sleep(QUIET_PERIOD)
            expect(st.sink.count() == before,
                   f"{what}: {st.sink.count() - before} message(s) "
                   f"delivered although the client got {r.code}")
            expect(pf.queued_files() == queued,
                   f"{what}: left in Postfix's queue: {pf.queue()}")
            lines = H.wait_until(
                lambda: re.findall(log_re + r".*$", st.milter.log(),
                                   re.M)[seen:], 10,
                what=f"a new milter log line /{log_re}/")
            H.log(f"  milter: {lines[-1]}")
            no_partial_files(baseline, what)
            return r

        def passes_exact(msgid, data, rcpts):
            r = send(msgid, data, rcpts)
            expect(r.accepted, f"{msgid}: {r}")
            m = delivered(msgid)
            expect(m.data.endswith(data) and
                   H.header_fields(m.data[:len(m.data) - len(data)] +
                                   b"\r\n")[0].startswith(b"Received:"),
                   f"{msgid}: delivered {len(m.data)} bytes sha256 "
                   f"{sha(m.data)[:16]}, sent {len(data)} bytes sha256 "
                   f"{sha(data)[:16]}")
            return r, m

        nospace = (r"spool\.directory " + re.escape(spool.path) +
                   r": cannot write spool file: No space left on device")
        big_id, big, big_body = message("big", EXTERNAL, "the report",
                                        2 * MIB)
        sm_id, sm, sm_body = message("smime", CERT_RCPT, "# the report",
                                     1200 * KIB)

        def test_too_big_for_disk():
            filler.leave_free(1 * MIB)
            free = fs_free(spool.path)
            expect(free < len(big), f"{free} bytes free, message "
                   f"{len(big)}: the disk is not too small")
            expect_disk_tempfail(
                "2 MiB in 1 MiB free", big_id, big, [EXTERNAL],
                r"warning: \S+: (?:body|header|end of headers): io-error: " +
                nospace + r".*answering 451 4\.3\.0")

        def test_small_fits():
            filler.leave_free(0)
            expect(fs_free(spool.path) == 0,
                   f"{fs_free(spool.path)} bytes still free")
            for name, size in (("tiny", 100), ("below-limit", 200 * KIB)):
                msgid, data, _ = message(name, EXTERNAL, name, size)
                r, _ = passes_exact(msgid, data, [EXTERNAL])
                line = st.milter.passed_line(r.queue_id)
                expect(line["spilled"] == "no", f"{name} spilled: {line}")
            msgid, data, _ = message("over-limit", EXTERNAL, "over", 300 * KIB)
            expect_disk_tempfail(
                "300 KiB on a full disk", msgid, data, [EXTERNAL],
                r"warning: \S+: (?:body|header|end of headers): io-error: " +
                nospace)

        def test_output_no_room():
            filler.leave_free(2 * MIB)
            free = fs_free(spool.path)
            expect(len(sm) < free < 2.2 * len(sm),
                   f"{free} bytes free for a {len(sm)}-byte message")
            expect_disk_tempfail(
                "S/MIME output on a full disk", sm_id, sm, [CERT_RCPT],
                r"message must be encrypted but cannot be: S/MIME "
                r"encryption: " + nospace, enhanced="4.7.0")

        def test_space_freed():
            filler.remove()
            expect(fs_used(spool.path) < 64 * KIB,
                   f"tmpfs still holds {fs_used(spool.path)} bytes")
            r, m = passes_exact(big_id, big, [EXTERNAL])
            line = st.milter.passed_line(r.queue_id)
            expect(line["spilled"] == "yes", f"not spilled: {line}")
            _, body = H.split_message(m.data)
            expect(sha(body) == sha(big_body),
                   f"body sha256 {sha(body)}, want {sha(big_body)}")
            H.log(f"  {len(big)} bytes delivered intact, sha256 "
                  f"{sha(body)[:16]}")
            r = send(sm_id, sm, [CERT_RCPT])
            expect(r.accepted, f"S/MIME after freeing: {r}")
            st.milter.wait_for_log(re.escape(r.queue_id) +
                                   r": encrypted: .* method=smime")
            m = delivered(sm_id)
            path = os.path.join(work, "smime.eml")
            with open(path, "wb") as f:
                f.write(m.data)
            p = subprocess.run(["openssl", "cms", "-decrypt", "-in", path,
                                "-inkey", key, "-recip", cert],
                               capture_output=True, timeout=120)
            expect(p.returncode == 0, "openssl cms -decrypt: " +
                   p.stderr.decode("utf-8", "replace"))
            _, plain = H.split_message(p.stdout)
            expect(sha(plain) == sha(sm_body),
                   f"decrypted body sha256 {sha(plain)[:16]}, want "
                   f"{sha(sm_body)[:16]}")
            no_partial_files(0 + 64 * KIB, "after delivery")

        def test_nothing_lost():
            present = set()

            def settled():
                present.clear()
                present.update(m.header("Message-ID")
                               for m in st.sink.messages())
                return all(mid in present for mid in accepted)
            H.wait_until(settled, 30, interval=0.5,
                         what="every accepted message at the sink")
            # A message refused while the disk was full and accepted later
            # is one message: it counts as delivered.
            leaked = [mid for mid in refused
                      if mid in present and mid not in accepted]
            expect(not leaked, f"refused but delivered: {leaked}")
            expect(big_id in accepted and sm_id in accepted,
                   "the refused messages were never accepted later")
            rc = st.milter.stop()
            expect(rc == 0, f"milter exit status {rc} on SIGTERM")
            problems = st.milter.problems()
            expect(not problems, f"milter log problems: {problems}")
            expect(not pf.problems(), f"Postfix problems: {pf.problems()}")

        failures = H.run_tests([
            ("too-big-for-disk", test_too_big_for_disk),
            ("small-fits", test_small_fits),
            ("output-no-room", test_output_no_room),
            ("space-freed", test_space_freed),
            ("nothing-lost", test_nothing_lost),
        ], per_test_timeout=120)
        filler.remove()
        if failures:
            st.print_diagnostics()
    H.log(f"{'FAILED' if failures else 'passed'}: {failures} failure(s), "
          f"{time.monotonic() - t0:.1f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
