// sealctl rules check|test: lint rule files, and classify .eml files the way
// the daemon would (MIME text extraction, then the rule engine), showing
// per recipient the decision, the rules that fired with a masked sample,
// why matching rules did not fire, and the notes of the decision.
//
// Output never contains message text: samples come masked from the engine
// (lib/rules/mask.h), origins name parts and header fields, warnings name
// parts. Control characters in file names and origins are replaced by '?'.
// The direction comes from --direction, else as the daemon finds it
// (lib/gateway/direction.h) from the configuration's gateway.internal_domains
// and internal_networks, --auth and --client; without --auth and --client
// the sender is taken to be internal (one of ours testing outbound mail).
// Known limits: the envelope is given on the command line (no Bcc); a
// message is read whole, up to kMaxMessageBytes.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "ctl/args.h"
#include "ctl/command.h"
#include "lib/gateway/direction.h"
#include "lib/gateway/networks.h"
#include "lib/gateway/policy.h"
#include "lib/mime/mime_limits.h"
#include "lib/mime/text_extractor.h"
#include "lib/rules/compiled_rules.h"
#include "lib/rules/evaluate.h"
#include "lib/rules/rule_files.h"
#include "lib/rules/shipped_rules.h"
#include "lib/rules/truncated_policy.h"
#include "lib/session.h"
#include "lib/snapshot.h"
#include "lib/status.h"

