// libFuzzer target for rule files: arbitrary bytes go through the rule loader
// (TOML, keys, regular expressions, limits); whatever loads is compiled and
// evaluated against a small fixed message, so a rule file can never crash
// or hang the daemon. Built only with clang (tests/unit/rules/meson.build).
// Seeds: rules/*.toml and the examples of man/sealmilter.rules.5.
//   build-clang/tests/unit/rules/rules_fuzz -max_len=4096 CORPUS_DIR rules/
#include <cstddef>
#include <cstdint>
#include <string>

#include "lib/message_text.h"
#include "lib/rules/compiled_rules.h"
#include "lib/rules/evaluate.h"
#include "lib/rules/rule_loader.h"

namespace {

const seal::MessageText& Message() {
  static const seal::MessageText text = [] {
    seal::MessageText t;
    t.at(seal::Scope::kSubject)
        .push_back({"#Re: [encrypt] [noenc]", "subject"});
    t.at(seal::Scope::kHeaders)
        .push_back({"Sensitivity: Company-Confidential", "header Sensitivity"});
    t.at(seal::Scope::kBody)
        .push_back({"ssn 078-05-1120 card 4111 1111 1111 1111 iban DE89 3704 "
                    "0044 0532 "
                    "0130 00 routing 021000021 confidential \xff\xfe",
                    "part 1 text/plain"});
    t.at(seal::Scope::kAttachmentName).push_back({"x.pdf", "part 2"});
    return t;
  }();
  return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  seal::rules::RuleLimits limits;
  limits.max_rules = 200;  // keep each run fast; the caps themselves are
  limits.max_file_bytes = 1 << 16;  // tested in the unit tests
  std::string text(reinterpret_cast<const char*>(data), size);
  auto list = seal::rules::ParseRuleSources({{"fuzz.toml", text}}, limits);
  if (!list.ok()) return 0;
  seal::rules::EngineOptions options;
  options.max_scan_bytes = 1 << 16;
  auto compiled = seal::rules::CompileRules(std::move(*list), options);
  if (!compiled.ok()) return 0;
  seal::rules::EnvelopeContext env;
  env.sender = "alice@corp.example";
  env.authenticated = true;
  env.sender_internal = true;
  env.recipients = {"bob@partner.example", "carol@corp.example"};
  auto ev = seal::rules::Evaluate(**compiled, Message(), env);
  (void)ev.ok();
  return 0;
}
