// JSON shapes of the index records, shared by the export documents and the browse
// API so that a study looks the same everywhere. Thread-safe, pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "core/records.h"
#include "index/index.h"

namespace pacsport {

// {patientID, patientName, birthDate, sex, studyCount, latestStudyDate}
nlohmann::ordered_json PatientJson(const PatientRecord& patient);
// {studyInstanceUID, patientID, patientName, studyDate, studyTime, modality,
//  studyDescription, accessionNumber, numberOfSeries, numberOfInstances, totalBytes,
//  aiAnalysis, aiAnalyzedAt, aiModels}
nlohmann::ordered_json StudyJson(const StudyRecord& study);
// {sopInstanceUID, studyInstanceUID, seriesInstanceUID, patientID, seriesNumber,
//  instanceNumber, numberOfFrames, sopClassUID, transferSyntaxUID, orthancInstanceId,
//  sha256, size}
nlohmann::ordered_json InstanceJson(const InstanceRecord& instance);
// {id, startedAt, username, role, hospital, clientAddress, requestId, endpoint, scope,
//  target, targetLabel, parameters, outcome, detail, bytesSent, entries, instances,
//  studyCount, contentSha256, durationMs, seal: {chainSeq, recordHash, prevHash, keyId,
//  signature} or null while in progress}
nlohmann::ordered_json AuditJson(const AuditRecord& record);

}  // namespace pacsport
