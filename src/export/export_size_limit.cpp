#include "export/export_size_limit.h"

namespace pacsport {
namespace {

constexpr std::int64_t kMiB = std::int64_t{1} << 20;

std::string MiB(std::int64_t bytes, bool round_up) {
  return std::to_string(round_up ? (bytes + kMiB - 1) / kMiB : bytes / kMiB) + " MiB";
}

}  // namespace

std::int64_t ExportSizeLimits::For(const std::string& hospital_name) const {
  const auto found = by_hospital.find(hospital_name);
  return found == by_hospital.end() ? default_max_bytes : found->second;
}

Status CheckExportSize(const ExportEstimate& estimate, std::int64_t max_bytes) {
  if (max_bytes <= 0 || estimate.estimated_bytes <= max_bytes) return Status::Ok();
  return Error(ErrorCode::kPayloadTooLarge,
               "this export would be about " + MiB(estimate.estimated_bytes, true) +
                   "; the hospital's limit is " + MiB(max_bytes, false) +
                   " (export fewer studies, or without images or previews)");
}

}  // namespace pacsport
