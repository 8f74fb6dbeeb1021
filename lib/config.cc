// Loading sealmilter.conf (TOML) into a Config, strictly: unknown keys, wrong
// types, bad values and oversized files are errors with file:line:column.
// toml++ exceptions are caught here and never leave this file.
#include "lib/config.h"

#include <toml++/toml.h>
#include <map>

#include "lib/config_schema.h"
#include "lib/file_read.h"
#include "lib/toml_errors.h"

namespace seal {
namespace {

// Which TOML types a key accepts.
bool AcceptsString(ValueType t) {
  return t != ValueType::kBool && t != ValueType::kInteger &&
         t != ValueType::kList;
}
bool AcceptsInteger(ValueType t) {
  return t == ValueType::kInteger || t == ValueType::kSize ||
         t == ValueType::kDuration || t == ValueType::kMode;
}

Result<Value> ConvertNode(const KeyDef& def, const toml::node& node) {
  if (const auto* s = node.as_string(); s && AcceptsString(def.type)) {
    return ParseValueText(def, s->get());
  }
  if (const auto* i = node.as_integer(); i && AcceptsInteger(def.type)) {
    return ParseValueInteger(def, i->get());
  }
  if (const auto* b = node.as_boolean(); b && def.type == ValueType::kBool) {
    return Value(b->get());
  }
  if (const auto* a = node.as_array(); a && def.type == ValueType::kList) {
    std::string joined;
    for (const toml::node& item : *a) {
      const auto* str = item.as_string();
      if (str == nullptr) {
        return InvalidArgumentError(std::string(def.key) +
                                    ": list items must be strings, got " +
                                    std::string(TomlNodeTypeName(item)));
      }
      Result<Value> one = ParseListItem(def, str->get());
      if (!one.ok()) return one.status();
      if (!joined.empty()) joined += kListSeparator;
      joined += str->get();
    }
    return Value(joined);
  }
  return InvalidArgumentError(std::string(def.key) + ": expected " +
                              std::string(ValueTypeName(def.type)) + ", got " +
                              std::string(TomlNodeTypeName(node)));
}

bool IsSectionPrefix(std::string_view prefix) {
  for (const KeyDef& def : Schema()) {
    if (def.key.size() > prefix.size() && def.key.starts_with(prefix) &&
        def.key[prefix.size()] == '.') {
      return true;
    }
  }
  return false;
}

std::string SectionList() {
  std::string out;
  for (const KeyDef& def : Schema()) {
    std::string section(def.key.substr(0, def.key.find('.')));
    if (out.find("[" + section + "]") == std::string::npos) {
      if (!out.empty()) out += ' ';
      out += "[" + section + "]";
    }
  }
  return out;
}

class Loader {
 public:
  Loader(std::string_view source, Config& config)
      : source_(source), config_(config) {}

  Status Walk(const toml::table& table, const std::string& prefix) {
    for (const auto& [key, node] : table) {
      std::string name = prefix.empty() ? std::string(key.str())
                                        : prefix + "." + std::string(key.str());
      std::string where = TomlPosition(source_, key.source());
      if (const KeyDef* def = FindKey(name)) {
        Result<Value> value = ConvertNode(*def, node);
        if (!value.ok()) return value.status().WithContext(where);
        def->set(config_, *value);
        continue;
      }
      if (const auto* sub = node.as_table(); sub && IsSectionPrefix(name)) {
        SEAL_RETURN_IF_ERROR(Walk(*sub, name));
        continue;
      }
      std::string msg = "unknown key '" + name + "'";
      if (node.is_table()) {
        msg =
            "unknown section [" + name + "] (sections: " + SectionList() + ")";
      } else if (IsSectionPrefix(name)) {
        msg = "'" + name + "' must be a table ([" + name + "])";
      } else if (std::string_view hint = SuggestKey(name); !hint.empty()) {
        msg += " (did you mean '" + std::string(hint) + "'?)";
      }
      return InvalidArgumentError(where + ": " + msg);
    }
    return Status::Ok();
  }

