// PipelinedSink (see pipelined_sink.h).
#include "lib/crypto/pipelined_sink.h"

#include <algorithm>
#include <exception>
#include <new>
#include <string>
#include <system_error>
#include <utility>

namespace seal::crypto {

PipelinedSink::PipelinedSink(ByteSink downstream, size_t block_bytes,
                             size_t max_blocks)
    : downstream_(std::move(downstream)),
      block_bytes_(block_bytes == 0 ? 1 : block_bytes),
      max_blocks_(max_blocks < 2 ? 2 : max_blocks) {}

PipelinedSink::~PipelinedSink() { Stop(/*abandon=*/true); }

Status PipelinedSink::Write(std::string_view data) {
  if (finished_) return FailedPreconditionError("output written after Finish");
  if (sync_ && !error_.ok()) return error_;
  while (!data.empty()) {
    if (current_.capacity() < block_bytes_) current_.reserve(block_bytes_);
    const size_t take = std::min(data.size(), block_bytes_ - current_.size());
    current_.append(data.data(), take);
    data.remove_prefix(take);
    if (current_.size() == block_bytes_) SEAL_RETURN_IF_ERROR(Submit());
  }
  return Status::Ok();
}

Status PipelinedSink::Submit() {
  if (!started_ && !sync_) {
    try {
      worker_ = std::thread(&PipelinedSink::Work, this);
      started_ = true;
    } catch (const std::system_error&) {
      sync_ = true;  // no thread to be had: do the work here
    }
  }
  if (sync_) {
    Status s = PassOn(current_);
    current_.clear();
    if (!s.ok()) error_ = s;
    return s;
  }
  std::unique_lock<std::mutex> lock(mu_);
  // The caller fills one block while the worker passes on another; at most
  // max_blocks_ - 1 wait in the queue.
  cv_.wait(lock,
           [this] { return queue_.size() + 1 < max_blocks_ || !error_.ok(); });
  if (!error_.ok()) return error_;
  queue_.push_back(std::move(current_));
  if (!spare_.empty()) {
    current_ = std::move(spare_.back());
    spare_.pop_back();
  } else {
    current_ = std::string();
  }
  current_.clear();
  cv_.notify_all();
  return Status::Ok();
}

void PipelinedSink::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return !queue_.empty() || closing_; });
    if (abandon_ || queue_.empty()) break;
    std::string block = std::move(queue_.front());
    queue_.pop_front();
    const bool skip = !error_.ok();  // nothing after an error
    lock.unlock();
    Status s = skip ? Status::Ok() : PassOn(block);
    lock.lock();
    if (!s.ok() && error_.ok()) error_ = std::move(s);
    block.clear();
    if (spare_.size() < max_blocks_) spare_.push_back(std::move(block));
    cv_.notify_all();
  }
}

Status PipelinedSink::PassOn(std::string_view block) {
  try {
    return downstream_(block);
  } catch (const std::bad_alloc&) {
    // Worth a retry, not a size limit (NoThrow in ossl.h says why).
    return InternalError("out of memory in the output stage");
  } catch (const std::exception& e) {
    return InternalError(std::string("output stage failed: ") + e.what());
  } catch (...) {
    return InternalError("output stage failed");
  }
}

Status PipelinedSink::Finish() {
  if (finished_) return error_;
  finished_ = true;
  if (started_) {
    Status s = current_.empty() ? Status::Ok() : Submit();
    Stop(/*abandon=*/false);  // the worker drains the queue, then ends
    if (error_.ok() && !s.ok()) error_ = s;
    return error_;
  }
  // Never more than a block: no thread was needed.
  if (error_.ok() && !current_.empty()) error_ = PassOn(current_);
  current_.clear();
  return error_;
}

void PipelinedSink::Stop(bool abandon) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
    if (abandon) abandon_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

}  // namespace seal::crypto
