// sealctl envelope list|show|revoke|expire|audit: the envelope records the
// milter writes to the Store for envelopes with a portal slot, and the
// portal's audit trail of key releases (issue #7; store.h states the
// semantics).
//
// The store comes from store.path and store.busy_timeout of the
// configuration (-c FILE, else the default file if present), --store
// overriding the path, as for `sealctl quarantine`; no command creates a
// store. `revoke` and `expire` take effect at the portal's next key
// request: an envelope already opened in a browser stays readable there.
// Times are shown in UTC; `--at` takes "now", Unix seconds, or
// YYYY-MM-DD[THH:MM[:SS]][Z] in UTC. Metadata from the network is printed
// with control characters replaced by '?'.
// Arguments and error lines: ctl/args.h.
// Thread-safety: a command runs on the calling thread only.

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <ctime>
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
#include "lib/snapshot.h"
#include "lib/store/open_store.h"
#include "lib/store/store.h"

namespace seal::ctl {
namespace {

using Json = nlohmann::ordered_json;
using store::EnvelopeRecord;
using store::EnvelopeState;
using store::PortalAuditRecord;

// --- Option values -------------------------------------------------------

// A positive count for --limit; nullopt when malformed.
std::optional<size_t> ParseLimit(const std::string& text) {
  char* end = nullptr;
  errno = 0;
  unsigned long long n = strtoull(text.c_str(), &end, 10);  // NOLINT
  if (text.empty() || text[0] < '0' || text[0] > '9' || *end != '\0' ||
      errno != 0 || n == 0) {
    return std::nullopt;
  }
  return static_cast<size_t>(n);
}

// "now" → -1 (the store's clock), Unix seconds, or an ISO date in UTC.
std::optional<int64_t> ParseTime(const std::string& text) {
  if (text == "now") return -1;
  if (!text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return c >= '0' && c <= '9';
      })) {
    if (text.size() > 12) return std::nullopt;
    return static_cast<int64_t>(std::stoll(text));
  }
  struct tm tm = {};
  const char* p = strptime(text.c_str(), "%Y-%m-%d", &tm);
  if (p == nullptr) return std::nullopt;
  if (*p == 'T' || *p == ' ') {
    const char* q = strptime(p + 1, "%H:%M:%S", &tm);
    if (q == nullptr) q = strptime(p + 1, "%H:%M", &tm);
    if (q == nullptr) return std::nullopt;
    p = q;
  }
  if (*p == 'Z') ++p;
  if (*p != '\0') return std::nullopt;
  time_t t = timegm(&tm);
  if (t < 0) return std::nullopt;
  return static_cast<int64_t>(t);
}

// --- Output ----------------------------------------------------------------

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += ",";
    out += s;
  }
  return out;
}

std::string Options(const EnvelopeRecord& r) {
  std::vector<std::string> o;
  if (r.reply) o.push_back("reply");
  if (r.reply_all) o.push_back("reply-all");
  if (r.forward) o.push_back("forward");
  if (r.read_receipt) o.push_back("read-receipt");
  return o.empty() ? "-" : Join(o);
}

std::string StateText(const EnvelopeRecord& r) {
  return std::string(store::EnvelopeStateName(r.StateAt(time(nullptr))));
}

Json ToJson(const EnvelopeRecord& r) {
  Json j;
  j["id"] = r.id;
  j["state"] = StateText(r);
  j["created_at"] = r.created_at;
  j["expires_at"] = r.expires_at;
  j["sender"] = r.sender;
  j["recipients"] = r.recipients;
  j["portal_key_id"] = r.portal_key_id;
  j["security"] = std::string(store::EnvelopeSecurityName(r.security));
  j["reply"] = r.reply;
  j["reply_all"] = r.reply_all;
  j["forward"] = r.forward;
  j["read_receipt"] = r.read_receipt;
  j["revoked_at"] = r.revoked_at;
  j["revoked_by"] = r.revoked_by;
  j["revoke_reason"] = r.revoke_reason;
  j["first_opened_at"] = r.first_opened_at;
  j["open_count"] = r.open_count;
  j["receipt_sent_at"] = r.receipt_sent_at;
  return j;
}

Json ToJson(const PortalAuditRecord& a) {
  Json j;
  j["id"] = a.id;
  j["at"] = a.at;
  j["envelope_id"] = a.envelope_id;
  j["email"] = a.email;
  j["action"] = a.action;
  j["remote_addr"] = a.remote_addr;
  j["user_agent"] = a.user_agent;
  j["detail"] = a.detail;
  return j;
}

void PrintJson(const Json& j, FILE* out) {
  std::string text = j.dump(2, ' ', false, Json::error_handler_t::replace);
  fprintf(out, "%s\n", text.c_str());
}

// --- Commands ------------------------------------------------------------

