#include "dicom/encapsulated_frames.h"

#include <array>

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcdatset.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcpixel.h"
#include "dcmtk/dcmdata/dcpixseq.h"
#include "dcmtk/dcmdata/dcpxitem.h"
#include "dcmtk/dcmdata/dcxfer.h"
#include "dicom/jpeg2000_decoder.h"

namespace pacsport::dicom {

namespace {

// How a fragment that begins a frame begins, by transfer syntax.
enum class FrameStart { kJpeg, kJpeg2000, kUnmarked };

FrameStart FrameStartOf(std::string_view transfer_syntax_uid) {
  if (IsJpeg2000(transfer_syntax_uid)) return FrameStart::kJpeg2000;
  // JPEG processes and JPEG-LS begin with SOI; RLE's header has no signature.
  if (transfer_syntax_uid.starts_with("1.2.840.10008.1.2.4.")) return FrameStart::kJpeg;
  return FrameStart::kUnmarked;
}

// SOI then the next marker; SOC then SIZ; the JP2 signature box.
constexpr std::string_view kJpegStart("\xFF\xD8\xFF", 3);
constexpr std::string_view kCodestreamStart("\xFF\x4F\xFF\x51", 4);
constexpr std::string_view kJp2Signature("\x00\x00\x00\x0C\x6A\x50\x20\x20", 8);
// Largest value an element of explicit length can hold.
constexpr uint64_t kMaxElementBytes = 0xFFFFFFFE;

// Up to the first 8 bytes of `item`, read without loading its value.
std::string_view Prefix(DcmPixelItem& item, std::array<char, 8>& buffer) {
  const size_t length = std::min<size_t>(buffer.size(), item.getLength());
  if (length == 0 || item.getPartialValue(buffer.data(), 0, static_cast<Uint32>(length)).bad())
    return {};
  return {buffer.data(), length};
}

bool BeginsFrame(DcmPixelItem& item, FrameStart start) {
  std::array<char, 8> buffer{};
  const std::string_view prefix = Prefix(item, buffer);
  switch (start) {
    case FrameStart::kJpeg:
      return prefix.starts_with(kJpegStart);
    case FrameStart::kJpeg2000:
      return prefix.starts_with(kCodestreamStart) || prefix.starts_with(kJp2Signature);
    case FrameStart::kUnmarked:
      return false;
  }
  return false;
}

uint32_t LittleEndian32(std::string_view bytes) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = value << 8 | static_cast<uint8_t>(bytes[i]);
  return value;
}

// The first item of each frame according to the Basic Offset Table (byte offsets of
// each frame's first item, counted from the first fragment's item tag); empty when
// the table is empty or does not point at item starts in increasing order.
std::vector<uint32_t> StartsFromOffsetTable(DcmPixelSequence& fragments, int64_t frames) {
  DcmPixelItem* table = nullptr;
  if (fragments.getItem(table, 0).bad() ||
      table->getLength() != static_cast<uint64_t>(frames) * 4) {
    return {};
  }
  std::string offsets(table->getLength(), '\0');
  if (table->getPartialValue(offsets.data(), 0, table->getLength()).bad()) return {};
  std::vector<uint32_t> starts;
  uint64_t position = 0;  // of item `index`
  uint32_t index = 1;
  for (int64_t frame = 0; frame < frames; ++frame) {
    const uint32_t offset = LittleEndian32(std::string_view(offsets).substr(frame * 4, 4));
    DcmPixelItem* item = nullptr;
    while (position < offset && fragments.getItem(item, index).good()) {
      position += 8 + uint64_t{item->getLength()};
      ++index;
    }
    if (position != offset || index >= fragments.card() ||
        (!starts.empty() && index == starts.back())) {
      return {};
    }
    starts.push_back(index);
  }
  return starts;
}

// The items that begin with a codestream's first marker: where frames start.
std::vector<uint32_t> StartsFromMarkers(DcmPixelSequence& fragments, FrameStart start) {
  std::vector<uint32_t> starts;
  for (uint32_t index = 1; index < fragments.card(); ++index) {
    DcmPixelItem* item = nullptr;
    if (fragments.getItem(item, index).bad()) return {};
    if (BeginsFrame(*item, start)) starts.push_back(index);
  }
  return starts;
}

// The first item of each frame (item 0 is the Basic Offset Table), then the number
// of items.
Result<std::vector<uint32_t>> FrameStarts(DcmPixelSequence& fragments, int64_t frames,
                                          FrameStart start) {
  const uint32_t items = static_cast<uint32_t>(fragments.card());
  std::vector<uint32_t> starts;
  if (frames == 1 && items > 1) {
    starts = {1};
  } else if (items > 1 && frames < items) {
    starts = StartsFromOffsetTable(fragments, frames);
    if (starts.empty() && frames == items - 1) {
      for (uint32_t index = 1; index < items; ++index) starts.push_back(index);
    }
    if (starts.empty()) starts = StartsFromMarkers(fragments, start);
  }
  if (starts.size() != static_cast<uint64_t>(frames) || starts.front() != 1)
    return InvalidInput("fragments do not match Number of Frames");
  starts.push_back(items);
  return starts;
}

Error CannotDecode(int64_t frame) {
  return InvalidInput("cannot decode frame " + std::to_string(frame));
}

}  // namespace

