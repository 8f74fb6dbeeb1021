// S/MIME encryption throughput against its floor, side by side in one run:
// lib/crypto's streaming encryption (AES-256-CBC EnvelopedData, one RSA 2048
// recipient, base64 lines) of 1, 5 and 25 MB entities, versus the raw work
// underneath on the same bytes: EVP AES-256-CBC in 64 KiB slices plus
// EVP_EncodeBlock into 76-column CRLF lines, on one thread; and the cipher
// alone, the serial part (ours runs base64 and the sink on a second
// thread). All write into a sink that only counts bytes. "ours" is measured
// twice: EncryptEntity over one view, and EnvelopeWriter fed in 65535-byte
// slices as the milter would. Prints MB/s (of plaintext) and the ratio
// ours/raw, median of several rounds with min..max, and the peak RSS growth of
// one encryption (Linux: VmHWM after resetting it through
// /proc/self/clear_refs). Before timing, a 1 MB round trip through
// DecryptEntity checks the output is real S/MIME. Not a test: no thresholds;
// the target (ratio >= 0.5) is in README.md. Known limits: the RSA key
// transport (one public-key operation per message) is in "ours" only; it costs
// about 0.05 ms.
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "lib/crypto/certificate.h"
#include "lib/crypto/decrypt.h"
#include "lib/crypto/encrypt.h"

namespace {

using seal::crypto::Certificate;
using seal::crypto::EncryptRecipient;
using SteadyClock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& what) {
  fprintf(stderr, "encrypt_bench: %s\n", what.c_str());
  exit(1);
}

void Check(const seal::Status& s, const char* what) {
  if (!s.ok()) Die(std::string(what) + ": " + s.ToString());
}

double Seconds(const std::function<void()>& fn) {
  auto start = SteadyClock::now();
  fn();
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

struct Stats {
  double median, min, max;
};

Stats Summarise(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};
}

// A self-signed RSA 2048 certificate for S/MIME encryption, made here so the
// benchmark needs no files.
seal::crypto::KeyPair MakeIdentity() {
  seal::crypto::EvpPkeyPtr key(EVP_RSA_gen(2048));
  if (!key) Die("cannot generate an RSA key");
  seal::crypto::X509Ptr x(X509_new());
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(
      name, "CN", MBSTRING_ASC,
      reinterpret_cast<const unsigned char*>("bench@example.org"), -1, -1, 0);
  X509_set_issuer_name(x.get(), name);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 86400);
  X509_set_pubkey(x.get(), key.get());
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, x.get(), x.get(), nullptr, nullptr, 0);
  const std::pair<int, const char*> exts[] = {
      {NID_subject_alt_name, "email:bench@example.org"},
      {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
      {NID_ext_key_usage, "emailProtection"},
  };
  for (const auto& [nid, value] : exts) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (ext == nullptr || X509_add_ext(x.get(), ext, -1) != 1) {
      Die("cannot add an extension");
    }
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(x.get(), key.get(), EVP_sha256()) <= 0) Die("cannot sign");
  seal::Result<seal::crypto::KeyPair> pair = seal::crypto::KeyPair::Make(
      Certificate::Adopt(std::move(x)),
      seal::crypto::PrivateKey::Adopt(std::move(key)));
  if (!pair.ok()) Die(pair.status().ToString());
  return std::move(pair).value();
}

// A MIME entity of about `bytes`: a text part of pseudo-random words in
// CRLF lines (compressible text is what mail mostly is; AES does not care).
std::string MakeEntity(size_t bytes) {
  std::string out =
      "Content-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: 8bit\r\n\r\n";
  out.reserve(bytes + 128);
  static const char* const kWords[] = {"account", "invoice", "the",  "of",
                                       "payment", "IBAN",    "card", "and",
                                       "secure",  "message", "to",   "4711"};
  uint32_t state = 12345;
  size_t line = 0;
  while (out.size() < bytes) {
    state = state * 1103515245u + 12345u;
    const char* w = kWords[(state >> 16) % 12];
    out += w;
    line += strlen(w) + 1;
    if (line > 70) {
      out += "\r\n";
      line = 0;
    } else {
      out += ' ';
    }
  }
  return out;
}

// --- The floor: raw AES-256-CBC + base64 lines ----------------------------

