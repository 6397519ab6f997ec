#include "zip/deflate_stream.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <limits>

namespace pacsport::zip {
namespace {

constexpr size_t kOutputBufferSize = 64 * 1024;
constexpr int kRawDeflateWindowBits = -15;  // negative: no zlib header or trailer
constexpr int kMemLevel = 8;                // zlib's default
constexpr size_t kMaxInputPerCall = std::numeric_limits<uInt>::max();

}  // namespace

struct DeflateStream::Impl {
  z_stream stream{};  // zlib keeps a pointer to it: Impl never moves once created
  std::array<unsigned char, kOutputBufferSize> buffer;

  ~Impl() { deflateEnd(&stream); }  // harmless on a stream that failed to start
};

Result<DeflateStream> DeflateStream::Create(int level) {
  auto impl = std::make_unique<Impl>();
  const int rc = deflateInit2(&impl->stream, level, Z_DEFLATED, kRawDeflateWindowBits, kMemLevel,
                              Z_DEFAULT_STRATEGY);
  if (rc != Z_OK) return Internal("zlib could not start a deflate stream");
  return DeflateStream(std::move(impl));
}

DeflateStream::DeflateStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DeflateStream::DeflateStream(DeflateStream&&) noexcept = default;
DeflateStream& DeflateStream::operator=(DeflateStream&&) noexcept = default;
DeflateStream::~DeflateStream() = default;

uint64_t DeflateStream::MaxOutputSize(uint64_t input_size) const {
  return deflateBound(&impl_->stream, static_cast<uLong>(input_size));
}

Status DeflateStream::Write(std::string_view input, const Output& output) {
  while (!input.empty()) {
    const size_t piece = std::min(input.size(), kMaxInputPerCall);
    if (Status s = Run(input.substr(0, piece), Z_NO_FLUSH, output); !s.ok()) return s;
    input.remove_prefix(piece);
  }
  return Status::Ok();
}

Status DeflateStream::Finish(const Output& output) { return Run({}, Z_FINISH, output); }

Status DeflateStream::Run(std::string_view input, int flush, const Output& output) {
  z_stream& z = impl_->stream;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  z.avail_in = static_cast<uInt>(input.size());
  int rc = Z_OK;
  do {
    z.next_out = impl_->buffer.data();
    z.avail_out = static_cast<uInt>(impl_->buffer.size());
    rc = deflate(&z, flush);
    if (rc == Z_STREAM_ERROR) return Internal("zlib deflate failed");
    const size_t produced = impl_->buffer.size() - z.avail_out;
    if (produced > 0) {
      const std::string_view bytes(reinterpret_cast<const char*>(impl_->buffer.data()), produced);
      if (Status s = output(bytes); !s.ok()) return s;
    }
    // A full buffer may mean more output is pending; when finishing, run to the end.
  } while (z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
  return Status::Ok();
}

}  // namespace pacsport::zip
