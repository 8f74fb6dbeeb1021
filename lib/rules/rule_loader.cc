// Rule file text (TOML) into Rules, strictly, with file:line:column errors
// (see lib/rules/rule_loader.h). toml++ exceptions are caught in ParseSource
// and never leave this file.
#include "lib/rules/rule_loader.h"

#include <toml++/toml.h>
#include <algorithm>
#include <map>
#include <optional>
#include <span>
#include <utility>

#include "lib/edit_distance.h"
#include "lib/rules/regex_options.h"
#include "lib/toml_errors.h"

namespace seal::rules {
namespace {

constexpr std::string_view kRuleKeys[] = {
    "id",        "description", "enabled", "scopes", "patterns", "headers",
    "validator", "min_count",   "when",    "action", "profile"};
constexpr std::string_view kWhenKeys[] = {"direction", "sender_domains",
                                          "recipient_domains", "authenticated"};
constexpr std::string_view kOverrideKeys[] = {"id", "enabled", "min_count",
                                              "action", "profile"};
constexpr std::string_view kTopKeys[] = {"rule", "override"};

constexpr size_t kMaxIdBytes = 64;
constexpr size_t kMaxDescriptionBytes = 1024;
constexpr size_t kMaxProfileBytes = 64;
constexpr int64_t kMaxMinCount = 10000;

// " (did you mean 'x'?)" for a near miss among `known`, else "".
std::string Suggestion(std::string_view key,
                       std::span<const std::string_view> known) {
  std::string_view best;
  size_t best_distance = 3;
  for (std::string_view k : known) {
    size_t d = EditDistance(key, k);
    if (d < best_distance) {
      best_distance = d;
      best = k;
    }
  }
  return best.empty() ? "" : " (did you mean '" + std::string(best) + "'?)";
}

std::string Join(std::span<const std::string_view> names) {
  std::string out;
  for (std::string_view n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

bool HasControl(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
  });
}

// Lower-cases and checks a domain as written in a condition. A leading dot
// (".example.com": subdomains) is kept; a trailing dot is dropped.
std::optional<std::string> NormalizeDomain(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out.push_back(c);
  }
  if (!out.empty() && out.back() == '.') out.pop_back();
  std::string_view body = out;
  if (!body.empty() && body.front() == '.') body.remove_prefix(1);
  if (body.empty() || body.size() > 253) return std::nullopt;
  char prev = '.';
  for (char c : body) {
    auto u = static_cast<unsigned char>(c);
    bool label_char = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '_' || u >= 0x80;
    if (c == '.') {
      if (prev == '.') return std::nullopt;  // empty label
    } else if (!label_char) {
      return std::nullopt;
    }
    prev = c;
  }
  if (prev == '.') return std::nullopt;
  return out;
}

// A header field name: printable ASCII except ':' (RFC 5322 ftext).
std::optional<std::string> NormalizeHeaderName(std::string_view text) {
  if (text.empty() || text.size() > 128) return std::nullopt;
  std::string out;
  for (char c : text) {
    if (c < 33 || c > 126 || c == ':') return std::nullopt;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out.push_back(c);
  }
  return out;
}

struct Item {
  std::string value;
  std::string where;
};

struct PendingOverride {
  std::string id;
  std::string where;
  std::optional<bool> enabled;
  std::optional<uint32_t> min_count;
  std::optional<Action> action;
  std::optional<std::string> profile;
  std::string profile_where;
};

class Loader {
 public:
  explicit Loader(const RuleLimits& limits) : limits_(limits) {}

