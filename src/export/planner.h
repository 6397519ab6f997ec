// Resolves an ExportRequest into an ExportPlan with index queries scoped to the
// principal's hospital. Another hospital's patient or study is kNotFound, exactly as
// an absent one; kForbidden when a non-admin asks for everything. Thread-safe.
#pragma once

#include <string>

#include "core/clock.h"
#include "core/error.h"
#include "export/export_plan.h"
#include "index/index.h"

namespace pacsport {

Result<ExportPlan> PlanExport(Index& index, const Principal& principal,
                              const ExportRequest& request, SystemTime now);

// The download's file name of `request` made at `now`, e.g. "study_1.2.3_export.zip"
// (the study UID is valid, so safe in a name; a Patient ID is sanitized).
std::string ArchiveName(const ExportRequest& request, SystemTime now);

}  // namespace pacsport
