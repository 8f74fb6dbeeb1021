// sealctl passphrase list|show|set|delete: the personal passphrases of
// envelope recipients (envelope.passphrase = "per-recipient"), kept in the
// Store sealed under the master key (lib/store/passphrase_vault.h).
//
// list shows who has one, its origin and use, never the passphrase. show
// prints it (for the help desk to read out by phone) and set makes or
// takes one (--generate, or one line from --stdin: an administrator agreed
// it with the recipient); both need the master key (--master-key, else
// store.key_file). set computes the slot's PBKDF2 once, like the milter.
// delete makes the next envelope to that address get a new one, announced
// to its sender. show, set and delete are written to the store's audit
// events with who ran them.
// The store comes from the configuration (-c FILE, else the default file
// if present), --store naming a SQLite file instead; no command creates a
// store. Arguments and error lines: ctl/args.h.
// Thread-safety: a command runs on the calling thread only.

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ctl/admin_text.h"
#include "ctl/args.h"
#include "ctl/command.h"
#include "ctl/store_options.h"
#include "lib/config.h"
#include "lib/envelope/passphrase.h"
#include "lib/gateway/recipient_passphrases.h"
#include "lib/snapshot.h"
#include "lib/store/master_key.h"
#include "lib/store/normalize.h"
#include "lib/store/open_store.h"
#include "lib/store/passphrase_vault.h"

