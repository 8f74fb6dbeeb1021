// Log sinks (syslog, stderr), the process-wide sink and level, sanitising.
#include "lib/log.h"

#include <syslog.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <utility>

namespace seal {
namespace {

int SyslogPriority(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return LOG_ERR;
    case LogLevel::kWarning:
      return LOG_WARNING;
    case LogLevel::kNotice:
      return LOG_NOTICE;
    case LogLevel::kInfo:
      return LOG_INFO;
    case LogLevel::kDebug:
      return LOG_DEBUG;
  }
  return LOG_INFO;
}

int SyslogFacility(std::string_view name) {
  struct Entry {
    std::string_view name;
    int facility;
  };
  static constexpr std::array<Entry, 11> kFacilities = {{
      {"mail", LOG_MAIL},
      {"daemon", LOG_DAEMON},
      {"user", LOG_USER},
      {"local0", LOG_LOCAL0},
      {"local1", LOG_LOCAL1},
      {"local2", LOG_LOCAL2},
      {"local3", LOG_LOCAL3},
      {"local4", LOG_LOCAL4},
      {"local5", LOG_LOCAL5},
      {"local6", LOG_LOCAL6},
      {"local7", LOG_LOCAL7},
  }};
  for (const Entry& e : kFacilities) {
    if (e.name == name) return e.facility;
  }
  return LOG_MAIL;
}

class SyslogSink final : public LogSink {
 public:
  SyslogSink(std::string ident, int facility) : ident_(std::move(ident)) {
    // openlog keeps the pointer: ident_ lives as long as this sink.
    openlog(ident_.c_str(), LOG_PID | LOG_NDELAY, facility);
  }
  void Write(LogLevel level, std::string_view line) override {
    syslog(SyslogPriority(level), "%.*s", static_cast<int>(line.size()),
           line.data());
  }

 private:
  std::string ident_;
};

class StderrSink final : public LogSink {
 public:
  explicit StderrSink(std::string ident) : ident_(std::move(ident)) {}
  void Write(LogLevel level, std::string_view line) override {
    std::string out = ident_ + "[" + std::to_string(getpid()) + "]: ";
    out += LogLevelName(level);
    out += ": ";
    out += line;
    out += '\n';
    std::lock_guard<std::mutex> lock(mu_);
    fwrite(out.data(), 1, out.size(), stderr);
    fflush(stderr);
  }

 private:
  std::string ident_;
  std::mutex mu_;
};

struct LogState {
  std::mutex mu;
  std::shared_ptr<LogSink> sink;  // guarded by mu
  std::atomic<int> level{static_cast<int>(LogLevel::kInfo)};
};

LogState& State() {
  static LogState* state = [] {
    auto* s = new LogState;  // never destroyed: logging works during exit
    s->sink = MakeStderrSink("sealmilter");
    return s;
  }();
  return *state;
}

void AppendSanitised(std::string& out, std::string_view text) {
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
}

}  // namespace

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return "error";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kNotice:
      return "notice";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kDebug:
      return "debug";
  }
  return "info";
}

Result<LogLevel> ParseLogLevel(std::string_view name) {
  for (LogLevel l : {LogLevel::kError, LogLevel::kWarning, LogLevel::kNotice,
                     LogLevel::kInfo, LogLevel::kDebug}) {
    if (LogLevelName(l) == name) return l;
  }
  return InvalidArgumentError("unknown log level '" + std::string(name) + "'");
}

std::shared_ptr<LogSink> MakeSyslogSink(const std::string& ident,
                                        std::string_view facility) {
  return std::make_shared<SyslogSink>(ident, SyslogFacility(facility));
}

std::shared_ptr<LogSink> MakeStderrSink(const std::string& ident) {
  return std::make_shared<StderrSink>(ident);
}

void SetLogSink(std::shared_ptr<LogSink> sink) {
  LogState& s = State();
  std::lock_guard<std::mutex> lock(s.mu);
  s.sink = std::move(sink);
}

void SetLogLevel(LogLevel level) {
  State().level.store(static_cast<int>(level), std::memory_order_relaxed);
}

LogLevel GetLogLevel() {
  return static_cast<LogLevel>(State().level.load(std::memory_order_relaxed));
}

bool LogEnabled(LogLevel level) {
  return static_cast<int>(level) <=
         State().level.load(std::memory_order_relaxed);
}

void LogLine(LogLevel level, std::string_view context, std::string_view text) {
  if (!LogEnabled(level)) return;
  std::string line;
  line.reserve(context.size() + text.size() + 2);
  if (!context.empty()) {
    AppendSanitised(line, context);
    line += ": ";
  }
  AppendSanitised(line, text);
  std::shared_ptr<LogSink> sink;
  {
    LogState& s = State();
    std::lock_guard<std::mutex> lock(s.mu);
    sink = s.sink;
  }
  if (sink) sink->Write(level, line);
}

LogMessage::LogMessage(LogLevel level, std::string_view context)
    : level_(level), context_(context), enabled_(LogEnabled(level)) {}

LogMessage::~LogMessage() {
  if (enabled_) LogLine(level_, context_, stream_.str());
}

}  // namespace seal
