// The route tables, one function per resource family. Internal to src/http.
#pragma once

#include <functional>
#include <memory>

#include "export/export_jobs.h"
#include "http/download_links.h"
#include "http/router.h"
#include "http/server.h"

namespace pacsport::http {

// GET /api/health
void RegisterHealthRoute(Router& router, const HttpServices& services);
// POST /api/auth/login
void RegisterAuthRoutes(Router& router, const HttpServices& services, const HttpSettings& settings);
// GET /api/patients…, /api/studies…
void RegisterBrowseRoutes(Router& router, const HttpServices& services);
// GET /api/studies/:studyUID/series: a study's series, each with its size
void RegisterSeriesRoutes(Router& router, const HttpServices& services);
// POST /api/instances, PUT /api/studies/:studyUID/ai-analysis
void RegisterIngestRoutes(Router& router, const HttpServices& services);
// GET /api/export/patient/:patientID, /api/export/study/:studyUID,
// /api/export/series/:seriesUID, /api/export/all, their
// estimates (GET /api/export/estimate/...) and download links (POST /api/export/link/...,
// GET /api/downloads/:token)
void RegisterExportRoutes(Router& router, const HttpServices& services,
                          const HttpSettings& settings, DownloadLinks& links);
// GET /api/audit
void RegisterAuditRoutes(Router& router, const HttpServices& services);
// POST/GET /api/export/jobs, GET/DELETE /api/export/jobs/:id, its /events, /archive
// and POST /link (a link served by GET /api/downloads/:token)
void RegisterJobRoutes(Router& router, const HttpServices& services, const HttpSettings& settings,
                       DownloadLinks& links);
// GET/POST /api/destinations, GET/PUT/DELETE /api/destinations/:id, POST …/:id/test
void RegisterDestinationRoutes(Router& router, const HttpServices& services);
// GET /api/deliveries/:token: an e-mailed single-use link to a job's archive
void RegisterDeliveryRoutes(Router& router, const HttpServices& services);
// GET/POST /api/schedules, GET/PUT/DELETE /api/schedules/:id, its /runs and POST /run
void RegisterScheduleRoutes(Router& router, const HttpServices& services);
// GET /api/openapi.json, GET /api/schemas/:name: the API's description (docs/)
void RegisterOpenApiRoutes(Router& router);
// GET /metrics: this process's metrics for Prometheus, to metrics.bearer_token or loopback
void RegisterMetricsRoute(Router& router, const HttpServices& services,
                          const HttpSettings& settings);
// Serves a job's archive whole or the Range asked for (206, 416), with its ETag;
// `on_complete` runs once its last byte has been sent.
void ServeJobArchive(std::unique_ptr<ArchiveDownload> download, const httplib::Request& req,
                     httplib::Response& res, std::function<void()> on_complete);

}  // namespace pacsport::http
