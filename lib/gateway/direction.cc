// Direction and envelope context of a message (see lib/gateway/direction.h).
#include "lib/gateway/direction.h"

namespace seal::gateway {

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
  bool all_internal = !envelope.recipients.empty();
  for (const std::string& r : envelope.recipients) {
    if (!rules::DomainListMatches(config.gateway.internal_domains,
                                  rules::DomainOf(r))) {
      all_internal = false;
    }
  }
  if (!ctx.sender_internal) {
    ctx.direction = rules::Direction::kInbound;
  } else {
    ctx.direction = all_internal ? rules::Direction::kInternal
                                 : rules::Direction::kOutbound;
  }
  return ctx;
}

}  // namespace seal::gateway