EncapsulatedFrames::EncapsulatedFrames(DcmPixelSequence& fragments, std::vector<uint32_t> starts,
                                       std::string transfer_syntax_uid,
                                       std::unique_ptr<DcmDataset> attributes)
    : fragments_(&fragments),
      starts_(std::move(starts)),
      transfer_syntax_uid_(std::move(transfer_syntax_uid)),
      frame_attributes_(std::move(attributes)) {}
EncapsulatedFrames::EncapsulatedFrames(EncapsulatedFrames&&) noexcept = default;
EncapsulatedFrames& EncapsulatedFrames::operator=(EncapsulatedFrames&&) noexcept = default;
EncapsulatedFrames::~EncapsulatedFrames() = default;

Result<EncapsulatedFrames> EncapsulatedFrames::Open(DcmDataset& dataset, int64_t frames,
                                                    std::string_view transfer_syntax_uid) {
  DcmElement* element = nullptr;
  auto* pixel_data = dataset.findAndGetElement(DCM_PixelData, element).good()
                         ? dynamic_cast<DcmPixelData*>(element)
                         : nullptr;
  E_TransferSyntax syntax = EXS_Unknown;
  const DcmRepresentationParameter* parameter = nullptr;
  DcmPixelSequence* fragments = nullptr;
  if (pixel_data != nullptr) pixel_data->getOriginalRepresentationKey(syntax, parameter);
  if (pixel_data == nullptr ||
      pixel_data->getEncapsulatedRepresentation(syntax, parameter, fragments).bad() ||
      fragments == nullptr) {
    return InvalidInput("pixel data not encapsulated");
  }
  Result<std::vector<uint32_t>> starts =
      FrameStarts(*fragments, frames, FrameStartOf(transfer_syntax_uid));
  if (!starts.ok()) return starts.error();

  auto attributes = std::make_unique<DcmDataset>();
  for (unsigned long i = 0; i < dataset.card(); ++i) {
    DcmElement* attribute = dataset.getElement(i);
    const DcmTagKey tag = attribute->getTag();
    if (tag.getGroup() == DCM_PixelData.getGroup() || tag == DCM_NumberOfFrames) continue;
    attributes->insert(static_cast<DcmElement*>(attribute->clone()));
  }
  return EncapsulatedFrames(*fragments, std::move(starts).value(), std::string(transfer_syntax_uid),
                            std::move(attributes));
}

Result<uint64_t> EncapsulatedFrames::FrameLength(int64_t frame) {
  uint64_t length = 0;
  for (uint32_t index = starts_[frame]; index < starts_[frame + 1]; ++index) {
    DcmPixelItem* item = nullptr;
    if (fragments_->getItem(item, index).bad()) return CannotDecode(frame);
    length += item->getLength();
  }
  if (length > kMaxElementBytes) return CannotDecode(frame);
  return length;
}

Status EncapsulatedFrames::ReadFrame(int64_t frame, uint8_t* out) {
  for (uint32_t index = starts_[frame]; index < starts_[frame + 1]; ++index) {
    DcmPixelItem* item = nullptr;
    if (fragments_->getItem(item, index).bad()) return CannotDecode(frame);
    const Uint32 length = item->getLength();
    if (length > 0 && item->getPartialValue(out, 0, length).bad()) return CannotDecode(frame);
    out += length;
  }
  return Status::Ok();
}

Result<std::string> EncapsulatedFrames::Codestream(int64_t frame) {
  Result<uint64_t> length = FrameLength(frame);
  if (!length.ok()) return length.error();
  std::string codestream(*length, '\0');
  if (Status read = ReadFrame(frame, reinterpret_cast<uint8_t*>(codestream.data())); !read.ok())
    return read.error();
  return codestream;
}

Result<DcmDataset*> EncapsulatedFrames::SingleFrame(int64_t frame) {
  Result<uint64_t> length = FrameLength(frame);
  if (!length.ok()) return length.error();
  auto codestream = std::make_unique<DcmPixelItem>(DCM_Item);
  Uint8* bytes = nullptr;
  if (codestream->createUint8Array(static_cast<Uint32>(*length), bytes).bad())
    return Internal("cannot allocate a compressed frame");
  if (Status read = ReadFrame(frame, bytes); !read.ok()) return read.error();

  auto sequence = std::make_unique<DcmPixelSequence>(DCM_PixelSequenceTag);
  auto pixel_data = std::make_unique<DcmPixelData>(DCM_PixelData);
  const bool ok = sequence->insert(new DcmPixelItem(DCM_Item)).good() &&  // empty offset table
                  sequence->insert(codestream.release()).good();
  if (!ok) return Internal("cannot build a compressed frame");
  pixel_data->setVR(EVR_OB);
  pixel_data->putOriginalRepresentation(DcmXfer(transfer_syntax_uid_.c_str()).getXfer(), nullptr,
                                        sequence.release());
  if (frame_attributes_->insert(pixel_data.get(), OFTrue).bad())
    return Internal("cannot build a compressed frame");
  (void)pixel_data.release();  // owned by the attributes now
  return frame_attributes_.get();
}

}  // namespace pacsport::dicom
