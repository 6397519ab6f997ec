// SqlIndex: the export audit trail and its hash chain (audit_chain.h).
#include <soci/soci.h>

#include <stdexcept>

#include "index/audit_chain.h"
#include "index/sql_conditions.h"
#include "index/sql_index.h"

namespace pacsport {
namespace {

constexpr std::string_view kAuditSelect =
    "SELECT id, started_at, username, role, hospital_id, hospital_name, client_address, "
    "request_id, endpoint, scope, target, target_label, parameters, outcome, detail, "
    "bytes_sent, entries, instances, study_count, content_sha256, duration_ms, chain_seq, "
    "prev_hash, record_hash, key_id, signature, replica";
constexpr std::string_view kAuditFrom = "FROM audit";
constexpr std::string_view kNewestFirst = "started_at DESC, id DESC";
constexpr std::string_view kInProgress = "in_progress";

// An audit row fetched into `record`, its nullable columns and its outcome name.
struct AuditRow {
  void Exchange(soci::statement& st) {
    st.exchange(soci::into(record.id));
    st.exchange(soci::into(record.started_at));
    st.exchange(soci::into(record.username));
    st.exchange(soci::into(record.role));
    st.exchange(soci::into(hospital_id, hospital_present));
    st.exchange(soci::into(record.hospital_name));
    st.exchange(soci::into(record.client_address));
    st.exchange(soci::into(record.request_id));
    st.exchange(soci::into(record.endpoint));
    st.exchange(soci::into(record.scope));
    st.exchange(soci::into(record.target));
    st.exchange(soci::into(record.target_label));
    st.exchange(soci::into(record.parameters));
    st.exchange(soci::into(outcome));
    st.exchange(soci::into(record.detail));
    st.exchange(soci::into(record.bytes_sent));
    st.exchange(soci::into(record.entries));
    st.exchange(soci::into(record.instances));
    st.exchange(soci::into(record.study_count));
    st.exchange(soci::into(record.content_sha256));
    st.exchange(soci::into(record.duration_ms));
    st.exchange(soci::into(chain_seq, chain_seq_present));
    st.exchange(soci::into(record.prev_hash));
    st.exchange(soci::into(record.record_hash));
    st.exchange(soci::into(record.key_id));
    st.exchange(soci::into(record.signature));
    st.exchange(soci::into(record.replica));
  }
  // The record of the row just fetched. Throws std::runtime_error for an outcome
  // this program does not know.
  AuditRecord Record() const {
    AuditRecord out = record;
    out.hospital_id = hospital_present == soci::i_ok ? std::optional(hospital_id) : std::nullopt;
    out.chain_seq = chain_seq_present == soci::i_ok ? std::optional(chain_seq) : std::nullopt;
    const auto parsed = ParseAuditOutcome(outcome);
    if (!parsed) throw std::runtime_error("an audit record has an unknown outcome");
    out.outcome = *parsed;
    return out;
  }

