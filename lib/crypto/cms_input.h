// Reading a CMS ContentInfo from an S/MIME body or from DER bytes, with
// errors that say what was wrong (bad base64 and where, truncated or
// malformed CMS) rather than OpenSSL's ASN.1 internals alone.
//
// ReadCms* parse the whole object with OpenSSL (fine for signatures and
// small objects). OpenCms* split enveloped and signed-data objects
// (cms_stream.h): OpenSSL parses only the skeleton and the content is
// streamed from the input through a detached-content BIO, so a 25 MB
// message is never held as DER or as a parsed structure. Inputs that cannot
// be re-read (a BIO) or other content types fall back to a whole parse.
// Base64 is decoded as it is read in both cases.
// Known limits: the body must be base64, or binary/8bit/7bit raw DER/BER;
// quoted-printable CMS is refused. Bytes after the CMS structure are
// ignored.
// Thread-safety: reentrant.
#ifndef SEALMILTER_LIB_CRYPTO_CMS_INPUT_H_
#define SEALMILTER_LIB_CRYPTO_CMS_INPUT_H_

#include <memory>
#include <string_view>

#include "lib/crypto/bio_adapters.h"
#include "lib/crypto/byte_io.h"
#include "lib/crypto/cms_stream.h"
#include "lib/crypto/ossl.h"
#include "lib/status.h"

namespace seal::crypto {

// `transfer_encoding` as in the header (any case; empty means 7bit).
Result<CmsPtr> ReadCmsBody(std::string_view body,
                           std::string_view transfer_encoding);

Result<CmsPtr> ReadCmsDer(const ByteSource& der);

// A CMS object ready for CMS_decrypt / CMS_verify. When `content_bio` is
// set, `cms` is the skeleton and the content must be passed as the
// detached content (dcont); after the OpenSSL call, check
// content_status(): a read error there (bad base64, truncation) is the
// real cause of any failure and overrides a success.
struct OpenedCms {
  CmsPtr cms;
  CmsKind kind = CmsKind::kOther;
  std::unique_ptr<CmsContentReader> reader;
  std::unique_ptr<SourceBio> content_bio;  // null: content inside `cms`

  BIO* dcont() const { return content_bio ? content_bio->bio() : nullptr; }
  Status content_status() const {
    return content_bio ? content_bio->status() : Status::Ok();
  }
};

Result<OpenedCms> OpenCmsBody(std::string_view body,
                              std::string_view transfer_encoding);
Result<OpenedCms> OpenCmsDer(const ByteSource& der);

// OpenSSL's short name of the CMS content type: "pkcs7-envelopedData", ...
std::string CmsTypeName(const CMS_ContentInfo* cms);

}  // namespace seal::crypto

#endif  // SEALMILTER_LIB_CRYPTO_CMS_INPUT_H_