  Status ParseSource(const RuleSource& source) {
    source_ = source.name;
    list_.files.push_back(source.name);
    if (list_.files.size() > limits_.max_files) {
      return ResourceExhaustedError(source.name + ": more than " +
                                    std::to_string(limits_.max_files) +
                                    " rule files");
    }
    if (source.text.size() > limits_.max_file_bytes) {
      return ResourceExhaustedError(source.name + ": rule file is " +
                                    std::to_string(source.text.size()) +
                                    " bytes, more than the limit of " +
                                    std::to_string(limits_.max_file_bytes));
    }
    if (size_t nul = source.text.find('\0'); nul != std::string::npos) {
      return ParseError(source.name + ":" + LineColumn(source.text, nul) +
                        ": rule file contains a NUL byte");
    }
    try {
      toml::table root = toml::parse(source.text, source.name);
      return Walk(root);
    } catch (const toml::parse_error& e) {
      return ParseError(TomlPosition(source.name, e.source()) + ": " +
                        std::string(e.description()));
    } catch (const std::exception& e) {
      return ParseError(source.name + ": " + e.what());
    }
  }

  Result<RuleList> Finish() {
    for (PendingOverride& o : overrides_) SEAL_RETURN_IF_ERROR(Apply(o));
    return std::move(list_);
  }

 private:
  // "line:column" (1-based) of a byte offset, for errors found before TOML
  // parsing.
  static std::string LineColumn(std::string_view text, size_t offset) {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < offset; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return std::to_string(line) + ":" + std::to_string(column);
  }

  std::string Where(const toml::source_region& r) const {
    return TomlPosition(source_, r);
  }
  Status Error(const toml::source_region& r, std::string_view message) const {
    return InvalidArgumentError(Where(r) + ": " + std::string(message));
  }
  Status Error(const std::string& where, std::string_view message) const {
    return InvalidArgumentError(where + ": " + std::string(message));
  }
  Status TypeError(const toml::node& node, std::string_view key,
                   std::string_view expected) const {
    return Error(node.source(), "'" + std::string(key) + "' must be " +
                                    std::string(expected) + ", not " +
                                    std::string(TomlNodeTypeName(node)));
  }

  Status CheckKeys(const toml::table& table, std::string_view what,
                   std::span<const std::string_view> known) const {
    for (const auto& [key, node] : table) {
      std::string_view name = key.str();
      if (std::find(known.begin(), known.end(), name) != known.end()) continue;
      return Error(key.source(), "unknown key '" + std::string(name) + "' in " +
                                     std::string(what) +
                                     Suggestion(name, known) +
                                     "; allowed: " + Join(known));
    }
    return Status::Ok();
  }

  Status Walk(const toml::table& root) {
    SEAL_RETURN_IF_ERROR(CheckKeys(root, "a rule file", kTopKeys));
    for (const auto& [key, node] : root) {
      std::string_view name = key.str();
      const toml::array* array = node.as_array();
      if (array == nullptr || !array->is_array_of_tables()) {
        return Error(key.source(),
                     "'" + std::string(name) +
                         "' must be an array of tables: write [[" +
                         std::string(name) + "]]");
      }
      for (const toml::node& element : *array) {
        const toml::table& table = *element.as_table();
        if (name == "rule") {
          SEAL_RETURN_IF_ERROR(ParseRule(table));
        } else {
          SEAL_RETURN_IF_ERROR(ParseOverride(table));
        }
      }
    }
    return Status::Ok();
  }

  // A non-empty string without control characters, at most `max` bytes.
  Status GetString(const toml::node& node, std::string_view key, size_t max,
                   std::string& out) const {
    const auto* s = node.as_string();
    if (s == nullptr) return TypeError(node, key, "a string");
    const std::string& value = s->get();
    if (value.empty()) {
      return Error(node.source(), "'" + std::string(key) + "' is empty");
    }
    if (value.size() > max) {
      return Error(node.source(), "'" + std::string(key) + "' is longer than " +
                                      std::to_string(max) + " bytes");
    }
    if (HasControl(value)) {
      return Error(node.source(),
                   "'" + std::string(key) + "' contains a control character");
    }
    out = value;
    return Status::Ok();
  }

  Status GetBool(const toml::node& node, std::string_view key,
                 bool& out) const {
    const auto* b = node.as_boolean();
    if (b == nullptr) return TypeError(node, key, "true or false");
    out = b->get();
    return Status::Ok();
  }

