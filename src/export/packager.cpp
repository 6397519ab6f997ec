#include "export/packager.h"

#include "core/digest.h"
#include "dicom/frame_renderer.h"
#include "export/metadata_document.h"
#include "zip/prepared_entry.h"
#include "zip/zip_writer.h"

namespace pacsport {
namespace {

// Counts bytes and remembers whether the downstream sink failed, to tell a client
// that went away from a source that failed.
class CountingSink : public ByteSink {
 public:
  explicit CountingSink(ByteSink& inner) : inner_(inner) {}
  Status Write(const char* data, size_t size) override {
    Status status = inner_.Write(data, size);
    if (status.ok()) {
      bytes_ += size;
    } else {
      failed_ = true;
    }
    return status;
  }
  std::uint64_t bytes() const { return bytes_; }
  bool failed() const { return failed_; }

 private:
  ByteSink& inner_;
  std::uint64_t bytes_ = 0;
  bool failed_ = false;
};

// Pixel data in these transfer syntaxes is already compressed: deflate gains nothing.
bool IsEncapsulated(const std::string& transfer_syntax) {
  return transfer_syntax.rfind("1.2.840.10008.1.2.4.", 0) == 0 ||
         transfer_syntax == "1.2.840.10008.1.2.5";
}

class ArchiveBuilder {
 public:
  ArchiveBuilder(const ExportPlan& plan, DicomSource& source, ByteSink& sink,
                 SystemTime exported_at, std::stop_token stop)
      : plan_(plan), source_(source), counting_(sink), zip_(counting_, exported_at),
        exported_at_(exported_at), stop_(std::move(stop)) {}

  PackageReport Run() {
    Status status = WriteAll();
    PackageReport report;
    report.bytes_written = counting_.bytes();
    report.entries = entries_;
    if (status.ok()) return report;
    report.error = status.error();
    if (counting_.failed()) {
      report.outcome = PackageOutcome::kSinkFailed;
    } else if (stop_.stop_requested()) {
      report.outcome = PackageOutcome::kStopped;
    } else {
      report.outcome = PackageOutcome::kSourceFailed;
    }
    return report;
  }

 private:
  Status WriteAll() {
    const int level = plan_.request.options.compression_level;
    if (plan_.WithImages()) {
      for (const PlannedPatient& patient : plan_.patients) {
        for (const PlannedStudy& study : patient.studies) {
          int frame = 0;
          for (const PlannedInstance& instance : study.instances) {
            if (stop_.stop_requested()) return Error(ErrorCode::kUnavailable, "export stopped");
            if (Status s = WriteInstance(study, instance, frame, level); !s.ok()) return s;
          }
        }
      }
    }
    const std::string document =
        BuildMetadataDocument(plan_, outcomes_, plan_.WithImages(), exported_at_);
    if (Status s = Add(plan_.metadata_name, document, Sha256Hex(document), level); !s.ok()) return s;
    if (Status s = Add("checksums.sha256", checksums_, "", level); !s.ok()) return s;
    return zip_.Finish();
  }

  Status WriteInstance(const PlannedStudy& study, const PlannedInstance& instance, int& frame,
                       int level) {
    const InstanceRecord& record = instance.record;
    auto bytes = source_.Read(record.location);
    if (!bytes.ok()) {
      return Error(bytes.error().code(),
                   "instance " + record.sop_instance_uid + ": " + bytes.error().message());
    }
    const std::string sha256 = Sha256Hex(*bytes);
    if (!record.sha256.empty() && sha256 != record.sha256) {
      return Internal("instance " + record.sop_instance_uid +
                      " does not match the checksum recorded at ingest");
    }
    const int dicom_level = IsEncapsulated(record.transfer_syntax_uid) ? 0 : level;
    if (Status s = Add(instance.dicom_entry, *bytes, sha256, dicom_level); !s.ok()) return s;
    if (!plan_.WithPreviews()) return Status::Ok();

    InstanceOutcome& outcome = outcomes_[record.id];
    auto frames = dicom::RenderFrames(*bytes, plan_.request.options.preview_max_side);
    if (!frames.ok()) {
      outcome.preview_error = frames.error().message();
      return Status::Ok();
    }
    for (const dicom::FramePng& png : *frames) {
      std::string name = study.preview_directory + "frame_" + std::to_string(frame++) + ".png";
      if (Status s = Add(name, png.png, Sha256Hex(png.png), 0); !s.ok()) return s;
      outcome.previews.push_back(std::move(name));
    }
    return Status::Ok();
  }

  // Adds one whole entry; a non-empty sha256 is recorded in checksums.sha256.
  Status Add(const std::string& name, std::string_view data, const std::string& sha256,
             int level) {
    if (Status s = zip_.Add(zip::Prepare(name, data, level)); !s.ok()) return s;
    ++entries_;
    if (!sha256.empty()) checksums_ += sha256 + "  " + name + "\n";
    return Status::Ok();
  }

  const ExportPlan& plan_;
  DicomSource& source_;
  CountingSink counting_;
  zip::ZipWriter zip_;
  const SystemTime exported_at_;
  const std::stop_token stop_;
  InstanceOutcomes outcomes_;
  std::string checksums_;
  std::int64_t entries_ = 0;
};

}  // namespace

PackageReport WriteArchive(const ExportPlan& plan, DicomSource& source, ByteSink& sink,
                           SystemTime exported_at, std::stop_token stop) {
  return ArchiveBuilder(plan, source, sink, exported_at, std::move(stop)).Run();
}

}  // namespace pacsport
