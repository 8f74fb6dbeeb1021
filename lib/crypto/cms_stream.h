// Streaming access to the content of a large CMS object without letting
// OpenSSL parse (and so copy) the whole thing: the content octets
// (EnvelopedData / AuthEnvelopedData encryptedContent, SignedData eContent)
// are cut out of the BER, the rest (a "skeleton": recipients, algorithms,
// GCM tag, signer infos; a few KiB) is handed to OpenSSL, and the content
// is fed back as OpenSSL's detached-content BIO (CMS_decrypt / CMS_verify
// with dcont), read straight from the (base64) input in a second pass.
//
// Pass 1 walks the BER: the ContentInfo, its [0] content and the first
// SEQUENCE after the first SET (EncryptedContentInfo, or SignedData's
// EncapsulatedContentInfo) are rebuilt with definite lengths around the
// copied children; the content element is skipped and its offset noted.
// Pass 2 restarts the input, skips to that offset and yields the octets of
// the (possibly constructed, indefinite-length) OCTET STRING.
// Known limits: other content types are not split (kind kOther: parse the
// usual way); nesting depth is capped at 32; lengths above 2^40 are
// refused.
// Thread-safety: objects belong to one thread; no shared state.
#ifndef SEALMILTER_LIB_CRYPTO_CMS_STREAM_H_
#define SEALMILTER_LIB_CRYPTO_CMS_STREAM_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/status.h"

namespace seal::crypto {

// A restartable source of decoded CMS bytes: each call to the factory
// starts from the first byte.
class PullSource {
 public:
  virtual ~PullSource() = default;
  // Up to `n` bytes into `buf`; 0 at the end.
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
};
using PullSourceFactory = std::function<Result<std::unique_ptr<PullSource>>()>;

enum class CmsKind { kEnveloped, kAuthEnveloped, kSigned, kOther };

struct CmsSplit {
  CmsKind kind = CmsKind::kOther;
  std::string skeleton;  // DER ContentInfo without the content octets
  bool has_content = false;
  uint64_t content_offset = 0;  // of the content element's first byte
};

// Pass 1. kParseError for truncated or malformed BER.
Result<CmsSplit> SplitCmsContent(PullSource& source);

// Pass 2: the content octets, read on demand.
class CmsContentReader {
 public:
  static Result<std::unique_ptr<CmsContentReader>> Open(
      std::unique_ptr<PullSource> source, const CmsSplit& split);
  ~CmsContentReader();
  Result<size_t> Read(char* buf, size_t n);

  struct State;  // implementation detail (cms_stream.cc)

 private:
  explicit CmsContentReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace seal::crypto

#endif  // SEALMILTER_LIB_CRYPTO_CMS_STREAM_H_
