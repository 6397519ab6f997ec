#include "orthanc/parallel_each.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace pacsport {
namespace {

TEST(ParallelEachTest, RunsEveryTaskOnce) {
  std::vector<std::atomic<int>> runs(100);
  Status status = ParallelEach(runs.size(), 4, {}, [&](size_t i) {
    ++runs[i];
    return Status::Ok();
  });
  ASSERT_TRUE(status.ok());
  for (const auto& count : runs) EXPECT_EQ(count, 1);
  EXPECT_TRUE(ParallelEach(0, 4, {}, [](size_t) { return Status::Ok(); }).ok());
}

TEST(ParallelEachTest, StopsAtTheFirstFailure) {
  std::atomic<int> started{0};
  Status status = ParallelEach(1000, 1, {}, [&](size_t i) -> Status {
    ++started;
    if (i == 3) return NotFound("task 3");
    return Status::Ok();
  });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message(), "task 3");
  EXPECT_EQ(started, 4);
}

TEST(ParallelEachTest, AStopRequestIsAnError) {
  std::stop_source stop;
  Status status = ParallelEach(10, 2, stop.get_token(), [&](size_t i) {
    if (i == 0) stop.request_stop();
    return Status::Ok();
  });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace pacsport