class RawEncryptor {
 public:
  // `encode` false: the cipher alone, its output only counted (the serial
  // part no pipelining can overlap).
  uint64_t Run(std::string_view in, bool encode = true) {
    unsigned char key[32], iv[16];
    RAND_bytes(key, sizeof key);
    RAND_bytes(iv, sizeof iv);
    seal::crypto::EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key,
                                   iv) != 1) {
      Die("EVP_EncryptInit_ex");
    }
    out_bytes_ = 0;
    carry_len_ = 0;
    block_.clear();
    ct_.resize(kSlice + 32);
    int n = 0;
    while (!in.empty()) {
      size_t take = std::min(in.size(), kSlice);
      if (EVP_EncryptUpdate(ctx.get(), ct_.data(), &n,
                            reinterpret_cast<const unsigned char*>(in.data()),
                            static_cast<int>(take)) != 1) {
        Die("EVP_EncryptUpdate");
      }
      if (encode) {
        Encode(ct_.data(), static_cast<size_t>(n));
      } else {
        out_bytes_ += static_cast<uint64_t>(n);
      }
      in.remove_prefix(take);
    }
    if (EVP_EncryptFinal_ex(ctx.get(), ct_.data(), &n) != 1) {
      Die("EVP_EncryptFinal_ex");
    }
    if (!encode) return out_bytes_ + static_cast<uint64_t>(n);
    Encode(ct_.data(), static_cast<size_t>(n));
    if (carry_len_ > 0) EncodeLine(carry_, carry_len_);
    Flush();
    return out_bytes_;
  }

 private:
  static constexpr size_t kSlice = 64 * 1024;
  static constexpr size_t kLineBytes = 57;

  void EncodeLine(const unsigned char* p, size_t len) {
    unsigned char line[80];
    int chars = EVP_EncodeBlock(line, p, static_cast<int>(len));
    block_.append(reinterpret_cast<const char*>(line),
                  static_cast<size_t>(chars));
    block_ += "\r\n";
    if (block_.size() >= kSlice) Flush();
  }

  void Encode(const unsigned char* p, size_t len) {
    if (carry_len_ > 0) {
      size_t need = std::min(kLineBytes - carry_len_, len);
      std::copy(p, p + need, carry_ + carry_len_);
      carry_len_ += need;
      p += need;
      len -= need;
      if (carry_len_ < kLineBytes) return;
      EncodeLine(carry_, kLineBytes);
      carry_len_ = 0;
    }
    while (len >= kLineBytes) {
      EncodeLine(p, kLineBytes);
      p += kLineBytes;
      len -= kLineBytes;
    }
    std::copy(p, p + len, carry_);
    carry_len_ = len;
  }

  void Flush() {
    out_bytes_ += block_.size();  // the sink: count, as DiscardSink does
    block_.clear();
  }

  std::vector<unsigned char> ct_;
  std::string block_;
  unsigned char carry_[kLineBytes];
  size_t carry_len_ = 0;
  uint64_t out_bytes_ = 0;
};

// --- Ours ------------------------------------------------------------------

uint64_t OursOneView(const std::string& entity,
                     const std::vector<EncryptRecipient>& to) {
  uint64_t count = 0;
  seal::Result<std::vector<seal::crypto::HeaderField>> r =
      seal::crypto::EncryptEntity(entity, to, {},
                                  seal::crypto::DiscardSink(&count));
  Check(r.status(), "EncryptEntity");
  return count;
}

uint64_t OursSlices(const std::string& entity,
                    const std::vector<EncryptRecipient>& to) {
  constexpr size_t kChunk = 65535;  // libmilter's largest body chunk
  uint64_t count = 0;
  auto w = seal::crypto::EnvelopeWriter::Begin(
      to, {}, seal::crypto::DiscardSink(&count));
  Check(w.status(), "EnvelopeWriter::Begin");
  std::string_view rest = entity;
  while (!rest.empty()) {
    size_t n = std::min(rest.size(), kChunk);
    Check((*w)->Write(rest.substr(0, n)), "EnvelopeWriter::Write");
    rest.remove_prefix(n);
  }
  Check((*w)->Finish(), "EnvelopeWriter::Finish");
  return count;
}

// The output must decrypt back to the input.
void CheckRoundTrip(const seal::crypto::KeyPair& pair,
                    const std::vector<EncryptRecipient>& to) {
  std::string entity = MakeEntity(1 << 20);
  std::string cms;
  seal::crypto::EncryptOptions opts;
  opts.emit_headers = false;
  auto headers = seal::crypto::EncryptEntity(entity, to, opts,
                                             seal::crypto::StringSink(&cms));
  Check(headers.status(), "EncryptEntity (round trip)");
  seal::crypto::EntityRef ref;
  ref.content_type = "application/pkcs7-mime; smime-type=enveloped-data";
  ref.transfer_encoding = "base64";
  ref.body = cms;
  std::string plain;
  auto dec = seal::crypto::DecryptEntity(ref, {pair},
                                         seal::crypto::StringSink(&plain));
  Check(dec.status(), "DecryptEntity (round trip)");
  if (plain != entity) Die("round trip: decrypted text differs");
}

