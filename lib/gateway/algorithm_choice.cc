// Per-group S/MIME algorithm choice from harvested capabilities
// (algorithm_choice.h).
#include "lib/gateway/algorithm_choice.h"

#include <optional>
#include <utility>

namespace seal::gateway {
namespace {

// The recipient's capabilities, nullopt when none are known or usable.
std::optional<crypto::SmimeCapabilities> Known(
    const std::string& address, const crypto::Certificate& cert,
    store::Store& store, std::vector<std::string>& warnings) {
  Result<store::CapabilitiesRecord> rec =
      store.CapabilitiesFor(address, cert.Sha256Fingerprint());
  if (!rec.ok() && rec.status().code() == StatusCode::kNotFound) {
    rec = store.CapabilitiesFor(address);
  }
  if (!rec.ok()) {
    if (rec.status().code() != StatusCode::kNotFound) {
      warnings.push_back("capabilities of " + address + ": " +
                         rec.status().message() + "; using the defaults");
    }
    return std::nullopt;
  }
  Result<crypto::SmimeCapabilities> caps =
      crypto::ParseSmimeCapabilities(rec->blob);
  if (!caps.ok()) {
    warnings.push_back("capabilities of " + address + " unreadable: " +
                       caps.status().message() + "; using the defaults");
    return std::nullopt;
  }
  return std::move(caps).value();
}

}  // namespace

SmimeAlgorithms ChooseSmimeAlgorithms(
    const std::vector<std::string>& addresses,
    const std::vector<crypto::Certificate>& certs, store::Store* store,
    const crypto::AlgorithmPolicy& policy) {
  SmimeAlgorithms out;
  std::vector<std::optional<crypto::SmimeCapabilities>> known;
  known.reserve(certs.size());
  for (size_t i = 0; i < certs.size(); ++i) {
    if (store == nullptr || i >= addresses.size()) {
      known.emplace_back();
    } else {
      known.push_back(Known(addresses[i], certs[i], *store, out.warnings));
    }
  }
  std::vector<const crypto::SmimeCapabilities*> views;
  for (const auto& k : known) views.push_back(k ? &*k : nullptr);
  out.cipher = crypto::ChooseContentCipher(views, policy);
  size_t oaep = 0;
  for (size_t i = 0; i < certs.size(); ++i) {
    crypto::EncryptRecipient r{certs[i], {}};
    if (certs[i].key_kind() == crypto::KeyKind::kRsa) {
      r.transport = crypto::ChooseKeyTransport(views[i], policy);
      if (r.transport != crypto::KeyTransport::kRsaPkcs1v15) ++oaep;
    }
    out.recipients.push_back(std::move(r));
  }
  out.summary = std::string(crypto::ContentCipherName(out.cipher));
  if (oaep > 0) out.summary += "+oaep:" + std::to_string(oaep);
  return out;
}

}  // namespace seal::gateway
