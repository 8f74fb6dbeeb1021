#!/usr/bin/env python3
"""sealportal through real HTTP (meson test, suite 'portal'): registration,
confirmation mail, login, the key release with a browser key (Python
`cryptography` plays the browser), the JS-free open, reply, the read
receipt (once), revoked and expired envelopes, lockout, CSRF, and the
same answers for known and unknown addresses.

usage: test_portal_http.py BUILD_DIR
"""
import base64
import email
import email.policy
import html
import http.cookiejar
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from portal_harness import run_suite  # noqa: E402

try:
    import cryptography  # noqa: F401
except ImportError:
    # Debian's python3-cryptography (scripts/install-deps) serves the
    # system interpreter; a private python (pyenv) may lack it.
    if sys.executable != "/usr/bin/python3" and os.path.exists(
            "/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    raise
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from cryptography.hazmat.primitives.kdf.hkdf import HKDF  # noqa: E402

INFO = b"sealmilter-portal-release-v1"
PASSWORD = "a long enough password 1"
SENDER = "alice@example.org"
BOB = "bob@partner.test"
CAROL = "carol@partner.test"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Client:
    """A browser: cookies, optional redirect following."""

    def __init__(self, base):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.follow = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar))
        self.nofollow = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)

    def request(self, method, path, data=None, headers=None, follow=True):
        url = path if path.startswith("http") else self.base + path
        req = urllib.request.Request(url, data=data, method=method,
                                     headers=headers or {})
        opener = self.follow if follow else self.nofollow
        try:
            with opener.open(req, timeout=30) as r:
                return r.status, dict(r.headers), r.read().decode(
                    "utf-8", "replace"), r.geturl()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read().decode(
                "utf-8", "replace"), url

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post_form(self, path, fields, **kw):
        return self.request(
            "POST", path, urllib.parse.urlencode(fields).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"}, **kw)


def csrf_of(page, action=None):
    """The CSRF token of the page's form posting to `action` (default: the
    first form that is not the navigation's sign-out form)."""
    for form in re.finditer(r'<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>',
                            page, re.S):
        if (action is None and form.group(1) != "/logout") or \
                form.group(1) == action:
            m = re.search(r'name="csrf" value="([^"]+)"', form.group(2))
            if m:
                return m.group(1)
    raise AssertionError("no CSRF field in page:\n" + page[:2000])


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def link_in(mail, path):
    text = mail.decode("utf-8", "replace")
    m = re.search(r"(http://127\.0\.0\.1:\d+" + re.escape(path) +
                  r"\?t=[A-Za-z0-9_-]+[^\s]*)", text)
    check(m, "no %s link in mail:\n%s" % (path, text))
    return m.group(1)


def check_mail_headers(mail, to):
    """A well-formed portal mail: From and To bare addresses, the subject
    decoded back to text, no header line over 78 characters."""
    head = mail.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):
        check(len(line) <= 78, "header line of %d: %r" % (len(line), line))
    msg = email.message_from_bytes(mail, policy=email.policy.default)
    check(len(msg["From"].addresses) == 1 and "@" in
          msg["From"].addresses[0].addr_spec, "From %r" % msg["From"])
    check([a.addr_spec for a in msg["To"].addresses] == [to],
          "To %r" % msg["To"])
    subject = str(msg["Subject"])
    check(subject and "=?" not in subject, "Subject %r" % subject)
    check(msg["Message-ID"].startswith("<") and
          msg["Message-ID"].endswith(">"), "Message-ID %r" % msg["Message-ID"])
    return subject


def register_and_confirm(h, client, email_addr, lang=None):
    query = "?lang=" + lang if lang else ""
    status, _, page, _ = client.get("/register" + query)
    check(status == 200, "register page %d" % status)
    status, _, page, _ = client.post_form(
        "/register", {"email": email_addr, "csrf": csrf_of(page)})
    check(status == 200, "register post %d" % status)
    _, mail = h.wait_mail(email_addr)
    subject = check_mail_headers(mail, email_addr)
    if lang == "ja":  # localized: the subject is not ASCII, and decodes
        check(any(ord(c) > 0x7f for c in subject), "ja subject %r" % subject)
    url = link_in(mail, "/confirm")
    status, _, page, _ = client.get(url)
    check(status == 200, "confirm page %d" % status)
    t = re.search(r'name="t" value="([^"]+)"', page).group(1)
    status, _, page, _ = client.post_form(
        "/confirm", {"t": t, "password": PASSWORD, "password2": PASSWORD,
                     "csrf": csrf_of(page)})
    check(status == 200, "confirm post %d: %s" % (status, page))


