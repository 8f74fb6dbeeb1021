// Template: the small, safe substitution language of the envelope page, the
// notifications and the locale strings.
//
//   {{name}}            a variable (no '.') or a locale string (has a '.',
//                       e.g. {{notify.intro}}); escaped for the output:
//                       HTML escaping in HTML templates, control characters
//                       removed in text templates
//   {{#name}}...{{/name}}  included when the value is not empty
//   {{^name}}...{{/name}}  included when the value is empty
//   {{=name}}           a block the program writes itself (the page, and
//                       {{=personal_passphrases}} in passphrase.txt)
// A section tag alone on its line removes that line. There is no way to
// insert unescaped text from a variable, no loops, no expressions. Unknown
// names and unbalanced sections are errors naming the template and line.
// Locale strings are templates too, with variables only; their literal text
// is plain text and is escaped like a variable in HTML output.
// Thread-safety: a parsed Template is immutable; a Scope is not shared.
#ifndef SEALMILTER_LIB_ENVELOPE_TEMPLATE_H_
#define SEALMILTER_LIB_ENVELOPE_TEMPLATE_H_

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lib/envelope/sink.h"
#include "lib/status.h"

namespace seal::envelope {

class LocaleStrings;
class Scope;

enum class Escaping { kHtml, kText };

class Template {
 public:
  struct ParseOptions {
    bool allow_blocks = false;     // {{=name}}
    bool allow_sections = true;    // {{#..}} {{^..}} {{/..}}
    bool allow_strings = true;     // names with a '.'
    bool literal_is_text = false;  // escape literal text (locale strings)
  };

  Template() = default;
  static Result<Template> Parse(std::string_view text, std::string_view name,
                                ParseOptions options);

  const std::string& name() const { return name_; }
  // Every name referenced, in order of appearance (with repeats removed).
  const std::vector<std::string>& names() const { return names_; }
  // Every {{=block}}, with repeats, and whether it sits inside a section.
  struct BlockUse {
    std::string name;
    bool in_section = false;
  };
  const std::vector<BlockUse>& blocks() const { return blocks_; }

  Status Render(const Scope& scope, Escaping escaping, BufferedSink& out) const;
  Result<std::string> RenderToString(const Scope& scope,
                                     Escaping escaping) const;

 private:
  struct Node {
    enum class Kind { kText, kVar, kBlock, kSection, kInverted };
    Kind kind = Kind::kText;
    std::string text;  // literal text, or the name
    int line = 0;
    std::vector<Node> children;
  };
  Status RenderNodes(const std::vector<Node>& nodes, const Scope& scope,
                     Escaping escaping, BufferedSink& out) const;

  std::string name_;
  std::vector<Node> nodes_;
  std::vector<std::string> names_;
  std::vector<BlockUse> blocks_;
  bool literal_is_text_ = false;
};

// What names resolve to while rendering: variables (raw values, escaped on
// output), locale strings, and program-written blocks.
class Scope {
 public:
  using BlockWriter = std::function<Status(std::string_view, BufferedSink&)>;

  Scope& Set(std::string name, std::string value);
  void set_strings(const LocaleStrings* strings) { strings_ = strings; }
  void set_blocks(BlockWriter blocks) { blocks_ = std::move(blocks); }

  // kNotFound for an unknown name.
  Result<bool> IsSet(std::string_view name) const;
  Status WriteValue(std::string_view name, Escaping escaping,
                    BufferedSink& out) const;
  Status WriteBlock(std::string_view name, BufferedSink& out) const;
  const std::string* FindVar(std::string_view name) const;
  // The rendered value of {{name}} as a string.
  Result<std::string> Render(std::string_view name, Escaping escaping) const;

 private:
  std::map<std::string, std::string, std::less<>> vars_;
  const LocaleStrings* strings_ = nullptr;
  BlockWriter blocks_;
};

}  // namespace seal::envelope

#endif  // SEALMILTER_LIB_ENVELOPE_TEMPLATE_H_
