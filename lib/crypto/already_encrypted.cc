// "Already encrypted?" decision for the outbound path.
#include "lib/crypto/already_encrypted.h"

#include <cstring>

#include "lib/crypto/base64.h"

namespace seal::crypto {
namespace {

constexpr std::string_view kBeginPgp = "-----BEGIN PGP MESSAGE-----";
constexpr std::string_view kEndPgp = "-----END PGP MESSAGE-----";
constexpr size_t kMaxBase64TextScan = 4 << 20;

// DER of the OIDs (tag, length, value) that start a ContentInfo.
constexpr unsigned char kEnvelopedOid[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                           0xf7, 0x0d, 0x01, 0x07, 0x03};
constexpr unsigned char kAuthEnvelopedOid[] = {0x06, 0x0b, 0x2a, 0x86, 0x48,
                                               0x86, 0xf7, 0x0d, 0x01, 0x09,
                                               0x10, 0x01, 0x17};

// Reads the CMS content type from the first bytes of a base64 or binary
// body: SEQUENCE header, then the contentType OID.
ExistingEncryption PeekCmsType(std::string_view body, std::string_view cte) {
  std::string head;
  if (NormalizeTransferEncoding(cte) == "base64") {
    Base64Decoder decoder(body);  // only the first bytes are decoded
    char buf[96];
    Result<size_t> n = decoder.Read(buf, sizeof buf);
    if (!n.ok()) return ExistingEncryption::kNone;
    head.assign(buf, *n);
  } else {
    head.assign(body.substr(0, 96));
  }
  const auto* p = reinterpret_cast<const unsigned char*>(head.data());
  size_t n = head.size();
  if (n < 2 || p[0] != 0x30) return ExistingEncryption::kNone;
  size_t at = 2;
  if (p[1] & 0x80) {
    size_t len_bytes = p[1] & 0x7f;  // 0 means indefinite length
    at += len_bytes;
  }
  auto match = [&](const unsigned char* oid, size_t len) {
    return n >= at + len && std::memcmp(p + at, oid, len) == 0;
  };
  if (match(kEnvelopedOid, sizeof kEnvelopedOid)) {
    return ExistingEncryption::kSmimeEnveloped;
  }
  if (match(kAuthEnvelopedOid, sizeof kAuthEnvelopedOid)) {
    return ExistingEncryption::kSmimeAuthEnveloped;
  }
  return ExistingEncryption::kNone;
}

std::string_view TrimSpace(std::string_view s) {
  auto space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

bool IsWholeArmour(std::string_view text) {
  std::string_view t = TrimSpace(text);
  if (t.size() < kBeginPgp.size() + kEndPgp.size()) return false;
  if (t.substr(0, kBeginPgp.size()) != kBeginPgp) return false;
  if (t.substr(t.size() - kEndPgp.size()) != kEndPgp) return false;
  // The BEGIN line must be a line of its own.
  char after = t.size() > kBeginPgp.size() ? t[kBeginPgp.size()] : '\n';
  return after == '\r' || after == '\n';
}

}  // namespace

std::string_view ExistingEncryptionName(ExistingEncryption kind) {
  switch (kind) {
    case ExistingEncryption::kNone:
      return "none";
    case ExistingEncryption::kSmimeEnveloped:
      return "smime-enveloped";
    case ExistingEncryption::kSmimeAuthEnveloped:
      return "smime-auth-enveloped";
    case ExistingEncryption::kMultipartEncrypted:
      return "multipart-encrypted";
    case ExistingEncryption::kPgpInline:
      return "pgp-inline";
  }
  return "unknown";
}

EncryptionCheck DetectExistingEncryption(const EntityRef& top) {
  EncryptionCheck check;
  Result<ContentType> parsed = ParseContentType(top.content_type);
  if (!parsed.ok()) {
    check.reason = "unreadable Content-Type: treated as not encrypted";
    return check;
  }
  const ContentType& ct = *parsed;
  const std::string media = ct.type + "/" + ct.subtype;
  if (ct.type == "application" &&
      (ct.subtype == "pkcs7-mime" || ct.subtype == "x-pkcs7-mime")) {
    std::string smime_type = ToLowerAscii(ct.Param("smime-type"));
    if (smime_type == "enveloped-data" || smime_type == "authenveloped-data") {
      // The label alone proves nothing: the body must start as encrypted
      // CMS, or it may be clear text under an S/MIME type.
      check.kind = PeekCmsType(top.body, top.transfer_encoding);
      check.reason = media + "; smime-type=" + smime_type +
                     (check.encrypted() ? ""
                                        : ", but the body is not "
                                          "encrypted CMS");
      return check;
    }
    if (smime_type.empty() ||
        (smime_type != "signed-data" && smime_type != "compressed-data" &&
         smime_type != "certs-only")) {
      check.kind = PeekCmsType(top.body, top.transfer_encoding);
      check.reason = media + " without a known smime-type; CMS content type " +
                     (check.encrypted() ? "is encrypted" : "is not encrypted");
      return check;
    }
    check.reason = media + "; smime-type=" + smime_type;
    return check;
  }
  if (ct.Is("multipart", "encrypted")) {
    check.kind = ExistingEncryption::kMultipartEncrypted;
    check.reason = "multipart/encrypted; protocol=" + ct.Param("protocol");
    return check;
  }
  if (ct.Is("application", "pgp-encrypted")) {
    check.kind = ExistingEncryption::kMultipartEncrypted;
    check.reason = media;
    return check;
  }
  if (ct.Is("text", "plain")) {
    const std::string cte = NormalizeTransferEncoding(top.transfer_encoding);
    bool whole = false;
    if (cte == "base64") {
      if (top.body.size() <= kMaxBase64TextScan) {
        Result<std::string> text = Base64Decode(top.body);
        whole = text.ok() && IsWholeArmour(*text);
      }
    } else {
      whole = IsWholeArmour(top.body);
    }
    if (whole) {
      check.kind = ExistingEncryption::kPgpInline;
      check.reason = "text body is one inline PGP message";
      return check;
    }
  }
  check.reason = media + " is not encrypted";
  return check;
}

}  // namespace seal::crypto
