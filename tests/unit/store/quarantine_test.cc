// The quarantine in the Store: a round trip of metadata and exact bytes
// (binary, large), the state machine held → released → deleted with its
// errors, listing order and filters, the size and count caps, malformed
// and hostile input, and concurrent puts from threads and connections.
// Backend-independent: runs on SQLite and, under run_pg_tests.py, on
// PostgreSQL (testing::TestDb).
#include <atomic>
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "lib/store/hex.h"
#include "lib/store/open_store.h"
#include "tests/unit/store/store_test_util.h"

namespace seal::store {
namespace {

using testing::kNow;
using testing::TestDb;

QuarantineRecord Info(std::vector<std::string> rcpts = {"bob@example.org"}) {
  QuarantineRecord info;
  info.queue_id = "4Xyz1Q2";
  info.sender = "alice@example.com";
  info.recipients = std::move(rcpts);
  info.reason = "content policy (dlp-iban)";
  info.auth_user = "alice";
  info.client_addr = "2001:db8::1";
  return info;
}

const std::string kMessage =
    "Subject: hello\r\nFrom: alice@example.com\r\n\r\nIBAN DE89...\r\n";

TEST_CASE("quarantine: a message round-trips with its metadata") {
  TestDb db;
  FakeClock clock(kNow);
  auto store = db.Open(&clock);
  Result<QuarantineRecord> put = store->PutQuarantine(
      kMessage, Info({"bob@example.org", "Carol@Example.org"}));
  REQUIRE(put.ok());
  CHECK(put->id.size() == 16);
  CHECK(IsLowerHex(put->id));
  CHECK(put->created_at == kNow);
  CHECK(put->size == kMessage.size());
  CHECK(put->sha256.size() == 64);
  CHECK(put->message.empty());
  CHECK(put->state == QuarantineState::kHeld);

  Result<QuarantineRecord> meta = store->GetQuarantine(put->id);
  REQUIRE(meta.ok());
  CHECK(meta->message.empty());
  CHECK(meta->queue_id == "4Xyz1Q2");
  CHECK(meta->sender == "alice@example.com");
  CHECK(meta->recipients ==
        std::vector<std::string>{"bob@example.org", "Carol@Example.org"});
  CHECK(meta->reason == "content policy (dlp-iban)");
  CHECK(meta->auth_user == "alice");
  CHECK(meta->client_addr == "2001:db8::1");
  CHECK(meta->sha256 == put->sha256);
  CHECK(meta->handled_at == 0);
  CHECK(meta->handled_by.empty());

  Result<QuarantineRecord> full = store->GetQuarantine(put->id, true);
  REQUIRE(full.ok());
  CHECK(full->message == kMessage);
  // Upper-case ids are accepted.
  std::string upper = put->id;
  for (char& c : upper) c = static_cast<char>(toupper(c));
  CHECK(store->GetQuarantine(upper).ok());
}

TEST_CASE("quarantine: the SHA-256 is of the exact bytes") {
  TestDb db;
  auto store = db.Open();
  // SHA-256("abc").
  Result<QuarantineRecord> put = store->PutQuarantine("abc", Info());
  REQUIRE(put.ok());
  CHECK(put->sha256 ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("quarantine: a large binary body is kept byte for byte") {
  TestDb db;
  auto store = db.Open();
  std::string big;
  big.reserve(8u << 20);
  for (size_t i = 0; i < (8u << 20); ++i) {
    big.push_back(static_cast<char>((i * 131 + i / 7) & 0xff));
  }
  big[10] = '\0';
  Result<QuarantineRecord> put = store->PutQuarantine(big, Info());
  REQUIRE(put.ok());
  Result<QuarantineRecord> back = store->GetQuarantine(put->id, true);
  REQUIRE(back.ok());
  CHECK(back->size == big.size());
  CHECK(back->message == big);
}

TEST_CASE("quarantine: caps give kResourceExhausted") {
  TestDb db;
  StoreOptions options = db.Options();
  options.limits.max_quarantine_bytes = 1000;
  options.limits.max_quarantine_recipients = 3;
  auto opened = OpenStore(options);
  REQUIRE(opened.ok());
  Store& store = **opened;
  CHECK(store.PutQuarantine(std::string(1000, 'x'), Info()).ok());
  CHECK(store.PutQuarantine(std::string(1001, 'x'), Info()).status().code() ==
        StatusCode::kResourceExhausted);
  CHECK(store.PutQuarantine("x", Info({"a@x", "b@x", "c@x", "d@x"}))
            .status()
            .code() == StatusCode::kResourceExhausted);
  std::string long_reason(5000, 'r');
  QuarantineRecord info = Info();
  info.reason = long_reason;
  CHECK(store.PutQuarantine("x", info).status().code() ==
        StatusCode::kResourceExhausted);
  // Nothing of the refused ones was stored.
  CHECK(store.ListQuarantine()->size() == 1);
}

TEST_CASE("quarantine: malformed input is refused") {
  TestDb db;
  auto store = db.Open();
  CHECK(store->PutQuarantine("", Info()).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(store->PutQuarantine("x", Info({})).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(store->PutQuarantine("x", Info({""})).status().code() ==
        StatusCode::kInvalidArgument);
  // A recipient that would smuggle an SMTP command or a second line.
  CHECK(store->PutQuarantine("x", Info({"a@x\r\nRCPT TO:<b@x>"}))
            .status()
            .code() == StatusCode::kInvalidArgument);
  CHECK(store->PutQuarantine("x", Info({"a@x\nb@x"})).status().code() ==
        StatusCode::kInvalidArgument);
  QuarantineRecord info = Info();
  info.sender = std::string("a\0b@x", 5);
  CHECK(store->PutQuarantine("x", info).status().code() ==
        StatusCode::kInvalidArgument);
  info = Info();
  info.queue_id = "Q\x1b[2J";
  CHECK(store->PutQuarantine("x", info).status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(store->ListQuarantine()->empty());
}

TEST_CASE("quarantine: bad ids are kInvalidArgument, unknown ones kNotFound") {
  TestDb db;
  auto store = db.Open();
  for (std::string bad :
       {"", "123", "0123456789abcdeg", "0123456789abcdef0", "' OR 1=1 --------",
        "0123456789abcde\n", "../../etc/passwd"}) {
    INFO(bad);
    CHECK(store->GetQuarantine(bad).status().code() ==
          StatusCode::kInvalidArgument);
    CHECK(store->MarkReleased(bad, "root").code() ==
          StatusCode::kInvalidArgument);
    CHECK(store->DeleteQuarantine(bad, "root").code() ==
          StatusCode::kInvalidArgument);
  }
  CHECK(store->GetQuarantine("0123456789abcdef").status().code() ==
        StatusCode::kNotFound);
  CHECK(store->MarkReleased("0123456789abcdef", "root").code() ==
        StatusCode::kNotFound);
  CHECK(store->DeleteQuarantine("0123456789abcdef", "root").code() ==
        StatusCode::kNotFound);
}

TEST_CASE("quarantine: held, released, deleted") {
  TestDb db;
  FakeClock clock(kNow);
  auto store = db.Open(&clock);
  std::string id = store->PutQuarantine(kMessage, Info())->id;
  CHECK(store->MarkReleased(id, "").code() == StatusCode::kInvalidArgument);
  CHECK(store->MarkReleased(id, "root\nforged").code() ==
        StatusCode::kInvalidArgument);
  clock.Set(kNow + 60);
  REQUIRE(store->MarkReleased(id, "root").ok());
  Result<QuarantineRecord> rec = store->GetQuarantine(id, true);
  REQUIRE(rec.ok());
  CHECK(rec->state == QuarantineState::kReleased);
  CHECK(rec->handled_at == kNow + 60);
  CHECK(rec->handled_by == "root");
  CHECK(rec->message == kMessage);  // kept after release
  Status again = store->MarkReleased(id, "root");
  CHECK(again.code() == StatusCode::kFailedPrecondition);
  CHECK_THAT(again.message(), Catch::Contains("already released"));

  clock.Set(kNow + 120);
  REQUIRE(store->DeleteQuarantine(id, "admin").ok());
  rec = store->GetQuarantine(id, true);
  REQUIRE(rec.ok());
  CHECK(rec->state == QuarantineState::kDeleted);
  CHECK(rec->message.empty());  // the bytes are gone
  CHECK(rec->size == kMessage.size());
  CHECK(rec->handled_by == "admin");
  CHECK(store->DeleteQuarantine(id, "admin").code() ==
        StatusCode::kFailedPrecondition);
  CHECK(store->MarkReleased(id, "root").code() ==
        StatusCode::kFailedPrecondition);

  // A held message can be deleted directly.
  std::string id2 = store->PutQuarantine(kMessage, Info())->id;
  REQUIRE(store->DeleteQuarantine(id2, "admin").ok());
  CHECK(store->GetQuarantine(id2)->state == QuarantineState::kDeleted);
}

TEST_CASE("quarantine: listing is newest first, filtered and limited") {
  TestDb db;
  FakeClock clock(kNow);
  auto store = db.Open(&clock);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    clock.Set(kNow + (i < 4 ? i : 3));  // the last two share a second
    ids.push_back(store->PutQuarantine(kMessage, Info())->id);
  }
  REQUIRE(store->MarkReleased(ids[1], "root").ok());
  REQUIRE(store->DeleteQuarantine(ids[2], "root").ok());

  Result<std::vector<QuarantineRecord>> all = store->ListQuarantine();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 5);
  CHECK((*all)[0].id == ids[4]);  // same second as ids[3], put later
  CHECK((*all)[1].id == ids[3]);
  CHECK((*all)[4].id == ids[0]);
  for (const QuarantineRecord& r : *all) CHECK(r.message.empty());

  QuarantineFilter held;
  held.state = QuarantineState::kHeld;
  Result<std::vector<QuarantineRecord>> h = store->ListQuarantine(held);
  REQUIRE(h.ok());
  CHECK(h->size() == 3);
  held.limit = 2;
  CHECK(store->ListQuarantine(held)->size() == 2);
  QuarantineFilter released;
  released.state = QuarantineState::kReleased;
  REQUIRE(store->ListQuarantine(released)->size() == 1);
  CHECK(store->ListQuarantine(released)->front().id == ids[1]);
}

TEST_CASE("quarantine: state names parse and print") {
  for (QuarantineState s : {QuarantineState::kHeld, QuarantineState::kReleased,
                            QuarantineState::kDeleted}) {
    Result<QuarantineState> back = ParseQuarantineState(QuarantineStateName(s));
    REQUIRE(back.ok());
    CHECK(*back == s);
  }
  CHECK(ParseQuarantineState("HELD").status().code() ==
        StatusCode::kInvalidArgument);
  CHECK(ParseQuarantineState("").status().code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("quarantine: concurrent puts from threads and connections") {
  TestDb db;
  auto shared = db.Open();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 15;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Half the threads share one store, half open their own connection.
      std::unique_ptr<Store> own;
      Store* store = shared.get();
      if (t % 2 == 1) {
        auto opened = OpenStore(db.Options());
        if (!opened.ok()) {
          ++failures;
          return;
        }
        own = std::move(*opened);
        store = own.get();
      }
      for (int i = 0; i < kPerThread; ++i) {
        std::string body = "Subject: " + std::to_string(t) + "/" +
                           std::to_string(i) + "\r\n\r\nx\r\n";
        Result<QuarantineRecord> put = store->PutQuarantine(body, Info());
        if (!put.ok()) {
          ++failures;
          continue;
        }
        Result<QuarantineRecord> back = store->GetQuarantine(put->id, true);
        if (!back.ok() || back->message != body) ++failures;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  CHECK(failures.load() == 0);
  Result<std::vector<QuarantineRecord>> all = shared->ListQuarantine();
  REQUIRE(all.ok());
  CHECK(all->size() == kThreads * kPerThread);
  std::set<std::string> ids;
  for (const QuarantineRecord& r : *all) ids.insert(r.id);
  CHECK(ids.size() == all->size());
}

}  // namespace
}  // namespace seal::store
