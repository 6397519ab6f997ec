#include "dicom/instance_parser.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <set>

#include "core/digest.h"
#include "dicom/frame_renderer.h"
#include "dicom/test_corpus.h"
#include "dicom/test_objects.h"

namespace pacsport::dicom {
namespace {

namespace fs = std::filesystem;
using testing::CharsetDir;
using testing::CorpusDir;
using testing::DcmFiles;
using testing::ReadFile;

void ExpectRejected(const Result<InstanceMetadata>& parsed, std::string_view what) {
  ASSERT_FALSE(parsed.ok()) << what << " was accepted";
  EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidInput) << what;
  EXPECT_FALSE(parsed.error().message().empty()) << what;
}

// Peak resident memory of this process since ResetPeakMemory (VmHWM), in bytes.
bool ResetPeakMemory() { return static_cast<bool>(std::ofstream("/proc/self/clear_refs") << "5"); }
uint64_t PeakMemory() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) return std::stoull(line.substr(6)) << 10;
  }
  return 0;
}

void ExpectTooLarge(const Result<InstanceMetadata>& parsed, std::string_view message) {
  ASSERT_FALSE(parsed.ok()) << "accepted";
  EXPECT_EQ(parsed.error().code(), ErrorCode::kPayloadTooLarge);
  EXPECT_EQ(parsed.error().message(), message);
}

std::string FromHex(const std::string& hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return bytes;
}

// Compares ParseInstance with pydicom on every file pydicom reads completely; the
// files pydicom reads in spite of a value shorter than declared must be refused.
// In the files of `names_kept_raw`, PatientName must come back as stored because
// DCMTK cannot convert its character set.
void ExpectAgreesWithPydicom(const fs::path& dir,
                             const std::set<std::string>& names_kept_raw = {}) {
  std::vector<std::string> arguments = {"metadata"};
  for (const fs::path& file : DcmFiles(dir)) arguments.push_back(file.string());
  const nlohmann::json expected = testing::RunOracle(arguments);
  int compared = 0;
  for (const std::string& path : std::vector(arguments.begin() + 1, arguments.end())) {
    SCOPED_TRACE(path);
    const nlohmann::json& want = expected.at(path);
    const Result<InstanceMetadata> parsed = ParseInstance(ReadFile(path));
    if (!want["readable"].get<bool>()) continue;
    const std::string name = fs::path(path).filename().string();
    if (want["truncated"].get<bool>()) {
      ExpectRejected(parsed, path);
      continue;
    }
    ASSERT_TRUE(parsed.ok()) << parsed.error().message();
    ++compared;
    EXPECT_EQ(parsed->study_instance_uid, want["study_instance_uid"]);
    EXPECT_EQ(parsed->series_instance_uid, want["series_instance_uid"]);
    EXPECT_EQ(parsed->sop_instance_uid, want["sop_instance_uid"]);
    EXPECT_EQ(parsed->patient_id, want["patient_id"]);
    EXPECT_EQ(parsed->patient_name, names_kept_raw.contains(name)
                                        ? FromHex(want["patient_name_raw_hex"])
                                        : want["patient_name"].get<std::string>());
    EXPECT_EQ(parsed->number_of_frames, want["number_of_frames"]);
    EXPECT_EQ(parsed->transfer_syntax_uid, want["transfer_syntax_uid"]);
    const auto optional_int = [](const nlohmann::json& value) {
      return value.is_null() ? std::optional<int64_t>()
                             : std::optional<int64_t>(value.get<int64_t>());
    };
    EXPECT_EQ(parsed->series_number, optional_int(want["series_number"]));
    EXPECT_EQ(parsed->instance_number, optional_int(want["instance_number"]));
  }
  EXPECT_GT(compared, 10);
}

TEST(InstanceParserTest, EveryCorpusFileParsesOrIsRejectedAsInvalidInput) {
  std::vector<fs::path> files = DcmFiles(CorpusDir());
  for (const auto& entry : fs::recursive_directory_iterator(CorpusDir() / "dicomdirtests")) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  int parsed_count = 0;
  for (const fs::path& file : files) {
    const Result<InstanceMetadata> parsed = ParseInstance(ReadFile(file));
    if (parsed.ok()) {
      ++parsed_count;
      EXPECT_FALSE(parsed->sop_instance_uid.empty()) << file;
    } else {
      ExpectRejected(parsed, file.string());
    }
  }
  EXPECT_GT(parsed_count, 50);
}

