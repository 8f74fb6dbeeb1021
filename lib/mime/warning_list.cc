// WarningList (see warning_list.h).
#include "lib/mime/warning_list.h"

#include <utility>

namespace seal::mime {

void WarningList::Add(std::string warning) {
  if (list_.size() < cap_) {
    list_.push_back(std::move(warning));
  } else {
    ++dropped_;
  }
}

void WarningList::AddAll(const std::vector<std::string>& warnings) {
  for (const std::string& w : warnings) Add(w);
}

std::vector<std::string> WarningList::Take() {
  std::vector<std::string> out = std::move(list_);
  if (dropped_ > 0) {
    out.push_back(std::to_string(dropped_) + " more warnings");
  }
  list_.clear();
  dropped_ = 0;
  return out;
}

}  // namespace seal::mime
