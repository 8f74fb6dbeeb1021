// An EditPlan applied to a message in memory (see lib/gateway/apply_plan.h).
#include "lib/gateway/apply_plan.h"

#include <optional>

#include "lib/gateway/header_block.h"
#include "lib/gateway/render.h"

namespace seal::gateway {
namespace {

// A field name as RFC 5322 has it: printable ASCII except ':' and space.
bool ValidFieldName(std::string_view name) {
  if (name.empty() || name.size() > 998) return false;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == ':') return false;
  }
  return true;
}

Status CheckEdit(const HeaderEdit& e) {
  if (!ValidFieldName(e.name)) {
    return InvalidArgumentError("header edit with a malformed field name");
  }
  if (e.kind != HeaderEdit::Kind::kAdd && e.occurrence < 1) {
    return InvalidArgumentError("header edit of " + e.name +
                                " with an occurrence below 1");
  }
  if (e.value.find('\0') != std::string::npos) {
    return InvalidArgumentError("header edit of " + e.name +
                                " with a NUL in its value");
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> ApplyEditPlan(std::string_view raw, const EditPlan& plan) {
  for (const HeaderEdit& e : plan.headers) SEAL_RETURN_IF_ERROR(CheckEdit(e));
  MessageParts parts = SplitMessage(raw);
  std::string out = RenderHeaderBlock(parts, plan.headers);
  if (plan.body) {
    Result<SpoolView> view = plan.body->Map();
    if (!view.ok()) return view.status().WithContext("replacement body");
    out.append(view->data());
  } else {
    out.append(parts.body);
  }
  return out;
}

}  // namespace seal::gateway
