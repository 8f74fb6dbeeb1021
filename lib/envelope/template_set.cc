// Loading and validating the envelope's template set (see template_set.h).
#include "lib/envelope/template_set.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <set>

#include "lib/envelope/base64.h"
#include "lib/envelope/crypto.h"
#include "lib/envelope/embedded_files.h"

namespace seal::envelope {
namespace {

constexpr size_t kMaxFileSize = 1 << 20;

constexpr std::array<std::string_view, 29> kVariables = {
    "lang",
    "org_name",
    "org_url",
    "logo_src",
    "accent",
    "support",
    "sender",
    "sender_name",
    "sender_address",
    "recipient",
    "recipients",
    "subject",
    "created",
    "created_text",
    "expires",
    "expires_text",
    "portal_url",
    "portal_host",
    "file_name",
    "passphrase",
    "new_passphrase",
    "reason",
    "js",
    "remember",
    "csp",
    "envelope_id",
    "held",
    "personal",
    "mixed_passphrases",
};

constexpr std::array<std::string_view, 5> kPageBlocks = {
    "style", "strings", "metadata", "ciphertext", "script"};

// passphrase.txt: the per-recipient passphrase lines, written by
// BuildPassphraseNotice (values cannot hold line breaks).
constexpr std::string_view kPersonalBlock = "personal_passphrases";

bool IsVariable(std::string_view name) {
  return std::find(kVariables.begin(), kVariables.end(), name) !=
         kVariables.end();
}

const EmbeddedFile* FindEmbedded(std::string_view path) {
  for (const EmbeddedFile& f : EmbeddedEnvelopeFiles()) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

// Reads a regular file of at most kMaxFileSize bytes; kNotFound if absent.
Result<std::string> ReadSmallFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NotFoundError(path + ": no such file");
    return ErrnoError("cannot open " + path, errno);
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return IoError(path + ": not a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxFileSize) {
    close(fd);
    return ResourceExhaustedError(path + ": larger than 1 MiB");
  }
  std::string data(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < data.size()) {
    ssize_t n = read(fd, data.data() + got, data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      close(fd);
      return ErrnoError("cannot read " + path, n == 0 ? EIO : err);
    }
    got += static_cast<size_t>(n);
  }
  close(fd);
  return data;
}

std::string NormalizeNewlines(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n') continue;
    out.push_back(s[i]);
  }
  return out;
}

bool ContainsIgnoreCase(std::string_view hay, std::string_view needle) {
  auto it = std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                        [](char a, char b) {
                          if (a >= 'A' && a <= 'Z') {
                            a = static_cast<char>(a - 'A' + 'a');
                          }
                          return a == b;
                        });
  return it != hay.end();
}

// One file as loaded: its text and where it came from (for messages).
struct Source {
  std::string text;
  std::string origin;  // "built-in opener.html" or "/etc/.../opener.html"
};

class Loader {
 public:
  explicit Loader(std::string dir) : dir_(std::move(dir)) {}

  // The override if present, else the built-in file.
  Result<Source> Get(std::string_view path) const {
    if (!dir_.empty()) {
      auto data = ReadSmallFile(dir_ + "/" + std::string(path));
      if (data.ok()) {
        return Source{NormalizeNewlines(*data), dir_ + "/" + std::string(path)};
      }
      if (data.status().code() != StatusCode::kNotFound) return data.status();
    }
    const EmbeddedFile* f = FindEmbedded(path);
    if (f == nullptr) {
      return NotFoundError("no built-in envelope file " + std::string(path));
    }
    return Source{NormalizeNewlines(f->data), "built-in " + std::string(path)};
  }

  // Raw bytes (logo): override, else built-in.
  Result<std::string> GetBinary(std::string_view path) const {
    if (!dir_.empty()) {
      auto data = ReadSmallFile(dir_ + "/" + std::string(path));
      if (data.ok() || data.status().code() != StatusCode::kNotFound) {
        return data;
      }
    }
    const EmbeddedFile* f = FindEmbedded(path);
    if (f == nullptr) return NotFoundError("no logo file " + std::string(path));
    return std::string(f->data);
  }

  // Locale codes with a file in the override directory's locales/.
  Result<std::vector<std::string>> OverrideLocales() const {
    std::vector<std::string> codes;
    if (dir_.empty()) return codes;
    std::string path = dir_ + "/locales";
    DIR* d = opendir(path.c_str());
    if (d == nullptr) {
      if (errno == ENOENT) return codes;
      return ErrnoError("cannot list " + path, errno);
    }
    while (dirent* e = readdir(d)) {
      std::string name = e->d_name;
      if (name.size() > 4 && name.compare(name.size() - 4, 4, ".txt") == 0) {
        codes.push_back(name.substr(0, name.size() - 4));
      }
    }
    closedir(d);
    std::sort(codes.begin(), codes.end());
    return codes;
  }

