// BER walking to split a CMS object into a skeleton and streamed content.
#include "lib/crypto/cms_stream.h"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <utility>

namespace seal::crypto {
namespace {

constexpr int kMaxDepth = 32;
constexpr uint64_t kMaxLength = uint64_t{1} << 40;

// Content type OIDs (value bytes only).
constexpr std::string_view kEnvelopedOid =
    "\x2a\x86\x48\x86\xf7\x0d\x01\x07\x03";
constexpr std::string_view kSignedOid = "\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02";
constexpr std::string_view kAuthEnvelopedOid =
    "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x10\x01\x17";

Status Truncated() {
  return ParseError(
      "truncated or malformed CMS data (the input ends inside "
      "the structure)");
}

// Buffered reader with an offset, over a PullSource.
class BerReader {
 public:
  explicit BerReader(PullSource* source) : source_(source), buf_(64 * 1024) {}

  uint64_t offset() const { return offset_; }

  Result<uint8_t> Byte() {
    if (pos_ == len_) SEAL_RETURN_IF_ERROR(Fill());
    ++offset_;
    return static_cast<uint8_t>(buf_[pos_++]);
  }

  Status Append(uint64_t n, std::string* out) {
    while (n > 0) {
      if (pos_ == len_) SEAL_RETURN_IF_ERROR(Fill());
      size_t take = static_cast<size_t>(std::min<uint64_t>(n, len_ - pos_));
      out->append(buf_.data() + pos_, take);
      pos_ += take;
      offset_ += take;
      n -= take;
    }
    return Status::Ok();
  }

  Status Skip(uint64_t n) {
    while (n > 0) {
      if (pos_ == len_) SEAL_RETURN_IF_ERROR(Fill());
      size_t take = static_cast<size_t>(std::min<uint64_t>(n, len_ - pos_));
      pos_ += take;
      offset_ += take;
      n -= take;
    }
    return Status::Ok();
  }

  // Up to `n` (> 0) bytes; fails at the end of input.
  Result<size_t> Some(char* out, size_t n) {
    if (pos_ == len_) SEAL_RETURN_IF_ERROR(Fill());
    size_t take = std::min(n, len_ - pos_);
    std::memcpy(out, buf_.data() + pos_, take);
    pos_ += take;
    offset_ += take;
    return take;
  }

 private:
  Status Fill() {
    Result<size_t> n = source_->Read(buf_.data(), buf_.size());
    if (!n.ok()) return n.status();
    if (*n == 0) return Truncated();
    pos_ = 0;
    len_ = *n;
    return Status::Ok();
  }

  PullSource* source_;
  std::vector<char> buf_;
  size_t pos_ = 0;
  size_t len_ = 0;
  uint64_t offset_ = 0;
};

struct Header {
  uint8_t first = 0;  // identifier octet (low-tag-number form only)
  bool constructed = false;
  bool indefinite = false;
  uint64_t length = 0;
  std::string raw;     // identifier and length octets as read
  uint64_t start = 0;  // offset of the first identifier octet

