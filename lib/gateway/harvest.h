// Harvest: what a valid inbound signature teaches about its sender goes
// into the store, so later mail to them can be encrypted: the signer
// certificate (source "harvested") and the SMIMECapabilities of the
// signature, for every address the certificate names.
// Only signers whose verdict is kValid are harvested. The store keeps a
// known certificate as it is and picks the newest valid one for
// encryption, so an older harvested certificate stays (Store rules).
// Capabilities are kept as the DER of an SMIMECapabilities SEQUENCE
// re-encoded from what was parsed (unknown OIDs are dropped) and as flags:
// bit (int)ContentCipher for each content cipher, bit 8 + (int)KeyTransport
// for each key transport, bit 16 for des-ede3-cbc (legacy).
// Store errors do not fail the message: they come back as warnings.
// Thread-safety: reentrant; the Store is thread-safe.
#ifndef SEALMILTER_LIB_GATEWAY_HARVEST_H_
#define SEALMILTER_LIB_GATEWAY_HARVEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "lib/crypto/smime_capabilities.h"
#include "lib/crypto/verify.h"
#include "lib/status.h"
#include "lib/store/store.h"

namespace seal::gateway {

struct HarvestReport {
  int certificates = 0;  // valid signer certificates put into the store
  int capabilities = 0;  // capability records written
  std::vector<std::string> warnings;
};

HarvestReport HarvestSigners(store::Store& store,
                             const crypto::VerifyResult& result);

// The store's flags and DER for parsed capabilities (see above).
uint64_t CapabilityFlags(const crypto::SmimeCapabilities& caps);
Result<std::string> EncodeCapabilities(const crypto::SmimeCapabilities& caps);

}  // namespace seal::gateway

#endif  // SEALMILTER_LIB_GATEWAY_HARVEST_H_
