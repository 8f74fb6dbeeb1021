// WarningList: a capped list of human-readable warnings about malformed
// input ("part 1.3: invalid characters in base64"). Never message content
// beyond part paths, charset labels and header names. After `cap` entries
// further warnings are only counted; Take() appends "N more warnings".
// Not thread-safe; one per message.
#ifndef SEALMILTER_LIB_MIME_WARNING_LIST_H_
#define SEALMILTER_LIB_MIME_WARNING_LIST_H_

#include <cstddef>
#include <string>
#include <vector>

namespace seal::mime {

class WarningList {
 public:
  explicit WarningList(size_t cap) : cap_(cap) {}

  void Add(std::string warning);
  // Adds each of `warnings` (already capped elsewhere) under this cap.
  void AddAll(const std::vector<std::string>& warnings);
  size_t size() const { return list_.size() + dropped_; }
  // The warnings, plus a final "N more warnings" line when some were dropped.
  std::vector<std::string> Take();

 private:
  size_t cap_;
  size_t dropped_ = 0;
  std::vector<std::string> list_;
};

}  // namespace seal::mime

#endif  // SEALMILTER_LIB_MIME_WARNING_LIST_H_
