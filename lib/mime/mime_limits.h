// MimeLimits: the bounds the MIME adapter enforces on one message.
//
// Structural limits (depth, part count, header block size) make ParseMime
// fail with kResourceExhausted (IsStructuralLimit in text_extractor.h): the
// caller cannot classify the message, and a retry would fail the same way.
// Content limits (decoded bytes per part, text bytes per message, header
// field length) cut text, set MessageText::truncated and add a warning. Line
// length has no separate limit: every scanner in lib/mime is linear in its
// input, so a 20 MB line costs what 20 MB of short lines cost (guarded by
// tests/unit/mime/limits_test.cc); the longest "line" that is bounded is a
// header field, by max_header_field_bytes. Plain data.
#ifndef SEALMILTER_LIB_MIME_MIME_LIMITS_H_
#define SEALMILTER_LIB_MIME_MIME_LIMITS_H_

#include <cstddef>

namespace seal::mime {

struct MimeLimits {
  // Nesting of multipart and message/rfc822 entities; the message itself is
  // depth 0, so 20 allows parts at depth 20 and fails at 21. The parser does
  // not recurse, but each part's path ("1.1.1...") grows with its depth, so
  // keep this small (real mail rarely nests deeper than 5).
  size_t max_depth = 20;
  // Entities in the message, the message itself and containers included.
  size_t max_parts = 500;
  // Bytes of one entity's header block (all fields, folds included).
  size_t max_header_bytes = 256 * 1024;
  // Bytes of one header field; text extraction cuts longer fields (warning).
  size_t max_header_field_bytes = 64 * 1024;
  // Decoded bytes of one part; decoding stops there (truncated).
  size_t max_decoded_bytes = 32 * 1024 * 1024;
  // Text bytes put into MessageText per message; more sets `truncated`.
  size_t max_scan_bytes = 16 * 1024 * 1024;
  // Warnings kept per message; one more line counts the rest.
  size_t max_warnings = 64;
};

}  // namespace seal::mime

#endif  // SEALMILTER_LIB_MIME_MIME_LIMITS_H_
