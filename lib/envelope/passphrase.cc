// Passphrase generation and the in-memory PassphraseSource (see
// passphrase.h).
#include "lib/envelope/passphrase.h"

#include <cmath>

#include "lib/envelope/crypto.h"

namespace seal::envelope {
namespace {

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

Result<std::string> GeneratePassphrase() {
  const size_t n = kPassphraseAlphabet.size();
  // Largest multiple of n below 256: bytes at or above it are rejected so
  // every character is equally likely.
  const unsigned limit = static_cast<unsigned>(256 / n * n);
  std::string out;
  int produced = 0;
  const int wanted = kPassphraseGroups * kPassphraseGroupLength;
  while (produced < wanted) {
    auto random = RandomBytes(64);
    if (!random.ok()) return random.status();
    for (char byte : *random) {
      unsigned v = static_cast<unsigned char>(byte);
      if (v >= limit) continue;
      if (produced > 0 && produced % kPassphraseGroupLength == 0) {
        out.push_back('-');
      }
      out.push_back(kPassphraseAlphabet[v % n]);
      if (++produced == wanted) break;
    }
    Cleanse(&random.value());
  }
  return out;
}

double GeneratedPassphraseBits() {
  return kPassphraseGroups * kPassphraseGroupLength *
         std::log2(static_cast<double>(kPassphraseAlphabet.size()));
}

void InMemoryPassphraseSource::Set(std::string_view recipient,
                                   std::string passphrase) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_[LowerAscii(recipient)] = std::move(passphrase);
}

Result<StoredPassphrase> InMemoryPassphraseSource::Lookup(
    std::string_view recipient) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string key = LowerAscii(recipient);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    return NotFoundError("no stored passphrase for " + key);
  }
  return StoredPassphrase{it->second, key};
}

Result<PassphraseChoice> ChoosePassphrase(PassphraseSource* source,
                                          std::string_view recipient) {
  if (source != nullptr) {
    auto stored = source->Lookup(recipient);
    if (stored.ok()) {
      return PassphraseChoice{stored->passphrase, stored->label, false};
    }
    if (stored.status().code() != StatusCode::kNotFound) {
      return stored.status();
    }
  }
  auto generated = GeneratePassphrase();
  if (!generated.ok()) return generated.status();
  return PassphraseChoice{*generated, "", true};
}

}  // namespace seal::envelope
