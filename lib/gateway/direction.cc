// Direction and envelope context of a message (see lib/gateway/direction.h).
#include "lib/gateway/direction.h"

namespace seal::gateway {

rules::Direction DirectionFor(const Config& config, bool sender_internal,
                              const std::vector<std::string>& recipients) {
  if (!sender_internal) return rules::Direction::kInbound;
  bool all_internal = !recipients.empty();
  for (const std::string& r : recipients) {
    if (!rules::DomainListMatches(config.gateway.internal_domains,
                                  rules::DomainOf(r))) {
      all_internal = false;
    }
  }
  return all_internal ? rules::Direction::kInternal
                      : rules::Direction::kOutbound;
}

rules::EnvelopeContext MakeEnvelopeContext(const Config& config,
                                           const Policy& policy,
                                           const Envelope& envelope,
                                           const ConnectionInfo& connection) {
  rules::EnvelopeContext ctx;
  ctx.sender = envelope.sender;
  ctx.recipients = envelope.recipients;
  ctx.authenticated = !envelope.auth_authen.empty();
  ctx.sender_internal =
      ctx.authenticated ||
      AddressInNetworks(connection.client_addr, policy.internal_networks);
  ctx.direction =
      DirectionFor(config, ctx.sender_internal, envelope.recipients);
  return ctx;
}

}  // namespace seal::gateway
