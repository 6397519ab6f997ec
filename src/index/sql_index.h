// SqlIndex: the Index over SOCI, in SQL that SQLite and PostgreSQL both accept.
//
// A backend opens a pool of configured sessions and hands it over together with an
// SqlDialect describing the little that differs (key type, how to start a write
// transaction, how to read its errors). Each call runs as one transaction on one
// session leased from the pool, so calls from several threads run concurrently;
// with serialize_writes, write transactions also take a mutex, one at a time.
//
// OpenSnapshot opens a connection of its own with the backend's `open_session`, so
// that a snapshot held for an export's life takes no session from the pool.
//
// Errors: every exception from SOCI or the database is caught here and handed to
// the dialect's translate function, which answers kUnavailable for faults of the
// database and kInternal for anything that points to a bug; none escapes. A
// transient failure (the dialect's is_transient: a serialization failure or a
// deadlock victim) is not an answer: Run rolls back and runs the whole body again,
// a bounded number of times with a short, growing, jittered pause, so bodies must
// not depend on state a failed attempt left behind.
//
// Races: where writes are not serialized (PostgreSQL at READ COMMITTED), a body
// that reads before it writes and must not interleave with another doing the same
// takes a named lock first (Lock), held until its transaction ends.
#pragma once

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <type_traits>

#include "index/index.h"

namespace soci {
class connection_pool;
class session;
}  // namespace soci

namespace pacsport {

// What transactions must not interleave on, where writes are not serialized.
enum class LockName {
  kMigration = 1,   // the schema: one migrating replica at a time
  kAuditChain = 2,  // the audit chain's head: one seal at a time
  kStudy = 3,       // one study's hierarchy (name: hospital id and Study Instance UID)
};

struct SqlDialect {
  std::string_view id_primary_key;  // column type of surrogate keys (schema.h)
  std::string_view begin_read;      // starts a transaction that only reads (and snapshots)
  std::string_view begin_write;     // starts a transaction that will write
  bool serialize_writes = false;    // at most one write transaction in this process
  // Takes the lock named by :kind (an integer) and :name (text) until the transaction
  // ends; empty where write transactions exclude each other anyway.
  std::string_view lock;
  // Appended to a SELECT of rows a write transaction will change, so that concurrent
  // claimers skip a row another holds rather than wait for it: " FOR UPDATE SKIP LOCKED"
  // on PostgreSQL; empty where write transactions already exclude each other (SQLite).
  std::string_view lock_skip_locked;
  Error (*translate)(const std::exception& e, std::string_view operation) = nullptr;
  // True for a failure that running the same transaction again may not meet.
  bool (*is_transient)(const std::exception& e) = nullptr;
};

class SqlIndex final : public Index {
 public:
  // Opens one more session to the same database, configured as the pool's.
  using SessionOpener = std::function<std::unique_ptr<soci::session>()>;

  // Takes over `pool`, whose sessions are open and configured. Without
  // `open_session`, OpenSnapshot answers kUnavailable.
  SqlIndex(std::unique_ptr<soci::connection_pool> pool, SqlDialect dialect,
           SessionOpener open_session = {});
  ~SqlIndex() override;

  // Brings the schema to kLatestSchemaVersion, in one transaction; changes nothing
  // when it is there already. kUnavailable when the database is of a newer version.
  Status Migrate();

  Result<RowId> AddHospital(const std::string& name) override;
  Result<HospitalRecord> FindHospital(const std::string& name) override;
  Status AddUser(const std::string& username, RowId hospital_id, Role role,
                 const std::string& password_hash) override;
  Result<UserRecord> FindUser(const std::string& username) override;

  Result<IngestOutcome> AddInstance(RowId hospital_id, const StoredInstance& instance) override;
  Result<bool> IsLocationReferenced(const InstanceLocation& location) override;

  Result<std::vector<SourceEntry>> ListSourceInstances(const std::string& source) override;
  Result<std::optional<SourceEntry>> FindSourceInstance(const InstanceLocation& location) override;
  Result<std::int64_t> RemoveSourceInstances(const std::string& source,
                                             const std::vector<std::string>& keys) override;
  Result<IngestOutcome> ReplaceSourceInstance(RowId hospital_id,
                                              const StoredInstance& instance) override;
  Status SetSourceRevisions(const std::string& source,
                            const std::vector<SourceEntry>& entries) override;
  Result<std::optional<SourceCursor>> GetSourceCursor(const std::string& source) override;
  Status SetSourceCursor(const std::string& source, const SourceCursor& cursor) override;

