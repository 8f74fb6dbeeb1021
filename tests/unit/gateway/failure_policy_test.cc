// lib/gateway/failure_policy.h: parsing gateway.on_failure_profiles, and
// which action wins for a set of profiles and a cause.
#include "lib/gateway/failure_policy.h"

#include <catch2/catch.hpp>

namespace seal::gateway {
namespace {

TEST_CASE("failure policy: PROFILE=ACTION items") {
  Result<std::map<std::string, FailureAction>> ok =
      ParseProfileFailures({"legal=quarantine", "hr=reject", "x=tempfail"});
  REQUIRE(ok.ok());
  CHECK(ok->at("legal") == FailureAction::kQuarantine);
  CHECK(ok->at("hr") == FailureAction::kReject);
  CHECK(ok->at("x") == FailureAction::kTempfail);
  for (const char* bad :
       {"legal", "=reject", "legal=", "legal=bounce", "legal=Reject"}) {
    INFO(bad);
    Result<std::map<std::string, FailureAction>> r =
        ParseProfileFailures({bad});
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInvalidArgument);
  }
  Result<std::map<std::string, FailureAction>> twice =
      ParseProfileFailures({"a=reject", "a=tempfail"});
  REQUIRE_FALSE(twice.ok());
  CHECK_THAT(twice.status().message(), Catch::Contains("twice"));
}

TEST_CASE("failure policy: the strongest action wins") {
  FailurePolicy p;
  p.fallback = FailureAction::kTempfail;
  p.by_profile = {{"legal", FailureAction::kQuarantine},
                  {"hr", FailureAction::kReject},
                  {"soft", FailureAction::kTempfail}};
  using C = FailureCause;
  CHECK(ChooseFailureAction(p, {}, C::kGeneral) == FailureAction::kTempfail);
  CHECK(ChooseFailureAction(p, {"default"}, C::kGeneral) ==
        FailureAction::kTempfail);
  CHECK(ChooseFailureAction(p, {"hr"}, C::kGeneral) == FailureAction::kReject);
  CHECK(ChooseFailureAction(p, {"hr", "legal"}, C::kGeneral) ==
        FailureAction::kQuarantine);
  CHECK(ChooseFailureAction(p, {"soft"}, C::kGeneral) ==
        FailureAction::kTempfail);
  // A profile without its own action brings the fallback in.
  p.fallback = FailureAction::kReject;
  CHECK(ChooseFailureAction(p, {"soft", "default"}, C::kGeneral) ==
        FailureAction::kReject);
  CHECK(ChooseFailureAction(p, {"soft"}, C::kGeneral) ==
        FailureAction::kTempfail);
  // Oversize has its own action when set, else the same rules.
  CHECK(ChooseFailureAction(p, {"legal"}, C::kOversize) ==
        FailureAction::kQuarantine);
  p.oversize = FailureAction::kReject;
  CHECK(ChooseFailureAction(p, {"legal"}, C::kOversize) ==
        FailureAction::kReject);
  CHECK(ChooseFailureAction(p, {"legal"}, C::kGeneral) ==
        FailureAction::kQuarantine);
}

TEST_CASE("failure policy: action names") {
  for (FailureAction a : {FailureAction::kTempfail, FailureAction::kReject,
                          FailureAction::kQuarantine}) {
    Result<FailureAction> back = ParseFailureAction(FailureActionName(a));
    REQUIRE(back.ok());
    CHECK(*back == a);
  }
  CHECK_FALSE(ParseFailureAction("").ok());
}

}  // namespace
}  // namespace seal::gateway
