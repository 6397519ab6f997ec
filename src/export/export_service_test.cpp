// ExportService, planner and packager together, on a real SQLite index and store
// holding files of the pydicom corpus. Archives are checked by Python's zipfile.
#include "export/export_service.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <vector>

#include "dicom/initialize.h"
#include "ingest/ingestor.h"
#include "tests/support/closing_sink.h"
#include "tests/support/temp_dir.h"

namespace pacsport {
namespace {

using testing::ReadFile;

// Fails every read after the first `allowed` ones; unreachable when `reachable` is false.
class FailingSource : public DicomSource {
 public:
  FailingSource(DicomSource& inner, int allowed, bool reachable = true)
      : inner_(inner), allowed_(allowed), reachable_(reachable) {}
  Result<std::string> Read(const InstanceLocation& location) override {
    if (allowed_-- <= 0) return Unavailable("source went away");
    return inner_.Read(location);
  }
  Status ReadChunked(const InstanceLocation& location, size_t chunk_size,
                     const ChunkConsumer& consume) override {
    if (allowed_-- <= 0) return Unavailable("source went away");
    return inner_.ReadChunked(location, chunk_size, consume);
  }
  Status CheckReachable() override {
    return reachable_ ? Status::Ok() : Status(Unavailable("PACS source 'local' is unreachable"));
  }

 private:
  DicomSource& inner_;
  int allowed_;
  const bool reachable_;
};

class ExportServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dicom::Initialize();
    index_ = OpenSqliteIndex((dir_.path() / "index.sqlite").string()).ValueOrThrow();
    store_ = LocalStore::Open(dir_.path() / "store").ValueOrThrow();
    sources_.Add(LocalStore::kSourceName, *store_);
    hospital_ = index_->AddHospital("North").ValueOrThrow();
    other_ = index_->AddHospital("South").ValueOrThrow();
    Ingestor ingestor(*index_, *store_);
    // The two SC_rgb files are two instances of one study of patient "ID1".
    for (const char* name : {"SC_rgb_rle.dcm", "SC_rgb_small_odd.dcm", "CT_small.dcm"}) {
      const std::string bytes = ReadFile(testing::CorpusFile(name));
      auto ingested = ingestor.Ingest(hospital_, bytes);
      ASSERT_TRUE(ingested.ok()) << name << ": " << ingested.error().message();
      if (std::string(name) == "CT_small.dcm") ct_study_ = ingested->study_instance_uid;
    }
    admin_ = Principal{"alice", hospital_, "North", Role::kAdmin};
  }

  ExportRequest StudyRequest() const {
    ExportRequest request;
    request.scope = ExportScope::kStudy;
    request.target = ct_study_;
    return request;
  }

  // Writes `bytes` to a file and lists it with Python's zipfile (testzip must pass).
  std::string ListWithPython(const std::string& bytes) {
    const auto zip = dir_.path() / "out.zip";
    std::ofstream(zip, std::ios::binary) << bytes;
    const auto listing = dir_.path() / "listing.txt";
    const std::string command =
        "/usr/bin/python3 -c \"import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); "
        "assert z.testzip() is None; print('\\n'.join(z.namelist()))\" " + zip.string() +
        " > " + listing.string();
    EXPECT_EQ(std::system(command.c_str()), 0);
    return ReadFile(listing);
  }

  AuditRecord LastAudit() {
    AuditQuery query;
    query.page.limit = 1;
    return index_->ListAudit(query).ValueOrThrow().items.at(0);
  }

  testing::TempDir dir_;
  std::unique_ptr<Index> index_;
  std::unique_ptr<LocalStore> store_;
  SourceRouter sources_;
  std::unique_ptr<preview::PreviewPool> previews_ =
      preview::PreviewPool::Create({PACSPORT_PREVIEW_WORKER}).ValueOrThrow();
  RowId hospital_ = 0;
  RowId other_ = 0;
  std::string ct_study_;
  Principal admin_;
};

TEST_F(ExportServiceTest, StudyArchiveHasSpecLayoutAndIsAudited) {
  ExportService service(*index_, sources_, *previews_);
  auto session = service.Begin({"127.0.0.1", "test", ct_study_, "{}"}, admin_, StudyRequest());
  ASSERT_TRUE(session.ok()) << session.error().message();
  EXPECT_EQ((*session)->plan().archive_name, "study_" + ct_study_ + "_export.zip");
  StringSink sink;
  ASSERT_TRUE((*session)->Deliver(sink).ok());
  EXPECT_EQ(ListWithPython(sink.bytes()),
            "dicom/1.dcm\npreviews/frame_0.png\nstudy_data.json\nchecksums.sha256\n");
  const AuditRecord audit = LastAudit();
  EXPECT_EQ(audit.outcome, AuditOutcome::kSuccess);
  EXPECT_EQ(audit.bytes_sent, static_cast<std::int64_t>(sink.bytes().size()));
  EXPECT_EQ(audit.entries, 4);
  EXPECT_EQ(audit.username, "alice");
}