def login(client, email, password=PASSWORD, next_path="/"):
    status, _, page, _ = client.get("/login?next=" +
                                    urllib.parse.quote(next_path, safe=""))
    return client.post_form("/login", {"email": email, "password": password,
                                       "next": next_path,
                                       "csrf": csrf_of(page)})


def envelope_parts(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()

    def area(name):
        m = re.search(r'<textarea id="%s"[^>]*>(.*?)</textarea>' % name, text,
                      re.S)
        check(m, "no %s in the envelope" % name)
        return html.unescape(m.group(1))

    meta_text = area("seal-metadata").strip()
    return meta_text, json.loads(meta_text), area("seal-ciphertext")


def portal_slot(meta):
    for s in meta["slots"]:
        if s.get("type") == "portal":
            return s
    raise AssertionError("no portal slot")


def release_page(client, eid):
    status, headers, page, url = client.get("/release?id=" + eid)
    return status, headers, page, url


def api_release(client, eid, page, meta, key_id=None, csrf=None,
                wrapped=None):
    m = re.search(r'data-csrf="([^"]+)"', page)
    token = csrf if csrf is not None else (m.group(1) if m else "")
    priv = ec.generate_private_key(ec.SECP256R1())
    pub = priv.public_key().public_bytes(
        serialization.Encoding.X962,
        serialization.PublicFormat.UncompressedPoint)
    slot = portal_slot(meta)
    body = {"id": eid, "key_id": key_id or slot["key_id"], "iv": slot["iv"],
            "wrapped": wrapped or slot["wrapped"],
            "browser_public": base64.b64encode(pub).decode()}
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-CSRF-Token"] = token
    status, _, text, _ = client.request(
        "POST", "/api/release", json.dumps(body).encode(), headers)
    return status, json.loads(text), priv, pub


def unwrap(eid, priv, pub, answer):
    portal_pub = base64.b64decode(answer["portal_public"])
    peer = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(),
                                                        portal_pub)
    shared = priv.exchange(ec.ECDH(), peer)
    kek = HKDF(hashes.SHA256(), 32, eid.encode(), INFO).derive(shared)
    aad = INFO + b"|" + eid.encode() + b"|" + portal_pub + b"|" + pub
    return AESGCM(kek).decrypt(base64.b64decode(answer["iv"]),
                               base64.b64decode(answer["wrapped"]), aad)


def multipart(fields):
    boundary = "----sealtest" + uuid.uuid4().hex
    out = b""
    for name, value in fields.items():
        out += ("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n"
                % (boundary, name)).encode() + value.encode() + b"\r\n"
    out += ("--%s--\r\n" % boundary).encode()
    return out, "multipart/form-data; boundary=" + boundary


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def csrf_missing_is_403(h):
    c = Client(h.url)
    c.get("/login")
    status, _, page, _ = c.post_form("/login", {"email": BOB,
                                                "password": "x" * 12})
    check(status == 403, "login without CSRF: %d" % status)
    status, _, _, _ = c.post_form("/register", {"email": BOB,
                                                "csrf": "forged"})
    check(status == 403, "register with a forged CSRF: %d" % status)


