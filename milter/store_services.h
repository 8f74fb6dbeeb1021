// The daemon's store and what depends on it (lib/gateway Services): the
// store itself, the key vault under the master key, the built-in CA and the
// inbound trust anchors that include our CA.
//
// A store that cannot be opened at start-up is not fatal (mail that needs
// it is tempfailed or handled per the failure policy, other mail flows),
// and it is not permanent either: a retry thread opens it again every
// kRetryInterval until it works (a PostgreSQL server that was still
// starting, a SQLite file restored from backup), then publishes a new
// Services with the store (SetServices) and logs it. The master key is read
// once at start-up, as root, whether or not the store opens, so a late
// store gets its vault too. A retry runs as the milter user: a SQLite file
// that only root can open stays unavailable (the log says so).
// Objects published once stay alive until the process ends: transactions
// in flight may still use the previous Services.
// Thread-safety: Start/Stop from the main thread; the published Services
// are immutable.
#ifndef SEALMILTER_MILTER_STORE_SERVICES_H_
#define SEALMILTER_MILTER_STORE_SERVICES_H_

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "lib/ca/authority.h"
#include "lib/config.h"
#include "lib/gateway/process.h"
#include "lib/store/key_vault.h"
#include "lib/store/master_key.h"
#include "lib/store/passphrase_vault.h"
#include "lib/store/store.h"

namespace seal::milter {

inline constexpr std::chrono::seconds kRetryInterval{15};

class StoreServices {
 public:
  StoreServices() = default;
  ~StoreServices();
  StoreServices(const StoreServices&) = delete;
  StoreServices& operator=(const StoreServices&) = delete;

  // At start-up, before the privilege drop: reads the master key, opens
  // the store and builds the vault, CA and trust into `services`.
  void Open(const Config& config, std::optional<uid_t> milter_uid,
            gateway::Services& services);
  bool store_open() const { return store_ != nullptr; }

  // After SetServices(base): when the store did not open, starts the
  // retry thread; it publishes a copy of `*base` with the store services
  // filled in. `base` must outlive Stop().
  void StartRetry(const Config& config, const gateway::Services* base,
                  std::chrono::milliseconds interval = kRetryInterval);
  void Stop();

 private:
  // Opens the store and builds what depends on it into `services`; false
  // (with store_error set) when the store does not open.
  bool Build(const Config& config, gateway::Services& services,
             const char* log_context);

  void BuildTrust(const Config& config, store::Store* store,
                  gateway::Services& services, const char* log_context);

  std::optional<store::MasterKey> master_key_;
  std::string key_error_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<store::KeyVault> vault_;
  std::unique_ptr<store::PassphraseVault> passphrases_;
  std::unique_ptr<ca::Authority> authority_;
  std::vector<std::unique_ptr<gateway::Services>> published_;

  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace seal::milter

#endif  // SEALMILTER_MILTER_STORE_SERVICES_H_
