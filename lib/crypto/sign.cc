// Detached CMS signing into multipart/signed, streaming; sign-then-encrypt.
#include "lib/crypto/sign.h"

#include <openssl/rand.h>

#include <algorithm>
#include <utility>

#include "lib/crypto/base64.h"
#include "lib/crypto/canonical.h"
#include "lib/crypto/ossl.h"
#include "lib/crypto/smime_capabilities.h"

namespace seal::crypto {
namespace {

constexpr size_t kWriteSlice = 1 << 20;

Result<std::string> RandomBoundary() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return OpenSslError("sign: no random bytes for the boundary");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string b = "----=_seal_";
  for (unsigned char c : bytes) {
    b += kHex[c >> 4];
    b += kHex[c & 15];
  }
  return b;
}

bool ValidBoundary(const std::string& b) {
  if (b.empty() || b.size() > 70) return false;
  static constexpr std::string_view kAllowed =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
      "'()+_,-./:=?";
  return std::all_of(b.begin(), b.end(), [](char c) {
    return kAllowed.find(c) != std::string_view::npos;
  });
}

// Frees a BIO chain built by CMS_dataInit (it ends in a BIO it created).
struct ChainFree {
  void operator()(BIO* b) const { BIO_free_all(b); }
};
using ChainPtr = std::unique_ptr<BIO, ChainFree>;

Result<CmsPtr> StartSignedData(const Signer& signer,
                               const SignOptions& options) {
  const unsigned int flags =
      CMS_DETACHED | CMS_BINARY | CMS_PARTIAL | CMS_STREAM;
  CmsPtr cms(CMS_sign(nullptr, nullptr, nullptr, nullptr, flags));
  if (!cms) return OpenSslError("sign: cannot create SignedData");
  CMS_SignerInfo* si =
      CMS_add1_signer(cms.get(), signer.key.cert.get(), signer.key.key.get(),
                      EVP_sha256(), flags | CMS_NOSMIMECAP);
  if (si == nullptr) {
    return OpenSslError(
        "sign: cannot add the signer " + signer.key.cert.Subject(),
        StatusCode::kInvalidArgument);
  }
  if (options.include_capabilities) {
    Result<AlgorStackPtr> caps = OwnSmimeCapabilities();
    if (!caps.ok()) return caps.status();
    if (CMS_add_smimecap(si, caps->get()) != 1) {
      return OpenSslError("sign: cannot add SMIMECapabilities");
    }
  }
  if (options.include_chain) {
    for (const Certificate& c : signer.chain) {
      if (!c.valid() || c == signer.key.cert) continue;
      if (CMS_add1_cert(cms.get(), c.get()) != 1) {
        // Adding a certificate already present is not an error worth
        // failing for; anything else is.
        std::string detail = DrainOpenSslErrors();
        if (detail.find("already present") == std::string::npos) {
          return InternalError("sign: cannot add chain certificate " +
                               c.Subject() + ": " + detail);
        }
      }
    }
  }
  return cms;
}

std::vector<HeaderField> SignedEntityHeaders(const std::string& boundary) {
  return {{"Content-Type",
           "multipart/signed; protocol=\"application/pkcs7-signature\"; "
           "micalg=sha-256; boundary=\"" +
               boundary + "\""}};
}

}  // namespace

