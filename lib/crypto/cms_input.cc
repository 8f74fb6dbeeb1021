// CMS parsing from base64 bodies (streamed decode) and DER sources.
#include "lib/crypto/cms_input.h"

#include <openssl/objects.h>

#include <functional>
#include <memory>

#include "lib/crypto/base64.h"
#include "lib/crypto/bio_adapters.h"
#include "lib/crypto/mime_frame.h"

namespace seal::crypto {
namespace {

Result<CmsPtr> Parse(BIO* bio, const Status& source_status_if_any) {
  CmsPtr cms(d2i_CMS_bio(bio, nullptr));
  if (!source_status_if_any.ok()) return source_status_if_any;
  if (!cms) {
    return OpenSslError("truncated or malformed CMS data",
                        StatusCode::kParseError);
  }
  return cms;
}

class Base64Pull : public PullSource {
 public:
  explicit Base64Pull(std::string_view text) : decoder_(text) {}
  Result<size_t> Read(char* buf, size_t n) override {
    return decoder_.Read(buf, n);
  }

 private:
  Base64Decoder decoder_;
};

class SourcePull : public PullSource {
 public:
  explicit SourcePull(const ByteSource& source) : reader_(source) {}
  Result<size_t> Read(char* buf, size_t n) override {
    return reader_.Read(buf, n);
  }

 private:
  ByteReader reader_;
};

// Splits, parses the skeleton, and opens the content for streaming; falls
// back to `whole` (a full OpenSSL parse) for other types or BER our walker
// does not take.
Result<OpenedCms> OpenSplit(const PullSourceFactory& factory,
                            const std::function<Result<CmsPtr>()>& whole) {
  Result<std::unique_ptr<PullSource>> first = factory();
  if (!first.ok()) return first.status();
  Result<CmsSplit> split = SplitCmsContent(**first);
  OpenedCms opened;
  if (!split.ok() || split->kind == CmsKind::kOther || !split->has_content) {
    Result<CmsPtr> cms = whole();
    if (!cms.ok()) {
      // Prefer the walker's message when the input itself was bad.
      if (!split.ok() && split.status().code() == StatusCode::kParseError &&
          split.status().message().find("base64") != std::string::npos) {
        return split.status();
      }
      return cms.status();
    }
    opened.cms = std::move(cms).value();
    if (split.ok()) opened.kind = split->kind;
    return opened;
  }
  opened.kind = split->kind;
  Result<BioPtr> bio = MemoryBio(split->skeleton);
  if (!bio.ok()) return bio.status();
  opened.cms.reset(d2i_CMS_bio(bio->get(), nullptr));
  if (!opened.cms) {
    return OpenSslError("truncated or malformed CMS data",
                        StatusCode::kParseError);
  }
  Result<std::unique_ptr<PullSource>> second = factory();
  if (!second.ok()) return second.status();
  Result<std::unique_ptr<CmsContentReader>> reader =
      CmsContentReader::Open(std::move(second).value(), *split);
  if (!reader.ok()) return reader.status();
  opened.reader = std::move(reader).value();
  CmsContentReader* r = opened.reader.get();
  Result<SourceBio> content =
      SourceBio::Create([r](char* buf, size_t n) { return r->Read(buf, n); });
  if (!content.ok()) return content.status();
  opened.content_bio = std::make_unique<SourceBio>(std::move(content).value());
  return opened;
}

}  // namespace

Result<OpenedCms> OpenCmsBody(std::string_view body,
                              std::string_view transfer_encoding) {
  ClearOpenSslErrors();
  const std::string cte = NormalizeTransferEncoding(transfer_encoding);
  PullSourceFactory factory;
  if (cte == "base64") {
    factory = [body]() -> Result<std::unique_ptr<PullSource>> {
      return std::unique_ptr<PullSource>(new Base64Pull(body));
    };
  } else if (cte == "binary" || cte == "8bit" || cte == "7bit") {
    auto source = std::make_shared<ByteSource>(body);
    factory = [source]() -> Result<std::unique_ptr<PullSource>> {
      return std::unique_ptr<PullSource>(new SourcePull(*source));
    };
  } else {
    return ParseError("unsupported Content-Transfer-Encoding \"" + cte +
                      "\" for an S/MIME body");
  }
  return OpenSplit(factory,
                   [&] { return ReadCmsBody(body, transfer_encoding); });
}

Result<OpenedCms> OpenCmsDer(const ByteSource& der) {
  ClearOpenSslErrors();
  if (der.is_bio()) {
    Result<CmsPtr> cms = ReadCmsDer(der);
    if (!cms.ok()) return cms.status();
    OpenedCms opened;
    opened.cms = std::move(cms).value();
    return opened;
  }
  PullSourceFactory factory = [&der]() -> Result<std::unique_ptr<PullSource>> {
    return std::unique_ptr<PullSource>(new SourcePull(der));
  };
  return OpenSplit(factory, [&] { return ReadCmsDer(der); });
}

std::string CmsTypeName(const CMS_ContentInfo* cms) {
  const ASN1_OBJECT* type = CMS_get0_type(cms);
  int nid = OBJ_obj2nid(type);
  const char* sn = OBJ_nid2sn(nid);
  return sn != nullptr ? sn : "unknown";
}

Result<CmsPtr> ReadCmsBody(std::string_view body,
                           std::string_view transfer_encoding) {
  ClearOpenSslErrors();
  const std::string cte = NormalizeTransferEncoding(transfer_encoding);
  if (cte == "base64") {
    Base64Decoder decoder(body);
    Result<SourceBio> src = SourceBio::Create(
        [&decoder](char* buf, size_t n) { return decoder.Read(buf, n); });
    if (!src.ok()) return src.status();
    CmsPtr cms(d2i_CMS_bio(src->bio(), nullptr));
    if (!src->status().ok()) {
      ClearOpenSslErrors();
      return src->status().WithContext("S/MIME body");
    }
    if (!cms) {
      return OpenSslError("truncated or malformed CMS data in the S/MIME body",
                          StatusCode::kParseError);
    }
    return cms;
  }
  if (cte == "binary" || cte == "8bit" || cte == "7bit") {
    Result<BioPtr> bio = MemoryBio(body);
    if (!bio.ok()) return bio.status();
    return Parse(bio->get(), Status::Ok());
  }
  return ParseError("unsupported Content-Transfer-Encoding \"" + cte +
                    "\" for an S/MIME body");
}

Result<CmsPtr> ReadCmsDer(const ByteSource& der) {
  ClearOpenSslErrors();
  if (const std::string_view* view = der.single_view()) {
    Result<BioPtr> bio = MemoryBio(*view);
    if (!bio.ok()) return bio.status();
    return Parse(bio->get(), Status::Ok());
  }
  ByteReader reader(der);
  Result<SourceBio> src = SourceBio::Create(
      [&reader](char* buf, size_t n) { return reader.Read(buf, n); });
  if (!src.ok()) return src.status();
  CmsPtr cms(d2i_CMS_bio(src->bio(), nullptr));
  if (!src->status().ok()) {
    ClearOpenSslErrors();
    return src->status();
  }
  if (!cms) {
    return OpenSslError("truncated or malformed CMS data",
                        StatusCode::kParseError);
  }
  return cms;
}

}  // namespace seal::crypto
