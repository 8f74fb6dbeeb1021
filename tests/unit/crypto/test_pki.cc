// Run-time test PKI built with OpenSSL's X509 and CRL builders.
#include "tests/unit/crypto/test_pki.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "lib/crypto/ossl.h"

namespace seal::crypto::testing {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "test PKI: %s: %s\n", what.c_str(),
               DrainOpenSslErrors().c_str());
  std::abort();
}

void Check(int ok, const std::string& what) {
  if (ok != 1) Die(what);
}

std::atomic<uint64_t> g_serial{0x1000};

void AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  if (value.empty()) return;
  X509V3_CTX ctx{};
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) Die("extension " + value);
  Check(X509_add_ext(cert, ext, -1), "add extension");
  X509_EXTENSION_free(ext);
}

void AddName(X509_NAME* name, const char* field, const std::string& value) {
  Check(X509_NAME_add_entry_by_txt(
            name, field, MBSTRING_UTF8,
            reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1, 0),
        std::string("name ") + field);
}

Identity Build(const Identity* issuer, const CertSpec& spec) {
  PrivateKey key = GenerateKey(spec.key);
  X509Ptr cert(X509_new());
  Check(X509_set_version(cert.get(), 2), "version");
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), g_serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()),
                  static_cast<long>(spec.not_before));  // NOLINT
  X509_gmtime_adj(X509_getm_notAfter(cert.get()),
                  static_cast<long>(spec.not_after));  // NOLINT
  X509_NAME* subject = X509_get_subject_name(cert.get());
  AddName(subject, "O", "sealmilter tests");
  AddName(subject, "CN", spec.cn);
  if (!spec.subject_email.empty()) {
    AddName(subject, "emailAddress", spec.subject_email);
  }
  X509* issuer_cert = issuer ? issuer->cert.get() : cert.get();
  Check(X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer_cert)),
        "issuer");
  Check(X509_set_pubkey(cert.get(), key.get()), "pubkey");

  AddExt(cert.get(), issuer_cert, NID_basic_constraints,
         spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  std::string ku;
  if (spec.key_usage.has_value()) {
    ku = *spec.key_usage;
  } else if (spec.ca) {
    ku = "critical,keyCertSign,cRLSign";
  } else if (spec.key == KeyAlg::kEcP256) {
    ku = "critical,digitalSignature,nonRepudiation,keyAgreement";
  } else {
    ku = "critical,digitalSignature,nonRepudiation,keyEncipherment";
  }
  AddExt(cert.get(), issuer_cert, NID_key_usage, ku);
  std::string eku =
      spec.ext_key_usage.value_or(spec.ca ? "" : "emailProtection");
  AddExt(cert.get(), issuer_cert, NID_ext_key_usage, eku);
  AddExt(cert.get(), issuer_cert, NID_subject_key_identifier, "hash");
  if (issuer != nullptr) {
    AddExt(cert.get(), issuer_cert, NID_authority_key_identifier,
           "keyid:always");
  }
  std::string san;
  for (const std::string& e : spec.emails) {
    if (!san.empty()) san += ",";
    san += "email:" + e;
  }
  AddExt(cert.get(), issuer_cert, NID_subject_alt_name, san);

  EVP_PKEY* signing_key = issuer ? issuer->key.get() : key.get();
  if (X509_sign(cert.get(), signing_key, EVP_sha256()) <= 0) Die("sign");
  return Identity{Certificate::Adopt(std::move(cert)), key};
}

}  // namespace

PrivateKey GenerateKey(KeyAlg alg) {
  EVP_PKEY* raw = nullptr;
  switch (alg) {
    case KeyAlg::kRsa2048:
      raw = EVP_RSA_gen(2048);
      break;
    case KeyAlg::kRsa3072:
      raw = EVP_RSA_gen(3072);
      break;
    case KeyAlg::kEcP256:
      raw = EVP_EC_gen("P-256");
      break;
  }
  if (raw == nullptr) Die("key generation");
  return PrivateKey::Adopt(EvpPkeyPtr(raw));
}

Identity MakeRoot(const std::string& cn, KeyAlg alg) {
  CertSpec spec;
  spec.cn = cn;
  spec.key = alg;
  spec.ca = true;
  spec.not_before = -1000LL * 86400;
  spec.not_after = 10LL * 365 * 86400;
  return Build(nullptr, spec);
}

Identity Issue(const Identity& issuer, const CertSpec& spec) {
  return Build(&issuer, spec);
}

