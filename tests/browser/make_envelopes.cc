// make_browser_envelopes: writes the envelopes the browser test opens, and
// expected.json with what the test should find in them.
//   make_browser_envelopes BRANDING_DIR OUT_DIR [PORTAL_BASE]
// Files: ok.html (branded, multipart message with non-ASCII subject, text,
// HTML with a cid: image, a remote image and a <script>, two attachments,
// one with an RFC 2231 name), fr.html (French page), remember.html (stored
// passphrase with remember_key), tampered.html (one ciphertext character
// changed), tampered-meta.html (sender changed in the metadata),
// expired.html, jsfree.html (portal only, no script), large.html (a 25 MB
// message: an 18 MiB attachment, base64 in the MIME message), noportal.html
// (passphrase only: no portal button, no online form).
// With PORTAL_BASE (e.g. http://127.0.0.1:PORT, run.mjs's stand-in portal)
// also portal-live.html (passphrase and portal slots, key id "portal-test",
// key 32 bytes of 0x2a) and portal-only.html (portal slot only).
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

#include "lib/envelope/base64.h"
#include "lib/envelope/crypto.h"
#include "lib/envelope/envelope_reader.h"
#include "lib/envelope/envelope_writer.h"
#include "lib/envelope/escape.h"
#include "lib/envelope/passphrase.h"

