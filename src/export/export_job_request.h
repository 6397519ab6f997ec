// The JSON form of an export job's request: the body of POST /api/export/jobs, and
// what the index keeps of a job (JobRecord::request).
//
//   {"scope": "study"|"patient"|"studies"|"patients"|"all", "ids": [...],
//    "includeImages": bool, "previews": bool, "format": "zip"|"json",
//    "compression": 0-9, "previewSize": 0-65535, "changes": {"after": N, "through": M},
//    "deidentify": {"profile": "basic", "project": "<name>", "options": [...],
//                   "includeBurnedIn": bool}}
//
// Only scope is required. ids names exactly one Study UID or Patient ID for study
// and patient, one or more (at most kMaxBatchTargets; repeats are dropped) for the
// batches, none for all. Defaults are those of the GET export routes: images but
// for all, ZIP, previews at full size, the configured compression. changes makes an
// export of all incremental: only the studies whose change sequence number is in
// (after, through] (ExportRequest::changes; schedules set it). deidentify asks for a
// de-identified export (deid/deidentify_request.h: its options by name, e.g.
// "retain-uids"). Any other key,
// or a value of the wrong type or range, is kInvalidInput naming it.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "export/export_request.h"

namespace pacsport {

Result<ExportRequest> ParseJobRequest(std::string_view json, int default_compression);
// The request as ParseJobRequest reads it back, every key written.
std::string JobRequestJson(const ExportRequest& request);

}  // namespace pacsport