// Peak RSS tracking (Linux); -1 when unavailable.
long StatusKiB(const char* field) {  // NOLINT(runtime/int)
  std::ifstream f("/proc/self/status");
  std::string line;
  const size_t len = strlen(field);
  while (std::getline(f, line)) {
    if (line.compare(0, len, field) == 0) return atol(line.c_str() + len);
  }
  return -1;
}

bool ResetPeak() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
  f.flush();
  return static_cast<bool>(f);
}

}  // namespace

int main() {
  // More rounds for small messages: each takes milliseconds, and the
  // machine may be shared.
  auto rounds_for = [](size_t mb) { return mb >= 25 ? 9 : mb >= 5 ? 15 : 41; };
  seal::crypto::KeyPair pair = MakeIdentity();
  const std::vector<EncryptRecipient> to = {EncryptRecipient{pair.cert, {}}};
  CheckRoundTrip(pair, to);
  RawEncryptor raw;
  printf(
      "S/MIME AES-256-CBC, 1 RSA-2048 recipient. MB/s of plaintext: median "
      "(best) of the rounds; ratio ours/raw: median (min..max) per round\n");
  for (size_t mb : {size_t{1}, size_t{5}, size_t{25}}) {
    const std::string entity = MakeEntity(mb << 20);
    // One untimed run of each warms caches and measures memory.
    long rss_before = StatusKiB("VmRSS:");  // NOLINT(runtime/int)
    bool peak_ok = ResetPeak();
    uint64_t ours_out = OursSlices(entity, to);
    long peak = StatusKiB("VmHWM:");  // NOLINT(runtime/int)
    uint64_t raw_out = raw.Run(entity);
    if (ours_out < raw_out) Die("ours wrote less than the floor");

    std::vector<double> view_s, slice_s, raw_s, aes_s;
    const int rounds = rounds_for(mb);
    for (int round = 0; round < rounds; ++round) {
      // Alternate the order so neither always runs on a warm cache.
      auto one_round = [&](bool raw_first) {
        if (raw_first) raw_s.push_back(Seconds([&] { raw.Run(entity); }));
        view_s.push_back(Seconds([&] { OursOneView(entity, to); }));
        slice_s.push_back(Seconds([&] { OursSlices(entity, to); }));
        if (!raw_first) raw_s.push_back(Seconds([&] { raw.Run(entity); }));
        aes_s.push_back(Seconds([&] { raw.Run(entity, /*encode=*/false); }));
      };
      one_round(round % 2 == 0);
    }
    const double plain_mb = static_cast<double>(entity.size()) / 1e6;
    auto report = [&](const char* what, const std::vector<double>& ours) {
      std::vector<double> ratios;
      for (size_t i = 0; i < ours.size(); ++i) {
        ratios.push_back(raw_s[i] / ours[i]);
      }
      Stats o = Summarise(ours), r = Summarise(raw_s), q = Summarise(ratios);
      printf(
          "%2zu MB %-13s %2d rounds  ours %5.0f MB/s (%5.0f)  raw %5.0f "
          "MB/s (%5.0f)  ratio %.2f (%.2f..%.2f)\n",
          mb, what, rounds, plain_mb / o.median, plain_mb / o.min,
          plain_mb / r.median, plain_mb / r.min, q.median, q.min, q.max);
    };
    report("one view", view_s);
    report("64 KiB writes", slice_s);
    {
      std::vector<double> ratios;
      for (size_t i = 0; i < slice_s.size(); ++i) {
        ratios.push_back(aes_s[i] / slice_s[i]);
      }
      Stats a = Summarise(aes_s), q = Summarise(ratios);
      printf(
          "%2zu MB AES-256-CBC alone %5.0f MB/s (%5.0f): 64 KiB writes at "
          "%.2f (%.2f..%.2f) of it\n",
          mb, plain_mb / a.median, plain_mb / a.min, q.median, q.min, q.max);
    }
    if (peak_ok && peak >= 0 && rss_before >= 0) {
      printf(
          "%2zu MB peak RSS growth during one encryption: %ld KiB "
          "(output %.1f MB, discarded as produced)\n",
          mb, std::max(0L, peak - rss_before),
          static_cast<double>(ours_out) / 1e6);
    }
  }
  return 0;
}