namespace seal::ctl {
namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kMinTypedPassphrase = 12;

// The master key: --master-key, else store.key_file; errors name the file
// and the key that chose it.
std::optional<store::MasterKey> KeyOrReport(const Args& args,
                                            const Config& config,
                                            std::string_view command,
                                            CommandIo& io, int& rc) {
  std::string path = args.Has("--master-key") ? args.Value("--master-key")
                                              : config.store.key_file;
  const char* from =
      args.Has("--master-key") ? "--master-key" : "store.key_file";
  Result<store::MasterKey> key = store::LoadMasterKeyFile(path);
  if (!key.ok()) {
    rc = Fail(io, command,
              key.status().WithContext(std::string("master key ") + path +
                                       " (" + from + ")"),
              kExitConfig);
    return std::nullopt;
  }
  return std::move(*key);
}

void Audit(store::Store& st, std::string_view kind, std::string_view address,
           CommandIo& io) {
  Status s = st.RecordEvent(kind, address, "by " + Actor());
  if (!s.ok()) {
    fprintf(io.err, "sealctl: warning: cannot record an audit event: %s\n",
            Printable(s.message()).c_str());
  }
}

// The address argument in store form, or a usage error printed.
std::optional<std::string> AddressOrReport(const ArgSpec& spec,
                                           const Args& args, CommandIo& io,
                                           int& rc) {
  Result<std::string> a = store::NormalizeAddress(args.positional()[0]);
  if (!a.ok()) {
    rc = UsageError(spec, "address: " + a.status().message(), io);
    return std::nullopt;
  }
  return *a;
}

// Another master key than the store's is a configuration mistake.
int ExitFor(const Status& s) {
  return s.code() == StatusCode::kFailedPrecondition ? kExitConfig
                                                     : kExitFailure;
}

// --- list --------------------------------------------------------------

const ArgSpec kListSpec{"passphrase list",
                        "[-c FILE] [--store PATH] [--json]",
                        {"-c", "--store"},
                        {"--json"},
                        0,
                        0};

int List(const std::vector<std::string>& argv, CommandIo& io) {
  std::optional<Args> args = ParseOrUsage(argv, kListSpec, io);
  if (!args) return kExitUsage;
  int rc = kExitOk;
  std::optional<AdminStore> o =
      OpenAdminStoreOrReport(*args, kListSpec.command, io, rc);
  if (!o) return rc;
  Result<std::vector<store::RecipientPassphraseRecord>> all =
      o->store->ListRecipientPassphrases();
  if (!all.ok()) return Fail(io, kListSpec.command, all.status());
  if (args->Has("--json")) {
    Json rows = Json::array();
    for (const store::RecipientPassphraseRecord& r : *all) {
      Json j;
      j["address"] = r.address;
      j["origin"] = r.origin;
      j["created_at"] = r.created_at;
      j["created_by"] = r.created_by;
      j["last_used_at"] = r.last_used_at;
      j["uses"] = r.use_count;
      rows.push_back(std::move(j));
    }
    fprintf(io.out, "%s\n",
            rows.dump(2, ' ', false, Json::error_handler_t::replace).c_str());
    return kExitOk;
  }
  if (all->empty()) {
    fprintf(io.out, "no personal passphrases\n");
    return kExitOk;
  }
  fprintf(io.out, "%-32s %-7s %-23s %-23s %5s  %s\n", "ADDRESS", "ORIGIN",
          "CREATED", "LAST USED", "USES", "CREATED BY");
  for (const store::RecipientPassphraseRecord& r : *all) {
    fprintf(io.out, "%-32s %-7s %-23s %-23s %5lld  %s\n",
            Printable(r.address).c_str(), r.origin.c_str(),
            FormatUtc(r.created_at).c_str(), FormatUtc(r.last_used_at).c_str(),
            static_cast<long long>(r.use_count),
            Printable(r.created_by).c_str());
  }
  return kExitOk;
}

// --- show --------------------------------------------------------------

const ArgSpec kShowSpec{"passphrase show",
                        "[-c FILE] [--store PATH] [--master-key FILE] ADDRESS",
                        {"-c", "--store", "--master-key"},
                        {},
                        1,
                        1};

int Show(const std::vector<std::string>& argv, CommandIo& io) {
  std::optional<Args> args = ParseOrUsage(argv, kShowSpec, io);
  if (!args) return kExitUsage;
  int rc = kExitOk;
  std::optional<std::string> address =
      AddressOrReport(kShowSpec, *args, io, rc);
  if (!address) return rc;
  std::optional<AdminStore> o =
      OpenAdminStoreOrReport(*args, kShowSpec.command, io, rc);
  if (!o) return rc;
  std::optional<store::MasterKey> key =
      KeyOrReport(*args, o->config, kShowSpec.command, io, rc);
  if (!key) return rc;
  store::PassphraseVault vault(*o->store, *key);
  Result<store::RecipientSecret> secret = vault.Get(*address);
  if (!secret.ok()) {
    return Fail(io, kShowSpec.command, secret.status(),
                ExitFor(secret.status()));
  }
  Audit(*o->store, "passphrase shown", *address, io);
  fprintf(io.out, "%s\n", Printable(secret->passphrase).c_str());
  return kExitOk;
}

// --- set ---------------------------------------------------------------

const ArgSpec kSetSpec{
    "passphrase set",
    "[-c FILE] [--store PATH] [--master-key FILE] (--generate | --stdin) "
    "[--replace] ADDRESS",
    {"-c", "--store", "--master-key"},
    {"--generate", "--stdin", "--replace"},
    1,
    1};

// One line from `in`, surrounding ASCII whitespace trimmed; errors name
// what is wrong with it (never echoing it).
Result<std::string> ReadTyped(FILE* in) {
  std::string line;
  int c;
  while ((c = fgetc(in)) != EOF && c != '\n') {
    if (line.size() > store::kMaxPassphraseBytes) {
      return InvalidArgumentError("the passphrase is longer than " +
                                  std::to_string(store::kMaxPassphraseBytes) +
                                  " bytes");
    }
    line.push_back(static_cast<char>(c));
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  size_t b = line.find_first_not_of(" \t");
  size_t e = line.find_last_not_of(" \t");
  line = b == std::string::npos ? "" : line.substr(b, e - b + 1);
  for (char ch : line) {
    auto u = static_cast<unsigned char>(ch);
    if (u < 0x20 || u == 0x7f) {
      return InvalidArgumentError(
          "the passphrase contains a control character");
    }
  }
  if (line.size() < kMinTypedPassphrase) {
    return InvalidArgumentError(
        "the passphrase on standard input must have at least " +
        std::to_string(kMinTypedPassphrase) + " characters" +
        (line.empty() ? " (it is empty)" : ""));
  }
  return line;
}

int Set(const std::vector<std::string>& argv, CommandIo& io) {
  std::optional<Args> args = ParseOrUsage(argv, kSetSpec, io);
  if (!args) return kExitUsage;
  if (args->Has("--generate") == args->Has("--stdin")) {
    return UsageError(kSetSpec, "give exactly one of --generate and --stdin",
                      io);
  }
  int rc = kExitOk;
  std::optional<std::string> address = AddressOrReport(kSetSpec, *args, io, rc);
  if (!address) return rc;

  const bool generated = args->Has("--generate");
  Result<std::string> passphrase =
      generated ? envelope::GeneratePassphrase() : ReadTyped(io.in);
  if (!passphrase.ok()) return Fail(io, kSetSpec.command, passphrase.status());

  std::optional<AdminStore> o =
      OpenAdminStoreOrReport(*args, kSetSpec.command, io, rc);
  if (!o) return rc;
  std::optional<store::MasterKey> key =
      KeyOrReport(*args, o->config, kSetSpec.command, io, rc);
  if (!key) return rc;
  Result<store::RecipientPassphraseRecord> existing =
      o->store->GetRecipientPassphrase(*address);
  if (existing.ok() && !args->Has("--replace")) {
    return Fail(
        io, kSetSpec.command,
        FailedPreconditionError(
            *address + " has a personal passphrase already; --replace "
                       "replaces it (the recipient must then be told the new "
                       "one)"));
  }
  if (!existing.ok() && existing.status().code() != StatusCode::kNotFound) {
    return Fail(io, kSetSpec.command, existing.status());
  }

  Result<store::RecipientSecret> secret =
      gateway::MakeRecipientSecret(std::move(passphrase).value(), generated);
  if (!secret.ok()) return Fail(io, kSetSpec.command, secret.status());

  store::PassphraseVault vault(*o->store, *key);
  if (Status s = vault.Set(*address, *secret, Actor()); !s.ok()) {
    return Fail(io, kSetSpec.command, s);
  }
  Audit(*o->store, existing.ok() ? "passphrase replaced" : "passphrase set",
        *address, io);
  if (generated) {
    fprintf(io.out, "%s\n", secret->passphrase.c_str());
    fprintf(io.err,
            "personal passphrase of %s set; give it to the recipient by "
            "phone or in person, never by email\n",
            Printable(*address).c_str());
  } else {
    fprintf(io.err, "personal passphrase of %s set\n",
            Printable(*address).c_str());
  }
  return kExitOk;
}

// --- delete ------------------------------------------------------------

const ArgSpec kDeleteSpec{"passphrase delete",
                          "[-c FILE] [--store PATH] ADDRESS",
                          {"-c", "--store"},
                          {},
                          1,
                          1};

int Delete(const std::vector<std::string>& argv, CommandIo& io) {
  std::optional<Args> args = ParseOrUsage(argv, kDeleteSpec, io);
  if (!args) return kExitUsage;
  int rc = kExitOk;
  std::optional<std::string> address =
      AddressOrReport(kDeleteSpec, *args, io, rc);
  if (!address) return rc;
  std::optional<AdminStore> o =
      OpenAdminStoreOrReport(*args, kDeleteSpec.command, io, rc);
  if (!o) return rc;
  if (Status s = o->store->DeleteRecipientPassphrase(*address); !s.ok()) {
    return Fail(io, kDeleteSpec.command, s, ExitFor(s));
  }
  Audit(*o->store, "passphrase deleted", *address, io);
  fprintf(io.out,
          "deleted the personal passphrase of %s; its next secure envelope "
          "gets a new one, sent to that message's sender\n",
          Printable(*address).c_str());
  return kExitOk;
}

}  // namespace

std::vector<Command> PassphraseCommands() {
  return {
      {"passphrase", "list", kListSpec.usage,
       "list envelope recipients' personal passphrases (never shown)", List},
      {"passphrase", "show", kShowSpec.usage,
       "print a recipient's personal passphrase (audited)", Show},
      {"passphrase", "set", kSetSpec.usage,
       "set or generate a recipient's personal passphrase", Set},
      {"passphrase", "delete", kDeleteSpec.usage,
       "delete one; the next envelope gets a new one", Delete},
  };
}

}  // namespace seal::ctl
