// SinkBio and SourceBio: custom BIO_METHODs forwarding to C++ callbacks.
#include "lib/crypto/bio_adapters.h"

#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include "lib/crypto/ossl.h"

namespace seal::crypto {

struct SinkBio::State {
  ByteSink sink;
  Status status;
  uint64_t bytes = 0;
  BIO* bio = nullptr;
};

struct SourceBio::State {
  ReadFn read;
  Status status;
  bool eof = false;
  BIO* bio = nullptr;
};

namespace {

// Both methods answer the controls filter BIOs above them send.
long CommonCtrl(int cmd, bool eof) {  // NOLINT(runtime/int): OpenSSL's type
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_EOF:
      return eof ? 1 : 0;
    case BIO_CTRL_PENDING:
    case BIO_CTRL_WPENDING:
      return 0;
    default:
      return 0;
  }
}

int SinkWrite(BIO* bio, const char* data, size_t len, size_t* written) {
  auto* state = static_cast<SinkBio::State*>(BIO_get_data(bio));
  *written = 0;
  if (state == nullptr || !state->status.ok()) return 0;
  if (len == 0) return 1;
  Status s;
  try {
    s = state->sink(std::string_view(data, len));
  } catch (const std::bad_alloc&) {
    s = InternalError("output sink: out of memory");  // a retry may work
  } catch (const std::exception& e) {
    s = InternalError(std::string("output sink threw: ") + e.what());
  } catch (...) {
    s = InternalError("output sink threw an exception");
  }
  if (!s.ok()) {
    state->status = s;
    return 0;
  }
  state->bytes += len;
  *written = len;
  return 1;
}

long SinkCtrl(BIO*, int cmd, long, void*) {  // NOLINT(runtime/int)
  return CommonCtrl(cmd, false);
}

int SourceRead(BIO* bio, char* buf, size_t len, size_t* got) {
  auto* state = static_cast<SourceBio::State*>(BIO_get_data(bio));
  *got = 0;
  if (state == nullptr || !state->status.ok() || state->eof) return 0;
  if (len == 0) return 0;
  Result<size_t> r = [&]() -> Result<size_t> {
    try {
      return state->read(buf, len);
    } catch (...) {
      return InternalError("read callback threw an exception");
    }
  }();
  if (!r.ok()) {
    state->status = r.status();
    return 0;
  }
  if (*r == 0) {
    state->eof = true;
    return 0;
  }
  *got = *r;
  return 1;
}

long SourceCtrl(BIO* bio, int cmd, long, void*) {  // NOLINT(runtime/int)
  auto* state = static_cast<SourceBio::State*>(BIO_get_data(bio));
  return CommonCtrl(cmd, state == nullptr || state->eof);
}

int Create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

int Destroy(BIO* bio) {
  BIO_set_data(bio, nullptr);
  return 1;
}

const BIO_METHOD* SinkMethod() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m =
        BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "seal sink");
    if (m != nullptr) {
      BIO_meth_set_write_ex(m, SinkWrite);
      BIO_meth_set_ctrl(m, SinkCtrl);
      BIO_meth_set_create(m, Create);
      BIO_meth_set_destroy(m, Destroy);
    }
    return m;
  }();
  return method;
}

const BIO_METHOD* SourceMethod() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m =
        BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "seal source");
    if (m != nullptr) {
      BIO_meth_set_read_ex(m, SourceRead);
      BIO_meth_set_ctrl(m, SourceCtrl);
      BIO_meth_set_create(m, Create);
      BIO_meth_set_destroy(m, Destroy);
    }
    return m;
  }();
  return method;
}

}  // namespace

Result<SinkBio> SinkBio::Create(ByteSink sink) {
  const BIO_METHOD* method = SinkMethod();
  if (method == nullptr) return OpenSslError("cannot create the sink BIO type");
  auto state = std::make_unique<State>();
  state->sink = std::move(sink);
  state->bio = BIO_new(method);
  if (state->bio == nullptr) return OpenSslError("cannot create a sink BIO");
  BIO_set_data(state->bio, state.get());
  return SinkBio(std::move(state));
}

SinkBio::SinkBio(std::unique_ptr<State> state) : state_(std::move(state)) {}
SinkBio::SinkBio(SinkBio&&) noexcept = default;
SinkBio& SinkBio::operator=(SinkBio&& other) noexcept {
  if (this != &other) {
    if (state_ && state_->bio != nullptr) BIO_free(state_->bio);
    state_ = std::move(other.state_);
  }
  return *this;
}
SinkBio::~SinkBio() {
  if (state_ && state_->bio != nullptr) BIO_free(state_->bio);
}
BIO* SinkBio::bio() const { return state_->bio; }
const Status& SinkBio::status() const { return state_->status; }
uint64_t SinkBio::bytes_written() const { return state_->bytes; }

Result<SourceBio> SourceBio::Create(ReadFn read) {
  const BIO_METHOD* method = SourceMethod();
  if (method == nullptr) {
    return OpenSslError("cannot create the source BIO type");
  }
  auto state = std::make_unique<State>();
  state->read = std::move(read);
  state->bio = BIO_new(method);
  if (state->bio == nullptr) return OpenSslError("cannot create a source BIO");
  BIO_set_data(state->bio, state.get());
  return SourceBio(std::move(state));
}

SourceBio::SourceBio(std::unique_ptr<State> state) : state_(std::move(state)) {}
SourceBio::SourceBio(SourceBio&&) noexcept = default;
SourceBio& SourceBio::operator=(SourceBio&& other) noexcept {
  if (this != &other) {
    if (state_ && state_->bio != nullptr) BIO_free(state_->bio);
    state_ = std::move(other.state_);
  }
  return *this;
}
SourceBio::~SourceBio() {
  if (state_ && state_->bio != nullptr) BIO_free(state_->bio);
}
BIO* SourceBio::bio() const { return state_->bio; }
const Status& SourceBio::status() const { return state_->status; }

}  // namespace seal::crypto
