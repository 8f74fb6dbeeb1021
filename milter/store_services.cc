// The daemon's store services and their retry (store_services.h).
#include "milter/store_services.h"

#include <algorithm>

#include "lib/ca/key_type.h"
#include "lib/gateway/inbound_trust.h"
#include "lib/log.h"
#include "lib/store/clock.h"
#include "lib/store/open_store.h"
#include "milter/callbacks.h"

namespace seal::milter {

StoreServices::~StoreServices() { Stop(); }

void StoreServices::Open(const Config& config, std::optional<uid_t> milter_uid,
                         gateway::Services& services) {
  Result<store::MasterKey> key =
      store::LoadMasterKeyFile(config.store.key_file, milter_uid);
  if (key.ok()) {
    master_key_.emplace(std::move(key).value());
  } else {
    key_error_ = key.status().message();
  }
  if (Build(config, services, "startup")) return;
  // Without the store, inbound signatures are still checked against the
  // system bundle and inbound.trust_anchors.
  BuildTrust(config, nullptr, services, "startup");
  Logger("startup").Warning()
      << "certificate store unavailable: " << services.store_error
      << "; mail that must be encrypted fails as the failure policy says "
      << "(gateway.on_failure); retrying every " << kRetryInterval.count()
      << "s";
}

bool StoreServices::Build(const Config& config, gateway::Services& services,
                          const char* log_context) {
  store::StoreOptions so;
  so.path = config.store.path;
  so.backend = config.store.backend;
  so.conninfo = config.store.conninfo;
  so.busy_timeout_ms = config.store.busy_timeout_seconds * 1000;
  so.create_if_missing = true;
  Result<std::unique_ptr<store::Store>> opened = store::OpenStore(so);
  if (!opened.ok()) {
    services.store = nullptr;
    services.store_error = opened.status().message();
    services.key_error = "certificate store unavailable";
    return false;
  }
  store_ = std::move(opened).value();
  services.store = store_.get();
  services.store_error.clear();

  // S/MIME: the vault, the built-in CA and the inbound trust. Each may be
  // missing: inbound decryption and signing then fail as logged.
  if (master_key_) {
    vault_ = std::make_unique<store::KeyVault>(*store_, *master_key_);
    services.vault = vault_.get();
    passphrases_ =
        std::make_unique<store::PassphraseVault>(*store_, *master_key_);
    services.passphrases = passphrases_.get();
    services.key_error.clear();
  } else {
    services.key_error = key_error_;
    Logger(log_context).Warning()
        << "no master key: " << key_error_
        << "; inbound S/MIME mail cannot be decrypted and mail is not signed";
  }
  if (vault_) {
    ca::CaOptions ca_options;
    ca_options.validity_days = config.ca.validity_days;
    ca_options.renew_before_days =
        std::min(config.ca.renew_days, config.ca.validity_days - 1);
    if (Result<ca::KeyType> kt = ca::ParseKeyType(config.ca.user_key_type);
        kt.ok()) {
      ca_options.user_key_type = *kt;
    }
    static store::SystemClock clock;
    Result<std::unique_ptr<ca::Authority>> loaded =
        ca::Authority::Load(*store_, *vault_, ca_options, clock);
    if (loaded.ok()) {
      authority_ = std::move(loaded).value();
      services.authority = authority_.get();
    } else {
      Logger(log_context).Info()
          << "built-in CA not available: " << loaded.status().message()
          << "; no signing certificates are issued";
    }
  }
  BuildTrust(config, store_.get(), services, log_context);
  return true;
}

void StoreServices::BuildTrust(const Config& config, store::Store* store,
                               gateway::Services& services,
                               const char* log_context) {
  std::vector<std::string> warnings;
  Result<std::shared_ptr<const crypto::TrustStore>> trust =
      gateway::BuildInboundTrust(config, store, warnings);
  for (const std::string& w : warnings) {
    Logger(log_context).Warning() << "inbound trust: " << w;
  }
  if (trust.ok()) {
    services.trust = std::move(trust).value();
  } else {
    Logger(log_context).Warning()
        << "inbound signatures cannot be checked: " << trust.status().message();
  }
}

void StoreServices::StartRetry(const Config& config,
                               const gateway::Services* base,
                               std::chrono::milliseconds interval) {
  if (store_ != nullptr || thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this, config, base, interval] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, interval, [this] { return stop_; })) {
      auto next = std::make_unique<gateway::Services>(*base);
      if (!Build(config, *next, "store")) continue;
      SetServices(next.get());
      published_.push_back(std::move(next));
      Logger("store").Notice()
          << "certificate store available again (" << store_->backend()
          << "); mail that needs it is handled from now on";
      return;
    }
  });
}

void StoreServices::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace seal::milter
