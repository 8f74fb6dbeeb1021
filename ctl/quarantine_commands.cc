// sealctl quarantine list|show|release|delete: the messages sealmilter holds
// in its Store (gateway.quarantine "store"; lib/gateway/quarantine.h).
//
// The store comes from store.path and store.busy_timeout of the
// configuration (-c FILE, else the default file if present), --store
// overriding the path; no command creates a store. `release` re-runs the
// policy of that configuration on the stored message and envelope (as the
// daemon would, with the quarantine approved: reject and encryption still
// apply), re-injects what the policy returns to gateway.reinject with the
// original sender and recipients, and only then marks the record released;
// a reject or tempfail answer is printed and the record stays held.
// `delete` erases the message bytes and keeps the metadata.
// Output: `show --raw` writes the message bytes as stored; everything else
// is metadata (addresses, sizes, reasons) with control characters replaced
// by '?'. Nothing is written to the log but the policy's one line per
// message.
// Known limits: release runs without the key vault (no signing, no inbound
// decryption) and without the reinjection journal; two administrators
// releasing the same message at once may both deliver it; a failure after
// some recipient groups were re-injected leaves the record held, and a
// second release sends those groups again.
// Arguments and error lines: ctl/args.h.
// Thread-safety: a command runs on the calling thread only.

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ctl/admin_text.h"
#include "ctl/args.h"
#include "ctl/command.h"
#include "ctl/store_options.h"
#include "lib/config.h"
#include "lib/gateway/apply_plan.h"
#include "lib/gateway/policy.h"
#include "lib/gateway/process.h"
#include "lib/gateway/smtp_client.h"
#include "lib/session.h"
#include "lib/snapshot.h"
#include "lib/store/open_store.h"
#include "lib/store/store.h"

namespace seal::ctl {
namespace {

using Json = nlohmann::ordered_json;
using store::QuarantineRecord;
using store::QuarantineState;

// --- Output --------------------------------------------------------------

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += ",";
    out += s;
  }
  return out;
}

std::string SenderText(const QuarantineRecord& r) {
  return r.sender.empty() ? std::string("<>") : Printable(r.sender);
}

Json ToJson(const QuarantineRecord& r) {
  Json j;
  j["id"] = r.id;
  j["created_at"] = r.created_at;
  j["state"] = std::string(store::QuarantineStateName(r.state));
  j["queue_id"] = r.queue_id;
  j["sender"] = r.sender;
  j["recipients"] = r.recipients;
  j["auth_user"] = r.auth_user;
  j["client_addr"] = r.client_addr;
  j["reason"] = r.reason;
  j["size"] = r.size;
  j["sha256"] = r.sha256;
  j["handled_at"] = r.handled_at;
  j["handled_by"] = r.handled_by;
  return j;
}

void PrintJson(const Json& j, FILE* out) {
  // Addresses from the network may hold bytes that are not UTF-8.
  std::string text = j.dump(2, ' ', false, Json::error_handler_t::replace);
  fprintf(out, "%s\n", text.c_str());
}

void PrintDetails(const QuarantineRecord& r, FILE* out) {
  auto line = [out](const char* label, const std::string& value) {
    fprintf(out, "%-12s %s\n", label, value.c_str());
  };
  line("id", r.id);
  line("state", std::string(store::QuarantineStateName(r.state)));
  line("created", FormatUtc(r.created_at));
  line("queue id", r.queue_id.empty() ? "-" : Printable(r.queue_id));
  line("sender", SenderText(r));
  line("recipients", Printable(Join(r.recipients)));
  line("auth user", r.auth_user.empty() ? "-" : Printable(r.auth_user));
  line("client", r.client_addr.empty() ? "-" : Printable(r.client_addr));
  line("reason", Printable(r.reason));
  line("size", std::to_string(r.size));
  line("sha256", r.sha256);
  if (r.state != QuarantineState::kHeld) {
    line("handled", FormatUtc(r.handled_at) + " by " + Printable(r.handled_by));
  }
}

// --- Commands ------------------------------------------------------------