int RunList(const std::vector<std::string>& argv, CommandIo& io) {
  const ArgSpec spec{
      "envelope list",
      "[-c FILE] [--store PATH] [--sender A] [--recipient A] "
      "[--state active|revoked|expired|any] [--limit N] [--json]",
      {"-c", "--store", "--sender", "--recipient", "--state", "--limit"},
      {"--json"},
      0,
      0};
  std::optional<Args> args = ParseOrUsage(argv, spec, io);
  if (!args) return kExitUsage;
  store::EnvelopeFilter filter;
  filter.sender = args->Value("--sender");
  filter.recipient = args->Value("--recipient");
  if (args->Has("--state") && args->Value("--state") != "any") {
    Result<EnvelopeState> s = store::ParseEnvelopeState(args->Value("--state"));
    if (!s.ok()) return UsageError(spec, s.status().message(), io);
    filter.state = *s;
  }
  if (args->Has("--limit")) {
    std::optional<size_t> n = ParseLimit(args->Value("--limit"));
    if (!n) {
      return UsageError(spec,
                        "--limit wants a positive number, not '" +
                            args->Value("--limit") + "'",
                        io);
    }
    filter.limit = *n;
  }
  int rc = kExitOk;
  std::optional<AdminStore> opened =
      OpenAdminStoreOrReport(*args, spec.command, io, rc);
  if (!opened) return rc;
  store::Store* st = opened->store.get();
  Result<std::vector<EnvelopeRecord>> recs = st->ListEnvelopes(filter);
  if (!recs.ok()) return Fail(io, spec.command, recs.status());
  if (args->Has("--json")) {
    Json list = Json::array();
    for (const EnvelopeRecord& r : *recs) list.push_back(ToJson(r));
    PrintJson(list, io.out);
    return kExitOk;
  }
  fprintf(io.out, "%-32s  %-23s  %-7s  %-23s  %5s  %-24s  %s\n", "ID",
          "CREATED", "STATE", "EXPIRES", "OPENS", "SENDER", "RECIPIENTS");
  for (const EnvelopeRecord& r : *recs) {
    fprintf(io.out, "%-32s  %-23s  %-7s  %-23s  %5lld  %-24s  %s\n",
            r.id.c_str(), FormatUtc(r.created_at).c_str(), StateText(r).c_str(),
            FormatUtc(r.expires_at).c_str(),
            static_cast<long long>(r.open_count),  // NOLINT
            r.sender.empty() ? "<>" : Printable(r.sender).c_str(),
            Printable(Join(r.recipients)).c_str());
  }
  return kExitOk;
}

int RunShow(const std::vector<std::string>& argv, CommandIo& io) {
  const ArgSpec spec{"envelope show",
                     "[-c FILE] [--store PATH] [--json] ID",
                     {"-c", "--store"},
                     {"--json"},
                     1,
                     1};
  std::optional<Args> args = ParseOrUsage(argv, spec, io);
  if (!args) return kExitUsage;
  int rc = kExitOk;
  std::optional<AdminStore> opened =
      OpenAdminStoreOrReport(*args, spec.command, io, rc);
  if (!opened) return rc;
  store::Store* st = opened->store.get();
  Result<EnvelopeRecord> r = st->GetEnvelope(args->positional()[0]);
  if (!r.ok()) return Fail(io, spec.command, r.status());
  if (args->Has("--json")) {
    PrintJson(ToJson(*r), io.out);
    return kExitOk;
  }
  auto line = [&io](const char* label, const std::string& value) {
    fprintf(io.out, "%-14s %s\n", label, value.c_str());
  };
  line("id", r->id);
  line("state", StateText(*r));
  line("created", FormatUtc(r->created_at));
  line("expires", r->expires_at == 0 ? "never" : FormatUtc(r->expires_at));
  line("sender", r->sender.empty() ? "<>" : Printable(r->sender));
  line("recipients", Printable(Join(r->recipients)));
  line("security", std::string(store::EnvelopeSecurityName(r->security)));
  line("options", Options(*r));
  line("portal key", Printable(r->portal_key_id));
  line("opened", std::to_string(r->open_count) + " times, first " +
                     FormatUtc(r->first_opened_at));
  line("read receipt",
       r->read_receipt
           ? (r->receipt_sent_at == 0 ? std::string("asked, not sent")
                                      : "sent " + FormatUtc(r->receipt_sent_at))
           : std::string("not asked"));
  if (r->revoked_at != 0) {
    line("revoked",
         FormatUtc(r->revoked_at) + " by " + Printable(r->revoked_by));
    line("reason",
         r->revoke_reason.empty() ? "-" : Printable(r->revoke_reason));
  }
  return kExitOk;
}

