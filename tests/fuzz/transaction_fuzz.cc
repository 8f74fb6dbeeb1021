// libFuzzer target for the whole end-of-message processing of one
// transaction (lib/gateway/process.h) on the embedded defaults and the
// shipped rules, with an empty SQLite store: arbitrary bytes as the
// message, the first byte choosing the envelope (outbound from an
// authenticated user, inbound from outside, internal, null sender). Checks
// that a verdict always comes back, that an edit plan only names header
// fields that are valid names, and that a rewritten body is never empty.
// The reinjection target is a closed loopback port, so no mail leaves.
// Seeds: tests/fuzz/corpus/transaction/ (and tests/golden/mime).
#include <stdlib.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "lib/config.h"
#include "lib/gateway/policy.h"
#include "lib/gateway/process.h"
#include "lib/log.h"
#include "lib/session.h"
#include "lib/snapshot.h"
#include "lib/store/open_store.h"

namespace {

struct World {
  World() {
    // Under $TMPDIR: scripts/fuzz points it at its work directory, which
    // it removes after the run.
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
        "/seal-fuzz-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    dir = tmpl;
    seal::Config config = seal::Config::Defaults();
    config.spool.directory = dir;
    config.gateway.internal_domains = {"example.org"};
    config.gateway.reinject = "127.0.0.1:9";
    config.gateway.reinject_journal = "";
    config.log.level = "error";
    auto policy = seal::gateway::BuildPolicy(config);
    if (!policy.ok()) std::abort();
    snapshot = std::make_shared<seal::Snapshot>();
    snapshot->config = config;
    snapshot->policy = *policy;
    seal::store::StoreOptions o;
    o.path = dir + "/store.db";
    auto opened = seal::store::OpenStore(o);
    if (!opened.ok()) std::abort();
    store = std::move(*opened);
    services.store = store.get();
  }
  std::string dir;
  std::shared_ptr<seal::Snapshot> snapshot;
  std::unique_ptr<seal::store::Store> store;
  seal::gateway::Services services;
};

World& TheWorld() {
  static World* w = new World();  // lives for the whole run
  return *w;
}

bool ValidFieldName(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (c <= ' ' || c == ':' || static_cast<unsigned char>(c) >= 0x7f) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  World& w = TheWorld();
  seal::Transaction t(w.snapshot, seal::Logger("fuzz"));
  seal::ConnectionInfo c;
  switch (data[0] % 4) {
    case 0:  // an internal user's outbound mail
      t.envelope().sender = "alice@example.org";
      t.envelope().auth_authen = "alice";
      t.envelope().recipients = {"bob@example.net", "carol@example.org"};
      c.client_addr = "127.0.0.1";
      break;
    case 1:  // inbound
      t.envelope().sender = "mallory@example.net";
      t.envelope().recipients = {"alice@example.org"};
      c.client_addr = "198.51.100.7";
      break;
    case 2:  // internal
      t.envelope().sender = "alice@example.org";
      t.envelope().auth_authen = "alice";
      t.envelope().recipients = {"carol@example.org"};
      c.client_addr = "127.0.0.1";
      break;
    default:  // a bounce
      t.envelope().recipients = {"bob@example.net"};
      c.client_addr = "127.0.0.1";
      break;
  }
  std::string_view raw(reinterpret_cast<const char*>(data + 1), size - 1);
  if (!t.spool().Append(raw).ok()) return 0;
  seal::gateway::Outcome out = seal::gateway::ProcessMessage(t, c, w.services);
  for (const auto& h : out.plan.headers) {
    if (!ValidFieldName(h.name)) std::abort();
  }
  if (out.plan.body && out.plan.body->size() == 0 && !raw.empty()) {
    std::abort();
  }
  return 0;
}
