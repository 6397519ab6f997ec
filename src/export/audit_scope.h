// What an export's audit record says it covers: the studies in its scope, listed
// under the record (Index::AddAuditStudies) for every scope, an export of all
// included, and a readable name of its target for the audit page. Thread-safe as the
// index is; the plan is walked by the calling thread.
#pragma once

#include <string>

#include "core/error.h"
#include "export/planner.h"
#include "index/index.h"

namespace pacsport {

// Walks `plan`'s studies (its snapshot, so exactly those the export will hold) into
// audit record `audit_id`, in batches; returns the target's readable name:
//   study     "CT CHEST 20240102 · DOE, JANE (PID-1)"
//   series    "Series 2 AX T1 (MR) of " and its study's label
//   patient   "DOE, JANE (PID-1)"  (a DICOM name "DOE^JANE" as people write it)
//   all       "all patients: 3 patients, 7 studies"
//   batches   "4 studies of 2 patients", "2 patients, 5 studies"
// A missing name, description or ID is left out ("unidentified patient" when a
// patient has neither).
Result<std::string> RecordAuditScope(Index& index, PlannedExport& plan, RowId audit_id);

}  // namespace pacsport
