// What a caller asks to export, after parameter validation. Values only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/records.h"
#include "deid/deidentify_request.h"

namespace pacsport {

// kStudies and kPatients are batches: several studies or patients in one archive,
// laid out as an export of all. kSeries is one series of a study, laid out as that
// study's export holding only the series' instances.
enum class ExportScope { kPatient, kStudy, kAll, kStudies, kPatients, kSeries };
// kMedia is a ZIP laid out as a patient's disc (IHE PDI: DICOMDIR, DICOM/, INDEX.HTM,
// README.TXT; docs/export-format.md), for every scope but kAll.
enum class ExportFormat { kZip, kJson, kMedia };
enum class IncludeImages { kNo, kYes };
enum class IncludePreviews { kNo, kYes };

struct ExportOptions {
  IncludeImages include_images = IncludeImages::kYes;
  ExportFormat format = ExportFormat::kZip;
  int compression_level = 9;                         // 0-9, deflate level
  IncludePreviews previews = IncludePreviews::kYes;  // only with images
  std::uint32_t preview_max_side = 0;                // 0 = full resolution
  // Set: everything the export sends is de-identified for this research project
  // (docs/decisions/0016-de-identified-exports.md).
  std::optional<deid::DeidentifyRequest> deidentify;
};

struct ExportRequest {
  ExportScope scope = ExportScope::kStudy;
  std::string target;  // Patient ID, Study or Series Instance UID; empty for kAll and batches
  std::vector<std::string> targets;  // a batch's Study UIDs or Patient IDs, distinct, in order
  ExportOptions options;
  // An incremental export (scope kAll only): just the studies changed in this range.
  std::optional<ChangeRange> changes;
};

// At most this many Study UIDs or Patient IDs in one batch.
inline constexpr std::size_t kMaxBatchTargets = 10000;

std::string_view ScopeName(ExportScope scope);
bool IsBatch(ExportScope scope);
// Whether the archive holds one study without folders (a study's or a series' export).
bool IsSingleStudy(ExportScope scope);
// "zip", "json", "media": the format parameter's values.
std::string_view FormatName(ExportFormat format);
std::optional<ExportFormat> FormatNamed(std::string_view name);
// Whether `format` is a ZIP archive (zip, media) rather than the metadata document.
bool IsArchive(ExportFormat format);
// kInvalidInput when `request` asks for a disc (format=media) of a scope that is not
// one: an export of all (a hospital is not a patient's disc).
Status CheckDiscScope(const ExportRequest& request);
// kInvalidInput, naming `parameter`, unless `id` names a patient that an export may
// take whole: a Patient ID of at most 64 characters that is not empty. Files without
// a Patient ID belong to unrelated people; their studies are exported one by one
// (docs/decisions/0018-search-and-unidentified-studies.md).
Status CheckExportablePatientId(std::string_view id, std::string_view parameter);
// What the audit record (and an archive's receipt) names as the target: the ID, or
// how many a batch names, e.g. "3 studies" (the audit record's parameters list them).
std::string AuditTarget(const ExportRequest& request);
// {"profile": "basic", "project", "options": [names], "includeBurnedIn"}: a
// de-identification request as job requests, the audit and the metadata show it.
nlohmann::ordered_json DeidentifyJson(const deid::DeidentifyRequest& request);
// The options as a JSON object, for the audit record.
std::string DescribeOptions(const ExportOptions& options);

}  // namespace pacsport
