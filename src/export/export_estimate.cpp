#include "export/export_estimate.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/names.h"

namespace pacsport {
namespace {

// ZIP records of one entry on top of its name (written twice): local header (30),
// data descriptor (16, 24 with ZIP64) and central directory record (46), plus the
// extra fields the writer adds; measured on the demo's archives (docs/performance.md).
constexpr std::int64_t kEntryRecordBytes = 94;
constexpr std::int64_t kEndRecordsBytes = 22;  // end of central directory

// The metadata document (indent 2) around the values the index sums: keys, quotes,
// indentation and punctuation of one object, counted from record_json.cpp.
constexpr std::int64_t kInstanceObjectBytes = 362;
constexpr std::int64_t kStudyObjectBytes = 400;
constexpr std::int64_t kPatientObjectBytes = 218;
constexpr std::int64_t kDocumentBytes = 193;  // braces, the "metadata" block
// One preview's name in the document's "previews" array: indentation, quotes, comma.
constexpr std::int64_t kPreviewListItemBytes = 12;

// Deflate of the metadata document and of checksums.sha256, least squares over every
// study, patient and "all" export of the demo (bench/estimate_accuracy.py): a SHA-256
// in hex carries 32 bytes of entropy and costs about 33 in the document and 36 in the
// checksums (with its line); the rest of the document (keys, indentation, UIDs sharing
// prefixes) deflates to under a tenth, entry names to a twelfth; small documents pay
// a fixed cost (deflate's block header and the first, unmatched, literals).
constexpr double kDocumentDeflatedFixed = 467;
constexpr double kDocumentDeflatedPerInstance = 32.8;
constexpr double kDocumentDeflateRatio = 0.0964;  // of the document without SHA-256s
constexpr double kChecksumsDeflatedFixed = 50;
constexpr double kChecksumsDeflatedPerLine = 36.4;
constexpr double kNamesDeflateRatio = 0.079;
// receipt.json (export_receipt.h): its keys, digest, key and signature, plus the
// names it repeats (user, hospital, target twice); it deflates to about two thirds,
// the digest, key and signature being incompressible.
constexpr std::int64_t kReceiptBytes = 560;
constexpr double kReceiptDeflateRatio = 0.68;
constexpr std::int64_t kReceiptNameBytes = 12;  // "receipt.json"

// Level 9 (or 2 to 8) against the level-1 size measured at ingest: 0.999 on the
// synthetic CT, 0.965 on the pydicom corpus (bench/estimate_accuracy.py).
// A disc's own entries (format=media, decision 0017), measured on discs of the demo
// data: the DICOMDIR's records (a header, a record per patient, per study with its
// series, per instance) and how well they deflate; INDEX.HTM (a section per study, two
// names per preview); README.TXT and the style sheet. Their names: "DICOMDIR",
// "INDEX.HTM", "IHE_PDI/STYLE.CSS", "README.TXT". File IDs and preview names have a
// fixed length (media_names.h).
constexpr double kDicomdirFixed = 400, kDicomdirPerPatient = 150, kDicomdirPerStudy = 400,
                 kDicomdirPerInstance = 250;
constexpr double kDicomdirDeflatedFixed = 300, kDicomdirDeflateRatio = 0.15;
constexpr double kIndexPageFixed = 700, kIndexPagePerStudy = 600, kIndexPagePerPreview = 110;
constexpr double kIndexPageDeflatedFixed = 500, kIndexPageDeflatedPerStudy = 40,
                 kIndexPageDeflatedPerPreview = 20;
constexpr double kReadmeAndStyleBytes = 1700, kReadmeAndStyleDeflated = 1100;
constexpr std::int64_t kMediaEntries = 4, kMediaNameBytes = 44;
constexpr std::int64_t kMediaFileIdBytes = 41, kMediaPreviewNameBytes = 38;

constexpr double kLevelFactor = 0.98;
// Instances indexed before deflated sizes were measured: half their size.
constexpr double kUnmeasuredDeflateRatio = 0.5;

// A PNG preview: signature, IHDR, IDAT and IEND chunks and the zlib wrapper.
constexpr double kPngFixedBytes = 70;
// A preview's PNG bytes per output sample (8-bit grey or RGB) follow how well the
// source's pixel data compresses, in compressed bytes per source sample: deflated at
// ingest for native syntaxes, as stored for the others. Fitted on the pydicom corpus
// and the synthetic CT (docs/performance.md, 2026-12-03): about 0.57 for native data
// (CT_small 0.49, MR_small 0.53, synthetic CT 0.58). Encapsulated data are sized by
// their codec's output at 0.4 of it, within 0.12 (grey) or 0.025 (RGB) to 0.75 bytes
// per sample: a lossy codec hides how busy the image is (the corpus's lossy JPEG and
// JPEG 2000 images give 0.08 to 0.19 bytes per grey pixel, 0.017 to 0.06 per RGB
// sample, whatever their compressed size).
constexpr double kPngPerDeflatedSample = 0.57;
constexpr double kPngPerCodecSample = 0.4;
constexpr double kPngGreyMinPerPixel = 0.12;
constexpr double kPngRgbMinPerSample = 0.025;
constexpr double kPngMaxPerSample = 0.75;

std::int64_t Digits(std::int64_t value) {
  return static_cast<std::int64_t>(std::to_string(std::max<std::int64_t>(value, 0)).size());
}

// The DICOM entries of one group as the packager writes them at `level`.
double DicomEntryBytes(const InstanceGroupTotals& group, int level) {
  if (group.encapsulated || level == 0) return static_cast<double>(group.bytes);
  const double measured = std::min<double>(static_cast<double>(group.deflated_bytes) * kLevelFactor,
                                           static_cast<double>(group.measured_bytes));
  const double unmeasured =
      static_cast<double>(group.bytes - group.measured_bytes) * kUnmeasuredDeflateRatio;
  return measured + unmeasured;
}

// The PNG previews of one group's frames.
double PreviewBytes(const InstanceGroupTotals& group, std::uint32_t max_side) {
  if (group.frames == 0) return 0;
  if (!group.rows || !group.columns || !group.samples_per_pixel || !group.bits_allocated ||
      *group.rows <= 0 || *group.columns <= 0) {
    return static_cast<double>(group.frames * kPreviewBytesPerFrame);
  }
  const double rows = static_cast<double>(*group.rows);
  const double columns = static_cast<double>(*group.columns);
  const double samples = static_cast<double>(std::max<std::int64_t>(*group.samples_per_pixel, 1));
  const double bits = static_cast<double>(std::max<std::int64_t>(*group.bits_allocated, 1));
  const double frames = static_cast<double>(group.frames);
  double scale = 1;
  if (max_side > 0 && std::max(rows, columns) > max_side) {
    scale = static_cast<double>(max_side) / std::max(rows, columns);
  }
  const double out_pixels =
      std::max(1.0, std::round(rows * scale)) * std::max(1.0, std::round(columns * scale));
  const bool grey = samples < 3;
  const double source_samples = rows * columns * samples * frames;
  // The pixel data's share of the files (the rest is the header and other elements).
  const double pixel_share =
      std::min(1.0, source_samples * bits / 8 / std::max(1.0, static_cast<double>(group.bytes)));
  double density = 0;  // PNG bytes per output sample
  if (group.encapsulated) {
    density = kPngPerCodecSample * static_cast<double>(group.bytes) * pixel_share / source_samples;
    density = grey ? std::clamp(density, kPngGreyMinPerPixel, kPngMaxPerSample)
                   : std::clamp(density, kPngRgbMinPerSample, kPngMaxPerSample);
  } else {
    double compressed = static_cast<double>(group.bytes);  // a deflated dataset: as stored
    if (!group.deflated_dataset) {
      compressed = group.measured_bytes > 0
                       ? static_cast<double>(group.deflated_bytes) *
                             static_cast<double>(group.bytes) /
                             static_cast<double>(group.measured_bytes)
                       : static_cast<double>(group.bytes) * kUnmeasuredDeflateRatio;
    }
    density = kPngPerDeflatedSample * compressed * pixel_share / source_samples;
  }
  density = std::min(1.0, density);
  return frames * (kPngFixedBytes + out_pixels * (grey ? 1 : 3) * density);
}

// Characters of the folders an entry name starts with, summed over `count` entries
// whose study UIDs and Patient IDs add up to `folder_chars`.
std::int64_t FolderChars(ExportScope scope, std::int64_t count, std::int64_t folder_chars,
                         std::int64_t patient_id_chars) {
  switch (scope) {
    case ExportScope::kStudy:
    case ExportScope::kSeries:
      return 0;
    case ExportScope::kPatient:  // studies/UID/
      return count * 9 + folder_chars - count * patient_id_chars;
    case ExportScope::kAll:
    case ExportScope::kStudies:
    case ExportScope::kPatients:  // patients/PID/studies/UID/
      return count * 19 + folder_chars;
  }
  return 0;
}

Status CheckRequest(const Principal& principal, const ExportRequest& request) {
  switch (request.scope) {
    case ExportScope::kStudy:
      if (!IsValidUid(request.target)) return InvalidInput("studyUID is not a valid DICOM UID");
      return Status::Ok();
    case ExportScope::kSeries:
      if (!IsValidUid(request.target)) return InvalidInput("seriesUID is not a valid DICOM UID");
      return Status::Ok();
    case ExportScope::kPatient:
      return CheckExportablePatientId(request.target, "patientID");
    case ExportScope::kAll:
      if (principal.role != Role::kAdmin)
        return Forbidden("exporting everything requires the admin role");
      return Status::Ok();
    case ExportScope::kStudies:
    case ExportScope::kPatients:
      if (request.targets.empty()) return InvalidInput("ids must name at least one");
      if (request.targets.size() > kMaxBatchTargets) {
        return InvalidInput("ids may name at most " + std::to_string(kMaxBatchTargets));
      }
      for (const std::string& id : request.targets) {
        if (request.scope == ExportScope::kStudies && !IsValidUid(id)) {
          return InvalidInput("ids: " + id + " is not a valid DICOM UID");
        }
        if (request.scope == ExportScope::kPatients) {
          if (Status s = CheckExportablePatientId(id, "ids"); !s.ok()) return s;
        }
      }
      return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace

Result<ExportEstimate> EstimateExport(Index& index, const Principal& principal,
                                      const ExportRequest& request, SystemTime /*now*/) {
  if (Status s = CheckRequest(principal, request); !s.ok()) return s.error();
  ExportScopeQuery query;
  switch (request.scope) {
    case ExportScope::kStudy:
      query = {ExportScopeQuery::Kind::kStudies, {request.target}};
      break;
    case ExportScope::kStudies:
      query = {ExportScopeQuery::Kind::kStudies, request.targets};
      break;
    case ExportScope::kSeries:
      query = {ExportScopeQuery::Kind::kSeries, {request.target}};
      break;
    case ExportScope::kPatient:
      query = {ExportScopeQuery::Kind::kPatients, {request.target}};
      break;
    case ExportScope::kPatients:
      query = {ExportScopeQuery::Kind::kPatients, request.targets};
      break;
    case ExportScope::kAll:
      query = {ExportScopeQuery::Kind::kHospital, {}};
      break;
  }
  auto totals = index.SumExportScope(principal.hospital_id, query);
  if (!totals.ok()) return totals.error();
  const auto asked = static_cast<std::int64_t>(query.ids.size());
  if (query.kind == ExportScopeQuery::Kind::kStudies && totals->studies < asked) {
    return NotFound("no such study");
  }
  if (query.kind == ExportScopeQuery::Kind::kPatients && totals->patients < asked) {
    return NotFound("no such patient");
  }
  if (query.kind == ExportScopeQuery::Kind::kSeries && totals->studies < asked) {
    return NotFound("no such series");
  }
  return EstimateFromTotals(*totals, principal, request);
}

ExportEstimate EstimateFromTotals(const ExportScopeTotals& totals, const Principal& principal,
                                  const ExportRequest& request) {
  const ExportOptions& options = request.options;
  const bool zip = IsArchive(options.format);
  const bool images = zip && options.include_images == IncludeImages::kYes;
  const bool previews = images && options.previews == IncludePreviews::kYes;
  const int level = std::clamp(options.compression_level, 0, 9);
  const std::int64_t patient_id_chars =
      request.scope == ExportScope::kPatient ? static_cast<std::int64_t>(request.target.size()) : 0;

  ExportEstimate estimate;
  estimate.studies = totals.studies;
  std::int64_t text_chars = 0, folder_chars = 0, frame_folder_chars = 0;
  double dicom = 0, png = 0;
  for (const InstanceGroupTotals& group : totals.groups) {
    estimate.instances += group.instances;
    estimate.dicom_bytes += group.bytes;
    estimate.frames += group.frames;
    text_chars += group.text_chars;
    folder_chars += group.folder_chars;
    frame_folder_chars += group.frame_folder_chars;
    if (images) dicom += DicomEntryBytes(group, level);
    if (previews) png += PreviewBytes(group, options.preview_max_side);
  }
  const std::int64_t instances = estimate.instances;
  const std::int64_t frames = previews ? estimate.frames : 0;

  // Entry names: "dicom/N.dcm" or ".../N.dcm", ".../previews/frame_K.png".
  const std::int64_t per_study = totals.studies > 0 ? instances / totals.studies : instances;
  const bool media = options.format == ExportFormat::kMedia;
  const std::int64_t dicom_names =
      !images ? 0
      : media ? instances * kMediaFileIdBytes
              : instances * ((IsSingleStudy(request.scope) ? 6 : 0) + Digits(per_study) + 4) +
                    FolderChars(request.scope, instances, folder_chars, patient_id_chars);
  const std::int64_t frames_per_study = totals.studies > 0 ? frames / totals.studies : frames;
  const std::int64_t preview_names =
      !previews ? 0
      : media   ? frames * kMediaPreviewNameBytes
                : frames * (15 + Digits(frames_per_study) + 4) +
                    FolderChars(request.scope, frames, frame_folder_chars, patient_id_chars);

  // The metadata document, as BuildMetadataDocument writes it.
  const std::int64_t document = kDocumentBytes +
                                static_cast<std::int64_t>(principal.username.size()) +
                                static_cast<std::int64_t>(principal.hospital_name.size()) +
                                totals.patients * kPatientObjectBytes + totals.patient_text_chars +
                                totals.studies * kStudyObjectBytes + totals.study_text_chars +
                                instances * kInstanceObjectBytes + text_chars +
                                (images ? dicom_names + 2 * instances : 4 * instances) +
                                (previews ? preview_names + frames * kPreviewListItemBytes : 0);
  if (!zip) {
    estimate.estimated_bytes = document;
    return estimate;
  }

  const std::int64_t document_entry =
      level == 0
          ? document
          : static_cast<std::int64_t>(
                kDocumentDeflatedFixed +
                kDocumentDeflatedPerInstance * static_cast<double>(instances) +
                kDocumentDeflateRatio *
                    static_cast<double>(std::max<std::int64_t>(document - 64 * instances, 0)));
  const std::int64_t document_name = 15;  // e.g. "study_data.json"
  const std::int64_t receipt = kReceiptBytes +
                               static_cast<std::int64_t>(principal.username.size()) +
                               static_cast<std::int64_t>(principal.hospital_name.size()) +
                               2 * static_cast<std::int64_t>(request.target.size());
  const std::int64_t receipt_entry =
      level == 0 ? receipt
                 : static_cast<std::int64_t>(kReceiptDeflateRatio * static_cast<double>(receipt));
  // A disc's DICOMDIR, INDEX.HTM, README.TXT and style sheet.
  double media_entries = 0;
  if (media) {
    const auto studies = static_cast<double>(totals.studies);
    const double dicomdir =
        kDicomdirFixed + kDicomdirPerPatient * static_cast<double>(totals.patients) +
        kDicomdirPerStudy * studies + kDicomdirPerInstance * static_cast<double>(instances);
    const double page = kIndexPageFixed + kIndexPagePerStudy * studies +
                        kIndexPagePerPreview * static_cast<double>(frames);
    media_entries = level == 0
                        ? dicomdir + page + kReadmeAndStyleBytes
                        : kDicomdirDeflatedFixed + kDicomdirDeflateRatio * dicomdir +
                              kIndexPageDeflatedFixed + kIndexPageDeflatedPerStudy * studies +
                              kIndexPageDeflatedPerPreview * static_cast<double>(frames) +
                              kReadmeAndStyleDeflated;
  }
  // checksums.sha256: "<sha256>  <name>\n" for every other entry.
  const std::int64_t files = 2 + (images ? instances : 0) + frames + (media ? kMediaEntries : 0);
  const std::int64_t names = document_name + kReceiptNameBytes + dicom_names + preview_names +
                             (media ? kMediaNameBytes : 0);
  const std::int64_t checksums_raw = files * 67 + names;
  const std::int64_t checksums_entry =
      level == 0
          ? checksums_raw
          : static_cast<std::int64_t>(kChecksumsDeflatedFixed +
                                      kChecksumsDeflatedPerLine * static_cast<double>(files) +
                                      kNamesDeflateRatio * static_cast<double>(names));
  const std::int64_t entries = files + 1;
  const std::int64_t records = entries * kEntryRecordBytes + 2 * (names + 16) + kEndRecordsBytes;

  estimate.estimated_dicom_bytes = static_cast<std::int64_t>(std::llround(dicom));
  estimate.estimated_preview_bytes = static_cast<std::int64_t>(std::llround(png));
  estimate.estimated_bytes = estimate.estimated_dicom_bytes + estimate.estimated_preview_bytes +
                             document_entry + receipt_entry + checksums_entry + records +
                             static_cast<std::int64_t>(media_entries);
  return estimate;
}

}  // namespace pacsport
