#include "export/prepared_instance.h"

#include "core/digest.h"
#include "deid/burned_in_text.h"

namespace pacsport {

int DicomEntryLevel(const InstanceRecord& record, int level) {
  const std::string& syntax = record.transfer_syntax_uid;
  const bool encapsulated =
      syntax.rfind("1.2.840.10008.1.2.4.", 0) == 0 || syntax == "1.2.840.10008.1.2.5";
  return encapsulated ? 0 : level;
}

Error ChecksumMismatch(const InstanceRecord& record) {
  return Internal("instance " + record.sop_instance_uid +
                  " does not match the checksum recorded at ingest");
}

PreparedInstance PrepareInstance(const PlannedInstance& instance, DicomSource& source,
                                 preview::PreviewPool& previews, const ExportOptions& options,
                                 RowId hospital, bool with_previews, std::uint64_t whole_max_bytes,
                                 MediaStage* stage, const deid::Deidentifier* deidentifier) {
  const InstanceRecord& record = instance.record;
  PreparedInstance prepared;
  if (static_cast<std::uint64_t>(record.size) > whole_max_bytes) {
    prepared.streamed = true;
    return prepared;
  }
  auto bytes = source.Read(record.location);
  if (!bytes.ok()) {
    prepared.error = Error(bytes.error().code(),
                           "instance " + record.sop_instance_uid + ": " + bytes.error().message());
    return prepared;
  }
  prepared.dicom_sha256 = Sha256Hex(*bytes);
  if (!record.sha256.empty() && prepared.dicom_sha256 != record.sha256) {
    prepared.error = ChecksumMismatch(record);
    return prepared;
  }
  std::optional<std::string> withheld;
  if (deidentifier != nullptr) {
    std::string deidentified;
    auto done = deidentifier->Apply(*bytes, deidentified);
    if (!done.ok()) {
      prepared.error = DeidentificationFailed(record, done.error());
      return prepared;
    }
    withheld = WithheldPreviews(*done, deidentifier->request());
    *bytes = std::move(deidentified);
    prepared.dicom_sha256 = Sha256Hex(*bytes);
  }
  prepared.dicom_size = bytes->size();
  if (stage != nullptr) {
    if (Status s = stage->Put(instance.dicom_entry, *bytes); !s.ok()) {
      prepared.error = s.error();
      return prepared;
    }
  }
  prepared.dicom = zip::Prepare(instance.dicom_entry, *bytes,
                                DicomEntryLevel(record, options.compression_level));
  if (!with_previews) return prepared;
  if (withheld) {
    prepared.preview_error = std::move(withheld);
    return prepared;
  }
  SetPreviews(previews.Render(PreviewJob(record, hospital, options), *bytes), prepared);
  return prepared;
}

std::optional<std::string> WithheldPreviews(const deid::DeidentifiedInstance& instance,
                                            const deid::DeidentifyRequest& request) {
  if (request.burned_in == deid::IncludeBurnedIn::kYes) return std::nullopt;
  return deid::BurnedInTextReason(instance.burned_in_annotation, instance.modality);
}

Error DeidentificationFailed(const InstanceRecord& record, const Error& error) {
  return Error(error.code(), "instance " + record.sop_instance_uid +
                                 " cannot be de-identified: " + error.message());
}

preview::RenderJob PreviewJob(const InstanceRecord& record, RowId hospital,
                              const ExportOptions& options) {
  return {hospital, options.preview_max_side, record.number_of_frames};
}

void SetPreviews(Result<std::vector<dicom::FramePng>> frames, PreparedInstance& prepared) {
  if (!frames.ok()) {
    prepared.preview_error = frames.error().message();
    return;
  }
  for (const dicom::FramePng& frame : *frames) {
    prepared.preview_sha256.push_back(Sha256Hex(frame.png));
    prepared.previews.push_back(zip::Prepare("", frame.png, 0));
  }
}

}  // namespace pacsport
