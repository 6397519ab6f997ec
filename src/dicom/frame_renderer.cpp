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
#include "dicom/frame_voi.h"
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
// kMaxPixelDataBytes, and native pixel data must hold all of it: both checked before
// DCMTK allocates anything for the pixels, so that a few bytes cannot ask for
// gigabytes.
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
  if (DcmXfer(dataset.getOriginalXfer()).isEncapsulated()) return Status::Ok();
  // Native: every pixel stored, in Bits Allocated bits per sample; 4:2:2 colour keeps
  // two samples per pixel instead of three.
  OFString photometric;
  (void)dataset.findAndGetOFString(DCM_PhotometricInterpretation, photometric);
  const uint64_t stored_samples =
      photometric.find("_422") != OFString_npos ? 2 : std::max<uint64_t>(samples, 1);
  const uint64_t bits = uint64_t{rows} * columns * stored_samples *
                        std::max<uint64_t>(bits_allocated, 1) *
                        static_cast<uint64_t>(FrameCount(file));
  DcmElement* pixels = nullptr;
  if (dataset.findAndGetElement(DCM_PixelData, pixels).bad() ||
      pixels->getLength() < (bits + 7) / 8) {
    return InvalidInput("pixel data shorter than its image size");
  }
  return Status::Ok();
}

// Sets `window` on a monochrome `image`. DCMTK knows LINEAR and SIGMOID; LINEAR_EXACT
// with (c, w) is the same ramp as LINEAR with (c + 1/2, w + 1) (PS3.3 C.11.2.1.2.1,
// C.11.2.1.3.2).
bool ApplyWindow(DicomImage& image, const Window& window) {
  const bool exact = window.function == VoiFunction::kLinearExact;
  if (image.setWindow(window.center + (exact ? 0.5 : 0.0), window.width + (exact ? 1.0 : 0.0)) <= 0)
    return false;
  (void)image.setVoiLutFunction(window.function == VoiFunction::kSigmoid ? EFV_Sigmoid
                                                                         : EFV_Linear);
  return true;
}

// Applies the VOI choice of a viewer: the frame's window from the functional groups,
// else the first window stored in the file, else the first VOI LUT, else the range
// of the frame's values.
void ChooseVoi(DicomImage& image, const std::optional<Window>& frame_window) {
  if (!image.isMonochrome()) return;
  if (frame_window && ApplyWindow(image, *frame_window)) return;
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

constexpr unsigned long kDecodeFlags = CIF_UsePartialAccessToPixelData;

// Photometric Interpretation without padding; empty when missing.
std::string Photometric(DcmDataset& dataset) {
  OFString value;
  (void)dataset.findAndGetOFString(DCM_PhotometricInterpretation, value);
  return TrimPadding(value.c_str(), /*trim_leading=*/true);
}

// Decodes a monochrome frame whose functional groups give it `voi.rescale`, and sets
// its window. DicomImage cannot simply be handed that rescale: DCMTK 3.6.7 takes
// Rescale Slope/Intercept from the top level or the shared groups only, and keeps
// modality values as integers (2.75 would be shown as 2). So it gets the stored
// values, negated for a negative slope (exact), and the window is carried over to
// them; a min-max window is the same over either. The constructor that takes a
// rescale treats every image as MONOCHROME2, hence the polarity for MONOCHROME1.
std::unique_ptr<DicomImage> DecodeWithFrameRescale(const FrameSource& source, const FrameVoi& voi,
                                                   bool monochrome1) {
  const Rescale& rescale = *voi.rescale;
  auto image =
      std::make_unique<DicomImage>(&source.dataset, source.syntax, rescale.slope < 0 ? -1.0 : 1.0,
                                   0.0, kDecodeFlags, source.index, 1);
  if (image->getStatus() != EIS_Normal) return image;
  if (monochrome1) (void)image->setPolarity(EPP_Reverse);
  if (!voi.window || !ApplyWindow(*image, WindowOverStoredValues(*voi.window, rescale)))
    image->setMinMaxWindow();
  return image;
}

// Decodes the frame of `source` and sets its VOI.
std::unique_ptr<DicomImage> DecodeFrame(const FrameSource& source, const FrameVoi& voi) {
  const std::string photometric = Photometric(source.dataset);
  if (voi.rescale && (photometric == "MONOCHROME1" || photometric == "MONOCHROME2"))
    return DecodeWithFrameRescale(source, voi, photometric == "MONOCHROME1");
  auto image =
      std::make_unique<DicomImage>(&source.dataset, source.syntax, kDecodeFlags, source.index, 1);
  if (image->getStatus() == EIS_Normal) ChooseVoi(*image, voi.window);
  return image;
}

// Renders `source` as frame `frame` of the object: its number names it in errors and
// picks its functional groups (a decoded JPEG 2000 frame's dataset keeps them all).
Result<FramePng> RenderFrame(const FrameSource& source, int64_t frame, uint32_t max_side) {
  const Error cannot_decode = InvalidInput("cannot decode frame " + std::to_string(frame));
  // The VOI is set on the stored pixels; a scaled copy keeps it.
  const std::unique_ptr<DicomImage> decoded =
      DecodeFrame(source, FrameVoiOf(source.dataset, frame));
  if (decoded->getStatus() != EIS_Normal) return cannot_decode;

  DicomImage* image = decoded.get();
  std::unique_ptr<DicomImage> scaled;
  const unsigned long width = decoded->getWidth();
  const unsigned long height = decoded->getHeight();
  if (max_side > 0 && std::max(width, height) > max_side) {
    const double factor =
        static_cast<double>(max_side) / static_cast<double>(std::max(width, height));
    const auto target = [factor](unsigned long side) {
      return std::max(1ul,
                      static_cast<unsigned long>(std::lround(static_cast<double>(side) * factor)));
    };
    scaled.reset(
        decoded->createScaledImage(target(width), target(height), kAveragingInterpolation));
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

Result<int64_t> RenderFrameRange(std::string_view bytes, uint32_t max_side, int64_t first,
                                 int64_t count, const std::function<Status(FramePng)>& consume) {
  // Workers also run under their own address-space limit (preview.worker_memory_mb).
  Result<DicomObject> loaded = LoadObject(bytes, ParseLimits{});
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
  const int64_t end = count > frames - first ? frames : first + count;
  for (int64_t frame = std::max<int64_t>(first, 0); frame < end; ++frame) {
    Result<FramePng> png =
        jpeg2000
            ? RenderJpeg2000Frame(*jpeg2000, frame, max_side)
            : RenderFrame({dataset, dataset.getOriginalXfer(), static_cast<unsigned long>(frame)},
                          frame, max_side);
    if (!png.ok()) return png.error();
    if (Status s = consume(std::move(png).value()); !s.ok()) return s.error();
  }
  return frames;
}

Result<std::vector<FramePng>> RenderFrames(std::string_view bytes, uint32_t max_side) {
  std::vector<FramePng> pngs;
  Result<int64_t> frames = RenderFrameRange(bytes, max_side, 0, INT64_MAX, [&](FramePng png) {
    pngs.push_back(std::move(png));
    return Status::Ok();
  });
  if (!frames.ok()) return frames.error();
  return pngs;
}

}  // namespace pacsport::dicom
