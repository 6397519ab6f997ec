// GET /metrics: this process's metrics in the Prometheus text format (core/metrics.h).
// Operational data without patient data, so outside /api: no JWT, never throttled,
// not audited. Who may read it (decision 0025): with [metrics] bearer_token set, a
// request carrying "Authorization: Bearer <that token>" (else 401); without it, a
// client on this machine's loopback only (else 403): the request's client, so one that
// a trusted proxy forwarded from elsewhere is not loopback, whatever the proxy's address.
#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "core/digest.h"
#include "core/metrics.h"
#include "http/client_address.h"
#include "http/loopback.h"
#include "http/responses.h"
#include "http/routes.h"

namespace pacsport::http {
namespace {

// Ok when `req` may read the metrics.
Status CheckAccess(const httplib::Request& req, const std::string& bearer_token) {
  if (bearer_token.empty()) {
    if (IsLoopbackAddress(CurrentClientAddress())) return Status::Ok();
    return Forbidden("/metrics answers loopback clients only unless metrics.bearer_token is set");
  }
  // Compared as digests, so that the time taken tells nothing of the token.
  const std::string given = req.get_header_value("Authorization");
  if (Sha256Hex(given) == Sha256Hex("Bearer " + bearer_token)) return Status::Ok();
  return Unauthenticated("missing or wrong metrics bearer token");
}

// Sets the values the metrics read at each scrape: from the index (shared by every
// replica) the queued jobs and each Orthanc source's last complete sync; from this
// process its index sessions. A value the index cannot give now keeps its last one.
void ReadScrapedValues(const HttpServices& services, Metrics& metrics) {
  if (auto queued = services.index.ListJobsInState(JobState::kQueued); queued.ok()) {
    metrics.SetJobsQueued(static_cast<std::int64_t>(queued->size()));
  } else {
    spdlog::warn("event=metrics_value_unread value=jobs_queued error={}", queued.error().name());
  }
  if (const SessionPoolUse pool = services.index.PoolUse(); pool.size > 0) {
    metrics.SetIndexSessions(pool.in_use, pool.size);
  }
  const SystemTime now = std::chrono::system_clock::now();
  for (const SourceStatus& source : services.source_statuses()) {
    if (source.kind != "orthanc") continue;
    auto cursor = services.index.GetSourceCursor(source.name);
    if (!cursor.ok() || !cursor->has_value()) continue;
    if (const auto synced = ParseIso8601((*cursor)->synced_at)) {
      metrics.SetSyncLag(source.name, now - *synced);
    }
  }
}

}  // namespace

void RegisterMetricsRoute(Router& router, const HttpServices& services,
                          const HttpSettings& settings) {
  router.Get(R"(/metrics)", "/metrics",
             [&services, token = settings.metrics_bearer_token](const httplib::Request& req,
                                                                httplib::Response& res) {
               if (Status access = CheckAccess(req, token); !access.ok()) {
                 if (access.error().code() == ErrorCode::kUnauthenticated) {
                   res.set_header("WWW-Authenticate", "Bearer");
                 }
                 return SendError(res, access.error());
               }
               Metrics& metrics = ProcessMetrics();
               ReadScrapedValues(services, metrics);
               res.set_header("Cache-Control", "no-store");
               res.set_content(metrics.Text(), std::string(kMetricsContentType));
             },
             Access::kOpen);
}

}  // namespace pacsport::http
