// The direction of a message (outbound, inbound, internal) and the rest of
// the EnvelopeContext the rule engine needs, from what the MTA told the
// milter: SMTP AUTH ({auth_authen}), the client address, the envelope sender
// and recipients, and the config's internal domains and networks.
// A sender is internal when the client authenticated, or connected from
// gateway.internal_networks. An internal sender's message is outbound when
// a recipient is outside gateway.internal_domains, internal otherwise;
// everything else is inbound.
// Known limit: {daemon_name} is logged but does not decide anything yet.
// Thread-safety: pure function.
#ifndef SEALMILTER_LIB_GATEWAY_DIRECTION_H_
#define SEALMILTER_LIB_GATEWAY_DIRECTION_H_

#include <string>
#include <vector>

#include "lib/config.h"
#include "lib/gateway/policy.h"
#include "lib/rules/conditions.h"
#include "lib/session.h"

namespace seal::gateway {

// The direction of mail to `recipients` from a sender that is (or is not)
// internal: inbound from outside; internal when every recipient is in
// gateway.internal_domains; outbound otherwise.
rules::Direction DirectionFor(const Config& config, bool sender_internal,
                              const std::vector<std::string>& recipients);

rules::EnvelopeContext MakeEnvelopeContext(const Config& config,
                                           const Policy& policy,
                                           const Envelope& envelope,
                                           const ConnectionInfo& connection);

}  // namespace seal::gateway

#endif  // SEALMILTER_LIB_GATEWAY_DIRECTION_H_
