// Test certificates, CRLs and temporary directories for the store tests.
#include "tests/unit/store/store_test_util.h"

#include <ftw.h>
#include <libpq-fe.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include "lib/store/hex.h"

namespace seal::store::testing {
namespace {

int RemoveEntry(const char* path, const struct stat*, int, struct FTW*) {
  return ::remove(path);
}

void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  REQUIRE(ext != nullptr);
  REQUIRE(X509_add_ext(cert, ext, -1) == 1);
  X509_EXTENSION_free(ext);
}

void SetTime(X509* cert, bool before, int64_t t) {
  ASN1_TIME* at = ASN1_TIME_set(nullptr, static_cast<time_t>(t));
  REQUIRE(at != nullptr);
  if (before) {
    REQUIRE(X509_set1_notBefore(cert, at) == 1);
  } else {
    REQUIRE(X509_set1_notAfter(cert, at) == 1);
  }
  ASN1_TIME_free(at);
}

std::string PgConninfo() {
  const char* v = std::getenv("SEAL_TEST_PG_CONNINFO");
  return v != nullptr ? v : "";
}

// Runs constant SQL on a connection of its own; REQUIREs success.
void PgAdminExec(const std::string& sql) {
  PGconn* conn = PQconnectdb(PgConninfo().c_str());
  INFO(PQerrorMessage(conn));
  REQUIRE(PQstatus(conn) == CONNECTION_OK);
  PQclear(PQexec(conn, "SET client_min_messages = warning"));
  PGresult* res = PQexec(conn, sql.c_str());
  INFO(PQerrorMessage(conn));
  ExecStatusType st = PQresultStatus(res);
  PQclear(res);
  PQfinish(conn);
  REQUIRE((st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK));
}

}  // namespace

TempDir::TempDir() {
  char templ[] = "/tmp/sealmilter-store-test-XXXXXX";
  REQUIRE(mkdtemp(templ) != nullptr);
  path_ = templ;
}