namespace seal::ctl {
namespace {

using Json = nlohmann::ordered_json;
using seal::rules::CompiledRules;

// The daemon's default spool.max_size: larger messages are refused (552)
// before classification, so `rules test` refuses them too.
constexpr uint64_t kMaxMessageBytes = 64u << 20;
// `rules check` stops after this many errors.
constexpr size_t kMaxCheckErrors = 50;

std::string Plural(size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

bool IsDirectory(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Where the rules come from: the configuration, as the daemon reads it
// (rules.shipped, rules.paths, rules.max_scan_bytes, rules.on_truncated,
// the [mime] limits);
// paths given on the command line replace rules.paths, and --no-shipped
// leaves out the rules built into the binary.
struct RuleSelection {
  ConfigSource config;             // -c FILE
  bool no_shipped = false;         // --no-shipped
  std::vector<std::string> paths;  // from the command line
};

// What the daemon does around the rules, from the same configuration.
struct TestSettings {
  mime::MimeLimits mime_limits;
  rules::OnTruncated on_truncated = rules::OnTruncated::kClassify;
};

struct ResolvedRules {
  std::vector<rules::RuleSource> builtin;
  std::vector<std::string> paths;
  bool explicit_paths = false;
  rules::EngineOptions engine;
  TestSettings settings;
};

Result<ResolvedRules> Resolve(const RuleSelection& selection) {
  Result<Config> config = LoadConfig(selection.config);
  if (!config.ok()) return config.status();
  ResolvedRules r;
  if (config->rules.shipped && !selection.no_shipped) {
    r.builtin = rules::ShippedRuleSources();
  }
  r.explicit_paths = !selection.paths.empty();
  r.paths = r.explicit_paths ? selection.paths : config->rules.paths;
  if (config->rules.max_scan_bytes > 0) {
    r.engine.max_scan_bytes = config->rules.max_scan_bytes;
  }
  r.settings.mime_limits = gateway::MimeLimitsOf(*config);
  Result<rules::OnTruncated> on_truncated = gateway::OnTruncatedOf(*config);
  if (!on_truncated.ok()) return on_truncated.status();
  r.settings.on_truncated = *on_truncated;
  return r;
}

// Handles -c FILE and --no-shipped at args[i]; false when args[i] is not
// one of them. Sets `bad` when -c lacks its value.
bool TakeSelectionOption(const std::vector<std::string>& args, size_t& i,
                         RuleSelection& selection, bool& bad) {
  if (args[i] == "--no-shipped") {
    selection.no_shipped = true;
    return true;
  }
  if (args[i] != "-c") return false;
  if (i + 1 == args.size()) {
    bad = true;
    return true;
  }
  selection.config.path = args[++i];
  selection.config.required = true;
  return true;
}

// "built-in rules and 2 files", "3 files", "built-in rules".
std::string SourcesSummary(bool builtin, size_t files) {
  if (!builtin) return Plural(files, "file", "files");
  if (files == 0) return "built-in rules";
  return "built-in rules and " + Plural(files, "file", "files");
}

// ---------------------------------------------------------------- check --

// Which of `files` an error message is about: the longest name the message
// starts with (followed by ':'), else one it mentions; -1 when none.
int CulpritOf(const std::string& message,
              const std::vector<std::string>& files) {
  int best = -1;
  size_t best_len = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string& f = files[i];
    if (f.size() > best_len && message.size() > f.size() &&
        message.compare(0, f.size(), f) == 0 && message[f.size()] == ':') {
      best = static_cast<int>(i);
      best_len = f.size();
    }
  }
  if (best >= 0) return best;
  for (size_t i = 0; i < files.size(); ++i) {
    if (files[i].size() > best_len &&
        message.find(files[i]) != std::string::npos) {
      best = static_cast<int>(i);
      best_len = files[i].size();
    }
  }
  return best;
}

int CheckImpl(const std::vector<std::string>& args, CommandIo& io) {
  RuleSelection selection;
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool bad = false;
    if (!options_done && a == "--") {
      options_done = true;
    } else if (!options_done && TakeSelectionOption(args, i, selection, bad)) {
      if (bad) {
        fprintf(io.err, "sealctl: rules check: -c needs a file\n");
        return kExitUsage;
      }
    } else if (!options_done && a.size() > 1 && a[0] == '-') {
      fprintf(io.err,
              "sealctl: rules check: unknown option '%s' (usage: rules "
              "check [-c FILE] [--no-shipped] [DIR|FILE...])\n",
              Printable(a).c_str());
      return kExitUsage;
    } else {
      selection.paths.push_back(a);
    }
  }
  Result<ResolvedRules> resolved = Resolve(selection);
  if (!resolved.ok()) {
    fprintf(io.err, "%s\n", Printable(resolved.status().message()).c_str());
    return kExitConfig;
  }
  const std::vector<std::string>& paths = resolved->paths;
  const bool explicit_paths = resolved->explicit_paths;
  const bool builtin = !resolved->builtin.empty();

  size_t errors = 0;
  auto error = [&](const std::string& message) {
    fprintf(io.err, "%s\n", Printable(message).c_str());
    ++errors;
  };

  // Expand directories into their rule files, in load order.
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
      int err = errno;
      if (err == ENOENT && !explicit_paths) {
        fprintf(io.out, "note: %s does not exist; skipped\n",
                Printable(path).c_str());
      } else {
        error(ErrnoError("cannot read rules from " + path, err).message());
      }
      continue;
    }
    if (!S_ISDIR(st.st_mode)) {
      files.push_back(path);
      continue;
    }
    Result<std::vector<std::string>> listed = rules::ListRuleFiles(path);
    if (!listed.ok()) {
      error(listed.status().message());
      continue;
    }
    if (listed->empty()) {
      fprintf(io.out, "note: %s holds no *.toml files\n",
              Printable(path).c_str());
    }
    files.insert(files.end(), listed->begin(), listed->end());
  }
  if (files.empty() && !builtin && errors == 0) {
    std::string where;
    for (const std::string& p : paths) where += " " + p;
    error("no rule files found in" + where +
          (where.empty() ? " (rules.paths is empty)" : ""));
  }

