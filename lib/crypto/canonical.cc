// CRLF canonicalisation, streaming and one-shot.
#include "lib/crypto/canonical.h"

#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace seal::crypto {

Status CrlfCanonicalizer::Write(std::string_view data) {
  if (data.empty()) return Status::Ok();
  if (pending_cr_) {
    // The CR held back from the last chunk becomes CRLF either way.
    pending_cr_ = false;
    if (data[0] == '\n') data.remove_prefix(1);
    SEAL_RETURN_IF_ERROR(out_("\r\n"));
  }
  bool hold = !data.empty() && data.back() == '\r';
  if (hold) data.remove_suffix(1);
  if (IsCrlfCanonical(data)) {
    if (!data.empty()) SEAL_RETURN_IF_ERROR(out_(data));
  } else {
    scratch_.clear();
    scratch_.reserve(data.size() + data.size() / 16 + 2);
    for (size_t i = 0; i < data.size(); ++i) {
      char c = data[i];
      if (c == '\r') {
        scratch_ += "\r\n";
        if (i + 1 < data.size() && data[i + 1] == '\n') ++i;
      } else if (c == '\n') {
        scratch_ += "\r\n";
      } else {
        scratch_ += c;
      }
    }
    SEAL_RETURN_IF_ERROR(out_(scratch_));
  }
  pending_cr_ = hold;
  return Status::Ok();
}

Status CrlfCanonicalizer::Finish() {
  if (pending_cr_) {
    pending_cr_ = false;
    return out_("\r\n");
  }
  return Status::Ok();
}

// Canonical means: the LF positions are exactly the CR positions plus one,
// and the data does not end in CR. With SSE2 that is checked 16 bytes at a
// time on two bit masks; a memchr per line cost a tenth of a large S/MIME
// message's encryption time.
bool IsCrlfCanonical(std::string_view data) {
  const char* base = data.data();
  const size_t n = data.size();
#if defined(__SSE2__)
  size_t i = 0;
  unsigned prev_cr = 0;  // 1 when base[i - 1] is a CR
  const __m128i cr = _mm_set1_epi8('\r');
  const __m128i lf = _mm_set1_epi8('\n');
  for (; i + 16 <= n; i += 16) {
    const __m128i v =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(base + i));
    const unsigned crm =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, cr)));
    const unsigned lfm =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf)));
    if (lfm != (((crm << 1) | prev_cr) & 0xFFFFu)) return false;
    prev_cr = crm >> 15;
  }
  for (; i < n; ++i) {
    const unsigned is_lf = base[i] == '\n' ? 1 : 0;
    if (is_lf != prev_cr) return false;
    prev_cr = base[i] == '\r' ? 1 : 0;
  }
  return prev_cr == 0;
#else
  // Every LF preceded by CR ...
  for (size_t i = 0; i < n;) {
    const void* hit = std::memchr(base + i, '\n', n - i);
    if (hit == nullptr) break;
    size_t at = static_cast<size_t>(static_cast<const char*>(hit) - base);
    if (at == 0 || base[at - 1] != '\r') return false;
    i = at + 1;
  }
  // ... and every CR followed by LF.
  for (size_t i = 0; i < n;) {
    const void* hit = std::memchr(base + i, '\r', n - i);
    if (hit == nullptr) break;
    size_t at = static_cast<size_t>(static_cast<const char*>(hit) - base);
    if (at + 1 >= n || base[at + 1] != '\n') return false;
    i = at + 1;
  }
  return true;
#endif
}

std::string CanonicalizeCrlf(std::string_view data) {
  std::string out;
  out.reserve(data.size() + data.size() / 32);
  CrlfCanonicalizer c([&out](std::string_view s) {
    out.append(s);
    return Status::Ok();
  });
  (void)c.Write(data);
  (void)c.Finish();
  return out;
}

}  // namespace seal::crypto