namespace seal::envelope {
namespace {

constexpr char kChartPng[] =
    "iVBORw0KGgoAAAANSUhEUgAAABgAAAAYCAIAAABvFaqvAAAAMElEQVR42mP48OUHVRDDqEFoiD"
    "vPHxmNGjTgBmEqGsYGESMyCA0iT9uoQaMGoYgAAF1QSIm+oVpaAAAAAElFTkSuQmCC";

const std::string kSubject = "Quarterly report — é ü 日本語 😀";
const std::string kText =
    "Hello Bob,\n\nGrüße aus Köln — the numbers are attached. 日本語 😀\n";
const std::string kHtml =
    "<!DOCTYPE html><html><head><style>.hl{color:#b00020;font-weight:bold}"
    "</style></head><body>\n"
    "<p id=\"greeting\" class=\"hl\">Hello Bob — Grüße, 日本語 😀</p>\n"
    "<p style=\"font-size:18px\">Quarterly numbers are attached.</p>\n"
    "<img id=\"chart\" src=\"cid:chart@example.com\" alt=\"chart\">\n"
    "<img id=\"remote\" src=\"https://tracker.example.com/pixel.png\" "
    "alt=\"\">\n"
    "<script>document.getElementById('greeting').textContent='SCRIPT RAN';"
    "window.top.postMessage('script-ran','*');</script>\n"
    "<img src=\"x\" onerror=\"window.top.postMessage('onerror-ran','*')\">\n"
    "</body></html>\n";
const std::string kReport = "Revenue: 1,234,567 EUR\nCosts: 987,654 EUR\n";
const std::string kOtherName = "résumé 日本.bin";

std::string Lf2Crlf(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

std::string Wrapped(const std::string& data) {
  std::string b64 = Base64Encode(data);
  std::string out;
  for (size_t i = 0; i < b64.size(); i += 76) out += b64.substr(i, 76) + "\r\n";
  return out;
}

std::string BinaryBytes() {
  std::string s;
  for (int i = 0; i < 1024; ++i)
    s.push_back(static_cast<char>((i * 37) & 0xff));
  return s;
}

std::string Message() {
  std::string m;
  m += "From: =?UTF-8?Q?Ren=C3=A9e_M=C3=BCller?= <renee@example.com>\r\n";
  m += "To: Bob <bob@example.net>\r\n";
  m += "Cc: carol@example.org\r\n";
  m += "Date: Wed, 01 May 2024 12:00:00 +0000\r\n";
  m += "Subject: =?UTF-8?B?" + Base64Encode(kSubject.substr(0, 20)) +
       "?=\r\n =?UTF-8?B?" + Base64Encode(kSubject.substr(20)) + "?=\r\n";
  m += "MIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/mixed; boundary=\"mixed-1\"\r\n\r\n";
  m += "This is a multi-part message in MIME format.\r\n";
  m += "--mixed-1\r\nContent-Type: multipart/alternative; "
       "boundary=\"alt-1\"\r\n\r\n";
  m += "--alt-1\r\nContent-Type: text/plain; charset=utf-8\r\n"
       "Content-Transfer-Encoding: base64\r\n\r\n" +
       Wrapped(Lf2Crlf(kText));
  m += "--alt-1\r\nContent-Type: multipart/related; boundary=\"rel-1\"; "
       "type=\"text/html\"\r\n\r\n";
  m += "--rel-1\r\nContent-Type: text/html; charset=utf-8\r\n"
       "Content-Transfer-Encoding: base64\r\n\r\n" +
       Wrapped(kHtml);
  m += "--rel-1\r\nContent-Type: image/png\r\nContent-ID: "
       "<chart@example.com>\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
       std::string(kChartPng) + "\r\n";
  m += "--rel-1--\r\n--alt-1--\r\n";
  m += "--mixed-1\r\nContent-Type: text/plain; charset=utf-8; "
       "name=\"report.txt\"\r\nContent-Disposition: attachment; "
       "filename=\"report.txt\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
       Wrapped(kReport);
  m += "--mixed-1\r\nContent-Type: application/octet-stream\r\n"
       "Content-Disposition: attachment;\r\n"
       " filename*=UTF-8''r%C3%A9sum%C3%A9%20%E6%97%A5%E6%9C%AC.bin\r\n"
       "Content-Transfer-Encoding: base64\r\n\r\n" +
       Wrapped(BinaryBytes());
  m += "--mixed-1--\r\n";
  return m;
}

// 18 MiB of pseudo-random bytes (an LCG: reproducible, incompressible
// enough), as an attachment of a message of about 25 MB.
std::string LargeAttachment() {
  std::string s(18u << 20, '\0');
  uint32_t x = 12345;
  for (char& c : s) {
    x = x * 1664525u + 1013904223u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

std::string LargeMessage(const std::string& attachment) {
  std::string m;
  m += "From: renee@example.com\r\nTo: bob@example.net\r\n";
  m += "Subject: Large file\r\nMIME-Version: 1.0\r\n";
  m += "Content-Type: multipart/mixed; boundary=\"big\"\r\n\r\n";
  m += "--big\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n";
  m += "The data set is attached.\r\n";
  m += "--big\r\nContent-Type: application/octet-stream\r\n"
       "Content-Disposition: attachment; filename=\"data.bin\"\r\n"
       "Content-Transfer-Encoding: base64\r\n\r\n";
  m += Wrapped(attachment);
  m += "--big--\r\n";
  return m;
}

std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    out.push_back(kHex[static_cast<unsigned char>(c) >> 4]);
    out.push_back(kHex[static_cast<unsigned char>(c) & 15]);
  }
  return out;
}

bool WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out << data;
  return static_cast<bool>(out);
}

int Run(const std::string& branding, const std::string& out_dir,
        const std::string& portal_base) {
  auto templates = EnvelopeTemplates::Load(branding);
  if (!templates.ok()) {
    std::cerr << templates.status().ToString() << "\n";
    return 1;
  }
  auto passphrase = GeneratePassphrase();
  if (!passphrase.ok()) return 1;
  const std::string message = Message();
  const TimePoint now =
      std::chrono::time_point_cast<std::chrono::seconds>(Clock::now());

  auto make = [&](EnvelopeRequest r, const std::string& name) -> std::string {
    std::string html;
    auto info = MakeEnvelope(**templates, r, MessageFromString(message),
                             StringSink(&html));
    if (!info.ok()) {
      std::cerr << name << ": " << info.status().ToString() << "\n";
      return "";
    }
    WriteFile(out_dir + "/" + name, html);
    return html;
  };
  EnvelopeRequest base;
  base.sender_address = "renee@example.com";
  base.sender_name = "Renée Müller";
  base.locale = "en";
  base.now = now;
  base.options.expires_after = std::chrono::hours(24 * 7);
  base.options.reply_all = true;
  base.portal_url = "https://portal.example.com";
  base.portal = PortalSlotSpec{"portal-test", std::string(32, '\x2a')};
  base.passphrases.emplace_back();
  base.passphrases.back().passphrase = *passphrase;
  base.passphrases.back().generated = true;

  std::string ok = make(base, "ok.html");
  if (ok.empty()) return 1;
  // The C++ opener agrees before the browser tries.
  if (!OpenEnvelope(ok, *passphrase, OpenOptions{}).ok()) {
    std::cerr << "ok.html does not open in C++\n";
    return 1;
  }
  EnvelopeRequest fr = base;
  fr.locale = "fr";
  if (make(fr, "fr.html").empty()) return 1;
  EnvelopeRequest remember = base;
  remember.options.remember_key = true;
  remember.passphrases.front().passphrase = "Correct Horse Battery";
  remember.passphrases.front().generated = false;
  remember.passphrases.front().label = "bob@example.net";
  if (make(remember, "remember.html").empty()) return 1;
  // Per-recipient slots with different labels (one from a cached KEK):
  // each passphrase opens it, and nothing is offered to remember.
  EnvelopeRequest multi = remember;
  multi.passphrases.front().passphrase = "Bob Passphrase One";
  PassphraseSlotSpec carol;
  carol.generated = true;
  carol.label = "carol@example.org";
  auto carol_salt = RandomSalt();
  if (!carol_salt.ok()) return 1;
  auto carol_kek =
      DerivePassphraseKek("carol-pass-two", true, *carol_salt, kMinIterations);
  if (!carol_kek.ok()) return 1;
  carol.salt = *carol_salt;
  carol.kek = *carol_kek;
  multi.passphrases.push_back(carol);
  multi.passphrases.emplace_back();
  multi.passphrases.back().passphrase = "Dave Three";
  multi.passphrases.back().label = "dave@example.com";
  if (make(multi, "multi.html").empty()) return 1;
  EnvelopeRequest expired = base;
  expired.now = now - std::chrono::hours(24 * 10);
  expired.options.expires_after = std::chrono::hours(24);
  if (make(expired, "expired.html").empty()) return 1;
  EnvelopeRequest jsfree = base;
  jsfree.options.js_free = true;
  if (make(jsfree, "jsfree.html").empty()) return 1;
  EnvelopeRequest noportal = base;
  noportal.portal_url.clear();
  noportal.portal.reset();
  if (make(noportal, "noportal.html").empty()) return 1;
  if (!portal_base.empty()) {
    EnvelopeRequest live = base;
    live.portal_url = portal_base;
    if (make(live, "portal-live.html").empty()) return 1;
    EnvelopeRequest only = live;
    only.passphrases.clear();
    if (make(only, "portal-only.html").empty()) return 1;
  }

  const std::string large_attachment = LargeAttachment();
  const std::string large_message = LargeMessage(large_attachment);
  {
    std::ofstream out(out_dir + "/large.html", std::ios::binary);
    Sink sink = [&out](std::string_view d) {
      out.write(d.data(), static_cast<std::streamsize>(d.size()));
      return out ? Status::Ok() : IoError("cannot write large.html");
    };
    auto info =
        MakeEnvelope(**templates, base, MessageFromString(large_message), sink);
    if (!info.ok()) {
      std::cerr << "large.html: " << info.status().ToString() << "\n";
      return 1;
    }
  }
  auto large_digest = Sha256(large_attachment);
  if (!large_digest.ok()) return 1;

  std::string tampered = ok;
  size_t ct = tampered.find('>', tampered.find("id=\"seal-ciphertext\"")) + 1;
  size_t pos = ct + 500;
  tampered[pos] = tampered[pos] == 'A' ? 'B' : 'A';
  WriteFile(out_dir + "/tampered.html", tampered);
  std::string meta = ok;
  size_t sender = meta.find("\"sender\":\"renee@example.com\"");
  meta.replace(sender, 28, "\"sender\":\"admin@example.com\"");
  WriteFile(out_dir + "/tampered-meta.html", meta);

  std::string json = "{\n";
  json += "  \"passphrase\": " + JsonQuote(*passphrase) + ",\n";
  json += "  \"remember_passphrase\": \"Correct Horse Battery\",\n";
  json += "  \"subject\": " + JsonQuote(kSubject) + ",\n";
  json += "  \"text\": " + JsonQuote(kText) + ",\n";
  json += "  \"sender\": \"Renée Müller <renee@example.com>\",\n";
  json += "  \"organization\": \"Example Corp\",\n";
  json += "  \"portal\": \"https://portal.example.com\",\n";
  json += "  \"portal_action\": \"https://portal.example.com/open\",\n";
  json += "  \"portal_key_id\": \"portal-test\",\n";
  json +=
      "  \"portal_key\": " + JsonQuote(Base64Encode(std::string(32, '\x2a'))) +
      ",\n";
  json += "  \"large\": {\"message_size\": " +
          std::to_string(large_message.size()) + ", \"name\": \"data.bin\", " +
          "\"size\": " + std::to_string(large_attachment.size()) +
          ", \"sha256\": \"" + Hex(*large_digest) + "\"},\n";
  json += "  \"attachments\": [\n";
  json += "    {\"name\": \"report.txt\", \"base64\": " +
          JsonQuote(Base64Encode(kReport)) + "},\n";
  json += "    {\"name\": " + JsonQuote(kOtherName) +
          ", \"base64\": " + JsonQuote(Base64Encode(BinaryBytes())) + "}\n";
  json += "  ]\n}\n";
  if (!WriteFile(out_dir + "/expected.json", json)) return 1;
  return 0;
}

}  // namespace
}  // namespace seal::envelope

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::cerr << "usage: make_browser_envelopes BRANDING_DIR OUT_DIR "
                 "[PORTAL_BASE]\n";
    return 64;
  }
  return seal::envelope::Run(argv[1], argv[2], argc == 4 ? argv[3] : "");
}
