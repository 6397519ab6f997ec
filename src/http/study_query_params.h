// The filters and order of GET /api/studies, read from its query parameters:
// search, studyDateFrom and studyDateTo (YYYY-MM-DD, inclusive), accession,
// birthDate (YYYY-MM-DD), modality (comma-separated), hasAi
// (true/false), sort, patientID, offset and limit. Internal to src/http. Thread-safe.
#pragma once

#include <httplib.h>

#include <string>

#include "core/error.h"
#include "index/index.h"

namespace pacsport::http {

// The sort values GET /api/studies accepts: date-desc (default), date-asc, patient
// (or patient-asc), patient-desc, modality (or modality-asc), modality-desc,
// description (or description-asc), description-desc.
Result<StudySort> ParseStudySort(const std::string& value);

// kInvalidInput naming the parameter at fault: a date that is not a calendar date
// written YYYY-MM-DD, studyDateFrom after studyDateTo, a bad hasAi or sort, bad paging.
Result<StudyQuery> StudyQueryParams(const httplib::Request& req);

}  // namespace pacsport::http
