// ExportService, planner and packager together, on a real SQLite index and store
// holding files of the pydicom corpus. Archives are checked by Python's zipfile.
#include "export/export_service.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <new>
#include <vector>

#include "core/digest.h"
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

// Counts writes, and throws std::bad_alloc at the `throw_at`-th one (0: never), as an
// allocation failing anywhere on the streaming path would.
class ThrowingSink : public ByteSink {
 public:
  explicit ThrowingSink(int throw_at) : throw_at_(throw_at) {}
  Status Write(const char*, size_t) override {
    if (++writes_ == throw_at_) throw std::bad_alloc();
    return Status::Ok();
  }
  int writes() const { return writes_; }

 private:
  const int throw_at_;
  int writes_ = 0;
};

// A source whose reads throw, as an allocation failing in the pipeline would.
class ThrowingSource : public DicomSource {
 public:
  Result<std::string> Read(const InstanceLocation&) override { throw std::bad_alloc(); }
  Status ReadChunked(const InstanceLocation&, size_t, const ChunkConsumer&) override {
    throw std::bad_alloc();
  }
  Status CheckReachable() override { return Status::Ok(); }
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
        "assert z.testzip() is None; print('\\n'.join(z.namelist()))\" " +
        zip.string() + " > " + listing.string();
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
  EXPECT_EQ(audit.role, "admin");
  EXPECT_EQ(audit.scope, "study");
  EXPECT_EQ(audit.instances, 1);
  EXPECT_EQ(audit.content_sha256, Sha256Hex(sink.bytes()));
  EXPECT_EQ(audit.study_count, 1);
  EXPECT_TRUE(audit.chain_seq.has_value());
  const StudyRecord study = index_->GetStudy(hospital_, ct_study_).ValueOrThrow();
  EXPECT_NE(audit.target_label.find(study.patient_id), std::string::npos) << audit.target_label;
  auto studies = index_->ListAuditStudies(audit.id, {}).ValueOrThrow();
  ASSERT_EQ(studies.items.size(), 1u);
  EXPECT_EQ(studies.items[0].study_uid, ct_study_);
  EXPECT_EQ(studies.items[0].patient_id, study.patient_id);
}

// An export of all names every study it held, and a readable summary.
TEST_F(ExportServiceTest, ExportOfAllListsItsStudies) {
  ExportRequest all;
  all.scope = ExportScope::kAll;
  all.options.include_images = IncludeImages::kNo;
  ExportService service(*index_, sources_, *previews_);
  auto session = service.Begin({"", "test", "", "{}"}, admin_, all);
  ASSERT_TRUE(session.ok()) << session.error().message();
  StringSink sink;
  ASSERT_TRUE((*session)->Deliver(sink).ok());
  const AuditRecord audit = LastAudit();
  StudyQuery every;
  every.page.limit = 1000;
  const auto studies = index_->ListStudies(hospital_, every).ValueOrThrow();
  EXPECT_EQ(audit.study_count, studies.total);
  EXPECT_GT(audit.study_count, 1);
  EXPECT_EQ(index_->ListAuditStudies(audit.id, {}).ValueOrThrow().total, studies.total);
  EXPECT_EQ(audit.target_label.rfind("all patients: ", 0), 0u) << audit.target_label;
  EXPECT_EQ(audit.instances, 0);  // no images
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
  ASSERT_TRUE(index_
                  ->SetAiAnalysis(hospital_, ct_study_, R"({"finding": "none"})", {"m1"},
                                  "2026-01-01T00:00:00.000Z")
                  .ok());
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

TEST_F(ExportServiceTest, AssessRefusesAnUnreachableSourceAsBeginWould) {
  FailingSource unreachable(*store_, 1000, false);
  SourceRouter sources;
  sources.Add(LocalStore::kSourceName, unreachable);
  ExportService service(*index_, sources, *previews_);
  auto refused = service.Assess(admin_, StudyRequest());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kUnavailable);

  ExportRequest json_only = StudyRequest();
  json_only.options.format = ExportFormat::kJson;
  json_only.options.include_images = IncludeImages::kNo;
  EXPECT_TRUE(service.Assess(admin_, json_only).ok());
}

