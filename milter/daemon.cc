// Daemon start-up and shutdown (see milter/daemon.h). The order matters:
// everything that needs root (socket, pid file, chroot) happens before the
// privilege drop; nothing that parses mail runs before it.
#include "milter/daemon.h"

#include <fcntl.h>
#include <libmilter/mfapi.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "lib/ca/key_type.h"
#include "lib/gateway/inbound_trust.h"
#include "lib/gateway/process.h"
#include "lib/log.h"
#include "lib/store/master_key.h"
#include "lib/store/open_store.h"
#include "lib/temp_file.h"
#include "milter/callbacks.h"
#include "milter/privileges.h"
#include "milter/readiness.h"
#include "milter/reload.h"
#include "milter/socket.h"
#include "milter/store_services.h"

namespace seal::milter {
namespace {

// Reports start-up success or failure to the parent process that waits in
// the foreground (so init scripts see a real exit status), or to stderr.
class StartupReporter {
 public:
  explicit StartupReporter(bool log_stderr) : log_stderr_(log_stderr) {}

  // Forks; the parent waits for the child's report and exits with it.
  // Returns an error only if detaching itself failed.
  Status Detach() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoError("pipe", errno);
    pid_t pid = fork();
    if (pid < 0) return ErrnoError("fork", errno);
    if (pid > 0) {
      close(fds[1]);
      std::string report;
      char buf[512];
      ssize_t n;
      while ((n = read(fds[0], buf, sizeof buf)) > 0 ||
             (n < 0 && errno == EINTR)) {
        if (n > 0) report.append(buf, static_cast<size_t>(n));
      }
      if (report.starts_with("ok")) _exit(kExitOk);
      if (report.empty()) {
        fprintf(stderr, "sealmilter: start-up failed (see syslog)\n");
        _exit(kExitOsError);
      }
      int code = report[0] == 'C' ? kExitConfig : kExitOsError;
      fprintf(stderr, "sealmilter: %s\n", report.c_str() + 1);
      _exit(code);
    }
    close(fds[0]);
    fd_ = fds[1];
    if (setsid() < 0) return ErrnoError("setsid", errno);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, STDIN_FILENO);
      dup2(null, STDOUT_FILENO);
      if (!log_stderr_) dup2(null, STDERR_FILENO);
      if (null > STDERR_FILENO) close(null);
    }
    return Status::Ok();
  }

  int Fail(int exit_code, const std::string& message) {
    std::lock_guard<std::mutex> lock(mu_);
    Logger("startup").Error() << message;
    if (fd_ >= 0) {
      std::string report = (exit_code == kExitConfig ? "C" : "O") + message;
      (void)!write(fd_, report.data(), report.size());
      close(fd_);
      fd_ = -1;
    } else if (!log_stderr_) {
      fprintf(stderr, "sealmilter: %s\n", message.c_str());
    }
    return exit_code;
  }

  void Ready() {
    std::lock_guard<std::mutex> lock(mu_);
    if (fd_ >= 0) {
      (void)!write(fd_, "ok", 2);
      close(fd_);
      fd_ = -1;
    }
  }

 private:
  std::mutex mu_;  // Ready (the probe's thread) and Fail (main thread)
  bool log_stderr_;
  int fd_ = -1;
};

Status WritePidFile(const std::string& path) {
  int fd = open(path.c_str(),
                O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("cannot write pid file " + path, errno);
  std::string pid = std::to_string(getpid()) + "\n";
  bool ok =
      write(fd, pid.data(), pid.size()) == static_cast<ssize_t>(pid.size());
  int err = errno;
  close(fd);
  return ok ? Status::Ok() : ErrnoError("cannot write pid file " + path, err);
}

// The config path as seen from inside the chroot, or "" when the file lies
// outside it (then reload cannot read it).
std::string PathInsideChroot(const std::string& path,
                             const std::string& chroot_dir) {
  std::string root = chroot_dir;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (path.size() > root.size() && path.starts_with(root) &&
      path[root.size()] == '/') {
    return path.substr(root.size());
  }
  return "";
}

// How long libmilter's listener may take to answer the readiness probe.
constexpr std::chrono::seconds kReadinessTimeout(30);

}  // namespace

