// sealctl ca init, certs import|list|show|remove|export, keys
// issue|list|rollover: the certificate store and the built-in CA from the
// command line (lib/store, lib/ca).
//
// The store comes from store.path and store.busy_timeout of the
// configuration (-c FILE, else the default file if present), or --store;
// the master key file from --master-key, else store.key_file, else the
// default below. Commands that only read open the store without
// creating it, so a mistyped path is an error instead of a new empty
// database. Only ca init, keys issue and keys rollover load the master key;
// ca init creates the key file when it is missing and the store holds no
// private key yet.
// A certificate ID is a unique prefix (at least 8 hex digits) of its SHA-256
// fingerprint; list output shows 16. No command prints a private key.
// Arguments and error lines: ctl/args.h. The configuration is read once
// per command, and only when the store or the master key path needs it.
// Known limits: CA settings come from options only (no ca.* keys); no PKCS#12
// import of keys; prefix lookups list the whole store (fine for the
// thousands of certificates a gateway holds).
#include <openssl/err.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ctl/args.h"
#include "ctl/command.h"
#include "ctl/store_options.h"
#include "lib/ca/authority.h"
#include "lib/ca/key_type.h"
#include "lib/config.h"
#include "lib/snapshot.h"
#include "lib/store/clock.h"
#include "lib/store/key_vault.h"
#include "lib/store/master_key.h"
#include "lib/store/normalize.h"
#include "lib/store/open_store.h"
#include "lib/store/openssl_util.h"
#include "lib/store/store.h"
#include "lib/store/x509_parse.h"

namespace seal::ctl {
namespace {

using store::CertificateRecord;
using store::CertSource;

// store.path's default (used with neither -c nor a default config file).
constexpr std::string_view kDefaultStorePath = "/var/lib/sealmilter/store.db";
constexpr std::string_view kDefaultMasterKeyPath =
    "/var/lib/sealmilter/master.key";
constexpr size_t kIdDigits = 16;    // shown in lists
constexpr size_t kMinIdDigits = 8;  // accepted as a prefix
constexpr size_t kMaxImportBytes = 32u << 20;

// --- Option values -------------------------------------------------------

// Parses a positive integer option; prints and returns nullopt when bad.
std::optional<int64_t> IntOption(const Args& args, std::string_view name,
                                 int64_t fallback, CommandIo& io) {
  if (!args.Has(name)) return fallback;
  const std::string text = args.Value(name);
  char* end = nullptr;
  errno = 0;
  long long v = strtoll(text.c_str(), &end, 10);  // NOLINT(runtime/int)
  if (text.empty() || *end != '\0' || errno != 0 || v <= 0) {
    fprintf(io.err, "sealctl: %.*s wants a positive number, not '%s'\n",
            static_cast<int>(name.size()), name.data(), text.c_str());
    return std::nullopt;
  }
  return static_cast<int64_t>(v);
}

// --- Output helpers ------------------------------------------------------

std::string FormatTime(int64_t t, bool with_time) {
  time_t tt = static_cast<time_t>(t);
  struct tm tm;
  char buf[40] = "?";
  if (gmtime_r(&tt, &tm) != nullptr) {
    strftime(buf, sizeof buf, with_time ? "%Y-%m-%d %H:%M:%S UTC" : "%Y-%m-%d",
             &tm);
  }
  return buf;
}

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::string ShortId(const CertificateRecord& rec) {
  return rec.sha256.substr(0, kIdDigits);
}

std::string_view StateOf(const CertificateRecord& rec, int64_t now) {
  if (rec.revoked) return "revoked";
  if (now < rec.not_before) return "not-yet-valid";
  if (now > rec.not_after) return "expired";
  return "valid";
}

std::string UsageText(uint32_t usage) {
  std::vector<std::string> parts;
  if ((usage & store::kUsageSign) != 0) parts.push_back("sign");
  if ((usage & store::kUsageEncrypt) != 0) parts.push_back("encrypt");
  return parts.empty() ? std::string("none") : Join(parts, ", ");
}

std::string EmailsOrDash(const CertificateRecord& rec) {
  return rec.emails.empty() ? std::string("-") : Join(rec.emails, ",");
}

void PrintDetails(const CertificateRecord& rec, int64_t now, FILE* out) {
  auto line = [out](const char* label, const std::string& value) {
    fprintf(out, "%-12s %s\n", label, value.c_str());
  };
  line("id", ShortId(rec));
  line("sha256", rec.sha256);
  line("subject", rec.subject);
  line("issuer", rec.issuer);
  line("serial", rec.serial);
  line("emails", EmailsOrDash(rec));
  line("not before", FormatTime(rec.not_before, true));
  line("not after", FormatTime(rec.not_after, true));
  line("state", std::string(StateOf(rec, now)));
  line("key", rec.key_algorithm);
  line("usage", UsageText(rec.usage));
  line("ca", rec.is_ca ? "yes" : "no");
  line("ski", rec.ski.empty() ? std::string("-") : rec.ski);
  line("source", std::string(store::CertSourceName(rec.source)));
  if (!rec.domains.empty()) line("domains", Join(rec.domains, ","));
  line("private key", rec.has_private_key ? "stored (sealed)" : "none");
  line("added", FormatTime(rec.added_at, true));
}

// One line per certificate, after a header.
void PrintTable(const std::vector<CertificateRecord>& recs, int64_t now,
                const std::map<std::string, std::string>& states, FILE* out) {
  fprintf(out, "%-16s  %-9s  %-10s  %-13s  %-3s  %s\n", "ID", "SOURCE",
          "NOT AFTER", "STATE", "KEY", "EMAILS  SUBJECT");
  for (const CertificateRecord& rec : recs) {
    auto it = states.find(rec.sha256);
    std::string state =
        it != states.end() ? it->second : std::string(StateOf(rec, now));
    fprintf(out, "%-16s  %-9s  %-10s  %-13s  %-3s  %s  %s\n",
            ShortId(rec).c_str(),
            std::string(store::CertSourceName(rec.source)).c_str(),
            FormatTime(rec.not_after, false).c_str(), state.c_str(),
            rec.has_private_key ? "yes" : "no", EmailsOrDash(rec).c_str(),
            rec.subject.c_str());
  }
}

// --- Store and keys ------------------------------------------------------

// The configuration of -c FILE (or the default file when there is one),
// read when a command first needs it and then kept: the store options and
// the master key path of one command come from the same reading.
class LazyConfig {
 public:
  explicit LazyConfig(const Args& args) : source_(ConfigSourceFrom(args)) {}

