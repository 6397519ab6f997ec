#include <memory>

#include "core/byte_sink.h"
#include "core/names.h"
#include "http/request_parsing.h"
#include "http/responses.h"
#include "http/routes.h"

namespace pacsport::http {
namespace {

// When a refused export (too many running, audit unavailable) is worth retrying.
constexpr int kRetryAfterSeconds = 5;

// ByteSink over a chunked HTTP response; a failed write means the client is gone.
class ResponseSink : public ByteSink {
 public:
  explicit ResponseSink(httplib::DataSink& sink) : sink_(sink) {}
  Status Write(const char* data, size_t size) override {
    if (sink_.write(data, size)) return Status::Ok();
    return Unavailable("the client closed the connection");
  }

 private:
  httplib::DataSink& sink_;
};

Result<ExportRequest> ParseExportRequest(const httplib::Request& req, ExportScope scope,
                                         std::string target, const HttpSettings& settings) {
  ExportRequest request;
  request.scope = scope;
  request.target = std::move(target);
  auto images = BoolParam(req, "includeImages", scope != ExportScope::kAll);
  if (!images.ok()) return images.error();
  request.options.include_images = *images ? IncludeImages::kYes : IncludeImages::kNo;
  const std::string format = req.has_param("format") ? TextParam(req, "format") : "zip";
  if (format == "json") {
    request.options.format = ExportFormat::kJson;
    request.options.include_images = IncludeImages::kNo;
  } else if (format != "zip") {
    return InvalidInput("format must be zip or json");
  }
  auto level = IntParam(req, "compression", settings.default_compression_level, 0, 9);
  if (!level.ok()) return level.error();
  request.options.compression_level = static_cast<int>(*level);
  auto previews = BoolParam(req, "previews", true);
  if (!previews.ok()) return previews.error();
  request.options.previews = *previews ? IncludePreviews::kYes : IncludePreviews::kNo;
  auto size = IntParam(req, "previewSize", 0, 0, 65535);
  if (!size.ok()) return size.error();
  request.options.preview_max_side = static_cast<std::uint32_t>(*size);
  return request;
}

// The raw query, for the audit record of a request whose options did not parse.
std::string RawParameters(const httplib::Request& req) {
  nlohmann::ordered_json raw = nlohmann::ordered_json::object();
  for (const auto& [name, value] : req.params) raw[name] = value;
  return raw.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void HandleExport(const HttpServices& services, const HttpSettings& settings, ExportScope scope,
                  std::string target, const httplib::Request& req, httplib::Response& res) {
  const Result<Principal> principal = Authenticate(req, services.jwt, services.index);
  const Result<ExportRequest> request = ParseExportRequest(req, scope, target, settings);
  const ExportAttempt attempt{ClientAddress(req), Router::CurrentLabel(), std::move(target),
                              request.ok() ? DescribeOptions(request->options)
                                           : RawParameters(req)};
  auto begun = services.exports.Begin(attempt, principal, request);
  if (!begun.ok() && begun.error().code() == ErrorCode::kUnavailable) {
    res.set_header("Retry-After", std::to_string(kRetryAfterSeconds));
  }
  std::shared_ptr<ExportSession> session = std::move(begun).ValueOrThrow();

  res.set_header("Content-Disposition", ContentDisposition(session->plan().archive_name));
  res.set_header("Cache-Control", "no-store");
  if (session->plan().request.options.format == ExportFormat::kJson) {
    StringSink document;
    session->Deliver(document).ThrowIfError();
    res.set_content(document.bytes(), session->content_type());
    return;
  }
  // Streamed as produced. On any failure the provider returns false, which closes the
  // connection without the final chunk: the client sees a broken transfer, never a
  // truncated archive that looks complete.
  res.set_chunked_content_provider(
      session->content_type(), [session](size_t, httplib::DataSink& sink) {
        ResponseSink out(sink);
        if (!session->Deliver(out).ok()) return false;
        sink.done();
        return true;
      });
}

}  // namespace

void RegisterExportRoutes(Router& router, const HttpServices& services,
                          const HttpSettings& settings) {
  // Patient IDs may hold '/' or be empty, as in routes_browse.cpp.
  router.Get(R"(/api/export/patient/(.*))", "/api/export/patient/:patientID",
             [&services, settings](const httplib::Request& req, httplib::Response& res) {
    HandleExport(services, settings, ExportScope::kPatient, req.matches[1], req, res);
  });
  router.Get(R"(/api/export/study/([^/]+))", "/api/export/study/:studyUID",
             [&services, settings](const httplib::Request& req, httplib::Response& res) {
    HandleExport(services, settings, ExportScope::kStudy, req.matches[1], req, res);
  });
  router.Get(R"(/api/export/all)", "/api/export/all",
             [&services, settings](const httplib::Request& req, httplib::Response& res) {
    HandleExport(services, settings, ExportScope::kAll, "", req, res);
  });
}

}  // namespace pacsport::http