  // The loader stops at the first error; to report one error per file,
  // drop the file at fault and load the rest again.
  const size_t total_files = files.size();
  bool dropped = false;
  Result<rules::RuleList> list = InternalError("not loaded");
  for (bool more = !files.empty() || builtin; more;) {
    list = rules::LoadRulePaths(files, rules::RuleLimits(), resolved->builtin);
    if (list.ok()) break;
    std::string message = list.status().message();
    if (dropped &&
        message.find("override of unknown rule") != std::string::npos) {
      message += " (it may be defined in a file with an error above)";
    }
    error(message);
    int culprit = CulpritOf(list.status().message(), files);
    if (culprit < 0 || errors >= kMaxCheckErrors) break;
    files.erase(files.begin() + culprit);
    dropped = true;
    more = !files.empty() || builtin;
  }
  size_t rule_count = 0, disabled = 0;
  if (list.ok()) {
    for (const std::string& note : list->notes) {
      fprintf(io.out, "note: %s\n", Printable(note).c_str());
    }
    rule_count = list->rules.size();
    for (const rules::Rule& r : list->rules) disabled += r.enabled ? 0 : 1;
    Result<std::shared_ptr<const CompiledRules>> compiled =
        rules::CompileRules(std::move(*list), resolved->engine);
    if (!compiled.ok()) error(compiled.status().message());
  }
  if (errors > 0) {
    fprintf(io.err, "rules check: %s\n",
            Plural(errors, "error", "errors").c_str());
    return kExitFailure;
  }
  std::string extra = SourcesSummary(builtin, total_files);
  if (disabled > 0) extra += ", " + std::to_string(disabled) + " disabled";
  fprintf(io.out, "%s OK (%s)\n", Plural(rule_count, "rule", "rules").c_str(),
          extra.c_str());
  return kExitOk;
}

// ----------------------------------------------------------------- test --

struct TestOptions {
  rules::EnvelopeContext envelope;
  std::string auth_user;
  std::string client;  // --client ADDR: the SMTP client's address
  bool direction_given = false;
  RuleSelection rules;  // --rules, -c, --no-shipped
  std::vector<std::string> inputs;
  bool json = false;
};

constexpr std::string_view kTestUsage =
    "usage: rules test [-c FILE] [--no-shipped] [--rules DIR|FILE]... "
    "[--from ADDR] [--to ADDR]... [--auth USER] [--client ADDR] "
    "[--direction outbound|inbound|internal] [--json] FILE.eml|DIR...";

// Parses `rules test` arguments; on error prints it and returns false.
bool ParseTestArgs(const std::vector<std::string>& args, TestOptions& opt,
                   CommandIo& io) {
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    if (options_done || arg.size() < 2 || arg[0] != '-') {
      opt.inputs.push_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    if (arg == "--json") {
      opt.json = true;
      continue;
    }
    bool bad = false;
    if (TakeSelectionOption(args, i, opt.rules, bad)) {
      if (bad) {
        fprintf(io.err, "sealctl: rules test: -c needs a file\n");
        return false;
      }
      continue;
    }
    std::string value;
    bool has_value = false;
    if (size_t eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg.resize(eq);
      has_value = true;
    }
    const bool takes_value = arg == "--from" || arg == "--to" ||
                             arg == "--auth" || arg == "--direction" ||
                             arg == "--client" || arg == "--rules";
    if (!takes_value) {
      fprintf(io.err, "sealctl: rules test: unknown option '%s'\n%.*s\n",
              Printable(args[i]).c_str(), static_cast<int>(kTestUsage.size()),
              kTestUsage.data());
      return false;
    }
    if (!has_value) {
      if (i + 1 == args.size()) {
        fprintf(io.err, "sealctl: rules test: %s needs a value\n%.*s\n",
                arg.c_str(), static_cast<int>(kTestUsage.size()),
                kTestUsage.data());
        return false;
      }
      value = args[++i];
    }
    if (arg == "--from") {
      opt.envelope.sender = value == "<>" ? std::string() : value;
    } else if (arg == "--to") {
      if (value.empty() || value == "<>") {
        fprintf(io.err, "sealctl: rules test: --to needs an address\n");
        return false;
      }
      opt.envelope.recipients.push_back(value);
    } else if (arg == "--auth") {
      if (value.empty()) {
        fprintf(io.err, "sealctl: rules test: --auth needs a user name\n");
        return false;
      }
      opt.auth_user = value;
      opt.envelope.authenticated = true;
    } else if (arg == "--client") {
      if (value.empty()) {
        fprintf(io.err, "sealctl: rules test: --client needs an address\n");
        return false;
      }
      opt.client = value;
    } else if (arg == "--direction") {
      if (!rules::ParseDirection(value, opt.envelope.direction)) {
        fprintf(io.err,
                "sealctl: rules test: unknown direction '%s'; allowed: "
                "outbound, inbound, internal\n",
                Printable(value).c_str());
        return false;
      }
      opt.direction_given = true;
    } else {
      opt.rules.paths.push_back(value);
    }
  }
  if (opt.inputs.empty()) {
    fprintf(io.err, "sealctl: rules test: no message given\n%.*s\n",
            static_cast<int>(kTestUsage.size()), kTestUsage.data());
    return false;
  }
  // With --direction: the daemon counts a sender as internal when the
  // message is outbound or internal; an inbound message comes from outside.
  opt.envelope.sender_internal =
      opt.envelope.direction != rules::Direction::kInbound;
  return true;
}

