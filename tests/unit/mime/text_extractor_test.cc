// Text extraction into MessageText: scopes, origins, charsets, HTML,
// attachments, encapsulated messages, envelope helpers, warnings.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "lib/mime/text_extractor.h"
#include "tests/unit/mime/test_util.h"

namespace seal::mime {
namespace {

using testing::Crlf;
using testing::HasWarning;
using testing::Origins;
using testing::Texts;
using Strings = std::vector<std::string>;

MessageText MustExtract(const std::string& raw, const MimeLimits& l = {}) {
  Result<MessageText> r = ExtractMessageText(raw, l);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(r).value();
}

const char kFull[] =
    "From: =?UTF-8?Q?Ren=C3=A9?= <rene@example.com>\n"
    "Sender: sec@example.com\n"
    "Reply-To: \"Support, Team\" <support@example.com>\n"
    "To: Alice <alice@example.org>, bob@example.org\n"
    "Cc: team: carol@example.net;\n"
    "Subject: =?UTF-8?B?w6l0w6kg5pel5pys6Kqe?=\n"
    "Sensitivity: Company-Confidential\n"
    "X-Folded: one\n"
    " two\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"mix\"\n"
    "\n"
    "This is a multi-part message in MIME format.\n"
    "--mix\n"
    "Content-Type: multipart/alternative; boundary=\"alt\"\n"
    "\n"
    "--alt\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "Caf=C3=A9 card 4111 1111 1111 1111\n"
    "--alt\n"
    "Content-Type: text/html; charset=iso-8859-1\n"
    "\n"
    "<html><head><style>p{}</style></head><body><p>Caf&eacute; &amp; "
    "caf\xE9</p></body></html>\n"
    "--alt--\n"
    "--mix\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Disposition: attachment;\n"
    " filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E.txt\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "c2VjcmV0IOaXpeacrOiqniB0ZXh0\n"
    "--mix\n"
    "Content-Type: application/pdf; name=\"scan.pdf\"\n"
    "Content-Disposition: attachment\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "JVBERi0=\n"
    "--mix--\n"
    "epilogue 078-05-1120\n";

TEST_CASE("ExtractMessageText fills every scope", "[mime][extract]") {
  const MessageText t = MustExtract(Crlf(kFull));
  CHECK(t.warnings.empty());
  CHECK_FALSE(t.truncated);

  CHECK(Texts(t, Scope::kSubject) ==
        Strings{"\xC3\xA9t\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"});
  CHECK(Origins(t, Scope::kSubject) == Strings{"header Subject"});
  CHECK(Texts(t, Scope::kHeaders) ==
        Strings{
            "From: Ren\xC3\xA9 <rene@example.com>", "Sender: sec@example.com",
            "Reply-To: \"Support, Team\" <support@example.com>",
            "To: Alice <alice@example.org>, bob@example.org",
            "Cc: team: carol@example.net;", "Sensitivity: Company-Confidential",
            "X-Folded: one two", "MIME-Version: 1.0",
            "Content-Type: multipart/mixed; boundary=\"mix\""});
  CHECK(Origins(t, Scope::kHeaders)[5] == "header Sensitivity");
  CHECK(Texts(t, Scope::kSender) ==
        Strings{"rene@example.com", "sec@example.com", "support@example.com"});
  CHECK(Origins(t, Scope::kSender) ==
        Strings{"header From", "header Sender", "header Reply-To"});
  CHECK(Texts(t, Scope::kRecipients) ==
        Strings{"alice@example.org", "bob@example.org", "carol@example.net"});
  // Preamble and epilogue are scanned too: they leave with the message.
  CHECK(Texts(t, Scope::kBody) ==
        Strings{"This is a multi-part message in MIME format.",
                "epilogue 078-05-1120", "Caf\xC3\xA9 card 4111 1111 1111 1111",
                "Caf\xC3\xA9 & caf\xC3\xA9"});
  CHECK(Origins(t, Scope::kBody) ==
        Strings{"message preamble", "message epilogue", "part 1.1 text/plain",
                "part 1.2 text/html"});
  CHECK(Texts(t, Scope::kAttachmentName) ==
        Strings{"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E.txt", "scan.pdf"});
  CHECK(Origins(t, Scope::kAttachmentName) == Strings{"part 2", "part 3"});
  CHECK(Texts(t, Scope::kAttachmentText) ==
        Strings{"secret \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E text"});
  CHECK(Origins(t, Scope::kAttachmentText) == Strings{"part 2 text/plain"});

  uint64_t bytes = 0;
  for (const auto& scope : t.items) {
    for (const TextItem& i : scope) bytes += i.text.size();
  }
  CHECK(t.bytes == bytes);
}

std::string SinglePart(const std::string& content_type, const std::string& cte,
                       const std::string& body) {
  return "Subject: x\r\nContent-Type: " + content_type +
         "\r\nContent-Transfer-Encoding: " + cte + "\r\n\r\n" + body;
}

TEST_CASE("ExtractMessageText converts body charsets", "[mime][extract]") {
  struct Case {
    const char* name;
    std::string content_type, cte, body, text;
  };
  const std::vector<Case> cases = {
      {"utf-8", "text/plain; charset=utf-8", "8bit", "\xC3\xA9\xC3\xBC",
       "\xC3\xA9\xC3\xBC"},
      {"iso-8859-1", "text/plain; charset=ISO-8859-1", "8bit", "\xE9\xFC",
       "\xC3\xA9\xC3\xBC"},
      {"iso-8859-1 qp", "text/plain; charset=iso-8859-1", "quoted-printable",
       "caf=E9", "caf\xC3\xA9"},
      {"windows-1252", "text/plain; charset=windows-1252", "8bit",
       "\x93quoted\x94 \x80", "\xE2\x80\x9Cquoted\xE2\x80\x9D \xE2\x82\xAC"},
      {"shift_jis", "text/plain; charset=Shift_JIS", "8bit",
       "\x93\xFA\x96\x7B\x8C\xEA", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"},
      {"shift_jis base64", "text/plain; charset=shift_jis", "base64",
       "k/qWe4zq", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E"},
      {"iso-2022-jp", "text/plain; charset=iso-2022-jp", "7bit",
       "\x1B$BF|K\\\x1B(B", "\xE6\x97\xA5\xE6\x9C\xAC"},
      {"no charset, utf-8 bytes", "text/plain", "8bit", "\xC3\xA9", "\xC3\xA9"},
      {"no charset, latin1 bytes", "text/plain", "8bit", "\xE9", "\xC3\xA9"},
      {"utf-8 BOM stripped", "text/plain; charset=iso-8859-1", "8bit",
       "\xEF\xBB\xBF\xC3\xA9", "\xC3\xA9"},
      {"utf-16 BOM", "text/plain", "binary", std::string("\xFF\xFE\xE9\x00", 4),
       "\xC3\xA9"},
      {"html meta charset", "text/html", "8bit",
       "<meta charset=\"shift_jis\"><p>\x93\xFA</p>", "\xE6\x97\xA5"},
      {"html param wins over meta", "text/html; charset=utf-8", "8bit",
       "<meta charset=\"shift_jis\"><p>\xC3\xA9</p>", "\xC3\xA9"},
      {"CRLF becomes LF", "text/plain", "7bit", "a\r\nb\r\n", "a\nb\n"},
      {"lone CRs, CR CR LF, CR at the ends", "text/plain", "7bit",
       "\rone\rtwo\r\r\nthree\r\n\r\nfour\r", "\none\ntwo\n\nthree\n\nfour\n"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const MessageText t =
        MustExtract(SinglePart(c.content_type, c.cte, c.body));
    CHECK(Texts(t, Scope::kBody) == Strings{c.text});
    CHECK(t.warnings.empty());
  }
}

TEST_CASE("ExtractMessageText sorts parts into scopes", "[mime][extract]") {
  struct Case {
    const char* name;
    std::string headers;  // of the second part
    Scope scope;          // where "payload" lands; kSubject means nowhere
    const char* file_name;
  };
  const std::vector<Case> cases = {
      {"inline text", "Content-Type: text/plain", Scope::kBody, ""},
      {"text attachment",
       "Content-Type: text/plain\r\nContent-Disposition: attachment",
       Scope::kAttachmentText, ""},
      {"text with name only", "Content-Type: text/plain; name=a.txt",
       Scope::kAttachmentText, "a.txt"},
      {"inline text with filename",
       "Content-Type: text/plain\r\nContent-Disposition: inline; "
       "filename=a.txt",
       Scope::kBody, "a.txt"},
      {"unknown disposition",
       "Content-Type: text/plain\r\nContent-Disposition: x-weird",
       Scope::kAttachmentText, ""},
      {"csv", "Content-Type: text/csv", Scope::kAttachmentText, ""},
      {"calendar inline", "Content-Type: text/calendar", Scope::kAttachmentText,
       ""},
      {"json", "Content-Type: application/json", Scope::kAttachmentText, ""},
      {"xml", "Content-Type: application/xml", Scope::kAttachmentText, ""},
      {"+xml", "Content-Type: application/vnd.x+xml", Scope::kAttachmentText,
       ""},
      {"+json", "Content-Type: application/ld+json", Scope::kAttachmentText,
       ""},
      {"octet-stream .csv",
       "Content-Type: application/octet-stream\r\nContent-Disposition: "
       "attachment; filename=\"data.CSV\"",
       Scope::kAttachmentText, "data.CSV"},
      {"octet-stream .bin",
       "Content-Type: application/octet-stream; name=x.bin", Scope::kSubject,
       "x.bin"},
      {"image", "Content-Type: image/png", Scope::kSubject, ""},
      {"smime", "Content-Type: application/pkcs7-mime; name=smime.p7m",
       Scope::kSubject, "smime.p7m"},
      {"multipart without boundary", "Content-Type: multipart/mixed",
       Scope::kBody, ""},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const std::string raw =
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\n\r\nfirst\r\n"
        "--b\r\n" +
        c.headers + "\r\n\r\npayload\r\n--b--\r\n";
    const MessageText t = MustExtract(raw);
    for (Scope s : {Scope::kBody, Scope::kAttachmentText}) {
      Strings want;
      if (s == Scope::kBody) want.push_back("first");
      if (s == c.scope) want.push_back("payload");
      CHECK(Texts(t, s) == want);
    }
    const Strings names = Texts(t, Scope::kAttachmentName);
    CHECK(names == (std::string(c.file_name).empty() ? Strings{}
                                                     : Strings{c.file_name}));
  }
}

TEST_CASE("ExtractMessageText reads encapsulated messages", "[mime][extract]") {
  const MessageText t =
      MustExtract(Crlf("Subject: outer\n"
                       "Content-Type: multipart/mixed; boundary=b\n"
                       "\n"
                       "--b\n"
                       "\n"
                       "see below\n"
                       "--b\n"
                       "Content-Type: message/rfc822\n"
                       "\n"
                       "Subject: =?utf-8?q?inn=C3=A9r?=\n"
                       "From: x@example.com\n"
                       "X-Other: not shown\n"
                       "\n"
                       "inner text\n"
                       "--b\n"
                       "Content-Type: message/rfc822\n"
                       "Content-Transfer-Encoding: base64\n"
                       "\n"
                       "U3ViamVjdDogaGlkZGVuDQpGcm9tOiB4QGV4YW1wbGUuY29tDQoNCnN"
                       "lY3JldCB0ZXh0DQo=\n"
                       "--b--\n"));
  CHECK(t.warnings.empty());
  CHECK(Texts(t, Scope::kSubject) == Strings{"outer"});
  CHECK(Texts(t, Scope::kBody) ==
        Strings{"see below", "Subject: inn\xC3\xA9r\nFrom: x@example.com",
                "inner text", "Subject: hidden\nFrom: x@example.com",
                "secret text\n"});
  CHECK(Origins(t, Scope::kBody) ==
        Strings{"part 1 text/plain", "part 2 message/rfc822 headers",
                "part 2.1 text/plain", "part 3 message/rfc822 headers",
                "part 3.1 text/plain"});
  // Inner headers are not the message's headers.
  for (const std::string& h : Texts(t, Scope::kHeaders)) {
    CHECK(h.find("X-Other") == std::string::npos);
  }
}

TEST_CASE("ExtractMessageText handles 8-bit and encoded headers",
          "[mime][extract]") {
  const MessageText t = MustExtract(
      "Subject: Gr\xC3\xBC\xC3\x9F"
      "e\r\n"
      "X-Latin: Gr\xFC\xDF"
      "e\r\n"
      "X-Mixed: =?iso-8859-1?q?=E9?= and \xC3\xA9\r\n"
      "X-Unknown: =?x-klingon?q?abc?=\r\n"
      "\r\nbody");
  CHECK(Texts(t, Scope::kSubject) == Strings{"Gr\xC3\xBC\xC3\x9F"
                                             "e"});
  CHECK(Texts(t, Scope::kHeaders) == Strings{"X-Latin: Gr\xC3\xBC\xC3\x9F"
                                             "e",
                                             "X-Mixed: \xC3\xA9 and \xC3\xA9",
                                             "X-Unknown: abc"});
  CHECK(HasWarning(t, "header X-Unknown: unknown charset 'x-klingon'"));
}

TEST_CASE("ExtractMessageText reports malformed content", "[mime][extract]") {
  struct Case {
    const char* name;
    std::string raw;
    const char* warning;
  };
  const std::vector<Case> cases = {
      {"bad base64", SinglePart("text/plain", "base64", "aGVs!!bG8="),
       "part 1: invalid characters in base64"},
      {"bad qp", SinglePart("text/plain", "quoted-printable", "a=XYb"),
       "part 1: invalid quoted-printable escape"},
      {"unknown charset", SinglePart("text/plain; charset=x-foo", "8bit", "a"),
       "part 1: unknown charset 'x-foo'"},
      {"invalid utf-8",
       SinglePart("text/plain; charset=utf-8", "8bit", "a\xFF"),
       "part 1: invalid bytes replaced by U+FFFD"},
      {"NUL in text", SinglePart("text/plain", "8bit", std::string("a\0b", 3)),
       "part 1: NUL bytes in text"},
      {"bad encoded-word", "Subject: =?utf-8?B?a!Gk=?=\r\n\r\nx",
       "header Subject: malformed encoded-word"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    const MessageText t = MustExtract(c.raw);
    CHECK(HasWarning(t, c.warning));
  }
  const MessageText nul =
      MustExtract(SinglePart("text/plain", "8bit", std::string("a\0b", 3)));
  CHECK(Texts(nul, Scope::kBody) == Strings{"a\xEF\xBF\xBD"
                                            "b"});
}

TEST_CASE("Envelope helpers add addresses", "[mime][extract]") {
  MessageText t = MustExtract("From: a@example.com\r\n\r\nx");
  AddEnvelopeSender(t, "<bounce@example.com>");
  AddEnvelopeSender(t, "<>");
  AddEnvelopeRecipient(t, "<r1@example.org>");
  AddEnvelopeRecipient(t, "r2@example.org");
  CHECK(Texts(t, Scope::kSender) ==
        Strings{"a@example.com", "bounce@example.com"});
  CHECK(Origins(t, Scope::kSender) ==
        Strings{"header From", "envelope sender"});
  CHECK(Texts(t, Scope::kRecipients) ==
        Strings{"r1@example.org", "r2@example.org"});
  CHECK(Origins(t, Scope::kRecipients) ==
        Strings{"envelope recipient", "envelope recipient"});
}

TEST_CASE("ExtractMessageText accepts a parsed message", "[mime][extract]") {
  const std::string raw = Crlf(kFull);
  Result<ParsedMime> m = ParseMime(raw);
  REQUIRE(m.ok());
  Result<MessageText> t = ExtractMessageText(*m);
  REQUIRE(t.ok());
  CHECK(Texts(*t, Scope::kAttachmentName).size() == 2);
}

}  // namespace
}  // namespace seal::mime
