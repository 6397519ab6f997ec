#include "dicom/frame_renderer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <set>
#include <thread>

#include "dicom/instance_parser.h"
#include "dicom/test_corpus.h"
#include "dicom/test_objects.h"

namespace pacsport::dicom {
namespace {

namespace fs = std::filesystem;
using testing::CorpusDir;
using testing::DecodedPng;
using testing::DecodePng;
using testing::EnhancedImage;
using testing::FunctionalGroup;
using testing::ReadFile;
using testing::RescaleValues;
using testing::TempDir;
using testing::WindowValues;

const std::set<std::string> kJpeg2000 = {"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"};

void ExpectRefused(const Result<std::vector<FramePng>>& rendered, std::string_view reason) {
  ASSERT_FALSE(rendered.ok()) << "rendered, expected: " << reason;
  EXPECT_EQ(rendered.error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(rendered.error().message(), reason);
}

Result<std::vector<FramePng>> RenderFile(const std::string& name, uint32_t max_side = 0) {
  return RenderFrames(ReadFile(CorpusDir() / name), max_side);
}

class FrameRendererTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::vector<std::string> arguments = {"metadata"};
    for (const fs::path& file : testing::DcmFiles(CorpusDir())) arguments.push_back(file.string());
    const nlohmann::json by_path = testing::RunOracle(arguments);
    for (const auto& [path, want] : by_path.items())
      oracle_[fs::path(path).filename().string()] = want;
  }

  static const nlohmann::json& Expected(const std::string& name) { return oracle_.at(name); }

  // Every image file pydicom reads, but JPEG 2000 (jpeg2000_decoder_test.cpp
  // compares those with OpenJPEG's own decoder).
  static std::vector<std::string> DecodableImages() {
    std::vector<std::string> names;
    for (const auto& [name, want] : oracle_.items()) {
      if (want["readable"] && !want["truncated"] && want["rows"] > 0 &&
          !kJpeg2000.contains(want["transfer_syntax_uid"].get<std::string>())) {
        names.push_back(name);
      }
    }
    return names;
  }

  static inline nlohmann::json oracle_;  // pydicom's expectations by file name
};

TEST_F(FrameRendererTest, RendersOneValidPngPerFrameAtTheStoredSize) {
  const std::vector<std::string> names = DecodableImages();
  for (const char* required :
       {"CT_small.dcm", "MR_small.dcm", "JPEG-lossy.dcm", "MR_small_jpeg_ls_lossless.dcm",
        "MR_small_RLE.dcm", "SC_rgb_rle_2frame.dcm", "rtdose.dcm", "rtdose_rle.dcm",
        "SC_rgb_dcmtk_+eb+cy+np.dcm", "image_dfl.dcm"}) {
    ASSERT_NE(std::find(names.begin(), names.end(), required), names.end()) << required;
  }
  TempDir temp;
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    const nlohmann::json& want = Expected(name);
    const Result<std::vector<FramePng>> rendered = RenderFile(name);
    ASSERT_TRUE(rendered.ok()) << rendered.error().message();
    ASSERT_EQ(rendered->size(), want["number_of_frames"].get<size_t>());
    for (size_t i = 0; i < rendered->size(); ++i) {
      const FramePng& frame = (*rendered)[i];
      const DecodedPng decoded = DecodePng(frame.png);
      EXPECT_EQ(decoded.width, want["columns"].get<uint32_t>());
      EXPECT_EQ(decoded.height, want["rows"].get<uint32_t>());
      EXPECT_EQ(frame.width, decoded.width);
      EXPECT_EQ(frame.height, decoded.height);
      const fs::path png = temp.path() / ("frame_" + std::to_string(i) + ".png");
      testing::WriteFile(png, frame.png);
      EXPECT_EQ(testing::Run("pngcheck -q " + png.string() + " >/dev/null"), 0)
          << "pngcheck failed";
    }
  }
}

