// ExportJobs with a destination: the job's complete archive goes to JobDelivery, and
// the job ends delivered (archive kept), failed (archive removed), cancelled, or
// queued again when the server stops mid-delivery; a destination that takes instances
// (another PACS) gets them from the feed instead, and no archive is made. A real
// index, store and preview workers; the delivery is a fake that checks what it is
// handed.
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <fstream>
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
  enum class Mode { kSucceed, kFail, kHoldUntilStopped, kRefuseSecond };
  enum class Takes { kArchive, kInstances };
  explicit FakeDelivery(Mode mode, Takes takes = Takes::kArchive) : mode_(mode), takes_(takes) {}

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

  bool TakesInstances(const JobRecord&) override { return takes_ == Takes::kInstances; }

  // Takes every instance, checking it against what was ingested; the second is
  // refused in kRefuseSecond; kFail fails after the first, kHoldUntilStopped holds it.
  Result<PushedExport> Push(const JobRecord&, InstanceFeed& feed, std::stop_token stop,
                            std::atomic<std::int64_t>& instances_done) override {
    EXPECT_EQ(takes_, Takes::kInstances);
    std::string refused;
    while (true) {
      auto next = feed.Next(stop);
      if (!next.ok()) return next.error();
      if (!next->has_value()) break;
      const OutgoingInstance& instance = **next;
      {
        std::lock_guard lock(mutex_);
        pushed_.push_back(instance.sop_instance_uid);
        pushed_sha256_.push_back(Sha256Hex(instance.bytes));
        handed_ = true;
      }
      handed_cv_.notify_all();
      if (mode_ == Mode::kFail) return Unavailable("the peer went away");
      if (mode_ == Mode::kHoldUntilStopped) {
        std::mutex m;
        std::condition_variable_any cv;
        std::unique_lock lock(m);
        cv.wait(lock, stop, [] { return false; });
        return Unavailable("stopped");
      }
      if (mode_ == Mode::kRefuseSecond && instances_done == 1) {
        refused = "the peer refused 1 of 2 instances: " + instance.sop_instance_uid + " (0xA700)";
      }
      ++instances_done;
    }
    return PushedExport{
        R"({"kind":"fake","settled":)" + std::to_string(instances_done.load()) + "}", refused};
  }

  // The instances pushed, in order, and the SHA-256 of each file.
  std::vector<std::string> Pushed() {
    std::lock_guard lock(mutex_);
    return pushed_;
  }
  std::vector<std::string> PushedSha256() {
    std::lock_guard lock(mutex_);
    return pushed_sha256_;
  }

  // Waits until an archive (or an instance) was handed over; the archive's SHA-256.
  std::string WaitHanded() {
    std::unique_lock lock(mutex_);
    handed_cv_.wait_for(lock, std::chrono::seconds(60), [this] { return handed_; });
    return handed_sha256_;
  }

 private:
  const Mode mode_;
  const Takes takes_;
  std::mutex mutex_;
  std::vector<std::string> pushed_;
  std::vector<std::string> pushed_sha256_;
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
    for (const char* name : {"CT_small.dcm", "MR_small.dcm"}) {
      const std::string bytes = ReadFile(testing::CorpusFile(name));
      corpus_sha256_.push_back(Sha256Hex(bytes));
      ASSERT_TRUE(ingestor.Ingest(hospital_, bytes).ok());
    }
    settings_.directory = dir_.path() / "jobs";
    settings_.tick = std::chrono::milliseconds(20);
  }

  ExportRequest AllRequest() const {
    ExportRequest request;
    request.scope = ExportScope::kAll;
    request.options.include_images = IncludeImages::kNo;
    return request;
  }

  // One job of `request`, sent through `delivery` to the fake destination as an admin,
  // run until it is delivered or failed.
  JobRecord RunToTheEnd(FakeDelivery& delivery, const ExportRequest& request) {
    ExportService exports(*index_, sources_, *previews_);
    ExportJobs jobs(*index_, exports, settings_, &delivery);
    jobs.Start().ThrowIfError();
    const Principal alice{"alice", hospital_, "North", Role::kAdmin};
    const JobRecord job = jobs.Submit(alice, request, attempt_, {kDestination, 0}).ValueOrThrow();
    return WaitFor(job.id, {JobState::kDelivered, JobState::kFailed});
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

  ExportRequest PushRequest() const {
    ExportRequest request;
    request.scope = ExportScope::kAll;
    return request;
  }

  AuditRecord AuditOf(const std::string& endpoint) {
    AuditQuery query;
    query.page.limit = 20;
    for (const AuditRecord& record : index_->ListAudit(query).ValueOrThrow().items) {
      if (record.endpoint == endpoint) return record;
    }
    ADD_FAILURE() << "no " << endpoint << " was audited";
    return {};
  }
  AuditRecord DeliveryAudit() { return AuditOf("DELIVER /api/export/jobs/:id"); }

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
  std::vector<std::string> corpus_sha256_;  // of the files ingested
  ExportJobSettings settings_;
  const ExportAttempt attempt_{"127.0.0.1", "POST /api/export/jobs", "", "{}"};
};

