// The config schema table and value conversion (sizes, durations, modes,
// enums). Add a key here, in sealmilter.conf(5), and in struct Config.
#include "lib/config_schema.h"

#include "lib/edit_distance.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>
#include <type_traits>

namespace seal {
namespace {

template <auto Section, auto Field>
void SetField(Config& config, const Value& value) {
  auto& field = (config.*Section).*Field;
  using F = std::remove_reference_t<decltype(field)>;
  if constexpr (std::is_same_v<F, std::string>) {
    field = std::get<std::string>(value);
  } else if constexpr (std::is_same_v<F, std::vector<std::string>>) {
    field = SplitListValue(std::get<std::string>(value));
  } else if constexpr (std::is_same_v<F, bool>) {
    field = std::get<bool>(value);
  } else {
    field = static_cast<F>(std::get<int64_t>(value));
  }
}

template <auto Section, auto Field>
Value GetField(const Config& config) {
  const auto& field = (config.*Section).*Field;
  using F = std::remove_cvref_t<decltype(field)>;
  if constexpr (std::is_same_v<F, std::string> || std::is_same_v<F, bool>) {
    return Value(field);
  } else if constexpr (std::is_same_v<F, std::vector<std::string>>) {
    std::string joined;
    for (const std::string& item : field) {
      if (!joined.empty()) joined += kListSeparator;
      joined += item;
    }
    return Value(joined);
  } else {
    return Value(static_cast<int64_t>(field));
  }
}

constexpr int64_t kMaxI64 = std::numeric_limits<int64_t>::max();
constexpr int64_t kGiB = int64_t{1} << 30;

using M = Config::Milter;
using S = Config::Spool;
using L = Config::Log;
using R = Config::Rules;
using Mi = Config::Mime;
using G = Config::Gateway;
using St = Config::Store;
using E = Config::Envelope;
using I = Config::Inbound;
using P = Config::Portal;
using C = Config::Ca;

// Documentation order. Keep one line per doc string: the man page carries the
// long explanation.
const std::array kSchema = {
    KeyDef{"milter.socket", ValueType::kString,
           "unix:/run/sealmilter/sealmilter.sock", false,
           "Socket the MTA connects to: unix:PATH, local:PATH, "
           "inet:PORT@HOST or inet6:PORT@HOST.",
           "", 0, 0, &SetField<&Config::milter, &M::socket>,
           &GetField<&Config::milter, &M::socket>},
    KeyDef{"milter.socket_mode", ValueType::kMode, "0660", false,
           "Permissions of a unix socket, octal.", "", 0, 0777,
           &SetField<&Config::milter, &M::socket_mode>,
           &GetField<&Config::milter, &M::socket_mode>},
    KeyDef{"milter.socket_group", ValueType::kString, "", false,
           "Group owning a unix socket; empty means milter.group.", "", 0, 0,
           &SetField<&Config::milter, &M::socket_group>,
           &GetField<&Config::milter, &M::socket_group>},
    KeyDef{"milter.user", ValueType::kString, "sealmilter", false,
           "User to run as after start-up; empty means do not change user.", "",
           0, 0, &SetField<&Config::milter, &M::user>,
           &GetField<&Config::milter, &M::user>},
    KeyDef{"milter.group", ValueType::kString, "", false,
           "Group to run as; empty means the primary group of milter.user.", "",
           0, 0, &SetField<&Config::milter, &M::group>,
           &GetField<&Config::milter, &M::group>},
    KeyDef{"milter.chroot", ValueType::kString, "", false,
           "Directory to chroot into after start-up; empty means none.", "", 0,
           0, &SetField<&Config::milter, &M::chroot>,
           &GetField<&Config::milter, &M::chroot>},
    KeyDef{"milter.pid_file", ValueType::kString, "", false,
           "File to write the process id to; empty means none.", "", 0, 0,
           &SetField<&Config::milter, &M::pid_file>,
           &GetField<&Config::milter, &M::pid_file>},
    KeyDef{"milter.timeout", ValueType::kDuration, "5m", false,
           "How long to wait for the MTA before giving up a connection.", "", 1,
           86400, &SetField<&Config::milter, &M::timeout_seconds>,
           &GetField<&Config::milter, &M::timeout_seconds>},
    KeyDef{"milter.backlog", ValueType::kInteger, "128", false,
           "Listen backlog of the milter socket.", "", 1, 65535,
           &SetField<&Config::milter, &M::backlog>,
           &GetField<&Config::milter, &M::backlog>},
    KeyDef{"spool.directory", ValueType::kString, "/var/spool/sealmilter", true,
           "Directory for unlinked temporary files holding large messages.", "",
           0, 0, &SetField<&Config::spool, &S::directory>,
           &GetField<&Config::spool, &S::directory>},
    KeyDef{"spool.memory_limit", ValueType::kSize, "1M", true,
           "Bytes of a message kept in memory before it spills to disk.", "", 0,
           kGiB, &SetField<&Config::spool, &S::memory_limit>,
           &GetField<&Config::spool, &S::memory_limit>},
    KeyDef{"spool.max_size", ValueType::kSize, "64M", true,
           "Largest message accepted for inspection; larger ones are "
           "rejected.",
           "", 1024, 16 * kGiB, &SetField<&Config::spool, &S::max_size>,
           &GetField<&Config::spool, &S::max_size>},
    KeyDef{"log.facility", ValueType::kEnum, "mail", false, "Syslog facility.",
           "mail|daemon|user|local0|local1|local2|local3|local4|local5|"
           "local6|local7",
           0, 0, &SetField<&Config::log, &L::facility>,
           &GetField<&Config::log, &L::facility>},
    KeyDef{"log.level", ValueType::kEnum, "info", true,
           "Lowest severity logged.", "error|warning|notice|info|debug", 0, 0,
           &SetField<&Config::log, &L::level>,
           &GetField<&Config::log, &L::level>},
    KeyDef{"rules.shipped", ValueType::kBool, "true", true,
           "Load the rules built into sealmilter before rules.paths.", "", 0, 0,
           &SetField<&Config::rules, &R::shipped>,
           &GetField<&Config::rules, &R::shipped>},
    KeyDef{"rules.paths", ValueType::kList, "/etc/sealmilter/rules.d", true,
           "Rule files and directories of *.toml files, loaded in order.", "",
           0, 0, &SetField<&Config::rules, &R::paths>,
           &GetField<&Config::rules, &R::paths>},
    KeyDef{"rules.max_scan_bytes", ValueType::kSize, "32M", true,
           "Decoded text bytes classified per message.", "", 1024, 16 * kGiB,
           &SetField<&Config::rules, &R::max_scan_bytes>,
           &GetField<&Config::rules, &R::max_scan_bytes>},
    KeyDef{"rules.on_truncated", ValueType::kEnum, "classify", true,
           "Outbound mail whose text was not all classified: by what was "
           "found, or encrypted, held or refused.",
           "classify|encrypt|quarantine|reject", 0, 0,
           &SetField<&Config::rules, &R::on_truncated>,
           &GetField<&Config::rules, &R::on_truncated>},
    KeyDef{"mime.max_depth", ValueType::kInteger, "20", true,
           "Deepest nesting of multiparts and attached messages inspected.", "",
           1, 100, &SetField<&Config::mime, &Mi::max_depth>,
           &GetField<&Config::mime, &Mi::max_depth>},
    KeyDef{"mime.max_parts", ValueType::kInteger, "500", true,
           "Most MIME entities in a message inspected.", "", 1, 100000,
           &SetField<&Config::mime, &Mi::max_parts>,
           &GetField<&Config::mime, &Mi::max_parts>},
    KeyDef{"mime.max_header_bytes", ValueType::kSize, "256K", true,
           "Largest header block of one MIME entity.", "", 1024, 64 << 20,
           &SetField<&Config::mime, &Mi::max_header_bytes>,
           &GetField<&Config::mime, &Mi::max_header_bytes>},
    KeyDef{"mime.max_header_field_bytes", ValueType::kSize, "64K", true,
           "Bytes of one header field classified; the rest is cut.", "", 256,
           64 << 20, &SetField<&Config::mime, &Mi::max_header_field_bytes>,
           &GetField<&Config::mime, &Mi::max_header_field_bytes>},
    KeyDef{"mime.max_part_bytes", ValueType::kSize, "32M", true,
           "Decoded bytes of one part classified; the rest is cut.", "", 1024,
           16 * kGiB, &SetField<&Config::mime, &Mi::max_part_bytes>,
           &GetField<&Config::mime, &Mi::max_part_bytes>},
    KeyDef{"gateway.internal_domains", ValueType::kList, "", true,
           "Mail domains that are ours; a leading dot means subdomains.", "", 0,
           0, &SetField<&Config::gateway, &G::internal_domains>,
           &GetField<&Config::gateway, &G::internal_domains>},
    KeyDef{"gateway.internal_networks", ValueType::kList,
           "127.0.0.0/8, ::1/128", true,
           "Client networks (CIDR) whose mail counts as sent by us.", "", 0, 0,
           &SetField<&Config::gateway, &G::internal_networks>,
           &GetField<&Config::gateway, &G::internal_networks>},
    KeyDef{"gateway.on_failure", ValueType::kEnum, "tempfail", true,
           "What to do when mail that must be encrypted cannot be.",
           "tempfail|reject|quarantine", 0, 0,
           &SetField<&Config::gateway, &G::on_failure>,
           &GetField<&Config::gateway, &G::on_failure>},
    KeyDef{"gateway.on_failure_profiles", ValueType::kList, "", true,
           "PROFILE=ACTION items overriding on_failure for the rules of a "
           "profile.",
           "", 0, 0, &SetField<&Config::gateway, &G::on_failure_profiles>,
           &GetField<&Config::gateway, &G::on_failure_profiles>},
    KeyDef{"gateway.oversize", ValueType::kEnum, "reject", true,
           "What to do with must-encrypt mail over max_encrypt_size.",
           "on_failure|tempfail|reject|quarantine", 0, 0,
           &SetField<&Config::gateway, &G::oversize>,
           &GetField<&Config::gateway, &G::oversize>},
    KeyDef{"gateway.failure_notice", ValueType::kBool, "true", true,
           "Tell an internal sender why a message was rejected or held.", "", 0,
           0, &SetField<&Config::gateway, &G::failure_notice>,
           &GetField<&Config::gateway, &G::failure_notice>},
    KeyDef{"gateway.quarantine", ValueType::kEnum, "store", true,
           "Where held mail goes: sealmilter's store, or the MTA's hold "
           "queue.",
           "store|mta", 0, 0, &SetField<&Config::gateway, &G::quarantine>,
           &GetField<&Config::gateway, &G::quarantine>},
    KeyDef{"gateway.reinject", ValueType::kString, "", true,
           "HOST:PORT of the MTA listener without the milter, for notices.", "",
           0, 0, &SetField<&Config::gateway, &G::reinject>,
           &GetField<&Config::gateway, &G::reinject>},
    KeyDef{"gateway.notice_from", ValueType::kString, "", true,
           "From address of notices to senders; empty means postmaster at "
           "the sender's domain.",
           "", 0, 0, &SetField<&Config::gateway, &G::notice_from>,
           &GetField<&Config::gateway, &G::notice_from>},
    KeyDef{"gateway.max_encrypt_size", ValueType::kSize, "25M", true,
           "Largest message encrypted; larger must-encrypt mail fails.", "",
           1024, 16 * kGiB, &SetField<&Config::gateway, &G::max_encrypt_size>,
           &GetField<&Config::gateway, &G::max_encrypt_size>},
    KeyDef{"gateway.max_message_size", ValueType::kSize, "0", true,
           "The MTA's size limit for the messages sealmilter makes; 0: none.",
           "", 0, 16 * kGiB, &SetField<&Config::gateway, &G::max_message_size>,
           &GetField<&Config::gateway, &G::max_message_size>},
    KeyDef{"gateway.tls_required", ValueType::kList, "", true,
           "Recipient domains that get mail which must be encrypted over "
           "verified TLS instead of a secure envelope.",
           "", 0, 0, &SetField<&Config::gateway, &G::tls_required>,
           &GetField<&Config::gateway, &G::tls_required>},
    KeyDef{"gateway.tls_preferred", ValueType::kList, "", true,
           "Like tls_required, with TLS whose certificate is not verified.", "",
           0, 0, &SetField<&Config::gateway, &G::tls_preferred>,
           &GetField<&Config::gateway, &G::tls_preferred>},
    KeyDef{"gateway.reinject_journal", ValueType::kString,
           "/var/lib/sealmilter/reinjected", false,
           "Directory remembering re-injected recipient groups, so a retry "
           "sends none twice; empty: none kept.",
           "", 0, 0, &SetField<&Config::gateway, &G::reinject_journal>,
           &GetField<&Config::gateway, &G::reinject_journal>},
    KeyDef{"store.path", ValueType::kString, "/var/lib/sealmilter/store.db",
           false, "SQLite database of certificates and keys.", "", 0, 0,
           &SetField<&Config::store, &St::path>,
           &GetField<&Config::store, &St::path>},
    KeyDef{"store.backend", ValueType::kEnum, "sqlite", false,
           "Store backend: sqlite (store.path) or postgresql "
           "(store.conninfo).",
           "sqlite|postgresql", 0, 0, &SetField<&Config::store, &St::backend>,
           &GetField<&Config::store, &St::backend>},
    KeyDef{"store.conninfo", ValueType::kString, "", false,
           "libpq connection string or postgresql:// URI for the postgresql "
           "backend; no password (use a passfile).",
           "", 0, 0, &SetField<&Config::store, &St::conninfo>,
           &GetField<&Config::store, &St::conninfo>},
    KeyDef{"store.busy_timeout", ValueType::kDuration, "5s", false,
           "How long a store access waits for a lock.", "", 1, 3600,
           &SetField<&Config::store, &St::busy_timeout_seconds>,
           &GetField<&Config::store, &St::busy_timeout_seconds>},
    KeyDef{"store.key_file", ValueType::kString,
           "/var/lib/sealmilter/master.key", false,
           "Master key file (mode 0600) sealing the private keys in the store.",
           "", 0, 0, &SetField<&Config::store, &St::key_file>,
           &GetField<&Config::store, &St::key_file>},
    KeyDef{"envelope.templates", ValueType::kString, "", true,
           "Directory of files overriding the built-in envelope templates.", "",
           0, 0, &SetField<&Config::envelope, &E::templates>,
           &GetField<&Config::envelope, &E::templates>},
    KeyDef{"envelope.locale", ValueType::kString, "en", true,
           "Language of envelopes and notifications (en, fr, de, ...).", "", 0,
           0, &SetField<&Config::envelope, &E::locale>,
           &GetField<&Config::envelope, &E::locale>},
    KeyDef{"envelope.expires", ValueType::kDuration, "30d", true,
           "Time after which an envelope no longer opens; 0 means never.", "",
           0, 3650 * 86400, &SetField<&Config::envelope, &E::expires_seconds>,
           &GetField<&Config::envelope, &E::expires_seconds>},
    KeyDef{"envelope.subject_in_notification", ValueType::kBool, "false", true,
           "Show the original subject in the notification (it travels in "
           "clear).",
           "", 0, 0, &SetField<&Config::envelope, &E::subject_in_notification>,
           &GetField<&Config::envelope, &E::subject_in_notification>},
    KeyDef{"envelope.sender_options", ValueType::kBool, "true", true,
           "Honour the sender's X-Seal-* option headers (always removed).", "",
           0, 0, &SetField<&Config::envelope, &E::sender_options>,
           &GetField<&Config::envelope, &E::sender_options>},
    KeyDef{"envelope.reply", ValueType::kBool, "true", true,
           "Default: the recipient may reply through the portal.", "", 0, 0,
           &SetField<&Config::envelope, &E::reply>,
           &GetField<&Config::envelope, &E::reply>},
    KeyDef{"envelope.reply_all", ValueType::kBool, "true", true,
           "Default: the recipient may reply to all through the portal.", "", 0,
           0, &SetField<&Config::envelope, &E::reply_all>,
           &GetField<&Config::envelope, &E::reply_all>},
    KeyDef{"envelope.forward", ValueType::kBool, "true", true,
           "Default: the recipient may forward through the portal.", "", 0, 0,
           &SetField<&Config::envelope, &E::forward>,
           &GetField<&Config::envelope, &E::forward>},
    KeyDef{"envelope.read_receipt", ValueType::kBool, "false", true,
           "Default: the sender gets a read receipt at the first portal open.",
           "", 0, 0, &SetField<&Config::envelope, &E::read_receipt>,
           &GetField<&Config::envelope, &E::read_receipt>},
    KeyDef{"envelope.js_free", ValueType::kBool, "false", true,
           "Default: JS-free envelopes (open online only; needs portal.url).",
           "", 0, 0, &SetField<&Config::envelope, &E::js_free>,
           &GetField<&Config::envelope, &E::js_free>},
    KeyDef{"envelope.passphrase", ValueType::kEnum, "per-message", true,
           "Passphrase slot: a new one per message, or each recipient's "
           "personal one kept in the store (needs store.key_file).",
           "per-message|per-recipient", 0, 0,
           &SetField<&Config::envelope, &E::passphrase>,
           &GetField<&Config::envelope, &E::passphrase>},
    KeyDef{"portal.url", ValueType::kString, "", true,
           "Public base URL of sealportal (https://host[/path], no trailing "
           "slash); empty: no portal slots.",
           "", 0, 0, &SetField<&Config::portal, &P::url>,
           &GetField<&Config::portal, &P::url>},
    KeyDef{"portal.key_file", ValueType::kString, "/etc/sealmilter/portal.key",
           true,
           "Portal key file (mode 0600); required when portal.url is set.", "",
           0, 0, &SetField<&Config::portal, &P::key_file>,
           &GetField<&Config::portal, &P::key_file>},
    KeyDef{"portal.security", ValueType::kEnum, "medium", true,
           "How strictly sealportal authenticates recipients of new envelopes.",
           "high|medium|none", 0, 0, &SetField<&Config::portal, &P::security>,
           &GetField<&Config::portal, &P::security>},
    KeyDef{"portal.listen", ValueType::kString, "127.0.0.1:8480", false,
           "sealportal only: HOST:PORT of its plain HTTP listener.", "", 0, 0,
           &SetField<&Config::portal, &P::listen>,
           &GetField<&Config::portal, &P::listen>},
    KeyDef{"portal.trusted_proxies", ValueType::kList, "", true,
           "sealportal only: CIDR blocks whose X-Forwarded-For is believed.",
           "", 0, 0, &SetField<&Config::portal, &P::trusted_proxies>,
           &GetField<&Config::portal, &P::trusted_proxies>},
    KeyDef{"portal.mail_from", ValueType::kString, "", true,
           "sealportal only: From of portal mail; empty: postmaster@ the URL "
           "host.",
           "", 0, 0, &SetField<&Config::portal, &P::mail_from>,
           &GetField<&Config::portal, &P::mail_from>},
    KeyDef{"portal.smtp", ValueType::kString, "127.0.0.1:25", true,
           "sealportal only: HOST:PORT it sends mail through.", "", 0, 0,
           &SetField<&Config::portal, &P::smtp>,
           &GetField<&Config::portal, &P::smtp>},
    KeyDef{"portal.session", ValueType::kDuration, "30m", true,
           "sealportal only: idle lifetime of a login session.", "", 60,
           30 * 86400, &SetField<&Config::portal, &P::session_seconds>,
           &GetField<&Config::portal, &P::session_seconds>},
    KeyDef{"portal.token_lifetime", ValueType::kDuration, "24h", true,
           "sealportal only: lifetime of confirmation and reset links.", "", 60,
           30 * 86400, &SetField<&Config::portal, &P::token_seconds>,
           &GetField<&Config::portal, &P::token_seconds>},
    KeyDef{"portal.lockout_failures", ValueType::kInteger, "5", true,
           "sealportal only: failed logins in a row that lock an account.", "",
           1, 100, &SetField<&Config::portal, &P::lockout_failures>,
           &GetField<&Config::portal, &P::lockout_failures>},
    KeyDef{"portal.lockout", ValueType::kDuration, "15m", true,
           "sealportal only: how long a locked account stays locked.", "", 1,
           86400, &SetField<&Config::portal, &P::lockout_seconds>,
           &GetField<&Config::portal, &P::lockout_seconds>},
    KeyDef{"portal.secure_cookies", ValueType::kBool, "true", true,
           "sealportal only: Secure attribute on cookies (off for plain-HTTP "
           "tests).",
           "", 0, 0, &SetField<&Config::portal, &P::secure_cookies>,
           &GetField<&Config::portal, &P::secure_cookies>},
    KeyDef{"portal.max_upload", ValueType::kSize, "40M", true,
           "sealportal only: largest JS-free \"open online\" upload.", "", 1024,
           4 * kGiB, &SetField<&Config::portal, &P::max_upload>,
           &GetField<&Config::portal, &P::max_upload>},
    KeyDef{"inbound.decrypt", ValueType::kBool, "true", true,
           "Decrypt inbound S/MIME mail with the recipients' stored keys.", "",
           0, 0, &SetField<&Config::inbound, &I::decrypt>,
           &GetField<&Config::inbound, &I::decrypt>},
    KeyDef{"inbound.verify", ValueType::kBool, "true", true,
           "Verify S/MIME signatures of inbound mail.", "", 0, 0,
           &SetField<&Config::inbound, &I::verify>,
           &GetField<&Config::inbound, &I::verify>},
    KeyDef{"inbound.harvest", ValueType::kBool, "true", true,
           "Store the certificate and capabilities of valid inbound signers.",
           "", 0, 0, &SetField<&Config::inbound, &I::harvest>,
           &GetField<&Config::inbound, &I::harvest>},
    KeyDef{"inbound.tag_encrypted", ValueType::kString, "[secure]", true,
           "Subject prefix of decrypted mail; empty: none.", "", 0, 0,
           &SetField<&Config::inbound, &I::tag_encrypted>,
           &GetField<&Config::inbound, &I::tag_encrypted>},
    KeyDef{"inbound.tag_signed_ok", ValueType::kString, "[signed OK]", true,
           "Subject prefix of mail with a valid signature; empty: none.", "", 0,
           0, &SetField<&Config::inbound, &I::tag_signed_ok>,
           &GetField<&Config::inbound, &I::tag_signed_ok>},
    KeyDef{"inbound.tag_signed_invalid", ValueType::kString, "[signed INVALID]",
           true, "Subject prefix of mail whose signature fails; empty: none.",
           "", 0, 0, &SetField<&Config::inbound, &I::tag_signed_invalid>,
           &GetField<&Config::inbound, &I::tag_signed_invalid>},
    KeyDef{"inbound.undecryptable", ValueType::kEnum, "pass", true,
           "S/MIME mail that cannot be decrypted: pass, reject or quarantine.",
           "pass|reject|quarantine", 0, 0,
           &SetField<&Config::inbound, &I::undecryptable>,
           &GetField<&Config::inbound, &I::undecryptable>},
    KeyDef{"inbound.trust_anchors", ValueType::kList, "", false,
           "PEM files or directories of CA certificates trusted for "
           "signatures.",
           "", 0, 0, &SetField<&Config::inbound, &I::trust_anchors>,
           &GetField<&Config::inbound, &I::trust_anchors>},
    KeyDef{"inbound.system_trust", ValueType::kBool, "true", false,
           "Also trust the system CA bundle for signatures.", "", 0, 0,
           &SetField<&Config::inbound, &I::system_trust>,
           &GetField<&Config::inbound, &I::system_trust>},
    KeyDef{"inbound.result_header", ValueType::kString, "X-Seal-Result", true,
           "Header field saying what was decrypted and verified.", "", 0, 0,
           &SetField<&Config::inbound, &I::result_header>,
           &GetField<&Config::inbound, &I::result_header>},
    KeyDef{"ca.issue_on_demand", ValueType::kBool, "true", true,
           "Issue an internal sender a signing certificate on first need.", "",
           0, 0, &SetField<&Config::ca, &C::issue_on_demand>,
           &GetField<&Config::ca, &C::issue_on_demand>},
    KeyDef{"ca.renew_days", ValueType::kInteger, "7", false,
           "Days before its end an issued certificate is renewed.", "", 0, 3649,
           &SetField<&Config::ca, &C::renew_days>,
           &GetField<&Config::ca, &C::renew_days>},
    KeyDef{"ca.validity_days", ValueType::kInteger, "365", false,
           "Validity of a user certificate the daemon issues, in days.", "", 1,
           3650, &SetField<&Config::ca, &C::validity_days>,
           &GetField<&Config::ca, &C::validity_days>},
    KeyDef{"ca.user_key_type", ValueType::kEnum, "rsa2048", false,
           "Key type of user certificates the daemon issues.",
           "rsa2048|rsa3072|rsa4096|ec-p256|ec-p384", 0, 0,
           &SetField<&Config::ca, &C::user_key_type>,
           &GetField<&Config::ca, &C::user_key_type>},
};

bool ParseDecimal(std::string_view digits, int64_t& out) {
  if (digits.empty()) return false;
  auto [ptr, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), out);
  return ec == std::errc() && ptr == digits.data() + digits.size() && out >= 0;
}

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string RenderString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

Status RangeError(const KeyDef& def, std::string_view shown) {
  return InvalidArgumentError(std::string(def.key) + ": value " +
                              std::string(shown) + " is out of range (" +
                              std::to_string(def.min) + ".." +
                              std::to_string(def.max) + ")");
}

Result<Value> CheckRange(const KeyDef& def, int64_t n, std::string_view shown) {
  if (n < def.min || n > def.max) return RangeError(def, shown);
  return Value(n);
}

// "64M" -> 67108864. Units are binary; an optional "iB"/"B" is accepted.
Result<Value> ParseSize(const KeyDef& def, std::string_view text) {
  std::string_view s = text;
  int64_t multiplier = 1;
  if (s.ends_with("iB"))
    s.remove_suffix(2);
  else if (s.ends_with("B"))
    s.remove_suffix(1);
  if (!s.empty()) {
    switch (s.back()) {
      case 'k':
      case 'K':
        multiplier = int64_t{1} << 10;
        break;
      case 'm':
      case 'M':
        multiplier = int64_t{1} << 20;
        break;
      case 'g':
      case 'G':
        multiplier = int64_t{1} << 30;
        break;
      default:
        break;
    }
    if (multiplier != 1) s.remove_suffix(1);
  }
  int64_t n = 0;
  if (!ParseDecimal(s, n)) {
    return InvalidArgumentError(std::string(def.key) + ": " + Quote(text) +
                                " is not a size (examples: 65536, \"512K\", "
                                "\"64M\", \"1G\")");
  }
  if (n > kMaxI64 / multiplier) return RangeError(def, Quote(text));
  return CheckRange(def, n * multiplier, Quote(text));
}

// "5m" -> 300. Units: s, m, h, d; none means seconds.
Result<Value> ParseDuration(const KeyDef& def, std::string_view text) {
  std::string_view s = text;
  int64_t multiplier = 1;
  if (!s.empty()) {
    switch (s.back()) {
      case 's':
        multiplier = 1;
        break;
      case 'm':
        multiplier = 60;
        break;
      case 'h':
        multiplier = 3600;
        break;
      case 'd':
        multiplier = 86400;
        break;
      default:
        multiplier = 0;
        break;
    }
    if (multiplier != 0)
      s.remove_suffix(1);
    else
      multiplier = 1;
  }
  int64_t n = 0;
  if (!ParseDecimal(s, n)) {
    return InvalidArgumentError(std::string(def.key) + ": " + Quote(text) +
                                " is not a duration (examples: 30, \"30s\", "
                                "\"5m\", \"2h\", \"1d\")");
  }
  if (n > kMaxI64 / multiplier) return RangeError(def, Quote(text));
  return CheckRange(def, n * multiplier, Quote(text));
}

Result<Value> ParseMode(const KeyDef& def, std::string_view text) {
  bool octal = !text.empty() && text.size() <= 4 &&
               std::all_of(text.begin(), text.end(),
                           [](char c) { return c >= '0' && c <= '7'; });
  if (!octal) {
    return InvalidArgumentError(std::string(def.key) + ": " + Quote(text) +
                                " is not an octal file mode (example: "
                                "\"0660\")");
  }
  int64_t mode = 0;
  for (char c : text) mode = mode * 8 + (c - '0');
  return CheckRange(def, mode, Quote(text));
}

// "a, b,c" -> the items "a", "b", "c"; white space around items is dropped.
Result<Value> ParseListText(const KeyDef& def, std::string_view text) {
  std::string joined;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(start, comma - start);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
      item.remove_prefix(1);
    }
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) {
      item.remove_suffix(1);
    }
    if (!item.empty()) {
      Result<Value> one = ParseListItem(def, item);
      if (!one.ok()) return one;
      if (!joined.empty()) joined += kListSeparator;
      joined += item;
    }
    start = comma + 1;
  }
  return Value(joined);
}

