// Passphrase and portal key slots (see key_slots.h).
#include "lib/envelope/key_slots.h"

#include "lib/envelope/crypto.h"

namespace seal::envelope {
namespace {

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
         c == '\v';
}

Result<std::string> DeriveKek(std::string_view passphrase,
                              const KeySlot& slot) {
  std::string normalized = NormalizePassphrase(passphrase, slot.normalize);
  auto kek = Pbkdf2Sha256(normalized, slot.salt, slot.iterations, kAesKeySize);
  Cleanse(&normalized);
  return kek;
}

}  // namespace

std::string NormalizePassphrase(std::string_view typed,
                                std::string_view normalize) {
  std::string out;
  if (normalize == kNormalizeGenerated) {
    for (char c : typed) {
      if (IsAsciiSpace(c) || c == '-') continue;
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      out.push_back(c);
    }
    return out;
  }
  while (!typed.empty() && IsAsciiSpace(typed.front())) typed.remove_prefix(1);
  while (!typed.empty() && IsAsciiSpace(typed.back())) typed.remove_suffix(1);
  return std::string(typed);
}

namespace {

Status CheckIterations(uint32_t iterations) {
  if (iterations < kMinIterations || iterations > kMaxIterations) {
    return InvalidArgumentError(
        "PBKDF2 iterations must be between 600000 "
        "and 10000000");
  }
  return Status::Ok();
}

std::string_view NormalizeName(bool generated) {
  return generated ? kNormalizeGenerated : kNormalizeTrim;
}

}  // namespace

Result<std::string> DerivePassphraseKek(std::string_view passphrase,
                                        bool generated, std::string_view salt,
                                        uint32_t iterations) {
  SEAL_RETURN_IF_ERROR(CheckIterations(iterations));
  if (salt.size() != kSaltSize) {
    return InvalidArgumentError("passphrase salt must be 16 bytes");
  }
  std::string normalized =
      NormalizePassphrase(passphrase, NormalizeName(generated));
  if (normalized.empty()) return InvalidArgumentError("empty passphrase");
  auto kek = Pbkdf2Sha256(normalized, salt, iterations, kAesKeySize);
  Cleanse(&normalized);
  return kek;
}

Result<std::string> RandomSalt() { return RandomBytes(kSaltSize); }

Result<KeySlot> MakePassphraseSlot(std::string_view content_key,
                                   std::string_view envelope_id,
                                   const PassphraseSlotSpec& spec) {
  if (content_key.size() != kContentKeySize) {
    return InvalidArgumentError("content key must be 32 bytes");
  }
  SEAL_RETURN_IF_ERROR(CheckIterations(spec.iterations));
  const bool precomputed = !spec.salt.empty() || !spec.kek.empty();
  if (precomputed &&
      (spec.salt.size() != kSaltSize || spec.kek.size() != kAesKeySize)) {
    return InvalidArgumentError(
        "a precomputed passphrase slot needs a 16-byte salt and a 32-byte "
        "KEK");
  }
  KeySlot slot;
  slot.type = KeySlot::Type::kPassphrase;
  slot.iterations = spec.iterations;
  slot.normalize = std::string(NormalizeName(spec.generated));
  slot.label = spec.label;
  if (!precomputed &&
      NormalizePassphrase(spec.passphrase, slot.normalize).empty()) {
    return InvalidArgumentError("empty passphrase");
  }
  if (precomputed) {
    slot.salt = spec.salt;
  } else {
    auto salt = RandomSalt();
    if (!salt.ok()) return salt.status();
    slot.salt = *salt;
  }
  auto iv = RandomBytes(kGcmIvSize);
  if (!iv.ok()) return iv.status();
  slot.iv = *iv;
  Result<std::string> kek =
      precomputed ? Result<std::string>(spec.kek)
                  : DerivePassphraseKek(spec.passphrase, spec.generated,
                                        slot.salt, slot.iterations);
  if (!kek.ok()) return kek.status();
  auto wrapped =
      AesGcmSeal(*kek, slot.iv, SlotAad(slot.type, envelope_id), content_key);
  Cleanse(&kek.value());
  if (!wrapped.ok()) return wrapped.status();
  slot.wrapped = *wrapped;
  return slot;
}

Result<KeySlot> MakePortalSlot(std::string_view content_key,
                               std::string_view envelope_id,
                               const PortalSlotSpec& spec) {
  if (content_key.size() != kContentKeySize) {
    return InvalidArgumentError("content key must be 32 bytes");
  }
  if (spec.key.size() != kAesKeySize) {
    return InvalidArgumentError("portal key must be 32 bytes");
  }
  if (spec.key_id.empty() || spec.key_id.size() > 128) {
    return InvalidArgumentError("portal key id must be 1..128 characters");
  }
  for (char c : spec.key_id) {
    if (c < 0x21 || c > 0x7e) {
      return InvalidArgumentError("portal key id must be printable ASCII");
    }
  }
  KeySlot slot;
  slot.type = KeySlot::Type::kPortal;
  slot.key_id = spec.key_id;
  auto iv = RandomBytes(kGcmIvSize);
  if (!iv.ok()) return iv.status();
  slot.iv = *iv;
  auto wrapped = AesGcmSeal(spec.key, slot.iv, SlotAad(slot.type, envelope_id),
                            content_key);
  if (!wrapped.ok()) return wrapped.status();
  slot.wrapped = *wrapped;
  return slot;
}

Result<std::string> UnwrapPassphraseSlot(const KeySlot& slot,
                                         std::string_view envelope_id,
                                         std::string_view passphrase) {
  if (slot.type != KeySlot::Type::kPassphrase) {
    return InvalidArgumentError("not a passphrase slot");
  }
  auto kek = DeriveKek(passphrase, slot);
  if (!kek.ok()) return kek.status();
  auto key =
      AesGcmOpen(*kek, slot.iv, SlotAad(slot.type, envelope_id), slot.wrapped);
  Cleanse(&kek.value());
  if (key.ok() && key->size() != kContentKeySize) {
    return ParseError("wrapped content key has the wrong length");
  }
  return key;
}

Result<std::string> UnwrapPortalSlot(const KeySlot& slot,
                                     std::string_view envelope_id,
                                     std::string_view portal_key) {
  if (slot.type != KeySlot::Type::kPortal) {
    return InvalidArgumentError("not a portal slot");
  }
  if (portal_key.size() != kAesKeySize) {
    return InvalidArgumentError("portal key must be 32 bytes");
  }
  auto key = AesGcmOpen(portal_key, slot.iv, SlotAad(slot.type, envelope_id),
                        slot.wrapped);
  if (key.ok() && key->size() != kContentKeySize) {
    return ParseError("wrapped content key has the wrong length");
  }
  return key;
}

}  // namespace seal::envelope
