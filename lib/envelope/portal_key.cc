// Portal key file: parsing, formatting, loading with mode checks, and
// generating keys (see lib/envelope/portal_key.h).
#include "lib/envelope/portal_key.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <set>

#include "lib/envelope/base64.h"
#include "lib/envelope/crypto.h"

namespace seal::envelope {
namespace {

constexpr size_t kMaxFileBytes = 64 * 1024;
constexpr size_t kMaxKeyIdChars = 64;
constexpr size_t kKeyBytes = 32;

bool IsKeyIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

Status CheckKeyId(std::string_view id) {
  if (id.empty() || id.size() > kMaxKeyIdChars) {
    return InvalidArgumentError("key id must be 1..64 characters");
  }
  for (char c : id) {
    if (!IsKeyIdChar(c)) {
      return InvalidArgumentError("key id '" + std::string(id) +
                                  "' may only hold A-Z a-z 0-9 . _ -");
    }
  }
  return Status::Ok();
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !IsSpace(line[i])) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::string OctalMode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

void Wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

}  // namespace

Result<PortalKeyRing> PortalKeyRing::Make(std::vector<PortalKey> keys) {
  if (keys.empty()) {
    return InvalidArgumentError("a portal key ring needs at least one key");
  }
  std::set<std::string> seen;
  for (const PortalKey& k : keys) {
    SEAL_RETURN_IF_ERROR(CheckKeyId(k.key_id));
    if (k.key.size() != kKeyBytes) {
      return InvalidArgumentError("portal key " + k.key_id + " must be 32 " +
                                  "bytes, not " + std::to_string(k.key.size()));
    }
    if (!seen.insert(k.key_id).second) {
      return InvalidArgumentError("portal key id " + k.key_id +
                                  " appears twice");
    }
  }
  return PortalKeyRing(std::move(keys));
}

const PortalKey* PortalKeyRing::Find(std::string_view key_id) const {
  for (const PortalKey& k : keys_) {
    if (k.key_id == key_id) return &k;
  }
  return nullptr;
}

Result<PortalKeyRing> ParsePortalKeys(std::string_view text) {
  if (text.size() > kMaxFileBytes) {
    return ResourceExhaustedError("portal key file is over 64 KiB");
  }
  std::vector<PortalKey> keys;
  std::set<std::string, std::less<>> seen;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    ++line_no;
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    auto error = [&](const std::string& why) {
      return ParseError("line " + std::to_string(line_no) + ": " + why);
    };
    std::vector<std::string_view> f = Fields(line);
    if (f.empty() || f[0].front() == '#') continue;
    if (f[0] != kPortalKeyTag) {
      return error("expected '" + std::string(kPortalKeyTag) +
                   " KEY_ID BASE64KEY'");
    }
    if (f.size() != 3) {
      return error("expected 3 fields, found " + std::to_string(f.size()));
    }
    Status id_ok = CheckKeyId(f[1]);
    if (!id_ok.ok()) return error(id_ok.message());
    if (seen.count(f[1]) != 0) {
      return error("key id " + std::string(f[1]) + " appears twice");
    }
    Result<std::string> key = Base64Decode(f[2]);
    if (!key.ok()) return error("key is not valid base64");
    if (key->size() != kKeyBytes) {
      size_t n = key->size();
      Wipe(*key);
      return error("key must be 32 bytes, not " + std::to_string(n));
    }
    seen.insert(std::string(f[1]));
    keys.push_back(PortalKey{std::string(f[1]), std::move(key).value()});
  }
  if (keys.empty()) return ParseError("portal key file holds no key");
  return PortalKeyRing::Make(std::move(keys));
}

Result<PortalKeyRing> LoadPortalKeyFile(const std::string& path) {
  const std::string what = "portal key file " + path;
  int fd = open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) {
      return NotFoundError(what +
                           " does not exist (see portal.key_file; sealctl "
                           "envelope keygen --out makes one)");
    }
    if (err == ELOOP) {
      return FailedPreconditionError(what + " is a symbolic link; refusing it");
    }
    return ErrnoError("cannot open " + what, err);
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    int err = errno;
    close(fd);
    return ErrnoError("cannot stat " + what, err);
  }
  Status check;
  if (!S_ISREG(st.st_mode)) {
    check = FailedPreconditionError(what + " is not a regular file");
  } else if ((st.st_mode & 077) != 0) {
    check = FailedPreconditionError(
        what + " has mode " + OctalMode(st.st_mode) +
        "; it must not be readable or writable by group or others (chmod 600 " +
        path + ")");
  } else if (static_cast<uint64_t>(st.st_size) > kMaxFileBytes) {
    check = ResourceExhaustedError(what + " is over 64 KiB");
  }
  if (!check.ok()) {
    close(fd);
    return check;
  }
  // Read from the checked descriptor (not the path again), capped.
  std::string text;
  char buf[8192];
  Status read_status;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      read_status = ErrnoError("cannot read " + what, errno);
      break;
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxFileBytes) {
      read_status = ResourceExhaustedError(what + " is over 64 KiB");
      break;
    }
  }
  OPENSSL_cleanse(buf, sizeof buf);
  close(fd);
  if (!read_status.ok()) {
    Wipe(text);
    return read_status;
  }
  Result<PortalKeyRing> ring = ParsePortalKeys(text);
  Wipe(text);
  if (!ring.ok()) return ring.status().WithContext(what);
  return ring;
}

Result<PortalKey> GeneratePortalKey(std::string_view key_id) {
  PortalKey out;
  if (key_id.empty()) {
    Result<std::string> tag = RandomBytes(4);
    if (!tag.ok()) return tag.status();
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char date[16];
    std::strftime(date, sizeof date, "%Y%m%d", &tm);
    char hex[9];
    const auto* b = reinterpret_cast<const unsigned char*>(tag->data());
    std::snprintf(hex, sizeof hex, "%02x%02x%02x%02x", b[0], b[1], b[2], b[3]);
    out.key_id = std::string("k") + date + "-" + hex;
  } else {
    SEAL_RETURN_IF_ERROR(CheckKeyId(key_id));
    out.key_id = std::string(key_id);
  }
  Result<std::string> key = RandomBytes(kKeyBytes);
  if (!key.ok()) return key.status();
  out.key = std::move(key).value();
  return out;
}

std::string FormatPortalKeys(const PortalKeyRing& ring) {
  std::string out =
      "# sealmilter portal keys (portal.key_file). Keep this file secret:\n"
      "# it opens every envelope's portal slot. The first key is current;\n"
      "# older ones open older envelopes. Mode 0600.\n";
  for (const PortalKey& k : ring.keys()) {
    out += kPortalKeyTag;
    out += ' ';
    out += k.key_id;
    out += ' ';
    out += Base64Encode(k.key);
    out += '\n';
  }
  return out;
}

}  // namespace seal::envelope