Result<Value> ParseEnum(const KeyDef& def, std::string_view text) {
  std::string_view rest = def.choices;
  while (!rest.empty()) {
    size_t bar = rest.find('|');
    std::string_view choice = rest.substr(0, bar);
    if (choice == text) return Value(std::string(text));
    if (bar == std::string_view::npos) break;
    rest.remove_prefix(bar + 1);
  }
  std::string choices(def.choices);
  std::replace(choices.begin(), choices.end(), '|', ' ');
  return InvalidArgumentError(std::string(def.key) + ": " + Quote(text) +
                              " is not one of: " + choices);
}

}  // namespace

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kString:
      return "string";
    case ValueType::kBool:
      return "boolean";
    case ValueType::kInteger:
      return "integer";
    case ValueType::kSize:
      return "size";
    case ValueType::kDuration:
      return "duration";
    case ValueType::kEnum:
      return "enum";
    case ValueType::kMode:
      return "mode";
    case ValueType::kList:
      return "list";
  }
  return "unknown";
}

std::vector<std::string> SplitListValue(std::string_view joined) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start < joined.size()) {
    size_t end = joined.find(kListSeparator, start);
    if (end == std::string_view::npos) end = joined.size();
    if (end > start) items.emplace_back(joined.substr(start, end - start));
    start = end + 1;
  }
  return items;
}