  Result<Page<PatientRecord>> ListPatients(RowId hospital_id, const PatientQuery& q) override;
  Result<PatientRecord> GetPatient(RowId hospital_id, const std::string& patient_id) override;
  Result<Page<StudyRecord>> ListStudies(RowId hospital_id, const StudyQuery& q) override;
  Result<StudyRecord> GetStudy(RowId hospital_id, const std::string& study_uid) override;
  Result<std::vector<ModalityCount>> ListModalityCounts(RowId hospital_id) override;
  Result<std::vector<InstanceRecord>> ListStudyInstances(RowId hospital_id,
                                                         const std::string& study_uid) override;
  Result<std::unique_ptr<IndexSnapshot>> OpenSnapshot(RowId hospital_id) override;
  Result<std::vector<SeriesSummary>> ListStudySeries(RowId hospital_id,
                                                     const std::string& study_uid) override;
  Result<ExportScopeTotals> SumExportScope(RowId hospital_id,
                                           const ExportScopeQuery& query) override;
  Status SetAiAnalysis(RowId hospital_id, const std::string& study_uid,
                       const std::string& analysis_json, const std::vector<std::string>& models,
                       const std::string& analyzed_at) override;

  void SetAuditSigner(std::shared_ptr<const MessageSigner> signer) override;
  void SetAuditReplica(std::string replica) override;
  Result<RowId> OpenAudit(const AuditRecord& record) override;
  Status AddAuditStudies(RowId id, const std::vector<AuditStudy>& studies) override;
  Status CompleteAudit(RowId id, const AuditCompletion& completion) override;
  Result<Page<AuditRecord>> ListAudit(const AuditQuery& q) override;
  Result<AuditRecord> GetAudit(std::optional<RowId> hospital_id, RowId id) override;
  Result<Page<AuditStudy>> ListAuditStudies(RowId id, const PageRequest& page) override;
  Result<std::vector<AuditRecord>> ListSealedAudit(std::int64_t after_seq,
                                                   std::size_t limit) override;
  Status RecordAuditArchive(const AuditArchive& archive) override;
  Result<std::optional<AuditArchive>> LastAuditArchive() override;
  Result<std::int64_t> GetAuditForwarded(const std::string& destination) override;
  Status SetAuditForwarded(const std::string& destination, std::int64_t last_seq) override;
  Result<std::int64_t> FailInterruptedAudits(const std::string& alive_since,
                                             UnownedAudits unowned) override;

  Status AddJob(const JobRecord& job) override;
  Result<JobRecord> GetJob(RowId hospital_id, const std::string& id) override;
  Result<Page<JobRecord>> ListJobs(const JobQuery& q) override;
  Result<std::vector<JobRecord>> ListJobsInState(JobState state) override;
  Result<bool> TransitionJob(JobState from, const JobRecord& to) override;
  Result<bool> SetJobProgress(const std::string& id, const std::string& owner,
                              const JobProgress& progress) override;
  Result<std::vector<JobRecord>> ListClaimableJobs(const std::string& now) override;
  Result<std::optional<JobRecord>> ClaimJob(const std::string& id,
                                            const LeaseTerms& lease) override;
  Result<std::vector<std::string>> RenewJobLeases(const LeaseTerms& lease) override;
  Status RecordHeartbeat(const std::string& replica, const std::string& now) override;
  Result<bool> AcquireLease(const std::string& name, const LeaseTerms& lease) override;
  Status ReleaseLease(const std::string& name, const std::string& owner) override;
  Result<std::optional<LeaseHolder>> GetLease(const std::string& name) override;

  Result<RowId> AddDestination(const DestinationRecord& destination) override;
  Result<DestinationRecord> GetDestination(RowId hospital_id, RowId id) override;
  Result<std::vector<DestinationRecord>> ListDestinations(RowId hospital_id) override;
  Status UpdateDestination(const DestinationRecord& destination) override;
  Status DeleteDestination(RowId hospital_id, RowId id) override;
  Status AddDeliveryLink(const DeliveryLink& link) override;
  Result<DeliveryLinkClaim> ClaimDeliveryLink(const std::string& token_sha256,
                                              const std::string& now) override;

