// Export jobs in the index: scoping, newest-first listing, compare-and-set state
// changes, and the leases of replicas: claim, renewal, takeover after expiry, and the
// late writes of a replica that lost its job.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

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

// Lease times: the lease of replica A runs from T0 to T1; T2 is after it expired.
constexpr char kT0[] = "2026-12-03T10:00:00.000Z";
constexpr char kT1[] = "2026-12-03T10:00:30.000Z";
constexpr char kT2[] = "2026-12-03T10:00:31.000Z";
constexpr char kT3[] = "2026-12-03T10:01:01.000Z";

TEST_P(JobsTest, AClaimRunsTheJobUnderTheLeaseAndOnlyOneOfTwoClaimersGetsIt) {
  const RowId north = Hospital("North");
  ASSERT_TRUE(index_->AddJob(Job("a", north, "alice")).ok());
  ASSERT_EQ(index_->ListClaimableJobs(kT0)->size(), 1u);

  const auto claimed = index_->ClaimJob("a", {"A", kT0, kT1}).ValueOrThrow();
  ASSERT_TRUE(claimed.has_value());
  EXPECT_EQ(claimed->state, JobState::kRunning);
  EXPECT_EQ(claimed->lease_owner, "A");
  EXPECT_EQ(claimed->attempt, 1);
  EXPECT_FALSE(index_->ClaimJob("a", {"B", kT0, kT1})->has_value()) << "claimed twice";
  EXPECT_TRUE(index_->ListClaimableJobs(kT0)->empty());
  const JobRecord stored = index_->GetJob(north, "a").ValueOrThrow();
  EXPECT_EQ(stored.lease_owner, "A");
  EXPECT_EQ(stored.lease_expires_at, kT1);
  EXPECT_EQ(stored.started_at, kT0);
}

TEST_P(JobsTest, TwoReplicasClaimingAtOnceNeverShareAJob) {
  const RowId north = Hospital("North");
  for (const char* id : {"a", "b", "c", "d", "e", "f"}) {
    ASSERT_TRUE(index_->AddJob(Job(id, north, "alice")).ok());
  }
  // Each replica walks the whole queue at once, as a replica with room does.
  std::vector<std::string> won[2];
  auto claim_all = [&](int replica) {
    const std::string owner = replica == 0 ? "A" : "B";
    for (const JobRecord& job : index_->ListClaimableJobs(kT0).ValueOrThrow()) {
      auto claimed = index_->ClaimJob(job.id, {owner, kT0, kT1});
      ASSERT_TRUE(claimed.ok());
      if (*claimed) won[replica].push_back(job.id);
    }
  };
  std::thread a(claim_all, 0);
  std::thread b(claim_all, 1);
  a.join();
  b.join();
  EXPECT_EQ(won[0].size() + won[1].size(), 6u);
  for (const std::string& id : won[0]) {
    EXPECT_EQ(std::ranges::count(won[1], id), 0) << id << " claimed by both";
    EXPECT_EQ(index_->GetJob(north, id)->lease_owner, "A");
  }
}

TEST_P(JobsTest, ARenewedLeaseKeepsTheJobAndAnExpiredOneIsTakenOver) {
  const RowId north = Hospital("North");
  ASSERT_TRUE(index_->AddJob(Job("a", north, "alice")).ok());
  ASSERT_TRUE(index_->ClaimJob("a", {"A", kT0, kT1})->has_value());

  // A renews until T3: at T2 the job is still A's.
  EXPECT_EQ(*index_->RenewJobLeases({"A", kT1, kT3}), std::vector<std::string>{"a"});
  EXPECT_TRUE(index_->ListClaimableJobs(kT2)->empty());
  EXPECT_FALSE(index_->ClaimJob("a", {"B", kT2, kT3})->has_value());
  EXPECT_TRUE(index_->RenewJobLeases({"B", kT2, kT3})->empty()) << "B renewed A's lease";

  // A stops renewing: after T3, B takes the job over and runs it again from the start.
  ASSERT_TRUE(*index_->SetJobProgress("a", "A", {5, 10, 500, 1000}));
  const std::string later = "2026-12-03T10:01:02.000Z";
  ASSERT_EQ(index_->ListClaimableJobs(later)->size(), 1u);
  const auto taken = index_->ClaimJob("a", {"B", later, "2026-12-03T10:01:32.000Z"}).ValueOrThrow();
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->lease_owner, "B");
  EXPECT_EQ(taken->attempt, 2);
  EXPECT_EQ(index_->GetJob(north, "a")->progress.instances_done, 0);
  EXPECT_TRUE(index_->RenewJobLeases({"A", later, kT3})->empty()) << "A still holds it";
}

