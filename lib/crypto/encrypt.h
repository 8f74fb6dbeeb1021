// Outbound encryption: a MIME entity (the original message's content
// headers and body) becomes an RFC 8551 application/pkcs7-mime entity
// holding CMS EnvelopedData (CBC) or AuthEnvelopedData (GCM), with one
// RecipientInfo per recipient certificate.
//
// Streaming: the plaintext is written in slices through OpenSSL's CMS
// streaming BIOs (indefinite-length BER, as SMIME_write_CMS with
// CMS_STREAM produces) into our 76-column CRLF base64 writer and the sink;
// nothing proportional to the message is held in memory.
// Output: with emit_headers, the sink first receives the entity's header
// block (Content-Type: application/pkcs7-mime; smime-type=enveloped-data;
// name=smime.p7m, Content-Transfer-Encoding: base64, Content-Disposition:
// attachment; filename=smime.p7m) and an empty line; the same headers are
// returned so a caller that changes headers separately (the milter) can set
// them itself with emit_headers false.
// Key transport: RSA PKCS#1 v1.5 unless a recipient asks for OAEP; EC
// certificates use ECDH ephemeral-static with the SHA-256 KDF.
// Known limits: RSA and EC recipients only (no KEK or password recipients);
// the caller decides the input is not already encrypted (see
// already_encrypted.h). On error the sink may hold a partial entity: discard
// it.
// Thread-safety: an EnvelopeWriter belongs to one thread; the free function
// is reentrant.
#ifndef SEALMILTER_LIB_CRYPTO_ENCRYPT_H_
#define SEALMILTER_LIB_CRYPTO_ENCRYPT_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "lib/crypto/algorithms.h"
#include "lib/crypto/byte_io.h"
#include "lib/crypto/certificate.h"
#include "lib/crypto/mime_frame.h"
#include "lib/status.h"

namespace seal::crypto {

struct EncryptRecipient {
  Certificate cert;
  KeyTransport transport = KeyTransport::kRsaPkcs1v15;  // RSA only
};

struct EncryptOptions {
  ContentCipher cipher = ContentCipher::kAes256Cbc;
  bool emit_headers = true;
};

// The header fields of the application/pkcs7-mime entity for `cipher`.
std::vector<HeaderField> EnvelopedEntityHeaders(ContentCipher cipher);

class EnvelopeWriter {
 public:
  // Checks the recipients, writes the headers (if asked) and the start of
  // the CMS structure. kInvalidArgument for no recipients or an unsupported
  // key (the message names the certificate).
  static Result<std::unique_ptr<EnvelopeWriter>> Begin(
      const std::vector<EncryptRecipient>& recipients,
      const EncryptOptions& options, ByteSink out);
  ~EnvelopeWriter();
  EnvelopeWriter(const EnvelopeWriter&) = delete;
  EnvelopeWriter& operator=(const EnvelopeWriter&) = delete;

  // Adds plaintext. Any size; written through in slices.
  Status Write(std::string_view plaintext);
  // Completes the CMS structure (and the GCM tag) and the base64 text.
  Status Finish();

  const std::vector<HeaderField>& headers() const { return headers_; }
  uint64_t plaintext_bytes() const { return plaintext_bytes_; }

  // As a ByteSink (for sign-then-encrypt: the signer writes into this).
  ByteSink AsSink();

  struct Impl;  // implementation detail (encrypt.cc)

 private:
  explicit EnvelopeWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::vector<HeaderField> headers_;
  uint64_t plaintext_bytes_ = 0;
  bool finished_ = false;
  Status error_;
};

// Encrypts `entity` to `recipients`; returns the entity's header fields.
Result<std::vector<HeaderField>> EncryptEntity(
    const ByteSource& entity, const std::vector<EncryptRecipient>& recipients,
    const EncryptOptions& options, ByteSink out);

}  // namespace seal::crypto

#endif  // SEALMILTER_LIB_CRYPTO_ENCRYPT_H_
