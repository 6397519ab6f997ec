// What a caller asks to export, after parameter validation. Values only.
#pragma once

#include <cstdint>
#include <string>

namespace pacsport {

enum class ExportScope { kPatient, kStudy, kAll };
enum class ExportFormat { kZip, kJson };
enum class IncludeImages { kNo, kYes };
enum class IncludePreviews { kNo, kYes };

struct ExportOptions {
  IncludeImages include_images = IncludeImages::kYes;
  ExportFormat format = ExportFormat::kZip;
  int compression_level = 9;                               // 0-9, deflate level
  IncludePreviews previews = IncludePreviews::kYes;        // only with images
  std::uint32_t preview_max_side = 0;                      // 0 = full resolution
};

struct ExportRequest {
  ExportScope scope = ExportScope::kStudy;
  std::string target;  // Patient ID or Study Instance UID; empty for kAll
  ExportOptions options;
};

std::string_view ScopeName(ExportScope scope);
// The options as a JSON object, for the audit record.
std::string DescribeOptions(const ExportOptions& options);

}  // namespace pacsport
