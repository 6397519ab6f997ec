// The DICOM audit message (PS3.15 Annex A.5, the XML schema of A.5.1) of one sealed
// export record: the "Export" event of A.5.3.7, EventID (110106, DCM, "Export"),
// EventActionCode "R", with
//   - the exporting user (UserIsRequestor, NetworkAccessPointID = client address),
//   - pacsport itself (RoleIDCode 110153 "Source Role ID", its process id),
//   - the recipient (RoleIDCode 110154 "Destination Media": the route, or "download"
//     when the record names none, at the client address),
//   - AuditSourceIdentification (the configured source id),
//   - one participant object per patient (type 1, role 1, ID type (2, RFC-3881,
//     "Patient Number")) and per study (type 2, role 3, ID type (110180, DCM,
//     "Study Instance UID")) of the record's studies; a record refused before its
//     studies were listed names the study or patient it asked for, when it did.
// Refused and failed exports are sent too, with their outcome (ExportOutcomeIndicator)
// and detail as EventOutcomeDescription. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "index/index.h"

namespace pacsport::audit {

// EventOutcomeIndicator: 0 success, 4 minor failure (refused: denied or over
// capacity), 8 serious failure (failed, aborted, interrupted).
int ExportOutcomeIndicator(AuditOutcome outcome);

// What identifies the sender in every message.
struct AtnaSource {
  std::string audit_source_id;  // AuditSourceID, e.g. the host name
  std::string process_id;       // pacsport's AlternativeUserID, e.g. "4711"
};

// The XML document (UTF-8, with its declaration) of `record` (sealed, so its outcome
// is final) and its studies. Text that is not well-formed UTF-8 or holds characters
// XML 1.0 cannot carry is replaced character by character with U+FFFD.
std::string ExportAuditMessage(const AuditRecord& record, const std::vector<AuditStudy>& studies,
                               const AtnaSource& source);

}  // namespace pacsport::audit
