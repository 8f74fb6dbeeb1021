// CMS decryption: RecipientInfo matching across candidate keys, streamed
// plaintext.
#include "lib/crypto/decrypt.h"

#include <openssl/bn.h>
#include <openssl/objects.h>

#include "lib/crypto/bio_adapters.h"
#include "lib/crypto/cms_input.h"
#include "lib/crypto/ossl.h"

namespace seal::crypto {
namespace {

std::string Hex(const ASN1_OCTET_STRING* s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  const unsigned char* d = ASN1_STRING_get0_data(s);
  for (int i = 0; i < ASN1_STRING_length(s); ++i) {
    out += kHex[d[i] >> 4];
    out += kHex[d[i] & 15];
  }
  return out;
}

std::string IssuerSerialText(X509_NAME* issuer, ASN1_INTEGER* serial) {
  std::string out = "issuer ";
  char buf[256];
  X509_NAME_oneline(issuer, buf, sizeof buf);
  out += buf;
  BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
  if (bn != nullptr) {
    char* hex = BN_bn2hex(bn);
    if (hex != nullptr) {
      out += " serial ";
      out += hex;
      OPENSSL_free(hex);
    }
    BN_free(bn);
  }
  return out;
}

std::string DescribeRecipients(CMS_ContentInfo* cms) {
  STACK_OF(CMS_RecipientInfo)* ris = CMS_get0_RecipientInfos(cms);
  std::string out;
  auto add = [&out](const std::string& s) {
    if (!out.empty()) out += "; ";
    out += s;
  };
  for (int i = 0; i < sk_CMS_RecipientInfo_num(ris); ++i) {
    CMS_RecipientInfo* ri = sk_CMS_RecipientInfo_value(ris, i);
    int type = CMS_RecipientInfo_type(ri);
    if (type == CMS_RECIPINFO_TRANS) {
      ASN1_OCTET_STRING* keyid = nullptr;
      X509_NAME* issuer = nullptr;
      ASN1_INTEGER* serial = nullptr;
      if (CMS_RecipientInfo_ktri_get0_signer_id(ri, &keyid, &issuer, &serial) ==
          1) {
        add(keyid != nullptr ? "key id " + Hex(keyid)
                             : IssuerSerialText(issuer, serial));
      }
    } else if (type == CMS_RECIPINFO_AGREE) {
      STACK_OF(CMS_RecipientEncryptedKey)* reks =
          CMS_RecipientInfo_kari_get0_reks(ri);
      for (int j = 0; j < sk_CMS_RecipientEncryptedKey_num(reks); ++j) {
        CMS_RecipientEncryptedKey* rek =
            sk_CMS_RecipientEncryptedKey_value(reks, j);
        ASN1_OCTET_STRING* keyid = nullptr;
        X509_NAME* issuer = nullptr;
        ASN1_INTEGER* serial = nullptr;
        if (CMS_RecipientEncryptedKey_get0_id(rek, &keyid, nullptr, nullptr,
                                              &issuer, &serial) == 1) {
          add(keyid != nullptr ? "key id " + Hex(keyid)
                               : IssuerSerialText(issuer, serial));
        }
      }
    } else {
      add(type == CMS_RECIPINFO_KEK ? "a KEK recipient"
                                    : "a password recipient");
    }
  }
  ClearOpenSslErrors();
  return out.empty() ? "nobody" : out;
}

// True when a RecipientInfo of `cms` is addressed to `cert`.
bool AddressedTo(CMS_ContentInfo* cms, X509* cert) {
  STACK_OF(CMS_RecipientInfo)* ris = CMS_get0_RecipientInfos(cms);
  for (int i = 0; i < sk_CMS_RecipientInfo_num(ris); ++i) {
    CMS_RecipientInfo* ri = sk_CMS_RecipientInfo_value(ris, i);
    int type = CMS_RecipientInfo_type(ri);
    if (type == CMS_RECIPINFO_TRANS) {
      if (CMS_RecipientInfo_ktri_cert_cmp(ri, cert) == 0) return true;
    } else if (type == CMS_RECIPINFO_AGREE) {
      STACK_OF(CMS_RecipientEncryptedKey)* reks =
          CMS_RecipientInfo_kari_get0_reks(ri);
      for (int j = 0; j < sk_CMS_RecipientEncryptedKey_num(reks); ++j) {
        if (CMS_RecipientEncryptedKey_cert_cmp(
                sk_CMS_RecipientEncryptedKey_value(reks, j), cert) == 0) {
          return true;
        }
      }
    }
  }
  return false;
}

Result<DecryptResult> DecryptParsed(const OpenedCms& opened,
                                    const std::vector<KeyPair>& keys,
                                    ByteSink out) {
  CMS_ContentInfo* cms = opened.cms.get();
  const int nid = OBJ_obj2nid(CMS_get0_type(cms));
  if (nid != NID_pkcs7_enveloped && nid != NID_id_smime_ct_authEnvelopedData) {
    return FailedPreconditionError("not encrypted: the CMS content is " +
                                   CmsTypeName(cms));
  }
  DecryptResult result;
  result.authenticated = nid == NID_id_smime_ct_authEnvelopedData;
  result.recipient_count = static_cast<size_t>(
      sk_CMS_RecipientInfo_num(CMS_get0_RecipientInfos(cms)));

  const KeyPair* chosen = nullptr;
  for (size_t i = 0; i < keys.size() && chosen == nullptr; ++i) {
    if (!keys[i].cert.valid() || !keys[i].key.valid()) continue;
    if (AddressedTo(cms, keys[i].cert.get())) {
      chosen = &keys[i];
      result.key_index = i;
    }
  }
  ClearOpenSslErrors();
  if (chosen == nullptr) {
    return NotFoundError(
        "the message is not encrypted to any of our " +
        std::to_string(keys.size()) +
        " certificate(s); it is for: " + DescribeRecipients(cms));
  }
  if (CMS_decrypt_set1_pkey_and_peer(cms, chosen->key.get(), chosen->cert.get(),
                                     nullptr) != 1) {
    return OpenSslError("cannot decrypt the content key with the key of " +
                            chosen->cert.Subject(),
                        StatusCode::kParseError);
  }
  Result<SinkBio> sink = SinkBio::Create(std::move(out));
  if (!sink.ok()) return sink.status();
  // The content key is set; decrypt the content (streamed from the input
  // when it was split off) into the sink.
  const int ok = CMS_decrypt(cms, nullptr, chosen->cert.get(), opened.dcont(),
                             sink->bio(), CMS_BINARY);
  if (!opened.content_status().ok()) {
    ClearOpenSslErrors();
    return opened.content_status();
  }
  if (ok != 1) {
    if (!sink->status().ok()) {
      ClearOpenSslErrors();
      return sink->status();
    }
    return OpenSslError(
        result.authenticated
            ? "cannot decrypt: authentication failed (wrong key, or the "
              "ciphertext or its GCM tag was altered)"
            : "cannot decrypt: wrong key or damaged ciphertext",
        StatusCode::kParseError);
  }
  result.bytes = sink->bytes_written();
  return result;
}

bool IsPkcs7Mime(const ContentType& ct) {
  if (ct.type != "application") return false;
  if (ct.subtype == "pkcs7-mime" || ct.subtype == "x-pkcs7-mime") return true;
  // Some agents send application/octet-stream; name=smime.p7m.
  if (ct.subtype == "octet-stream") {
    std::string name = ToLowerAscii(ct.Param("name"));
    return name.size() >= 4 && name.compare(name.size() - 4, 4, ".p7m") == 0;
  }
  return false;
}

}  // namespace

Result<DecryptResult> DecryptEntity(const EntityRef& entity,
                                    const std::vector<KeyPair>& keys,
                                    ByteSink out) {
  return NoThrow("decrypt", [&]() -> Result<DecryptResult> {
    ClearOpenSslErrors();
    Result<ContentType> ct = ParseContentType(entity.content_type);
    if (!ct.ok()) return ct.status();
    if (!IsPkcs7Mime(*ct)) {
      return FailedPreconditionError("not encrypted: Content-Type is " +
                                     ct->type + "/" + ct->subtype);
    }
    std::string smime_type = ToLowerAscii(ct->Param("smime-type"));
    if (!smime_type.empty() && smime_type != "enveloped-data" &&
        smime_type != "authenveloped-data") {
      return FailedPreconditionError("not encrypted: smime-type=" + smime_type);
    }
    Result<OpenedCms> cms = OpenCmsBody(entity.body, entity.transfer_encoding);
    if (!cms.ok()) return cms.status().WithContext("decrypt");
    Result<DecryptResult> r = DecryptParsed(*cms, keys, std::move(out));
    if (!r.ok()) return r.status().WithContext("decrypt");
    return r;
  });
}

Result<DecryptResult> DecryptCms(const ByteSource& der,
                                 const std::vector<KeyPair>& keys,
                                 ByteSink out) {
  return NoThrow("decrypt", [&]() -> Result<DecryptResult> {
    Result<OpenedCms> cms = OpenCmsDer(der);
    if (!cms.ok()) return cms.status().WithContext("decrypt");
    Result<DecryptResult> r = DecryptParsed(*cms, keys, std::move(out));
    if (!r.ok()) return r.status().WithContext("decrypt");
    return r;
  });
}

}  // namespace seal::crypto