@test
def full_flow(h):
    eid, path, _ = h.make_envelope(SENDER, [BOB, CAROL], "Hello Bob, secret.",
                                   read_receipt=True)
    bob = Client(h.url)
    register_and_confirm(h, bob, BOB)
    # Not logged in: the release page sends to the login and back.
    status, _, _, _ = bob.get("/release?id=" + eid, follow=False)
    check(status == 303, "release without session: %d" % status)
    status, _, page, url = login(bob, BOB, next_path="/release?id=" + eid)
    check(status == 200 and "/release" in url, "login: %d %s" % (status, url))
    check('data-ready="1"' in page and 'id="release"' in page,
          "release page not ready:\n" + page)
    status, headers, page, _ = release_page(bob, eid)
    check(headers.get("Cross-Origin-Opener-Policy") == "unsafe-none",
          "COOP on /release: %r" % headers.get("Cross-Origin-Opener-Policy"))
    check("<script src=\"/assets/release.js\">" in page, "no release.js")
    check("script-src 'self'" in headers.get("Content-Security-Policy", ""),
          "CSP")
    # The confirmation release.js shows before any release (hidden until
    # a request arrives): the requester, the sender, the two buttons.
    check('<section id="release-confirm" hidden>' in page and
          '<dd id="release-origin"></dd>' in page and
          '<dd id="release-sender">' + SENDER + '</dd>' in page and
          'id="release-confirm-open" disabled>' in page and
          'id="release-confirm-cancel"' in page and
          'data-origin-null-text="' in page and
          'data-cancelled-text="' in page,
          "release page without the confirmation:\n" + page)
    status, _, script, _ = bob.get("/assets/release.js")
    check(status == 200 and "ev.isTrusted" in script and
          "'cancelled'" in script, "release.js without the confirmation")
    meta_text, meta, ct = envelope_parts(path)
    status, answer, priv, pub = api_release(bob, eid, page, meta)
    check(status == 200, "release: %d %r" % (status, answer))
    check(answer["reply"] is True and answer["forward"] is True, "options")
    key = unwrap(eid, priv, pub, answer)
    check(len(key) == 32, "content key size")
    plain = AESGCM(key).decrypt(base64.b64decode(meta["content"]["iv"]),
                                base64.b64decode(re.sub(r"\s", "", ct)),
                                meta_text.encode())
    check(b"Hello Bob, secret." in plain, "decrypted message")
    # Read receipt: exactly once.
    rcpts, mail = h.wait_mail(SENDER)
    check(b"opened" in mail.lower(), "receipt text")
    status, _, _, _ = api_release(bob, eid, page, meta)[:4]
    check(status == 200, "second release %d" % status)
    receipts = [m for r, m in h.mails() if SENDER in r and
                b"Read receipt" in m]
    check(len(receipts) == 1, "%d read receipts" % len(receipts))
    # Bad slot / unknown key id / wrong CSRF.
    status, ans, _, _ = api_release(bob, eid, page, meta, key_id="nokey")
    check(status == 400 and ans["error"] == "bad_request",
          "unknown key id: %d %r" % (status, ans))
    status, ans, _, _ = api_release(bob, eid, page, meta, csrf="AAAA")
    check(status == 403 and ans["error"] == "csrf", "api csrf %d" % status)
    # JS-free open.
    fields = {"envelope": meta_text, "ciphertext": ct, "envelope_id": eid}
    body, ctype = multipart(fields)
    status, _, page, url = bob.request("POST", "/open", body,
                                       {"Content-Type": ctype})
    check(status == 200 and "Hello Bob, secret." in page,
          "open online: %d\n%s" % (status, page[:3000]))
    # Not logged in: redirected to the login.
    anon = Client(h.url)
    status, headers, _, _ = anon.request("POST", "/open", body,
                                         {"Content-Type": ctype},
                                         follow=False)
    check(status == 303, "anonymous open %d" % status)
    status, headers, _, _ = anon.get(headers["Location"], follow=False)
    check(status == 303 and headers["Location"].startswith("/login?next="),
          "anonymous open page %d %r" % (status, headers.get("Location")))
    # Reply.
    status, _, page, _ = bob.get(
        "/reply?id=%s&mode=reply&subject=Portal%%20test" % eid)
    check(status == 200, "reply form %d" % status)
    status, _, page, _ = bob.post_form(
        "/reply", {"id": eid, "mode": "reply", "subject": "Re: Portal test",
                   "text": "Thanks Alice!", "csrf": csrf_of(page)})
    check(status == 200, "reply post %d %s" % (status, page))
    rcpts, mail = h.wait_mail(SENDER)
    check(b"Thanks Alice!" in mail and b"Reply-To: " + BOB.encode() in mail,
          "reply mail:\n%r" % mail)
    # Forward outside the internal domains is refused.
    status, _, page, _ = bob.get("/reply?id=%s&mode=forward&subject=x" % eid)
    status, _, page, _ = bob.post_form(
        "/reply", {"id": eid, "mode": "forward", "to": "eve@evil.test",
                   "subject": "Fwd: x", "text": "t", "csrf": csrf_of(page)})
    check(status == 400, "forward outside %d" % status)
    # Carol is a recipient too but logs in as herself; Dave is not one.
    eid2, _, _ = h.make_envelope(SENDER, [CAROL], "For Carol only")
    status, _, page, _ = release_page(bob, eid2)
    check(status == 403, "not recipient page %d" % status)
    # Revoked and expired.
    h.revoke(eid)
    status, _, page, _ = release_page(bob, eid)
    check(status == 410, "revoked page %d" % status)
    status, ans, _, _ = api_release(bob, eid, page, meta,
                                    csrf=re.search(r'data-csrf="([^"]+)"',
                                                   release_page(bob, eid2)[2]
                                                   ) and "x")
    eid3, path3, _ = h.make_envelope(SENDER, [BOB], "Expiring")
    status, _, page3, _ = release_page(bob, eid3)
    check(status == 200, "fresh envelope %d" % status)
    h.expire(eid3)
    _, meta3, _ = envelope_parts(path3)[0:3]
    status, ans, _, _ = api_release(bob, eid3, page3, meta3)
    check(status == 410 and ans["error"] == "expired",
          "expired api %d %r" % (status, ans))
    status, ans, _, _ = api_release(
        bob, eid, page3.replace(eid3, eid), envelope_parts(path)[1])
    # The CSRF token is per session and purpose, so it is good for eid too.
    check(status == 410 and ans["error"] == "revoked",
          "revoked api %d %r" % (status, ans))
    # Logout, then the API wants a login.
    status, _, page, _ = bob.get("/")
    status, _, _, _ = bob.post_form("/logout", {"csrf": csrf_of(page, "/logout")})
    check(status == 200, "logout %d" % status)
    status, ans, _, _ = api_release(bob, eid3, page3, meta3)
    check(status == 401 and ans["error"] == "login_required",
          "after logout %d %r" % (status, ans))


