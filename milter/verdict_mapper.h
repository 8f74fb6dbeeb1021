// The one verdict mapper: turns a lib Verdict into a libmilter return code
// and, for rejections, the SMTP reply. Every callback goes through it.
#ifndef SEALMILTER_MILTER_VERDICT_MAPPER_H_
#define SEALMILTER_MILTER_VERDICT_MAPPER_H_

#include <libmilter/mfapi.h>

#include <string>

#include "lib/log.h"
#include "lib/verdict.h"

namespace seal::milter {

// Reply text safe for smfi_setreply: printable ASCII only, '%' doubled,
// at most 400 characters.
std::string SanitizeReplyText(std::string_view text);

// The reply a verdict should carry, corrected to be consistent with its kind
// (a tempfail always gets a 4xx code, a reject a 5xx). Empty for
// continue/accept.
struct Reply {
  std::string code, enhanced, text;
};
Reply ReplyFor(const Verdict& verdict);

// Maps and, when `ctx` is non-null, sets the reply. If the reply cannot be
// set, the MTA's default reply for the code class is used: still fail closed.
sfsistat MapVerdict(SMFICTX* ctx, const Verdict& verdict, const Logger& log);

}  // namespace seal::milter

#endif  // SEALMILTER_MILTER_VERDICT_MAPPER_H_
