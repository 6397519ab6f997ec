// The scheduler with a controllable clock over a real SQLite index, and the index's
// schedules, change sequence and incremental snapshots beneath it.
#include "delivery/scheduler.h"

#include <gtest/gtest.h>

#include <ctime>
#include <vector>

#include "index/index_test_util.h"

namespace pacsport::delivery {
namespace {

SystemTime Utc(const char* text) {
  std::tm tm{};
  EXPECT_NE(::strptime(text, "%Y-%m-%dT%H:%M:%S", &tm), nullptr) << text;
  return SystemTime(std::chrono::seconds(::timegm(&tm)));
}

// Records what it is asked to fire.
class RecordingFiring final : public ScheduleFiring {
 public:
  void Fire(const ScheduleRecord& schedule, SystemTime now) override {
    fired.push_back({schedule.id, Iso8601(now)});
  }
  std::vector<std::pair<RowId, std::string>> fired;
};

class SchedulerTest : public IndexTest {
 protected:
  void SetUp() override {
    IndexTest::SetUp();
    hospital_ = Hospital("General");
  }

  // A daily 02:00 UTC schedule whose next slot is `next_run_at`.
  RowId AddDaily(const std::string& next_run_at, bool enabled = true) {
    ScheduleRecord s;
    s.hospital_id = hospital_;
    s.name = "nightly";
    s.cron = "0 2 * * *";
    s.time_zone = "UTC";
    s.request = R"({"scope":"all"})";
    s.enabled = enabled;
    s.owner = "admin";
    s.next_run_at = next_run_at;
    s.created_at = s.updated_at = "2030-01-01T00:00:00.000Z";
    auto id = index_->AddSchedule(s);
    EXPECT_TRUE(id.ok());
    return id.ok() ? *id : 0;
  }

  std::string NextRunAt(RowId id) {
    auto s = index_->GetSchedule(hospital_, id);
    EXPECT_TRUE(s.ok());
    return s.ok() ? s->next_run_at : "";
  }

