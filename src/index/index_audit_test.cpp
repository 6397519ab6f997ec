// The export audit trail of the index.
#include <gtest/gtest.h>

#include "index/index.h"
#include "index/index_test_util.h"

namespace pacsport {
namespace {

AuditRecord Record(const std::string& started_at, const std::string& username,
                   std::optional<RowId> hospital_id,
                   AuditOutcome outcome = AuditOutcome::kInProgress) {
  AuditRecord r;
  r.started_at = started_at;
  r.username = username;
  r.hospital_id = hospital_id;
  r.hospital_name = hospital_id ? "H" + std::to_string(*hospital_id) : "";
  r.client_address = "127.0.0.1";
  r.endpoint = "GET /api/export/study/:studyUID";
  r.target = "1.2.3";
  r.parameters = R"({"includeImages":true})";
  r.outcome = outcome;
  return r;
}

std::vector<RowId> Ids(const Page<AuditRecord>& page) {
  std::vector<RowId> ids;
  for (const auto& record : page.items) ids.push_back(record.id);
  return ids;
}

using AuditTest = IndexTest;

TEST_F(AuditTest, OutcomeNamesRoundTrip) {
  for (AuditOutcome outcome :
       {AuditOutcome::kInProgress, AuditOutcome::kSuccess, AuditOutcome::kDenied,
        AuditOutcome::kFailed, AuditOutcome::kAborted}) {
    EXPECT_EQ(ParseAuditOutcome(AuditOutcomeName(outcome)), outcome);
  }
  EXPECT_EQ(AuditOutcomeName(AuditOutcome::kInProgress), "in_progress");
  EXPECT_FALSE(ParseAuditOutcome("done").has_value());
}

TEST_F(AuditTest, OpenCompleteAndList) {
  const RowId a = Hospital("A");
  const RowId b = Hospital("B");
  const RowId first = *index_->OpenAudit(Record("2024-01-01T10:00:00.000Z", "alice", a));
  const RowId second = *index_->OpenAudit(Record("2024-01-02T10:00:00.000Z", "bob", b));
  const RowId third = *index_->OpenAudit(Record("2024-01-03T10:00:00.000Z", "alice", a));
  const RowId anonymous = *index_->OpenAudit(
      Record("2024-01-04T10:00:00.000Z", "", std::nullopt, AuditOutcome::kDenied));

  AuditCompletion done{AuditOutcome::kSuccess, "", 12345, 7, 250};
  ASSERT_TRUE(index_->CompleteAudit(first, done).ok());
  EXPECT_EQ(index_->CompleteAudit(first, done).error().code(), ErrorCode::kConflict);
  EXPECT_EQ(index_->CompleteAudit(anonymous, done).error().code(), ErrorCode::kConflict);
  EXPECT_EQ(index_->CompleteAudit(9999, done).error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(index_->CompleteAudit(second, {AuditOutcome::kInProgress, "", 0, 0, 0}).error().code(),
            ErrorCode::kInvalidInput);
  ASSERT_TRUE(
      index_->CompleteAudit(second, {AuditOutcome::kFailed, "unavailable: pacs down", 10, 1, 5})
          .ok());

  auto all = index_->ListAudit({});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->total, 4);
  EXPECT_EQ(Ids(*all), (std::vector<RowId>{anonymous, third, second, first}));
  const AuditRecord& completed = all->items[3];
  EXPECT_EQ(completed.started_at, "2024-01-01T10:00:00.000Z");
  EXPECT_EQ(completed.username, "alice");
  EXPECT_EQ(completed.hospital_id, a);
  EXPECT_EQ(completed.hospital_name, "H" + std::to_string(a));
  EXPECT_EQ(completed.client_address, "127.0.0.1");
  EXPECT_EQ(completed.endpoint, "GET /api/export/study/:studyUID");
  EXPECT_EQ(completed.target, "1.2.3");
  EXPECT_EQ(completed.parameters, R"({"includeImages":true})");
  EXPECT_EQ(completed.outcome, AuditOutcome::kSuccess);
  EXPECT_EQ(completed.bytes_sent, 12345);
  EXPECT_EQ(completed.entries, 7);
  EXPECT_EQ(completed.duration_ms, 250);
  EXPECT_FALSE(all->items[0].hospital_id.has_value());
  EXPECT_EQ(all->items[0].outcome, AuditOutcome::kDenied);
  EXPECT_EQ(all->items[2].detail, "unavailable: pacs down");

  AuditQuery q;
  q.hospital_id = a;
  EXPECT_EQ(Ids(*index_->ListAudit(q)), (std::vector<RowId>{third, first}));
  q.outcome = AuditOutcome::kInProgress;
  EXPECT_EQ(Ids(*index_->ListAudit(q)), std::vector<RowId>{third});
  q = {};
  q.username = "bob";
  EXPECT_EQ(Ids(*index_->ListAudit(q)), std::vector<RowId>{second});
  q = {};
  q.since = "2024-01-02T10:00:00.000Z";  // inclusive
  q.until = "2024-01-04T10:00:00.000Z";  // exclusive
  EXPECT_EQ(Ids(*index_->ListAudit(q)), (std::vector<RowId>{third, second}));
  q = {};
  q.page = {1, 2};
  auto page = index_->ListAudit(q);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total, 4);
  EXPECT_EQ(Ids(*page), (std::vector<RowId>{third, second}));
}

TEST_F(AuditTest, OpenWithoutStartTimeStampsNow) {
  AuditRecord record = Record("", "alice", std::nullopt);
  ASSERT_TRUE(index_->OpenAudit(record).ok());
  auto all = index_->ListAudit({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->items.size(), 1u);
  EXPECT_EQ(all->items[0].started_at.size(), std::string("2024-01-01T10:00:00.000Z").size());
  EXPECT_EQ(all->items[0].started_at.back(), 'Z');
}

TEST_F(AuditTest, FailInterruptedAudits) {
  const RowId h = Hospital("H");
  const RowId running = *index_->OpenAudit(Record("2024-01-01T00:00:00.000Z", "a", h));
  const RowId also_running = *index_->OpenAudit(Record("2024-01-02T00:00:00.000Z", "b", h));
  const RowId finished = *index_->OpenAudit(Record("2024-01-03T00:00:00.000Z", "c", h));
  ASSERT_TRUE(index_->CompleteAudit(finished, {AuditOutcome::kSuccess, "", 1, 1, 1}).ok());

  auto marked = index_->FailInterruptedAudits();
  ASSERT_TRUE(marked.ok());
  EXPECT_EQ(*marked, 2);
  EXPECT_EQ(*index_->FailInterruptedAudits(), 0);

  AuditQuery failed;
  failed.outcome = AuditOutcome::kFailed;
  auto page = index_->ListAudit(failed);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Ids(*page), (std::vector<RowId>{also_running, running}));
  for (const auto& record : page->items) EXPECT_EQ(record.detail, "interrupted");
  EXPECT_EQ(index_->ListAudit({})->items[0].outcome, AuditOutcome::kSuccess);
  EXPECT_EQ(index_->CompleteAudit(running, {AuditOutcome::kSuccess, "", 0, 0, 0}).error().code(),
            ErrorCode::kConflict);
}

}  // namespace
}  // namespace pacsport
