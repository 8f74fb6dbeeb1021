// The quarantine treatment: into the Store, or the MTA's hold queue (see
// lib/gateway/quarantine.h).
#include "lib/gateway/quarantine.h"

#include <utility>

namespace seal::gateway {

Result<QuarantineMode> ParseQuarantineMode(std::string_view text) {
  if (text.empty() || text == "store") return QuarantineMode::kStore;
  if (text == "mta") return QuarantineMode::kMta;
  return InvalidArgumentError(
      "gateway.quarantine must be \"store\" or "
      "\"mta\", not \"" +
      std::string(text) + "\"");
}

std::string_view QuarantineModeName(QuarantineMode mode) {
  return mode == QuarantineMode::kMta ? "mta" : "store";
}

Result<std::string> QuarantineMessage(store::Store& store, std::string_view raw,
                                      const Envelope& envelope,
                                      std::string_view queue_id,
                                      std::string_view reason,
                                      std::string_view client_addr) {
  store::QuarantineRecord info;
  info.queue_id = std::string(queue_id);
  info.sender = envelope.sender;
  info.recipients = envelope.recipients;
  info.auth_user = envelope.auth_authen;
  info.client_addr = std::string(client_addr);
  info.reason = std::string(reason);
  Result<store::QuarantineRecord> put = store.PutQuarantine(raw, info);
  if (!put.ok()) return put.status();
  return std::move(put->id);
}

QuarantineTreatment TreatQuarantine(
    QuarantineMode mode, store::Store* store, std::string_view store_error,
    std::string_view raw, const Envelope& envelope, std::string_view queue_id,
    std::string_view reason, EditPlan& plan, std::string_view client_addr) {
  QuarantineTreatment out;
  if (mode == QuarantineMode::kMta) {
    plan.quarantine = "sealmilter: " + std::string(reason);
    out.verdict = Verdict::Accept();
    out.detail = "quarantine=mta";
    return out;
  }
  Result<std::string> id =
      store == nullptr
          ? Result<std::string>(UnavailableError(
                "quarantine store unavailable: " + std::string(store_error)))
          : QuarantineMessage(*store, raw, envelope, queue_id, reason,
                              client_addr);
  if (!id.ok() && id.status().code() == StatusCode::kResourceExhausted) {
    // Over the store's cap: a retry would fail the same way for days.
    out.error = id.status().WithContext("cannot quarantine");
    out.verdict =
        Verdict::Reject("552", "5.3.4", "Message too big for the quarantine");
    out.detail = "quarantine=store reason=too-big";
    return out;
  }
  if (!id.ok()) {
    out.error = id.status().WithContext("cannot quarantine");
    out.verdict = Verdict::Tempfail(
        "Message held by content policy cannot be quarantined now, try "
        "again later");
    out.detail = "quarantine=store reason=store-failed";
    return out;
  }
  out.verdict = Verdict::Discard();
  out.detail = "quarantine=store id=" + *id;
  return out;
}

std::string QueueIdOfLogContext(std::string_view context) {
  size_t slash = context.find('/');
  if (slash == std::string_view::npos) return "";
  std::string_view id = context.substr(slash + 1);
  return id == "-" ? std::string() : std::string(id);  // "-": not told yet
}

}  // namespace seal::gateway
