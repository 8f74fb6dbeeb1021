// Inbound S/MIME: strip, decrypt, verify, harvest, tag (see
// lib/gateway/inbound.h).
#include "lib/gateway/inbound.h"

#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/x509.h>

#include <memory>
#include <optional>
#include <set>

#include "lib/ascii.h"
#include "lib/crypto/already_encrypted.h"
#include "lib/crypto/byte_io.h"
#include "lib/crypto/cms_input.h"
#include "lib/crypto/decrypt.h"
#include "lib/crypto/mime_frame.h"
#include "lib/crypto/ossl.h"
#include "lib/crypto/verify.h"
#include "lib/envelope/mime_writer.h"
#include "lib/gateway/harvest.h"
#include "lib/gateway/rewrite.h"
#include "lib/mime/address_list.h"
#include "lib/mime/charset.h"
#include "lib/mime/encoded_words.h"
#include "lib/mime/header_fields.h"

namespace seal::gateway {
namespace {

constexpr std::string_view kDefaultResultHeader = "X-Seal-Result";
constexpr size_t kMaxRecipientInfos = 64;

// How a RecipientInfo names its certificate.
struct RecipientId {
  std::string issuer_der;  // with serial
  std::string serial;      // SerialHex form
  std::string ski;         // lower-case hex, or ""
};

std::string LowerHex(const ASN1_OCTET_STRING* s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  const unsigned char* d = ASN1_STRING_get0_data(s);
  for (int i = 0; i < ASN1_STRING_length(s); ++i) {
    out += kHex[d[i] >> 4];
    out += kHex[d[i] & 15];
  }
  return out;
}

std::optional<RecipientId> MakeId(ASN1_OCTET_STRING* keyid, X509_NAME* issuer,
                                  ASN1_INTEGER* serial) {
  RecipientId id;
  if (keyid != nullptr) {
    id.ski = LowerHex(keyid);
    return id;
  }
  if (issuer == nullptr || serial == nullptr) return std::nullopt;
  unsigned char* der = nullptr;
  int n = i2d_X509_NAME(issuer, &der);
  if (n <= 0) return std::nullopt;
  id.issuer_der.assign(reinterpret_cast<const char*>(der),
                       static_cast<size_t>(n));
  OPENSSL_free(der);
  BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
  if (bn == nullptr) return std::nullopt;
  char* hex = BN_bn2hex(bn);
  BN_free(bn);
  if (hex == nullptr) return std::nullopt;
  id.serial = hex;
  OPENSSL_free(hex);
  return id;
}

// The certificates the RecipientInfos of `cms` name (key transport and key
// agreement), at most kMaxRecipientInfos.
std::vector<RecipientId> RecipientIds(CMS_ContentInfo* cms, bool& truncated) {
  std::vector<RecipientId> ids;
  STACK_OF(CMS_RecipientInfo)* ris = CMS_get0_RecipientInfos(cms);
  for (int i = 0; i < sk_CMS_RecipientInfo_num(ris); ++i) {
    CMS_RecipientInfo* ri = sk_CMS_RecipientInfo_value(ris, i);
    int type = CMS_RecipientInfo_type(ri);
    if (type == CMS_RECIPINFO_TRANS) {
      ASN1_OCTET_STRING* keyid = nullptr;
      X509_NAME* issuer = nullptr;
      ASN1_INTEGER* serial = nullptr;
      if (CMS_RecipientInfo_ktri_get0_signer_id(ri, &keyid, &issuer, &serial) ==
          1) {
        if (auto id = MakeId(keyid, issuer, serial)) ids.push_back(*id);
      }
    } else if (type == CMS_RECIPINFO_AGREE) {
      STACK_OF(CMS_RecipientEncryptedKey)* reks =
          CMS_RecipientInfo_kari_get0_reks(ri);
      for (int j = 0; j < sk_CMS_RecipientEncryptedKey_num(reks); ++j) {
        ASN1_OCTET_STRING* keyid = nullptr;
        X509_NAME* issuer = nullptr;
        ASN1_INTEGER* serial = nullptr;
        if (CMS_RecipientEncryptedKey_get0_id(
                sk_CMS_RecipientEncryptedKey_value(reks, j), &keyid, nullptr,
                nullptr, &issuer, &serial) == 1) {
          if (auto id = MakeId(keyid, issuer, serial)) ids.push_back(*id);
        }
      }
    }
    if (ids.size() >= kMaxRecipientInfos) {
      truncated = true;
      break;
    }
  }
  crypto::ClearOpenSslErrors();
  return ids;
}

// Why a message could not be decrypted, as the result header says it.
enum class Undecryptable {
  kNoKey,
  kDamaged,
  kNoMasterKey,
  kStoreError,
  kNotForRecipient,  // encrypted to others than the envelope's recipients
};

std::string_view UndecryptableName(Undecryptable u) {
  switch (u) {
    case Undecryptable::kNoKey:
      return "no-key";
    case Undecryptable::kDamaged:
      return "damaged";
    case Undecryptable::kNoMasterKey:
      return "no-master-key";
    case Undecryptable::kStoreError:
      return "store-error";
    case Undecryptable::kNotForRecipient:
      return "not-for-recipient";
  }
  return "damaged";
}

struct Failure {
  Undecryptable why;
  std::string message;  // for the log
};

bool IsPkcs7Type(const crypto::ContentType& ct) {
  return ct.type == "application" &&
         (ct.subtype == "pkcs7-mime" || ct.subtype == "x-pkcs7-mime");
}

bool IsSigned(const crypto::EntityRef& e) {
  Result<crypto::ContentType> ct = crypto::ParseContentType(e.content_type);
  if (!ct.ok()) return false;
  if (ct->Is("multipart", "signed")) {
    std::string protocol = crypto::ToLowerAscii(ct->Param("protocol"));
    return protocol == "application/pkcs7-signature" ||
           protocol == "application/x-pkcs7-signature";
  }
  if (IsPkcs7Type(*ct)) {
    std::string smime_type = crypto::ToLowerAscii(ct->Param("smime-type"));
    return smime_type == "signed-data";
  }
  return false;
}

// Labelled or found to be EnvelopedData / AuthEnvelopedData. Unlike the
// outbound check, the label alone counts: a damaged body under it is
// reported undecryptable, not taken for plain mail.
bool IsEnveloped(const crypto::EntityRef& e) {
  if (Result<crypto::ContentType> ct = crypto::ParseContentType(e.content_type);
      ct.ok() && IsPkcs7Type(*ct)) {
    std::string smime_type = crypto::ToLowerAscii(ct->Param("smime-type"));
    if (smime_type == "enveloped-data" || smime_type == "authenveloped-data") {
      return true;
    }
  }
  crypto::ExistingEncryption kind = crypto::DetectExistingEncryption(e).kind;
  return kind == crypto::ExistingEncryption::kSmimeEnveloped ||
         kind == crypto::ExistingEncryption::kSmimeAuthEnveloped;
}

crypto::EntityRef TopEntity(const MessageParts& m) {
  crypto::EntityRef top;
  if (const RawField* f = FindField(m, "Content-Type")) {
    top.content_type = f->value;
  }
  if (const RawField* f = FindField(m, "Content-Transfer-Encoding")) {
    top.transfer_encoding = f->value;
  }
  top.body = m.body;
  return top;
}

bool IsFieldName(std::string_view name) {
  if (name.empty() || name.size() > 76) return false;
  for (char c : name) {
    if (c <= 32 || c >= 127 || c == ':') return false;
  }
  return true;
}

// A token for the result header: printable ASCII without ';', '"', '\\'
// or white space; anything else is left out.
bool IsHeaderToken(std::string_view s) {
  if (s.empty() || s.size() > 254) return false;
  for (char c : s) {
    if (c <= 32 || c >= 127 || c == ';' || c == '"' || c == '\\') return false;
  }
  return true;
}

// A quoted-string with only printable ASCII (others become '?'), short.
std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s.substr(0, 120)) {
    if (c == '"' || c == '\\') {
      out += '\'';
    } else if (c < 32 || c >= 127) {
      out += '?';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

// `s` starts with `tag` in any case, and the tag ends there: a bracketed
// tag ("[signed OK]Pay") whatever follows, a word-like one only before a
// non-alphanumeric character or the end.
bool StartsWithTag(std::string_view s, std::string_view tag) {
  if (tag.empty() || s.size() < tag.size() ||
      !EqualsIgnoreAsciiCase(s.substr(0, tag.size()), tag)) {
    return false;
  }
  return s.size() == tag.size() || !IsAsciiAlnum(tag.back()) ||
         !IsAsciiAlnum(s[tag.size()]);
}

// `s` without its leading spaces and tabs.
std::string_view SkipBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  return s;
}

bool HasLeadingTag(std::string_view s, const std::vector<std::string>& tags) {
  s = SkipBlanks(s);
  for (const std::string& t : tags) {
    if (StartsWithTag(s, t)) return true;
  }
  return false;
}

// `subject` (raw) decoded from RFC 2047 when it has encoded-words, so a
// tag hidden in "=?UTF-8?Q?=5Bsigned_OK=5D?=" is seen as the reader sees
// it; nullopt when there is nothing to decode.
std::optional<std::string> DecodedSubject(std::string_view subject) {
  if (subject.find("=?") == std::string_view::npos) return std::nullopt;
  mime::CharsetConverter conv;
  mime::TextIssues issues;
  return mime::DecodeEncodedWords(mime::UnfoldValue(subject), conv, issues);
}

class Inbound {
 public:
  Inbound(const MessageParts& m, const Envelope& env, const Config& config,
          const Services& services, const SpoolOptions& spool)
      : m_(m),
        env_(env),
        config_(config),
        in_(config.inbound),
        services_(services),
        spool_(spool) {}

  // Every copy of our result header goes; returns its name.
  std::string RemoveResultHeaders() {
    std::string header = ResultHeaderName(config_);
    if (header != in_.result_header) {
      Warn("inbound.result_header \"" + in_.result_header +
           "\" is not a valid field name; using " + header);
    }
    int spoofed = 0;
    DeleteFields(
        m_,
        [&](std::string_view name) {
          bool drop = crypto::EqualsIgnoreCase(name, header);
          spoofed += drop ? 1 : 0;
          return drop;
        },
        out_.plan);
    if (spoofed > 0)
      Detail("removed_result_headers=" + std::to_string(spoofed));
    return header;
  }

  // Internal mail: only the forged verdicts go.
  InboundOutcome RemoveVerdicts() {
    RemoveResultHeaders();
    SubjectEdit({}, /*signature_tags_only=*/true);
    return std::move(out_);
  }

  InboundOutcome Run() {
    const std::string header = RemoveResultHeaders();

    crypto::EntityRef top = TopEntity(m_);
    bool enveloped = IsEnveloped(top);
    bool is_signed = !enveloped && IsSigned(top);
    if (!enveloped && !is_signed) {
      SubjectEdit({});  // a tag the sender wrote themselves goes
      return std::move(out_);
    }
    out_.smime = true;

    std::vector<std::string> result;  // the result header's parts
    std::vector<std::string> tags;
    if (enveloped) {
      if (!in_.decrypt) {
        Detail("smime=encrypted decrypt=off");
        SubjectEdit({});
        return std::move(out_);
      }
      std::optional<Failure> failed = Decrypt(top, result);
      if (failed) return Undecrypted(*failed, header);
      if (!in_.tag_encrypted.empty()) tags.push_back(in_.tag_encrypted);
    } else {
      result.push_back("smime=signed");
      Detail("smime=signed");
      out_.verb = "verified";
      CheckSignature(top, result, tags);
    }
    Finish(header, result, tags);
    return std::move(out_);
  }

 private:
  void Warn(std::string s) { out_.warnings.push_back(std::move(s)); }
  void Detail(const std::string& s) {
    if (!out_.detail.empty()) out_.detail += ' ';
    out_.detail += s;
  }

  // The candidates' key pairs, or why there are none.
  Result<std::vector<crypto::KeyPair>> Keys(const crypto::EntityRef& top,
                                            Failure& why) {
    why = {Undecryptable::kDamaged, ""};
    Result<crypto::OpenedCms> cms =
        crypto::OpenCmsBody(top.body, top.transfer_encoding);
    if (!cms.ok()) {
      why.message = cms.status().message();
      return cms.status();
    }
    if (services_.store == nullptr) {
      why = {Undecryptable::kStoreError,
             "certificate store unavailable: " + services_.store_error};
      return FailedPreconditionError(why.message);
    }
    if (services_.vault == nullptr) {
      why = {Undecryptable::kNoMasterKey,
             "no master key: " + services_.key_error};
      return FailedPreconditionError(why.message);
    }
    bool truncated = false;
    std::vector<RecipientId> ids = RecipientIds(cms->cms.get(), truncated);
    if (truncated) {
      Warn("more than 64 RecipientInfos; only the first 64 are looked up");
    }
    std::vector<crypto::KeyPair> keys;
    std::set<std::string> seen;
    std::string key_problem;
    // Whom the message is encrypted to, as far as the store knows: the
    // addresses and domain-certificate domains of the RecipientInfos'
    // certificates, with a private key here or not.
    std::set<std::string> to_addresses, to_domains;
    for (const RecipientId& id : ids) {
      Result<std::vector<store::CertificateRecord>> found =
          id.ski.empty()
              ? services_.store->FindByIssuerSerial(id.issuer_der, id.serial)
              : services_.store->FindBySki(id.ski);
      if (!found.ok()) {
        if (found.status().code() == StatusCode::kNotFound) continue;
        why = {Undecryptable::kStoreError,
               "certificate store: " + found.status().message()};
        return found.status();
      }
      for (const store::CertificateRecord& rec : *found) {
        to_addresses.insert(rec.emails.begin(), rec.emails.end());
        to_domains.insert(rec.domains.begin(), rec.domains.end());
        if (!rec.has_private_key || !seen.insert(rec.sha256).second) continue;
        Result<EvpPkeyPtr> key = services_.vault->GetPrivateKey(rec.sha256);
        if (!key.ok()) {
          key_problem =
              "private key of " + rec.subject + ": " + key.status().message();
          if (key.status().code() == StatusCode::kFailedPrecondition) {
            why.why = Undecryptable::kNoMasterKey;
          }
          Warn(key_problem);
          continue;
        }
        Result<crypto::Certificate> cert =
            crypto::Certificate::FromDer(rec.der);
        if (!cert.ok()) continue;
        Result<crypto::KeyPair> pair = crypto::KeyPair::Make(
            std::move(cert).value(),
            crypto::PrivateKey::Adopt(std::move(key).value()));
        if (pair.ok()) keys.push_back(std::move(pair).value());
      }
    }
    if (keys.empty()) {
      if (why.why != Undecryptable::kNoMasterKey)
        why.why = Undecryptable::kNoKey;
      why.message = key_problem.empty()
                        ? "no private key in the store for any of the " +
                              std::to_string(ids.size()) +
                              " recipient(s) the message is encrypted to"
                        : key_problem;
      return NotFoundError(why.message);
    }
    // The plaintext goes to every envelope recipient, so each must be one
    // the sender encrypted to: otherwise anyone holding a copy of the
    // ciphertext could have it decrypted by re-sending it to themselves.
    for (const std::string& rcpt : env_.recipients) {
      const std::string address = crypto::ToLowerAscii(rcpt);
      const size_t at = address.rfind('@');
      const std::string domain =
          at == std::string::npos ? "" : address.substr(at + 1);
      if (to_addresses.count(address) == 0 && to_domains.count(domain) == 0) {
        why = {
            Undecryptable::kNotForRecipient,
            "not decrypted: encrypted to others than recipient <" + rcpt + ">"};
        return FailedPreconditionError(why.message);
      }
    }
    return keys;
  }

  std::optional<Failure> Decrypt(const crypto::EntityRef& top,
                                 std::vector<std::string>& result) {
    Failure why;
    Result<std::vector<crypto::KeyPair>> keys = Keys(top, why);
    if (!keys.ok()) return why;
    Spool plain(spool_);
    Result<crypto::DecryptResult> dr =
        crypto::DecryptEntity(top, *keys, crypto::SpoolSink(&plain));
    if (!dr.ok()) {
      return Failure{dr.status().code() == StatusCode::kNotFound
                         ? Undecryptable::kNoKey
                         : Undecryptable::kDamaged,
                     dr.status().message()};
    }
    Result<SpoolView> view = plain.Map();
    if (!view.ok())
      return Failure{Undecryptable::kDamaged, view.status().message()};
    Result<crypto::ParsedEntity> inner = crypto::SplitEntity(view->data());
    if (!inner.ok()) {
      return Failure{Undecryptable::kDamaged,
                     "the decrypted content is not a MIME entity: " +
                         inner.status().message()};
    }
    // The new content: the decrypted entity's Content-* fields and body.
    auto body = std::make_unique<Spool>(spool_);
    if (Status s = body->Append(inner->body); !s.ok()) {
      return Failure{Undecryptable::kDamaged, s.message()};
    }
    DeleteFields(m_, IsContentField, out_.plan);
    if (FindField(m_, "MIME-Version") == nullptr) {
      out_.plan.headers.push_back(
          HeaderEdit{HeaderEdit::Kind::kAdd, "MIME-Version", 1, "1.0"});
    }
    int dropped = 0;
    for (const crypto::HeaderField& h : inner->headers) {
      if (!IsContentField(h.name)) {
        ++dropped;
        continue;
      }
      out_.plan.headers.push_back(
          HeaderEdit{HeaderEdit::Kind::kAdd, h.name, 1, h.value});
    }
    out_.plan.body = std::move(body);
    const crypto::KeyPair& used = (*keys)[dr->key_index];
    out_.verb = "decrypted";
    result.push_back("smime=decrypted");
    Detail(std::string("smime=decrypted") +
           (dr->authenticated ? " aead=yes" : "") +
           " key=" + used.cert.Sha256Fingerprint().substr(0, 16));
    if (dropped > 0) Detail("inner_fields_dropped=" + std::to_string(dropped));
    if (IsSigned(inner->ref())) {
      CheckSignature(inner->ref(), result, tags_after_decrypt_);
    }
    return std::nullopt;
  }

  // The one address a signature must be bound to: the From field's
  // mailbox, or the envelope sender when there is no From field. "" with
  // `why` set when there is none to bind to: several From fields or
  // mailboxes, a From without an address, no address at all. (A reader
  // sees the From field; a signer matching only some other address proves
  // nothing about it.)
  std::string SenderAddress(std::string& why) const {
    int from_fields = 0;
    for (const RawField& f : m_.fields) {
      if (EqualsIgnoreAsciiCase(f.name, "From")) ++from_fields;
    }
    if (from_fields > 1) {
      why = "the message has " + std::to_string(from_fields) + " From fields";
      return "";
    }
    if (const RawField* from = FindField(m_, "From")) {
      std::vector<std::string> list = mime::ParseAddressList(from->value);
      if (list.size() == 1 && !list.front().empty()) return list.front();
      why = list.empty() ? "the From field has no address"
                         : "the From field has " + std::to_string(list.size()) +
                               " addresses";
      return "";
    }
    if (env_.sender.empty()) why = "neither a From field nor a sender";
    return env_.sender;
  }

  // Why a signer of `vr` must not count although its chain is good: its
  // certificate is marked revoked in the store (sealctl keys rollover
  // --revoke-previous, a compromised key), which no CRL may say yet.
  // "" when none is; a store that cannot answer is logged, not fatal (the
  // CRLs and the chain still apply).
  std::string RevokedInStore(const crypto::VerifyResult& vr) {
    if (services_.store == nullptr) return "";
    for (const crypto::SignerReport& s : vr.signers) {
      if (!s.cert.valid()) continue;
      Result<store::CertificateRecord> rec =
          services_.store->GetCertificate(s.cert.Sha256Fingerprint());
      if (rec.ok() && rec->revoked) {
        return "the signer's certificate is marked revoked in the store";
      }
      if (!rec.ok() && rec.status().code() != StatusCode::kNotFound) {
        Warn("revocation of the signer not checked: " + rec.status().message());
      }
    }
    return "";
  }

  void CheckSignature(const crypto::EntityRef& entity,
                      std::vector<std::string>& result,
                      std::vector<std::string>& tags) {
    if (!in_.verify) {
      result.push_back("signature=unchecked");
      Detail("signature=unchecked");
      return;
    }
    if (!services_.trust) {
      result.push_back("signature=unchecked");
      Detail("signature=unchecked reason=no-trust-store");
      Warn("signature not checked: no trust store");
      return;
    }
    crypto::VerifyOptions options;
    std::string unbound;
    options.sender_address = SenderAddress(unbound);
    uint64_t discarded = 0;
    crypto::ByteSink discard = crypto::DiscardSink(&discarded);
    Result<crypto::VerifyResult> vr =
        crypto::VerifyEntity(entity, *services_.trust, options, &discard);
    if (vr.ok() && !unbound.empty() &&
        vr->status == crypto::SignatureStatus::kValid) {
      // A good signature, but by whom the reader cannot tell.
      vr->status = crypto::SignatureStatus::kUntrusted;
      vr->reason = "signer not bound to the sender: " + unbound;
    }
    if (vr.ok() && vr->status == crypto::SignatureStatus::kValid) {
      if (std::string revoked = RevokedInStore(*vr); !revoked.empty()) {
        vr->status = crypto::SignatureStatus::kUntrusted;
        vr->reason = revoked;
      }
    }
    auto invalid_tag = [&] {
      if (!in_.tag_signed_invalid.empty()) {
        tags.push_back(in_.tag_signed_invalid);
      }
    };
    if (!vr.ok()) {
      result.push_back("signature=malformed");
      Detail("signature=malformed");
      Warn("signature cannot be read: " + vr.status().message());
      invalid_tag();
      return;
    }
    std::string status(crypto::SignatureStatusName(vr->status));
    result.push_back("signature=" + status);
    Detail("signature=" + status);
    std::string signer;
    for (const crypto::SignerReport& s : vr->signers) {
      if (!s.cert.valid()) continue;
      for (const std::string& e : s.emails) {
        if (crypto::EqualsIgnoreCase(e, options.sender_address)) signer = e;
      }
      if (signer.empty() && !s.emails.empty()) signer = s.emails.front();
      if (!signer.empty()) break;
    }
    if (IsHeaderToken(signer)) {
      result.push_back("signer=" + signer);
      Detail("signer=" + signer);
    }
    if (vr->status != crypto::SignatureStatus::kValid) {
      if (!vr->reason.empty()) result.push_back("reason=" + Quoted(vr->reason));
      invalid_tag();
      return;
    }
    if (!in_.tag_signed_ok.empty()) tags.push_back(in_.tag_signed_ok);
    if (in_.harvest && services_.store != nullptr) {
      HarvestReport h = HarvestSigners(*services_.store, *vr);
      for (std::string& w : h.warnings) Warn(std::move(w));
      Detail("harvested=" + std::to_string(h.certificates));
    }
  }

  InboundOutcome Undecrypted(const Failure& f, const std::string& header) {
    std::string reason(UndecryptableName(f.why));
    Warn("cannot decrypt: " + f.message);
    Detail("smime=undecryptable reason=" + reason);
    // Nothing of a half-made decryption is applied; the header removal
    // stays.
    EditPlan plan;
    for (HeaderEdit& h : out_.plan.headers) {
      if (h.kind == HeaderEdit::Kind::kDelete &&
          crypto::EqualsIgnoreCase(h.name, header)) {
        plan.headers.push_back(std::move(h));
      }
    }
    out_.plan = std::move(plan);
    SubjectEdit({});
    out_.plan.headers.push_back(
        HeaderEdit{HeaderEdit::Kind::kAdd, header, 1,
                   "smime=undecryptable; reason=" + reason});
    bool ours = f.why == Undecryptable::kNoMasterKey ||
                f.why == Undecryptable::kStoreError;
    if (in_.undecryptable == "reject") {
      out_.final = true;
      out_.plan = EditPlan();
      out_.verdict =
          ours ? Verdict::Tempfail(
                     "Encrypted message cannot be decrypted now, try again "
                     "later",
                     "451", "4.7.0")
               : Verdict::Reject("550", "5.7.1",
                                 "Encrypted message cannot be decrypted here");
    } else if (in_.undecryptable == "quarantine") {
      out_.final = true;
      out_.plan.quarantine =
          "sealmilter: undecryptable S/MIME (" + reason + ")";
    }
    return std::move(out_);
  }

  void Finish(const std::string& header, const std::vector<std::string>& result,
              std::vector<std::string>& tags) {
    for (std::string& t : tags_after_decrypt_) tags.push_back(std::move(t));
    SubjectEdit(tags);
    std::string value;
    for (const std::string& r : result) {
      if (!value.empty()) value += "; ";
      value += r;
    }
    out_.plan.headers.push_back(
        HeaderEdit{HeaderEdit::Kind::kAdd, header, 1, value});
  }

  // Sets the Subject to carry `tags` (and no copy of ours the sender put).
  // `signature_tags_only`: internal mail, where "[secure]" is also what a
  // colleague types to ask for encryption; only the signature verdicts go.
  void SubjectEdit(const std::vector<std::string>& tags,
                   bool signature_tags_only = false) {
    std::vector<std::string> ours;
    for (const std::string* t :
         {&in_.tag_encrypted, &in_.tag_signed_ok, &in_.tag_signed_invalid}) {
      if (!t->empty()) ours.push_back(*t);
    }
    const RawField* subject = FindField(m_, "Subject");
    std::string before = subject != nullptr ? subject->value : "";
    std::optional<std::string> decoded = DecodedSubject(before);
    // All our tags are taken off the front; for internal mail a leading
    // encryption tag is put back (what the user wrote), so a signature tag
    // behind it goes too.
    std::vector<std::string> add = tags;
    if (signature_tags_only && !in_.tag_encrypted.empty() &&
        HasLeadingTag(decoded ? *decoded : before, {in_.tag_encrypted})) {
      add.insert(add.begin(), in_.tag_encrypted);
    }
    std::string after = TagSubject(before, ours, add);
    // A copy of our tag behind RFC 2047 encoding is removed as well; the
    // rest of the Subject is then written encoded again.
    if (decoded && HasLeadingTag(*decoded, ours)) {
      std::string text = TagSubject(*decoded, ours, add);
      if (text != TagSubject(*decoded, {}, {})) {
        after = envelope::EncodeHeaderValue(text, 7);
      }
    }
    // A second Subject (RFC 5322 allows one) carrying one of our tags,
    // as written or encoded, would show it to a client that displays the
    // last: such copies go, last to first. Others are left as received.
    std::vector<int> forged;
    for (const RawField& f : m_.fields) {
      if (!EqualsIgnoreAsciiCase(f.name, "Subject") || f.occurrence < 2) {
        continue;
      }
      std::optional<std::string> other = DecodedSubject(f.value);
      if (HasLeadingTag(f.value, ours) ||
          (other && HasLeadingTag(*other, ours))) {
        forged.push_back(f.occurrence);
      }
    }
    for (auto it = forged.rbegin(); it != forged.rend(); ++it) {
      out_.plan.headers.push_back(
          HeaderEdit{HeaderEdit::Kind::kDelete, "Subject", *it, ""});
    }
    if (after != before || (subject == nullptr && !after.empty())) {
      out_.plan.headers.push_back(HeaderEdit{subject != nullptr
                                                 ? HeaderEdit::Kind::kChange
                                                 : HeaderEdit::Kind::kAdd,
                                             "Subject", 1, after});
    }
  }

  const MessageParts& m_;
  const Envelope& env_;
  const Config& config_;
  const Config::Inbound& in_;
  const Services& services_;
  const SpoolOptions& spool_;
  InboundOutcome out_;
  std::vector<std::string> tags_after_decrypt_;  // of an inner signature
};

}  // namespace

std::string ResultHeaderName(const Config& config) {
  return IsFieldName(config.inbound.result_header)
             ? config.inbound.result_header
             : std::string(kDefaultResultHeader);
}

std::string TagSubject(std::string_view subject,
                       const std::vector<std::string>& remove_tags,
                       const std::vector<std::string>& tags) {
  std::string_view rest = SkipBlanks(subject);
  for (bool again = true; again;) {
    again = false;
    for (const std::string& t : remove_tags) {
      if (StartsWithTag(rest, t)) {
        rest = SkipBlanks(rest.substr(t.size()));
        again = true;
      }
    }
  }
  std::string out;
  for (const std::string& t : tags) {
    if (t.empty()) continue;
    if (!out.empty()) out += ' ';
    out += t;
  }
  if (!out.empty() && !rest.empty()) out += ' ';
  out += rest;
  return out;
}

InboundOutcome RemoveForgedVerdicts(const MessageParts& message,
                                    const Config& config) {
  const Envelope envelope;
  const Services services;
  const SpoolOptions spool;
  return Inbound(message, envelope, config, services, spool).RemoveVerdicts();
}

InboundOutcome ProcessInbound(const MessageParts& message,
                              const Envelope& envelope, const Config& config,
                              const Services& services,
                              const SpoolOptions& spool) {
  try {
    return Inbound(message, envelope, config, services, spool).Run();
  } catch (const std::exception& e) {
    InboundOutcome out;
    out.final = true;
    out.verdict = Verdict::Tempfail("Internal error, try again later");
    out.warnings.push_back(
        std::string("inbound S/MIME: unexpected exception: ") + e.what());
    out.detail = "smime=error";
    return out;
  }
}

}  // namespace seal::gateway
