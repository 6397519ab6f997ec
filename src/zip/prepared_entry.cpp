#include "zip/prepared_entry.h"

#include <libdeflate.h>

#include <memory>
#include <new>

#include "core/error.h"

namespace pacsport::zip {
namespace {

struct CompressorDeleter {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};

// The deflated bytes when they are smaller than `data`, or an empty string.
std::string DeflateIfSmaller(std::string_view data, int level) {
  const std::unique_ptr<libdeflate_compressor, CompressorDeleter> compressor(
      libdeflate_alloc_compressor(level));
  if (!compressor) throw std::bad_alloc();
  // One byte less than the input: libdeflate answers 0 when the result does not fit.
  std::string out(data.size() - 1, '\0');
  const size_t size = libdeflate_deflate_compress(compressor.get(), data.data(), data.size(),
                                                  out.data(), out.size());
  out.resize(size);
  return out;
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
