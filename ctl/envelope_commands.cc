// sealctl envelope make|open: the secure envelope (sealmilter.envelope(5))
// from the command line, for admins and tests.
//   make: encrypts a message into an envelope page, applying the sender's
//         X-Seal-* option headers as the milter does (on top of the built-in
//         policy defaults, then the command-line flags on top), removing
//         those headers from the encrypted copy; writes the page alone
//         and/or the recipient's notification message, and optionally the
//         sender's passphrase notice.
//   open: decrypts a page (or finds it in a notification .eml) with a
//         passphrase or a portal key, or shows its metadata (--info).
// Failures of open are told apart as the browser opener does: wrong
// passphrase, modified file, truncated file, not an envelope, expired.
// Limits: the whole message and page are held in memory (an admin tool);
// the portal key file format (64 hex digits) is interim until sealportal
// defines its key store; a configuration file is read only with -c (its
// [envelope] section then applies as in the daemon), so that a make
// without -c is reproducible on any host.
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ctl/command.h"
#include "lib/envelope/envelope_reader.h"
#include "lib/envelope/envelope_writer.h"
#include "lib/envelope/notification.h"
#include "lib/envelope/options.h"
#include "lib/envelope/passphrase.h"
#include "lib/envelope/portal_key.h"
#include "lib/envelope/sender_notices.h"
#include "lib/envelope/template_set.h"
#include "lib/mime/address_list.h"
#include "lib/mime/charset.h"
#include "lib/mime/encoded_words.h"
#include "lib/mime/header_fields.h"
#include "lib/mime/mime_parser.h"
#include "lib/snapshot.h"

namespace seal::ctl {
namespace {

namespace env = seal::envelope;

constexpr std::string_view kMetadataMarker = "<textarea id=\"seal-metadata\"";
constexpr size_t kMaxInputSize = size_t{1} << 30;  // 1 GiB
constexpr size_t kPortalKeySize = 32;              // AES-256

void Error(CommandIo& io, const std::string& message) {
  fprintf(io.err, "sealctl: %s\n", message.c_str());
}

// Reads a whole file ("-" = standard input).
Status ReadWholeFile(const std::string& path, std::string* out) {
  FILE* f = path == "-" ? stdin : fopen(path.c_str(), "rb");
  if (f == nullptr) return ErrnoError("cannot open " + path, errno);
  out->clear();
  char buf[65536];
  size_t n = 0;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
    out->append(buf, n);
    if (out->size() > kMaxInputSize) {
      if (f != stdin) fclose(f);
      return ResourceExhaustedError(path + " is larger than 1 GiB");
    }
  }
  bool failed = ferror(f) != 0;
  int saved = errno;
  if (f != stdin) fclose(f);
  if (failed) return ErrnoError("cannot read " + path, saved);
  return Status::Ok();
}

// An output file ("-" = the command's standard output). Private files
// (decrypted messages, passphrase notices) are created with mode 0600.
class Output {
 public:
  Output() = default;
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;
  ~Output() {
    if (owned_ && f_ != nullptr) {
      fclose(f_);
      unlink(path_.c_str());  // not committed: do not leave half a file
    }
  }

  Status Open(const std::string& path, bool is_private, CommandIo& io) {
    path_ = path;
    if (path == "-") {
      f_ = io.out;
      return Status::Ok();
    }
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                  is_private ? 0600 : 0666);
    if (fd < 0) return ErrnoError("cannot create " + path, errno);
    f_ = fdopen(fd, "wb");
    if (f_ == nullptr) {
      int saved = errno;
      close(fd);
      return ErrnoError("cannot create " + path, saved);
    }
    owned_ = true;
    return Status::Ok();
  }

  env::Sink AsSink() {
    return [this](std::string_view data) -> Status {
      if (fwrite(data.data(), 1, data.size(), f_) != data.size()) {
        return ErrnoError("cannot write " + path_, errno);
      }
      return Status::Ok();
    };
  }

  // Flushes and closes; the file stays.
  Status Commit() {
    if (fflush(f_) != 0) return ErrnoError("cannot write " + path_, errno);
    if (owned_) {
      owned_ = false;
      if (fclose(f_) != 0) return ErrnoError("cannot write " + path_, errno);
    }
    f_ = nullptr;
    return Status::Ok();
  }

 private:
  std::string path_;
  FILE* f_ = nullptr;
  bool owned_ = false;
};

