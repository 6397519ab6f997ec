#include "zip/prepared_entry.h"

#include <libdeflate.h>

#include <array>
#include <memory>
#include <new>

#include "core/error.h"

namespace pacsport::zip {
namespace {

struct CompressorDeleter {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};

// This thread's compressor for `level`, kept for the thread's lifetime: allocating and
// initialising one per entry (about 1 MB at level 9) cost more than small entries.
libdeflate_compressor& CompressorFor(int level) {
  thread_local std::array<std::unique_ptr<libdeflate_compressor, CompressorDeleter>, 10> cache;
  auto& compressor = cache[static_cast<size_t>(level)];
  if (!compressor) compressor.reset(libdeflate_alloc_compressor(level));
  if (!compressor) throw std::bad_alloc();
  return *compressor;
}

// Inputs up to this size are compressed into a buffer the thread keeps; larger ones
// into a buffer of their own, so that no thread keeps a large buffer for life.
constexpr size_t kScratchMaxBytes = size_t{8} << 20;

// The deflated bytes when they are smaller than `data`, or an empty string.
std::string DeflateIfSmaller(std::string_view data, int level) {
  // The output buffer is one byte smaller than the input: libdeflate answers 0 when
  // the result does not fit.
  const size_t capacity = data.size() - 1;
  thread_local std::string scratch;
  std::string own;
  std::string& out = capacity <= kScratchMaxBytes ? scratch : own;
  if (out.size() < capacity) out.resize(capacity);
  const size_t size = libdeflate_deflate_compress(&CompressorFor(level), data.data(), data.size(),
                                                  out.data(), capacity);
  if (&out == &own) {
    own.resize(size);
    return own;
  }
  return scratch.substr(0, size);
}

}  // namespace

PreparedEntry Prepare(std::string name, std::string_view data, int level) {
  if (level < 0 || level > 9) throw ErrorException(Internal("ZIP compression level must be 0-9"));
  PreparedEntry entry;
  entry.name = std::move(name);
  entry.crc32 = static_cast<uint32_t>(libdeflate_crc32(0, data.data(), data.size()));
  entry.uncompressed_size = data.size();
  if (level > 0 && !data.empty()) entry.payload = DeflateIfSmaller(data, level);
  if (entry.payload.empty()) {
    entry.method = Method::kStore;
    entry.payload.assign(data);
  } else {
    entry.method = Method::kDeflate;
  }
  return entry;
}

}  // namespace pacsport::zip
