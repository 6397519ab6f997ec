#include "dicom/png_encoder.h"

#include <gtest/gtest.h>

#include <vector>

#include "dicom/test_corpus.h"

namespace pacsport::dicom {
namespace {

std::vector<uint8_t> Gradient(uint32_t width, uint32_t height, int channels) {
  std::vector<uint8_t> pixels;
  for (uint32_t y = 0; y < height; ++y) {
    for (uint32_t x = 0; x < width; ++x) {
      for (int c = 0; c < channels; ++c)
        pixels.push_back(static_cast<uint8_t>(x * 7 + y * 3 + c * 50));
    }
  }
  return pixels;
}

TEST(PngEncoderTest, GreyRoundTripsExactly) {
  const std::vector<uint8_t> pixels = Gradient(37, 11, 1);
  Result<std::string> png = EncodePng(pixels, 37, 11, PngColor::kGrey);
  ASSERT_TRUE(png.ok()) << png.error().message();
  const testing::DecodedPng decoded = testing::DecodePng(*png);
  EXPECT_EQ(decoded.width, 37u);
  EXPECT_EQ(decoded.height, 11u);
  EXPECT_EQ(decoded.channels, 1);
  EXPECT_EQ(decoded.pixels, pixels);
}

TEST(PngEncoderTest, RgbRoundTripsExactly) {
  const std::vector<uint8_t> pixels = Gradient(5, 64, 3);
  Result<std::string> png = EncodePng(pixels, 5, 64, PngColor::kRgb);
  ASSERT_TRUE(png.ok()) << png.error().message();
  const testing::DecodedPng decoded = testing::DecodePng(*png);
  EXPECT_EQ(decoded.channels, 3);
  EXPECT_EQ(decoded.pixels, pixels);
}

TEST(PngEncoderTest, RefusesMismatchedBuffer) {
  const std::vector<uint8_t> pixels = Gradient(4, 4, 1);
  for (auto [width, height, color] :
       {std::tuple{4u, 4u, PngColor::kRgb}, std::tuple{5u, 4u, PngColor::kGrey},
        std::tuple{0u, 0u, PngColor::kGrey}}) {
    Result<std::string> png = EncodePng(pixels, width, height, color);
    ASSERT_FALSE(png.ok());
    EXPECT_EQ(png.error().code(), ErrorCode::kInvalidInput);
  }
}

}  // namespace
}  // namespace pacsport::dicom
