// libFuzzer target for the MIME adapter: arbitrary bytes are parsed as a
// message (default and tiny limits), every part's body is decoded, and the
// text is extracted, so no input can crash, hang or throw out of lib/mime.
// Also checks the invariants callers rely on: offsets inside the message
// and ordered, text within the scan cap and valid UTF-8. Built only with
// clang (tests/unit/mime/meson.build). Seeds: tests/golden/mime/*.eml.
//   build-clang/tests/unit/mime/mime_fuzz -max_len=65536 CORPUS \
//       tests/golden/mime
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "lib/mime/charset.h"
#include "lib/mime/mime_parser.h"
#include "lib/mime/text_extractor.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

void Run(std::string_view raw, const seal::mime::MimeLimits& limits) {
  seal::Result<seal::mime::ParsedMime> m = seal::mime::ParseMime(raw, limits);
  if (!m.ok()) {
    Check(m.status().code() == seal::StatusCode::kResourceExhausted);
    return;
  }
  for (const seal::mime::PartView& p : m->parts) {
    Check(p.header_begin <= p.header_end && p.header_end <= p.body_begin &&
          p.body_begin <= p.preamble_end && p.preamble_end <= p.body_end &&
          p.body_begin <= p.epilogue_begin && p.epilogue_begin <= p.body_end &&
          p.body_end <= raw.size());
    for (const seal::mime::HeaderField& f : p.headers) {
      Check(f.begin < f.name_end && f.name_end < f.value_begin &&
            f.value_begin <= f.value_end && f.value_end <= f.end &&
            f.end <= raw.size());
    }
    seal::Result<seal::mime::Decoded> d =
        seal::mime::DecodeBody(*m, p, limits.max_decoded_bytes);
    Check(d.ok() && d->bytes.size() <= limits.max_decoded_bytes);
  }
  seal::Result<seal::MessageText> t =
      seal::mime::ExtractMessageText(*m, limits);
  if (!t.ok()) {
    Check(t.status().code() == seal::StatusCode::kResourceExhausted);
    return;
  }
  Check(t->bytes <= limits.max_scan_bytes);
  for (const auto& scope : t->items) {
    for (const seal::TextItem& item : scope) {
      Check(seal::mime::IsValidUtf8(item.text));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  Run(raw, seal::mime::MimeLimits());
  seal::mime::MimeLimits tiny;
  tiny.max_depth = 3;
  tiny.max_parts = 8;
  tiny.max_header_bytes = 512;
  tiny.max_header_field_bytes = 32;
  tiny.max_decoded_bytes = 64;
  tiny.max_scan_bytes = 128;
  tiny.max_warnings = 4;
  Run(raw, tiny);
  return 0;
}
