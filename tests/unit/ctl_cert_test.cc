// Tests of sealctl's cert command group (ctl/cert_commands.cc): ca init,
// certs import|list|show|remove|export, keys issue|list|rollover, run
// in-process against a store and master key in a temporary directory.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "ctl/command.h"
#include "lib/store/openssl_util.h"
#include "tests/unit/sealctl_test_util.h"

namespace seal::ctl {
namespace {

using testing::Captured;

Captured Run(const std::vector<std::string>& args) {
  Captured c = testing::RunCaptured(args);
  // No command ever prints key material.
  CHECK(c.out.find("PRIVATE KEY") == std::string::npos);
  CHECK(c.err.find("PRIVATE KEY") == std::string::npos);
  return c;
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/sealctl-cert-XXXXXX";
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << data;
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The 16-digit ID after "id " in command output.
std::string IdIn(const std::string& out) {
  size_t at = out.find("id ");
  REQUIRE(at != std::string::npos);
  return out.substr(at + 3, 16);
}

// Rows of a list table (lines after the header) containing `needle`.
size_t RowsWith(const std::string& table, const std::string& needle) {
  size_t n = 0;
  std::istringstream in(table);
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (header) {
      header = false;
      continue;
    }
    if (line.find(needle) != std::string::npos) ++n;
  }
  return n;
}

// A self-signed EC certificate for `email` and, signed by the same key, an
// empty CRL: PEM text of both. Made with OpenSSL directly so the import
// tests do not depend on the CA.
struct SelfSigned {
  std::string cert_pem, crl_pem;
};

SelfSigned MakeSelfSigned(const std::string& email) {
  store::EvpPkeyPtr key(EVP_EC_gen("P-256"));
  REQUIRE(key);
  store::X509Ptr x(X509_new());
  REQUIRE(X509_set_version(x.get(), 2) == 1);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 4711);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(
      name, "CN", MBSTRING_ASC,
      reinterpret_cast<const unsigned char*>("Import Test"), -1, -1, 0);
  REQUIRE(X509_set_issuer_name(x.get(), name) == 1);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 30L * 86400);
  REQUIRE(X509_set_pubkey(x.get(), key.get()) == 1);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, x.get(), x.get(), nullptr, nullptr, 0);
  std::string san = "email:" + email;
  store::X509ExtensionPtr ext(
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str()));
  REQUIRE(ext);
  REQUIRE(X509_add_ext(x.get(), ext.get(), -1) == 1);
  REQUIRE(X509_sign(x.get(), key.get(), EVP_sha256()) > 0);

  store::X509CrlPtr crl(X509_CRL_new());
  REQUIRE(X509_CRL_set_version(crl.get(), 1) == 1);
  REQUIRE(X509_CRL_set_issuer_name(crl.get(), name) == 1);
  store::Asn1TimePtr now(X509_gmtime_adj(nullptr, 0));
  store::Asn1TimePtr next(X509_gmtime_adj(nullptr, 7L * 86400));
  REQUIRE(X509_CRL_set1_lastUpdate(crl.get(), now.get()) == 1);
  REQUIRE(X509_CRL_set1_nextUpdate(crl.get(), next.get()) == 1);
  REQUIRE(X509_CRL_sign(crl.get(), key.get(), EVP_sha256()) > 0);

  SelfSigned out;
  store::BioPtr b1(BIO_new(BIO_s_mem()));
  REQUIRE(PEM_write_bio_X509(b1.get(), x.get()) == 1);
  out.cert_pem = store::BioContents(b1.get());
  store::BioPtr b2(BIO_new(BIO_s_mem()));
  REQUIRE(PEM_write_bio_X509_CRL(b2.get(), crl.get()) == 1);
  out.crl_pem = store::BioContents(b2.get());
  return out;
}

// DER of the first certificate in PEM text.
std::string PemToDer(const std::string& pem) {
  store::BioPtr in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  store::X509Ptr x(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr));
  REQUIRE(x);
  unsigned char* der = nullptr;
  int len = i2d_X509(x.get(), &der);
  REQUIRE(len > 0);
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

