// End-of-message processing: classify, decide, rewrite, log (see
// lib/gateway/process.h).
#include "lib/gateway/process.h"

#include <chrono>
#include <optional>
#include <set>
#include <sstream>

#include "lib/crypto/already_encrypted.h"
#include "lib/envelope/options.h"
#include "lib/gateway/direction.h"
#include "lib/gateway/header_block.h"
#include "lib/gateway/policy.h"
#include "lib/gateway/rewrite.h"
#include "lib/mime/text_extractor.h"
#include "lib/rules/evaluate.h"

namespace seal::gateway {
namespace {

using rules::FinalAction;

// The rewritten body's spool: the message spool's directory and memory
// limit, and room for the growth of base64 and the envelope page.
SpoolOptions BodySpoolOptions(const SpoolOptions& message) {
  SpoolOptions o = message;
  o.max_size = message.max_size * 2 + (1 << 20);
  return o;
}

// The certificate of every recipient (personal, else the domain's), or
// nullopt when some recipient has none (or only one that does not parse).
// A store failure is an error: it says nothing about the certificates.
Result<std::optional<std::vector<crypto::Certificate>>> RecipientCertificates(
    store::Store& store, const std::vector<std::string>& recipients) {
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  std::vector<crypto::Certificate> certs;
  for (const std::string& r : recipients) {
    Result<store::CertificateRecord> rec = store.BestCertificateFor(r, now);
    if (!rec.ok() && rec.status().code() == StatusCode::kNotFound) {
      rec = store.DomainCertificate(rules::DomainOf(r), now);
    }
    if (!rec.ok()) {
      if (rec.status().code() != StatusCode::kNotFound) return rec.status();
      return std::optional<std::vector<crypto::Certificate>>();
    }
    Result<crypto::Certificate> cert = crypto::Certificate::FromDer(rec->der);
    if (!cert.ok()) return std::optional<std::vector<crypto::Certificate>>();
    certs.push_back(std::move(cert).value());
  }
  return std::optional<std::vector<crypto::Certificate>>(std::move(certs));
}

std::string Join(const std::set<std::string>& items) {
  std::string out;
  for (const std::string& s : items) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out.empty() ? "-" : out;
}

class Processor {
 public:
  Processor(Transaction& t, const ConnectionInfo& c, const Services& s)
      : t_(t),
        connection_(c),
        services_(s),
        config_(t.snapshot().config),
        policy_(*t.snapshot().policy) {}

  Outcome Run() {
    Outcome out;
    out.verdict = Decide(out.plan);
    Log(out);
    return out;
  }

 private:
  Verdict Decide(EditPlan& plan) {
    Result<SpoolView> view = t_.spool().Map();
    if (!view.ok()) return t_.Fail(view.status(), "end of message");
    std::string_view raw = view->data();
    MessageParts parts = SplitMessage(raw);

    Result<MessageText> text = mime::ExtractMessageText(raw);
    if (!text.ok()) {
      if (text.status().code() == StatusCode::kResourceExhausted) {
        verb_ = "rejected";
        detail_ = "reason=structure-too-complex";
        return Verdict::Reject("554", "5.6.0",
                               "Message structure too complex for content "
                               "inspection");
      }
      return t_.Fail(text.status(), "classification");
    }
    const Envelope& env = t_.envelope();
    mime::AddEnvelopeSender(*text, env.sender);
    for (const std::string& r : env.recipients) {
      mime::AddEnvelopeRecipient(*text, r);
    }
    rules::EnvelopeContext ctx =
        MakeEnvelopeContext(config_, policy_, env, connection_);
    direction_ = std::string(rules::DirectionName(ctx.direction));
    Result<rules::Evaluation> eval =
        rules::Evaluate(*policy_.rules, *text, ctx);
    if (!eval.ok()) {
      // RE2 out of memory and the like: cannot decide, never "no match".
      return t_.Fail(eval.status(), "classification");
    }
    truncated_ = eval->truncated;

    bool reject = false, quarantine = false, sign = false;
    std::vector<std::string> must, may;
    for (const rules::Decision& d : eval->decisions) {
      for (const rules::RuleHit& h : d.fired) rules_.insert(h.rule_id);
      for (const std::string& n : d.notes) notes_.insert(n);
      sign = sign || d.sign;
      switch (d.action) {
        case FinalAction::kReject:
          reject = true;
          break;
        case FinalAction::kQuarantine:
          quarantine = true;
          break;
        case FinalAction::kEncrypt:
          must.push_back(d.recipient);
          break;
        case FinalAction::kEncryptIfPossible:
          may.push_back(d.recipient);
          break;
        case FinalAction::kSign:
        case FinalAction::kNone:
          break;
      }
    }
    // The sender's option headers never leave, whatever happens next.
    DeleteFields(parts, envelope::IsOptionHeader, plan);

    if (reject) {
      verb_ = "rejected";
      return Verdict::Reject(
          "550", "5.7.1",
          "Message refused by content policy (" + Join(rules_) + ")");
    }
    if (quarantine) {
      verb_ = "quarantined";
      plan.quarantine = "sealmilter: content policy (" + Join(rules_) + ")";
      return Verdict::Accept();
    }
    if (must.empty() && may.empty()) {
      verb_ = "passed unchanged";
      if (sign) detail_ = "note=signing-not-available";
      return Verdict::Accept();
    }

    crypto::EntityRef top;
    if (const RawField* f = FindField(parts, "Content-Type")) {
      top.content_type = f->value;
    }
    if (const RawField* f = FindField(parts, "Content-Transfer-Encoding")) {
      top.transfer_encoding = f->value;
    }
    top.body = parts.body;
    crypto::EncryptionCheck existing = crypto::DetectExistingEncryption(top);
    if (existing.encrypted()) {
      verb_ = "passed unchanged";
      detail_ = "already_encrypted=" +
                std::string(crypto::ExistingEncryptionName(existing.kind));
      return Verdict::Accept();
    }
    if (!must.empty() && raw.size() > config_.gateway.max_encrypt_size) {
      return Failure(plan,
                     "the message is larger than "
                     "gateway.max_encrypt_size");
    }

    if (services_.store == nullptr && !must.empty()) {
      return Failure(plan,
                     "certificate store unavailable: " + services_.store_error);
    }
    std::optional<std::vector<crypto::Certificate>> certs;
    if (services_.store != nullptr) {
      Result<std::optional<std::vector<crypto::Certificate>>> found =
          RecipientCertificates(*services_.store, env.recipients);
      if (found.ok()) {
        certs = std::move(found).value();
      } else if (!must.empty()) {
        return Failure(plan, "certificate store: " + found.status().message());
      } else {
        t_.log().Warning() << "certificate lookup failed: "
                           << found.status().message();
      }
    }

    SpoolOptions spool = BodySpoolOptions(t_.spool().options());
    if (certs && !certs->empty()) {
      Result<EditPlan> smime = RewriteSmime(parts, *certs, spool);
      if (!smime.ok()) {
        if (must.empty()) {
          t_.log().Warning()
              << "encrypt-if-possible: " << smime.status().message()
              << "; message left unchanged";
          verb_ = "passed unchanged";
          detail_ = "note=smime-failed";
          return Verdict::Accept();
        }
        return Failure(plan, smime.status().message());
      }
      Append(std::move(smime).value(), plan);
      verb_ = "encrypted";
      detail_ = "method=smime certs=" + std::to_string(certs->size());
      return Verdict::Accept();
    }
    if (must.empty()) {
      verb_ = "passed unchanged";
      detail_ = "note=no-certificate-for-every-recipient";
      return Verdict::Accept();
    }
    if (!policy_.reinject) {
      return Failure(plan,
                     "no certificate for every recipient, and no secure "
                     "envelope without gateway.reinject");
    }
    EnvelopeParams params{env.sender, env.recipients,
                          config_.gateway.notice_from};
    Result<EnvelopeRewrite> envelope =
        RewriteEnvelope(raw, parts, params, config_, policy_, spool);
    if (!envelope.ok()) return Failure(plan, envelope.status().message());
    // The passphrase goes to the sender before the envelope leaves; if it
    // cannot, the whole message is tempfailed and nothing is sent.
    SmtpMessage notice{"", {env.sender}, envelope->passphrase_notice};
    if (Status s = SendSmtp(*policy_.reinject, notice); !s.ok()) {
      return t_.Fail(s.WithContext("passphrase notice"), "reinjection");
    }
    Append(std::move(envelope->plan), plan);
    verb_ = "encrypted";
    detail_ = "method=envelope id=" + envelope->envelope_id;
    return Verdict::Accept();
  }

