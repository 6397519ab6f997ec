#include <spdlog/spdlog.h>

#include <functional>
#include <memory>

#include "core/byte_sink.h"
#include "core/clock.h"
#include "core/names.h"
#include "export/export_estimate.h"
#include "http/byte_range.h"
#include "http/client_address.h"
#include "http/request_id.h"
#include "http/request_parsing.h"
#include "http/responses.h"
#include "http/routes.h"

namespace pacsport::http {
namespace {

// When a refused export (a share or the server full, audit unavailable) is worth
// retrying.
constexpr int kRetryAfterSeconds = 5;

// Retry-After on the refusals that the same request may overcome later.
void SetRetryAfter(const Error& error, httplib::Response& res) {
  if (error.code() == ErrorCode::kUnavailable || error.code() == ErrorCode::kTooManyRequests) {
    res.set_header("Retry-After", std::to_string(kRetryAfterSeconds));
  }
}

// cpp-httplib serves HEAD with the GET handler. An export's HEAD would start the
// export (audit record, slot, plan) or use up a download link only for headers, so
// these routes answer GET only: anything else is refused before any of that.
Handler GetOnly(Handler handler) {
  return [handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
    if (req.method != "GET") {
      res.set_header("Allow", "GET");
      return SendError(res, Error(ErrorCode::kMethodNotAllowed, "this route answers GET only"));
    }
    handler(req, res);
  };
}

// ByteSink over a chunked HTTP response; a failed write means the client is gone.
class ResponseSink : public ByteSink {
 public:
  explicit ResponseSink(httplib::DataSink& sink) : sink_(sink) {}
  Status Write(const char* data, size_t size) override {
    if (sink_.write(data, size)) return Status::Ok();
    return Unavailable("the client closed the connection or stopped reading");
  }

