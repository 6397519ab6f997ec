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

// True for the transfer syntaxes whose pixel data is compressed (JPEG family, RLE):
// the packager stores those files rather than deflating them.
bool IsEncapsulatedSyntax(std::string_view transfer_syntax_uid);

}  // namespace pacsport
