#include "dicom/object_facts.h"

#include <charconv>

#include "core/names.h"
#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcdatset.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcmetinf.h"
#include "dcmtk/dcmdata/dcxfer.h"

namespace pacsport::dicom {

std::string TrimPadding(std::string value, bool trim_leading) {
  const size_t end = value.find_last_not_of(std::string_view(" \0", 2));
  value.erase(end == std::string::npos ? 0 : end + 1);
  if (trim_leading) value.erase(0, value.find_first_not_of(' '));
  return value;
}

bool HasPixelData(DcmFileFormat& file) {
  DcmDataset& dataset = *file.getDataset();
  return dataset.tagExists(DCM_PixelData) || dataset.tagExists(DCM_FloatPixelData) ||
         dataset.tagExists(DCM_DoubleFloatPixelData);
}

int64_t FrameCount(DcmFileFormat& file) {
  OFString text;
  if (file.getDataset()->findAndGetOFString(DCM_NumberOfFrames, text).good()) {
    const std::string trimmed = TrimPadding(std::string(text.c_str(), text.length()), true);
    const char* begin = trimmed.data();
    const char* end = begin + trimmed.size();
    if (begin != end && *begin == '+') ++begin;
    int64_t frames = 0;
    const auto [stop, error] = std::from_chars(begin, end, frames);
    if (error == std::errc() && stop == end && frames > 0) return frames;
  }
  return HasPixelData(file) ? 1 : 0;
}

std::string TransferSyntaxUid(DcmFileFormat& file) {
  OFString meta_syntax;
  if (file.getMetaInfo()->findAndGetOFString(DCM_TransferSyntaxUID, meta_syntax).good()) {
    std::string uid = TrimPadding(std::string(meta_syntax.c_str(), meta_syntax.length()), true);
    if (IsValidUid(uid)) return uid;
  }
  const E_TransferSyntax detected = file.getDataset()->getOriginalXfer();
  if (detected == EXS_Unknown) return {};
  return DcmXfer(detected).getXferID();
}

}  // namespace pacsport::dicom