 private:
  httplib::DataSink& sink_;
};

// deidentify=basic&project=P&deidentifyOptions=a,b&includeBurnedIn=true: the
// de-identification asked for, if any; its other parameters without deidentify are
// refused (kInvalidInput naming them), as is anything MakeRequest refuses.
Result<std::optional<deid::DeidentifyRequest>> ParseDeidentify(const httplib::Request& req) {
  if (!req.has_param("deidentify")) {
    for (const char* name : {"project", "deidentifyOptions", "includeBurnedIn"}) {
      if (req.has_param(name))
        return InvalidInput(std::string(name) + " requires deidentify=basic");
    }
    return std::optional<deid::DeidentifyRequest>();
  }
  std::vector<std::string> options;
  if (const std::string listed = TextParam(req, "deidentifyOptions"); !listed.empty()) {
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = listed.find(',', start);
      options.push_back(listed.substr(start, comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  auto burned_in = BoolParam(req, "includeBurnedIn", false);
  if (!burned_in.ok()) return burned_in.error();
  auto request =
      deid::MakeRequest(TextParam(req, "deidentify"), TextParam(req, "project"), options,
                        *burned_in ? deid::IncludeBurnedIn::kYes : deid::IncludeBurnedIn::kNo);
  if (!request.ok()) return request.error();
  return std::optional<deid::DeidentifyRequest>(std::move(*request));
}

Result<ExportRequest> ParseExportRequest(const httplib::Request& req, ExportScope scope,
                                         std::string target, const HttpSettings& settings) {
  ExportRequest request;
  request.scope = scope;
  request.target = std::move(target);
  auto images = BoolParam(req, "includeImages", scope != ExportScope::kAll);
  if (!images.ok()) return images.error();
  request.options.include_images = *images ? IncludeImages::kYes : IncludeImages::kNo;
  const auto format = FormatNamed(req.has_param("format") ? TextParam(req, "format") : "zip");
  if (!format) return InvalidInput("format must be zip, json or media");
  request.options.format = *format;
  if (Status s = CheckDiscScope(request); !s.ok()) return s.error();
  if (*format == ExportFormat::kJson) request.options.include_images = IncludeImages::kNo;
  if (*format == ExportFormat::kMedia && !*images) {
    return InvalidInput("format=media is a disc of the images: includeImages cannot be false");
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
  auto deidentify = ParseDeidentify(req);
  if (!deidentify.ok()) return deidentify.error();
  request.options.deidentify = std::move(*deidentify);
  return request;
}

// The raw query, for the audit record of a request whose options did not parse.
std::string RawParameters(const httplib::Request& req) {
  nlohmann::ordered_json raw = nlohmann::ordered_json::object();
  for (const auto& [name, value] : req.params) raw[name] = value;
  return raw.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// Reports what became of one use of a download link to its status (GET
// /api/export/link-status/:token), once: the first Finish counts, and a use that is
// never finished (the response dropped before the export was delivered) ends failed.
// Used by one thread at a time; `links` must outlive it. A report the index cannot
// take is logged: the download itself goes on.
class LinkUse {
 public:
  LinkUse(DownloadLinks& links, std::string token) : links_(links), token_(std::move(token)) {
    Report({DownloadLinks::UseState::kStreaming});
  }
  ~LinkUse() { Finish(Unavailable("the download was interrupted before the export was sent")); }
  LinkUse(const LinkUse&) = delete;
  LinkUse& operator=(const LinkUse&) = delete;

  void Finish(const Status& outcome) {
    if (finished_) return;
    finished_ = true;
    if (outcome.ok()) return Report({DownloadLinks::UseState::kCompleted});
    Report({DownloadLinks::UseState::kFailed, outcome.error()});
  }

 private:
  void Report(const DownloadLinks::Use& use) {
    if (const Status reported = links_.Report(token_, use); !reported.ok()) {
      spdlog::warn("could not record a download link's use: {}", reported.error().message());
    }
  }

  DownloadLinks& links_;
  const std::string token_;
  bool finished_ = false;
};

// Begins the audited export and streams it (archive or document) as it is produced;
// `use`, for a download link, learns how it ended.
void BeginAndSend(const HttpServices& services, const ExportAttempt& attempt,
                  const Result<Principal>& principal, const Result<ExportRequest>& request,
                  const httplib::Request& req, httplib::Response& res,
                  std::shared_ptr<LinkUse> use = nullptr) {
  auto begun = services.exports.Begin(attempt, principal, request);
  if (!begun.ok()) {
    SetRetryAfter(begun.error(), res);
    if (use) use->Finish(begun.error());
  }
  std::shared_ptr<ExportSession> session = std::move(begun).ValueOrThrow();

  // Made as it is sent, so it cannot be cut: a Range gets the whole (200).
  IgnoreRange(req);
  res.set_header("Content-Disposition", ContentDisposition(session->plan().archive_name));
  res.set_header("Cache-Control", "no-store");
  // Streamed as produced, the document of format=json too. On any failure the provider returns
  // false, which closes the connection without the final chunk: the client sees a broken transfer,
  // never a truncated archive that looks complete.
  res.set_chunked_content_provider(session->content_type(),
                                   [session, use](size_t, httplib::DataSink& sink) {
                                     ResponseSink out(sink);
                                     const Status delivered = session->Deliver(out);
                                     if (!delivered.ok()) {
                                       if (use) use->Finish(delivered);
                                       return false;
                                     }
                                     // Recorded before the final chunk, as the audit
                                     // record is: a client holding the whole export
                                     // then reads "completed" from any replica.
                                     if (use) use->Finish(Status::Ok());
                                     sink.done();
                                     return true;
                                   });
}

void HandleExport(const HttpServices& services, const HttpSettings& settings, ExportScope scope,
                  std::string target, const httplib::Request& req, httplib::Response& res) {
  const Result<Principal> principal = Authenticate(req, services.jwt, services.index);
  const Result<ExportRequest> request = ParseExportRequest(req, scope, target, settings);
  const ExportAttempt attempt{CurrentClientAddress(), Router::CurrentLabel(), std::move(target),
                              request.ok() ? DescribeOptions(request->options) : RawParameters(req),
                              CurrentRequestId()};
  BeginAndSend(services, attempt, principal, request, req, res);
}

// The principal of a link's grant, if the user still holds that role in that hospital.
Result<Principal> StillEntitled(Index& index, const Principal& principal) {
  auto user = index.FindUser(principal.username);
  if (!user.ok() || user->hospital_id != principal.hospital_id || user->role != principal.role) {
    return Unauthenticated("the user of this download link no longer holds its rights");
  }
  return principal;
}

// A link's finished job archive, any number of ranges until one download of it ends.
void ServeLinkedArchive(const HttpServices& services, DownloadLinks& links,
                        const std::string& token, const DownloadLinks::Grant& grant,
                        const httplib::Request& req, httplib::Response& res) {
  const Principal principal = StillEntitled(services.index, grant.principal).ValueOrThrow();
  const nlohmann::ordered_json parameters = {
      {"range", req.has_header("Range") ? nlohmann::ordered_json(req.get_header_value("Range"))
                                        : nlohmann::ordered_json(nullptr)}};
  auto download = services.jobs.OpenArchive(principal, grant.job_id,
                                            {CurrentClientAddress(), Router::CurrentLabel(),
                                             grant.job_id, parameters.dump(), CurrentRequestId()});
  ServeJobArchive(std::move(download).ValueOrThrow(), req, res, [&links, token] {
    if (const Status revoked = links.Revoke(token, DownloadLinks::Clock::now()); !revoked.ok()) {
      spdlog::warn("could not end a download link: {}", revoked.error().message());
    }
  });
}

constexpr std::string_view kRefusedLinkPage =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    "<title>Download link no longer valid</title></head>\n<body>"
    "<h1>Download link no longer valid</h1>\n<p>This download link was already used or has "
    "expired. Export again from pacsport.</p></body></html>\n";

// GET /api/downloads/:token: a link's export, once, or a link's job archive. Audited
// like any export, refused (unknown, used or expired: 404, as one) attempts included;
// a browser (Accept: text/html) is answered the refusal with a short page.
void HandleDownload(const HttpServices& services, DownloadLinks& links, const std::string& token,
                    const httplib::Request& req, httplib::Response& res) {
  const auto now = DownloadLinks::Clock::now();
  if (const auto linked = links.Peek(token, now).ValueOrThrow();
      linked && !linked->job_id.empty()) {
    return ServeLinkedArchive(services, links, token, *linked, req, res);
  }
  const auto grant = links.Redeem(token, now).ValueOrThrow();
  if (!grant) {
    // Audited under the link's user and hospital, naming its target and studies, when
    // it is still remembered.
    const Error gone = NotFound("this download link is unknown, used or expired");
    const auto owner = links.Owner(token, now).ValueOrThrow();
    // A job archive's link has no export to plan.
    const bool plannable = owner && owner->job_id.empty();
    ExportAttempt attempt{CurrentClientAddress(),
                          Router::CurrentLabel(),
                          owner ? owner->request.target : "",
                          plannable ? DescribeOptions(owner->request.options) : "{}",
                          CurrentRequestId(),
                          owner ? std::string(ScopeName(owner->request.scope)) : "",
                          gone};
    const Error refused = services.exports
                              .Begin(attempt, owner ? Result<Principal>(owner->principal) : gone,
                                     plannable ? Result<ExportRequest>(owner->request) : gone)
                              .error();
    if (!WantsHtml(req)) throw ErrorException(refused);
    res.status = refused.http_status();
    res.set_header("Cache-Control", "no-store");
    res.set_content(std::string(kRefusedLinkPage), "text/html; charset=utf-8");
    return;
  }
  const ExportAttempt attempt{CurrentClientAddress(), Router::CurrentLabel(), grant->request.target,
                              DescribeOptions(grant->request.options), CurrentRequestId()};
  BeginAndSend(services, attempt, StillEntitled(services.index, grant->principal), grant->request,
               req, res, std::make_shared<LinkUse>(links, token));
}

constexpr std::string_view UseStateName(DownloadLinks::UseState state) {
  switch (state) {
    case DownloadLinks::UseState::kPending:
      return "pending";
    case DownloadLinks::UseState::kStreaming:
      return "streaming";
    case DownloadLinks::UseState::kCompleted:
      return "completed";
    case DownloadLinks::UseState::kFailed:
      return "failed";
    case DownloadLinks::UseState::kExpired:
      return "expired";
  }
  return "pending";
}

// GET /api/export/link-status/:token: what became of the use of a link the caller made
// (the same user of the same hospital); anyone else's or a forgotten link: 404.
void HandleLinkStatus(const HttpServices& services, DownloadLinks& links, const std::string& token,
                      const httplib::Request& req, httplib::Response& res) {
  const Principal principal = Authenticate(req, services.jwt, services.index).ValueOrThrow();
  const auto now = DownloadLinks::Clock::now();
  const auto owner = links.Owner(token, now).ValueOrThrow();
  const auto use = links.UseOf(token, now).ValueOrThrow();
  if (!owner || !use || owner->principal.username != principal.username ||
      owner->principal.hospital_id != principal.hospital_id) {
    throw ErrorException(NotFound("you made no download link with this token, or it is forgotten"));
  }
  nlohmann::ordered_json status = {{"state", UseStateName(use->state)}};
  if (use->error) {
    status["error"] = {{"code", use->error->name()}, {"message", use->error->message()}};
  }
  res.set_header("Cache-Control", "no-store");
  SendJson(res, status);
}

// POST /api/export/link/...: a download link for the export the same GET would make.
// The request is checked and planned now (so a 404, 403, 413, 429, or 503 for a full
// server or a source it cannot reach, comes back here, not from the download), but
// nothing is exported or audited until the link is used; no export slot is reserved
// (docs/decisions/0019-download-outcome.md). Its statusUrl tells how the use ended.
void HandleLink(const HttpServices& services, const HttpSettings& settings, DownloadLinks& links,
                ExportScope scope, std::string target, const httplib::Request& req,
                httplib::Response& res) {
  const Principal principal = Authenticate(req, services.jwt, services.index).ValueOrThrow();
  const ExportRequest request =
      ParseExportRequest(req, scope, std::move(target), settings).ValueOrThrow();
  if (auto assessed = services.exports.Assess(principal, request); !assessed.ok()) {
    SetRetryAfter(assessed.error(), res);
    throw ErrorException(assessed.error());
  }
  const auto now = DownloadLinks::Clock::now();
  const std::string token = links.Issue({principal, request}, now).ValueOrThrow();
  const auto expires = now + links.lifetime();
  SendJson(res,
           {{"url", "/api/downloads/" + token},
            {"statusUrl", "/api/export/link-status/" + token},
            {"expiresAt", Iso8601(expires)}},
           201);
}

// GET /api/export/estimate/...: what the same GET export would hold.
void HandleEstimate(const HttpServices& services, const HttpSettings& settings, ExportScope scope,
                    std::string target, const httplib::Request& req, httplib::Response& res) {
  const Principal principal = Authenticate(req, services.jwt, services.index).ValueOrThrow();
  const ExportRequest request = ParseExportRequest(req, scope, target, settings).ValueOrThrow();
  const ExportEstimate estimate =
      EstimateExport(services.index, principal, request, std::chrono::system_clock::now())
          .ValueOrThrow();
  const bool zip = IsArchive(request.options.format);
  SendJson(res, {{"scope", ScopeName(scope)},
                 {"target", target},
                 {"format", FormatName(request.options.format)},
                 {"includeImages", request.options.include_images == IncludeImages::kYes},
                 {"previews", zip && request.options.include_images == IncludeImages::kYes &&
                                  request.options.previews == IncludePreviews::kYes},
                 {"studies", estimate.studies},
                 {"instances", estimate.instances},
                 {"dicomBytes", estimate.dicom_bytes},
                 {"frames", estimate.frames},
                 {"estimatedBytes", estimate.estimated_bytes},
                 {"estimatedDicomBytes", estimate.estimated_dicom_bytes},
                 {"estimatedPreviewBytes", estimate.estimated_preview_bytes},
                 {"asJob", estimate.estimated_bytes >= settings.job_threshold_bytes}});
}

// The patterns of a route family's scopes under `prefix`: patient (IDs may hold '/' or
// be empty, as in routes_browse.cpp), study, series, and all (no target).
struct ScopeRoute {
  ExportScope scope;
  const char* pattern;
  const char* label;
};
constexpr ScopeRoute kScopeRoutes[] = {
    {ExportScope::kPatient, "/patient/(.*)", "/patient/:patientID"},
    {ExportScope::kStudy, "/study/([^/]+)", "/study/:studyUID"},
    {ExportScope::kSeries, "/series/([^/]+)", "/series/:seriesUID"},
    {ExportScope::kAll, "/all", "/all"},
};

using ScopeHandler =
    std::function<void(ExportScope, std::string, const httplib::Request&, httplib::Response&)>;

void RegisterScopes(Router& router, const std::string& method, const std::string& prefix,
                    const ScopeHandler& handle) {
  for (const ScopeRoute& route : kScopeRoutes) {
    Handler handler = [handle, scope = route.scope](const httplib::Request& req,
                                                    httplib::Response& res) {
      handle(scope, scope == ExportScope::kAll ? "" : std::string(req.matches[1]), req, res);
    };
    const std::string pattern = prefix + route.pattern;
    if (method == "POST") {
      router.Post(pattern, prefix + route.label, std::move(handler));
    } else {
      router.Get(pattern, prefix + route.label, GetOnly(std::move(handler)));
    }
  }
}

}  // namespace

void RegisterExportRoutes(Router& router, const HttpServices& services,
                          const HttpSettings& settings, DownloadLinks& links) {
  // Before the export routes, whose patient pattern would match them too.
  RegisterScopes(router, "GET", "/api/export/estimate",
                 [&services, settings](ExportScope scope, std::string target,
                                       const httplib::Request& req, httplib::Response& res) {
                   HandleEstimate(services, settings, scope, std::move(target), req, res);
                 });
  RegisterScopes(
      router, "POST", "/api/export/link",
      [&services, settings, &links](ExportScope scope, std::string target,
                                    const httplib::Request& req, httplib::Response& res) {
        HandleLink(services, settings, links, scope, std::move(target), req, res);
      });
  router.Get(R"(/api/export/link-status/([A-Za-z0-9_-]+))", "/api/export/link-status/:token",
             [&services, &links](const httplib::Request& req, httplib::Response& res) {
               HandleLinkStatus(services, links, req.matches[1], req, res);
             });
  router.Get(R"(/api/downloads/([A-Za-z0-9_-]+))", "/api/downloads/:token",
             GetOnly([&services, &links](const httplib::Request& req, httplib::Response& res) {
               HandleDownload(services, links, req.matches[1], req, res);
             }),
             Access::kAnonymous);
  RegisterScopes(router, "GET", "/api/export",
                 [&services, settings](ExportScope scope, std::string target,
                                       const httplib::Request& req, httplib::Response& res) {
                   HandleExport(services, settings, scope, std::move(target), req, res);
                 });
}

}  // namespace pacsport::http
