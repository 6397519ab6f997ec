// /api/export/jobs: durable export jobs (export/export_jobs.h), their progress as
// Server-Sent Events, and their archives served with byte ranges.
#include <nlohmann/json.hpp>
#include <thread>

#include "core/names.h"
#include "export/export_job_request.h"
#include "http/byte_range.h"
#include "http/client_address.h"
#include "http/job_json.h"
#include "http/request_id.h"
#include "http/request_parsing.h"
#include "http/responses.h"
#include "http/routes.h"

namespace pacsport::http {
namespace {

using json = nlohmann::ordered_json;

constexpr const char* kJobId = "([A-Za-z0-9_-]{1,64})";
constexpr auto kEventInterval = std::chrono::milliseconds(500);
constexpr auto kKeepAliveInterval = std::chrono::seconds(15);
constexpr size_t kArchiveChunkBytes = size_t{256} << 10;
// How long a link to a finished archive stays usable for resumed downloads.
constexpr std::chrono::seconds kArchiveLinkLifetime{3600};

json OrNull(const std::string& text) { return text.empty() ? json(nullptr) : json(text); }

bool Final(JobState state) {
  return state == JobState::kDone || state == JobState::kDelivered || state == JobState::kFailed ||
         state == JobState::kCancelled;
}

// The calling thread's request, as the attempt its audit record describes.
ExportAttempt CurrentAttempt(const std::string& parameters = "{}") {
  return {CurrentClientAddress(), Router::CurrentLabel(), "", parameters, CurrentRequestId()};
}

Principal Caller(const HttpServices& services, const httplib::Request& req) {
  return Authenticate(req, services.jwt, services.index).ValueOrThrow();
}

// GET /api/export/jobs/:id/events: the job at once, then whenever it changes (at most
// every kEventInterval), until it reaches a final state; a comment line keeps idle
// connections open through proxies. Each look reads the job's row in the index (and
// this replica's fresher count when it runs the job), so a client connected to any
// replica follows a job that another runs, or takes over.
void SendEvents(ExportJobs& jobs, const Principal& principal, const std::string& id,
                httplib::Response& res) {
  jobs.Get(principal, id).ValueOrThrow();  // 404 before the stream starts
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Accel-Buffering", "no");  // nginx: do not buffer the stream
  auto last = std::make_shared<std::string>();
  auto quiet_since = std::make_shared<std::chrono::steady_clock::time_point>();
  res.set_chunked_content_provider("text/event-stream", [&jobs, principal, id, last, quiet_since](
                                                            size_t, httplib::DataSink& sink) {
    auto job = jobs.Get(principal, id);
    if (!job.ok()) return false;
    const std::string event = "event: job\ndata: " + JobJson(*job).dump() + "\n\n";
    const auto now = std::chrono::steady_clock::now();
    if (event != *last) {
      if (!sink.write(event.data(), event.size())) return false;
      *last = event;
      *quiet_since = now;
    } else if (now - *quiet_since >= kKeepAliveInterval) {
      constexpr std::string_view kKeepAlive = ": keep-alive\n\n";
      if (!sink.write(kKeepAlive.data(), kKeepAlive.size())) return false;
      *quiet_since = now;
    }
    if (Final(job->state)) {
      sink.done();
      return true;
    }
    std::this_thread::sleep_for(kEventInterval);
    return true;
  });
}

void HandleSubmit(const HttpServices& services, const HttpSettings& settings,
                  const httplib::Request& req, httplib::Response& res) {
  const Principal principal = Caller(services, req);
  // "destination" is the job's, not the export request's.
  json body = JsonObjectBody(req).ValueOrThrow();
  JobSubmission submission;
  if (const auto it = body.find("destination"); it != body.end()) {
    if (!it->is_null() && (!it->is_number_integer() || it->get<std::int64_t>() <= 0)) {
      throw ErrorException(InvalidInput("destination must be a destination's id or null"));
    }
    submission.destination_id = it->is_null() ? 0 : it->get<RowId>();
    body.erase(it);
  }
  const ExportRequest request =
      ParseJobRequest(body.dump(), settings.default_compression_level).ValueOrThrow();
  const JobRecord job =
      services.jobs.Submit(principal, request, CurrentAttempt(), submission).ValueOrThrow();
  res.set_header("Location", "/api/export/jobs/" + job.id);
  SendJson(res, JobJson(job), 202);
}

}  // namespace

void ServeJobArchive(std::unique_ptr<ArchiveDownload> opened, const httplib::Request& req,
                     httplib::Response& res, std::function<void()> on_complete) {
  std::shared_ptr<ArchiveDownload> download = std::move(opened);
  const std::uint64_t size = download->size();
  const std::string etag = "\"" + download->job().archive_sha256 + "\"";
  res.set_header("ETag", etag);
  res.set_header("Accept-Ranges", "bytes");
  res.set_header("Cache-Control", "private, no-cache");
  res.set_header("Content-Disposition", ContentDisposition(download->job().archive_name));
  const ByteRange range = RequestedRange(req, size, etag);
  if (range.kind == ByteRange::Kind::kUnsatisfiable) {
    res.status = 416;
    res.set_header("Content-Range", "bytes */" + std::to_string(size));
    res.set_content(json{{"error",
                          {{"code", "range_not_satisfiable"},
                           {"message", "the archive has " + std::to_string(size) + " bytes"}}}}
                        .dump(),
                    "application/json");
    download->Refused("range not satisfiable: " + req.get_header_value("Range"));
    return;
  }
  if (range.kind == ByteRange::Kind::kPart) {
    res.status = 206;
    res.set_header("Content-Range", "bytes " + std::to_string(range.offset) + "-" +
                                        std::to_string(range.offset + range.length - 1) + "/" +
                                        std::to_string(size));
  } else {
    res.status = 200;
  }
  const bool to_the_end = range.offset + range.length == size;
  res.set_content_provider(range.length, download->content_type(),
                           [download, range, to_the_end, on_complete = std::move(on_complete)](
                               size_t offset, size_t length, httplib::DataSink& sink) {
                             std::string chunk;
                             const size_t take = std::min(length, kArchiveChunkBytes);
                             if (!download->Read(range.offset + offset, take, chunk)) return false;
                             const bool last = offset + take == range.length;
                             // Before the last bytes go out: a client that has them all
                             // finds the download complete (its link ended) at once.
                             if (last && to_the_end && on_complete) on_complete();
                             if (!sink.write(chunk.data(), chunk.size())) return false;
                             if (last) download->Delivered(range.length);
                             return true;
                           });
}

void RegisterJobRoutes(Router& router, const HttpServices& services, const HttpSettings& settings,
                       DownloadLinks& links) {
  const std::string base = "/api/export/jobs";
  const std::string one = base + "/" + kJobId;
  router.Post(
      base, base,
      [&services, settings](const httplib::Request& req, httplib::Response& res) {
        HandleSubmit(services, settings, req, res);
      },
      Body::kJson);
  router.Get(base, base, [&services](const httplib::Request& req, httplib::Response& res) {
    const Principal principal = Caller(services, req);
    const PageRequest page = PageParams(req).ValueOrThrow();
    const auto jobs = services.jobs.List(principal, page).ValueOrThrow();
    json items = json::array();
    for (const JobRecord& job : jobs.items) items.push_back(JobJson(job));
    SendJson(
        res,
        {{"jobs", items}, {"total", jobs.total}, {"offset", page.offset}, {"limit", page.limit}});
  });
  router.Get(one, base + "/:id", [&services](const httplib::Request& req, httplib::Response& res) {
    SendJson(res, JobJson(services.jobs.Get(Caller(services, req), req.matches[1]).ValueOrThrow()));
  });
  router.Delete(
      one, base + "/:id", [&services](const httplib::Request& req, httplib::Response& res) {
        SendJson(res, JobJson(services.jobs
                                  .Cancel(Caller(services, req), req.matches[1], CurrentAttempt())
                                  .ValueOrThrow()));
      });
  router.Get(one + "/events", base + "/:id/events",
             [&services](const httplib::Request& req, httplib::Response& res) {
               IgnoreRange(req);
               SendEvents(services.jobs, Caller(services, req), req.matches[1], res);
             });
  router.Get(one + "/archive", base + "/:id/archive",
             [&services](const httplib::Request& req, httplib::Response& res) {
               const json parameters = {{"range", OrNull(req.get_header_value("Range"))}};
               auto download = services.jobs.OpenArchive(Caller(services, req), req.matches[1],
                                                         CurrentAttempt(parameters.dump()));
               ServeJobArchive(std::move(download).ValueOrThrow(), req, res, nullptr);
             });
  router.Post(
      one + "/link", base + "/:id/link",
      [&services, &links](const httplib::Request& req, httplib::Response& res) {
        const Principal principal = Caller(services, req);
        const JobRecord job = services.jobs.Get(principal, req.matches[1]).ValueOrThrow();
        const bool kept = job.state == JobState::kDone || job.state == JobState::kDelivered;
        if (!kept || job.archive_sha256.empty()) {
          throw ErrorException(NotFound("this job has no archive to download"));
        }
        const auto now = DownloadLinks::Clock::now();
        DownloadLinks::Grant grant{principal, {}, job.id};
        const std::string token = links.Issue(grant, now, kArchiveLinkLifetime).ValueOrThrow();
        const auto expires = now + kArchiveLinkLifetime;
        SendJson(res, {{"url", "/api/downloads/" + token}, {"expiresAt", Iso8601(expires)}}, 201);
      });
}

}  // namespace pacsport::http