  Result<std::string> Override(std::string_view path) const {
    return ReadSmallFile(dir_ + "/" + std::string(path));
  }

 private:
  std::string dir_;
};

bool IsLocaleCode(std::string_view code) {
  if (code.empty() || code.size() > 35) return false;
  for (char c : code) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
  }
  return code.front() != '-';
}

Result<Template> ParseFile(const Source& src, bool page, bool notice) {
  Template::ParseOptions options;
  options.allow_blocks = page || notice;
  return Template::Parse(src.text, src.origin, options);
}

// Placeholders of `t` must be known variables or existing string keys, and
// a page must hold each required block once, outside sections.
Status CheckTemplate(const Template& t, const LocaleStrings& en, bool page,
                     bool notice) {
  for (const std::string& name : t.names()) {
    bool is_block = false;
    for (const auto& b : t.blocks()) is_block |= b.name == name;
    if (is_block) continue;
    if (name.find('.') != std::string::npos) {
      if (en.Find(name) == nullptr) {
        return ParseError(t.name() + ": unknown string {{" + name + "}}");
      }
    } else if (!IsVariable(name)) {
      return ParseError(t.name() + ": unknown placeholder {{" + name + "}}");
    }
  }
  if (notice) {
    for (const auto& b : t.blocks()) {
      if (b.name != kPersonalBlock) {
        return ParseError(t.name() + ": unknown block {{=" + b.name + "}}");
      }
    }
  }
  if (!page) return Status::Ok();
  for (const auto& b : t.blocks()) {
    if (std::find(kPageBlocks.begin(), kPageBlocks.end(), b.name) ==
        kPageBlocks.end()) {
      return ParseError(t.name() + ": unknown block {{=" + b.name + "}}");
    }
    if (b.in_section) {
      return ParseError(t.name() + ": {{=" + b.name +
                        "}} must not be inside a section");
    }
  }
  for (std::string_view required : kPageBlocks) {
    auto n = std::count_if(t.blocks().begin(), t.blocks().end(),
                           [&](const auto& b) { return b.name == required; });
    if (n != 1) {
      return ParseError(t.name() + ": needs {{=" + std::string(required) +
                        "}} exactly once");
    }
  }
  return Status::Ok();
}

Status CheckStrings(const LocaleStrings& strings, const LocaleStrings& en,
                    std::string_view origin) {
  for (const std::string& key : strings.Keys()) {
    if (en.Find(key) == nullptr) {
      return ParseError(std::string(origin) + ": unknown key '" + key + "'");
    }
    for (const std::string& name : strings.Find(key)->names()) {
      if (!IsVariable(name)) {
        return ParseError(std::string(origin) + ": " + key +
                          ": unknown placeholder {{" + name + "}}");
      }
    }
  }
  return Status::Ok();
}

}  // namespace

std::span<const std::string_view> TemplateVariables() { return kVariables; }

