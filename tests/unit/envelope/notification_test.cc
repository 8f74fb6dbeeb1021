// Notification tests (notification.h, sender_notices.h, mime_writer.h): the
// MIME structure, the attached page opens again, escaping of a hostile
// sender name, every locale renders every template, header encoding and
// quoted-printable tables, and the passphrase appears only in the sender's
// notice.
#include <catch2/catch.hpp>

#include "lib/envelope/base64.h"
#include "lib/envelope/envelope_reader.h"
#include "lib/envelope/envelope_writer.h"
#include "lib/envelope/escape.h"
#include "lib/envelope/mime_writer.h"
#include "lib/envelope/notification.h"
#include "lib/envelope/sender_notices.h"
#include "tests/unit/envelope/envelope_test_util.h"

namespace seal::envelope {
namespace {

using testing::DecodeQuotedPrintable;
using testing::SplitParts;
using testing::Templates;

const TimePoint kNow(std::chrono::seconds(1714564800));

NotificationRequest Request(std::string locale) {
  NotificationRequest r;
  r.locale = std::move(locale);
  r.sender_address = "alice@example.com";
  r.sender_name = "Alice <script>alert(1)</script>";
  r.recipient = "bob@example.net";
  r.subject = "Quarterly report — é ü 日本語 😀";
  r.portal_url = "https://portal.example.com/open";
  r.expires = kNow + std::chrono::hours(24 * 7);
  return r;
}

std::string Body(const std::string& message) {
  return message.substr(message.find("\r\n\r\n") + 4);
}

std::string PartBody(const std::string& part) {
  return part.substr(part.find("\r\n\r\n") + 4);
}

TEST_CASE("Notification structure and a page that opens again",
          "[notification]") {
  EnvelopeRequest er;
  er.sender_address = "alice@example.com";
  er.now = kNow;
  er.passphrases.emplace_back();
  er.passphrases.back().passphrase = "open sesame";
  const std::string original = "Subject: hi\r\n\r\nsecret body\r\n";
  std::string page;
  auto n = Notification::Prepare(*Templates(), Request("en"));
  REQUIRE(n.ok());
  std::vector<HeaderField> passthrough = {{"From", "Alice <alice@example.com>"},
                                          {"To", "bob@example.net"},
                                          {"Subject", "must be dropped"},
                                          {"Content-Type", "text/plain"},
                                          {"X-Seal-Expires", "+7"},
                                          {"Message-ID", "<1@example.com>"}};
  std::string message;
  Status s = n->WriteMessage(
      passthrough,
      [&](const Sink& out) {
        Sink both = [&](std::string_view d) {
          page.append(d);
          return out(d);
        };
        return MakeEnvelope(*Templates(), er, MessageFromString(original), both)
            .status();
      },
      StringSink(&message));
  REQUIRE(s.ok());
  std::string head = message.substr(0, message.find("\r\n\r\n"));
  CHECK(head.find("From: Alice <alice@example.com>\r\n") != std::string::npos);
  CHECK(head.find("Message-ID: <1@example.com>") != std::string::npos);
  CHECK(head.find("must be dropped") == std::string::npos);
  CHECK(head.find("X-Seal-Expires") == std::string::npos);
  CHECK(head.find("text/plain") == std::string::npos);
  CHECK(head.find("Subject: =?UTF-8?B?") != std::string::npos);
  CHECK(head.find("MIME-Version: 1.0") != std::string::npos);
  for (size_t pos = 0, next; pos < message.size(); pos = next + 2) {
    next = message.find("\r\n", pos);
    if (next == std::string::npos) break;
    REQUIRE(next - pos <= 78);  // every line, headers and body
  }
  CHECK(message.find('\n') == message.find("\r\n") + 1);  // CRLF only
  for (size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '\n') REQUIRE(message[i - 1] == '\r');
  }

  std::string outer = testing::BoundaryOf(head);
  auto parts = SplitParts(Body(message), outer);
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].rfind("Content-Type: multipart/alternative;", 0) == 0);
  auto alternatives =
      SplitParts(PartBody(parts[0]), testing::BoundaryOf(parts[0]));
  REQUIRE(alternatives.size() == 2);
  CHECK(alternatives[0].rfind("Content-Type: text/plain; charset=utf-8", 0) ==
        0);
  CHECK(alternatives[1].rfind("Content-Type: text/html; charset=utf-8", 0) ==
        0);
  std::string text = DecodeQuotedPrintable(PartBody(alternatives[0]));
  std::string expected_text;
  for (char c : n->text()) {
    if (c == '\n') expected_text += '\r';
    expected_text += c;
  }
  CHECK(text == expected_text);
  CHECK(text.find("Alice <script>alert(1)</script> <alice@example.com> sent "
                  "you an encrypted message") != std::string::npos);
  CHECK(text.find("Subject: Quarterly report — é ü 日本語 😀") !=
        std::string::npos);
  CHECK(text.find("portal.example.com") != std::string::npos);
  CHECK(text.find("2024-05-08 12:00 UTC") != std::string::npos);
  std::string html = DecodeQuotedPrintable(PartBody(alternatives[1]));
  CHECK(html.find("<script>") == std::string::npos);
  CHECK(html.find("Alice &lt;script&gt;alert(1)&lt;/script&gt; "
                  "&lt;alice@example.com&gt;") != std::string::npos);

  CHECK(parts[1].find("Content-Disposition: attachment; "
                      "filename=\"secure-message.html\"") != std::string::npos);
  auto attached = Base64Decode(PartBody(parts[1]));
  REQUIRE(attached.ok());
  CHECK(*attached == page);
  OpenOptions at;
  at.now = kNow;
  auto opened = OpenEnvelope(*attached, "open sesame", at);
  REQUIRE(opened.ok());
  CHECK(opened->message == original);
  CHECK(message.find("open sesame") == std::string::npos);
}

