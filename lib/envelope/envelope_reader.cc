// The C++ envelope opener (see envelope_reader.h).
#include "lib/envelope/envelope_reader.h"

#include <functional>

#include "lib/envelope/base64.h"
#include "lib/envelope/crypto.h"

namespace seal::envelope {
namespace {

constexpr std::string_view kMetadataOpen = "<textarea id=\"seal-metadata\"";
constexpr std::string_view kCiphertextOpen = "<textarea id=\"seal-ciphertext\"";
constexpr std::string_view kClose = "</textarea>";

// The text content of the first element starting with `open_prefix`.
Result<std::string_view> ElementText(std::string_view html,
                                     std::string_view open_prefix) {
  size_t start = html.find(open_prefix);
  if (start == std::string_view::npos) {
    // "<textarea id=\"seal-metadata\"" -> "seal-metadata"
    std::string_view id = open_prefix.substr(open_prefix.find('"') + 1);
    id.remove_suffix(1);
    return ParseError("not a secure envelope: no " + std::string(id) +
                      " element");
  }
  size_t gt = html.find('>', start + open_prefix.size());
  if (gt == std::string_view::npos) return ParseError("truncated envelope");
  size_t end = html.find(kClose, gt + 1);
  if (end == std::string_view::npos) return ParseError("truncated envelope");
  return html.substr(gt + 1, end - gt - 1);
}

struct Parsed {
  std::string_view json;
  EnvelopeMetadata metadata;
};

Result<Parsed> ParsePage(std::string_view html, OpenError* error) {
  *error = OpenError::kMalformed;
  auto json = ElementText(html, kMetadataOpen);
  if (!json.ok()) return json.status();
  if (json->find('&') != std::string_view::npos) {
    return ParseError("envelope metadata contains character references");
  }
  auto m = ParseMetadata(*json);
  if (!m.ok()) {
    if (m.status().code() == StatusCode::kFailedPrecondition) {
      *error = OpenError::kUnsupportedVersion;
    }
    return m.status();
  }
  return Parsed{*json, std::move(*m)};
}

Status CheckExpiry(const EnvelopeMetadata& m, const OpenOptions& options,
                   OpenError* error) {
  if (options.ignore_expiry || !m.expires.has_value()) return Status::Ok();
  TimePoint now = options.now.value_or(
      std::chrono::time_point_cast<std::chrono::seconds>(Clock::now()));
  if (now >= *m.expires) {
    *error = OpenError::kExpired;
    return FailedPreconditionError("the envelope expired at " +
                                   FormatHumanUtc(*m.expires));
  }
  return Status::Ok();
}

Result<std::string> Decrypt(std::string_view html, const Parsed& parsed,
                            std::string_view content_key, OpenError* error) {
  *error = OpenError::kMalformed;
  auto text = ElementText(html, kCiphertextOpen);
  if (!text.ok()) return text.status();
  auto ciphertext = Base64Decode(*text);
  if (!ciphertext.ok()) {
    *error = OpenError::kTampered;
    return ParseError("the envelope was modified or damaged: " +
                      ciphertext.status().message());
  }
  auto plain = AesGcmOpen(content_key, parsed.metadata.content_iv, parsed.json,
                          *ciphertext);
  if (!plain.ok()) {
    if (IsAuthenticationFailure(plain.status())) {
      *error = OpenError::kTampered;
      return ParseError(
          "the envelope was modified or damaged: its content or metadata "
          "does not authenticate");
    }
    return plain.status();
  }
  if (plain->size() != parsed.metadata.content_size) {
    return ParseError("envelope content size does not match its metadata");
  }
  *error = OpenError::kNone;
  return plain;
}

using Unwrapper =
    std::function<Result<std::string>(const KeySlot&, std::string_view)>;

Result<OpenedEnvelope> Open(std::string_view html, KeySlot::Type type,
                            std::string_view key_id, const Unwrapper& unwrap,
                            const OpenOptions& options, OpenError* error) {
  OpenError local = OpenError::kNone;
  if (error == nullptr) error = &local;
  auto parsed = ParsePage(html, error);
  if (!parsed.ok()) return parsed.status();
  SEAL_RETURN_IF_ERROR(CheckExpiry(parsed->metadata, options, error));
  bool tried = false;
  for (const KeySlot& slot : parsed->metadata.slots) {
    if (slot.type != type) continue;
    if (type == KeySlot::Type::kPortal && slot.key_id != key_id) continue;
    tried = true;
    auto key = unwrap(slot, parsed->metadata.id);
    if (!key.ok()) {
      if (IsAuthenticationFailure(key.status())) continue;
      *error = OpenError::kMalformed;
      return key.status();
    }
    auto plain = Decrypt(html, *parsed, *key, error);
    Cleanse(&key.value());
    if (!plain.ok()) return plain.status();
    OpenedEnvelope out;
    out.metadata = std::move(parsed->metadata);
    out.metadata_json = std::string(parsed->json);
    out.message = std::move(*plain);
    return out;
  }
  if (!tried) {
    *error = OpenError::kNoUsableSlot;
    return NotFoundError(type == KeySlot::Type::kPassphrase
                             ? "the envelope has no passphrase slot"
                             : "the envelope has no slot for portal key " +
                                   std::string(key_id));
  }
  *error = OpenError::kWrongPassphrase;
  return InvalidArgumentError(
      type == KeySlot::Type::kPassphrase
          ? "wrong passphrase (or the key slot was modified)"
          : "the portal key does not open the envelope (or the key slot was "
            "modified)");
}

}  // namespace

std::string_view OpenErrorName(OpenError error) {
  switch (error) {
    case OpenError::kNone:
      return "none";
    case OpenError::kMalformed:
      return "malformed";
    case OpenError::kUnsupportedVersion:
      return "unsupported-version";
    case OpenError::kNoUsableSlot:
      return "no-usable-slot";
    case OpenError::kWrongPassphrase:
      return "wrong-passphrase";
    case OpenError::kTampered:
      return "tampered";
    case OpenError::kExpired:
      return "expired";
  }
  return "unknown";
}

Result<EnvelopeMetadata> ReadEnvelopeMetadata(std::string_view html) {
  OpenError ignored;
  auto parsed = ParsePage(html, &ignored);
  if (!parsed.ok()) return parsed.status();
  return std::move(parsed->metadata);
}

Result<OpenedEnvelope> OpenEnvelope(std::string_view html,
                                    std::string_view passphrase,
                                    const OpenOptions& options,
                                    OpenError* error) {
  return Open(
      html, KeySlot::Type::kPassphrase, "",
      [&](const KeySlot& slot, std::string_view id) {
        return UnwrapPassphraseSlot(slot, id, passphrase);
      },
      options, error);
}

Result<OpenedEnvelope> OpenEnvelopeWithPortalKey(std::string_view html,
                                                 const PortalSlotSpec& key,
                                                 const OpenOptions& options,
                                                 OpenError* error) {
  return Open(
      html, KeySlot::Type::kPortal, key.key_id,
      [&](const KeySlot& slot, std::string_view id) {
        return UnwrapPortalSlot(slot, id, key.key);
      },
      options, error);
}

}  // namespace seal::envelope
