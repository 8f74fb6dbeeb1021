// Verdict -> sfsistat + smfi_setreply (see milter/verdict_mapper.h).
#include "milter/verdict_mapper.h"

#include <vector>

namespace seal::milter {
namespace {

bool ValidCode(const std::string& code, char first) {
  return code.size() == 3 && code[0] == first && code[1] >= '0' &&
         code[1] <= '9' && code[2] >= '0' && code[2] <= '9';
}

bool ValidEnhanced(const std::string& e, char first) {
  // class.subject.detail, e.g. 4.3.0 or 5.7.1
  if (e.size() < 5 || e[0] != first || e[1] != '.') return false;
  size_t dots = 0;
  for (size_t i = 1; i < e.size(); ++i) {
    if (e[i] == '.') {
      ++dots;
    } else if (e[i] < '0' || e[i] > '9') {
      return false;
    }
  }
  return dots == 2 && e.back() != '.' && e.find("..") == std::string::npos;
}

}  // namespace

std::string SanitizeReplyText(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (out.size() >= 400) break;
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      out += ' ';
    } else if (c == '%') {
      out += "%%";
    } else {
      out += c;
    }
  }
  return out;
}

Reply ReplyFor(const Verdict& v) {
  char cls;
  std::string default_code, default_enhanced, default_text;
  switch (v.kind) {
    case Verdict::Kind::kTempfail:
      cls = '4';
      default_code = "451";
      default_enhanced = "4.3.0";
      default_text = "Temporary failure, try again later";
      break;
    case Verdict::Kind::kReject:
      cls = '5';
      default_code = "550";
      default_enhanced = "5.7.1";
      default_text = "Message refused";
      break;
    default:
      return {};
  }
  Reply r;
  r.code = ValidCode(v.smtp_code, cls) ? v.smtp_code : default_code;
  r.enhanced =
      ValidEnhanced(v.enhanced_code, cls) ? v.enhanced_code : default_enhanced;
  r.text = SanitizeReplyText(v.text.empty() ? default_text : v.text);
  return r;
}

sfsistat MapVerdict(SMFICTX* ctx, const Verdict& verdict, const Logger& log) {
  sfsistat status = SMFIS_TEMPFAIL;
  switch (verdict.kind) {
    case Verdict::Kind::kContinue:
      return SMFIS_CONTINUE;
    case Verdict::Kind::kAccept:
      return SMFIS_ACCEPT;
    case Verdict::Kind::kDiscard:
      return SMFIS_DISCARD;
    case Verdict::Kind::kTempfail:
      status = SMFIS_TEMPFAIL;
      break;
    case Verdict::Kind::kReject:
      status = SMFIS_REJECT;
      break;
  }
  Reply r = ReplyFor(verdict);
  if (ctx != nullptr) {
    std::vector<char> code(r.code.begin(), r.code.end());
    std::vector<char> enhanced(r.enhanced.begin(), r.enhanced.end());
    std::vector<char> text(r.text.begin(), r.text.end());
    code.push_back('\0');
    enhanced.push_back('\0');
    text.push_back('\0');
    if (smfi_setreply(ctx, code.data(), enhanced.data(), text.data()) !=
        MI_SUCCESS) {
      log.Warning() << "cannot set SMTP reply " << r.code << " " << r.enhanced
                    << "; the MTA's default reply is used";
    }
  }
  return status;
}

}  // namespace seal::milter
