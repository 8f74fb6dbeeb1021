// Harvesting valid signers into the store (see lib/gateway/harvest.h).
#include "lib/gateway/harvest.h"

#include <openssl/cms.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "lib/crypto/algorithms.h"
#include "lib/crypto/ossl.h"

namespace seal::gateway {

uint64_t CapabilityFlags(const crypto::SmimeCapabilities& caps) {
  uint64_t flags = 0;
  for (crypto::ContentCipher c : caps.content_ciphers) {
    flags |= uint64_t{1} << static_cast<int>(c);
  }
  for (crypto::KeyTransport t : caps.key_transports) {
    flags |= uint64_t{1} << (8 + static_cast<int>(t));
  }
  if (caps.des3_cbc) flags |= uint64_t{1} << 16;
  return flags;
}

Result<std::string> EncodeCapabilities(const crypto::SmimeCapabilities& caps) {
  crypto::ClearOpenSslErrors();
  STACK_OF(X509_ALGOR)* raw = sk_X509_ALGOR_new_null();
  if (raw == nullptr) return crypto::OpenSslError("cannot encode capabilities");
  crypto::AlgorStackPtr algs(raw);
  auto add_simple = [&](int nid) -> Status {
    STACK_OF(X509_ALGOR)* p = algs.get();
    if (CMS_add_simple_smimecap(&p, nid, -1) != 1) {
      return crypto::OpenSslError("cannot encode capabilities");
    }
    return Status::Ok();
  };
  for (crypto::ContentCipher c : caps.content_ciphers) {
    const EVP_CIPHER* cipher = crypto::CipherFor(c);
    if (cipher != nullptr)
      SEAL_RETURN_IF_ERROR(add_simple(EVP_CIPHER_get_nid(cipher)));
  }
  if (caps.des3_cbc) SEAL_RETURN_IF_ERROR(add_simple(NID_des_ede3_cbc));
  for (crypto::KeyTransport t : caps.key_transports) {
    if (t == crypto::KeyTransport::kRsaPkcs1v15) {
      SEAL_RETURN_IF_ERROR(add_simple(NID_rsaEncryption));
    } else if (t == crypto::KeyTransport::kRsaOaep) {
      // RSAES-OAEP with default parameters: an empty SEQUENCE.
      static const unsigned char kEmptySequence[] = {0x30, 0x00};
      crypto::X509AlgorPtr oaep(X509_ALGOR_new());
      crypto::Asn1StringPtr params(ASN1_STRING_type_new(V_ASN1_SEQUENCE));
      if (!oaep || !params ||
          ASN1_STRING_set(params.get(), kEmptySequence,
                          sizeof kEmptySequence) != 1 ||
          X509_ALGOR_set0(oaep.get(), OBJ_nid2obj(NID_rsaesOaep),
                          V_ASN1_SEQUENCE, params.get()) != 1) {
        return crypto::OpenSslError("cannot encode the OAEP capability");
      }
      params.release();
      if (sk_X509_ALGOR_push(algs.get(), oaep.get()) <= 0) {
        return crypto::OpenSslError("cannot encode capabilities");
      }
      oaep.release();
    }
    // OAEP with SHA-256 needs parameters; the flags carry it.
  }
  unsigned char* der = nullptr;
  int n = i2d_X509_ALGORS(algs.get(), &der);
  if (n <= 0) return crypto::OpenSslError("cannot encode capabilities");
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

HarvestReport HarvestSigners(store::Store& store,
                             const crypto::VerifyResult& result) {
  HarvestReport report;
  for (const crypto::SignerReport& s : result.signers) {
    if (s.status != crypto::SignatureStatus::kValid || !s.cert.valid()) {
      continue;
    }
    Result<std::string> der = s.cert.ToDer();
    if (!der.ok()) {
      report.warnings.push_back("harvest: " + der.status().message());
      continue;
    }
    Result<store::CertificateRecord> rec =
        store.PutCertificate(*der, store::CertSource::kHarvested);
    if (!rec.ok()) {
      report.warnings.push_back("harvest: cannot store the certificate of " +
                                s.cert.Subject() + ": " +
                                rec.status().message());
      continue;
    }
    ++report.certificates;
    if (!s.capabilities.present) continue;
    Result<std::string> blob = EncodeCapabilities(s.capabilities);
    if (!blob.ok()) {
      report.warnings.push_back("harvest: " + blob.status().message());
      continue;
    }
    for (const std::string& address : rec->emails) {
      store::CapabilitiesRecord caps;
      caps.address = address;
      caps.cert_sha256 = rec->sha256;
      caps.blob = *blob;
      caps.flags = CapabilityFlags(s.capabilities);
      caps.seen_at = 0;  // now: a sender's signingTime is not trusted
      if (Status st = store.PutCapabilities(caps); !st.ok()) {
        report.warnings.push_back("harvest: capabilities of " + address + ": " +
                                  st.message());
      } else {
        ++report.capabilities;
      }
    }
  }
  return report;
}

}  // namespace seal::gateway
