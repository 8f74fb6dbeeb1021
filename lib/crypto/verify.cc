// Signature verification with per-signer verdicts and sender facts.
#include "lib/crypto/verify.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>

#include <memory>
#include <string>
#include <utility>

#include "lib/crypto/bio_adapters.h"
#include "lib/crypto/canonical.h"
#include "lib/crypto/cms_input.h"
#include "lib/crypto/ossl.h"

namespace seal::crypto {
namespace {

int Severity(SignatureStatus s) {
  switch (s) {
    case SignatureStatus::kValid:
      return 0;
    case SignatureStatus::kExpired:
      return 1;
    case SignatureStatus::kUntrusted:
      return 2;
    case SignatureStatus::kInvalid:
      return 3;
  }
  return 3;
}

std::optional<int64_t> SigningTime(CMS_SignerInfo* si) {
  int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
  if (idx < 0) return std::nullopt;
  X509_ATTRIBUTE* attr = CMS_signed_get_attr(si, idx);
  ASN1_TYPE* t = attr != nullptr ? X509_ATTRIBUTE_get0_type(attr, 0) : nullptr;
  if (t == nullptr ||
      (t->type != V_ASN1_UTCTIME && t->type != V_ASN1_GENERALIZEDTIME)) {
    return std::nullopt;
  }
  Result<int64_t> when = Asn1TimeToUnix(t->value.utctime);
  if (!when.ok()) return std::nullopt;
  return *when;
}

SmimeCapabilities Capabilities(CMS_SignerInfo* si) {
  auto* seq = static_cast<ASN1_STRING*>(CMS_signed_get0_data_by_OBJ(
      si, OBJ_nid2obj(NID_SMIMECapabilities), -3, V_ASN1_SEQUENCE));
  if (seq == nullptr) return SmimeCapabilities();
  Result<SmimeCapabilities> caps = ParseSmimeCapabilities(std::string_view(
      reinterpret_cast<const char*>(ASN1_STRING_get0_data(seq)),
      static_cast<size_t>(ASN1_STRING_length(seq))));
  if (!caps.ok()) {
    SmimeCapabilities bad;
    bad.present = true;
    bad.other.push_back("(undecodable SMIMECapabilities)");
    return bad;
  }
  return *caps;
}

// The verdict for a signer whose signature matched, from its certificate
// check.
void JudgeCertificate(const CertCheckReport& check, SignerReport* r) {
  SignatureStatus status = SignatureStatus::kValid;
  std::string reason;
  for (const CertIssue& i : check.issues) {
    SignatureStatus s;
    switch (i.problem) {
      case CertProblem::kRevoked:
        s = SignatureStatus::kInvalid;
        break;
      case CertProblem::kExpired:
      case CertProblem::kNotYetValid:
        s = SignatureStatus::kExpired;
        break;
      default:
        s = SignatureStatus::kUntrusted;
        break;
    }
    if (Severity(s) > Severity(status)) status = s;
  }
  if (status != SignatureStatus::kValid) {
    reason = "signer certificate: " + check.Summary();
    if (status == SignatureStatus::kExpired && r->signing_time.has_value() &&
        r->cert.valid() && *r->signing_time >= r->cert.NotBefore() &&
        *r->signing_time <= r->cert.NotAfter()) {
      reason +=
          "; it was valid at the signing time " + FormatUtc(*r->signing_time);
    }
  }
  r->status = status;
  r->reason = std::move(reason);
}

// `streamed` (may be null) is set when opaque content was split off and
// comes through its own BIO.
// What a real signed message carries at most. OpenSSL digests the content
// once per listed digest algorithm, duplicates included, and the chain of
// every signer is checked against every carried certificate, so a message
// past these would buy CPU without needing a valid signature.
constexpr int kMaxDigestAlgorithms = 8;
constexpr int kMaxSigners = 8;
constexpr int kMaxCarriedCertificates = 64;
constexpr int kMaxCarriedCrls = 16;

// The number of SignedData.digestAlgorithms (OpenSSL has no getter): read
// from the DER of the skeleton, ContentInfo { OID, [0] SignedData {
// version, digestAlgorithms SET, ... } }. -1 when it cannot be read.
int DigestAlgorithmCount(CMS_ContentInfo* cms) {
  unsigned char* der = nullptr;
  const int len = i2d_CMS_ContentInfo(cms, &der);
  if (len <= 0 || der == nullptr) {
    ClearOpenSslErrors();
    return -1;
  }
  std::unique_ptr<unsigned char, void (*)(unsigned char*)> owned(
      der, [](unsigned char* d) { OPENSSL_free(d); });
  const unsigned char* p = der;
  const unsigned char* const end = der + len;
  // Reads one header; p then points at its contents.
  auto header = [&](long* content_len) {
    int tag = 0, xclass = 0;
    const int flags = ASN1_get_object(&p, content_len, &tag, &xclass, end - p);
    return (flags & 0x80) == 0 && (flags & 0x01) == 0 &&
           *content_len <= end - p;
  };
  long n = 0;
  // ContentInfo, its OID (skipped), [0], SignedData, version (skipped).
  if (!header(&n) || !header(&n)) return -1;
  p += n;
  if (!header(&n) || !header(&n) || !header(&n)) return -1;
  p += n;
  if (!header(&n)) return -1;  // digestAlgorithms
  const unsigned char* const set_end = p + n;
  int count = 0;
  while (p < set_end) {
    if (!header(&n) || p + n > set_end) return -1;
    p += n;
    ++count;
  }
  return count;
}

Status CheckSignedDataSize(CMS_ContentInfo* cms) {
  auto refuse = [](int count, const char* what, int max) {
    return ParseError("SignedData carries " + std::to_string(count) + " " +
                      what + "; more than " + std::to_string(max) +
                      " is refused");
  };
  const int signers = sk_CMS_SignerInfo_num(CMS_get0_SignerInfos(cms));
  if (signers > kMaxSigners) return refuse(signers, "signers", kMaxSigners);
  const int digests = DigestAlgorithmCount(cms);
  if (digests > kMaxDigestAlgorithms) {
    return refuse(digests, "digest algorithms", kMaxDigestAlgorithms);
  }
  X509StackPtr certs(CMS_get1_certs(cms));
  const int cert_count = certs ? sk_X509_num(certs.get()) : 0;
  if (cert_count > kMaxCarriedCertificates) {
    return refuse(cert_count, "certificates", kMaxCarriedCertificates);
  }
  STACK_OF(X509_CRL)* crls = CMS_get1_crls(cms);
  const int crl_count = crls ? sk_X509_CRL_num(crls) : 0;
  sk_X509_CRL_pop_free(crls, X509_CRL_free);
  if (crl_count > kMaxCarriedCrls) {
    return refuse(crl_count, "CRLs", kMaxCarriedCrls);
  }
  return Status::Ok();
}

Result<VerifyResult> VerifyParsed(CMS_ContentInfo* cms,
                                  const std::string_view* detached,
                                  const OpenedCms* streamed,
                                  const TrustStore& trust,
                                  const VerifyOptions& options,
                                  const ByteSink* content_out) {
  const bool has_stream = streamed != nullptr && streamed->dcont() != nullptr;
  if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
    return FailedPreconditionError("not signed: the CMS content is " +
                                   CmsTypeName(cms));
  }
  STACK_OF(CMS_SignerInfo)* sinfos = CMS_get0_SignerInfos(cms);
  if (sk_CMS_SignerInfo_num(sinfos) <= 0) {
    return ParseError("SignedData has no signers");
  }
  if (Status s = CheckSignedDataSize(cms); !s.ok()) return s;
  if (detached == nullptr && !has_stream && CMS_is_detached(cms) == 1) {
    return ParseError(
        "signed-data has no content (a detached signature "
        "needs the signed part)");
  }
  // Attach the signer certificates the message carries.
  CMS_set1_signers_certs(cms, nullptr, 0);
  ClearOpenSslErrors();

