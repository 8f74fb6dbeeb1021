// Trust anchors for inbound signatures (see lib/gateway/inbound_trust.h).
#include "lib/gateway/inbound_trust.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "lib/file_read.h"

namespace seal::gateway {
namespace {

constexpr uint64_t kMaxAnchorFileBytes = 4 << 20;
constexpr size_t kMaxAnchorFiles = 1000;

void AddPemFile(const std::string& path, std::vector<crypto::Certificate>& out,
                std::vector<std::string>& warnings) {
  Result<std::string> text =
      ReadRegularFile(path, kMaxAnchorFileBytes, "trust anchor file");
  if (!text.ok()) {
    warnings.push_back(text.status().message());
    return;
  }
  if (text->size() > kMaxAnchorFileBytes) {
    warnings.push_back("trust anchor file " + path + " is larger than 4 MiB");
    return;
  }
  Result<std::vector<crypto::Certificate>> certs =
      crypto::Certificate::AllFromPem(*text);
  if (!certs.ok()) {
    warnings.push_back("trust anchor file " + path + ": " +
                       certs.status().message());
    return;
  }
  for (crypto::Certificate& c : *certs) out.push_back(std::move(c));
}

bool IsPemName(const std::filesystem::path& p) {
  std::string ext = p.extension().string();
  return ext == ".pem" || ext == ".crt";
}

void AddAnchorPath(const std::string& path,
                   std::vector<crypto::Certificate>& out,
                   std::vector<std::string>& warnings) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) {
    AddPemFile(path, out, warnings);
    return;
  }
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(path, ec)) {
    if (files.size() >= kMaxAnchorFiles) {
      warnings.push_back("trust anchor directory " + path +
                         " has more than 1000 files; the rest is skipped");
      break;
    }
    if (entry.is_regular_file(ec) && IsPemName(entry.path())) {
      files.push_back(entry.path().string());
    }
  }
  if (ec) {
    warnings.push_back("trust anchor directory " + path + ": " + ec.message());
  }
  std::sort(files.begin(), files.end());
  for (const std::string& f : files) AddPemFile(f, out, warnings);
}

void AddStoreCas(store::Store& store, std::vector<crypto::Certificate>& out,
                 std::vector<crypto::Crl>& crls,
                 std::vector<std::string>& warnings) {
  Result<std::vector<store::CertificateRecord>> all = store.ListCertificates();
  if (!all.ok()) {
    warnings.push_back("store CA certificates: " + all.status().message());
    return;
  }
  for (const store::CertificateRecord& r : *all) {
    if (!r.is_ca || r.revoked) continue;
    if (r.source != store::CertSource::kAuthority &&
        r.source != store::CertSource::kImported) {
      continue;  // a harvested CA certificate is not an anchor
    }
    Result<crypto::Certificate> c = crypto::Certificate::FromDer(r.der);
    if (c.ok()) out.push_back(std::move(c).value());
  }
  Result<std::vector<store::CrlRecord>> stored = store.ListCrls();
  if (!stored.ok()) {
    warnings.push_back("store CRLs: " + stored.status().message());
    return;
  }
  for (const store::CrlRecord& r : *stored) {
    Result<crypto::Crl> crl = crypto::Crl::FromDer(r.der);
    if (crl.ok()) crls.push_back(std::move(crl).value());
  }
}

}  // namespace

Result<std::shared_ptr<const crypto::TrustStore>> BuildInboundTrust(
    const Config& config, store::Store* store,
    std::vector<std::string>& warnings, const std::string& system_bundle) {
  crypto::TrustStoreOptions options;
  options.use_system_store = config.inbound.system_trust;
  if (!system_bundle.empty()) options.system_bundle = system_bundle;
  for (const std::string& path : config.inbound.trust_anchors) {
    AddAnchorPath(path, options.anchors, warnings);
  }
  if (store != nullptr) {
    AddStoreCas(*store, options.anchors, options.crls, warnings);
  }
  return crypto::TrustStore::Create(std::move(options));
}

}  // namespace seal::gateway