Result<Value> ParseListItem(const KeyDef& def, std::string_view item) {
  if (item.empty()) {
    return InvalidArgumentError(std::string(def.key) +
                                ": list items must not be empty");
  }
  for (char c : item) {
    if (c == '\0' || c == '\n' || c == '\r') {
      return InvalidArgumentError(std::string(def.key) +
                                  ": list items must be single-line text");
    }
  }
  return Value(std::string(item));
}

std::span<const KeyDef> Schema() { return kSchema; }

const KeyDef* FindKey(std::string_view key) {
  for (const KeyDef& def : kSchema) {
    if (def.key == key) return &def;
  }
  return nullptr;
}

std::string_view SuggestKey(std::string_view key) {
  std::string_view best;
  size_t best_distance = 4;  // suggest only close matches
  for (const KeyDef& def : kSchema) {
    size_t d = EditDistance(key, def.key);
    // Also match the last component alone ("socket" -> "milter.socket").
    std::string_view leaf = def.key.substr(def.key.find('.') + 1);
    d = std::min(d, EditDistance(key, leaf) + 1);
    if (d < best_distance) {
      best_distance = d;
      best = def.key;
    }
  }
  return best;
}

Result<Value> ParseValueText(const KeyDef& def, std::string_view text) {
  switch (def.type) {
    case ValueType::kString:
      if (text.find('\0') != std::string_view::npos) {
        return InvalidArgumentError(std::string(def.key) +
                                    ": value contains a NUL byte");
      }
      // Strings end up in paths, addresses and header fields: one line.
      if (text.find_first_of("\r\n") != std::string_view::npos) {
        return InvalidArgumentError(std::string(def.key) +
                                    ": value must be a single line");
      }
      return Value(std::string(text));
    case ValueType::kBool:
      if (text == "true") return Value(true);
      if (text == "false") return Value(false);
      return InvalidArgumentError(std::string(def.key) + ": " + Quote(text) +
                                  " is not true or false");
    case ValueType::kInteger: {
      int64_t n = 0;
      if (!ParseDecimal(text, n)) {
        return InvalidArgumentError(std::string(def.key) + ": " + Quote(text) +
                                    " is not a whole number");
      }
      return CheckRange(def, n, text);
    }
    case ValueType::kSize:
      return ParseSize(def, text);
    case ValueType::kDuration:
      return ParseDuration(def, text);
    case ValueType::kEnum:
      return ParseEnum(def, text);
    case ValueType::kMode:
      return ParseMode(def, text);
    case ValueType::kList:
      return ParseListText(def, text);
  }
  return InternalError("unhandled value type");
}