Result<std::shared_ptr<const EnvelopeTemplates>> EnvelopeTemplates::Load(
    const std::string& override_dir) {
  if (!override_dir.empty()) {
    struct stat st {};
    if (stat(override_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return NotFoundError("envelope template directory " + override_dir +
                           " does not exist");
    }
  }
  Loader loader(override_dir);
  std::shared_ptr<EnvelopeTemplates> t(new EnvelopeTemplates());

  // Locales: built-in "en" is complete; every other locale is en overlaid
  // with its built-in file and then with the override file.
  const EmbeddedFile* en_file = FindEmbedded("locales/en.txt");
  if (en_file == nullptr)
    return InternalError("built-in locales/en.txt missing");
  auto en = LocaleStrings::Parse(NormalizeNewlines(en_file->data),
                                 "built-in locales/en.txt");
  if (!en.ok()) return en.status();
  SEAL_RETURN_IF_ERROR(CheckStrings(*en, *en, "built-in locales/en.txt"));
  std::set<std::string> codes;
  for (const EmbeddedFile& f : EmbeddedEnvelopeFiles()) {
    if (f.path.substr(0, 8) == "locales/" && f.path.size() > 12) {
      codes.insert(std::string(f.path.substr(8, f.path.size() - 12)));
    }
  }
  auto extra = loader.OverrideLocales();
  if (!extra.ok()) return extra.status();
  codes.insert(extra->begin(), extra->end());
  for (const std::string& code : codes) {
    if (!IsLocaleCode(code)) {
      return ParseError("locale file name '" + code +
                        ".txt' is not a locale code like en or pt-br");
    }
    LocaleStrings merged = *en;
    std::string path = "locales/" + code + ".txt";
    if (const EmbeddedFile* f = FindEmbedded(path); f && code != "en") {
      auto s =
          LocaleStrings::Parse(NormalizeNewlines(f->data), "built-in " + path);
      if (!s.ok()) return s.status();
      SEAL_RETURN_IF_ERROR(CheckStrings(*s, *en, "built-in " + path));
      merged.Overlay(*s);
    }
    if (!override_dir.empty()) {
      auto data = loader.Override(path);
      if (data.ok()) {
        std::string origin = override_dir + "/" + path;
        auto s = LocaleStrings::Parse(NormalizeNewlines(*data), origin);
        if (!s.ok()) return s.status();
        SEAL_RETURN_IF_ERROR(CheckStrings(*s, *en, origin));
        merged.Overlay(*s);
      } else if (data.status().code() != StatusCode::kNotFound) {
        return data.status();
      }
    }
    t->locales_.emplace(code, std::move(merged));
  }

  struct {
    const char* path;
    Template* target;
    bool page;
    bool notice;  // passphrase.txt: may hold {{=personal_passphrases}}
  } templates[] = {
      {"opener.html", &t->page_, true, false},
      {"notification.txt", &t->notification_text_, false, false},
      {"notification.html", &t->notification_html_, false, false},
      {"passphrase.txt", &t->passphrase_text_, false, true},
      {"failure.txt", &t->failure_text_, false, false},
  };
  for (auto& entry : templates) {
    auto src = loader.Get(entry.path);
    if (!src.ok()) return src.status();
    auto parsed = ParseFile(*src, entry.page, entry.notice);
    if (!parsed.ok()) return parsed.status();
    SEAL_RETURN_IF_ERROR(CheckTemplate(*parsed, *en, entry.page, entry.notice));
    *entry.target = std::move(*parsed);
  }

  auto script = loader.Get("opener.js");
  if (!script.ok()) return script.status();
  if (ContainsIgnoreCase(script->text, "</script") ||
      script->text.find("<!--") != std::string::npos) {
    return ParseError(script->origin + ": must not contain </script or <!--");
  }
  t->script_ = std::move(script->text);
  auto digest = Sha256(t->script_);
  if (!digest.ok()) return digest.status();
  t->script_hash_ = "sha256-" + Base64Encode(*digest);

  auto style = loader.Get("opener.css");
  if (!style.ok()) return style.status();
  if (ContainsIgnoreCase(style->text, "</style")) {
    return ParseError(style->origin + ": must not contain </style");
  }
  t->style_ = std::move(style->text);

  auto branding_src = loader.Get("branding.txt");
  if (!branding_src.ok()) return branding_src.status();
  auto branding = ParseBranding(
      branding_src->text, branding_src->origin,
      [&](std::string_view name) { return loader.GetBinary(name); });
  if (!branding.ok()) return branding.status();
  t->branding_ = std::move(*branding);
  return std::shared_ptr<const EnvelopeTemplates>(std::move(t));
}

const LocaleStrings& EnvelopeTemplates::Strings(std::string_view locale,
                                                std::string* chosen) const {
  std::string code = CanonicalLocale(locale);
  auto it = locales_.find(code);
  if (it == locales_.end()) it = locales_.find(LocaleLanguage(code));
  if (it == locales_.end()) it = locales_.find("en");
  if (chosen != nullptr) *chosen = it->first;
  return it->second;
}

std::vector<std::string> EnvelopeTemplates::locales() const {
  std::vector<std::string> out;
  for (const auto& [code, strings] : locales_) out.push_back(code);
  return out;
}

Scope EnvelopeTemplates::BaseScope(std::string_view locale) const {
  Scope scope;
  for (std::string_view v : kVariables) scope.Set(std::string(v), "");
  std::string chosen;
  scope.set_strings(&Strings(locale, &chosen));
  scope.Set("lang", chosen);
  scope.Set("org_name", branding_.organization);
  scope.Set("org_url", branding_.link);
  scope.Set("support", branding_.support);
  scope.Set("accent", branding_.accent);
  return scope;
}

bool EnvelopeTemplates::HasPersonalPassphraseList() const {
  const auto& blocks = passphrase_text_.blocks();
  return std::any_of(blocks.begin(), blocks.end(),
                     [](const auto& b) { return b.name == kPersonalBlock; });
}

}  // namespace seal::envelope
