// MeasureDeflatedSize: how small deflate makes a DICOM file, measured once at ingest
// so that the export estimate (export/export_estimate.h) knows what an instance's ZIP
// entry will weigh without reading the file again.
//
// Measured with libdeflate at level 1 over independent 1 MiB chunks: the buffers are
// bounded whatever the file's size, and level 1 runs about five times as fast as
// level 9 while its output is within 0.1 % (synthetic CT) to 3.6 % (pydicom corpus)
// of level 9's (docs/performance.md, "Estimates", 2026-12-03). Thread-safe: each
// thread keeps its own compressor.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace pacsport {

// The deflated size of `bytes`; nullopt for an encapsulated (compressed) transfer
// syntax, whose files the export stores as they are (IsEncapsulatedSyntax).
std::optional<std::int64_t> MeasureDeflatedSize(std::string_view bytes,
                                                std::string_view transfer_syntax_uid);

// The same measure over a file handed over in consecutive chunks (a file read with
// MappedFile::ReadChunks, never touched whole). A value type; not thread-safe.
class DeflatedSizeMeter {
 public:
  explicit DeflatedSizeMeter(std::string_view transfer_syntax_uid);
  // The next bytes of the file (any length; measured in pieces of at most 1 MiB).
  void Add(std::string_view bytes);
  // The deflated size of what was added; nullopt as MeasureDeflatedSize.
  std::optional<std::int64_t> Total() const;

 private:
  std::optional<std::int64_t> total_;  // nullopt when not measured
};

// True for the transfer syntaxes whose pixel data is compressed (JPEG family, RLE):
// the packager stores those files rather than deflating them.
bool IsEncapsulatedSyntax(std::string_view transfer_syntax_uid);

}  // namespace pacsport
