// sealctl subcommand arguments and error lines (args.h).
#include "ctl/args.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <utility>

namespace seal::ctl {
namespace {

bool Listed(const std::vector<std::string_view>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

void PrintCommandLine(FILE* f, std::string_view command,
                      std::string_view text) {
  fprintf(f, "sealctl %.*s: %s\n", static_cast<int>(command.size()),
          command.data(), Printable(text).c_str());
}

}  // namespace

bool Args::Has(std::string_view name) const {
  return values_.count(name) != 0 || flags_.count(name) != 0;
}

std::string Args::Value(std::string_view name,
                        std::string_view fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::string(fallback) : it->second.back();
}

std::vector<std::string> Args::Values(std::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>() : it->second;
}

Result<Args> ParseArgs(const std::vector<std::string>& argv,
                       const ArgSpec& spec) {
  Args out;
  bool options_done = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (options_done || a.size() < 2 || a[0] != '-') {
      out.positional_.push_back(a);
      continue;
    }
    if (a == "--") {
      options_done = true;
      continue;
    }
    std::string name = a;
    std::optional<std::string> inline_value;
    if (size_t eq = a.find('='); eq != std::string::npos && a[1] == '-') {
      name = a.substr(0, eq);
      inline_value = a.substr(eq + 1);
    }
    if (Listed(spec.value_options, name)) {
      if (inline_value) {
        out.values_[name].push_back(*inline_value);
      } else if (i + 1 < argv.size()) {
        out.values_[name].push_back(argv[++i]);
      } else {
        return InvalidArgumentError("option " + name + " needs a value");
      }
    } else if (Listed(spec.flag_options, name) && !inline_value) {
      out.flags_.insert(name);
    } else {
      return InvalidArgumentError("unknown option '" + a + "'");
    }
  }
  if (out.positional_.size() < spec.min_positional) {
    return InvalidArgumentError("missing argument");
  }
  if (out.positional_.size() > spec.max_positional) {
    return InvalidArgumentError("unexpected argument '" +
                                out.positional_[spec.max_positional] + "'");
  }
  return out;
}

std::optional<Args> ParseOrUsage(const std::vector<std::string>& argv,
                                 const ArgSpec& spec, CommandIo& io) {
  Result<Args> args = ParseArgs(argv, spec);
  if (!args.ok()) {
    UsageError(spec, args.status().message(), io);
    return std::nullopt;
  }
  return std::move(*args);
}

int UsageError(const ArgSpec& spec, std::string_view problem, CommandIo& io) {
  PrintCommandLine(io.err, spec.command, problem);
  fprintf(io.err, "usage: sealctl %.*s %.*s\n",
          static_cast<int>(spec.command.size()), spec.command.data(),
          static_cast<int>(spec.usage.size()), spec.usage.data());
  return kExitUsage;
}

int Fail(CommandIo& io, std::string_view command, const Status& status,
         int code) {
  PrintCommandLine(io.err, command, status.message());
  return code;
}

ConfigSource ConfigSourceFrom(const Args& args) {
  ConfigSource source;
  if (args.Has("-c")) {
    source.path = args.Value("-c");
    source.required = true;
  }
  return source;
}

std::string Printable(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return out;
}

}  // namespace seal::ctl