// Without --direction: the direction as the daemon would find it from the
// configuration (see the file comment).
Status DeriveDirection(TestOptions& opt) {
  if (opt.direction_given) return Status::Ok();
  Result<Config> config = LoadConfig(opt.rules.config);
  if (!config.ok()) return config.status();
  Result<std::vector<gateway::Cidr>> networks =
      gateway::ParseNetworks(config->gateway.internal_networks);
  if (!networks.ok()) {
    return networks.status().WithContext("gateway.internal_networks");
  }
  gateway::Policy policy;
  policy.internal_networks = std::move(networks).value();
  Envelope env{opt.envelope.sender, opt.auth_user, opt.envelope.recipients};
  ConnectionInfo connection;
  connection.client_addr = opt.client.empty() ? "unknown" : opt.client;
  rules::EnvelopeContext ctx =
      gateway::MakeEnvelopeContext(*config, policy, env, connection);
  if (opt.client.empty() && opt.auth_user.empty()) {
    // Nothing says where the sender is: take it as one of ours.
    ctx.sender_internal = true;
    ctx.direction = gateway::DirectionFor(*config, true, env.recipients);
  }
  opt.envelope.direction = ctx.direction;
  opt.envelope.sender_internal = ctx.sender_internal;
  return Status::Ok();
}

// Loads and compiles the rules for `rules test`; `summary` says where from,
// `settings` are the MIME limits and on_truncated of the same
// configuration.
Result<std::shared_ptr<const CompiledRules>> LoadForTest(
    const RuleSelection& selection, std::string& summary,
    TestSettings& settings) {
  Result<ResolvedRules> resolved = Resolve(selection);
  if (!resolved.ok()) return resolved.status();
  if (resolved->explicit_paths) {
    for (const std::string& p : resolved->paths) {
      struct stat st {};
      if (stat(p.c_str(), &st) != 0) {
        return ErrnoError("cannot read rules from " + p, errno);
      }
    }
  }
  const bool builtin = !resolved->builtin.empty();
  Result<rules::RuleList> list = rules::LoadRulePaths(
      resolved->paths, rules::RuleLimits(), std::move(resolved->builtin));
  if (!list.ok()) return list.status();
  if (list->files.empty()) {
    std::string where;
    for (const std::string& p : resolved->paths) where += " " + p;
    return NotFoundError("no rule files found in" + where +
                         " (give --rules DIR)");
  }
  size_t files = 0;
  for (const std::string& f : list->files) {
    if (!f.starts_with("(built-in)/")) ++files;
  }
  summary = SourcesSummary(builtin, files);
  settings = resolved->settings;
  return rules::CompileRules(std::move(*list), resolved->engine);
}

// One input, expanded: a file to classify, or an error about the argument.
struct Input {
  std::string path;
  std::string error;  // set: report this instead of classifying
};

std::vector<Input> ExpandInputs(const std::vector<std::string>& args) {
  std::vector<Input> out;
  for (const std::string& arg : args) {
    struct stat st {};
    if (stat(arg.c_str(), &st) != 0) {
      out.push_back({arg, ErrnoError("cannot read " + arg, errno).message()});
      continue;
    }
    if (!S_ISDIR(st.st_mode)) {
      out.push_back({arg, ""});
      continue;
    }
    // A directory: its *.eml regular files, sorted, not recursive.
    std::vector<std::string> names;
    if (DIR* dir = opendir(arg.c_str())) {
      while (const dirent* entry = readdir(dir)) {
        std::string_view name = entry->d_name;
        if (name.empty() || name.front() == '.' || !name.ends_with(".eml")) {
          continue;
        }
        names.emplace_back(name);
      }
      closedir(dir);
    } else {
      out.push_back(
          {arg, ErrnoError("cannot open directory " + arg, errno).message()});
      continue;
    }
    std::sort(names.begin(), names.end());
    std::string prefix = arg.back() == '/' ? arg : arg + "/";
    size_t before = out.size();
    for (const std::string& name : names) {
      std::string path = prefix + name;
      if (IsDirectory(path)) continue;
      out.push_back({path, ""});
    }
    if (out.size() == before) {
      out.push_back({arg, arg + ": no *.eml files in this directory"});
    }
  }
  return out;
}

