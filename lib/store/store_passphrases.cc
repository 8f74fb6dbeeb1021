// Store: input checks and normalisation of the personal passphrase methods
// (store.h), in front of the Do* hooks.
#include <string>

#include "lib/store/normalize.h"
#include "lib/store/store.h"

namespace seal::store {
namespace {

constexpr size_t kMaxCreatedByBytes = 256;

// The record as the hooks get it: address normalised, fields checked,
// created_at now, counters 0.
Result<RecipientPassphraseRecord> Checked(const RecipientPassphraseRecord& rec,
                                          int64_t now) {
  Result<std::string> address = NormalizeAddress(rec.address);
  if (!address.ok()) return address.status();
  if (rec.origin != "message" && rec.origin != "admin") {
    return InvalidArgumentError(
        "passphrase origin must be message or admin, "
        "not \"" +
        rec.origin + "\"");
  }
  if (rec.sealed.empty()) {
    return InvalidArgumentError("the sealed passphrase is empty");
  }
  if (rec.sealed.size() > kMaxSealedPassphraseBytes) {
    return ResourceExhaustedError("the sealed passphrase is longer than " +
                                  std::to_string(kMaxSealedPassphraseBytes) +
                                  " bytes");
  }
  if (rec.created_by.size() > kMaxCreatedByBytes) {
    return ResourceExhaustedError("created_by is longer than " +
                                  std::to_string(kMaxCreatedByBytes) +
                                  " bytes");
  }
  for (char c : rec.created_by) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return InvalidArgumentError("created_by contains a control character");
    }
  }
  if (rec.last_used_at != 0 || rec.use_count != 0) {
    return InvalidArgumentError(
        "a new passphrase record starts with last_used_at and use_count 0");
  }
  RecipientPassphraseRecord out = rec;
  out.address = std::move(*address);
  out.created_at = now;
  return out;
}

}  // namespace

Result<RecipientPassphrasePut> Store::PutRecipientPassphraseIfAbsent(
    const RecipientPassphraseRecord& rec) {
  Result<RecipientPassphraseRecord> r = Checked(rec, clock_->Now());
  if (!r.ok()) return r.status();
  return DoPutRecipientPassphraseIfAbsent(*r);
}

Status Store::SetRecipientPassphrase(const RecipientPassphraseRecord& rec) {
  Result<RecipientPassphraseRecord> r = Checked(rec, clock_->Now());
  if (!r.ok()) return r.status();
  return DoSetRecipientPassphrase(*r);
}

Result<RecipientPassphraseRecord> Store::GetRecipientPassphrase(
    std::string_view address) {
  Result<std::string> a = NormalizeAddress(address);
  if (!a.ok()) return a.status();
  return DoGetRecipientPassphrase(*a);
}

Status Store::NoteRecipientPassphraseUsed(std::string_view address) {
  Result<std::string> a = NormalizeAddress(address);
  if (!a.ok()) return a.status();
  return DoNoteRecipientPassphraseUsed(*a, clock_->Now());
}

Result<std::vector<RecipientPassphraseRecord>>
Store::ListRecipientPassphrases() {
  return DoListRecipientPassphrases();
}

Status Store::DeleteRecipientPassphrase(std::string_view address) {
  Result<std::string> a = NormalizeAddress(address);
  if (!a.ok()) return a.status();
  return DoDeleteRecipientPassphrase(*a);
}

}  // namespace seal::store