  BioPtr dcont;
  BIO* content_in = has_stream ? streamed->dcont() : nullptr;
  if (detached != nullptr) {
    Result<BioPtr> bio = MemoryBio(*detached);
    if (!bio.ok()) return bio.status();
    dcont = std::move(bio).value();
    content_in = dcont.get();
  }
  std::unique_ptr<SinkBio> sink;
  if (detached == nullptr && content_out != nullptr) {
    Result<SinkBio> s = SinkBio::Create(*content_out);
    if (!s.ok()) return s.status();
    sink = std::make_unique<SinkBio>(std::move(s).value());
  }
  // Signature and content digest only; the chain is judged below with
  // every problem recorded.
  const int ok = CMS_verify(cms, nullptr, trust.x509_store(), content_in,
                            sink ? sink->bio() : nullptr,
                            CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY);
  if (has_stream && !streamed->content_status().ok()) {
    ClearOpenSslErrors();
    return streamed->content_status();
  }
  if (sink && !sink->status().ok()) {
    ClearOpenSslErrors();
    return sink->status();
  }
  std::string sig_error = ok == 1 ? std::string() : DrainOpenSslErrors();
  if (ok != 1 && sig_error.empty()) sig_error = "verification failed";

  X509StackPtr carried(CMS_get1_certs(cms));
  std::vector<Certificate> untrusted = FromX509Stack(carried.get());

