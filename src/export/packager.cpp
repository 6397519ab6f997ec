#include "export/packager.h"

#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_pipeline.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <new>
#include <unordered_set>

#include "core/digest.h"
#include "dicom/media_directory.h"
#include "export/media_names.h"
#include "export/media_pages.h"
#include "export/media_stage.h"
#include "export/metadata_document.h"
#include "export/plan_items.h"
#include "export/prepared_instance.h"
#include "preview/shared_object.h"
#include "zip/spill_file.h"
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

// The spilled outcomes, read back in plan order for the metadata document.
class SpilledOutcomes : public OutcomeSource {
 public:
  explicit SpilledOutcomes(zip::RecordSpill& spill) : reader_(spill.Read()) {}
  Result<InstanceOutcome> Next() override {
    auto record = reader_.Next();
    if (!record.ok()) return record.error();
    if (!record->has_value()) return Internal("fewer instance outcomes than instances");
    return DecodeOutcome(**record);
  }

 private:
  zip::RecordSpill::Reader reader_;
};

class ArchiveBuilder {
 public:
  ArchiveBuilder(PlannedExport& plan, DicomSource& source, preview::PreviewPool& previews,
                 ByteSink& sink, SystemTime exported_at, std::stop_token stop,
                 const PackagerLimits& limits, ExportProgress* progress,
                 const ExportReceipt* receipt)
      : planned_(plan),
        plan_(plan.summary()),
        source_(source),
        previews_(previews),
        hospital_(plan.summary().principal.hospital_id),
        counting_(sink, progress),
        zip_(counting_, exported_at, zip::ZipWriterOptions{limits.spill_after_bytes}),
        exported_at_(exported_at),
        stop_(std::move(stop)),
        limits_(limits),
        level_(plan.summary().request.options.compression_level),
        progress_(progress),
        receipt_(receipt),
        outcomes_(limits.spill_after_bytes),
        checksums_(limits.spill_after_bytes),
        media_(plan.summary().request.options.format == ExportFormat::kMedia),
        index_page_(limits.spill_after_bytes) {}

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
    report.instances = instances_written_;
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
    if (media_) {
      auto stage = MediaStage::Create(std::filesystem::temp_directory_path());
      if (!stage.ok()) return stage.error();
      stage_ = std::move(*stage);
      if (Status s = index_page_.Append(IndexPageHead(exported_at_)); !s.ok()) return s;
    }
    if (plan_.WithImages()) {
      if (Status s = WriteInstances(); !s.ok()) return s;
    }
    if (media_) {
      if (Status s = WriteMediaFiles(); !s.ok()) return s;
    }
    if (Status s = WriteDocument(); !s.ok()) return s;
    // The receipt is made before the manifest, which lists it last, and written after
    // it, the archive's last entry.
    std::string receipt;
    if (receipt_ != nullptr) {
      auto made = MakeReceipt();
      if (!made.ok()) return made.error();
      receipt = std::move(*made);
      if (Status s = Checksum(Sha256Hex(receipt), std::string(kReceiptEntry)); !s.ok()) return s;
    }
    if (Status s = WriteChecksums(); !s.ok()) return s;
    if (receipt_ != nullptr) {
      if (Status s = AddWhole(std::string(kReceiptEntry), receipt, ""); !s.ok()) return s;
    }
    return zip_.Finish();
  }

  // The metadata document, from a second walk of the plan's snapshot: held whole
  // while it is small (an entry with exact sizes, as any small entry), streamed past
  // document_memory_bytes (an entry with a data descriptor, ZIP64 announced: its size is
  // not known).
  Status WriteDocument() {
    const std::string& name = plan_.metadata_name;
    std::string held;
    bool streaming = false;
    Sha256 sha256;
    auto out = [&](std::string_view piece) -> Status {
      sha256.Update(piece.data(), piece.size());
      if (!streaming) {
        held.append(piece);
        if (held.size() <= limits_.document_memory_bytes) return Status::Ok();
        if (Status s = zip_.BeginEntry(name, zip::Method::kDeflate, level_, std::nullopt);
            !s.ok()) {
          return s;
        }
        streaming = true;
        piece = held;
      }
      Status written = zip_.Write(piece);
      std::string().swap(held);
      return written;
    };
    std::optional<SpilledOutcomes> outcomes;
    if (RecordsOutcomes()) outcomes.emplace(outcomes_);
    if (Status s = WriteMetadataDocument(planned_, outcomes ? &*outcomes : nullptr,
                                         plan_.WithImages(), exported_at_, out);
        !s.ok()) {
      return s;
    }
    const std::string digest = sha256.FinishHex();
    if (streaming) {
      if (Status s = zip_.EndEntry(); !s.ok()) return s;
      return Checksum(digest, name);
    }
    return AddWhole(name, held, digest);
  }

  // receipt.json, signed over the checksums lines so far: those of every other entry.
  Result<std::string> MakeReceipt() {
    Sha256 manifest;
    if (Status s = checksums_.ForEachChunk(limits_.stream_chunk_bytes,
                                           [&](std::string_view chunk) {
                                             manifest.Update(chunk.data(), chunk.size());
                                             return Status::Ok();
                                           });
        !s.ok()) {
      return s.error();
    }
    return ReceiptDocument(*receipt_, manifest.FinishHex());
  }

  // checksums.sha256: held whole when small, else streamed from its spill file with
  // its exact size.
  Status WriteChecksums() {
    const std::string name(kManifestEntry);
    if (!checksums_.spilled()) {
      std::string text;
      if (Status s = checksums_.ReadAt(0, static_cast<std::size_t>(checksums_.size()), text);
          !s.ok()) {
        return s;
      }
      return AddWhole(name, text, "");
    }
    if (Status s = zip_.BeginEntry(name, zip::Method::kDeflate, level_, checksums_.size());
        !s.ok()) {
      return s;
    }
    if (Status s = checksums_.ForEachChunk(
            limits_.stream_chunk_bytes, [&](std::string_view chunk) { return zip_.Write(chunk); });
        !s.ok()) {
      return s;
    }
    return zip_.EndEntry();
  }

  // A disc's own files, after its DICOM files and previews: DICOMDIR (made from the
  // staged copies, which are then removed), INDEX.HTM and its style sheet, README.TXT.
  Status WriteMediaFiles() {
    if (Status s = EndStudyPage(); !s.ok()) return s;
    auto directory = dicom::WriteMediaDirectory(stage_->root(), kMediaDicomFolder, "PACSPORT");
    if (!directory.ok()) return directory.error();
    if (Status s = AddStagedFile("DICOMDIR", stage_->root() / "DICOMDIR"); !s.ok()) return s;
    stage_.reset();  // the copies are no longer needed
    if (Status s = index_page_.Append(IndexPageTail()); !s.ok()) return s;
    if (Status s = AddChunks(std::string(kMediaIndexPage), index_page_.size(),
                             [&](const std::function<Status(std::string_view)>& out) {
                               return index_page_.ForEachChunk(limits_.stream_chunk_bytes, out);
                             });
        !s.ok()) {
      return s;
    }
    const std::string_view style = MediaStyleSheetText();
    if (Status s = AddWhole(std::string(kMediaStyleSheet), style, Sha256Hex(style)); !s.ok()) {
      return s;
    }
    MediaReadme readme;
    readme.exported_at = exported_at_;
    readme.exported_by = plan_.principal.username;
    readme.hospital = plan_.principal.hospital_name;
    readme.patients = media_patients_;
    readme.studies = media_studies_;
    readme.instances = instances_written_;
    readme.profile = std::string(dicom::MediaProfileName(directory->profile));
    readme.metadata_name = plan_.metadata_name;
    for (dicom::RefusedMediaFile& refused : directory->refused) {
      readme.not_indexed.push_back({std::move(refused.file_id), std::move(refused.reason)});
    }
    const std::string text = ReadmeText(readme);
    return AddWhole(std::string(kMediaReadme), text, Sha256Hex(text));
  }

  // Starts the page's section of the study `study` of a disc, under its patient's
  // heading when the patient changes.
  Status BeginStudyPage(const PlannedStudy& study) {
    if (Status s = EndStudyPage(); !s.ok()) return s;
    if (media_studies_ == 0 || study.study.patient_id != page_patient_id_) {
      page_patient_id_ = study.study.patient_id;
      ++media_patients_;
      if (Status s = index_page_.Append(IndexPagePatient(study.study)); !s.ok()) return s;
    }
    ++media_studies_;
    page_study_ = MediaStudyView();
    page_study_.folder = study.folder;
    page_series_.clear();
    return Status::Ok();
  }

  // Ends the section of the current study, if any.
  Status EndStudyPage() {
    if (!current_study_) return Status::Ok();
    page_study_.series = static_cast<std::int64_t>(page_series_.size());
    Status appended = index_page_.Append(IndexPageStudy(current_study_->study, page_study_));
    page_study_ = MediaStudyView();
    return appended;
  }

  // Adds the file at `path` (staged) as the entry `name`, read in chunks.
  Status AddStagedFile(const std::string& name, const std::filesystem::path& path) {
    std::error_code error;
    const std::uint64_t size = std::filesystem::file_size(path, error);
    if (error) return Internal("the staged " + name + " is missing: " + error.message());
    return AddChunks(name, size, [&](const std::function<Status(std::string_view)>& out) -> Status {
      std::ifstream in(path, std::ios::binary);
      std::string chunk(limits_.stream_chunk_bytes, '\0');
      while (in) {
        in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        const auto got = static_cast<std::size_t>(in.gcount());
        if (got == 0) break;
        if (Status s = out(std::string_view(chunk.data(), got)); !s.ok()) return s;
      }
      if (in.bad()) return Unavailable("cannot read the staged " + name);
      return Status::Ok();
    });
  }

  // Adds an entry of `size` bytes that `produce` hands over in pieces, with its checksum.
  Status AddChunks(
      const std::string& name, std::uint64_t size,
      const std::function<Status(const std::function<Status(std::string_view)>&)>& produce) {
    if (Status s = zip_.BeginEntry(name, zip::Method::kDeflate, level_, size); !s.ok()) return s;
    Sha256 sha256;
    if (Status s = produce([&](std::string_view piece) -> Status {
          sha256.Update(piece.data(), piece.size());
          return zip_.Write(piece);
        });
        !s.ok()) {
      return s;
    }
    if (Status s = zip_.EndEntry(); !s.ok()) return s;
    return Checksum(sha256.FinishHex(), name);
  }

  // The pipeline: hand out items in order → prepare in parallel → write in order.
  Status WriteInstances() {
    PlanItems items(planned_);
    // With previews, a thread that waits for a preview worker leaves its core to the
    // worker: twice as many threads keep both the deflating and the rendering going.
    const int threads =
        tbb::info::default_concurrency() * (plan_.WithPreviews() ? 2 : 1) + limits_.waiting_reads;
    const size_t window = limits_.window > 0 ? limits_.window : static_cast<size_t>(threads) + 1;
    // A token is an item's number. Tokens leave the pipeline in order and at most
    // `window` are alive, so the live ones always fit in a ring of `window` slots. The
    // slots, not oneTBB, own the items and their prepared entries: a cancelled pipeline
    // drops its tokens without destroying them.
    struct Slot {
      PlanItem item;
      PreparedInstance prepared;
    };
    std::vector<Slot> slots(window);
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
                                         if (failed) {
                                           control.stop();
                                           return 0;
                                         }
                                         auto item = items.Next();
                                         if (!item.ok()) fail(item.error());
                                         if (!item.ok() || !item->has_value()) {
                                           control.stop();
                                           return 0;
                                         }
                                         slots[next % window].item = std::move(**item);
                                         return next++;
                                       }) &
        tbb::make_filter<size_t, size_t>(
            tbb::filter_mode::parallel,
            [&](size_t index) -> size_t {
              Slot& slot = slots[index % window];
              if (!failed) {
                slot.prepared =
                    PrepareInstance(slot.item.instance(), source_, previews_, plan_.request.options,
                                    hospital_, plan_.WithPreviews() && !previews_spent_,
                                    limits_.whole_instance_max_bytes, stage_.get(),
                                    plan_.deidentifier.get());
              }
              return index;
            }) &
        tbb::make_filter<size_t, void>(tbb::filter_mode::serial_in_order, [&](size_t index) {
          Slot& slot = slots[index % window];
          if (!failed) {
            if (Status s = WriteInstance(slot.item, slot.prepared); !s.ok()) {
              fail(s.error());
            } else {
              ++instances_written_;
              if (progress_ != nullptr) ++progress_->instances_done;
            }
          }
          slot = Slot();  // frees the slot's memory (and maybe its study) now
        });
    // An exception in a stage cancels the pipeline and is rethrown here, for Run.
    tbb::task_arena(threads).execute([&] { tbb::parallel_pipeline(window, stages, context); });
    return failure;
  }

  // Writes one prepared instance; runs on one thread at a time, in plan order.
  Status WriteInstance(const PlanItem& item, PreparedInstance& prepared) {
    if (prepared.error) return *prepared.error;
    // current_study_ keeps the study alive, so a new one is never at its address.
    if (item.study != current_study_) {
      if (media_) {
        if (Status s = BeginStudyPage(*item.study); !s.ok()) return s;
      }
      current_study_ = item.study;
      next_frame_ = 0;
    }
    const PlannedInstance& instance = item.instance();
    if (media_) {
      page_series_.insert(instance.record.series_instance_uid);
      ++page_study_.instances;
    }
    if (prepared.streamed) {
      if (Status s = StreamInstance(instance, prepared); !s.ok()) return s;
    } else {
      if (Status s = zip_.Add(prepared.dicom); !s.ok()) return s;
      if (Status s = Checksum(prepared.dicom_sha256, prepared.dicom.name); !s.ok()) return s;
    }
    if (!RecordsOutcomes()) return Status::Ok();
    InstanceOutcome outcome;
    if (plan_.deidentifier) {
      outcome.sha256 = prepared.dicom_sha256;
      outcome.size = static_cast<std::int64_t>(prepared.dicom_size);
    }
    if (!plan_.WithPreviews()) return outcomes_.Append(EncodeOutcome(outcome));
    KeepWithinExportBudget(prepared);
    outcome.preview_error = std::move(prepared.preview_error);
    for (size_t i = 0; i < prepared.previews.size(); ++i) {
      zip::PreparedEntry& png = prepared.previews[i];
      auto name = PreviewName(next_frame_++);
      if (!name.ok()) return name.error();
      png.name = item.study->preview_directory + *name;
      if (Status s = zip_.Add(png); !s.ok()) return s;
      if (media_) page_study_.previews.push_back(png.name);
      if (Status s = Checksum(prepared.preview_sha256[i], png.name); !s.ok()) return s;
      outcome.previews.push_back(png.name);
    }
    if (media_ && outcome.preview_error) ++page_study_.without_previews;
    return outcomes_.Append(EncodeOutcome(outcome));
  }

  // The file name of a study's preview of `frame`: frame_K.png, F0000000.PNG on a disc.
  Result<std::string> PreviewName(std::int64_t frame) const {
    if (media_) return MediaPreviewName(frame);
    return "frame_" + std::to_string(frame) + ".png";
  }

  // Whether each instance's outcome is kept for the metadata document: its previews,
  // and a de-identified file's checksum and size.
  bool RecordsOutcomes() const { return plan_.WithPreviews() || plan_.deidentifier != nullptr; }

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
    if (plan_.deidentifier) return StreamDeidentified(instance, prepared);
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

  // A de-identified instance too large to hold: the original is copied to an unnamed
  // temporary file and checked against its ingest SHA-256 before anything of it is
  // used, de-identified from there into a second one (large values are copied
  // through, never held), which is streamed into the archive with its own SHA-256
  // (and staged for the DICOMDIR on a disc); previews are rendered from it unless
  // withheld.
  Status StreamDeidentified(const PlannedInstance& instance, PreparedInstance& prepared) {
    const InstanceRecord& record = instance.record;
    const auto directory = std::filesystem::temp_directory_path();
    auto original = preview::SharedObjectWriter::Create(directory);
    if (!original.ok()) return original.error();
    Sha256 checked;
    Status read = source_.ReadChunked(record.location, limits_.stream_chunk_bytes,
                                      [&](std::string_view chunk) -> Status {
                                        if (stop_.stop_requested())
                                          return Unavailable("export stopped");
                                        checked.Update(chunk.data(), chunk.size());
                                        return original->Append(chunk);
                                      });
    if (!read.ok()) {
      return Error(read.error().code(),
                   "instance " + record.sop_instance_uid + ": " + read.error().message());
    }
    if (!record.sha256.empty() && checked.FinishHex() != record.sha256) {
      return ChecksumMismatch(record);
    }
    auto original_object = original->Finish();
    if (!original_object.ok()) return original_object.error();
    auto original_bytes = MapShared(*original_object);
    if (!original_bytes.ok()) return original_bytes.error();

    auto output = preview::SharedObjectWriter::Create(directory);
    if (!output.ok()) return output.error();
    auto done = plan_.deidentifier->Apply(
        original_bytes->bytes(), [&](std::string_view piece) { return output->Append(piece); });
    if (!done.ok()) return DeidentificationFailed(record, done.error());
    auto output_object = output->Finish();
    if (!output_object.ok()) return output_object.error();
    auto output_bytes = MapShared(*output_object);
    if (!output_bytes.ok()) return output_bytes.error();

    const std::string_view bytes = output_bytes->bytes();
    if (stage_) {
      if (Status s = stage_->Put(instance.dicom_entry, bytes); !s.ok()) return s;
    }
    const int level = DicomEntryLevel(record, level_);
    if (Status s = zip_.BeginEntry(instance.dicom_entry,
                                   level == 0 ? zip::Method::kStore : zip::Method::kDeflate, level,
                                   bytes.size());
        !s.ok()) {
      return s;
    }
    Sha256 written;
    for (std::size_t at = 0; at < bytes.size(); at += limits_.stream_chunk_bytes) {
      if (stop_.stop_requested()) return Unavailable("export stopped");
      const std::string_view chunk = bytes.substr(at, limits_.stream_chunk_bytes);
      written.Update(chunk.data(), chunk.size());
      if (Status s = zip_.Write(chunk); !s.ok()) return s;
    }
    if (Status s = zip_.EndEntry(); !s.ok()) return s;
    prepared.dicom_sha256 = written.FinishHex();
    prepared.dicom_size = bytes.size();
    if (Status s = Checksum(prepared.dicom_sha256, instance.dicom_entry); !s.ok()) return s;
    if (!plan_.WithPreviews() || previews_spent_) return Status::Ok();
    if (auto withheld = WithheldPreviews(*done, plan_.deidentifier->request())) {
      prepared.preview_error = std::move(withheld);
      return Status::Ok();
    }
    SetPreviews(
        previews_.Render(PreviewJob(record, hospital_, plan_.request.options), *output_object),
        prepared);
    return Status::Ok();
  }

  // A read-only mapping of `object`, whose descriptor stays open for the workers.
  static Result<preview::MappedObject> MapShared(const preview::SharedObject& object) {
    const int fd = ::dup(object.fd());
    if (fd < 0) return Unavailable("cannot map a temporary copy of an instance");
    return preview::MappedObject::Map(fd, object.size());
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
    std::optional<MediaStage::File> staged;
    if (stage_) {
      auto opened = stage_->Open(instance.dicom_entry);
      if (!opened.ok()) return opened.error();
      staged.emplace(std::move(*opened));
    }
    Status written = Status::Ok();
    Status read = source_.ReadChunked(record.location, limits_.stream_chunk_bytes,
                                      [&](std::string_view chunk) -> Status {
                                        if (stop_.stop_requested())
                                          return Unavailable("export stopped");
                                        sha256.Update(chunk.data(), chunk.size());
                                        if (copy != nullptr && copied->ok())
                                          *copied = copy->Append(chunk);
                                        if (staged) {
                                          if (Status s = staged->Append(chunk); !s.ok()) {
                                            written = s;
                                            return s;
                                          }
                                        }
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
    return Checksum(digest, instance.dicom_entry);
  }

  // Adds an entry held whole, compressed at the export's level.
  Status AddWhole(const std::string& name, std::string_view data, const std::string& sha256) {
    if (Status s = zip_.Add(zip::Prepare(name, data, level_)); !s.ok()) return s;
    if (!sha256.empty()) return Checksum(sha256, name);
    return Status::Ok();
  }

  Status Checksum(const std::string& sha256, const std::string& name) {
    return checksums_.Append(sha256 + "  " + name + "\n");
  }

  PlannedExport& planned_;
  const ExportSummary& plan_;
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
  const ExportReceipt* const receipt_;  // null: no receipt.json
  zip::RecordSpill outcomes_;           // one per instance in plan order, with previews
  zip::SpillFile checksums_;            // the lines of checksums.sha256
  // Writer-stage state (one thread at a time, in plan order).
  std::shared_ptr<const PlannedStudy> current_study_;
  int next_frame_ = 0;
  std::int64_t instances_written_ = 0;
  std::uint64_t preview_bytes_ = 0;  // kept so far, within max_bytes_per_export
  // Set by the writer once the budget is spent; read by the parallel stage, which
  // then renders no more.
  std::atomic<bool> previews_spent_{false};
  // A disc (format=media): its staged DICOM files and
  // INDEX.HTM's sections so far (the page of the current study is still open).
  const bool media_;
  std::unique_ptr<MediaStage> stage_;  // from the start to the DICOMDIR, on a disc
  zip::SpillFile index_page_;
  std::int64_t media_patients_ = 0;
  std::int64_t media_studies_ = 0;
  std::string page_patient_id_;
  MediaStudyView page_study_;
  std::unordered_set<std::string> page_series_;  // the current study's Series UIDs
};

}  // namespace

Error FaultOf(const std::exception& fault) {
  if (dynamic_cast<const std::bad_alloc*>(&fault) != nullptr) {
    return Unavailable("out of memory while exporting");
  }
  return Internal(std::string("exporting failed unexpectedly: ") + fault.what());
}

PackageReport WriteArchive(PlannedExport& plan, DicomSource& source, preview::PreviewPool& previews,
                           ByteSink& sink, SystemTime exported_at, std::stop_token stop,
                           const PackagerLimits& limits, ExportProgress* progress,
                           const ExportReceipt* receipt) {
  // oneTBB gives all arenas together no more threads than cores unless told: the
  // pipelines' arenas ask for more (threads that wait for a preview worker or on the
  // network), so the limit is raised, once, for the life of the process.
  static const tbb::global_control allow_waiting_threads(
      tbb::global_control::max_allowed_parallelism, tbb::info::default_concurrency() * 4 + 64);
  return ArchiveBuilder(plan, source, previews, sink, exported_at, std::move(stop), limits,
                        progress, receipt)
      .Run();
}

}  // namespace pacsport