// Parsing and rendering share DCMTK's global state (dictionary, codec registry);
// concurrent calls must give exactly what single calls give.
TEST_F(FrameRendererTest, ConcurrentCallsGiveTheSameResults) {
  const std::vector<std::string> names = {
      "CT_small.dcm",          "JPEG-lossy.dcm", "MR_small_jpeg_ls_lossless.dcm",
      "SC_rgb_rle_2frame.dcm", "rtdose.dcm",     "image_dfl.dcm"};
  std::vector<std::string> files;
  std::vector<std::vector<FramePng>> expected;
  for (const std::string& name : names) {
    files.push_back(ReadFile(CorpusDir() / name));
    Result<std::vector<FramePng>> rendered = RenderFrames(files.back(), 64);
    ASSERT_TRUE(rendered.ok()) << name;
    expected.push_back(std::move(rendered).value());
  }
  std::atomic<int> mismatches = 0;
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t round = 0; round < 5; ++round) {
        const size_t i = (t + round) % files.size();
        const Result<std::vector<FramePng>> rendered = RenderFrames(files[i], 64);
        if (!rendered.ok() || rendered->size() != expected[i].size() ||
            !std::equal(rendered->begin(), rendered->end(), expected[i].begin(),
                        [](const FramePng& a, const FramePng& b) { return a.png == b.png; }) ||
            !ParseInstance(files[i]).ok()) {
          ++mismatches;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches, 0);
}

TEST_F(FrameRendererTest, ColourImagesGiveRgbAndMonochromeGrey) {
  for (const auto& [name, channels] :
       {std::pair{"SC_rgb_rle.dcm", 3}, std::pair{"SC_rgb_dcmtk_+eb+cy+n1.dcm", 3},
        std::pair{"SC_ybr_full_422_uncompressed.dcm", 3}, std::pair{"CT_small.dcm", 1},
        std::pair{"MR_small_RLE.dcm", 1}}) {
    const Result<std::vector<FramePng>> rendered = RenderFile(name);
    ASSERT_TRUE(rendered.ok()) << name << ": " << rendered.error().message();
    EXPECT_EQ(DecodePng(rendered->front().png).channels, channels) << name;
  }
}

TEST_F(FrameRendererTest, RefusesObjectsWithoutPixelData) {
  for (const char* name : {"test-SR.dcm", "rtplan.dcm", "rtstruct.dcm", "waveform_ecg.dcm"}) {
    SCOPED_TRACE(name);
    ExpectRefused(RenderFile(name), "no pixel data");
  }
}

TEST_F(FrameRendererTest, RefusesTruncatedAndNonDicomInput) {
  for (const char* name : {"MR_truncated.dcm", "README.txt"}) {
    const Result<std::vector<FramePng>> rendered = RenderFile(name);
    ASSERT_FALSE(rendered.ok()) << name;
    EXPECT_EQ(rendered.error().code(), ErrorCode::kInvalidInput);
  }
  EXPECT_FALSE(RenderFrames("").ok());
}

// DCMTK's own command line renderer, with the same VOI choice, frame and scaling,
// must agree with RenderFrames to within one grey level on average.
TEST_F(FrameRendererTest, MatchesDcmtkCommandLineRendering) {
  struct Case {
    const char* name;
    size_t frame = 0;
    uint32_t max_side = 0;
  };
  TempDir temp;
  for (const Case& c :
       {Case{"CT_small.dcm"}, Case{"MR_small.dcm"}, Case{"MR_small_bigendian.dcm"},
        Case{"rtdose_1frame.dcm"}, Case{"liver_1frame.dcm"}, Case{"SC_rgb_small_odd.dcm"},
        Case{"ExplVR_BigEnd.dcm"}, Case{"SC_ybr_full_422_uncompressed.dcm"}, Case{"JPEG-lossy.dcm"},
        Case{"MR_small_RLE.dcm"}, Case{"rtdose.dcm", 7}, Case{"SC_rgb_rle_2frame.dcm", 1},
        Case{"CT_small.dcm", 0, 64}, Case{"MR_small.dcm", 0, 32}, Case{"JPEG-lossy.dcm", 0, 128}}) {
    SCOPED_TRACE(::testing::Message()
                 << c.name << " frame " << c.frame << " max_side " << c.max_side);
    const nlohmann::json& want = Expected(c.name);
    std::string options = want["has_window"] ? "+Wi 1" : "+Wm";
    options += " +F " + std::to_string(c.frame + 1);
    if (c.max_side > 0) {
      options += (want["columns"] >= want["rows"] ? " +Sxv " : " +Syv ") +
                 std::to_string(c.max_side) + " +i 1";
    }
    const fs::path reference = temp.path() / "reference.png";
    ASSERT_EQ(
        testing::Run("dcmj2pnm --write-png " + options + " " + (CorpusDir() / c.name).string() +
                     " " + reference.string() + " 2>/dev/null"),
        0);
    const Result<std::vector<FramePng>> rendered = RenderFile(c.name, c.max_side);
    ASSERT_TRUE(rendered.ok()) << rendered.error().message();
    ASSERT_LT(c.frame, rendered->size());
    const DecodedPng ours = DecodePng((*rendered)[c.frame].png);
    const DecodedPng theirs = DecodePng(ReadFile(reference));
    ASSERT_EQ(ours.channels, theirs.channels);
    ASSERT_EQ(ours.width, theirs.width);
    ASSERT_EQ(ours.height, theirs.height);
    EXPECT_LE(testing::MeanAbsoluteDifference(ours, theirs), 1.0);
  }
}