// First line of a file, without its line break. The passphrase is used as
// typed otherwise (the slot's normalization trims surrounding whitespace).
Result<std::string> ReadPassphraseFile(const std::string& path) {
  std::string text;
  SEAL_RETURN_IF_ERROR(ReadWholeFile(path, &text));
  size_t eol = text.find('\n');
  if (eol != std::string::npos) text.resize(eol);
  if (!text.empty() && text.back() == '\r') text.pop_back();
  if (text.empty()) {
    return InvalidArgumentError("passphrase file " + path + " is empty");
  }
  return text;
}

// Asks on the terminal, without echo.
Result<std::string> PromptPassphrase() {
  int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    return InvalidArgumentError(
        "no terminal to ask for the passphrase: use --passphrase-file");
  }
  const char prompt[] = "Passphrase: ";
  if (write(fd, prompt, sizeof prompt - 1) < 0) {
    close(fd);
    return ErrnoError("cannot write to the terminal", errno);
  }
  termios saved{};
  bool restore = tcgetattr(fd, &saved) == 0;
  if (restore) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  std::string line;
  char c = 0;
  while (read(fd, &c, 1) == 1 && c != '\n') line.push_back(c);
  if (restore) tcsetattr(fd, TCSAFLUSH, &saved);
  if (write(fd, "\n", 1) < 0) {
    // Only cosmetic.
  }
  close(fd);
  if (line.empty()) return InvalidArgumentError("empty passphrase");
  return line;
}

// A 256-bit portal key written as 64 hex digits (surrounding whitespace
// ignored).
Result<std::string> ReadPortalKeyFile(const std::string& path) {
  std::string text;
  SEAL_RETURN_IF_ERROR(ReadWholeFile(path, &text));
  std::string_view hex = text;
  auto ws = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  };
  while (!hex.empty() && ws(hex.front())) hex.remove_prefix(1);
  while (!hex.empty() && ws(hex.back())) hex.remove_suffix(1);
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string key;
  bool ok = hex.size() == 2 * kPortalKeySize;
  for (size_t i = 0; ok && i < hex.size(); i += 2) {
    int hi = digit(hex[i]), lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) ok = false;
    key.push_back(static_cast<char>(hi * 16 + lo));
  }
  if (!ok) {
    return InvalidArgumentError("portal key file " + path +
                                " must hold 64 hexadecimal digits");
  }
  return key;
}

// Takes the value of option args[*i] into *value; false when missing.
bool TakeValue(const std::vector<std::string>& args, size_t* i,
               std::string* value) {
  if (*i + 1 >= args.size()) return false;
  *value = args[++*i];
  return true;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// The display name of a From value: the phrase before '<', unquoted,
// RFC 2047 words decoded. "" when there is none.
std::string DisplayName(std::string_view value) {
  size_t lt = value.find('<');
  if (lt == std::string_view::npos) return "";
  std::string_view phrase = value.substr(0, lt);
  while (!phrase.empty() && (phrase.front() == ' ' || phrase.front() == '\t'))
    phrase.remove_prefix(1);
  while (!phrase.empty() && (phrase.back() == ' ' || phrase.back() == '\t'))
    phrase.remove_suffix(1);
  std::string unquoted;
  if (phrase.size() >= 2 && phrase.front() == '"' && phrase.back() == '"') {
    phrase = phrase.substr(1, phrase.size() - 2);
    for (size_t i = 0; i < phrase.size(); ++i) {
      if (phrase[i] == '\\' && i + 1 < phrase.size()) ++i;
      unquoted.push_back(phrase[i]);
    }
  } else {
    unquoted = std::string(phrase);
  }
  mime::CharsetConverter conv;
  mime::TextIssues issues;
  return mime::DecodeEncodedWords(unquoted, conv, issues);
}

std::string DecodeHeaderText(std::string_view value) {
  mime::CharsetConverter conv;
  mime::TextIssues issues;
  return mime::DecodeEncodedWords(value, conv, issues);
}

// `raw` without the root header fields that are X-Seal-* option headers:
// the milter removes them before the message leaves, so the recipient
// does not see them after decryption either.
std::string WithoutOptionHeaders(const mime::ParsedMime& mime) {
  std::string out;
  size_t copied = 0;
  for (const mime::HeaderField& f : mime.root().headers) {
    if (!env::IsOptionHeader(mime::FieldName(mime.raw, f))) continue;
    out.append(mime.raw.substr(copied, f.begin - copied));
    copied = f.end;
  }
  out.append(mime.raw.substr(copied));
  return out;
}

// A header value as the notification passes it through: leading blanks
// dropped, every line break of a fold made CRLF.
std::string PassthroughValue(std::string_view raw) {
  while (!raw.empty() && (raw.front() == ' ' || raw.front() == '\t'))
    raw.remove_prefix(1);
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '\r') continue;
    if (raw[i] == '\n') out += '\r';
    out += raw[i];
  }
  return out;
}

