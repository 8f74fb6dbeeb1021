// Concurrent use: four threads sharing one Store, four threads each with
// their own connection to one database (as separate milter processes
// would), and four connections opening (migrating) a new database at once.
// Backend-independent: runs on SQLite and, under run_pg_tests.py, on
// PostgreSQL (testing::TestDb). Catch2 assertions are not thread-safe, so
// threads count failures and the main thread checks the counts.
#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lib/store/key_vault.h"
#include "lib/store/master_key.h"
#include "lib/store/open_store.h"
#include "tests/unit/store/store_test_util.h"

namespace seal::store {
namespace {

using testing::CertSpec;
using testing::kNow;
using testing::MakeCert;
using testing::TestCert;
using testing::TestDb;

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
  TestDb db;
  std::vector<Work> work = MakeWork();
  auto store = db.Open();
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

TEST_CASE("four connections write one database at the same time") {
  TestDb db;
  db.Open().reset();  // create and migrate once
  std::vector<Work> work = MakeWork();
  MasterKey master = testing::TestMasterKey('d');
  std::vector<std::unique_ptr<Store>> stores;
  for (int t = 0; t < kThreads; ++t) {
    stores.push_back(db.Open());
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

TEST_CASE("four connections open a brand-new database at the same time") {
  TestDb db;
  std::mutex mu;
  std::vector<std::string> errors;  // what failed, for the report
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      Result<std::unique_ptr<Store>> s = OpenStore(db.Options());
      Status st = s.ok() ? (*s)->RecordEvent("open", "", "") : s.status();
      if (!st.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        errors.push_back(st.ToString());
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (const std::string& e : errors) UNSCOPED_INFO(e);
  CHECK(errors.empty());
  CHECK(db.Open()->RecentEvents(10)->size() == static_cast<size_t>(kThreads));
}

}  // namespace
}  // namespace seal::store
