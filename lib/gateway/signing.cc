// Outbound signing: the signer's certificate and the signing rewrites (see
// lib/gateway/signing.h).
#include "lib/gateway/signing.h"

#include <chrono>
#include <memory>
#include <optional>

#include "lib/crypto/base64.h"
#include "lib/crypto/byte_io.h"
#include "lib/crypto/canonical.h"
#include "lib/crypto/encrypt.h"
#include "lib/crypto/mime_frame.h"
#include "lib/gateway/rewrite.h"
#include "lib/rules/conditions.h"
#include "lib/store/normalize.h"

namespace seal::gateway {
namespace {

constexpr int kMaxDepth = 50;
constexpr size_t kMaxLine = 998;  // RFC 5322 2.1.1, without the CRLF
constexpr int64_t kDay = 86400;

// 8-bit bytes, NUL, or a line longer than kMaxLine.
bool NeedsEncoding(std::string_view s) {
  size_t line = 0;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x80 || u == 0) return true;
    if (c == '\n') {
      line = 0;
    } else if (c != '\r' && ++line > kMaxLine) {
      return true;
    }
  }
  return false;
}

// The fields of `header_block` except those called `drop`, without the
// empty line that ends the block.
std::string FieldsWithout(std::string_view header_block,
                          std::string_view drop) {
  std::string out;
  bool skipping = false;
  size_t pos = 0;
  while (pos < header_block.size()) {
    size_t eol = header_block.find('\n', pos);
    size_t next = eol == std::string_view::npos ? header_block.size() : eol + 1;
    std::string_view line = header_block.substr(pos, next - pos);
    pos = next;
    if (line == "\r\n" || line == "\n") break;  // the empty line
    bool continuation = line[0] == ' ' || line[0] == '\t';
    if (!continuation) {
      size_t colon = line.find(':');
      std::string_view name = line.substr(0, colon);
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) {
        name.remove_suffix(1);
      }
      skipping = crypto::EqualsIgnoreCase(name, drop);
    }
    if (!skipping) out.append(line);
  }
  return out;
}

struct Delimiter {
  size_t line_start;   // the delimiter line
  size_t line_end;     // after its line end
  size_t content_end;  // where the previous part ends (its CRLF excluded)
  bool close;
};

// The delimiter lines of a multipart body.
std::vector<Delimiter> FindDelimiters(std::string_view body,
                                      std::string_view boundary) {
  std::vector<Delimiter> out;
  std::string dash = "--" + std::string(boundary);
  size_t pos = 0;
  while (pos < body.size()) {
    size_t eol = body.find('\n', pos);
    size_t next = eol == std::string_view::npos ? body.size() : eol + 1;
    std::string_view line = body.substr(pos, next - pos);
    if (line.substr(0, dash.size()) == dash) {
      std::string_view rest = line.substr(dash.size());
      bool close = rest.substr(0, 2) == "--";
      if (close) rest.remove_prefix(2);
      bool only_space = rest.find_first_not_of(" \t\r\n") == std::string::npos;
      if (only_space) {
        size_t content_end = pos;
        if (content_end > 0 && body[content_end - 1] == '\n') --content_end;
        if (content_end > 0 && body[content_end - 1] == '\r') --content_end;
        out.push_back({pos, next, content_end, close});
        if (close) break;
      }
    }
    pos = next;
  }
  return out;
}

Result<std::optional<std::string>> Encode(std::string_view entity, int depth);

Result<std::optional<std::string>> EncodeMultipart(
    const crypto::ParsedEntity& pe, std::string_view boundary, int depth) {
  std::string_view body = pe.body;
  std::vector<Delimiter> d = FindDelimiters(body, boundary);
  if (d.empty()) return std::optional<std::string>();
  std::string out(pe.header_block);
  out.append(body.substr(0, d[0].line_start));
  bool changed = false;
  for (size_t i = 0; i < d.size(); ++i) {
    out.append(body.substr(d[i].line_start, d[i].line_end - d[i].line_start));
    if (d[i].close) break;
    size_t begin = d[i].line_end;
    size_t end = i + 1 < d.size() ? d[i + 1].content_end : body.size();
    if (end < begin) end = begin;
    std::string_view part = body.substr(begin, end - begin);
    Result<std::optional<std::string>> enc = Encode(part, depth + 1);
    if (!enc.ok()) return enc.status();
    if (enc->has_value()) {
      out.append(**enc);
      changed = true;
    } else {
      out.append(part);
    }
    if (i + 1 < d.size()) {
      out.append(body.substr(end, d[i + 1].line_start - end));
    }
  }
  if (d.back().close) out.append(body.substr(d.back().line_end));
  if (!changed) return std::optional<std::string>();
  return std::optional<std::string>(std::move(out));
}

