// PipelinedSink: order and completeness of what reaches the downstream sink
// for any write pattern, small outputs without a thread, downstream errors
// and exceptions surfacing on Write or Finish, and abandoning mid-stream.
#include "lib/crypto/pipelined_sink.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

namespace seal::crypto {
namespace {

std::string Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

TEST_CASE("PipelinedSink passes every byte on, in order", "[pipeline]") {
  std::mt19937 rng(11);
  for (size_t n :
       {size_t{0}, size_t{1}, size_t{999}, size_t{1000}, size_t{1001},
        size_t{4096}, size_t{100000}, size_t{1} << 20}) {
    const std::string data = Random(n, static_cast<uint32_t>(n));
    std::string out;
    size_t calls = 0;
    const std::thread::id caller = std::this_thread::get_id();
    bool other_thread = false;
    PipelinedSink sink(
        [&](std::string_view s) {
          ++calls;
          if (std::this_thread::get_id() != caller) other_thread = true;
          out.append(s);
          return Status::Ok();
        },
        /*block_bytes=*/1000, /*max_blocks=*/3);
    size_t i = 0;
    while (i < n) {
      const size_t step = 1 + rng() % 3000;  // around the block size
      REQUIRE(sink.Write(std::string_view(data).substr(i, step)).ok());
      i += step;
    }
    REQUIRE(sink.Finish().ok());
    INFO("n=" << n);
    CHECK(out == data);
    CHECK(calls == (n + 999) / 1000);  // whole blocks, then the rest
    // Less than one block: passed on by Finish, no thread started.
    CHECK(sink.used_worker() == (n >= 1000));
    CHECK(other_thread == (n >= 1000));
    CHECK(sink.Finish().ok());  // idempotent
    CHECK(!sink.Write("more").ok());
  }
}

TEST_CASE("PipelinedSink bounds the blocks in flight", "[pipeline]") {
  std::atomic<int> in_flight{0};
  std::atomic<bool> release{false};
  std::atomic<int> passed{0};
  std::string out;
  PipelinedSink sink(
      [&](std::string_view s) {
        while (!release.load()) std::this_thread::yield();
        out.append(s);
        ++passed;
        return Status::Ok();
      },
      /*block_bytes=*/10, /*max_blocks=*/3);
  // The worker blocks on the first block; the writer may queue two more
  // and then has to wait: run it on a thread and watch it stall.
  std::atomic<bool> writes_ok{true};  // Catch assertions stay on this thread
  std::thread writer([&] {
    for (int b = 0; b < 8; ++b) {
      if (!sink.Write(std::string(10, static_cast<char>('a' + b))).ok()) {
        writes_ok = false;
      }
      ++in_flight;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(in_flight.load() <= 4);  // 1 passing on + 2 queued + 1 submitting
  release = true;
  writer.join();
  CHECK(writes_ok.load());
  REQUIRE(sink.Finish().ok());
  CHECK(passed.load() == 8);
  CHECK(out.size() == 80);
  CHECK(out.substr(70) == std::string(10, 'h'));
}

TEST_CASE("PipelinedSink reports a downstream error and stops passing on",
          "[pipeline]") {
  for (bool throws : {false, true}) {
    int calls = 0;
    PipelinedSink sink(
        [&](std::string_view) -> Status {
          if (++calls == 3) {
            if (throws) throw std::runtime_error("disk on fire");
            return UnavailableError("spool: disk full");
          }
          return Status::Ok();
        },
        /*block_bytes=*/100, /*max_blocks=*/2);
    Status first_error;
    for (int i = 0; i < 50 && first_error.ok(); ++i) {
      first_error = sink.Write(std::string(100, 'x'));
    }
    Status finished = sink.Finish();
    INFO("throws=" << throws);
    CHECK(!finished.ok());
    CHECK(finished.message().find(throws ? "disk on fire" : "disk full") !=
          std::string::npos);
    CHECK(calls == 3);  // nothing after the failed block
    CHECK(!sink.Finish().ok());
    // A failure seen before all 50 blocks were written ends the writes.
    if (!first_error.ok()) CHECK(first_error.message() == finished.message());
  }
  // Without a thread (one short block), the error comes from Finish.
  PipelinedSink small([](std::string_view) { return InternalError("no"); }, 100,
                      2);
  REQUIRE(small.Write("short").ok());
  CHECK(!small.Finish().ok());
  CHECK(!small.used_worker());
}

TEST_CASE("PipelinedSink abandoned mid-stream stops cleanly", "[pipeline]") {
  std::atomic<int> calls{0};
  {
    PipelinedSink sink(
        [&](std::string_view) {
          ++calls;
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
          return Status::Ok();
        },
        /*block_bytes=*/10, /*max_blocks=*/4);
    for (int i = 0; i < 6; ++i) REQUIRE(sink.Write(std::string(10, 'y')).ok());
    // No Finish: the destructor drops what is queued and joins.
  }
  CHECK(calls.load() <= 6);
}

}  // namespace
}  // namespace seal::crypto