  bool IsEoc() const { return first == 0 && !indefinite && length == 0; }
};

Result<Header> ReadHeader(BerReader& r) {
  Header h;
  h.start = r.offset();
  Result<uint8_t> b = r.Byte();
  if (!b.ok()) return b.status();
  h.first = *b;
  h.raw += static_cast<char>(*b);
  h.constructed = (*b & 0x20) != 0;
  if ((*b & 0x1f) == 0x1f) {
    // High tag numbers never occur in the parts we walk; keep them intact.
    for (int i = 0;; ++i) {
      Result<uint8_t> t = r.Byte();
      if (!t.ok()) return t.status();
      h.raw += static_cast<char>(*t);
      if ((*t & 0x80) == 0) break;
      if (i > 4) return ParseError("malformed CMS data (tag too long)");
    }
  }
  Result<uint8_t> l = r.Byte();
  if (!l.ok()) return l.status();
  h.raw += static_cast<char>(*l);
  if (*l == 0x80) {
    if (!h.constructed) {
      return ParseError("malformed CMS data (indefinite primitive)");
    }
    h.indefinite = true;
  } else if (*l & 0x80) {
    int n = *l & 0x7f;
    if (n > 8) return ParseError("malformed CMS data (length too long)");
    for (int i = 0; i < n; ++i) {
      Result<uint8_t> d = r.Byte();
      if (!d.ok()) return d.status();
      h.raw += static_cast<char>(*d);
      h.length = (h.length << 8) | *d;
    }
    if (h.length > kMaxLength) {
      return ParseError("malformed CMS data (element too long)");
    }
  } else {
    h.length = *l;
  }
  return h;
}

// Calls `fn(child_header)` for every child of `parent`, which must consume
// the child. Stops at the end of a definite parent or at an EOC.
template <typename Fn>
Status ForEachChild(BerReader& r, const Header& parent, Fn&& fn) {
  if (!parent.constructed) {
    return ParseError("malformed CMS data (expected a constructed element)");
  }
  const uint64_t end = r.offset() + parent.length;
  for (;;) {
    if (!parent.indefinite && r.offset() >= end) {
      if (r.offset() > end) {
        return ParseError("malformed CMS data (child overruns its parent)");
      }
      return Status::Ok();
    }
    Result<Header> h = ReadHeader(r);
    if (!h.ok()) return h.status();
    if (h->IsEoc()) {
      if (parent.indefinite) return Status::Ok();
      return ParseError("malformed CMS data (unexpected end-of-contents)");
    }
    SEAL_RETURN_IF_ERROR(fn(*h));
  }
}

Status CopyElement(BerReader& r, const Header& h, std::string* out, int depth) {
  if (depth > kMaxDepth) return ParseError("CMS data nested too deeply");
  out->append(h.raw);
  if (!h.indefinite) return r.Append(h.length, out);
  Status s = ForEachChild(
      r, h, [&](const Header& c) { return CopyElement(r, c, out, depth + 1); });
  if (!s.ok()) return s;
  out->append("\0\0", 2);
  return Status::Ok();
}

Status SkipElement(BerReader& r, const Header& h, int depth) {
  if (depth > kMaxDepth) return ParseError("CMS data nested too deeply");
  if (!h.indefinite) return r.Skip(h.length);
  return ForEachChild(
      r, h, [&](const Header& c) { return SkipElement(r, c, depth + 1); });
}

void AppendDefinite(uint8_t tag, const std::string& content, std::string* out) {
  out->push_back(static_cast<char>(tag));
  uint64_t n = content.size();
  if (n < 0x80) {
    out->push_back(static_cast<char>(n));
  } else {
    char bytes[8];
    int len = 0;
    while (n > 0) {
      bytes[len++] = static_cast<char>(n & 0xff);
      n >>= 8;
    }
    out->push_back(static_cast<char>(0x80 | len));
    while (len > 0) out->push_back(bytes[--len]);
  }
  out->append(content);
}

}  // namespace

Result<CmsSplit> SplitCmsContent(PullSource& source) {
  BerReader r(&source);
  CmsSplit split;
  Result<Header> ci = ReadHeader(r);
  if (!ci.ok()) return ci.status();
  if (ci->first != 0x30) {
    return ParseError("truncated or malformed CMS data (not a SEQUENCE)");
  }
  Result<Header> oid = ReadHeader(r);
  if (!oid.ok()) return oid.status();
  if (oid->first != 0x06 || oid->indefinite || oid->length > 64) {
    return ParseError("truncated or malformed CMS data (no content type)");
  }
  std::string oid_value;
  SEAL_RETURN_IF_ERROR(r.Append(oid->length, &oid_value));
  if (oid_value == kEnvelopedOid) {
    split.kind = CmsKind::kEnveloped;
  } else if (oid_value == kAuthEnvelopedOid) {
    split.kind = CmsKind::kAuthEnveloped;
  } else if (oid_value == kSignedOid) {
    split.kind = CmsKind::kSigned;
  } else {
    return split;  // kOther: the caller parses it the usual way
  }
  const bool signed_data = split.kind == CmsKind::kSigned;

  Result<Header> explicit0 = ReadHeader(r);
  if (!explicit0.ok()) return explicit0.status();
  if (explicit0->first != 0xa0) {
    return ParseError("truncated or malformed CMS data (no [0] content)");
  }
  Result<Header> inner = ReadHeader(r);
  if (!inner.ok()) return inner.status();
  if (inner->first != 0x30) {
    return ParseError(
        "truncated or malformed CMS data (content is not a "
        "SEQUENCE)");
  }
  std::string inner_children;
  bool seen_set = false;
  bool seen_info = false;
  Status walked = ForEachChild(r, *inner, [&](const Header& c) -> Status {
    if (seen_info || !seen_set || c.first != 0x30) {
      if (c.first == 0x31) seen_set = true;
      return CopyElement(r, c, &inner_children, 1);
    }
    // (Encrypted|Encapsulated)ContentInfo: copy all but the content.
    seen_info = true;
    std::string info_children;
    int index = 0;
    Status info = ForEachChild(r, c, [&](const Header& e) -> Status {
      const int i = index++;
      // Enveloped: type, algorithm, [0] IMPLICIT content (0x80 or 0xa0).
      // Signed: type, [0] EXPLICIT content (0xa0).
      const bool is_content =
          signed_data ? (i == 1 && e.first == 0xa0)
                      : (i == 2 && (e.first == 0x80 || e.first == 0xa0));
      if (!is_content) return CopyElement(r, e, &info_children, 2);
      split.has_content = true;
      split.content_offset = e.start;
      return SkipElement(r, e, 2);
    });
    if (!info.ok()) return info;
    AppendDefinite(0x30, info_children, &inner_children);
    return Status::Ok();
  });
  if (!walked.ok()) return walked;
  if (!seen_info) {
    return ParseError("truncated or malformed CMS data (no content info)");
  }
  std::string inner_der;
  AppendDefinite(0x30, inner_children, &inner_der);
  std::string explicit_der;
  AppendDefinite(0xa0, inner_der, &explicit_der);
  std::string ci_children(oid->raw);
  ci_children += oid_value;
  ci_children += explicit_der;
  AppendDefinite(0x30, ci_children, &split.skeleton);
  return split;
}

struct CmsContentReader::State {
  std::unique_ptr<PullSource> source;
  std::unique_ptr<BerReader> reader;
  struct Frame {
    bool indefinite;
    uint64_t end;
  };
  std::vector<Frame> frames;  // open constructed OCTET STRINGs
  uint64_t remaining = 0;     // of the current primitive segment
  bool done = false;

