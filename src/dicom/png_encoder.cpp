#include "dicom/png_encoder.h"

#include <spng.h>

#include <cstdlib>
#include <memory>

namespace pacsport::dicom {

namespace {

// Chosen with bench/png_settings over the previews of bench/preview_bench.sh (a 512x512
// CT and a 640x480 RGB ultrasound cine; figures in docs/performance.md): zlib level 2
// with no PNG filter was the fastest setting that is good on both. It encodes faster
// and 6-9 % smaller than level 2 with the "up" filter, and 2-6x faster than libspng's
// default (level 6, adaptive filtering) for files at most 3 % larger on the CT and
// 30 % smaller on the cine. Z_RLE is faster still and smaller on the CT, but 80 %
// larger on the cine's speckle. Windowed, noisy 8-bit frames gain little from
// filtering, and filtering costs a pass over every row.
constexpr int kCompressionLevel = 2;
constexpr int kFilterChoice = SPNG_FILTER_CHOICE_NONE;

struct ContextDeleter {
  void operator()(spng_ctx* context) const { spng_ctx_free(context); }
};

Error EncoderError(int code) {
  return Internal(std::string("PNG encoder failed: ") + spng_strerror(code));
}

}  // namespace

Result<std::string> EncodePng(std::span<const uint8_t> pixels, uint32_t width, uint32_t height,
                              PngColor color) {
  const uint64_t channels = color == PngColor::kRgb ? 3 : 1;
  if (width == 0 || height == 0 || pixels.size() != uint64_t{width} * height * channels) {
    return InvalidInput("pixel buffer does not match the image size");
  }
  std::unique_ptr<spng_ctx, ContextDeleter> context(spng_ctx_new(SPNG_CTX_ENCODER));
  if (!context) return Internal("PNG encoder could not be created");

  spng_ihdr header{};
  header.width = width;
  header.height = height;
  header.bit_depth = 8;
  header.color_type =
      color == PngColor::kRgb ? SPNG_COLOR_TYPE_TRUECOLOR : SPNG_COLOR_TYPE_GRAYSCALE;
  for (int code : {spng_set_option(context.get(), SPNG_ENCODE_TO_BUFFER, 1),
                   spng_set_option(context.get(), SPNG_IMG_COMPRESSION_LEVEL, kCompressionLevel),
                   spng_set_option(context.get(), SPNG_FILTER_CHOICE, kFilterChoice),
                   spng_set_ihdr(context.get(), &header)}) {
    if (code != 0) return EncoderError(code);
  }
  if (int code = spng_encode_image(context.get(), pixels.data(), pixels.size(), SPNG_FMT_PNG,
                                   SPNG_ENCODE_FINALIZE);
      code != 0) {
    return EncoderError(code);
  }
  size_t length = 0;
  int code = 0;
  std::unique_ptr<void, decltype(&std::free)> buffer(
      spng_get_png_buffer(context.get(), &length, &code), &std::free);
  if (!buffer) return EncoderError(code);
  return std::string(static_cast<const char*>(buffer.get()), length);
}

}  // namespace pacsport::dicom
