// Passphrases for the envelope's passphrase slot: a generator of strong,
// human-typable passphrases, and PassphraseSource, the interface to a
// per-recipient passphrase store (the store itself lives elsewhere; an
// in-memory implementation serves tests and small setups).
//
// Generated form: 6 groups of 4 characters from the 31-character alphabet
// "23456789abcdefghjkmnpqrstuvwxyz" (no 0/o, 1/l/i), joined by '-', e.g.
// "k7m2-x9qp-3hfd-w8ra-6tnc-ejv4": 24 * log2(31) = 118.9 bits. The opener
// ignores case, spaces and dashes for such passphrases ("generated-v1").
// Thread-safety: GeneratePassphrase is thread-safe; InMemoryPassphraseSource
// is thread-safe (one mutex).
#ifndef SEALMILTER_LIB_ENVELOPE_PASSPHRASE_H_
#define SEALMILTER_LIB_ENVELOPE_PASSPHRASE_H_

#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "lib/status.h"

namespace seal::envelope {

inline constexpr std::string_view kPassphraseAlphabet =
    "23456789abcdefghjkmnpqrstuvwxyz";
inline constexpr int kPassphraseGroups = 6;
inline constexpr int kPassphraseGroupLength = 4;

// A new random passphrase in the generated form (uniform: rejection
// sampling over OpenSSL's CSPRNG).
Result<std::string> GeneratePassphrase();

// Bits of entropy of the generated form.
double GeneratedPassphraseBits();

struct StoredPassphrase {
  std::string passphrase;
  std::string label;  // written into the slot so the opener can remember it
};

class PassphraseSource {
 public:
  virtual ~PassphraseSource() = default;
  // The passphrase stored for `recipient` (an address; case-insensitive),
  // kNotFound when there is none, kUnavailable when the store is down.
  virtual Result<StoredPassphrase> Lookup(std::string_view recipient) = 0;
};

class InMemoryPassphraseSource final : public PassphraseSource {
 public:
  void Set(std::string_view recipient, std::string passphrase);
  Result<StoredPassphrase> Lookup(std::string_view recipient) override;

 private:
  std::mutex mu_;
  std::map<std::string, std::string> entries_;  // guarded by mu_
};

// What the envelope uses for one recipient: the stored passphrase (the
// recipient knows it) or a new generated one (the sender must pass it on).
struct PassphraseChoice {
  std::string passphrase;
  std::string label;
  bool generated = false;
};

// Looks `recipient` up in `source` (may be null); falls back to a new
// generated passphrase on kNotFound. Other errors are returned.
Result<PassphraseChoice> ChoosePassphrase(PassphraseSource* source,
                                          std::string_view recipient);

}  // namespace seal::envelope

#endif  // SEALMILTER_LIB_ENVELOPE_PASSPHRASE_H_
