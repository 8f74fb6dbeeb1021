// Metadata JSON (see metadata.h). nlohmann::json stays inside this file.
#include "lib/envelope/metadata.h"

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

#include "lib/envelope/base64.h"

namespace seal::envelope {
namespace {

using Json = nlohmann::ordered_json;

constexpr int kMaxDepth = 16;
constexpr size_t kMaxSlots = 65;  // 64 passphrase slots and a portal slot

// Max nesting of [ and { outside strings.
int NestingDepth(std::string_view text) {
  int depth = 0, max_depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '[' || c == '{') max_depth = std::max(max_depth, ++depth);
    if (c == ']' || c == '}') --depth;
  }
  return max_depth;
}

Status Bad(std::string what) {
  return ParseError("envelope metadata: " + std::move(what));
}

// Field readers: each fails with a message naming the field.
Result<std::string> GetString(const Json& obj, const char* key, bool required,
                              size_t max_size) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) return Bad(std::string("missing ") + key);
    return std::string();
  }
  if (!it->is_string()) return Bad(std::string(key) + " is not a string");
  std::string v = it->get<std::string>();
  if (v.size() > max_size) return Bad(std::string(key) + " is too long");
  return v;
}

Result<std::string> GetBase64(const Json& obj, const char* key, size_t min,
                              size_t max) {
  auto text = GetString(obj, key, true, max * 2);
  if (!text.ok()) return text.status();
  auto raw = Base64Decode(*text);
  if (!raw.ok()) return Bad(std::string(key) + ": " + raw.status().message());
  if (raw->size() < min || raw->size() > max) {
    return Bad(std::string(key) + " has the wrong length");
  }
  return raw;
}

Result<uint64_t> GetUnsigned(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end()) return Bad(std::string("missing ") + key);
  if (!it->is_number_unsigned()) {
    return Bad(std::string(key) + " is not an unsigned integer");
  }
  return it->get<uint64_t>();
}

