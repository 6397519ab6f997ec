// The packager's pipeline on a real index and store holding the whole pydicom corpus:
// the archive does not depend on the window, instances too large to hold stream
// through unchanged and get the same previews, a failure or stop request ends the
// work in flight, the previews of one export stay within their budget, a signed
// receipt.json ends the archive, and a disc (format=media) leaves no staged copies.
#include "export/packager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <nlohmann/json.hpp>
#include <optional>

#include "auth/signing_key.h"
#include "core/digest.h"
#include "deid/project_keys.h"
#include "dicom/initialize.h"
#include "export/export_receipt.h"
#include "export/planner.h"
#include "ingest/ingestor.h"
#include "tests/support/closing_sink.h"
#include "tests/support/temp_dir.h"

namespace pacsport {
namespace {

const SystemTime kExportedAt = std::chrono::sys_days{std::chrono::year{2026} / 1 / 2};

// Counts the reads of the wrapped source and can request a stop, or throw
// std::bad_alloc (an allocation failing in the pipeline), at the n-th one.
class CountingSource : public DicomSource {
 public:
  explicit CountingSource(DicomSource& inner) : inner_(inner) {}
  Result<std::string> Read(const InstanceLocation& location) override {
    Count();
    return inner_.Read(location);
  }
  Status ReadChunked(const InstanceLocation& location, size_t chunk_size,
                     const ChunkConsumer& consume) override {
    Count();
    return inner_.ReadChunked(location, chunk_size, consume);
  }
  Status CheckReachable() override { return inner_.CheckReachable(); }
  int reads() const { return reads_; }
  void StopAt(int read, std::stop_source* stop) {
    stop_at_ = read;
    stop_ = stop;
  }
  void ThrowAt(int read) { throw_at_ = read; }

 private:
  void Count() {
    const int read = ++reads_;
    if (read == stop_at_) stop_->request_stop();
    if (read == throw_at_) throw std::bad_alloc();
  }
  DicomSource& inner_;
  std::atomic<int> reads_{0};
  int stop_at_ = -1;
  int throw_at_ = -1;
  std::stop_source* stop_ = nullptr;
};

PackagerLimits Limits(size_t window,
                      std::uint64_t whole_max = PackagerLimits{}.whole_instance_max_bytes,
                      size_t chunk = PackagerLimits{}.stream_chunk_bytes) {
  PackagerLimits limits;
  limits.window = window;
  limits.whole_instance_max_bytes = whole_max;
  limits.stream_chunk_bytes = chunk;
  return limits;
}

class PackagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dicom::Initialize();
    index_ = OpenSqliteIndex((dir_.path() / "index.sqlite").string()).ValueOrThrow();
    store_ = LocalStore::Open(dir_.path() / "store").ValueOrThrow();
    const RowId hospital = index_->AddHospital("North").ValueOrThrow();
    Ingestor ingestor(*index_, *store_);
    int ingested = 0;
    for (const auto& file : std::filesystem::directory_iterator(testing::CorpusFile(""))) {
      if (ingestor.Ingest(hospital, testing::ReadFile(file.path())).ok()) ++ingested;
    }
    ASSERT_GT(ingested, 50);
    admin_ = Principal{"alice", hospital, "North", Role::kAdmin};
  }

  static ExportRequest AllRequest(bool previews) {
    ExportRequest request;
    request.scope = ExportScope::kAll;
    request.options.previews = previews ? IncludePreviews::kYes : IncludePreviews::kNo;
    return request;
  }
  std::unique_ptr<PlannedExport> PlanAll(bool previews) {
    auto plan = OpenExportPlan(*index_, admin_, AllRequest(previews), kExportedAt).ValueOrThrow();
    EXPECT_EQ(plan->summary().instance_count, -1);  // an export of all counts when asked
    EXPECT_TRUE(plan->CountTotals().ok());
    return plan;
  }

  PackageReport Write(PlannedExport& plan, DicomSource& source, ByteSink& sink,
                      const PackagerLimits& limits, std::stop_token stop = {},
                      const ExportReceipt* receipt = nullptr) {
    return WriteArchive(plan, source, *previews_, sink, kExportedAt, std::move(stop), limits,
                        nullptr, receipt);
  }

