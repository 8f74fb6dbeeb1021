// Key slots: how the envelope's random 256-bit content key is wrapped so that
// a recipient can recover it.
//   passphrase: KEK = PBKDF2-HMAC-SHA256(normalized passphrase, 16-byte random
//               salt, >= 600,000 iterations, 32 bytes); the content key is
//               sealed with AES-256-GCM under the KEK (random 96-bit IV).
//               Opens fully offline.
//   portal:     the content key sealed with AES-256-GCM under a 256-bit key
//               that sealportal holds, named by key_id (random 96-bit IV).
// In both, the wrap's additional data is SlotAad(type, envelope id), binding
// the slot to its envelope. A wrong passphrase and a modified slot cannot be
// told apart: both fail authentication.
// A passphrase slot may also be made from a precomputed KEK (salt and KEK
// given, e.g. cached per recipient): the caller vouches that the KEK is
// DerivePassphraseKek(passphrase, generated, salt, iterations); no PBKDF2
// runs and the slot looks the same on the wire.
// Limits: the portal key is symmetric (shared by the milter hosts and the
// portal); a later slot type may use the portal's public key instead.
#ifndef SEALMILTER_LIB_ENVELOPE_KEY_SLOTS_H_
#define SEALMILTER_LIB_ENVELOPE_KEY_SLOTS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "lib/envelope/metadata.h"
#include "lib/status.h"

namespace seal::envelope {

inline constexpr size_t kContentKeySize = 32;
inline constexpr size_t kSaltSize = 16;

// Applies a slot's normalization ("trim" or "generated-v1") to typed text.
// Whitespace here means ASCII whitespace only; the opener does the same.
std::string NormalizePassphrase(std::string_view typed,
                                std::string_view normalize);

struct PassphraseSlotSpec {
  std::string passphrase;
  bool generated = false;  // made by GeneratePassphrase: "generated-v1"
  std::string label;       // names a reusable passphrase, "" = one-off
  uint32_t iterations = kMinIterations;
  // Both empty: a fresh random salt and PBKDF2 (the usual case). Both set:
  // used as given, no PBKDF2 (salt kSaltSize bytes, kek 32 bytes). Anything
  // else is kInvalidArgument.
  std::string salt;
  std::string kek;
};

struct PortalSlotSpec {
  std::string key_id;  // printable ASCII, at most 128 chars
  std::string key;     // 32 raw bytes
};

// The KEK a passphrase slot uses: PBKDF2-HMAC-SHA256 of the normalized
// passphrase ("generated-v1" when `generated`, else "trim"), 32 bytes.
// kInvalidArgument for an empty (normalized) passphrase, a salt that is not
// kSaltSize bytes or iterations outside [kMinIterations, kMaxIterations].
Result<std::string> DerivePassphraseKek(std::string_view passphrase,
                                        bool generated, std::string_view salt,
                                        uint32_t iterations);
// kSaltSize random bytes (CSPRNG).
Result<std::string> RandomSalt();

Result<KeySlot> MakePassphraseSlot(std::string_view content_key,
                                   std::string_view envelope_id,
                                   const PassphraseSlotSpec& spec);
Result<KeySlot> MakePortalSlot(std::string_view content_key,
                               std::string_view envelope_id,
                               const PortalSlotSpec& spec);

// The content key, or kInvalidArgument "authentication failed" (wrong
// passphrase or key, or a modified slot).
Result<std::string> UnwrapPassphraseSlot(const KeySlot& slot,
                                         std::string_view envelope_id,
                                         std::string_view passphrase);
Result<std::string> UnwrapPortalSlot(const KeySlot& slot,
                                     std::string_view envelope_id,
                                     std::string_view portal_key);

}  // namespace seal::envelope

#endif  // SEALMILTER_LIB_ENVELOPE_KEY_SLOTS_H_
