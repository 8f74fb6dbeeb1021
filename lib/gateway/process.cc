// End-of-message processing: classify, decide, rewrite, log (see
// lib/gateway/process.h).
#include "lib/gateway/process.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>
#include <sstream>

#include "lib/crypto/already_encrypted.h"
#include "lib/crypto/mime_frame.h"
#include "lib/envelope/options.h"
#include "lib/envelope/sender_notices.h"
#include "lib/gateway/algorithm_choice.h"
#include "lib/gateway/direction.h"
#include "lib/gateway/failure_policy.h"
#include "lib/gateway/groups.h"
#include "lib/gateway/header_block.h"
#include "lib/gateway/inbound.h"
#include "lib/gateway/policy.h"
#include "lib/gateway/recipient_passphrases.h"
#include "lib/gateway/render.h"
#include "lib/gateway/rewrite.h"
#include "lib/gateway/signing.h"
#include "lib/mime/encoded_words.h"
#include "lib/mime/text_extractor.h"
#include "lib/rules/conditions.h"
#include "lib/rules/evaluate.h"
#include "lib/rules/precedence.h"

namespace seal::gateway {
namespace {

using rules::FinalAction;

// The field that tells the MTA to send a group over TLS only.
constexpr std::string_view kTlsField = "X-Seal-TLS";

// The rewritten body's spool: the message spool's directory and memory
// limit, and room for the growth of base64 and the envelope page.
SpoolOptions BodySpoolOptions(const SpoolOptions& message) {
  SpoolOptions o = message;
  o.max_size = message.max_size * 2 + (1 << 20);
  return o;
}

// The certificate for a recipient: personal, else the domain's; nullopt
// when there is none (or only one that does not parse). A store failure is
// an error: it says nothing about the certificates.
Result<std::optional<crypto::Certificate>> RecipientCertificate(
    store::Store& store, const std::string& recipient) {
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  Result<store::CertificateRecord> rec =
      store.BestCertificateFor(recipient, now);
  if (!rec.ok() && rec.status().code() == StatusCode::kNotFound) {
    rec = store.DomainCertificate(rules::DomainOf(recipient), now);
  }
  if (!rec.ok()) {
    if (rec.status().code() != StatusCode::kNotFound) return rec.status();
    return std::optional<crypto::Certificate>();
  }
  Result<crypto::Certificate> cert = crypto::Certificate::FromDer(rec->der);
  if (!cert.ok()) return std::optional<crypto::Certificate>();
  return std::optional<crypto::Certificate>(std::move(cert).value());
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
    raw_ = raw;
    parts_ = &parts;

    Result<MessageText> text =
        mime::ExtractMessageText(raw, policy_.mime_limits);
    if (!text.ok()) {
      if (mime::IsStructuralLimit(text.status())) {
        // A [mime] limit: retrying cannot help, so a clear reject.
        t_.log().Warning() << "cannot inspect: " << text.status().message();
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
    // --- inbound S/MIME (lib/gateway/inbound.h) ---
    if (ctx.direction == rules::Direction::kInbound) {
      InboundOutcome in =
          ProcessInbound(parts, env, config_, services_,
                         BodySpoolOptions(t_.spool().options()));
      for (const std::string& w : in.warnings) t_.log().Warning() << w;
      detail_ = in.detail;
      if (!in.verb.empty()) unchanged_verb_ = in.verb;
      plan = std::move(in.plan);
      if (in.final) {
        verb_ = in.verdict.kind == Verdict::Kind::kAccept ? "quarantined"
                                                          : "rejected";
        return in.verdict;
      }
    }
    if (ctx.direction == rules::Direction::kInternal) {
      InboundOutcome in = RemoveForgedVerdicts(parts, config_);
      for (const std::string& w : in.warnings) t_.log().Warning() << w;
      detail_ = in.detail;
      plan = std::move(in.plan);
    }
    // --- end inbound S/MIME ---
    Result<rules::Evaluation> eval =
        rules::Evaluate(*policy_.rules, *text, ctx);
    if (!eval.ok()) {
      // RE2 out of DFA memory and the like: cannot decide, so neither "no
      // match" nor a permanent refusal (Transaction::Fail would answer
      // kResourceExhausted with 552): always a tempfail.
      t_.log().Warning() << "classification: " << eval.status().ToString()
                         << "; answering 451 4.3.0";
      detail_ = "reason=cannot-decide";
      return Verdict::Tempfail(
          "Message content filter unavailable, try again later");
    }
    truncated_ = eval->truncated;
    if (rules::ApplyOnTruncated(policy_.on_truncated, ctx, *eval)) {
      notes_.insert("text not all classified: rules.on_truncated = " +
                    std::string(rules::OnTruncatedName(policy_.on_truncated)));
    }
    // Released by an administrator: each held recipient gets the treatment
    // its other rules ask for (precedence.h: a quarantine keeps how the
    // message would be treated), so a released message that must be
    // encrypted is encrypted, never delivered in clear.
    bool released = false;
    if (services_.quarantine_released) {
      for (rules::Decision& d : eval->decisions) {
        if (d.action != FinalAction::kQuarantine) continue;
        rules::RecombineIgnoring(d, rules::Action::kQuarantine,
                                 ctx.authenticated, ctx.sender_internal);
        released = true;
      }
    }

    bool reject = false, quarantine = false, sign = false;
    std::vector<std::string> must, may;
    // A must-encrypt rule that fired on the body or an attachment: the
    // text it read is there in clear, whatever the message claims to be.
    std::string read_in_clear;
    for (const rules::Decision& d : eval->decisions) {
      for (const rules::RuleHit& h : d.fired) rules_.insert(h.rule_id);
      for (const std::string& n : d.notes) notes_.insert(n);
      // An honoured opt-out is always logged with the login that made it
      // count (an ignored one has a note from the rule engine).
      for (const rules::RuleHit& h : d.fired) {
        const bool honoured =
            (h.action == rules::Action::kNoEncrypt && d.no_encrypt_honoured) ||
            (h.action == rules::Action::kNoSign && d.no_sign_honoured) ||
            (h.action == rules::Action::kPlain &&
             (d.no_encrypt_honoured || d.no_sign_honoured));
        if (honoured) {
          notes_.insert("opt-out rule '" + h.rule_id +
                        "' honoured: authenticated as '" + env.auth_authen +
                        "'");
        }
      }
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
          must_profiles_.insert(d.profile);
          for (const rules::RuleHit& h : d.fired) {
            if (h.action == rules::Action::kEncrypt && h.content &&
                (h.scope == Scope::kBody || h.scope == Scope::kAttachmentText ||
                 h.scope == Scope::kAttachmentName) &&
                read_in_clear.empty()) {
              read_in_clear = h.rule_id;
            }
          }
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
    // So does a routing field nobody but us may set.
    DeleteFields(
        parts,
        [](std::string_view name) {
          return envelope::IsOptionHeader(name) ||
                 crypto::EqualsIgnoreCase(name, kTlsField);
        },
        plan);

    if (reject) {
      verb_ = "rejected";
      return Verdict::Reject(
          "550", "5.7.1",
          "Message refused by content policy (" + Join(rules_) + ")");
    }
    // --- quarantine (lib/gateway/quarantine.h) ---
    if (released) notes_.insert("quarantine released by an administrator");
    if (quarantine) {
      Result<QuarantineMode> mode =
          ParseQuarantineMode(config_.gateway.quarantine);
      QuarantineTreatment q =
          TreatQuarantine(mode.ok() ? *mode : QuarantineMode::kStore,
                          services_.store, services_.store_error, raw, env,
                          QueueIdOfLogContext(t_.log().context()),
                          "content policy (" + Join(rules_) + ")", plan,
                          connection_.client_addr);
      if (!q.error.ok()) t_.log().Warning() << q.error.message();
      verb_ =
          q.verdict.kind == Verdict::Kind::kReject ? "rejected" : "quarantined";
      detail_ = q.detail;
      if (q.verdict.kind == Verdict::Kind::kDiscard) plan = EditPlan();
      // A held message gets no SMTP error the sender would see: tell them.
      // The rule ids stay in the log (they would teach a sender how to
      // slip past the policy).
      if (verb_ == "quarantined") {
        NotifySender(
            "It matched the organisation's content policy and was held "
            "for review.",
            /*held=*/true);
      }
      return q.verdict;
    }
    // --- end quarantine ---
    if (must.empty() && may.empty() && !sign) {
      verb_ = unchanged_verb_;
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
    if (existing.encrypted() && !read_in_clear.empty()) {
      // Labelled encrypted, yet the rules read its text: a fake or partly
      // clear container (a preamble, a non-CMS body under an S/MIME type)
      // is encrypted like any other message, never let through.
      notes_.insert("labelled " +
                    std::string(crypto::ExistingEncryptionName(existing.kind)) +
                    " but rule '" + read_in_clear +
                    "' read its text in clear: encrypted anyway");
    } else if (existing.encrypted()) {
      verb_ = unchanged_verb_;
      detail_ = "already_encrypted=" +
                std::string(crypto::ExistingEncryptionName(existing.kind));
      return Verdict::Accept();
    }
    if (!must.empty() && raw.size() > config_.gateway.max_encrypt_size) {
      return Failure(plan,
                     "the message is larger than "
                     "gateway.max_encrypt_size",
                     "it is larger than " +
                         std::to_string(config_.gateway.max_encrypt_size) +
                         " bytes, the most that is encrypted",
                     FailureCause::kOversize);
    }
    if (services_.store == nullptr && !must.empty()) {
      return Failure(plan,
                     "certificate store unavailable: " + services_.store_error,
                     "the certificate store is unavailable");
    }

    // Who gets what: a certificate for each recipient that wants
    // encryption, then the groups (groups.h).
    std::vector<RecipientFacts> facts;
    std::vector<std::optional<crypto::Certificate>> certs;
    std::vector<std::string_view> visible_values;
    for (const RawField& f : parts.fields) {
      for (std::string_view n : {"To", "Cc", "Resent-To", "Resent-Cc"}) {
        if (crypto::EqualsIgnoreCase(f.name, n))
          visible_values.push_back(f.value);
      }
    }
    std::vector<std::string> visible = VisibleAddresses(visible_values);
    bool store_failed = false;
    for (const rules::Decision& d : eval->decisions) {
      RecipientFacts f;
      f.address = d.recipient;
      f.action = d.action;
      f.sign = d.sign;
      f.visible = IsVisible(visible, d.recipient);
      f.tls = TlsFor(d.recipient);
      std::optional<crypto::Certificate> cert;
      bool wants = d.action == FinalAction::kEncrypt ||
                   d.action == FinalAction::kEncryptIfPossible;
      if (wants && services_.store != nullptr && !store_failed) {
        Result<std::optional<crypto::Certificate>> found =
            RecipientCertificate(*services_.store, d.recipient);
        if (found.ok()) {
          cert = std::move(found).value();
        } else if (!must.empty()) {
          return Failure(plan, "certificate store: " + found.status().message(),
                         "the certificate store is unavailable");
        } else {
          t_.log().Warning()
              << "certificate lookup failed: " << found.status().message();
          store_failed = true;
        }
      }
      f.has_certificate = cert.has_value();
      facts.push_back(std::move(f));
      certs.push_back(std::move(cert));
    }
    std::vector<Group> groups = GroupRecipients(facts);
    if (config_.envelope.passphrase == "per-recipient" && policy_.reinject) {
      SplitEnvelopeGroups(groups);  // one envelope, one slot per recipient
    }
    if (groups.size() > 1 && !policy_.reinject) {
      // Without a listener to re-inject into, one message must serve all:
      // S/MIME when everybody has a certificate, else it cannot be done.
      bool all_certs = std::all_of(
          facts.begin(), facts.end(),
          [](const RecipientFacts& f) { return f.has_certificate; });
      // Not with a Bcc recipient: its RecipientInfo would name it to
      // everybody else.
      bool any_bcc =
          std::any_of(facts.begin(), facts.end(),
                      [](const RecipientFacts& f) { return !f.visible; });
      if (all_certs && !any_bcc) {
        Group all{Method::kSmime, false, false, TlsLevel::kNone, {}, {}};
        for (size_t i = 0; i < facts.size(); ++i) {
          all.sign = all.sign || facts[i].sign;
          all.members.push_back(i);
          all.recipients.push_back(facts[i].address);
        }
        groups = {std::move(all)};
      } else if (!must.empty()) {
        return Failure(plan,
                       all_certs ? "a Bcc recipient needs a message of its "
                                   "own and gateway.reinject is not set"
                                 : "recipients need different treatments and "
                                   "gateway.reinject is not set",
                       all_certs ? "a Bcc recipient cannot be encrypted to "
                                   "without naming it to the others"
                                 : "there is no certificate for every "
                                   "recipient and no secure envelope can be "
                                   "sent");
      } else {
        verb_ = unchanged_verb_;
        detail_ = "note=no-certificate-for-every-recipient";
        return Verdict::Accept();
      }
    }

    // Each group's rewrite, built before anything is sent.
    SpoolOptions spool = BodySpoolOptions(t_.spool().options());
    std::vector<GroupPlan> built;
    for (const Group& g : groups) {
      Result<GroupPlan> gp = BuildGroup(raw, parts, g, facts, certs, spool);
      if (!gp.ok() && gp.status().code() == StatusCode::kUnavailable) {
        // The portal's keys or record store, or the personal passphrases'
        // store or master key: fail closed, try again later.
        plan = EditPlan();
        detail_ = IsPassphrasesUnavailable(gp.status())
                      ? "reason=passphrase-store-unavailable"
                      : "reason=portal-unavailable";
        return t_.Fail(gp.status(), "secure envelope");
      }
      if (!gp.ok()) {
        return Failure(
            plan, gp.status().message(),
            gp.status().code() == StatusCode::kFailedPrecondition
                ? "there is no certificate for a recipient and no secure "
                  "envelope can be made"
                : "it could not be encrypted");
      }
      built.push_back(std::move(gp).value());
    }
    // Each message we make must fit the MTA: checked before any is sent,
    // so nothing half-leaves (a re-injected group refused for its size
    // would tempfail at every retry).
    if (const uint64_t limit = config_.gateway.max_message_size; limit > 0) {
      for (size_t i = 0; i < groups.size(); ++i) {
        std::vector<HeaderEdit> edits = plan.headers;
        for (const HeaderEdit& h : built[i].plan.headers) edits.push_back(h);
        const uint64_t size = RenderHeaderBlock(parts, edits).size() +
                              (built[i].plan.body ? built[i].plan.body->size()
                                                  : parts.body.size());
        if (size > limit) {
          return Failure(plan,
                         "the " + GroupLabel(groups[i]) + " message is " +
                             std::to_string(size) +
                             " bytes, over gateway.max_message_size",
                         "encrypted, it would be larger than " +
                             std::to_string(limit) +
                             " bytes, the most the mail system takes",
                         FailureCause::kOversize);
        }
      }
    }

    // Every other group leaves first, as its own message; then this
    // transaction keeps the in-place group. Any failure tempfails it all.
    size_t in_place = PickInPlace(groups);
    std::string identity;
    std::vector<std::string> summary;
    for (size_t i = 0; i < groups.size(); ++i) {
      if (i == in_place) continue;
      if (identity.empty()) identity = MessageIdentity(parts);
      Result<bool> sent = Reinject(parts, groups[i], built[i], identity, plan);
      if (!sent.ok()) {
        plan = EditPlan();
        return t_.Fail(sent.status(), "reinjection");
      }
      summary.push_back(GroupLabel(groups[i]) + (*sent ? ">" : ">seen") +
                        built[i].envelope_id);
      for (const std::string& r : groups[i].recipients) {
        plan.delete_recipients.push_back(r);
      }
    }
    GroupPlan& mine = built[in_place];
    if (!mine.notice.empty()) {
      // The passphrase goes to the sender before the envelope leaves; if it
      // cannot, the whole message is tempfailed and nothing is sent.
      SmtpMessage notice{"", {t_.envelope().sender}, mine.notice, {}};
      if (Status s = SendSmtp(*policy_.reinject, notice); !s.ok()) {
        plan = EditPlan();
        return t_.Fail(s.WithContext("passphrase notice"), "reinjection");
      }
    }
    NotePassphraseUses(mine);
    Append(std::move(mine.plan), plan);

    bool encrypted = false, tls = false;
    for (const Group& g : groups) {
      encrypted |= g.method == Method::kSmime || g.method == Method::kEnvelope;
      tls |= g.method == Method::kTls;
    }
    bool any_signed = false;
    for (const GroupPlan& b : built) any_signed |= b.signed_;
    verb_ = encrypted    ? "encrypted"
            : tls        ? "sent to TLS"
            : any_signed ? "signed"
                         : unchanged_verb_;
    if (groups.size() == 1) {
      detail_ = mine.detail;
    } else {
      std::string reinjected;
      for (const std::string& s : summary) {
        reinjected += (reinjected.empty() ? "" : ",") + s;
      }
      detail_ = "inplace=" + GroupLabel(groups[in_place]) +
                " reinjected=" + reinjected;
    }
    return Verdict::Accept();
  }

  struct GroupPlan {
    EditPlan plan;            // the group's rewrite (option fields excluded)
    std::string notice;       // passphrase notice for the sender, or ""
    bool signed_ = false;     // the rewrite carries our signature
    std::string detail;       // key=value for the log
    std::string envelope_id;  // "(id)" of an envelope group, for the log
    // Recipients whose personal passphrase this envelope uses; their use
    // is noted once the notice (if any) has gone out.
    std::vector<std::string> passphrase_uses;
  };

  // After a group's notice went out (or it needed none).
  void NotePassphraseUses(const GroupPlan& built) {
    if (built.passphrase_uses.empty() || services_.store == nullptr) return;
    if (Status s = MarkAnnounced(*services_.store, built.passphrase_uses);
        !s.ok()) {
      t_.log().Warning() << "personal passphrase use not recorded: "
                         << s.message() << "; the sender may be told it again";
    }
  }

  // TLS instead of encryption for this recipient's domain.
  TlsLevel TlsFor(const std::string& recipient) const {
    const Config::Gateway& g = config_.gateway;
    std::string domain = rules::DomainOf(recipient);
    if (rules::DomainListMatches(g.tls_required, domain)) {
      return TlsLevel::kRequired;
    }
    if (rules::DomainListMatches(g.tls_preferred, domain)) {
      return TlsLevel::kPreferred;
    }
    return TlsLevel::kNone;
  }

  // "smime:2", "clear+sign:1", "envelope+bcc:1", "tls-required:1".
  static std::string GroupLabel(const Group& g) {
    std::string s(MethodName(g.method));
    if (g.method == Method::kTls) s += "-" + std::string(TlsLevelName(g.tls));
    if (g.sign) s += "+sign";
    if (g.bcc) s += "+bcc";
    return s + ":" + std::to_string(g.recipients.size());
  }

  Result<GroupPlan> BuildGroup(
      std::string_view raw, const MessageParts& parts, const Group& g,
      const std::vector<RecipientFacts>& facts,
      const std::vector<std::optional<crypto::Certificate>>& certs,
      const SpoolOptions& spool) {
    GroupPlan out;
    // The sender's signing key, issued by the built-in CA on first need
    // (signing.h). Without one the group goes unsigned, and the log says so.
    std::optional<ChosenSigner> signer;
    // Only clear and S/MIME groups are ever signed (groups.h).
    if (g.sign) {
      Result<ChosenSigner> s =
          SignerFor(t_.envelope().sender, services_, config_);
      if (s.ok()) {
        signer = std::move(s).value();
        if (!signer->note.empty()) notes_.insert(signer->note);
      } else {
        t_.log().Warning() << "signing: " << s.status().message()
                           << "; sent unsigned";
        out.detail = "note=unsigned";
      }
    }
    switch (g.method) {
      case Method::kClear:
        if (signer) {
          Result<EditPlan> signed_plan =
              RewriteSign(parts, signer->signer, spool);
          if (!signed_plan.ok()) {
            t_.log().Warning() << "signing: " << signed_plan.status().message()
                               << "; sent unsigned";
            out.detail = "note=unsigned";
            return out;
          }
          out.plan = std::move(signed_plan).value();
          out.signed_ = true;
          out.detail =
              "method=signed signer=" + signer->cert_sha256.substr(0, 16);
        }
        return out;
      case Method::kSmime: {
        std::vector<crypto::Certificate> group_certs;
        for (size_t m : g.members) group_certs.push_back(*certs[m]);
        SmimeAlgorithms algorithms =
            ChooseSmimeAlgorithms(g.recipients, group_certs, services_.store);
        for (const std::string& w : algorithms.warnings) {
          t_.log().Warning() << w;
        }
        Result<EditPlan> smime =
            signer ? RewriteSignEncrypt(parts, signer->signer,
                                        algorithms.recipients,
                                        algorithms.cipher, spool)
                   : RewriteSmime(parts, algorithms.recipients,
                                  algorithms.cipher, spool);
        if (!smime.ok()) {
          bool must =
              std::any_of(g.members.begin(), g.members.end(), [&](size_t m) {
                return facts[m].action == FinalAction::kEncrypt;
              });
          if (must) return smime.status();
          // Only encrypt-if-possible recipients: they get it in clear.
          t_.log().Warning()
              << "encrypt-if-possible: " << smime.status().message()
              << "; sent unencrypted";
          out.detail = "note=smime-failed";
          return out;
        }
        out.plan = std::move(smime).value();
        out.signed_ = signer.has_value();
        out.detail =
            "method=smime certs=" + std::to_string(group_certs.size()) +
            " cipher=" + algorithms.summary + (signer ? " signed=yes" : "");
        return out;
      }
      case Method::kTls:
        // The content goes as it is; the MTA routes the group to a
        // transport that refuses to send it without TLS.
        out.plan.headers.push_back(
            HeaderEdit{HeaderEdit::Kind::kAdd, std::string(kTlsField), 1,
                       std::string(TlsLevelName(g.tls))});
        out.detail = "method=tls level=" + std::string(TlsLevelName(g.tls));
        return out;
      case Method::kEnvelope: {
        if (!policy_.reinject) {
          return FailedPreconditionError(
              "no certificate for every recipient, and no secure envelope "
              "without gateway.reinject");
        }
        const Envelope& env = t_.envelope();
        EnvelopeParams params;
        params.sender = env.sender;
        params.recipients = g.recipients;
        params.notice_from = config_.gateway.notice_from;
        params.store = services_.store;
        params.store_error = services_.store_error;
        params.passphrase_vault = services_.passphrases;
        params.passphrase_error = services_.key_error;
        params.notice_refusal = NoticeRefusal(config_, env.sender);
        Result<EnvelopeRewrite> envelope =
            RewriteEnvelope(raw, parts, params, config_, policy_, spool);
        if (!envelope.ok()) return envelope.status();
        out.plan = std::move(envelope->plan);
        out.notice = std::move(envelope->passphrase_notice);
        out.detail = "method=envelope id=" + envelope->envelope_id;
        if (!envelope->portal_key_id.empty()) {
          out.detail += " portal_key=" + envelope->portal_key_id;
        }
        out.envelope_id = "(" + envelope->envelope_id + ")";
        out.passphrase_uses = std::move(envelope->passphrase_uses);
        return out;
      }
    }
    return InternalError("unknown treatment");
  }

  // Sends one group as its own message to gateway.reinject (its notice
  // first), unless the journal says a previous attempt already did.
  // Returns true when sent now, false when it had been sent before.
  Result<bool> Reinject(const MessageParts& parts, const Group& g,
                        GroupPlan& built, const std::string& identity,
                        const EditPlan& base) {
    const Envelope& env = t_.envelope();
    std::string key =
        GroupKey(identity, env.sender, GroupLabel(g), g.recipients);
    if (services_.journal != nullptr && services_.journal->Contains(key)) {
      NotePassphraseUses(built);  // its notice went out the first time
      return false;
    }
    if (!built.notice.empty()) {
      SmtpMessage notice{"", {env.sender}, built.notice, {}};
      SEAL_RETURN_IF_ERROR(
          SendSmtp(*policy_.reinject, notice).WithContext("passphrase notice"));
    }
    NotePassphraseUses(built);
    std::vector<HeaderEdit> edits = base.headers;  // the option fields
    for (const HeaderEdit& h : built.plan.headers) edits.push_back(h);
    std::string head = RenderHeaderBlock(parts, edits);
    std::optional<SpoolView> new_body;
    std::string_view body = parts.body;
    if (built.plan.body) {
      Result<SpoolView> v = built.plan.body->Map();
      if (!v.ok()) return v.status();
      new_body = std::move(v).value();
      body = new_body->data();
    }
    SmtpMessage m{env.sender, g.recipients, head, {body}};
    SEAL_RETURN_IF_ERROR(SendSmtp(*policy_.reinject, m)
                             .WithContext("re-injecting " + GroupLabel(g)));
    if (services_.journal != nullptr) {
      if (Status s = services_.journal->Record(key); !s.ok()) {
        t_.log().Warning() << s.message()
                           << "; a retry may deliver this group again";
      }
    }
    return true;
  }

  static void Append(EditPlan from, EditPlan& to) {
    for (HeaderEdit& h : from.headers) to.headers.push_back(std::move(h));
    to.body = std::move(from.body);
  }

  // Mail that must be encrypted and cannot be: the failure policy
  // (failure_policy.h). `reason` is for the log, `public_reason` for the
  // SMTP reply and the sender's notice (no paths or internal errors).
  Verdict Failure(EditPlan& plan, const std::string& reason,
                  const std::string& public_reason,
                  FailureCause cause = FailureCause::kGeneral) {
    plan = EditPlan();  // nothing of a half-made rewrite is applied
    FailureAction action =
        ChooseFailureAction(policy_.failure, must_profiles_, cause);
    // A released message that still cannot be encrypted is not held again:
    // the release fails and the record stays.
    if (action == FailureAction::kQuarantine && services_.quarantine_released) {
      action = FailureAction::kTempfail;
    }
    detail_ = "reason=cannot-encrypt";
    t_.log().Warning() << "message must be encrypted but cannot be: " << reason
                       << "; " << FailureActionName(action);
    Verdict verdict = Verdict::Tempfail(
        "Message must be encrypted and cannot be now, try again later", "451",
        "4.7.0");
    verb_ = "tempfailed";
    if (action == FailureAction::kReject) {
      verb_ = "rejected";
      verdict =
          cause == FailureCause::kOversize
              ? Verdict::Reject(
                    "552", "5.3.4",
                    "Message too big to be encrypted: " + public_reason)
              : Verdict::Reject("550", "5.7.1",
                                "Message must be encrypted and cannot be: " +
                                    public_reason);
    } else if (action == FailureAction::kQuarantine) {
      Result<QuarantineMode> mode =
          ParseQuarantineMode(config_.gateway.quarantine);
      QuarantineTreatment q = TreatQuarantine(
          mode.ok() ? *mode : QuarantineMode::kStore, services_.store,
          services_.store_error, raw_, t_.envelope(),
          QueueIdOfLogContext(t_.log().context()),
          "cannot encrypt: " + public_reason, plan, connection_.client_addr);
      if (!q.error.ok()) t_.log().Warning() << q.error.message();
      detail_ += " " + q.detail;
      if (q.verdict.kind == Verdict::Kind::kDiscard) plan = EditPlan();
      verdict = q.verdict;
      verb_ = q.verdict.kind == Verdict::Kind::kReject     ? "rejected"
              : q.verdict.kind == Verdict::Kind::kTempfail ? "tempfailed"
                                                           : "quarantined";
    }
    if (verb_ != "tempfailed") {
      NotifySender("The message was " + verb_ + ": it must be encrypted, and " +
                   public_reason + ".");
    }
    return verdict;
  }

  // Tells an internal sender that the message was rejected or held, and
  // why in `sentence` (gateway.failure_notice); a notice that cannot be
  // sent is only logged.
  void NotifySender(const std::string& sentence, bool held = false) {
    const Envelope& env = t_.envelope();
    if (!config_.gateway.failure_notice || !policy_.reinject ||
        env.sender.empty() || direction_ == "inbound") {
      return;
    }
    envelope::FailureNoticeRequest r;
    std::string domain = rules::DomainOf(env.sender);
    r.addressing.locale = config_.envelope.locale;
    r.addressing.from = config_.gateway.notice_from.empty()
                            ? "postmaster@" + domain
                            : config_.gateway.notice_from;
    r.addressing.to = env.sender;
    r.addressing.message_id_domain = domain.empty() ? "localhost" : domain;
    r.recipients = env.recipients;
    if (const RawField* f = FindField(*parts_, "Subject")) {
      // As people read it: the notice template encodes it again.
      mime::CharsetConverter conv;
      mime::TextIssues issues;
      r.subject = mime::DecodeEncodedWords(f->value, conv, issues);
    }
    r.reason = sentence;
    r.held = held;
    Result<std::string> text =
        envelope::BuildFailureNotice(*policy_.templates, r);
    if (!text.ok()) {
      t_.log().Warning() << "failure notice: " << text.status().message();
      return;
    }
    SmtpMessage notice{"", {env.sender}, *text, {}};
    if (Status s = SendSmtp(*policy_.reinject, notice); !s.ok()) {
      t_.log().Warning() << "failure notice not sent: " << s.message();
      return;
    }
    notes_.insert("failure notice sent to the sender");
  }

  void Log(const Outcome& out) {
    auto m = t_.log().Info();
    // "VERB: size= rcpts= spilled= direction= rules= [detail] [eom=] time=":
    // the first three fields keep the foundation's form (tools parse them).
    std::string verb = verb_;
    if (out.verdict.kind == Verdict::Kind::kTempfail) verb = "tempfailed";
    m << verb << ": size=" << t_.spool().size()
      << " rcpts=" << t_.envelope().recipients.size()
      << " spilled=" << (t_.spool().spilled() ? "yes" : "no")
      << " direction=" << direction_ << " rules=" << Join(rules_);
    if (!detail_.empty()) m << " " << detail_;
    if (out.plan.body) m << " new_size=" << out.plan.body->size();
    if (truncated_) m << " truncated=yes";
    // eom= is the milter's own work on the spooled message; time= runs
    // from MAIL FROM and includes the transfer.
    m << t_.TimingFields();
    for (const std::string& n : notes_) t_.log().Notice() << "note: " << n;
  }

  Transaction& t_;
  const ConnectionInfo& connection_;
  const Services& services_;
  const Config& config_;
  const Policy& policy_;
  std::string direction_ = "unknown";
  std::string verb_ = "tempfailed";      // what happened, first in the line
  std::string_view raw_;                 // the message, during Decide
  const MessageParts* parts_ = nullptr;  // its parts, during Decide
  std::set<std::string> must_profiles_;  // profiles of must-encrypt rules
  // The verb when the outbound steps change nothing: "passed unchanged", or
  // what the inbound steps did ("decrypted", "verified").
  std::string unchanged_verb_ = "passed unchanged";
  std::string detail_;  // key=value details, may be ""
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
