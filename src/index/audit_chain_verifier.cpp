#include "index/audit_chain_verifier.h"

#include "index/audit_chain.h"

namespace pacsport {
namespace {

constexpr std::size_t kRecordsPerRead = 500;

// The first thing wrong with `record`, sealed as link `expected_seq` after
// `expected_prev`; "" when it is sound.
Result<std::string> Check(Index& index, const AuditRecord& record, std::int64_t expected_seq,
                          const std::string& expected_prev, const SignatureChecker* key) {
  if (*record.chain_seq != expected_seq) {
    return "records " + std::to_string(expected_seq) + " to " +
           std::to_string(*record.chain_seq - 1) + " of the chain were removed before it";
  }
  if (record.prev_hash != expected_prev) {
    return std::string(
        "it does not follow the record before it: a record before it was changed, removed or "
        "reordered");
  }
  auto studies = ReadAuditStudies(index, record.id);
  if (!studies.ok()) return studies.error();
  if (static_cast<std::int64_t>(studies->size()) != record.study_count ||
      AuditRecordHash(record, AuditStudiesHash(*studies), record.prev_hash) != record.record_hash) {
    return std::string("its content or its studies were changed after it was sealed");
  }
  if (key == nullptr) return std::string();
  if (record.signature.empty()) return std::string("it is not signed");
  if (record.key_id != key->id()) {
    return "it is signed by another key (" + record.key_id + ", not " + key->id() + ")";
  }
  if (!key->Verify(AuditSealMessage(*record.chain_seq, record.record_hash), record.signature)) {
    return std::string("its signature does not hold");
  }
  return std::string();
}

}  // namespace

Result<AuditChainReport> VerifyAuditChain(Index& index, const SignatureChecker* key) {
  AuditChainReport report;
  auto archive = index.LastAuditArchive();
  if (!archive.ok()) return archive.error();
  std::int64_t expected_seq = *archive ? (*archive)->through_seq + 1 : 1;
  std::string expected_prev = *archive ? (*archive)->last_hash : "";
  report.first_seq = expected_seq;

  AuditQuery unsealed;
  unsealed.outcome = AuditOutcome::kInProgress;
  unsealed.page.limit = 0;
  auto in_progress = index.ListAudit(unsealed);
  if (!in_progress.ok()) return in_progress.error();
  report.in_progress = in_progress->total;

  for (;;) {
    auto records = index.ListSealedAudit(expected_seq - 1, kRecordsPerRead);
    if (!records.ok()) return records.error();
    if (records->empty()) return report;
    for (const AuditRecord& record : *records) {
      auto problem = Check(index, record, expected_seq, expected_prev, key);
      if (!problem.ok()) return problem.error();
      if (!problem->empty()) {
        report.problem = AuditChainProblem{record.id, *record.chain_seq, std::move(*problem)};
        return report;
      }
      ++report.records;
      report.head_seq = *record.chain_seq;
      report.head_hash = record.record_hash;
      expected_seq = *record.chain_seq + 1;
      expected_prev = record.record_hash;
    }
  }
}

}  // namespace pacsport
