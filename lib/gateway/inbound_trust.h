// The TrustStore inbound signatures are checked against: the system CA
// bundle (inbound.system_trust), the PEM files and directories of
// inbound.trust_anchors, and the CA certificates in the store (the
// built-in CA, source "authority", and imported CA certificates), plus
// the store's CRLs.
// Built once at start-up by the daemon, before privileges drop, so the
// anchors may be readable by root only. An anchor file that cannot be read
// or holds no certificate is reported in `warnings` and skipped; the store
// being unavailable likewise. Only an OpenSSL failure building the store is
// an error.
// Known limits: a CA added to the store later is trusted after a restart;
// directories are read one level deep (*.pem, *.crt), each file at most
// 4 MiB, at most 1000 files.
// Thread-safety: reentrant; the result is immutable and shared read-only.
#ifndef SEALMILTER_LIB_GATEWAY_INBOUND_TRUST_H_
#define SEALMILTER_LIB_GATEWAY_INBOUND_TRUST_H_

#include <memory>
#include <string>
#include <vector>

#include "lib/config.h"
#include "lib/crypto/trust_store.h"
#include "lib/status.h"
#include "lib/store/store.h"

namespace seal::gateway {

// `store` may be null. `system_bundle` empty: the TrustStore default.
Result<std::shared_ptr<const crypto::TrustStore>> BuildInboundTrust(
    const Config& config, store::Store* store,
    std::vector<std::string>& warnings, const std::string& system_bundle = "");

}  // namespace seal::gateway

#endif  // SEALMILTER_LIB_GATEWAY_INBOUND_TRUST_H_