Result<std::string> ReadMessage(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return ErrnoError("cannot open " + path, errno);
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return InvalidArgumentError(path + ": not a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxMessageBytes) {
    close(fd);
    return ResourceExhaustedError(
        path + ": message is " + std::to_string(st.st_size) +
        " bytes, more than the daemon accepts (spool.max_size default " +
        std::to_string(kMaxMessageBytes >> 20) + "M, answered with 552)");
  }
  std::string text;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      return ErrnoError("cannot read " + path, err);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxMessageBytes) {
      close(fd);
      return ResourceExhaustedError(path + ": message grew past " +
                                    std::to_string(kMaxMessageBytes) +
                                    " bytes while reading");
    }
  }
  close(fd);
  return text;
}

// Whether `raw` starts like a mail message: a header field ("Name:") or an
// mbox "From " line. Binary files and plain text are refused with this.
bool LooksLikeMessage(std::string_view raw) {
  if (raw.starts_with("From ")) return true;
  size_t i = 0;
  while (i < raw.size() && i < 1000) {
    auto c = static_cast<unsigned char>(raw[i]);
    if (c == ':') return i > 0;
    if (c < 33 || c > 126) return false;
    ++i;
  }
  return false;
}

// What one message gave: the evaluation, or the error that stopped it.
struct Classified {
  std::string path;
  uint64_t size = 0;
  Status status;
  rules::Evaluation evaluation;
  std::vector<std::string> warnings;
};

Classified Classify(const Input& input, const CompiledRules& compiled,
                    const TestSettings& settings,
                    const rules::EnvelopeContext& envelope) {
  Classified c;
  c.path = input.path;
  if (!input.error.empty()) {
    c.status = NotFoundError(input.error);
    return c;
  }
  Result<std::string> raw = ReadMessage(input.path);
  if (!raw.ok()) {
    c.status = raw.status();
    return c;
  }
  c.size = raw->size();
  if (!LooksLikeMessage(*raw)) {
    c.status = ParseError(input.path +
                          ": not a mail message (the first line is not a "
                          "header field)");
    return c;
  }
  Result<MessageText> text =
      mime::ExtractMessageText(*raw, settings.mime_limits);
  if (!text.ok()) {
    // As lib/gateway/process.cc answers: a [mime] limit is a reject,
    // anything else (out of memory, a bug) a tempfail.
    const bool limit = mime::IsStructuralLimit(text.status());
    c.status =
        Status(text.status().code(),
               input.path + ": cannot classify: " + text.status().message() +
                   (limit ? " (the daemon would reject this message: "
                            "554 5.6.0, see the [mime] limits)"
                          : " (the daemon would tempfail this message)"));
    return c;
  }
  if (!envelope.sender.empty()) {
    mime::AddEnvelopeSender(*text, envelope.sender);
  }
  for (const std::string& r : envelope.recipients) {
    mime::AddEnvelopeRecipient(*text, r);
  }
  c.warnings = text->warnings;
  Result<rules::Evaluation> ev = rules::Evaluate(compiled, *text, envelope);
  if (!ev.ok()) {
    c.status = Status(ev.status().code(),
                      input.path + ": " + ev.status().message() +
                          " (the daemon would tempfail this message)");
    return c;
  }
  // As the daemon does next (lib/gateway/process.cc).
  rules::ApplyOnTruncated(settings.on_truncated, envelope, *ev);
  c.evaluation = std::move(*ev);
  return c;
}

