#include "index/audit_chain.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/digest.h"

namespace pacsport {

std::string AuditStudiesHash(const std::vector<AuditStudy>& studies) {
  std::vector<const AuditStudy*> sorted;
  sorted.reserve(studies.size());
  for (const AuditStudy& study : studies) sorted.push_back(&study);
  std::sort(sorted.begin(), sorted.end(),
            [](const AuditStudy* a, const AuditStudy* b) { return a->study_uid < b->study_uid; });
  Sha256 hash;
  for (const AuditStudy* study : sorted) {
    hash.Update(study->study_uid.data(), study->study_uid.size());
    hash.Update("\t", 1);
    hash.Update(study->patient_id.data(), study->patient_id.size());
    hash.Update("\n", 1);
  }
  return hash.FinishHex();
}

// Not export/record_json.h's AuditJson, on purpose: this text is frozen ("v": 1) so
// that every seal ever made can be checked again, while the API's shape may grow.
std::string AuditContent(const AuditRecord& r, std::string_view studies_hash) {
  const nlohmann::ordered_json content = {
      {"v", 1},
      {"chainSeq", r.chain_seq.value_or(0)},
      {"id", r.id},
      {"startedAt", r.started_at},
      {"username", r.username},
      {"role", r.role},
      {"hospitalId", r.hospital_id ? nlohmann::ordered_json(*r.hospital_id) : nullptr},
      {"hospital", r.hospital_name},
      {"clientAddress", r.client_address},
      {"requestId", r.request_id},
      {"endpoint", r.endpoint},
      {"scope", r.scope},
      {"target", r.target},
      {"targetLabel", r.target_label},
      {"parameters", r.parameters},
      {"outcome", AuditOutcomeName(r.outcome)},
      {"detail", r.detail},
      {"bytesSent", r.bytes_sent},
      {"entries", r.entries},
      {"instances", r.instances},
      {"studyCount", r.study_count},
      {"studiesSha256", studies_hash},
      {"contentSha256", r.content_sha256},
      {"durationMs", r.duration_ms},
      {"keyId", r.key_id},
  };
  // Invalid UTF-8 is replaced rather than thrown on: the content stays hashable.
  return content.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string AuditRecordHash(const AuditRecord& record, std::string_view studies_hash,
                            std::string_view prev_hash) {
  std::string text(prev_hash);
  text += '\n';
  text += AuditContent(record, studies_hash);
  return Sha256Hex(text);
}

Result<std::vector<AuditStudy>> ReadAuditStudies(Index& index, RowId id) {
  constexpr std::int64_t kStudiesPerRead = 5000;
  std::vector<AuditStudy> studies;
  PageRequest page{0, kStudiesPerRead};
  for (;;) {
    auto read = index.ListAuditStudies(id, page);
    if (!read.ok()) return read.error();
    studies.insert(studies.end(), read->items.begin(), read->items.end());
    page.offset += kStudiesPerRead;
    if (page.offset >= read->total) return studies;
  }
}

std::string AuditSealMessage(std::int64_t chain_seq, std::string_view record_hash) {
  return "pacsport-audit-v1 " + std::to_string(chain_seq) + " " + std::string(record_hash);
}

}  // namespace pacsport
