// make_portal_envelope: a test tool for tests/portal (portal_harness.py):
// writes a secure envelope with a portal slot and a passphrase slot, and
// its EnvelopeRecord in a SQLite store, as the milter would.
//   make_portal_envelope --store DB --key-file KEYS --portal-url URL
//     --out FILE.html --sender ADDR --recipient ADDR [--recipient ...]
//     --text TEXT [--html HTML] [--attachment NAME=CONTENT]
//     [--security high|medium|none] [--reply yes|no] [--read-receipt]
//     [--js-free] [--expires-seconds N] [--passphrase P]
// Prints "ID PASSPHRASE" on success.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "lib/envelope/base64.h"
#include "lib/envelope/envelope_writer.h"
#include "lib/envelope/portal_key.h"
#include "lib/envelope/sink.h"
#include "lib/envelope/template_set.h"
#include "lib/store/open_store.h"

using namespace seal;

namespace {

int Die(const std::string& what) {
  std::fprintf(stderr, "make_portal_envelope: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string store_path, key_file, portal_url, out, sender, text, html,
      attachment, security = "medium", passphrase = "correct horse battery";
  std::vector<std::string> recipients;
  bool reply = true, receipt = false, js_free = false;
  long long expires = -1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--store")
      store_path = next();
    else if (a == "--key-file")
      key_file = next();
    else if (a == "--portal-url")
      portal_url = next();
    else if (a == "--out")
      out = next();
    else if (a == "--sender")
      sender = next();
    else if (a == "--recipient")
      recipients.push_back(next());
    else if (a == "--text")
      text = next();
    else if (a == "--html")
      html = next();
    else if (a == "--attachment")
      attachment = next();
    else if (a == "--security")
      security = next();
    else if (a == "--reply")
      reply = next() == "yes";
    else if (a == "--read-receipt")
      receipt = true;
    else if (a == "--js-free")
      js_free = true;
    else if (a == "--expires-seconds")
      expires = std::stoll(next());
    else if (a == "--passphrase")
      passphrase = next();
    else
      return Die("unknown argument " + a);
  }
  if (store_path.empty() || key_file.empty() || out.empty() || sender.empty() ||
      recipients.empty()) {
    return Die("--store, --key-file, --out, --sender, --recipient needed");
  }
  auto keys = envelope::LoadPortalKeyFile(key_file);
  if (!keys.ok()) return Die(keys.status().ToString());
  auto templates = envelope::EnvelopeTemplates::Load("");
  if (!templates.ok()) return Die(templates.status().ToString());
  auto sec = store::ParseEnvelopeSecurity(security);
  if (!sec.ok()) return Die(sec.status().ToString());

  // The original message.
  std::string to;
  for (const auto& r : recipients) to += (to.empty() ? "" : ", ") + r;
  std::string msg = "From: " + sender + "\r\nTo: " + to +
                    "\r\nSubject: Portal test message\r\nDate: Wed, 02 Dec "
                    "2026 12:00:00 +0000\r\nMIME-Version: 1.0\r\n";
  std::string b = "b-" + std::to_string(text.size()) + "-sealtest";
  msg += "Content-Type: multipart/mixed; boundary=\"" + b + "\"\r\n\r\n";
  if (html.empty()) {
    msg += "--" + b + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
           text + "\r\n";
  } else {
    // Text and HTML as alternatives of one body, as mail clients send it.
    std::string alt = b + "-alt";
    msg += "--" + b + "\r\nContent-Type: multipart/alternative; boundary=\"" +
           alt + "\"\r\n\r\n";
    msg += "--" + alt + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
           text + "\r\n";
    msg += "--" + alt + "\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
           html + "\r\n";
    msg += "--" + alt + "--\r\n";
  }
  if (!attachment.empty()) {
    size_t eq = attachment.find('=');
    std::string name = attachment.substr(0, eq);
    std::string content =
        eq == std::string::npos ? "" : attachment.substr(eq + 1);
    msg += "--" + b +
           "\r\nContent-Type: application/octet-stream\r\n"
           "Content-Disposition: attachment; filename=\"" +
           name + "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
           envelope::Base64Encode(content) + "\r\n";
  }
  msg += "--" + b + "--\r\n";

  envelope::EnvelopeRequest req;
  req.sender_address = sender;
  req.options.reply = reply;
  req.options.reply_all = reply;
  req.options.forward = reply;
  req.options.read_receipt = receipt;
  req.options.js_free = js_free;
  req.options.expires_after = std::nullopt;
  if (expires > 0) req.options.expires_after = std::chrono::seconds(expires);
  req.portal_url = portal_url;
  envelope::PassphraseSlotSpec pass;
  pass.passphrase = passphrase;
  req.passphrases.push_back(pass);
  envelope::PortalSlotSpec portal;
  portal.key_id = keys->current().key_id;
  portal.key = keys->current().key;
  req.portal = portal;
  std::string html_out;
  auto info =
      envelope::MakeEnvelope(**templates, req, envelope::MessageFromString(msg),
                             envelope::StringSink(&html_out));
  if (!info.ok()) return Die(info.status().ToString());
  {
    std::ofstream f(out, std::ios::binary);
    f << html_out;
    if (!f) return Die("cannot write " + out);
  }
  store::StoreOptions so;
  so.path = store_path;
  auto st = store::OpenStore(so);
  if (!st.ok()) return Die(st.status().ToString());
  store::EnvelopeRecord rec;
  rec.id = info->id;
  rec.sender = sender;
  rec.recipients = recipients;
  rec.portal_key_id = portal.key_id;
  rec.security = *sec;
  rec.reply = rec.reply_all = rec.forward = reply;
  rec.read_receipt = receipt;
  if (info->expires) {
    rec.expires_at = info->expires->time_since_epoch().count();
  }
  auto put = (*st)->PutEnvelope(rec);
  if (!put.ok()) return Die(put.status().ToString());
  std::printf("%s %s\n", info->id.c_str(), passphrase.c_str());
  return 0;
}
