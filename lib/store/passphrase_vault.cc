// Sealing and opening personal passphrases (see
// lib/store/passphrase_vault.h).
#include "lib/store/passphrase_vault.h"

#include <openssl/crypto.h>

#include "lib/store/normalize.h"

namespace seal::store {
namespace {

constexpr unsigned char kVersion = 1;
constexpr unsigned char kFlagGenerated = 1;
constexpr size_t kFixedBytes = 1 + 1 + 4 + 1;  // version flags iter saltlen

std::string Context(std::string_view address) {
  std::string c = "recipient passphrase";
  c.push_back('\0');
  c.append(address);
  return c;
}

// A std::string whose bytes are wiped when it goes.
struct Wiped {
  std::string bytes;
  ~Wiped() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
};

}  // namespace

Status CheckRecipientSecret(const RecipientSecret& s) {
  if (s.passphrase.empty() || s.passphrase.size() > kMaxPassphraseBytes) {
    return InvalidArgumentError("a personal passphrase has 1 to " +
                                std::to_string(kMaxPassphraseBytes) + " bytes");
  }
  for (char c : s.passphrase) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return InvalidArgumentError(
          "a personal passphrase cannot contain control characters");
    }
  }
  if (s.salt.size() != kPassphraseSaltBytes) {
    return InvalidArgumentError("the passphrase salt must have " +
                                std::to_string(kPassphraseSaltBytes) +
                                " bytes");
  }
  if (s.kek.size() != kPassphraseKekBytes) {
    return InvalidArgumentError("the passphrase KEK must have " +
                                std::to_string(kPassphraseKekBytes) + " bytes");
  }
  if (s.iterations < kMinPassphraseIterations ||
      s.iterations > kMaxPassphraseIterations) {
    return InvalidArgumentError(
        "PBKDF2 iterations must be between 600000 and 10000000, not " +
        std::to_string(s.iterations));
  }
  return Status::Ok();
}

Result<std::string> PassphraseVault::Seal(std::string_view address,
                                          const RecipientSecret& s) const {
  SEAL_RETURN_IF_ERROR(CheckRecipientSecret(s));
  Wiped inner;
  inner.bytes.reserve(kFixedBytes + s.salt.size() + s.kek.size() +
                      s.passphrase.size());
  inner.bytes.push_back(static_cast<char>(kVersion));
  inner.bytes.push_back(static_cast<char>(s.generated ? kFlagGenerated : 0));
  for (int shift = 24; shift >= 0; shift -= 8) {
    inner.bytes.push_back(static_cast<char>((s.iterations >> shift) & 0xff));
  }
  inner.bytes.push_back(static_cast<char>(s.salt.size()));
  inner.bytes += s.salt;
  inner.bytes += s.kek;
  inner.bytes += s.passphrase;
  return master_key_.Seal(inner.bytes, Context(address));
}

Result<RecipientSecret> PassphraseVault::Open(
    const RecipientPassphraseRecord& rec) const {
  Result<SecretBytes> opened =
      master_key_.Open(rec.sealed, Context(rec.address));
  if (!opened.ok()) {
    return opened.status().WithContext("personal passphrase of " + rec.address);
  }
  std::string_view b = opened->view();
  auto damaged = [&](const char* why) {
    return ParseError("personal passphrase of " + rec.address +
                      " is damaged: " + why);
  };
  if (b.size() < kFixedBytes) return damaged("too short");
  if (static_cast<unsigned char>(b[0]) != kVersion) {
    return damaged("unknown version");
  }
  auto flags = static_cast<unsigned char>(b[1]);
  if ((flags & ~kFlagGenerated) != 0) return damaged("unknown flags");
  RecipientSecret s;
  s.generated = (flags & kFlagGenerated) != 0;
  for (size_t i = 2; i < 6; ++i) {
    s.iterations = (s.iterations << 8) | static_cast<unsigned char>(b[i]);
  }
  size_t salt_len = static_cast<unsigned char>(b[6]);
  if (b.size() < kFixedBytes + salt_len + kPassphraseKekBytes) {
    return damaged("truncated");
  }
  s.salt.assign(b.substr(kFixedBytes, salt_len));
  s.kek.assign(b.substr(kFixedBytes + salt_len, kPassphraseKekBytes));
  s.passphrase.assign(b.substr(kFixedBytes + salt_len + kPassphraseKekBytes));
  if (Status ok = CheckRecipientSecret(s); !ok.ok()) {
    return damaged(ok.message().c_str());
  }
  return s;
}

Result<RecipientSecret> PassphraseVault::Get(std::string_view address) {
  Result<RecipientPassphraseRecord> rec =
      store_.GetRecipientPassphrase(address);
  if (!rec.ok()) return rec.status();
  return Open(*rec);
}

Result<RecipientPassphraseRecord> PassphraseVault::NewRecord(
    std::string_view address, const RecipientSecret& secret,
    std::string_view origin, std::string_view created_by) const {
  Result<std::string> normal = NormalizeAddress(address);
  if (!normal.ok()) return normal.status();
  RecipientPassphraseRecord rec;
  rec.address = *normal;
  Result<std::string> sealed = Seal(*normal, secret);
  if (!sealed.ok()) return sealed.status();
  rec.sealed = std::move(sealed).value();
  rec.origin = std::string(origin);
  rec.created_by = std::string(created_by);
  return rec;
}

Result<PassphraseVault::Created> PassphraseVault::GetOrCreate(
    std::string_view address, const RecipientSecret& candidate,
    std::string_view created_by) {
  Result<RecipientPassphraseRecord> rec =
      NewRecord(address, candidate, "message", created_by);
  if (!rec.ok()) return rec.status();
  Result<RecipientPassphrasePut> put =
      store_.PutRecipientPassphraseIfAbsent(*rec);
  if (!put.ok()) return put.status();
  Created out;
  out.created = put->created;
  if (put->created) {
    out.secret = candidate;
  } else {
    Result<RecipientSecret> existing = Open(put->record);
    if (!existing.ok()) return existing.status();
    out.secret = std::move(existing).value();
  }
  out.record = std::move(put->record);
  return out;
}

Status PassphraseVault::Set(std::string_view address,
                            const RecipientSecret& secret,
                            std::string_view created_by) {
  Result<RecipientPassphraseRecord> rec =
      NewRecord(address, secret, "admin", created_by);
  if (!rec.ok()) return rec.status();
  return store_.SetRecipientPassphrase(*rec);
}

}  // namespace seal::store