  Result<const Config*> Get() {
    if (!loaded_) loaded_.emplace(LoadConfig(source_));
    if (!loaded_->ok()) return loaded_->status();
    return &**loaded_;
  }

 private:
  ConfigSource source_;
  std::optional<Result<Config>> loaded_;
};

// The store's options: store.backend, path, conninfo and busy_timeout from the
// configuration, --store overriding the path. With --store alone no
// configuration is read.
Result<store::StoreOptions> StoreOptionsFromArgs(const Args& args,
                                                 LazyConfig& config) {
  store::StoreOptions options;
  options.path = std::string(kDefaultStorePath);
  if (args.Has("-c") || !args.Has("--store")) {
    Result<const Config*> c = config.Get();
    if (!c.ok()) return c.status();
    options = StoreOptionsFor(**c, std::nullopt);
  }
  // --store names a SQLite file, whatever the configuration's backend.
  if (args.Has("--store")) {
    options.backend = "sqlite";
    options.path = args.Value("--store");
  }
  return options;
}

// The master key file: --master-key, else store.key_file of the
// configuration, else the built-in default.
Result<std::string> MasterKeyPath(const Args& args, LazyConfig& config) {
  if (args.Has("--master-key")) return args.Value("--master-key");
  Result<const Config*> c = config.Get();
  if (!c.ok()) return c.status();
  if (!(*c)->store.key_file.empty()) return (*c)->store.key_file;
  return std::string(kDefaultMasterKeyPath);
}

// Opens the store. Read-only commands pass create=false.
Result<std::unique_ptr<store::Store>> OpenFromArgs(const Args& args,
                                                   LazyConfig& config,
                                                   bool create) {
  Result<store::StoreOptions> options = StoreOptionsFromArgs(args, config);
  if (!options.ok()) return options.status();
  options->create_if_missing = create;
  Result<std::unique_ptr<store::Store>> s = store::OpenStore(*options);
  if (!s.ok() && s.status().code() == StatusCode::kNotFound && !create) {
    return NotFoundError("store " + options->path +
                         " does not exist (ca init or certs import "
                         "create it; or name it with --store)");
  }
  return s;
}

// The same for a command that needs nothing else from the configuration.
Result<std::unique_ptr<store::Store>> OpenFromArgs(const Args& args,
                                                   bool create) {
  LazyConfig config(args);
  return OpenFromArgs(args, config, create);
}

Result<store::MasterKey> LoadMasterKey(const std::string& path) {
  Result<store::MasterKey> key = store::LoadMasterKeyFile(path);
  if (!key.ok()) return key.status().WithContext("master key " + path);
  return key;
}

Result<ca::CaOptions> CaOptionsFromArgs(const Args& args, CommandIo& io) {
  ca::CaOptions options;
  if (args.Has("--subject")) options.subject = args.Value("--subject");
  if (args.Has("--key-type")) {
    Result<ca::KeyType> type = ca::ParseKeyType(args.Value("--key-type"));
    if (!type.ok()) return type.status();
    options.key_type = *type;
    options.user_key_type = *type;
  }
  std::optional<int64_t> years =
      IntOption(args, "--validity-years", options.validity_years, io);
  std::optional<int64_t> days =
      IntOption(args, "--validity-days", options.validity_days, io);
  if (!years || !days) return InvalidArgumentError("bad option value");
  options.validity_years = *years;
  options.validity_days = *days;
  options.renew_before_days =
      std::min(options.renew_before_days, options.validity_days - 1);
  SEAL_RETURN_IF_ERROR(ca::ValidateCaOptions(options));
  return options;
}

// Certificates matching an ID (fingerprint prefix), a full fingerprint, or
// (with allow_email) an address.
Result<std::vector<CertificateRecord>> Resolve(store::Store& st,
                                               std::string_view arg,
                                               bool allow_email) {
  if (arg.find('@') != std::string_view::npos) {
    if (!allow_email) {
      return InvalidArgumentError("give a certificate ID, not an address ('" +
                                  std::string(arg) +
                                  "'; certs list --email shows the IDs)");
    }
    Result<std::string> address = store::NormalizeAddress(arg);
    if (!address.ok()) return address.status();
    Result<std::vector<CertificateRecord>> recs = st.CertificatesFor(*address);
    if (!recs.ok()) return recs.status();
    if (recs->empty()) return NotFoundError("no certificate for " + *address);
    return recs;
  }
  std::string hex;
  for (char c : arg) {
    if (c == ':') continue;
    if (!isxdigit(static_cast<unsigned char>(c))) {
      hex.clear();
      break;
    }
    hex += static_cast<char>(tolower(static_cast<unsigned char>(c)));
  }
  if (hex.size() < kMinIdDigits || hex.size() > 64) {
    return InvalidArgumentError(
        "'" + std::string(arg) +
        "' is not a certificate ID (8 to 64 hex digits of the SHA-256 "
        "fingerprint" +
        (allow_email ? std::string(") or an address") : std::string(")")));
  }
  if (hex.size() == 64) {
    Result<CertificateRecord> rec = st.GetCertificate(hex);
    if (!rec.ok()) {
      if (rec.status().code() == StatusCode::kNotFound) {
        return NotFoundError("no certificate " + hex);
      }
      return rec.status();
    }
    return std::vector<CertificateRecord>{std::move(*rec)};
  }
  Result<std::vector<CertificateRecord>> all = st.ListCertificates();
  if (!all.ok()) return all.status();
  std::vector<CertificateRecord> matches;
  for (CertificateRecord& rec : *all) {
    if (rec.sha256.compare(0, hex.size(), hex) == 0) {
      matches.push_back(std::move(rec));
    }
  }
  if (matches.empty()) return NotFoundError("no certificate " + hex);
  return matches;
}

// Exactly one certificate for an ID.
Result<CertificateRecord> ResolveOne(store::Store& st, std::string_view arg) {
  Result<std::vector<CertificateRecord>> recs = Resolve(st, arg, false);
  if (!recs.ok()) return recs.status();
  if (recs->size() > 1) {
    std::vector<std::string> ids;
    for (const CertificateRecord& rec : *recs) ids.push_back(ShortId(rec));
    return FailedPreconditionError("ID '" + std::string(arg) +
                                   "' is ambiguous: " + Join(ids, ", "));
  }
  return std::move(recs->front());
}

int ExitFor(const Status& s) {
  return s.code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

void NoteEvent(store::Store& st, std::string_view kind,
               std::string_view subject, std::string detail, CommandIo& io) {
  if (detail.size() > st.limits().max_event_text_bytes) {
    detail.resize(st.limits().max_event_text_bytes);
  }
  Status s = st.RecordEvent(kind, subject, detail);
  if (!s.ok()) {
    fprintf(io.err, "sealctl: warning: cannot record an audit event: %s\n",
            s.message().c_str());
  }
}

// --- ca init -------------------------------------------------------------

const ArgSpec kCaInitSpec{"ca init",
                          "[-c FILE] [--store PATH] [--master-key FILE] "
                          "[--subject DN] [--key-type TYPE] "
                          "[--validity-years N] [--replace]",
                          {"-c", "--store", "--master-key", "--subject",
                           "--key-type", "--validity-years"},
                          {"--replace"},
                          0,
                          0};

int CaInit(const std::vector<std::string>& argv, CommandIo& io) {
  std::optional<Args> args = ParseOrUsage(argv, kCaInitSpec, io);
  if (!args) return kExitUsage;
  const std::string_view cmd = kCaInitSpec.command;
  Result<ca::CaOptions> options = CaOptionsFromArgs(*args, io);
  if (!options.ok()) return Fail(io, cmd, options.status(), kExitUsage);
  LazyConfig config(*args);
  Result<std::unique_ptr<store::Store>> st = OpenFromArgs(*args, config, true);
  if (!st.ok()) return Fail(io, cmd, st.status(), kExitConfig);

  // The master key: created on first use, but never beside existing keys
  // (they were sealed under another key file, which must be found instead).
  Result<std::string> master_key_path = MasterKeyPath(*args, config);
  if (!master_key_path.ok()) {
    return Fail(io, cmd, master_key_path.status(), kExitConfig);
  }
  const std::string key_path = *master_key_path;
  struct stat sb;
  if (lstat(key_path.c_str(), &sb) != 0 && errno == ENOENT) {
    store::CertificateFilter with_keys;
    with_keys.with_private_key = true;
    Result<std::vector<CertificateRecord>> keyed =
        (*st)->ListCertificates(with_keys);
    if (!keyed.ok()) return Fail(io, cmd, keyed.status());
    if (!keyed->empty()) {
      return Fail(io, cmd,
                  FailedPreconditionError(
                      "master key " + key_path +
                      " does not exist, but the store holds private keys "
                      "sealed under a master key: name its file with "
                      "--master-key"),
                  kExitConfig);
    }
    Status created = store::CreateMasterKeyFile(key_path);
    if (!created.ok()) return Fail(io, cmd, created, kExitConfig);
    fprintf(io.out,
            "created master key %s (mode 0600); back it up: without it the "
            "private keys in the store cannot be opened\n",
            key_path.c_str());
  }
  Result<store::MasterKey> master = LoadMasterKey(key_path);
  if (!master.ok()) return Fail(io, cmd, master.status(), kExitConfig);
  store::KeyVault vault(**st, *master);
  const int64_t now = (*st)->clock().Now();
  const bool replace = args->Has("--replace");

  if (!replace) {
    // A CA valid now: say so and check that it opens (right master key).
    store::CertificateFilter filter;
    filter.source = CertSource::kAuthority;
    filter.with_private_key = true;
    Result<std::vector<CertificateRecord>> cas =
        (*st)->ListCertificates(filter);
    if (!cas.ok()) return Fail(io, cmd, cas.status());
    if (std::any_of(cas->begin(), cas->end(),
                    [now](const CertificateRecord& rec) {
                      return rec.ValidAt(now) && !rec.revoked;
                    })) {
      Result<std::unique_ptr<ca::Authority>> current =
          ca::Authority::Load(**st, vault, *options, (*st)->clock());
      if (!current.ok()) return Fail(io, cmd, current.status());
      const CertificateRecord& rec = (*current)->certificate();
      fprintf(io.out,
              "the CA already exists, nothing changed: %s\n  id %s  sha256 "
              "%s\n  valid until %s (--replace creates a new one)\n",
              rec.subject.c_str(), ShortId(rec).c_str(), rec.sha256.c_str(),
              FormatTime(rec.not_after, true).c_str());
      return kExitOk;
    }
  }
  Result<CertificateRecord> rec =
      ca::InitAuthority(**st, vault, *options, now, replace);
  if (!rec.ok()) return Fail(io, cmd, rec.status());
  fprintf(
      io.out, "created the CA %s (%s)\n  id %s  sha256 %s\n  valid until %s\n",
      rec->subject.c_str(), rec->key_algorithm.c_str(), ShortId(*rec).c_str(),
      rec->sha256.c_str(), FormatTime(rec->not_after, true).c_str());
  return kExitOk;
}

// --- certs import --------------------------------------------------------

struct ImportContext {
  store::Store& st;
  std::string domain;  // "" or the domain to map certificates to
  CommandIo& io;
};

// Stores one DER certificate; prints what happened.
Status ImportCertificate(ImportContext& ctx, const std::string& where,
                         std::string_view der) {
  std::string sha = store::Sha256Hex(der);
  bool known = ctx.st.GetCertificate(sha).ok();
  Result<CertificateRecord> rec =
      ctx.domain.empty()
          ? ctx.st.PutCertificate(der, CertSource::kImported)
          : ctx.st.PutCertificate(der, CertSource::kDomain, ctx.domain);
  if (!rec.ok()) return rec.status();
  fprintf(ctx.io.out, "%s: %s certificate %s\n  subject %s\n  emails %s\n",
          where.c_str(), known ? "already stored:" : "imported",
          ShortId(*rec).c_str(), rec->subject.c_str(),
          EmailsOrDash(*rec).c_str());
  fprintf(ctx.io.out, "  sha256 %s\n  valid %s to %s%s\n", rec->sha256.c_str(),
          FormatTime(rec->not_before, false).c_str(),
          FormatTime(rec->not_after, false).c_str(),
          ctx.domain.empty() ? "" : ("\n  domain " + ctx.domain).c_str());
  if (!known) {
    NoteEvent(ctx.st, "imported", rec->sha256, "subject=" + rec->subject,
              ctx.io);
  }
  return Status::Ok();
}

Status ImportCrl(ImportContext& ctx, const std::string& where,
                 std::string_view der) {
  std::string sha = store::Sha256Hex(der);
  Result<store::CrlRecord> rec = ctx.st.PutCrl(der);
  if (!rec.ok()) return rec.status();
  if (rec->sha256 != sha) {
    fprintf(ctx.io.out,
            "%s: kept the stored CRL of %s (its thisUpdate %s is newer)\n",
            where.c_str(), rec->issuer.c_str(),
            FormatTime(rec->this_update, true).c_str());
    return Status::Ok();
  }
  fprintf(
      ctx.io.out, "%s: imported CRL of %s\n  this update %s%s\n", where.c_str(),
      rec->issuer.c_str(), FormatTime(rec->this_update, true).c_str(),
      rec->next_update == 0
          ? ""
          : ("\n  next update " + FormatTime(rec->next_update, true)).c_str());
  NoteEvent(ctx.st, "crl-imported", rec->sha256, "issuer=" + rec->issuer,
            ctx.io);
  return Status::Ok();
}

// A DER object: a certificate, else a CRL.
Status ImportDer(ImportContext& ctx, const std::string& where,
                 std::string_view der) {
  Status cert = ImportCertificate(ctx, where, der);
  if (cert.ok() || cert.code() != StatusCode::kParseError) return cert;
  if (store::ParseCrl(der).ok()) return ImportCrl(ctx, where, der);
  return ParseError("not a certificate or CRL (PEM or DER): " + cert.message());
}

// Every PEM block: certificates and CRLs are imported, other blocks are
// errors (a private key is never read). Returns the number of failures.
int ImportPem(ImportContext& ctx, const std::string& path,
              std::string_view text) {
  Result<int> len = store::OpenSslLength(text.size());
  if (!len.ok()) {
    fprintf(ctx.io.err, "%s: %s\n", path.c_str(),
            len.status().message().c_str());
    return 1;
  }
  store::BioPtr bio(BIO_new_mem_buf(text.data(), *len));
  if (!bio) {
    fprintf(ctx.io.err, "%s: %s\n", path.c_str(),
            store::OpenSslError("cannot read").message().c_str());
    return 1;
  }
  int failures = 0;
  int blocks = 0;
  store::ClearOpenSslErrors();
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long data_len = 0;  // NOLINT(runtime/int): OpenSSL's type
    if (PEM_read_bio(bio.get(), &name, &header, &data, &data_len) != 1) {
      unsigned long err = ERR_peek_last_error();  // NOLINT(runtime/int)
      if (ERR_GET_LIB(err) == ERR_LIB_PEM &&
          ERR_GET_REASON(err) == PEM_R_NO_START_LINE) {
        store::ClearOpenSslErrors();
      } else {
        ++failures;
        fprintf(ctx.io.err, "%s: block %d: %s\n", path.c_str(), blocks + 1,
                store::OpenSslError("malformed PEM", StatusCode::kParseError)
                    .message()
                    .c_str());
      }
      break;
    }
    ++blocks;
    std::string label = name;
    std::string der(reinterpret_cast<const char*>(data),
                    static_cast<size_t>(data_len));
    OPENSSL_cleanse(data, static_cast<size_t>(data_len));
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    std::string where = path + " (block " + std::to_string(blocks) + ")";
    Status s;
    if (label == "CERTIFICATE" || label == "X509 CERTIFICATE") {
      s = ImportCertificate(ctx, where, der);
    } else if (label == "X509 CRL") {
      s = ImportCrl(ctx, where, der);
    } else if (label.find("PRIVATE KEY") != std::string::npos) {
      s = InvalidArgumentError(
          "a private key; certs import takes certificates and CRLs only, the "
          "key was not read");
    } else {
      s = InvalidArgumentError("a PEM " + label +
                               " block; certs import takes CERTIFICATE and "
                               "X509 CRL blocks");
    }
    OPENSSL_cleanse(der.data(), der.size());
    if (!s.ok()) {
      ++failures;
      fprintf(ctx.io.err, "%s: %s\n", where.c_str(), s.message().c_str());
    }
  }
  if (blocks == 0 && failures == 0) {
    ++failures;
    fprintf(ctx.io.err, "%s: no PEM block found\n", path.c_str());
  }
  return failures;
}

Result<std::string> ReadSmallFile(const std::string& path) {
  FILE* f = fopen(path.c_str(), "rb");
  if (f == nullptr) return ErrnoError("cannot open " + path, errno);
  std::string data;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
    data.append(buf, n);
    if (data.size() > kMaxImportBytes) {
      fclose(f);
      return ResourceExhaustedError(path + " is larger than " +
                                    std::to_string(kMaxImportBytes >> 20) +
                                    " MiB");
    }
  }
  bool failed = ferror(f) != 0;
  int err = errno;
  fclose(f);
  if (failed) return ErrnoError("cannot read " + path, err);
  return data;
}

const ArgSpec kImportSpec{"certs import",
                          "[-c FILE] [--store PATH] [--domain DOMAIN] FILE...",
                          {"-c", "--store", "--domain"},
                          {},
                          1,
                          kAnyNumber};

int CertsImport(const std::vector<std::string>& argv, CommandIo& io) {
  std::optional<Args> args = ParseOrUsage(argv, kImportSpec, io);
  if (!args) return kExitUsage;
  const std::string_view cmd = kImportSpec.command;
  std::string domain;
  if (args->Has("--domain")) {
    Result<std::string> d = store::NormalizeDomain(args->Value("--domain"));
    if (!d.ok()) return Fail(io, cmd, d.status(), kExitUsage);
    domain = *d;
  }
  Result<std::unique_ptr<store::Store>> st = OpenFromArgs(*args, true);
  if (!st.ok()) return Fail(io, cmd, st.status(), kExitConfig);
  ImportContext ctx{**st, domain, io};
  int failures = 0;
  for (const std::string& path : args->positional()) {
    Result<std::string> data = ReadSmallFile(path);
    if (!data.ok()) {
      ++failures;
      fprintf(io.err, "%s\n", data.status().message().c_str());
      continue;
    }
    if (data->empty()) {
      ++failures;
      fprintf(io.err, "%s: empty file\n", path.c_str());
      continue;
    }
    if (data->find("-----BEGIN ") != std::string::npos) {
      failures += ImportPem(ctx, path, *data);
      continue;
    }
    Status s = ImportDer(ctx, path, *data);
    if (!s.ok()) {
      ++failures;
      fprintf(io.err, "%s: %s\n", path.c_str(), s.message().c_str());
    }
  }
  if (failures > 0) {
    fprintf(io.err, "sealctl certs import: %d item%s not imported\n", failures,
            failures == 1 ? "" : "s");
    return kExitFailure;
  }
  return kExitOk;
}

// --- certs list / show / remove / export ---------------------------------

const ArgSpec kListSpec{
    "certs list",
    "[-c FILE] [--store PATH] [--email ADDRESS] [--domain DOMAIN] "
    "[--source SOURCE]",
    {"-c", "--store", "--email", "--domain", "--source"},
    {},
    0,
    0};

int CertsList(const std::vector<std::string>& argv, CommandIo& io) {
  std::optional<Args> args = ParseOrUsage(argv, kListSpec, io);
  if (!args) return kExitUsage;
  const std::string_view cmd = kListSpec.command;
  store::CertificateFilter filter;
  if (args->Has("--email")) {
    Result<std::string> a = store::NormalizeAddress(args->Value("--email"));
    if (!a.ok()) return Fail(io, cmd, a.status(), kExitUsage);
    filter.address = *a;
  }
  if (args->Has("--source")) {
    Result<CertSource> src = store::ParseCertSource(args->Value("--source"));
    if (!src.ok()) return Fail(io, cmd, src.status(), kExitUsage);
    filter.source = *src;
  }
  std::string domain;
  if (args->Has("--domain")) {
    Result<std::string> d = store::NormalizeDomain(args->Value("--domain"));
    if (!d.ok()) return Fail(io, cmd, d.status(), kExitUsage);
    domain = *d;
  }
  Result<std::unique_ptr<store::Store>> st = OpenFromArgs(*args, false);
  if (!st.ok()) return Fail(io, cmd, st.status(), kExitConfig);
  Result<std::vector<CertificateRecord>> recs = (*st)->ListCertificates(filter);
  if (!recs.ok()) return Fail(io, cmd, recs.status());
  if (!domain.empty()) {
    // Gateway certificates mapped to the domain, and certificates naming an
    // address in it.
    const std::string suffix = "@" + domain;
    std::erase_if(*recs, [&](const CertificateRecord& rec) {
      if (std::find(rec.domains.begin(), rec.domains.end(), domain) !=
          rec.domains.end()) {
        return false;
      }
      return std::none_of(
          rec.emails.begin(), rec.emails.end(), [&](const std::string& e) {
            return e.size() > suffix.size() &&
                   e.compare(e.size() - suffix.size(), suffix.size(), suffix) ==
                       0;
          });
    });
  }
  if (recs->empty()) {
    fprintf(io.err, "no certificates match\n");
    return kExitOk;
  }
  PrintTable(*recs, (*st)->clock().Now(), {}, io.out);
  return kExitOk;
}

const ArgSpec kShowSpec{"certs show",
                        "[-c FILE] [--store PATH] ID|EMAIL|FINGERPRINT",
                        {"-c", "--store"},
                        {},
                        1,
                        1};

int CertsShow(const std::vector<std::string>& argv, CommandIo& io) {
  std::optional<Args> args = ParseOrUsage(argv, kShowSpec, io);
  if (!args) return kExitUsage;
  const std::string_view cmd = kShowSpec.command;
  Result<std::unique_ptr<store::Store>> st = OpenFromArgs(*args, false);
  if (!st.ok()) return Fail(io, cmd, st.status(), kExitConfig);
  Result<std::vector<CertificateRecord>> recs =
      Resolve(**st, args->positional()[0], true);
  if (!recs.ok()) return Fail(io, cmd, recs.status(), ExitFor(recs.status()));
  const int64_t now = (*st)->clock().Now();
  for (size_t i = 0; i < recs->size(); ++i) {
    if (i > 0) fputc('\n', io.out);
    PrintDetails((*recs)[i], now, io.out);
  }
  return kExitOk;
}

const ArgSpec kRemoveSpec{"certs remove",
                          "[-c FILE] [--store PATH] [--delete-key] ID",
                          {"-c", "--store"},
                          {"--delete-key"},
                          1,
                          1};

int CertsRemove(const std::vector<std::string>& argv, CommandIo& io) {
  std::optional<Args> args = ParseOrUsage(argv, kRemoveSpec, io);
  if (!args) return kExitUsage;
  const std::string_view cmd = kRemoveSpec.command;
  Result<std::unique_ptr<store::Store>> st = OpenFromArgs(*args, false);
  if (!st.ok()) return Fail(io, cmd, st.status(), kExitConfig);
  Result<CertificateRecord> rec = ResolveOne(**st, args->positional()[0]);
  if (!rec.ok()) return Fail(io, cmd, rec.status(), ExitFor(rec.status()));
  const bool delete_key = args->Has("--delete-key");
  if (rec->has_private_key && !delete_key) {
    return Fail(io, cmd,
                FailedPreconditionError(
                    "certificate " + ShortId(*rec) +
                    " has a private key in the store; mail encrypted to it "
                    "could no longer be decrypted. Give --delete-key to "
                    "remove both"));
  }
  Status s = (*st)->RemoveCertificate(
      rec->sha256,
      delete_key ? store::KeyRemoval::kDeleteKey : store::KeyRemoval::kRefuse);
  if (!s.ok()) return Fail(io, cmd, s);
  NoteEvent(**st, rec->has_private_key ? "removed-with-key" : "removed",
            rec->sha256, "subject=" + rec->subject, io);
  fprintf(io.out, "removed certificate %s (%s)%s\n", ShortId(*rec).c_str(),
          rec->subject.c_str(),
          rec->has_private_key ? " and its private key" : "");
  return kExitOk;
}

const ArgSpec kExportSpec{"certs export",
                          "[-c FILE] [--store PATH] [--out FILE] ID|EMAIL",
                          {"-c", "--store", "--out"},
                          {},
                          1,
                          1};

int CertsExport(const std::vector<std::string>& argv, CommandIo& io) {
  std::optional<Args> args = ParseOrUsage(argv, kExportSpec, io);
  if (!args) return kExitUsage;
  const std::string_view cmd = kExportSpec.command;
  Result<std::unique_ptr<store::Store>> st = OpenFromArgs(*args, false);
  if (!st.ok()) return Fail(io, cmd, st.status(), kExitConfig);
  const std::string& which = args->positional()[0];
  Result<CertificateRecord> rec = NotFoundError("");
  if (which.find('@') != std::string::npos) {
    // The certificate a sender would encrypt to.
    Result<std::string> address = store::NormalizeAddress(which);
    if (!address.ok()) return Fail(io, cmd, address.status(), kExitUsage);
    rec = (*st)->BestCertificateFor(*address, (*st)->clock().Now());
    if (!rec.ok() && rec.status().code() == StatusCode::kNotFound) {
      rec = NotFoundError("no valid encryption certificate for " + *address +
                          " (certs list --email shows every one; export by "
                          "ID)");
    }
  } else {
    rec = ResolveOne(**st, which);
  }
  if (!rec.ok()) return Fail(io, cmd, rec.status(), ExitFor(rec.status()));
  std::string pem = store::DerToPem(rec->der, "CERTIFICATE");
  if (!args->Has("--out")) {
    fputs(pem.c_str(), io.out);
    return kExitOk;
  }
  std::string out_path = args->Value("--out");
  FILE* f = fopen(out_path.c_str(), "w");
  if (f == nullptr) {
    return Fail(io, cmd, ErrnoError("cannot create " + out_path, errno));
  }
  bool ok = fwrite(pem.data(), 1, pem.size(), f) == pem.size();
  ok = (fclose(f) == 0) && ok;
  if (!ok) return Fail(io, cmd, ErrnoError("cannot write " + out_path, errno));
  fprintf(io.out, "wrote certificate %s (%s) to %s\n", ShortId(*rec).c_str(),
          rec->subject.c_str(), out_path.c_str());
  return kExitOk;
}

// --- keys issue / list / rollover ----------------------------------------

// The loaded CA with what it needs (declaration order = destruction order).
struct LoadedCa {
  std::unique_ptr<store::Store> st;
  std::optional<store::MasterKey> master;
  std::unique_ptr<store::KeyVault> vault;
  std::unique_ptr<ca::Authority> authority;
};

int LoadCa(const Args& args, std::string_view cmd, CommandIo& io,
           LoadedCa& out) {
  Result<ca::CaOptions> options = CaOptionsFromArgs(args, io);
  if (!options.ok()) return Fail(io, cmd, options.status(), kExitUsage);
  LazyConfig config(args);
  Result<std::unique_ptr<store::Store>> st = OpenFromArgs(args, config, false);
  if (!st.ok()) return Fail(io, cmd, st.status(), kExitConfig);
  out.st = std::move(*st);
  Result<std::string> key_path = MasterKeyPath(args, config);
  if (!key_path.ok()) return Fail(io, cmd, key_path.status(), kExitConfig);
  Result<store::MasterKey> master = LoadMasterKey(*key_path);
  if (!master.ok()) return Fail(io, cmd, master.status(), kExitConfig);
  out.master.emplace(std::move(*master));
  out.vault = std::make_unique<store::KeyVault>(*out.st, *out.master);
  Result<std::unique_ptr<ca::Authority>> authority =
      ca::Authority::Load(*out.st, *out.vault, *options, out.st->clock());
  if (!authority.ok()) return Fail(io, cmd, authority.status());
  out.authority = std::move(*authority);
  return kExitOk;
}

void PrintIssued(const CertificateRecord& rec, FILE* out) {
  fprintf(out,
          "  id %s  sha256 %s\n  subject %s\n  valid %s to %s, key %s "
          "(sealed in the store)\n",
          ShortId(rec).c_str(), rec.sha256.c_str(), rec.subject.c_str(),
          FormatTime(rec.not_before, false).c_str(),
          FormatTime(rec.not_after, false).c_str(), rec.key_algorithm.c_str());
}

const ArgSpec kIssueSpec{
    "keys issue",
    "[-c FILE] [--store PATH] [--master-key FILE] [--key-type TYPE] "
    "[--validity-days N] EMAIL",
    {"-c", "--store", "--master-key", "--key-type", "--validity-days"},
    {},
    1,
    1};

int KeysIssue(const std::vector<std::string>& argv, CommandIo& io) {
  std::optional<Args> args = ParseOrUsage(argv, kIssueSpec, io);
  if (!args) return kExitUsage;
  const std::string_view cmd = kIssueSpec.command;
  Result<std::string> address = store::NormalizeAddress(args->positional()[0]);
  if (!address.ok()) return Fail(io, cmd, address.status(), kExitUsage);
  LoadedCa loaded;
  if (int rc = LoadCa(*args, cmd, io, loaded); rc != kExitOk) return rc;
  Result<ca::Issued> issued = loaded.authority->EnsureCurrent(*address);
  if (!issued.ok()) return Fail(io, cmd, issued.status());
  if (!issued->warning.ok()) {
    fprintf(io.err, "sealctl keys issue: warning: %s\n",
            issued->warning.message().c_str());
  }
  if (issued->newly_issued) {
    fprintf(io.out, "issued a key and certificate for %s\n", address->c_str());
  } else {
    fprintf(io.out,
            "%s already has a current certificate, nothing issued (keys "
            "rollover makes a new key)\n",
            address->c_str());
  }
  PrintIssued(issued->cert, io.out);
  return kExitOk;
}

const ArgSpec kKeysListSpec{"keys list",
                            "[-c FILE] [--store PATH] [EMAIL]",
                            {"-c", "--store"},
                            {},
                            0,
                            1};

int KeysList(const std::vector<std::string>& argv, CommandIo& io) {
  std::optional<Args> args = ParseOrUsage(argv, kKeysListSpec, io);
  if (!args) return kExitUsage;
  const std::string_view cmd = kKeysListSpec.command;
  store::CertificateFilter filter;
  filter.with_private_key = true;
  if (!args->positional().empty()) {
    Result<std::string> a = store::NormalizeAddress(args->positional()[0]);
    if (!a.ok()) return Fail(io, cmd, a.status(), kExitUsage);
    filter.address = *a;
  }
  Result<std::unique_ptr<store::Store>> st = OpenFromArgs(*args, false);
  if (!st.ok()) return Fail(io, cmd, st.status(), kExitConfig);
  Result<std::vector<CertificateRecord>> recs = (*st)->ListCertificates(filter);
  if (!recs.ok()) return Fail(io, cmd, recs.status());
  if (recs->empty()) {
    fprintf(io.err, "no keys match\n");
    return kExitOk;
  }
  // "current": what mail to the address is encrypted to now; a valid older
  // one is "superseded" (kept to decrypt mail sent to it).
  const int64_t now = (*st)->clock().Now();
  std::map<std::string, std::string> best_for;  // address -> sha256
  std::map<std::string, std::string> states;
  for (const CertificateRecord& rec : *recs) {
    if (rec.source == CertSource::kAuthority) {
      states[rec.sha256] = rec.ValidAt(now) && !rec.revoked
                               ? "ca"
                               : std::string(StateOf(rec, now));
      continue;
    }
    if (StateOf(rec, now) != "valid") continue;
    bool current = false;
    for (const std::string& e : rec.emails) {
      auto it = best_for.find(e);
      if (it == best_for.end()) {
        Result<CertificateRecord> best = (*st)->BestCertificateFor(e, now);
        it = best_for.emplace(e, best.ok() ? best->sha256 : "").first;
      }
      current = current || it->second == rec.sha256;
    }
    states[rec.sha256] = current ? "current" : "superseded";
  }
  PrintTable(*recs, now, states, io.out);
  return kExitOk;
}

const ArgSpec kRolloverSpec{
    "keys rollover",
    "[-c FILE] [--store PATH] [--master-key FILE] [--key-type TYPE] "
    "[--validity-days N] [--revoke-previous] EMAIL",
    {"-c", "--store", "--master-key", "--key-type", "--validity-days"},
    {"--revoke-previous"},
    1,
    1};

int KeysRollover(const std::vector<std::string>& argv, CommandIo& io) {
  std::optional<Args> args = ParseOrUsage(argv, kRolloverSpec, io);
  if (!args) return kExitUsage;
  const std::string_view cmd = kRolloverSpec.command;
  Result<std::string> address = store::NormalizeAddress(args->positional()[0]);
  if (!address.ok()) return Fail(io, cmd, address.status(), kExitUsage);
  LoadedCa loaded;
  if (int rc = LoadCa(*args, cmd, io, loaded); rc != kExitOk) return rc;
  store::CertificateFilter filter;
  filter.source = CertSource::kIssued;
  filter.address = *address;
  filter.with_private_key = true;
  Result<std::vector<CertificateRecord>> before =
      loaded.st->ListCertificates(filter);
  if (!before.ok()) return Fail(io, cmd, before.status());
  const bool revoke = args->Has("--revoke-previous");
  Result<CertificateRecord> rec =
      loaded.authority->Rollover(*address, loaded.st->clock().Now(), revoke);
  if (!rec.ok()) return Fail(io, cmd, rec.status());
  fprintf(io.out, "issued a new key and certificate for %s\n",
          address->c_str());
  PrintIssued(*rec, io.out);
  if (before->empty()) {
    fprintf(io.out, "  (%s had no issued key before)\n", address->c_str());
  } else {
    fprintf(io.out, "  %zu older key%s kept for decryption%s\n", before->size(),
            before->size() == 1 ? "" : "s",
            revoke ? "; their certificates are marked revoked" : "");
  }
  return kExitOk;
}

}  // namespace

// The help table shows the main arguments; every command also takes -c FILE
// and --store PATH (see the specs above and sealctl(1)).
std::vector<Command> CertCommands() {
  return {
      {"ca", "init", "[--subject DN] [--key-type T] [--replace]",
       "create the built-in CA (idempotent)", &CaInit},
      {"certs", "import", "[--domain D] FILE...",
       "import certificates and CRLs (PEM, DER)", &CertsImport},
      {"certs", "list", "[--email A] [--domain D]", "list stored certificates",
       &CertsList},
      {"certs", "show", "ID|EMAIL|FINGERPRINT", "show certificate details",
       &CertsShow},
      {"certs", "remove", "[--delete-key] ID", "remove a certificate",
       &CertsRemove},
      {"certs", "export", "[--out FILE] ID|EMAIL", "print a certificate as PEM",
       &CertsExport},
      {"keys", "issue", "EMAIL",
       "issue a key and certificate from the built-in CA", &KeysIssue},
      {"keys", "list", "[EMAIL]", "list certificates with keys", &KeysList},
      {"keys", "rollover", "[--revoke-previous] EMAIL",
       "issue a new key; old keys stay for decryption", &KeysRollover},
  };
}

}  // namespace seal::ctl
