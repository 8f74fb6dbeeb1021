// Helpers for the store tests: temporary directories, test certificates and
// CRLs made directly with OpenSSL (so these tests do not depend on lib/ca),
// opening a SqliteStore on a fresh file, and TestDb: a clean database on
// SQLite or, when SEAL_TEST_PG_CONNINFO is set, on a PostgreSQL server, so
// the backend-independent suites run against both backends.
#ifndef SEALMILTER_TESTS_UNIT_STORE_STORE_TEST_UTIL_H_
#define SEALMILTER_TESTS_UNIT_STORE_STORE_TEST_UTIL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lib/store/clock.h"
#include "lib/store/master_key.h"
#include "lib/store/open_store.h"
#include "lib/store/openssl_util.h"
#include "lib/store/sqlite_store.h"

namespace seal::store::testing {

// A fixed "now" for tests: 2025-01-01T00:00:00Z.
inline constexpr int64_t kNow = 1735689600;
inline constexpr int64_t kDay = kSecondsPerDay;

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

struct CertSpec {
  std::vector<std::string> san_emails;   // rfc822Name entries
  std::string subject_cn = "Test User";  // "" = no CN
  std::string subject_email;             // emailAddress in the subject
  int64_t not_before = kNow - 30 * kDay;
  int64_t not_after = kNow + 335 * kDay;
  const char* key_usage = "critical,digitalSignature,keyEncipherment";
  const char* ext_key_usage = "emailProtection";
  bool ca = false;
  bool ski = true;
  EVP_PKEY* key = nullptr;         // null: a fresh EC P-256 key
  X509* issuer = nullptr;          // null: self-signed
  EVP_PKEY* issuer_key = nullptr;  // with `issuer`
  int64_t serial = 0;              // 0: random
};

struct TestCert {
  std::string der;
  X509Ptr x509;
  EvpPkeyPtr key;
};

// A master key of 32 bytes of `fill`.
MasterKey TestMasterKey(char fill);

EvpPkeyPtr NewEcKey();
TestCert MakeCert(const CertSpec& spec);
// A CRL signed by `issuer` with the given thisUpdate.
std::string MakeCrl(X509* issuer, EVP_PKEY* key, int64_t this_update,
                    int64_t next_update);

StoreOptions OptionsFor(const std::string& path, const Clock* clock = nullptr);
std::unique_ptr<SqliteStore> OpenFresh(const std::string& path,
                                       const Clock* clock = nullptr);

// A clean database for one test case, on the backend the environment picks:
// SQLite (a file in a temporary directory) by default, or a fresh schema
// (through search_path) on the PostgreSQL server named by the libpq conninfo
// in SEAL_TEST_PG_CONNINFO; the schema is dropped again on destruction.
// Open() may be called several times: each call is one more connection to
// the same database.
class TestDb {
 public:
  TestDb();
  ~TestDb();
  TestDb(const TestDb&) = delete;
  TestDb& operator=(const TestDb&) = delete;
  bool postgres() const { return !schema_.empty(); }
  // The SQLite file; only meaningful when !postgres().
  std::string sqlite_path() const { return dir_.File("store.db"); }
  StoreOptions Options(const Clock* clock = nullptr) const;
  std::unique_ptr<Store> Open(const Clock* clock = nullptr) const;

 private:
  TempDir dir_;
  std::string schema_;
};

}  // namespace seal::store::testing

#endif  // SEALMILTER_TESTS_UNIT_STORE_STORE_TEST_UTIL_H_