std::string Language(std::string_view locale) {
  size_t cut = locale.find_first_of("-_");
  std::string lang(locale.substr(0, cut));
  for (char& c : lang) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lang;
}

constexpr std::string_view kMakeUsage =
    "usage: sealctl envelope make FILE.eml [-c CONFIG] [--passphrase-file F | "
    "--passphrase P | --generate] [--label L] [--from ADDR] [--to ADDR]... "
    "[--expires +D|+H:MM:SS|never] [--locale L] [--branding DIR] [--no-js] "
    "[--portal URL --portal-key-file F --portal-key-id ID] "
    "[--subject-in-clear] [--out FILE.html] [--message OUT.eml] "
    "[--notice OUT.eml]";

struct MakeArgs {
  std::string input;
  std::string config;
  std::optional<std::string> passphrase;
  std::optional<std::string> passphrase_file;
  bool generate = false;
  std::string label;
  std::string from;
  std::vector<std::string> to;
  std::optional<std::string> expires;
  std::optional<std::string> locale;
  std::optional<std::string> branding;
  bool no_js = false;
  std::string portal_url, portal_key_file, portal_key_id;
  bool subject_in_clear = false;
  std::string out, message, notice;
};

// Parses make's arguments; prints and returns false on a usage error.
bool ParseMakeArgs(const std::vector<std::string>& args, MakeArgs* a,
                   CommandIo& io) {
  auto usage = [&](const std::string& why) {
    Error(io, why);
    fprintf(io.err, "%.*s\n", static_cast<int>(kMakeUsage.size()),
            kMakeUsage.data());
    return false;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string v;
    auto value = [&](std::string* target) {
      if (!TakeValue(args, &i, &v)) return false;
      *target = v;
      return true;
    };
    bool ok = true;
    if (arg == "-c") {
      ok = value(&a->config);
    } else if (arg == "--passphrase") {
      ok = TakeValue(args, &i, &v);
      a->passphrase = v;
    } else if (arg == "--passphrase-file") {
      ok = TakeValue(args, &i, &v);
      a->passphrase_file = v;
    } else if (arg == "--generate") {
      a->generate = true;
    } else if (arg == "--label") {
      ok = value(&a->label);
    } else if (arg == "--from") {
      ok = value(&a->from);
    } else if (arg == "--to") {
      ok = TakeValue(args, &i, &v);
      a->to.push_back(v);
    } else if (arg == "--expires") {
      ok = TakeValue(args, &i, &v);
      a->expires = v;
    } else if (arg == "--locale") {
      ok = TakeValue(args, &i, &v);
      a->locale = v;
    } else if (arg == "--branding") {
      ok = TakeValue(args, &i, &v);
      a->branding = v;
    } else if (arg == "--no-js") {
      a->no_js = true;
    } else if (arg == "--portal") {
      ok = value(&a->portal_url);
    } else if (arg == "--portal-key-file") {
      ok = value(&a->portal_key_file);
    } else if (arg == "--portal-key-id") {
      ok = value(&a->portal_key_id);
    } else if (arg == "--subject-in-clear") {
      a->subject_in_clear = true;
    } else if (arg == "--out") {
      ok = value(&a->out);
    } else if (arg == "--message") {
      ok = value(&a->message);
    } else if (arg == "--notice") {
      ok = value(&a->notice);
    } else if (StartsWith(arg, "-") && arg != "-") {
      return usage("unknown option '" + arg + "'");
    } else if (a->input.empty()) {
      a->input = arg;
    } else {
      return usage("unexpected argument '" + arg + "'");
    }
    if (!ok) return usage(arg + " needs a value");
  }
  if (a->input.empty()) return usage("envelope make needs a message file");
  int sources = (a->passphrase ? 1 : 0) + (a->passphrase_file ? 1 : 0) +
                (a->generate ? 1 : 0);
  if (sources > 1) {
    return usage("give one of --passphrase, --passphrase-file and --generate");
  }
  bool any_portal = !a->portal_url.empty() || !a->portal_key_file.empty() ||
                    !a->portal_key_id.empty();
  bool all_portal = !a->portal_url.empty() && !a->portal_key_file.empty() &&
                    !a->portal_key_id.empty();
  if (any_portal && !all_portal) {
    return usage("--portal, --portal-key-file and --portal-key-id go together");
  }
  if (sources == 0 && !all_portal) {
    return usage(
        "needs a passphrase (--passphrase-file, --passphrase or --generate) "
        "or a portal key");
  }
  if (!a->label.empty() && a->generate) {
    return usage("--label names a reusable passphrase, not a generated one");
  }
  if (!a->notice.empty() && !a->generate) {
    return usage("--notice is for generated passphrases (--generate)");
  }
  if (a->out == "-" && a->message == "-") {
    return usage("only one of --out and --message can be standard output");
  }
  return true;
}