TEST_P(JobsTest, TheLateWritesOfAReplicaThatLostItsJobChangeNothing) {
  const RowId north = Hospital("North");
  ASSERT_TRUE(index_->AddJob(Job("a", north, "alice")).ok());
  const JobRecord as_a = **index_->ClaimJob("a", {"A", kT0, kT1});
  const JobRecord as_b = **index_->ClaimJob("a", {"B", kT2, kT3});  // A's lease expired

  EXPECT_FALSE(*index_->SetJobProgress("a", "A", {9, 10, 900, 1000}));
  JobRecord done_by_a = as_a;
  done_by_a.state = JobState::kDone;
  done_by_a.archive_sha256 = "a's";
  EXPECT_FALSE(*index_->TransitionJob(JobState::kRunning, done_by_a));
  EXPECT_EQ(index_->GetJob(north, "a")->state, JobState::kRunning);

  ASSERT_TRUE(*index_->SetJobProgress("a", "B", {5, 10, 500, 1000}));
  JobRecord done_by_b = as_b;
  done_by_b.state = JobState::kDone;
  done_by_b.archive_sha256 = "b's";
  EXPECT_TRUE(*index_->TransitionJob(JobState::kRunning, done_by_b));
  EXPECT_FALSE(*index_->TransitionJob(JobState::kRunning, done_by_b)) << "done twice";
  const JobRecord done = index_->GetJob(north, "a").ValueOrThrow();
  EXPECT_EQ(done.state, JobState::kDone);
  EXPECT_EQ(done.archive_sha256, "b's");
  EXPECT_FALSE(*index_->SetJobProgress("a", "B", {5, 10, 500, 1000})) << "progress after done";
  EXPECT_TRUE(index_->ListClaimableJobs(kT3)->empty()) << "a done job was claimable";
}

TEST_P(JobsTest, ACancelOnAnyReplicaEndsTheOwnersLease) {
  const RowId north = Hospital("North");
  ASSERT_TRUE(index_->AddJob(Job("a", north, "alice")).ok());
  ASSERT_TRUE(index_->ClaimJob("a", {"A", kT0, kT1})->has_value());
  // Replica B cancels the job as it reads it (compare and set on state and owner).
  JobRecord cancelled = index_->GetJob(north, "a").ValueOrThrow();
  cancelled.state = JobState::kCancelled;
  ASSERT_TRUE(*index_->TransitionJob(JobState::kRunning, cancelled));
  EXPECT_FALSE(*index_->SetJobProgress("a", "A", {5, 10, 500, 1000}));
  EXPECT_TRUE(index_->RenewJobLeases({"A", kT0, kT1})->empty());
  EXPECT_TRUE(index_->ListClaimableJobs(kT3)->empty());
}

TEST_P(JobsTest, ANamedLeaseHasOneHolderUntilItExpiresOrIsReleased) {
  EXPECT_FALSE(index_->GetLease("sync")->has_value());
  EXPECT_TRUE(*index_->AcquireLease("sync", {"A", kT0, kT1}));
  EXPECT_FALSE(*index_->AcquireLease("sync", {"B", kT0, kT1}));
  EXPECT_TRUE(*index_->AcquireLease("sync", {"A", kT1, kT3})) << "renewal";
  EXPECT_FALSE(*index_->AcquireLease("sync", {"B", kT2, kT3})) << "renewed, not expired";
  EXPECT_EQ((*index_->GetLease("sync"))->owner, "A");
  const std::string later = "2026-12-03T10:01:02.000Z";
  EXPECT_TRUE(*index_->AcquireLease("sync", {"B", later, "2026-12-03T10:01:32.000Z"}));
  EXPECT_FALSE(*index_->AcquireLease("sync", {"A", later, "2026-12-03T10:01:32.000Z"}));
  ASSERT_TRUE(index_->ReleaseLease("sync", "A").ok());  // not A's: nothing changes
  EXPECT_EQ((*index_->GetLease("sync"))->owner, "B");
  ASSERT_TRUE(index_->ReleaseLease("sync", "B").ok());
  EXPECT_TRUE(*index_->AcquireLease("sync", {"A", later, "2026-12-03T10:01:32.000Z"}));
}

PACSPORT_INDEX_TEST_ON_EVERY_ENGINE(JobsTest);
}  // namespace
}  // namespace pacsport
