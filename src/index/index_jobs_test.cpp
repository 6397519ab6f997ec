// Export jobs in the index: scoping, newest-first listing, compare-and-set state
// changes and the requeue of jobs a dead process left running.
#include <gtest/gtest.h>

#include "index/index_test_util.h"

namespace pacsport {
namespace {

class JobsTest : public IndexTest {
 protected:
  JobRecord Job(const std::string& id, RowId hospital, const std::string& user) {
    JobRecord job;
    job.id = id;
    job.hospital_id = hospital;
    job.hospital_name = "H";
    job.username = user;
    job.request = R"({"scope":"all"})";
    job.archive_name = "export_all.zip";
    job.created_at = "2026-12-03T10:00:00Z";
    job.progress.instances_total = 10;
    return job;
  }
};

TEST_P(JobsTest, AJobIsSeenOnlyByItsHospitalAndListedNewestFirst) {
  const RowId north = Hospital("North");
  const RowId south = Hospital("South");
  ASSERT_TRUE(index_->AddJob(Job("a", north, "alice")).ok());
  ASSERT_TRUE(index_->AddJob(Job("b", north, "bob")).ok());
  ASSERT_TRUE(index_->AddJob(Job("c", north, "alice")).ok());
  EXPECT_EQ(index_->AddJob(Job("c", north, "alice")).error().code(), ErrorCode::kConflict);
  EXPECT_EQ(index_->GetJob(south, "a").error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(index_->GetJob(north, "a")->progress.instances_total, 10);

  const auto alices = index_->ListJobs({north, "alice", {}}).ValueOrThrow();
  ASSERT_EQ(alices.total, 2);
  EXPECT_EQ(alices.items[0].id, "c");
  EXPECT_EQ(alices.items[1].id, "a");
  EXPECT_EQ(index_->ListJobs({north, "", {}})->total, 3);
  EXPECT_EQ(index_->ListJobs({south, "", {}})->total, 0);
}

TEST_P(JobsTest, OnlyOneOfTwoTransitionsFromTheSameStateWins) {
  const RowId north = Hospital("North");
  ASSERT_TRUE(index_->AddJob(Job("a", north, "alice")).ok());
  JobRecord running = Job("a", north, "alice");
  running.state = JobState::kRunning;
  running.started_at = "2026-12-03T10:00:01Z";
  ASSERT_TRUE(*index_->TransitionJob(JobState::kQueued, running));

  JobRecord cancelled = running;
  cancelled.state = JobState::kCancelled;
  JobRecord done = running;
  done.state = JobState::kDone;
  EXPECT_TRUE(*index_->TransitionJob(JobState::kRunning, cancelled));
  EXPECT_FALSE(*index_->TransitionJob(JobState::kRunning, done));
  EXPECT_EQ(index_->GetJob(north, "a")->state, JobState::kCancelled);
  EXPECT_EQ(index_->GetJob(north, "a")->started_at, "2026-12-03T10:00:01Z");
}

TEST_P(JobsTest, ProgressIsRecordedOnlyWhileRunningAndARestartRequeuesRunningJobs) {
  const RowId north = Hospital("North");
  ASSERT_TRUE(index_->AddJob(Job("a", north, "alice")).ok());
  ASSERT_TRUE(index_->SetJobProgress("a", {5, 10, 500, 1000}).ok());
  EXPECT_EQ(index_->GetJob(north, "a")->progress.instances_done, 0);

  JobRecord running = Job("a", north, "alice");
  running.state = JobState::kRunning;
  ASSERT_TRUE(*index_->TransitionJob(JobState::kQueued, running));
  ASSERT_TRUE(index_->SetJobProgress("a", {5, 10, 500, 1000}).ok());
  EXPECT_EQ(index_->GetJob(north, "a")->progress.bytes_done, 500);

  Reopen();
  EXPECT_EQ(*index_->RequeueInterruptedJobs(), 1);
  const JobRecord requeued = index_->GetJob(north, "a").ValueOrThrow();
  EXPECT_EQ(requeued.state, JobState::kQueued);
  EXPECT_EQ(requeued.progress.instances_done, 0);
  ASSERT_EQ(index_->ListJobsInState(JobState::kQueued)->size(), 1u);
}

PACSPORT_INDEX_TEST_ON_EVERY_ENGINE(JobsTest);
}  // namespace
}  // namespace pacsport