TEST_F(ExportServiceTest, PatientArchiveNumbersInstancesPerStudy) {
  const std::string patient_id = "ID1";
  ExportRequest request;
  request.scope = ExportScope::kPatient;
  request.target = patient_id;
  request.options.previews = IncludePreviews::kNo;
  ExportService service(*index_, sources_, *previews_);
  auto session = service.Begin({"", "test", patient_id, "{}"}, admin_, request);
  ASSERT_TRUE(session.ok()) << session.error().message();
  StringSink sink;
  ASSERT_TRUE((*session)->Deliver(sink).ok());
  const std::string listing = ListWithPython(sink.bytes());
  EXPECT_NE(listing.find("/1.dcm\n"), std::string::npos);
  EXPECT_NE(listing.find("/2.dcm\n"), std::string::npos);
  EXPECT_NE(listing.find("patient_data.json\n"), std::string::npos);
  EXPECT_EQ(listing.find(".png"), std::string::npos);
  EXPECT_EQ(listing.rfind("studies/", 0), 0u);
}

// The metadata documents of all three scopes, with and without images, validate
// against the JSON Schemas published in docs/schemas (checked by python3-jsonschema).
TEST_F(ExportServiceTest, DocumentsMatchTheirSchemas) {
  struct Case {
    ExportScope scope;
    std::string target;
    ExportFormat format;
    const char* schema;
  };
  const std::vector<Case> cases = {
      {ExportScope::kStudy, ct_study_, ExportFormat::kZip, "study-export"},
      {ExportScope::kStudy, ct_study_, ExportFormat::kJson, "study-export"},
      {ExportScope::kPatient, "ID1", ExportFormat::kZip, "patient-export"},
      {ExportScope::kPatient, "ID1", ExportFormat::kJson, "patient-export"},
      {ExportScope::kAll, "", ExportFormat::kZip, "all-export"},
      {ExportScope::kAll, "", ExportFormat::kJson, "all-export"},
  };
  ASSERT_TRUE(index_->SetAiAnalysis(hospital_, ct_study_, R"({"finding": "none"})", {"m1"},
                                    "2026-01-01T00:00:00.000Z").ok());
  ExportService service(*index_, sources_, *previews_);
  for (const Case& c : cases) {
    ExportRequest request;
    request.scope = c.scope;
    request.target = c.target;
    request.options.format = c.format;
    if (c.format == ExportFormat::kJson) request.options.include_images = IncludeImages::kNo;
    auto session = service.Begin({"", "test", c.target, "{}"}, admin_, request);
    ASSERT_TRUE(session.ok()) << session.error().message();
    StringSink sink;
    ASSERT_TRUE((*session)->Deliver(sink).ok());
    const auto output = dir_.path() / "document.out";
    std::ofstream(output, std::ios::binary) << sink.bytes();
    const std::string command =
        "/usr/bin/python3 -c \"import sys, json, zipfile, jsonschema\n"
        "path, schema = sys.argv[1], json.load(open(sys.argv[2]))\n"
        "if zipfile.is_zipfile(path):\n"
        "    z = zipfile.ZipFile(path)\n"
        "    doc = json.loads(z.read([n for n in z.namelist() if n.endswith('_data.json')][0]))\n"
        "else:\n"
        "    doc = json.load(open(path))\n"
        "jsonschema.validate(doc, schema)\" " +
        output.string() + " docs/schemas/" + c.schema + ".schema.json";
    EXPECT_EQ(std::system(command.c_str()), 0) << c.schema;
  }
}

TEST_F(ExportServiceTest, RefusalsAreAuditedAsDenied) {
  ExportService service(*index_, sources_, *previews_);
  const Principal stranger{"bob", other_, "South", Role::kAdmin};
  auto hidden = service.Begin({"", "test", ct_study_, "{}"}, stranger, StudyRequest());
  ASSERT_FALSE(hidden.ok());
  EXPECT_EQ(hidden.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(LastAudit().outcome, AuditOutcome::kDenied);

  ExportRequest all;
  all.scope = ExportScope::kAll;
  const Principal user{"carol", hospital_, "North", Role::kUser};
  auto forbidden = service.Begin({"", "test", "", "{}"}, user, all);
  ASSERT_FALSE(forbidden.ok());
  EXPECT_EQ(forbidden.error().code(), ErrorCode::kForbidden);

  ExportRequest bad = StudyRequest();
  bad.target = "1.2.";
  auto invalid = service.Begin({"", "test", "1.2.", "{}"}, admin_, bad);
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code(), ErrorCode::kInvalidInput);

  auto unauthenticated =
      service.Begin({"", "test", ct_study_, "{}"}, Result<Principal>(Unauthenticated("no token")),
                    StudyRequest());
  ASSERT_FALSE(unauthenticated.ok());
  const AuditRecord audit = LastAudit();
  EXPECT_EQ(audit.outcome, AuditOutcome::kDenied);
  EXPECT_EQ(audit.username, "");
}

