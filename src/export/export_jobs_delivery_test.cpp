// ExportJobs with a destination: the job's complete archive goes to JobDelivery, and
// the job ends delivered (archive kept), failed (archive removed), cancelled, or
// queued again when the server stops mid-delivery. A real index, store and preview
// workers; the delivery is a fake that checks what it is handed.
#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "core/digest.h"
#include "dicom/initialize.h"
#include "export/export_jobs.h"
#include "export/job_archive_file.h"
#include "ingest/ingestor.h"
#include "tests/support/temp_dir.h"

namespace pacsport {
namespace {

using testing::ReadFile;
constexpr RowId kDestination = 7;

class FakeDelivery : public JobDelivery {
 public:
  enum class Mode { kSucceed, kFail, kHoldUntilStopped };
  explicit FakeDelivery(Mode mode) : mode_(mode) {}

  Status CheckDestination(const Principal&, RowId id) override {
    return id == kDestination ? Status::Ok() : Status(NotFound("no such destination"));
  }
  std::string DestinationLabel(const JobRecord&) override { return "Fake bucket (test)"; }
  Result<DeliveredArchive> Deliver(const JobRecord& job, const std::filesystem::path& archive,
                                   std::stop_token stop,
                                   std::atomic<std::uint64_t>& bytes_sent) override {
    const std::string bytes = ReadFile(archive);
    {
      std::lock_guard lock(mutex_);
      handed_sha256_ = Sha256Hex(bytes);
      handed_ = true;
    }
    handed_cv_.notify_all();
    EXPECT_EQ(static_cast<std::int64_t>(bytes.size()), job.archive_size);
    bytes_sent += bytes.size();
    if (mode_ == Mode::kFail) return Unavailable("PUT http://bucket/: connection refused");
    if (mode_ == Mode::kHoldUntilStopped) {
      std::mutex m;
      std::condition_variable_any cv;
      std::unique_lock lock(m);
      cv.wait(lock, stop, [] { return false; });
      return Unavailable("stopped");
    }
    return DeliveredArchive{R"({"kind":"fake","key":")" + job.id + R"("})", ""};
  }

  // Waits until an archive was handed over; its SHA-256.
  std::string WaitHanded() {
    std::unique_lock lock(mutex_);
    handed_cv_.wait_for(lock, std::chrono::seconds(60), [this] { return handed_; });
    return handed_sha256_;
  }

 private:
  const Mode mode_;
  std::mutex mutex_;
  std::condition_variable handed_cv_;
  bool handed_ = false;
  std::string handed_sha256_;
};

class ExportJobsDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dicom::Initialize();
    index_ = OpenSqliteIndex((dir_.path() / "index.sqlite").string()).ValueOrThrow();
    store_ = LocalStore::Open(dir_.path() / "store").ValueOrThrow();
    sources_.Add(LocalStore::kSourceName, *store_);
    hospital_ = index_->AddHospital("North").ValueOrThrow();
    ASSERT_TRUE(index_->AddUser("alice", hospital_, Role::kAdmin, "unused").ok());
    Ingestor ingestor(*index_, *store_);
    ASSERT_TRUE(ingestor.Ingest(hospital_, ReadFile(testing::CorpusFile("CT_small.dcm"))).ok());
    settings_.directory = dir_.path() / "jobs";
    settings_.tick = std::chrono::milliseconds(20);
  }

  ExportRequest AllRequest() const {
    ExportRequest request;
    request.scope = ExportScope::kAll;
    request.options.include_images = IncludeImages::kNo;
    return request;
  }

