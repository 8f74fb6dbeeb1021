// MasterKey: key file checks and AES-256-GCM sealing with OpenSSL EVP.
#include "lib/store/master_key.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "lib/store/hex.h"
#include "lib/store/openssl_util.h"

namespace seal::store {
namespace {

constexpr unsigned char kVersion = 1;
constexpr size_t kIdBytes = 8;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr size_t kHeaderBytes = 1 + kIdBytes + kNonceBytes;
constexpr std::string_view kAadLabel = "sealmilter sealed private key v1";
constexpr size_t kMaxKeyFileBytes = 4096;

std::string UserName(uid_t uid) {
  std::string out = "uid " + std::to_string(uid);
  struct passwd pw;
  struct passwd* found = nullptr;
  char buf[1024];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found != nullptr) {
    out += " (";
    out += found->pw_name;
    out += ")";
  }
  return out;
}

std::string OctalMode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

std::string Aad(std::string_view context, std::string_view header) {
  std::string aad(kAadLabel);
  aad.push_back('\0');
  aad += std::to_string(context.size());
  aad.push_back(':');
  aad.append(context);
  aad.append(header);
  return aad;
}

Status ReadAll(int fd, const std::string& path, SecretBytes& out) {
  SecretBytes buf(kMaxKeyFileBytes + 1);
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n = read(fd, buf.data() + got, buf.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("cannot read master key file " + path, errno);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got > kMaxKeyFileBytes) {
    return FailedPreconditionError("master key file " + path +
                                   " is too large to be a key file");
  }
  buf.Truncate(got);
  out = std::move(buf);
  return Status::Ok();
}

}  // namespace

MasterKey::MasterKey(SecretBytes key)
    : key_(std::make_unique<SecretBytes>(std::move(key))) {
  std::string input = "sealmilter master key id";
  input.push_back('\0');
  SecretBytes material(input.size() + key_->size());
  std::copy(input.begin(), input.end(), material.data());
  std::copy(key_->data(), key_->data() + key_->size(),
            material.data() + input.size());
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(material.data(), material.size(), digest);
  id_ = HexLower(
      std::string_view(reinterpret_cast<const char*>(digest), kIdBytes));
}

Result<MasterKey> MasterKey::FromBytes(std::string_view key) {
  if (key.size() != kMasterKeyBytes) {
    return InvalidArgumentError("master key must be 32 bytes, not " +
                                std::to_string(key.size()));
  }
  return MasterKey(SecretBytes(key));
}

Result<std::string> MasterKey::Seal(std::string_view plaintext,
                                    std::string_view context) const {
  Result<int> len = OpenSslLength(plaintext.size());
  if (!len.ok()) return len.status();
  std::string blob(kHeaderBytes, '\0');
  blob[0] = static_cast<char>(kVersion);
  std::optional<std::string> id = HexDecode(id_);
  std::copy(id->begin(), id->end(), blob.begin() + 1);
  auto* nonce = reinterpret_cast<unsigned char*>(blob.data() + 1 + kIdBytes);
  if (RAND_bytes(nonce, static_cast<int>(kNonceBytes)) != 1) {
    return OpenSslError("cannot make a nonce");
  }
  std::string aad = Aad(context, blob);
  Result<int> aad_len = OpenSslLength(aad.size());
  if (!aad_len.ok()) return aad_len.status();

  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int out_len = 0;
  if (ctx == nullptr ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_->data(),
                         nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &out_len, Bytes(aad), *aad_len) !=
          1) {
    return OpenSslError("cannot start AES-256-GCM");
  }
  blob.resize(kHeaderBytes + plaintext.size() + kTagBytes);
  auto* out = reinterpret_cast<unsigned char*>(blob.data() + kHeaderBytes);
  int n = 0;
  if (EVP_EncryptUpdate(ctx.get(), out, &n, Bytes(plaintext), *len) != 1) {
    return OpenSslError("AES-256-GCM encryption failed");
  }
  int final_n = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), out + n, &final_n) != 1 ||
      static_cast<size_t>(n + final_n) != plaintext.size()) {
    return OpenSslError("AES-256-GCM encryption failed");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG,
                          static_cast<int>(kTagBytes),
                          out + plaintext.size()) != 1) {
    return OpenSslError("cannot get the GCM tag");
  }
  return blob;
}

