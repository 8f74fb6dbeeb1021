// Policy: what a Snapshot carries besides the config, built once per start
// or reload by BuildPolicy and then shared read-only by every transaction:
// the compiled rules, the MIME adapter's limits, the parsed internal
// networks, the reinjection target, the envelope templates and the portal
// key ring.
// A reload whose rules, networks or templates fail to build fails as a
// whole (file:line in the error) and the running Policy stays.
// Thread-safety: immutable once built.
#ifndef SEALMILTER_LIB_GATEWAY_POLICY_H_
#define SEALMILTER_LIB_GATEWAY_POLICY_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/config.h"
#include "lib/envelope/portal_key.h"
#include "lib/envelope/template_set.h"
#include "lib/gateway/failure_policy.h"
#include "lib/gateway/networks.h"
#include "lib/gateway/smtp_client.h"
#include "lib/mime/mime_limits.h"
#include "lib/rules/compiled_rules.h"
#include "lib/rules/truncated_policy.h"
#include "lib/status.h"

namespace seal::gateway {

struct Policy {
  std::shared_ptr<const rules::CompiledRules> rules;
  std::vector<std::string> rule_files;  // what was loaded, for the log
  std::vector<std::string> rule_notes;  // e.g. a missing directory
  mime::MimeLimits mime_limits;         // [mime] and rules.max_scan_bytes
  rules::OnTruncated on_truncated = rules::OnTruncated::kClassify;
  std::vector<Cidr> internal_networks;
  std::optional<SmtpTarget> reinject;  // unset: no notices, no envelopes
  std::shared_ptr<const envelope::EnvelopeTemplates> templates;
  FailurePolicy failure;  // gateway.on_failure, _profiles, oversize
  // portal.url set: portal.key_file's keys, read at each build (start and
  // reload); null when unset or unreadable (portal_key_error says why, and
  // envelope mail is then tempfailed: the build itself does not fail).
  std::shared_ptr<const envelope::PortalKeyRing> portal_keys;
  std::string portal_key_error;
};

Result<std::shared_ptr<const Policy>> BuildPolicy(const Config& config);

// The MIME adapter's limits of `config`: the [mime] keys, and
// rules.max_scan_bytes as the text cap (so the extractor never stops
// before the engine does). Used by BuildPolicy and by sealctl rules test.
mime::MimeLimits MimeLimitsOf(const Config& config);

// rules.on_truncated of `config` (classify when unset); an error for a value
// the schema should have refused. Used by BuildPolicy and sealctl rules test.
Result<rules::OnTruncated> OnTruncatedOf(const Config& config);

}  // namespace seal::gateway

#endif  // SEALMILTER_LIB_GATEWAY_POLICY_H_
