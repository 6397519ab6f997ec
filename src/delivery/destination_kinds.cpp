#include "delivery/destination_kinds.h"

#include "delivery/azure_blob_sender.h"
#include "delivery/dicom_store_sender.h"
#include "delivery/email_sender.h"
#include "delivery/s3_sender.h"
#include "delivery/stow_sender.h"

namespace pacsport::delivery {

std::string_view DestinationKindName(DestinationKind kind) {
  switch (kind) {
    case DestinationKind::kS3:
      return "s3";
    case DestinationKind::kAzureBlob:
      return "azure-blob";
    case DestinationKind::kEmail:
      return "email";
    case DestinationKind::kDicom:
      return "dicom";
    case DestinationKind::kDicomweb:
      return "dicomweb";
  }
  return "";
}

namespace {
constexpr DestinationKind kKinds[] = {DestinationKind::kS3, DestinationKind::kAzureBlob,
                                      DestinationKind::kEmail, DestinationKind::kDicom,
                                      DestinationKind::kDicomweb};
}  // namespace

std::optional<DestinationKind> ParseDestinationKind(std::string_view name) {
  for (DestinationKind kind : kKinds) {
    if (DestinationKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

std::string DestinationKindNames() {
  std::string names;
  for (DestinationKind kind : kKinds) {
    if (!names.empty()) names += ", ";
    names += DestinationKindName(kind);
  }
  return names;
}

bool TakesInstances(DestinationKind kind) {
  return kind == DestinationKind::kDicom || kind == DestinationKind::kDicomweb;
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
    case DestinationKind::kDicom:
    case DestinationKind::kDicomweb:
      break;
  }
  return Internal("this kind of destination takes no archive");
}

Result<std::unique_ptr<InstanceSender>> MakeInstanceSender(DestinationKind kind,
                                                           const nlohmann::json& settings,
                                                           const nlohmann::json& secrets,
                                                           const SenderContext& context) {
  switch (kind) {
    case DestinationKind::kDicom:
      return MakeDicomStoreSender(settings, secrets, context);
    case DestinationKind::kDicomweb:
      return MakeStowSender(settings, secrets, context);
    case DestinationKind::kS3:
    case DestinationKind::kAzureBlob:
    case DestinationKind::kEmail:
      break;
  }
  return Internal("this kind of destination takes no instances");
}

std::string ObjectName(const std::string& prefix, const OutgoingArchive& archive) {
  return prefix + archive.job_id + "/" + archive.name;
}

}  // namespace pacsport::delivery
