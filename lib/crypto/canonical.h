// Canonical line endings for S/MIME (RFC 8551 section 3.1.1): every line
// ends in CRLF. A signature covers the exact bytes of the signed part, so
// the signer canonicalises once and emits those same bytes, and the verifier
// canonicalises a part that lost its CRs (a message stored with LF endings).
//
// CrlfCanonicalizer is streaming: bare LF becomes CRLF, bare CR becomes
// CRLF, CRLF stays; a CR at the end of one chunk is matched with an LF at
// the start of the next. Runs without bare line ends pass through without a
// copy. Nothing else changes (no trailing-space stripping, no 7-bit check:
// transfer-encoding 8-bit content before signing is the caller's job).
// Thread-safety: one object per thread.
#ifndef SEALMILTER_LIB_CRYPTO_CANONICAL_H_
#define SEALMILTER_LIB_CRYPTO_CANONICAL_H_

#include <string>
#include <string_view>

#include "lib/crypto/byte_io.h"
#include "lib/status.h"

namespace seal::crypto {

class CrlfCanonicalizer {
 public:
  explicit CrlfCanonicalizer(ByteSink out) : out_(std::move(out)) {}

  Status Write(std::string_view data);
  // Flushes a trailing bare CR as CRLF.
  Status Finish();

 private:
  ByteSink out_;
  bool pending_cr_ = false;  // the previous chunk ended in CR
  std::string scratch_;
};

// True when every CR is followed by LF and every LF preceded by CR.
bool IsCrlfCanonical(std::string_view data);

// The canonical form of `data` (a copy; for parts that need it).
std::string CanonicalizeCrlf(std::string_view data);

}  // namespace seal::crypto

#endif  // SEALMILTER_LIB_CRYPTO_CANONICAL_H_
