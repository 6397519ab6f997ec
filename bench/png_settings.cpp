// png_settings PNG...: how fast and how small each zlib level, PNG filter and zlib
// strategy encodes the given images (decoded first, so only encoding is timed), on
// one core, with libspng as pacsport uses it, and how libdeflate would do without
// filters. Grey and RGB images are reported apart, as pacsport chooses apart; its
// current choices (dicom/png_encoder.cpp) are marked.
#include <libdeflate.h>
#include <spng.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

struct Image {
  std::vector<unsigned char> pixels;
  spng_ihdr header{};
};

struct ContextDeleter {
  void operator()(spng_ctx* context) const { spng_ctx_free(context); }
};
using Context = std::unique_ptr<spng_ctx, ContextDeleter>;

bool Decode(const std::string& path, Image& image) {
  std::ifstream in(path, std::ios::binary);
  const std::string png((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Context context(spng_ctx_new(0));
  size_t size = 0;
  if (spng_set_png_buffer(context.get(), png.data(), png.size()) != 0 ||
      spng_get_ihdr(context.get(), &image.header) != 0 || image.header.bit_depth != 8 ||
      spng_decoded_image_size(context.get(), SPNG_FMT_PNG, &size) != 0) {
    return false;
  }
  image.pixels.resize(size);
  return spng_decode_image(context.get(), image.pixels.data(), size, SPNG_FMT_PNG, 0) == 0;
}

size_t Encode(const Image& image, int level, int filter, int strategy) {
  Context context(spng_ctx_new(SPNG_CTX_ENCODER));
  spng_ihdr header = image.header;
  header.interlace_method = 0;
  spng_set_option(context.get(), SPNG_ENCODE_TO_BUFFER, 1);
  spng_set_option(context.get(), SPNG_IMG_COMPRESSION_LEVEL, level);
  spng_set_option(context.get(), SPNG_IMG_COMPRESSION_STRATEGY, strategy);
  spng_set_option(context.get(), SPNG_FILTER_CHOICE, filter);
  spng_set_ihdr(context.get(), &header);
  if (spng_encode_image(context.get(), image.pixels.data(), image.pixels.size(), SPNG_FMT_PNG,
                        SPNG_ENCODE_FINALIZE) != 0) {
    return 0;
  }
  size_t length = 0;
  int error = 0;
  std::free(spng_get_png_buffer(context.get(), &length, &error));
  return length;
}

struct Setting {
  int level;
  int filter;
  int strategy;
};

// The zlib stream of an unfiltered PNG (each row led by filter type 0) made by
// libdeflate, as a PNG writer built on it would make it; returns its size.
size_t LibdeflateIdat(const Image& image, int level) {
  const size_t channels = image.header.color_type == SPNG_COLOR_TYPE_TRUECOLOR ? 3 : 1;
  const size_t row = image.header.width * channels;
  std::string filtered;
  filtered.reserve((row + 1) * image.header.height);
  for (uint32_t y = 0; y < image.header.height; ++y) {
    filtered.push_back('\0');
    filtered.append(reinterpret_cast<const char*>(image.pixels.data()) + y * row, row);
  }
  libdeflate_compressor* compressor = libdeflate_alloc_compressor(level);
  std::string out(libdeflate_zlib_compress_bound(compressor, filtered.size()), '\0');
  const size_t size = libdeflate_zlib_compress(compressor, filtered.data(), filtered.size(),
                                               out.data(), out.size());
  libdeflate_free_compressor(compressor);
  return size + 57;  // signature, IHDR, one IDAT header and CRC, IEND
}

// Times `encode` over `images` for at least 0.3 s; returns MB/s of pixels and bytes.
template <typename Encoder>
std::pair<double, size_t> Measure(const std::vector<Image>& images, size_t raw, Encoder encode) {
  size_t bytes = 0;
  int rounds = 0;
  const auto start = std::chrono::steady_clock::now();
  double seconds = 0;
  do {
    bytes = 0;
    for (const Image& image : images) bytes += encode(image);
    ++rounds;
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (seconds < 0.3);
  return {static_cast<double>(raw) * rounds / seconds / 1e6, bytes};
}

// The tables for images of one colour type; `chosen` marks pacsport's setting.
void Report(const char* kind, const std::vector<Image>& images, const Setting& chosen) {
  size_t raw = 0, reference = 0;
  for (const Image& image : images) {
    raw += image.pixels.size();
    reference += Encode(image, 6, SPNG_FILTER_CHOICE_ALL, Z_DEFAULT_STRATEGY);
  }
  const struct {
    const char* name;
    int value;
  } filters[] = {{"none", SPNG_FILTER_CHOICE_NONE}, {"sub", SPNG_FILTER_CHOICE_SUB},
                 {"up", SPNG_FILTER_CHOICE_UP},     {"paeth", SPNG_FILTER_CHOICE_PAETH},
                 {"all (adaptive)", SPNG_FILTER_CHOICE_ALL}},
    strategies[] = {{"default", Z_DEFAULT_STRATEGY}, {"rle", Z_RLE}};
  std::printf("%s: %zu images, %.1f MB of 8-bit pixels; one core.\n\n", kind, images.size(),
              static_cast<double>(raw) / 1e6);
  std::printf("| zlib level | filter | strategy | MB/s of pixels | PNG bytes | vs. level 6, adaptive |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (int level : {1, 2, 3, 6}) {
    for (const auto& filter : filters) {
      for (const auto& strategy : strategies) {
        const auto [rate, bytes] = Measure(images, raw, [&](const Image& image) {
          return Encode(image, level, filter.value, strategy.value);
        });
        const bool current = level == chosen.level && filter.value == chosen.filter &&
                             strategy.value == chosen.strategy;
        std::printf("| %d | %s | %s | %.1f | %zu | %+.1f %% |%s\n", level, filter.name,
                    strategy.name, rate, bytes,
                    100.0 * (static_cast<double>(bytes) / reference - 1), current ? " ← pacsport" : "");
      }
    }
  }
  std::printf("\nWithout filters, compressed by libdeflate instead of zlib:\n\n");
  std::printf("| libdeflate level | MB/s of pixels | PNG bytes | vs. zlib level 6, adaptive |\n");
  std::printf("|---|---|---|---|\n");
  for (int level : {1, 2, 4, 6}) {
    const auto [rate, bytes] =
        Measure(images, raw, [&](const Image& image) { return LibdeflateIdat(image, level); });
    std::printf("| %d | %.1f | %zu | %+.1f %% |\n", level, rate, bytes,
                100.0 * (static_cast<double>(bytes) / reference - 1));
  }
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<Image> grey, rgb;
  for (int i = 1; i < argc; ++i) {
    Image image;
    if (!Decode(argv[i], image)) {
      std::fprintf(stderr, "cannot decode %s\n", argv[i]);
      return 1;
    }
    (image.header.color_type == SPNG_COLOR_TYPE_TRUECOLOR ? rgb : grey).push_back(std::move(image));
  }
  if (grey.empty() && rgb.empty()) {
    std::fprintf(stderr, "usage: png_settings PNG...\n");
    return 2;
  }
  // pacsport's choices, as in dicom/png_encoder.cpp.
  if (!grey.empty()) Report("Grey", grey, {2, SPNG_FILTER_CHOICE_UP, Z_RLE});
  if (!rgb.empty()) Report("RGB", rgb, {2, SPNG_FILTER_CHOICE_NONE, Z_DEFAULT_STRATEGY});
  return 0;
}
