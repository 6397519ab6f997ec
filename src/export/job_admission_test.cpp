// The queue's admission rule: fair across hospitals, in order within one, and within
// every running limit.
#include "export/job_admission.h"

#include <gtest/gtest.h>

namespace pacsport {
namespace {

JobRecord Job(RowId hospital, const std::string& user) {
  JobRecord job;
  job.hospital_id = hospital;
  job.username = user;
  return job;
}

// Starts jobs as the loop does until none is admissible; returns their indexes in order.
std::vector<size_t> StartAll(const std::vector<JobRecord>& queued, const JobLimits& limits) {
  std::vector<bool> skip(queued.size(), false);
  std::vector<const JobRecord*> running;
  std::vector<size_t> order;
  while (const auto next = NextJobToStart(queued, skip, running, limits)) {
    skip[*next] = true;
    running.push_back(&queued[*next]);
    order.push_back(*next);
  }
  return order;
}

TEST(JobAdmissionTest, AHospitalsBacklogDoesNotKeepAnothersJobsWaiting) {
  // Hospital 1 queued four jobs (four users) before hospital 2 queued one.
  const std::vector<JobRecord> queued = {Job(1, "a"), Job(1, "b"), Job(1, "c"), Job(1, "d"),
                                         Job(2, "e")};
  EXPECT_EQ(StartAll(queued, {2, 2, 1}), (std::vector<size_t>{0, 4}));
  EXPECT_EQ(StartAll(queued, {4, 3, 1}), (std::vector<size_t>{0, 4, 1, 2}));
}

TEST(JobAdmissionTest, AUserOrHospitalAtItsLimitWaitsWhileOthersStart) {
  const std::vector<JobRecord> queued = {Job(1, "a"), Job(1, "a"), Job(1, "b"), Job(2, "c")};
  EXPECT_EQ(StartAll(queued, {10, 10, 1}), (std::vector<size_t>{0, 3, 2}));
  EXPECT_EQ(StartAll(queued, {10, 1, 5}), (std::vector<size_t>{0, 3}));
}

TEST(JobAdmissionTest, NothingStartsAtTheTotalOrWhenEveryJobIsSkipped) {
  const std::vector<JobRecord> queued = {Job(1, "a")};
  const JobRecord other = Job(2, "z");
  EXPECT_FALSE(NextJobToStart(queued, {false}, {&other}, {1, 1, 1}));
  EXPECT_FALSE(NextJobToStart(queued, {true}, {}, {1, 1, 1}));
  EXPECT_EQ(NextJobToStart(queued, {false}, {}, {1, 1, 1}), 0u);
}

}  // namespace
}  // namespace pacsport
