// ParseMime: the MIME structure of one raw message as a tree of PartView.
//
// This is our own parser, not mimetic's MimeEntity: mimetic recurses once
// per nesting level (a 100000-deep multipart overflows the stack), keeps no
// byte offsets, and copies every body. This parser makes one linear pass
// over the lines of the message with an explicit stack of open entities:
// each line starting with "--" is compared with the boundaries of the open
// multiparts, innermost first, so a missing closing boundary is closed by
// an outer one or by the end of input. It never recurses and never copies a
// body. mimetic decodes base64 and quoted-printable (transfer_decoding.h).
//
// Input: the complete message (header block, blank line, body), CRLF or bare
// LF line endings; NULs and 8-bit bytes allowed. Structural limits from
// MimeLimits (depth, parts, header bytes) fail with kResourceExhausted;
// malformed structure is repaired and reported in `warnings`:
// missing/garbled boundaries, no closing boundary, a part header without a
// blank line, a multipart without boundary (kept as a leaf), invalid
// Content-Type (text/plain), NULs in a header.
//
// Known limits: a bare CR is not a line break; a boundary line must be
// "--boundary" or "--boundary--" followed only by spaces/tabs; a mbox
// "From " line is skipped only as the very first line; message/rfc822 parts
// in base64 or quoted-printable are not parsed here (the text extractor
// decodes and parses them).
#ifndef SEALMILTER_LIB_MIME_MIME_PARSER_H_
#define SEALMILTER_LIB_MIME_MIME_PARSER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "lib/mime/mime_limits.h"
#include "lib/mime/part_view.h"
#include "lib/mime/transfer_decoding.h"
#include "lib/status.h"

namespace seal::mime {

// The parsed structure. Holds a view of the caller's message: the message
// bytes must outlive it and must not change. Immutable after ParseMime, so
// it can be read from several threads.
struct ParsedMime {
  std::string_view raw;               // the message (not owned)
  std::vector<PartView> parts;        // document order; parts[0] = message
  std::vector<std::string> warnings;  // malformed input, capped

  const PartView& root() const { return parts.front(); }
  std::string_view HeaderBytes(const PartView& p) const {
    return raw.substr(p.header_begin, p.header_end - p.header_begin);
  }
  std::string_view BodyBytes(const PartView& p) const {
    return raw.substr(p.body_begin, p.body_end - p.body_begin);
  }
  // The first header field of `p` named `name` (any case), or nullptr.
  const HeaderField* FindField(const PartView& p, std::string_view name) const;
};

// Where a message parsed on its own sits in an outer message: a
// message/rfc822 part that had to be decoded (base64) before parsing. Its
// parts then get the paths and depths they have in the outer message.
struct EnclosingPart {
  std::string path;  // path of the message/rfc822 part
  size_t depth = 0;  // depth of the message/rfc822 part
};

// Parses the structure of `raw`. Reentrant (no shared state). Never throws;
// fails only with kResourceExhausted (a MimeLimits structural limit) or
// kInternal (out of memory, a bug). With `enclosing`, the root has depth
// enclosing->depth + 1 and paths below enclosing->path; the depth limit
// applies to that depth.
Result<ParsedMime> ParseMime(std::string_view raw,
                             const MimeLimits& limits = MimeLimits(),
                             const EnclosingPart* enclosing = nullptr);

// The body of `part` with its Content-Transfer-Encoding undone, at most
// `max_bytes` (then Decoded::truncated). Containers (a multipart with parts,
// an encapsulated message) return their raw body. Charset is not touched.
// QP output uses LF line breaks.
Result<Decoded> DecodeBody(const ParsedMime& mime, const PartView& part,
                           size_t max_bytes);

}  // namespace seal::mime

#endif  // SEALMILTER_LIB_MIME_MIME_PARSER_H_