 private:
  std::string_view source_;
  Config& config_;
};

// Checks between keys and of values the schema types cannot express.
// Errors name the key (no line: the key may come from the defaults).
Status CheckPortal(const Config& config) {
  const std::string& url = config.portal.url;
  if (url.empty() && config.envelope.js_free) {
    return InvalidArgumentError(
        "envelope.js_free needs portal.url: a JS-free envelope only opens "
        "online");
  }
  if (url.empty()) return Status::Ok();
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError("portal.url '" + url.substr(0, 100) +
                                "': " + why);
  };
  std::string_view rest = url;
  bool plain = false;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
    plain = true;
  } else {
    return bad("must be an http:// or https:// URL");
  }
  std::string_view host = rest.substr(0, rest.find_first_of(":/"));
  if (host.empty()) return bad("has no host");
  if (plain && host != "localhost" && host != "127.0.0.1") {
    return bad("http:// is for localhost only (tests); use https://");
  }
  if (url.back() == '/') return bad("must not end with '/'");
  for (char c : url) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '"' || c == '\'' || c == '<' ||
        c == '>' || c == '\\' || c == ';' || c == ',' || c == '?' || c == '#') {
      return bad("has a character that is not allowed in it");
    }
  }
  if (config.portal.key_file.empty()) {
    return InvalidArgumentError(
        "portal.key_file must be set when portal.url is set");
  }
  return Status::Ok();
}

}  // namespace

Config Config::Defaults() {
  Config config;
  for (const KeyDef& def : Schema()) {
    Result<Value> value = ParseValueText(def, def.default_value);
    // The schema test proves every default parses; a failure here is a bug
    // caught by that test, not a runtime condition.
    if (value.ok()) def.set(config, *value);
  }
  config.source = std::string(kEmbeddedDefaultsSource);
  return config;
}

Result<Config> ParseConfig(std::string_view text,
                           std::string_view source_name) {
  if (text.size() > kMaxConfigFileBytes) {
    return ResourceExhaustedError(std::string(source_name) + ": config is " +
                                  std::to_string(text.size()) +
                                  " bytes, more than the limit of " +
                                  std::to_string(kMaxConfigFileBytes));
  }
  if (text.find('\0') != std::string_view::npos) {
    return ParseError(std::string(source_name) +
                      ": config contains a NUL byte");
  }
  Config config = Config::Defaults();
  config.source = std::string(source_name);
  try {
    toml::table table = toml::parse(text, source_name);
    Loader loader(source_name, config);
    SEAL_RETURN_IF_ERROR(loader.Walk(table, ""));
    Status portal = CheckPortal(config);
    if (!portal.ok()) return portal.WithContext(source_name);
  } catch (const toml::parse_error& e) {
    return ParseError(TomlPosition(source_name, e.source()) + ": " +
                      std::string(e.description()));
  } catch (const std::exception& e) {
    return ParseError(std::string(source_name) + ": " + e.what());
  }
  return config;
}

Result<Config> LoadConfigFile(const std::string& path) {
  // kMaxConfigFileBytes + 1 at most: ParseConfig reports an oversized file.
  Result<std::string> text =
      ReadRegularFile(path, kMaxConfigFileBytes, "config file");
  if (!text.ok()) return text.status();
  return ParseConfig(*text, path);
}

std::string RenderConfig(const Config& config) {
  std::string out = "# effective configuration from " + config.source + "\n";
  std::string section;
  for (const KeyDef& def : Schema()) {
    size_t dot = def.key.find('.');
    std::string this_section(def.key.substr(0, dot));
    if (this_section != section) {
      section = this_section;
      out += "\n[" + section + "]\n";
    }
    out += std::string(def.key.substr(dot + 1)) + " = " +
           RenderValue(def, def.get(config)) + "\n";
  }
  return out;
}

void CarryNonReloadable(const Config& running, Config& next,
                        std::vector<std::string>& not_applied) {
  for (const KeyDef& def : Schema()) {
    if (def.reloadable) continue;
    Value old_value = def.get(running);
    if (old_value != def.get(next)) {
      not_applied.emplace_back(def.key);
      def.set(next, old_value);
    }
  }
}

}  // namespace seal
