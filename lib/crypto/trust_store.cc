// TrustStore: X509_STORE assembly and chain verification with all errors.
#include "lib/crypto/trust_store.h"

#include <sys/stat.h>

#include <utility>

namespace seal::crypto {
namespace {

struct VerifyState {
  CrlPolicy crl_policy = CrlPolicy::kOff;
  std::vector<ChainIssue> issues;
  bool crl_missing = false;
};

// Records every error and lets verification continue, so the report lists
// them all; a missing CRL under the soft policy is only noted.
int RecordingCallback(int ok, X509_STORE_CTX* ctx) {
  if (ok == 1) return 1;
  auto* state = static_cast<VerifyState*>(X509_STORE_CTX_get_ex_data(ctx, 0));
  if (state == nullptr) return 0;
  int err = X509_STORE_CTX_get_error(ctx);
  int depth = X509_STORE_CTX_get_error_depth(ctx);
  if (err == X509_V_ERR_UNABLE_TO_GET_CRL) {
    state->crl_missing = true;
    if (state->crl_policy == CrlPolicy::kSoft) return 1;
  }
  for (const ChainIssue& i : state->issues) {
    if (i.error == err && i.depth == depth) return 1;
  }
  state->issues.push_back({err, depth, X509_verify_cert_error_string(err)});
  return 1;
}

bool IsMissingIssuer(int err) {
  return err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
         err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
         err == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
         err == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN ||
         err == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
}

bool IsCrlError(int err) {
  switch (err) {
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_CRL_NOT_YET_VALID:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
    case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
    case X509_V_ERR_DIFFERENT_CRL_SCOPE:
    case X509_V_ERR_CRL_PATH_VALIDATION_ERROR:
      return true;
    default:
      return false;
  }
}

bool IsFile(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool IsDir(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

TrustStore::TrustStore(TrustStoreOptions options, X509StorePtr store)
    : options_(std::move(options)), store_(std::move(store)) {}

TrustStore::~TrustStore() = default;

Result<std::shared_ptr<const TrustStore>> TrustStore::Create(
    TrustStoreOptions options) {
  return NoThrow(
      "trust store", [&]() -> Result<std::shared_ptr<const TrustStore>> {
        ClearOpenSslErrors();
        X509StorePtr store(X509_STORE_new());
        if (!store) return OpenSslError("cannot create an X509_STORE");
        if (options.use_system_store) {
          if (IsFile(options.system_bundle)) {
            if (X509_STORE_load_file(store.get(),
                                     options.system_bundle.c_str()) != 1) {
              return OpenSslError(
                  "cannot load CA bundle " + options.system_bundle,
                  StatusCode::kIoError);
            }
          } else if (IsDir(options.system_dir)) {
            if (X509_STORE_load_path(store.get(), options.system_dir.c_str()) !=
                1) {
              return OpenSslError(
                  "cannot use CA directory " + options.system_dir,
                  StatusCode::kIoError);
            }
          } else {
            return NotFoundError("no system CA bundle (" +
                                 options.system_bundle + ") or directory (" +
                                 options.system_dir +
                                 "): install ca-certificates");
          }
        }
        for (const Certificate& anchor : options.anchors) {
          if (!anchor.valid()) continue;
          if (X509_STORE_add_cert(store.get(), anchor.get()) != 1) {
            return OpenSslError("cannot add anchor " + anchor.Subject());
          }
        }
        for (const Crl& crl : options.crls) {
          if (!crl.valid()) continue;
          if (X509_STORE_add_crl(store.get(), crl.get()) != 1) {
            return OpenSslError("cannot add a CRL");
          }
        }
        unsigned long flags = X509_V_FLAG_PARTIAL_CHAIN;  // NOLINT(runtime/int)
        if (options.crl_policy != CrlPolicy::kOff) {
          flags |= X509_V_FLAG_CRL_CHECK;
          if (options.crl_check_chain) flags |= X509_V_FLAG_CRL_CHECK_ALL;
        }
        if (X509_STORE_set_flags(store.get(), flags) != 1) {
          return OpenSslError("cannot set verification flags");
        }
        return std::shared_ptr<const TrustStore>(
            new TrustStore(std::move(options), std::move(store)));
      });
}

Result<ChainReport> TrustStore::VerifyChain(
    const Certificate& leaf, const std::vector<Certificate>& untrusted,
    ChainPurpose purpose, std::optional<int64_t> at_time) const {
  return NoThrow("chain verification", [&]() -> Result<ChainReport> {
    ClearOpenSslErrors();
    if (!leaf.valid()) return InvalidArgumentError("no certificate to verify");
    Result<X509StackPtr> stack = ToX509Stack(untrusted);
    if (!stack.ok()) return stack.status();
    X509StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (!ctx) return OpenSslError("cannot create an X509_STORE_CTX");
    if (X509_STORE_CTX_init(ctx.get(), store_.get(), leaf.get(),
                            stack->get()) != 1) {
      return OpenSslError("cannot initialise chain verification");
    }
    // OpenSSL has named defaults for signing only; encryption sets the
    // purpose and the e-mail trust setting directly.
    const char* name =
        purpose == ChainPurpose::kSmimeSign ? "smime_sign" : "default";
    if (X509_STORE_CTX_set_default(ctx.get(), name) != 1) {
      return OpenSslError("cannot set verification defaults");
    }
    if (purpose == ChainPurpose::kSmimeEncrypt &&
        (X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SMIME_ENCRYPT) !=
             1 ||
         X509_STORE_CTX_set_trust(ctx.get(), X509_TRUST_EMAIL) != 1)) {
      return OpenSslError("cannot set the S/MIME encryption purpose");
    }
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    if (at_time.has_value()) {
      X509_VERIFY_PARAM_set_time(param, static_cast<time_t>(*at_time));
    }
    VerifyState state;
    state.crl_policy = options_.crl_policy;
    X509_STORE_CTX_set_ex_data(ctx.get(), 0, &state);
    X509_STORE_CTX_set_verify_cb(ctx.get(), RecordingCallback);
    int r = X509_verify_cert(ctx.get());
    ChainReport report;
    if (r < 0) return OpenSslError("chain verification failed internally");
    if (r == 0 && state.issues.empty()) {
      // Failed without reaching the callback (e.g. an internal error).
      int err = X509_STORE_CTX_get_error(ctx.get());
      state.issues.push_back({err, X509_STORE_CTX_get_error_depth(ctx.get()),
                              X509_verify_cert_error_string(err)});
    }
    ClearOpenSslErrors();
    // Without the issuer, OpenSSL goes on to check CRLs against the wrong
    // certificate: those follow-on errors say nothing about revocation.
    bool incomplete = false;
    for (const ChainIssue& i : state.issues) {
      if (IsMissingIssuer(i.error)) incomplete = true;
    }
    if (incomplete) {
      std::erase_if(state.issues,
                    [](const ChainIssue& i) { return IsCrlError(i.error); });
      state.crl_missing = true;
    }
    report.issues = std::move(state.issues);
    report.trusted = report.issues.empty();
    report.chain = FromX509Stack(X509_STORE_CTX_get0_chain(ctx.get()));
    report.revocation_checked =
        options_.crl_policy != CrlPolicy::kOff && !state.crl_missing;
    return report;
  });
}

}  // namespace seal::crypto