std::string DecisionLine(const rules::Decision& d) {
  std::string line(rules::FinalActionName(d.action));
  if (d.action == rules::FinalAction::kNone) line += " (deliver unchanged)";
  if (!d.profile.empty()) line += ", profile " + d.profile;
  if (d.action != rules::FinalAction::kSign) {
    line += d.sign ? ", signed" : ", not signed";
  }
  if (d.no_encrypt_honoured) line += ", no-encrypt opt-out honoured";
  if (d.no_sign_honoured) line += ", no-sign opt-out honoured";
  return line;
}

std::string EnvelopeLine(const TestOptions& opt) {
  const rules::EnvelopeContext& e = opt.envelope;
  std::string line = "from " + (e.sender.empty() ? "<>" : e.sender);
  line += e.authenticated ? ", authenticated as " + opt.auth_user
                          : ", not authenticated";
  line += ", direction " + std::string(rules::DirectionName(e.direction));
  line += e.sender_internal ? ", sender internal" : ", sender external";
  return Printable(line);
}

void PrintText(const Classified& c, FILE* out) {
  fprintf(out, "%s:\n", Printable(c.path).c_str());
  const rules::Evaluation& ev = c.evaluation;
  fprintf(out, "  message: %llu bytes, %llu bytes of text scanned%s\n",
          static_cast<unsigned long long>(c.size),
          static_cast<unsigned long long>(ev.bytes_scanned),
          ev.truncated ? " (truncated: some text was not classified)" : "");
  for (const std::string& w : c.warnings) {
    fprintf(out, "  mime warning: %s\n", Printable(w).c_str());
  }
  for (const std::string& n : ev.notes) {
    fprintf(out, "  note: %s\n", Printable(n).c_str());
  }
  for (const rules::Decision& d : ev.decisions) {
    fprintf(
        out, "  recipient %s: %s\n",
        d.recipient.empty() ? "(none given)" : Printable(d.recipient).c_str(),
        DecisionLine(d).c_str());
    for (const rules::RuleHit& h : d.fired) {
      std::string action(rules::ActionName(h.action));
      if (!h.profile.empty()) action += ", profile " + h.profile;
      if (h.content) {
        fprintf(out, "    fired: %s (%s) in %s, %s: sample '%s', count %u\n",
                h.rule_id.c_str(), action.c_str(),
                std::string(ScopeName(h.scope)).c_str(),
                Printable(h.origin).c_str(), Printable(h.sample).c_str(),
                h.count);
      } else if (h.rule_id == rules::kOnTruncatedRuleId) {
        fprintf(out, "    fired: %s (%s): some text was not classified\n",
                h.rule_id.c_str(), action.c_str());
      } else {
        fprintf(out, "    fired: %s (%s) on conditions alone\n",
                h.rule_id.c_str(), action.c_str());
      }
    }
    for (const rules::WhyNot& w : d.why_not) {
      fprintf(out, "    why not: %s: %s\n", w.rule_id.c_str(),
              Printable(w.reason).c_str());
    }
    for (const std::string& n : d.notes) {
      fprintf(out, "    note: %s\n", Printable(n).c_str());
    }
  }
}

Json ToJson(const Classified& c) {
  Json m;
  m["file"] = c.path;
  m["ok"] = c.status.ok();
  if (!c.status.ok()) {
    m["error"] = c.status.message();
    return m;
  }
  const rules::Evaluation& ev = c.evaluation;
  m["bytes"] = c.size;
  m["bytes_scanned"] = ev.bytes_scanned;
  m["truncated"] = ev.truncated;
  m["mime_warnings"] = c.warnings;
  m["notes"] = ev.notes;
  Json decisions = Json::array();
  for (const rules::Decision& d : ev.decisions) {
    Json j;
    j["recipient"] = d.recipient;
    j["action"] = rules::FinalActionName(d.action);
    j["profile"] = d.profile;
    j["sign"] = d.sign;
    j["no_encrypt_honoured"] = d.no_encrypt_honoured;
    j["no_sign_honoured"] = d.no_sign_honoured;
    Json fired = Json::array();
    for (const rules::RuleHit& h : d.fired) {
      Json f;
      f["rule"] = h.rule_id;
      f["action"] = rules::ActionName(h.action);
      f["profile"] = h.profile;
      f["content"] = h.content;
      if (h.content) {
        f["scope"] = ScopeName(h.scope);
        f["origin"] = h.origin;
        f["sample"] = h.sample;
        f["count"] = h.count;
      }
      fired.push_back(std::move(f));
    }
    j["fired"] = std::move(fired);
    Json why = Json::array();
    for (const rules::WhyNot& w : d.why_not) {
      why.push_back(Json{{"rule", w.rule_id}, {"reason", w.reason}});
    }
    j["why_not"] = std::move(why);
    j["notes"] = d.notes;
    decisions.push_back(std::move(j));
  }
  m["decisions"] = std::move(decisions);
  return m;
}