  Result<RowId> AddSchedule(const ScheduleRecord& schedule) override;
  Result<ScheduleRecord> GetSchedule(RowId hospital_id, RowId id) override;
  Result<std::vector<ScheduleRecord>> ListSchedules(RowId hospital_id) override;
  Status UpdateSchedule(const ScheduleRecord& schedule) override;
  Status DeleteSchedule(RowId hospital_id, RowId id) override;
  Result<std::vector<ScheduleRecord>> ListDueSchedules(const std::string& now) override;
  Result<bool> ClaimScheduleSlot(RowId id, const std::string& slot,
                                 const std::string& next) override;
  Status RecordScheduleRun(const ScheduleRun& run) override;
  Result<std::int64_t> CurrentChangeSequence() override;

  Status AddDownloadLink(const DownloadLinkRecord& link) override;
  Result<std::optional<DownloadLinkRecord>> FindDownloadLink(const std::string& token_sha256,
                                                             const std::string& now) override;
  Result<std::optional<DownloadLinkRecord>> RedeemDownloadLink(
      const std::string& token_sha256, const std::string& now,
      const std::string& forget_at) override;
  Status RevokeDownloadLink(const std::string& token_sha256, const std::string& forget_at) override;
  Status SetDownloadLinkUse(const std::string& token_sha256, const std::string& use_state,
                            const std::string& error_code,
                            const std::string& error_message) override;
  Result<std::int64_t> SweepDownloadLinks(const std::string& now, std::int64_t limit) override;

  Status ChangeLoginSeries(const std::string& username, const std::string& address,
                           const auth::LoginSeriesChange& change) override;
  Result<std::int64_t> SweepLoginSeries(std::int64_t now_ms, std::int64_t limit) override;
  Result<auth::LoginSeriesCounts> CountLoginSeries() override;

  SessionPoolUse PoolUse() const override;

 private:
  enum class Access { kRead, kWrite };

  // One transaction on a leased session: rolled back on destruction unless
  // committed. Holds write_mutex_ for a write when the dialect serializes writes.
  class Transaction {
   public:
    Transaction(SqlIndex& index, Access access);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

    soci::session& sql() { return *session_; }
    void Commit();

   private:
    // Counts the leased session in sessions_in_use_ while it lives.
    class LeaseCount {
     public:
      explicit LeaseCount(std::atomic<std::size_t>& count) : count_(count) { ++count_; }
      ~LeaseCount() { --count_; }
      LeaseCount(const LeaseCount&) = delete;
      LeaseCount& operator=(const LeaseCount&) = delete;

     private:
      std::atomic<std::size_t>& count_;
    };

    std::unique_lock<std::mutex> write_lock_;
    std::unique_ptr<soci::session> session_;
    std::optional<LeaseCount> leased_;  // set once session_ is leased; ends before it
    bool open_ = false;
  };

  // Runs body(session) in a transaction and returns its Result or Status, committing
  // when that is ok; any exception becomes the dialect's translation of it.
  // A transient failure runs the body again (see the file comment).
  template <typename Body>
  std::invoke_result_t<Body&, soci::session&> Run(Access access, std::string_view operation,
                                                  Body&& body) {
    for (int attempt = 1;; ++attempt) {
      try {
        Transaction transaction(*this, access);
        auto result = body(transaction.sql());
        if (result.ok()) transaction.Commit();
        return result;
      } catch (const std::exception& e) {
        if (attempt < kAttempts && dialect_.is_transient != nullptr && dialect_.is_transient(e)) {
          PauseBeforeRetry(attempt);
          continue;
        }
        return dialect_.translate(e, operation);
      }
    }
  }

  // Takes `lock` for `name` until the transaction on `sql` ends (see SqlDialect::lock).
  void Lock(soci::session& sql, LockName lock, const std::string& name) const;

  static constexpr int kAttempts = 8;
  // Sleeps a little longer after each failed attempt, with jitter, so that two
  // transactions that keep failing each other drift apart.
  static void PauseBeforeRetry(int attempt);

  static bool HospitalExists(soci::session& sql, RowId hospital_id);
  // kInvalidInput for a negative offset or limit.
  static Status CheckPage(const PageRequest& page);

  std::unique_ptr<soci::connection_pool> pool_;
  const SqlDialect dialect_;
  const SessionOpener open_session_;
  std::atomic<std::shared_ptr<const MessageSigner>> audit_signer_;
  std::string audit_replica_;  // set before concurrent use (SetAuditReplica)
  std::mutex write_mutex_;     // held by every write transaction when dialect_.serialize_writes
  const std::size_t pool_size_;
  std::atomic<std::size_t> sessions_in_use_{0};
};

}  // namespace pacsport
