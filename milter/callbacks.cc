// libmilter callbacks: thin adapters from the milter protocol to lib/Session,
// and at end-of-message to lib/gateway, whose EditPlan is applied here
// (header edits, the body in 64 KiB slices, quarantine).
// Known limit: header values are sent with one leading space, as
// SMFIP_HDR_LEADSPC wants; an MTA that does not offer that flag adds its
// own, and the field gets two.
#include "milter/callbacks.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <exception>
#include <string>

#include "lib/gateway/process.h"
#include "lib/log.h"
#include "lib/session.h"
#include "milter/header_wire.h"
#include "milter/verdict_mapper.h"

namespace seal::milter {
namespace {

// Process-wide, set once before smfi_main; never thread_local.
std::atomic<SnapshotStore*> g_store{nullptr};
std::atomic<uint64_t> g_next_session{1};
std::atomic<const gateway::Services*> g_services{nullptr};

const Logger& ProcessLog() {
  static const Logger log("milter");
  return log;
}

Session* GetSession(SMFICTX* ctx) {
  return static_cast<Session*>(smfi_getpriv(ctx));
}

std::string Macro(SMFICTX* ctx, const char* name) {
  const char* v = smfi_getsymval(ctx, const_cast<char*>(name));
  return v ? std::string(v) : std::string();
}

std::string StripAngles(const char* addr) {
  std::string a = addr ? addr : "";
  if (a.size() >= 2 && a.front() == '<' && a.back() == '>') {
    a = a.substr(1, a.size() - 2);
  }
  return a;
}

std::string FormatAddress(const _SOCK_ADDR* sa) {
  if (sa == nullptr) return "unknown";
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET) {
    sockaddr_in in{};
    std::memcpy(&in, sa, sizeof in);
    if (inet_ntop(AF_INET, &in.sin_addr, buf, sizeof buf)) return buf;
  } else if (sa->sa_family == AF_INET6) {
    sockaddr_in6 in6{};
    std::memcpy(&in6, sa, sizeof in6);
    if (inet_ntop(AF_INET6, &in6.sin6_addr, buf, sizeof buf)) return buf;
  } else if (sa->sa_family == AF_UNIX) {
    return "unix";
  }
  return "unknown";
}

// Runs `body` and maps its Verdict; any exception becomes a tempfail.
template <typename F>
sfsistat Guard(SMFICTX* ctx, const char* stage, F&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    ProcessLog().Error() << stage << ": unexpected exception: " << e.what()
                         << "; answering tempfail";
  } catch (...) {
    ProcessLog().Error() << stage
                         << ": unexpected exception; answering tempfail";
  }
  try {
    return MapVerdict(ctx, Verdict::Tempfail("Internal filter error"),
                      ProcessLog());
  } catch (...) {
    return SMFIS_TEMPFAIL;
  }
}

// A callback for a protocol step inside a message: needs a transaction.
template <typename F>
sfsistat WithTransaction(SMFICTX* ctx, const char* stage, F&& body) {
  return Guard(ctx, stage, [&]() -> sfsistat {
    Session* s = GetSession(ctx);
    Transaction* t = s ? s->transaction() : nullptr;
    if (t == nullptr) {
      ProcessLog().Error() << stage << " without a message in progress";
      return MapVerdict(ctx, Verdict::Tempfail("Internal filter error"),
                        ProcessLog());
    }
    return MapVerdict(ctx, body(*s, *t), t->log());
  });
}

sfsistat OnNegotiate(SMFICTX* ctx, unsigned long f0, unsigned long f1,
                     unsigned long /*f2*/, unsigned long /*f3*/,
                     unsigned long* pf0, unsigned long* pf1, unsigned long* pf2,
                     unsigned long* pf3) {
  return Guard(ctx, "negotiate", [&]() -> sfsistat {
    const unsigned long wanted_actions =
        SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY | SMFIF_ADDRCPT |
        SMFIF_DELRCPT | SMFIF_QUARANTINE | SMFIF_SETSYMLIST;
    *pf0 = f0 & wanted_actions;
    if ((f0 & wanted_actions) != wanted_actions) {
      ProcessLog().Warning()
          << "the MTA does not offer every milter action sealmilter uses "
          << "(offered 0x" << std::hex << f0 << ", wanted 0x" << wanted_actions
          << ")";
    }
    // Header values with their leading space, so headers are rebuilt
    // byte-exact; no callbacks for unknown commands and DATA.
    *pf1 = f1 & (SMFIP_HDR_LEADSPC | SMFIP_NOUNKNOWN | SMFIP_NODATA);
    *pf2 = 0;
    *pf3 = 0;
    if (f0 & SMFIF_SETSYMLIST) {
      struct {
        int stage;
        const char* macros;
      } const lists[] = {
          {SMFIM_CONNECT, "j {daemon_name} {daemon_addr} {client_addr}"},
          {SMFIM_ENVFROM, "i {auth_authen} {auth_type} {mail_addr}"},
          {SMFIM_ENVRCPT, "i {rcpt_addr}"},
          {SMFIM_EOH, "i"},
          {SMFIM_EOM, "i"},
      };
      for (const auto& l : lists) {
        if (smfi_setsymlist(ctx, l.stage, const_cast<char*>(l.macros)) !=
            MI_SUCCESS) {
          ProcessLog().Warning() << "cannot request macros " << l.macros;
        }
      }
    }
    return SMFIS_CONTINUE;
  });
}