  VerifyResult result;
  result.opaque = detached == nullptr;
  result.status = SignatureStatus::kValid;
  result.address_checked = !options.sender_address.empty();
  for (int i = 0; i < sk_CMS_SignerInfo_num(sinfos); ++i) {
    CMS_SignerInfo* si = sk_CMS_SignerInfo_value(sinfos, i);
    SignerReport r;
    X509* signer = nullptr;
    X509_ALGOR* digest = nullptr;
    CMS_SignerInfo_get0_algs(si, nullptr, &signer, &digest, nullptr);
    if (digest != nullptr) {
      const ASN1_OBJECT* obj = nullptr;
      X509_ALGOR_get0(&obj, nullptr, nullptr, digest);
      const char* sn = OBJ_nid2sn(OBJ_obj2nid(obj));
      r.digest = sn != nullptr ? ToLowerAscii(sn) : "unknown";
    }
    r.signing_time = SigningTime(si);
    r.capabilities = Capabilities(si);
    if (signer != nullptr) {
      r.cert = Certificate::Share(signer);
      r.emails = r.cert.EmailAddresses();
      if (result.address_checked && r.cert.HasEmail(options.sender_address)) {
        result.address_match = true;
      }
      CertCheckOptions check_options;
      check_options.use = CertUse::kSigning;
      check_options.address = options.sender_address;
      check_options.at_time = options.at_time;
      check_options.trust = &trust;
      check_options.intermediates = untrusted;
      Result<CertCheckReport> check = CheckCertificate(r.cert, check_options);
      if (!check.ok()) return check.status();
      r.cert_issues = check->issues;
      r.chain = check->chain;
      JudgeCertificate(*check, &r);
    }
    if (ok != 1) {
      r.status = signer == nullptr ? SignatureStatus::kUntrusted
                                   : SignatureStatus::kInvalid;
      r.reason = signer == nullptr
                     ? "signer certificate is not in the message: " + sig_error
                     : "signature does not match the content: " + sig_error;
    } else if (signer == nullptr) {
      r.status = SignatureStatus::kUntrusted;
      r.reason = "signer certificate is not in the message";
    }
    if (Severity(r.status) > Severity(result.status)) {
      result.status = r.status;
      result.reason = r.reason;
    }
    result.signers.push_back(std::move(r));
  }
  ClearOpenSslErrors();
  return result;
}

bool IsType(const ContentType& ct, std::string_view subtype) {
  return ct.type == "application" &&
         (ct.subtype == subtype || ct.subtype == "x-" + std::string(subtype));
}

}  // namespace

std::string_view SignatureStatusName(SignatureStatus status) {
  switch (status) {
    case SignatureStatus::kValid:
      return "valid";
    case SignatureStatus::kInvalid:
      return "invalid";
    case SignatureStatus::kUntrusted:
      return "untrusted";
    case SignatureStatus::kExpired:
      return "expired";
  }
  return "unknown";
}

