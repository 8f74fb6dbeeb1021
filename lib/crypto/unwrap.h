// Inbound unwrapping: peel S/MIME layers (encrypted, signed, in any order,
// e.g. signed-then-encrypted) off an entity until clear content remains,
// decrypting into Spools and verifying signatures on the way. The
// innermost entity (headers and body) is written to the sink.
//
// Every decrypted layer is spooled (memory, then an unlinked file: see
// lib/spool.h) because the layer inside must be parsed from contiguous
// bytes; a signed layer's content is a view, not a copy. The report tells
// which layers were found and the verdict of each signature.
// Known limits: at most `max_layers` layers (3 by default); a layer that is
// not S/MIME ends the walk (the first one must be S/MIME, else
// kFailedPrecondition). A failed signature does not stop the walk: the
// content is still produced and the report carries the verdict.
// Thread-safety: reentrant.
#ifndef SEALMILTER_LIB_CRYPTO_UNWRAP_H_
#define SEALMILTER_LIB_CRYPTO_UNWRAP_H_

#include <vector>

#include "lib/crypto/byte_io.h"
#include "lib/crypto/certificate.h"
#include "lib/crypto/decrypt.h"
#include "lib/crypto/trust_store.h"
#include "lib/crypto/verify.h"
#include "lib/spool.h"
#include "lib/status.h"

namespace seal::crypto {

struct UnwrapOptions {
  SpoolOptions spool;
  VerifyOptions verify;
  int max_layers = 3;
};

struct UnwrapLayer {
  enum class Kind { kEncrypted, kSigned } kind;
  DecryptResult decrypt;  // kEncrypted
  VerifyResult verify;    // kSigned (signed_content is not kept)
};

struct UnwrapReport {
  std::vector<UnwrapLayer> layers;  // outermost first
  bool decrypted() const;
  // The innermost signature's verdict, or null when nothing was signed.
  const VerifyResult* signature() const;
};

// `entity` is the message's Content-Type, transfer encoding and body.
Result<UnwrapReport> UnwrapEntity(const EntityRef& entity,
                                  const std::vector<KeyPair>& keys,
                                  const TrustStore& trust,
                                  const UnwrapOptions& options, ByteSink out);

}  // namespace seal::crypto

#endif  // SEALMILTER_LIB_CRYPTO_UNWRAP_H_
