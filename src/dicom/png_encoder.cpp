#include "dicom/png_encoder.h"

#include <spng.h>
#include <zlib.h>

#include <cstdlib>
#include <memory>

namespace pacsport::dicom {

namespace {

// Chosen per colour type with bench/png_settings (figures in docs/performance.md), on
// the previews of the pydicom corpus (real images, 66 grey and 29 RGB) and of
// bench/preview_bench.sh (a 512x512 CT, a 640x480 RGB ultrasound cine):
// - Grey: the "up" filter with zlib's run-length strategy. It was the fastest setting
//   on every grey set, 30 % faster than level 2 with "up" alone, and within 5 % of
//   the size of libspng's default (level 6, adaptive filtering, 2-4x slower). Grey
//   previews have large flat areas (air, collimation) that runs capture well.
// - RGB: no filter, zlib level 2. Ultrasound speckle defeats both filters and runs:
//   on the cine it was the fastest and a third smaller than libspng's default; "up"
//   with runs was twice as large.
struct Settings {
  int level;
  int filter;
  int strategy;
};
constexpr Settings kGrey{2, SPNG_FILTER_CHOICE_UP, Z_RLE};
constexpr Settings kRgb{2, SPNG_FILTER_CHOICE_NONE, Z_DEFAULT_STRATEGY};

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
  const Settings& settings = color == PngColor::kRgb ? kRgb : kGrey;
  for (int code : {spng_set_option(context.get(), SPNG_ENCODE_TO_BUFFER, 1),
                   spng_set_option(context.get(), SPNG_IMG_COMPRESSION_LEVEL, settings.level),
                   spng_set_option(context.get(), SPNG_IMG_COMPRESSION_STRATEGY, settings.strategy),
                   spng_set_option(context.get(), SPNG_FILTER_CHOICE, settings.filter),
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