Result<VerifyResult> VerifyEntity(const EntityRef& entity,
                                  const TrustStore& trust,
                                  const VerifyOptions& options,
                                  const ByteSink* content_out) {
  return NoThrow("verify", [&]() -> Result<VerifyResult> {
    ClearOpenSslErrors();
    Result<ContentType> ct = ParseContentType(entity.content_type);
    if (!ct.ok()) return ct.status().WithContext("verify");
    if (ct->Is("multipart", "signed")) {
      std::string protocol = ToLowerAscii(ct->Param("protocol"));
      if (protocol != "application/pkcs7-signature" &&
          protocol != "application/x-pkcs7-signature") {
        return FailedPreconditionError(
            "verify: not S/MIME: multipart/signed with protocol \"" + protocol +
            "\"");
      }
      Result<MultipartSignedParts> parts =
          SplitMultipartSigned(entity.body, ct->Param("boundary"));
      if (!parts.ok()) return parts.status().WithContext("verify");
      Result<ParsedEntity> sig = SplitEntity(parts->signature_entity);
      if (!sig.ok()) return sig.status().WithContext("verify: signature part");
      EntityRef sig_ref = sig->ref();
      Result<ContentType> sig_ct = ParseContentType(sig_ref.content_type);
      if (!sig_ct.ok()) return sig_ct.status().WithContext("verify");
      if (!IsType(*sig_ct, "pkcs7-signature")) {
        return ParseError("verify: the second part is " + sig_ct->type + "/" +
                          sig_ct->subtype +
                          ", not application/pkcs7-signature");
      }
      Result<CmsPtr> cms = ReadCmsBody(sig_ref.body, sig_ref.transfer_encoding);
      if (!cms.ok()) return cms.status().WithContext("verify: signature");
      std::string canonical;
      std::string_view content = parts->signed_part;
      if (!IsCrlfCanonical(content)) {
        canonical = CanonicalizeCrlf(content);
        content = canonical;
      }
      Result<VerifyResult> r =
          VerifyParsed(cms->get(), &content, nullptr, trust, options, nullptr);
      if (!r.ok()) return r.status().WithContext("verify");
      r->signed_content = parts->signed_part;
      if (content_out != nullptr) {
        SEAL_RETURN_IF_ERROR((*content_out)(content));
      }
      return r;
    }
    if (IsType(*ct, "pkcs7-mime")) {
      std::string smime_type = ToLowerAscii(ct->Param("smime-type"));
      if (!smime_type.empty() && smime_type != "signed-data") {
        return FailedPreconditionError("verify: not signed: smime-type=" +
                                       smime_type);
      }
      Result<OpenedCms> cms =
          OpenCmsBody(entity.body, entity.transfer_encoding);
      if (!cms.ok()) return cms.status().WithContext("verify");
      Result<VerifyResult> r = VerifyParsed(cms->cms.get(), nullptr, &*cms,
                                            trust, options, content_out);
      if (!r.ok()) return r.status().WithContext("verify");
      return r;
    }
    return FailedPreconditionError("verify: not signed: Content-Type is " +
                                   ct->type + "/" + ct->subtype);
  });
}

Result<VerifyResult> VerifyDetached(std::string_view content,
                                    const ByteSource& signature_der,
                                    const TrustStore& trust,
                                    const VerifyOptions& options) {
  return NoThrow("verify", [&]() -> Result<VerifyResult> {
    Result<CmsPtr> cms = ReadCmsDer(signature_der);
    if (!cms.ok()) return cms.status().WithContext("verify");
    Result<VerifyResult> r =
        VerifyParsed(cms->get(), &content, nullptr, trust, options, nullptr);
    if (!r.ok()) return r.status().WithContext("verify");
    r->signed_content = content;
    return r;
  });
}

Result<VerifyResult> VerifyOpaque(const ByteSource& der,
                                  const TrustStore& trust,
                                  const VerifyOptions& options,
                                  const ByteSink* content_out) {
  return NoThrow("verify", [&]() -> Result<VerifyResult> {
    Result<OpenedCms> cms = OpenCmsDer(der);
    if (!cms.ok()) return cms.status().WithContext("verify");
    Result<VerifyResult> r = VerifyParsed(cms->cms.get(), nullptr, &*cms, trust,
                                          options, content_out);
    if (!r.ok()) return r.status().WithContext("verify");
    return r;
  });
}

}  // namespace seal::crypto
