// Tests of sealctl's envelope command group (ctl/envelope_commands.cc):
// make -> open round trips (byte-identical), the distinct failures of open
// (wrong passphrase, modified ciphertext or metadata, truncated file, random
// bytes, empty file, expired), --info, the X-Seal-* option headers, the
// notification message and the sender's notice, the JS-free variant.
// Every make and open costs one PBKDF2 at 600000 iterations, so the tests
// share envelopes where they can.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

#include "ctl/command.h"
#include "lib/envelope/envelope_writer.h"
#include "lib/envelope/template_set.h"
#include "lib/mime/charset.h"
#include "lib/mime/encoded_words.h"
#include "lib/mime/header_fields.h"
#include "lib/mime/mime_parser.h"
#include "tests/unit/sealctl_test_util.h"

namespace seal::ctl {
namespace {

using testing::Captured;

Captured Run(const std::vector<std::string>& args) {
  return testing::RunCaptured(args);
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "sealctl-envelope-XXXXXX")
            .string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const {
    return path_ + "/" + name;
  }

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
  REQUIRE(static_cast<bool>(out));
}

// The time on the line "KEY  2024-05-01T12:00:00Z" of --info output, in
// seconds since the epoch; -1 when missing.
long long InfoTime(const std::string& info, const std::string& key) {
  size_t at = info.find("\n" + key + " ");
  if (at == std::string::npos) return -1;
  at = info.find_first_not_of(' ', at + 1 + key.size());
  std::tm tm{};
  std::istringstream in(info.substr(at, 20));
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%SZ");
  if (in.fail()) return -1;
  return static_cast<long long>(timegm(&tm));
}

std::string Binary(size_t n) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(static_cast<char>(i * 7 % 256));
  return s;
}

const std::string kAscii =
    "From: Alice <alice@example.com>\r\n"
    "To: bob@example.net\r\n"
    "Subject: Quarterly numbers\r\n"
    "Date: Wed, 01 May 2024 12:00:00 +0000\r\n"
    "Message-ID: <ascii-1@example.com>\r\n"
    "\r\n"
    "Hello Bob,\r\n\r\nthe numbers are attached.\r\n";

const std::string kNonAscii =
    "From: =?UTF-8?Q?Ren=C3=A9e_M=C3=BCller?= <renee@example.com>\r\n"
    "To: =?UTF-8?B?QsO2Yg==?= <bob@example.net>\r\n"
    "Subject: =?UTF-8?B?R3LDvMOfZSDigJQg5pel5pys6KqeIPCfmIA=?=\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Grüße aus Köln — 日本語 😀\r\n";

// A text part and a binary attachment (every byte value), base64.
std::string WithAttachment() {
  std::string b64;
  {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string data = Binary(3000);
    std::string line;
    for (size_t i = 0; i < data.size(); i += 3) {
      uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(data[i]))
                   << 16;
      if (i + 1 < data.size())
        v |= static_cast<uint32_t>(static_cast<unsigned char>(data[i + 1]))
             << 8;
      if (i + 2 < data.size())
        v |= static_cast<uint32_t>(static_cast<unsigned char>(data[i + 2]));
      line.push_back(kAlphabet[(v >> 18) & 63]);
      line.push_back(kAlphabet[(v >> 12) & 63]);
      line.push_back(i + 1 < data.size() ? kAlphabet[(v >> 6) & 63] : '=');
      line.push_back(i + 2 < data.size() ? kAlphabet[v & 63] : '=');
      if (line.size() == 76) {
        b64 += line + "\r\n";
        line.clear();
      }
    }
    if (!line.empty()) b64 += line + "\r\n";
  }
  return "From: alice@example.com\r\n"
         "To: bob@example.net, carol@example.org\r\n"
         "Subject: =?UTF-8?Q?Bericht_f=C3=BCr_Q2?=\r\n"
         "MIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
         "\r\n"
         "--b1\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n"
         "Content-Transfer-Encoding: 8bit\r\n"
         "\r\n"
         "Anbei der Bericht für Q2. ✓\r\n"
         "--b1\r\n"
         "Content-Type: application/octet-stream\r\n"
         "Content-Disposition: attachment; filename=\"data.bin\"\r\n"
         "Content-Transfer-Encoding: base64\r\n"
         "\r\n" +
         b64 + "--b1--\r\n";
}