@test
def localized_mail_headers(h):
    """A Japanese confirmation mail: encoded-word subject, bare addresses."""
    kenji = "kenji@partner.test"
    h.make_envelope(SENDER, [kenji], "Ohayo")  # the portal knows him now
    register_and_confirm(h, Client(h.url), kenji, lang="ja")


@test
def high_security_reauth(h):
    dave = "dave@partner.test"
    eid, path, _ = h.make_envelope(SENDER, [dave], "Top secret",
                                   security="high")
    c = Client(h.url)
    register_and_confirm(h, c, dave)
    status, _, page, _ = login(c, dave)
    check(status == 200, "login %d" % status)
    status, _, page, _ = release_page(c, eid)
    check(status == 200 and 'data-ready="0"' in page and
          'name="password"' in page, "high: no re-auth form")
    _, meta, _ = envelope_parts(path)
    status, ans, _, _ = api_release(c, eid, page, meta)
    check(status == 401, "high without re-auth %d %r" % (status, ans))
    status, _, page, _ = c.post_form("/release", {
        "id": eid, "password": PASSWORD, "csrf": csrf_of(page)})
    check(status == 200 and 'data-ready="1"' in page, "re-auth %d" % status)
    status, ans, priv, pub = api_release(c, eid, page, meta)
    check(status == 200, "high release %d %r" % (status, ans))
    check(len(unwrap(eid, priv, pub, ans)) == 32, "unwrap")
    status, ans, _, _ = api_release(c, eid, page, meta)
    check(status == 401, "a re-auth is good for one release: %d" % status)


@test
def lockout(h):
    erin = "erin@partner.test"
    h.make_envelope(SENDER, [erin], "x")
    c = Client(h.url)
    register_and_confirm(h, c, erin)
    for i in range(h.lockout_failures):
        status, _, page, _ = login(c, erin, "wrong password %d!" % i)
        check(status == 401, "wrong password %d" % status)
    check("blocked" in page, "no lockout message after N failures")
    status, _, page, _ = login(c, erin, PASSWORD)
    check(status == 401 and "blocked" in page,
          "right password while locked: %d" % status)
    # An unknown address locks the same way (no enumeration).
    for i in range(h.lockout_failures):
        status, _, page2, _ = login(c, "nobody@partner.test", "wrong pw %d!" % i)
    check("blocked" in page2, "unknown address not locked alike")


