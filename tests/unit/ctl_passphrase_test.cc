// sealctl passphrase list|show|set|delete against a store and master key in
// a temporary directory named by a configuration: set --generate and
// --stdin, show giving the same passphrase and the stored KEK being its
// PBKDF2, --replace required to overwrite, refused input on stdin (short,
// empty, control characters, over 1024 bytes), unknown and malformed
// addresses, a missing or wrong master key, JSON output, audit events.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ctl/command.h"
#include "lib/envelope/key_slots.h"
#include "lib/store/master_key.h"
#include "lib/store/open_store.h"
#include "lib/store/passphrase_vault.h"
#include "lib/store/store.h"

namespace seal::ctl {
namespace {

struct Run {
  int rc = -1;
  std::string out, err;
};

struct Env {
  Env() {
    std::string tmpl = "/tmp/sealctl-pass-XXXXXX";
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    dir = tmpl;
    conf = dir + "/sealmilter.conf";
    db = dir + "/store.db";
    key = dir + "/master.key";
    REQUIRE(store::CreateMasterKeyFile(key).ok());
    std::ofstream(conf) << "[spool]\ndirectory = \"" << dir
                        << "\"\n[rules]\nshipped = false\n[store]\npath = \""
                        << db << "\"\nkey_file = \"" << key << "\"\n";
    store::StoreOptions o;
    o.path = db;
    auto opened = store::OpenStore(o);
    REQUIRE(opened.ok());
    store = std::move(*opened);
  }
  ~Env() {
    store.reset();
    std::filesystem::remove_all(dir);
  }

  Run Ctl(std::vector<std::string> args, const std::string& input = "") {
    args.insert(args.begin(), "passphrase");
    args.push_back("-c");
    args.push_back(conf);
    char* out_buf = nullptr;
    char* err_buf = nullptr;
    size_t out_len = 0, err_len = 0;
    std::string in_copy = input;
    CommandIo io;
    io.in = input.empty() ? fopen("/dev/null", "r")
                          : fmemopen(in_copy.data(), in_copy.size(), "r");
    io.out = open_memstream(&out_buf, &out_len);
    io.err = open_memstream(&err_buf, &err_len);
    Run r;
    r.rc = RunSealctl(args, io);
    fclose(io.in);
    fclose(io.out);
    fclose(io.err);
    r.out.assign(out_buf, out_len);
    r.err.assign(err_buf, err_len);
    free(out_buf);
    free(err_buf);
    return r;
  }

  store::RecipientSecret Stored(const std::string& address) {
    auto k = store::LoadMasterKeyFile(key);
    REQUIRE(k.ok());
    store::PassphraseVault vault(*store, *k);
    auto s = vault.Get(address);
    INFO(s.status().ToString());
    REQUIRE(s.ok());
    return *s;
  }

  std::string dir, conf, db, key;
  std::unique_ptr<store::Store> store;
};

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST_CASE("sealctl passphrase set --generate, show, list, delete") {
  Env env;
  Run list = env.Ctl({"list"});
  CHECK(list.rc == 0);
  CHECK(Has(list.out, "no personal passphrases"));

  Run set = env.Ctl({"set", "--generate", "Bob@Example.NET"});
  INFO(set.err);
  REQUIRE(set.rc == 0);
  std::string passphrase = set.out.substr(0, set.out.find('\n'));
  CHECK(passphrase.size() == 29);  // 6 groups of 4 and 5 dashes
  CHECK(Has(set.err, "never by email"));

  store::RecipientSecret s = env.Stored("bob@example.net");
  CHECK(s.passphrase == passphrase);
  CHECK(s.generated);
  CHECK(s.iterations == envelope::kMinIterations);
  auto kek = envelope::DerivePassphraseKek(s.passphrase, s.generated, s.salt,
                                           s.iterations);
  REQUIRE(kek.ok());
  CHECK(*kek == s.kek);

  Run show = env.Ctl({"show", "bob@example.net"});
  CHECK(show.rc == 0);
  CHECK(show.out == passphrase + "\n");

  // A second set needs --replace.
  Run again = env.Ctl({"set", "--generate", "bob@example.net"});
  CHECK(again.rc == 1);
  CHECK(Has(again.err, "--replace"));
  CHECK(env.Stored("bob@example.net").passphrase == passphrase);
  Run replaced = env.Ctl({"set", "--generate", "--replace", "bob@example.net"});
  CHECK(replaced.rc == 0);
  CHECK(env.Stored("bob@example.net").passphrase != passphrase);

  list = env.Ctl({"list", "--json"});
  REQUIRE(list.rc == 0);
  auto rows = nlohmann::json::parse(list.out);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0]["address"] == "bob@example.net");
  CHECK(rows[0]["origin"] == "admin");
  CHECK(rows[0]["uses"] == 0);
  CHECK_FALSE(Has(list.out, env.Stored("bob@example.net").passphrase));
  list = env.Ctl({"list"});
  CHECK(Has(list.out, "bob@example.net"));
  CHECK_FALSE(Has(list.out, env.Stored("bob@example.net").passphrase));

