// Internal to src/dicom: encoding 8-bit pixels as a PNG file.
//
// Tuned for previews: speed over size (zlib level 2, one fixed filter: see
// png_encoder.cpp for the measurement). Thread-safe: no shared state.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/error.h"

namespace pacsport::dicom {

enum class PngColor { kGrey, kRgb };

// `pixels` holds height rows of width samples (grey) or width RGB triplets, without
// row padding. Returns the PNG file, or kInternal if the encoder fails and
// kInvalidInput if the sizes do not match.
Result<std::string> EncodePng(std::span<const uint8_t> pixels, uint32_t width, uint32_t height,
                              PngColor color);

}  // namespace pacsport::dicom
