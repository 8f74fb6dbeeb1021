// S/MIME and secure-envelope rewrites (see lib/gateway/rewrite.h).
#include "lib/gateway/rewrite.h"

#include "lib/crypto/byte_io.h"
#include "lib/crypto/canonical.h"
#include "lib/crypto/encrypt.h"
#include "lib/envelope/envelope_writer.h"
#include "lib/envelope/notification.h"
#include "lib/envelope/options.h"
#include "lib/envelope/passphrase.h"
#include "lib/envelope/portal_key.h"
#include "lib/envelope/sender_notices.h"
#include "lib/gateway/recipient_passphrases.h"
#include "lib/mime/charset.h"
#include "lib/mime/encoded_words.h"
#include "lib/rules/conditions.h"

namespace seal::gateway {
namespace {

// Sets `name` to `value`: changes its first occurrence and deletes the
// others, or adds it when the message has none.
void SetField(const MessageParts& m, std::string_view name,
              const std::string& value, EditPlan& plan) {
  int count = 0;
  for (const RawField& f : m.fields) {
    if (crypto::EqualsIgnoreCase(f.name, name)) ++count;
  }
  for (int i = count; i >= 2; --i) {
    plan.headers.push_back(
        HeaderEdit{HeaderEdit::Kind::kDelete, std::string(name), i, ""});
  }
  plan.headers.push_back(
      HeaderEdit{count > 0 ? HeaderEdit::Kind::kChange : HeaderEdit::Kind::kAdd,
                 std::string(name), 1, value});
}

std::unique_ptr<Spool> NewBodySpool(const SpoolOptions& options) {
  return std::make_unique<Spool>(options);
}

// The original message as it goes into the envelope: every byte of `raw`
// except the sender's option fields (they are instructions to us, not part
// of the message). Views into `raw`; `raw` must outlive the source.
envelope::MessageSource WithoutOptionFields(std::string_view raw,
                                            const MessageParts& m) {
  std::vector<std::string_view> pieces;
  size_t pos = 0;  // raw[0, pos) is handled
  for (const RawField& f : m.fields) {
    size_t at = static_cast<size_t>(f.raw.data() - raw.data());
    if (envelope::IsOptionHeader(f.name)) {
      pieces.push_back(raw.substr(pos, at - pos));
      pos = at + f.raw.size();
    }
  }
  pieces.push_back(raw.substr(pos));
  envelope::MessageSource source;
  for (std::string_view p : pieces) source.size += p.size();
  source.write = [pieces](const envelope::Sink& sink) -> Status {
    for (std::string_view p : pieces) {
      if (!p.empty()) SEAL_RETURN_IF_ERROR(sink(p));
    }
    return Status::Ok();
  };
  return source;
}

// A header value as people read it (RFC 2047 decoded, UTF-8).
std::string Readable(std::string_view value) {
  mime::CharsetConverter conv;
  mime::TextIssues issues;
  return mime::DecodeEncodedWords(value, conv, issues);
}

}  // namespace

Result<EditPlan> RewriteSmime(const MessageParts& message,
                              const std::vector<crypto::Certificate>& certs,
                              const SpoolOptions& spool) {
  std::vector<crypto::EncryptRecipient> recipients;
  for (const crypto::Certificate& c : certs) recipients.push_back({c, {}});
  return RewriteSmime(message, recipients, crypto::EncryptOptions{}.cipher,
                      spool);
}

Result<EditPlan> RewriteSmime(
    const MessageParts& message,
    const std::vector<crypto::EncryptRecipient>& recipients,
    crypto::ContentCipher cipher, const SpoolOptions& spool) {
  // The inner entity: the content fields exactly as received, the empty
  // line, the body. Views only.
  std::vector<std::string_view> pieces;
  for (const RawField& f : message.fields) {
    if (IsContentField(f.name)) pieces.push_back(f.raw);
  }
  pieces.push_back("\r\n");
  pieces.push_back(message.body);
  crypto::ByteSource entity(std::move(pieces));

  crypto::EncryptOptions options;
  options.cipher = cipher;
  options.emit_headers = false;
  EditPlan plan;
  plan.body = NewBodySpool(spool);
  // The plaintext in canonical form (RFC 8551 3.1.1): bare LF becomes CRLF
  // as it streams into the encryption.
  Result<std::vector<crypto::HeaderField>> headers =
      [&]() -> Result<std::vector<crypto::HeaderField>> {
    Result<std::unique_ptr<crypto::EnvelopeWriter>> writer =
        crypto::EnvelopeWriter::Begin(recipients, options,
                                      crypto::SpoolSink(plan.body.get()));
    if (!writer.ok()) return writer.status();
    crypto::CrlfCanonicalizer canonical((*writer)->AsSink());
    SEAL_RETURN_IF_ERROR(entity.ForEachChunk(
        [&](std::string_view chunk) { return canonical.Write(chunk); }));
    SEAL_RETURN_IF_ERROR(canonical.Finish());
    SEAL_RETURN_IF_ERROR((*writer)->Finish());
    return (*writer)->headers();
  }();
  if (!headers.ok()) return headers.status().WithContext("S/MIME encryption");

  DeleteFields(message, IsContentField, plan);
  if (FindField(message, "MIME-Version") == nullptr) {
    plan.headers.push_back(
        HeaderEdit{HeaderEdit::Kind::kAdd, "MIME-Version", 1, "1.0"});
  }
  for (const crypto::HeaderField& h : *headers) {
    plan.headers.push_back(
        HeaderEdit{HeaderEdit::Kind::kAdd, h.name, 1, h.value});
  }
  return plan;
}

envelope::OptionPolicy OptionPolicyFor(const Config& config) {
  envelope::OptionPolicy p;
  const Config::Envelope& e = config.envelope;
  p.sender_may_override = e.sender_options;
  p.defaults.reply = e.reply;
  p.defaults.reply_all = e.reply_all;
  p.defaults.forward = e.forward;
  p.defaults.read_receipt = e.read_receipt;
  p.defaults.js_free = e.js_free;
  if (e.expires_seconds > 0) {
    p.defaults.expires_after = std::chrono::seconds(e.expires_seconds);
  } else {
    p.defaults.expires_after = std::nullopt;
  }
  return p;
}

std::string NoticeRefusal(const Config& config, const std::string& sender) {
  if (sender.empty()) return "the envelope sender is empty";
  const std::vector<std::string>& ours = config.gateway.internal_domains;
  if (!ours.empty() &&
      !rules::DomainListMatches(ours, rules::DomainOf(sender))) {
    return "the sender <" + sender +
           "> is not in gateway.internal_domains, and the notice would "
           "leave in clear";
  }
  return "";
}

Result<EnvelopeRewrite> RewriteEnvelope(std::string_view raw,
                                        const MessageParts& message,
                                        const EnvelopeParams& params,
                                        const Config& config,
                                        const Policy& policy,
                                        const SpoolOptions& spool) {
  if (params.sender.empty()) {
    return FailedPreconditionError(
        "a message with the null sender cannot get a secure envelope (nobody "
        "would receive the passphrase)");
  }
  const envelope::EnvelopeTemplates& templates = *policy.templates;
  std::string locale = config.envelope.locale;

  // The portal: its slot and record, or nothing at all (fail closed).
  const bool portal = !config.portal.url.empty();
  std::optional<envelope::PortalSlotSpec> portal_slot;
  store::EnvelopeSecurity security = store::EnvelopeSecurity::kMedium;
  if (portal) {
    if (policy.portal_keys == nullptr) {
      return UnavailableError("portal keys unavailable (" +
                              (policy.portal_key_error.empty()
                                   ? std::string("not loaded")
                                   : policy.portal_key_error) +
                              "); no envelope without its portal slot");
    }
    if (params.store == nullptr) {
      return UnavailableError(
          "store unavailable, the envelope cannot be recorded for the "
          "portal" +
          (params.store_error.empty() ? "" : ": " + params.store_error));
    }
    Result<store::EnvelopeSecurity> parsed =
        store::ParseEnvelopeSecurity(config.portal.security);
    if (!parsed.ok()) return parsed.status().WithContext("portal.security");
    security = *parsed;
    const envelope::PortalKey& current = policy.portal_keys->current();
    portal_slot = envelope::PortalSlotSpec{current.key_id, current.key};
  }

  // Options: policy defaults, then the sender's option headers.
  envelope::OptionPolicy option_policy = OptionPolicyFor(config);
  std::vector<envelope::HeaderField> option_headers;
  for (const RawField& f : message.fields) {
    if (envelope::IsOptionHeader(f.name)) {
      option_headers.push_back({std::string(f.name), f.value});
    }
  }
  Result<envelope::EnvelopeOptions> options =
      envelope::ParseOptionHeaders(option_headers, option_policy);
  if (!options.ok()) return options.status().WithContext("option headers");

  if (options->js_free && !portal) {
    return FailedPreconditionError(
        "the sender asked for a JS-free envelope, which opens online only, "
        "and portal.url is not set");
  }
  // The JS-free variant opens online only: no passphrase slot, no notice.
  const bool with_passphrase = !options->js_free;

  envelope::TimePoint now = std::chrono::time_point_cast<std::chrono::seconds>(
      envelope::Clock::now());
  envelope::EnvelopeRequest request;
  request.sender_address = params.sender;
  request.locale = locale;
  request.options = *options;
  request.now = now;
  std::string passphrase;  // per-message: the one generated passphrase
  std::vector<RecipientPassphrase> personal;  // per-recipient
  const bool per_recipient =
      with_passphrase && config.envelope.passphrase == "per-recipient";
  if (per_recipient) {
    if (params.store == nullptr || params.passphrase_vault == nullptr) {
      std::string why = !params.passphrase_error.empty()
                            ? params.passphrase_error
                        : !params.store_error.empty() ? params.store_error
                                                      : "not configured";
      return PassphrasesUnavailable(
          "envelope.passphrase = per-recipient needs the store and its "
          "master key: " +
          why);
    }
    Result<std::vector<RecipientPassphrase>> found =
        RecipientPassphrases(*params.store, *params.passphrase_vault,
                             params.recipients, params.created_by);
    if (!found.ok()) return found.status();
    personal = std::move(found).value();
    for (const RecipientPassphrase& p : personal) {
      request.passphrases.push_back(p.slot);
    }
  } else if (with_passphrase) {
    Result<std::string> made = envelope::GeneratePassphrase();
    if (!made.ok()) return made.status();
    passphrase = std::move(made).value();
    request.passphrases.emplace_back();
    request.passphrases.back().passphrase = passphrase;
    request.passphrases.back().generated = true;
  }
  size_t announced = 0;
  for (const RecipientPassphrase& p : personal) announced += p.announce;
  const bool needs_notice =
      with_passphrase && !(per_recipient && announced == 0);
  if (needs_notice && !params.notice_refusal.empty()) {
    return FailedPreconditionError("no passphrase notice possible: " +
                                   params.notice_refusal);
  }
  if (portal) {
    request.portal_url = config.portal.url;
    request.portal = portal_slot;
  }

  std::optional<envelope::TimePoint> expires;
  if (options->expires_after) expires = now + *options->expires_after;

  const RawField* subject = FindField(message, "Subject");
  envelope::NotificationRequest note;
  note.locale = locale;
  note.sender_address = params.sender;
  if (params.recipients.size() == 1) note.recipient = params.recipients[0];
  if (config.envelope.subject_in_notification && subject != nullptr) {
    note.subject = Readable(subject->value);
  }
  if (per_recipient) {
    note.new_passphrase = announced == personal.size();
    note.mixed_passphrases = announced > 0 && announced < personal.size();
  } else {
    note.new_passphrase = with_passphrase;
  }
  if (portal) note.portal_url = config.portal.url;
  note.expires = expires;
  Result<envelope::Notification> notification =
      envelope::Notification::Prepare(templates, note);
  if (!notification.ok()) {
    return notification.status().WithContext("notification");
  }

  EnvelopeRewrite out;
  out.plan.body = NewBodySpool(spool);
  envelope::MessageSource source = WithoutOptionFields(raw, message);
  Result<envelope::EnvelopeInfo> info = InternalError("envelope not written");
  envelope::EnvelopeSource page = [&](const envelope::Sink& sink) -> Status {
    info = envelope::MakeEnvelope(templates, request, source, sink);
    return info.ok() ? Status::Ok() : info.status();
  };
  Status written =
      notification->WriteBody(page, crypto::SpoolSink(out.plan.body.get()));
  if (!written.ok()) return written.WithContext("secure envelope");
  if (!info.ok()) return info.status().WithContext("secure envelope");
  out.envelope_id = info->id;

  // The portal's record, before anything of this envelope leaves.
  if (portal) {
    store::EnvelopeRecord record;
    record.id = info->id;
    if (info->expires)
      record.expires_at = info->expires->time_since_epoch().count();
    record.sender = params.sender;
    record.recipients = params.recipients;
    record.portal_key_id = portal_slot->key_id;
    record.security = security;
    record.reply = options->reply;
    record.reply_all = options->reply_all;
    record.forward = options->forward;
    record.read_receipt = options->read_receipt;
    Result<store::EnvelopeRecord> put = params.store->PutEnvelope(record);
    if (!put.ok()) {
      return UnavailableError("cannot record envelope " + info->id +
                              " for the portal: " + put.status().ToString());
    }
    out.portal_key_id = portal_slot->key_id;
  }

  // Headers: the notification's Subject, MIME-Version and Content-Type;
  // the original content fields go (they are inside the envelope).
  // With the subject kept inside, so are the fields that repeat or
  // describe it (Outlook's Thread-Topic is a copy of the Subject).
  const bool hide_topic = !config.envelope.subject_in_notification;
  DeleteFields(
      message,
      [&](std::string_view name) {
        if (hide_topic && (crypto::EqualsIgnoreCase(name, "Thread-Topic") ||
                           crypto::EqualsIgnoreCase(name, "Keywords") ||
                           crypto::EqualsIgnoreCase(name, "Comments"))) {
          return true;
        }
        if (!IsContentField(name)) return false;
        for (const envelope::HeaderField& h : notification->headers()) {
          if (crypto::EqualsIgnoreCase(h.name, name)) return false;
        }
        return true;
      },
      out.plan);
  for (const envelope::HeaderField& h : notification->headers()) {
    SetField(message, h.name, h.value, out.plan);
  }

  for (const RecipientPassphrase& p : personal) {
    out.passphrase_uses.push_back(p.recipient);
  }
  // Nothing for the sender to pass on: JS-free, or every recipient knows
  // its personal passphrase already.
  if (!with_passphrase || (per_recipient && announced == 0)) return out;

  envelope::PassphraseNoticeRequest notice;
  std::string domain = rules::DomainOf(params.sender);
  notice.addressing.locale = locale;
  notice.addressing.from =
      params.notice_from.empty() ? "postmaster@" + domain : params.notice_from;
  notice.addressing.to = params.sender;
  notice.addressing.message_id_domain = domain.empty() ? "localhost" : domain;
  notice.addressing.now = now;
  notice.recipients = params.recipients;
  if (subject != nullptr) notice.subject = Readable(subject->value);
  if (per_recipient) {
    for (const RecipientPassphrase& p : personal) {
      if (p.announce)
        notice.personal.push_back({p.recipient, p.slot.passphrase});
    }
  } else {
    notice.passphrase = passphrase;
  }
  notice.expires = expires;
  Result<std::string> text = envelope::BuildPassphraseNotice(templates, notice);
  if (!text.ok()) return text.status().WithContext("passphrase notice");
  out.passphrase_notice = std::move(text).value();
  return out;
}

}  // namespace seal::gateway