TEST_F(ExportServiceTest, ARefusalOutsideTheRequestNamesItsTargetAndTakesNoSlot) {
  ExportServiceLimits limits;
  limits.shares = {.max_concurrent = 1, .max_per_hospital = 1, .max_per_user = 1};
  ExportService service(*index_, sources_, *previews_, limits);
  auto running = service.Begin({"", "test", ct_study_, "{}"}, admin_, StudyRequest());
  ASSERT_TRUE(running.ok());
  ExportAttempt used_link{"", "test", ct_study_, "{}"};
  used_link.refusal = NotFound("this download link is unknown, used or expired");
  auto refused = service.Begin(used_link, admin_, StudyRequest());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kNotFound) << "not over capacity: no slot asked";
  const AuditRecord audit = LastAudit();
  EXPECT_EQ(audit.outcome, AuditOutcome::kDenied);
  EXPECT_EQ(audit.hospital_id, hospital_);
  EXPECT_FALSE(audit.target_label.empty());
  EXPECT_NE(audit.target_label, ct_study_) << "a readable name, not the UID";
  EXPECT_EQ(audit.study_count, 1);
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
  limits.shares = {.max_concurrent = 2, .max_per_hospital = 3, .max_per_user = 3};
  ExportService service(*index_, sources_, *previews_, limits);
  auto first = service.Begin({"", "test", ct_study_, "{}"}, admin_, StudyRequest());
  auto second = service.Begin({"", "test", ct_study_, "{}"}, admin_, StudyRequest());
  ASSERT_TRUE(first.ok() && second.ok());
  auto refused = service.Begin({"", "test", ct_study_, "{}"}, admin_, StudyRequest());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kUnavailable);
  const AuditRecord audit = LastAudit();
  EXPECT_EQ(audit.outcome, AuditOutcome::kOverCapacity);
  EXPECT_NE(audit.detail.find("already running"), std::string::npos);

  StringSink sink;
  ASSERT_TRUE((*first)->Deliver(sink).ok());
  EXPECT_FALSE(service.Begin({"", "test", ct_study_, "{}"}, admin_, StudyRequest()).ok())
      << "a delivered session holds its slot until it is destroyed";
  first->reset();
  EXPECT_TRUE(service.Begin({"", "test", ct_study_, "{}"}, admin_, StudyRequest()).ok());
}

TEST_F(ExportServiceTest, EachUserAndEachHospitalHasAShare) {
  ExportServiceLimits limits;
  limits.shares = {.max_concurrent = 4, .max_per_hospital = 3, .max_per_user = 2};
  ExportService service(*index_, sources_, *previews_, limits);
  const Principal carol{"carol", hospital_, "North", Role::kAdmin};
  const Principal dave{"dave", hospital_, "North", Role::kAdmin};
  const Principal bob{"bob", other_, "South", Role::kAdmin};
  const Principal erin{"erin", other_, "South", Role::kAdmin};
  ExportRequest all;
  all.scope = ExportScope::kAll;
  auto begin = [&](const Principal& who) {
    return service.Begin({"", "test", "", "{}"}, who, all);
  };
  auto alice1 = begin(admin_);
  auto alice2 = begin(admin_);
  ASSERT_TRUE(alice1.ok() && alice2.ok());
  auto over_user = begin(admin_);
  ASSERT_FALSE(over_user.ok());
  EXPECT_EQ(over_user.error().code(), ErrorCode::kTooManyRequests);
  EXPECT_NE(over_user.error().message().find("your share"), std::string::npos);
  EXPECT_EQ(LastAudit().outcome, AuditOutcome::kOverCapacity);
  EXPECT_EQ(service.Assess(admin_, all).error().code(), ErrorCode::kTooManyRequests)
      << "a link is refused when made, as its use would be";

  auto carol1 = begin(carol);
  ASSERT_TRUE(carol1.ok()) << "another user of the same hospital still has a share";
  auto over_hospital = begin(dave);
  ASSERT_FALSE(over_hospital.ok());
  EXPECT_EQ(over_hospital.error().code(), ErrorCode::kTooManyRequests);
  EXPECT_NE(over_hospital.error().message().find("its share"), std::string::npos);

  auto bob1 = begin(bob);
  ASSERT_TRUE(bob1.ok()) << "another hospital still has a share";
  auto full = begin(erin);
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code(), ErrorCode::kUnavailable);

  alice1->reset();
  EXPECT_TRUE(service.Assess(admin_, all).ok());
  EXPECT_TRUE(begin(admin_).ok()) << "a finished session gives all its shares back";
}