int Make(const std::vector<std::string>& args, CommandIo& io) {
  MakeArgs a;
  if (!ParseMakeArgs(args, &a, io)) return kExitUsage;
  if (a.out.empty() && a.message.empty()) a.out = "-";

  std::string raw;
  if (Status s = ReadWholeFile(a.input, &raw); !s.ok()) {
    Error(io, s.message());
    return kExitFailure;
  }
  if (raw.empty()) {
    Error(io, a.input + " is empty");
    return kExitFailure;
  }
  auto mime = mime::ParseMime(raw);
  if (!mime.ok()) {
    Error(io, a.input + ": " + mime.status().message());
    return kExitFailure;
  }
  const mime::PartView& root = mime->root();

  // The daemon's [envelope] settings: from -c, else the built-in defaults.
  Config config = Config::Defaults();
  if (!a.config.empty()) {
    auto loaded = LoadConfig(ConfigSource{a.config, true});
    if (!loaded.ok()) {
      Error(io, loaded.status().message());
      return kExitConfig;
    }
    config = std::move(*loaded);
  }
  const std::string locale = a.locale.value_or(config.envelope.locale);
  const std::string branding = a.branding.value_or(config.envelope.templates);
  const bool subject_in_clear =
      a.subject_in_clear || config.envelope.subject_in_notification;
  env::OptionPolicy policy;
  if (config.envelope.expires_seconds > 0) {
    policy.defaults.expires_after =
        std::chrono::seconds(config.envelope.expires_seconds);
  } else {
    policy.defaults.expires_after = std::nullopt;
  }

  // Options: policy defaults, then the sender's headers (as the milter
  // applies them), then the command line.
  std::vector<env::HeaderField> fields;
  std::string from_value, subject;
  std::vector<std::string> header_recipients;
  for (const mime::HeaderField& f : root.headers) {
    std::string_view name = mime::FieldName(raw, f);
    std::string value = mime::UnfoldValue(mime::FieldRawValue(raw, f));
    if (mime::NameEquals(name, "From") && from_value.empty()) {
      from_value = value;
    } else if (mime::NameEquals(name, "Subject")) {
      subject = DecodeHeaderText(value);
    } else if (mime::NameEquals(name, "To") || mime::NameEquals(name, "Cc")) {
      for (std::string& r : mime::ParseAddressList(value)) {
        header_recipients.push_back(std::move(r));
      }
    }
    fields.push_back(env::HeaderField{std::string(name), value});
  }
  auto options = env::ParseOptionHeaders(fields, policy);
  if (!options.ok()) {
    Error(io, a.input + ": " + options.status().message());
    return kExitFailure;
  }
  if (a.expires.has_value()) {
    auto expiry = env::ParseExpiryValue(*a.expires);
    if (!expiry.ok()) {
      Error(io, "--expires: " + expiry.status().message());
      return kExitUsage;
    }
    options->expires_after = *expiry;
  }
  if (a.no_js) options->js_free = true;
  if (options->js_free && a.portal_url.empty()) {
    Error(io,
          "the JS-free variant opens only through the portal: give --portal, "
          "--portal-key-file and --portal-key-id");
    return kExitUsage;
  }

  env::EnvelopeRequest request;
  request.options = *options;
  request.locale = locale;
  if (!a.from.empty()) {
    auto addresses = mime::ParseAddressList(a.from);
    request.sender_address = addresses.empty() ? a.from : addresses.front();
    request.sender_name = DisplayName(a.from);
  } else {
    auto addresses = mime::ParseAddressList(from_value);
    if (addresses.empty()) {
      Error(io, a.input + " has no From address: give --from");
      return kExitFailure;
    }
    request.sender_address = addresses.front();
    request.sender_name = DisplayName(from_value);
  }
  std::vector<std::string> recipients = a.to.empty() ? header_recipients : a.to;

  auto templates = env::EnvelopeTemplates::Load(branding);
  if (!templates.ok()) {
    Error(io, templates.status().message());
    return kExitConfig;
  }
  std::string chosen;
  (*templates)->Strings(locale, &chosen);
  if (Language(chosen) != Language(locale)) {
    Error(io, "warning: no strings for locale '" + locale + "', using '" +
                  chosen + "'");
  }

  std::string passphrase;
  if (a.generate) {
    auto generated = env::GeneratePassphrase();
    if (!generated.ok()) {
      Error(io, generated.status().message());
      return kExitFailure;
    }
    passphrase = *generated;
  } else if (a.passphrase_file.has_value()) {
    auto read = ReadPassphraseFile(*a.passphrase_file);
    if (!read.ok()) {
      Error(io, read.status().message());
      return kExitFailure;
    }
    passphrase = *read;
  } else if (a.passphrase.has_value()) {
    passphrase = *a.passphrase;
  }
  if (a.passphrase.has_value() || a.passphrase_file.has_value() || a.generate) {
    if (env::NormalizePassphrase(passphrase, env::kNormalizeTrim).empty()) {
      Error(io, "the passphrase is empty");
      return kExitUsage;
    }
    env::PassphraseSlotSpec spec;
    spec.passphrase = passphrase;
    spec.generated = a.generate;
    spec.label = a.label;
    request.passphrases.push_back(std::move(spec));
  }
  if (!a.portal_url.empty()) {
    auto key = ReadPortalKeyFile(a.portal_key_file);
    if (!key.ok()) {
      Error(io, key.status().message());
      return kExitFailure;
    }
    request.portal_url = a.portal_url;
    request.portal = env::PortalSlotSpec{a.portal_key_id, *key};
  }
  const env::TimePoint now =
      std::chrono::time_point_cast<std::chrono::seconds>(env::Clock::now());
  request.now = now;

  const std::string content = WithoutOptionHeaders(*mime);
  const env::MessageSource source = env::MessageFromString(content);

  Output page_file, message_file, notice_file;
  if (!a.out.empty()) {
    if (Status s = page_file.Open(a.out, false, io); !s.ok()) {
      Error(io, s.message());
      return kExitFailure;
    }
  }
  std::optional<env::EnvelopeInfo> info;
  Status made;
  if (a.message.empty()) {
    auto r =
        env::MakeEnvelope(**templates, request, source, page_file.AsSink());
    if (r.ok()) {
      info = *r;
    } else {
      made = r.status();
    }
  } else {
    env::NotificationRequest n;
    n.locale = locale;
    n.sender_address = request.sender_address;
    n.sender_name = request.sender_name;
    if (recipients.size() == 1) n.recipient = recipients.front();
    if (subject_in_clear) n.subject = subject;
    n.new_passphrase = a.label.empty();
    n.portal_url = request.portal_url;
    if (options->expires_after.has_value()) {
      n.expires = now + *options->expires_after;
    }
    auto notification = env::Notification::Prepare(**templates, n);
    if (!notification.ok()) {
      Error(io, notification.status().message());
      return kExitFailure;
    }
    std::vector<env::HeaderField> passthrough;
    for (const mime::HeaderField& f : root.headers) {
      passthrough.push_back(
          env::HeaderField{std::string(mime::FieldName(raw, f)),
                           PassthroughValue(mime::FieldRawValue(raw, f))});
    }
    if (Status s = message_file.Open(a.message, false, io); !s.ok()) {
      Error(io, s.message());
      return kExitFailure;
    }
    env::Sink page_sink = a.out.empty() ? env::Sink() : page_file.AsSink();
    env::EnvelopeSource page = [&](const env::Sink& attachment) -> Status {
      env::Sink tee = [&](std::string_view data) -> Status {
        if (page_sink) SEAL_RETURN_IF_ERROR(page_sink(data));
        return attachment(data);
      };
      auto r = env::MakeEnvelope(**templates, request, source, tee);
      if (!r.ok()) return r.status();
      info = *r;
      return Status::Ok();
    };
    made = notification->WriteMessage(passthrough, page, message_file.AsSink());
    if (made.ok()) made = message_file.Commit();
  }
  if (made.ok() && !a.out.empty()) made = page_file.Commit();
  if (!made.ok() || !info.has_value()) {
    Error(io, made.ok() ? "no envelope was made" : made.message());
    return kExitFailure;
  }

  if (!a.notice.empty()) {
    env::PassphraseNoticeRequest r;
    r.addressing.locale = locale;
    size_t at = request.sender_address.rfind('@');
    const std::string domain = at == std::string::npos
                                   ? "localhost"
                                   : request.sender_address.substr(at + 1);
    r.addressing.from = "Secure Mail <postmaster@" + domain + ">";
    r.addressing.to = request.sender_address;
    r.addressing.message_id_domain = domain;
    r.addressing.now = now;
    r.recipients = recipients;
    if (subject_in_clear) r.subject = subject;
    r.passphrase = passphrase;
    r.expires = info->expires;
    auto notice = env::BuildPassphraseNotice(**templates, r);
    Status s =
        notice.ok() ? notice_file.Open(a.notice, true, io) : notice.status();
    if (s.ok()) s = notice_file.AsSink()(*notice);
    if (s.ok()) s = notice_file.Commit();
    if (!s.ok()) {
      Error(io, s.message());
      return kExitFailure;
    }
  }
  if (a.generate) fprintf(io.err, "passphrase: %s\n", passphrase.c_str());
  fprintf(io.err, "envelope %s: %llu bytes, expires %s\n", info->id.c_str(),
          static_cast<unsigned long long>(info->html_size),
          info->expires ? env::FormatRfc3339(*info->expires).c_str() : "never");
  return kExitOk;
}

