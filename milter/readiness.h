// Proof that libmilter's listener serves before sealmilter says it has
// started. A connection is made to the listening milter socket before
// smfi_main (while still root and outside any chroot, so socket mode and
// chroot do not matter); once smfi_main runs, the listener accepts it and
// answers a milter option negotiation. Only then is start-up reported (the
// parent of a detached daemon exits 0, "listening on" is logged): a stop
// signal that arrives later finds the listener in its loop, where libmilter
// shuts down cleanly, and a listener that never serves is a start-up error
// instead of a daemon that looks started.
#ifndef SEALMILTER_MILTER_READINESS_H_
#define SEALMILTER_MILTER_READINESS_H_

#include <chrono>

#include "lib/status.h"
#include "milter/socket.h"

namespace seal::milter {

class ReadinessProbe {
 public:
  ReadinessProbe() = default;
  ~ReadinessProbe();
  ReadinessProbe(ReadinessProbe&& other) noexcept;
  ReadinessProbe& operator=(ReadinessProbe&& other) noexcept;
  ReadinessProbe(const ReadinessProbe&) = delete;
  ReadinessProbe& operator=(const ReadinessProbe&) = delete;

  // Connects to `address`, which must already listen (the connection waits
  // in its backlog). An unspecified inet host is reached over loopback.
  static Result<ReadinessProbe> Connect(const SocketAddress& address);

  // Sends the option negotiation and waits up to `timeout` for libmilter's
  // answer, then says QUIT. Fails on a timeout, on a closed or garbled
  // answer, or when Cancel() was called. The connection is closed in every
  // case, so call it once.
  Status Await(std::chrono::milliseconds timeout);

  // Makes a running or later Await return at once; safe from another thread.
  void Cancel();

 private:
  Status Negotiate(std::chrono::milliseconds timeout);

  int fd_ = -1;
  int wake_[2] = {-1, -1};  // pipe: Cancel writes, Await polls
};

}  // namespace seal::milter

#endif  // SEALMILTER_MILTER_READINESS_H_