Result<bool> GetBool(const Json& obj, const char* key, bool fallback) {
  auto it = obj.find(key);
  if (it == obj.end()) return fallback;
  if (!it->is_boolean()) return Bad(std::string(key) + " is not a boolean");
  return it->get<bool>();
}

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsPrintableAscii(std::string_view s) {
  for (char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

std::string_view SlotTypeName(KeySlot::Type t) {
  return t == KeySlot::Type::kPassphrase ? "passphrase" : "portal";
}

Result<std::optional<KeySlot>> ParseSlot(const Json& j) {
  if (!j.is_object()) return Bad("slot is not an object");
  auto type = GetString(j, "type", true, 32);
  if (!type.ok()) return type.status();
  KeySlot slot;
  if (*type == "passphrase") {
    slot.type = KeySlot::Type::kPassphrase;
    auto kdf = GetString(j, "kdf", true, 32);
    if (!kdf.ok()) return kdf.status();
    if (*kdf != "PBKDF2-SHA256") return Bad("unknown kdf " + *kdf);
    auto iterations = GetUnsigned(j, "iterations");
    if (!iterations.ok()) return iterations.status();
    if (*iterations < kMinIterations || *iterations > kMaxIterations) {
      return Bad("iterations out of range");
    }
    slot.iterations = static_cast<uint32_t>(*iterations);
    auto salt = GetBase64(j, "salt", 16, 64);
    if (!salt.ok()) return salt.status();
    slot.salt = *salt;
    auto norm = GetString(j, "normalize", true, 32);
    if (!norm.ok()) return norm.status();
    if (*norm != kNormalizeTrim && *norm != kNormalizeGenerated) {
      return Bad("unknown normalize " + *norm);
    }
    slot.normalize = *norm;
    auto label = GetString(j, "label", false, 256);
    if (!label.ok()) return label.status();
    slot.label = *label;
  } else if (*type == "portal") {
    slot.type = KeySlot::Type::kPortal;
    auto key_id = GetString(j, "key_id", true, 128);
    if (!key_id.ok()) return key_id.status();
    if (key_id->empty() || !IsPrintableAscii(*key_id)) {
      return Bad("key_id must be printable ASCII");
    }
    slot.key_id = *key_id;
  } else {
    return std::optional<KeySlot>();  // a later slot type: ignore
  }
  auto alg = GetString(j, "alg", true, 32);
  if (!alg.ok()) return alg.status();
  if (*alg != "A256GCM") return Bad("unknown slot alg " + *alg);
  auto iv = GetBase64(j, "iv", 12, 12);
  if (!iv.ok()) return iv.status();
  slot.iv = *iv;
  auto wrapped = GetBase64(j, "wrapped", 48, 48);
  if (!wrapped.ok()) return wrapped.status();
  slot.wrapped = *wrapped;
  return std::optional<KeySlot>(std::move(slot));
}

Result<EnvelopeMetadata> ParseChecked(const Json& j) {
  if (!j.is_object()) return Bad("not a JSON object");
  auto format = GetString(j, "format", true, 64);
  if (!format.ok()) return format.status();
  if (*format != kFormatName) return Bad("not a sealmilter envelope");
  auto version = GetUnsigned(j, "version");
  if (!version.ok()) return version.status();
  if (*version != static_cast<uint64_t>(kFormatVersion)) {
    return FailedPreconditionError(
        "envelope format version " + std::to_string(*version) +
        " is not supported by this version of sealmilter");
  }
  EnvelopeMetadata m;
  auto id = GetString(j, "id", true, 32);
  if (!id.ok()) return id.status();
  if (id->size() != 32 || !IsLowerHex(*id)) return Bad("bad id");
  m.id = *id;
  auto sender = GetString(j, "sender", true, 998);
  if (!sender.ok()) return sender.status();
  m.sender = *sender;
  auto name = GetString(j, "sender_name", false, 998);
  if (!name.ok()) return name.status();
  m.sender_name = *name;
  auto created = GetString(j, "created", true, 32);
  if (!created.ok()) return created.status();
  auto created_t = ParseRfc3339(*created);
  if (!created_t.ok()) return Bad("created: " + created_t.status().message());
  m.created = *created_t;
  auto expires = GetString(j, "expires", false, 32);
  if (!expires.ok()) return expires.status();
  if (!expires->empty()) {
    auto t = ParseRfc3339(*expires);
    if (!t.ok()) return Bad("expires: " + t.status().message());
    m.expires = *t;
  }
  auto locale = GetString(j, "locale", false, 35);
  if (!locale.ok()) return locale.status();
  m.locale = *locale;
  auto portal = GetString(j, "portal", false, 2048);
  if (!portal.ok()) return portal.status();
  m.portal_url = *portal;

  auto opts = j.find("options");
  if (opts != j.end()) {
    if (!opts->is_object()) return Bad("options is not an object");
    struct {
      const char* key;
      bool* target;
    } flags[] = {{"reply", &m.options.reply},
                 {"reply_all", &m.options.reply_all},
                 {"forward", &m.options.forward},
                 {"read_receipt", &m.options.read_receipt},
                 {"js_free", &m.options.js_free},
                 {"remember_key", &m.options.remember_key}};
    for (auto& f : flags) {
      auto v = GetBool(*opts, f.key, *f.target);
      if (!v.ok()) return v.status();
      *f.target = *v;
    }
  }
  m.options.expires_after.reset();
  if (m.expires.has_value()) {
    m.options.expires_after = *m.expires - m.created;
  }

  auto content = j.find("content");
  if (content == j.end() || !content->is_object()) {
    return Bad("missing content");
  }
  auto alg = GetString(*content, "alg", true, 32);
  if (!alg.ok()) return alg.status();
  if (*alg != "A256GCM") return Bad("unknown content alg " + *alg);
  auto iv = GetBase64(*content, "iv", 12, 12);
  if (!iv.ok()) return iv.status();
  m.content_iv = *iv;
  auto size = GetUnsigned(*content, "size");
  if (!size.ok()) return size.status();
  m.content_size = *size;

  auto slots = j.find("slots");
  if (slots == j.end() || !slots->is_array()) return Bad("missing slots");
  if (slots->size() > kMaxSlots) return Bad("too many slots");
  for (const Json& s : *slots) {
    auto slot = ParseSlot(s);
    if (!slot.ok()) return slot.status();
    if (slot->has_value()) m.slots.push_back(std::move(**slot));
  }
  return m;
}

}  // namespace

std::string SerializeMetadata(const EnvelopeMetadata& m) {
  Json j;
  j["format"] = kFormatName;
  j["version"] = m.version;
  j["id"] = m.id;
  j["sender"] = m.sender;
  if (!m.sender_name.empty()) j["sender_name"] = m.sender_name;
  j["created"] = FormatRfc3339(m.created);
  if (m.expires.has_value()) j["expires"] = FormatRfc3339(*m.expires);
  if (!m.locale.empty()) j["locale"] = m.locale;
  Json opts;
  opts["reply"] = m.options.reply;
  opts["reply_all"] = m.options.reply_all;
  opts["forward"] = m.options.forward;
  opts["read_receipt"] = m.options.read_receipt;
  opts["js_free"] = m.options.js_free;
  opts["remember_key"] = m.options.remember_key;
  j["options"] = opts;
  if (!m.portal_url.empty()) j["portal"] = m.portal_url;
  Json content;
  content["alg"] = "A256GCM";
  content["iv"] = Base64Encode(m.content_iv);
  content["size"] = m.content_size;
  j["content"] = content;
  Json slots = Json::array();
  for (const KeySlot& s : m.slots) {
    Json js;
    js["type"] = SlotTypeName(s.type);
    if (s.type == KeySlot::Type::kPassphrase) {
      js["kdf"] = "PBKDF2-SHA256";
      js["iterations"] = s.iterations;
      js["salt"] = Base64Encode(s.salt);
      js["normalize"] = s.normalize;
      if (!s.label.empty()) js["label"] = s.label;
    } else {
      js["key_id"] = s.key_id;
    }
    js["alg"] = "A256GCM";
    js["iv"] = Base64Encode(s.iv);
    js["wrapped"] = Base64Encode(s.wrapped);
    slots.push_back(std::move(js));
  }
  j["slots"] = std::move(slots);
  std::string text = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  // '<', '>' and '&' occur only inside JSON strings: escape them there.
  std::string out;
  out.reserve(text.size() + 16);
  for (char c : text) {
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<EnvelopeMetadata> ParseMetadata(std::string_view json) {
  if (json.size() > kMaxMetadataSize) return Bad("too large");
  if (NestingDepth(json) > kMaxDepth) return Bad("nested too deeply");
  try {
    Json j = Json::parse(json.begin(), json.end(), nullptr, false);
    if (j.is_discarded()) return Bad("not valid JSON");
    return ParseChecked(j);
  } catch (const std::exception& e) {
    return Bad(e.what());
  }
}

std::string FormatRfc3339(TimePoint t) {
  time_t secs = static_cast<time_t>(t.time_since_epoch().count());
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string FormatHumanUtc(TimePoint t) {
  time_t secs = static_cast<time_t>(t.time_since_epoch().count());
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char buf[32];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

Result<TimePoint> ParseRfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SSZ
  if (s.size() != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
      s[13] != ':' || s[16] != ':' || s[19] != 'Z') {
    return ParseError("not a UTC time like 2024-05-01T12:00:00Z");
  }
  auto num = [&](size_t pos, size_t len, int* out) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
  };
  struct tm tm {};
  int year, month, day, hour, minute, second;
  if (!num(0, 4, &year) || !num(5, 2, &month) || !num(8, 2, &day) ||
      !num(11, 2, &hour) || !num(14, 2, &minute) || !num(17, 2, &second) ||
      month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 60) {
    return ParseError("not a UTC time like 2024-05-01T12:00:00Z");
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  time_t secs = timegm(&tm);
  return TimePoint(std::chrono::seconds(secs));
}

std::string SlotAad(KeySlot::Type type, std::string_view envelope_id) {
  std::string aad(kFormatName);
  aad += ":";
  aad += std::to_string(kFormatVersion);
  aad += ":";
  aad += SlotTypeName(type);
  aad += ":";
  aad += envelope_id;
  return aad;
}

}  // namespace seal::envelope
