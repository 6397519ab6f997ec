#include "ingest/deflated_size.h"

#include <libdeflate.h>

#include <memory>
#include <vector>

namespace pacsport {
namespace {

constexpr std::size_t kChunkBytes = std::size_t{1} << 20;
constexpr int kMeasuringLevel = 1;

struct CompressorDeleter {
  void operator()(libdeflate_compressor* compressor) const {
    libdeflate_free_compressor(compressor);
  }
};

}  // namespace

bool IsEncapsulatedSyntax(std::string_view transfer_syntax_uid) {
  return transfer_syntax_uid.starts_with("1.2.840.10008.1.2.4.") ||
         transfer_syntax_uid == "1.2.840.10008.1.2.5";
}

DeflatedSizeMeter::DeflatedSizeMeter(std::string_view transfer_syntax_uid) {
  if (!IsEncapsulatedSyntax(transfer_syntax_uid)) total_ = 0;
}

void DeflatedSizeMeter::Add(std::string_view bytes) {
  if (!total_) return;
  thread_local std::unique_ptr<libdeflate_compressor, CompressorDeleter> compressor(
      libdeflate_alloc_compressor(kMeasuringLevel));
  if (!compressor) {  // out of memory: the estimate falls back to a ratio
    total_.reset();
    return;
  }
  thread_local std::vector<char> out(
      libdeflate_deflate_compress_bound(compressor.get(), kChunkBytes));
  for (std::size_t at = 0; at < bytes.size(); at += kChunkBytes) {
    const std::string_view chunk = bytes.substr(at, kChunkBytes);
    const std::size_t written = libdeflate_deflate_compress(compressor.get(), chunk.data(),
                                                            chunk.size(), out.data(), out.size());
    // libdeflate answers 0 only when the output does not fit, which the bound rules out.
    *total_ += static_cast<std::int64_t>(written == 0 ? chunk.size() : written);
  }
}

std::optional<std::int64_t> DeflatedSizeMeter::Total() const { return total_; }

std::optional<std::int64_t> MeasureDeflatedSize(std::string_view bytes,
                                                std::string_view transfer_syntax_uid) {
  DeflatedSizeMeter meter(transfer_syntax_uid);
  meter.Add(bytes);
  return meter.Total();
}

}  // namespace pacsport
