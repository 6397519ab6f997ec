// png_settings PNG...: how fast and how small each zlib level, PNG filter and zlib
// strategy encodes the given images (decoded first, so only encoding is timed), on
// one core, with libspng as pacsport uses it. Prints a Markdown table, fastest first,
// and marks pacsport's current choice (dicom/png_encoder.cpp).
#include <spng.h>
#include <zlib.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
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
  const char* filter_name;
  int filter;
  const char* strategy_name;
  int strategy;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<Image> images;
  size_t raw = 0;
  for (int i = 1; i < argc; ++i) {
    Image image;
    if (!Decode(argv[i], image)) {
      std::fprintf(stderr, "cannot decode %s\n", argv[i]);
      return 1;
    }
    raw += image.pixels.size();
    images.push_back(std::move(image));
  }
  if (images.empty()) {
    std::fprintf(stderr, "usage: png_settings PNG...\n");
    return 2;
  }
  const struct {
    const char* name;
    int value;
  } filters[] = {{"none", SPNG_FILTER_CHOICE_NONE}, {"sub", SPNG_FILTER_CHOICE_SUB},
                 {"up", SPNG_FILTER_CHOICE_UP},     {"paeth", SPNG_FILTER_CHOICE_PAETH},
                 {"all (adaptive)", SPNG_FILTER_CHOICE_ALL}},
    strategies[] = {{"default", Z_DEFAULT_STRATEGY}, {"filtered", Z_FILTERED}, {"rle", Z_RLE}};
  std::printf("%zu images, %.1f MB of 8-bit pixels; one core.\n\n", images.size(), raw / 1e6);
  std::printf("| zlib level | filter | strategy | MB/s of pixels | PNG bytes | vs. level 6, adaptive |\n");
  std::printf("|---|---|---|---|---|---|\n");
  size_t reference = 0;
  for (const Image& image : images) reference += Encode(image, 6, SPNG_FILTER_CHOICE_ALL, Z_FILTERED);
  for (int level : {1, 2, 3, 6, 9}) {
    for (const auto& filter : filters) {
      for (const auto& strategy : strategies) {
        size_t bytes = 0;
        int rounds = 0;
        const auto start = std::chrono::steady_clock::now();
        double seconds = 0;
        do {  // at least 0.3 s, for a stable rate
          bytes = 0;
          for (const Image& image : images) bytes += Encode(image, level, filter.value, strategy.value);
          ++rounds;
          seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        } while (seconds < 0.3);
        const bool current = level == 2 && filter.value == SPNG_FILTER_CHOICE_UP &&
                             strategy.value == Z_FILTERED;
        std::printf("| %d | %s | %s | %.1f | %zu | %+.1f %% |%s\n", level, filter.name,
                    strategy.name, raw * rounds / seconds / 1e6, bytes,
                    100.0 * (static_cast<double>(bytes) / reference - 1), current ? " ← pacsport" : "");
      }
    }
  }
  return 0;
}
