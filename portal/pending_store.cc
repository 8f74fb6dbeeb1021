// PendingStore: bounded in-memory uploads of the JS-free open (see header).
#include "portal/pending_store.h"

#include <utility>

#include "portal/csrf.h"

namespace seal::portal {

PendingStore::PendingStore(size_t max_entry, size_t max_total, size_t max_count,
                           int64_t ttl_seconds)
    : max_entry_(max_entry),
      max_total_(max_total),
      max_count_(max_count),
      ttl_(ttl_seconds) {}

void PendingStore::PurgeLocked(int64_t now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.created_at + ttl_ <= now) {
      total_ -= it->second.Bytes();
      it = entries_.erase(it);
    } else {
      ++it;
    }
  }
}

Result<std::string> PendingStore::Put(PendingUpload upload, int64_t now) {
  size_t bytes = upload.Bytes();
  if (bytes > max_entry_ || bytes > max_total_) {
    return ResourceExhaustedError("the upload is too large");
  }
  std::lock_guard<std::mutex> lock(mu_);
  PurgeLocked(now);
  while (!entries_.empty() &&
         (total_ + bytes > max_total_ || entries_.size() >= max_count_)) {
    auto oldest = entries_.begin();
    for (auto it = entries_.begin(); it != entries_.end(); ++it) {
      if (it->second.created_at < oldest->second.created_at) oldest = it;
    }
    total_ -= oldest->second.Bytes();
    entries_.erase(oldest);
  }
  upload.created_at = now;
  std::string id = RandomToken(32);
  total_ += bytes;
  entries_.emplace(id, std::move(upload));
  return id;
}

std::optional<PendingUpload> PendingStore::Get(std::string_view id,
                                               int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.created_at + ttl_ <= now) {
    total_ -= it->second.Bytes();
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second;
}

void PendingStore::Purge(int64_t now) {
  std::lock_guard<std::mutex> lock(mu_);
  PurgeLocked(now);
}

size_t PendingStore::total_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

size_t PendingStore::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

}  // namespace seal::portal