TempDir::~TempDir() {
  nftw(path_.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
}

MasterKey TestMasterKey(char fill) {
  Result<MasterKey> key = MasterKey::FromBytes(std::string(32, fill));
  REQUIRE(key.ok());
  return std::move(key).value();
}

EvpPkeyPtr NewEcKey() {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  REQUIRE(ctx != nullptr);
  REQUIRE(EVP_PKEY_keygen_init(ctx.get()) == 1);
  REQUIRE(EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256") == 1);
  EVP_PKEY* key = nullptr;
  REQUIRE(EVP_PKEY_generate(ctx.get(), &key) == 1);
  return EvpPkeyPtr(key);
}

TestCert MakeCert(const CertSpec& spec) {
  TestCert out;
  if (spec.key != nullptr) {
    REQUIRE(EVP_PKEY_up_ref(spec.key) == 1);
    out.key.reset(spec.key);
  } else {
    out.key = NewEcKey();
  }
  X509Ptr cert(X509_new());
  REQUIRE(cert != nullptr);
  X509* x = cert.get();
  REQUIRE(X509_set_version(x, X509_VERSION_3) == 1);
  BignumPtr bn(BN_new());
  if (spec.serial != 0) {
    REQUIRE(BN_set_word(bn.get(), static_cast<BN_ULONG>(spec.serial)) == 1);
  } else {
    REQUIRE(BN_rand(bn.get(), 64, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) == 1);
  }
  Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(bn.get(), nullptr));
  REQUIRE(X509_set_serialNumber(x, serial.get()) == 1);
  X509_NAME* name = X509_get_subject_name(x);
  if (!spec.subject_cn.empty()) {
    REQUIRE(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                       Bytes(spec.subject_cn), -1, -1, 0) == 1);
  }
  if (!spec.subject_email.empty()) {
    REQUIRE(X509_NAME_add_entry_by_txt(name, "emailAddress", MBSTRING_ASC,
                                       Bytes(spec.subject_email), -1, -1,
                                       0) == 1);
  }
  X509* issuer = spec.issuer != nullptr ? spec.issuer : x;
  REQUIRE(X509_set_issuer_name(x, X509_get_subject_name(issuer)) == 1);
  SetTime(x, true, spec.not_before);
  SetTime(x, false, spec.not_after);
  REQUIRE(X509_set_pubkey(x, out.key.get()) == 1);
  AddExt(x, issuer, NID_basic_constraints,
         spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  if (spec.key_usage != nullptr)
    AddExt(x, issuer, NID_key_usage, spec.key_usage);
  if (spec.ext_key_usage != nullptr) {
    AddExt(x, issuer, NID_ext_key_usage, spec.ext_key_usage);
  }
  if (spec.ski) AddExt(x, issuer, NID_subject_key_identifier, "hash");
  if (!spec.san_emails.empty()) {
    std::string san;
    for (const std::string& e : spec.san_emails) {
      if (!san.empty()) san += ",";
      san += "email:" + e;
    }
    AddExt(x, issuer, NID_subject_alt_name, san.c_str());
  }
  EVP_PKEY* signer =
      spec.issuer_key != nullptr ? spec.issuer_key : out.key.get();
  REQUIRE(X509_sign(x, signer, EVP_sha256()) > 0);
  int n = i2d_X509(x, nullptr);
  REQUIRE(n > 0);
  out.der.resize(static_cast<size_t>(n));
  auto* p = reinterpret_cast<unsigned char*>(out.der.data());
  REQUIRE(i2d_X509(x, &p) == n);
  out.x509 = std::move(cert);
  return out;
}

std::string MakeCrl(X509* issuer, EVP_PKEY* key, int64_t this_update,
                    int64_t next_update) {
  X509CrlPtr crl(X509_CRL_new());
  REQUIRE(crl != nullptr);
  REQUIRE(X509_CRL_set_version(crl.get(), 1) == 1);
  REQUIRE(X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer)) ==
          1);
  Asn1TimePtr last(ASN1_TIME_set(nullptr, static_cast<time_t>(this_update)));
  Asn1TimePtr next(ASN1_TIME_set(nullptr, static_cast<time_t>(next_update)));
  REQUIRE(X509_CRL_set1_lastUpdate(crl.get(), last.get()) == 1);
  REQUIRE(X509_CRL_set1_nextUpdate(crl.get(), next.get()) == 1);
  REQUIRE(X509_CRL_sign(crl.get(), key, EVP_sha256()) > 0);
  int n = i2d_X509_CRL(crl.get(), nullptr);
  REQUIRE(n > 0);
  std::string der(static_cast<size_t>(n), '\0');
  auto* p = reinterpret_cast<unsigned char*>(der.data());
  REQUIRE(i2d_X509_CRL(crl.get(), &p) == n);
  return der;
}

StoreOptions OptionsFor(const std::string& path, const Clock* clock) {
  StoreOptions options;
  options.path = path;
  options.busy_timeout_ms = 5000;
  options.clock = clock;
  return options;
}

std::unique_ptr<SqliteStore> OpenFresh(const std::string& path,
                                       const Clock* clock) {
  Result<std::unique_ptr<SqliteStore>> store =
      SqliteStore::Open(OptionsFor(path, clock));
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  return std::move(*store);
}

TestDb::TestDb() {
  if (PgConninfo().empty()) return;
  unsigned char raw[6];
  REQUIRE(RAND_bytes(raw, sizeof raw) == 1);
  schema_ = "t_" + HexLower(std::string_view(reinterpret_cast<const char*>(raw),
                                             sizeof raw));
  PgAdminExec("CREATE SCHEMA " + schema_);
}

TestDb::~TestDb() {
  if (!postgres()) return;
  PGconn* conn = PQconnectdb(PgConninfo().c_str());
  if (PQstatus(conn) == CONNECTION_OK) {
    PQclear(PQexec(conn, "SET client_min_messages = warning"));
    PQclear(PQexec(conn,
                   ("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE").c_str()));
  }
  PQfinish(conn);
}

StoreOptions TestDb::Options(const Clock* clock) const {
  StoreOptions options = OptionsFor(sqlite_path(), clock);
  if (postgres()) {
    options.backend = "postgresql";
    options.conninfo =
        PgConninfo() + " options='-csearch_path=" + schema_ + "'";
  }
  return options;
}

std::unique_ptr<Store> TestDb::Open(const Clock* clock) const {
  Result<std::unique_ptr<Store>> store = OpenStore(Options(clock));
  INFO(store.status().ToString());
  REQUIRE(store.ok());
  CHECK(store->get()->backend() == (postgres() ? "postgresql" : "sqlite"));
  return std::move(*store);
}

}  // namespace seal::store::testing