  AuditRecord record;
  RowId hospital_id = 0;
  soci::indicator hospital_present = soci::i_null;
  std::int64_t chain_seq = 0;
  soci::indicator chain_seq_present = soci::i_null;
  std::string outcome;
};

// The records of `where`, in `order`, within `page` when given.
std::vector<AuditRecord> SelectAudit(soci::session& sql, const SqlConditions& where,
                                     std::string_view order,
                                     const std::optional<PageRequest>& page) {
  std::vector<AuditRecord> records;
  AuditRow row;
  where.ForEachRow(
      sql, kAuditSelect, kAuditFrom, order, page, [&](soci::statement& st) { row.Exchange(st); },
      [&] { records.push_back(row.Record()); });
  return records;
}

std::vector<AuditStudy> SelectStudies(soci::session& sql, RowId id,
                                      const std::optional<PageRequest>& page) {
  SqlConditions where;
  where.Add("audit_id = ?", {id});
  std::vector<AuditStudy> studies;
  AuditStudy study;
  where.ForEachRow(
      sql, "SELECT study_uid, patient_id", "FROM audit_studies", "study_uid", page,
      [&](soci::statement& st) {
        st.exchange(soci::into(study.study_uid));
        st.exchange(soci::into(study.patient_id));
      },
      [&] { studies.push_back(study); });
  return studies;
}

// The last seal of the chain: (chain_seq, record_hash) of the newest sealed record,
// else of the last retention archive, else (0, "").
std::pair<std::int64_t, std::string> ChainHead(soci::session& sql) {
  std::int64_t seq = 0;
  soci::indicator present = soci::i_null;
  sql << "SELECT MAX(chain_seq) FROM audit", soci::into(seq, present);
  std::string hash;
  if (present == soci::i_ok) {
    sql << "SELECT record_hash FROM audit WHERE chain_seq = :seq", soci::use(seq), soci::into(hash);
    return {seq, hash};
  }
  seq = 0;
  sql << "SELECT through_seq, last_hash FROM audit_archives ORDER BY through_seq DESC LIMIT 1",
      soci::into(seq), soci::into(hash);
  if (!sql.got_data()) return {0, ""};
  return {seq, hash};
}

// Seals completed record `id` as the chain's next link. Inside a write transaction
// that holds LockName::kAuditChain, so that no two seals read the same head.
void Seal(soci::session& sql, RowId id, const MessageSigner* signer) {
  SqlConditions where;
  where.Add("id = ?", {id});
  std::vector<AuditRecord> found = SelectAudit(sql, where, "", std::nullopt);
  if (found.size() != 1) throw std::logic_error("sealing an audit record that is not there");
  AuditRecord& record = found.front();
  const std::vector<AuditStudy> studies = SelectStudies(sql, id, std::nullopt);
  const auto [head_seq, head_hash] = ChainHead(sql);
  record.chain_seq = head_seq + 1;
  record.study_count = static_cast<std::int64_t>(studies.size());
  record.key_id = signer != nullptr ? signer->key_id() : "";
  const std::string hash = AuditRecordHash(record, AuditStudiesHash(studies), head_hash);
  const std::string signature =
      signer != nullptr ? signer->Sign(AuditSealMessage(*record.chain_seq, hash)) : "";
  sql << "UPDATE audit SET chain_seq = :seq, prev_hash = :prev, record_hash = :hash, "
         "key_id = :key_id, signature = :signature, study_count = :study_count WHERE id = :id",
      soci::use(*record.chain_seq), soci::use(head_hash), soci::use(hash), soci::use(record.key_id),
      soci::use(signature), soci::use(record.study_count), soci::use(id);
}

}  // namespace

void SqlIndex::SetAuditSigner(std::shared_ptr<const MessageSigner> signer) {
  audit_signer_.store(std::move(signer));
}

void SqlIndex::SetAuditReplica(std::string replica) { audit_replica_ = std::move(replica); }

Result<RowId> SqlIndex::OpenAudit(const AuditRecord& record) {
  const std::string started_at =
      record.started_at.empty() ? Iso8601(std::chrono::system_clock::now()) : record.started_at;
  const RowId hospital_id = record.hospital_id.value_or(0);
  soci::indicator hospital_present = record.hospital_id ? soci::i_ok : soci::i_null;
  const std::string outcome(AuditOutcomeName(record.outcome));
  const std::string& replica = record.replica.empty() ? audit_replica_ : record.replica;
  return Run(Access::kWrite, "opening an audit record", [&](soci::session& sql) -> Result<RowId> {
    RowId id = 0;
    sql << "INSERT INTO audit (started_at, username, role, hospital_id, hospital_name, "
           "client_address, request_id, endpoint, scope, target, target_label, parameters, "
           "outcome, detail, bytes_sent, entries, instances, duration_ms, replica) VALUES "
           "(:started_at, :username, :role, :hospital_id, :hospital_name, :client_address, "
           ":request_id, :endpoint, :scope, :target, :target_label, :parameters, :outcome, "
           ":detail, :bytes_sent, :entries, :instances, :duration_ms, :replica) RETURNING id",
        soci::use(started_at), soci::use(record.username), soci::use(record.role),
        soci::use(hospital_id, hospital_present), soci::use(record.hospital_name),
        soci::use(record.client_address), soci::use(record.request_id), soci::use(record.endpoint),
        soci::use(record.scope), soci::use(record.target), soci::use(record.target_label),
        soci::use(record.parameters), soci::use(outcome), soci::use(record.detail),
        soci::use(record.bytes_sent), soci::use(record.entries), soci::use(record.instances),
        soci::use(record.duration_ms), soci::use(replica), soci::into(id);
    return id;
  });
}

Status SqlIndex::AddAuditStudies(RowId id, const std::vector<AuditStudy>& studies) {
  if (studies.empty()) return Status::Ok();
  const std::string in_progress(kInProgress);
  return Run(
      Access::kWrite, "listing an audit record's studies", [&](soci::session& sql) -> Status {
        std::string outcome;
        sql << "SELECT outcome FROM audit WHERE id = :id", soci::use(id), soci::into(outcome);
        if (!sql.got_data()) return NotFound("no such audit record");
        if (outcome != in_progress) {
          return Error(ErrorCode::kConflict, "the audit record is already complete");
        }
        AuditStudy row;
        soci::statement insert =
            (sql.prepare << "INSERT INTO audit_studies (audit_id, study_uid, patient_id) "
                            "VALUES (:id, :uid, :patient) ON CONFLICT DO NOTHING",
             soci::use(id), soci::use(row.study_uid), soci::use(row.patient_id));
        for (const AuditStudy& study : studies) {
          row = study;
          insert.execute(true);
        }
        return Status::Ok();
      });
}

Status SqlIndex::CompleteAudit(RowId id, const AuditCompletion& completion) {
  if (completion.outcome == AuditOutcome::kInProgress) {
    return InvalidInput("an audit record is completed with a final outcome");
  }
  const std::string outcome(AuditOutcomeName(completion.outcome));
  const std::string in_progress(kInProgress);
  const std::shared_ptr<const MessageSigner> signer = audit_signer_.load();
  return Run(Access::kWrite, "completing an audit record", [&](soci::session& sql) -> Status {
    soci::statement update =
        (sql.prepare << "UPDATE audit SET outcome = :outcome, detail = :detail, target_label = "
                        "CASE WHEN :label = '' THEN target_label ELSE :label2 END, "
                        "bytes_sent = :bytes_sent, entries = :entries, instances = :instances, "
                        "content_sha256 = :content_sha256, duration_ms = :duration_ms "
                        "WHERE id = :id AND outcome = :in_progress",
         soci::use(outcome), soci::use(completion.detail), soci::use(completion.target_label),
         soci::use(completion.target_label), soci::use(completion.bytes_sent),
         soci::use(completion.entries), soci::use(completion.instances),
         soci::use(completion.content_sha256), soci::use(completion.duration_ms), soci::use(id),
         soci::use(in_progress));
    update.execute(true);
    if (update.get_affected_rows() > 0) {
      Lock(sql, LockName::kAuditChain, "head");
      Seal(sql, id, signer.get());
      return Status::Ok();
    }
    int one = 0;
    sql << "SELECT 1 FROM audit WHERE id = :id", soci::use(id), soci::into(one);
    if (!sql.got_data()) return NotFound("no such audit record");
    return Error(ErrorCode::kConflict, "the audit record is already complete");
  });
}

Result<Page<AuditRecord>> SqlIndex::ListAudit(const AuditQuery& q) {
  if (Status page = CheckPage(q.page); !page.ok()) return page.error();
  return Run(Access::kRead, "listing the audit trail",
             [&](soci::session& sql) -> Result<Page<AuditRecord>> {
               SqlConditions where;
               if (q.hospital_id) where.Add("hospital_id = ?", {*q.hospital_id});
               if (!q.username.empty()) where.Add("username = ?", {q.username});
               if (q.outcome) {
                 where.Add("outcome = ?", {std::string(AuditOutcomeName(*q.outcome))});
               }
               if (!q.since.empty()) where.Add("started_at >= ?", {q.since});
               if (!q.until.empty()) where.Add("started_at < ?", {q.until});
               if (!q.scope.empty()) where.Add("scope = ?", {q.scope});
               // A refused attempt lists no studies: its target still names them.
               if (!q.patient_id.empty()) {
                 where.Add(
                     "(EXISTS (SELECT 1 FROM audit_studies s WHERE s.audit_id = audit.id AND "
                     "s.patient_id = ?) OR (scope = 'patient' AND target = ?))",
                     {q.patient_id, q.patient_id});
               }
               if (!q.study_uid.empty()) {
                 where.Add(
                     "(EXISTS (SELECT 1 FROM audit_studies s WHERE s.audit_id = audit.id AND "
                     "s.study_uid = ?) OR (scope = 'study' AND target = ?))",
                     {q.study_uid, q.study_uid});
               }
               Page<AuditRecord> page;
               page.total = where.Count(sql, kAuditFrom);
               page.items = SelectAudit(sql, where, kNewestFirst, q.page);
               return page;
             });
}

Result<AuditRecord> SqlIndex::GetAudit(std::optional<RowId> hospital_id, RowId id) {
  return Run(Access::kRead, "reading an audit record",
             [&](soci::session& sql) -> Result<AuditRecord> {
               SqlConditions where;
               where.Add("id = ?", {id});
               if (hospital_id) where.Add("hospital_id = ?", {*hospital_id});
               std::vector<AuditRecord> found = SelectAudit(sql, where, "", std::nullopt);
               if (found.empty()) return NotFound("no such audit record");
               return std::move(found.front());
             });
}

Result<Page<AuditStudy>> SqlIndex::ListAuditStudies(RowId id, const PageRequest& page) {
  if (Status checked = CheckPage(page); !checked.ok()) return checked.error();
  return Run(Access::kRead, "listing an audit record's studies",
             [&](soci::session& sql) -> Result<Page<AuditStudy>> {
               SqlConditions where;
               where.Add("audit_id = ?", {id});
               Page<AuditStudy> out;
               out.total = where.Count(sql, "FROM audit_studies");
               out.items = SelectStudies(sql, id, page);
               return out;
             });
}

Result<std::vector<AuditRecord>> SqlIndex::ListSealedAudit(std::int64_t after_seq,
                                                           std::size_t limit) {
  return Run(Access::kRead, "reading the audit chain",
             [&](soci::session& sql) -> Result<std::vector<AuditRecord>> {
               SqlConditions where;
               where.Add("chain_seq > ?", {after_seq});
               PageRequest page;
               page.limit = static_cast<std::int64_t>(limit);
               return SelectAudit(sql, where, "chain_seq", page);
             });
}

Status SqlIndex::RecordAuditArchive(const AuditArchive& archive) {
  return Run(Access::kWrite, "archiving audit records", [&](soci::session& sql) -> Status {
    Lock(sql, LockName::kAuditChain, "head");
    std::int64_t previous = 0;
    sql << "SELECT COALESCE(MAX(through_seq), 0) FROM audit_archives", soci::into(previous);
    std::int64_t records = 0;
    sql << "SELECT COUNT(*) FROM audit WHERE chain_seq > :previous AND chain_seq <= :through",
        soci::use(previous), soci::use(archive.through_seq), soci::into(records);
    if (archive.through_seq <= previous || records != archive.through_seq - previous ||
        records != archive.records) {
      return Error(ErrorCode::kConflict, "the archived records do not follow the last archive");
    }
    sql << "DELETE FROM audit_studies WHERE audit_id IN (SELECT id FROM audit WHERE "
           "chain_seq <= :through)",
        soci::use(archive.through_seq);
    sql << "DELETE FROM audit WHERE chain_seq <= :through", soci::use(archive.through_seq);
    sql << "INSERT INTO audit_archives (through_seq, last_hash, file, file_sha256, records, "
           "archived_at) VALUES (:through, :hash, :file, :file_sha256, :records, :at)",
        soci::use(archive.through_seq), soci::use(archive.last_hash), soci::use(archive.file),
        soci::use(archive.file_sha256), soci::use(archive.records), soci::use(archive.archived_at);
    return Status::Ok();
  });
}

Result<std::optional<AuditArchive>> SqlIndex::LastAuditArchive() {
  return Run(Access::kRead, "reading the audit archives",
             [&](soci::session& sql) -> Result<std::optional<AuditArchive>> {
               AuditArchive archive;
               sql << "SELECT through_seq, last_hash, file, file_sha256, records, archived_at "
                      "FROM audit_archives ORDER BY through_seq DESC LIMIT 1",
                   soci::into(archive.through_seq), soci::into(archive.last_hash),
                   soci::into(archive.file), soci::into(archive.file_sha256),
                   soci::into(archive.records), soci::into(archive.archived_at);
               if (!sql.got_data()) return std::optional<AuditArchive>();
               return std::optional(archive);
             });
}

Result<std::int64_t> SqlIndex::GetAuditForwarded(const std::string& destination) {
  return Run(Access::kRead, "reading the audit forwarding cursor",
             [&](soci::session& sql) -> Result<std::int64_t> {
               std::int64_t last_seq = 0;
               sql << "SELECT last_seq FROM audit_forwarding WHERE destination = :destination",
                   soci::use(destination), soci::into(last_seq);
               return sql.got_data() ? last_seq : 0;
             });
}

Status SqlIndex::SetAuditForwarded(const std::string& destination, std::int64_t last_seq) {
  return Run(Access::kWrite, "recording the audit forwarding cursor",
             [&](soci::session& sql) -> Status {
               sql << "INSERT INTO audit_forwarding (destination, last_seq) VALUES "
                      "(:destination, :last_seq) ON CONFLICT (destination) DO UPDATE SET "
                      "last_seq = excluded.last_seq",
                   soci::use(destination), soci::use(last_seq);
               return Status::Ok();
             });
}

Result<std::int64_t> SqlIndex::FailInterruptedAudits(const std::string& alive_since,
                                                     UnownedAudits unowned) {
  const std::string failed(AuditOutcomeName(AuditOutcome::kFailed));
  const std::string in_progress(kInProgress);
  const std::string owned_only = unowned == UnownedAudits::kKeep ? "replica <> '' AND " : "";
  const std::shared_ptr<const MessageSigner> signer = audit_signer_.load();
  return Run(
      Access::kWrite, "failing interrupted audit records",
      [&](soci::session& sql) -> Result<std::int64_t> {
        Lock(sql, LockName::kAuditChain, "head");
        soci::statement update =
            (sql.prepare << "UPDATE audit SET outcome = :failed, detail = 'interrupted' "
                            "WHERE outcome = :in_progress AND " +
                                owned_only +
                                "replica NOT IN (SELECT id FROM replicas "
                                "WHERE heartbeat_at >= :alive_since)",
             soci::use(failed), soci::use(in_progress), soci::use(alive_since));
        update.execute(true);
        const auto interrupted = static_cast<std::int64_t>(update.get_affected_rows());
        std::vector<RowId> unsealed;
        RowId id = 0;
        soci::statement select = (sql.prepare << "SELECT id FROM audit WHERE chain_seq IS NULL AND "
                                                 "outcome <> :in_progress ORDER BY id",
                                  soci::use(in_progress), soci::into(id));
        select.execute();
        while (select.fetch()) unsealed.push_back(id);
        for (RowId each : unsealed) Seal(sql, each, signer.get());
        sql << "DELETE FROM replicas WHERE heartbeat_at < :alive_since", soci::use(alive_since);
        return interrupted;
      });
}

}  // namespace pacsport