TEST_F(FrameRendererTest, ShowsMonochrome1Inverted) {
  TempDir temp;
  const fs::path inverted = temp.path() / "mono1.dcm";
  fs::copy_file(CorpusDir() / "MR_small.dcm", inverted);
  ASSERT_EQ(testing::Run("dcmodify -nb -m '(0028,0004)=MONOCHROME1' " + inverted.string() +
                         " >/dev/null 2>&1"),
            0);
  const Result<std::vector<FramePng>> mono2 = RenderFile("MR_small.dcm");
  const Result<std::vector<FramePng>> mono1 = RenderFrames(ReadFile(inverted));
  ASSERT_TRUE(mono2.ok() && mono1.ok());
  DecodedPng expected = DecodePng(mono2->front().png);
  for (uint8_t& value : expected.pixels) value = static_cast<uint8_t>(255 - value);
  EXPECT_LE(testing::MeanAbsoluteDifference(DecodePng(mono1->front().png), expected), 1.0);
}

TEST_F(FrameRendererTest, ScalesDownToMaxSide) {
  struct Case {
    const char* name;
    uint32_t max_side, width, height;
  };
  for (const Case& c : {Case{"CT_small.dcm", 64, 64, 64}, Case{"JPEG-lossy.dcm", 100, 25, 100},
                        Case{"SC_rgb_rle_2frame.dcm", 30, 30, 30}, Case{"MR_small.dcm", 64, 64, 64},
                        Case{"MR_small.dcm", 500, 64, 64}, Case{"CT_small.dcm", 0, 128, 128}}) {
    SCOPED_TRACE(::testing::Message() << c.name << " max_side " << c.max_side);
    const Result<std::vector<FramePng>> rendered = RenderFile(c.name, c.max_side);
    ASSERT_TRUE(rendered.ok()) << rendered.error().message();
    for (const FramePng& frame : *rendered) {
      const DecodedPng decoded = DecodePng(frame.png);
      EXPECT_EQ(decoded.width, c.width);
      EXPECT_EQ(decoded.height, c.height);
      EXPECT_EQ(frame.width, c.width);
      EXPECT_EQ(frame.height, c.height);
    }
  }
}

// Image attributes of a 16-bit monochrome image, without Pixel Data.
std::string ImageAttributes(uint16_t rows, uint16_t columns, std::string_view frames) {
  return testing::UInt16Element(0x0028, 0x0002, 1) +
         testing::Element(0x0028, 0x0004, "CS", "MONOCHROME2") +
         testing::Element(0x0028, 0x0008, "IS", frames) +
         testing::UInt16Element(0x0028, 0x0010, rows) +
         testing::UInt16Element(0x0028, 0x0011, columns) +
         testing::UInt16Element(0x0028, 0x0100, 16) + testing::UInt16Element(0x0028, 0x0101, 16) +
         testing::UInt16Element(0x0028, 0x0102, 15) + testing::UInt16Element(0x0028, 0x0103, 0);
}

TEST_F(FrameRendererTest, RefusesAbsurdDeclaredSizeBeforeDecoding) {
  const std::string dataset = testing::IdentityElements() +
                              ImageAttributes(65535, 65535, "100000") +
                              testing::Element(0x7FE0, 0x0010, "OW", std::string(64, '\0'));
  ExpectRefused(RenderFrames(testing::Part10File(dataset)), "pixel data too large");
}

