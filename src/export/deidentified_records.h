// The records of a de-identified export as its metadata document shows them: the
// same keys as record_json.h's, with pseudonyms for Patient IDs and UIDs, no names
// (the pseudonym instead), birth dates, accession numbers or descriptions (null),
// dates moved as the files' are with the modified-dates option (else null), and the
// AI results kept. An instance's sha256 and size are those of the de-identified file
// (null when the export holds no files: the original's would link back to it), and
// its orthancInstanceId is the one Orthanc gives the de-identified file.
// Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/records.h"
#include "deid/deidentifier.h"

namespace pacsport {

void DeidentifyPatientJson(const deid::Deidentifier& deidentifier, const PatientRecord& record,
                           nlohmann::ordered_json& object);
void DeidentifyStudyJson(const deid::Deidentifier& deidentifier, const StudyRecord& record,
                         nlohmann::ordered_json& object);
// `sha256` and `size`: of the de-identified file, when it was written.
void DeidentifyInstanceJson(const deid::Deidentifier& deidentifier, const InstanceRecord& record,
                            const std::optional<std::string>& sha256,
                            std::optional<std::int64_t> size, nlohmann::ordered_json& object);

}  // namespace pacsport
