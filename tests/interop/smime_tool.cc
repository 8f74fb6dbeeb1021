// smime_tool: a small command line over lib/crypto for the interop tests
// (tests/interop/run_interop.py). Not installed; not part of sealmilter.
//
//   smime_tool encrypt [--cipher C] [--oaep|--oaep-sha256] --to CERT... IN OUT
//   smime_tool sign --cert CERT --key KEY [--chain CERT]... IN OUT
//   smime_tool sign-encrypt --cert CERT --key KEY [--chain CERT]...
//              [--cipher C] --to CERT... IN OUT
//   smime_tool decrypt [--der] (--cert CERT --key KEY)... IN OUT
//   smime_tool verify (--anchor CERT)... [--system] [--sender ADDR]
//              [--content OUT] [--detached-content FILE] [--der] IN
//   smime_tool unwrap (--cert CERT --key KEY)... (--anchor CERT)... IN OUT
//
// IN is a MIME entity (headers, empty line, body) unless --der. Outputs are
// MIME entities with "MIME-Version: 1.0" first. verify prints
// "status: <valid|invalid|untrusted|expired>" and "reason: ..." and exits
// 0 only when valid; every command exits 2 on an error (message on stderr).
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "lib/crypto/decrypt.h"
#include "lib/crypto/encrypt.h"
#include "lib/crypto/sign.h"
#include "lib/crypto/unwrap.h"
#include "lib/crypto/verify.h"

namespace seal::crypto {
namespace {

struct Args {
  std::string command;
  std::vector<std::string> to, certs, keys, chain, anchors, positional;
  std::string cipher = "aes-256-cbc";
  std::string transport = "rsa-pkcs1";
  std::string sender, content_out, detached;
  bool system = false, der = false;
};

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  *out = s.str();
  return true;
}

std::string MustRead(const std::string& path) {
  std::string data;
  if (!ReadFile(path, &data)) {
    std::cerr << "smime_tool: cannot read " << path << "\n";
    std::exit(2);
  }
  return data;
}

[[noreturn]] void Fail(const Status& s) {
  std::cerr << "smime_tool: " << s.ToString() << "\n";
  std::exit(2);
}

template <typename T>
T Must(Result<T> r) {
  if (!r.ok()) Fail(r.status());
  return std::move(r).value();
}

Certificate LoadCert(const std::string& path) {
  return Must(Certificate::FromPem(MustRead(path)));
}

std::vector<KeyPair> LoadPairs(const Args& a) {
  if (a.certs.size() != a.keys.size()) {
    std::cerr << "smime_tool: --cert and --key must pair up\n";
    std::exit(2);
  }
  std::vector<KeyPair> pairs;
  for (size_t i = 0; i < a.certs.size(); ++i) {
    pairs.push_back(Must(KeyPair::Make(
        LoadCert(a.certs[i]), Must(PrivateKey::FromPem(MustRead(a.keys[i]))))));
  }
  return pairs;
}

std::shared_ptr<const TrustStore> LoadTrust(const Args& a) {
  TrustStoreOptions o;
  o.use_system_store = a.system;
  for (const std::string& path : a.anchors) {
    for (Certificate& c : Must(Certificate::AllFromPem(MustRead(path)))) {
      o.anchors.push_back(std::move(c));
    }
  }
  o.crl_policy = CrlPolicy::kOff;
  return Must(TrustStore::Create(o));
}

class FileOut {
 public:
  explicit FileOut(const std::string& path)
      : f_(std::fopen(path.c_str(), "wb")) {
    if (f_ == nullptr) {
      std::cerr << "smime_tool: cannot write " << path << "\n";
      std::exit(2);
    }
  }
  ~FileOut() {
    if (f_ != nullptr && std::fclose(f_) != 0) {
      std::cerr << "smime_tool: write failed\n";
      std::exit(2);
    }
  }
  ByteSink sink() {
    return [this](std::string_view s) {
      if (std::fwrite(s.data(), 1, s.size(), f_) != s.size()) {
        return IoError("write failed");
      }
      return Status::Ok();
    };
  }

