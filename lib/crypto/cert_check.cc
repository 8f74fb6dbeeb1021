// Certificate usability checks with structured reasons.
#include "lib/crypto/cert_check.h"

#include <ctime>

namespace seal::crypto {
namespace {

std::string DepthText(int depth) {
  return depth == 0 ? "certificate"
                    : "issuer at depth " + std::to_string(depth);
}

void AddChainIssues(const ChainReport& chain, CertCheckReport* report) {
  for (const ChainIssue& i : chain.issues) {
    CertProblem problem;
    switch (i.error) {
      case X509_V_ERR_CERT_HAS_EXPIRED:
      case X509_V_ERR_CERT_NOT_YET_VALID:
      case X509_V_ERR_INVALID_PURPOSE:
        // Checked directly for the certificate itself, with better detail.
        if (i.depth == 0) continue;
        problem = i.error == X509_V_ERR_CERT_HAS_EXPIRED ? CertProblem::kExpired
                  : i.error == X509_V_ERR_CERT_NOT_YET_VALID
                      ? CertProblem::kNotYetValid
                      : CertProblem::kChainInvalid;
        break;
      case X509_V_ERR_CERT_REVOKED:
        problem = CertProblem::kRevoked;
        break;
      case X509_V_ERR_UNABLE_TO_GET_CRL:
      case X509_V_ERR_CRL_HAS_EXPIRED:
      case X509_V_ERR_CRL_NOT_YET_VALID:
      case X509_V_ERR_CRL_SIGNATURE_FAILURE:
      case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
      case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
      case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
      case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
        problem = CertProblem::kRevocationUnknown;
        break;
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
      case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
      case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      case X509_V_ERR_CERT_UNTRUSTED:
      case X509_V_ERR_CERT_REJECTED:
        problem = CertProblem::kUntrusted;
        break;
      default:
        problem = CertProblem::kChainInvalid;
        break;
    }
    report->issues.push_back(
        {problem, i.text + " (" + DepthText(i.depth) + ")"});
  }
}

}  // namespace

std::string_view CertProblemName(CertProblem problem) {
  switch (problem) {
    case CertProblem::kExpired:
      return "expired";
    case CertProblem::kNotYetValid:
      return "not-yet-valid";
    case CertProblem::kKeyUsage:
      return "key-usage";
    case CertProblem::kExtendedKeyUsage:
      return "extended-key-usage";
    case CertProblem::kAddressMismatch:
      return "address-mismatch";
    case CertProblem::kUntrusted:
      return "untrusted";
    case CertProblem::kRevoked:
      return "revoked";
    case CertProblem::kRevocationUnknown:
      return "revocation-unknown";
    case CertProblem::kUnsupportedKey:
      return "unsupported-key";
    case CertProblem::kWeakKey:
      return "weak-key";
    case CertProblem::kChainInvalid:
      return "chain-invalid";
  }
  return "unknown";
}

bool CertCheckReport::Has(CertProblem problem) const {
  for (const CertIssue& i : issues) {
    if (i.problem == problem) return true;
  }
  return false;
}

std::string CertCheckReport::Summary() const {
  if (issues.empty()) return "usable";
  std::string out;
  for (const CertIssue& i : issues) {
    if (!out.empty()) out += "; ";
    out += CertProblemName(i.problem);
    if (!i.detail.empty()) {
      out += " (";
      out += i.detail;
      out += ")";
    }
  }
  return out;
}

Result<CertCheckReport> CheckCertificate(const Certificate& cert,
                                         const CertCheckOptions& options) {
  return NoThrow("certificate check", [&]() -> Result<CertCheckReport> {
    if (!cert.valid()) return InvalidArgumentError("no certificate to check");
    ClearOpenSslErrors();
    CertCheckReport report;
    const int64_t now =
        options.at_time.value_or(static_cast<int64_t>(std::time(nullptr)));

    if (cert.NotAfter() < now) {
      report.issues.push_back(
          {CertProblem::kExpired, "notAfter " + FormatUtc(cert.NotAfter())});
    }
    if (cert.NotBefore() > now) {
      report.issues.push_back({CertProblem::kNotYetValid,
                               "notBefore " + FormatUtc(cert.NotBefore())});
    }

    const KeyKind kind = cert.key_kind();
    if (kind == KeyKind::kOther) {
      report.issues.push_back(
          {CertProblem::kUnsupportedKey, "only RSA and EC keys are supported"});
    } else if (kind == KeyKind::kRsa &&
               cert.key_bits() < options.min_rsa_bits) {
      report.issues.push_back(
          {CertProblem::kWeakKey,
           "RSA " + std::to_string(cert.key_bits()) + " bits, at least " +
               std::to_string(options.min_rsa_bits) + " required"});
    }

    // X509_get_key_usage caches extensions; UINT32_MAX means "absent".
    const uint32_t ku = X509_get_key_usage(cert.get());
    const uint32_t xku = X509_get_extended_key_usage(cert.get());
    if (X509_get_extension_flags(cert.get()) & EXFLAG_INVALID) {
      report.issues.push_back(
          {CertProblem::kChainInvalid, "certificate has invalid extensions"});
    }
    if (options.use == CertUse::kEncryption) {
      uint32_t need =
          kind == KeyKind::kEc ? KU_KEY_AGREEMENT : KU_KEY_ENCIPHERMENT;
      if ((ku & need) == 0) {
        report.issues.push_back(
            {CertProblem::kKeyUsage, kind == KeyKind::kEc
                                         ? "keyUsage lacks keyAgreement"
                                         : "keyUsage lacks keyEncipherment"});
      }
    } else if ((ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)) == 0) {
      report.issues.push_back(
          {CertProblem::kKeyUsage,
           "keyUsage lacks digitalSignature and nonRepudiation"});
    }
    if ((xku & (XKU_SMIME | XKU_ANYEKU)) == 0) {
      report.issues.push_back({CertProblem::kExtendedKeyUsage,
                               "extendedKeyUsage lacks emailProtection"});
    }

    if (!options.address.empty() && !cert.HasEmail(options.address)) {
      std::string have;
      for (const std::string& a : cert.EmailAddresses()) {
        if (!have.empty()) have += ", ";
        have += a;
      }
      report.issues.push_back(
          {CertProblem::kAddressMismatch,
           "certificate is not for " + options.address + " (it names " +
               (have.empty() ? std::string("no address") : have) + ")"});
    }

    if (options.trust != nullptr) {
      Result<ChainReport> chain = options.trust->VerifyChain(
          cert, options.intermediates,
          options.use == CertUse::kSigning ? ChainPurpose::kSmimeSign
                                           : ChainPurpose::kSmimeEncrypt,
          now);
      if (!chain.ok()) return chain.status();
      AddChainIssues(*chain, &report);
      report.chain = std::move(chain->chain);
      report.revocation_checked = chain->revocation_checked;
    }
    return report;
  });
}

Result<Certificate> ChooseCertificate(
    const std::vector<Certificate>& candidates, const CertCheckOptions& options,
    std::vector<CertCheckReport>* reports) {
  const Certificate* best = nullptr;
  std::string why;
  if (reports != nullptr) reports->clear();
  for (const Certificate& c : candidates) {
    Result<CertCheckReport> r = CheckCertificate(c, options);
    if (!r.ok()) return r.status();
    if (r->usable()) {
      if (best == nullptr || c.NotAfter() > best->NotAfter()) best = &c;
    } else {
      if (!why.empty()) why += " | ";
      why += "serial " + c.SerialHex() + ": " + r->Summary();
    }
    if (reports != nullptr) reports->push_back(std::move(r).value());
  }
  if (best != nullptr) return *best;
  if (candidates.empty()) {
    return NotFoundError("no certificate" + (options.address.empty()
                                                 ? std::string()
                                                 : " for " + options.address));
  }
  return NotFoundError(
      "no usable certificate" +
      (options.address.empty() ? std::string() : " for " + options.address) +
      ": " + why);
}

}  // namespace seal::crypto