constexpr std::string_view kOpenUsage =
    "usage: sealctl envelope open FILE.html|FILE.eml [--passphrase-file F | "
    "--passphrase P | --portal-key FILE | --portal-key-file F "
    "--portal-key-id ID] [--ignore-expiry] [--out FILE.eml] | --info";

// The envelope page in `raw`: raw itself when it has the metadata
// element, else the first HTML part of a MIME message (a notification)
// whose decoded body has it. *from_mail tells which.
Result<std::string> FindEnvelope(const std::string& raw, bool* from_mail) {
  *from_mail = false;
  if (raw.find(kMetadataMarker) != std::string::npos) return raw;
  auto parsed = mime::ParseMime(raw);
  if (parsed.ok()) {
    for (const mime::PartView& p : parsed->parts) {
      if (!p.children.empty() || p.IsMultipart()) continue;
      std::string_view name = p.FileName();
      bool html_name =
          (name.size() > 5 && name.substr(name.size() - 5) == ".html") ||
          (name.size() > 4 && name.substr(name.size() - 4) == ".htm");
      if (p.MimeType() != "text/html" && !html_name) continue;
      auto body = mime::DecodeBody(*parsed, p, raw.size());
      if (!body.ok()) return body.status();
      if (body->bytes.find(kMetadataMarker) != std::string::npos) {
        *from_mail = true;
        return std::move(body->bytes);
      }
    }
  }
  return ParseError("not a secure envelope (no envelope metadata found)");
}