// Orthanc 1.10 hashes values stored as UN byte for byte: its ID of rtdose_rle.dcm,
// whose identifying elements are all UN and whose Patient ID is "id11111 ", was read
// from a real Orthanc. The same Patient ID stored as LO (rtdose.dcm) loses its padding.
TEST(InstanceParserTest, OrthancIdsAsOrthancComputesThem) {
  const auto rtdose_rle = ParseInstance(ReadFile(CorpusDir() / "rtdose_rle.dcm"));
  ASSERT_TRUE(rtdose_rle.ok());
  EXPECT_EQ(rtdose_rle->patient_id, "id11111");
  EXPECT_EQ(rtdose_rle->orthanc_instance_id, "ad37e374-bfed7063-7a623e83-273dc020-50b0bee4");
  const auto rtdose = ParseInstance(ReadFile(CorpusDir() / "rtdose.dcm"));
  ASSERT_TRUE(rtdose.ok());
  EXPECT_EQ(rtdose->orthanc_instance_id,
            OrthancInstanceId("id11111", rtdose->study_instance_uid, rtdose->series_instance_uid,
                              rtdose->sop_instance_uid));
}

TEST(InstanceParserTest, AgreesWithPydicomOnTheCorpus) { ExpectAgreesWithPydicom(CorpusDir()); }

// Debian's DCMTK converts through glibc's iconv, which has no "ISO-IR-87" (JIS X
// 0208): Japanese names in ISO 2022 escapes are kept as stored.
TEST(InstanceParserTest, ConvertsCharacterSetsLikePydicom) {
  ExpectAgreesWithPydicom(
      CharsetDir(), {"chrH31.dcm", "chrH32.dcm", "chrJapMulti.dcm", "chrJapMultiExplicitIR6.dcm"});
}

TEST(InstanceParserTest, RejectsKnownTruncatedFiles) {
  for (const char* name : {"MR_truncated.dcm", "rtplan_truncated.dcm"}) {
    const Result<InstanceMetadata> parsed = ParseInstance(ReadFile(CorpusDir() / name));
    ExpectRejected(parsed, name);
    EXPECT_NE(parsed.error().message().find("truncated"), std::string::npos)
        << parsed.error().message();
  }
}

TEST(InstanceParserTest, RejectsNonDicomInput) {
  std::mt19937 random(42);
  std::string noise(65536, '\0');
  for (char& c : noise) c = static_cast<char>(random());
  std::string stub(128, '\0');
  stub += "DICM";
  for (const auto& [what, bytes] : std::vector<std::pair<std::string, std::string>>{
           {"README.txt", ReadFile(CorpusDir() / "README.txt")},
           {"empty", ""},
           {"random bytes", noise},
           {"132-byte DICM stub", stub},
           {"one byte", "\x08"}}) {
    ExpectRejected(ParseInstance(bytes), what);
  }
}

TEST(InstanceParserTest, RejectsMissingOrInvalidUids) {
  const std::string study = testing::Element(0x0020, 0x000D, "UI", "1.2.3");
  const std::string series = testing::Element(0x0020, 0x000E, "UI", "1.2.4");
  const std::string sop = testing::Element(0x0008, 0x0018, "UI", "1.2.5");
  const std::string bad_sop = testing::Element(0x0008, 0x0018, "UI", "1.2.5a");
  const std::string leading_zeros = testing::Element(0x0008, 0x0018, "UI", "1.02.5");
  ASSERT_TRUE(ParseInstance(testing::Part10File(sop + study + series)).ok());
  // Not conformant (a leading zero), but what Orthanc accepts and real systems write.
  ASSERT_TRUE(ParseInstance(testing::Part10File(leading_zeros + study + series)).ok());
  for (const auto& [what, dataset] : std::vector<std::pair<std::string, std::string>>{
           {"no study", sop + series},
           {"no series", sop + study},
           {"no sop", study + series},
           {"invalid sop", bad_sop + study + series}}) {
    const Result<InstanceMetadata> parsed = ParseInstance(testing::Part10File(dataset));
    ExpectRejected(parsed, what);
    EXPECT_EQ(parsed.error().message().find("1.2.5a"), std::string::npos) << "echoes data";
  }
}

// A value announcing 4 GiB with 100 bytes behind it: refused as truncated (and,
// as the loader's delayed loading ensures, without allocating the 4 GiB first).
TEST(InstanceParserTest, RejectsValuesLongerThanTheData) {
  for (std::string_view vr : {"OB", "UT", "UN"}) {
    const std::string file = testing::Part10File(
        testing::IdentityElements() + testing::ElementHeader(0x7FE0, 0x0010, vr, 0xFFFFFFF0) +
        std::string(100, '\0'));
    const Result<InstanceMetadata> parsed = ParseInstance(file);
    ExpectRejected(parsed, vr);
    EXPECT_EQ(parsed.error().message(), "truncated DICOM object");
  }
}

