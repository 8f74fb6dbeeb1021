// MIME writing helpers (see mime_writer.h).
#include "lib/envelope/mime_writer.h"

#include <algorithm>
#include <ctime>

#include "lib/envelope/base64.h"
#include "lib/envelope/crypto.h"
#include "lib/envelope/escape.h"

namespace seal::envelope {
namespace {

constexpr char kHex[] = "0123456789ABCDEF";
constexpr size_t kLineLimit = 76;
constexpr size_t kWordOverhead = 12;  // "=?UTF-8?B?" + "?="
constexpr size_t kMaxWordBytes = 45;  // 60 base64 chars: a 72-char word

bool NeedsEncoding(std::string_view v, size_t name_length) {
  if (v.size() + name_length + 2 > 78) return true;
  for (char c : v) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) return true;
  }
  // "=?" could be read as an encoded word.
  return v.find("=?") != std::string_view::npos;
}

// Length of the UTF-8 sequence starting with `lead` (1 for invalid).
size_t SequenceLength(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

std::string Hex(std::string_view bytes) {
  std::string out;
  for (char c : bytes) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(kHex[u >> 4]);
    out.push_back(kHex[u & 15]);
  }
  return out;
}

}  // namespace

std::string EncodeHeaderValue(std::string_view value, size_t name_length) {
  std::string clean = SanitizeLine(value);
  if (!NeedsEncoding(clean, name_length)) return clean;
  std::string out;
  std::string_view rest = clean;
  bool first = true;
  while (!rest.empty()) {
    // The first line also holds "Name: ", the others one leading space.
    size_t room = first ? kLineLimit - std::min<size_t>(name_length + 2, 40)
                        : kLineLimit - 1;
    size_t word_bytes = std::min(kMaxWordBytes, (room - kWordOverhead) / 4 * 3);
    size_t n = 0;
    while (n < rest.size()) {
      size_t len = SequenceLength(static_cast<unsigned char>(rest[n]));
      if (n + len > word_bytes) break;
      n += len;
    }
    if (n == 0) n = std::min(rest.size(), word_bytes);
    if (!first) out += "\r\n ";
    first = false;
    out += "=?UTF-8?B?";
    out += Base64Encode(rest.substr(0, n));
    out += "?=";
    rest.remove_prefix(n);
  }
  return out;
}

std::string HeaderLine(std::string_view name, std::string_view value) {
  std::string out(name);
  out += ": ";
  out += EncodeHeaderValue(value, name.size());
  out += "\r\n";
  return out;
}

std::string EncodeQuotedPrintable(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  while (true) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t column = 0;
    for (size_t i = 0; i < line.size(); ++i) {
      unsigned char u = static_cast<unsigned char>(line[i]);
      bool last = i + 1 == line.size();
      std::string piece;
      if ((u >= 33 && u <= 126 && u != '=') ||
          ((u == ' ' || u == '\t') && !last)) {
        piece.push_back(static_cast<char>(u));
      } else {
        piece = {'=', kHex[u >> 4], kHex[u & 15]};
      }
      // Keep room for the soft break '=' unless this is the line's end.
      size_t limit = last ? 76 : 75;
      if (column + piece.size() > limit) {
        out += "=\r\n";
        column = 0;
      }
      out += piece;
      column += piece.size();
    }
    if (nl == std::string_view::npos) break;
    out += "\r\n";
    text.remove_prefix(nl + 1);
  }
  return out;
}

Result<std::string> NewBoundary() {
  auto random = RandomBytes(12);
  if (!random.ok()) return random.status();
  // '=' and '_' never occur together with '.' in base64 or QP output lines.
  return "=_seal." + Hex(*random);
}

std::string FormatMailDate(TimePoint t) {
  time_t secs = static_cast<time_t>(t.time_since_epoch().count());
  struct tm tm {};
  gmtime_r(&secs, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed",
                                          "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr",
                                            "May", "Jun", "Jul", "Aug",
                                            "Sep", "Oct", "Nov", "Dec"};
  char buf[64];
  snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d +0000",
           kDays[tm.tm_wday], tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900,
           tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

Result<std::string> NewMessageId(std::string_view domain) {
  auto random = RandomBytes(16);
  if (!random.ok()) return random.status();
  std::string host = domain.empty() ? "localhost" : std::string(domain);
  return "<" + Hex(*random) + ".seal@" + host + ">";
}

}  // namespace seal::envelope