std::string YesNo(bool b) { return b ? "yes" : "no"; }

void PrintInfo(const env::EnvelopeMetadata& m, CommandIo& io) {
  const env::TimePoint now =
      std::chrono::time_point_cast<std::chrono::seconds>(env::Clock::now());
  auto line = [&](const char* key, const std::string& value) {
    fprintf(io.out, "%-10s %s\n", key, value.c_str());
  };
  line("envelope", m.id);
  line("format",
       std::string(env::kFormatName) + " " + std::to_string(m.version));
  line("sender", m.sender_name.empty() ? m.sender
                                       : m.sender_name + " <" + m.sender + ">");
  line("created", env::FormatRfc3339(m.created));
  line("expires", m.expires ? env::FormatRfc3339(*m.expires) +
                                  (now >= *m.expires ? " (expired)" : "")
                            : std::string("never"));
  line("locale", m.locale);
  const env::EnvelopeOptions& o = m.options;
  line("options", "reply=" + YesNo(o.reply) + " reply_all=" +
                      YesNo(o.reply_all) + " forward=" + YesNo(o.forward) +
                      " read_receipt=" + YesNo(o.read_receipt) +
                      " js_free=" + YesNo(o.js_free) +
                      " remember_key=" + YesNo(o.remember_key));
  line("portal", m.portal_url.empty() ? std::string("none") : m.portal_url);
  line("content", "A256GCM, " + std::to_string(m.content_size) + " bytes");
  for (size_t i = 0; i < m.slots.size(); ++i) {
    const env::KeySlot& s = m.slots[i];
    std::string text;
    if (s.type == env::KeySlot::Type::kPassphrase) {
      text = "passphrase PBKDF2-SHA256 " + std::to_string(s.iterations) +
             " iterations, normalize=" + s.normalize;
      if (!s.label.empty()) text += ", label=" + s.label;
    } else {
      text = "portal key_id=" + s.key_id;
    }
    fprintf(io.out, "slot %-5zu %s\n", i + 1, text.c_str());
  }
  fprintf(io.out,
          "(not authenticated: the metadata is verified only when the "
          "envelope is opened)\n");
}