TEST(InstanceParserTest, ErrorsNeverCarryPatientData) {
  for (const char* name : {"MR_truncated.dcm", "rtplan_truncated.dcm"}) {
    const std::string bytes = ReadFile(CorpusDir() / name);
    const Result<InstanceMetadata> parsed = ParseInstance(bytes);
    ASSERT_FALSE(parsed.ok());
    for (const char* patient_data : {"4MR1", "id00001", "Anonymized", "CompressedSamples"}) {
      EXPECT_EQ(parsed.error().message().find(patient_data), std::string::npos);
    }
  }
}

TEST(InstanceParserTest, DcmtkPrintsNothing) {
  ::testing::internal::CaptureStderr();
  ::testing::internal::CaptureStdout();
  (void)ParseInstance(ReadFile(CorpusDir() / "MR_truncated.dcm"));
  (void)ParseInstance(ReadFile(CorpusDir() / "rtplan_truncated.dcm"));
  (void)ParseInstance(ReadFile(CorpusDir() / "UN_sequence.dcm"));
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
}

// Cutting a file anywhere but at the end of a top-level element must be refused;
// a cut between elements may parse, and then to the same identity. Every cut is
// tried up to the last element's header; inside the last value (pixel data), a
// sample of them.
TEST(InstanceParserTest, RejectsEveryCutInsideAnElement) {
  for (const char* name :
       {"rtplan.dcm", "test-SR.dcm", "MR_small_bigendian.dcm", "SC_rgb_rle_2frame.dcm"}) {
    SCOPED_TRACE(name);
    const std::string bytes = ReadFile(CorpusDir() / name);
    const Result<InstanceMetadata> whole = ParseInstance(bytes);
    ASSERT_TRUE(whole.ok());
    std::set<size_t> boundaries;
    for (const auto& offset : testing::RunOracle({"boundaries", (CorpusDir() / name).string()})) {
      boundaries.insert(offset.get<size_t>());
    }
    ASSERT_TRUE(boundaries.contains(bytes.size()));
    const size_t last_header_end = *std::prev(boundaries.end(), 2) + 16;
    int accepted_cuts = 0;
    for (size_t length = 0; length < bytes.size(); length += length < last_header_end ? 1 : 61) {
      const Result<InstanceMetadata> cut = ParseInstance(std::string_view(bytes).substr(0, length));
      if (!cut.ok()) {
        ASSERT_EQ(cut.error().code(), ErrorCode::kInvalidInput);
        continue;
      }
      ++accepted_cuts;
      EXPECT_TRUE(boundaries.contains(length)) << "accepted a cut inside an element at " << length;
      EXPECT_EQ(cut->sop_instance_uid, whole->sop_instance_uid);
    }
    EXPECT_GT(accepted_cuts, 0) << "no cut between elements parsed";
  }
}

// Element boundaries mean nothing inside a deflated stream; a cut may only be
// accepted when nothing was lost (the final bytes of a deflate stream can carry no
// data), which the rendered pixels show.
TEST(InstanceParserTest, RejectsCutsThatLoseDeflatedData) {
  const std::string bytes = ReadFile(CorpusDir() / "image_dfl.dcm");
  const Result<InstanceMetadata> whole = ParseInstance(bytes);
  ASSERT_TRUE(whole.ok());
  const Result<std::vector<FramePng>> whole_frames = RenderFrames(bytes);
  ASSERT_TRUE(whole_frames.ok());
  for (size_t length = 0; length < bytes.size(); length += length + 64 < bytes.size() ? 7 : 1) {
    const std::string_view cut = std::string_view(bytes).substr(0, length);
    const Result<InstanceMetadata> parsed = ParseInstance(cut);
    if (!parsed.ok()) continue;
    EXPECT_EQ(parsed->sop_instance_uid, whole->sop_instance_uid) << length;
    const Result<std::vector<FramePng>> frames = RenderFrames(cut);
    ASSERT_TRUE(frames.ok()) << length;
    EXPECT_EQ(frames->front().png, whole_frames->front().png) << "lost data at " << length;
  }
}

