#include "deid/deidentifier.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <map>
#include <vector>

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcdatset.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcitem.h"
#include "dcmtk/dcmdata/dcostrmb.h"
#include "dcmtk/dcmdata/dcsequen.h"
#include "dcmtk/dcmdata/dcwcache.h"
#include "dcmtk/dcmdata/dcxfer.h"
#include "deid/private_tags.h"
#include "deid/profile_table.h"
#include "dicom/object_loader.h"

namespace pacsport::deid {
namespace {

constexpr const char* kDummyText = "ANONYMIZED";
constexpr std::size_t kPreambleBytes = 128;
constexpr std::size_t kMinIdentifierLength = 3;  // shorter fragments would eat words

std::string StringOf(DcmItem& item, const DcmTagKey& tag) {
  OFString value;
  if (item.findAndGetOFStringArray(tag, value).bad()) return "";
  return value.c_str();
}

std::string StringOf(DcmElement& element) {
  OFString value;
  if (element.getOFStringArray(value).bad()) return "";
  return value.c_str();
}

std::vector<std::string> Split(const std::string& text, const std::string& separators) {
  std::vector<std::string> parts;
  std::string part;
  for (char c : text) {
    if (separators.find(c) != std::string::npos) {
      parts.push_back(part);
      part.clear();
    } else {
      part.push_back(c);
    }
  }
  parts.push_back(part);
  return parts;
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The work on one object: its identifiers, found before anything changes, and the
// profile's actions applied item by item.
class Pass {
 public:
  Pass(const Pseudonyms& pseudonyms, const DeidentifyRequest& request, DcmDataset& data)
      : pseudonyms_(pseudonyms), request_(request) {
    patient_id_ = StringOf(data, DCM_PatientID);
    shift_days_ = pseudonyms.DateShiftDays(patient_id_);
    CollectIdentifiers(data);
  }

  // Applies the profile to `item` and, recursively, its sequences' items.
  void Clean(DcmItem& item) {
    // Private creators of this item, by group and block, to judge their elements.
    std::map<std::pair<std::uint16_t, std::uint16_t>, std::string> creators;
    for (unsigned long i = 0; i < item.card(); ++i) {
      DcmElement* element = item.getElement(i);
      const DcmTag& tag = element->getTag();
      if (tag.isPrivateReservation()) {
        creators[{tag.getGTag(), tag.getETag()}] = StringOf(*element);
      }
    }
    for (unsigned long i = item.card(); i-- > 0;) {
      DcmElement* element = item.getElement(i);
      const DcmTag tag = element->getTag();
      if (tag.isPrivate()) {
        if (!KeepPrivate(tag, creators)) delete item.remove(i);
        continue;
      }
      const auto action = ActionFor(tag.getGTag(), tag.getETag(), request_);
      if (!action) {
        if (element->ident() == EVR_SQ) CleanItems(*element);
        continue;
      }
      if (!Apply(*action, *element)) delete item.remove(i);
    }
  }

  const std::string& patient_id() const { return patient_id_; }

 private:
  bool KeepPrivate(const DcmTag& tag,
                   const std::map<std::pair<std::uint16_t, std::uint16_t>, std::string>& creators) {
    const std::uint16_t group = tag.getGTag();
    if (tag.isPrivateReservation()) {
      return IsSafeCreator(creators.at({group, tag.getETag()}), group);
    }
    const std::uint16_t block = tag.getETag() >> 8;
    const auto creator = creators.find({group, block});
    return creator != creators.end() && IsSafePrivate(creator->second, group, tag.getETag());
  }

  void CleanItems(DcmElement& element) {
    auto& sequence = static_cast<DcmSequenceOfItems&>(element);
    for (unsigned long i = 0; i < sequence.card(); ++i) Clean(*sequence.getItem(i));
  }

  // Applies `action` to `element`; false when it must go.
  bool Apply(Action action, DcmElement& element) {
    const DcmEVR vr = element.ident();
    if (vr == EVR_SQ) {
      // A sequence kept, cleaned or given a dummy keeps its items, each cleaned in
      // turn; zero length empties it.
      if (action == Action::kRemove) return false;
      if (action == Action::kEmpty) {
        static_cast<DcmSequenceOfItems&>(element).clear();
      } else {
        CleanItems(element);
      }
      return true;
    }
    switch (action) {
      case Action::kRemove:
        return false;
      case Action::kKeep:
        return true;
      case Action::kEmpty:
        element.clear();
        return true;
      case Action::kDummy:
        return PutDummy(element, vr);
      case Action::kNewUid:
        if (vr == EVR_UI) return MapUids(element);
        element.clear();
        return true;
      case Action::kClean:
        return CleanValue(element, vr);
    }
    return false;
  }

  bool PutDummy(DcmElement& element, DcmEVR vr) {
    switch (vr) {
      case EVR_DA:
        return element.putString("19000101").good();
      case EVR_TM:
        return element.putString("000000").good();
      case EVR_DT:
        return element.putString("19000101000000").good();
      case EVR_AS:
        return element.putString("000Y").good();
      case EVR_DS:
      case EVR_IS:
        return element.putString("0").good();
      case EVR_UI:
        return MapUids(element);
      case EVR_AE:
      case EVR_CS:
      case EVR_LO:
      case EVR_LT:
      case EVR_PN:
      case EVR_SH:
      case EVR_ST:
      case EVR_UC:
      case EVR_UT:
        return element.putString(kDummyText).good();
      default:
        element.clear();  // binary and numeric values: no meaningful dummy
        return true;
    }
  }

  // Each value of a UI element replaced by its pseudonym.
  bool MapUids(DcmElement& element) {
    const std::string value = StringOf(element);
    if (value.empty()) return true;
    std::string mapped;
    for (const std::string& uid : Split(value, "\\")) {
      if (!mapped.empty()) mapped.push_back('\\');
      mapped += uid.empty() ? "" : pseudonyms_.Uid(uid);
    }
    return element.putString(mapped.c_str()).good();
  }

  // C: dates moved back by the patient's offset; times kept (the offset is whole
  // days); text cleaned of the object's identifiers; other values kept.
  bool CleanValue(DcmElement& element, DcmEVR vr) {
    const std::string value = StringOf(element);
    if (value.empty()) return true;
    std::string cleaned;
    switch (vr) {
      case EVR_DA:
      case EVR_DT:
        for (const std::string& part : Split(value, "\\")) {
          if (!cleaned.empty()) cleaned.push_back('\\');
          const std::string date = ShiftDate(part.substr(0, 8), shift_days_);
          if (date.empty()) return false;  // no date to keep: removed
          cleaned += date + part.substr(8);
        }
        break;
      case EVR_LO:
      case EVR_LT:
      case EVR_SH:
      case EVR_ST:
      case EVR_UC:
      case EVR_UT:
      case EVR_PN:
        cleaned = CleanText(value);
        break;
      default:
        return true;
    }
    return element.putString(cleaned.c_str()).good();
  }

  // `text` without any occurrence, in any letter case, of the object's identifiers.
  std::string CleanText(const std::string& text) const {
    std::string result = text;
    for (const std::string& identifier : identifiers_) {
      std::string lower = Lower(result);
      for (std::size_t at = lower.find(identifier); at != std::string::npos;
           at = lower.find(identifier)) {
        result.erase(at, identifier.size());
        lower.erase(at, identifier.size());
      }
    }
    return result;
  }

  void CollectIdentifiers(DcmDataset& data) {
    const DcmTagKey names[] = {DCM_PatientName,
                               DCM_ReferringPhysicianName,
                               DCM_PerformingPhysicianName,
                               DCM_OperatorsName,
                               DCM_NameOfPhysiciansReadingStudy,
                               DCM_PatientMotherBirthName,
                               DCM_OtherPatientNames,
                               DCM_PatientBirthName};
    for (const DcmTagKey& tag : names) {
      const std::string name = StringOf(data, tag);
      AddIdentifier(name);
      for (const std::string& part : Split(name, "^=\\ ")) AddIdentifier(part);
    }
    const DcmTagKey values[] = {
        DCM_PatientID,        DCM_RETIRED_OtherPatientIDs, DCM_AccessionNumber,
        DCM_PatientBirthDate, DCM_InstitutionName,         DCM_InstitutionAddress,
        DCM_PatientAddress,   DCM_PatientTelephoneNumbers, DCM_RETIRED_MedicalRecordLocator,
        DCM_StudyID};
    for (const DcmTagKey& tag : values) {
      for (const std::string& part : Split(StringOf(data, tag), "\\")) AddIdentifier(part);
    }
    // Longest first, so that a name goes whole before its parts are looked for.
    std::sort(identifiers_.begin(), identifiers_.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  }

  void AddIdentifier(const std::string& value) {
    std::string trimmed = value;
    while (!trimmed.empty() && trimmed.back() == ' ') trimmed.pop_back();
    while (!trimmed.empty() && trimmed.front() == ' ') trimmed.erase(0, 1);
    if (trimmed.size() < kMinIdentifierLength) return;
    trimmed = Lower(trimmed);
    if (std::find(identifiers_.begin(), identifiers_.end(), trimmed) == identifiers_.end()) {
      identifiers_.push_back(trimmed);
    }
  }

  const Pseudonyms& pseudonyms_;
  const DeidentifyRequest& request_;
  std::string patient_id_;
  int shift_days_ = 0;
  std::vector<std::string> identifiers_;  // lower case, longest first
};

Status MarkDeidentified(DcmDataset& data, const DeidentifyRequest& request,
                        const std::string& pseudonym) {
  OFCondition status = data.putAndInsertString(DCM_PatientID, pseudonym.c_str());
  if (status.good()) status = data.putAndInsertString(DCM_PatientName, pseudonym.c_str());
  if (status.good()) status = data.putAndInsertString(DCM_PatientIdentityRemoved, "YES");
  if (status.good()) {
    status =
        data.putAndInsertString(DCM_DeidentificationMethod, MethodDescription(request).c_str());
  }
  if (status.good() && request.Has(Option::kRetainLongitudinalModifiedDates)) {
    status = data.putAndInsertString(DCM_LongitudinalTemporalInformationModified, "MODIFIED");
  }
  delete data.remove(DCM_DeidentificationMethodCodeSequence);
  for (const MethodCode& code : MethodCodes(request)) {
    DcmItem* item = nullptr;
    if (status.good()) {
      status = data.findOrCreateSequenceItem(DCM_DeidentificationMethodCodeSequence, item, -2);
    }
    if (status.good()) status = item->putAndInsertString(DCM_CodeValue, code.value.c_str());
    if (status.good()) status = item->putAndInsertString(DCM_CodingSchemeDesignator, "DCM");
    if (status.good()) status = item->putAndInsertString(DCM_CodeMeaning, code.meaning.c_str());
  }
  if (status.bad()) return InvalidInput("cannot mark the object de-identified");
  return Status::Ok();
}

// Writes `file` anew to `out`, its first 128 bytes (the preamble) zero.
Status Write(DcmFileFormat& file, E_TransferSyntax syntax, const Deidentifier::Output& out) {
  std::vector<char> buffer(std::size_t{1} << 16);
  DcmOutputBufferStream stream(buffer.data(), static_cast<offile_off_t>(buffer.size()));
  std::size_t written = 0;
  Status sent = Status::Ok();
  auto flush = [&] {
    void* data = nullptr;
    offile_off_t length = 0;
    stream.flushBuffer(data, length);
    if (length <= 0 || !sent.ok()) return;
    char* bytes = static_cast<char*>(data);
    if (written < kPreambleBytes) {
      std::memset(
          bytes, 0,
          std::min<std::size_t>(kPreambleBytes - written, static_cast<std::size_t>(length)));
    }
    written += static_cast<std::size_t>(length);
    sent = out(std::string_view(bytes, static_cast<std::size_t>(length)));
  };
  // Large values not yet read (pixel data) are copied through the cache a block at a
  // time instead of being loaded whole.
  DcmWriteCache cache;
  file.transferInit();
  OFCondition status = EC_StreamNotifyClient;
  while (status == EC_StreamNotifyClient && sent.ok()) {
    status = file.write(stream, syntax, EET_ExplicitLength, &cache, EGL_recalcGL, EPD_noChange, 0,
                        0, 0, EWM_createNewMeta);
    flush();
  }
  // A deflated data set leaves its last compressed bytes in the stream's filter.
  while (status.good() && sent.ok() && !stream.isFlushed()) {
    stream.flush();
    flush();
  }
  file.transferEnd();
  if (!sent.ok()) return sent;
  if (status.bad())
    return InvalidInput(std::string("cannot write the de-identified object: ") + status.text());
  return Status::Ok();
}

}  // namespace

std::string Deidentifier::Uid(std::string_view original) const {
  if (request_.Has(Option::kRetainUids)) return std::string(original);
  return pseudonyms_.Uid(original);
}

std::optional<std::string> Deidentifier::Date(const std::string& date,
                                              std::string_view original_patient_id) const {
  if (!request_.Has(Option::kRetainLongitudinalModifiedDates)) return std::nullopt;
  std::string shifted = ShiftDate(date, pseudonyms_.DateShiftDays(original_patient_id));
  if (shifted.empty()) return std::nullopt;
  return shifted;
}

Result<DeidentifiedInstance> Deidentifier::Apply(std::string_view original,
                                                 const Output& out) const {
  auto loaded = dicom::LoadObject(original, dicom::ParseLimits{});
  if (!loaded.ok()) return loaded.error();
  DcmFileFormat& file = **loaded;
  DcmDataset& data = *file.getDataset();
  DeidentifiedInstance result;
  result.modality = StringOf(data, DCM_Modality);
  result.burned_in_annotation = StringOf(data, DCM_BurnedInAnnotation);

  Pass pass(pseudonyms_, request_, data);
  pass.Clean(data);
  if (Status s = MarkDeidentified(data, request_, pseudonyms_.PatientId(pass.patient_id()));
      !s.ok()) {
    return s.error();
  }
  result.study_uid = StringOf(data, DCM_StudyInstanceUID);
  result.series_uid = StringOf(data, DCM_SeriesInstanceUID);
  result.sop_instance_uid = StringOf(data, DCM_SOPInstanceUID);
  result.sop_class_uid = StringOf(data, DCM_SOPClassUID);
  E_TransferSyntax syntax = data.getOriginalXfer();
  if (syntax == EXS_Unknown) syntax = EXS_LittleEndianExplicit;
  result.transfer_syntax_uid = DcmXfer(syntax).getXferID();
  if (Status s = Write(file, syntax, out); !s.ok()) return s.error();
  return result;
}

Result<DeidentifiedInstance> Deidentifier::Apply(std::string_view original,
                                                 std::string& bytes) const {
  bytes.clear();
  return Apply(original, [&](std::string_view piece) {
    bytes.append(piece);
    return Status::Ok();
  });
}

}  // namespace pacsport::deid