  Status GetMinCount(const toml::node& node, uint32_t& out) const {
    const auto* i = node.as_integer();
    if (i == nullptr) return TypeError(node, "min_count", "an integer");
    int64_t n = i->get();
    if (n < 1 || n > kMaxMinCount) {
      return Error(node.source(), "'min_count' must be between 1 and " +
                                      std::to_string(kMaxMinCount) + ", not " +
                                      std::to_string(n));
    }
    out = static_cast<uint32_t>(n);
    return Status::Ok();
  }

  Status GetAction(const toml::node& node, Action& out) const {
    std::string name;
    SEAL_RETURN_IF_ERROR(GetString(node, "action", 64, name));
    if (!ParseAction(name, out)) {
      std::vector<std::string_view> names;
      for (size_t i = 0; i < kActionCount; ++i) {
        names.push_back(ActionName(static_cast<Action>(i)));
      }
      return Error(node.source(), "unknown action '" + name + "'" +
                                      Suggestion(name, names) +
                                      "; allowed: " + Join(names));
    }
    return Status::Ok();
  }

  Status GetProfile(const toml::node& node, std::string& out) const {
    SEAL_RETURN_IF_ERROR(GetString(node, "profile", kMaxProfileBytes, out));
    if (!std::all_of(out.begin(), out.end(), IsIdChar)) {
      return Error(node.source(),
                   "profile '" + out +
                       "' may contain only letters, digits, '-', '_' and '.'");
    }
    return Status::Ok();
  }

  // A string, or a non-empty array of strings, without duplicates.
  Status GetList(const toml::node& node, std::string_view key, size_t max_bytes,
                 std::vector<Item>& out) const {
    auto add = [&](const toml::node& n) -> Status {
      std::string value;
      SEAL_RETURN_IF_ERROR(GetString(n, key, max_bytes, value));
      for (const Item& seen : out) {
        if (seen.value == value) {
          return Error(n.source(), "'" + std::string(key) + "' lists '" +
                                       value + "' twice");
        }
      }
      out.push_back(Item{std::move(value), Where(n.source())});
      return Status::Ok();
    };
    if (node.is_string()) return add(node);
    const auto* array = node.as_array();
    if (array == nullptr) {
      return TypeError(node, key, "a string or an array of strings");
    }
    if (array->empty()) {
      return Error(node.source(), "'" + std::string(key) + "' is empty");
    }
    for (const toml::node& element : *array) {
      if (out.size() == limits_.max_list_items) {
        return ResourceExhaustedError(Where(element.source()) + ": '" +
                                      std::string(key) + "' has more than " +
                                      std::to_string(limits_.max_list_items) +
                                      " entries");
      }
      SEAL_RETURN_IF_ERROR(add(element));
    }
    return Status::Ok();
  }

  Status CompilePattern(const Item& item, Pattern& out) const {
    const std::string& text = item.value;
    if (text.size() > limits_.max_pattern_bytes) {
      return ResourceExhaustedError(item.where + ": pattern is " +
                                    std::to_string(text.size()) +
                                    " bytes, more than the limit of " +
                                    std::to_string(limits_.max_pattern_bytes));
    }
    auto re = std::make_shared<const re2::RE2>(
        text, PatternOptions(limits_.regex_max_mem));
    if (!re->ok()) {
      std::string message = "bad regular expression: " + re->error();
      if (re->error_code() == re2::RE2::ErrorPatternTooLarge) {
        message += " (the pattern is too large; simplify or split it)";
      }
      return Error(item.where, message);
    }
    if (re->ProgramSize() > limits_.max_program_size) {
      return ResourceExhaustedError(
          item.where + ": pattern compiles to " +
          std::to_string(re->ProgramSize()) +
          " instructions, more than the limit of " +
          std::to_string(limits_.max_program_size) +
          "; simplify it or split it into several patterns");
    }
    if (re2::RE2::PartialMatch("", *re)) {
      return Error(item.where,
                   "pattern matches the empty string, so it would match "
                   "every text; require at least one character");
    }
    out.text = text;
    out.where = item.where;
    out.re = std::move(re);
    return Status::Ok();
  }