TEST_F(ExportServiceTest, SourceFailureIsReportedAsFailed) {
  FailingSource failing(*store_, 0);
  SourceRouter sources;
  sources.Add(LocalStore::kSourceName, failing);
  ExportService service(*index_, sources, *previews_);
  auto session = service.Begin({"", "test", ct_study_, "{}"}, admin_, StudyRequest());
  ASSERT_TRUE(session.ok());
  StringSink sink;
  EXPECT_FALSE((*session)->Deliver(sink).ok());
  EXPECT_EQ(LastAudit().outcome, AuditOutcome::kFailed);
}

TEST_F(ExportServiceTest, UnreachableSourceRefusesBeforeDelivery) {
  FailingSource unreachable(*store_, 1000, false);
  SourceRouter sources;
  sources.Add(LocalStore::kSourceName, unreachable);
  ExportService service(*index_, sources, *previews_);
  auto refused = service.Begin({"", "test", ct_study_, "{}"}, admin_, StudyRequest());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(LastAudit().outcome, AuditOutcome::kFailed);
  EXPECT_NE(LastAudit().detail.find("unreachable"), std::string::npos);

  // Metadata alone reads no file, so it needs no source.
  ExportRequest json_only = StudyRequest();
  json_only.options.format = ExportFormat::kJson;
  json_only.options.include_images = IncludeImages::kNo;
  auto session = service.Begin({"", "test", ct_study_, "{}"}, admin_, json_only);
  ASSERT_TRUE(session.ok()) << session.error().message();
  StringSink sink;
  EXPECT_TRUE((*session)->Deliver(sink).ok());
}

TEST_F(ExportServiceTest, AlteredStoreFileFailsTheExport) {
  const auto instances = index_->ListStudyInstances(hospital_, ct_study_).ValueOrThrow();
  const std::string key = instances.at(0).sha256;
  const auto path = dir_.path() / "store" / key.substr(0, 2) / key.substr(2, 2) / key;
  std::fstream(path, std::ios::in | std::ios::out | std::ios::binary).put('X');
  ExportService service(*index_, sources_, *previews_);
  auto session = service.Begin({"", "test", ct_study_, "{}"}, admin_, StudyRequest());
  ASSERT_TRUE(session.ok());
  StringSink sink;
  const Status status = (*session)->Deliver(sink);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message().find("checksum"), std::string::npos);
  EXPECT_EQ(LastAudit().outcome, AuditOutcome::kFailed);
}

TEST_F(ExportServiceTest, ClientGoneIsReportedAsAborted) {
  ExportService service(*index_, sources_, *previews_);
  auto session = service.Begin({"", "test", ct_study_, "{}"}, admin_, StudyRequest());
  ASSERT_TRUE(session.ok());
  testing::ClosingSink sink(100);
  EXPECT_FALSE((*session)->Deliver(sink).ok());
  EXPECT_EQ(LastAudit().outcome, AuditOutcome::kAborted);
}

TEST_F(ExportServiceTest, DroppedSessionIsReportedAsAborted) {
  ExportService service(*index_, sources_, *previews_);
  {
    auto session = service.Begin({"", "test", ct_study_, "{}"}, admin_, StudyRequest());
    ASSERT_TRUE(session.ok());
    EXPECT_EQ(LastAudit().outcome, AuditOutcome::kInProgress);
  }
  EXPECT_EQ(LastAudit().outcome, AuditOutcome::kAborted);
}

TEST_F(ExportServiceTest, AttemptsBeyondTheCapAreRefusedUntilASessionEnds) {
  ExportServiceLimits limits;
  limits.max_concurrent = 2;
  ExportService service(*index_, sources_, *previews_, limits);
  auto first = service.Begin({"", "test", ct_study_, "{}"}, admin_, StudyRequest());
  auto second = service.Begin({"", "test", ct_study_, "{}"}, admin_, StudyRequest());
  ASSERT_TRUE(first.ok() && second.ok());
  auto refused = service.Begin({"", "test", ct_study_, "{}"}, admin_, StudyRequest());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kUnavailable);
  const AuditRecord audit = LastAudit();
  EXPECT_EQ(audit.outcome, AuditOutcome::kFailed);
  EXPECT_NE(audit.detail.find("already running"), std::string::npos);

  StringSink sink;
  ASSERT_TRUE((*first)->Deliver(sink).ok());
  EXPECT_FALSE(service.Begin({"", "test", ct_study_, "{}"}, admin_, StudyRequest()).ok())
      << "a delivered session holds its slot until it is destroyed";
  first->reset();
  EXPECT_TRUE(service.Begin({"", "test", ct_study_, "{}"}, admin_, StudyRequest()).ok());
}

}  // namespace
}  // namespace pacsport
