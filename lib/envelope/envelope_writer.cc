// The envelope page writer (see envelope_writer.h).
#include "lib/envelope/envelope_writer.h"

#include <algorithm>

#include "lib/envelope/base64.h"
#include "lib/envelope/crypto.h"
#include "lib/envelope/csp.h"
#include "lib/envelope/escape.h"

namespace seal::envelope {
namespace {

constexpr size_t kSliceSize = 64 * 1024;

std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(kHex[u >> 4]);
    out.push_back(kHex[u & 15]);
  }
  return out;
}

// Key material that is wiped when it goes out of scope.
struct SecretString {
  std::string value;
  ~SecretString() { Cleanse(&value); }
};

Status ValidateRequest(const EnvelopeRequest& r) {
  if (r.sender_address.empty()) {
    return InvalidArgumentError("envelope: sender address is empty");
  }
  if (r.passphrases.empty() && !r.portal.has_value()) {
    return InvalidArgumentError(
        "envelope: needs a passphrase slot or a portal slot");
  }
  if (r.passphrases.size() > kMaxPassphraseSlots) {
    return InvalidArgumentError(
        "envelope: at most 64 passphrase slots per envelope");
  }
  if (r.portal.has_value() != !r.portal_url.empty()) {
    return InvalidArgumentError(
        "envelope: a portal slot and a portal URL go together");
  }
  if (r.options.js_free && !r.portal.has_value()) {
    return InvalidArgumentError(
        "envelope: the JS-free variant can only be opened online and needs "
        "a portal");
  }
  if (r.options.expires_after.has_value() &&
      r.options.expires_after->count() <= 0) {
    return InvalidArgumentError("envelope: expiry must be in the future");
  }
  return Status::Ok();
}

// The opener remembers one key under one label: every slot must share it.
bool CanRemember(const std::vector<PassphraseSlotSpec>& specs) {
  if (specs.empty() || specs.front().label.empty()) return false;
  return std::all_of(specs.begin(), specs.end(), [&](const auto& s) {
    return s.label == specs.front().label &&
           s.generated == specs.front().generated;
  });
}

}  // namespace

MessageSource MessageFromString(std::string_view bytes) {
  MessageSource src;
  src.size = bytes.size();
  src.write = [bytes](const Sink& sink) { return sink(bytes); };
  return src;
}

MessageSource MessageFromSpool(Spool& spool) {
  MessageSource src;
  src.size = spool.size();
  src.write = [&spool](const Sink& sink) {
    return spool.ForEachSlice(kSliceSize, sink);
  };
  return src;
}

