#include "dicom/frame_voi.h"

#include <cmath>
#include <string>

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcitem.h"
#include "dicom/object_facts.h"

namespace pacsport::dicom {

namespace {

// Item `index` of the sequence `tag` directly in `item`; null when either is missing.
DcmItem* SequenceItem(DcmItem* item, const DcmTagKey& tag, int64_t index) {
  DcmItem* found = nullptr;
  if (item == nullptr || item->findAndGetSequenceItem(tag, found, static_cast<long>(index)).bad())
    return nullptr;
  return found;
}

// The first value of `tag` in `item` when it is a finite number.
std::optional<double> FiniteNumber(DcmItem& item, const DcmTagKey& tag) {
  Float64 value = 0;
  if (item.findAndGetFloat64(tag, value).bad() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<Rescale> ReadRescale(DcmItem* group) {
  DcmItem* macro = SequenceItem(group, DCM_PixelValueTransformationSequence, 0);
  if (macro == nullptr) return std::nullopt;
  const std::optional<double> slope = FiniteNumber(*macro, DCM_RescaleSlope);
  const std::optional<double> intercept = FiniteNumber(*macro, DCM_RescaleIntercept);
  if (!slope || !intercept || *slope == 0) return std::nullopt;
  return Rescale{*slope, *intercept};
}

VoiFunction ReadFunction(DcmItem& macro) {
  OFString text;
  if (macro.findAndGetOFString(DCM_VOILUTFunction, text).bad()) return VoiFunction::kLinear;
  const std::string name = TrimPadding(text.c_str(), /*trim_leading=*/true);
  if (name == "LINEAR_EXACT") return VoiFunction::kLinearExact;
  if (name == "SIGMOID") return VoiFunction::kSigmoid;
  return VoiFunction::kLinear;
}

// The window whose attributes are in `macro`.
std::optional<Window> ReadWindow(DcmItem* macro) {
  if (macro == nullptr) return std::nullopt;
  const std::optional<double> center = FiniteNumber(*macro, DCM_WindowCenter);
  const std::optional<double> width = FiniteNumber(*macro, DCM_WindowWidth);
  const VoiFunction function = ReadFunction(*macro);
  if (!center || !width || *width <= 0 || (function == VoiFunction::kLinear && *width < 1))
    return std::nullopt;
  return Window{*center, *width, function};
}

}  // namespace

FrameVoi FrameVoiOf(DcmItem& dataset, int64_t frame) {
  DcmItem* own = SequenceItem(&dataset, DCM_PerFrameFunctionalGroupsSequence, frame);
  DcmItem* shared = SequenceItem(&dataset, DCM_SharedFunctionalGroupsSequence, 0);
  FrameVoi voi{ReadRescale(own), ReadWindow(SequenceItem(own, DCM_FrameVOILUTSequence, 0))};
  if (!voi.rescale) voi.rescale = ReadRescale(shared);
  if (!voi.window) voi.window = ReadWindow(SequenceItem(shared, DCM_FrameVOILUTSequence, 0));
  if (!voi.window && voi.rescale) voi.window = ReadWindow(&dataset);
  return voi;
}

Window WindowOverStoredValues(const Window& window, const Rescale& rescale) {
  // With m = sign(slope) * x, the values are |slope| * m + intercept. LINEAR_EXACT's
  // and SIGMOID's ramps scale with them; LINEAR's for (c, w) is LINEAR_EXACT's for
  // (c - 1/2, w - 1) (PS3.3 C.11.2.1.2.1, C.11.2.1.3).
  const double scale = std::abs(rescale.slope);
  if (window.function != VoiFunction::kLinear) {
    return {(window.center - rescale.intercept) / scale, window.width / scale, window.function};
  }
  return {(window.center - 0.5 - rescale.intercept) / scale + 0.5, (window.width - 1) / scale + 1,
          VoiFunction::kLinear};
}

}  // namespace pacsport::dicom