Crl MakeCrl(const Identity& issuer, const std::vector<Certificate>& revoked) {
  X509CrlPtr crl(X509_CRL_new());
  Check(X509_CRL_set_version(crl.get(), 1), "crl version");
  Check(X509_CRL_set_issuer_name(crl.get(),
                                 X509_get_subject_name(issuer.cert.get())),
        "crl issuer");
  Asn1TimePtr last(X509_gmtime_adj(nullptr, -3600));
  Asn1TimePtr next(X509_gmtime_adj(nullptr, 7 * 86400));
  Check(X509_CRL_set1_lastUpdate(crl.get(), last.get()), "lastUpdate");
  Check(X509_CRL_set1_nextUpdate(crl.get(), next.get()), "nextUpdate");
  for (const Certificate& c : revoked) {
    X509_REVOKED* r = X509_REVOKED_new();
    Check(X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(c.get())),
          "revoked serial");
    Check(X509_REVOKED_set_revocationDate(r, last.get()), "revocation date");
    Check(X509_CRL_add0_revoked(crl.get(), r), "add revoked");
  }
  Check(X509_CRL_sort(crl.get()), "crl sort");
  if (X509_CRL_sign(crl.get(), issuer.key.get(), EVP_sha256()) <= 0) {
    Die("crl sign");
  }
  return Crl::Adopt(std::move(crl));
}

const Pki& TestPki() {
  static const Pki* pki = [] {
    auto* p = new Pki;
    p->root = MakeRoot("Test Root CA", KeyAlg::kRsa3072);
    CertSpec ica;
    ica.cn = "Test Intermediate CA";
    ica.ca = true;
    ica.not_before = -900LL * 86400;
    ica.not_after = 5LL * 365 * 86400;
    p->intermediate = Issue(p->root, ica);

    CertSpec s;
    s.cn = "Alice";
    s.emails = {"alice@example.org"};
    p->alice = Issue(p->intermediate, s);
    s.not_before = -200LL * 86400;
    s.not_after = 30LL * 86400;
    p->alice_old = Issue(p->intermediate, s);

    s = CertSpec{};
    s.cn = "Bob";
    s.emails = {"bob@example.org", "Robert@Example.ORG"};
    s.key = KeyAlg::kRsa3072;
    p->bob = Issue(p->root, s);

    s = CertSpec{};
    s.cn = "Carol";
    s.emails = {"carol@example.org"};
    s.key = KeyAlg::kEcP256;
    p->carol = Issue(p->intermediate, s);

    s = CertSpec{};
    s.cn = "Dave";
    s.subject_email = "dave@example.org";
    p->dave_subject = Issue(p->intermediate, s);

    s = CertSpec{};
    s.cn = "Expired";
    s.emails = {"expired@example.org"};
    s.not_before = -400LL * 86400;
    s.not_after = -86400;
    p->expired = Issue(p->intermediate, s);

    s = CertSpec{};
    s.cn = "Not Yet";
    s.emails = {"notyet@example.org"};
    s.not_before = 86400;
    p->not_yet = Issue(p->intermediate, s);

    s = CertSpec{};
    s.cn = "No EKU";
    s.emails = {"noeku@example.org"};
    s.ext_key_usage = "serverAuth";
    p->no_eku = Issue(p->intermediate, s);

    s = CertSpec{};
    s.cn = "Sign Only";
    s.emails = {"signonly@example.org"};
    s.key_usage = "critical,digitalSignature";
    p->sign_only = Issue(p->intermediate, s);

    s = CertSpec{};
    s.cn = "Revoked";
    s.emails = {"revoked@example.org"};
    p->revoked = Issue(p->intermediate, s);

    p->other_root = MakeRoot("Untrusted Root CA", KeyAlg::kRsa2048);
    s = CertSpec{};
    s.cn = "Stranger";
    s.emails = {"stranger@example.org"};
    p->stranger = Issue(p->other_root, s);

    p->intermediate_crl = MakeCrl(p->intermediate, {p->revoked.cert});
    p->root_crl = MakeCrl(p->root, {});

    TrustStoreOptions options;
    options.use_system_store = false;
    options.anchors = {p->root.cert};
    options.crls = {p->intermediate_crl, p->root_crl};
    options.crl_policy = CrlPolicy::kSoft;
    options.crl_check_chain = true;
    Result<std::shared_ptr<const TrustStore>> trust =
        TrustStore::Create(options);
    if (!trust.ok()) {
      std::fprintf(stderr, "test PKI: %s\n", trust.status().ToString().c_str());
      std::abort();
    }
    p->trust = *trust;
    return p;
  }();
  return *pki;
}

std::string SampleEntity(size_t body_bytes) {
  std::string e =
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: 8bit\r\n"
      "\r\n";
  static const char kLine[] =
      "The quick brown fox jumps over the lazy dog. \xc3\xa4\xc3\xb6\xc3\xbc "
      "0123456789\r\n";
  while (e.size() < body_bytes + 80) e += kLine;
  return e;
}

}  // namespace seal::crypto::testing
