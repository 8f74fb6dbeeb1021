// One Set pass per scope, a re-run of candidate rules, per-recipient
// decisions (see lib/rules/evaluate.h).
#include "lib/rules/evaluate.h"

#include <re2/re2.h>

#include <algorithm>
#include <new>
#include <optional>
#include <span>
#include <tuple>
#include <unordered_set>

#include "lib/rules/mask.h"
#include "lib/rules/validators.h"

namespace seal::rules {
namespace {

// A pattern of a rule matched somewhere in one item.
struct Candidate {
  uint32_t rule;
  uint32_t scope;
  uint32_t item;
  uint32_t pattern;
  size_t length;  // bytes of the item that were scanned

  bool operator<(const Candidate& o) const {
    return std::tie(rule, scope, item, pattern) <
           std::tie(o.rule, o.scope, o.item, o.pattern);
  }
};

// What the engine concluded about one rule for the whole message.
struct RuleState {
  uint32_t rule = 0;
  bool fired = false;
  bool content = false;  // has patterns (and one of them matched)
  std::string why;       // message-level reason when !fired
  uint32_t count = 0;
  Scope scope = Scope::kSubject;
  std::string origin;
  std::string sample;
};

std::string_view View(const re2::StringPiece& sp) {
  return std::string_view(sp.data(), sp.size());
}

std::string Plural(size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

// Whether a headers item ("Name: value") is one of `names` (lower case).
bool HeaderListed(std::string_view item,
                  const std::vector<std::string>& names) {
  size_t colon = item.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view name = item.substr(0, colon);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) {
    name.remove_suffix(1);
  }
  for (const std::string& wanted : names) {
    if (wanted.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i) {
      char c = name[i];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      same = c == wanted[i];
    }
    if (same) return true;
  }
  return false;
}

// Re-runs one rule's patterns on the items its Set hits came from; fills the
// content part of `state`.
void Examine(const Rule& rule, std::span<const Candidate> candidates,
             const MessageText& text, const EngineOptions& options,
             RuleState& state) {
  std::unordered_set<std::string> distinct;
  size_t examined = 0;
  size_t rejected = 0;
  std::string rejected_sample;
  bool any_item = false;
  bool stopped_at_limit = false;
  bool done = false;
  re2::StringPiece groups[2];

  for (const Candidate& c : candidates) {
    if (done) break;
    const TextItem& item = text.items[c.scope][c.item];
    std::string_view t(item.text.data(), c.length);
    if (static_cast<Scope>(c.scope) == Scope::kHeaders &&
        !rule.headers.empty() && !HeaderListed(t, rule.headers)) {
      continue;
    }
    any_item = true;
    const re2::RE2& re = *rule.patterns[c.pattern].re;
    const int ngroups = re.NumberOfCapturingGroups() > 0 ? 2 : 1;
    const re2::StringPiece sp(t.data(), t.size());
    size_t pos = 0;
    while (!done && pos < t.size()) {
      if (!re.Match(sp, pos, t.size(), re2::RE2::UNANCHORED, groups, ngroups)) {
        break;
      }
      const re2::StringPiece& whole = groups[0];
      size_t end = static_cast<size_t>(whole.data() - sp.data()) + whole.size();
      if (whole.empty()) {  // empty matches never count
        pos = end + 1;
        continue;
      }
      pos = end;
      // The first group when it took part and is not empty, else the match.
      std::string_view value = View(whole);
      if (ngroups == 2 && !groups[1].empty()) value = View(groups[1]);
      ++examined;
      std::optional<std::string> canonical = Validate(rule.validator, value);
      if (canonical) {
        if (distinct.insert(std::move(*canonical)).second &&
            distinct.size() == 1) {
          state.scope = static_cast<Scope>(c.scope);
          state.origin = item.origin;
          state.sample = MaskSample(value);
        }
        if (distinct.size() >= rule.min_count) done = true;
      } else if (rejected++ == 0) {
        rejected_sample = MaskSample(value);
      }
      if (!done && examined >= options.max_matches_per_rule) {
        stopped_at_limit = true;
        done = true;
      }
    }
  }

  state.count = static_cast<uint32_t>(distinct.size());
  if (distinct.size() >= rule.min_count) {
    state.fired = true;
    return;
  }
  if (!any_item) {
    state.why = "the pattern matched only in headers not listed in 'headers'";
    return;
  }
  if (examined == 0) {
    state.why = "the pattern matched only empty text";
    return;
  }
  std::string why = "found " +
                    Plural(distinct.size(), "distinct valid match",
                           "distinct valid matches") +
                    ", min_count is " + std::to_string(rule.min_count);
  if (rejected > 0) {
    why += "; " + Plural(rejected, "match", "matches") + " failed the " +
           std::string(ValidatorName(rule.validator)) + " validator (e.g. '" +
           rejected_sample + "')";
  }
  if (stopped_at_limit) {
    why += "; stopped after " + std::to_string(examined) +
           " matches (max_matches_per_rule)";
  }
  state.why = std::move(why);
}

Result<Evaluation> EvaluateImpl(const CompiledRules& compiled,
                                const MessageText& text,
                                const EnvelopeContext& envelope) {
  const std::vector<Rule>& rules = compiled.rules();
  const EngineOptions& options = compiled.options();
  Evaluation ev;
  if (text.truncated) {
    ev.truncated = true;
    ev.notes.push_back(
        "the MIME scan cap cut the message text; the rest was not classified");
  }

  // 1. One matcher pass per scope over each item, within the byte cap.
  std::vector<Candidate> candidates;
  std::vector<int> hits;
  uint64_t budget = options.max_scan_bytes;
  bool out_of_budget = false;
  for (uint32_t s = 0; s < kScopeCount && !out_of_budget; ++s) {
    const Scope scope = static_cast<Scope>(s);
    const ScopeMatcher* matcher = compiled.matcher(scope);
    if (matcher == nullptr) continue;
    const std::vector<PatternRef>& refs = compiled.patterns(scope);
    const std::vector<TextItem>& items = text.at(scope);
    for (uint32_t i = 0; i < items.size(); ++i) {
      if (budget == 0) {
        out_of_budget = true;
        break;
      }
      const std::string& t = items[i].text;
      size_t length = t.size();
      if (length > budget) {
        length = static_cast<size_t>(budget);
        out_of_budget = true;
      }
      budget -= length;
      ev.bytes_scanned += length;
      Status status = matcher->Match(std::string_view(t.data(), length), hits);
      if (!status.ok()) {
        // Keep "cannot decide" at the front; add where it happened.
        return Status(status.code(), status.message() + " (scanning " +
                                         std::string(ScopeName(scope)) +
                                         " item '" + items[i].origin + "')");
      }
      for (int h : hits) {
        if (h < 0 || static_cast<size_t>(h) >= refs.size()) {
          return InternalError("cannot decide: the matcher of scope '" +
                               std::string(ScopeName(scope)) +
                               "' returned an unknown pattern index");
        }
        const PatternRef& ref = refs[static_cast<size_t>(h)];
        candidates.push_back(Candidate{ref.rule, s, i, ref.pattern, length});
      }
      if (out_of_budget) break;
    }
  }
  if (out_of_budget) {
    ev.truncated = true;
    ev.notes.push_back("scan cap of " + std::to_string(options.max_scan_bytes) +
                       " bytes reached; the rest of the text was not "
                       "classified");
  }

  // 2. Per rule: message-level conditions, then the candidate re-run.
  const std::string sender_domain = DomainOf(envelope.sender);
  std::sort(candidates.begin(), candidates.end());
  std::vector<RuleState> states;
  for (size_t begin = 0; begin < candidates.size();) {
    size_t end = begin;
    while (end < candidates.size() &&
           candidates[end].rule == candidates[begin].rule) {
      ++end;
    }
    RuleState state;
    state.rule = candidates[begin].rule;
    state.content = true;
    const Rule& rule = rules[state.rule];
    std::string why;
    if (!MessageConditionsMet(rule.when, envelope, sender_domain, &why)) {
      state.why = "a pattern matched, but " + why;
    } else {
      Examine(
          rule,
          std::span<const Candidate>(candidates.data() + begin, end - begin),
          text, options, state);
    }
    states.push_back(std::move(state));
    begin = end;
  }
  for (uint32_t r : compiled.condition_rules()) {
    if (!MessageConditionsMet(rules[r].when, envelope, sender_domain,
                              nullptr)) {
      continue;
    }
    RuleState state;
    state.rule = r;
    state.fired = true;
    states.push_back(std::move(state));
  }
  std::sort(
      states.begin(), states.end(),
      [](const RuleState& a, const RuleState& b) { return a.rule < b.rule; });

  // 3. Per recipient: recipient conditions, then precedence.
  std::vector<std::string> recipients = envelope.recipients;
  if (recipients.empty()) recipients.emplace_back();
  for (const std::string& recipient : recipients) {
    Decision d;
    d.recipient = recipient;
    const std::string domain = DomainOf(recipient);
    for (const RuleState& state : states) {
      const Rule& rule = rules[state.rule];
      if (!state.fired) {
        d.why_not.push_back(WhyNot{rule.id, state.why});
        continue;
      }
      std::string why;
      if (!RecipientConditionMet(rule.when, domain, &why)) {
        if (state.content) {
          d.why_not.push_back(WhyNot{rule.id, "the text matched, but " + why});
        }
        continue;
      }
      RuleHit hit;
      hit.rule_id = rule.id;
      hit.action = rule.action;
      hit.profile = rule.profile;
      hit.content = state.content;
      hit.scope = state.scope;
      hit.origin = state.origin;
      hit.sample = state.sample;
      hit.count = state.count;
      d.fired.push_back(std::move(hit));
    }
    Recombine(d, envelope.authenticated, envelope.sender_internal);
    ev.decisions.push_back(std::move(d));
  }
  return ev;
}

}  // namespace

namespace {

void RecombineImpl(Decision& d, const Action* ignored, bool authenticated,
                   bool sender_internal) {
  std::vector<FiredAction> fired;
  fired.reserve(d.fired.size());
  for (const RuleHit& h : d.fired) {
    if (ignored != nullptr && h.action == *ignored) continue;
    fired.push_back(FiredAction{h.rule_id, h.action, h.profile});
  }
  Outcome o = Combine(fired, authenticated, sender_internal);
  d.action = o.action;
  d.sign = o.sign;
  d.profile = std::move(o.profile);
  d.no_encrypt_honoured = o.no_encrypt_honoured;
  d.no_sign_honoured = o.no_sign_honoured;
  for (std::string& n : o.notes) {
    if (std::find(d.notes.begin(), d.notes.end(), n) == d.notes.end()) {
      d.notes.push_back(std::move(n));
    }
  }
}

}  // namespace

void Recombine(Decision& d, bool authenticated, bool sender_internal) {
  RecombineImpl(d, nullptr, authenticated, sender_internal);
}

void RecombineIgnoring(Decision& d, Action ignored, bool authenticated,
                       bool sender_internal) {
  RecombineImpl(d, &ignored, authenticated, sender_internal);
}

Result<Evaluation> Evaluate(const CompiledRules& rules, const MessageText& text,
                            const EnvelopeContext& envelope) {
  try {
    return EvaluateImpl(rules, text, envelope);
  } catch (const std::bad_alloc&) {
    return ResourceExhaustedError("cannot decide: out of memory");
  } catch (const std::exception& e) {
    return InternalError(std::string("cannot decide: ") + e.what());
  }
}

}  // namespace seal::rules
