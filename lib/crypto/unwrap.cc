// Layer-by-layer S/MIME unwrapping through Spools.
#include "lib/crypto/unwrap.h"

#include <memory>

#include "lib/crypto/ossl.h"

namespace seal::crypto {
namespace {

enum class LayerType {
  kEncrypted,
  kSignedDetached,
  kSignedOpaque,
  kUnknownCms,
  kClear
};

LayerType Classify(const EntityRef& e) {
  Result<ContentType> ct = ParseContentType(e.content_type);
  if (!ct.ok()) return LayerType::kClear;
  if (ct->Is("multipart", "signed")) {
    std::string protocol = ToLowerAscii(ct->Param("protocol"));
    if (protocol == "application/pkcs7-signature" ||
        protocol == "application/x-pkcs7-signature") {
      return LayerType::kSignedDetached;
    }
    return LayerType::kClear;
  }
  if (ct->type == "application" &&
      (ct->subtype == "pkcs7-mime" || ct->subtype == "x-pkcs7-mime")) {
    std::string st = ToLowerAscii(ct->Param("smime-type"));
    if (st == "signed-data") return LayerType::kSignedOpaque;
    if (st == "enveloped-data" || st == "authenveloped-data") {
      return LayerType::kEncrypted;
    }
    if (st.empty()) return LayerType::kUnknownCms;  // the CMS type decides
  }
  return LayerType::kClear;
}

}  // namespace

bool UnwrapReport::decrypted() const {
  for (const UnwrapLayer& l : layers) {
    if (l.kind == UnwrapLayer::Kind::kEncrypted) return true;
  }
  return false;
}

const VerifyResult* UnwrapReport::signature() const {
  const VerifyResult* found = nullptr;
  for (const UnwrapLayer& l : layers) {
    if (l.kind == UnwrapLayer::Kind::kSigned) found = &l.verify;
  }
  return found;
}

Result<UnwrapReport> UnwrapEntity(const EntityRef& entity,
                                  const std::vector<KeyPair>& keys,
                                  const TrustStore& trust,
                                  const UnwrapOptions& options, ByteSink out) {
  return NoThrow("unwrap", [&]() -> Result<UnwrapReport> {
    UnwrapReport report;
    std::vector<std::unique_ptr<Spool>> spools;  // keep layers' bytes alive
    std::vector<SpoolView> views;
    EntityRef current = entity;
    std::string_view current_bytes;  // the whole entity once known
    for (int depth = 0;; ++depth) {
      LayerType type = Classify(current);
      if (type == LayerType::kClear) {
        if (depth == 0) {
          return FailedPreconditionError(
              "unwrap: not an S/MIME message (Content-Type: " +
              current.content_type + ")");
        }
        SEAL_RETURN_IF_ERROR(out(current_bytes));
        return report;
      }
      if (depth >= options.max_layers) {
        return ResourceExhaustedError("unwrap: more than " +
                                      std::to_string(options.max_layers) +
                                      " S/MIME layers");
      }
      UnwrapLayer layer{UnwrapLayer::Kind::kEncrypted, {}, {}};
      auto spool = std::make_unique<Spool>(options.spool);
      bool spooled = true;
      if (type == LayerType::kUnknownCms) {
        // No smime-type: decrypt if it is enveloped, else verify.
        Result<DecryptResult> d =
            DecryptEntity(current, keys, SpoolSink(spool.get()));
        if (d.ok()) {
          layer.decrypt = *d;
        } else if (d.status().code() == StatusCode::kFailedPrecondition) {
          type = LayerType::kSignedOpaque;
        } else {
          return d.status();
        }
      } else if (type == LayerType::kEncrypted) {
        Result<DecryptResult> d =
            DecryptEntity(current, keys, SpoolSink(spool.get()));
        if (!d.ok()) return d.status();
        layer.decrypt = *d;
      }
      if (type == LayerType::kSignedOpaque ||
          type == LayerType::kSignedDetached) {
        layer.kind = UnwrapLayer::Kind::kSigned;
        // Opaque signed-data yields its content into the spool; for
        // multipart/signed the content is a view of the current bytes.
        const bool opaque = type == LayerType::kSignedOpaque;
        ByteSink sink = SpoolSink(spool.get());
        Result<VerifyResult> v = VerifyEntity(current, trust, options.verify,
                                              opaque ? &sink : nullptr);
        if (!v.ok()) return v.status();
        spooled = v->opaque;
        if (!spooled) current_bytes = v->signed_content;
        layer.verify = std::move(v).value();
        layer.verify.signed_content = {};
      }
      report.layers.push_back(std::move(layer));
      if (spooled) {
        Result<SpoolView> view = spool->Map();
        if (!view.ok()) return view.status();
        current_bytes = view->data();
        views.push_back(std::move(view).value());
        spools.push_back(std::move(spool));
      }
      Result<ParsedEntity> inner = SplitEntity(current_bytes);
      if (!inner.ok())
        return inner.status().WithContext("unwrap: inner entity");
      current = inner->ref();
    }
  });
}

}  // namespace seal::crypto