TEST_F(ExportJobsDeliveryTest, ADeliveredJobKeepsTheArchiveItSent) {
  FakeDelivery delivery(FakeDelivery::Mode::kSucceed);
  const JobRecord done = RunToTheEnd(delivery, AllRequest());
  EXPECT_EQ(done.destination_id, kDestination);
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
  FakeDelivery delivery(FakeDelivery::Mode::kFail);
  const JobRecord failed = RunToTheEnd(delivery, AllRequest());
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

TEST_F(ExportJobsDeliveryTest, APushGivesEveryInstanceAsIngestedAndMakesNoArchive) {
  FakeDelivery delivery(FakeDelivery::Mode::kSucceed, FakeDelivery::Takes::kInstances);
  const JobRecord done = RunToTheEnd(delivery, PushRequest());
  ASSERT_EQ(done.state, JobState::kDelivered) << done.error;
  std::vector<std::string> pushed = delivery.PushedSha256();
  std::vector<std::string> ingested = corpus_sha256_;
  std::sort(pushed.begin(), pushed.end());
  std::sort(ingested.begin(), ingested.end());
  EXPECT_EQ(pushed, ingested);  // byte for byte as ingested
  EXPECT_EQ(done.delivered_to, R"({"kind":"fake","settled":2})");
  EXPECT_TRUE(done.archive_sha256.empty());
  EXPECT_FALSE(ArchiveExists(done.id));
  EXPECT_EQ(done.progress.instances_done, 2);
  EXPECT_EQ(done.progress.instances_total, 2);
  const AuditRecord delivered = DeliveryAudit();
  EXPECT_EQ(delivered.outcome, AuditOutcome::kSuccess);
  EXPECT_EQ(delivered.detail, done.delivered_to);
  EXPECT_EQ(delivered.instances, 2);
  const AuditRecord run = AuditOf("JOB /api/export/jobs/:id");
  EXPECT_EQ(run.outcome, AuditOutcome::kSuccess);
  EXPECT_EQ(run.instances, 2);
}

TEST_F(ExportJobsDeliveryTest, APeerRefusingAnInstanceFailsTheJobNamingIt) {
  FakeDelivery delivery(FakeDelivery::Mode::kRefuseSecond, FakeDelivery::Takes::kInstances);
  const JobRecord failed = RunToTheEnd(delivery, PushRequest());
  ASSERT_EQ(failed.state, JobState::kFailed);
  const std::vector<std::string> pushed = delivery.Pushed();
  ASSERT_EQ(pushed.size(), 2u);
  EXPECT_EQ(failed.error,
            "delivery failed: the peer refused 1 of 2 instances: " + pushed[1] + " (0xA700)");
  EXPECT_EQ(failed.delivered_to, R"({"kind":"fake","settled":2})");  // the report is kept
  const AuditRecord audit = DeliveryAudit();
  EXPECT_EQ(audit.outcome, AuditOutcome::kFailed);
  EXPECT_NE(audit.detail.find(pushed[1]), std::string::npos);
  EXPECT_EQ(AuditOf("JOB /api/export/jobs/:id").outcome, AuditOutcome::kFailed);
}

TEST_F(ExportJobsDeliveryTest, APeerGoneFailsThePushAsUnavailable) {
  FakeDelivery delivery(FakeDelivery::Mode::kFail, FakeDelivery::Takes::kInstances);
  const JobRecord failed = RunToTheEnd(delivery, PushRequest());
  EXPECT_EQ(failed.state, JobState::kFailed);
  EXPECT_EQ(failed.error, "delivery failed: the peer went away");
  EXPECT_TRUE(failed.delivered_to.empty());
  const AuditRecord audit = DeliveryAudit();
  EXPECT_EQ(audit.outcome, AuditOutcome::kFailed);
  EXPECT_EQ(audit.detail, "unavailable: the peer went away");
}

TEST_F(ExportJobsDeliveryTest, APushCanBeCancelledAndIsQueuedAgainWhenTheServerStops) {
  ExportService exports(*index_, sources_, *previews_);
  FakeDelivery delivery(FakeDelivery::Mode::kHoldUntilStopped, FakeDelivery::Takes::kInstances);
  const Principal alice{"alice", hospital_, "North", Role::kAdmin};
  std::string stopped;
  {
    ExportJobs jobs(*index_, exports, settings_, &delivery);
    ASSERT_TRUE(jobs.Start().ok());
    auto job = jobs.Submit(alice, PushRequest(), attempt_, {kDestination, 0});
    ASSERT_TRUE(job.ok());
    delivery.WaitHanded();
    EXPECT_EQ(WaitFor(job->id, {JobState::kDelivering}).state, JobState::kDelivering);
    auto cancelled = jobs.Cancel(alice, job->id, attempt_);
    ASSERT_TRUE(cancelled.ok());
    EXPECT_EQ(cancelled->state, JobState::kCancelled);
    auto again = jobs.Submit(alice, PushRequest(), attempt_, {kDestination, 0});
    ASSERT_TRUE(again.ok());
    stopped = again->id;
    EXPECT_EQ(WaitFor(stopped, {JobState::kDelivering}).state, JobState::kDelivering);
    EXPECT_EQ(index_->GetJob(hospital_, job->id)->state, JobState::kCancelled);
  }  // stops mid-push
  EXPECT_EQ(index_->GetJob(hospital_, stopped)->state, JobState::kQueued);
  EXPECT_EQ(DeliveryAudit().outcome, AuditOutcome::kAborted);
}

TEST_F(ExportJobsDeliveryTest, AFileChangedSinceIngestIsNeverPushed) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path() / "store")) {
    if (!entry.is_regular_file()) continue;
    std::string bytes = ReadFile(entry.path());
    bytes[bytes.size() / 2] ^= 0x01;
    std::filesystem::permissions(entry.path(), std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::add);
    std::ofstream(entry.path(), std::ios::binary | std::ios::trunc) << bytes;
  }
  FakeDelivery delivery(FakeDelivery::Mode::kSucceed, FakeDelivery::Takes::kInstances);
  const JobRecord failed = RunToTheEnd(delivery, PushRequest());
  EXPECT_EQ(failed.state, JobState::kFailed);
  EXPECT_NE(failed.error.find("does not match the checksum recorded at ingest"), std::string::npos)
      << failed.error;
  EXPECT_TRUE(delivery.Pushed().empty());
  EXPECT_EQ(AuditOf("JOB /api/export/jobs/:id").outcome, AuditOutcome::kFailed);
}