TEST_CASE("Headers for an in-place rewrite", "[notification]") {
  NotificationRequest r = Request("en");
  r.subject.reset();
  auto n = Notification::Prepare(*Templates(), r);
  REQUIRE(n.ok());
  REQUIRE(n->headers().size() == 3);
  CHECK(n->headers()[0].name == "Subject");
  // Plain ASCII subject: "Secure message from Alice <script>..." is long
  // and has no non-ASCII, but '<' stays as is in a header.
  CHECK(n->headers()[1].value == "1.0");
  CHECK(n->headers()[2].value.rfind("multipart/mixed;\r\n boundary=\"=_seal.",
                                    0) == 0);
  std::string body;
  REQUIRE(n->WriteBody([](const Sink& s) { return s("<html></html>"); },
                       StringSink(&body))
              .ok());
  CHECK(body.find(n->headers()[2].value.substr(29, 31)) != std::string::npos);
}

TEST_CASE("Every locale renders every template", "[notification]") {
  auto t = Templates();
  for (const std::string& locale : t->locales()) {
    INFO(locale);
    for (bool new_passphrase : {true, false}) {
      NotificationRequest r = Request(locale);
      r.new_passphrase = new_passphrase;
      auto n = Notification::Prepare(*t, r);
      REQUIRE(n.ok());
      CHECK(n->text().find("secure-message.html") != std::string::npos);
      CHECK(n->html().find("<html lang=\"" + locale + "\">") !=
            std::string::npos);
      CHECK(n->text().find("{{") == std::string::npos);
      CHECK(n->html().find("{{") == std::string::npos);
    }
    PassphraseNoticeRequest p;
    p.addressing.locale = locale;
    p.addressing.from = "Secure Mail <postmaster@example.com>";
    p.addressing.to = "alice@example.com";
    p.addressing.message_id_domain = "example.com";
    p.addressing.now = kNow;
    p.recipients = {"bob@example.net", "carol@example.org"};
    p.subject = "日本語";
    p.passphrase = "k7m2-x9qp-3hfd-w8ra-6tnc-ejv4";
    p.expires = kNow + std::chrono::hours(24);
    auto notice = BuildPassphraseNotice(*t, p);
    REQUIRE(notice.ok());
    std::string text = DecodeQuotedPrintable(Body(*notice));
    CHECK(text.find("    k7m2-x9qp-3hfd-w8ra-6tnc-ejv4") != std::string::npos);
    CHECK(text.find("bob@example.net, carol@example.org") != std::string::npos);
    CHECK(text.find("{{") == std::string::npos);
    CHECK(notice->find("Auto-Submitted: auto-generated\r\n") !=
          std::string::npos);
    CHECK(notice->find("Date: Wed, 01 May 2024 12:00:00 +0000\r\n") !=
          std::string::npos);

    FailureNoticeRequest f;
    f.addressing = p.addressing;
    f.recipients = {"bob@example.net"};
    f.subject = "Report";
    f.reason = "no certificate and the envelope portal is unavailable";
    auto failure = BuildFailureNotice(*t, f);
    REQUIRE(failure.ok());
    std::string ftext = DecodeQuotedPrintable(Body(*failure));
    CHECK(ftext.find(f.reason) != std::string::npos);
    CHECK(ftext.find("{{") == std::string::npos);

    // Held for review: other subject and wording, in every locale.
    f.held = true;
    auto held = BuildFailureNotice(*t, f);
    REQUIRE(held.ok());
    std::string htext = DecodeQuotedPrintable(Body(*held));
    CHECK(htext != ftext);
    CHECK(htext.find(f.reason) != std::string::npos);
    CHECK(htext.find("{{") == std::string::npos);
    auto subject_of = [](const std::string& m) {
      size_t at = m.find("\r\nSubject: ");
      return at == std::string::npos
                 ? std::string()
                 : m.substr(at, m.find("\r\n", at + 2) - at);
    };
    CHECK(!subject_of(*held).empty());
    CHECK(subject_of(*held) != subject_of(*failure));
  }
  // The page renders in every locale too.
  for (const std::string& locale : t->locales()) {
    EnvelopeRequest er;
    er.sender_address = "a@example.com";
    er.locale = locale;
    er.portal_url = "https://portal.example.com/";
    er.portal = PortalSlotSpec{"k", std::string(32, 'k')};
    std::string html;
    auto info = MakeEnvelope(*t, er, MessageFromString("x"), StringSink(&html));
    REQUIRE(info.ok());
    CHECK(html.find("<html lang=\"" + locale + "\">") != std::string::npos);
    // Placeholders are all filled (the strings block carries raw strings
    // for the script, which fills them itself).
    CHECK(html.substr(0, html.find("id=\"seal-strings\"")).find("{{") ==
          std::string::npos);
  }
}

