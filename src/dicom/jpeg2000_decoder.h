// Internal to src/dicom: the frames of a JPEG 2000 image, decoded by OpenJPEG.
//
// DCMTK has no JPEG 2000 codec, so Jpeg2000Frames decodes one frame at a time into a
// native, single-frame copy of the dataset (Explicit VR Little Endian) that DCMTK's
// display pipeline renders like any other image. As for native pixels, Bits Stored
// and Pixel Representation say how to read the samples: unsigned samples under Pixel
// Representation 1 (a known encoder fault) are read as signed in Bits Stored bits,
// as pydicom does. The copy holds the samples interleaved, and says RGB where
// OpenJPEG applied the inverse multi-component transform (YBR_ICT, YBR_RCT).
// A frame whose codestream disagrees with the image attributes otherwise (size,
// number of components, subsampled components, more bits than Bits Allocated,
// signed samples under Pixel Representation 0) is refused before OpenJPEG
// allocates its image. OpenJPEG's messages are dropped.
// One object per thread; distinct objects are independent.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/error.h"
#include "dicom/encapsulated_frames.h"

class DcmDataset;

namespace pacsport::dicom {

// True for the JPEG 2000 transfer syntaxes (lossless only, and lossy): these are
// rendered through Jpeg2000Frames. HTJ2K is not among them: DCMTK 3.6.7 does not
// know its transfer syntaxes and so cannot read its pixel data.
bool IsJpeg2000(std::string_view transfer_syntax_uid);

class Jpeg2000Frames {
 public:
  // Prepares `frames`, the frames of `dataset`'s encapsulated JPEG 2000 Pixel Data,
  // whose declared size was checked against kMaxPixelDataBytes. Borrows `dataset`,
  // which must outlive the result. Errors: kInvalidInput, e.g. "JPEG 2000 with Bits
  // Allocated 12".
  static Result<Jpeg2000Frames> Open(DcmDataset& dataset, EncapsulatedFrames frames);

  Jpeg2000Frames(Jpeg2000Frames&&) noexcept;
  Jpeg2000Frames& operator=(Jpeg2000Frames&&) noexcept;
  ~Jpeg2000Frames();

  // Requires 0 <= frame < the number of `frames` given to Open.
  // Decodes frame `frame` (from 0) and returns the native single-frame dataset that
  // holds it (the frames' FrameAttributes()), owned by this object and valid until
  // the next call. Errors:
  // kInvalidInput "cannot decode frame N" when OpenJPEG fails, or "JPEG 2000 frame N:
  // ..." naming the attribute the codestream does not match.
  Result<DcmDataset*> Decode(int64_t frame);

 private:
  Jpeg2000Frames(DcmDataset& source, EncapsulatedFrames frames);

  DcmDataset* source_;         // borrowed
  EncapsulatedFrames frames_;  // the codestreams, and the dataset a decoded frame goes in
};

}  // namespace pacsport::dicom