Result<std::vector<HeaderField>> SignEntity(const ByteSource& entity,
                                            const Signer& signer,
                                            const SignOptions& options,
                                            ByteSink out) {
  return NoThrow("sign", [&]() -> Result<std::vector<HeaderField>> {
    ClearOpenSslErrors();
    if (!signer.key.cert.valid() || !signer.key.key.valid()) {
      return InvalidArgumentError("sign: no signer certificate or key");
    }
    std::string boundary = options.boundary;
    if (boundary.empty()) {
      Result<std::string> b = RandomBoundary();
      if (!b.ok()) return b.status();
      boundary = std::move(b).value();
    } else if (!ValidBoundary(boundary)) {
      return InvalidArgumentError("sign: invalid boundary \"" + boundary +
                                  "\"");
    }
    Result<CmsPtr> cms = StartSignedData(signer, options);
    if (!cms.ok()) return cms.status();

    // The digest chain: content written here is hashed (and goes nowhere
    // else: the content is detached).
    ChainPtr digest(CMS_dataInit(cms->get(), nullptr));
    if (!digest) return OpenSslError("sign: cannot start the digest");

    std::vector<HeaderField> headers = SignedEntityHeaders(boundary);
    std::string head;
    if (options.emit_headers) head = FormatHeaders(headers) + "\r\n";
    head += "This is an S/MIME signed message\r\n\r\n--" + boundary + "\r\n";
    SEAL_RETURN_IF_ERROR(out(head));

    CrlfCanonicalizer canon([&](std::string_view bytes) -> Status {
      std::string_view rest = bytes;
      while (!rest.empty()) {
        size_t n = std::min(rest.size(), kWriteSlice);
        size_t written = 0;
        if (BIO_write_ex(digest.get(), rest.data(), n, &written) != 1 ||
            written != n) {
          return OpenSslError("sign: cannot digest content");
        }
        rest.remove_prefix(n);
      }
      return out(bytes);
    });
    SEAL_RETURN_IF_ERROR(entity.ForEachChunk(
        [&canon](std::string_view chunk) { return canon.Write(chunk); }));
    SEAL_RETURN_IF_ERROR(canon.Finish());

    if (CMS_dataFinal(cms->get(), digest.get()) != 1) {
      return OpenSslError("sign: cannot compute the signature");
    }
    digest.reset();

    BioPtr der(BIO_new(BIO_s_mem()));
    if (!der || i2d_CMS_bio(der.get(), cms->get()) != 1) {
      return OpenSslError("sign: cannot encode SignedData");
    }
    char* der_data = nullptr;
    long der_len = BIO_get_mem_data(der.get(), &der_data);  // NOLINT
    if (der_len <= 0 || der_data == nullptr) {
      return InternalError("sign: empty SignedData encoding");
    }
    SEAL_RETURN_IF_ERROR(
        out("\r\n--" + boundary + "\r\n" +
            "Content-Type: application/pkcs7-signature; name=smime.p7s\r\n"
            "Content-Transfer-Encoding: base64\r\n"
            "Content-Disposition: attachment; filename=smime.p7s\r\n\r\n"));
    Base64LineEncoder b64(out);
    SEAL_RETURN_IF_ERROR(
        b64.Write(std::string_view(der_data, static_cast<size_t>(der_len))));
    SEAL_RETURN_IF_ERROR(b64.Finish());
    // The last base64 line's CRLF is the delimiter's leading line end.
    SEAL_RETURN_IF_ERROR(out("--" + boundary + "--\r\n"));
    return headers;
  });
}

Result<std::vector<HeaderField>> SignAndEncryptEntity(
    const ByteSource& entity, const Signer& signer,
    const SignOptions& sign_options,
    const std::vector<EncryptRecipient>& recipients,
    const EncryptOptions& encrypt_options, ByteSink out) {
  return NoThrow("sign+encrypt", [&]() -> Result<std::vector<HeaderField>> {
    Result<std::unique_ptr<EnvelopeWriter>> writer =
        EnvelopeWriter::Begin(recipients, encrypt_options, std::move(out));
    if (!writer.ok()) return writer.status();
    SignOptions inner = sign_options;
    inner.emit_headers = true;  // the signed entity is the plaintext
    Result<std::vector<HeaderField>> signed_headers =
        SignEntity(entity, signer, inner, (*writer)->AsSink());
    if (!signed_headers.ok()) return signed_headers.status();
    SEAL_RETURN_IF_ERROR((*writer)->Finish());
    return (*writer)->headers();
  });
}

}  // namespace seal::crypto
