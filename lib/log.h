// Logging: one process-wide sink (syslog, stderr, or a test capture) and a
// minimum level, and loggers bound to a context such as "s12/4Xk2Lq1zV9z2"
// (session / queue id) so every line of a message can be found by queue id.
//
// Lines are sanitised: control characters (CR, LF, ...) become '?', so data
// from the network cannot forge log lines. Never pass message content or key
// material to a logger.
// Thread-safety: all functions may be called from any thread.
#ifndef SEALMILTER_LIB_LOG_H_
#define SEALMILTER_LIB_LOG_H_

#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include "lib/status.h"

namespace seal {

enum class LogLevel { kError = 0, kWarning, kNotice, kInfo, kDebug };

std::string_view LogLevelName(LogLevel level);
// "error", "warning", "notice", "info", "debug".
Result<LogLevel> ParseLogLevel(std::string_view name);

class LogSink {
 public:
  virtual ~LogSink() = default;
  // `line` is already sanitised and has no trailing newline.
  virtual void Write(LogLevel level, std::string_view line) = 0;
};

// syslog(3) with the given ident and facility name ("mail", "local3", ...).
std::shared_ptr<LogSink> MakeSyslogSink(const std::string& ident,
                                        std::string_view facility);
// "sealmilter[pid]: level: line" on stderr.
std::shared_ptr<LogSink> MakeStderrSink(const std::string& ident);

// Process-wide configuration. The default sink is stderr, level info.
void SetLogSink(std::shared_ptr<LogSink> sink);
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
bool LogEnabled(LogLevel level);

// Writes one line at `level` with an optional context prefix.
void LogLine(LogLevel level, std::string_view context, std::string_view text);

// Collects one line through operator<< and writes it when destroyed.
class LogMessage {
 public:
  LogMessage(LogLevel level, std::string_view context);
  ~LogMessage();
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;

  template <typename T>
  LogMessage& operator<<(const T& value) {
    if (enabled_) stream_ << value;
    return *this;
  }

 private:
  LogLevel level_;
  std::string_view context_;
  bool enabled_;
  std::ostringstream stream_;
};

// A logger bound to a context string; cheap to copy.
class Logger {
 public:
  Logger() = default;
  explicit Logger(std::string context) : context_(std::move(context)) {}

  const std::string& context() const { return context_; }
  void set_context(std::string context) { context_ = std::move(context); }

  LogMessage Error() const { return LogMessage(LogLevel::kError, context_); }
  LogMessage Warning() const {
    return LogMessage(LogLevel::kWarning, context_);
  }
  LogMessage Notice() const { return LogMessage(LogLevel::kNotice, context_); }
  LogMessage Info() const { return LogMessage(LogLevel::kInfo, context_); }
  LogMessage Debug() const { return LogMessage(LogLevel::kDebug, context_); }

 private:
  std::string context_;
};

}  // namespace seal

#endif  // SEALMILTER_LIB_LOG_H_