TEST_F(ExportJobsDeliveryTest, APushWithoutImagesOrAsAFileFormatIsRefusedAtSubmission) {
  ExportService exports(*index_, sources_, *previews_);
  FakeDelivery delivery(FakeDelivery::Mode::kSucceed, FakeDelivery::Takes::kInstances);
  ExportJobs jobs(*index_, exports, settings_, &delivery);
  const Principal alice{"alice", hospital_, "North", Role::kAdmin};
  ExportRequest json = AllRequest();
  json.options.format = ExportFormat::kJson;
  ExportRequest media = AllRequest();
  media.options.include_images = IncludeImages::kYes;
  media.options.format = ExportFormat::kMedia;
  for (const ExportRequest& request : {AllRequest(), json, media}) {
    auto job = jobs.Submit(alice, request, attempt_, {kDestination, 0});
    ASSERT_FALSE(job.ok());
    EXPECT_EQ(job.error().code(), ErrorCode::kInvalidInput);
  }
  EXPECT_NE(jobs.Submit(alice, media, attempt_, {kDestination, 0}).error().message().find("media"),
            std::string::npos);
  EXPECT_TRUE(index_->ListJobsInState(JobState::kQueued).ValueOrThrow().empty());
}

}  // namespace
}  // namespace pacsport
