// LocaleStrings: the translated strings of one locale, read from a
// "key = value" file (envelope/locales/<code>.txt, or the same name in the
// admin's template directory, whose keys override the built-in ones).
//
// File format: UTF-8; one "key = value" per line; blank lines and lines
// starting with '#' ignored; keys are lower-case [a-z0-9_.] with at least
// one '.'; the value runs to the end of the line, surrounding blanks
// removed; a key may appear once. Values are templates with variables only
// ({{sender}}), plain text (escaped in HTML output).
// Locale codes: "en", "pt", "pt-br" (lower case, '-' separated).
// Thread-safety: immutable after loading.
#ifndef SEALMILTER_LIB_ENVELOPE_LOCALE_STRINGS_H_
#define SEALMILTER_LIB_ENVELOPE_LOCALE_STRINGS_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "lib/envelope/template.h"
#include "lib/status.h"

namespace seal::envelope {

class LocaleStrings {
 public:
  static Result<LocaleStrings> Parse(std::string_view text,
                                     std::string_view file_name);

  // Adds the keys of `other`, replacing existing ones.
  void Overlay(const LocaleStrings& other);

  const Template* Find(std::string_view key) const;
  const std::string* FindText(std::string_view key) const;
  std::vector<std::string> Keys() const;

  // A JSON object {"key": "raw value", ...} of the keys starting with
  // `prefix`, inert inside HTML (see JsonQuote).
  std::string ToJson(std::string_view prefix) const;

 private:
  struct Entry {
    std::string text;
    Template tmpl;
  };
  std::map<std::string, Entry, std::less<>> entries_;
};

// "pt_BR" -> "pt-br"; "" stays "".
std::string CanonicalLocale(std::string_view locale);
// The language part: "pt-br" -> "pt".
std::string_view LocaleLanguage(std::string_view canonical);

}  // namespace seal::envelope

#endif  // SEALMILTER_LIB_ENVELOPE_LOCALE_STRINGS_H_
