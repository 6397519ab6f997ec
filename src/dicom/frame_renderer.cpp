#include "dicom/frame_renderer.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <span>

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dccodec.h"
#include "dcmtk/dcmdata/dcdatset.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcxfer.h"
#include "dcmtk/dcmimage/diregist.h"  // registers colour image support with DicomImage
#include "dcmtk/dcmimgle/dcmimage.h"
#include "dicom/jpeg2000_decoder.h"
#include "dicom/object_facts.h"
#include "dicom/object_loader.h"
#include "dicom/png_encoder.h"

namespace pacsport::dicom {

namespace {

// DCMTK's "pbmplus" scaling: averages the source pixels covered by each target pixel.
constexpr int kAveragingInterpolation = 1;

// Refuses syntaxes that neither a registered decoder nor Jpeg2000Frames can turn
// into native pixels.
Status CheckDecodable(DcmFileFormat& file) {
  const std::string uid = TransferSyntaxUid(file);
  const E_TransferSyntax syntax = file.getDataset()->getOriginalXfer();
  if (uid.empty() || syntax == EXS_Unknown) return InvalidInput("unknown transfer syntax");
  if (IsJpeg2000(uid)) return Status::Ok();
  if (DcmXfer(uid.c_str()).getXfer() == EXS_Unknown ||
      (DcmXfer(syntax).isEncapsulated() &&
       !DcmCodecList::canChangeCoding(syntax, EXS_LittleEndianExplicit))) {
    return InvalidInput("unsupported transfer syntax " + uid);
  }
  return Status::Ok();
}

// Rows x Columns x frames x samples x bytes per sample must stay within
// kMaxPixelDataBytes: checked before DCMTK allocates anything for the pixels.
Status CheckDeclaredSize(DcmFileFormat& file) {
  DcmDataset& dataset = *file.getDataset();
  Uint16 rows = 0, columns = 0, samples = 1, bits_allocated = 0;
  if (dataset.findAndGetUint16(DCM_Rows, rows).bad() ||
      dataset.findAndGetUint16(DCM_Columns, columns).bad() || rows == 0 || columns == 0) {
    return InvalidInput("missing image size");
  }
  (void)dataset.findAndGetUint16(DCM_SamplesPerPixel, samples);
  (void)dataset.findAndGetUint16(DCM_BitsAllocated, bits_allocated);
  uint64_t total = uint64_t{rows} * columns * std::max<uint64_t>(samples, 1) *
                   std::max<uint64_t>((bits_allocated + 7u) / 8u, 1);
  if (__builtin_mul_overflow(total, static_cast<uint64_t>(FrameCount(file)), &total) ||
      total > kMaxPixelDataBytes) {
    return InvalidInput("pixel data too large");
  }
  return Status::Ok();
}

// Applies the VOI choice of a viewer: the first window stored in the file, else
// the first VOI LUT, else the range of the frame's values.
void ChooseVoi(DicomImage& image) {
  if (!image.isMonochrome()) return;
  if (image.getWindowCount() > 0 && image.setWindow(0) > 0) return;
  if (image.getVoiLutCount() > 0 && image.setVoiLut(0) > 0) return;
  image.setMinMaxWindow();
}

// Where the pixels of one frame are: frame `index` of `dataset`, encoded in `syntax`.
struct FrameSource {
  DcmDataset& dataset;
  E_TransferSyntax syntax;
  unsigned long index;
};

// Renders `source` as frame `frame` of the object (for error messages).
Result<FramePng> RenderFrame(const FrameSource& source, int64_t frame, uint32_t max_side) {
  const Error cannot_decode = InvalidInput("cannot decode frame " + std::to_string(frame));
  DicomImage decoded(&source.dataset, source.syntax, CIF_UsePartialAccessToPixelData, source.index,
                     1);
  if (decoded.getStatus() != EIS_Normal) return cannot_decode;
  ChooseVoi(decoded);  // on the stored pixels; a scaled copy keeps the choice

  DicomImage* image = &decoded;
  std::unique_ptr<DicomImage> scaled;
  const unsigned long width = decoded.getWidth();
  const unsigned long height = decoded.getHeight();
  if (max_side > 0 && std::max(width, height) > max_side) {
    const double factor =
        static_cast<double>(max_side) / static_cast<double>(std::max(width, height));
    const auto target = [factor](unsigned long side) {
      return std::max(1ul,
                      static_cast<unsigned long>(std::lround(static_cast<double>(side) * factor)));
    };
    scaled.reset(decoded.createScaledImage(target(width), target(height), kAveragingInterpolation));
    if (!scaled || scaled->getStatus() != EIS_Normal) return cannot_decode;
    image = scaled.get();
  }

  const auto* pixels = static_cast<const uint8_t*>(image->getOutputData(8));
  if (pixels == nullptr) return cannot_decode;
  FramePng result;
  result.width = static_cast<uint32_t>(image->getWidth());
  result.height = static_cast<uint32_t>(image->getHeight());
  Result<std::string> png =
      EncodePng(std::span(pixels, image->getOutputDataSize(8)), result.width, result.height,
                image->isMonochrome() ? PngColor::kGrey : PngColor::kRgb);
  if (!png.ok()) return png.error();
  result.png = std::move(png).value();
  return result;
}

// Decodes frame `frame` with OpenJPEG and renders it like a native frame.
Result<FramePng> RenderJpeg2000Frame(Jpeg2000Frames& frames, int64_t frame, uint32_t max_side) {
  Result<DcmDataset*> native = frames.Decode(frame);
  if (!native.ok()) return native.error();
  return RenderFrame({**native, EXS_LittleEndianExplicit, 0}, frame, max_side);
}

}  // namespace

Result<std::vector<FramePng>> RenderFrames(std::string_view bytes, uint32_t max_side) {
  Result<DicomObject> loaded = LoadObject(bytes);
  if (!loaded.ok()) return loaded.error();
  DcmFileFormat& file = **loaded;
  if (!HasPixelData(file)) return InvalidInput("no pixel data");
  for (const Status& check : {CheckDecodable(file), CheckDeclaredSize(file)}) {
    if (!check.ok()) return check.error();
  }

  DcmDataset& dataset = *file.getDataset();
  const int64_t frames = FrameCount(file);
  std::optional<Jpeg2000Frames> jpeg2000;
  if (IsJpeg2000(TransferSyntaxUid(file))) {
    Result<Jpeg2000Frames> opened = Jpeg2000Frames::Open(dataset, frames);
    if (!opened.ok()) return opened.error();
    jpeg2000.emplace(std::move(opened).value());
  }
  std::vector<FramePng> pngs;
  for (int64_t frame = 0; frame < frames; ++frame) {
    Result<FramePng> png =
        jpeg2000
            ? RenderJpeg2000Frame(*jpeg2000, frame, max_side)
            : RenderFrame({dataset, dataset.getOriginalXfer(), static_cast<unsigned long>(frame)},
                          frame, max_side);
    if (!png.ok()) return png.error();
    pngs.push_back(std::move(png).value());
  }
  return pngs;
}

}  // namespace pacsport::dicom
