// SqlIndex: the export audit trail.
#include <soci/soci.h>

#include <stdexcept>

#include "index/sql_conditions.h"
#include "index/sql_index.h"

namespace pacsport {
namespace {

constexpr std::string_view kAuditSelect =
    "SELECT id, started_at, username, hospital_id, hospital_name, client_address, endpoint, "
    "target, parameters, outcome, detail, bytes_sent, entries, duration_ms, request_id";
constexpr std::string_view kAuditFrom = "FROM audit";
constexpr std::string_view kNewestFirst = "started_at DESC, id DESC";

// An audit row fetched into `record`, its nullable hospital and its outcome name.
struct AuditRow {
  void Exchange(soci::statement& st) {
    st.exchange(soci::into(record.id));
    st.exchange(soci::into(record.started_at));
    st.exchange(soci::into(record.username));
    st.exchange(soci::into(hospital_id, hospital_present));
    st.exchange(soci::into(record.hospital_name));
    st.exchange(soci::into(record.client_address));
    st.exchange(soci::into(record.endpoint));
    st.exchange(soci::into(record.target));
    st.exchange(soci::into(record.parameters));
    st.exchange(soci::into(outcome));
    st.exchange(soci::into(record.detail));
    st.exchange(soci::into(record.bytes_sent));
    st.exchange(soci::into(record.entries));
    st.exchange(soci::into(record.duration_ms));
    st.exchange(soci::into(record.request_id));
  }
  // The record of the row just fetched. Throws std::runtime_error for an outcome
  // this program does not know.
  AuditRecord Record() const {
    AuditRecord out = record;
    out.hospital_id = hospital_present == soci::i_ok ? std::optional(hospital_id) : std::nullopt;
    const auto parsed = ParseAuditOutcome(outcome);
    if (!parsed) throw std::runtime_error("an audit record has an unknown outcome");
    out.outcome = *parsed;
    return out;
  }

  AuditRecord record;
  RowId hospital_id = 0;
  soci::indicator hospital_present = soci::i_null;
  std::string outcome;
};

}  // namespace

Result<RowId> SqlIndex::OpenAudit(const AuditRecord& record) {
  const std::string started_at =
      record.started_at.empty() ? Iso8601(std::chrono::system_clock::now()) : record.started_at;
  const RowId hospital_id = record.hospital_id.value_or(0);
  soci::indicator hospital_present = record.hospital_id ? soci::i_ok : soci::i_null;
  const std::string outcome(AuditOutcomeName(record.outcome));
  return Run(Access::kWrite, "opening an audit record", [&](soci::session& sql) -> Result<RowId> {
    RowId id = 0;
    sql << "INSERT INTO audit (started_at, username, hospital_id, hospital_name, "
           "client_address, endpoint, target, parameters, outcome, detail, bytes_sent, entries, "
           "duration_ms, request_id) VALUES (:started_at, :username, :hospital_id, "
           ":hospital_name, :client_address, :endpoint, :target, :parameters, :outcome, :detail, "
           ":bytes_sent, :entries, :duration_ms, :request_id) RETURNING id",
        soci::use(started_at), soci::use(record.username), soci::use(hospital_id, hospital_present),
        soci::use(record.hospital_name), soci::use(record.client_address),
        soci::use(record.endpoint), soci::use(record.target), soci::use(record.parameters),
        soci::use(outcome), soci::use(record.detail), soci::use(record.bytes_sent),
        soci::use(record.entries), soci::use(record.duration_ms), soci::use(record.request_id),
        soci::into(id);
    return id;
  });
}

Status SqlIndex::CompleteAudit(RowId id, const AuditCompletion& completion) {
  if (completion.outcome == AuditOutcome::kInProgress) {
    return InvalidInput("an audit record is completed with a final outcome");
  }
  const std::string outcome(AuditOutcomeName(completion.outcome));
  const std::string in_progress(AuditOutcomeName(AuditOutcome::kInProgress));
  return Run(Access::kWrite, "completing an audit record", [&](soci::session& sql) -> Status {
    soci::statement update =
        (sql.prepare << "UPDATE audit SET outcome = :outcome, detail = :detail, "
                        "bytes_sent = :bytes_sent, entries = :entries, duration_ms = :duration_ms "
                        "WHERE id = :id AND outcome = :in_progress",
         soci::use(outcome), soci::use(completion.detail), soci::use(completion.bytes_sent),
         soci::use(completion.entries), soci::use(completion.duration_ms), soci::use(id),
         soci::use(in_progress));
    update.execute(true);
    if (update.get_affected_rows() > 0) return Status::Ok();
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
               Page<AuditRecord> page;
               page.total = where.Count(sql, kAuditFrom);
               AuditRow row;
               where.ForEachRow(
                   sql, kAuditSelect, kAuditFrom, kNewestFirst, q.page,
                   [&](soci::statement& st) { row.Exchange(st); },
                   [&] { page.items.push_back(row.Record()); });
               return page;
             });
}

Result<std::int64_t> SqlIndex::FailInterruptedAudits() {
  const std::string failed(AuditOutcomeName(AuditOutcome::kFailed));
  const std::string in_progress(AuditOutcomeName(AuditOutcome::kInProgress));
  return Run(Access::kWrite, "failing interrupted audit records",
             [&](soci::session& sql) -> Result<std::int64_t> {
               soci::statement update =
                   (sql.prepare << "UPDATE audit SET outcome = :failed, detail = 'interrupted' "
                                   "WHERE outcome = :in_progress",
                    soci::use(failed), soci::use(in_progress));
               update.execute(true);
               return static_cast<std::int64_t>(update.get_affected_rows());
             });
}

}  // namespace pacsport
