// Encapsulated frames spread over fragments, with and without a Basic Offset Table:
// every frame RenderFrames makes must match pydicom's decoding of the frame that
// pydicom assigns the fragments to (testdata/pydicom_reference.py).
#include "dicom/encapsulated_frames.h"

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

constexpr uint16_t kRows = 24, kColumns = 40, kFrames = 3;

// Frame `k` of a smooth 8-bit image: a ramp in another direction in every frame.
std::string FrameSamples(int k) {
  std::string samples;
  for (int y = 0; y < kRows; ++y) {
    for (int x = 0; x < kColumns; ++x)
      samples += static_cast<char>(std::min(255, 3 * (k + 1) * x + 4 * (3 - k) * y));
  }
  return samples;
}

// An 8-bit MONOCHROME2 image of `frames` frames, without Pixel Data.
std::string ImageElements(int frames) {
  using testing::UInt16Element;
  return testing::IdentityElements() + UInt16Element(0x0028, 0x0002, 1) +
         testing::Element(0x0028, 0x0004, "CS", "MONOCHROME2") +
         testing::Element(0x0028, 0x0008, "IS", std::to_string(frames)) +
         UInt16Element(0x0028, 0x0010, kRows) + UInt16Element(0x0028, 0x0011, kColumns) +
         UInt16Element(0x0028, 0x0100, 8) + UInt16Element(0x0028, 0x0101, 8) +
         UInt16Element(0x0028, 0x0102, 7) + UInt16Element(0x0028, 0x0103, 0);
}

// A compressor and the transfer syntax it writes.
struct Codec {
  const char* name;
  std::string transfer_syntax;
  std::string command;  // a DCMTK compressor; empty: opj_compress, frame by frame
};

// The codestream of each frame, one fragment per frame as the compressor writes it.
std::vector<std::string> Codestreams(const Codec& codec, const fs::path& temp) {
  std::vector<std::string> codestreams;
  if (codec.command.empty()) {
    for (int k = 0; k < kFrames; ++k) {
      const fs::path pgm = temp / "frame.pgm", j2k = temp / "frame.j2k";
      testing::WriteFile(pgm, "P5\n" + std::to_string(kColumns) + " " + std::to_string(kRows) +
                                  "\n255\n" + FrameSamples(k));
      EXPECT_EQ(testing::Run("opj_compress -n 3 -i " + pgm.string() + " -o " + j2k.string() +
                             " >/dev/null 2>&1"),
                0);
      codestreams.push_back(ReadFile(j2k));
    }
    return codestreams;
  }
  std::string samples;
  for (int k = 0; k < kFrames; ++k) samples += FrameSamples(k);
  const fs::path native = temp / "native.dcm", compressed = temp / "compressed.dcm";
  testing::WriteFile(native, testing::Part10File(ImageElements(kFrames) +
                                                 testing::Element(0x7FE0, 0x0010, "OB", samples)));
  EXPECT_EQ(testing::Run(codec.command + " " + native.string() + " " + compressed.string() +
                         " >/dev/null 2>&1"),
            0);
  codestreams = testing::Fragments(ReadFile(compressed));
  EXPECT_EQ(codestreams.size(), size_t{kFrames}) << "one fragment per frame expected";
  return codestreams;
}

// `codestream` cut into `pieces` fragments of even length (but the last).
std::vector<std::string> Split(const std::string& codestream, size_t pieces) {
  std::vector<std::string> fragments;
  const size_t step = codestream.size() / pieces / 2 * 2;
  for (size_t i = 0; i + 1 < pieces; ++i) fragments.push_back(codestream.substr(i * step, step));
  fragments.push_back(codestream.substr((pieces - 1) * step));
  return fragments;
}

struct Layout {
  std::string label;
  int frames = kFrames;
  size_t pieces_per_frame = 1;
  bool offset_table = false;
};

// `frames` of `codestreams`, each cut into `pieces_per_frame` fragments.
std::string LayOut(const Layout& layout, const std::vector<std::string>& codestreams) {
  std::vector<std::string> fragments;
  std::vector<size_t> starts;
  for (int k = 0; k < layout.frames; ++k) {
    starts.push_back(fragments.size() + 1);
    for (std::string& piece : Split(codestreams[k], layout.pieces_per_frame))
      fragments.push_back(std::move(piece));
  }
  const std::string table = layout.offset_table ? testing::OffsetTable(fragments, starts) : "";
  return ImageElements(layout.frames) + testing::EncapsulatedPixelData(fragments, table);
}