int Open(const std::vector<std::string>& args, CommandIo& io) {
  std::string input, out, passphrase_file, key_file, key_id, ring_file;
  std::optional<std::string> passphrase;
  bool info = false, ignore_expiry = false;
  auto usage = [&](const std::string& why) {
    Error(io, why);
    fprintf(io.err, "%.*s\n", static_cast<int>(kOpenUsage.size()),
            kOpenUsage.data());
    return kExitUsage;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string v;
    bool ok = true;
    if (arg == "--passphrase") {
      ok = TakeValue(args, &i, &v);
      passphrase = v;
    } else if (arg == "--passphrase-file") {
      ok = TakeValue(args, &i, &passphrase_file);
    } else if (arg == "--portal-key-file") {
      ok = TakeValue(args, &i, &key_file);
    } else if (arg == "--portal-key-id") {
      ok = TakeValue(args, &i, &key_id);
    } else if (arg == "--portal-key") {
      ok = TakeValue(args, &i, &ring_file);
    } else if (arg == "--out") {
      ok = TakeValue(args, &i, &out);
    } else if (arg == "--info") {
      info = true;
    } else if (arg == "--ignore-expiry") {
      ignore_expiry = true;
    } else if (StartsWith(arg, "-") && arg != "-") {
      return usage("unknown option '" + arg + "'");
    } else if (input.empty()) {
      input = arg;
    } else {
      return usage("unexpected argument '" + arg + "'");
    }
    if (!ok) return usage(arg + " needs a value");
  }
  if (input.empty()) return usage("envelope open needs an envelope file");
  const bool portal = !key_file.empty() || !key_id.empty();
  if (portal && (key_file.empty() || key_id.empty())) {
    return usage("--portal-key-file and --portal-key-id go together");
  }
  int keys = (passphrase ? 1 : 0) + (passphrase_file.empty() ? 0 : 1) +
             (portal ? 1 : 0) + (ring_file.empty() ? 0 : 1);
  if (keys > 1) return usage("give one passphrase or portal key");
  if (info && (keys > 0 || !out.empty() || ignore_expiry)) {
    return usage("--info shows the metadata only; it takes no key or output");
  }

  std::string raw;
  if (Status s = ReadWholeFile(input, &raw); !s.ok()) {
    Error(io, s.message());
    return kExitFailure;
  }
  if (raw.empty()) {
    Error(io, input + " is empty: not a secure envelope");
    return kExitFailure;
  }
  bool from_mail = false;
  auto html = FindEnvelope(raw, &from_mail);
  if (!html.ok()) {
    Error(io, input + " is " + html.status().message());
    return kExitFailure;
  }
  auto metadata = env::ReadEnvelopeMetadata(*html);
  if (info) {
    if (!metadata.ok()) {
      Error(io, input + ": " + metadata.status().message());
      return kExitFailure;
    }
    PrintInfo(*metadata, io);
    return kExitOk;
  }

  // Expiry first, so nobody types a passphrase for an expired envelope.
  env::OpenOptions options;
  options.ignore_expiry = ignore_expiry;
  if (metadata.ok() && metadata->expires.has_value() && !ignore_expiry) {
    const env::TimePoint now =
        std::chrono::time_point_cast<std::chrono::seconds>(env::Clock::now());
    if (now >= *metadata->expires) {
      Error(io, "envelope " + metadata->id + " expired at " +
                    env::FormatHumanUtc(*metadata->expires) +
                    " (--ignore-expiry opens it anyway)");
      return kExitFailure;
    }
  }
  env::OpenError error = env::OpenError::kNone;
  std::optional<Result<env::OpenedEnvelope>> opened;
  if (!ring_file.empty()) {
    // A portal key file (portal.key_file): the key the envelope's portal
    // slot names.
    auto ring = env::LoadPortalKeyFile(ring_file);
    if (!ring.ok()) {
      Error(io, ring.status().message());
      return kExitFailure;
    }
    const env::PortalKey* key = nullptr;
    std::string named;
    if (metadata.ok()) {
      for (const env::KeySlot& slot : metadata->slots) {
        if (slot.type != env::KeySlot::Type::kPortal) continue;
        named += (named.empty() ? "" : ", ") + slot.key_id;
        if (key == nullptr) key = ring->Find(slot.key_id);
      }
    }
    if (key == nullptr) {
      Error(io,
            input + ": " +
                (!metadata.ok()
                     ? "not a secure envelope: " + metadata.status().message()
                 : named.empty()
                     ? std::string("the envelope has no portal slot")
                     : "no key in " + ring_file +
                           " opens it (its portal slot names " + named + ")"));
      return kExitFailure;
    }
    opened = env::OpenEnvelopeWithPortalKey(
        *html, env::PortalSlotSpec{key->key_id, key->key}, options, &error);
  } else if (portal) {
    auto key = ReadPortalKeyFile(key_file);
    if (!key.ok()) {
      Error(io, key.status().message());
      return kExitFailure;
    }
    opened = env::OpenEnvelopeWithPortalKey(
        *html, env::PortalSlotSpec{key_id, *key}, options, &error);
  } else {
    Result<std::string> typed = passphrase ? Result<std::string>(*passphrase)
                                : passphrase_file.empty()
                                    ? PromptPassphrase()
                                    : ReadPassphraseFile(passphrase_file);
    if (!typed.ok()) {
      Error(io, typed.status().message());
      return passphrase_file.empty() ? kExitUsage : kExitFailure;
    }
    opened = env::OpenEnvelope(*html, *typed, options, &error);
  }
  if (!opened->ok()) {
    std::string what = input + ": ";
    switch (error) {
      case env::OpenError::kWrongPassphrase:
        what += portal || !ring_file.empty()
                    ? "the portal key does not open this envelope"
                    : "wrong passphrase";
        break;
      case env::OpenError::kTampered:
        what +=
            "the envelope was modified or damaged (its content or "
            "metadata does not authenticate)";
        break;
      case env::OpenError::kNoUsableSlot:
        what += opened->status().message() +
                (portal || !ring_file.empty()
                     ? ""
                     : " (it opens only with a portal key)");
        break;
      case env::OpenError::kMalformed:
        what += metadata.ok()
                    ? "the envelope is truncated or damaged: " +
                          opened->status().message()
                    : "not a secure envelope: " + opened->status().message();
        break;
      default:
        what += opened->status().message();
        break;
    }
    Error(io, what);
    return kExitFailure;
  }
  Output file;
  Status s = file.Open(out.empty() ? "-" : out, true, io);
  if (s.ok()) s = file.AsSink()((*opened)->message);
  if (s.ok()) s = file.Commit();
  if (!s.ok()) {
    Error(io, s.message());
    return kExitFailure;
  }
  if (from_mail || !out.empty()) {
    fprintf(io.err, "envelope %s%s: %zu bytes%s%s\n",
            (*opened)->metadata.id.c_str(),
            from_mail ? " (found in the mail)" : "", (*opened)->message.size(),
            out.empty() ? "" : " written to ", out.c_str());
  }
  return kExitOk;
}

}  // namespace

std::vector<Command> EnvelopeCommands() {
  return {
      {"envelope", "make",
       "FILE.eml [--passphrase-file F|--generate] [--out F.html] "
       "[--message F.eml] ...",
       "encrypt a message into a secure envelope", &Make},
      {"envelope", "open",
       "FILE.html|FILE.eml [--passphrase-file F|--portal-key F] [--out F] "
       "[--info]",
       "decrypt a secure envelope, or show its metadata", &Open},
  };
}

}  // namespace seal::ctl
