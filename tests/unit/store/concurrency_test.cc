// Concurrent use: four threads sharing one SqliteStore, and four threads
// each with their own connection to one file (as separate milter processes
// would). Catch2 assertions are not thread-safe, so threads count failures
// and the main thread checks the counts.
#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "lib/store/key_vault.h"
#include "lib/store/master_key.h"
#include "lib/store/sqlite_store.h"
#include "tests/unit/store/store_test_util.h"

namespace seal::store {
namespace {

using testing::CertSpec;
using testing::kNow;
using testing::MakeCert;
using testing::TempDir;
using testing::TestCert;

constexpr int kThreads = 4;
constexpr int kPerThread = 12;

struct Work {
  std::vector<TestCert> certs;  // made on the main thread
  std::string address;
};

std::vector<Work> MakeWork() {
  std::vector<Work> work(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    work[static_cast<size_t>(t)].address =
        "user" + std::to_string(t) + "@example.com";
    for (int i = 0; i < kPerThread; ++i) {
      CertSpec spec;
      spec.san_emails = {work[static_cast<size_t>(t)].address,
                         "shared@example.com"};
      spec.not_before = kNow - 1000 + i;  // later ones are newer
      work[static_cast<size_t>(t)].certs.push_back(MakeCert(spec));
    }
  }
  return work;
}

// Puts every certificate (half with keys), reading back as it goes.
void RunThread(Store& store, const MasterKey& master, const Work& work,
               std::atomic<int>& failures) {
  KeyVault vault(store, master);
  for (size_t i = 0; i < work.certs.size(); ++i) {
    const TestCert& c = work.certs[i];
    bool ok = (i % 2 == 0)
                  ? vault
                        .PutCertificateWithKey(c.der, c.key.get(),
                                               CertSource::kIssued)
                        .ok()
                  : store.PutCertificate(c.der, CertSource::kHarvested).ok();
    if (!ok) ++failures;
    Result<CertificateRecord> best =
        store.BestCertificateFor(work.address, kNow);
    if (!best.ok() || best->not_before != kNow - 1000 + static_cast<int>(i)) {
      ++failures;
    }
    if (i % 2 == 0) {
      Result<EvpPkeyPtr> key = vault.GetPrivateKey(best->sha256);
      if (!key.ok() || EVP_PKEY_eq(key->get(), c.key.get()) != 1) ++failures;
    }
    if (!store.RecordEvent("test", work.address, std::to_string(i)).ok()) {
      ++failures;
    }
    if (!store.CertificatesFor("shared@example.com").ok()) ++failures;
  }
}

void CheckTotals(Store& store) {
  CHECK(store.ListCertificates()->size() ==
        static_cast<size_t>(kThreads * kPerThread));
  CHECK(store.CertificatesFor("shared@example.com")->size() ==
        static_cast<size_t>(kThreads * kPerThread));
  CertificateFilter with_keys;
  with_keys.with_private_key = true;
  CHECK(store.ListCertificates(with_keys)->size() ==
        static_cast<size_t>(kThreads * kPerThread / 2));
  CHECK(store.RecentEvents(1000)->size() ==
        static_cast<size_t>(kThreads * kPerThread));
}

TEST_CASE("four threads share one store") {
  TempDir dir;
  std::vector<Work> work = MakeWork();
  auto store = testing::OpenFresh(dir.File("shared.db"));
  MasterKey master = testing::TestMasterKey('c');
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back(RunThread, std::ref(*store), std::cref(master),
                         std::cref(work[static_cast<size_t>(t)]),
                         std::ref(failures));
  }
  for (std::thread& th : threads) th.join();
  CHECK(failures.load() == 0);
  CheckTotals(*store);
}

TEST_CASE("four connections write one file at the same time") {
  TempDir dir;
  std::string path = dir.File("multi.db");
  testing::OpenFresh(path).reset();  // create and migrate once
  std::vector<Work> work = MakeWork();
  MasterKey master = testing::TestMasterKey('d');
  std::vector<std::unique_ptr<SqliteStore>> stores;
  for (int t = 0; t < kThreads; ++t) {
    stores.push_back(testing::OpenFresh(path));
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back(
        RunThread, std::ref(*stores[static_cast<size_t>(t)]), std::cref(master),
        std::cref(work[static_cast<size_t>(t)]), std::ref(failures));
  }
  for (std::thread& th : threads) th.join();
  CHECK(failures.load() == 0);
  CheckTotals(*stores[0]);
}

TEST_CASE("four connections open a brand-new file at the same time") {
  TempDir dir;
  std::string path = dir.File("race.db");
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      Result<std::unique_ptr<SqliteStore>> s =
          SqliteStore::Open(testing::OptionsFor(path));
      if (!s.ok() || !(*s)->RecordEvent("open", "", "").ok()) ++failures;
    });
  }
  for (std::thread& th : threads) th.join();
  CHECK(failures.load() == 0);
  CHECK(testing::OpenFresh(path)->RecentEvents(10)->size() ==
        static_cast<size_t>(kThreads));
}

}  // namespace
}  // namespace seal::store
