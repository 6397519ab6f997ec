// The export audit trail of the index.
#include <gtest/gtest.h>
#include <soci/soci.h>

#include <atomic>
#include <thread>

#include "core/digest.h"
#include "index/audit_chain.h"
#include "index/audit_chain_verifier.h"
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

AuditCompletion Completion(AuditOutcome outcome, std::string detail, std::int64_t bytes,
                           std::int64_t entries, std::int64_t duration_ms) {
  AuditCompletion c;
  c.outcome = outcome;
  c.detail = std::move(detail);
  c.bytes_sent = bytes;
  c.entries = entries;
  c.duration_ms = duration_ms;
  return c;
}

std::vector<RowId> Ids(const Page<AuditRecord>& page) {
  std::vector<RowId> ids;
  for (const auto& record : page.items) ids.push_back(record.id);
  return ids;
}

// A stand-in for the Ed25519 key (auth/signing_key.h, tested there): "signs" with a
// keyed hash, so that the chain's use of signatures is tested without libsodium.
class TestKey final : public MessageSigner, public SignatureChecker {
 public:
  explicit TestKey(std::string name) : name_(std::move(name)) {}
  std::string key_id() const override { return name_; }
  const std::string& id() const override { return name_; }
  std::string Sign(std::string_view message) const override {
    return Sha256Hex(name_ + "|" + std::string(message));
  }
  bool Verify(std::string_view message, std::string_view signature) const override {
    return Sign(message) == signature;
  }

 private:
  std::string name_;
};

using AuditTest = IndexTest;

// An index with a signer and four sealed records: two with studies.
class AuditChainTest : public IndexTest {
 protected:
  void SetUp() override {
    IndexTest::SetUp();
    index_->SetAuditSigner(key_);
    hospital_ = Hospital("H");
    for (int i = 0; i < 4; ++i) {
      AuditRecord r = Record("2024-01-0" + std::to_string(i + 1) + "T00:00:00.000Z",
                             "user" + std::to_string(i), hospital_);
      r.scope = i % 2 == 0 ? "patient" : "study";
      r.target = i % 2 == 0 ? "P" + std::to_string(i) : "1.2." + std::to_string(i);
      ids_.push_back(*index_->OpenAudit(r));
    }
    Status added = index_->AddAuditStudies(ids_[0], {{"1.2.10", "P0"}, {"1.2.11", "P0"}});
    ASSERT_TRUE(added.ok()) << added.error().message();
    ASSERT_TRUE(index_->AddAuditStudies(ids_[1], {{"1.2.1", "P9"}}).ok());
    // Completed out of order: the chain follows completion, not opening.
    for (RowId id : {ids_[1], ids_[0], ids_[3], ids_[2]}) {
      Status completed =
          index_->CompleteAudit(id, Completion(AuditOutcome::kSuccess, "", 10, 2, 1));
      ASSERT_TRUE(completed.ok()) << completed.error().message();
    }
  }

  // Runs `statement` on the index's database directly, as someone with database access.
  void Tamper(const std::string& statement) { *Direct() << statement; }

  std::optional<AuditChainProblem> Problem(const SignatureChecker* key) {
    auto report = VerifyAuditChain(*index_, key);
    EXPECT_TRUE(report.ok());
    return report->problem;
  }

  std::shared_ptr<TestKey> key_ = std::make_shared<TestKey>("k1");
  RowId hospital_ = 0;
  std::vector<RowId> ids_;
};

TEST_P(AuditChainTest, SealsInCompletionOrder) {
  auto chain = index_->ListSealedAudit(0, 10);
  ASSERT_TRUE(chain.ok());
  ASSERT_EQ(chain->size(), 4u);
  EXPECT_EQ((*chain)[0].id, ids_[1]);
  EXPECT_EQ((*chain)[1].id, ids_[0]);
  EXPECT_EQ((*chain)[0].prev_hash, "");
  for (std::size_t i = 0; i < chain->size(); ++i) {
    const AuditRecord& r = (*chain)[i];
    EXPECT_EQ(r.chain_seq, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(r.record_hash.size(), 64u);
    if (i > 0) {
      EXPECT_EQ(r.prev_hash, (*chain)[i - 1].record_hash);
    }
    EXPECT_EQ(r.key_id, "k1");
    EXPECT_TRUE(key_->Verify(AuditSealMessage(*r.chain_seq, r.record_hash), r.signature));
  }
  EXPECT_EQ((*chain)[1].study_count, 2);
  EXPECT_EQ(index_->ListSealedAudit(2, 10)->size(), 2u);
  // A sealed record takes no more studies.
  EXPECT_EQ(index_->AddAuditStudies(ids_[0], {{"1.2.99", "P0"}}).error().code(),
            ErrorCode::kConflict);

  auto report = VerifyAuditChain(*index_, key_.get());
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->problem.has_value());
  EXPECT_EQ(report->records, 4);
  EXPECT_EQ(report->head_seq, 4);
  EXPECT_EQ(report->head_hash, (*chain)[3].record_hash);
}

