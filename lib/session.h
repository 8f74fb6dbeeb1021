// Session and Transaction: the per-connection and per-message state that the
// milter layer feeds protocol events into (OpenDKIM keeps the two apart too).
//
// A Session lives from connect to close. Each MAIL FROM starts a Transaction
// that takes the current Snapshot and keeps it to the end, spools headers and
// body, and at end-of-message returns a Verdict. End() is the pass-through
// used when the snapshot has no Policy; otherwise lib/gateway/process.h
// classifies and rewrites the message.
// Thread-safety: libmilter calls one connection's callbacks one at a time but
// possibly on different threads; a Session is never shared between
// connections, and nothing here is thread_local.
#ifndef SEALMILTER_LIB_SESSION_H_
#define SEALMILTER_LIB_SESSION_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/log.h"
#include "lib/snapshot.h"
#include "lib/spool.h"
#include "lib/verdict.h"

namespace seal {

struct ConnectionInfo {
  std::string client_host;  // as the MTA resolved it
  std::string client_addr;  // "192.0.2.1", "unix", "unknown"
  std::string helo;
  std::string daemon_name;  // {daemon_name}: which listener took the mail
};

struct Envelope {
  std::string sender;       // MAIL FROM address, without <>
  std::string auth_authen;  // {auth_authen}: SMTP AUTH user, or ""
  std::vector<std::string> recipients;
};

// "12.3ms": a duration as the log lines write it (tenths of a
// millisecond, truncated).
std::string FormatMillis(std::chrono::microseconds d);

class Transaction {
 public:
  Transaction(std::shared_ptr<const Snapshot> snapshot, Logger log);

  const Snapshot& snapshot() const { return *snapshot_; }
  Envelope& envelope() { return envelope_; }
  const Envelope& envelope() const { return envelope_; }
  Spool& spool() { return spool_; }
  uint64_t header_count() const { return header_count_; }
  const Logger& log() const { return log_; }
  void set_log_context(std::string context) {
    log_.set_context(std::move(context));
  }

  // Time since MAIL FROM, for the per-message log line.
  std::chrono::microseconds elapsed() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started_);
  }
  // End of message: the milter layer marks when it starts, so the log line
  // can tell the milter's own processing (eom=) from the time since MAIL
  // FROM (time=, which includes the SMTP transfer through the MTA).
  void MarkEndOfMessage() { eom_started_ = std::chrono::steady_clock::now(); }
  // Time since MarkEndOfMessage; 0 when it was not called.
  std::chrono::microseconds eom_elapsed() const {
    if (eom_started_ == std::chrono::steady_clock::time_point{}) {
      return std::chrono::microseconds{0};
    }
    return std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - eom_started_);
  }
  // " eom=N.Nms time=N.Nms", eom= only after MarkEndOfMessage: the end of
  // both per-message log lines (time= stays last: tools anchor on it).
  std::string TimingFields() const;
  // The fail-closed reply for an internal error at `stage` (logged).
  Verdict Fail(const Status& status, std::string_view stage);

  Verdict AddHeader(std::string_view name, std::string_view value);
  Verdict EndHeaders();
  Verdict AddBody(std::string_view chunk);
  Verdict End();

 private:
  std::shared_ptr<const Snapshot> snapshot_;
  Logger log_;
  Envelope envelope_;
  Spool spool_;
  uint64_t header_count_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point eom_started_{};
};

class Session {
 public:
  // `id` is unique within the process; it names the session in logs ("s12").
  Session(uint64_t id, SnapshotStore* snapshots);

  ConnectionInfo& connection() { return connection_; }
  const Logger& log() const { return log_; }

  // Starts a message; any previous one is dropped.
  Verdict BeginMessage(std::string sender, std::string auth_authen);
  Verdict AddRecipient(std::string recipient);
  // The queue id ({i}) may only become known after MAIL FROM.
  void SetQueueId(std::string_view queue_id);
  // The message in progress, or null (e.g. after an abort).
  Transaction* transaction() { return transaction_.get(); }
  // Ends the message (after End() or on abort).
  void EndMessage();

 private:
  std::string session_tag_;
  SnapshotStore* snapshots_;
  ConnectionInfo connection_;
  Logger log_;
  std::unique_ptr<Transaction> transaction_;
};

}  // namespace seal

#endif  // SEALMILTER_LIB_SESSION_H_