TEST(InstanceParserTest, AcceptsNestingUpToTheLimit) {
  for (testing::Lengths lengths : {testing::Lengths::kUndefined, testing::Lengths::kDefined}) {
    const std::string file = testing::Part10File(
        testing::IdentityElements() + testing::NestedSequences(kMaxSequenceDepth, lengths));
    const Result<InstanceMetadata> parsed = ParseInstance(file);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message();
    EXPECT_EQ(parsed->patient_id, "NEST");
  }
}

TEST(InstanceParserTest, RejectsNestingBeyondTheLimit) {
  // 20000 levels need about 30 MB of stack in DCMTK's reader: without the guard, a crash.
  for (int depth : {kMaxSequenceDepth + 1, 1000, 20000}) {
    for (testing::Lengths lengths : {testing::Lengths::kUndefined, testing::Lengths::kDefined}) {
      for (std::string_view syntax :
           {testing::kExplicitLittleEndian, testing::kDeflatedExplicitLittleEndian}) {
        SCOPED_TRACE(::testing::Message() << "depth " << depth << " syntax " << syntax);
        const std::string file = testing::Part10File(
            testing::IdentityElements() + testing::NestedSequences(depth, lengths), syntax);
        const Result<InstanceMetadata> parsed = ParseInstance(file);
        ExpectRejected(parsed, "deep nesting");
        EXPECT_NE(parsed.error().message().find("nested too deep"), std::string::npos)
            << parsed.error().message();
      }
    }
  }
}

// A deflated dataset inflating beyond the limit is refused, whether one value
// announces more than the limit or many values add up to more.
TEST(InstanceParserTest, RefusesDatasetsThatInflateBeyondTheLimit) {
  const ParseLimits limits{uint64_t{16} << 20};
  for (const auto& [values, value_bytes] : {std::pair{1u, 64u << 20}, std::pair{40u, 1u << 20}}) {
    SCOPED_TRACE(::testing::Message() << values << " values of " << value_bytes << " bytes");
    const std::string bomb = testing::DeflateBomb(values, value_bytes);
    EXPECT_LT(bomb.size(), size_t{256} << 10);
    ExpectTooLarge(ParseInstance(bomb, limits),
                   "the deflated DICOM dataset inflates beyond 16 MiB");
    const Result<InstanceMetadata> allowed = ParseInstance(bomb, ParseLimits{uint64_t{128} << 20});
    ASSERT_TRUE(allowed.ok()) << allowed.error().message();
    EXPECT_EQ(allowed->transfer_syntax_uid, testing::kDeflatedExplicitLittleEndian);
  }
  // The limit bounds inflating: the same amount of data stored plainly is no concern of it.
  const std::string plain =
      testing::Part10File(testing::IdentityElements() +
                          testing::Element(0x0029, 0x1000, "OB", std::string(32 << 20, '\0')));
  EXPECT_TRUE(ParseInstance(plain, limits).ok());
}

// A 1.25 GiB bomb of 1.3 MB: refused under the default limit without inflating it,
// and, as 80 values of 16 MiB under a 64 MiB limit, having inflated no more than that.
TEST(InstanceParserTest, InflatesNoMoreThanTheLimit) {
  const std::string one_value = testing::DeflateBomb(1, 0x50000000);
  const std::string many_values = testing::DeflateBomb(80, 16u << 20);
  EXPECT_LT(one_value.size() + many_values.size(), size_t{4} << 20);
  if (!ResetPeakMemory()) GTEST_SKIP() << "cannot reset the peak memory (/proc/self/clear_refs)";
  const uint64_t before = PeakMemory();
  ExpectTooLarge(ParseInstance(one_value), "the deflated DICOM dataset inflates beyond 1024 MiB");
  EXPECT_LT(PeakMemory() - before, uint64_t{32} << 20);
  ExpectTooLarge(ParseInstance(many_values, ParseLimits{uint64_t{64} << 20}),
                 "the deflated DICOM dataset inflates beyond 64 MiB");
  EXPECT_LT(PeakMemory() - before, uint64_t{128} << 20);
}

TEST(InstanceParserTest, ReadsDeflatedObjects) {
  const std::string file = testing::Part10File(
      testing::IdentityElements() + testing::NestedSequences(3, testing::Lengths::kUndefined),
      testing::kDeflatedExplicitLittleEndian);
  const Result<InstanceMetadata> parsed = ParseInstance(file);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  EXPECT_EQ(parsed->transfer_syntax_uid, testing::kDeflatedExplicitLittleEndian);
  EXPECT_EQ(parsed->study_instance_uid, "1.2.3.4.5.6.1");
  EXPECT_EQ(parsed->number_of_frames, 0);
}

}  // namespace
}  // namespace pacsport::dicom
