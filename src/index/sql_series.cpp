// SqlIndex: a study's series list.
#include <soci/soci.h>

#include "index/sql_index.h"
#include "index/sql_rows.h"

namespace pacsport {

Result<std::vector<SeriesSummary>> SqlIndex::ListStudySeries(RowId hospital_id,
                                                             const std::string& study_uid) {
  return Run(
      Access::kRead, "listing a study's series",
      [&](soci::session& sql) -> Result<std::vector<SeriesSummary>> {
        if (!sql_rows::StudyExists(sql, hospital_id, study_uid)) {
          return NotFound("no such study");
        }
        SeriesSummary row;
        soci::indicator number = soci::i_null;
        std::int64_t number_value = 0;
        soci::statement st =
            (sql.prepare << "SELECT x.series_uid, x.series_number, x.modality, "
                            "x.description, COUNT(i.id), "
                            "CAST(COALESCE(SUM(i.size_bytes), 0) AS BIGINT) "
                            "FROM series x JOIN studies s ON s.id = x.study_row "
                            "LEFT JOIN instances i ON i.series_row = x.id "
                            "WHERE s.hospital_id = :hospital_id AND s.study_uid = :study_uid "
                            "GROUP BY x.id, x.series_uid, x.series_number, x.modality, "
                            "x.description "
                            "ORDER BY x.series_number IS NULL, x.series_number, x.series_uid",
             soci::into(row.series_instance_uid), soci::into(number_value, number),
             soci::into(row.modality), soci::into(row.description), soci::into(row.instances),
             soci::into(row.bytes), soci::use(hospital_id), soci::use(study_uid));
        std::vector<SeriesSummary> series;
        st.execute();
        while (st.fetch()) {
          row.series_number = number == soci::i_ok ? std::optional(number_value) : std::nullopt;
          series.push_back(row);
        }
        return series;
      });
}

}  // namespace pacsport