 private:
  std::FILE* f_;
};

Signer LoadSigner(const Args& a) {
  std::vector<KeyPair> pairs = LoadPairs(a);
  if (pairs.size() != 1) {
    std::cerr << "smime_tool: signing needs exactly one --cert/--key\n";
    std::exit(2);
  }
  Signer s{pairs[0], {}};
  for (const std::string& c : a.chain) {
    for (Certificate& cert : Must(Certificate::AllFromPem(MustRead(c)))) {
      s.chain.push_back(std::move(cert));
    }
  }
  return s;
}

std::vector<EncryptRecipient> LoadRecipients(const Args& a) {
  KeyTransport t = Must(ParseKeyTransport(a.transport));
  std::vector<EncryptRecipient> out;
  for (const std::string& path : a.to) out.push_back({LoadCert(path), t});
  return out;
}

void PrintVerify(const VerifyResult& r) {
  std::cout << "status: " << SignatureStatusName(r.status) << "\n";
  if (!r.reason.empty()) std::cout << "reason: " << r.reason << "\n";
  for (const SignerReport& s : r.signers) {
    std::cout << "signer: " << (s.cert.valid() ? s.cert.Subject() : "?")
              << "\n";
    for (const std::string& e : s.emails) std::cout << "email: " << e << "\n";
    if (s.signing_time) {
      std::cout << "signing-time: " << FormatUtc(*s.signing_time) << "\n";
    }
    std::cout << "digest: " << s.digest << "\n";
    std::cout << "capabilities: " << s.capabilities.ToString() << "\n";
    std::cout << "chain-length: " << s.chain.size() << "\n";
  }
}

int Run(const Args& a) {
  if (a.command == "encrypt" || a.command == "sign" ||
      a.command == "sign-encrypt") {
    if (a.positional.size() != 2) return -1;
    std::string in = MustRead(a.positional[0]);
    FileOut out(a.positional[1]);
    ByteSink sink = out.sink();
    if (!sink("MIME-Version: 1.0\r\n").ok()) return 2;
    EncryptOptions enc;
    enc.cipher = Must(ParseContentCipher(a.cipher));
    if (a.command == "encrypt") {
      Must(EncryptEntity(in, LoadRecipients(a), enc, sink));
    } else if (a.command == "sign") {
      Must(SignEntity(in, LoadSigner(a), {}, sink));
    } else {
      Must(SignAndEncryptEntity(in, LoadSigner(a), {}, LoadRecipients(a), enc,
                                sink));
    }
    return 0;
  }
  if (a.command == "decrypt") {
    if (a.positional.size() != 2) return -1;
    std::string in = MustRead(a.positional[0]);
    FileOut out(a.positional[1]);
    DecryptResult r;
    if (a.der) {
      r = Must(DecryptCms(in, LoadPairs(a), out.sink()));
    } else {
      ParsedEntity p = Must(SplitEntity(in));
      r = Must(DecryptEntity(p.ref(), LoadPairs(a), out.sink()));
    }
    std::cout << "decrypted: " << r.bytes << " bytes with key "
              << r.key_index + 1 << (r.authenticated ? " (authenticated)" : "")
              << "\n";
    return 0;
  }
  if (a.command == "verify") {
    if (a.positional.size() != 1) return -1;
    std::string in = MustRead(a.positional[0]);
    auto trust = LoadTrust(a);
    VerifyOptions options;
    options.sender_address = a.sender;
    std::unique_ptr<FileOut> content;
    ByteSink sink;
    if (!a.content_out.empty()) {
      content = std::make_unique<FileOut>(a.content_out);
      sink = content->sink();
    }
    VerifyResult r;
    if (!a.detached.empty()) {
      std::string data = MustRead(a.detached);
      r = Must(VerifyDetached(data, in, *trust, options));
    } else if (a.der) {
      r = Must(VerifyOpaque(in, *trust, options, content ? &sink : nullptr));
    } else {
      ParsedEntity p = Must(SplitEntity(in));
      r = Must(
          VerifyEntity(p.ref(), *trust, options, content ? &sink : nullptr));
    }
    PrintVerify(r);
    return r.status == SignatureStatus::kValid ? 0 : 1;
  }
  if (a.command == "unwrap") {
    if (a.positional.size() != 2) return -1;
    std::string in = MustRead(a.positional[0]);
    auto trust = LoadTrust(a);
    FileOut out(a.positional[1]);
    ParsedEntity p = Must(SplitEntity(in));
    UnwrapOptions options;
    options.spool.directory = "/tmp";
    options.verify.sender_address = a.sender;
    UnwrapReport r =
        Must(UnwrapEntity(p.ref(), LoadPairs(a), *trust, options, out.sink()));
    for (const UnwrapLayer& l : r.layers) {
      if (l.kind == UnwrapLayer::Kind::kEncrypted) {
        std::cout << "layer: encrypted"
                  << (l.decrypt.authenticated ? " (authenticated)" : "")
                  << "\n";
      } else {
        std::cout << "layer: signed\n";
        PrintVerify(l.verify);
      }
    }
    const VerifyResult* sig = r.signature();
    return sig == nullptr || sig->status == SignatureStatus::kValid ? 0 : 1;
  }
  return -1;
}

}  // namespace
}  // namespace seal::crypto

int main(int argc, char** argv) {
  using seal::crypto::Args;
  Args a;
  if (argc < 2) {
    std::cerr << "usage: smime_tool encrypt|sign|sign-encrypt|decrypt|verify|"
                 "unwrap ... (see the source)\n";
    return 2;
  }
  a.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "smime_tool: " << arg << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--to") {
      a.to.push_back(value());
    } else if (arg == "--cert") {
      a.certs.push_back(value());
    } else if (arg == "--key") {
      a.keys.push_back(value());
    } else if (arg == "--chain") {
      a.chain.push_back(value());
    } else if (arg == "--anchor") {
      a.anchors.push_back(value());
    } else if (arg == "--cipher") {
      a.cipher = value();
    } else if (arg == "--oaep") {
      a.transport = "rsa-oaep";
    } else if (arg == "--oaep-sha256") {
      a.transport = "rsa-oaep-sha256";
    } else if (arg == "--sender") {
      a.sender = value();
    } else if (arg == "--content") {
      a.content_out = value();
    } else if (arg == "--detached-content") {
      a.detached = value();
    } else if (arg == "--system") {
      a.system = true;
    } else if (arg == "--der") {
      a.der = true;
    } else {
      a.positional.push_back(arg);
    }
  }
  try {
    int rc = seal::crypto::Run(a);
    if (rc < 0) {
      std::cerr << "smime_tool: bad arguments for " << a.command << "\n";
      return 2;
    }
    return rc;
  } catch (const std::exception& e) {
    std::cerr << "smime_tool: " << e.what() << "\n";
    return 2;
  }
}
