// EnvelopeWriter: CMS (Auth)EnvelopedData through OpenSSL's streaming BIOs.
#include "lib/crypto/encrypt.h"

#include <openssl/rsa.h>

#include <algorithm>
#include <utility>

#include "lib/crypto/base64.h"
#include "lib/crypto/bio_adapters.h"
#include "lib/crypto/ossl.h"
#include "lib/crypto/pipelined_sink.h"

namespace seal::crypto {
namespace {

constexpr size_t kWriteSlice = 1 << 20;

Status ConfigureRecipient(CMS_ContentInfo* cms, const EncryptRecipient& r,
                          size_t index) {
  const std::string who = "recipient " + std::to_string(index + 1) + " (" +
                          r.cert.Subject() + ", serial " + r.cert.SerialHex() +
                          ")";
  const KeyKind kind = r.cert.key_kind();
  if (kind == KeyKind::kOther) {
    return InvalidArgumentError(who + ": key type is neither RSA nor EC");
  }
  CMS_RecipientInfo* ri =
      CMS_add1_recipient_cert(cms, r.cert.get(), CMS_KEY_PARAM);
  if (ri == nullptr) {
    return OpenSslError(who + ": cannot add a RecipientInfo",
                        StatusCode::kInvalidArgument);
  }
  EVP_PKEY_CTX* pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
  if (pctx == nullptr) {
    return OpenSslError(who + ": no key context for the RecipientInfo");
  }
  if (kind == KeyKind::kEc) {
    if (EVP_PKEY_CTX_set_ecdh_kdf_md(pctx, EVP_sha256()) <= 0) {
      return OpenSslError(who + ": cannot select the SHA-256 ECDH KDF");
    }
    return Status::Ok();
  }
  if (r.transport == KeyTransport::kRsaPkcs1v15) return Status::Ok();
  if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0) {
    return OpenSslError(who + ": cannot select RSA-OAEP");
  }
  if (r.transport == KeyTransport::kRsaOaepSha256) {
    if (EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) <= 0 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) <= 0) {
      return OpenSslError(who + ": cannot select SHA-256 for RSA-OAEP");
    }
  }
  return Status::Ok();
}

}  // namespace

struct EnvelopeWriter::Impl {
  std::unique_ptr<Base64LineEncoder> base64;
  // Runs the base64 encoder and the output sink on a second thread while
  // this one encrypts; declared after base64, so it stops first.
  std::unique_ptr<PipelinedSink> pipeline;
  std::unique_ptr<SinkBio> sink_bio;
  CmsPtr cms;
  BIO* chain = nullptr;  // filters pushed on sink_bio by BIO_new_CMS

  // Frees the filter BIOs down to (not including) the sink BIO.
  void FreeChain() {
    BIO* b = chain;
    chain = nullptr;
    while (b != nullptr && b != sink_bio->bio()) {
      BIO* next = BIO_pop(b);
      BIO_free(b);
      b = next;
    }
  }

  Status SinkOr(Status fallback) const {
    if (!sink_bio->status().ok()) return sink_bio->status();
    return fallback;
  }

  ~Impl() {
    if (sink_bio) FreeChain();
  }
};

std::vector<HeaderField> EnvelopedEntityHeaders(ContentCipher cipher) {
  std::string smime_type =
      IsAead(cipher) ? "authEnveloped-data" : "enveloped-data";
  return {
      {"Content-Type",
       "application/pkcs7-mime; smime-type=" + smime_type + "; name=smime.p7m"},
      {"Content-Transfer-Encoding", "base64"},
      {"Content-Disposition", "attachment; filename=smime.p7m"},
  };
}