  Run del = env.Ctl({"delete", "bob@example.net"});
  CHECK(del.rc == 0);
  CHECK(Has(del.out, "new one"));
  del = env.Ctl({"delete", "bob@example.net"});
  CHECK(del.rc == 1);
  CHECK(Has(del.err, "no personal passphrase"));
  Run gone = env.Ctl({"show", "bob@example.net"});
  CHECK(gone.rc == 1);

  // Every show, set and delete is audited.
  auto events = env.store->RecentEvents(20);
  REQUIRE(events.ok());
  int shown = 0, set_events = 0, deleted = 0;
  for (const auto& e : *events) {
    if (e.kind == "passphrase shown") ++shown;
    if (e.kind == "passphrase set" || e.kind == "passphrase replaced") {
      ++set_events;
    }
    if (e.kind == "passphrase deleted") ++deleted;
    if (e.kind.rfind("passphrase", 0) == 0) {
      CHECK(e.subject == "bob@example.net");
      CHECK(Has(e.detail, "sealctl"));
    }
  }
  CHECK(shown == 1);
  CHECK(set_events == 2);
  CHECK(deleted == 1);
}

TEST_CASE("sealctl passphrase set --stdin and what it refuses") {
  Env env;
  Run ok = env.Ctl({"set", "--stdin", "carol@partner.test"},
                   "  correct horse battery staple\r\n");
  INFO(ok.err);
  REQUIRE(ok.rc == 0);
  CHECK(ok.out.empty());  // never echoed
  store::RecipientSecret s = env.Stored("carol@partner.test");
  CHECK(s.passphrase == "correct horse battery staple");
  CHECK_FALSE(s.generated);

  struct Case {
    std::string input;
    const char* text;
  };
  for (const Case& c : std::vector<Case>{
           {"", "empty"},
           {"short one\n", "at least 12"},
           {"tab\x01inside the passphrase\n", "control"},
           {std::string(2000, 'a') + "\n", "longer than 1024"},
       }) {
    INFO(c.text);
    Run r = env.Ctl({"set", "--stdin", "dave@partner.test"}, c.input);
    CHECK(r.rc == 1);
    CHECK(Has(r.err, c.text));
  }
  CHECK(
      env.store->GetRecipientPassphrase("dave@partner.test").status().code() ==
      StatusCode::kNotFound);

  Run both = env.Ctl({"set", "--stdin", "--generate", "x@y.org"});
  CHECK(both.rc == 64);
  Run neither = env.Ctl({"set", "x@y.org"});
  CHECK(neither.rc == 64);
  Run bad = env.Ctl({"set", "--generate", "not-an-address"});
  CHECK(bad.rc == 64);
  CHECK(Has(bad.err, "address"));
  Run hostile = env.Ctl({"show", "a@b.org\nInjected: yes"});
  CHECK(hostile.rc == 64);
  CHECK_FALSE(Has(hostile.err, "\nInjected"));
  CHECK(env.Ctl({"show"}).rc == 64);
  CHECK(env.Ctl({"list", "extra"}).rc == 64);
}

TEST_CASE("sealctl passphrase: master key missing or wrong") {
  Env env;
  REQUIRE(env.Ctl({"set", "--generate", "bob@example.net"}).rc == 0);
  Run missing = env.Ctl(
      {"show", "--master-key", env.dir + "/nope.key", "bob@example.net"});
  CHECK(missing.rc == 78);
  CHECK(Has(missing.err, "nope.key"));
  CHECK(Has(missing.err, "--master-key"));

  std::string other = env.dir + "/other.key";
  REQUIRE(store::CreateMasterKeyFile(other).ok());
  Run wrong = env.Ctl({"show", "--master-key", other, "bob@example.net"});
  CHECK(wrong.rc == 78);
  CHECK(Has(wrong.err, "master key"));

  // No store: nothing is created.
  Run nostore = env.Ctl({"list", "--store", env.dir + "/none.db"});
  CHECK(nostore.rc == 78);
  CHECK_FALSE(std::filesystem::exists(env.dir + "/none.db"));
}

}  // namespace
}  // namespace seal::ctl
