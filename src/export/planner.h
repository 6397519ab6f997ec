// Resolves an ExportRequest into an ExportPlan with index queries scoped to the
// principal's hospital. Another hospital's patient or study is kNotFound, exactly as
// an absent one; kForbidden when a non-admin asks for everything. Thread-safe.
#pragma once

#include "core/clock.h"
#include "core/error.h"
#include "export/export_plan.h"
#include "index/index.h"

namespace pacsport {

Result<ExportPlan> PlanExport(Index& index, const Principal& principal,
                              const ExportRequest& request, SystemTime now);

}  // namespace pacsport
