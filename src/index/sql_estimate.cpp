// SqlIndex: the sums an export estimate is computed from (export/export_estimate.h),
// in a few aggregate queries over the export's scope; no record is loaded.
#include <soci/soci.h>

#include <string>

#include "index/sql_index.h"

namespace pacsport {
namespace {

// Decimal text of a number, as the metadata document writes it.
#define PACSPORT_DIGITS(column) "LENGTH(CAST(" column " AS TEXT))"

// 1 for an encapsulated syntax (as ingest/deflated_size.h), 2 for a deflated dataset.
constexpr std::string_view kSyntaxKind =
    "CASE WHEN i.transfer_syntax LIKE '1.2.840.10008.1.2.4.%' "
    "OR i.transfer_syntax = '1.2.840.10008.1.2.5' THEN 1 "
    "WHEN i.transfer_syntax = '1.2.840.10008.1.2.1.99' THEN 2 ELSE 0 END";

constexpr std::string_view kInstanceText =
    "LENGTH(i.sop_uid) + LENGTH(se.series_uid) + LENGTH(st.study_uid) + LENGTH(p.patient_id) "
    "+ LENGTH(i.sop_class_uid) + LENGTH(i.transfer_syntax) + LENGTH(i.orthanc_id) "
    "+ LENGTH(i.sha256) + " PACSPORT_DIGITS("i.size_bytes") " + " PACSPORT_DIGITS(
        "i.frames") " + COALESCE(" PACSPORT_DIGITS("se.series_number") ", 4) + COALESCE(" PACSPORT_DIGITS("i.instance_number") ", 4)";

constexpr std::string_view kStudyText =
    "LENGTH(st.study_uid) + LENGTH(p.patient_id) + LENGTH(p.name) + LENGTH(st.study_date) "
    "+ LENGTH(st.study_time) + LENGTH(st.modalities) + LENGTH(st.description) "
    "+ LENGTH(st.accession) + COALESCE(LENGTH(st.ai_analysis), 4) + LENGTH(st.ai_models) "
    "+ LENGTH(st.ai_analyzed_at)";

constexpr std::string_view kPatientText =
    "LENGTH(p.patient_id) + LENGTH(p.name) + LENGTH(p.birth_date) + LENGTH(p.sex)";

#undef PACSPORT_DIGITS

// What a scope condition restricts: rows of studies `st` (and patients `p`), or rows of
// instances `i` joined to their series `se`, study and patient.
enum class ScopeRows { kStudies, kInstances };

// " AND column IN (:s0, :s1, ...)" for the query's ids, or "" for a whole hospital. A
// series scope holds the studies with such a series and, of their instances, the series'.
std::string ScopeCondition(const ExportScopeQuery& query, ScopeRows rows) {
  std::string ids;
  for (std::size_t i = 0; i < query.ids.size(); ++i) {
    ids += (i > 0 ? ", :s" : ":s") + std::to_string(i);
  }
  switch (query.kind) {
    case ExportScopeQuery::Kind::kHospital:
      return "";
    case ExportScopeQuery::Kind::kStudies:
      return " AND st.study_uid IN (" + ids + ")";
    case ExportScopeQuery::Kind::kPatients:
      return " AND p.patient_id IN (" + ids + ")";
    case ExportScopeQuery::Kind::kSeries:
      return rows == ScopeRows::kInstances
                 ? " AND se.series_uid IN (" + ids + ")"
                 : " AND EXISTS (SELECT 1 FROM series sx WHERE sx.study_row = st.id "
                   "AND sx.series_uid IN (" +
                       ids + "))";
  }
  return "";
}

// Prepares `sql_text` on `statement` with the hospital and the scope's ids bound after
// the into elements `exchange_into` adds.
template <typename ExchangeInto>
void Prepare(soci::statement& statement, const std::string& sql_text, const RowId& hospital_id,
             const ExportScopeQuery& query, ExchangeInto exchange_into) {
  exchange_into(statement);
  statement.exchange(soci::use(hospital_id));
  if (query.kind != ExportScopeQuery::Kind::kHospital) {
    for (const std::string& id : query.ids) statement.exchange(soci::use(id));
  }
  statement.alloc();
  statement.prepare(sql_text);
  statement.define_and_bind();
}

std::optional<std::int64_t> Nullable(std::int64_t value, soci::indicator indicator) {
  return indicator == soci::i_ok ? std::optional(value) : std::nullopt;
}

}  // namespace

Result<ExportScopeTotals> SqlIndex::SumExportScope(RowId hospital_id,
                                                   const ExportScopeQuery& query) {
  if (query.ids.size() > kMaxScopeIds) {
    return InvalidInput("at most " + std::to_string(kMaxScopeIds) + " ids");
  }
  if (query.kind != ExportScopeQuery::Kind::kHospital && query.ids.empty()) {
    return ExportScopeTotals{};
  }
  return Run(
      Access::kRead, "summing an export's scope",
      [&](soci::session& sql) -> Result<ExportScopeTotals> {
        ExportScopeTotals totals;
        const std::string studies_from =
            " FROM studies st JOIN patients p ON p.id = st.patient_row "
            "WHERE st.hospital_id = :hospital" +
            ScopeCondition(query, ScopeRows::kStudies);
        {
          soci::statement st(sql);
          Prepare(st,
                  "SELECT COUNT(*), COUNT(DISTINCT st.patient_row), "
                  "CAST(COALESCE(SUM(" +
                      std::string(kStudyText) + "), 0) AS BIGINT)" + studies_from,
                  hospital_id, query, [&](soci::statement& s) {
                    s.exchange(soci::into(totals.studies));
                    s.exchange(soci::into(totals.patients));
                    s.exchange(soci::into(totals.study_text_chars));
                  });
          st.execute(true);
        }
        {
          soci::statement st(sql);
          Prepare(st,
                  "SELECT CAST(COALESCE(SUM(" + std::string(kPatientText) +
                      "), 0) AS BIGINT) FROM patients p WHERE p.id IN "
                      "(SELECT st.patient_row" +
                      studies_from + ")",
                  hospital_id, query,
                  [&](soci::statement& s) { s.exchange(soci::into(totals.patient_text_chars)); });
          st.execute(true);
        }
        InstanceGroupTotals group;
        soci::indicator rows = soci::i_null, columns = soci::i_null, samples = soci::i_null,
                        bits = soci::i_null;
        std::int64_t rows_value = 0, columns_value = 0, samples_value = 0, bits_value = 0;
        int syntax_kind = 0;
        const std::string sum_folder = "LENGTH(st.study_uid) + LENGTH(p.patient_id)";
        soci::statement st(sql);
        Prepare(st,
                "SELECT i.pixel_rows, i.pixel_columns, i.samples_per_pixel, i.bits_allocated, " +
                    std::string(kSyntaxKind) +
                    ", COUNT(*), CAST(SUM(i.frames) AS BIGINT), CAST(SUM(i.size_bytes) AS BIGINT), "
                    "CAST(SUM(CASE WHEN i.deflated_bytes IS NULL THEN 0 ELSE i.size_bytes END) "
                    "AS BIGINT), CAST(SUM(COALESCE(i.deflated_bytes, 0)) AS BIGINT), "
                    "CAST(SUM(" +
                    std::string(kInstanceText) + ") AS BIGINT), CAST(SUM(" + sum_folder +
                    ") AS BIGINT), CAST(SUM(i.frames * (" + sum_folder +
                    ")) AS BIGINT) FROM instances i JOIN series se ON se.id = i.series_row "
                    "JOIN studies st ON st.id = se.study_row "
                    "JOIN patients p ON p.id = st.patient_row "
                    "WHERE st.hospital_id = :hospital" +
                    ScopeCondition(query, ScopeRows::kInstances) +
                    " GROUP BY i.pixel_rows, i.pixel_columns, i.samples_per_pixel, "
                    "i.bits_allocated, " +
                    std::string(kSyntaxKind),
                hospital_id, query, [&](soci::statement& s) {
                  s.exchange(soci::into(rows_value, rows));
                  s.exchange(soci::into(columns_value, columns));
                  s.exchange(soci::into(samples_value, samples));
                  s.exchange(soci::into(bits_value, bits));
                  s.exchange(soci::into(syntax_kind));
                  s.exchange(soci::into(group.instances));
                  s.exchange(soci::into(group.frames));
                  s.exchange(soci::into(group.bytes));
                  s.exchange(soci::into(group.measured_bytes));
                  s.exchange(soci::into(group.deflated_bytes));
                  s.exchange(soci::into(group.text_chars));
                  s.exchange(soci::into(group.folder_chars));
                  s.exchange(soci::into(group.frame_folder_chars));
                });
        st.execute();
        while (st.fetch()) {
          group.rows = Nullable(rows_value, rows);
          group.columns = Nullable(columns_value, columns);
          group.samples_per_pixel = Nullable(samples_value, samples);
          group.bits_allocated = Nullable(bits_value, bits);
          group.encapsulated = syntax_kind == 1;
          group.deflated_dataset = syntax_kind == 2;
          totals.groups.push_back(group);
        }
        return totals;
      });
}

}  // namespace pacsport
