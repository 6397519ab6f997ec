#include "core/clock.h"
#include "core/names.h"
#include "export/record_json.h"
#include "http/request_parsing.h"
#include "http/responses.h"
#include "http/routes.h"
#include "preview/shared_object.h"

namespace pacsport::http {
namespace {

// The AI results of PUT /api/studies/:studyUID/ai-analysis, validated.
struct AiAnalysis {
  std::string analysis_json;
  std::vector<std::string> models;
};

Result<AiAnalysis> ParseAiAnalysis(const nlohmann::ordered_json& body) {
  const auto analysis = body.find("analysis");
  if (analysis == body.end() || !analysis->is_object()) {
    return InvalidInput("\"analysis\" must be a JSON object");
  }
  AiAnalysis parsed{analysis->dump(), {}};
  if (const auto models = body.find("models"); models != body.end()) {
    if (!models->is_array()) return InvalidInput("\"models\" must be an array of strings");
    for (const auto& model : *models) {
      if (!model.is_string() || model.get<std::string>().empty()) {
        return InvalidInput("\"models\" must be an array of non-empty strings");
      }
      parsed.models.push_back(model.get<std::string>());
    }
  }
  return parsed;
}

// The request body, read into an unnamed temporary file. kInvalidInput when the client
// sent less than it announced; kUnavailable when the disk refuses.
Result<preview::SharedObject> SpoolBody(const httplib::ContentReader& read_body) {
  auto writer = preview::SharedObjectWriter::Create(std::filesystem::temp_directory_path());
  if (!writer.ok()) return writer.error();
  Status written = Status::Ok();
  const bool complete = read_body([&](const char* data, size_t size) {
    written = writer->Append(std::string_view(data, size));
    return written.ok();
  });
  if (!written.ok()) return written.error();
  if (!complete) return InvalidInput("the upload ended before its announced Content-Length");
  return writer->Finish();
}

}  // namespace

void RegisterIngestRoutes(Router& router, const HttpServices& services) {
  // The upload is spooled to an unnamed temporary file as it arrives and ingested from
  // there, so that it costs disk, never memory, whatever its size.
  router.PostStreamed(
      R"(/api/instances)", "/api/instances",
      [&services](const httplib::Request& req, httplib::Response& res,
                  const httplib::ContentReader& read_body) {
        const Principal principal = Authenticate(req, services.jwt, services.index).ValueOrThrow();
        RequireRole(principal, {Role::kAdmin, Role::kAi}).ThrowIfError();
        if (!HasMediaType(req, "application/dicom")) {
          throw ErrorException(Error(ErrorCode::kUnsupportedMediaType,
                                     "send one DICOM Part 10 file as application/dicom"));
        }
        const preview::SharedObject upload = SpoolBody(read_body).ValueOrThrow();
        auto ingested =
            services.ingestor
                .IngestFile(principal.hospital_id, "/proc/self/fd/" + std::to_string(upload.fd()))
                .ValueOrThrow();
        const bool added = ingested.outcome == IngestOutcome::kAdded;
        SendJson(res,
                 {{"status", added ? "added" : "alreadyPresent"},
                  {"sopInstanceUID", ingested.sop_instance_uid},
                  {"studyInstanceUID", ingested.study_instance_uid},
                  {"sha256", ingested.sha256},
                  {"size", ingested.size}},
                 added ? 201 : 200);
      },
      Body::kDicom);

  router.Put(
      R"(/api/studies/([^/]+)/ai-analysis)", "/api/studies/:studyUID/ai-analysis",
      [&services](const httplib::Request& req, httplib::Response& res) {
        const Principal principal = Authenticate(req, services.jwt, services.index).ValueOrThrow();
        RequireRole(principal, {Role::kAdmin, Role::kAi}).ThrowIfError();
        const std::string uid = req.matches[1];
        if (!IsValidUid(uid))
          throw ErrorException(InvalidInput("studyUID is not a valid DICOM UID"));
        const AiAnalysis analysis =
            ParseAiAnalysis(JsonObjectBody(req).ValueOrThrow()).ValueOrThrow();
        services.index
            .SetAiAnalysis(principal.hospital_id, uid, analysis.analysis_json, analysis.models,
                           Iso8601(std::chrono::system_clock::now()))
            .ThrowIfError();
        SendJson(res,
                 StudyJson(services.index.GetStudy(principal.hospital_id, uid).ValueOrThrow()));
      },
      Body::kJson);
}

}  // namespace pacsport::http