// Bare LF line ends and no final line break: kept byte for byte.
const std::string kLfOnly =
    "From: alice@example.com\nTo: bob@example.net\nSubject: lf\n\nno CRLF "
    "here";

TEST_CASE("sealctl envelope make -> open is byte-identical", "[envelope]") {
  TempDir dir;
  struct Case {
    const char* name;
    std::string message;
    std::string passphrase;
  };
  const std::vector<Case> cases = {
      {"ascii", kAscii, "correct horse battery staple"},
      {"non-ascii subject and body", kNonAscii, "Grüße, 日本語"},
      {"attachment", WithAttachment(), "  padded passphrase  "},
      {"bare LF", kLfOnly, "lf"},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      WriteFile(dir / "in.eml", c.message);
      WriteFile(dir / "pw", c.passphrase + "\n");
      Captured made =
          Run({"envelope", "make", dir / "in.eml", "--passphrase-file",
               dir / "pw", "--out", dir / "e.html"});
      INFO(made.err);
      REQUIRE(made.rc == kExitOk);
      CHECK(made.out.empty());
      CHECK_THAT(made.err, Catch::StartsWith("envelope "));
      const std::string html = ReadFile(dir / "e.html");
      CHECK_THAT(html, Catch::StartsWith("<!DOCTYPE html>"));
      // The message is encrypted: none of its text is in the page.
      CHECK(html.find("numbers") == std::string::npos);
      CHECK(html.find("Köln") == std::string::npos);

      Captured opened = Run(
          {"envelope", "open", dir / "e.html", "--passphrase", c.passphrase});
      INFO(opened.err);
      REQUIRE(opened.rc == kExitOk);
      CHECK(opened.out == c.message);
    }
  }
}

TEST_CASE("sealctl envelope open tells failures apart", "[envelope]") {
  TempDir dir;
  WriteFile(dir / "in.eml", WithAttachment());
  REQUIRE(Run({"envelope", "make", dir / "in.eml", "--passphrase", "right",
               "--out", dir / "ok.html"})
              .rc == kExitOk);
  const std::string ok = ReadFile(dir / "ok.html");
  const size_t ct_tag = ok.find("id=\"seal-ciphertext\"");
  REQUIRE(ct_tag != std::string::npos);
  const size_t ct = ok.find('>', ct_tag) + 1;
  const size_t ct_end = ok.find("</textarea>", ct);
  REQUIRE(ct_end - ct > 1000);

  std::string flipped = ok;
  flipped[ct + 100] = flipped[ct + 100] == 'A' ? 'B' : 'A';
  std::string meta = ok;
  const std::string sender = "\"sender\":\"alice@example.com\"";
  const size_t at = meta.find(sender);
  REQUIRE(at != std::string::npos);
  meta.replace(at, sender.size(), "\"sender\":\"admin@example.com\"");
  std::string random;
  for (uint32_t i = 0; i < 4096; ++i) {
    random.push_back(static_cast<char>((i * 2654435761u) >> 13));
  }

  struct Case {
    const char* name;
    std::string file;  // "" = the intact envelope
    std::string passphrase;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"wrong passphrase", ok, "wrong", "wrong passphrase"},
      {"flipped ciphertext byte", flipped, "right",
       "the envelope was modified or damaged"},
      {"changed metadata", meta, "right",
       "the envelope was modified or damaged"},
      {"truncated in the ciphertext", ok.substr(0, (ct + ct_end) / 2), "right",
       "the envelope is truncated or damaged"},
      {"truncated before the metadata", ok.substr(0, 200), "right",
       "is not a secure envelope"},
      {"random bytes", random, "right", "is not a secure envelope"},
      {"empty file", "", "right", "is empty: not a secure envelope"},
  };
  std::vector<std::string> messages;
  for (const Case& c : cases) {
    WriteFile(dir / "case.html", c.file);
    Captured r = Run(
        {"envelope", "open", dir / "case.html", "--passphrase", c.passphrase});
    INFO(c.name << ": " << r.err);
    CHECK(r.rc == kExitFailure);
    CHECK(r.out.empty());
    CHECK_THAT(r.err, Catch::Contains(c.expected));
    messages.push_back(r.err.substr(r.err.find(": ") + 2));
  }
  // Wrong passphrase, modified, truncated, not an envelope, empty: five
  // different messages.
  CHECK(messages[0] != messages[1]);
  CHECK(messages[1] != messages[3]);
  CHECK(messages[3] != messages[4]);
  CHECK(messages[4] != messages[6]);

  Captured missing = Run(
      {"envelope", "open", dir / "nonexistent.html", "--passphrase", "right"});
  CHECK(missing.rc == kExitFailure);
  CHECK_THAT(missing.err, Catch::Contains("No such file or directory"));
}