int RunRevoke(const std::vector<std::string>& argv, CommandIo& io) {
  const ArgSpec spec{"envelope revoke",
                     "[-c FILE] [--store PATH] [--reason TEXT] ID",
                     {"-c", "--store", "--reason"},
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
  Status s = st->RevokeEnvelope(args->positional()[0], Actor(),
                                args->Value("--reason"));
  if (!s.ok()) return Fail(io, spec.command, s);
  fprintf(io.out, "revoked %s\n", Printable(args->positional()[0]).c_str());
  return kExitOk;
}

int RunExpire(const std::vector<std::string>& argv, CommandIo& io) {
  const ArgSpec spec{"envelope expire",
                     "[-c FILE] [--store PATH] [--at TIME|now|never] ID",
                     {"-c", "--store", "--at"},
                     {},
                     1,
                     1};
  std::optional<Args> args = ParseOrUsage(argv, spec, io);
  if (!args) return kExitUsage;
  int64_t at = -1;
  if (args->Has("--at")) {
    std::string text = args->Value("--at");
    if (text == "never") {
      at = 0;
    } else {
      std::optional<int64_t> t = ParseTime(text);
      if (!t) {
        return UsageError(spec,
                          "--at wants now, never, Unix seconds or "
                          "YYYY-MM-DD[THH:MM[:SS]], not '" +
                              text + "'",
                          io);
      }
      at = *t;
    }
  }
  int rc = kExitOk;
  std::optional<AdminStore> opened =
      OpenAdminStoreOrReport(*args, spec.command, io, rc);
  if (!opened) return rc;
  store::Store* st = opened->store.get();
  Status s = st->SetEnvelopeExpiry(args->positional()[0], at);
  if (!s.ok()) return Fail(io, spec.command, s);
  Result<EnvelopeRecord> r = st->GetEnvelope(args->positional()[0]);
  if (!r.ok()) return Fail(io, spec.command, r.status());
  fprintf(io.out, "%s expires %s\n", r->id.c_str(),
          r->expires_at == 0 ? "never" : FormatUtc(r->expires_at).c_str());
  return kExitOk;
}

int RunAudit(const std::vector<std::string>& argv, CommandIo& io) {
  const ArgSpec spec{"envelope audit",
                     "[-c FILE] [--store PATH] [--limit N] [--json] [ID]",
                     {"-c", "--store", "--limit"},
                     {"--json"},
                     0,
                     1};
  std::optional<Args> args = ParseOrUsage(argv, spec, io);
  if (!args) return kExitUsage;
  size_t limit = 100;
  if (args->Has("--limit")) {
    std::optional<size_t> n = ParseLimit(args->Value("--limit"));
    if (!n) {
      return UsageError(spec,
                        "--limit wants a positive number, not '" +
                            args->Value("--limit") + "'",
                        io);
    }
    limit = *n;
  }
  int rc = kExitOk;
  std::optional<AdminStore> opened =
      OpenAdminStoreOrReport(*args, spec.command, io, rc);
  if (!opened) return rc;
  store::Store* st = opened->store.get();
  std::string id = args->positional().empty() ? "" : args->positional()[0];
  Result<std::vector<PortalAuditRecord>> recs = st->ListPortalAudit(id, limit);
  if (!recs.ok()) return Fail(io, spec.command, recs.status());
  if (args->Has("--json")) {
    Json list = Json::array();
    for (const PortalAuditRecord& a : *recs) list.push_back(ToJson(a));
    PrintJson(list, io.out);
    return kExitOk;
  }
  fprintf(io.out, "%-23s  %-32s  %-20s  %-24s  %-15s  %s\n", "AT", "ENVELOPE",
          "ACTION", "EMAIL", "REMOTE", "DETAIL");
  for (const PortalAuditRecord& a : *recs) {
    fprintf(io.out, "%-23s  %-32s  %-20s  %-24s  %-15s  %s\n",
            FormatUtc(a.at).c_str(),
            a.envelope_id.empty() ? "-" : a.envelope_id.c_str(),
            Printable(a.action).c_str(),
            a.email.empty() ? "-" : Printable(a.email).c_str(),
            a.remote_addr.empty() ? "-" : Printable(a.remote_addr).c_str(),
            Printable(a.detail).c_str());
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> EnvelopeAdminCommands() {
  return {
      {"envelope", "list",
       "[-c FILE] [--store PATH] [--sender A] [--recipient A] [--state S] "
       "[--limit N] [--json]",
       "list portal envelope records, newest first", RunList},
      {"envelope", "show", "[-c FILE] [--store PATH] [--json] ID",
       "show one envelope record", RunShow},
      {"envelope", "revoke", "[-c FILE] [--store PATH] [--reason TEXT] ID",
       "revoke an envelope: the portal releases its key no more", RunRevoke},
      {"envelope", "expire", "[-c FILE] [--store PATH] [--at TIME|now] ID",
       "set when an envelope expires (default: now)", RunExpire},
      {"envelope", "audit", "[-c FILE] [--store PATH] [--limit N] [ID]",
       "the portal audit trail (key releases, refusals)", RunAudit},
  };
}

}  // namespace seal::ctl
