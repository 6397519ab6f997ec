// The kinds of delivery destination, and how a destination's settings and secrets
// become a sender: an ArchiveSender (archive_sender.h) for the kinds that take a job's
// archive, an InstanceSender (instance_sender.h) for those that take its instances
// (another PACS).
//
// A destination is stored as its kind, its settings (a JSON object, shown to users)
// and its secrets (a JSON object of strings, encrypted at rest, never shown). Each
// kind's Make function reads exactly the keys it documents: any other key, a missing
// required key, or a value of the wrong type or range is kInvalidInput naming it, so
// that a destination is checked when it is saved, not when a job first uses it.
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "delivery/archive_sender.h"
#include "delivery/instance_sender.h"
#include "delivery/retry.h"

namespace pacsport::delivery {

enum class DestinationKind { kS3, kAzureBlob, kEmail, kDicom, kDicomweb };
// "s3", "azure-blob", "email", "dicom", "dicomweb"
std::string_view DestinationKindName(DestinationKind kind);
std::optional<DestinationKind> ParseDestinationKind(std::string_view name);
// The kinds' names joined for an error message, e.g. "s3, azure-blob, email, dicom".
std::string DestinationKindNames();
// True for the kinds that take an export's instances (another PACS), not its archive.
bool TakesInstances(DestinationKind kind);

// Single-use links to a job's archive, for the e-mail (the message carries a link,
// never the data). Thread-safe.
class ArchiveLinks {
 public:
  virtual ~ArchiveLinks() = default;
  // A new link to `archive` usable once until `expires`; its absolute URL.
  virtual Result<std::string> Issue(const OutgoingArchive& archive,
                                    std::chrono::system_clock::time_point expires) = 0;
};

// What senders need beyond a destination's own settings.
struct SenderContext {
  ArchiveLinks* links = nullptr;  // borrowed; null: e-mail destinations cannot send
  std::chrono::seconds email_link_lifetime{std::chrono::hours(72)};
  RetryPolicy retry;  // of each network step (a part, a block, a message)
};

// A sender for a destination of a kind that takes archives; kInvalidInput as above.
Result<std::unique_ptr<ArchiveSender>> MakeSender(DestinationKind kind,
                                                  const nlohmann::json& settings,
                                                  const nlohmann::json& secrets,
                                                  const SenderContext& context);
// A sender for a destination of a kind that takes instances; kInvalidInput as above.
Result<std::unique_ptr<InstanceSender>> MakeInstanceSender(DestinationKind kind,
                                                           const nlohmann::json& settings,
                                                           const nlohmann::json& secrets,
                                                           const SenderContext& context);

// The object name an archive gets under a destination's `prefix` (S3 key, blob name):
// prefix + job id + "/" + the archive's file name, so that two jobs never overwrite
// each other's archive.
std::string ObjectName(const std::string& prefix, const OutgoingArchive& archive);

}  // namespace pacsport::delivery