TEST_CASE("Localized notification texts", "[notification]") {
  struct {
    const char* locale;
    const char* heading;
  } table[] = {
      {"en", "You have received a secure message"},
      {"fr", "Vous avez reçu un message sécurisé"},
      {"de", "Sie haben eine sichere Nachricht erhalten"},
      {"es", "Ha recibido un mensaje seguro"},
      {"it", "Ha ricevuto un messaggio protetto"},
      {"pt", "Recebeu uma mensagem segura"},
      {"nl", "U hebt een beveiligd bericht ontvangen"},
      {"ja", "セキュアメッセージが届きました"},
  };
  for (const auto& row : table) {
    auto n = Notification::Prepare(*Templates(), Request(row.locale));
    REQUIRE(n.ok());
    CHECK(n->html().find(row.heading) != std::string::npos);
  }
}

TEST_CASE("Header encoding table", "[mime]") {
  struct {
    const char* value;
    const char* expected;
  } table[] = {
      {"Hello", "Hello"},
      {"Caf\xC3\xA9", "=?UTF-8?B?Q2Fmw6k=?="},
      {"a\r\nBcc: x@y", "a  Bcc: x@y"},
      {"=?x?", "=?UTF-8?B?PT94Pw==?="},
  };
  for (const auto& row : table) {
    INFO(row.value);
    CHECK(EncodeHeaderValue(row.value, 7) == row.expected);
  }
  // Long non-ASCII: several words, folded, split on character boundaries.
  std::string subject;
  for (int i = 0; i < 30; ++i) subject += "日本語";
  std::string line = HeaderLine("Subject", subject);
  size_t start = 0;
  std::string decoded;
  while (true) {
    size_t end = line.find("\r\n", start);
    REQUIRE(end - start <= 78);
    std::string_view l(line.data() + start, end - start);
    size_t b = l.find("?B?") + 3;
    auto raw = Base64Decode(l.substr(b, l.find("?=") - b));
    REQUIRE(raw.ok());
    CHECK(IsValidUtf8(*raw));
    decoded += *raw;
    if (end + 2 >= line.size()) break;
    start = end + 2;
  }
  CHECK(decoded == subject);
}

TEST_CASE("Quoted-printable table", "[mime]") {
  struct {
    std::string in;
    std::string out;
  } table[] = {
      {"plain text", "plain text"},
      {"a=b", "a=3Db"},
      {"trailing \nspace", "trailing=20\r\nspace"},
      {"tab\t", "tab=09"},
      {"caf\xC3\xA9", "caf=C3=A9"},
      {"crlf\r\nkept", "crlf\r\nkept"},
      {std::string(80, 'x'),
       std::string(75, 'x') + "=\r\n" + std::string(5, 'x')},
  };
  for (const auto& row : table) {
    INFO(row.in);
    CHECK(EncodeQuotedPrintable(row.in) == row.out);
    CHECK(DecodeQuotedPrintable(row.out) == [&] {
      std::string s;
      for (size_t i = 0; i < row.in.size(); ++i) {
        if (row.in[i] == '\n' && (i == 0 || row.in[i - 1] != '\r')) {
          s += "\r\n";
        } else {
          s += row.in[i];
        }
      }
      return s;
    }());
  }
}

TEST_CASE("Bad notification requests", "[notification]") {
  NotificationRequest r = Request("en");
  r.file_name = "../evil.html";
  CHECK(!Notification::Prepare(*Templates(), r).ok());
  r.file_name = "secure.exe";
  CHECK(!Notification::Prepare(*Templates(), r).ok());
  r = Request("en");
  r.portal_url = "javascript:alert(1)";
  CHECK(!Notification::Prepare(*Templates(), r).ok());
  PassphraseNoticeRequest p;
  p.addressing.from = "x@example.com";
  p.addressing.to = "y@example.com";
  CHECK(!BuildPassphraseNotice(*Templates(), p).ok());  // no passphrase
  FailureNoticeRequest f;
  CHECK(!BuildFailureNotice(*Templates(), f).ok());  // no addresses
}

}  // namespace
}  // namespace seal::envelope