Result<std::optional<std::string>> Encode(std::string_view entity, int depth) {
  if (depth > kMaxDepth) {
    return ResourceExhaustedError("MIME nesting deeper than 50 levels");
  }
  if (!NeedsEncoding(entity)) return std::optional<std::string>();
  Result<crypto::ParsedEntity> pe = crypto::SplitEntity(entity);
  if (!pe.ok()) return pe.status();
  const std::string* type_value = pe->Find("Content-Type");
  Result<crypto::ContentType> ct =
      crypto::ParseContentType(type_value ? *type_value : "");
  if (!ct.ok()) ct = crypto::ParseContentType("");  // treat as text/plain
  if (ct->type == "multipart") {
    std::string boundary = ct->Param("boundary");
    if (boundary.empty()) return std::optional<std::string>();
    return EncodeMultipart(*pe, boundary, depth);
  }
  if (ct->type == "message") return std::optional<std::string>();  // limit
  const std::string* cte_value = pe->Find("Content-Transfer-Encoding");
  std::string cte =
      crypto::NormalizeTransferEncoding(cte_value ? *cte_value : "");
  if (cte == "base64" || cte == "quoted-printable") {
    return std::optional<std::string>();
  }
  if (!NeedsEncoding(pe->body)) return std::optional<std::string>();
  std::string out =
      FieldsWithout(pe->header_block, "Content-Transfer-Encoding");
  out += "Content-Transfer-Encoding: base64\r\n\r\n";
  if (ct->type == "text") {
    out += crypto::Base64EncodeLines(crypto::CanonicalizeCrlf(pe->body));
  } else {
    out += crypto::Base64EncodeLines(pe->body);
  }
  return std::optional<std::string>(std::move(out));
}

// The message's content as an entity: its Content-* fields, the empty
// line, the body. Views into the message.
std::vector<std::string_view> EntityPieces(const MessageParts& m) {
  std::vector<std::string_view> pieces;
  for (const RawField& f : m.fields) {
    if (IsContentField(f.name)) pieces.push_back(f.raw);
  }
  pieces.push_back("\r\n");
  pieces.push_back(m.body);
  return pieces;
}

// Header edits: the old content fields go, the new entity's come.
void ReplaceContentFields(const MessageParts& m,
                          const std::vector<crypto::HeaderField>& headers,
                          EditPlan& plan) {
  DeleteFields(m, IsContentField, plan);
  if (FindField(m, "MIME-Version") == nullptr) {
    plan.headers.push_back(
        HeaderEdit{HeaderEdit::Kind::kAdd, "MIME-Version", 1, "1.0"});
  }
  for (const crypto::HeaderField& h : headers) {
    plan.headers.push_back(
        HeaderEdit{HeaderEdit::Kind::kAdd, h.name, 1, h.value});
  }
}

int64_t Now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool UsableForSigning(const store::CertificateRecord& r, int64_t now) {
  return r.has_private_key && !r.revoked && !r.is_ca && r.ValidAt(now) &&
         (r.usage & store::kUsageSign) != 0;
}

Result<ChosenSigner> Load(const Services& services,
                          const store::CertificateRecord& rec) {
  Result<crypto::Certificate> cert = crypto::Certificate::FromDer(rec.der);
  if (!cert.ok()) return cert.status().WithContext("signing certificate");
  Result<EvpPkeyPtr> key = services.vault->GetPrivateKey(rec.sha256);
  if (!key.ok()) {
    return key.status().WithContext("signing key of " + rec.subject);
  }
  Result<crypto::KeyPair> pair =
      crypto::KeyPair::Make(std::move(cert).value(),
                            crypto::PrivateKey::Adopt(std::move(key).value()));
  if (!pair.ok()) return pair.status().WithContext("signing key");
  ChosenSigner out;
  out.signer.key = std::move(pair).value();
  out.cert_sha256 = rec.sha256;
  return out;
}

}  // namespace

Result<std::optional<std::string>> SevenBitEntity(std::string_view entity) {
  return Encode(entity, 0);
}

