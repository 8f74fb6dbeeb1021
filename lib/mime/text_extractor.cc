// Text extraction into MessageText (see text_extractor.h).
#include "lib/mime/text_extractor.h"

#include <cstddef>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "lib/mime/address_list.h"
#include "lib/mime/charset.h"
#include "lib/mime/encoded_words.h"
#include "lib/mime/html_text.h"
#include "lib/mime/warning_list.h"

namespace seal::mime {
namespace {

enum class PartKind { kSkip, kBody, kAttachmentText, kNestedMessage };

bool EndsWithNoCase(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  return NameEquals(s.substr(s.size() - suffix.size()), suffix);
}

bool HasTextExtension(std::string_view name) {
  static constexpr std::string_view kExt[] = {
      ".txt", ".csv", ".json", ".xml", ".log", ".md", ".htm", ".html", ".tsv"};
  for (std::string_view e : kExt) {
    if (EndsWithNoCase(name, e)) return true;
  }
  return false;
}

bool IsHtmlPart(const PartView& p) {
  if (p.type == "text") return p.subtype == "html";
  return EndsWithNoCase(p.FileName(), ".htm") ||
         EndsWithNoCase(p.FileName(), ".html");
}

bool IsTextLikeType(const PartView& p) {
  const std::string_view t = p.type, s = p.subtype;
  if (t == "text") return true;
  if (t == "application") {
    if (s == "json" || s == "xml" || s == "csv" || s == "rtf" || s == "yaml" ||
        s == "x-yaml" || s == "x-csv" || s == "ld+json") {
      return true;
    }
    if (s == "octet-stream" && HasTextExtension(p.FileName())) return true;
  }
  if (s.size() > 5 &&
      (s.substr(s.size() - 5) == "+json" || s.substr(s.size() - 4) == "+xml")) {
    return true;
  }
  if (t == "message" &&
      (s == "delivery-status" || s == "disposition-notification" ||
       s == "feedback-report")) {
    return true;
  }
  return false;
}

PartKind Classify(const PartView& p) {
  const bool attachment =
      p.disposition == Disposition::kAttachment ||
      p.disposition == Disposition::kOther ||
      (!p.FileName().empty() && p.disposition != Disposition::kInline);
  if (p.IsMultipart()) {  // a leaf multipart: its boundary never appeared
    return attachment ? PartKind::kAttachmentText : PartKind::kBody;
  }
  if (p.type == "message" && (p.subtype == "rfc822" || p.subtype == "global")) {
    return PartKind::kNestedMessage;  // encoded, so the parser left it a leaf
  }
  if (p.type == "text" && (p.subtype == "plain" || p.subtype == "html")) {
    return attachment ? PartKind::kAttachmentText : PartKind::kBody;
  }
  return IsTextLikeType(p) ? PartKind::kAttachmentText : PartKind::kSkip;
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// CRLF and lone CR -> LF, so that patterns see one kind of line break.
// CRLF and lone CR become LF, in place. Moves the runs between CRs in
// blocks: a byte loop here cost as much as the RE2::Set scan of the text
// (bench/classify_bench).
void NormalizeNewlines(std::string& text) {
  size_t r = text.find('\r');
  if (r == std::string::npos) return;
  char* d = text.data();
  const size_t n = text.size();
  size_t w = r;
  while (r < n) {  // d[r] is a CR
    if (r + 1 < n && d[r + 1] == '\n') {
      ++r;  // drop the CR; the LF starts the next run
    } else {
      d[w++] = '\n';
      ++r;
    }
    const void* cr = r < n ? std::memchr(d + r, '\r', n - r) : nullptr;
    const size_t end =
        cr == nullptr ? n
                      : static_cast<size_t>(static_cast<const char*>(cr) - d);
    std::memmove(d + w, d + r, end - r);
    w += end - r;
    r = end;
  }
  text.resize(w);
}

// NUL is valid UTF-8 but never meant as text: U+FFFD instead.
void ReplaceNuls(std::string& text) {
  if (text.find('\0') == std::string::npos) return;
  std::string clean;
  clean.reserve(text.size() + 16);
  for (char c : text) {
    if (c == '\0') {
      clean += "\xEF\xBF\xBD";
    } else {
      clean.push_back(c);
    }
  }
  text = std::move(clean);
}

std::string LabelOf(const std::string& full_path) {
  return full_path.empty() ? std::string("message") : "part " + full_path;
}

class Extractor {
 public:
  explicit Extractor(const MimeLimits& limits)
      : limits_(limits), warnings_(limits.max_warnings) {}

  Status Run(const ParsedMime& mime) {
    warnings_.AddAll(mime.warnings);
    parts_seen_ = mime.parts.size();
    TopHeaders(mime);
    SEAL_RETURN_IF_ERROR(Parts(mime, /*nested=*/false));
    text_.warnings = warnings_.Take();
    return Status::Ok();
  }

  MessageText Take() { return std::move(text_); }

 private:
  // Adds one item, cutting it at the per-message text cap.
  // `nul_free`: the caller already replaced every NUL, or knows there is
  // none.
  void Add(Scope scope, std::string text, std::string origin,
           bool nul_free = false) {
    if (text.empty()) return;
    if (!nul_free) ReplaceNuls(text);
    const size_t used = static_cast<size_t>(text_.bytes);
    const size_t remaining =
        used >= limits_.max_scan_bytes ? 0 : limits_.max_scan_bytes - used;
    if (text.size() > remaining) {
      text.resize(Utf8PrefixLength(text, remaining));
      if (!text_.truncated) {
        warnings_.Add("text cap of " + std::to_string(limits_.max_scan_bytes) +
                      " bytes reached; the rest is not scanned");
      }
      text_.truncated = true;
      if (text.empty()) return;
    }
    text_.bytes += text.size();
    text_.at(scope).push_back(TextItem{std::move(text), std::move(origin)});
  }

  bool CapReached() const {
    return static_cast<size_t>(text_.bytes) >= limits_.max_scan_bytes;
  }

  void IssuesToWarnings(const std::string& where, const TextIssues& issues) {
    if (!issues.unknown_charset.empty()) {
      warnings_.Add(where + ": unknown charset '" + issues.unknown_charset +
                    "', read as UTF-8 or Windows-1252");
    }
    if (issues.bad_encoding) warnings_.Add(where + ": malformed encoded-word");
    if (issues.raw_not_utf8) {
      warnings_.Add(where + ": 8-bit text is not UTF-8, read as Windows-1252");
    }
    if (issues.replaced) {
      warnings_.Add(where + ": invalid bytes replaced by U+FFFD");
    }
  }

  // The value of a field as written, cut at the field limit.
  std::string_view CutValue(const ParsedMime& mime, const HeaderField& f,
                            const std::string& where) {
    std::string_view raw = FieldRawValue(mime.raw, f);
    if (raw.size() > limits_.max_header_field_bytes) {
      raw = raw.substr(0, limits_.max_header_field_bytes);
      warnings_.Add(where + " longer than " +
                    std::to_string(limits_.max_header_field_bytes) +
                    " bytes, cut");
      text_.truncated = true;  // the rest of the field is not classified
    }
    return raw;
  }

  // Appends the RFC 2047 decoded `unfolded` value to `out`.
  void AppendDecoded(std::string_view unfolded, const std::string& where,
                     std::string& out) {
    TextIssues issues;
    AppendDecodedEncodedWords(unfolded, conv_, issues, out);
    IssuesToWarnings(where, issues);
  }

  // Unfolded, RFC 2047 decoded value of a field, cut at the field limit.
  std::string FieldText(const ParsedMime& mime, const HeaderField& f,
                        const std::string& where) {
    std::string unfolded;
    const std::string_view value =
        UnfoldedView(CutValue(mime, f, where), unfolded);
    std::string out;
    AppendDecoded(value, where, out);
    return out;
  }

  enum class FieldRole { kOther, kSubject, kSender, kRecipients };

  static FieldRole RoleOf(std::string_view name) {
    switch (name.size()) {
      case 2:
        if (NameEquals(name, "To") || NameEquals(name, "Cc")) {
          return FieldRole::kRecipients;
        }
        break;
      case 4:
        if (NameEquals(name, "From")) return FieldRole::kSender;
        break;
      case 6:
        if (NameEquals(name, "Sender")) return FieldRole::kSender;
        break;
      case 7:
        if (NameEquals(name, "Subject")) return FieldRole::kSubject;
        break;
      case 8:
        if (NameEquals(name, "Reply-To")) return FieldRole::kSender;
        break;
      default:
        break;
    }
    return FieldRole::kOther;
  }

  // Every top-level field: Subject to its scope, the others as
  // "Name: value" items, and the addresses of the sender and recipient
  // fields to theirs. This runs for every field of every message and was
  // most of the cost of a small one (bench/classify_bench), so: a plain
  // field (IsPlainFieldText: ASCII, no fold, no '=', no NUL) is only
  // trimmed, not unfolded, decoded, validated and searched for NULs; the
  // value goes straight into its "Name: value" item; it is cut and
  // unfolded once for both the item and the address list; strings are
  // moved into their items; the scratch buffers live across fields.
  void TopHeaders(const ParsedMime& mime) {
    const PartView& root = mime.root();
    text_.at(Scope::kHeaders).reserve(root.headers.size());
    std::string name_storage;  // a name that is not UTF-8 (never from
                               // ParseMime, which takes ASCII names only)
    std::string unfolded;
    std::vector<std::string> addresses;
    for (const HeaderField& f : root.headers) {
      std::string_view name = FieldName(mime.raw, f);
      const bool plain_name = IsPlainFieldText(name);
      if (!plain_name && !IsValidUtf8(name)) {
        name_storage = Windows1252ToUtf8(name);
        name = name_storage;
      }
      std::string origin;
      origin.reserve(7 + name.size());
      origin.append("header ").append(name);
      const std::string_view raw = CutValue(mime, f, origin);
      const bool plain = plain_name && IsPlainFieldText(raw);
      const std::string_view value =
          plain ? TrimFoldWhitespace(raw) : UnfoldedView(raw, unfolded);
      const FieldRole role = RoleOf(name);
      if (role == FieldRole::kSubject) {
        std::string text;
        if (plain) {
          text.assign(value);
        } else {
          AppendDecoded(value, origin, text);
        }
        Add(Scope::kSubject, std::move(text), std::move(origin), plain);
        continue;
      }
      std::string item;
      item.reserve(name.size() + 2 + value.size());
      item.append(name).append(": ");
      if (plain) {
        item.append(value);
      } else {
        AppendDecoded(value, origin, item);
      }
      if (role == FieldRole::kOther) {
        Add(Scope::kHeaders, std::move(item), std::move(origin), plain);
        continue;
      }
      Add(Scope::kHeaders, std::move(item), origin, plain);
      const Scope addr_scope =
          role == FieldRole::kSender ? Scope::kSender : Scope::kRecipients;
      addresses.clear();
      ParseAddressList(value, addresses);
      for (std::string& a : addresses) {
        if (!plain && !IsValidUtf8(a)) a = RawBytesToUtf8(a);
        Add(addr_scope, std::move(a), origin, plain);
      }
    }
  }

  // What a reader sees of an encapsulated message: its main headers.
  void EncapsulatedHeaders(const ParsedMime& mime, const PartView& msg_root,
                           const std::string& message_path) {
    std::string summary;
    static constexpr std::string_view kShown[] = {"Subject", "From", "To", "Cc",
                                                  "Date"};
    for (std::string_view name : kShown) {
      const HeaderField* f = mime.FindField(msg_root, name);
      if (f == nullptr) continue;
      const std::string where =
          LabelOf(message_path) + " header " + std::string(name);
      if (!summary.empty()) summary.push_back('\n');
      summary += std::string(name) + ": " + FieldText(mime, *f, where);
    }
    Add(Scope::kBody, std::move(summary),
        LabelOf(message_path) + " message/rfc822 headers");
  }

  // `nested`: `mime` is an encoded message/rfc822 part parsed on its own;
  // its paths are already those of the outer message.
  Status Parts(const ParsedMime& mime, bool nested) {
    for (const PartView& p : mime.parts) {
      const std::string& path = p.path;
      // The root of an encapsulated message.
      if (p.parent != kNoParent &&
          mime.parts[p.parent].IsEncapsulatedMessage()) {
        EncapsulatedHeaders(mime, p, mime.parts[p.parent].path);
      } else if (p.index == 0 && nested) {
        EncapsulatedHeaders(mime, p, enclosing_path_);
      }
      if (!p.FileName().empty()) {
        Add(Scope::kAttachmentName, SanitizeUtf8(p.FileName()), LabelOf(path));
      }
      if (!p.children.empty()) {  // container
        if (p.IsMultipart()) OutsideParts(mime, p);
        continue;
      }
      switch (Classify(p)) {
        case PartKind::kSkip:
          break;
        case PartKind::kBody:
          SEAL_RETURN_IF_ERROR(PartText(mime, p, path, Scope::kBody));
          break;
        case PartKind::kAttachmentText:
          SEAL_RETURN_IF_ERROR(PartText(mime, p, path, Scope::kAttachmentText));
          break;
        case PartKind::kNestedMessage:
          SEAL_RETURN_IF_ERROR(Nested(mime, p, path));
          break;
      }
    }
    return Status::Ok();
  }

  // Preamble and epilogue: clients hide them, but they leave with the
  // message, so their text is scanned as body when not blank.
  void OutsideParts(const ParsedMime& mime, const PartView& p) {
    const struct {
      size_t begin, end;
      const char* what;
    } ranges[] = {{p.body_begin, p.preamble_end, " preamble"},
                  {p.epilogue_begin, p.body_end, " epilogue"}};
    for (const auto& r : ranges) {
      if (r.end <= r.begin || CapReached()) continue;
      std::string_view bytes = mime.raw.substr(r.begin, r.end - r.begin);
      while (!bytes.empty() && IsBlank(bytes.front())) bytes.remove_prefix(1);
      while (!bytes.empty() && IsBlank(bytes.back())) bytes.remove_suffix(1);
      if (bytes.empty()) continue;
      std::string text = RawBytesToUtf8(bytes);
      NormalizeNewlines(text);
      Add(Scope::kBody, std::move(text), LabelOf(p.path) + r.what);
    }
  }

  Status PartText(const ParsedMime& mime, const PartView& p,
                  const std::string& path, Scope scope) {
    if (CapReached()) {
      text_.truncated = true;
      return Status::Ok();
    }
    const std::string label = LabelOf(path);
    const bool html = IsHtmlPart(p);
    if (!html && IdentityEncoded(p) &&
        PlainTextInOnePass(mime, p, label, scope)) {
      return Status::Ok();
    }
    Result<Decoded> d = DecodeBody(mime, p, limits_.max_decoded_bytes);
    if (!d.ok()) return d.status().WithContext(label);
    if (!d->problem.empty()) warnings_.Add(label + ": " + d->problem);
    if (d->truncated) {
      warnings_.Add(label + ": decoded size above " +
                    std::to_string(limits_.max_decoded_bytes) + " bytes, cut");
      text_.truncated = true;
    }
    std::string_view bytes = d->bytes;
    std::string charset = p.charset;
    if (bytes.substr(0, 3) == "\xEF\xBB\xBF") {
      bytes.remove_prefix(3);
      charset = "utf-8";
    } else if (bytes.substr(0, 2) == "\xFF\xFE" ||
               bytes.substr(0, 2) == "\xFE\xFF") {
      charset = "utf-16";
    } else if (charset.empty() && html) {
      charset = SniffHtmlCharset(bytes);
    }
    TextIssues issues;
    std::string text = conv_.ToUtf8(bytes, charset, issues);
    d->bytes.clear();
    d->bytes.shrink_to_fit();
    IssuesToWarnings(label, issues);
    if (html) {
      HtmlIssues html_issues;
      text = HtmlToText(text, &html_issues);
      if (html_issues.unclosed) {
        warnings_.Add(label +
                      ": unclosed HTML comment, element or tag; the rest "
                      "was read as text");
      }
    } else {
      NormalizeNewlines(text);
    }
    if (text.find('\0') != std::string::npos) {
      warnings_.Add(label + ": NUL bytes in text");
    }
    Add(scope, std::move(text), label + " " + p.MimeType());
    return Status::Ok();
  }

  // Bodies DecodeBody would only copy (DecodeTransfer's identity cases).
  static bool IdentityEncoded(const PartView& p) {
    if (!p.children.empty()) return false;
    switch (p.encoding) {
      case TransferEncoding::k7Bit:
      case TransferEncoding::k8Bit:
      case TransferEncoding::kBinary:
      case TransferEncoding::kUnknown:
        return true;
      case TransferEncoding::kBase64:
      case TransferEncoding::kQuotedPrintable:
        return false;
    }
    return false;
  }

  // The common case, a plain text part in UTF-8 or US-ASCII sent as it is:
  // the body goes from the message to its text item in one pass and one
  // copy (CharsetConverter::ToScanText), not decoded copy, converted copy,
  // newline pass and NUL passes. Same text, warnings and limits as the
  // general path below; false when it does not apply (another charset, a
  // UTF-16 BOM, unlabelled 8-bit text that is not UTF-8) and nothing was
  // added.
  bool PlainTextInOnePass(const ParsedMime& mime, const PartView& p,
                          const std::string& label, Scope scope) {
    std::string_view bytes = mime.BodyBytes(p);
    const bool cut = bytes.size() > limits_.max_decoded_bytes;
    if (cut) bytes = bytes.substr(0, limits_.max_decoded_bytes);
    std::string_view charset = p.charset;
    if (bytes.substr(0, 3) == "\xEF\xBB\xBF") {
      bytes.remove_prefix(3);
      charset = "utf-8";
    } else if (bytes.substr(0, 2) == "\xFF\xFE" ||
               bytes.substr(0, 2) == "\xFE\xFF") {
      return false;
    }
    const size_t used = static_cast<size_t>(text_.bytes);
    const size_t remaining =
        used >= limits_.max_scan_bytes ? 0 : limits_.max_scan_bytes - used;
    TextIssues issues;
    bool nul = false;
    std::string text;
    if (!conv_.ToScanText(bytes, charset, remaining, text, issues, &nul)) {
      return false;
    }
    if (cut) {
      warnings_.Add(label + ": decoded size above " +
                    std::to_string(limits_.max_decoded_bytes) + " bytes, cut");
      text_.truncated = true;
    }
    IssuesToWarnings(label, issues);
    if (nul) warnings_.Add(label + ": NUL bytes in text");
    if (!text.empty()) {  // Add drops it; no origin to build then
      Add(scope, std::move(text), label + " " + p.MimeType(),
          /*nul_free=*/true);
    }
    return true;
  }

  // message/rfc822 in base64 or quoted-printable: decode, parse, recurse.
  Status Nested(const ParsedMime& mime, const PartView& p,
                const std::string& path) {
    const std::string label = LabelOf(path);
    if (p.depth + 1 > limits_.max_depth) {
      return ResourceExhaustedError("MIME nesting deeper than " +
                                    std::to_string(limits_.max_depth));
    }
    if (parts_seen_ >= limits_.max_parts) {
      return ResourceExhaustedError("message has more than " +
                                    std::to_string(limits_.max_parts) +
                                    " MIME parts");
    }
    if (CapReached()) {
      text_.truncated = true;
      return Status::Ok();
    }
    Result<Decoded> d = DecodeBody(mime, p, limits_.max_decoded_bytes);
    if (!d.ok()) return d.status().WithContext(label);
    if (!d->problem.empty()) warnings_.Add(label + ": " + d->problem);
    if (d->truncated) {
      warnings_.Add(label + ": decoded size above " +
                    std::to_string(limits_.max_decoded_bytes) + " bytes, cut");
      text_.truncated = true;
    }
    const std::string decoded = std::move(d->bytes);
    MimeLimits inner = limits_;
    inner.max_parts = limits_.max_parts - parts_seen_;
    const EnclosingPart enclosing{path, p.depth};
    Result<ParsedMime> parsed = ParseMime(decoded, inner, &enclosing);
    if (!parsed.ok()) return parsed.status().WithContext(label);
    parts_seen_ += parsed->parts.size();
    warnings_.AddAll(parsed->warnings);
    const std::string saved = std::move(enclosing_path_);
    enclosing_path_ = path;
    Status s = Parts(*parsed, /*nested=*/true);
    enclosing_path_ = saved;
    return s;
  }

  const MimeLimits& limits_;
  WarningList warnings_;
  CharsetConverter conv_;
  MessageText text_;
  size_t parts_seen_ = 0;
  std::string enclosing_path_;  // path of the message/rfc822 part being read
};

void AddEnvelope(MessageText& text, Scope scope, std::string_view path,
                 const char* origin) {
  std::string addr = SanitizeUtf8(StripAngleBrackets(path));
  if (addr.empty()) return;
  text.bytes += addr.size();
  text.at(scope).push_back(TextItem{std::move(addr), origin});
}

}  // namespace

Result<MessageText> ExtractMessageText(const ParsedMime& mime,
                                       const MimeLimits& limits) {
  try {
    if (mime.parts.empty()) return InternalError("empty MIME tree");
    Extractor ex(limits);
    SEAL_RETURN_IF_ERROR(ex.Run(mime));
    return ex.Take();
  } catch (const std::bad_alloc&) {
    return InternalError("out of memory while extracting text");
  } catch (const std::exception& e) {
    return InternalError(std::string("text extraction failed: ") + e.what());
  } catch (...) {
    return InternalError("text extraction failed");
  }
}

Result<MessageText> ExtractMessageText(std::string_view raw,
                                       const MimeLimits& limits) {
  Result<ParsedMime> mime = ParseMime(raw, limits);
  if (!mime.ok()) return mime.status();
  return ExtractMessageText(*mime, limits);
}

void AddEnvelopeSender(MessageText& text, std::string_view path) {
  AddEnvelope(text, Scope::kSender, path, "envelope sender");
}

void AddEnvelopeRecipient(MessageText& text, std::string_view path) {
  AddEnvelope(text, Scope::kRecipients, path, "envelope recipient");
}

}  // namespace seal::mime
