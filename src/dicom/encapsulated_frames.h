// Internal to src/dicom: the frames of encapsulated Pixel Data, one at a time.
//
// A frame's codestream may span several fragments. A single frame takes them all;
// otherwise which fragments make each frame comes from the Basic Offset Table when it
// points at fragment starts, else one fragment per frame when the counts match, else
// the fragments that begin with a codestream's first marker start the frames (JPEG
// and JPEG-LS: SOI; JPEG 2000: SOC and SIZ, or the JP2 signature; RLE has none, its
// frames are one fragment each, PS3.5 A.4.2). pydicom reads an empty offset table
// the same way, but finds the markers that end a codestream. DCMTK 3.6.7 finds a
// frame's first fragment only from the table or from matching counts, so it cannot
// decode frame 1 and later of such objects by itself: each frame is handed to it as
// a single-frame copy of the dataset holding just that frame's bytes, as one fragment.
// Fragments are read when a frame is asked for, so memory holds one compressed frame.
// One object per thread; distinct objects are independent.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

class DcmDataset;
class DcmPixelSequence;

namespace pacsport::dicom {

class EncapsulatedFrames {
 public:
  // Locates the `frames` frames of `dataset`'s encapsulated Pixel Data, encoded in
  // `transfer_syntax_uid`. Borrows `dataset`, which must outlive the result and must
  // not change while it is used. Errors: kInvalidInput "pixel data not encapsulated",
  // "fragments do not match Number of Frames".
  static Result<EncapsulatedFrames> Open(DcmDataset& dataset, int64_t frames,
                                         std::string_view transfer_syntax_uid);

  EncapsulatedFrames(EncapsulatedFrames&&) noexcept;
  EncapsulatedFrames& operator=(EncapsulatedFrames&&) noexcept;
  ~EncapsulatedFrames();

  // Each of these requires 0 <= frame < the `frames` given to Open; errors are
  // kInvalidInput "cannot decode frame N" when the fragments cannot be read.

  // The codestream of frame `frame`: its fragments, concatenated.
  Result<std::string> Codestream(int64_t frame);

  // A copy of every attribute of the dataset but Number of Frames and the pixel data
  // elements, for one frame; owned by this object. Its Pixel Data is whatever the
  // last call put there.
  DcmDataset& FrameAttributes() { return *frame_attributes_; }

  // FrameAttributes() holding frame `frame` as encapsulated Pixel Data in the
  // object's transfer syntax: an empty offset table and the codestream as the only
  // fragment. Valid until the next call.
  Result<DcmDataset*> SingleFrame(int64_t frame);

 private:
  EncapsulatedFrames(DcmPixelSequence& fragments, std::vector<uint32_t> starts,
                     std::string transfer_syntax_uid, std::unique_ptr<DcmDataset> attributes);

  // The length of frame `frame`'s codestream, and the codestream itself into `out`,
  // which must hold that many bytes; errors as for Codestream.
  Result<uint64_t> FrameLength(int64_t frame);
  Status ReadFrame(int64_t frame, uint8_t* out);

  DcmPixelSequence* fragments_;                   // the source's Pixel Data items
  std::vector<uint32_t> starts_;                  // first item of each frame, then the end
  std::string transfer_syntax_uid_;               // the source's
  std::unique_ptr<DcmDataset> frame_attributes_;  // see FrameAttributes()
};

}  // namespace pacsport::dicom