  JobRecord WaitFor(const std::string& id, std::initializer_list<JobState> states) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (true) {
      JobRecord job = index_->GetJob(hospital_, id).ValueOrThrow();
      for (JobState state : states) {
        if (job.state == state) return job;
      }
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "job stayed " << JobStateName(job.state);
        return job;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  AuditRecord DeliveryAudit() {
    AuditQuery query;
    query.page.limit = 20;
    for (const AuditRecord& record : index_->ListAudit(query).ValueOrThrow().items) {
      if (record.endpoint == "DELIVER /api/export/jobs/:id") return record;
    }
    ADD_FAILURE() << "no delivery was audited";
    return {};
  }

  bool ArchiveExists(const std::string& id) const {
    return std::filesystem::exists(JobArchiveFile::FinalPath(settings_.directory, id, "zip"));
  }

  testing::TempDir dir_;
  std::unique_ptr<Index> index_;
  std::unique_ptr<LocalStore> store_;
  SourceRouter sources_;
  std::unique_ptr<preview::PreviewPool> previews_ =
      preview::PreviewPool::Create({PACSPORT_PREVIEW_WORKER}).ValueOrThrow();
  RowId hospital_ = 0;
  ExportJobSettings settings_;
  const ExportAttempt attempt_{"127.0.0.1", "POST /api/export/jobs", "", "{}"};
};

TEST_F(ExportJobsDeliveryTest, ADeliveredJobKeepsTheArchiveItSent) {
  ExportService exports(*index_, sources_, *previews_);
  FakeDelivery delivery(FakeDelivery::Mode::kSucceed);
  ExportJobs jobs(*index_, exports, settings_, &delivery);
  ASSERT_TRUE(jobs.Start().ok());
  const Principal alice{"alice", hospital_, "North", Role::kAdmin};
  auto job = jobs.Submit(alice, AllRequest(), attempt_, {kDestination, 0});
  ASSERT_TRUE(job.ok()) << job.error().message();
  EXPECT_EQ(job->destination_id, kDestination);
  const JobRecord done = WaitFor(job->id, {JobState::kDelivered, JobState::kFailed});
  ASSERT_EQ(done.state, JobState::kDelivered) << done.error;
  EXPECT_EQ(delivery.WaitHanded(), done.archive_sha256);
  EXPECT_EQ(done.delivered_to, R"({"kind":"fake","key":")" + done.id + R"("})");
  EXPECT_TRUE(ArchiveExists(done.id));
  EXPECT_EQ(done.progress.bytes_done, done.archive_size);
  const AuditRecord audit = DeliveryAudit();
  EXPECT_EQ(audit.outcome, AuditOutcome::kSuccess);
  EXPECT_EQ(audit.target, done.id);
  EXPECT_EQ(audit.target_label, "Fake bucket (test)");
  EXPECT_EQ(audit.content_sha256, done.archive_sha256);
  EXPECT_EQ(audit.bytes_sent, done.archive_size);
}

TEST_F(ExportJobsDeliveryTest, AFailedDeliveryFailsTheJobAndRemovesItsArchive) {
  ExportService exports(*index_, sources_, *previews_);
  FakeDelivery delivery(FakeDelivery::Mode::kFail);
  ExportJobs jobs(*index_, exports, settings_, &delivery);
  ASSERT_TRUE(jobs.Start().ok());
  const Principal alice{"alice", hospital_, "North", Role::kAdmin};
  auto job = jobs.Submit(alice, AllRequest(), attempt_, {kDestination, 0});
  ASSERT_TRUE(job.ok());
  const JobRecord failed = WaitFor(job->id, {JobState::kDelivered, JobState::kFailed});
  EXPECT_EQ(failed.state, JobState::kFailed);
  EXPECT_EQ(failed.error, "delivery failed: PUT http://bucket/: connection refused");
  EXPECT_TRUE(failed.archive_sha256.empty());
  EXPECT_FALSE(ArchiveExists(failed.id));
  const AuditRecord audit = DeliveryAudit();
  EXPECT_EQ(audit.outcome, AuditOutcome::kFailed);
  EXPECT_NE(audit.detail.find("connection refused"), std::string::npos);
}

TEST_F(ExportJobsDeliveryTest, AnUnknownDestinationIsRefusedAtSubmission) {
  ExportService exports(*index_, sources_, *previews_);
  FakeDelivery delivery(FakeDelivery::Mode::kSucceed);
  ExportJobs jobs(*index_, exports, settings_, &delivery);
  const Principal alice{"alice", hospital_, "North", Role::kAdmin};
  auto job = jobs.Submit(alice, AllRequest(), attempt_, {kDestination + 1, 0});
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().code(), ErrorCode::kNotFound);
  ExportJobs without_delivery(*index_, exports, settings_);
  EXPECT_FALSE(without_delivery.Submit(alice, AllRequest(), attempt_, {kDestination, 0}).ok());
  EXPECT_TRUE(index_->ListJobsInState(JobState::kQueued).ValueOrThrow().empty());
}

TEST_F(ExportJobsDeliveryTest, ACancelWhileDeliveringStopsItAndRemovesTheArchive) {
  ExportService exports(*index_, sources_, *previews_);
  FakeDelivery delivery(FakeDelivery::Mode::kHoldUntilStopped);
  ExportJobs jobs(*index_, exports, settings_, &delivery);
  ASSERT_TRUE(jobs.Start().ok());
  const Principal alice{"alice", hospital_, "North", Role::kAdmin};
  auto job = jobs.Submit(alice, AllRequest(), attempt_, {kDestination, 0});
  ASSERT_TRUE(job.ok());
  delivery.WaitHanded();
  EXPECT_EQ(WaitFor(job->id, {JobState::kDelivering}).state, JobState::kDelivering);
  auto cancelled = jobs.Cancel(alice, job->id, attempt_);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->state, JobState::kCancelled);
  jobs.Stop();
  EXPECT_EQ(index_->GetJob(hospital_, job->id)->state, JobState::kCancelled);
  EXPECT_FALSE(ArchiveExists(job->id));
}

TEST_F(ExportJobsDeliveryTest, AServerStoppingMidDeliveryQueuesTheJobAgain) {
  ExportService exports(*index_, sources_, *previews_);
  FakeDelivery delivery(FakeDelivery::Mode::kHoldUntilStopped);
  std::string id;
  {
    ExportJobs jobs(*index_, exports, settings_, &delivery);
    ASSERT_TRUE(jobs.Start().ok());
    const Principal alice{"alice", hospital_, "North", Role::kAdmin};
    auto job = jobs.Submit(alice, AllRequest(), attempt_, {kDestination, 0});
    ASSERT_TRUE(job.ok());
    id = job->id;
    delivery.WaitHanded();
  }  // stops
  const JobRecord again = index_->GetJob(hospital_, id).ValueOrThrow();
  EXPECT_EQ(again.state, JobState::kQueued);
  EXPECT_TRUE(again.archive_sha256.empty());
  EXPECT_FALSE(ArchiveExists(id));
}

}  // namespace
}  // namespace pacsport
