// SIGUSR1 reload thread (see milter/reload.h).
#include "milter/reload.h"

#include <signal.h>

#include <cerrno>

#include "lib/log.h"

namespace seal::milter {
namespace {

sigset_t ReloadSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  return set;
}

}  // namespace

Status BlockReloadSignal() {
  // SIGUSR1 for our reload thread; SIGTERM, SIGINT and SIGHUP for libmilter's
  // signal thread, which blocks them only in the thread that calls
  // smfi_main: any thread started earlier (ours) would otherwise take them
  // and die without a clean shutdown.
  sigset_t set = ReloadSet();
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  int err = pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return err == 0 ? Status::Ok() : ErrnoError("pthread_sigmask", err);
}

void ReloadAndLog(SnapshotStore& store) {
  Logger log("reload");
  uint64_t running = store.Current()->generation;
  Result<ReloadReport> r = store.Reload();
  if (!r.ok()) {
    log.Error() << "configuration reload failed, keeping generation " << running
                << ": " << r.status().message();
    return;
  }
  std::shared_ptr<const Snapshot> snap = store.Current();
  if (Result<LogLevel> level = ParseLogLevel(snap->config.log.level);
      level.ok()) {
    SetLogLevel(*level);
  }
  log.Notice() << "configuration reloaded from " << snap->config.source
               << " (generation " << r->generation << ")";
  for (const std::string& key : r->needs_restart) {
    log.Warning() << key << " changed; it keeps its old value until restart";
  }
}

ReloadThread::~ReloadThread() { Stop(); }

Status ReloadThread::Start() {
  int err = pthread_create(&thread_, nullptr, &ReloadThread::Main, this);
  if (err != 0) return ErrnoError("cannot start reload thread", err);
  started_ = true;
  return Status::Ok();
}

void ReloadThread::Stop() {
  if (!started_) return;
  stop_.store(true);
  pthread_kill(thread_, SIGUSR1);
  pthread_join(thread_, nullptr);
  started_ = false;
}

void* ReloadThread::Main(void* arg) {
  auto* self = static_cast<ReloadThread*>(arg);
  sigset_t set = ReloadSet();
  while (!self->stop_.load()) {
    int sig = 0;
    int err = sigwait(&set, &sig);
    if (err == EINTR) continue;
    if (err != 0 || self->stop_.load()) break;
    try {
      ReloadAndLog(*self->store_);
    } catch (...) {
      Logger("reload").Error() << "unexpected exception during reload; "
                                  "keeping the running configuration";
    }
  }
  return nullptr;
}

}  // namespace seal::milter
