// Retention archives of the audit trail: records move out of the index into files
// that keep the chain verifiable, and a changed file is found.
#include "audit/audit_archiver.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "auth/signing_key.h"
#include "tests/support/temp_dir.h"

namespace pacsport::audit {
namespace {

namespace fs = std::filesystem;

class AuditArchiverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    index_ = OpenSqliteIndex((dir_.path() / "index.sqlite").string()).ValueOrThrow();
    key_ = std::make_shared<const auth::SigningKey>(
        auth::SigningKey::LoadOrCreate(dir_.path() / "key").ValueOrThrow());
    index_->SetAuditSigner(key_);
  }

  // A sealed record started at `started_at`, with one study.
  void Sealed(const std::string& started_at) {
    AuditRecord record;
    record.started_at = started_at;
    record.username = "u";
    record.parameters = "{}";
    const RowId id = index_->OpenAudit(record).ValueOrThrow();
    index_->AddAuditStudies(id, {{"1.2." + std::to_string(id), "P"}}).ThrowIfError();
    AuditCompletion done;
    index_->CompleteAudit(id, done).ThrowIfError();
  }

  fs::path archives() const { return dir_.path() / "archive"; }

  testing::TempDir dir_;
  std::unique_ptr<Index> index_;
  std::shared_ptr<const auth::SigningKey> key_;
};

SystemTime At(int year) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mday = 1;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

TEST_F(AuditArchiverTest, MovesDueRecordsAndKeepsTheChainVerifiable) {
  Sealed("2020-01-01T00:00:00.000Z");
  Sealed("2020-06-01T00:00:00.000Z");
  Sealed("2024-01-01T00:00:00.000Z");
  AuditArchiver archiver(*index_, archives(), std::chrono::hours(24 * 30));
  EXPECT_EQ(archiver.ArchiveDue(At(2021)).ValueOrThrow(), 2);
  EXPECT_EQ(archiver.ArchiveDue(At(2021)).ValueOrThrow(), 0);
  EXPECT_TRUE(fs::exists(archives() / "audit-1-2.jsonl"));
  EXPECT_EQ(index_->ListAudit({}).ValueOrThrow().total, 1);

  const auto anchor = index_->LastAuditArchive().ValueOrThrow();
  auto report = VerifyAuditArchives(archives(), anchor, &key_->public_key()).ValueOrThrow();
  EXPECT_FALSE(report.problem.has_value()) << report.problem->what;
  EXPECT_EQ(report.records, 2);
  auto chain = VerifyAuditChain(*index_, &key_->public_key()).ValueOrThrow();
  EXPECT_FALSE(chain.problem.has_value());
  EXPECT_EQ(chain.first_seq, 3);

  EXPECT_EQ(archiver.ArchiveDue(At(2030)).ValueOrThrow(), 1);
  EXPECT_TRUE(fs::exists(archives() / "audit-3-3.jsonl"));
  report = VerifyAuditArchives(archives(), index_->LastAuditArchive().ValueOrThrow(),
                               &key_->public_key())
               .ValueOrThrow();
  EXPECT_FALSE(report.problem.has_value());
  EXPECT_EQ(report.records, 3);
}

TEST_F(AuditArchiverTest, FindsAChangedOrMissingArchive) {
  Sealed("2020-01-01T00:00:00.000Z");
  Sealed("2020-02-01T00:00:00.000Z");
  AuditArchiver archiver(*index_, archives(), std::chrono::hours(24));
  ASSERT_EQ(archiver.ArchiveDue(At(2021)).ValueOrThrow(), 2);
  const auto anchor = index_->LastAuditArchive().ValueOrThrow();
  const fs::path file = archives() / "audit-1-2.jsonl";
  std::stringstream text;
  text << std::ifstream(file).rdbuf();
  std::string changed = text.str();
  changed.replace(changed.find("1.2.1"), 5, "1.2.9");
  std::ofstream(file) << changed;
  auto report = VerifyAuditArchives(archives(), anchor, nullptr).ValueOrThrow();
  ASSERT_TRUE(report.problem.has_value());
  EXPECT_EQ(report.problem->chain_seq, 1);

  fs::remove(file);
  report = VerifyAuditArchives(archives(), anchor, nullptr).ValueOrThrow();
  ASSERT_TRUE(report.problem.has_value());
  EXPECT_NE(report.problem->what.find("continues after 2"), std::string::npos);
}

}  // namespace
}  // namespace pacsport::audit
