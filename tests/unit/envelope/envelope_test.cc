// Envelope format tests (envelope_writer.h, envelope_reader.h): C++ make ->
// C++ open round trips (ASCII, non-ASCII, binary, empty, 25 MB through a
// Spool), and every refusal: wrong passphrase, modified ciphertext, tag,
// metadata, IV and slot, expiry, portal keys, JS-free variant rules, CSP.
#include <catch2/catch.hpp>
#include <random>

#include "lib/envelope/base64.h"
#include "lib/envelope/envelope_reader.h"
#include "lib/envelope/envelope_writer.h"
#include "lib/envelope/escape.h"
#include "lib/envelope/passphrase.h"
#include "tests/unit/envelope/envelope_test_util.h"

namespace seal::envelope {
namespace {

using testing::Templates;

const TimePoint kNow(std::chrono::seconds(1714564800));  // 2024-05-01 12:00Z

const char kMessage[] =
    "From: =?UTF-8?Q?Ren=C3=A9e_M=C3=BCller?= <renee@example.com>\r\n"
    "To: bob@example.net\r\n"
    "Subject: =?UTF-8?B?5pel5pys6KqeIMOpIMO8IPCfmIA=?=\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Grüße, café, 日本語, emoji 😀.\r\n";

EnvelopeRequest BaseRequest(
    std::string passphrase = "k7m2-x9qp-3hfd-w8ra-6tnc-ejv4") {
  EnvelopeRequest r;
  r.sender_address = "renee@example.com";
  r.sender_name = "Renée Müller";
  r.locale = "de";
  r.now = kNow;
  r.options.expires_after = std::chrono::hours(24 * 7);
  PassphraseSlotSpec slot;
  slot.passphrase = std::move(passphrase);
  slot.generated = true;
  r.passphrases.push_back(slot);
  return r;
}

OpenOptions At(TimePoint t) {
  OpenOptions o;
  o.now = t;
  return o;
}

std::string Make(const EnvelopeRequest& request, std::string_view message) {
  std::string html;
  auto info = MakeEnvelope(*Templates(), request, MessageFromString(message),
                           StringSink(&html));
  REQUIRE(info.ok());
  CHECK(info->html_size == html.size());
  CHECK(info->id.size() == 32);
  return html;
}

// The envelope shared by the refusal tests (one PBKDF2 run to make it).
const std::string& SharedEnvelope() {
  static const std::string html = Make(BaseRequest(), kMessage);
  return html;
}

// Replaces the first `from` after `anchor` by `to`.
std::string Edit(std::string html, std::string_view anchor,
                 std::string_view from, std::string_view to) {
  size_t a = html.find(anchor);
  REQUIRE(a != std::string::npos);
  size_t pos = html.find(from, a);
  REQUIRE(pos != std::string::npos);
  html.replace(pos, from.size(), to);
  return html;
}

// Flips one character of a base64 field value (keeps it valid base64).
std::string FlipBase64At(std::string html, size_t pos) {
  html[pos] = html[pos] == 'A' ? 'B' : 'A';
  return html;
}

std::string MetadataJson(const std::string& html) {
  size_t start = html.find("<textarea id=\"seal-metadata\"");
  start = html.find('>', start) + 1;
  return html.substr(start, html.find("</textarea>", start) - start);
}

Result<OpenedEnvelope> OpenShared(std::string_view html, std::string_view pass,
                                  OpenError* error) {
  return OpenEnvelope(html, pass, At(kNow + std::chrono::hours(1)), error);
}

TEST_CASE("Round trip: C++ make, C++ open (non-ASCII)", "[envelope]") {
  OpenError error = OpenError::kMalformed;
  auto opened =
      OpenShared(SharedEnvelope(), "k7m2-x9qp-3hfd-w8ra-6tnc-ejv4", &error);
  REQUIRE(opened.ok());
  CHECK(error == OpenError::kNone);
  CHECK(opened->message == kMessage);
  CHECK(opened->metadata.sender == "renee@example.com");
  CHECK(opened->metadata.sender_name == "Renée Müller");
  CHECK(opened->metadata.locale == "de");
  REQUIRE(opened->metadata.expires.has_value());
  CHECK(*opened->metadata.expires == kNow + std::chrono::hours(24 * 7));
  // Generated passphrases forgive case, spaces and dashes.
  auto sloppy =
      OpenShared(SharedEnvelope(), " K7M2 X9QP 3HFD W8RA 6TNC EJV4 ", &error);
  REQUIRE(sloppy.ok());
  CHECK(sloppy->message == kMessage);
}

TEST_CASE("The page: lang, CSP with script hash, inert elements",
          "[envelope]") {
  const std::string& html = SharedEnvelope();
  CHECK(html.rfind("<!DOCTYPE html>\n<html lang=\"de\">", 0) == 0);
  std::string csp = "default-src 'none'; script-src '" +
                    Templates()->script_hash() +
                    "'; style-src 'unsafe-inline'; img-src data: blob:; "
                    "frame-src blob:; form-action 'none'; base-uri 'none'";
  CHECK(html.find("<meta http-equiv=\"Content-Security-Policy\" content=\"" +
                  EscapeHtml(csp) + "\">") != std::string::npos);
  CHECK(html.find("<script>" + Templates()->script() + "</script>") !=
        std::string::npos);
  CHECK(html.find("Sichere Nachricht") != std::string::npos);
  CHECK(html.find("Renée Müller &lt;renee@example.com&gt;") !=
        std::string::npos);
  // No external resources.
  for (const char* external :
       {"src=\"http", "href=\"//", "url(http", "@import", "src=\"//"}) {
    CHECK(html.find(external) == std::string::npos);
  }
  // The ciphertext lines are at most 76 characters.
  size_t start = html.find("<textarea id=\"seal-ciphertext\"");
  start = html.find('>', start) + 1;
  size_t end = html.find("</textarea>", start);
  size_t line = 0;
  for (size_t i = start; i < end; ++i) {
    line = html[i] == '\n' ? 0 : line + 1;
    REQUIRE(line <= 76);
  }
}

TEST_CASE("Refusals are classified", "[envelope]") {
  const std::string& good = SharedEnvelope();
  const std::string json = MetadataJson(good);
  size_t ct = good.find('>', good.find("<textarea id=\"seal-ciphertext\"")) + 1;
  size_t ct_end = good.find("</textarea>", ct);
  auto field_pos = [&](std::string_view key) {
    size_t p = good.find(key, good.find("<textarea id=\"seal-metadata\""));
    REQUIRE(p != std::string::npos);
    return p + key.size() + 3;  // inside the value
  };
  struct Row {
    const char* name;
    std::string html;
    std::string passphrase;
    OpenError expected;
  };
  const std::string pass = "k7m2-x9qp-3hfd-w8ra-6tnc-ejv4";
  std::vector<Row> table = {
      {"wrong passphrase", good, "k7m2-x9qp-3hfd-w8ra-6tnc-ejv5",
       OpenError::kWrongPassphrase},
      {"empty passphrase", good, "", OpenError::kWrongPassphrase},
      {"ciphertext byte", FlipBase64At(good, ct + 100), pass,
       OpenError::kTampered},
      {"tag byte", FlipBase64At(good, ct_end - 8), pass, OpenError::kTampered},
      {"ciphertext truncated",
       good.substr(0, ct + 80) + good.substr(ct_end - 1), pass,
       OpenError::kTampered},
      {"ciphertext not base64", Edit(good, "seal-ciphertext", "\n", "!\n"),
       pass, OpenError::kTampered},
      {"metadata sender",
       Edit(good, "seal-metadata", "renee@example.com", "mallory@example.com"),
       pass, OpenError::kTampered},
      {"metadata expiry",
       Edit(good, "seal-metadata", "2024-05-08T12:00:00Z",
            "2034-05-08T12:00:00Z"),
       pass, OpenError::kTampered},
      {"metadata option",
       Edit(good, "seal-metadata", "\"forward\":true", "\"forward\":false"),
       pass, OpenError::kTampered},
      {"content IV",
       FlipBase64At(good, field_pos("\"content\":{\"alg\":\"A256GCM\",\"iv")),
       pass, OpenError::kTampered},
      {"slot salt", FlipBase64At(good, field_pos("\"salt")), pass,
       OpenError::kWrongPassphrase},
      {"slot IV",
       FlipBase64At(
           good,
           field_pos(
               "\"normalize\":\"generated-v1\",\"alg\":\"A256GCM\",\"iv")),
       pass, OpenError::kWrongPassphrase},
      {"slot wrapped key", FlipBase64At(good, field_pos("\"wrapped")), pass,
       OpenError::kWrongPassphrase},
      {"slot iterations",
       Edit(good, "seal-metadata", "\"iterations\":600000",
            "\"iterations\":600001"),
       pass, OpenError::kWrongPassphrase},
      {"envelope id", Edit(good, "seal-metadata", "\"id\":\"", "\"id\":\"0"),
       pass, OpenError::kMalformed},
      {"no metadata element",
       Edit(good, "seal-metadata", "seal-metadata", "seal-metadatx"), pass,
       OpenError::kMalformed},
      {"version 2",
       Edit(good, "seal-metadata", "\"version\":1", "\"version\":2"), pass,
       OpenError::kUnsupportedVersion},
      {"not an envelope", "<html><body>hello</body></html>", pass,
       OpenError::kMalformed},
  };
  for (const Row& row : table) {
    INFO(row.name);
    REQUIRE((row.html != good || row.passphrase != pass));
    OpenError error = OpenError::kNone;
    auto r = OpenShared(row.html, row.passphrase, &error);
    REQUIRE(!r.ok());
    CHECK(OpenErrorName(error) == OpenErrorName(row.expected));
  }
  // A slot is bound to its envelope: moving one over fails.
  std::string other = Make(BaseRequest(pass), "other message");
  std::string other_json = MetadataJson(other);
  size_t slots = other_json.find("\"slots\":");
  size_t mine = json.find("\"slots\":");
  std::string spliced = good;
  spliced.replace(spliced.find(json) + mine, json.size() - mine,
                  other_json.substr(slots));
  OpenError error = OpenError::kNone;
  CHECK(!OpenShared(spliced, pass, &error).ok());
  CHECK(error == OpenError::kWrongPassphrase);
}

TEST_CASE("Expiry is checked, and can be ignored by tools", "[envelope]") {
  const std::string pass = "k7m2-x9qp-3hfd-w8ra-6tnc-ejv4";
  OpenError error = OpenError::kNone;
  auto late = OpenEnvelope(SharedEnvelope(), pass,
                           At(kNow + std::chrono::hours(24 * 7)), &error);
  REQUIRE(!late.ok());
  CHECK(error == OpenError::kExpired);
  CHECK(late.status().code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(late.status().message(), Catch::Contains("2024-05-08 12:00 UTC"));
  OpenOptions ignore = At(kNow + std::chrono::hours(24 * 365));
  ignore.ignore_expiry = true;
  CHECK(OpenEnvelope(SharedEnvelope(), pass, ignore).ok());

  EnvelopeRequest forever = BaseRequest("plain secret");
  forever.passphrases.front().generated = false;
  forever.options.expires_after.reset();
  std::string html = Make(forever, "x");
  auto meta = ReadEnvelopeMetadata(html);
  REQUIRE(meta.ok());
  CHECK(!meta->expires.has_value());
  CHECK(OpenEnvelope(html, "  plain secret ",
                     At(kNow + std::chrono::hours(24 * 3650)))
            .ok());
  CHECK(!OpenEnvelope(html, "PLAIN SECRET", At(kNow)).ok());
}

TEST_CASE("Portal slot: opens with the portal key only", "[envelope]") {
  EnvelopeRequest r = BaseRequest();
  r.passphrases.clear();
  r.portal_url = "https://portal.example.com:8443/";  // the form adds "open"
  PortalSlotSpec portal{"key-2024", std::string(32, '\x42')};
  r.portal = portal;
  std::string html = Make(r, kMessage);
  CHECK(html.find("form-action https://portal.example.com:8443;") !=
        std::string::npos);
  CHECK(html.find("action=\"https://portal.example.com:8443/open\"") !=
        std::string::npos);
  CHECK(html.find("id=\"seal-portal-open\"") != std::string::npos);
  auto opened = OpenEnvelopeWithPortalKey(html, portal, At(kNow));
  REQUIRE(opened.ok());
  CHECK(opened->message == kMessage);

  OpenError error = OpenError::kNone;
  PortalSlotSpec wrong_key{"key-2024", std::string(32, '\x43')};
  CHECK(!OpenEnvelopeWithPortalKey(html, wrong_key, At(kNow), &error).ok());
  CHECK(error == OpenError::kWrongPassphrase);
  PortalSlotSpec other_id{"key-2025", std::string(32, '\x42')};
  CHECK(!OpenEnvelopeWithPortalKey(html, other_id, At(kNow), &error).ok());
  CHECK(error == OpenError::kNoUsableSlot);
  CHECK(!OpenEnvelope(html, "anything", At(kNow), &error).ok());
  CHECK(error == OpenError::kNoUsableSlot);
}

TEST_CASE("JS-free variant: no script, online form only", "[envelope]") {
  EnvelopeRequest r = BaseRequest();
  r.options.js_free = true;
  std::string html;
  auto refused =
      MakeEnvelope(*Templates(), r, MessageFromString("x"), StringSink(&html));
  REQUIRE(!refused.ok());
  CHECK(refused.status().code() == StatusCode::kInvalidArgument);

  r.portal_url = "https://portal.example.com/open";
  r.portal = PortalSlotSpec{"k1", std::string(32, '\x01')};
  html = Make(r, kMessage);
  CHECK(html.find("script-src &#39;none&#39;") != std::string::npos);
  CHECK(html.find("<script>") == std::string::npos);
  CHECK(html.find("id=\"seal-online\"") != std::string::npos);
  CHECK(html.find("name=\"ciphertext\" form=\"seal-online\"") !=
        std::string::npos);
  // The passphrase slot still works for tools.
  CHECK(OpenEnvelope(html, "k7m2-x9qp-3hfd-w8ra-6tnc-ejv4", At(kNow)).ok());
}

TEST_CASE("Bad requests are refused", "[envelope]") {
  struct Row {
    const char* name;
    EnvelopeRequest request;
  };
  std::vector<Row> table;
  table.push_back({"no slot", BaseRequest()});
  table.back().request.passphrases.clear();
  table.push_back({"no sender", BaseRequest()});
  table.back().request.sender_address.clear();
  table.push_back({"portal URL without slot", BaseRequest()});
  table.back().request.portal_url = "https://portal.example.com/";
  table.push_back({"http portal", BaseRequest()});
  table.back().request.portal_url = "http://portal.example.com/";
  table.back().request.portal = PortalSlotSpec{"k", std::string(32, 'k')};
  table.push_back({"quote in portal URL", BaseRequest()});
  table.back().request.portal_url = "https://p.example.com/\"onload=x";
  table.back().request.portal = PortalSlotSpec{"k", std::string(32, 'k')};
  table.push_back({"short portal key", BaseRequest()});
  table.back().request.portal_url = "https://p.example.com/";
  table.back().request.portal = PortalSlotSpec{"k", "short"};
  table.push_back({"few iterations", BaseRequest()});
  table.back().request.passphrases.front().iterations = 100000;
  table.push_back({"empty passphrase", BaseRequest("  -- ")});
  table.push_back({"expiry in the past", BaseRequest()});
  table.back().request.options.expires_after = std::chrono::seconds(-5);
  for (const Row& row : table) {
    INFO(row.name);
    std::string html;
    auto r = MakeEnvelope(*Templates(), row.request, MessageFromString("x"),
                          StringSink(&html));
    REQUIRE(!r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
  }
}

TEST_CASE("Binary and empty messages round trip", "[envelope]") {
  std::string binary;
  for (int i = 0; i < 3000; ++i) binary.push_back(static_cast<char>(i * 7));
  EnvelopeRequest r = BaseRequest("binary pass");
  r.passphrases.front().generated = false;
  for (const std::string& msg : {binary, std::string()}) {
    std::string html = Make(r, msg);
    auto opened = OpenEnvelope(html, "binary pass", At(kNow));
    REQUIRE(opened.ok());
    CHECK(opened->message == msg);
  }
}

TEST_CASE("A 25 MB message streams through a Spool", "[envelope][large]") {
  SpoolOptions so;
  so.directory = "/tmp";
  so.memory_limit = 1 << 20;
  so.max_size = 64 << 20;
  Spool spool(so);
  std::mt19937 rng(42);
  std::string chunk(1 << 20, '\0');
  std::string all;
  all.reserve(25u << 20);
  for (int i = 0; i < 25; ++i) {
    for (char& c : chunk) c = static_cast<char>('a' + rng() % 26);
    REQUIRE(spool.Append(chunk).ok());
    all += chunk;
  }
  REQUIRE(spool.spilled());
  EnvelopeRequest r = BaseRequest();
  std::string html;
  html.reserve(36u << 20);
  size_t writes = 0;
  size_t largest = 0;
  Sink sink = [&](std::string_view s) {
    ++writes;
    largest = std::max(largest, s.size());
    html.append(s);
    return Status::Ok();
  };
  auto info = MakeEnvelope(*Templates(), r, MessageFromSpool(spool), sink);
  REQUIRE(info.ok());
  CHECK(largest <= 64 * 1024);  // slices, never the whole page
  CHECK(writes > 400);
  CHECK(html.size() > all.size() * 4 / 3);
  auto opened = OpenEnvelope(html, "k7m2-x9qp-3hfd-w8ra-6tnc-ejv4", At(kNow));
  REQUIRE(opened.ok());
  CHECK(opened->message.size() == all.size());
  CHECK(opened->message == all);
}

TEST_CASE("A source that lies about its size is refused", "[envelope]") {
  MessageSource src;
  src.size = 10;
  src.write = [](const Sink& s) { return s("only seven"); };
  src.size = 11;
  std::string html;
  auto r = MakeEnvelope(*Templates(), BaseRequest(), src, StringSink(&html));
  REQUIRE(!r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("declared size"));
  Sink failing = [](std::string_view) { return IoError("disk full"); };
  auto io = MakeEnvelope(*Templates(), BaseRequest(), MessageFromString("x"),
                         failing);
  REQUIRE(!io.ok());
  CHECK(io.status().code() == StatusCode::kIoError);
}

}  // namespace
}  // namespace seal::envelope