  Status ParseWhen(const toml::node& node, Conditions& when) const {
    const toml::table* table = node.as_table();
    if (table == nullptr) return TypeError(node, "when", "a table");
    SEAL_RETURN_IF_ERROR(CheckKeys(*table, "'when'", kWhenKeys));
    if (table->empty()) {
      return Error(node.source(), "'when' is empty; leave it out instead");
    }
    if (const toml::node* n = table->get("direction")) {
      std::vector<Item> items;
      SEAL_RETURN_IF_ERROR(GetList(*n, "direction", 64, items));
      when.directions = 0;
      for (const Item& item : items) {
        Direction d{};
        if (!ParseDirection(item.value, d)) {
          return Error(item.where, "unknown direction '" + item.value +
                                       "'; allowed: outbound, inbound, "
                                       "internal");
        }
        when.directions = static_cast<uint8_t>(
            when.directions | (1u << static_cast<unsigned>(d)));
      }
    }
    for (std::string_view key : {"sender_domains", "recipient_domains"}) {
      const toml::node* n = table->get(key);
      if (n == nullptr) continue;
      std::vector<Item> items;
      SEAL_RETURN_IF_ERROR(GetList(*n, key, 255, items));
      auto& domains = key == "sender_domains" ? when.sender_domains
                                              : when.recipient_domains;
      for (const Item& item : items) {
        std::optional<std::string> domain = NormalizeDomain(item.value);
        if (!domain) {
          return Error(item.where,
                       "'" + item.value +
                           "' is not a domain (write example.com, or "
                           ".example.com for its subdomains)");
        }
        domains.push_back(std::move(*domain));
      }
    }
    if (const toml::node* n = table->get("authenticated")) {
      bool value = false;
      SEAL_RETURN_IF_ERROR(GetBool(*n, "authenticated", value));
      when.authenticated = value;
    }
    return Status::Ok();
  }

  Status ParseRule(const toml::table& table) {
    SEAL_RETURN_IF_ERROR(CheckKeys(table, "a rule", kRuleKeys));
    Rule rule;
    rule.where = Where(table.source());
    if (list_.rules.size() == limits_.max_rules) {
      return ResourceExhaustedError(rule.where + ": more than " +
                                    std::to_string(limits_.max_rules) +
                                    " rules");
    }
    const toml::node* id = table.get("id");
    if (id == nullptr) return Error(rule.where, "rule has no 'id'");
    SEAL_RETURN_IF_ERROR(GetString(*id, "id", kMaxIdBytes, rule.id));
    if (!std::all_of(rule.id.begin(), rule.id.end(), IsIdChar)) {
      return Error(id->source(),
                   "rule id '" + rule.id +
                       "' may contain only letters, digits, '-', '_' and '.'");
    }
    if (rule.id == kOnTruncatedRuleId) {
      return Error(id->source(), "rule id '" + rule.id +
                                     "' is reserved (the action of the "
                                     "setting of that name)");
    }
    if (auto it = ids_.find(rule.id); it != ids_.end()) {
      return Error(id->source(), "duplicate rule id '" + rule.id +
                                     "' (first defined at " +
                                     list_.rules[it->second].where + ")");
    }
    Status s = ParseRuleBody(table, rule);
    if (!s.ok())
      return Status(s.code(), s.message() + " (rule '" + rule.id + "')");
    ids_.emplace(rule.id, list_.rules.size());
    list_.rules.push_back(std::move(rule));
    return Status::Ok();
  }

