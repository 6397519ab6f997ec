#include "export/packager.h"

#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <new>

#include "core/digest.h"
#include "export/metadata_document.h"
#include "export/prepared_instance.h"
#include "preview/shared_object.h"
#include "zip/zip_writer.h"

namespace pacsport {
namespace {

// Counts bytes and remembers whether the downstream sink failed, to tell a client
// that went away from a source that failed.
class CountingSink : public ByteSink {
 public:
  CountingSink(ByteSink& inner, ExportProgress* progress) : inner_(inner), progress_(progress) {}
  Status Write(const char* data, size_t size) override {
    Status status = inner_.Write(data, size);
    if (status.ok()) {
      bytes_ += size;
      if (progress_ != nullptr) progress_->bytes_done += size;
    } else {
      failed_ = true;
    }
    return status;
  }
  std::uint64_t bytes() const { return bytes_; }
  bool failed() const { return failed_; }

 private:
  ByteSink& inner_;
  ExportProgress* const progress_;
  std::uint64_t bytes_ = 0;
  bool failed_ = false;
};

// One instance of the plan, with the study it belongs to.
struct PlanItem {
  const PlannedStudy* study;
  const PlannedInstance* instance;
};

std::vector<PlanItem> ItemsOf(const ExportPlan& plan) {
  std::vector<PlanItem> items;
  items.reserve(static_cast<size_t>(plan.instance_count));
  for (const PlannedPatient& patient : plan.patients) {
    for (const PlannedStudy& study : patient.studies) {
      for (const PlannedInstance& instance : study.instances) items.push_back({&study, &instance});
    }
  }
  return items;
}

class ArchiveBuilder {
 public:
  ArchiveBuilder(const ExportPlan& plan, DicomSource& source, preview::PreviewPool& previews,
                 ByteSink& sink, SystemTime exported_at, std::stop_token stop,
                 const PackagerLimits& limits, ExportProgress* progress)
      : plan_(plan),
        source_(source),
        previews_(previews),
        hospital_(plan.principal.hospital_id),
        counting_(sink, progress),
        zip_(counting_, exported_at),
        exported_at_(exported_at),
        stop_(std::move(stop)),
        limits_(limits),
        level_(plan.request.options.compression_level),
        progress_(progress) {}