Result<SecretBytes> MasterKey::Open(std::string_view blob,
                                    std::string_view context) const {
  if (blob.size() < kHeaderBytes + kTagBytes) {
    return ParseError("sealed key is truncated");
  }
  if (static_cast<unsigned char>(blob[0]) != kVersion) {
    return ParseError("sealed key has unknown format version " +
                      std::to_string(static_cast<unsigned char>(blob[0])));
  }
  std::string blob_id = HexLower(blob.substr(1, kIdBytes));
  if (blob_id != id_) {
    return FailedPreconditionError("sealed with master key " + blob_id +
                                   ", but the loaded master key is " + id_ +
                                   " (wrong key file?)");
  }
  std::string_view header = blob.substr(0, kHeaderBytes);
  std::string_view body =
      blob.substr(kHeaderBytes, blob.size() - kHeaderBytes - kTagBytes);
  std::string tag(blob.substr(blob.size() - kTagBytes));
  std::string aad = Aad(context, header);
  Result<int> aad_len = OpenSslLength(aad.size());
  if (!aad_len.ok()) return aad_len.status();
  Result<int> body_len = OpenSslLength(body.size());
  if (!body_len.ok()) return body_len.status();

  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  if (ctx == nullptr ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_->data(),
                         Bytes(header.substr(1 + kIdBytes))) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &n, Bytes(aad), *aad_len) != 1) {
    return OpenSslError("cannot start AES-256-GCM");
  }
  SecretBytes plain(body.size() + 16);
  if (EVP_DecryptUpdate(ctx.get(), plain.data(), &n, Bytes(body), *body_len) !=
      1) {
    return OpenSslError("AES-256-GCM decryption failed");
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG,
                          static_cast<int>(kTagBytes), tag.data()) != 1) {
    return OpenSslError("cannot set the GCM tag");
  }
  int final_n = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), plain.data() + n, &final_n) != 1) {
    ClearOpenSslErrors();
    // `plain` is wiped by its destructor; nothing unauthenticated escapes.
    return ParseError(
        "sealed key failed authentication (damaged, or bound to another "
        "certificate)");
  }
  plain.Truncate(static_cast<size_t>(n + final_n));
  return plain;
}

Result<MasterKey> LoadMasterKeyFile(const std::string& path,
                                    std::optional<uid_t> extra_owner) {
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) {
      return NotFoundError("master key file " + path +
                           " does not exist (see store.key_file)");
    }
    if (err == ELOOP) {
      return FailedPreconditionError("master key file " + path +
                                     " is a symbolic link; refusing it");
    }
    return ErrnoError("cannot open master key file " + path, err);
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return ErrnoError("cannot stat master key file " + path, err);
  }
  Status check;
  if (!S_ISREG(st.st_mode)) {
    check = FailedPreconditionError("master key file " + path +
                                    " is not a regular file");
  } else if ((st.st_mode & 077) != 0) {
    check = FailedPreconditionError(
        "master key file " + path + " has mode " + OctalMode(st.st_mode) +
        "; it must not be readable or writable by group or others (chmod 600 " +
        path + ")");
  } else if (st.st_uid != geteuid() && st.st_uid != 0 &&
             (!extra_owner || st.st_uid != *extra_owner)) {
    std::string allowed = "the running user " + UserName(geteuid());
    if (extra_owner && *extra_owner != geteuid()) {
      allowed += ", " + UserName(*extra_owner);
    }
    check = FailedPreconditionError(
        "master key file " + path + " is owned by " + UserName(st.st_uid) +
        ", not by " + allowed + " or root (chown it)");
  }
  if (!check.ok()) {
    close(fd);
    return check;
  }
  SecretBytes content;
  Status read_status = ReadAll(fd, path, content);
  close(fd);
  SEAL_RETURN_IF_ERROR(read_status);

  std::string_view text = content.view();
  if (text.size() == kMasterKeyBytes) return MasterKey::FromBytes(text);
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (text.size() == 2 * kMasterKeyBytes) {
    std::optional<std::string> raw = HexDecode(text);
    if (raw.has_value()) {
      Result<MasterKey> key = MasterKey::FromBytes(*raw);
      OPENSSL_cleanse(raw->data(), raw->size());
      return key;
    }
  }
  return FailedPreconditionError(
      "master key file " + path +
      " does not hold a key (64 hex digits or 32 raw bytes expected)");
}

Status CreateMasterKeyFile(const std::string& path) {
  SecretBytes key(kMasterKeyBytes);
  if (RAND_priv_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    return OpenSslError("cannot generate a master key");
  }
  std::string hex_digits = HexLower(key.view());
  SecretBytes text(hex_digits + "\n");
  OPENSSL_cleanse(hex_digits.data(), hex_digits.size());

  int fd = open(path.c_str(),
                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    int err = errno;
    if (err == EEXIST) {
      return FailedPreconditionError("master key file " + path +
                                     " already exists; not overwriting it");
    }
    return ErrnoError("cannot create master key file " + path, err);
  }
  // The umask may have removed bits but never added any; make sure anyway.
  Status status;
  if (fchmod(fd, 0600) != 0) {
    status = ErrnoError("cannot chmod master key file " + path, errno);
  }
  size_t done = 0;
  while (status.ok() && done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = ErrnoError("cannot write master key file " + path, errno);
      break;
    }
    done += static_cast<size_t>(n);
  }
  if (status.ok() && fsync(fd) != 0) {
    status = ErrnoError("cannot sync master key file " + path, errno);
  }
  if (close(fd) != 0 && status.ok()) {
    status = ErrnoError("cannot close master key file " + path, errno);
  }
  if (!status.ok()) unlink(path.c_str());
  return status;
}

}  // namespace seal::store
