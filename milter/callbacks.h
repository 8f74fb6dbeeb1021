// The libmilter callback table. Each callback gets the Session (may be null),
// calls lib/, and maps the result through the one verdict mapper, all inside
// a catch-all: no exception ever reaches libmilter.
#ifndef SEALMILTER_MILTER_CALLBACKS_H_
#define SEALMILTER_MILTER_CALLBACKS_H_

#include <libmilter/mfapi.h>

#include "lib/gateway/process.h"
#include "lib/snapshot.h"

namespace seal::milter {

// The callbacks read snapshots from `store`, which must outlive smfi_main.
void SetSnapshotStore(SnapshotStore* store);
// The store and other services of end-of-message processing; must outlive
// smfi_main.
void SetServices(const gateway::Services* services);

// The filter description passed to smfi_register.
smfiDesc* FilterDescription();

}  // namespace seal::milter

#endif  // SEALMILTER_MILTER_CALLBACKS_H_