@test
def no_enumeration(h):
    frank = "frank@partner.test"
    h.make_envelope(SENDER, [frank], "x")
    known = Client(h.url)
    register_and_confirm(h, known, frank)
    before = len(h.mails())
    c = Client(h.url)
    c.get("/")
    pages = {}
    for addr in (frank, "unknown@partner.test"):
        _, _, page, _ = c.get("/register")
        _, _, pages[("register", addr)], _ = c.post_form(
            "/register", {"email": addr, "csrf": csrf_of(page)})
        _, _, page, _ = c.get("/reset")
        _, _, pages[("reset", addr)], _ = c.post_form(
            "/reset", {"email": addr, "csrf": csrf_of(page)})
        _, _, pages[("login", addr)], _ = login(c, addr, "wrong password x!")
    for kind in ("register", "reset"):
        a, b = pages[(kind, frank)], pages[(kind, "unknown@partner.test")]
        check(a == b, "%s answers differ" % kind)
    a = pages[("login", frank)].replace(frank, "ADDR")
    b = pages[("login", "unknown@partner.test")].replace(
        "unknown@partner.test", "ADDR")
    if a != b:
        import difflib
        print("\n".join(difflib.unified_diff(a.splitlines(), b.splitlines(),
                                              lineterm="")))
    check(a == b, "login failure answers differ")
    # The known account got two mails ("already registered", reset link);
    # the unknown address none.
    h.wait_mail(frank)
    h.wait_mail(frank)
    after = [r for r, _ in h.mails()[before:]]
    check(all("unknown@partner.test" not in r for r in after),
          "mail sent to an unknown address")


@test
def reset_password_kills_sessions(h):
    gina = "gina@partner.test"
    h.make_envelope(SENDER, [gina], "x")
    a = Client(h.url)
    register_and_confirm(h, a, gina)
    login(a, gina)
    status, _, page, _ = a.get("/")
    check(gina in page, "signed in")
    b = Client(h.url)
    _, _, page, _ = b.get("/reset")
    b.post_form("/reset", {"email": gina, "csrf": csrf_of(page)})
    _, mail = h.wait_mail(gina)
    url = link_in(mail, "/reset/confirm")
    _, _, page, _ = b.get(url)
    t = re.search(r'name="t" value="([^"]+)"', page).group(1)
    new = "another long password 2"
    status, _, _, _ = b.post_form("/reset/confirm", {
        "t": t, "password": new, "password2": new, "csrf": csrf_of(page)})
    check(status == 200, "reset confirm %d" % status)
    _, _, page, _ = a.get("/")
    check(gina not in page, "old session survived the reset")
    status, _, _, _ = login(b, gina, new)
    check(status == 200, "login with the new password %d" % status)
    # The link is single-use.
    status, _, _, _ = b.post_form("/reset/confirm", {
        "t": t, "password": new, "password2": new,
        "csrf": csrf_of(b.get(url)[2])})
    check(status == 400, "reused reset link %d" % status)


@test
def hostile_input(h):
    c = Client(h.url)
    status, _, _, _ = c.get("/release?id=not-hex")
    check(status == 400, "bad id %d" % status)
    status, _, _, _ = c.get("/release?id=" + "0" * 32)
    check(status == 404, "unknown id %d" % status)
    status, _, _, _ = c.request("POST", "/open", b"garbage",
                                {"Content-Type": "multipart/form-data; "
                                 "boundary=xyz"})
    check(status == 400, "bad multipart %d" % status)
    status, _, _, _ = c.request("POST", "/open", b"x" * (5 << 20),
                                {"Content-Type": "multipart/form-data; "
                                 "boundary=xyz"})
    check(status == 413, "oversized upload %d" % status)
    status, _, text, _ = c.request("POST", "/api/release", b"{not json",
                                   {"Content-Type": "application/json"})
    check(status == 400 and json.loads(text)["error"] == "bad_request",
          "bad json %d" % status)
    status, _, _, _ = c.request("GET", "/", headers={"X-Big": "a" * 20000})
    check(400 <= status < 500, "huge header %d" % status)
    status, _, _, _ = c.get("/open/%2e%2e%2fetc")
    check(status == 404, "bad pending id %d" % status)


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    return run_suite(TESTS, build, "sealportal-test-")


if __name__ == "__main__":
    sys.exit(main())