sfsistat OnConnect(SMFICTX* ctx, char* hostname, _SOCK_ADDR* addr) {
  return Guard(ctx, "connect", [&]() -> sfsistat {
    SnapshotStore* store = g_store.load();
    if (store == nullptr) {
      return MapVerdict(ctx, Verdict::Tempfail("Filter not ready"),
                        ProcessLog());
    }
    delete GetSession(ctx);  // a stale one, should the MTA reuse a context
    auto* session = new Session(g_next_session.fetch_add(1), store);
    if (smfi_setpriv(ctx, session) != MI_SUCCESS) {
      delete session;
      return MapVerdict(ctx, Verdict::Tempfail("Internal filter error"),
                        ProcessLog());
    }
    ConnectionInfo& c = session->connection();
    c.client_host = hostname ? hostname : "";
    c.client_addr = FormatAddress(addr);
    c.daemon_name = Macro(ctx, "{daemon_name}");
    session->log().Debug() << "connect from " << c.client_host << "["
                           << c.client_addr << "] daemon=" << c.daemon_name;
    return SMFIS_CONTINUE;
  });
}

sfsistat OnHelo(SMFICTX* ctx, char* helo) {
  return Guard(ctx, "helo", [&]() -> sfsistat {
    if (Session* s = GetSession(ctx)) s->connection().helo = helo ? helo : "";
    return SMFIS_CONTINUE;
  });
}

sfsistat OnEnvFrom(SMFICTX* ctx, char** argv) {
  return Guard(ctx, "envfrom", [&]() -> sfsistat {
    Session* s = GetSession(ctx);
    if (s == nullptr) {
      return MapVerdict(ctx, Verdict::Tempfail("Internal filter error"),
                        ProcessLog());
    }
    Verdict v = s->BeginMessage(StripAngles(argv ? argv[0] : nullptr),
                                Macro(ctx, "{auth_authen}"));
    s->SetQueueId(Macro(ctx, "i"));
    return MapVerdict(ctx, v, s->log());
  });
}

sfsistat OnEnvRcpt(SMFICTX* ctx, char** argv) {
  return Guard(ctx, "envrcpt", [&]() -> sfsistat {
    Session* s = GetSession(ctx);
    if (s == nullptr) {
      return MapVerdict(ctx, Verdict::Tempfail("Internal filter error"),
                        ProcessLog());
    }
    s->SetQueueId(Macro(ctx, "i"));
    return MapVerdict(
        ctx, s->AddRecipient(StripAngles(argv ? argv[0] : nullptr)), s->log());
  });
}

sfsistat OnHeader(SMFICTX* ctx, char* name, char* value) {
  return WithTransaction(ctx, "header", [&](Session&, Transaction& t) {
    return t.AddHeader(name ? name : "", value ? value : "");
  });
}

sfsistat OnEoh(SMFICTX* ctx) {
  return WithTransaction(ctx, "eoh", [&](Session& s, Transaction& t) {
    s.SetQueueId(Macro(ctx, "i"));
    return t.EndHeaders();
  });
}

sfsistat OnBody(SMFICTX* ctx, unsigned char* data, size_t len) {
  return WithTransaction(ctx, "body", [&](Session&, Transaction& t) {
    return t.AddBody(
        std::string_view(reinterpret_cast<const char*>(data), len));
  });
}