Result<Value> ParseValueInteger(const KeyDef& def, int64_t number) {
  switch (def.type) {
    case ValueType::kInteger:
    case ValueType::kSize:
    case ValueType::kDuration:
    case ValueType::kMode:  // TOML octal integer: 0o660
      return CheckRange(def, number, std::to_string(number));
    default:
      return InvalidArgumentError(std::string(def.key) + ": expected " +
                                  std::string(ValueTypeName(def.type)) +
                                  ", got integer");
  }
}

std::string RenderValue(const KeyDef& def, const Value& value) {
  switch (def.type) {
    case ValueType::kBool:
      return std::get<bool>(value) ? "true" : "false";
    case ValueType::kInteger:
    case ValueType::kSize:
    case ValueType::kDuration:
      return std::to_string(std::get<int64_t>(value));
    case ValueType::kMode: {
      int64_t mode = std::get<int64_t>(value);
      std::string out = "\"0000\"";
      for (int i = 4; i >= 1; --i) {
        out[static_cast<size_t>(i)] = static_cast<char>('0' + (mode & 7));
        mode >>= 3;
      }
      return out;
    }
    case ValueType::kString:
    case ValueType::kEnum:
      return RenderString(std::get<std::string>(value));
    case ValueType::kList: {
      std::string out = "[";
      for (const std::string& item :
           SplitListValue(std::get<std::string>(value))) {
        if (out.size() > 1) out += ", ";
        out += RenderString(item);
      }
      return out + "]";
    }
  }
  return "";
}

}  // namespace seal