Result<ChosenSigner> SignerFor(std::string_view sender,
                               const Services& services, const Config& config,
                               int64_t now) {
  if (services.store == nullptr) {
    return FailedPreconditionError("certificate store unavailable: " +
                                   services.store_error);
  }
  if (services.vault == nullptr) {
    return FailedPreconditionError("no master key: " + services.key_error);
  }
  Result<std::string> address = store::NormalizeAddress(sender);
  if (!address.ok()) return address.status().WithContext("sender");
  store::CertificateFilter filter;
  filter.address = *address;
  filter.with_private_key = true;
  Result<std::vector<store::CertificateRecord>> mine =
      services.store->ListCertificates(filter);
  if (!mine.ok()) return mine.status().WithContext("certificate store");
  const int64_t window = config.ca.renew_days * kDay;
  const store::CertificateRecord* fresh = nullptr;
  const store::CertificateRecord* ending = nullptr;
  for (const store::CertificateRecord& r : *mine) {  // newest first
    if (!UsableForSigning(r, now)) continue;
    if (r.not_after - now > window) {
      if (fresh == nullptr) fresh = &r;
    } else if (ending == nullptr) {
      ending = &r;
    }
  }
  if (fresh != nullptr) return Load(services, *fresh);

  bool internal = rules::DomainListMatches(config.gateway.internal_domains,
                                           rules::DomainOf(*address));
  std::string why_not;
  if (!config.ca.issue_on_demand) {
    why_not = "ca.issue_on_demand is off";
  } else if (services.authority == nullptr) {
    why_not = "no built-in CA (sealctl ca init)";
  } else if (!internal) {
    why_not = "the sender is not in gateway.internal_domains";
  } else {
    Result<ca::Issued> issued =
        services.authority->EnsureCurrent(*address, now);
    if (issued.ok() && UsableForSigning(issued->cert, now)) {
      Result<ChosenSigner> out = Load(services, issued->cert);
      if (out.ok()) {
        out->newly_issued = issued->newly_issued;
        if (!issued->warning.ok()) out->note = issued->warning.message();
      }
      return out;
    }
    why_not = issued.ok() ? "the issued certificate does not allow signing"
                          : "issuing failed: " + issued.status().message();
  }
  if (ending != nullptr) {
    Result<ChosenSigner> out = Load(services, *ending);
    if (out.ok()) {
      out->note =
          "certificate ends within ca.renew_days and was not renewed (" +
          why_not + ")";
    }
    return out;
  }
  return NotFoundError("no signing certificate with a key for " + *address +
                       " (" + why_not + ")");
}

Result<ChosenSigner> SignerFor(std::string_view sender,
                               const Services& services, const Config& config) {
  return SignerFor(sender, services, config, Now());
}

Result<EditPlan> RewriteSign(const MessageParts& message,
                             const crypto::Signer& signer,
                             const SpoolOptions& spool) {
  std::vector<std::string_view> pieces = EntityPieces(message);
  std::optional<std::string> encoded;
  if (NeedsEncoding(message.body)) {
    std::string entity;
    for (std::string_view p : pieces) entity.append(p);
    Result<std::optional<std::string>> enc = SevenBitEntity(entity);
    if (!enc.ok()) return enc.status().WithContext("transfer encoding");
    encoded = std::move(enc).value();
  }
  crypto::ByteSource source =
      encoded ? crypto::ByteSource(std::string_view(*encoded))
              : crypto::ByteSource(std::move(pieces));
  crypto::SignOptions options;
  options.emit_headers = false;
  EditPlan plan;
  plan.body = std::make_unique<Spool>(spool);
  Result<std::vector<crypto::HeaderField>> headers = crypto::SignEntity(
      source, signer, options, crypto::SpoolSink(plan.body.get()));
  if (!headers.ok()) return headers.status().WithContext("S/MIME signing");
  ReplaceContentFields(message, *headers, plan);
  return plan;
}

Result<EditPlan> RewriteSignEncrypt(
    const MessageParts& message, const crypto::Signer& signer,
    const std::vector<crypto::Certificate>& certs, const SpoolOptions& spool) {
  std::vector<crypto::EncryptRecipient> recipients;
  for (const crypto::Certificate& c : certs) recipients.push_back({c, {}});
  return RewriteSignEncrypt(message, signer, recipients,
                            crypto::EncryptOptions{}.cipher, spool);
}

Result<EditPlan> RewriteSignEncrypt(
    const MessageParts& message, const crypto::Signer& signer,
    const std::vector<crypto::EncryptRecipient>& recipients,
    crypto::ContentCipher cipher, const SpoolOptions& spool) {
  crypto::ByteSource source(EntityPieces(message));
  crypto::SignOptions sign_options;
  sign_options.emit_headers = true;  // the signed entity inside is whole
  crypto::EncryptOptions encrypt_options;
  encrypt_options.cipher = cipher;
  encrypt_options.emit_headers = false;
  EditPlan plan;
  plan.body = std::make_unique<Spool>(spool);
  Result<std::vector<crypto::HeaderField>> headers =
      crypto::SignAndEncryptEntity(source, signer, sign_options, recipients,
                                   encrypt_options,
                                   crypto::SpoolSink(plan.body.get()));
  if (!headers.ok()) {
    return headers.status().WithContext("S/MIME signing and encryption");
  }
  ReplaceContentFields(message, *headers, plan);
  return plan;
}

}  // namespace seal::gateway