int RunList(const std::vector<std::string>& argv, CommandIo& io) {
  const ArgSpec spec{
      "quarantine list",
      "[-c FILE] [--store PATH] [--state held|released|deleted|all] "
      "[--limit N] [--json]",
      {"-c", "--store", "--state", "--limit"},
      {"--json"},
      0,
      0};
  std::optional<Args> args = ParseOrUsage(argv, spec, io);
  if (!args) return kExitUsage;
  store::QuarantineFilter filter;
  std::string state = args->Has("--state") ? args->Value("--state") : "held";
  if (state != "all") {
    Result<QuarantineState> s = store::ParseQuarantineState(state);
    if (!s.ok()) return UsageError(spec, s.status().message(), io);
    filter.state = *s;
  }
  if (args->Has("--limit")) {
    std::string text = args->Value("--limit");
    char* end = nullptr;
    errno = 0;
    unsigned long long n = strtoull(text.c_str(), &end, 10);  // NOLINT
    if (text.empty() || text[0] == '-' || *end != '\0' || errno != 0 ||
        n == 0) {
      return UsageError(
          spec,
          "--limit wants a positive number, not '" + Printable(text) + "'", io);
    }
    filter.limit = static_cast<size_t>(n);
  }
  int rc = kExitOk;
  std::optional<AdminStore> opened =
      OpenAdminStoreOrReport(*args, spec.command, io, rc);
  if (!opened) return rc;
  store::Store* st = opened->store.get();
  Result<std::vector<QuarantineRecord>> recs = st->ListQuarantine(filter);
  if (!recs.ok()) return Fail(io, spec.command, recs.status());
  if (args->Has("--json")) {
    Json list = Json::array();
    for (const QuarantineRecord& r : *recs) list.push_back(ToJson(r));
    PrintJson(list, io.out);
    return kExitOk;
  }
  fprintf(io.out, "%-16s  %-23s  %-8s  %9s  %-24s  %s\n", "ID", "CREATED",
          "STATE", "SIZE", "SENDER", "RECIPIENTS  REASON");
  for (const QuarantineRecord& r : *recs) {
    fprintf(io.out, "%-16s  %-23s  %-8s  %9llu  %-24s  %s  %s\n", r.id.c_str(),
            FormatUtc(r.created_at).c_str(),
            std::string(store::QuarantineStateName(r.state)).c_str(),
            static_cast<unsigned long long>(r.size),  // NOLINT
            SenderText(r).c_str(), Printable(Join(r.recipients)).c_str(),
            Printable(r.reason).c_str());
  }
  return kExitOk;
}

int RunShow(const std::vector<std::string>& argv, CommandIo& io) {
  const ArgSpec spec{"quarantine show",
                     "[-c FILE] [--store PATH] [--raw|--json] ID",
                     {"-c", "--store"},
                     {"--raw", "--json"},
                     1,
                     1};
  std::optional<Args> args = ParseOrUsage(argv, spec, io);
  if (!args) return kExitUsage;
  if (args->Has("--raw") && args->Has("--json")) {
    return UsageError(spec, "--raw and --json exclude each other", io);
  }
  int rc = kExitOk;
  std::optional<AdminStore> opened =
      OpenAdminStoreOrReport(*args, spec.command, io, rc);
  if (!opened) return rc;
  store::Store* st = opened->store.get();
  bool raw = args->Has("--raw");
  Result<QuarantineRecord> rec = st->GetQuarantine(args->positional()[0], raw);
  if (!rec.ok()) return Fail(io, spec.command, rec.status());
  if (raw) {
    if (rec->state == QuarantineState::kDeleted) {
      return Fail(io, spec.command,
                  FailedPreconditionError("quarantined message " + rec->id +
                                          " was deleted; its bytes are gone"));
    }
    if (fwrite(rec->message.data(), 1, rec->message.size(), io.out) !=
        rec->message.size()) {
      return Fail(io, spec.command, IoError("cannot write the message"));
    }
    return kExitOk;
  }
  if (args->Has("--json")) {
    PrintJson(ToJson(*rec), io.out);
  } else {
    PrintDetails(*rec, io.out);
  }
  return kExitOk;
}

int RunDelete(const std::vector<std::string>& argv, CommandIo& io) {
  const ArgSpec spec{"quarantine delete",
                     "[-c FILE] [--store PATH] ID",
                     {"-c", "--store"},
                     {},
                     1,
                     1};
  std::optional<Args> args = ParseOrUsage(argv, spec, io);
  if (!args) return kExitUsage;
  int rc = kExitOk;
  std::optional<AdminStore> opened =
      OpenAdminStoreOrReport(*args, spec.command, io, rc);
  if (!opened) return rc;
  store::Store* st = opened->store.get();
  Status s = st->DeleteQuarantine(args->positional()[0], Actor());
  if (!s.ok()) return Fail(io, spec.command, s);
  fprintf(io.out, "deleted %s\n", Printable(args->positional()[0]).c_str());
  return kExitOk;
}

// "550 5.7.1 Message refused ..." for the terminal.
std::string VerdictText(const Verdict& v) {
  std::string out =
      v.smtp_code.empty() ? std::string(VerdictKindName(v.kind)) : v.smtp_code;
  if (!v.enhanced_code.empty()) out += " " + v.enhanced_code;
  if (!v.text.empty()) out += " " + v.text;
  return Printable(out);
}