int TestImpl(const std::vector<std::string>& args, CommandIo& io) {
  TestOptions opt;
  if (!ParseTestArgs(args, opt, io)) return kExitUsage;
  if (Status st = DeriveDirection(opt); !st.ok()) {
    fprintf(io.err, "%s\n", Printable(st.message()).c_str());
    return kExitConfig;
  }
  std::string sources;
  TestSettings settings;
  Result<std::shared_ptr<const CompiledRules>> compiled =
      LoadForTest(opt.rules, sources, settings);
  if (!compiled.ok()) {
    fprintf(io.err, "%s\n", Printable(compiled.status().message()).c_str());
    return kExitConfig;
  }
  const CompiledRules& rules = **compiled;

  std::vector<Input> inputs = ExpandInputs(opt.inputs);
  size_t failed = 0;
  Json messages = Json::array();
  if (!opt.json) {
    fprintf(io.out, "rules: %zu enabled of %zu, from %s\nenvelope: %s\n",
            rules.enabled_count(), rules.rules().size(), sources.c_str(),
            EnvelopeLine(opt).c_str());
  }
  for (const Input& input : inputs) {
    Classified c = Classify(input, rules, settings, opt.envelope);
    if (!c.status.ok()) ++failed;
    if (opt.json) {
      messages.push_back(ToJson(c));
    } else if (c.status.ok()) {
      PrintText(c, io.out);
    } else {
      fprintf(io.err, "%s\n", Printable(c.status.message()).c_str());
    }
  }
  if (opt.json) {
    Json root;
    Json env;
    env["sender"] = opt.envelope.sender;
    env["recipients"] = opt.envelope.recipients;
    env["authenticated"] = opt.envelope.authenticated;
    env["auth_user"] = opt.auth_user;
    env["direction"] = rules::DirectionName(opt.envelope.direction);
    env["sender_internal"] = opt.envelope.sender_internal;
    root["rules"] = Json{{"enabled", rules.enabled_count()},
                         {"loaded", rules.rules().size()},
                         {"from", sources}};
    root["envelope"] = std::move(env);
    root["messages"] = std::move(messages);
    root["failed"] = failed;
    std::string text = root.dump(2, ' ', false, Json::error_handler_t::replace);
    fprintf(io.out, "%s\n", text.c_str());
  } else {
    fprintf(io.out, "%s classified, %zu failed\n",
            Plural(inputs.size() - failed, "message", "messages").c_str(),
            failed);
  }
  return failed == 0 ? kExitOk : kExitFailure;
}

// Nothing below is expected to throw; a library exception (out of memory)
// still ends in a message, not a crash.
template <int (*Impl)(const std::vector<std::string>&, CommandIo&)>
int Guarded(const std::vector<std::string>& args, CommandIo& io) {
  try {
    return Impl(args, io);
  } catch (const std::exception& e) {
    fprintf(io.err, "sealctl: internal error: %s\n", e.what());
    return kExitFailure;
  }
}

}  // namespace

std::vector<Command> RulesCommands() {
  return {
      {"rules", "check", "[-c FILE] [--no-shipped] [DIR|FILE...]",
       "check rule files (default: those of the configuration)",
       &Guarded<CheckImpl>},
      {"rules", "test", "[--from A] [--to A]... [--auth U] FILE.eml|DIR...",
       "classify messages and show each decision and why", &Guarded<TestImpl>},
  };
}

}  // namespace seal::ctl
