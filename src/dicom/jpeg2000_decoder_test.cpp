// JPEG 2000 previews: RenderFrames against an independent rendering (pydicom extracts
// the codestream, opj_decompress decodes it, testdata/jpeg2000_reference.py windows
// it), against the uncompressed twin of a lossless file, and on crafted objects.
#include "dicom/jpeg2000_decoder.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>

#include "dicom/frame_renderer.h"
#include "dicom/test_corpus.h"
#include "dicom/test_objects.h"

namespace pacsport::dicom {
namespace {

namespace fs = std::filesystem;
using testing::CorpusDir;
using testing::DecodedPng;
using testing::DecodePng;
using testing::ReadFile;
using testing::TempDir;

constexpr std::string_view kJpeg2000Lossless = "1.2.840.10008.1.2.4.90";
// opj_decompress's exit status through jpeg2000_reference.py when it cannot decode.
constexpr int kNoReference = 3;

void ExpectRefused(const Result<std::vector<FramePng>>& rendered, std::string_view reason) {
  ASSERT_FALSE(rendered.ok()) << "rendered, expected: " << reason;
  EXPECT_EQ(rendered.error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(rendered.error().message(), reason);
}

// The rendering of `frame` of `file` by jpeg2000_reference.py, or its exit status.
struct Reference {
  int status = 0;
  DecodedPng image;
};
Reference RenderReference(const fs::path& file, size_t frame, const fs::path& temp) {
  const fs::path output = temp / "reference.pnm";
  Reference reference;
  const int status = testing::Run(
      "/usr/bin/python3 " +
      testing::ShellQuote((testing::TestDataDir() / "jpeg2000_reference.py").string()) + " " +
      testing::ShellQuote(file.string()) + " " + std::to_string(frame) + " " +
      testing::ShellQuote(output.string()));
  reference.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (reference.status == 0) reference.image = testing::DecodePnm(ReadFile(output));
  return reference;
}

// The codestream of a single-frame, single-fragment file's Pixel Data.
std::string FirstCodestream(const std::string& file) {
  const size_t start = file.find(std::string("\xFF\x4F\xFF\x51", 4));
  EXPECT_NE(start, std::string::npos);
  if (start == std::string::npos || start < 4) return {};
  uint32_t length = 0;
  for (size_t i = 0; i < 4; ++i)
    length |= uint32_t{static_cast<uint8_t>(file[start - 4 + i])} << (8 * i);
  return file.substr(start, length);
}

struct Attributes {
  uint16_t rows = 64, columns = 64, samples = 1, bits_allocated = 16, pixel_representation = 1;
  std::string photometric = "MONOCHROME2";
  std::string frames = "1";
};

std::string ImageElements(const Attributes& a) {
  using testing::Element;
  using testing::UInt16Element;
  const uint16_t bits_stored = a.bits_allocated;
  std::string out =
      UInt16Element(0x0028, 0x0002, a.samples) + Element(0x0028, 0x0004, "CS", a.photometric);
  if (a.samples > 1) out += UInt16Element(0x0028, 0x0006, 0);
  return out + Element(0x0028, 0x0008, "IS", a.frames) + UInt16Element(0x0028, 0x0010, a.rows) +
         UInt16Element(0x0028, 0x0011, a.columns) +
         UInt16Element(0x0028, 0x0100, a.bits_allocated) +
         UInt16Element(0x0028, 0x0101, bits_stored) +
         UInt16Element(0x0028, 0x0102, bits_stored - 1) +
         UInt16Element(0x0028, 0x0103, a.pixel_representation);
}

std::string Jpeg2000File(const Attributes& attributes, const std::vector<std::string>& fragments,
                         std::string_view table = {}) {
  return testing::Part10File(testing::IdentityElements() + ImageElements(attributes) +
                                 testing::EncapsulatedPixelData(fragments, table),
                             kJpeg2000Lossless);
}

class Jpeg2000Test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::vector<std::string> arguments = {"metadata"};
    for (const fs::path& file : testing::DcmFiles(CorpusDir())) arguments.push_back(file.string());
    const nlohmann::json by_path = testing::RunOracle(arguments);
    for (const auto& [path, want] : by_path.items()) {
      const std::string syntax = want.value("transfer_syntax_uid", "");
      if (want["readable"] && IsJpeg2000(syntax)) files_[fs::path(path).filename().string()] = want;
    }
    codestream_ = FirstCodestream(ReadFile(CorpusDir() / "MR_small_jp2klossless.dcm"));
  }