TEST_F(FrameRendererTest, RefusesNativePixelDataShorterThanItsImage) {
  // 46000 x 46000 x 2 bytes passes the size limit; 64 bytes cannot hold it.
  const std::string dataset = testing::IdentityElements() + ImageAttributes(46000, 46000, "1") +
                              testing::Element(0x7FE0, 0x0010, "OW", std::string(64, '\0'));
  ExpectRefused(RenderFrames(testing::Part10File(dataset)),
                "pixel data shorter than its image size");
  // One byte short of a 4 x 4 image is refused too; the whole image renders.
  for (size_t length : {30u, 32u}) {
    const std::string image = testing::IdentityElements() + ImageAttributes(4, 4, "1") +
                              testing::Element(0x7FE0, 0x0010, "OW", std::string(length, '\1'));
    EXPECT_EQ(RenderFrames(testing::Part10File(image)).ok(), length == 32) << length;
  }
}

TEST_F(FrameRendererTest, RefusesTransferSyntaxesDcmtkDoesNotKnow) {
  const std::string fragment = "\xFF\xD8\xFF\xD9";  // any bytes: never decoded
  const std::string dataset = testing::IdentityElements() + ImageAttributes(2, 2, "1") +
                              testing::ElementHeader(0x7FE0, 0x0010, "OB", 0xFFFFFFFF) +
                              testing::ItemHeader(0xE000, 0) + testing::ItemHeader(0xE000, 4) +
                              fragment + testing::ItemHeader(0xE0DD, 0);
  const char* kHighThroughputJpeg2000 = "1.2.840.10008.1.2.4.201";
  ExpectRefused(RenderFrames(testing::Part10File(dataset, kHighThroughputJpeg2000)),
                std::string("unsupported transfer syntax ") + kHighThroughputJpeg2000);
}

TEST_F(FrameRendererTest, ReportsTheFrameThatCannotBeDecoded) {
  // rtdose_rle.dcm holds 15 frames, one RLE fragment each; the last fragment's RLE
  // header gets an impossible segment count (at most 15 are allowed).
  std::string bytes = ReadFile(CorpusDir() / "rtdose_rle.dcm");
  const size_t last_item = bytes.rfind(std::string("\xFE\xFF\x00\xE0", 4));
  ASSERT_NE(last_item, std::string::npos);
  bytes[last_item + 8] = 99;
  ExpectRefused(RenderFrames(bytes), "cannot decode frame 14");
}

// Enhanced multi-frame images: each frame is rendered with the rescale and window
// of its functional groups, checked against the formulas of PS3.3 C.11.2.1.2 and
// C.11.2.1.3 for an 8-bit output.

// The VOI output for modality value `x`, 0 to 255 unrounded.
double VoiOutput(double x, const WindowValues& window) {
  const double c = window.center, w = window.width;
  if (window.function == "SIGMOID") return 255 / (1 + std::exp(-4 * (x - c) / w));
  if (window.function == "LINEAR_EXACT") {
    if (x <= c - w / 2) return 0;
    if (x > c + w / 2) return 255;
    return ((x - c) / w + 0.5) * 255;
  }
  if (x <= c - 0.5 - (w - 1) / 2) return 0;
  if (x > c - 0.5 + (w - 1) / 2) return 255;
  return ((x - (c - 0.5)) / (w - 1) + 0.5) * 255;
}

// A min-max window over `rescale` applied to `stored`: the lowest value black, the
// highest white, linear in between.
WindowValues MinMaxWindow(const std::vector<int16_t>& stored, const RescaleValues& rescale) {
  const auto [low, high] = std::minmax_element(stored.begin(), stored.end());
  const double a = rescale.slope * *low + rescale.intercept;
  const double b = rescale.slope * *high + rescale.intercept;
  return {(a + b) / 2, std::abs(b - a), "LINEAR_EXACT"};
}

// What one frame must show: `window` over `rescale` applied to its stored values.
struct FrameVoiValues {
  RescaleValues rescale;
  WindowValues window;
};

// 2 x 8 frames of signed values from far below to far above the windows used here;
// frame k is shifted by 37 k.
EnhancedImage EnhancedFrames(size_t count, std::string photometric = "MONOCHROME2") {
  const std::vector<int16_t> base = {-2048, -1500, -1000, -700, -400, -200, -100, -30,
                                     0,     25,    60,    150,  400,  900,  1800, 3000};
  EnhancedImage image;
  image.photometric = std::move(photometric);
  image.rows = 2;
  image.columns = 8;
  for (size_t k = 0; k < count; ++k) {
    image.frames.push_back(base);
    for (int16_t& value : image.frames.back()) value = static_cast<int16_t>(value + 37 * k);
  }
  return image;
}