TEST_P(AuditChainTest, FindsAnEditedRecord) {
  Tamper("UPDATE audit SET username = 'mallory' WHERE chain_seq = 3");
  auto problem = Problem(nullptr);
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(problem->chain_seq, 3);
  EXPECT_EQ(problem->record_id, ids_[3]);
  EXPECT_NE(problem->what.find("changed"), std::string::npos);
}

TEST_P(AuditChainTest, FindsAnEditedStudyList) {
  Tamper("DELETE FROM audit_studies WHERE study_uid = '1.2.11'");
  auto problem = Problem(nullptr);
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(problem->record_id, ids_[0]);
}

TEST_P(AuditChainTest, FindsADeletedRecord) {
  // With its studies, as the foreign key (enforced on PostgreSQL) asks.
  Tamper("DELETE FROM audit_studies WHERE audit_id IN (SELECT id FROM audit WHERE chain_seq = 2)");
  Tamper("DELETE FROM audit WHERE chain_seq = 2");
  auto problem = Problem(nullptr);
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(problem->chain_seq, 3);
  EXPECT_NE(problem->what.find("removed"), std::string::npos);
}

TEST_P(AuditChainTest, FindsReorderedRecords) {
  Tamper("UPDATE audit SET chain_seq = -chain_seq WHERE chain_seq IN (2, 3)");
  Tamper("UPDATE audit SET chain_seq = 5 + chain_seq WHERE chain_seq IN (-2, -3)");
  auto problem = Problem(nullptr);
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(problem->chain_seq, 2);
}

TEST_P(AuditChainTest, FindsAChainRebuiltWithoutTheKey) {
  // Someone with the database but not the key edits a record and rehashes the chain
  // from there: the hashes hold, the signatures do not.
  Tamper("UPDATE audit SET detail = 'nothing to see' WHERE chain_seq = 4");
  auto chain = *index_->ListSealedAudit(3, 1);
  AuditRecord forged = chain.front();
  forged.detail = "nothing to see";
  const std::string hash = AuditRecordHash(forged, AuditStudiesHash({}), forged.prev_hash);
  Tamper("UPDATE audit SET record_hash = '" + hash + "' WHERE chain_seq = 4");
  EXPECT_FALSE(Problem(nullptr).has_value());
  auto problem = Problem(key_.get());
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(problem->chain_seq, 4);
  EXPECT_NE(problem->what.find("signature"), std::string::npos);
  TestKey other("k2");
  EXPECT_NE(Problem(&other)->what.find("another key"), std::string::npos);
}

TEST_P(AuditChainTest, FiltersByScopePatientAndStudy) {
  AuditQuery q;
  q.scope = "study";
  EXPECT_EQ(index_->ListAudit(q)->total, 2);
  q = {};
  q.patient_id = "P0";
  EXPECT_EQ(Ids(*index_->ListAudit(q)), std::vector<RowId>{ids_[0]});
  q = {};
  q.patient_id = "P2";  // no studies listed, but the patient asked for
  EXPECT_EQ(Ids(*index_->ListAudit(q)), std::vector<RowId>{ids_[2]});
  q = {};
  q.study_uid = "1.2.11";
  EXPECT_EQ(Ids(*index_->ListAudit(q)), std::vector<RowId>{ids_[0]});
  q.study_uid = "1.2.3";
  EXPECT_EQ(Ids(*index_->ListAudit(q)), std::vector<RowId>{ids_[3]});

  auto studies = index_->ListAuditStudies(ids_[0], {0, 1});
  ASSERT_TRUE(studies.ok());
  EXPECT_EQ(studies->total, 2);
  ASSERT_EQ(studies->items.size(), 1u);
  EXPECT_EQ(studies->items[0].study_uid, "1.2.10");
  EXPECT_EQ(index_->GetAudit(hospital_, ids_[0])->study_count, 2);
  EXPECT_EQ(index_->GetAudit(hospital_ + 1, ids_[0]).error().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(index_->GetAudit(std::nullopt, ids_[0]).ok());
}

TEST_P(AuditChainTest, ArchivesThePrefixAndKeepsTheChainVerifiable) {
  auto chain = *index_->ListSealedAudit(0, 2);
  AuditArchive archive{2, chain[1].record_hash, "audit-1-2.jsonl", "00", 2, "2024-02-01T00:00:00Z"};
  AuditArchive gap = archive;
  gap.through_seq = 3;
  EXPECT_EQ(index_->RecordAuditArchive(gap).error().code(), ErrorCode::kConflict);
  ASSERT_TRUE(index_->RecordAuditArchive(archive).ok());
  EXPECT_EQ(index_->RecordAuditArchive(archive).error().code(), ErrorCode::kConflict);
  EXPECT_EQ(index_->LastAuditArchive()->value().through_seq, 2);
  EXPECT_EQ(index_->ListAudit({})->total, 2);
  auto report = VerifyAuditChain(*index_, key_.get());
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->problem.has_value());
  EXPECT_EQ(report->first_seq, 3);
  EXPECT_EQ(report->records, 2);
  // Sealing goes on after the archive.
  const RowId next = *index_->OpenAudit(Record("2024-03-01T00:00:00.000Z", "z", hospital_));
  ASSERT_TRUE(index_->CompleteAudit(next, Completion(AuditOutcome::kDenied, "x", 0, 0, 0)).ok());
  EXPECT_EQ(index_->GetAudit(hospital_, next)->chain_seq, 5);
  EXPECT_FALSE(VerifyAuditChain(*index_, key_.get())->problem.has_value());
}

