// Session and Transaction (see lib/session.h): envelope bookkeeping, header
// and body spooling, the per-message log line.
#include "lib/session.h"

#include <utility>

namespace seal {
namespace {

SpoolOptions SpoolOptionsFrom(const Config& config) {
  SpoolOptions o;
  o.directory = config.spool.directory;
  o.memory_limit = config.spool.memory_limit;
  o.max_size = config.spool.max_size;
  return o;
}

}  // namespace

Verdict VerdictForError(const Status& status) {
  if (status.code() == StatusCode::kResourceExhausted) {
    return Verdict::Reject("552", "5.3.4",
                           "Message too big for content inspection");
  }
  return Verdict::Tempfail(
      "Message content filter unavailable, try again later");
}

const char* VerdictKindName(Verdict::Kind kind) {
  switch (kind) {
    case Verdict::Kind::kContinue:
      return "continue";
    case Verdict::Kind::kAccept:
      return "accept";
    case Verdict::Kind::kTempfail:
      return "tempfail";
    case Verdict::Kind::kReject:
      return "reject";
    case Verdict::Kind::kDiscard:
      return "discard";
  }
  return "unknown";
}

Transaction::Transaction(std::shared_ptr<const Snapshot> snapshot, Logger log)
    : snapshot_(std::move(snapshot)),
      log_(std::move(log)),
      spool_(SpoolOptionsFrom(snapshot_->config)),
      started_(std::chrono::steady_clock::now()) {}

Verdict Transaction::Fail(const Status& status, std::string_view stage) {
  Verdict v = VerdictForError(status);
  log_.Warning() << stage << ": " << status.ToString() << "; answering "
                 << v.smtp_code << " " << v.enhanced_code;
  return v;
}

Verdict Transaction::AddHeader(std::string_view name, std::string_view value) {
  // `value` is everything after the colon (leading space included). Folded
  // lines may arrive with bare LF: the spool holds CRLF like the body.
  std::string line;
  line.reserve(name.size() + value.size() + 4);
  line.append(name);
  line += ':';
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r')) line += '\r';
    line += value[i];
  }
  line += "\r\n";
  ++header_count_;
  Status s = spool_.Append(line);
  return s.ok() ? Verdict::Continue() : Fail(s, "header");
}

Verdict Transaction::EndHeaders() {
  Status s = spool_.Append("\r\n");
  return s.ok() ? Verdict::Continue() : Fail(s, "end of headers");
}

Verdict Transaction::AddBody(std::string_view chunk) {
  Status s = spool_.Append(chunk);
  return s.ok() ? Verdict::Continue() : Fail(s, "body");
}

Verdict Transaction::End() {
  log_.Info() << "passed unchanged: size=" << spool_.size()
              << " rcpts=" << envelope_.recipients.size()
              << " spilled=" << (spool_.spilled() ? "yes" : "no")
              << TimingFields();
  return Verdict::Accept();
}

std::string Transaction::TimingFields() const {
  std::string out;
  if (eom_started_ != std::chrono::steady_clock::time_point{}) {
    out = " eom=" + FormatMillis(eom_elapsed());
  }
  return out + " time=" + FormatMillis(elapsed());
}

std::string FormatMillis(std::chrono::microseconds d) {
  const auto us = d.count();
  return std::to_string(us / 1000) + "." + std::to_string((us % 1000) / 100) +
         "ms";
}

Session::Session(uint64_t id, SnapshotStore* snapshots)
    : session_tag_("s" + std::to_string(id)),
      snapshots_(snapshots),
      log_(session_tag_) {}

Verdict Session::BeginMessage(std::string sender, std::string auth_authen) {
  transaction_ = std::make_unique<Transaction>(snapshots_->Current(),
                                               Logger(session_tag_ + "/-"));
  transaction_->envelope().sender = std::move(sender);
  transaction_->envelope().auth_authen = std::move(auth_authen);
  return Verdict::Continue();
}

Verdict Session::AddRecipient(std::string recipient) {
  if (!transaction_) {
    return VerdictForError(FailedPreconditionError("RCPT without MAIL"));
  }
  transaction_->envelope().recipients.push_back(std::move(recipient));
  return Verdict::Continue();
}

void Session::SetQueueId(std::string_view queue_id) {
  if (transaction_ && !queue_id.empty()) {
    transaction_->set_log_context(session_tag_ + "/" + std::string(queue_id));
  }
}

void Session::EndMessage() { transaction_.reset(); }

}  // namespace seal
