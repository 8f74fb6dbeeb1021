// EnvelopeTemplates: the complete, validated set of envelope files a
// snapshot runs with: the page template, its script and styles, the
// notification templates, the locale strings and the branding.
//
// Built-in files come from envelope/ (compiled in). An admin's template
// directory overrides any of them file by file, using the same names
// (opener.html, opener.css, opener.js, notification.txt, notification.html,
// passphrase.txt, failure.txt, branding.txt, locales/<code>.txt, the logo);
// a locale file there overrides single keys and may add a new locale.
// Loading validates everything (template syntax, known placeholders, known
// string keys, the page's required blocks, the script's CSP hash), so a bad
// template fails the reload with file:line and the old snapshot stays.
// Every locale falls back key by key to "en".
// Thread-safety: immutable after Load; share it through a shared_ptr.
#ifndef SEALMILTER_LIB_ENVELOPE_TEMPLATE_SET_H_
#define SEALMILTER_LIB_ENVELOPE_TEMPLATE_SET_H_

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lib/envelope/branding.h"
#include "lib/envelope/locale_strings.h"
#include "lib/envelope/template.h"
#include "lib/status.h"

namespace seal::envelope {

// The variables every template may use (unset ones render as ""). Listed in
// sealmilter.envelope(5).
std::span<const std::string_view> TemplateVariables();

class EnvelopeTemplates {
 public:
  // `override_dir` "" = built-in files only. Files larger than 1 MiB are
  // refused.
  static Result<std::shared_ptr<const EnvelopeTemplates>> Load(
      const std::string& override_dir);

  const Template& page() const { return page_; }
  const Template& notification_text() const { return notification_text_; }
  const Template& notification_html() const { return notification_html_; }
  const Template& passphrase_text() const { return passphrase_text_; }
  // Whether passphrase.txt lists per-recipient passphrases
  // ({{=personal_passphrases}}): an admin's older copy may not.
  bool HasPersonalPassphraseList() const;
  const Template& failure_text() const { return failure_text_; }
  const std::string& script() const { return script_; }
  // "sha256-<base64>" of script(), for the page's CSP.
  const std::string& script_hash() const { return script_hash_; }
  const std::string& style() const { return style_; }
  const Branding& branding() const { return branding_; }

  // The strings for `locale`: exact match, then its language, then "en".
  // `*chosen` (optional) receives the code used.
  const LocaleStrings& Strings(std::string_view locale,
                               std::string* chosen = nullptr) const;
  std::vector<std::string> locales() const;

  // A Scope with every template variable set to "" except the branding
  // ones and "lang", and the strings of `locale`.
  Scope BaseScope(std::string_view locale) const;

 private:
  EnvelopeTemplates() = default;

  Template page_;
  Template notification_text_;
  Template notification_html_;
  Template passphrase_text_;
  Template failure_text_;
  std::string script_;
  std::string script_hash_;
  std::string style_;
  Branding branding_;
  std::map<std::string, LocaleStrings, std::less<>> locales_;
};

}  // namespace seal::envelope

#endif  // SEALMILTER_LIB_ENVELOPE_TEMPLATE_SET_H_
