// Text the store admin commands (envelope, passphrase, quarantine) share:
// who runs sealctl, for the audit records they leave, and how they print
// the store's timestamps.
#ifndef SEALMILTER_CTL_ADMIN_TEXT_H_
#define SEALMILTER_CTL_ADMIN_TEXT_H_

#include <cstdint>
#include <string>

namespace seal::ctl {

// "sealctl alice", or "sealctl alice (sudo)" when root through sudo; the
// name is made terminal-safe (Printable).
std::string Actor();

// "2026-12-03 05:33:22 UTC" for Unix seconds; "-" for 0 (never).
std::string FormatUtc(int64_t t);

}  // namespace seal::ctl

#endif  // SEALMILTER_CTL_ADMIN_TEXT_H_