void ExpectFramesShow(const EnhancedImage& image, const std::vector<FrameVoiValues>& want,
                      std::string_view transfer_syntax = testing::kExplicitLittleEndian) {
  const Result<std::vector<FramePng>> rendered =
      RenderFrames(testing::Part10File(testing::EnhancedImageDataset(image), transfer_syntax));
  ASSERT_TRUE(rendered.ok()) << rendered.error().message();
  ASSERT_EQ(rendered->size(), want.size());
  for (size_t k = 0; k < want.size(); ++k) {
    const DecodedPng png = DecodePng((*rendered)[k].png);
    ASSERT_EQ(png.channels, 1);
    ASSERT_EQ(png.pixels.size(), image.frames[k].size()) << "frame " << k;
    for (size_t i = 0; i < png.pixels.size(); ++i) {
      const double value = want[k].rescale.slope * image.frames[k][i] + want[k].rescale.intercept;
      double expected = VoiOutput(value, want[k].window);
      if (image.photometric == "MONOCHROME1") expected = 255 - expected;
      EXPECT_NEAR(png.pixels[i], expected, 1.0)
          << "frame " << k << " pixel " << i << " value " << value << " " << image.photometric;
    }
  }
}

const std::vector<FrameVoiValues> kOwnFrameVoi = {
    {{1, -1024}, {-1000, 1500, ""}},
    {{2, 10}, {300, 800, "LINEAR"}},
    {{0.5, -20}, {100, 256, "LINEAR_EXACT"}},
    {{-1, 100}, {50, 2000, "SIGMOID"}},  // a negative slope turns the frame over
};

// EnhancedFrames with kOwnFrameVoi in its per-frame groups.
EnhancedImage OwnFrameVoiImage(std::string photometric) {
  EnhancedImage image = EnhancedFrames(kOwnFrameVoi.size(), std::move(photometric));
  for (const FrameVoiValues& frame : kOwnFrameVoi)
    image.per_frame.push_back({frame.rescale, frame.window});
  return image;
}

TEST(EnhancedFrameRendererTest, AppliesEachFramesOwnRescaleAndWindow) {
  for (const char* photometric : {"MONOCHROME2", "MONOCHROME1"})
    ExpectFramesShow(OwnFrameVoiImage(photometric), kOwnFrameVoi);
}

// A lossless JPEG 2000 codestream of one frame, made by opj_compress.
std::string Jpeg2000Codestream(const std::vector<int16_t>& values, uint16_t rows,
                               uint16_t columns) {
  TempDir temp;
  std::string samples;  // little endian, as .rawl says
  for (int16_t value : values) {
    samples += static_cast<char>(value & 0xFF);
    samples += static_cast<char>(static_cast<uint16_t>(value) >> 8);
  }
  const fs::path raw = temp.path() / "frame.rawl", codestream = temp.path() / "frame.j2k";
  testing::WriteFile(raw, samples);
  EXPECT_EQ(testing::Run("opj_compress -n 1 -F " + std::to_string(columns) + "," +
                         std::to_string(rows) + ",1,16,s -i " + raw.string() + " -o " +
                         codestream.string() + " >/dev/null 2>&1"),
            0);
  return ReadFile(codestream);
}

// A decoded JPEG 2000 frame is rendered from a single-frame copy of the dataset:
// its functional groups must still be the frame's own.
TEST(EnhancedFrameRendererTest, Jpeg2000FramesUseTheirOwnGroups) {
  EnhancedImage image = OwnFrameVoiImage("MONOCHROME2");
  for (const std::vector<int16_t>& frame : image.frames)
    image.fragments.push_back(Jpeg2000Codestream(frame, image.rows, image.columns));
  ExpectFramesShow(image, kOwnFrameVoi, "1.2.840.10008.1.2.4.90");
}

TEST(EnhancedFrameRendererTest, AppliesSharedGroupsToEveryFrame) {
  EnhancedImage image = EnhancedFrames(3);
  const FrameVoiValues shared = {{2, -100}, {500, 3000, ""}};
  image.shared = FunctionalGroup{shared.rescale, shared.window};
  ExpectFramesShow(image, {shared, shared, shared});
}

