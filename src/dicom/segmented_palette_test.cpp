// Palette colour: segmented tables expanded by the rules of PS3.3 C.7.9.2, and
// PALETTE COLOR images (plain or segmented tables, 8- or 16-bit entries) rendered as
// pydicom's apply_color_lut shows them (testdata/pydicom_reference.py).
#include "dicom/segmented_palette.h"

#include <gtest/gtest.h>

#include "dicom/frame_renderer.h"
#include "dicom/test_corpus.h"
#include "dicom/test_objects.h"

namespace pacsport::dicom {
namespace {

namespace fs = std::filesystem;
using testing::DecodedPng;
using testing::DecodePng;
using testing::ReadFile;
using testing::TempDir;

using Words = std::vector<uint16_t>;

void ExpectExpands(const Words& words, int bits, const Words& want) {
  const Result<Words> expanded = ExpandSegments(words, static_cast<uint32_t>(want.size()), bits);
  ASSERT_TRUE(expanded.ok()) << expanded.error().message();
  EXPECT_EQ(*expanded, want);
}

void ExpectRefused(const Words& words, uint32_t entries, int bits, std::string_view reason) {
  const Result<Words> expanded = ExpandSegments(words, entries, bits);
  ASSERT_FALSE(expanded.ok()) << "expanded, expected: " << reason;
  EXPECT_EQ(expanded.error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(expanded.error().message(), std::string("segmented palette: ") + std::string(reason));
}

TEST(SegmentedPaletteTest, ExpandsDiscreteAndLinearSegments) {
  ExpectExpands({0, 2, 10, 20, 1, 4, 60}, 16, {10, 20, 30, 40, 50, 60});
  ExpectExpands({0, 1, 100, 1, 4, 0}, 16, {100, 75, 50, 25, 0});  // downwards
  ExpectExpands({0, 1, 7, 1, 3, 7}, 8, {7, 7, 7, 7});             // flat
  ExpectExpands({0, 1, 0, 1, 4, 2}, 16, {0, 0, 1, 2, 2});         // halves to even
  ExpectExpands({0, 2, 1, 2, 0}, 16, {1, 2});                     // a lone padding word
}

TEST(SegmentedPaletteTest, IndirectSegmentsRepeatSegmentsFromAByteOffset) {
  // Discrete {5}, a ramp to 9, then the two of them again (byte 0), then the ramp
  // alone (byte 6, word 3), which now starts from 9.
  ExpectExpands({0, 1, 5, 1, 2, 9, 2, 2, 0, 0, 2, 1, 6, 0}, 16, {5, 7, 9, 5, 7, 9, 9, 9});
  // 8-bit entries: bytes, and a four-byte offset (little endian) to the ramp.
  ExpectExpands({0, 1, 5, 1, 2, 9, 2, 1, 3, 0, 0, 0}, 8, {5, 7, 9, 9, 9});
}

TEST(SegmentedPaletteTest, RefusesMalformedTables) {
  ExpectRefused({1, 2, 5}, 2, 16, "linear segment first");
  ExpectRefused({2, 1, 0, 0}, 1, 16, "indirect segment first");
  ExpectRefused({0, 1, 5, 7, 1, 1}, 2, 16, "unknown segment type 7");
  ExpectRefused({0, 5, 1, 2}, 5, 16, "discrete segment runs past the data");
  ExpectRefused({0, 1, 5, 1, 2}, 3, 16, "linear segment runs past the data");
  ExpectRefused({0, 1, 5, 2, 1, 0}, 2, 16, "indirect segment runs past the data");
  ExpectRefused({0, 1, 5, 2, 2, 14, 0, 0, 1, 6}, 4, 16, "indirect segment runs past the data");
  ExpectRefused({0, 1, 5, 2, 1, 100, 0}, 2, 16, "indirect segment points outside the data");
  ExpectRefused({0, 1, 5, 2, 1, 3, 0}, 2, 16, "indirect segment points outside the data");
  ExpectRefused({0, 1, 5, 2, 1, 6, 0}, 2, 16, "indirect segment within an indirect segment");
  ExpectRefused({0, 3, 1, 2, 3}, 2, 16, "more entries than its descriptor");
  ExpectRefused({0, 1, 5, 1, 65535, 9}, 256, 16, "more entries than its descriptor");
  ExpectRefused({0, 1, 1}, 2, 16, "fewer entries than its descriptor");
}

// Zero-length segments repeated by indirect segments expand to nothing, but the
// work is bounded all the same.
TEST(SegmentedPaletteTest, BoundsTheWorkOfRepeatedSegments) {
  Words words = {0, 1, 5};
  for (int i = 0; i < 20000; ++i) words.insert(words.end(), {0, 0});
  for (int i = 0; i < 60; ++i) words.insert(words.end(), {2, 20000, 6, 0});
  ExpectRefused(words, 1, 16, "too many segments");
}

// A PALETTE COLOR image of `frames` frames of `rows` x `columns` stored values of
// `bits` bits, with the palette elements `palette`.
std::string PaletteImage(uint16_t rows, uint16_t columns, int frames, uint16_t bits,
                         const std::vector<uint16_t>& stored, const std::string& palette) {
  using testing::UInt16Element;
  std::string samples;
  for (uint16_t value : stored) {
    samples += static_cast<char>(value & 0xFF);
    if (bits > 8) samples += static_cast<char>(value >> 8);
  }
  return testing::Part10File(
      testing::IdentityElements() + UInt16Element(0x0028, 0x0002, 1) +
      testing::Element(0x0028, 0x0004, "CS", "PALETTE COLOR") +
      testing::Element(0x0028, 0x0008, "IS", std::to_string(frames)) +
      UInt16Element(0x0028, 0x0010, rows) + UInt16Element(0x0028, 0x0011, columns) +
      UInt16Element(0x0028, 0x0100, bits > 8 ? 16 : 8) + UInt16Element(0x0028, 0x0101, bits) +
      UInt16Element(0x0028, 0x0102, bits - 1) + UInt16Element(0x0028, 0x0103, 0) + palette +
      testing::Element(0x7FE0, 0x0010, bits > 8 ? "OW" : "OB", samples));
}

std::string Words16(const Words& words) {
  std::string bytes;
  for (uint16_t word : words)
    bytes += {static_cast<char>(word & 0xFF), static_cast<char>(word >> 8)};
  return bytes;
}

// The same descriptor (entries, first value mapped, bits) for each colour, then the
// red, green and blue data, plain (0028,1201-1203) or segmented (0028,1221-1223).
std::string Palette(const Words& descriptor, const Words& red, const Words& green,
                    const Words& blue, bool segmented) {
  std::string out;
  for (uint16_t colour = 0; colour < 3; ++colour)
    out += testing::Element(0x0028, 0x1101 + colour, "US", Words16(descriptor));
  const uint16_t data = segmented ? 0x1221 : 0x1201;
  for (const auto& [colour, words] : {std::pair{0, &red}, {1, &green}, {2, &blue}})
    out += testing::Element(0x0028, static_cast<uint16_t>(data + colour), "OW", Words16(*words));
  return out;
}

// The elements of a Color Palette IOD file (pydicom's well-known palettes, explicit
// VR little endian) that make its palette: descriptors and plain or segmented data.
std::string PaletteElementsOf(const fs::path& file) {
  const std::string bytes = ReadFile(file);
  const auto le = [&](size_t at, int size) {
    uint32_t value = 0;
    for (int i = 0; i < size; ++i)
      value |= uint32_t{static_cast<uint8_t>(bytes[at + i])} << (8 * i);
    return value;
  };
  std::string palette;
  for (size_t position = 132; position + 8 <= bytes.size();) {
    const uint32_t group = le(position, 2), element = le(position + 2, 2);
    const std::string vr = bytes.substr(position + 4, 2);
    const bool long_length = vr == "OB" || vr == "OW" || vr == "SQ" || vr == "UN" || vr == "UT";
    const size_t header = long_length ? 12 : 8;
    const uint32_t length = long_length ? le(position + 8, 4) : le(position + 6, 2);
    if (group > 0x0028 || length == 0xFFFFFFFF) break;
    if (group == 0x0028 &&
        ((element >= 0x1101 && element <= 0x1103) || (element >= 0x1201 && element <= 0x1203) ||
         (element >= 0x1221 && element <= 0x1223))) {
      palette += bytes.substr(position, header + length);
    }
    position += header + length;
  }
  return palette;
}

void ExpectMatchesPydicom(const std::string& file_bytes) {
  TempDir temp;
  const fs::path file = temp.path() / "palette.dcm";
  testing::WriteFile(file, file_bytes);
  const Result<std::vector<FramePng>> rendered = RenderFrames(file_bytes);
  ASSERT_TRUE(rendered.ok()) << rendered.error().message();
  const std::vector<DecodedPng> references = testing::PydicomRendering(file);
  ASSERT_EQ(rendered->size(), references.size());
  for (size_t k = 0; k < references.size(); ++k) {
    const DecodedPng ours = DecodePng((*rendered)[k].png);
    ASSERT_EQ(ours.channels, 3);
    ASSERT_EQ(references[k].channels, 3);
    ASSERT_EQ(ours.width, references[k].width);
    ASSERT_EQ(ours.height, references[k].height);
    EXPECT_LE(testing::MeanAbsoluteDifference(ours, references[k]), 1.0) << "frame " << k;
  }
}

// Every stored value of 8 bits, once.
std::vector<uint16_t> AllBytes() {
  std::vector<uint16_t> values(256);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<uint16_t>(i);
  return values;
}

TEST(PaletteColourTest, WellKnownPalettesMatchPydicom) {
  const fs::path palettes = testing::CorpusDir().parent_path() / "palettes";
  // Plain 8-bit tables (packed two entries a word), then segmented 8-bit ones.
  for (const char* name : {"hotiron.dcm", "pet.dcm", "pet20step.dcm", "hotmetalblue.dcm",
                           "fall.dcm", "spring.dcm", "summer.dcm", "winter.dcm"}) {
    SCOPED_TRACE(name);
    const std::string palette = PaletteElementsOf(palettes / name);
    ASSERT_NE(palette.find(std::string("\x28\x00\x01\x11", 4)), std::string::npos);
    ExpectMatchesPydicom(PaletteImage(16, 16, 1, 8, AllBytes(), palette));
  }
}

// Two frames of 12-bit stored values 0 to 4095 under segmented 16-bit tables of 3000
// entries from stored value 100 on, so that values fall below and above them too.
std::string SegmentedSixteenBitImage() {
  // Red: 3 discrete entries, a ramp up over 1000, a ramp down over 994, then the
  // first two segments again (byte offset 0).
  const Words red = {0, 3, 0, 65535, 30000, 1, 1000, 65535, 1, 994, 0, 2, 2, 0, 0};
  const Words green = {0, 1, 0, 1, 2999, 65535};
  const Words blue = {0, 1, 65535, 1, 1499, 0, 1, 1500, 40000};
  const Words descriptor = {3000, 100, 16};
  const std::string palette = Palette(descriptor, red, green, blue, true);
  std::vector<uint16_t> stored(4096);
  for (size_t i = 0; i < stored.size(); ++i) stored[i] = static_cast<uint16_t>(i);
  return PaletteImage(32, 64, 2, 12, stored, palette);
}

// An 8-bit image under the segmented 8-bit tables of pydicom's FALL palette.
std::string SegmentedEightBitImage() {
  return PaletteImage(16, 16, 1, 8, AllBytes(),
                      PaletteElementsOf(testing::CorpusDir().parent_path() / "palettes/fall.dcm"));
}

TEST(PaletteColourTest, SegmentedSixteenBitTablesMatchPydicom) {
  ExpectMatchesPydicom(SegmentedSixteenBitImage());
}

// The palette applies to the stored values whatever their encoding: RLE matches
// pydicom, and explicit VR big endian renders as the original does (and matches
// pydicom for 16-bit tables; pydicom reads 8-bit segments in file byte order, which
// a change of byte order reverses within each word).
TEST(PaletteColourTest, CompressedAndBigEndianImagesShowThePalette) {
  TempDir temp;
  const fs::path native = temp.path() / "native.dcm", rle = temp.path() / "rle.dcm",
                 big_endian = temp.path() / "big_endian.dcm";
  for (const bool sixteen : {true, false}) {
    SCOPED_TRACE(sixteen ? "16-bit tables" : "8-bit tables");
    const std::string image = sixteen ? SegmentedSixteenBitImage() : SegmentedEightBitImage();
    testing::WriteFile(native, image);
    ASSERT_EQ(testing::Run("dcmcrle " + native.string() + " " + rle.string()), 0);
    ASSERT_EQ(testing::Run("dcmconv +tb " + native.string() + " " + big_endian.string()), 0);
    ExpectMatchesPydicom(ReadFile(rle));
    if (sixteen) ExpectMatchesPydicom(ReadFile(big_endian));
    const Result<std::vector<FramePng>> original = RenderFrames(image);
    const Result<std::vector<FramePng>> swapped = RenderFrames(ReadFile(big_endian));
    ASSERT_TRUE(original.ok() && swapped.ok());
    ASSERT_EQ(original->size(), swapped->size());
    for (size_t k = 0; k < original->size(); ++k)
      EXPECT_EQ((*original)[k].png, (*swapped)[k].png) << "frame " << k;
  }
}

TEST(PaletteColourTest, PlainTablesWithAWordPerEntryMatchPydicom) {
  for (const uint16_t bits : {uint16_t{8}, uint16_t{16}}) {
    SCOPED_TRACE(bits);
    const uint16_t top = bits == 8 ? 255 : 65535;
    Words red(256), green(256), blue(256);
    for (uint16_t i = 0; i < 256; ++i) {
      red[i] = static_cast<uint16_t>(top * i / 255);
      green[i] = static_cast<uint16_t>(top - red[i]);
      blue[i] = static_cast<uint16_t>(top * ((i * 97) % 256) / 255);
    }
    const Words descriptor = {256, 0, bits};
    ExpectMatchesPydicom(
        PaletteImage(16, 16, 1, 8, AllBytes(), Palette(descriptor, red, green, blue, false)));
  }
}

TEST(PaletteColourTest, RefusesAMalformedSegmentedTable) {
  const Words descriptor = {256, 0, 16};
  const Words broken = {1, 256, 65535};  // a ramp with no entry before it
  const std::string palette = Palette(descriptor, broken, broken, broken, true);
  const Result<std::vector<FramePng>> rendered =
      RenderFrames(PaletteImage(16, 16, 1, 8, AllBytes(), palette));
  ASSERT_FALSE(rendered.ok());
  EXPECT_EQ(rendered.error().message(), "segmented palette: linear segment first");
}

}  // namespace
}  // namespace pacsport::dicom