  // Moves to the next primitive segment; sets done at the end.
  Status NextSegment() {
    while (remaining == 0 && !done) {
      if (frames.empty()) {
        done = true;
        break;
      }
      Frame& top = frames.back();
      if (!top.indefinite && reader->offset() >= top.end) {
        frames.pop_back();
        continue;
      }
      Result<Header> h = ReadHeader(*reader);
      if (!h.ok()) return h.status();
      if (h->IsEoc()) {
        if (!top.indefinite) {
          return ParseError(
              "malformed CMS content (unexpected "
              "end-of-contents)");
        }
        frames.pop_back();
        continue;
      }
      SEAL_RETURN_IF_ERROR(Enter(*h));
    }
    return Status::Ok();
  }

  // Starts an OCTET STRING (or its implicit [0] form).
  Status Enter(const Header& h) {
    if (!h.constructed) {
      remaining = h.length;
      return Status::Ok();
    }
    if (frames.size() >= static_cast<size_t>(kMaxDepth)) {
      return ParseError("CMS content nested too deeply");
    }
    frames.push_back({h.indefinite, reader->offset() + h.length});
    return Status::Ok();
  }
};

CmsContentReader::CmsContentReader(std::unique_ptr<State> state)
    : state_(std::move(state)) {}
CmsContentReader::~CmsContentReader() = default;

Result<std::unique_ptr<CmsContentReader>> CmsContentReader::Open(
    std::unique_ptr<PullSource> source, const CmsSplit& split) {
  if (!split.has_content) {
    return FailedPreconditionError("the CMS object has no content to read");
  }
  auto state = std::make_unique<State>();
  state->source = std::move(source);
  state->reader = std::make_unique<BerReader>(state->source.get());
  SEAL_RETURN_IF_ERROR(state->reader->Skip(split.content_offset));
  Result<Header> h = ReadHeader(*state->reader);
  if (!h.ok()) return h.status();
  if (split.kind == CmsKind::kSigned) {
    // [0] EXPLICIT around the OCTET STRING.
    if (h->first != 0xa0) return ParseError("malformed CMS content");
    h = ReadHeader(*state->reader);
    if (!h.ok()) return h.status();
    if (h->first != 0x04 && h->first != 0x24) {
      return ParseError("malformed CMS content (not an OCTET STRING)");
    }
  }
  SEAL_RETURN_IF_ERROR(state->Enter(*h));
  return std::unique_ptr<CmsContentReader>(
      new CmsContentReader(std::move(state)));
}

Result<size_t> CmsContentReader::Read(char* buf, size_t n) {
  State& s = *state_;
  size_t out = 0;
  while (out < n) {
    if (s.remaining == 0) {
      SEAL_RETURN_IF_ERROR(s.NextSegment());
      if (s.done) break;
      continue;
    }
    size_t want = static_cast<size_t>(std::min<uint64_t>(s.remaining, n - out));
    Result<size_t> got = s.reader->Some(buf + out, want);
    if (!got.ok()) return got.status();
    out += *got;
    s.remaining -= *got;
  }
  return out;
}

}  // namespace seal::crypto