Result<EnvelopeInfo> MakeEnvelope(const EnvelopeTemplates& templates,
                                  const EnvelopeRequest& request,
                                  const MessageSource& message,
                                  const Sink& out) {
  SEAL_RETURN_IF_ERROR(ValidateRequest(request));
  std::optional<PortalUrl> portal;
  if (!request.portal_url.empty()) {
    auto parsed = ParsePortalUrl(request.portal_url);
    if (!parsed.ok()) return parsed.status();
    portal = *parsed;
  }

  EnvelopeMetadata m;
  auto id = RandomBytes(16);
  if (!id.ok()) return id.status();
  m.id = Hex(*id);
  m.sender = SanitizeLine(request.sender_address);
  m.sender_name = SanitizeLine(request.sender_name);
  m.created = request.now.value_or(
      std::chrono::time_point_cast<std::chrono::seconds>(Clock::now()));
  if (request.options.expires_after.has_value()) {
    m.expires = m.created + *request.options.expires_after;
  }
  std::string locale_code;
  templates.Strings(request.locale, &locale_code);
  m.locale = locale_code;
  m.options = request.options;
  m.portal_url = request.portal_url;
  m.content_size = message.size;

  SecretString content_key;
  auto key = RandomBytes(kContentKeySize);
  if (!key.ok()) return key.status();
  content_key.value = std::move(*key);
  auto iv = RandomBytes(kGcmIvSize);
  if (!iv.ok()) return iv.status();
  m.content_iv = *iv;
  for (const PassphraseSlotSpec& spec : request.passphrases) {
    auto slot = MakePassphraseSlot(content_key.value, m.id, spec);
    if (!slot.ok()) return slot.status();
    m.slots.push_back(std::move(*slot));
  }
  if (request.portal.has_value()) {
    auto slot = MakePortalSlot(content_key.value, m.id, *request.portal);
    if (!slot.ok()) return slot.status();
    m.slots.push_back(std::move(*slot));
  }
  const std::string json = SerializeMetadata(m);
  if (json.size() > kMaxMetadataSize) {
    return InvalidArgumentError("envelope: metadata larger than 64 KiB");
  }

  const bool js = !request.options.js_free;
  const bool remember =
      request.options.remember_key && CanRemember(request.passphrases);
  Scope scope = templates.BaseScope(locale_code);
  const LocaleStrings& strings = templates.Strings(locale_code);
  std::string sender_display =
      m.sender_name.empty() ? m.sender : m.sender_name + " <" + m.sender + ">";
  scope.Set("csp", BuildCsp(js ? templates.script_hash() : "",
                            portal ? portal->origin : ""));
  scope.Set("logo_src", templates.branding().LogoDataUri());
  scope.Set("sender", sender_display);
  scope.Set("sender_name", m.sender_name);
  scope.Set("sender_address", m.sender);
  scope.Set("created", FormatRfc3339(m.created));
  scope.Set("created_text", FormatHumanUtc(m.created));
  if (m.expires.has_value()) {
    scope.Set("expires", FormatRfc3339(*m.expires));
    scope.Set("expires_text", FormatHumanUtc(*m.expires));
  }
  if (portal.has_value()) {
    // The page appends "/open": no trailing slash on the base.
    std::string_view base = portal->url;
    while (!base.empty() && base.back() == '/') base.remove_suffix(1);
    scope.Set("portal_url", std::string(base));
    scope.Set("portal_host", portal->host);
  }
  scope.Set("js", js ? "1" : "");
  scope.Set("remember", remember ? "1" : "");
  scope.Set("envelope_id", m.id);

  uint64_t fed = 0;
  scope.set_blocks([&](std::string_view name, BufferedSink& o) -> Status {
    if (name == "style") return o.Write(templates.style());
    if (name == "script") {
      if (!js) return Status::Ok();
      SEAL_RETURN_IF_ERROR(o.Write("<script>"));
      SEAL_RETURN_IF_ERROR(o.Write(templates.script()));
      return o.Write("</script>");
    }
    if (name == "strings") {
      SEAL_RETURN_IF_ERROR(
          o.Write("<script type=\"application/json\" id=\"seal-strings\">"));
      SEAL_RETURN_IF_ERROR(o.Write(strings.ToJson("ui.")));
      return o.Write("</script>");
    }
    if (name == "metadata") {
      SEAL_RETURN_IF_ERROR(
          o.Write("<textarea id=\"seal-metadata\" name=\"envelope\" "
                  "form=\"seal-online\" hidden readonly>"));
      SEAL_RETURN_IF_ERROR(o.Write(json));
      return o.Write("</textarea>");
    }
    if (name == "ciphertext") {
      SEAL_RETURN_IF_ERROR(
          o.Write("<textarea id=\"seal-ciphertext\" name=\"ciphertext\" "
                  "form=\"seal-online\" hidden readonly>"));
      Sink to_page = o.AsSink();
      Base64Writer b64(to_page, 76, "\n");
      auto enc = GcmEncryptor::Create(content_key.value, m.content_iv, json);
      if (!enc.ok()) return enc.status();
      std::string buf;
      buf.reserve(kSliceSize);
      Sink feed = [&](std::string_view slice) -> Status {
        fed += slice.size();
        if (fed > message.size) {
          return InvalidArgumentError(
              "envelope: message source wrote more than its declared size");
        }
        while (!slice.empty()) {
          size_t n = std::min(kSliceSize, slice.size());
          buf.clear();
          SEAL_RETURN_IF_ERROR((*enc)->Update(slice.substr(0, n), &buf));
          SEAL_RETURN_IF_ERROR(b64.Write(buf));
          slice.remove_prefix(n);
        }
        return Status::Ok();
      };
      SEAL_RETURN_IF_ERROR(message.write(feed));
      if (fed != message.size) {
        return InvalidArgumentError(
            "envelope: message source wrote less than its declared size");
      }
      auto tag = (*enc)->Final();
      if (!tag.ok()) return tag.status();
      SEAL_RETURN_IF_ERROR(b64.Write(*tag));
      SEAL_RETURN_IF_ERROR(b64.Finish());
      return o.Write("</textarea>");
    }
    return InternalError("unknown page block " + std::string(name));
  });

  BufferedSink buffered(out);
  SEAL_RETURN_IF_ERROR(
      templates.page().Render(scope, Escaping::kHtml, buffered));
  SEAL_RETURN_IF_ERROR(buffered.Flush());

  EnvelopeInfo info;
  info.id = m.id;
  info.created = m.created;
  info.expires = m.expires;
  info.html_size = buffered.bytes_written();
  return info;
}

}  // namespace seal::envelope