// Applies an EditPlan; any failed call fails the whole message.
Status ApplyPlan(SMFICTX* ctx, gateway::EditPlan& plan) {
  for (const gateway::HeaderEdit& h : plan.headers) {
    char* name = const_cast<char*>(h.name.c_str());
    std::string value = WireValue(h.value);
    int rc = MI_FAILURE;
    switch (h.kind) {
      case gateway::HeaderEdit::Kind::kDelete:
        rc = smfi_chgheader(ctx, name, h.occurrence, nullptr);
        break;
      case gateway::HeaderEdit::Kind::kChange:
        rc = smfi_chgheader(ctx, name, h.occurrence,
                            const_cast<char*>(value.c_str()));
        break;
      case gateway::HeaderEdit::Kind::kAdd:
        rc = smfi_addheader(ctx, name, const_cast<char*>(value.c_str()));
        break;
    }
    if (rc != MI_SUCCESS) {
      return UnavailableError("the MTA refused a header change of " + h.name);
    }
  }
  if (plan.body) {
    SEAL_RETURN_IF_ERROR(
        plan.body->ForEachSlice(64 * 1024, [&](std::string_view slice) {
          if (smfi_replacebody(ctx,
                               reinterpret_cast<unsigned char*>(
                                   const_cast<char*>(slice.data())),
                               static_cast<int>(slice.size())) != MI_SUCCESS) {
            return UnavailableError("the MTA refused the new body");
          }
          return Status::Ok();
        }));
  }
  for (const std::string& r : plan.delete_recipients) {
    std::string path = "<" + r + ">";
    if (smfi_delrcpt(ctx, const_cast<char*>(path.c_str())) != MI_SUCCESS) {
      return UnavailableError("the MTA refused to remove a recipient");
    }
  }
  if (!plan.quarantine.empty() &&
      smfi_quarantine(ctx, const_cast<char*>(plan.quarantine.c_str())) !=
          MI_SUCCESS) {
    return UnavailableError("the MTA refused to quarantine the message");
  }
  return Status::Ok();
}

sfsistat OnEom(SMFICTX* ctx) {
  return Guard(
      ctx, "eom", [&]() -> sfsistat {
        Session* s = GetSession(ctx);
        Transaction* t = s ? s->transaction() : nullptr;
        if (t == nullptr) {
          ProcessLog().Error() << "eom without a message in progress";
          return MapVerdict(ctx, Verdict::Tempfail("Internal filter error"),
                            ProcessLog());
        }
        t->MarkEndOfMessage();
        s->SetQueueId(Macro(ctx, "i"));
        const gateway::Services* services = g_services.load();
        gateway::Outcome out = gateway::ProcessMessage(
            *t, s->connection(),
            services != nullptr ? *services : gateway::Services{});
        Verdict v = std::move(out.verdict);
        if (v.kind == Verdict::Kind::kAccept ||
            v.kind == Verdict::Kind::kContinue) {
          auto begun = std::chrono::steady_clock::now();
          if (Status applied = ApplyPlan(ctx, out.plan); !applied.ok()) {
            v = t->Fail(applied, "applying the rewrite");
          } else if (out.plan.body) {
            // Handing the new body back to the MTA, after the log line's eom=.
            t->log().Debug()
                << "rewrite applied: bytes=" << out.plan.body->size()
                << " time="
                << FormatMillis(
                       std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::steady_clock::now() - begun));
          }
        }
        Logger log = t->log();
        s->EndMessage();  // free the spool now, not at the next MAIL FROM
        return MapVerdict(ctx, v, log);
      });
}

sfsistat OnAbort(SMFICTX* ctx) {
  return Guard(ctx, "abort", [&]() -> sfsistat {
    if (Session* s = GetSession(ctx)) s->EndMessage();
    return SMFIS_CONTINUE;
  });
}

sfsistat OnClose(SMFICTX* ctx) {
  return Guard(ctx, "close", [&]() -> sfsistat {
    Session* s = GetSession(ctx);
    smfi_setpriv(ctx, nullptr);
    delete s;
    return SMFIS_CONTINUE;
  });
}

char kFilterName[] = "sealmilter";

smfiDesc g_description = {
    kFilterName,
    SMFI_VERSION,
    SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY | SMFIF_ADDRCPT |
        SMFIF_DELRCPT | SMFIF_QUARANTINE | SMFIF_SETSYMLIST,
    OnConnect,
    OnHelo,
    OnEnvFrom,
    OnEnvRcpt,
    OnHeader,
    OnEoh,
    OnBody,
    OnEom,
    OnAbort,
    OnClose,
    nullptr,  // unknown
    nullptr,  // data
    OnNegotiate,
};

}  // namespace

void SetSnapshotStore(SnapshotStore* store) { g_store.store(store); }

void SetServices(const gateway::Services* services) {
  g_services.store(services);
}

smfiDesc* FilterDescription() { return &g_description; }

}  // namespace seal::milter