EnvelopeWriter::EnvelopeWriter(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

EnvelopeWriter::~EnvelopeWriter() = default;

Result<std::unique_ptr<EnvelopeWriter>> EnvelopeWriter::Begin(
    const std::vector<EncryptRecipient>& recipients,
    const EncryptOptions& options, ByteSink out) {
  return NoThrow("encrypt", [&]() -> Result<std::unique_ptr<EnvelopeWriter>> {
    ClearOpenSslErrors();
    if (recipients.empty()) {
      return InvalidArgumentError("encrypt: no recipient certificates");
    }
    for (size_t i = 0; i < recipients.size(); ++i) {
      if (!recipients[i].cert.valid()) {
        return InvalidArgumentError("encrypt: recipient " +
                                    std::to_string(i + 1) +
                                    " has no certificate");
      }
    }
    const EVP_CIPHER* cipher = CipherFor(options.cipher);
    if (cipher == nullptr) return InvalidArgumentError("encrypt: no cipher");

    auto impl = std::make_unique<Impl>();
    impl->cms.reset(IsAead(options.cipher)
                        ? CMS_AuthEnvelopedData_create(cipher)
                        : CMS_EnvelopedData_create(cipher));
    if (!impl->cms)
      return OpenSslError("encrypt: cannot create the CMS object");
    for (size_t i = 0; i < recipients.size(); ++i) {
      Status s = ConfigureRecipient(impl->cms.get(), recipients[i], i);
      if (!s.ok()) return s.WithContext("encrypt");
    }
    // Content is streamed in, not held: mark it so the encoder writes an
    // indefinite-length OCTET STRING as data arrives.
    if (CMS_set_detached(impl->cms.get(), 0) != 1) {
      return OpenSslError("encrypt: cannot attach content");
    }

    std::unique_ptr<EnvelopeWriter> writer(new EnvelopeWriter(nullptr));
    writer->headers_ = EnvelopedEntityHeaders(options.cipher);
    if (options.emit_headers) {
      Status s = out(FormatHeaders(writer->headers_) + "\r\n");
      if (!s.ok()) return s;
    }
    impl->base64 = std::make_unique<Base64LineEncoder>(std::move(out));
    Base64LineEncoder* b64 = impl->base64.get();
    impl->pipeline = std::make_unique<PipelinedSink>(
        [b64](std::string_view der) { return b64->Write(der); });
    PipelinedSink* pipeline = impl->pipeline.get();
    Result<SinkBio> sink = SinkBio::Create(
        [pipeline](std::string_view der) { return pipeline->Write(der); });
    if (!sink.ok()) return sink.status();
    impl->sink_bio = std::make_unique<SinkBio>(std::move(sink).value());
    // Encrypts the content key for every recipient and writes the start of
    // the structure; returns the BIO that takes the plaintext.
    impl->chain = BIO_new_CMS(impl->sink_bio->bio(), impl->cms.get());
    if (impl->chain == nullptr) {
      return impl->SinkOr(OpenSslError(
          "encrypt: cannot start the CMS stream (recipient key unusable?)",
          StatusCode::kInvalidArgument));
    }
    writer->impl_ = std::move(impl);
    return writer;
  });
}

Status EnvelopeWriter::Write(std::string_view plaintext) {
  if (!error_.ok()) return error_;
  if (finished_) return FailedPreconditionError("encrypt: write after Finish");
  while (!plaintext.empty()) {
    size_t n = std::min(plaintext.size(), kWriteSlice);
    size_t written = 0;
    if (BIO_write_ex(impl_->chain, plaintext.data(), n, &written) != 1 ||
        written != n) {
      error_ = impl_->SinkOr(OpenSslError("encrypt: cannot encrypt content"));
      return error_;
    }
    plaintext_bytes_ += n;
    plaintext.remove_prefix(n);
  }
  return Status::Ok();
}

Status EnvelopeWriter::Finish() {
  if (!error_.ok()) return error_;
  if (finished_) return Status::Ok();
  finished_ = true;
  ClearOpenSslErrors();
  // Flushing the streaming BIO writes the last block, the GCM tag and the
  // end-of-contents octets.
  if (BIO_flush(impl_->chain) != 1) {
    error_ =
        impl_->SinkOr(OpenSslError("encrypt: cannot finish the CMS stream"));
    return error_;
  }
  impl_->FreeChain();
  if (!impl_->sink_bio->status().ok()) {
    error_ = impl_->sink_bio->status();
    return error_;
  }
  error_ = impl_->pipeline->Finish();
  if (!error_.ok()) return error_;
  error_ = impl_->base64->Finish();  // the worker has ended: safe here
  return error_;
}

ByteSink EnvelopeWriter::AsSink() {
  return [this](std::string_view data) { return Write(data); };
}

Result<std::vector<HeaderField>> EncryptEntity(
    const ByteSource& entity, const std::vector<EncryptRecipient>& recipients,
    const EncryptOptions& options, ByteSink out) {
  return NoThrow("encrypt", [&]() -> Result<std::vector<HeaderField>> {
    Result<std::unique_ptr<EnvelopeWriter>> writer =
        EnvelopeWriter::Begin(recipients, options, std::move(out));
    if (!writer.ok()) return writer.status();
    SEAL_RETURN_IF_ERROR(entity.ForEachChunk((*writer)->AsSink()));
    SEAL_RETURN_IF_ERROR((*writer)->Finish());
    return (*writer)->headers();
  });
}

}  // namespace seal::crypto
