// ReinjectJournal: remembers which recipient groups of a message were
// already handed to the reinjection listener, so that when the transaction
// is tempfailed later (another group could not be re-injected, or the MTA
// refused an edit) the sending MTA's retry does not deliver those groups a
// second time (DESIGN.md step 4).
//
// A group is named by GroupKey: SHA-256 over the message's identity (every
// header field except the trace fields an MTA adds on each attempt —
// Received, Return-Path, Delivered-To, X-Original-To — and the body), the
// envelope sender, the treatment and the group's recipients. The journal is
// a directory with one file per key (created with O_EXCL and fsync'ed
// after the listener accepted the group); entries older than `max_age`
// count as absent and are removed by Prune.
// Known limits: the directory is per host, so a retry that reaches another
// host of a multi-host setup is not recognised (a Store-backed journal can
// implement the same interface); a crash between the listener's "250" and
// the journal write can still duplicate that one group.
// Thread-safety: every method may be called concurrently (file system
// operations only).
#ifndef SEALMILTER_LIB_GATEWAY_REINJECT_JOURNAL_H_
#define SEALMILTER_LIB_GATEWAY_REINJECT_JOURNAL_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "lib/gateway/header_block.h"
#include "lib/status.h"

namespace seal::gateway {

// Lower-case hex SHA-256 of the message identity (see above).
std::string MessageIdentity(const MessageParts& message);

// Lower-case hex SHA-256 naming one group of that message.
std::string GroupKey(std::string_view message_identity, std::string_view sender,
                     std::string_view treatment,
                     const std::vector<std::string>& recipients);

class ReinjectJournal {
 public:
  // Creates `directory` (mode 0700) when missing; it must be writable.
  static Result<ReinjectJournal> Open(const std::string& directory,
                                      std::chrono::seconds max_age);

  // True when `key` was recorded less than max_age ago.
  bool Contains(const std::string& key) const;
  // Records `key` durably. Recording a key twice is not an error.
  Status Record(const std::string& key) const;
  // Removes entries older than max_age; returns how many.
  size_t Prune() const;

  const std::string& directory() const { return directory_; }

 private:
  ReinjectJournal(std::string directory, std::chrono::seconds max_age)
      : directory_(std::move(directory)), max_age_(max_age) {}
  std::string PathOf(const std::string& key) const;

  std::string directory_;
  std::chrono::seconds max_age_;
};

}  // namespace seal::gateway

#endif  // SEALMILTER_LIB_GATEWAY_REINJECT_JOURNAL_H_
