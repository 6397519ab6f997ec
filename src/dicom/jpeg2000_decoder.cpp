#include "dicom/jpeg2000_decoder.h"

#include <openjpeg.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcdatset.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcpixel.h"
#include "dcmtk/dcmdata/dcpixseq.h"
#include "dcmtk/dcmdata/dcpxitem.h"

namespace pacsport::dicom {

namespace {

// The first bytes of a JPEG 2000 codestream (SOC and SIZ markers) and of a JP2 file.
constexpr std::string_view kCodestreamStart("\xFF\x4F\xFF\x51", 4);
constexpr std::string_view kJp2Signature("\x00\x00\x00\x0C\x6A\x50\x20\x20", 8);
// Largest value an element of explicit length can hold.
constexpr uint64_t kMaxElementBytes = 0xFFFFFFFE;
// Bytes OpenJPEG asks its stream for at a time.
constexpr OPJ_SIZE_T kStreamChunk = 64 * 1024;

// The value of one item of the pixel sequence, loaded if need be; empty if it has none.
std::string_view ItemBytes(DcmPixelItem& item) {
  Uint8* data = nullptr;
  if (item.getUint8Array(data).bad() || data == nullptr) return {};
  return {reinterpret_cast<const char*>(data), item.getLength()};
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
  if (fragments.getItem(table, 0).bad()) return {};
  const std::string_view offsets = ItemBytes(*table);
  if (offsets.size() != static_cast<uint64_t>(frames) * 4) return {};
  std::vector<uint32_t> starts;
  uint64_t position = 0;  // of item `index`
  uint32_t index = 1;
  for (int64_t frame = 0; frame < frames; ++frame) {
    const uint32_t offset = LittleEndian32(offsets.substr(static_cast<size_t>(frame) * 4, 4));
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

// The items that begin with a codestream or a JP2 signature: where frames start.
std::vector<uint32_t> StartsFromMarkers(DcmPixelSequence& fragments) {
  std::vector<uint32_t> starts;
  for (uint32_t index = 1; index < fragments.card(); ++index) {
    DcmPixelItem* item = nullptr;
    if (fragments.getItem(item, index).bad()) return {};
    const std::string_view bytes = ItemBytes(*item);
    if (bytes.starts_with(kCodestreamStart) || bytes.starts_with(kJp2Signature))
      starts.push_back(index);
    item->compact();
  }
  return starts;
}

// The first item of each frame (item 0 is the Basic Offset Table), then the number
// of items: from the offset table, else one fragment per frame, else by markers.
Result<std::vector<uint32_t>> FrameStarts(DcmPixelSequence& fragments, int64_t frames) {
  const uint32_t items = static_cast<uint32_t>(fragments.card());
  std::vector<uint32_t> starts;
  if (frames == 1 && items > 1) {
    starts = {1};
  } else if (items > 1 && frames < items) {
    starts = StartsFromOffsetTable(fragments, frames);
    if (starts.empty() && frames == items - 1) {
      for (uint32_t index = 1; index < items; ++index) starts.push_back(index);
    }
    if (starts.empty()) starts = StartsFromMarkers(fragments);
  }
  if (starts.size() != static_cast<uint64_t>(frames) || starts.front() != 1)
    return InvalidInput("JPEG 2000 fragments do not match Number of Frames");
  starts.push_back(items);
  return starts;
}

// What the codestream of every frame must agree with.
struct ImageAttributes {
  Uint16 rows = 0;
  Uint16 columns = 0;
  Uint16 samples = 1;
  Uint16 bits_allocated = 0;
  Uint16 pixel_representation = 0;
  std::string photometric;
};

// OpenJPEG reads the codestream from memory through these.
struct MemoryReader {
  std::string_view bytes;
  size_t position = 0;
};

OPJ_SIZE_T ReadFromMemory(void* buffer, OPJ_SIZE_T count, void* user) {
  auto& reader = *static_cast<MemoryReader*>(user);
  const size_t available = std::min<size_t>(count, reader.bytes.size() - reader.position);
  if (available == 0) return static_cast<OPJ_SIZE_T>(-1);
  std::memcpy(buffer, reader.bytes.data() + reader.position, available);
  reader.position += available;
  return available;
}

OPJ_OFF_T SkipInMemory(OPJ_OFF_T count, void* user) {
  auto& reader = *static_cast<MemoryReader*>(user);
  if (count < 0) {
    if (static_cast<uint64_t>(-count) > reader.position) return -1;
    reader.position -= static_cast<size_t>(-count);
    return count;
  }
  const size_t skipped =
      std::min<uint64_t>(static_cast<uint64_t>(count), reader.bytes.size() - reader.position);
  if (skipped == 0 && count > 0) return -1;
  reader.position += skipped;
  return static_cast<OPJ_OFF_T>(skipped);
}

OPJ_BOOL SeekInMemory(OPJ_OFF_T position, void* user) {
  auto& reader = *static_cast<MemoryReader*>(user);
  if (position < 0 || static_cast<uint64_t>(position) > reader.bytes.size()) return OPJ_FALSE;
  reader.position = static_cast<size_t>(position);
  return OPJ_TRUE;
}

void IgnoreMessage(const char* /*message*/, void* /*client_data*/) {}

struct CodecDeleter {
  void operator()(opj_codec_t* codec) const { opj_destroy_codec(codec); }
};
struct StreamDeleter {
  void operator()(opj_stream_t* stream) const { opj_stream_destroy(stream); }
};
struct ImageDeleter {
  void operator()(opj_image_t* image) const { opj_image_destroy(image); }
};
using Image = std::unique_ptr<opj_image_t, ImageDeleter>;

// The header of the codestream against the image attributes, before OpenJPEG
// allocates the image.
Status CheckHeader(const opj_image_t& image, const ImageAttributes& declared,
                   const std::string& prefix) {
  if (image.numcomps != declared.samples) {
    return InvalidInput(prefix + std::to_string(image.numcomps) +
                        " components, Samples per Pixel " + std::to_string(declared.samples));
  }
  if (uint64_t{image.x1} - image.x0 != declared.columns ||
      uint64_t{image.y1} - image.y0 != declared.rows) {
    return InvalidInput(prefix + "size " + std::to_string(uint64_t{image.x1} - image.x0) + "x" +
                        std::to_string(uint64_t{image.y1} - image.y0) + ", Columns x Rows " +
                        std::to_string(declared.columns) + "x" + std::to_string(declared.rows));
  }
  for (OPJ_UINT32 c = 0; c < image.numcomps; ++c) {
    const opj_image_comp_t& component = image.comps[c];
    if (component.dx != 1 || component.dy != 1)
      return InvalidInput(prefix + "subsampled components");
    if (component.prec != image.comps[0].prec || component.sgnd != image.comps[0].sgnd)
      return InvalidInput(prefix + "components of different precision");
    if (component.prec == 0 || component.prec > declared.bits_allocated) {
      return InvalidInput(prefix + std::to_string(component.prec) + " bits, Bits Allocated " +
                          std::to_string(declared.bits_allocated));
    }
    // Unsigned samples under Pixel Representation 1 are read as signed in Bits Stored
    // bits, as with native pixels; negative samples have no unsigned reading.
    if (component.sgnd != 0 && declared.pixel_representation == 0)
      return InvalidInput(prefix + "signed samples, Pixel Representation 0");
  }
  return Status::Ok();
}

// A decoded frame and whether OpenJPEG turned its components into RGB.
struct DecodedFrame {
  Image image;
  bool colour_transformed = false;
};

Result<DecodedFrame> DecodeCodestream(std::string_view codestream, const ImageAttributes& declared,
                                      int64_t frame) {
  const Error cannot_decode = InvalidInput("cannot decode frame " + std::to_string(frame));
  std::unique_ptr<opj_codec_t, CodecDeleter> codec(
      opj_create_decompress(codestream.starts_with(kJp2Signature) ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K));
  std::unique_ptr<opj_stream_t, StreamDeleter> stream(opj_stream_create(kStreamChunk, OPJ_TRUE));
  if (!codec || !stream) return cannot_decode;
  opj_set_info_handler(codec.get(), IgnoreMessage, nullptr);
  opj_set_warning_handler(codec.get(), IgnoreMessage, nullptr);
  opj_set_error_handler(codec.get(), IgnoreMessage, nullptr);

  MemoryReader reader{codestream};
  opj_stream_set_user_data(stream.get(), &reader, nullptr);
  opj_stream_set_user_data_length(stream.get(), codestream.size());
  opj_stream_set_read_function(stream.get(), ReadFromMemory);
  opj_stream_set_skip_function(stream.get(), SkipInMemory);
  opj_stream_set_seek_function(stream.get(), SeekInMemory);

  opj_dparameters_t parameters;
  opj_set_default_decoder_parameters(&parameters);
  opj_image_t* header = nullptr;
  const bool has_header = opj_setup_decoder(codec.get(), &parameters) &&
                          opj_read_header(stream.get(), codec.get(), &header);
  DecodedFrame decoded{Image(header)};
  if (!has_header || !decoded.image) return cannot_decode;
  if (Status matches =
          CheckHeader(*decoded.image, declared, "JPEG 2000 frame " + std::to_string(frame) + ": ");
      !matches.ok()) {
    return matches.error();
  }
  if (!opj_decode(codec.get(), stream.get(), decoded.image.get()) ||
      !opj_end_decompress(codec.get(), stream.get())) {
    return cannot_decode;
  }
  for (OPJ_UINT32 c = 0; c < decoded.image->numcomps; ++c) {
    const opj_image_comp_t& component = decoded.image->comps[c];
    if (component.data == nullptr || component.w != declared.columns ||
        component.h != declared.rows) {
      return cannot_decode;
    }
  }
  opj_codestream_info_v2_t* info = opj_get_cstr_info(codec.get());
  decoded.colour_transformed =
      info != nullptr && info->m_default_tile_info.mct != 0 && decoded.image->numcomps >= 3;
  opj_destroy_cstr_info(&info);
  return decoded;
}

// The photometric interpretation of the decoded samples.
Result<std::string> DecodedPhotometric(const ImageAttributes& declared, bool colour_transformed,
                                       int64_t frame) {
  if (declared.samples != 3) return declared.photometric;
  if (colour_transformed) return std::string("RGB");
  // Without the transform, the components are what the attribute says; YBR_ICT's
  // components are YCbCr exactly as YBR_FULL's, and none are subsampled.
  if (declared.photometric == "YBR_ICT" || declared.photometric == "YBR_FULL_422")
    return std::string("YBR_FULL");
  if (declared.photometric == "YBR_RCT") {
    return InvalidInput("JPEG 2000 frame " + std::to_string(frame) +
                        ": YBR_RCT without the reversible colour transform");
  }
  return declared.photometric;
}

// The samples of all components, interleaved pixel by pixel, into `out`.
template <typename Sample>
void Interleave(const opj_image_t& image, Sample* out) {
  const size_t pixels = size_t{image.comps[0].w} * image.comps[0].h;
  for (size_t i = 0; i < pixels; ++i) {
    for (OPJ_UINT32 c = 0; c < image.numcomps; ++c)
      *out++ = static_cast<Sample>(image.comps[c].data[i]);  // two's complement if signed
  }
}

// Native Pixel Data holding the decoded frame.
Result<std::unique_ptr<DcmPixelData>> NativePixelData(const opj_image_t& image,
                                                      Uint16 bits_allocated) {
  const size_t samples = size_t{image.comps[0].w} * image.comps[0].h * image.numcomps;
  auto pixel_data = std::make_unique<DcmPixelData>(DCM_PixelData);
  if (bits_allocated == 8) {
    Uint8* bytes = nullptr;
    pixel_data->setVR(EVR_OB);
    if (pixel_data->createUint8Array(static_cast<Uint32>(samples), bytes).bad())
      return Internal("cannot allocate a decoded frame");
    Interleave(image, bytes);
  } else {
    Uint16* words = nullptr;
    pixel_data->setVR(EVR_OW);
    if (pixel_data->createUint16Array(static_cast<Uint32>(samples), words).bad())
      return Internal("cannot allocate a decoded frame");
    Interleave(image, words);
  }
  return pixel_data;
}

ImageAttributes ReadAttributes(DcmDataset& dataset) {
  ImageAttributes attributes;
  (void)dataset.findAndGetUint16(DCM_Rows, attributes.rows);
  (void)dataset.findAndGetUint16(DCM_Columns, attributes.columns);
  (void)dataset.findAndGetUint16(DCM_SamplesPerPixel, attributes.samples);
  (void)dataset.findAndGetUint16(DCM_BitsAllocated, attributes.bits_allocated);
  (void)dataset.findAndGetUint16(DCM_PixelRepresentation, attributes.pixel_representation);
  OFString photometric;
  if (dataset.findAndGetOFString(DCM_PhotometricInterpretation, photometric).good())
    attributes.photometric.assign(photometric.c_str(), photometric.length());
  return attributes;
}

}  // namespace

bool IsJpeg2000(std::string_view transfer_syntax_uid) {
  return transfer_syntax_uid == "1.2.840.10008.1.2.4.90" ||
         transfer_syntax_uid == "1.2.840.10008.1.2.4.91";
}

Jpeg2000Frames::Jpeg2000Frames(DcmDataset& source, DcmPixelSequence& fragments,
                               std::vector<uint32_t> frame_starts,
                               std::unique_ptr<DcmDataset> native)
    : source_(&source),
      fragments_(&fragments),
      frame_starts_(std::move(frame_starts)),
      native_(std::move(native)) {}
Jpeg2000Frames::Jpeg2000Frames(Jpeg2000Frames&&) noexcept = default;
Jpeg2000Frames& Jpeg2000Frames::operator=(Jpeg2000Frames&&) noexcept = default;
Jpeg2000Frames::~Jpeg2000Frames() = default;

Result<Jpeg2000Frames> Jpeg2000Frames::Open(DcmDataset& dataset, int64_t frames) {
  const ImageAttributes declared = ReadAttributes(dataset);
  if (declared.bits_allocated != 8 && declared.bits_allocated != 16)
    return InvalidInput("JPEG 2000 with Bits Allocated " + std::to_string(declared.bits_allocated));
  if (declared.samples != 1 && declared.samples != 3)
    return InvalidInput("JPEG 2000 with Samples per Pixel " + std::to_string(declared.samples));
  if (uint64_t{declared.rows} * declared.columns * declared.samples * declared.bits_allocated / 8 >
      kMaxElementBytes) {
    return InvalidInput("pixel data too large");
  }

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
    return InvalidInput("JPEG 2000 pixel data not encapsulated");
  }
  Result<std::vector<uint32_t>> starts = FrameStarts(*fragments, frames);
  if (!starts.ok()) return starts.error();

  // Every attribute but the pixels, for a single native frame.
  auto native = std::make_unique<DcmDataset>();
  for (unsigned long i = 0; i < dataset.card(); ++i) {
    DcmElement* attribute = dataset.getElement(i);
    if (attribute->getTag() == DCM_PixelData || attribute->getTag() == DCM_NumberOfFrames) continue;
    native->insert(static_cast<DcmElement*>(attribute->clone()));
  }
  return Jpeg2000Frames(dataset, *fragments, std::move(starts).value(), std::move(native));
}

Result<DcmDataset*> Jpeg2000Frames::Decode(int64_t frame) {
  const Error cannot_decode = InvalidInput("cannot decode frame " + std::to_string(frame));
  std::string codestream;
  for (uint32_t index = frame_starts_[frame]; index < frame_starts_[frame + 1]; ++index) {
    DcmPixelItem* item = nullptr;
    if (fragments_->getItem(item, index).bad()) return cannot_decode;
    codestream += ItemBytes(*item);
    item->compact();  // the source keeps no copy of the compressed frame
  }
  const ImageAttributes declared = ReadAttributes(*source_);
  Result<DecodedFrame> decoded = DecodeCodestream(codestream, declared, frame);
  if (!decoded.ok()) return decoded.error();
  std::string().swap(codestream);
  Result<std::string> photometric =
      DecodedPhotometric(declared, decoded->colour_transformed, frame);
  if (!photometric.ok()) return photometric.error();
  Result<std::unique_ptr<DcmPixelData>> pixels =
      NativePixelData(*decoded->image, declared.bits_allocated);
  if (!pixels.ok()) return pixels.error();
  decoded->image.reset();

  DcmDataset& native = *native_;
  const bool ok =
      native.putAndInsertString(DCM_PhotometricInterpretation, photometric->c_str()).good() &&
      (declared.samples == 1 || native.putAndInsertUint16(DCM_PlanarConfiguration, 0).good()) &&
      native.insert(pixels->get(), OFTrue).good();
  if (!ok) return Internal("cannot build a decoded frame");
  (void)pixels->release();  // owned by `native` now
  return &native;
}

}  // namespace pacsport::dicom
