// Verdict: what lib/ tells the MTA layer to answer at a protocol step, with
// the SMTP reply for rejections. lib/ decides the policy (which failure gets
// which reply); milter/verdict_mapper.cc only translates to libmilter.
#ifndef SEALMILTER_LIB_VERDICT_H_
#define SEALMILTER_LIB_VERDICT_H_

#include <string>

#include "lib/status.h"

namespace seal {

struct Verdict {
  enum class Kind {
    kContinue,  // go on with the next protocol step
    kAccept,    // accept the message without further filtering
    kTempfail,  // 4xx: the sending MTA keeps the message and retries
    kReject,    // 5xx: permanent refusal
    kDiscard,   // accept, then drop the MTA's copy (sealmilter keeps it)
  };
  Kind kind = Kind::kContinue;
  std::string smtp_code;      // "451", "552"; empty for continue/accept
  std::string enhanced_code;  // "4.3.0"
  std::string text;           // human text of the reply

  static Verdict Continue() { return {}; }
  static Verdict Accept() { return {Kind::kAccept, "", "", ""}; }
  static Verdict Discard() { return {Kind::kDiscard, "", "", ""}; }
  static Verdict Tempfail(std::string text, std::string code = "451",
                          std::string enhanced = "4.3.0") {
    return {Kind::kTempfail, std::move(code), std::move(enhanced),
            std::move(text)};
  }
  static Verdict Reject(std::string code, std::string enhanced,
                        std::string text) {
    return {Kind::kReject, std::move(code), std::move(enhanced),
            std::move(text)};
  }
};

// The fail-closed mapping of an internal error to a reply: a size limit is a
// permanent 552 5.3.4; every other failure is a 451 4.3.0 so the message stays
// with the sender's MTA. Never "accept".
Verdict VerdictForError(const Status& status);

const char* VerdictKindName(Verdict::Kind kind);

}  // namespace seal

#endif  // SEALMILTER_LIB_VERDICT_H_
