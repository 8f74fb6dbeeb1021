// PipelinedSink: a ByteSink stage that runs the stages after it on a worker
// thread, so that a large S/MIME encryption's AES (on the caller's thread)
// overlaps with base64 encoding and spool writes (on the worker). Bytes
// reach the downstream sink in order, in blocks; memory is bounded by
// (max_blocks + 1) x block_bytes. Small outputs, under one block, never start a
// thread: Finish hands them on directly. A downstream error is returned by
// the next Write or by Finish, and nothing further is passed on after it.
// If the thread cannot be started, blocks are passed on synchronously.
#ifndef SEALMILTER_LIB_CRYPTO_PIPELINED_SINK_H_
#define SEALMILTER_LIB_CRYPTO_PIPELINED_SINK_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "lib/crypto/byte_io.h"
#include "lib/status.h"

namespace seal::crypto {

class PipelinedSink {
 public:
  static constexpr size_t kDefaultBlockBytes = 256 * 1024;
  static constexpr size_t kDefaultMaxBlocks = 3;

  explicit PipelinedSink(ByteSink downstream,
                         size_t block_bytes = kDefaultBlockBytes,
                         size_t max_blocks = kDefaultMaxBlocks);
  // Stops the worker without passing on what is still queued (an
  // abandoned output: the caller discards it).
  ~PipelinedSink();
  PipelinedSink(const PipelinedSink&) = delete;
  PipelinedSink& operator=(const PipelinedSink&) = delete;

  Status Write(std::string_view data);
  // Passes on the rest and waits for the worker; afterwards the downstream
  // sink may be used again from the calling thread. Idempotent.
  Status Finish();

  // For tests: whether a worker thread was started.
  bool used_worker() const { return started_; }

 private:
  Status Submit();  // hands current_ to the worker (or downstream)
  void Work();
  Status PassOn(std::string_view block);  // downstream, exceptions caught
  void Stop(bool abandon);

  ByteSink downstream_;
  const size_t block_bytes_;
  const size_t max_blocks_;
  std::string current_;  // being filled by Write

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;   // full blocks, oldest first
  std::vector<std::string> spare_;  // emptied blocks for reuse
  bool closing_ = false;            // no more blocks will come
  bool abandon_ = false;            // drop what is queued
  Status error_;                    // the first downstream error
  std::thread worker_;
  bool started_ = false;
  bool sync_ = false;  // no thread: pass blocks on directly
  bool finished_ = false;
};

}  // namespace seal::crypto

#endif  // SEALMILTER_LIB_CRYPTO_PIPELINED_SINK_H_