TEST(EnhancedFrameRendererTest, PerFrameGroupsOverrideSharedOnesMacroByMacro) {
  EnhancedImage image = EnhancedFrames(4);
  const RescaleValues shared_rescale = {1, -1024}, own_rescale = {3, 5}, both_rescale = {0.25, 0};
  const WindowValues shared_window = {-500, 2000, ""}, own_window = {-1000, 800, ""},
                     both_window = {10, 100, ""};
  image.shared = FunctionalGroup{shared_rescale, shared_window};
  image.per_frame = {
      {}, {std::nullopt, own_window}, {own_rescale, std::nullopt}, {both_rescale, both_window}};
  ExpectFramesShow(image, {{shared_rescale, shared_window},
                           {shared_rescale, own_window},
                           {own_rescale, shared_window},
                           {both_rescale, both_window}});
}

TEST(EnhancedFrameRendererTest, UnusableGroupValuesCountAsAbsent) {
  EnhancedImage image = EnhancedFrames(2);
  const FrameVoiValues shared = {{1, 0}, {0, 1000, ""}};
  image.shared = FunctionalGroup{shared.rescale, shared.window};
  image.per_frame = {{RescaleValues{0, 500}, WindowValues{0, 0.5, ""}},  // slope 0, width < 1
                     {std::nullopt, WindowValues{0, 0, "SIGMOID"}}};
  ExpectFramesShow(image, {shared, shared});
}

// Without a window in the groups, the top-level window still applies, to the values
// the frame's rescale gives; the groups' windows win over it.
TEST(EnhancedFrameRendererTest, TopLevelWindowAppliesWhereGroupsGiveNone) {
  const WindowValues top = {40, 400, ""}, own = {600, 1200, ""};
  for (const char* photometric : {"MONOCHROME2", "MONOCHROME1"}) {
    EnhancedImage image = EnhancedFrames(4, photometric);
    image.top_window = top;
    image.per_frame = {
        {RescaleValues{2, 0}, std::nullopt}, {RescaleValues{2, 0}, own}, {}, {std::nullopt, own}};
    ExpectFramesShow(image, {{{2, 0}, top}, {{2, 0}, own}, {{1, 0}, top}, {{1, 0}, own}});
  }
}

TEST(EnhancedFrameRendererTest, RescaleWithoutWindowShowsTheRescaledRange) {
  EnhancedImage image = EnhancedFrames(2, "MONOCHROME1");
  const RescaleValues first = {1, 0}, second = {-2, 50};
  image.per_frame = {{first, std::nullopt}, {second, std::nullopt}};
  ExpectFramesShow(image, {{first, MinMaxWindow(image.frames[0], first)},
                           {second, MinMaxWindow(image.frames[1], second)}});
}

TEST(EnhancedFrameRendererTest, ScaledFramesKeepTheirWindowAndPolarity) {
  // Uniform frames, so that averaging down to 1 x 4 keeps every value.
  EnhancedImage image = EnhancedFrames(0, "MONOCHROME1");
  image.frames = {std::vector<int16_t>(16, 100), std::vector<int16_t>(16, -300)};
  const std::vector<FrameVoiValues> want = {{{2, 0}, {150, 200, ""}}, {{-1, 0}, {100, 1000, ""}}};
  for (const FrameVoiValues& frame : want) image.per_frame.push_back({frame.rescale, frame.window});
  const Result<std::vector<FramePng>> rendered =
      RenderFrames(testing::Part10File(testing::EnhancedImageDataset(image)), 4);
  ASSERT_TRUE(rendered.ok()) << rendered.error().message();
  ASSERT_EQ(rendered->size(), 2u);
  for (size_t k = 0; k < 2; ++k) {
    const DecodedPng png = DecodePng((*rendered)[k].png);
    EXPECT_EQ(png.width, 4u);
    EXPECT_EQ(png.height, 1u);
    const double value = want[k].rescale.slope * image.frames[k][0] + want[k].rescale.intercept;
    for (uint8_t pixel : png.pixels)
      EXPECT_NEAR(pixel, 255 - VoiOutput(value, want[k].window), 1.0) << "frame " << k;
  }
}

}  // namespace
}  // namespace pacsport::dicom