TEST_F(ExportServiceTest, ExportOverTheHospitalsSizeLimitIsRefusedBeforeDelivery) {
  ExportServiceLimits limits;
  limits.size.default_max_bytes = 1 << 10;
  ExportService limited(*index_, sources_, *previews_, limits);
  auto refused = limited.Begin({"", "test", ct_study_, "{}"}, admin_, StudyRequest());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kPayloadTooLarge);
  EXPECT_NE(refused.error().message().find("this export would be about"), std::string::npos);
  const AuditRecord audit = LastAudit();
  EXPECT_EQ(audit.outcome, AuditOutcome::kDenied);
  EXPECT_EQ(audit.bytes_sent, 0);
  EXPECT_EQ(limited.Assess(admin_, StudyRequest()).error().code(), ErrorCode::kPayloadTooLarge);
  // Without images the same study is a few KB; and a hospital's own limit (here 0,
  // none) overrides the default.
  ExportRequest metadata_only = StudyRequest();
  metadata_only.options.include_images = IncludeImages::kNo;
  limits.size.default_max_bytes = 1 << 20;
  EXPECT_TRUE(ExportService(*index_, sources_, *previews_, limits)
                  .Begin({"", "test", ct_study_, "{}"}, admin_, metadata_only)
                  .ok());
  limits.size.default_max_bytes = 1 << 10;
  limits.size.by_hospital["North"] = 0;
  EXPECT_TRUE(ExportService(*index_, sources_, *previews_, limits)
                  .Begin({"", "test", ct_study_, "{}"}, admin_, StudyRequest())
                  .ok());
}

TEST_F(ExportServiceTest, SizeRefusalNamesTheEstimateAndTheLimit) {
  ExportEstimate estimate;
  estimate.estimated_bytes = (std::int64_t{7} << 20) / 2;
  EXPECT_TRUE(CheckExportSize(estimate, 0).ok());
  EXPECT_TRUE(CheckExportSize(estimate, std::int64_t{4} << 20).ok());
  const Status refused = CheckExportSize(estimate, std::int64_t{2} << 20);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().http_status(), 413);
  EXPECT_EQ(refused.error().message().substr(0, 60),
            "this export would be about 4 MiB; the hospital's limit is 2 ");
}

// Fault injection: an exception at any write of the archive (the instances, the
// metadata document, the checksums, the central directory) or in a pipeline stage
// ends the delivery as failed; it never escapes to the caller, which would end the
// process on a server thread.
TEST_F(ExportServiceTest, ExceptionWhileStreamingEndsTheDeliveryAsFailed) {
  ExportService service(*index_, sources_, *previews_);
  ThrowingSink counting(0);
  auto complete = service.Begin({"", "test", ct_study_, "{}"}, admin_, StudyRequest());
  ASSERT_TRUE(complete.ok());
  ASSERT_TRUE((*complete)->Deliver(counting).ok());
  ASSERT_GT(counting.writes(), 3);
  complete->reset();
  for (int at = 1; at <= counting.writes(); ++at) {
    auto session = service.Begin({"", "test", ct_study_, "{}"}, admin_, StudyRequest());
    ASSERT_TRUE(session.ok());
    ThrowingSink sink(at);
    const Status status = (*session)->Deliver(sink);
    ASSERT_FALSE(status.ok()) << "write " << at;
    EXPECT_NE(status.error().message().find("out of memory"), std::string::npos);
    const AuditRecord audit = LastAudit();
    EXPECT_EQ(audit.outcome, AuditOutcome::kFailed) << "write " << at;
    EXPECT_NE(audit.detail.find("out of memory"), std::string::npos);
  }

  ExportRequest json = StudyRequest();
  json.options.format = ExportFormat::kJson;
  auto document = service.Begin({"", "test", ct_study_, "{}"}, admin_, json);
  ASSERT_TRUE(document.ok());
  ThrowingSink sink(1);
  EXPECT_FALSE((*document)->Deliver(sink).ok());
  EXPECT_EQ(LastAudit().outcome, AuditOutcome::kFailed);

  ThrowingSource throwing;
  SourceRouter sources;
  sources.Add(LocalStore::kSourceName, throwing);
  ExportService reading(*index_, sources, *previews_);
  auto session = reading.Begin({"", "test", ct_study_, "{}"}, admin_, StudyRequest());
  ASSERT_TRUE(session.ok());
  StringSink out;
  EXPECT_FALSE((*session)->Deliver(out).ok());
  EXPECT_EQ(LastAudit().outcome, AuditOutcome::kFailed);
}

}  // namespace
}  // namespace pacsport
