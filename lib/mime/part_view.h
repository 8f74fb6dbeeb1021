// PartView: what the rest of sealmilter knows about one MIME entity. Plain
// data with byte offsets into the original message, so later stages can
// copy parts byte-exact, plus the decoded Content-* fields. No mimetic type
// appears here or anywhere outside lib/mime/transfer_decoding.cc.
//
// Paths follow IMAP section numbers (RFC 3501 6.4.5): a message whose top
// level is not multipart has its body at "1"; a multipart top level has path
// "" and its parts are "1", "2", ...; the parts of part "2" are "2.1", ...;
// a message/rfc822 part "3" holds its message as "3.1" when that message is
// single-part, while a multipart inside message/rfc822 shares the path "3"
// and its parts are "3.1", "3.2". Paths name leaf parts uniquely; use
// `index` to identify containers.
//
// Plain data: safe to read from several threads once built by ParseMime.
#ifndef SEALMILTER_LIB_MIME_PART_VIEW_H_
#define SEALMILTER_LIB_MIME_PART_VIEW_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/mime/content_fields.h"
#include "lib/mime/header_fields.h"
#include "lib/mime/transfer_decoding.h"

namespace seal::mime {

enum class Disposition : uint8_t {
  kNone,  // no Content-Disposition header
  kInline,
  kAttachment,
  kOther,  // an unknown token; treated like attachment by RFC 2183
};

inline constexpr size_t kNoParent = static_cast<size_t>(-1);

struct PartView {
  // Position in the tree.
  size_t index = 0;              // in ParsedMime::parts (document order)
  size_t parent = kNoParent;     // index of the parent, kNoParent for the root
  std::vector<size_t> children;  // indexes, in document order
  size_t depth = 0;              // root 0; children of a container +1
  std::string path;              // IMAP section, see above

  // Byte offsets into the original message, half-open [begin, end).
  // [header_begin, header_end) holds the header fields with their line
  // breaks, not the blank separator line; [body_begin, body_end) the body,
  // not the line break that belongs to a following boundary delimiter
  // (RFC 2046 5.1.1). For a multipart, the body spans preamble, parts,
  // delimiters and epilogue.
  size_t header_begin = 0;
  size_t header_end = 0;
  size_t body_begin = 0;
  size_t body_end = 0;
  // Multiparts with parts: [body_begin, preamble_end) is the preamble (up to
  // the line break before the first delimiter), [epilogue_begin, body_end)
  // the epilogue (after the closing delimiter line; empty when it is
  // missing). Other parts: preamble_end == body_begin, epilogue_begin ==
  // body_end.
  size_t preamble_end = 0;
  size_t epilogue_begin = 0;
  std::vector<HeaderField> headers;

  // Content-Type. Lower-case; text/plain when absent or unparsable
  // (message/rfc822 inside multipart/digest).
  std::string type = "text";
  std::string subtype = "plain";
  bool type_defaulted = true;     // no usable Content-Type header
  std::vector<MimeParam> params;  // all Content-Type parameters
  std::string charset;            // lower-case charset parameter, or ""
  std::string boundary;           // raw boundary (multipart), or ""
  std::string name;               // decoded "name" parameter, or ""

  // Content-Transfer-Encoding.
  TransferEncoding encoding = TransferEncoding::k7Bit;
  std::string encoding_token;  // lower-case as written; "" when absent

  // Content-Disposition.
  Disposition disposition = Disposition::kNone;
  std::vector<MimeParam> disposition_params;
  std::string filename;  // decoded "filename" parameter, or ""

  bool IsMultipart() const { return type == "multipart"; }
  // message/rfc822 or message/global whose body was parsed as a message.
  bool IsEncapsulatedMessage() const {
    return type == "message" && children.size() == 1;
  }
  // "text/plain".
  std::string MimeType() const { return type + "/" + subtype; }
  // The attachment file name: Content-Disposition filename, else the
  // Content-Type name parameter; "" when neither.
  const std::string& FileName() const {
    return filename.empty() ? name : filename;
  }
  // "part 1.2", or "message" for the root when its path is "".
  std::string Label() const {
    return path.empty() ? std::string("message") : "part " + path;
  }
};

}  // namespace seal::mime

#endif  // SEALMILTER_LIB_MIME_PART_VIEW_H_
