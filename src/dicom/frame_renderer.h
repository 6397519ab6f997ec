// Rendering the frames of a DICOM image to 8-bit PNG previews.
//
// Every frame goes through the toolkit's display pipeline, as a viewer shows it:
// Modality LUT (rescale slope/intercept or a LUT), then the first VOI window stored
// in the file, else the first VOI LUT, else a min-max window over that frame;
// MONOCHROME1 comes out inverted so that it looks like MONOCHROME2. A frame of an
// enhanced multi-frame object takes its rescale and its window from its functional
// groups (its Per-Frame item first, then the Shared one), which win over those at
// the top level, and the window is applied to that rescale exactly. Monochrome
// images give grey PNGs, colour photometric interpretations RGB PNGs; PALETTE COLOR
// goes through its palette, plain or segmented (segmented_palette.h). The toolkit
// decodes every transfer syntax it has a codec for; JPEG 2000 frames are decoded by
// OpenJPEG first. A compressed frame is found among the fragments as
// encapsulated_frames.h says, so frames split over fragments without an offset table
// render too. Frames are decoded one at a time, so memory holds one compressed and
// one decoded frame plus the PNGs.
// Parsing is ParseInstance's (same refusals, same stack needs, same exception
// when DICOM support is broken). Stateless and thread-safe; `bytes` is only
// borrowed for the call.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace pacsport::dicom {

struct FramePng {
  std::string png;  // a complete PNG file
  uint32_t width = 0;
  uint32_t height = 0;
};

// Largest decoded size RenderFrames accepts: Rows x Columns x frames x samples per
// pixel x bytes per sample, as declared by the object, checked before decoding.
inline constexpr uint64_t kMaxPixelDataBytes = uint64_t{4} << 30;

// One PNG per frame, in frame order. max_side > 0 scales each frame down (never up)
// so that its longer side is at most max_side, keeping the aspect ratio; 0 keeps the
// stored size (Columns x Rows).
// Returns kInvalidInput with a short reason, e.g. "no pixel data", "unsupported
// transfer syntax 1.2.840.10008.1.2.4.100", "cannot decode frame 3" (frames counted
// from 0, as preview files are named), "pixel data too large", "pixel data shorter
// than its image size", "fragments do not match Number of Frames", "segmented
// palette: linear segment first", "JPEG 2000 frame 0: 3 components, Samples per
// Pixel 1", or any
// refusal of ParseInstance's other than a missing or invalid UID (rendering needs none).
// Runs decoders over untrusted data: the server calls it only inside its sandboxed
// preview workers (preview/preview_pool.h).
Result<std::vector<FramePng>> RenderFrames(std::string_view bytes, uint32_t max_side = 0);

// RenderFrames for frames [first, first + count) only (those of them the object
// has), handing each PNG to `consume` as soon as it is made. Stops at the first
// error, its own or consume's. Returns the number of frames in the whole object.
Result<int64_t> RenderFrameRange(std::string_view bytes, uint32_t max_side, int64_t first,
                                 int64_t count, const std::function<Status(FramePng)>& consume);

}  // namespace pacsport::dicom