  static void Append(EditPlan from, EditPlan& to) {
    for (HeaderEdit& h : from.headers) to.headers.push_back(std::move(h));
    to.body = std::move(from.body);
  }

  Verdict Failure(EditPlan& plan, const std::string& reason) {
    plan = EditPlan();  // nothing of a half-made rewrite is applied
    bool reject = config_.gateway.on_failure == "reject";
    verb_ = reject ? "rejected" : "tempfailed";
    detail_ = "reason=cannot-encrypt";
    t_.log().Warning() << "message must be encrypted but cannot be: " << reason;
    if (reject) {
      return Verdict::Reject("550", "5.7.1",
                             "Message must be encrypted and cannot be");
    }
    return Verdict::Tempfail(
        "Message must be encrypted and cannot be now, try again later", "451",
        "4.7.0");
  }

  void Log(const Outcome& out) {
    auto us = t_.elapsed().count();
    auto m = t_.log().Info();
    // "VERB: size= rcpts= spilled= direction= rules= [detail] time=": the
    // first three fields keep the foundation's form (tools parse them).
    std::string verb = verb_;
    if (out.verdict.kind == Verdict::Kind::kTempfail) verb = "tempfailed";
    m << verb << ": size=" << t_.spool().size()
      << " rcpts=" << t_.envelope().recipients.size()
      << " spilled=" << (t_.spool().spilled() ? "yes" : "no")
      << " direction=" << direction_ << " rules=" << Join(rules_);
    if (!detail_.empty()) m << " " << detail_;
    if (out.plan.body) m << " new_size=" << out.plan.body->size();
    if (truncated_) m << " truncated=yes";
    m << " time=" << us / 1000 << "." << (us % 1000) / 100 << "ms";
    for (const std::string& n : notes_) t_.log().Notice() << "note: " << n;
  }

  Transaction& t_;
  const ConnectionInfo& connection_;
  const Services& services_;
  const Config& config_;
  const Policy& policy_;
  std::string direction_ = "unknown";
  std::string verb_ = "tempfailed";  // what happened, first in the line
  std::string detail_;               // key=value details, may be ""
  std::set<std::string> rules_;
  std::set<std::string> notes_;
  bool truncated_ = false;
};

}  // namespace

Outcome ProcessMessage(Transaction& t, const ConnectionInfo& connection,
                       const Services& services) {
  if (t.snapshot().policy == nullptr) return Outcome{t.End(), EditPlan()};
  try {
    return Processor(t, connection, services).Run();
  } catch (const std::exception& e) {
    return Outcome{
        t.Fail(InternalError(std::string("unexpected exception: ") + e.what()),
               "end of message"),
        EditPlan()};
  }
}

}  // namespace seal::gateway