TEST(EncapsulatedFramesTest, EveryFrameMatchesPydicomWhateverTheFragments) {
  const std::vector<Codec> codecs = {{"JPEG baseline", "1.2.840.10008.1.2.4.50", "dcmcjpeg +eb"},
                                     {"JPEG lossless", "1.2.840.10008.1.2.4.70", "dcmcjpeg +el"},
                                     {"JPEG-LS lossless", "1.2.840.10008.1.2.4.80", "dcmcjpls"},
                                     {"JPEG 2000 lossless", "1.2.840.10008.1.2.4.90", ""},
                                     {"RLE", "1.2.840.10008.1.2.5", "dcmcrle"}};
  const std::vector<Layout> layouts = {
      {"one fragment per frame, empty offset table"},
      {"three fragments per frame, empty offset table", kFrames, 3},
      {"three fragments per frame, offset table", kFrames, 3, true},
      {"one frame in four fragments, empty offset table", 1, 4}};
  TempDir temp;
  for (const Codec& codec : codecs) {
    const std::vector<std::string> codestreams = Codestreams(codec, temp.path());
    ASSERT_EQ(codestreams.size(), size_t{kFrames}) << codec.name;
    for (const Layout& layout : layouts) {
      // RLE frames are one fragment each (PS3.5 A.4.2): no marker tells where a
      // frame split over fragments ends, for pydicom as for RenderFrames.
      if (codec.transfer_syntax == "1.2.840.10008.1.2.5" && layout.pieces_per_frame > 1 &&
          layout.frames > 1 && !layout.offset_table) {
        continue;
      }
      SCOPED_TRACE(::testing::Message() << codec.name << ", " << layout.label);
      const fs::path file = temp.path() / "split.dcm";
      testing::WriteFile(file,
                         testing::Part10File(LayOut(layout, codestreams), codec.transfer_syntax));
      const Result<std::vector<FramePng>> rendered = RenderFrames(ReadFile(file));
      ASSERT_TRUE(rendered.ok()) << rendered.error().message();
      ASSERT_EQ(rendered->size(), size_t(layout.frames));
      const std::vector<DecodedPng> references = testing::PydicomRendering(file);
      ASSERT_EQ(references.size(), rendered->size());
      for (int k = 0; k < layout.frames; ++k) {
        const DecodedPng ours = DecodePng((*rendered)[k].png);
        ASSERT_EQ(ours.width, references[k].width);
        ASSERT_EQ(ours.height, references[k].height);
        ASSERT_EQ(ours.channels, references[k].channels);
        EXPECT_LE(testing::MeanAbsoluteDifference(ours, references[k]), 1.0) << "frame " << k;
      }
      // The frames differ, so a frame rendered from another's fragments would show.
      for (int k = 1; k < layout.frames; ++k)
        EXPECT_NE(references[k].pixels, references[k - 1].pixels);
    }
  }
}

TEST(EncapsulatedFramesTest, RefusesFragmentsThatCannotMakeTheFrames) {
  TempDir temp;
  const std::vector<std::string> codestreams =
      Codestreams({"JPEG-LS lossless", "1.2.840.10008.1.2.4.80", "dcmcjpls"}, temp.path());
  ASSERT_EQ(codestreams.size(), size_t{kFrames});
  // Three frames in two fragments; three frames whose second one does not begin
  // with a marker, so that only two frames can be found.
  const std::string too_few =
      ImageElements(kFrames) + testing::EncapsulatedPixelData({codestreams[0], codestreams[1]});
  std::vector<std::string> unmarked = {codestreams[0], codestreams[1].substr(2), codestreams[2],
                                       "\x12\x34"};
  const std::string no_marker = ImageElements(kFrames) + testing::EncapsulatedPixelData(unmarked);
  for (const std::string& dataset : {too_few, no_marker}) {
    const Result<std::vector<FramePng>> rendered =
        RenderFrames(testing::Part10File(dataset, "1.2.840.10008.1.2.4.80"));
    ASSERT_FALSE(rendered.ok());
    EXPECT_EQ(rendered.error().message(), "fragments do not match Number of Frames");
  }
}

}  // namespace
}  // namespace pacsport::dicom
