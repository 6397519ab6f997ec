// Internal to src/dicom: the rescale and VOI window that an enhanced multi-frame
// object's functional groups give one of its frames.
//
// Enhanced objects (Enhanced CT, MR, XA, ...) keep Rescale Slope/Intercept in the
// Pixel Value Transformation Sequence and Window Center/Width (with an optional VOI
// LUT Function) in the Frame VOI LUT Sequence of each frame's item of the Per-Frame
// Functional Groups Sequence, or of the one item of the Shared Functional Groups
// Sequence for every frame. FrameVoiOf reads them for one frame: for the rescale and
// for the window separately, the frame's own item first, then the shared one; a
// macro whose values are missing or unusable counts as absent. When the groups give
// a rescale but no window, a window at the top level of the dataset is the window
// over the values that rescale gives.
// Pure functions; thread-safe for distinct datasets (reads only).
#pragma once

#include <cstdint>
#include <optional>

class DcmItem;

namespace pacsport::dicom {

// Modality value = slope * stored value + intercept. Both finite, slope not 0.
struct Rescale {
  double slope = 1;
  double intercept = 0;
};

// VOI LUT Function (PS3.3 C.11.2.1.2, C.11.2.1.3); anything but LINEAR_EXACT and
// SIGMOID is read as LINEAR, the default.
enum class VoiFunction { kLinear, kLinearExact, kSigmoid };

// Both finite; width >= 1 for kLinear, > 0 otherwise, as the standard requires.
struct Window {
  double center = 0;
  double width = 1;
  VoiFunction function = VoiFunction::kLinear;
};

struct FrameVoi {
  std::optional<Rescale> rescale;
  std::optional<Window> window;  // the first of Window Center/Width's values
};

// Frame `frame` (from 0) of `dataset`; both absent when the object has no such
// functional groups.
FrameVoi FrameVoiOf(DcmItem& dataset, int64_t frame);

// The same ramp as `window` over the values rescale.slope * x + rescale.intercept,
// as a window over sign(rescale.slope) * x: a window over stored values, turned
// over for a negative slope.
Window WindowOverStoredValues(const Window& window, const Rescale& rescale);

}  // namespace pacsport::dicom