int RunDaemon(const Options& options, const ConfigSource& source, Config config,
              std::shared_ptr<const gateway::Policy> policy) {
  const Config::Milter& m = config.milter;
  if (options.log_stderr) {
    SetLogSink(MakeStderrSink("sealmilter"));
  } else {
    SetLogSink(MakeSyslogSink("sealmilter", config.log.facility));
  }
  if (Result<LogLevel> level = ParseLogLevel(config.log.level); level.ok()) {
    SetLogLevel(*level);
  }
  StartupReporter reporter(options.log_stderr);

  Result<SocketAddress> address = ParseSocketAddress(m.socket);
  if (!address.ok()) {
    return reporter.Fail(kExitConfig, address.status().message());
  }
  Result<Identity> id = ResolveIdentity(m.user, m.group);
  if (!id.ok()) return reporter.Fail(kExitConfig, id.status().message());
  gid_t socket_gid = id->gid;
  if (!m.socket_group.empty()) {
    Result<gid_t> g = ResolveGroup(m.socket_group);
    if (!g.ok()) return reporter.Fail(kExitConfig, g.status().message());
    socket_gid = *g;
  }

  if (smfi_register(*FilterDescription()) != MI_SUCCESS) {
    return reporter.Fail(kExitOsError, "smfi_register failed");
  }
  smfi_settimeout(static_cast<int>(m.timeout_seconds));
  if (Status s =
          OpenMilterSocket(*address, m.socket_mode, static_cast<int>(m.backlog),
                           id->uid, socket_gid);
      !s.ok()) {
    return reporter.Fail(kExitOsError, s.message());
  }

  if (!options.foreground) {
    if (Status s = reporter.Detach(); !s.ok()) {
      return reporter.Fail(kExitOsError, s.message());
    }
  }
  if (!m.pid_file.empty()) {
    if (Status s = WritePidFile(m.pid_file); !s.ok()) {
      return reporter.Fail(kExitOsError, s.message());
    }
  }

  // The store is opened before privileges drop (its directory may be
  // closed to others); a store that cannot be opened is not fatal, and is
  // tried again later (store_services.h).
  gateway::Services services;
  StoreServices store_services;
  store_services.Open(
      config, id->user.empty() ? std::nullopt : std::optional<uid_t>(id->uid),
      services);
  for (const std::string& note : policy->rule_notes) {
    Logger("startup").Info() << "rules: " << note;
  }
  Logger("startup").Info() << "rules: " << policy->rules->enabled_count()
                           << " enabled from " << policy->rule_files.size()
                           << " files";

  SnapshotStore store(source, std::move(config), std::move(policy),
                      gateway::BuildPolicy);
  const Config& cfg = store.Current()->config;
  if (!cfg.milter.chroot.empty() && cfg.source != kEmbeddedDefaultsSource) {
    std::string inside = PathInsideChroot(source.path, cfg.milter.chroot);
    if (inside.empty()) {
      Logger("startup").Warning()
          << "config file " << source.path << " is outside milter.chroot "
          << cfg.milter.chroot << "; SIGUSR1 reload will fail";
    } else {
      store.set_source_path(inside);
    }
  }
  // The reinjection journal's directory belongs to the final user; it is
  // made before the drop (its parent is usually root's) and opened after.
  if (!cfg.gateway.reinject_journal.empty() &&
      mkdir(cfg.gateway.reinject_journal.c_str(), 0700) == 0 &&
      chown(cfg.gateway.reinject_journal.c_str(), id->uid, id->gid) != 0) {
    Logger("startup").Warning()
        << "cannot chown " << cfg.gateway.reinject_journal;
  }
  // The readiness probe connects now, while the socket can be reached
  // whatever its mode and wherever a chroot puts us (milter/readiness.h).
  Result<ReadinessProbe> probe = ReadinessProbe::Connect(*address);
  if (!probe.ok()) {
    Logger("startup").Warning()
        << "cannot probe the milter socket (" << probe.status().message()
        << "); start-up is reported without waiting for the listener";
  }
  if (Status s = DropPrivileges(*id, cfg.milter.chroot); !s.ok()) {
    return reporter.Fail(kExitOsError, s.message());
  }
  std::optional<gateway::ReinjectJournal> journal;
  if (!cfg.gateway.reinject_journal.empty()) {
    Result<gateway::ReinjectJournal> j = gateway::ReinjectJournal::Open(
        cfg.gateway.reinject_journal, std::chrono::hours(24 * 7));
    if (j.ok()) {
      journal = std::move(j).value();
      journal->Prune();
      services.journal = &*journal;
    } else {
      Logger("startup").Warning()
          << j.status().message()
          << "; a retry after a tempfail may re-inject a group twice";
    }
  }
  // Prove now, as the final user, that messages can be spooled: better one
  // clear start-up error than a tempfail for every large message.
  if (Result<std::unique_ptr<TempFile>> f =
          FileSystem::Default().CreateTempFile(cfg.spool.directory);
      !f.ok()) {
    return reporter.Fail(
        kExitOsError, "spool.directory is not usable: " + f.status().message());
  }

  SetSnapshotStore(&store);
  SetServices(&services);
  store_services.StartRetry(cfg, &services);
  ReloadThread reload(&store);
  if (Status s = reload.Start(); !s.ok()) {
    return reporter.Fail(kExitOsError, s.message());
  }
  // Started means serving: reported once libmilter's listener has answered
  // the probe (or at once when there is no probe).
  bool ready = false;
  std::string not_ready;
  auto announce = [&] {
    Logger("startup").Notice()
        << "sealmilter " << SEALMILTER_VERSION << " listening on "
        << address->spec << " (config " << cfg.source << ", generation "
        << store.Current()->generation << ", uid " << getuid() << ")";
    reporter.Ready();
    ready = true;
  };
  std::thread prober;
  if (probe.ok()) {
    prober = std::thread([&] {
      Status s = probe->Await(kReadinessTimeout);
      if (s.ok()) {
        announce();
      } else {
        not_ready = s.message();
        smfi_stop();
      }
    });
  } else {
    announce();
  }

  int rc = smfi_main();
  if (prober.joinable()) {
    probe->Cancel();
    prober.join();
  }
  store_services.Stop();
  reload.Stop();
  SetSnapshotStore(nullptr);
  SetServices(nullptr);
  if (!ready) {
    return reporter.Fail(kExitOsError,
                         "the milter listener did not start serving on " +
                             address->spec + ": " + not_ready);
  }
  Logger("shutdown").Notice() << "sealmilter stopped";
  return rc == MI_SUCCESS ? kExitOk : kExitOsError;
}

}  // namespace seal::milter
