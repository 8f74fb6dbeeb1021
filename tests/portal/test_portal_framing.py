#!/usr/bin/env python3
"""sealportal's HTTP framing over raw sockets (meson test, suite 'portal'):
what cpp-httplib would otherwise do with bodies and ranges.

* a POST with Transfer-Encoding (chunked) or without Content-Length gets
  411 and a closed connection: httplib applies the body limit only to a
  Content-Length, and would read a chunked or unframed body whole; nothing
  sent after it is taken for a second request;
* Range is ignored: a multi-range request gets the whole page once, not a
  multipart answer that repeats it per range;
* HEAD is answered only where a GET changes nothing (/, /assets/): on the
  envelope pages a GET records an opening, so HEAD gets 405 there.

usage: test_portal_framing.py BUILD_DIR
"""
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from portal_harness import run_suite  # noqa: E402

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def exchange(h, data, timeout=10):
    """Sends `data` on a fresh connection; returns everything read until
    the server closes it or `timeout` passes without data."""
    s = socket.create_connection(("127.0.0.1", h.port), timeout=timeout)
    try:
        s.sendall(data)
        got = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            got += chunk
            if len(got) > 64 << 20:
                break
        return got
    finally:
        s.close()


def status_lines(raw):
    return [line for line in raw.split(b"\r\n") if line.startswith(b"HTTP/1.")]


SMUGGLED = b"GET /assets/release.js HTTP/1.1\r\nHost: x\r\n\r\n"


@test
def chunked_post_is_refused_and_closed(h):
    body = b"6000000\r\n" + b"x" * 64 + b"\r\n"
    raw = exchange(h, b"POST /api/release HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Type: application/json\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n" + body +
                   b"0\r\n\r\n" + SMUGGLED, timeout=5)
    lines = status_lines(raw)
    check(lines and lines[0].startswith(b"HTTP/1.1 411"), "status %r" % lines)
    check(len(lines) == 1, "a second request was answered: %r" % lines)


@test
def post_without_length_is_refused(h):
    raw = exchange(h, b"POST /api/release HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Type: application/json\r\n\r\n{}" + SMUGGLED,
                   timeout=5)
    lines = status_lines(raw)
    check(lines and lines[0].startswith(b"HTTP/1.1 411"), "status %r" % lines)
    check(len(lines) == 1, "a second request was answered: %r" % lines)


@test
def post_with_both_framings_is_refused(h):
    raw = exchange(h, b"POST /api/release HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Type: application/json\r\n"
                      b"Content-Length: 4\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                   timeout=5)
    lines = status_lines(raw)
    check(lines and lines[0].startswith(b"HTTP/1.1 411"), "status %r" % lines)


@test
def ranges_are_ignored(h):
    plain = exchange(h, b"GET /assets/release.js HTTP/1.1\r\nHost: x\r\n"
                        b"Connection: close\r\n\r\n")
    check(status_lines(plain)[0].startswith(b"HTTP/1.1 200"), "plain get")
    ranges = ",".join(["0-"] * 2000).encode()
    raw = exchange(h, b"GET /assets/release.js HTTP/1.1\r\nHost: x\r\n"
                      b"Range: bytes=" + ranges + b"\r\n"
                      b"Connection: close\r\n\r\n")
    lines = status_lines(raw)
    check(lines and lines[0].startswith(b"HTTP/1.1 200"), "status %r" % lines)
    check(b"multipart/byteranges" not in raw, "a multi-range answer")
    check(len(raw) < 2 * len(plain) + 1024,
          "answer of %d bytes for a %d-byte page" % (len(raw), len(plain)))


@test
def head_only_where_get_changes_nothing(h):
    for path, want in (("/assets/release.js", b"200"), ("/", b"200"),
                       ("/open/" + "0" * 32, b"405"),
                       ("/open/" + "0" * 32 + "?part=1", b"405"),
                       ("/release?id=" + "0" * 32, b"405"),
                       ("/confirm?token=x", b"405")):
        raw = exchange(h, b"HEAD " + path.encode() + b" HTTP/1.1\r\n"
                          b"Host: x\r\nConnection: close\r\n\r\n")
        lines = status_lines(raw)
        check(lines and lines[0].split(b" ")[1] == want,
              "HEAD %s: %r" % (path, lines))


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    return run_suite(TESTS, build, "sealportal-framing-")


if __name__ == "__main__":
    sys.exit(main())
