#include "dicom/instance_parser.h"

#include <charconv>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include "core/digest.h"
#include "core/names.h"
#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcdatset.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcspchrs.h"
#include "dicom/character_set.h"
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
// to the dataset's SpecificCharacterSet, read as its writer evidently meant it; a
// value that cannot be converted is kept as stored.
class Utf8Converter {
 public:
  explicit Utf8Converter(DcmDataset& dataset)
      : usable_(converter_
                    .selectCharacterSet(
                        NormalizeSpecificCharacterSet(RawString(dataset, DCM_SpecificCharacterSet))
                            .c_str())
                    .good()) {}

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

// Orthanc hashes a value stored with VR UN byte for byte, up to a NUL, padding
// included; any other value without its padding, as parsed. DCMTK, set to read UN
// elements with the dictionary's VR (Initialize), no longer tells which were UN, so
// this looks in the object's first bytes for an Explicit VR Little Endian UN element
// of `tag` whose value is `parsed` plus padding. Returns the value Orthanc hashes.
std::string OrthancView(std::string_view bytes, const DcmTagKey& tag, const std::string& parsed) {
  constexpr size_t kSearched = size_t{64} << 20;  // identifying tags come early
  bytes = bytes.substr(0, kSearched);
  const auto byte = [](unsigned value) { return static_cast<char>(value & 0xff); };
  const char header[8] = {byte(tag.getGroup()),
                          byte(tag.getGroup() >> 8),
                          byte(tag.getElement()),
                          byte(tag.getElement() >> 8),
                          'U',
                          'N',
                          0,
                          0};
  const std::string_view pattern(header, sizeof(header));
  for (size_t at = bytes.find(pattern); at != std::string_view::npos;
       at = bytes.find(pattern, at + 1)) {
    const std::string_view rest = bytes.substr(at + sizeof(header));
    if (rest.size() < 4) break;
    const uint32_t length = static_cast<uint8_t>(rest[0]) | static_cast<uint8_t>(rest[1]) << 8 |
                            static_cast<uint8_t>(rest[2]) << 16 |
                            static_cast<uint32_t>(static_cast<uint8_t>(rest[3])) << 24;
    if (length > rest.size() - 4) continue;
    std::string_view value = rest.substr(4, length);
    value = value.substr(0, value.find('\0'));
    if (value.starts_with(parsed) &&
        value.find_first_not_of(' ', parsed.size()) == std::string_view::npos) {
      return std::string(value);
    }
  }
  return parsed;
}

}  // namespace

Result<InstanceMetadata> ParseInstance(std::string_view bytes, const ParseLimits& limits) {
  Result<DicomObject> loaded = LoadObject(bytes, limits);
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
  if (meta.number_of_frames > 0) {
    for (auto [tag, target] :
         {std::pair{DCM_Rows, &meta.rows}, std::pair{DCM_Columns, &meta.columns},
          std::pair{DCM_SamplesPerPixel, &meta.samples_per_pixel},
          std::pair{DCM_BitsAllocated, &meta.bits_allocated}}) {
      Uint16 value = 0;
      if (dataset.findAndGetUint16(tag, value).good()) *target = value;
    }
  }
  meta.orthanc_instance_id =
      OrthancInstanceId(OrthancView(bytes, DCM_PatientID, meta.patient_id),
                        OrthancView(bytes, DCM_StudyInstanceUID, meta.study_instance_uid),
                        OrthancView(bytes, DCM_SeriesInstanceUID, meta.series_instance_uid),
                        OrthancView(bytes, DCM_SOPInstanceUID, meta.sop_instance_uid));
  return meta;
}

}  // namespace pacsport::dicom
