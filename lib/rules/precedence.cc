// Combining fired actions into one treatment (see lib/rules/precedence.h).
#include "lib/rules/precedence.h"

#include <array>

namespace seal::rules {
namespace {

std::string Named(const FiredAction& f) {
  return std::string(ActionName(f.action)) + " rule '" +
         std::string(f.rule_id) + "'";
}

}  // namespace

std::string_view FinalActionName(FinalAction action) {
  switch (action) {
    case FinalAction::kNone:
      return "none";
    case FinalAction::kSign:
      return "sign";
    case FinalAction::kEncryptIfPossible:
      return "encrypt-if-possible";
    case FinalAction::kEncrypt:
      return "encrypt";
    case FinalAction::kQuarantine:
      return "quarantine";
    case FinalAction::kReject:
      return "reject";
  }
  return "unknown";
}

Outcome Combine(std::span<const FiredAction> fired, bool authenticated,
                bool sender_internal) {
  Outcome out;
  std::array<const FiredAction*, kActionCount> first{};
  const FiredAction* no_encrypt = nullptr;  // honoured opt-outs
  const FiredAction* no_sign = nullptr;
  const bool trusted = authenticated && sender_internal;

  for (const FiredAction& f : fired) {
    auto& slot = first[static_cast<size_t>(f.action)];
    if (slot == nullptr) slot = &f;
    if (!IsOptOut(f.action)) continue;
    if (!trusted) {
      std::string who = !authenticated && !sender_internal
                            ? "neither authenticated nor internal"
                        : !authenticated ? "not authenticated"
                                         : "not internal";
      out.notes.push_back("opt-out " + Named(f) + " ignored: the sender is " +
                          who);
      continue;
    }
    if (no_encrypt == nullptr &&
        (f.action == Action::kNoEncrypt || f.action == Action::kPlain)) {
      no_encrypt = &f;
    }
    if (no_sign == nullptr &&
        (f.action == Action::kNoSign || f.action == Action::kPlain)) {
      no_sign = &f;
    }
  }

  const FiredAction* reject = first[static_cast<size_t>(Action::kReject)];
  const FiredAction* quarantine =
      first[static_cast<size_t>(Action::kQuarantine)];
  const FiredAction* encrypt = first[static_cast<size_t>(Action::kEncrypt)];
  const FiredAction* maybe =
      first[static_cast<size_t>(Action::kEncryptIfPossible)];
  const FiredAction* sign = first[static_cast<size_t>(Action::kSign)];

  // Encryption level and profile.
  const FiredAction* chosen = nullptr;
  FinalAction level = FinalAction::kNone;
  if (encrypt != nullptr) {
    chosen = encrypt;
    level = FinalAction::kEncrypt;
    if (no_encrypt != nullptr) {
      out.notes.push_back("opt-out " + Named(*no_encrypt) +
                          " does not override must-encrypt " + Named(*encrypt));
    }
  } else if (maybe != nullptr) {
    if (no_encrypt != nullptr) {
      out.notes.push_back("opt-out " + Named(*no_encrypt) + " cancels " +
                          Named(*maybe));
    } else {
      chosen = maybe;
      level = FinalAction::kEncryptIfPossible;
    }
  }
  if (chosen != nullptr) {
    out.profile = std::string(chosen->profile);
    for (const FiredAction& f : fired) {
      if (f.action == chosen->action && f.profile != chosen->profile) {
        out.notes.push_back(Named(f) + " asks for profile '" +
                            std::string(f.profile) + "'; using '" +
                            out.profile + "' of " + Named(*chosen) +
                            " (first in load order)");
      }
    }
  }
  out.no_encrypt_honoured = no_encrypt != nullptr && encrypt == nullptr;

  if (sign != nullptr) {
    if (no_sign != nullptr) {
      out.notes.push_back("opt-out " + Named(*no_sign) + " cancels " +
                          Named(*sign));
    } else {
      out.sign = true;
    }
  }
  out.no_sign_honoured = no_sign != nullptr;

  // Summary action.
  auto superseded = [&](const FiredAction* winner,
                        std::initializer_list<const FiredAction*> others) {
    for (const FiredAction* other : others) {
      if (other == nullptr) continue;
      out.notes.push_back(Named(*winner) + " takes precedence over " +
                          Named(*other));
    }
  };
  if (reject != nullptr) {
    out.action = FinalAction::kReject;
    superseded(reject, {quarantine, encrypt, maybe, sign});
    out.sign = false;
    out.profile.clear();
  } else if (quarantine != nullptr) {
    out.action = FinalAction::kQuarantine;
    superseded(quarantine, {encrypt, maybe, sign});
  } else if (level != FinalAction::kNone) {
    out.action = level;
  } else if (out.sign) {
    out.action = FinalAction::kSign;
  }
  return out;
}

}  // namespace seal::rules