int RunRelease(const std::vector<std::string>& argv, CommandIo& io) {
  const ArgSpec spec{"quarantine release",
                     "[-c FILE] [--store PATH] ID",
                     {"-c", "--store"},
                     {},
                     1,
                     1};
  std::optional<Args> args = ParseOrUsage(argv, spec, io);
  if (!args) return kExitUsage;
  int rc = kExitOk;
  std::optional<AdminStore> opened =
      OpenAdminStoreOrReport(*args, spec.command, io, rc);
  if (!opened) return rc;
  store::Store* st = opened->store.get();
  const Config& config = opened->config;
  Result<QuarantineRecord> rec = st->GetQuarantine(args->positional()[0], true);
  if (!rec.ok()) return Fail(io, spec.command, rec.status());
  if (rec->state != QuarantineState::kHeld) {
    return Fail(io, spec.command,
                FailedPreconditionError(
                    "quarantined message " + rec->id + " is already " +
                    std::string(store::QuarantineStateName(rec->state))));
  }

  // The policy as the daemon builds it from this configuration.
  Result<std::shared_ptr<const gateway::Policy>> policy =
      gateway::BuildPolicy(config);
  if (!policy.ok()) return Fail(io, spec.command, policy.status(), kExitConfig);
  if (!(*policy)->reinject) {
    return Fail(io, spec.command,
                FailedPreconditionError(
                    "gateway.reinject is not set: nowhere to re-inject the "
                    "released message"),
                kExitConfig);
  }
  // The stored message fits in memory; the spool must not spill to a
  // directory that may only exist on the mail host.
  Config run_config = config;
  run_config.spool.memory_limit = std::max<uint64_t>(
      run_config.spool.memory_limit, rec->message.size() + 1);
  run_config.spool.max_size =
      std::max<uint64_t>(run_config.spool.max_size, rec->message.size() + 1);
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->config = std::move(run_config);
  snapshot->policy = *policy;
  snapshot->generation = 1;

  Transaction t(snapshot, Logger("release/" + rec->id));
  t.envelope().sender = rec->sender;
  t.envelope().auth_authen = rec->auth_user;
  t.envelope().recipients = rec->recipients;
  if (Status s = t.spool().Append(rec->message); !s.ok()) {
    return Fail(io, spec.command, s);
  }
  ConnectionInfo connection;
  connection.client_addr =
      rec->client_addr.empty() ? std::string("unknown") : rec->client_addr;
  gateway::Services services;
  services.store = st;
  services.quarantine_released = true;
  gateway::Outcome out = gateway::ProcessMessage(t, connection, services);
  if (out.verdict.kind != Verdict::Kind::kAccept &&
      out.verdict.kind != Verdict::Kind::kContinue) {
    fprintf(io.err,
            "sealctl quarantine release: the policy answers %s; %s stays "
            "held\n",
            VerdictText(out.verdict).c_str(), rec->id.c_str());
    return kExitFailure;
  }

  // What the MTA would have delivered: the plan applied by us, to the
  // recipients the policy did not already re-inject as their own groups.
  Result<SpoolView> view = t.spool().Map();
  if (!view.ok()) return Fail(io, spec.command, view.status());
  Result<std::string> message = gateway::ApplyEditPlan(view->data(), out.plan);
  if (!message.ok()) return Fail(io, spec.command, message.status());
  std::vector<std::string> recipients;
  for (const std::string& r : rec->recipients) {
    if (std::find(out.plan.delete_recipients.begin(),
                  out.plan.delete_recipients.end(),
                  r) == out.plan.delete_recipients.end()) {
      recipients.push_back(r);
    }
  }
  if (!recipients.empty()) {
    gateway::SmtpMessage m{rec->sender, recipients, *message, {}};
    if (Status s = gateway::SendSmtp(*(*policy)->reinject, m); !s.ok()) {
      fprintf(io.err,
              "sealctl quarantine release: cannot re-inject %s: %s; it stays "
              "held\n",
              rec->id.c_str(), s.message().c_str());
      return kExitFailure;
    }
  }
  if (Status s = st->MarkReleased(rec->id, Actor()); !s.ok()) {
    fprintf(io.err,
            "sealctl quarantine release: %s was re-injected but cannot be "
            "marked released (%s): do not release it again\n",
            rec->id.c_str(), s.message().c_str());
    return kExitFailure;
  }
  fprintf(io.out, "released %s to %zu recipient%s\n", rec->id.c_str(),
          rec->recipients.size(), rec->recipients.size() == 1 ? "" : "s");
  return kExitOk;
}

}  // namespace

std::vector<Command> QuarantineCommands() {
  return {
      {"quarantine", "list",
       "[-c FILE] [--store PATH] [--state S|all] [--limit N] [--json]",
       "list quarantined messages (default: held)", RunList},
      {"quarantine", "show", "[-c FILE] [--store PATH] [--raw|--json] ID",
       "show a quarantined message's metadata, or its bytes", RunShow},
      {"quarantine", "release", "[-c FILE] [--store PATH] ID",
       "re-run the policy and re-inject a held message", RunRelease},
      {"quarantine", "delete", "[-c FILE] [--store PATH] ID",
       "delete a quarantined message (metadata stays)", RunDelete},
  };
}

}  // namespace seal::ctl
