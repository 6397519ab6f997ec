#include "core/names.h"
#include "export/record_json.h"
#include "http/request_parsing.h"
#include "http/responses.h"
#include "http/routes.h"

namespace pacsport::http {
namespace {

// A Patient ID may contain '/' (cpp-httplib decodes %2F before matching) and may be
// empty (type 2 in DICOM): "/api/patients/" names the patient without an ID.
constexpr const char* kPatientId = R"((.*))";
constexpr const char* kStudyUid = R"(([^/]+))";

Result<std::string> ValidPatientId(std::string id) {
  if (!IsValidPatientId(id)) return InvalidInput("patientID is longer than 64 characters");
  return id;
}

Result<StudySort> ParseStudySort(const std::string& value) {
  if (value.empty() || value == "date-desc") return StudySort::kDateDesc;
  if (value == "date-asc") return StudySort::kDateAsc;
  if (value == "patient") return StudySort::kPatientName;
  if (value == "modality") return StudySort::kModality;
  if (value == "description") return StudySort::kDescription;
  return InvalidInput("sort must be date-desc, date-asc, patient, modality or description");
}

template <typename T, typename ToJson>
nlohmann::ordered_json PageJson(const char* key, const Page<T>& page, const PageRequest& request,
                                ToJson to_json) {
  nlohmann::ordered_json items = nlohmann::ordered_json::array();
  for (const T& item : page.items) items.push_back(to_json(item));
  return {
      {key, items}, {"total", page.total}, {"offset", request.offset}, {"limit", request.limit}};
}

void SendStudies(httplib::Response& res, Index& index, const Principal& principal,
                 StudyQuery query) {
  auto page = index.ListStudies(principal.hospital_id, query).ValueOrThrow();
  SendJson(res, PageJson("studies", page, query.page, StudyJson));
}

}  // namespace

void RegisterBrowseRoutes(Router& router, const HttpServices& services) {
  auto principal_of = [&services](const httplib::Request& req) {
    return Authenticate(req, services.jwt, services.index).ValueOrThrow();
  };

  router.Get(R"(/api/patients)", "/api/patients",
             [&services, principal_of](const httplib::Request& req, httplib::Response& res) {
               const Principal principal = principal_of(req);
               PatientQuery query{TextParam(req, "search"), PageParams(req).ValueOrThrow()};
               auto page = services.index.ListPatients(principal.hospital_id, query).ValueOrThrow();
               SendJson(res, PageJson("patients", page, query.page, PatientJson));
             });

  // Before the plain patient route, which would also match ".../studies".
  router.Get(std::string("/api/patients/") + kPatientId + "/studies",
             "/api/patients/:patientID/studies",
             [&services, principal_of](const httplib::Request& req, httplib::Response& res) {
               const Principal principal = principal_of(req);
               const std::string patient_id = ValidPatientId(req.matches[1]).ValueOrThrow();
               services.index.GetPatient(principal.hospital_id, patient_id).ValueOrThrow();
               StudyQuery query;
               query.patient_id = patient_id;
               query.page = PageParams(req).ValueOrThrow();
               SendStudies(res, services.index, principal, std::move(query));
             });

  router.Get(std::string("/api/patients/") + kPatientId, "/api/patients/:patientID",
             [&services, principal_of](const httplib::Request& req, httplib::Response& res) {
               const Principal principal = principal_of(req);
               const std::string patient_id = ValidPatientId(req.matches[1]).ValueOrThrow();
               auto patient = services.index.GetPatient(principal.hospital_id, patient_id);
               SendJson(res, PatientJson(std::move(patient).ValueOrThrow()));
             });

  router.Get(R"(/api/studies)", "/api/studies",
             [&services, principal_of](const httplib::Request& req, httplib::Response& res) {
               const Principal principal = principal_of(req);
               StudyQuery query;
               if (req.has_param("patientID")) query.patient_id = req.get_param_value("patientID");
               query.search = TextParam(req, "search");
               query.modality = TextParam(req, "modality");
               query.sort = ParseStudySort(TextParam(req, "sort")).ValueOrThrow();
               query.page = PageParams(req).ValueOrThrow();
               SendStudies(res, services.index, principal, std::move(query));
             });

  router.Get(std::string("/api/studies/") + kStudyUid, "/api/studies/:studyUID",
             [&services, principal_of](const httplib::Request& req, httplib::Response& res) {
               const Principal principal = principal_of(req);
               const std::string uid = req.matches[1];
               if (!IsValidUid(uid))
                 throw ErrorException(InvalidInput("studyUID is not a valid DICOM UID"));
               auto study = services.index.GetStudy(principal.hospital_id, uid).ValueOrThrow();
               auto instances =
                   services.index.ListStudyInstances(principal.hospital_id, uid).ValueOrThrow();
               nlohmann::ordered_json body = StudyJson(study);
               body["instances"] = nlohmann::ordered_json::array();
               for (const InstanceRecord& instance : instances)
                 body["instances"].push_back(InstanceJson(instance));
               SendJson(res, body);
             });

  // Frame 0 of the study's first instance with an image, at most `size` pixels (default
  // 128, at most 512: the enlarged preview) on its longest side. 404 for a study the
  // hospital lacks; 204 when none of its images renders, so that a browser asking for it
  // does not log a failed request.
  router.Get(
      std::string("/api/studies/") + kStudyUid + "/thumbnail", "/api/studies/:studyUID/thumbnail",
      [&services, principal_of](const httplib::Request& req, httplib::Response& res) {
        constexpr std::int64_t kMaxFileBytes = std::int64_t{64} << 20;  // read whole
        const Principal principal = principal_of(req);
        const std::string uid = req.matches[1];
        if (!IsValidUid(uid))
          throw ErrorException(InvalidInput("studyUID is not a valid DICOM UID"));
        const auto side = IntParam(req, "size", 128, 16, 512).ValueOrThrow();
        services.index.GetStudy(principal.hospital_id, uid).ValueOrThrow();
        auto instances =
            services.index.ListStudyInstances(principal.hospital_id, uid).ValueOrThrow();
        for (const InstanceRecord& instance : instances) {
          if (instance.number_of_frames == 0 || instance.size > kMaxFileBytes) continue;
          auto bytes = services.sources.Read(instance.location);
          if (!bytes.ok()) continue;
          auto frame = services.previews.RenderFirstFrame(
              {principal.hospital_id, static_cast<uint32_t>(side), instance.number_of_frames},
              *bytes);
          if (!frame.ok()) continue;
          res.set_header("Cache-Control", "private, max-age=300");
          res.set_content(frame->png, "image/png");
          return;
        }
        res.set_header("Cache-Control", "private, max-age=300");
        res.status = 204;
      });
}

}  // namespace pacsport::http
