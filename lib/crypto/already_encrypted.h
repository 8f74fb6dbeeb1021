// Is this message already encrypted end to end? The outbound path asks
// before encrypting so a message is never encrypted twice: S/MIME
// EnvelopedData or AuthEnvelopedData, PGP/MIME (multipart/encrypted), or a
// text body that is one inline PGP armoured message.
//
// Decisions (table-tested): application/(x-)pkcs7-mime counts by its
// smime-type; without one, the CMS content type is read from the first
// bytes of the body. signed-data, compressed-data and certs-only are not
// encrypted. Any multipart/encrypted counts, whatever its protocol. Inline
// PGP counts only when the whole text body, ignoring surrounding white
// space, is one "-----BEGIN PGP MESSAGE-----" ... "-----END PGP
// MESSAGE-----" block: a reply that quotes an armoured block among clear
// text is not encrypted and must still be protected. A clear-signed PGP
// message is not encrypted.
// Known limits: encryption nested inside multipart/mixed (an encrypted
// message forwarded as an attachment) is not "already encrypted": the
// outer message is clear text. Base64 text bodies over 4 MiB are not
// searched for inline armour.
// Thread-safety: pure function.
#ifndef SEALMILTER_LIB_CRYPTO_ALREADY_ENCRYPTED_H_
#define SEALMILTER_LIB_CRYPTO_ALREADY_ENCRYPTED_H_

#include <string>
#include <string_view>

#include "lib/crypto/mime_frame.h"

namespace seal::crypto {

enum class ExistingEncryption {
  kNone,
  kSmimeEnveloped,
  kSmimeAuthEnveloped,
  kMultipartEncrypted,  // PGP/MIME (RFC 3156) or another protocol
  kPgpInline,
};

std::string_view ExistingEncryptionName(ExistingEncryption kind);

struct EncryptionCheck {
  ExistingEncryption kind = ExistingEncryption::kNone;
  std::string reason;  // what decided it, for the log

  bool encrypted() const { return kind != ExistingEncryption::kNone; }
};

// `top` is the message's own Content-Type, Content-Transfer-Encoding and
// body.
EncryptionCheck DetectExistingEncryption(const EntityRef& top);

}  // namespace seal::crypto

#endif  // SEALMILTER_LIB_CRYPTO_ALREADY_ENCRYPTED_H_