// DER of the first CRL in PEM text.
std::string CrlPemToDer(const std::string& pem) {
  store::BioPtr in(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  store::X509CrlPtr crl(
      PEM_read_bio_X509_CRL(in.get(), nullptr, nullptr, nullptr));
  REQUIRE(crl);
  unsigned char* der = nullptr;
  int len = i2d_X509_CRL(crl.get(), &der);
  REQUIRE(len > 0);
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

// A store and master key in a fresh directory, and sealctl bound to them.
struct Env {
  TempDir dir;
  std::string db = dir.File("store.db");
  std::string key = dir.File("master.key");

  Captured Ctl(std::vector<std::string> args, bool with_key = false) {
    args.insert(args.begin() + 2, {"--store", db});
    if (with_key) args.insert(args.begin() + 4, {"--master-key", key});
    return Run(args);
  }
  Captured CaInit() {
    return Ctl({"ca", "init", "--key-type", "ec-p256"}, true);
  }
};

TEST_CASE("sealctl ca init creates the CA once") {
  Env env;
  Captured first = env.CaInit();
  INFO(first.err);
  REQUIRE(first.rc == kExitOk);
  CHECK_THAT(first.out, Catch::Contains("created master key " + env.key));
  CHECK_THAT(first.out, Catch::Contains("created the CA CN=sealmilter"));
  const std::string ca_id = IdIn(first.out);

  Captured again = env.CaInit();
  CHECK(again.rc == kExitOk);
  CHECK_THAT(again.out, Catch::Contains("already exists, nothing changed"));
  CHECK_THAT(again.out, Catch::Contains(ca_id));
  CHECK_THAT(again.out, !Catch::Contains("created master key"));

  Captured list = env.Ctl({"certs", "list", "--source", "authority"});
  CHECK(list.rc == kExitOk);
  CHECK(RowsWith(list.out, "authority") == 1);

  Captured replaced = env.Ctl({"ca", "init", "--key-type", "ec-p256",
                               "--subject", "CN=Second CA", "--replace"},
                              true);
  CHECK(replaced.rc == kExitOk);
  CHECK_THAT(replaced.out, Catch::Contains("created the CA CN=Second CA"));
  // The replaced CA and its key stay.
  Captured keys = env.Ctl({"keys", "list"});
  CHECK(RowsWith(keys.out, "authority") == 2);
  CHECK(RowsWith(keys.out, " ca ") == 2);
}

TEST_CASE("sealctl ca init refuses bad options and a missing key file") {
  struct Case {
    std::vector<std::string> args;
    int rc;
    std::string err;
  };
  const std::vector<Case> cases = {
      {{"--key-type", "dsa"}, kExitUsage, "unknown key type 'dsa'"},
      {{"--validity-years", "0"}, kExitUsage, "positive number"},
      {{"--validity-years", "500"}, kExitUsage, "ca.validity_years"},
      {{"--subject", "CN"}, kExitUsage, "ca.subject"},
      {{"--bogus"}, kExitUsage, "unknown option '--bogus'"},
      {{"extra"}, kExitUsage, "unexpected argument 'extra'"},
  };
  for (const Case& c : cases) {
    Env env;
    std::vector<std::string> args = {"ca", "init"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    Captured r = env.Ctl(args, true);
    INFO(c.args[0]);
    CHECK(r.rc == c.rc);
    CHECK_THAT(r.err, Catch::Contains(c.err));
  }

  // Keys exist but the key file is gone: never make a new master key.
  Env env;
  REQUIRE(env.CaInit().rc == kExitOk);
  std::filesystem::remove(env.key);
  Captured r = env.CaInit();
  CHECK(r.rc == kExitConfig);
  CHECK_THAT(r.err, Catch::Contains("holds private keys"));
  CHECK(!std::filesystem::exists(env.key));
}

TEST_CASE("sealctl keys issue, list and rollover") {
  Env env;
  Captured before = env.Ctl({"keys", "issue", "alice@example.org"}, true);
  CHECK(before.rc == kExitConfig);  // no store yet
  REQUIRE(env.CaInit().rc == kExitOk);

  Captured issued = env.Ctl({"keys", "issue", "Alice@Example.org"}, true);
  INFO(issued.err);
  REQUIRE(issued.rc == kExitOk);
  CHECK_THAT(issued.out, Catch::Contains("issued a key and certificate for "
                                         "alice@example.org"));
  CHECK_THAT(issued.out, Catch::Contains("rsa:2048"));
  const std::string first_id = IdIn(issued.out);

  Captured list = env.Ctl({"certs", "list"});
  CHECK(list.rc == kExitOk);
  CHECK(RowsWith(list.out, "alice@example.org") == 1);
  CHECK(RowsWith(list.out, first_id) == 1);
  CHECK(RowsWith(list.out, "issued") == 1);

  Captured again = env.Ctl({"keys", "issue", "alice@example.org"}, true);
  CHECK(again.rc == kExitOk);
  CHECK_THAT(again.out, Catch::Contains("already has a current certificate"));
  CHECK(IdIn(again.out) == first_id);

  Captured roll = env.Ctl({"keys", "rollover", "alice@example.org"}, true);
  INFO(roll.err);
  REQUIRE(roll.rc == kExitOk);
  CHECK_THAT(roll.out, Catch::Contains("1 older key kept for decryption"));
  const std::string second_id = IdIn(roll.out);
  CHECK(second_id != first_id);

  Captured keys = env.Ctl({"keys", "list", "alice@example.org"});
  CHECK(keys.rc == kExitOk);
  CHECK(RowsWith(keys.out, "alice@example.org") == 2);
  CHECK(RowsWith(keys.out, first_id) == 1);
  CHECK(RowsWith(keys.out, second_id) == 1);
  CHECK(RowsWith(keys.out, "superseded") == 1);
  CHECK(RowsWith(keys.out, "current") == 1);
  // The CA key is not listed for an address.
  CHECK(RowsWith(keys.out, "authority") == 0);

  Captured bad = env.Ctl({"keys", "issue", "not-an-address"}, true);
  CHECK(bad.rc == kExitUsage);
  Captured wrong_key_file =
      Run({"keys", "issue", "--store", env.db, "--master-key",
           env.dir.File("missing.key"), "bob@example.org"});
  CHECK(wrong_key_file.rc == kExitConfig);
  CHECK_THAT(wrong_key_file.err, Catch::Contains("missing.key"));
  // Without --master-key the key file is the configuration's store.key_file.
  const std::string keyed_conf = env.dir.File("keyed.conf");
  WriteFile(keyed_conf, "[store]\npath = \"" + env.db + "\"\nkey_file = \"" +
                            env.key + "\"\n");
  Captured via_key_file =
      Run({"keys", "issue", "-c", keyed_conf, "dave@example.org"});
  CHECK(via_key_file.rc == kExitOk);
  WriteFile(keyed_conf, "[store]\npath = \"" + env.db + "\"\nkey_file = \"" +
                            env.dir.File("conf-missing.key") + "\"\n");
  Captured missing_key_file =
      Run({"keys", "issue", "-c", keyed_conf, "erin@example.org"});
  CHECK(missing_key_file.rc == kExitConfig);
  CHECK_THAT(missing_key_file.err, Catch::Contains("conf-missing.key"));

  // Another master key opens nothing here, and ca init does not paper over
  // that with a second CA.
  Env other;
  REQUIRE(other.CaInit().rc == kExitOk);
  Captured wrong_key = Run({"keys", "issue", "--store", env.db, "--master-key",
                            other.key, "bob@example.org"});
  CHECK(wrong_key.rc == kExitFailure);
  CHECK_THAT(wrong_key.err, Catch::Contains("is sealed under master key"));
  Captured wrong_init = Run({"ca", "init", "--store", env.db, "--master-key",
                             other.key, "--key-type", "ec-p256"});
  CHECK(wrong_init.rc == kExitFailure);
  CHECK(RowsWith(env.Ctl({"certs", "list", "--source", "authority"}).out,
                 "authority") == 1);
}

TEST_CASE("sealctl certs import: good, bad and mixed files") {
  TempDir files;
  SelfSigned ss = MakeSelfSigned("import@example.net");
  const std::string der = PemToDer(ss.cert_pem);
  WriteFile(files.File("good.pem"), ss.cert_pem);
  WriteFile(files.File("good.der"), der);
  WriteFile(files.File("bundle.pem"),
            "leading text\n" + ss.cert_pem + ss.crl_pem);
  WriteFile(files.File("crl.der"), CrlPemToDer(ss.crl_pem));
  WriteFile(files.File("garbage.txt"), "this is not a certificate\n");
  WriteFile(files.File("truncated.der"), der.substr(0, der.size() / 2));
  WriteFile(files.File("empty.pem"), "");
  WriteFile(files.File("key.pem"),
            "-----BEGIN PRIVATE KEY-----\nMIIBVAIBADANBgkqhkiG9w0BAQEFAASC"
            "\n-----END PRIVATE KEY-----\n");
  WriteFile(files.File("badpem.pem"),
            "-----BEGIN CERTIFICATE-----\n!!!notbase64!!!\n"
            "-----END CERTIFICATE-----\n");

  struct Case {
    std::vector<std::string> files;
    int rc;
    std::string out;  // "" = no check
    std::string err;  // "" = must be empty
    size_t rows;      // certificates in the store afterwards
  };
  const std::vector<Case> cases = {
      {{"good.pem"}, kExitOk, "imported certificate", "", 1},
      {{"good.der"}, kExitOk, "import@example.net", "", 1},
      {{"bundle.pem"}, kExitOk, "imported CRL of CN=Import Test", "", 1},
      {{"crl.der"}, kExitOk, "imported CRL of CN=Import Test", "", 0},
      {{"garbage.txt"}, kExitFailure, "", "not a certificate or CRL", 0},
      {{"truncated.der"}, kExitFailure, "", "not a certificate or CRL", 0},
      {{"empty.pem"}, kExitFailure, "", "empty.pem: empty file", 0},
      {{"key.pem"}, kExitFailure, "", "the key was not read", 0},
      {{"badpem.pem"}, kExitFailure, "", "malformed PEM", 0},
      {{"missing.pem"}, kExitFailure, "", "cannot open", 0},
      // Bad files are reported, good ones still imported.
      {{"garbage.txt", "good.pem", "empty.pem"},
       kExitFailure,
       "imported certificate",
       "2 items not imported",
       1},
  };
  for (const Case& c : cases) {
    Env env;
    std::vector<std::string> args = {"certs", "import"};
    for (const std::string& f : c.files) args.push_back(files.File(f));
    Captured r = env.Ctl(args);
    INFO(c.files[0] << ": " << r.out << r.err);
    CHECK(r.rc == c.rc);
    if (!c.out.empty()) CHECK_THAT(r.out, Catch::Contains(c.out));
    if (c.err.empty()) {
      CHECK(r.err.empty());
    } else {
      CHECK_THAT(r.err, Catch::Contains(c.err));
    }
    Captured list = env.Ctl({"certs", "list"});
    CHECK(RowsWith(list.out, "imported") == c.rows);
  }

  // The imported certificate's details; importing twice changes nothing.
  Env env;
  Captured first = env.Ctl({"certs", "import", files.File("good.pem")});
  REQUIRE(first.rc == kExitOk);
  CHECK_THAT(first.out, Catch::Contains("subject CN=Import Test"));
  CHECK_THAT(first.out, Catch::Contains("emails import@example.net"));
  CHECK_THAT(first.out, Catch::Contains("sha256 "));
  Captured second = env.Ctl({"certs", "import", files.File("good.der")});
  CHECK(second.rc == kExitOk);
  CHECK_THAT(second.out, Catch::Contains("already stored"));
  CHECK(IdIn(first.out) == IdIn(second.out));

  // --domain maps a gateway certificate; list --domain finds it.
  Captured dom = env.Ctl({"certs", "import", "--domain", "Partner.Example",
                          files.File("good.pem")});
  CHECK(dom.rc == kExitOk);
  CHECK_THAT(dom.out, Catch::Contains("domain partner.example"));
  CHECK(RowsWith(env.Ctl({"certs", "list", "--domain", "partner.example"}).out,
                 "import@example.net") == 1);
  CHECK(RowsWith(env.Ctl({"certs", "list", "--domain", "example.net"}).out,
                 "import@example.net") == 1);
  Captured none = env.Ctl({"certs", "list", "--domain", "other.example"});
  CHECK(none.rc == kExitOk);
  CHECK(none.out.empty());
  CHECK_THAT(none.err, Catch::Contains("no certificates match"));
}

TEST_CASE("sealctl certs show, export and remove") {
  Env env;
  REQUIRE(env.CaInit().rc == kExitOk);
  Captured issued = env.Ctl({"keys", "issue", "bob@example.org"}, true);
  REQUIRE(issued.rc == kExitOk);
  const std::string id = IdIn(issued.out);

  // show by ID, by address, by full fingerprint with colons.
  Captured by_id = env.Ctl({"certs", "show", id});
  REQUIRE(by_id.rc == kExitOk);
  CHECK_THAT(by_id.out, Catch::Contains("private key  stored (sealed)"));
  CHECK_THAT(by_id.out, Catch::Contains("source       issued"));
  size_t at = by_id.out.find("sha256       ");
  REQUIRE(at != std::string::npos);
  const std::string sha = by_id.out.substr(at + 13, 64);
  std::string colons;
  for (size_t i = 0; i < sha.size(); i += 2) {
    if (!colons.empty()) colons += ':';
    colons += sha.substr(i, 2);
  }
  CHECK(env.Ctl({"certs", "show", "BOB@example.org"}).out == by_id.out);
  CHECK(env.Ctl({"certs", "show", colons}).out == by_id.out);

  // export round trip into another store.
  Captured pem = env.Ctl({"certs", "export", "bob@example.org"});
  REQUIRE(pem.rc == kExitOk);
  CHECK(pem.out.rfind("-----BEGIN CERTIFICATE-----\n", 0) == 0);
  const std::string out_file = env.dir.File("bob.pem");
  Captured to_file = env.Ctl({"certs", "export", "--out", out_file, id});
  CHECK(to_file.rc == kExitOk);
  CHECK(ReadFile(out_file) == pem.out);
  Env other;
  Captured imported = other.Ctl({"certs", "import", out_file});
  REQUIRE(imported.rc == kExitOk);
  CHECK_THAT(imported.out, Catch::Contains("sha256 " + sha));
  Captured other_show = other.Ctl({"certs", "show", sha});
  CHECK_THAT(other_show.out, Catch::Contains("private key  none"));
  CHECK_THAT(other_show.out, Catch::Contains("source       imported"));

  // Lookups that find nothing or are malformed.
  struct Case {
    std::vector<std::string> args;
    int rc;
    std::string err;
  };
  const std::vector<Case> cases = {
      {{"certs", "show", "deadbeef00"}, kExitFailure, "no certificate"},
      {{"certs", "show", "nobody@example.org"},
       kExitFailure,
       "no certificate for nobody@example.org"},
      {{"certs", "show", "xyz"}, kExitUsage, "not a certificate ID"},
      {{"certs", "show", "abc"}, kExitUsage, "not a certificate ID"},
      {{"certs", "show"}, kExitUsage, "missing argument"},
      {{"certs", "export", "nobody@example.org"},
       kExitFailure,
       "no valid encryption certificate"},
      {{"certs", "export", "0000000000000000"}, kExitFailure, "no certificate"},
      {{"certs", "remove", "bob@example.org"}, kExitUsage, "not an address"},
      {{"certs", "remove", "0000000000000000"}, kExitFailure, "no certificate"},
      {{"certs", "list", "--bogus"}, kExitUsage, "unknown option '--bogus'"},
      {{"certs", "list", "--source", "stolen"}, kExitUsage, "stolen"},
  };
  for (const Case& c : cases) {
    Captured r = env.Ctl(c.args);
    INFO(c.args[1] << " " << (c.args.size() > 2 ? c.args[2] : ""));
    CHECK(r.rc == c.rc);
    CHECK_THAT(r.err, Catch::Contains(c.err));
  }
  // -c takes store.path from a configuration file; --store overrides it.
  const std::string conf = env.dir.File("sealmilter.conf");
  WriteFile(conf,
            "[store]\npath = \"" + env.db + "\"\nbusy_timeout = \"2s\"\n");
  Captured via_conf = Run({"certs", "list", "-c", conf});
  CHECK(via_conf.rc == kExitOk);
  CHECK(RowsWith(via_conf.out, id) == 1);
  Captured overridden =
      Run({"certs", "list", "-c", conf, "--store", env.dir.File("nope.db")});
  CHECK(overridden.rc == kExitConfig);
  WriteFile(conf, "[store]\npaht = \"x\"\n");
  Captured bad_conf = Run({"certs", "list", "-c", conf});
  CHECK(bad_conf.rc == kExitConfig);
  CHECK_THAT(bad_conf.err, Catch::Contains("unknown key 'store.paht'"));
  Captured no_conf = Run({"keys", "list", "-c", env.dir.File("none.conf")});
  CHECK(no_conf.rc == kExitConfig);

  Captured no_store =
      Run({"certs", "list", "--store", env.dir.File("nope.db")});
  CHECK(no_store.rc == kExitConfig);
  CHECK_THAT(no_store.err, Catch::Contains("does not exist"));
  CHECK(!std::filesystem::exists(env.dir.File("nope.db")));

  // remove: a certificate with a key needs --delete-key.
  Captured refused = env.Ctl({"certs", "remove", id});
  CHECK(refused.rc == kExitFailure);
  CHECK_THAT(refused.err, Catch::Contains("--delete-key"));
  CHECK(env.Ctl({"certs", "show", id}).rc == kExitOk);
  Captured removed = env.Ctl({"certs", "remove", "--delete-key", id});
  CHECK(removed.rc == kExitOk);
  CHECK_THAT(removed.out, Catch::Contains("and its private key"));
  CHECK(env.Ctl({"certs", "show", id}).rc == kExitFailure);
  CHECK(RowsWith(env.Ctl({"keys", "list"}).out, "bob@example.org") == 0);

  // An imported certificate (no key) is removed without a flag.
  Captured plain = other.Ctl({"certs", "remove", sha.substr(0, 10)});
  CHECK(plain.rc == kExitOk);
  CHECK(other.Ctl({"certs", "show", sha}).rc == kExitFailure);
}

}  // namespace
}  // namespace seal::ctl