  RowId hospital_ = 0;
  SystemTime now_ = Utc("2030-01-01T01:00:00");
  RecordingFiring firing_;
  Scheduler::Clock clock_ = [this] { return now_; };
};

TEST_P(SchedulerTest, FiresWhenDueAndMovesToTheNextSlot) {
  const RowId id = AddDaily("2030-01-01T02:00:00.000Z");
  Scheduler scheduler(*index_, firing_, clock_);
  EXPECT_EQ(scheduler.FireDue(), 0);  // 01:00: not yet
  now_ = Utc("2030-01-01T01:59:59");
  EXPECT_EQ(scheduler.FireDue(), 0);
  now_ = Utc("2030-01-01T02:00:00");
  EXPECT_EQ(scheduler.FireDue(), 1);
  ASSERT_EQ(firing_.fired.size(), 1u);
  EXPECT_EQ(firing_.fired[0].first, id);
  EXPECT_EQ(NextRunAt(id), "2030-01-02T02:00:00.000Z");
  EXPECT_EQ(scheduler.FireDue(), 0);  // the same slot never twice
}

TEST_P(SchedulerTest, SlotsMissedWhileDownRunOnceAtStart) {
  const RowId id = AddDaily("2030-01-01T02:00:00.000Z");
  now_ = Utc("2030-01-04T10:30:00");  // three slots missed
  Scheduler scheduler(*index_, firing_, clock_);
  EXPECT_EQ(scheduler.FireDue(), 1);
  EXPECT_EQ(scheduler.FireDue(), 0);
  EXPECT_EQ(firing_.fired.size(), 1u);
  EXPECT_EQ(NextRunAt(id), "2030-01-05T02:00:00.000Z");  // the next slot after now
}

TEST_P(SchedulerTest, TheThreadFiresWhatIsDueAtStart) {
  AddDaily("2030-01-01T02:00:00.000Z");
  now_ = Utc("2030-01-02T10:00:00");
  Scheduler scheduler(*index_, firing_, clock_, std::chrono::milliseconds(10));
  scheduler.Start();
  for (int i = 0; i < 200 && firing_.fired.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  scheduler.Stop();
  EXPECT_EQ(firing_.fired.size(), 1u);
}

TEST_P(SchedulerTest, TwoSchedulersClaimOneSlotOnce) {
  const RowId id = AddDaily("2030-01-01T02:00:00.000Z");
  now_ = Utc("2030-01-01T02:00:30");
  RecordingFiring other;
  Scheduler first(*index_, firing_, clock_);
  Scheduler second(*index_, other, clock_);
  // Both see the slot due; only the claim that moves next_run_at from it wins.
  auto due = index_->ListDueSchedules(Iso8601(now_));
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  auto won = index_->ClaimScheduleSlot(id, "2030-01-01T02:00:00.000Z", "2030-01-02T02:00:00.000Z");
  ASSERT_TRUE(won.ok());
  EXPECT_TRUE(*won);
  auto lost = index_->ClaimScheduleSlot(id, "2030-01-01T02:00:00.000Z", "2030-01-02T02:00:00.000Z");
  ASSERT_TRUE(lost.ok());
  EXPECT_FALSE(*lost);
  // And through the schedulers, over a new slot.
  now_ = Utc("2030-01-02T02:00:00");
  EXPECT_EQ(first.FireDue() + second.FireDue(), 1);
  EXPECT_EQ(firing_.fired.size() + other.fired.size(), 1u);
  std::vector<std::thread> racers;
  now_ = Utc("2030-01-03T02:00:00");
  int total = 0;
  std::mutex m;
  for (Scheduler* s : {&first, &second}) {
    racers.emplace_back([&, s] {
      const int fired = s->FireDue();
      std::lock_guard lock(m);
      total += fired;
    });
  }
  for (auto& t : racers) t.join();
  EXPECT_EQ(total, 1);
}

TEST_P(SchedulerTest, DisabledSchedulesDoNotFire) {
  AddDaily("", false);
  now_ = Utc("2031-01-01T00:00:00");
  Scheduler scheduler(*index_, firing_, clock_);
  EXPECT_EQ(scheduler.FireDue(), 0);
}

TEST_P(SchedulerTest, ChangeSequenceFollowsIngestAndLimitsSnapshots) {
  auto before = index_->CurrentChangeSequence();
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(*before, 0);
  Add(hospital_, MakeInstance("P1", "1.2.1", "1.2.1.1", "1.2.1.1.1"));
  Add(hospital_, MakeInstance("P1", "1.2.1", "1.2.1.1", "1.2.1.1.2"));
  const std::int64_t first = *index_->CurrentChangeSequence();
  EXPECT_EQ(first, 2);
  Add(hospital_, MakeInstance("P2", "1.2.2", "1.2.2.1", "1.2.2.1.1"));
  const std::int64_t second = *index_->CurrentChangeSequence();
  EXPECT_EQ(second, 3);

  auto snapshot = index_->OpenSnapshot(hospital_);
  ASSERT_TRUE(snapshot.ok());
  (*snapshot)->LimitToChanges({first, second});
  auto cursor = (*snapshot)->ListAllPatients();
  ASSERT_TRUE(cursor.ok());
  std::vector<std::string> patients;
  while (auto next = (*cursor)->Next()) {
    ASSERT_TRUE(next.ok());
    if (!next->has_value()) break;
    patients.push_back((*next)->patient_id);
  }
  EXPECT_EQ(patients, std::vector<std::string>{"P2"});
  auto p1_studies = (*snapshot)->ListPatientStudies("P1");
  ASSERT_TRUE(p1_studies.ok());
  EXPECT_TRUE(p1_studies->empty());
  auto totals = (*snapshot)->Totals(TotalsOf::kHospital, "");
  ASSERT_TRUE(totals.ok());
  EXPECT_EQ(totals->instances, 1);

  // A study changed again (a new instance) is in the next range, not the old one.
  Add(hospital_, MakeInstance("P1", "1.2.1", "1.2.1.1", "1.2.1.1.3"));
  auto later = index_->OpenSnapshot(hospital_);
  ASSERT_TRUE(later.ok());
  (*later)->LimitToChanges({second, *index_->CurrentChangeSequence()});
  auto p1_later = (*later)->ListPatientStudies("P1");
  ASSERT_TRUE(p1_later.ok());
  ASSERT_EQ(p1_later->size(), 1u);
  auto p2_later = (*later)->ListPatientStudies("P2");
  ASSERT_TRUE(p2_later.ok());
  EXPECT_TRUE(p2_later->empty());
}

TEST_P(SchedulerTest, LastSuccessIsTheNewestRunThatEndedDoneOrDelivered) {
  const RowId id = AddDaily("2030-01-01T02:00:00.000Z");
  auto job = [&](const std::string& job_id, JobState state, const std::string& finished) {
    JobRecord j;
    j.id = job_id;
    j.hospital_id = hospital_;
    j.hospital_name = "General";
    j.username = "admin";
    j.role = Role::kAdmin;
    j.request = R"({"scope":"all"})";
    j.archive_name = "a.zip";
    j.state = state;
    j.created_at = "2030-01-01T02:00:00.000Z";
    j.finished_at = finished;
    j.schedule_id = id;
    ASSERT_TRUE(index_->AddJob(j).ok());
  };
  job("j1", JobState::kDone, "2030-01-01T02:05:00.000Z");
  ASSERT_TRUE(index_->RecordScheduleRun({id, "j1", "2030-01-01T02:00:00.000Z", 7}).ok());
  job("j2", JobState::kFailed, "2030-01-02T02:05:00.000Z");
  ASSERT_TRUE(index_->RecordScheduleRun({id, "j2", "2030-01-02T02:00:00.000Z", 9}).ok());
  auto s = index_->GetSchedule(hospital_, id);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->last_job, "j2");
  EXPECT_EQ(s->last_run_at, "2030-01-02T02:00:00.000Z");
  EXPECT_EQ(s->last_success_at, "2030-01-01T02:05:00.000Z");
  ASSERT_TRUE(s->last_success_through.has_value());
  EXPECT_EQ(*s->last_success_through, 7);

  JobQuery runs;
  runs.hospital_id = hospital_;
  runs.schedule_id = id;
  auto page = index_->ListJobs(runs);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0].id, "j2");  // newest first

  ASSERT_TRUE(index_->DeleteSchedule(hospital_, id).ok());
  EXPECT_EQ(index_->GetJob(hospital_, "j1")->schedule_id, id);  // its jobs still name it
  ScheduleRecord next = *s;
  next.name = "after the deleted one";
  auto next_id = index_->AddSchedule(next);
  ASSERT_TRUE(next_id.ok()) << next_id.error().message();
  EXPECT_GT(*next_id, id);  // never its id again, so never its jobs
  EXPECT_EQ(index_->GetSchedule(hospital_, id).error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(index_->GetSchedule(hospital_ + 1, id).error().code(), ErrorCode::kNotFound);
}

PACSPORT_INDEX_TEST_ON_EVERY_ENGINE(SchedulerTest);

}  // namespace
}  // namespace pacsport::delivery
