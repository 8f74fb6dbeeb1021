// X-Seal-* option header parsing (see options.h).
#include "lib/envelope/options.h"

#include <array>
#include <cstdint>

#include "lib/ascii.h"

namespace seal::envelope {
namespace {

constexpr std::array<std::string_view, 7> kHeaderNames = {
    "X-Seal-Reply",        "X-Seal-Reply-All", "X-Seal-Forward",
    "X-Seal-Read-Receipt", "X-Seal-Expires",   "X-Seal-JS-Free",
    "X-Seal-Remember-Key",
};

constexpr int64_t kMaxDays = 3650;
constexpr int64_t kMaxHours = 87600;

std::string_view Trim(std::string_view s) {
  auto ws = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Parses 1..max_digits decimal digits; false on anything else.
bool ParseNumber(std::string_view s, size_t max_digits, int64_t* out) {
  if (s.empty() || s.size() > max_digits) return false;
  int64_t v = 0;
  for (char c : s) {
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

// Shows a value in an error message: quoted, cut, control chars replaced.
std::string Quote(std::string_view v) {
  std::string out = "\"";
  for (size_t i = 0; i < v.size() && i < 40; ++i) {
    unsigned char c = static_cast<unsigned char>(v[i]);
    out.push_back(c < 0x20 || c == 0x7f ? '?' : v[i]);
  }
  if (v.size() > 40) out += "...";
  out += "\"";
  return out;
}

}  // namespace

std::span<const std::string_view> OptionHeaderNames() { return kHeaderNames; }

bool IsOptionHeader(std::string_view name) {
  for (std::string_view h : kHeaderNames) {
    if (EqualsIgnoreAsciiCase(h, Trim(name))) return true;
  }
  return false;
}

Result<bool> ParseBoolValue(std::string_view value) {
  std::string_view v = Trim(value);
  for (std::string_view yes : {"yes", "true", "on", "1"}) {
    if (EqualsIgnoreAsciiCase(v, yes)) return true;
  }
  for (std::string_view no : {"no", "false", "off", "0"}) {
    if (EqualsIgnoreAsciiCase(v, no)) return false;
  }
  return InvalidArgumentError(Quote(v) + " is not yes or no");
}

Result<std::optional<std::chrono::seconds>> ParseExpiryValue(
    std::string_view value) {
  std::string_view v = Trim(value);
  const std::string bad = Quote(v) + " is not +D (days), +H:MM:SS or never";
  if (EqualsIgnoreAsciiCase(v, "never")) {
    return std::optional<std::chrono::seconds>();
  }
  if (v.size() < 2 || v[0] != '+') return InvalidArgumentError(bad);
  v.remove_prefix(1);
  size_t colon = v.find(':');
  int64_t total = 0;
  if (colon == std::string_view::npos) {
    int64_t days = 0;
    if (!ParseNumber(v, 4, &days)) return InvalidArgumentError(bad);
    if (days > kMaxDays) {
      return InvalidArgumentError(Quote(v) + " days is more than " +
                                  std::to_string(kMaxDays));
    }
    total = days * 86400;
  } else {
    std::string_view h = v.substr(0, colon);
    std::string_view rest = v.substr(colon + 1);
    if (rest.size() != 5 || rest[2] != ':') return InvalidArgumentError(bad);
    int64_t hours = 0, minutes = 0, seconds = 0;
    if (!ParseNumber(h, 5, &hours) ||
        !ParseNumber(rest.substr(0, 2), 2, &minutes) ||
        !ParseNumber(rest.substr(3, 2), 2, &seconds)) {
      return InvalidArgumentError(bad);
    }
    if (minutes > 59 || seconds > 59) return InvalidArgumentError(bad);
    if (hours > kMaxHours) {
      return InvalidArgumentError(Quote(v) + ": more than " +
                                  std::to_string(kMaxHours) + " hours");
    }
    total = hours * 3600 + minutes * 60 + seconds;
  }
  if (total <= 0) return InvalidArgumentError(Quote(v) + " is not positive");
  return std::optional<std::chrono::seconds>(std::chrono::seconds(total));
}

Result<EnvelopeOptions> ParseOptionHeaders(std::span<const HeaderField> headers,
                                           const OptionPolicy& policy) {
  EnvelopeOptions parsed = policy.defaults;
  std::array<bool, kHeaderNames.size()> seen{};
  for (const HeaderField& field : headers) {
    size_t index = kHeaderNames.size();
    for (size_t i = 0; i < kHeaderNames.size(); ++i) {
      if (EqualsIgnoreAsciiCase(kHeaderNames[i], Trim(field.name))) index = i;
    }
    if (index == kHeaderNames.size()) continue;
    const std::string name(kHeaderNames[index]);
    if (seen[index]) return InvalidArgumentError(name + " appears twice");
    seen[index] = true;
    if (index == 4) {
      auto expiry = ParseExpiryValue(field.value);
      if (!expiry.ok()) return expiry.status().WithContext(name);
      if (policy.max_expiry.has_value()) {
        if (!expiry->has_value()) {
          return InvalidArgumentError(name +
                                      ": never is not allowed by policy");
        }
        if (**expiry > *policy.max_expiry) {
          return InvalidArgumentError(
              name + ": " + Quote(Trim(field.value)) +
              " is longer than the policy maximum of " +
              std::to_string(policy.max_expiry->count()) + " seconds");
        }
      }
      parsed.expires_after = *expiry;
      continue;
    }
    auto flag = ParseBoolValue(field.value);
    if (!flag.ok()) return flag.status().WithContext(name);
    bool* targets[] = {&parsed.reply,        &parsed.reply_all, &parsed.forward,
                       &parsed.read_receipt, nullptr,           &parsed.js_free,
                       &parsed.remember_key};
    *targets[index] = *flag;
  }
  if (!policy.sender_may_override) return policy.defaults;
  return parsed;
}

}  // namespace seal::envelope