  // Extracts `archive` with unzip and runs `sha256sum -c` over checksums.sha256 there;
  // returns the extraction folder.
  std::filesystem::path ExtractAndVerify(const std::string& archive) {
    const auto zip = dir_.path() / "out.zip";
    const auto out = dir_.path() / "out";
    std::filesystem::remove_all(out);
    std::ofstream(zip, std::ios::binary) << archive;
    const std::string command = "unzip -q " + zip.string() + " -d " + out.string() + " && cd " +
                                out.string() + " && sha256sum -c --quiet checksums.sha256";
    EXPECT_EQ(std::system(command.c_str()), 0);
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<Index> index_;
  std::unique_ptr<LocalStore> store_;
  std::unique_ptr<preview::PreviewPool> previews_ =
      preview::PreviewPool::Create({PACSPORT_PREVIEW_WORKER}).ValueOrThrow();
  Principal admin_;
};

TEST_F(PackagerTest, ArchiveDoesNotDependOnTheWindow) {
  const auto plan = PlanAll(true);
  StringSink reference;
  ASSERT_EQ(Write(*plan, *store_, reference, Limits(1)).outcome, PackageOutcome::kComplete);
  for (size_t window : {2, 3, 16}) {
    StringSink sink;
    const PackageReport report = Write(*plan, *store_, sink, Limits(window));
    ASSERT_EQ(report.outcome, PackageOutcome::kComplete) << window;
    EXPECT_EQ(sink.bytes(), reference.bytes()) << "window " << window;
    EXPECT_EQ(report.bytes_written, reference.bytes().size());
  }
  ExtractAndVerify(reference.bytes());
}

// The regular files under `dir`, relative to it, sorted.
std::vector<std::filesystem::path> FilesUnder(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(std::filesystem::relative(entry.path(), dir));
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST_F(PackagerTest, StreamedInstancesGiveTheSameFilesAsWholeOnes) {
  const auto plan = PlanAll(true);
  StringSink whole, streamed;
  ASSERT_EQ(Write(*plan, *store_, whole, Limits(0)).outcome, PackageOutcome::kComplete);
  // Every instance over 0 bytes: all streamed, previews rendered from a copy on disk.
  ASSERT_EQ(Write(*plan, *store_, streamed, Limits(0, 0, 4096)).outcome, PackageOutcome::kComplete);
  const auto whole_dir = dir_.path() / "whole";
  std::filesystem::rename(ExtractAndVerify(whole.bytes()), whole_dir);
  const auto streamed_dir = ExtractAndVerify(streamed.bytes());

  const auto files = FilesUnder(whole_dir);
  ASSERT_EQ(FilesUnder(streamed_dir), files);
  size_t pngs = 0;
  for (const auto& file : files) {
    EXPECT_TRUE(testing::ReadFile(whole_dir / file) == testing::ReadFile(streamed_dir / file))
        << file;
    pngs += file.extension() == ".png";
  }
  EXPECT_GT(pngs, 20u);  // previews, not only their absence, are compared
}

// A de-identified export gives the same bytes whether its instances are held whole or
// streamed through temporary files (deterministic pseudonyms), its checksums hold, no
// file keeps its original SOP Instance UID, and an altered original still fails it.
TEST_F(PackagerTest, DeidentifiedStreamedInstancesGiveTheSameFilesAsWholeOnes) {
  ExportRequest request = AllRequest(true);
  request.options.deidentify = deid::DeidentifyRequest{"study-1", {}, deid::IncludeBurnedIn::kNo};
  const auto keys = deid::ProjectKeys::FromHex(std::string(64, 'c')).ValueOrThrow();
  auto deidentifier = std::make_shared<const deid::Deidentifier>(keys.For("North", "study-1"),
                                                                 *request.options.deidentify);
  const auto plan =
      OpenExportPlan(*index_, admin_, request, kExportedAt, deidentifier).ValueOrThrow();
  ASSERT_TRUE(plan->CountTotals().ok());
  StringSink whole, streamed;
  ASSERT_EQ(Write(*plan, *store_, whole, Limits(0)).outcome, PackageOutcome::kComplete);
  ASSERT_EQ(Write(*plan, *store_, streamed, Limits(0, 0, 4096)).outcome, PackageOutcome::kComplete);
  const auto whole_dir = dir_.path() / "whole";
  std::filesystem::rename(ExtractAndVerify(whole.bytes()), whole_dir);
  const auto streamed_dir = ExtractAndVerify(streamed.bytes());
  const auto files = FilesUnder(whole_dir);
  ASSERT_EQ(FilesUnder(streamed_dir), files);
  const ExportPlan original =
      PlanExport(*index_, admin_, AllRequest(true), kExportedAt).ValueOrThrow();
  size_t dicoms = 0;
  for (const auto& file : files) {
    const std::string bytes = testing::ReadFile(whole_dir / file);
    EXPECT_TRUE(bytes == testing::ReadFile(streamed_dir / file)) << file;
    if (file.extension() != ".dcm") continue;
    ++dicoms;
    EXPECT_EQ(bytes.substr(0, 128), std::string(128, '\0')) << file;
    EXPECT_EQ(file.string().find("patients/ANON-"), 0u) << file;
  }
  EXPECT_GT(dicoms, 20u);
  const std::string everything = whole.bytes();
  for (const PlannedPatient& patient : original.patients) {
    for (const PlannedStudy& study : patient.studies) {
      for (const PlannedInstance& instance : study.instances) {
        EXPECT_EQ(everything.find(instance.record.sop_instance_uid), std::string::npos);
      }
    }
  }
}

TEST_F(PackagerTest, AlteredFileFailsAlsoWhenStreamed) {
  const auto plan = PlanAll(false);
  const ExportPlan whole =
      PlanExport(*index_, admin_, AllRequest(false), kExportedAt).ValueOrThrow();
  const InstanceRecord& victim = whole.patients.back().studies.back().instances.back().record;
  const std::string& key = victim.sha256;
  const auto path = dir_.path() / "store" / key.substr(0, 2) / key.substr(2, 2) / key;
  std::fstream(path, std::ios::in | std::ios::out | std::ios::binary).put('X');
  for (std::uint64_t whole_max : {std::uint64_t{0}, std::uint64_t{1} << 30}) {
    StringSink sink;
    const PackageReport report = Write(*plan, *store_, sink, Limits(0, whole_max));
    EXPECT_EQ(report.outcome, PackageOutcome::kSourceFailed);
    ASSERT_TRUE(report.error.has_value());
    EXPECT_NE(report.error->message().find(victim.sop_instance_uid), std::string::npos);
    EXPECT_NE(report.error->message().find("checksum"), std::string::npos);
  }
}

TEST_F(PackagerTest, ClientGoneStopsTheWorkInFlight) {
  const auto plan = PlanAll(true);
  CountingSource source(*store_);
  testing::ClosingSink sink(1000);
  const PackageReport report = Write(*plan, source, sink, Limits(3));
  EXPECT_EQ(report.outcome, PackageOutcome::kSinkFailed);
  EXPECT_LE(report.bytes_written, 1000u);
  // The first instance's write failed; at most the window was read ahead of it.
  EXPECT_LE(source.reads(), 1 + 3);
  EXPECT_LT(source.reads(), plan->summary().instance_count);
}

TEST_F(PackagerTest, StopRequestEndsTheExport) {
  const auto plan = PlanAll(true);
  CountingSource source(*store_);
  std::stop_source stop;
  source.StopAt(5, &stop);
  StringSink sink;
  const PackageReport report = Write(*plan, source, sink, Limits(2), stop.get_token());
  EXPECT_EQ(report.outcome, PackageOutcome::kStopped);
  EXPECT_LE(source.reads(), 5 + 2);
}

// Issue 13: the outcomes, the checksums and the central directory spilled to
// temporary files (and the document streamed) give the same files as held in memory.
TEST_F(PackagerTest, SpillingGivesTheSameFiles) {
  const auto plan = PlanAll(true);
  StringSink held, spilled;
  ASSERT_EQ(Write(*plan, *store_, held, Limits(0)).outcome, PackageOutcome::kComplete);
  PackagerLimits spill_all = Limits(0);
  spill_all.spill_after_bytes = 0;
  spill_all.document_memory_bytes = 0;
  ASSERT_EQ(Write(*plan, *store_, spilled, spill_all).outcome, PackageOutcome::kComplete);
  EXPECT_NE(held.bytes(), spilled.bytes());  // the document and checksums are streamed
  const auto held_dir = dir_.path() / "held";
  std::filesystem::rename(ExtractAndVerify(held.bytes()), held_dir);
  const auto spilled_dir = ExtractAndVerify(spilled.bytes());
  const auto files = FilesUnder(held_dir);
  ASSERT_EQ(FilesUnder(spilled_dir), files);
  for (const auto& file : files) {
    EXPECT_TRUE(testing::ReadFile(held_dir / file) == testing::ReadFile(spilled_dir / file))
        << file;
  }
}

// Issue 14: receipt.json is the last entry, after checksums.sha256, its line is the
// last of checksums.sha256, and it is signed over the lines before it (those of every
// other entry), with the checksums held in memory or spilled.
TEST_F(PackagerTest, SignedReceiptEndsTheArchive) {
  const auto plan = PlanAll(false);
  const auto key = auth::SigningKey::LoadOrCreate(dir_.path() / "key").ValueOrThrow();
  ExportReceipt receipt;
  receipt.audit_id = 7;
  receipt.username = "alice";
  receipt.role = "admin";
  receipt.hospital_name = "North";
  receipt.exported_at = Iso8601(kExportedAt);
  receipt.scope = "all";
  receipt.archive_name = plan->summary().archive_name;
  receipt.signer = &key;
  for (const size_t spill_after : {PackagerLimits{}.spill_after_bytes, size_t{0}}) {
    PackagerLimits limits = Limits(0);
    limits.spill_after_bytes = spill_after;
    StringSink sink;
    ASSERT_EQ(Write(*plan, *store_, sink, limits, {}, &receipt).outcome, PackageOutcome::kComplete);
    const auto out = ExtractAndVerify(sink.bytes());  // receipt.json's checksum included
    const std::string names = (dir_.path() / "names.txt").string();
    ASSERT_EQ(
        std::system(("unzip -Z1 " + (dir_.path() / "out.zip").string() + " | tail -n 2 > " + names)
                        .c_str()),
        0);
    EXPECT_EQ(testing::ReadFile(names), "checksums.sha256\nreceipt.json\n");

    const std::string checksums = testing::ReadFile(out / "checksums.sha256");
    const std::string json = testing::ReadFile(out / "receipt.json");
    const size_t last_line = checksums.rfind('\n', checksums.size() - 2) + 1;
    EXPECT_EQ(checksums.substr(last_line), Sha256Hex(json) + "  receipt.json\n");
    const std::string others = checksums.substr(0, last_line);
    EXPECT_EQ(std::count(others.begin(), others.end(), '\n'),
              static_cast<std::ptrdiff_t>(FilesUnder(out).size()) - 2);
    auto verified = VerifyReceipt(json, Sha256Hex(others), key.public_key());
    ASSERT_TRUE(verified.ok()) << verified.error().message();
    EXPECT_EQ(verified->receipt.audit_id, 7);
    EXPECT_EQ(verified->receipt.username, "alice");
    EXPECT_EQ(verified->receipt.exported_at, Iso8601(kExportedAt));
  }
  StringSink without;
  ASSERT_EQ(Write(*plan, *store_, without, Limits(0)).outcome, PackageOutcome::kComplete);
  EXPECT_FALSE(std::filesystem::exists(ExtractAndVerify(without.bytes()) / "receipt.json"));
}

// Issue 13: an export reads the index as it was when it was planned; an instance
// indexed meanwhile (a sync) is not in it (its file does not even exist: reading it
// would fail the export).
TEST_F(PackagerTest, InstancesIndexedAfterPlanningAreNotExported) {
  const auto plan = PlanAll(false);
  StringSink before;
  ASSERT_EQ(Write(*plan, *store_, before, Limits(0)).outcome, PackageOutcome::kComplete);
  StoredInstance late;
  late.metadata.patient_id = "LATE";
  late.metadata.study_instance_uid = "1.2.3.4.5.6.7";
  late.metadata.series_instance_uid = "1.2.3.4.5.6.7.1";
  late.metadata.sop_instance_uid = "1.2.3.4.5.6.7.1.1";
  late.size = 10;
  late.sha256 = std::string(64, 'a');
  late.location = {"local", std::string(64, 'a')};
  ASSERT_TRUE(index_->AddInstance(admin_.hospital_id, late).ok());
  StringSink after;
  ASSERT_EQ(Write(*plan, *store_, after, Limits(0)).outcome, PackageOutcome::kComplete);
  EXPECT_EQ(after.bytes(), before.bytes());
  // A plan made now sees it, and fails on its missing file.
  StringSink now;
  EXPECT_EQ(Write(*PlanAll(false), *store_, now, Limits(0)).outcome, PackageOutcome::kSourceFailed);
}

// Fault injection: an exception in the parallel stage (a whole instance) or in the
// writer stage (a streamed one) cancels the pipeline and ends the archive unfinished.
TEST_F(PackagerTest, ExceptionInThePipelineEndsTheArchiveAsAFault) {
  const auto plan = PlanAll(true);
  for (std::uint64_t whole_max : {std::uint64_t{1} << 30, std::uint64_t{0}}) {
    CountingSource source(*store_);
    source.ThrowAt(5);
    StringSink sink;
    const PackageReport report = Write(*plan, source, sink, Limits(2, whole_max));
    EXPECT_EQ(report.outcome, PackageOutcome::kFault) << whole_max;
    ASSERT_TRUE(report.error.has_value());
    EXPECT_NE(report.error->message().find("out of memory"), std::string::npos);
    EXPECT_EQ(report.bytes_written, sink.bytes().size());
    EXPECT_LE(source.reads(), 5 + 2 + 1);
  }
}

// Every instance object of a metadata document, in document (= export) order.
void InstancesOf(const nlohmann::json& node, std::vector<nlohmann::json>& found) {
  if (node.is_object() && node.contains("previews") && node.contains("file")) {
    found.push_back(node);
    return;
  }
  if (node.is_object() || node.is_array()) {
    for (const auto& child : node) InstancesOf(child, found);
  }
}

TEST_F(PackagerTest, PreviewsOfOneExportStayWithinTheirBudget) {
  const auto plan = PlanAll(true);
  StringSink unlimited;
  ASSERT_EQ(Write(*plan, *store_, unlimited, Limits(0)).outcome, PackageOutcome::kComplete);
  const auto unlimited_dir = dir_.path() / "unlimited";
  std::filesystem::rename(ExtractAndVerify(unlimited.bytes()), unlimited_dir);
  std::vector<nlohmann::json> reference;
  InstancesOf(nlohmann::json::parse(testing::ReadFile(unlimited_dir / "all_data.json")), reference);
  std::vector<std::uint64_t> bytes;  // of each instance's previews, in export order
  std::uint64_t total = 0;
  for (const auto& instance : reference) {
    bytes.push_back(0);
    for (const auto& png : instance["previews"]) {
      bytes.back() += std::filesystem::file_size(unlimited_dir / png.get<std::string>());
    }
    total += bytes.back();
  }
  ASSERT_GT(total, 0u);

  // Half of that: the instances before the first that would go over keep their
  // previews, it and every later one keep none and say why; every DICOM file is there.
  preview::PreviewPoolSettings settings{PACSPORT_PREVIEW_WORKER};
  settings.max_bytes_per_export = total / 2;
  previews_ = preview::PreviewPool::Create(settings).ValueOrThrow();
  StringSink limited;
  ASSERT_EQ(Write(*plan, *store_, limited, Limits(0)).outcome, PackageOutcome::kComplete);
  StringSink narrow;
  ASSERT_EQ(Write(*plan, *store_, narrow, Limits(1)).outcome, PackageOutcome::kComplete);
  EXPECT_EQ(narrow.bytes(), limited.bytes()) << "which instances keep previews is plan order's";
  const auto limited_dir = ExtractAndVerify(limited.bytes());
  std::vector<nlohmann::json> instances;
  InstancesOf(nlohmann::json::parse(testing::ReadFile(limited_dir / "all_data.json")), instances);
  ASSERT_EQ(instances.size(), reference.size());
  const std::string over = "previews of this export over preview.max_bytes_per_export_mb (" +
                           std::to_string(settings.max_bytes_per_export >> 20) + " MiB)";
  std::uint64_t kept = 0;
  bool spent = false;
  for (size_t i = 0; i < instances.size(); ++i) {
    spent = spent || kept + bytes[i] > settings.max_bytes_per_export;
    if (spent) {
      EXPECT_TRUE(instances[i]["previews"].empty()) << i;
      EXPECT_EQ(instances[i].value("previewError", ""), over) << i;
    } else {
      EXPECT_EQ(instances[i], reference[i]) << i;
      kept += bytes[i];
    }
    EXPECT_TRUE(std::filesystem::exists(limited_dir / instances[i]["file"].get<std::string>()));
  }
  EXPECT_TRUE(spent);
  EXPECT_LE(kept, settings.max_bytes_per_export);
}

// A disc (format=media) of every patient: the same files whether instances are held
// whole or streamed (so the staged copies DCMTK reads are the same), and the private
// temporary folder of copies is gone after success, a failed sink, a stop and an
// exception alike.
class MediaPackagerTest : public PackagerTest {
 protected:
  void SetUp() override {
    PackagerTest::SetUp();
    tmp_ = dir_.path() / "tmp";
    std::filesystem::create_directories(tmp_);
    const char* previous = std::getenv("TMPDIR");
    previous_tmpdir_ = previous != nullptr ? std::optional<std::string>(previous) : std::nullopt;
    ::setenv("TMPDIR", tmp_.c_str(), 1);
  }
  void TearDown() override {
    if (previous_tmpdir_) {
      ::setenv("TMPDIR", previous_tmpdir_->c_str(), 1);
    } else {
      ::unsetenv("TMPDIR");
    }
  }

  std::unique_ptr<PlannedExport> PlanDisc() {
    ExportRequest request;
    request.scope = ExportScope::kPatients;
    request.options.format = ExportFormat::kMedia;
    // Every identified patient: files without a Patient ID are exported by study only.
    for (const PlannedPatient& patient :
         PlanExport(*index_, admin_, AllRequest(false), kExportedAt).ValueOrThrow().patients) {
      if (!patient.patient.patient_id.empty()) request.targets.push_back(patient.patient.patient_id);
    }
    return OpenExportPlan(*index_, admin_, request, kExportedAt).ValueOrThrow();
  }
  bool StageLeftBehind() const { return !std::filesystem::is_empty(tmp_); }

  std::filesystem::path tmp_;
  std::optional<std::string> previous_tmpdir_;
};

TEST_F(MediaPackagerTest, ADiscIsTheSameStreamedAndLeavesNoStagedCopies) {
  const auto plan = PlanDisc();
  StringSink whole, streamed;
  ASSERT_EQ(Write(*plan, *store_, whole, Limits(0)).outcome, PackageOutcome::kComplete);
  EXPECT_FALSE(StageLeftBehind());
  ASSERT_EQ(Write(*plan, *store_, streamed, Limits(0, 0, 4096)).outcome, PackageOutcome::kComplete);
  EXPECT_FALSE(StageLeftBehind());
  const auto whole_dir = dir_.path() / "whole";
  std::filesystem::rename(ExtractAndVerify(whole.bytes()), whole_dir);
  const auto streamed_dir = ExtractAndVerify(streamed.bytes());
  const auto files = FilesUnder(whole_dir);
  ASSERT_EQ(FilesUnder(streamed_dir), files);
  for (const auto& file : files) {
    // Each DICOMDIR has a SOP Instance UID of its own, so it and the manifest differ.
    if (file == "DICOMDIR" || file == "checksums.sha256") continue;
    EXPECT_TRUE(testing::ReadFile(whole_dir / file) == testing::ReadFile(streamed_dir / file))
        << file;
  }
  // The two DICOMDIRs as DCMTK reads them are the same, but for that UID and the Study
  // Date and Time DCMTK invents, as the current ones, for a file that has none.
  const auto dump = [&](const std::filesystem::path& dir) {
    const auto out = dir / "dicomdir.txt";
    const std::string command = "dcmdump -q " + (dir / "DICOMDIR").string() +
                                " | grep -v -e '(0002,0003)' -e '(0008,0020)' -e '(0008,0030)' > " +
                                out.string();
    EXPECT_EQ(std::system(command.c_str()), 0);
    return testing::ReadFile(out);
  };
  const std::string listed = dump(whole_dir);
  EXPECT_NE(listed.find("ReferencedFileID"), std::string::npos);
  const std::string streamed_listed = dump(streamed_dir);
  EXPECT_EQ(listed, streamed_listed);
  EXPECT_TRUE(std::filesystem::exists(whole_dir / "INDEX.HTM"));
  EXPECT_TRUE(std::filesystem::exists(whole_dir / "README.TXT"));
}

TEST_F(MediaPackagerTest, NoStagedCopiesAreLeftOnAnyFailure) {
  const auto plan = PlanDisc();
  {
    testing::ClosingSink sink(100000);
    EXPECT_EQ(Write(*plan, *store_, sink, Limits(3)).outcome, PackageOutcome::kSinkFailed);
    EXPECT_FALSE(StageLeftBehind());
  }
  {
    CountingSource source(*store_);
    std::stop_source stop;
    source.StopAt(5, &stop);
    StringSink sink;
    EXPECT_EQ(Write(*plan, source, sink, Limits(2), stop.get_token()).outcome,
              PackageOutcome::kStopped);
    EXPECT_FALSE(StageLeftBehind());
  }
  {
    CountingSource source(*store_);
    source.ThrowAt(4);
    StringSink sink;
    EXPECT_EQ(Write(*plan, source, sink, Limits(2)).outcome, PackageOutcome::kFault);
    EXPECT_FALSE(StageLeftBehind());
  }
}

}  // namespace
}  // namespace pacsport
