// Test helper: a LogSink that keeps every line ("LEVEL text") in memory,
// and a scope that installs it at level info and puts stderr back after.
#ifndef SEALMILTER_TESTS_UNIT_CAPTURE_LOG_H_
#define SEALMILTER_TESTS_UNIT_CAPTURE_LOG_H_

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "lib/log.h"

namespace seal::testing {

class CaptureSink final : public LogSink {
 public:
  void Write(LogLevel level, std::string_view line) override {
    std::lock_guard<std::mutex> lock(mu);
    lines.emplace_back(std::string(LogLevelName(level)) + " " +
                       std::string(line));
  }
  // Every line so far, each ended by '\n'.
  std::string All() {
    std::lock_guard<std::mutex> lock(mu);
    std::string all;
    for (const std::string& l : lines) all += l + "\n";
    return all;
  }
  std::mutex mu;
  std::vector<std::string> lines;
};

struct CaptureScope {
  CaptureScope() : sink(std::make_shared<CaptureSink>()) {
    SetLogSink(sink);
    SetLogLevel(LogLevel::kInfo);
  }
  ~CaptureScope() { SetLogSink(MakeStderrSink("sealmilter")); }
  std::shared_ptr<CaptureSink> sink;
};

}  // namespace seal::testing

#endif  // SEALMILTER_TESTS_UNIT_CAPTURE_LOG_H_