  Status ParseRuleBody(const toml::table& table, Rule& rule) const {
    const toml::node* n = table.get("description");
    if (n == nullptr) return Error(rule.where, "rule has no 'description'");
    SEAL_RETURN_IF_ERROR(
        GetString(*n, "description", kMaxDescriptionBytes, rule.description));

    if ((n = table.get("enabled"))) {
      SEAL_RETURN_IF_ERROR(GetBool(*n, "enabled", rule.enabled));
    }

    n = table.get("action");
    if (n == nullptr) return Error(rule.where, "rule has no 'action'");
    SEAL_RETURN_IF_ERROR(GetAction(*n, rule.action));
    if ((n = table.get("profile"))) {
      if (!TakesProfile(rule.action)) {
        return Error(n->source(),
                     "'profile' applies only to the actions encrypt and "
                     "encrypt-if-possible, not " +
                         std::string(ActionName(rule.action)));
      }
      SEAL_RETURN_IF_ERROR(GetProfile(*n, rule.profile));
    } else if (TakesProfile(rule.action)) {
      rule.profile = std::string(kDefaultProfile);
    }

    if ((n = table.get("when"))) SEAL_RETURN_IF_ERROR(ParseWhen(*n, rule.when));

    const toml::node* patterns = table.get("patterns");
    if (patterns == nullptr) {
      // A pattern-less rule fires on its conditions alone.
      for (std::string_view key :
           {"scopes", "headers", "validator", "min_count"}) {
        if (const toml::node* extra = table.get(key)) {
          return Error(extra->source(),
                       "'" + std::string(key) + "' needs 'patterns'");
        }
      }
      if (rule.when.empty()) {
        return Error(rule.where,
                     "rule has neither 'patterns' nor 'when' conditions, so "
                     "it would apply to every message; add one");
      }
      return Status::Ok();
    }

    std::vector<Item> items;
    SEAL_RETURN_IF_ERROR(
        GetList(*patterns, "patterns", limits_.max_pattern_bytes, items));
    if (items.size() > limits_.max_patterns_per_rule) {
      return ResourceExhaustedError(
          Where(patterns->source()) + ": more than " +
          std::to_string(limits_.max_patterns_per_rule) + " patterns");
    }
    for (const Item& item : items) {
      Pattern pattern;
      SEAL_RETURN_IF_ERROR(CompilePattern(item, pattern));
      rule.patterns.push_back(std::move(pattern));
    }

    n = table.get("scopes");
    if (n == nullptr) return Error(rule.where, "rule has no 'scopes'");
    items.clear();
    SEAL_RETURN_IF_ERROR(GetList(*n, "scopes", 64, items));
    for (const Item& item : items) {
      Scope scope{};
      if (!ParseScope(item.value, scope)) {
        std::vector<std::string_view> names;
        for (size_t i = 0; i < kScopeCount; ++i) {
          names.push_back(ScopeName(static_cast<Scope>(i)));
        }
        return Error(item.where, "unknown scope '" + item.value + "'" +
                                     Suggestion(item.value, names) +
                                     "; allowed: " + Join(names));
      }
      rule.scopes = static_cast<uint8_t>(rule.scopes |
                                         (1u << static_cast<unsigned>(scope)));
    }

    if ((n = table.get("headers"))) {
      if (!rule.HasScope(Scope::kHeaders)) {
        return Error(n->source(),
                     "'headers' needs \"headers\" among the scopes");
      }
      items.clear();
      SEAL_RETURN_IF_ERROR(GetList(*n, "headers", 128, items));
      for (const Item& item : items) {
        std::optional<std::string> name = NormalizeHeaderName(item.value);
        if (!name) {
          return Error(item.where,
                       "'" + item.value + "' is not a header field name");
        }
        rule.headers.push_back(std::move(*name));
      }
    }

    if ((n = table.get("validator"))) {
      std::string name;
      SEAL_RETURN_IF_ERROR(GetString(*n, "validator", 64, name));
      if (!ParseValidator(name, rule.validator)) {
        static constexpr std::string_view kNames[] = {"luhn", "us_ssn", "aba",
                                                      "iban"};
        return Error(n->source(), "unknown validator '" + name + "'" +
                                      Suggestion(name, kNames) +
                                      "; allowed: " + Join(kNames));
      }
    }
    if ((n = table.get("min_count"))) {
      SEAL_RETURN_IF_ERROR(GetMinCount(*n, rule.min_count));
    }
    return Status::Ok();
  }

