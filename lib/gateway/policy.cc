// Building the Policy of a config (see lib/gateway/policy.h).
#include "lib/gateway/policy.h"

#include "lib/log.h"
#include "lib/rules/rule_files.h"
#include "lib/rules/shipped_rules.h"

namespace seal::gateway {

mime::MimeLimits MimeLimitsOf(const Config& config) {
  mime::MimeLimits limits;
  if (config.mime.max_depth > 0) {
    limits.max_depth = static_cast<size_t>(config.mime.max_depth);
  }
  if (config.mime.max_parts > 0) {
    limits.max_parts = static_cast<size_t>(config.mime.max_parts);
  }
  if (config.mime.max_header_bytes > 0) {
    limits.max_header_bytes = static_cast<size_t>(config.mime.max_header_bytes);
  }
  if (config.mime.max_header_field_bytes > 0) {
    limits.max_header_field_bytes =
        static_cast<size_t>(config.mime.max_header_field_bytes);
  }
  if (config.mime.max_part_bytes > 0) {
    limits.max_decoded_bytes = static_cast<size_t>(config.mime.max_part_bytes);
  }
  if (config.rules.max_scan_bytes > 0) {
    limits.max_scan_bytes = static_cast<size_t>(config.rules.max_scan_bytes);
  }
  return limits;
}

Result<rules::OnTruncated> OnTruncatedOf(const Config& config) {
  rules::OnTruncated value = rules::OnTruncated::kClassify;
  if (!config.rules.on_truncated.empty() &&
      !rules::ParseOnTruncated(config.rules.on_truncated, value)) {
    return InvalidArgumentError(config.source + ": rules.on_truncated: '" +
                                config.rules.on_truncated +
                                "' is not classify, encrypt, quarantine or "
                                "reject");
  }
  return value;
}

Result<std::shared_ptr<const Policy>> BuildPolicy(const Config& config) {
  auto policy = std::make_shared<Policy>();
  policy->mime_limits = MimeLimitsOf(config);
  Result<rules::OnTruncated> on_truncated = OnTruncatedOf(config);
  if (!on_truncated.ok()) return on_truncated.status();
  policy->on_truncated = *on_truncated;
  std::vector<rules::RuleSource> first;
  if (config.rules.shipped) first = rules::ShippedRuleSources();
  Result<rules::RuleList> list = rules::LoadRulePaths(
      config.rules.paths, rules::RuleLimits(), std::move(first));
  if (!list.ok()) return list.status().WithContext("rules");
  policy->rule_files = list->files;
  policy->rule_notes = list->notes;
  rules::EngineOptions engine;
  engine.max_scan_bytes = config.rules.max_scan_bytes;
  Result<std::shared_ptr<const rules::CompiledRules>> compiled =
      rules::CompileRules(std::move(list).value(), engine);
  if (!compiled.ok()) return compiled.status().WithContext("rules");
  policy->rules = std::move(compiled).value();

  Result<std::vector<Cidr>> networks =
      ParseNetworks(config.gateway.internal_networks);
  if (!networks.ok()) {
    return networks.status().WithContext(config.source +
                                         ": gateway.internal_networks");
  }
  policy->internal_networks = std::move(networks).value();
  if (!config.gateway.reinject.empty()) {
    Result<SmtpTarget> t = ParseSmtpTarget(config.gateway.reinject);
    if (!t.ok()) {
      return t.status().WithContext(config.source + ": gateway.reinject");
    }
    policy->reinject = std::move(t).value();
  }
  Result<std::shared_ptr<const envelope::EnvelopeTemplates>> templates =
      envelope::EnvelopeTemplates::Load(config.envelope.templates);
  if (!templates.ok()) {
    return templates.status().WithContext(config.source +
                                          ": envelope.templates");
  }
  policy->templates = std::move(templates).value();
  // Checked here, at start-up and reload, not at the first envelope: an
  // older admin copy of passphrase.txt cannot tell a sender the personal
  // passphrases, and every such message would fail.
  if (config.envelope.passphrase == "per-recipient" &&
      !policy->templates->HasPersonalPassphraseList()) {
    return FailedPreconditionError(
        config.source + ": envelope.passphrase = \"per-recipient\" needs " +
        policy->templates->passphrase_text().name() +
        " to list the personal passphrases with {{=personal_passphrases}} "
        "(see the shipped passphrase.txt)");
  }

  Result<FailureAction> fallback =
      ParseFailureAction(config.gateway.on_failure);
  if (!fallback.ok()) {
    return fallback.status().WithContext(config.source +
                                         ": gateway.on_failure");
  }
  policy->failure.fallback = *fallback;
  Result<std::map<std::string, FailureAction>> profiles =
      ParseProfileFailures(config.gateway.on_failure_profiles);
  if (!profiles.ok()) {
    return profiles.status().WithContext(config.source +
                                         ": gateway.on_failure_profiles");
  }
  policy->failure.by_profile = std::move(profiles).value();
  if (config.gateway.oversize != "on_failure") {
    Result<FailureAction> over = ParseFailureAction(config.gateway.oversize);
    if (!over.ok()) {
      return over.status().WithContext(config.source + ": gateway.oversize");
    }
    policy->failure.oversize = *over;
  }
  if (!config.portal.url.empty()) {
    Result<envelope::PortalKeyRing> ring =
        envelope::LoadPortalKeyFile(config.portal.key_file);
    if (ring.ok()) {
      Logger("portal").Info()
          << "portal keys: " << ring->keys().size() << " from "
          << config.portal.key_file << ", current " << ring->current().key_id;
      policy->portal_keys =
          std::make_shared<const envelope::PortalKeyRing>(std::move(*ring));
    } else {
      policy->portal_key_error = ring.status().message();
      Logger("portal").Error()
          << "portal keys: " << ring.status().message()
          << "; mail that needs a secure envelope is deferred";
    }
  }
  return std::shared_ptr<const Policy>(std::move(policy));
}

}  // namespace seal::gateway
