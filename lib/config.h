// Config: the typed settings of sealmilter, and loading them from TOML.
//
// Every key is declared once, in the schema table (lib/config_schema.cc):
// name, type, default, whether SIGUSR1 reload applies it, and a doc line.
// Loading rejects unknown keys, wrong types and out-of-range values with
// "file:line:column: message". A Config is a plain value; the running daemon
// shares it read-only through a Snapshot (lib/snapshot.h).
#ifndef SEALMILTER_LIB_CONFIG_H_
#define SEALMILTER_LIB_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/status.h"

namespace seal {

struct Config {
  struct Milter {
    std::string socket;           // "unix:/path", "inet:port@host", ...
    uint32_t socket_mode = 0;     // permissions of a unix socket
    std::string socket_group;     // group owning a unix socket ("" = group)
    std::string user;             // drop privileges to this user ("" = stay)
    std::string group;            // and this group ("" = user's primary group)
    std::string chroot;           // chroot directory ("" = none)
    std::string pid_file;         // "" = none
    int64_t timeout_seconds = 0;  // I/O timeout towards the MTA
    int64_t backlog = 0;          // listen(2) backlog
  } milter;
  struct Spool {
    std::string directory;      // where spilled message bodies go
    uint64_t memory_limit = 0;  // bytes kept in memory before spilling
    uint64_t max_size = 0;      // bytes accepted per message
  } spool;
  struct Log {
    std::string facility;  // syslog facility name
    std::string level;     // error|warning|notice|info|debug
  } log;
  struct Rules {
    bool shipped = true;             // load the rules built into the binary
    std::vector<std::string> paths;  // rule files and directories, in order
    uint64_t max_scan_bytes = 0;     // text classified per message
    std::string on_truncated;        // classify|encrypt|quarantine|reject
  } rules;
  struct Mime {  // bounds of the MIME adapter (lib/mime/mime_limits.h)
    int64_t max_depth = 0;                // multipart/message nesting
    int64_t max_parts = 0;                // entities per message
    uint64_t max_header_bytes = 0;        // one entity's header block
    uint64_t max_header_field_bytes = 0;  // one field, as text classified
    uint64_t max_part_bytes = 0;          // decoded bytes of one part
  } mime;
  struct Gateway {
    std::vector<std::string> internal_domains;   // our mail domains
    std::vector<std::string> internal_networks;  // CIDR blocks of our clients
    std::string on_failure;  // tempfail|reject|quarantine on failure
    std::vector<std::string> on_failure_profiles;  // "PROFILE=ACTION"
    std::string oversize;  // over max_encrypt_size: on_failure|tempfail|...
    bool failure_notice = true;     // tell the sender of a reject/quarantine
    std::string quarantine;         // store|mta: where held mail goes
    std::string reinject;           // HOST:PORT of the milter-free listener
    std::string notice_from;        // From of notices ("" = postmaster@...)
    uint64_t max_encrypt_size = 0;  // larger must-encrypt mail: on_failure
    uint64_t max_message_size = 0;  // the MTA's limit for what we send; 0: none
    std::string reinject_journal;   // directory of re-injected groups
    std::vector<std::string> tls_required;   // domains: TLS, no envelope
    std::vector<std::string> tls_preferred;  // same, unverified TLS
  } gateway;
  struct Store {
    std::string path;      // SQLite database
    std::string backend;   // sqlite|postgresql
    std::string conninfo;  // PostgreSQL connection (no password)
    int64_t busy_timeout_seconds = 0;
    std::string key_file;  // master key sealing private keys at rest
  } store;
  struct Envelope {
    std::string templates;        // override directory ("" = built-in)
    std::string locale;           // notification and page language
    int64_t expires_seconds = 0;  // 0 = never
    bool subject_in_notification = false;
    bool sender_options = true;  // honour the X-Seal-* option headers
    bool reply = true;           // option defaults (lib/envelope/options.h)
    bool reply_all = true;
    bool forward = true;
    bool read_receipt = false;
    bool js_free = false;
    // "per-message": a new generated passphrase for every envelope;
    // "per-recipient": each recipient's personal one, kept in the store.
    std::string passphrase = "per-message";
  } envelope;

  struct Inbound {              // mail from outside (lib/gateway/inbound.h)
    bool decrypt = true;        // decrypt S/MIME with our users' keys
    bool verify = true;         // check S/MIME signatures
    bool harvest = true;        // keep valid signers' certificates
    std::string tag_encrypted;  // Subject prefixes; "" = none
    std::string tag_signed_ok;
    std::string tag_signed_invalid;
    std::string undecryptable;               // pass|reject|quarantine
    std::vector<std::string> trust_anchors;  // PEM files or directories
    bool system_trust = true;                // also the system CA bundle
    std::string result_header;               // field naming what was found
  } inbound;
  struct Portal {          // sealportal, and the milter's portal key slots
    std::string url;       // public base URL ("" = no portal slots)
    std::string key_file;  // portal keys (lib/envelope/portal_key.h)
    std::string security;  // high|medium|none for new envelopes
    std::string listen;    // sealportal's HOST:PORT (plain HTTP)
    std::vector<std::string> trusted_proxies;  // CIDRs whose X-Forwarded-For
                                               // is believed
    std::string mail_from;         // From of portal mail ("" = postmaster)
    std::string smtp;              // HOST:PORT to send portal mail through
    int64_t session_seconds = 0;   // idle lifetime of a login session
    int64_t token_seconds = 0;     // lifetime of confirm/reset links
    int64_t lockout_failures = 0;  // failed logins before a lockout
    int64_t lockout_seconds = 0;   // how long a lockout lasts
    bool secure_cookies = true;    // Secure attribute (off for plain tests)
    uint64_t max_upload = 0;       // bytes of a JS-free "open online" post
  } portal;
  struct Ca {  // the built-in CA as the daemon uses it (lib/ca)
    bool issue_on_demand = true;  // issue a signing certificate on need
    int64_t renew_days = 0;       // renew this long before it ends
    int64_t validity_days = 0;    // of an issued user certificate
    std::string user_key_type;    // rsa2048|rsa3072|rsa4096|ec-p256|ec-p384
  } ca;

  // Where this config came from: a path, or "(embedded defaults)".
  std::string source;

  // A Config holding every key's schema default.
  static Config Defaults();
};

inline constexpr std::string_view kEmbeddedDefaultsSource =
    "(embedded defaults)";
inline constexpr std::string_view kDefaultConfigPath =
    "/etc/sealmilter/sealmilter.conf";
// Config files larger than this are refused (a config is never this big; a
// huge file is a mistake or an attack on the parser).
inline constexpr uint64_t kMaxConfigFileBytes = 1 << 20;

// Parses TOML text. `source_name` prefixes error positions.
Result<Config> ParseConfig(std::string_view text, std::string_view source_name);

// Reads and parses a config file. A missing or unreadable file is an error.
Result<Config> LoadConfigFile(const std::string& path);

// Renders a config as TOML, every key with its effective value (for
// `sealmilter -p`).
std::string RenderConfig(const Config& config);

// For reload: keys that cannot change without a restart keep their value from
// `running`; the names of keys whose value differed are appended to
// `not_applied`.
void CarryNonReloadable(const Config& running, Config& next,
                        std::vector<std::string>& not_applied);

}  // namespace seal

#endif  // SEALMILTER_LIB_CONFIG_H_