  Status ParseOverride(const toml::table& table) {
    SEAL_RETURN_IF_ERROR(CheckKeys(table, "an override", kOverrideKeys));
    PendingOverride o;
    o.where = Where(table.source());
    const toml::node* n = table.get("id");
    if (n == nullptr) return Error(o.where, "override has no 'id'");
    SEAL_RETURN_IF_ERROR(GetString(*n, "id", kMaxIdBytes, o.id));
    for (const PendingOverride& seen : overrides_) {
      if (seen.id == o.id) {
        return Error(
            n->source(),
            "rule '" + o.id + "' is already overridden at " + seen.where);
      }
    }
    if ((n = table.get("enabled"))) {
      bool value = false;
      SEAL_RETURN_IF_ERROR(GetBool(*n, "enabled", value));
      o.enabled = value;
    }
    if ((n = table.get("min_count"))) {
      uint32_t value = 0;
      SEAL_RETURN_IF_ERROR(GetMinCount(*n, value));
      o.min_count = value;
    }
    if ((n = table.get("action"))) {
      Action value{};
      SEAL_RETURN_IF_ERROR(GetAction(*n, value));
      o.action = value;
    }
    if ((n = table.get("profile"))) {
      std::string value;
      SEAL_RETURN_IF_ERROR(GetProfile(*n, value));
      o.profile = std::move(value);
      o.profile_where = Where(n->source());
    }
    if (!o.enabled && !o.min_count && !o.action && !o.profile) {
      return Error(o.where, "override of '" + o.id + "' changes nothing");
    }
    if (overrides_.size() == limits_.max_rules) {
      return ResourceExhaustedError(o.where + ": more than " +
                                    std::to_string(limits_.max_rules) +
                                    " overrides");
    }
    overrides_.push_back(std::move(o));
    return Status::Ok();
  }

  Status Apply(const PendingOverride& o) {
    auto it = ids_.find(o.id);
    if (it == ids_.end()) {
      return Error(o.where, "override of unknown rule '" + o.id + "'");
    }
    Rule& rule = list_.rules[it->second];
    if (o.enabled) rule.enabled = *o.enabled;
    if (o.min_count) {
      if (rule.patterns.empty()) {
        return Error(o.where, "rule '" + o.id +
                                  "' has no patterns, so min_count does not "
                                  "apply");
      }
      rule.min_count = *o.min_count;
    }
    if (o.action) {
      rule.action = *o.action;
      if (!TakesProfile(rule.action)) {
        rule.profile.clear();
      } else if (rule.profile.empty()) {
        rule.profile = std::string(kDefaultProfile);
      }
    }
    if (o.profile) {
      if (!TakesProfile(rule.action)) {
        return Error(o.profile_where,
                     "'profile' applies only to the actions encrypt and "
                     "encrypt-if-possible; rule '" +
                         o.id + "' has action " +
                         std::string(ActionName(rule.action)));
      }
      rule.profile = *o.profile;
    }
    return Status::Ok();
  }

  const RuleLimits& limits_;
  std::string source_;  // name of the file being parsed
  RuleList list_;
  std::map<std::string, size_t, std::less<>> ids_;  // id -> index in rules
  std::vector<PendingOverride> overrides_;
};

}  // namespace

Result<RuleList> ParseRuleSources(const std::vector<RuleSource>& sources,
                                  const RuleLimits& limits) try {
  Loader loader(limits);
  for (const RuleSource& source : sources) {
    SEAL_RETURN_IF_ERROR(loader.ParseSource(source));
  }
  return loader.Finish();
} catch (const std::exception& e) {
  return InternalError("loading rules: " + std::string(e.what()));
}

}  // namespace seal::rules
