// SIGUSR1 reload: a thread that waits for the signal, rebuilds the snapshot
// and logs the outcome. (Stock libmilter treats SIGHUP as "stop", so reload
// cannot use it.) SIGUSR1, and libmilter's SIGTERM/SIGINT/SIGHUP, must be
// blocked in every thread: call BlockReloadSignal() first thing in main,
// before any thread exists.
#ifndef SEALMILTER_MILTER_RELOAD_H_
#define SEALMILTER_MILTER_RELOAD_H_

#include <pthread.h>

#include <atomic>

#include "lib/snapshot.h"
#include "lib/status.h"

namespace seal::milter {

Status BlockReloadSignal();

// Reloads once and logs the result; applies the new log level.
void ReloadAndLog(SnapshotStore& store);

class ReloadThread {
 public:
  explicit ReloadThread(SnapshotStore* store) : store_(store) {}
  ~ReloadThread();
  ReloadThread(const ReloadThread&) = delete;
  ReloadThread& operator=(const ReloadThread&) = delete;

  Status Start();
  void Stop();

 private:
  static void* Main(void* self);

  SnapshotStore* store_;
  pthread_t thread_{};
  bool started_ = false;
  std::atomic<bool> stop_{false};
};

}  // namespace seal::milter

#endif  // SEALMILTER_MILTER_RELOAD_H_
