// SMIMECapabilities: build ours, parse theirs, choose algorithms.
#include "lib/crypto/smime_capabilities.h"

#include <openssl/objects.h>
#include <openssl/rsa.h>

#include <algorithm>

namespace seal::crypto {
namespace {

std::string ObjectName(const ASN1_OBJECT* obj) {
  char buf[128];
  int n = OBJ_obj2txt(buf, sizeof buf, obj, 0);
  if (n <= 0) return "?";
  return std::string(buf, std::min(static_cast<size_t>(n), sizeof buf - 1));
}

KeyTransport OaepFromParams(int ptype, const void* pval, bool* known) {
  *known = true;
  if (ptype != V_ASN1_SEQUENCE || pval == nullptr)
    return KeyTransport::kRsaOaep;
  const auto* seq = static_cast<const ASN1_STRING*>(pval);
  const unsigned char* p = ASN1_STRING_get0_data(seq);
  RSA_OAEP_PARAMS* params =
      d2i_RSA_OAEP_PARAMS(nullptr, &p, ASN1_STRING_length(seq));
  if (params == nullptr) {
    ClearOpenSslErrors();
    *known = false;
    return KeyTransport::kRsaOaep;
  }
  KeyTransport t = KeyTransport::kRsaOaep;
  if (params->hashFunc != nullptr) {
    const ASN1_OBJECT* obj = nullptr;
    X509_ALGOR_get0(&obj, nullptr, nullptr, params->hashFunc);
    int nid = OBJ_obj2nid(obj);
    if (nid == NID_sha256) {
      t = KeyTransport::kRsaOaepSha256;
    } else if (nid != NID_sha1) {
      *known = false;
    }
  }
  RSA_OAEP_PARAMS_free(params);
  return t;
}

}  // namespace

bool SmimeCapabilities::Supports(ContentCipher c) const {
  return std::find(content_ciphers.begin(), content_ciphers.end(), c) !=
         content_ciphers.end();
}

bool SmimeCapabilities::Supports(KeyTransport t) const {
  return std::find(key_transports.begin(), key_transports.end(), t) !=
         key_transports.end();
}

std::string SmimeCapabilities::ToString() const {
  std::string out;
  auto add = [&out](std::string_view s) {
    if (!out.empty()) out += ' ';
    out += s;
  };
  for (ContentCipher c : content_ciphers) add(ContentCipherName(c));
  if (des3_cbc) add("des-ede3-cbc");
  for (KeyTransport t : key_transports) add(KeyTransportName(t));
  for (const std::string& o : other) add(o);
  return out;
}

SmimeCapabilities CapabilitiesFromAlgors(const STACK_OF(X509_ALGOR) * algs) {
  SmimeCapabilities caps;
  if (algs == nullptr) return caps;
  caps.present = true;
  for (int i = 0; i < sk_X509_ALGOR_num(algs); ++i) {
    const X509_ALGOR* alg = sk_X509_ALGOR_value(algs, i);
    const ASN1_OBJECT* obj = nullptr;
    int ptype = V_ASN1_UNDEF;
    const void* pval = nullptr;
    X509_ALGOR_get0(&obj, &ptype, &pval, alg);
    int nid = OBJ_obj2nid(obj);
    ContentCipher cipher;
    if (ContentCipherFromNid(nid, &cipher)) {
      if (!caps.Supports(cipher)) caps.content_ciphers.push_back(cipher);
    } else if (nid == NID_des_ede3_cbc) {
      caps.des3_cbc = true;
    } else if (nid == NID_rsaEncryption) {
      if (!caps.Supports(KeyTransport::kRsaPkcs1v15)) {
        caps.key_transports.push_back(KeyTransport::kRsaPkcs1v15);
      }
    } else if (nid == NID_rsaesOaep) {
      bool known = false;
      KeyTransport t = OaepFromParams(ptype, pval, &known);
      if (known && !caps.Supports(t)) caps.key_transports.push_back(t);
      if (!known) caps.other.push_back("rsaesOaep(other parameters)");
    } else {
      caps.other.push_back(ObjectName(obj));
    }
  }
  return caps;
}

Result<SmimeCapabilities> ParseSmimeCapabilities(std::string_view der) {
  ClearOpenSslErrors();
  Result<int> len = OpenSslInt(der.size());
  if (!len.ok()) return len.status();
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  AlgorStackPtr algs(d2i_X509_ALGORS(nullptr, &p, *len));
  if (!algs) {
    return OpenSslError("cannot decode SMIMECapabilities",
                        StatusCode::kParseError);
  }
  return CapabilitiesFromAlgors(algs.get());
}

Result<AlgorStackPtr> OwnSmimeCapabilities() {
  ClearOpenSslErrors();
  STACK_OF(X509_ALGOR)* raw = nullptr;
  for (int nid : {NID_aes_256_gcm, NID_aes_256_cbc, NID_aes_128_cbc}) {
    if (CMS_add_simple_smimecap(&raw, nid, -1) != 1) {
      AlgorStackPtr cleanup(raw);
      return OpenSslError("cannot build SMIMECapabilities");
    }
  }
  AlgorStackPtr algs(raw);
  // RSAES-OAEP with all-default parameters: an empty SEQUENCE (RFC 3560).
  static const unsigned char kEmptySequence[] = {0x30, 0x00};
  X509AlgorPtr oaep(X509_ALGOR_new());
  Asn1StringPtr params(ASN1_STRING_type_new(V_ASN1_SEQUENCE));
  if (!oaep || !params ||
      ASN1_STRING_set(params.get(), kEmptySequence, sizeof kEmptySequence) !=
          1 ||
      X509_ALGOR_set0(oaep.get(), OBJ_nid2obj(NID_rsaesOaep), V_ASN1_SEQUENCE,
                      params.get()) != 1) {
    return OpenSslError("cannot build the RSAES-OAEP capability");
  }
  params.release();  // owned by the algorithm identifier now
  if (sk_X509_ALGOR_push(algs.get(), oaep.get()) <= 0) {
    return OpenSslError("cannot build SMIMECapabilities");
  }
  oaep.release();
  return algs;
}

ContentCipher ChooseContentCipher(
    const std::vector<const SmimeCapabilities*>& recipients,
    const AlgorithmPolicy& policy) {
  if (recipients.empty()) return ContentCipher::kAes256Cbc;
  auto all = [&](ContentCipher c) {
    return std::all_of(recipients.begin(), recipients.end(),
                       [c](const SmimeCapabilities* r) {
                         return r != nullptr && r->Supports(c);
                       });
  };
  if (policy.allow_gcm) {
    if (all(ContentCipher::kAes256Gcm)) return ContentCipher::kAes256Gcm;
    if (all(ContentCipher::kAes128Gcm)) return ContentCipher::kAes128Gcm;
  }
  // A recipient that lists AES-128-CBC but not AES-256-CBC gets 128.
  for (const SmimeCapabilities* r : recipients) {
    if (r != nullptr && r->present && !r->content_ciphers.empty() &&
        !r->Supports(ContentCipher::kAes256Cbc) &&
        r->Supports(ContentCipher::kAes128Cbc)) {
      return ContentCipher::kAes128Cbc;
    }
  }
  return ContentCipher::kAes256Cbc;
}

KeyTransport ChooseKeyTransport(const SmimeCapabilities* recipient,
                                const AlgorithmPolicy& policy) {
  if (recipient == nullptr || !policy.allow_oaep) {
    return KeyTransport::kRsaPkcs1v15;
  }
  if (recipient->Supports(KeyTransport::kRsaOaepSha256)) {
    return KeyTransport::kRsaOaepSha256;
  }
  if (recipient->Supports(KeyTransport::kRsaOaep))
    return KeyTransport::kRsaOaep;
  return KeyTransport::kRsaPkcs1v15;
}

}  // namespace seal::crypto
