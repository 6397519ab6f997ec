#include "delivery/destination_kinds.h"

#include "delivery/azure_blob_sender.h"
#include "delivery/email_sender.h"
#include "delivery/s3_sender.h"

namespace pacsport::delivery {

std::string_view DestinationKindName(DestinationKind kind) {
  switch (kind) {
    case DestinationKind::kS3:
      return "s3";
    case DestinationKind::kAzureBlob:
      return "azure-blob";
    case DestinationKind::kEmail:
      return "email";
  }
  return "";
}

std::optional<DestinationKind> ParseDestinationKind(std::string_view name) {
  for (DestinationKind kind :
       {DestinationKind::kS3, DestinationKind::kAzureBlob, DestinationKind::kEmail}) {
    if (DestinationKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

Result<std::unique_ptr<ArchiveSender>> MakeSender(DestinationKind kind,
                                                  const nlohmann::json& settings,
                                                  const nlohmann::json& secrets,
                                                  const SenderContext& context) {
  switch (kind) {
    case DestinationKind::kS3:
      return MakeS3Sender(settings, secrets, context);
    case DestinationKind::kAzureBlob:
      return MakeAzureBlobSender(settings, secrets, context);
    case DestinationKind::kEmail:
      return MakeEmailSender(settings, secrets, context);
  }
  return Internal("an unknown kind of destination");
}

std::string ObjectName(const std::string& prefix, const OutgoingArchive& archive) {
  return prefix + archive.job_id + "/" + archive.name;
}

}  // namespace pacsport::delivery
