#include "dicom/instance_parser.h"

#include <charconv>
#include <optional>
#include <string>
#include <tuple>

#include "core/names.h"
#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcdatset.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcspchrs.h"
#include "dicom/object_facts.h"
#include "dicom/object_loader.h"

namespace pacsport::dicom {

namespace {

// The value of a top-level string element as stored (all values, with their
// backslashes), without padding; empty when absent or not a string.
std::string RawString(DcmDataset& dataset, const DcmTagKey& tag) {
  DcmElement* element = nullptr;
  if (dataset.findAndGetElement(tag, element).bad() || element == nullptr) return {};
  char* value = nullptr;
  Uint32 length = 0;
  if (element->getString(value, length).bad() || value == nullptr) return {};
  return TrimPadding(std::string(value, length), false);
}

std::optional<int64_t> IntegerString(DcmDataset& dataset, const DcmTagKey& tag) {
  const std::string text = TrimPadding(RawString(dataset, tag), true);
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (begin != end && *begin == '+') ++begin;
  int64_t value = 0;
  const auto [stop, error] = std::from_chars(begin, end, value);
  if (begin == end || error != std::errc() || stop != end) return std::nullopt;
  return value;
}

// Converts the character-set dependent values (PN, LO, SH, ...) to UTF-8 according
// to the dataset's SpecificCharacterSet; a value that cannot be converted is kept
// as stored.
class Utf8Converter {
 public:
  explicit Utf8Converter(DcmDataset& dataset)
      : usable_(converter_.selectCharacterSet(dataset).good()) {}

  std::string Convert(std::string raw, const char* delimiters) {
    if (!usable_ || IsAscii(raw)) return raw;
    OFString converted;
    if (converter_.convertString(raw.data(), raw.size(), converted, delimiters).bad()) return raw;
    return std::string(converted.c_str(), converted.length());
  }

 private:
  static bool IsAscii(const std::string& text) {
    for (const char c : text) {
      if (static_cast<unsigned char>(c) >= 0x80 || c == 0x1b) return false;  // ESC: ISO 2022
    }
    return true;
  }

  DcmSpecificCharacterSet converter_;
  bool usable_;
};

// PS3.5 6.1.2.5.3: components and component groups of a person name reset the
// character set to the default, like a new value does.
constexpr const char* kNameDelimiters = "\\^=";
constexpr const char* kValueDelimiters = "\\";

Result<std::string> RequiredUid(DcmDataset& dataset, const DcmTagKey& tag, const char* name) {
  std::string uid = TrimPadding(RawString(dataset, tag), true);
  if (uid.empty()) return InvalidInput(std::string("missing ") + name);
  if (!IsValidUid(uid)) return InvalidInput(std::string("invalid ") + name);
  return uid;
}

}  // namespace

Result<InstanceMetadata> ParseInstance(std::string_view bytes) {
  Result<DicomObject> loaded = LoadObject(bytes);
  if (!loaded.ok()) return loaded.error();
  DcmFileFormat& file = **loaded;
  DcmDataset& dataset = *file.getDataset();

  InstanceMetadata meta;
  for (auto [tag, name, target] :
       {std::tuple{DCM_StudyInstanceUID, "StudyInstanceUID", &meta.study_instance_uid},
        std::tuple{DCM_SeriesInstanceUID, "SeriesInstanceUID", &meta.series_instance_uid},
        std::tuple{DCM_SOPInstanceUID, "SOPInstanceUID", &meta.sop_instance_uid}}) {
    Result<std::string> uid = RequiredUid(dataset, tag, name);
    if (!uid.ok()) return uid.error();
    *target = std::move(uid).value();
  }

  Utf8Converter utf8(dataset);
  meta.patient_id = utf8.Convert(RawString(dataset, DCM_PatientID), kValueDelimiters);
  meta.patient_name = utf8.Convert(RawString(dataset, DCM_PatientName), kNameDelimiters);
  meta.patient_birth_date = RawString(dataset, DCM_PatientBirthDate);
  meta.patient_sex = RawString(dataset, DCM_PatientSex);
  meta.study_date = RawString(dataset, DCM_StudyDate);
  meta.study_time = RawString(dataset, DCM_StudyTime);
  meta.study_description = utf8.Convert(RawString(dataset, DCM_StudyDescription), kValueDelimiters);
  meta.accession_number = utf8.Convert(RawString(dataset, DCM_AccessionNumber), kValueDelimiters);
  meta.series_number = IntegerString(dataset, DCM_SeriesNumber);
  meta.modality = RawString(dataset, DCM_Modality);
  meta.series_description =
      utf8.Convert(RawString(dataset, DCM_SeriesDescription), kValueDelimiters);
  meta.sop_class_uid = TrimPadding(RawString(dataset, DCM_SOPClassUID), true);
  meta.instance_number = IntegerString(dataset, DCM_InstanceNumber);
  meta.transfer_syntax_uid = TransferSyntaxUid(file);
  meta.number_of_frames = FrameCount(file);
  return meta;
}

}  // namespace pacsport::dicom
