#include "dicom/png_encoder.h"

#include <spng.h>

#include <cstdlib>
#include <memory>

namespace pacsport::dicom {

namespace {

// Measured (CPU time, libspng 0.7.3, Debian 12) on eight 8-bit renderings of the
// pydicom corpus, 1.46 MB of pixels (CT, MR, JPEG-lossy CT, deflated test pattern,
// 1-bit liver mask, RGB secondary captures): zlib level 2 with the "up" filter alone
// took 17 ms for 149 KB; libspng's default (level 6, adaptive over all five
// filters) 49 ms for 120 KB. Level 1 was no faster, and adaptive filtering at
// level 2 doubled the time to save 1%. Previews favour speed: about 3x faster for
// files a quarter larger.
constexpr int kCompressionLevel = 2;
constexpr int kFilterChoice = SPNG_FILTER_CHOICE_UP;

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
