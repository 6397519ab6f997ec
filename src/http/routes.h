// The route tables, one function per resource family. Internal to src/http.
#pragma once

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
// POST /api/instances, PUT /api/studies/:studyUID/ai-analysis
void RegisterIngestRoutes(Router& router, const HttpServices& services);
// GET /api/export/patient/:patientID, /api/export/study/:studyUID, /api/export/all, their
// estimates (GET /api/export/estimate/...) and download links (POST /api/export/link/...,
// GET /api/downloads/:token)
void RegisterExportRoutes(Router& router, const HttpServices& services, const HttpSettings& settings,
                          DownloadLinks& links);
// GET /api/audit
void RegisterAuditRoutes(Router& router, const HttpServices& services);

}  // namespace pacsport::http
