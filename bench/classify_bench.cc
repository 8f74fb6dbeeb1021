// Classification throughput against its floor, side by side in one process:
// the full path the daemon runs at end of message (ExtractMessageText, then
// Evaluate with the shipped rules) versus a raw RE2::Set built from the
// same body-scope patterns, run over the same decoded body text. Generated
// English-like text/plain bodies of about 1 MB and 10 KB, without matches
// (the common case) and with a few (a social security number and a card
// number near the end, so the engine re-runs those rules on the item).
// Prints MB/s of decoded body text for each side, the ratio raw time / our
// time (median and min..max of the per-round ratios), and for 10 KB
// messages the time per message. Not a test: no thresholds, exits 0 unless
// the rules cannot be loaded.
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lib/message_text.h"
#include "lib/mime/text_extractor.h"
#include "lib/rules/compiled_rules.h"
#include "lib/rules/evaluate.h"
#include "lib/rules/regex_options.h"
#include "lib/rules/rule_files.h"

namespace {

using Clock = std::chrono::steady_clock;
using seal::Scope;

double Seconds(const std::function<void()>& fn) {
  auto start = Clock::now();
  fn();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct Stats {
  double median, min, max;
};

Stats Summarise(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};
}

// Deterministic text: words of ordinary mail, punctuation, dates, amounts
// and short numbers that none of the shipped patterns accept.
std::string GenerateBody(size_t bytes, uint64_t seed, bool with_matches) {
  static const char* const kWords[] = {
      "the",      "meeting",  "project", "please",   "review",  "attached",
      "budget",   "team",     "next",    "week",     "we",      "will",
      "discuss",  "numbers",  "client",  "report",   "thanks",  "regards",
      "update",   "schedule", "call",    "office",   "about",   "from",
      "with",     "this",     "that",    "have",     "been",    "draft",
      "final",    "version",  "quarter", "results",  "account", "manager",
      "contract", "signed",   "invoice", "shipping", "order",   "delivery",
      "and",      "for",      "our",     "your",     "to",      "of",
      "in",       "is",       "on",      "at",       "by",      "an",
      "Monday",   "Friday",   "London",  "Berlin",   "agenda",  "minutes"};
  constexpr size_t kWordCount = sizeof kWords / sizeof kWords[0];
  uint64_t state = seed;
  auto next = [&state]() {  // splitmix64
    state += 0x9E3779B97F4A7C15ull;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  };
  std::string out;
  out.reserve(bytes + 128);
  size_t line = 0;
  while (out.size() < bytes) {
    uint64_t r = next();
    std::string token;
    switch (r % 40) {
      case 0:
        token = "2024-0" + std::to_string(1 + (r >> 8) % 9) + "-1" +
                std::to_string((r >> 16) % 10);
        break;
      case 1:
        token = "$" + std::to_string((r >> 8) % 9000 + 100) + "." +
                std::to_string((r >> 20) % 90 + 10);
        break;
      case 2:
        token = "ext. " + std::to_string((r >> 8) % 9000 + 1000);
        break;
      default:
        token = kWords[(r >> 8) % kWordCount];
    }
    if ((r >> 40) % 12 == 0) token += ",";
    if ((r >> 44) % 17 == 0) token += ".";
    if (line + token.size() + 1 > 72) {
      out += "\r\n";
      line = 0;
    } else if (line > 0) {
      out += ' ';
      ++line;
    }
    out += token;
    line += token.size();
  }
  out += "\r\n";
  if (with_matches) {
    out += "My SSN is 123-45-6789 and the card is 4111 1111 1111 1111.\r\n";
  }
  return out;
}

std::string MakeMessage(const std::string& body) {
  return "From: Alice Example <alice@example.com>\r\n"
         "To: Bob Example <bob@example.org>\r\n"
         "Subject: Quarterly numbers for the review\r\n"
         "Date: Mon, 2 Dec 2024 09:00:00 +0000\r\n"
         "Message-ID: <bench@example.com>\r\n"
         "MIME-Version: 1.0\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n"
         "Content-Transfer-Encoding: 8bit\r\n"
         "\r\n" +
         body;
}

// The raw floor: one RE2::Set of every enabled body-scope pattern, with the
// options the engine uses.
std::unique_ptr<re2::RE2::Set> BuildRawSet(
    const seal::rules::CompiledRules& compiled, size_t& count) {
  auto set = std::make_unique<re2::RE2::Set>(
      seal::rules::PatternOptions(compiled.options().dfa_memory_budget),
      re2::RE2::UNANCHORED);
  count = 0;
  for (const seal::rules::Rule& rule : compiled.rules()) {
    if (!rule.enabled || !rule.HasScope(Scope::kBody)) continue;
    for (const seal::rules::Pattern& p : rule.patterns) {
      std::string error;
      if (set->Add(p.text, &error) < 0) {
        fprintf(stderr, "classify_bench: RE2::Set::Add: %s\n", error.c_str());
        return nullptr;
      }
      ++count;
    }
  }
  if (!set->Compile()) {
    fprintf(stderr, "classify_bench: RE2::Set::Compile failed\n");
    return nullptr;
  }
  return set;
}

struct Case {
  const char* name;
  size_t body_bytes;
  bool with_matches;
  int rounds;
  int messages_per_round;  // same message classified this many times
};

int RunCase(const Case& c, const seal::rules::CompiledRules& compiled,
            const re2::RE2::Set& raw_set) {
  const std::string raw =
      MakeMessage(GenerateBody(c.body_bytes, 42, c.with_matches));
  seal::rules::EnvelopeContext envelope;
  envelope.sender = "alice@example.com";
  envelope.recipients = {"bob@example.org"};

  // The decoded text, once, for the baseline and to check the outcome.
  seal::Result<seal::MessageText> text = seal::mime::ExtractMessageText(raw);
  if (!text.ok()) {
    fprintf(stderr, "classify_bench: %s\n", text.status().message().c_str());
    return 1;
  }
  const std::vector<seal::TextItem>& body = text->at(Scope::kBody);
  size_t body_bytes = 0;
  for (const seal::TextItem& item : body) body_bytes += item.text.size();
  seal::Result<seal::rules::Evaluation> check =
      seal::rules::Evaluate(compiled, *text, envelope);
  if (!check.ok()) {
    fprintf(stderr, "classify_bench: %s\n", check.status().message().c_str());
    return 1;
  }
  std::string fired;
  for (const auto& hit : check->decisions.front().fired) {
    fired += (fired.empty() ? "" : ",") + hit.rule_id;
  }

  std::vector<int> hits;
  size_t raw_hit_count = 0;
  auto raw_side = [&] {
    for (int m = 0; m < c.messages_per_round; ++m) {
      for (const seal::TextItem& item : body) {
        raw_set.Match(item.text, &hits);
        raw_hit_count += hits.size();
      }
    }
  };
  bool failed = false;
  auto full_side = [&] {
    for (int m = 0; m < c.messages_per_round; ++m) {
      seal::Result<seal::MessageText> t = seal::mime::ExtractMessageText(raw);
      if (!t.ok()) {
        failed = true;
        return;
      }
      seal::Result<seal::rules::Evaluation> ev =
          seal::rules::Evaluate(compiled, *t, envelope);
      if (!ev.ok()) failed = true;
    }
  };
  auto extract_side = [&] {
    for (int m = 0; m < c.messages_per_round; ++m) {
      seal::Result<seal::MessageText> t = seal::mime::ExtractMessageText(raw);
      if (!t.ok()) failed = true;
    }
  };
  auto eval_side = [&] {
    for (int m = 0; m < c.messages_per_round; ++m) {
      seal::Result<seal::rules::Evaluation> ev =
          seal::rules::Evaluate(compiled, *text, envelope);
      if (!ev.ok()) failed = true;
    }
  };

  raw_side();  // warm the DFA caches of both sides
  full_side();
  std::vector<double> raw_s, full_s, eval_s, extract_s, ratio_full, ratio_eval;
  for (int round = 0; round < c.rounds; ++round) {
    double r, f, e, x;
    if (round % 2 == 0) {
      r = Seconds(raw_side);
      f = Seconds(full_side);
      e = Seconds(eval_side);
      x = Seconds(extract_side);
    } else {
      x = Seconds(extract_side);
      e = Seconds(eval_side);
      f = Seconds(full_side);
      r = Seconds(raw_side);
    }
    extract_s.push_back(x);
    raw_s.push_back(r);
    full_s.push_back(f);
    eval_s.push_back(e);
    ratio_full.push_back(r / f);
    ratio_eval.push_back(r / e);
  }
  if (failed) {
    fprintf(stderr, "classify_bench: %s: classification failed\n", c.name);
    return 1;
  }
  const double mb =
      static_cast<double>(body_bytes) * c.messages_per_round / 1e6;
  Stats r = Summarise(raw_s), f = Summarise(full_s), e = Summarise(eval_s),
        x = Summarise(extract_s);
  Stats qf = Summarise(ratio_full), qe = Summarise(ratio_eval);
  printf(
      "%s: message %zu bytes, body text %zu bytes, %d rounds x %d, "
      "fired: %s\n",
      c.name, raw.size(), body_bytes, c.rounds, c.messages_per_round,
      fired.empty() ? "(none)" : fired.c_str());
  printf("  raw RE2::Set            %7.0f MB/s (best %5.0f)\n", mb / r.median,
         mb / r.min);
  printf(
      "  Extract+Evaluate        %7.0f MB/s (best %5.0f)  ratio %.2f "
      "(%.2f..%.2f)\n",
      mb / f.median, mb / f.min, qf.median, qf.min, qf.max);
  printf(
      "  Evaluate only           %7.0f MB/s (best %5.0f)  ratio %.2f "
      "(%.2f..%.2f)\n",
      mb / e.median, mb / e.min, qe.median, qe.min, qe.max);
  printf("  Extract only            %7.0f MB/s (best %5.0f)\n", mb / x.median,
         mb / x.min);
  if (c.body_bytes <= 64 * 1024) {
    const double per = 1e6 / c.messages_per_round;
    printf(
        "  per message: Extract+Evaluate median %.1f us (min %.1f, max "
        "%.1f), raw Set median %.1f us\n",
        f.median * per, f.min * per, f.max * per, r.median * per);
  }
  if (raw_hit_count == 0 && c.with_matches) {
    printf("  (the raw set found nothing: check the generated matches)\n");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // An optional argument keeps only the cases whose name contains it (for
  // profiling one case).
  const std::string only = argc > 1 ? argv[1] : "";
  const std::string dir = std::string(SEAL_SOURCE_ROOT) + "/rules";
  seal::Result<seal::rules::RuleList> list = seal::rules::LoadRulePaths({dir});
  if (!list.ok()) {
    fprintf(stderr, "classify_bench: %s\n", list.status().message().c_str());
    return 1;
  }
  seal::Result<std::shared_ptr<const seal::rules::CompiledRules>> compiled =
      seal::rules::CompileRules(std::move(*list));
  if (!compiled.ok()) {
    fprintf(stderr, "classify_bench: %s\n",
            compiled.status().message().c_str());
    return 1;
  }
  size_t body_patterns = 0;
  std::unique_ptr<re2::RE2::Set> raw_set =
      BuildRawSet(**compiled, body_patterns);
  if (raw_set == nullptr) return 1;
  printf(
      "shipped rules: %zu enabled, %zu body-scope patterns in the raw "
      "set\n",
      (*compiled)->enabled_count(), body_patterns);

  const Case cases[] = {
      {"1 MB text", 1 << 20, false, 21, 1},
      {"1 MB text with matches", 1 << 20, true, 21, 1},
      {"10 KB text", 10 * 1024, false, 21, 500},
      {"10 KB text with matches", 10 * 1024, true, 21, 500},
  };
  int rc = 0;
  for (const Case& c : cases) {
    if (!only.empty() && std::string(c.name).find(only) == std::string::npos) {
      continue;
    }
    rc |= RunCase(c, **compiled, *raw_set);
  }
  return rc;
}