  static inline nlohmann::json files_;    // pydicom's view of the corpus's JPEG 2000 files
  static inline std::string codestream_;  // MR_small_jp2klossless.dcm's: 64x64, signed 16 bits
};

TEST_F(Jpeg2000Test, MatchesOpenJpegCommandLineDecoding) {
  for (const char* required :
       {"MR_small_jp2klossless.dcm", "GDCMJ2K_TextGBR.dcm", "SC_rgb_gdcm_KY.dcm", "693_J2KI.dcm",
        "J2K_pixelrep_mismatch.dcm", "JPEG2000.dcm"}) {
    ASSERT_TRUE(files_.contains(required)) << required;
  }
  TempDir temp;
  int compared = 0;
  for (const auto& [name, want] : files_.items()) {
    SCOPED_TRACE(name);
    const Result<std::vector<FramePng>> rendered = RenderFrames(ReadFile(CorpusDir() / name));
    for (size_t frame = 0; frame < want["number_of_frames"].get<size_t>(); ++frame) {
      const Reference reference = RenderReference(CorpusDir() / name, frame, temp.path());
      if (reference.status == kNoReference) {  // OpenJPEG itself refuses the codestream
        ExpectRefused(rendered, "cannot decode frame " + std::to_string(frame));
        break;
      }
      ASSERT_EQ(reference.status, 0);
      ASSERT_TRUE(rendered.ok()) << rendered.error().message();
      ASSERT_EQ(rendered->size(), want["number_of_frames"].get<size_t>());
      const DecodedPng ours = DecodePng((*rendered)[frame].png);
      ASSERT_EQ(ours.channels, reference.image.channels);
      ASSERT_EQ(ours.width, want["columns"].get<uint32_t>());
      ASSERT_EQ(ours.height, want["rows"].get<uint32_t>());
      ASSERT_EQ(ours.width, reference.image.width);
      ASSERT_EQ(ours.height, reference.image.height);
      const double difference = testing::MeanAbsoluteDifference(ours, reference.image);
      EXPECT_LE(difference, 1.0);
      RecordProperty(name + "_frame_" + std::to_string(frame), std::to_string(difference));
      ++compared;
    }
  }
  EXPECT_GE(compared, 6);  // all but JPEG2000-embedded-sequence-delimiter.dcm's garbled SIZ
}

TEST_F(Jpeg2000Test, LosslessMatchesItsUncompressedTwin) {
  const Result<std::vector<FramePng>> compressed =
      RenderFrames(ReadFile(CorpusDir() / "MR_small_jp2klossless.dcm"));
  const Result<std::vector<FramePng>> uncompressed =
      RenderFrames(ReadFile(CorpusDir() / "MR_small.dcm"));
  ASSERT_TRUE(compressed.ok() && uncompressed.ok());
  const double difference = testing::MeanAbsoluteDifference(DecodePng(compressed->front().png),
                                                            DecodePng(uncompressed->front().png));
  EXPECT_LE(difference, 1.0);
  RecordProperty("MR_small", std::to_string(difference));
}

TEST_F(Jpeg2000Test, FindsFramesWithAndWithoutAnOffsetTable) {
  ASSERT_GT(codestream_.size(), 100u);
  const Result<std::vector<FramePng>> single = RenderFrames(Jpeg2000File({}, {codestream_}));
  ASSERT_TRUE(single.ok()) << single.error().message();
  const std::string& whole = codestream_;
  const std::string head = whole.substr(0, 100), tail = whole.substr(100);
  // A fragment after the end of frame 0's codestream that looks like a frame start:
  // only the offset table tells that it is not one.
  const std::string lookalike = whole.substr(0, 100);
  const std::vector<std::string> split = {head, tail, whole, whole};
  const std::vector<std::string> padded = {whole, lookalike, whole, whole};
  Attributes three_frames;
  three_frames.frames = "3";
  for (const auto& [label, file] :
       {std::pair{"one fragment per frame", Jpeg2000File(three_frames, {whole, whole, whole})},
        std::pair{"split frame, no offset table", Jpeg2000File(three_frames, split)},
        std::pair{"split frame, offset table",
                  Jpeg2000File(three_frames, split, testing::OffsetTable(split, {1, 3, 4}))},
        std::pair{"look-alike fragment, offset table",
                  Jpeg2000File(three_frames, padded, testing::OffsetTable(padded, {1, 3, 4}))}}) {
    SCOPED_TRACE(label);
    const Result<std::vector<FramePng>> rendered = RenderFrames(file);
    ASSERT_TRUE(rendered.ok()) << rendered.error().message();
    ASSERT_EQ(rendered->size(), 3u);
    for (const FramePng& frame : *rendered) EXPECT_EQ(frame.png, single->front().png);
  }
  for (const auto& [label, file] :
       {std::pair{"too few fragments", Jpeg2000File(three_frames, {whole, whole})},
        std::pair{"look-alike fragment, no offset table", Jpeg2000File(three_frames, padded)}}) {
    SCOPED_TRACE(label);
    ExpectRefused(RenderFrames(file), "fragments do not match Number of Frames");
  }
}

TEST_F(Jpeg2000Test, BrokenCodestreamGivesAnErrorNotACrash) {
  ExpectRefused(RenderFrames(Jpeg2000File({}, {codestream_.substr(0, codestream_.size() / 2)})),
                "cannot decode frame 0");
  ExpectRefused(RenderFrames(Jpeg2000File({}, {codestream_.substr(0, 60)})),
                "cannot decode frame 0");
  std::string garbled = codestream_;
  std::fill(garbled.begin() + 200, garbled.end() - 2, '\xFF');
  ExpectRefused(RenderFrames(Jpeg2000File({}, {garbled})), "cannot decode frame 0");
}

TEST_F(Jpeg2000Test, RefusesCodestreamsThatContradictTheImageAttributes) {
  struct Case {
    Attributes attributes;
    std::string reason;
  };
  Attributes shorter, colour, bytes, unsigned_pixels;
  shorter.rows = 32;
  colour.samples = 3;
  colour.photometric = "RGB";
  bytes.bits_allocated = 8;
  unsigned_pixels.pixel_representation = 0;
  for (const Case& c :
       {Case{shorter, "JPEG 2000 frame 0: size 64x64, Columns x Rows 64x32"},
        Case{colour, "JPEG 2000 frame 0: 1 components, Samples per Pixel 3"},
        Case{bytes, "JPEG 2000 frame 0: 16 bits, Bits Allocated 8"},
        Case{unsigned_pixels, "JPEG 2000 frame 0: signed samples, Pixel Representation 0"}}) {
    SCOPED_TRACE(c.reason);
    ExpectRefused(RenderFrames(Jpeg2000File(c.attributes, {codestream_})), c.reason);
  }
}

TEST_F(Jpeg2000Test, RefusesAbsurdDeclaredSizeBeforeDecoding) {
  Attributes huge;
  huge.rows = huge.columns = 65535;
  huge.frames = "100000";
  ExpectRefused(RenderFrames(Jpeg2000File(huge, {codestream_})), "pixel data too large");
}

}  // namespace
}  // namespace pacsport::dicom
