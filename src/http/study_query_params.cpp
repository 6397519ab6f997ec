#include "http/study_query_params.h"

#include <charconv>
#include <chrono>
#include <string_view>

#include "http/request_parsing.h"

namespace pacsport::http {
namespace {

// `value` ("YYYY-MM-DD", a real calendar date) as DICOM DA ("YYYYMMDD"); "" when absent.
Result<std::string> DateParam(const httplib::Request& req, const std::string& name) {
  const std::string value = TextParam(req, name);
  if (value.empty()) return std::string();
  const auto invalid = InvalidInput(name + " must be a date written YYYY-MM-DD");
  if (value.size() != 10 || value[4] != '-' || value[7] != '-') return invalid;
  int year = 0;
  unsigned month = 0;
  unsigned day = 0;
  const auto number = [&](std::size_t at, std::size_t length, auto& out) {
    const char* first = value.data() + at;
    const auto [end, error] = std::from_chars(first, first + length, out);
    return error == std::errc() && end == first + length;
  };
  if (!number(0, 4, year) || !number(5, 2, month) || !number(8, 2, day)) return invalid;
  const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(month),
                                         std::chrono::day(day)};
  if (!date.ok()) return invalid;
  return value.substr(0, 4) + value.substr(5, 2) + value.substr(8, 2);
}

// The comma-separated values of parameter `name`, empty ones left out.
std::vector<std::string> ListParam(const httplib::Request& req, const std::string& name) {
  std::vector<std::string> values;
  const std::string value = TextParam(req, name);
  std::size_t start = 0;
  while (start < value.size()) {
    const std::size_t comma = std::min(value.find(',', start), value.size());
    if (comma > start) values.push_back(value.substr(start, comma - start));
    start = comma + 1;
  }
  return values;
}

}  // namespace

Result<StudySort> ParseStudySort(const std::string& value) {
  if (value.empty() || value == "date-desc") return StudySort::kDateDesc;
  if (value == "date-asc") return StudySort::kDateAsc;
  if (value == "patient" || value == "patient-asc") return StudySort::kPatientName;
  if (value == "patient-desc") return StudySort::kPatientNameDesc;
  if (value == "modality" || value == "modality-asc") return StudySort::kModality;
  if (value == "modality-desc") return StudySort::kModalityDesc;
  if (value == "description" || value == "description-asc") return StudySort::kDescription;
  if (value == "description-desc") return StudySort::kDescriptionDesc;
  return InvalidInput(
      "sort must be date-desc, date-asc, patient, patient-desc, modality, modality-desc, "
      "description or description-desc");
}

Result<StudyQuery> StudyQueryParams(const httplib::Request& req) {
  StudyQuery query;
  if (req.has_param("patientID")) query.patient_id = req.get_param_value("patientID");
  query.search = TextParam(req, "search");
  auto from = DateParam(req, "studyDateFrom");
  if (!from.ok()) return from.error();
  auto to = DateParam(req, "studyDateTo");
  if (!to.ok()) return to.error();
  if (!from->empty() && !to->empty() && *from > *to) {
    return InvalidInput("studyDateFrom is after studyDateTo");
  }
  query.date_from = std::move(*from);
  query.date_to = std::move(*to);
  auto birth_date = DateParam(req, "birthDate");
  if (!birth_date.ok()) return birth_date.error();
  query.birth_date = std::move(*birth_date);
  query.accession = TextParam(req, "accession");
  query.modalities = ListParam(req, "modality");
  if (req.has_param("hasAi")) {
    auto has_ai = BoolParam(req, "hasAi", false);
    if (!has_ai.ok()) return has_ai.error();
    query.has_ai = *has_ai;
  }
  auto sort = ParseStudySort(TextParam(req, "sort"));
  if (!sort.ok()) return sort.error();
  query.sort = *sort;
  auto page = PageParams(req);
  if (!page.ok()) return page.error();
  query.page = *page;
  return query;
}

}  // namespace pacsport::http