TEST_P(AuditChainTest, ForwardingCursor) {
  EXPECT_EQ(*index_->GetAuditForwarded("syslog"), 0);
  ASSERT_TRUE(index_->SetAuditForwarded("syslog", 3).ok());
  ASSERT_TRUE(index_->SetAuditForwarded("syslog", 4).ok());
  EXPECT_EQ(*index_->GetAuditForwarded("syslog"), 4);
  EXPECT_EQ(*index_->GetAuditForwarded("other"), 0);
}

// Several writers completing at once (threads here, replicas on PostgreSQL) each take
// the next link: no two seals read the same head, so the chain never forks.
TEST_P(AuditTest, ConcurrentCompletionsMakeOneChain) {
  const RowId h = Hospital("H");
  constexpr int kThreads = 4;
  constexpr int kPerThread = 8;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        auto id = index_->OpenAudit(Record("2024-01-01T00:00:00.000Z", "u", h));
        if (!id.ok() ||
            !index_->CompleteAudit(*id, Completion(AuditOutcome::kSuccess, "", 1, 1, 1)).ok()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  auto report = VerifyAuditChain(*index_, nullptr);
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_FALSE(report->problem.has_value()) << report->problem->what;
  EXPECT_EQ(report->records, kThreads * kPerThread);
  EXPECT_EQ(report->head_seq, kThreads * kPerThread);
}

TEST_P(AuditTest, OutcomeNamesRoundTrip) {
  for (AuditOutcome outcome :
       {AuditOutcome::kInProgress, AuditOutcome::kSuccess, AuditOutcome::kDenied,
        AuditOutcome::kFailed, AuditOutcome::kAborted, AuditOutcome::kOverCapacity}) {
    EXPECT_EQ(ParseAuditOutcome(AuditOutcomeName(outcome)), outcome);
  }
  EXPECT_EQ(AuditOutcomeName(AuditOutcome::kInProgress), "in_progress");
  EXPECT_FALSE(ParseAuditOutcome("done").has_value());
}

TEST_P(AuditTest, OpenCompleteAndList) {
  const RowId a = Hospital("A");
  const RowId b = Hospital("B");
  const RowId first = *index_->OpenAudit(Record("2024-01-01T10:00:00.000Z", "alice", a));
  const RowId second = *index_->OpenAudit(Record("2024-01-02T10:00:00.000Z", "bob", b));
  const RowId third = *index_->OpenAudit(Record("2024-01-03T10:00:00.000Z", "alice", a));
  const RowId anonymous = *index_->OpenAudit(
      Record("2024-01-04T10:00:00.000Z", "", std::nullopt, AuditOutcome::kDenied));

  const AuditCompletion done = Completion(AuditOutcome::kSuccess, "", 12345, 7, 250);
  ASSERT_TRUE(index_->CompleteAudit(first, done).ok());
  EXPECT_EQ(index_->CompleteAudit(first, done).error().code(), ErrorCode::kConflict);
  EXPECT_EQ(index_->CompleteAudit(anonymous, done).error().code(), ErrorCode::kConflict);
  EXPECT_EQ(index_->CompleteAudit(9999, done).error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(index_->CompleteAudit(second, Completion(AuditOutcome::kInProgress, "", 0, 0, 0))
                .error()
                .code(),
            ErrorCode::kInvalidInput);
  ASSERT_TRUE(index_
                  ->CompleteAudit(
                      second, Completion(AuditOutcome::kFailed, "unavailable: pacs down", 10, 1, 5))
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

TEST_P(AuditTest, OpenWithoutStartTimeStampsNow) {
  AuditRecord record = Record("", "alice", std::nullopt);
  ASSERT_TRUE(index_->OpenAudit(record).ok());
  auto all = index_->ListAudit({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->items.size(), 1u);
  EXPECT_EQ(all->items[0].started_at.size(), std::string("2024-01-01T10:00:00.000Z").size());
  EXPECT_EQ(all->items[0].started_at.back(), 'Z');
}

TEST_P(AuditTest, FailInterruptedAudits) {
  const RowId h = Hospital("H");
  const RowId running = *index_->OpenAudit(Record("2024-01-01T00:00:00.000Z", "a", h));
  const RowId also_running = *index_->OpenAudit(Record("2024-01-02T00:00:00.000Z", "b", h));
  const RowId finished = *index_->OpenAudit(Record("2024-01-03T00:00:00.000Z", "c", h));
  ASSERT_TRUE(
      index_->CompleteAudit(finished, Completion(AuditOutcome::kSuccess, "", 1, 1, 1)).ok());

  constexpr char kNow[] = "2024-01-04T00:00:00.000Z";
  EXPECT_EQ(*index_->FailInterruptedAudits(kNow, UnownedAudits::kKeep), 0) << "the CLI's";
  auto marked = index_->FailInterruptedAudits(kNow, UnownedAudits::kFail);
  ASSERT_TRUE(marked.ok());
  EXPECT_EQ(*marked, 2);
  EXPECT_EQ(*index_->FailInterruptedAudits(kNow, UnownedAudits::kFail), 0);

  AuditQuery failed;
  failed.outcome = AuditOutcome::kFailed;
  auto page = index_->ListAudit(failed);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(Ids(*page), (std::vector<RowId>{also_running, running}));
  for (const auto& record : page->items) EXPECT_EQ(record.detail, "interrupted");
  EXPECT_EQ(index_->ListAudit({})->items[0].outcome, AuditOutcome::kSuccess);
  EXPECT_EQ(index_->CompleteAudit(running, Completion(AuditOutcome::kSuccess, "", 0, 0, 0))
                .error()
                .code(),
            ErrorCode::kConflict);
}

TEST_P(AuditTest, OnlyTheRecordsOfReplicasWithoutARecentHeartbeatAreInterrupted) {
  const RowId h = Hospital("H");
  AuditRecord of_live = Record("2024-01-01T00:00:00.000Z", "a", h);
  of_live.replica = "live";
  AuditRecord of_dead = Record("2024-01-01T00:00:01.000Z", "b", h);
  of_dead.replica = "dead";
  index_->SetAuditReplica("live");
  const RowId live = *index_->OpenAudit(of_live);
  const RowId dead = *index_->OpenAudit(of_dead);
  const RowId stamped = *index_->OpenAudit(Record("2024-01-01T00:00:02.000Z", "c", h));
  ASSERT_TRUE(index_->RecordHeartbeat("dead", "2024-01-01T00:00:05.000Z").ok());
  ASSERT_TRUE(index_->RecordHeartbeat("live", "2024-01-01T00:00:05.000Z").ok());
  ASSERT_TRUE(index_->RecordHeartbeat("live", "2024-01-01T00:01:00.000Z").ok());

  // The lease is 30 s: at 00:01:10, "live" beat 10 s ago, "dead" 65 s ago.
  EXPECT_EQ(*index_->FailInterruptedAudits("2024-01-01T00:00:40.000Z", UnownedAudits::kFail), 1);
  EXPECT_EQ(index_->GetAudit(std::nullopt, dead)->outcome, AuditOutcome::kFailed);
  EXPECT_EQ(index_->GetAudit(std::nullopt, dead)->detail, "interrupted");
  EXPECT_TRUE(index_->GetAudit(std::nullopt, dead)->chain_seq.has_value()) << "not sealed";
  EXPECT_EQ(index_->GetAudit(std::nullopt, stamped)->replica, "live");
  for (RowId id : {live, stamped}) {
    EXPECT_EQ(index_->GetAudit(std::nullopt, id)->outcome, AuditOutcome::kInProgress);
    EXPECT_TRUE(index_->CompleteAudit(id, Completion(AuditOutcome::kSuccess, "", 1, 1, 1)).ok());
  }
}

PACSPORT_INDEX_TEST_ON_EVERY_ENGINE(AuditTest);
PACSPORT_INDEX_TEST_ON_EVERY_ENGINE(AuditChainTest);
}  // namespace
}  // namespace pacsport
