// Per-recipient passphrase slots (see lib/gateway/recipient_passphrases.h).
#include "lib/gateway/recipient_passphrases.h"

#include "lib/envelope/passphrase.h"

namespace seal::gateway {
namespace {

// A new generated passphrase with its salt and KEK (one PBKDF2).
Result<store::RecipientSecret> NewSecret() {
  Result<std::string> passphrase = envelope::GeneratePassphrase();
  if (!passphrase.ok()) return passphrase.status();
  return MakeRecipientSecret(std::move(passphrase).value(), true);
}

envelope::PassphraseSlotSpec SlotFrom(const store::RecipientSecret& s,
                                      std::string_view recipient) {
  envelope::PassphraseSlotSpec spec;
  spec.passphrase = s.passphrase;
  spec.generated = s.generated;
  spec.label = std::string(recipient);
  spec.iterations = s.iterations;
  spec.salt = s.salt;
  spec.kek = s.kek;
  return spec;
}

constexpr std::string_view kUnavailablePrefix =
    "personal passphrases unavailable: ";

Status Unavailable(const Status& s, std::string_view recipient) {
  return PassphrasesUnavailable(std::string(recipient) + ": " + s.ToString());
}

}  // namespace

Result<store::RecipientSecret> MakeRecipientSecret(std::string passphrase,
                                                   bool generated) {
  store::RecipientSecret s;
  s.passphrase = std::move(passphrase);
  s.generated = generated;
  Result<std::string> salt = envelope::RandomSalt();
  if (!salt.ok()) return salt.status();
  s.salt = std::move(salt).value();
  s.iterations = envelope::kMinIterations;
  Result<std::string> kek = envelope::DerivePassphraseKek(
      s.passphrase, s.generated, s.salt, s.iterations);
  if (!kek.ok()) return kek.status();
  s.kek = std::move(kek).value();
  return s;
}

Status PassphrasesUnavailable(std::string_view detail) {
  return UnavailableError(std::string(kUnavailablePrefix) +
                          std::string(detail));
}

bool IsPassphrasesUnavailable(const Status& status) {
  return status.code() == StatusCode::kUnavailable &&
         std::string_view(status.message())
                 .substr(0, kUnavailablePrefix.size()) == kUnavailablePrefix;
}

Result<std::vector<RecipientPassphrase>> RecipientPassphrases(
    store::Store& store, store::PassphraseVault& vault,
    const std::vector<std::string>& recipients, std::string_view created_by) {
  std::vector<RecipientPassphrase> out;
  out.reserve(recipients.size());
  for (const std::string& r : recipients) {
    RecipientPassphrase p;
    Result<store::RecipientPassphraseRecord> record =
        store.GetRecipientPassphrase(r);
    if (record.ok()) {
      Result<store::RecipientSecret> secret = vault.Open(*record);
      if (!secret.ok()) return Unavailable(secret.status(), r);
      p.recipient = record->address;
      p.slot = SlotFrom(*secret, record->address);
      p.announce = record->origin != "admin" && record->use_count == 0;
    } else if (record.status().code() == StatusCode::kNotFound) {
      Result<store::RecipientSecret> candidate = NewSecret();
      if (!candidate.ok()) return candidate.status();
      Result<store::PassphraseVault::Created> made =
          vault.GetOrCreate(r, *candidate, created_by);
      if (!made.ok()) return Unavailable(made.status(), r);
      // Lost a race to another host: theirs is unannounced too (its
      // use_count is 0), so announcing it again is right either way.
      const store::RecipientPassphraseRecord& stored = made->record;
      p.recipient = stored.address;
      p.slot = SlotFrom(made->secret, stored.address);
      p.announce =
          made->created || (stored.origin != "admin" && stored.use_count == 0);
    } else {
      return Unavailable(record.status(), r);
    }
    out.push_back(std::move(p));
  }
  return out;
}

Status MarkAnnounced(store::Store& store,
                     const std::vector<std::string>& recipients) {
  Status first = Status::Ok();
  for (const std::string& r : recipients) {
    Status s = store.NoteRecipientPassphraseUsed(r);
    if (!s.ok() && first.ok()) first = s.WithContext(r);
  }
  return first;
}

}  // namespace seal::gateway