TEST_CASE("sealctl envelope: option headers, --info, notification",
          "[envelope]") {
  TempDir dir;
  const std::string headers =
      "X-Seal-Expires: +24:00:00\r\n"
      "x-seal-forward: no\r\n"
      "X-Seal-Read-Receipt:\r\n yes\r\n";
  const std::string original = WithAttachment();
  const size_t body = original.find("MIME-Version:");
  const std::string with_options =
      original.substr(0, body) + headers + original.substr(body);
  WriteFile(dir / "in.eml", with_options);

  Captured made =
      Run({"envelope", "make", dir / "in.eml", "--generate", "--out",
           dir / "e.html", "--message", dir / "n.eml", "--notice",
           dir / "notice.eml", "--subject-in-clear", "--locale", "de"});
  INFO(made.err);
  REQUIRE(made.rc == kExitOk);
  const size_t pp = made.err.find("passphrase: ");
  REQUIRE(pp != std::string::npos);
  const std::string passphrase =
      made.err.substr(pp + 12, made.err.find('\n', pp) - pp - 12);
  CHECK(passphrase.size() == 29);

  SECTION("--info shows the metadata without a passphrase") {
    Captured info = Run({"envelope", "open", dir / "e.html", "--info"});
    INFO(info.err);
    REQUIRE(info.rc == kExitOk);
    CHECK_THAT(info.out, Catch::Matches("(.|\n)*envelope +[0-9a-f]{32}\n"
                                        "(.|\n)*"));
    CHECK_THAT(info.out, Catch::Contains("sender     alice@example.com\n"));
    CHECK_THAT(info.out, Catch::Contains("locale     de\n"));
    CHECK_THAT(info.out, Catch::Contains(
                             "options    reply=yes reply_all=yes forward=no "
                             "read_receipt=yes js_free=no remember_key=no\n"));
    CHECK_THAT(info.out, Catch::Contains("portal     none\n"));
    CHECK_THAT(info.out,
               Catch::Contains("slot 1     passphrase PBKDF2-SHA256 600000 "
                               "iterations, normalize=generated-v1\n"));
    CHECK(InfoTime(info.out, "expires") - InfoTime(info.out, "created") ==
          24 * 3600);
    CHECK(info.out.find("(expired)") == std::string::npos);
    // The same from the notification message.
    Captured from_mail = Run({"envelope", "open", dir / "n.eml", "--info"});
    CHECK(from_mail.rc == kExitOk);
    CHECK(from_mail.out == info.out);
    // --info takes no key.
    CHECK(
        Run({"envelope", "open", dir / "e.html", "--info", "--passphrase", "x"})
            .rc == kExitUsage);
  }

  SECTION("the notification: shape, no passphrase, opens from the .eml") {
    const std::string n = ReadFile(dir / "n.eml");
    CHECK(n.find(passphrase) == std::string::npos);
    CHECK(n.find("X-Seal") == std::string::npos);
    CHECK(n.find("x-seal") == std::string::npos);
    CHECK_THAT(n, Catch::StartsWith("From: alice@example.com\r\n"
                                    "To: bob@example.net, carol@example.org"
                                    "\r\n"));
    auto mime = mime::ParseMime(n);
    REQUIRE(mime.ok());
    std::vector<std::string> types;
    std::string attachment_name;
    for (const mime::PartView& p : mime->parts) {
      types.push_back(p.MimeType());
      if (p.disposition == mime::Disposition::kAttachment) {
        attachment_name = p.FileName();
      }
    }
    CHECK(types ==
          std::vector<std::string>{"multipart/mixed", "multipart/alternative",
                                   "text/plain", "text/html", "text/html"});
    CHECK(attachment_name == "secure-message.html");
    // The envelope attached is the one written by --out.
    const mime::PartView& last = mime->parts.back();
    auto page = mime::DecodeBody(*mime, last, n.size());
    REQUIRE(page.ok());
    CHECK(page->bytes == ReadFile(dir / "e.html"));

    // Opens from the mail; the typed form of a generated passphrase does
    // not matter; the option headers are not in the decrypted copy.
    std::string typed;
    for (char ch : passphrase) {
      typed.push_back(ch == '-' ? ' '
                                : static_cast<char>(std::toupper(
                                      static_cast<unsigned char>(ch))));
    }
    WriteFile(dir / "pw", typed + "\n");
    Captured opened =
        Run({"envelope", "open", dir / "n.eml", "--passphrase-file", dir / "pw",
             "--out", dir / "out.eml"});
    INFO(opened.err);
    REQUIRE(opened.rc == kExitOk);
    CHECK(opened.out.empty());
    CHECK_THAT(opened.err, Catch::Contains("found in the mail"));
    CHECK(ReadFile(dir / "out.eml") == original);
    struct stat st {};
    REQUIRE(stat((dir / "out.eml").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }

  SECTION("the sender's passphrase notice") {
    const std::string notice = ReadFile(dir / "notice.eml");
    CHECK(notice.find(passphrase) != std::string::npos);
    CHECK_THAT(notice, Catch::Contains("To: alice@example.com\r\n"));
    CHECK_THAT(notice, Catch::Contains("Auto-Submitted: auto-generated\r\n"));
    struct stat st {};
    REQUIRE(stat((dir / "notice.eml").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }
}

TEST_CASE("sealctl envelope: bad option headers and usage errors",
          "[envelope]") {
  TempDir dir;
  struct Case {
    const char* name;
    std::string message;
    std::vector<std::string> extra;
    int rc;
    std::string expected;
  };
  const std::string bad_bool = "X-Seal-Reply: maybe\r\n" + kAscii;
  const std::string twice =
      "X-Seal-Expires: +1\r\nX-Seal-Expires: +2\r\n" + kAscii;
  const std::string too_long = "X-Seal-Expires: +3000\r\n" + kAscii;
  const std::vector<Case> cases = {
      {"bad boolean header",
       bad_bool,
       {"--passphrase", "p"},
       kExitFailure,
       "X-Seal-Reply: \"maybe\" is not yes or no"},
      {"header twice",
       twice,
       {"--passphrase", "p"},
       kExitFailure,
       "X-Seal-Expires appears twice"},
      {"expiry above policy",
       too_long,
       {"--passphrase", "p"},
       kExitFailure,
       "longer than the policy maximum"},
      {"no passphrase", kAscii, {}, kExitUsage, "needs a passphrase"},
      {"two passphrase sources",
       kAscii,
       {"--passphrase", "p", "--generate"},
       kExitUsage,
       "give one of"},
      {"bad --expires",
       kAscii,
       {"--passphrase", "p", "--expires", "7"},
       kExitUsage,
       "--expires: \"7\" is not"},
      {"JS-free without portal",
       kAscii,
       {"--passphrase", "p", "--no-js"},
       kExitUsage,
       "only through the portal"},
      {"unknown option",
       kAscii,
       {"--passphrase", "p", "--frob"},
       kExitUsage,
       "unknown option '--frob'"},
      {"empty message", "", {"--passphrase", "p"}, kExitFailure, "is empty"},
  };
  for (const Case& c : cases) {
    WriteFile(dir / "in.eml", c.message);
    std::vector<std::string> args = {"envelope", "make", dir / "in.eml",
                                     "--out", dir / "e.html"};
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    Captured r = Run(args);
    INFO(c.name << ": " << r.err);
    CHECK(r.rc == c.rc);
    CHECK_THAT(r.err, Catch::Contains(c.expected));
    CHECK_FALSE(std::filesystem::exists(dir / "e.html"));
  }
  CHECK(Run({"envelope", "open"}).rc == kExitUsage);
  CHECK(Run({"envelope", "open", "a", "b"}).rc == kExitUsage);
}

TEST_CASE("sealctl envelope: header options and command-line flags",
          "[envelope]") {
  TempDir dir;
  // The header asks for 2 days; --expires on the command line wins.
  WriteFile(dir / "in.eml",
            "X-Seal-Expires: +2\r\nX-Seal-Reply: off\r\n" + kAscii);
  REQUIRE(Run({"envelope", "make", dir / "in.eml", "--passphrase", "p",
               "--expires", "+0:30:00", "--out", dir / "e.html"})
              .rc == kExitOk);
  Captured info = Run({"envelope", "open", dir / "e.html", "--info"});
  REQUIRE(info.rc == kExitOk);
  CHECK_THAT(info.out, Catch::Contains("reply=no "));
  CHECK(InfoTime(info.out, "expires") - InfoTime(info.out, "created") == 1800);

  REQUIRE(Run({"envelope", "make", dir / "in.eml", "--passphrase", "p",
               "--expires", "never", "--out", dir / "never.html"})
              .rc == kExitOk);
  CHECK_THAT(Run({"envelope", "open", dir / "never.html", "--info"}).out,
             Catch::Contains("expires    never\n"));
}

TEST_CASE("sealctl envelope make -c: the daemon's [envelope] settings",
          "[envelope]") {
  TempDir dir;
  WriteFile(dir / "in.eml", kAscii);
  WriteFile(dir / "seal.conf",
            "[envelope]\nlocale = \"fr\"\nexpires = \"1h\"\n"
            "subject_in_notification = true\n");
  Captured made = Run({"envelope", "make", dir / "in.eml", "-c",
                       dir / "seal.conf", "--passphrase", "p", "--out",
                       dir / "e.html", "--message", dir / "n.eml"});
  INFO(made.err);
  REQUIRE(made.rc == kExitOk);
  Captured info = Run({"envelope", "open", dir / "e.html", "--info"});
  CHECK_THAT(info.out, Catch::Contains("locale     fr\n"));
  CHECK(InfoTime(info.out, "expires") - InfoTime(info.out, "created") == 3600);
  const std::string n = ReadFile(dir / "n.eml");
  auto mime = mime::ParseMime(n);
  REQUIRE(mime.ok());
  const mime::HeaderField* subject = mime->FindField(mime->root(), "Subject");
  REQUIRE(subject != nullptr);
  mime::CharsetConverter conv;
  mime::TextIssues issues;
  CHECK_THAT(
      mime::DecodeEncodedWords(
          mime::UnfoldValue(mime::FieldRawValue(n, *subject)), conv, issues),
      Catch::Contains("Quarterly numbers"));

  // Without -c (and with -c but --locale/--expires) the flags decide.
  REQUIRE(Run({"envelope", "make", dir / "in.eml", "-c", dir / "seal.conf",
               "--locale", "de", "--expires", "+2", "--passphrase", "p",
               "--out", dir / "de.html"})
              .rc == kExitOk);
  Captured de = Run({"envelope", "open", dir / "de.html", "--info"});
  CHECK_THAT(de.out, Catch::Contains("locale     de\n"));
  CHECK(InfoTime(de.out, "expires") - InfoTime(de.out, "created") == 2 * 86400);

  WriteFile(dir / "bad.conf", "[envelope]\nlocal = \"fr\"\n");
  Captured bad = Run({"envelope", "make", dir / "in.eml", "-c",
                      dir / "bad.conf", "--passphrase", "p"});
  CHECK(bad.rc == kExitConfig);
  CHECK_THAT(bad.err, Catch::Contains("bad.conf:2"));
}

TEST_CASE("sealctl envelope open: an expired envelope", "[envelope]") {
  TempDir dir;
  auto templates = envelope::EnvelopeTemplates::Load("");
  REQUIRE(templates.ok());
  envelope::EnvelopeRequest request;
  request.sender_address = "alice@example.com";
  request.now = std::chrono::time_point_cast<std::chrono::seconds>(
                    envelope::Clock::now()) -
                std::chrono::hours(48);
  request.options.expires_after = std::chrono::hours(1);
  request.passphrases.emplace_back();
  request.passphrases.back().passphrase = "old";
  std::string html;
  REQUIRE(envelope::MakeEnvelope(**templates, request,
                                 envelope::MessageFromString(kAscii),
                                 envelope::StringSink(&html))
              .ok());
  WriteFile(dir / "old.html", html);

  Captured refused =
      Run({"envelope", "open", dir / "old.html", "--passphrase", "old"});
  CHECK(refused.rc == kExitFailure);
  CHECK(refused.out.empty());
  CHECK_THAT(refused.err, Catch::Contains("expired at"));
  CHECK_THAT(refused.err, Catch::Contains("--ignore-expiry"));

  CHECK_THAT(Run({"envelope", "open", dir / "old.html", "--info"}).out,
             Catch::Contains("(expired)\n"));

  Captured admin = Run({"envelope", "open", dir / "old.html", "--passphrase",
                        "old", "--ignore-expiry"});
  INFO(admin.err);
  CHECK(admin.rc == kExitOk);
  CHECK(admin.out == kAscii);
}

TEST_CASE("sealctl envelope: the JS-free variant", "[envelope]") {
  TempDir dir;
  WriteFile(dir / "in.eml", kNonAscii);
  WriteFile(dir / "portal.key",
            "000102030405060708090a0b0c0d0e0f"
            "101112131415161718191a1b1c1d1e1f\n");
  Captured made = Run({"envelope", "make", dir / "in.eml", "--no-js",
                       "--portal", "https://portal.example.com",
                       "--portal-key-file", dir / "portal.key",
                       "--portal-key-id", "k1", "--out", dir / "js.html"});
  INFO(made.err);
  REQUIRE(made.rc == kExitOk);
  const std::string html = ReadFile(dir / "js.html");
  CHECK(html.find("<script>") == std::string::npos);
  CHECK(html.find("script-src &#39;none&#39;") != std::string::npos);
  CHECK(html.find("action=\"https://portal.example.com/open\"") !=
        std::string::npos);

  Captured info = Run({"envelope", "open", dir / "js.html", "--info"});
  CHECK_THAT(info.out, Catch::Contains("js_free=yes"));
  CHECK_THAT(info.out, Catch::Contains("slot 1     portal key_id=k1\n"));

  Captured opened =
      Run({"envelope", "open", dir / "js.html", "--portal-key-file",
           dir / "portal.key", "--portal-key-id", "k1"});
  INFO(opened.err);
  CHECK(opened.rc == kExitOk);
  CHECK(opened.out == kNonAscii);

  Captured no_slot =
      Run({"envelope", "open", dir / "js.html", "--passphrase", "x"});
  CHECK(no_slot.rc == kExitFailure);
  CHECK_THAT(no_slot.err, Catch::Contains("no passphrase slot"));

  WriteFile(dir / "other.key", std::string(64, 'f'));
  Captured wrong_key =
      Run({"envelope", "open", dir / "js.html", "--portal-key-file",
           dir / "other.key", "--portal-key-id", "k1"});
  CHECK(wrong_key.rc == kExitFailure);
  CHECK_THAT(wrong_key.err,
             Catch::Contains("the portal key does not open this envelope"));
}

TEST_CASE("sealctl envelope keygen, keys and open --portal-key",
          "[envelope][portal_key]") {
  TempDir dir;
  const std::string ring = dir / "portal.key";

  // A new file: mode 0600, one key, its id on stdout.
  Captured made = Run({"envelope", "keygen", "--out", ring, "--key-id", "k0"});
  INFO(made.err);
  REQUIRE(made.rc == kExitOk);
  CHECK(made.out == "k0\n");
  struct stat st {};
  REQUIRE(stat(ring.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  const std::string first_text = ReadFile(ring);
  CHECK_THAT(first_text, Catch::Contains("sealportal-key-v1 k0 "));

  // Never overwritten.
  Captured again = Run({"envelope", "keygen", "--out", ring});
  CHECK(again.rc == kExitFailure);
  CHECK_THAT(again.err, Catch::Contains("already exists"));
  CHECK(ReadFile(ring) == first_text);

  // Usage mistakes: exit 64, the usage line, no file touched.
  for (const std::vector<std::string>& bad :
       std::vector<std::vector<std::string>>{
           {"envelope", "keygen"},
           {"envelope", "keygen", "--out", ring, "--rotate", ring},
           {"envelope", "keygen", "--out"},
           {"envelope", "keygen", "--out", dir / "x.key", "--key-id="},
           {"envelope", "keygen", "--out", dir / "x.key", "--bogus"},
           {"envelope", "keygen", "extra"},
           {"envelope", "keys"},
           {"envelope", "keys", ring, ring}}) {
    Captured usage = Run(bad);
    INFO(usage.err);
    CHECK(usage.rc == kExitUsage);
    CHECK_THAT(usage.err, Catch::Contains("usage: sealctl envelope key"));
  }
  CHECK(access((dir / "x.key").c_str(), F_OK) != 0);
  CHECK(ReadFile(ring) == first_text);
  Captured missing = Run({"envelope", "keys", dir / "none.key"});
  CHECK(missing.rc == kExitFailure);
  CHECK_THAT(missing.err, Catch::Contains("sealctl envelope keys: "));

  // keys: ids only, never key bytes.
  Captured keys = Run({"envelope", "keys", ring});
  CHECK(keys.rc == kExitOk);
  CHECK(keys.out == "k0 current\n");
  std::string b64 = first_text.substr(first_text.find(" k0 ") + 4);
  b64 = b64.substr(0, b64.find('\n'));
  CHECK(keys.out.find(b64) == std::string::npos);

  // An envelope sealed with k0 (make takes the key as 64 hex digits).
  // Build the hex from the ring file through keys' own parser: decode.
  static const char kB64[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string raw_key;
  unsigned buf = 0;
  int bits = 0;
  for (char c : b64) {
    if (c == '=') break;
    buf = (buf << 6) | static_cast<unsigned>(std::strchr(kB64, c) - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      raw_key.push_back(static_cast<char>((buf >> bits) & 0xff));
    }
  }
  REQUIRE(raw_key.size() == 32);
  std::ostringstream hex;
  for (char ch : raw_key) {
    hex << std::hex << std::setw(2) << std::setfill('0')
        << static_cast<unsigned>(static_cast<unsigned char>(ch));
  }
  WriteFile(dir / "k0.hex", hex.str() + "\n");
  WriteFile(dir / "in.eml", kNonAscii);
  Captured env =
      Run({"envelope", "make", dir / "in.eml", "--no-js", "--portal",
           "https://portal.example.com", "--portal-key-file", dir / "k0.hex",
           "--portal-key-id", "k0", "--out", dir / "e.html"});
  INFO(env.err);
  REQUIRE(env.rc == kExitOk);
  Captured opened =
      Run({"envelope", "open", dir / "e.html", "--portal-key", ring});
  INFO(opened.err);
  CHECK(opened.rc == kExitOk);
  CHECK(opened.out == kNonAscii);

  // Rotation: a new current key first, the old one kept and still opening.
  Captured rot = Run({"envelope", "keygen", "--rotate", ring});
  INFO(rot.err);
  REQUIRE(rot.rc == kExitOk);
  const std::string new_id = rot.out.substr(0, rot.out.size() - 1);
  CHECK(new_id.size() == 18);
  REQUIRE(stat(ring.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(Run({"envelope", "keys", ring}).out == new_id + " current\nk0\n");
  CHECK(Run({"envelope", "open", dir / "e.html", "--portal-key", ring}).out ==
        kNonAscii);
  // A second rotation with an id the file has: refused, file unchanged.
  const std::string rotated_text = ReadFile(ring);
  Captured dup =
      Run({"envelope", "keygen", "--rotate", ring, "--key-id", "k0"});
  CHECK(dup.rc == kExitFailure);
  CHECK_THAT(dup.err, Catch::Contains("appears twice"));
  CHECK(ReadFile(ring) == rotated_text);
  {  // no temp files left beside it
    int entries = 0;
    for (const auto& e : std::filesystem::directory_iterator(
             std::filesystem::path(ring).parent_path())) {
      if (e.path().filename().string().find(".tmp-") != std::string::npos) {
        ++entries;
      }
    }
    CHECK(entries == 0);
  }

  // A ring without k0, and one whose k0 is another key.
  const std::string other = dir / "other.key";
  REQUIRE(Run({"envelope", "keygen", "--out", other, "--key-id", "k9"}).rc ==
          kExitOk);
  Captured none =
      Run({"envelope", "open", dir / "e.html", "--portal-key", other});
  CHECK(none.rc == kExitFailure);
  CHECK_THAT(none.err, Catch::Contains("its portal slot names k0"));
  const std::string wrong = dir / "wrong.key";
  REQUIRE(Run({"envelope", "keygen", "--out", wrong, "--key-id", "k0"}).rc ==
          kExitOk);
  Captured bad =
      Run({"envelope", "open", dir / "e.html", "--portal-key", wrong});
  CHECK(bad.rc == kExitFailure);
  CHECK_THAT(bad.err,
             Catch::Contains("the portal key does not open this envelope"));

  // A group-readable key file is refused by every command.
  REQUIRE(chmod(ring.c_str(), 0640) == 0);
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"envelope", "keys", ring},
           {"envelope", "keygen", "--rotate", ring},
           {"envelope", "open", dir / "e.html", "--portal-key", ring}}) {
    Captured r = Run(args);
    CHECK(r.rc == kExitFailure);
    CHECK_THAT(r.err, Catch::Contains("chmod 600"));
  }
  // Malformed key files name the line.
  WriteFile(dir / "bad.key", "sealportal-key-v1 k1 AAAA\n");
  REQUIRE(chmod((dir / "bad.key").c_str(), 0600) == 0);
  CHECK_THAT(Run({"envelope", "keys", dir / "bad.key"}).err,
             Catch::Contains("line 1"));

  // Usage errors.
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{
           {"envelope", "keygen"},
           {"envelope", "keygen", "--out"},
           {"envelope", "keygen", "--out", dir / "x", "--rotate", ring},
           {"envelope", "keygen", "--out", dir / "x", "--bogus"},
           {"envelope", "keys"},
           {"envelope", "keys", ring, "extra"},
           {"envelope", "open", dir / "e.html", "--portal-key", ring,
            "--passphrase", "x"}}) {
    CHECK(Run(args).rc == kExitUsage);
  }
  Captured bad_id =
      Run({"envelope", "keygen", "--out", dir / "y", "--key-id", "a/b"});
  CHECK(bad_id.rc == kExitFailure);
  CHECK_FALSE(std::filesystem::exists(dir / "y"));
}

}  // namespace
}  // namespace seal::ctl