  PackageReport Run() {
    Status status;
    bool fault = false;
    try {
      status = WriteAll();
    } catch (const std::exception& e) {
      // oneTBB has cancelled the pipeline and waited for its work before rethrowing.
      status = FaultOf(e);
      fault = true;
    }
    PackageReport report;
    report.bytes_written = counting_.bytes();
    report.entries = static_cast<std::int64_t>(zip_.entry_count());
    if (status.ok()) return report;
    report.error = status.error();
    if (fault) {
      report.outcome = PackageOutcome::kFault;
    } else if (counting_.failed()) {
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
    if (plan_.WithImages()) {
      if (Status s = WriteInstances(); !s.ok()) return s;
    }
    const std::string document =
        BuildMetadataDocument(plan_, outcomes_, plan_.WithImages(), exported_at_);
    if (Status s = AddWhole(plan_.metadata_name, document, Sha256Hex(document)); !s.ok()) return s;
    if (Status s = AddWhole("checksums.sha256", checksums_, ""); !s.ok()) return s;
    return zip_.Finish();
  }

  // The pipeline: hand out items in order → prepare in parallel → write in order.
  Status WriteInstances() {
    const std::vector<PlanItem> items = ItemsOf(plan_);
    // With previews, a thread that waits for a preview worker leaves its core to the
    // worker: twice as many threads keep both the deflating and the rendering going.
    const int threads =
        tbb::info::default_concurrency() * (plan_.WithPreviews() ? 2 : 1) + limits_.waiting_reads;
    const size_t window = limits_.window > 0 ? limits_.window : static_cast<size_t>(threads) + 1;
    // A token is an item's index. Tokens leave the pipeline in order and at most
    // `window` are alive, so the live ones always fit in a ring of `window` slots. The
    // slots, not oneTBB, own the prepared entries: a cancelled pipeline drops its
    // tokens without destroying them.
    std::vector<PreparedInstance> slots(window);
    std::atomic<bool> failed{false};
    std::mutex failure_mutex;
    Status failure;
    size_t next = 0;
    tbb::task_group_context context;
    // Keeps the first error and cancels the work in flight. Called from either serial
    // stage, which may run at the same time.
    auto fail = [&](const Error& error) {
      std::lock_guard lock(failure_mutex);
      if (failed) return;
      failure = error;
      failed = true;
      context.cancel_group_execution();
    };
    const auto stages =
        tbb::make_filter<void, size_t>(tbb::filter_mode::serial_in_order,
                                       [&](tbb::flow_control& control) -> size_t {
                                         if (!failed && stop_.stop_requested())
                                           fail(Unavailable("export stopped"));
                                         if (next == items.size() || failed) control.stop();
                                         return next++;
                                       }) &
        tbb::make_filter<size_t, size_t>(
            tbb::filter_mode::parallel,
            [&](size_t index) -> size_t {
              if (!failed) {
                slots[index % window] = PrepareInstance(
                    *items[index].instance, source_, previews_, plan_.request.options, hospital_,
                    plan_.WithPreviews() && !previews_spent_, limits_.whole_instance_max_bytes);
              }
              return index;
            }) &
        tbb::make_filter<size_t, void>(tbb::filter_mode::serial_in_order, [&](size_t index) {
          PreparedInstance& prepared = slots[index % window];
          if (!failed) {
            if (Status s = WriteInstance(items[index], prepared); !s.ok()) {
              fail(s.error());
            } else if (progress_ != nullptr) {
              ++progress_->instances_done;
            }
          }
          prepared = PreparedInstance();  // frees the slot's memory now
        });
    // An exception in a stage cancels the pipeline and is rethrown here, for Run.
    tbb::task_arena(threads).execute([&] { tbb::parallel_pipeline(window, stages, context); });
    return failure;
  }

  // Writes one prepared instance; runs on one thread at a time, in plan order.
  Status WriteInstance(const PlanItem& item, PreparedInstance& prepared) {
    if (prepared.error) return *prepared.error;
    if (item.study != current_study_) {
      current_study_ = item.study;
      next_frame_ = 0;
    }
    const InstanceRecord& record = item.instance->record;
    if (prepared.streamed) {
      if (Status s = StreamInstance(*item.instance, prepared); !s.ok()) return s;
    } else {
      if (Status s = zip_.Add(prepared.dicom); !s.ok()) return s;
      Checksum(prepared.dicom_sha256, prepared.dicom.name);
    }
    if (!plan_.WithPreviews()) return Status::Ok();
    KeepWithinExportBudget(prepared);
    InstanceOutcome& outcome = outcomes_[record.id];
    outcome.preview_error = std::move(prepared.preview_error);
    for (size_t i = 0; i < prepared.previews.size(); ++i) {
      zip::PreparedEntry& png = prepared.previews[i];
      png.name = item.study->preview_directory + "frame_" + std::to_string(next_frame_++) + ".png";
      if (Status s = zip_.Add(png); !s.ok()) return s;
      Checksum(prepared.preview_sha256[i], png.name);
      outcome.previews.push_back(png.name);
    }
    return Status::Ok();
  }

  // Counts the previews of `prepared` against preview.max_bytes_per_export in plan
  // order: from the first instance whose previews would go over it, no instance
  // keeps any (nor is rendered any more), and each says so in its previewError.
  void KeepWithinExportBudget(PreparedInstance& prepared) {
    std::uint64_t bytes = 0;
    for (const zip::PreparedEntry& png : prepared.previews) bytes += png.uncompressed_size;
    const std::uint64_t budget = previews_.settings().max_bytes_per_export;
    if (!previews_spent_ && bytes <= budget - preview_bytes_) {
      preview_bytes_ += bytes;
      return;
    }
    previews_spent_ = true;
    prepared.previews.clear();
    prepared.preview_sha256.clear();
    prepared.preview_error = "previews of this export over preview.max_bytes_per_export_mb (" +
                             std::to_string(budget >> 20) + " MiB)";
  }

  // Streams an instance too large to hold (StreamDicom). With previews, it also keeps
  // a copy in an unnamed temporary file for the preview workers to map, and renders
  // them from it once the file is known to be intact. A copy that cannot be kept
  // (disk full) costs the previews, not the export.
  Status StreamInstance(const PlannedInstance& instance, PreparedInstance& prepared) {
    if (!plan_.WithPreviews() || previews_spent_) return StreamDicom(instance, nullptr);
    auto copy = preview::SharedObjectWriter::Create(std::filesystem::temp_directory_path());
    Status copied = copy.ok() ? Status::Ok() : Status(copy.error());
    if (Status s = StreamDicom(instance, copy.ok() ? &*copy : nullptr, &copied); !s.ok()) {
      return s;
    }
    Result<preview::SharedObject> object =
        copied.ok() ? copy->Finish() : Result<preview::SharedObject>(copied.error());
    if (!object.ok()) {
      prepared.preview_error = "cannot keep a copy to render: " + object.error().message();
      return Status::Ok();
    }
    SetPreviews(
        previews_.Render(PreviewJob(instance.record, hospital_, plan_.request.options), *object),
        prepared);
    return Status::Ok();
  }

  // Copies a file too large to hold from the source into the archive chunk by chunk,
  // checking its SHA-256 on the way, and into `copy` when given (its first failure
  // goes to `copied`). A mismatch is found only at the end, after its bytes were
  // sent: the export then fails and the caller aborts the delivery.
  Status StreamDicom(const PlannedInstance& instance, preview::SharedObjectWriter* copy,
                     Status* copied = nullptr) {
    const InstanceRecord& record = instance.record;
    const int level = DicomEntryLevel(record, level_);
    const zip::Method method = level == 0 ? zip::Method::kStore : zip::Method::kDeflate;
    if (Status s = zip_.BeginEntry(instance.dicom_entry, method, level,
                                   static_cast<std::uint64_t>(record.size));
        !s.ok()) {
      return s;
    }
    Sha256 sha256;
    Status written = Status::Ok();
    Status read = source_.ReadChunked(record.location, limits_.stream_chunk_bytes,
                                      [&](std::string_view chunk) -> Status {
                                        if (stop_.stop_requested())
                                          return Unavailable("export stopped");
                                        sha256.Update(chunk.data(), chunk.size());
                                        if (copy != nullptr && copied->ok())
                                          *copied = copy->Append(chunk);
                                        written = zip_.Write(chunk);
                                        return written;
                                      });
    if (!written.ok()) return written;
    if (!read.ok()) {
      return Error(read.error().code(),
                   "instance " + record.sop_instance_uid + ": " + read.error().message());
    }
    const std::string digest = sha256.FinishHex();
    if (!record.sha256.empty() && digest != record.sha256) return ChecksumMismatch(record);
    if (Status s = zip_.EndEntry(); !s.ok()) return s;
    Checksum(digest, instance.dicom_entry);
    return Status::Ok();
  }

  // Adds an entry held whole, compressed at the export's level.
  Status AddWhole(const std::string& name, std::string_view data, const std::string& sha256) {
    if (Status s = zip_.Add(zip::Prepare(name, data, level_)); !s.ok()) return s;
    if (!sha256.empty()) Checksum(sha256, name);
    return Status::Ok();
  }

  void Checksum(const std::string& sha256, const std::string& name) {
    checksums_ += sha256 + "  " + name + "\n";
  }

  const ExportPlan& plan_;
  DicomSource& source_;
  preview::PreviewPool& previews_;
  const RowId hospital_;
  CountingSink counting_;
  zip::ZipWriter zip_;
  const SystemTime exported_at_;
  const std::stop_token stop_;
  const PackagerLimits limits_;
  const int level_;
  ExportProgress* const progress_;
  InstanceOutcomes outcomes_;
  std::string checksums_;
  // Writer-stage state (one thread at a time, in plan order).
  const PlannedStudy* current_study_ = nullptr;
  int next_frame_ = 0;
  std::uint64_t preview_bytes_ = 0;  // kept so far, within max_bytes_per_export
  // Set by the writer once the budget is spent; read by the parallel stage, which
  // then renders no more.
  std::atomic<bool> previews_spent_{false};
};

}  // namespace

Error FaultOf(const std::exception& fault) {
  if (dynamic_cast<const std::bad_alloc*>(&fault) != nullptr) {
    return Unavailable("out of memory while exporting");
  }
  return Internal(std::string("exporting failed unexpectedly: ") + fault.what());
}

PackageReport WriteArchive(const ExportPlan& plan, DicomSource& source,
                           preview::PreviewPool& previews, ByteSink& sink, SystemTime exported_at,
                           std::stop_token stop, const PackagerLimits& limits,
                           ExportProgress* progress) {
  // oneTBB gives all arenas together no more threads than cores unless told: the
  // pipelines' arenas ask for more (threads that wait for a preview worker or on the
  // network), so the limit is raised, once, for the life of the process.
  static const tbb::global_control allow_waiting_threads(
      tbb::global_control::max_allowed_parallelism, tbb::info::default_concurrency() * 4 + 64);
  return ArchiveBuilder(plan, source, previews, sink, exported_at, std::move(stop), limits,
                        progress)
      .Run();
}

}  // namespace pacsport
