#include "dicom/jpeg2000_decoder.h"

#include <openjpeg.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcdatset.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcpixel.h"

namespace pacsport::dicom {

namespace {

// The first bytes of a JP2 file.
constexpr std::string_view kJp2Signature("\x00\x00\x00\x0C\x6A\x50\x20\x20", 8);
// Largest value an element of explicit length can hold.
constexpr uint64_t kMaxElementBytes = 0xFFFFFFFE;
// Bytes OpenJPEG asks its stream for at a time.
constexpr OPJ_SIZE_T kStreamChunk = OPJ_SIZE_T{64} * 1024;

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

Jpeg2000Frames::Jpeg2000Frames(DcmDataset& source, EncapsulatedFrames frames)
    : source_(&source), frames_(std::move(frames)) {}
Jpeg2000Frames::Jpeg2000Frames(Jpeg2000Frames&&) noexcept = default;
Jpeg2000Frames& Jpeg2000Frames::operator=(Jpeg2000Frames&&) noexcept = default;
Jpeg2000Frames::~Jpeg2000Frames() = default;

Result<Jpeg2000Frames> Jpeg2000Frames::Open(DcmDataset& dataset, EncapsulatedFrames frames) {
  const ImageAttributes declared = ReadAttributes(dataset);
  if (declared.bits_allocated != 8 && declared.bits_allocated != 16)
    return InvalidInput("JPEG 2000 with Bits Allocated " + std::to_string(declared.bits_allocated));
  if (declared.samples != 1 && declared.samples != 3)
    return InvalidInput("JPEG 2000 with Samples per Pixel " + std::to_string(declared.samples));
  if (uint64_t{declared.rows} * declared.columns * declared.samples * declared.bits_allocated / 8 >
      kMaxElementBytes) {
    return InvalidInput("pixel data too large");
  }
  return Jpeg2000Frames(dataset, std::move(frames));
}

Result<DcmDataset*> Jpeg2000Frames::Decode(int64_t frame) {
  Result<std::string> codestream = frames_.Codestream(frame);
  if (!codestream.ok()) return codestream.error();
  const ImageAttributes declared = ReadAttributes(*source_);
  Result<DecodedFrame> decoded = DecodeCodestream(*codestream, declared, frame);
  if (!decoded.ok()) return decoded.error();
  std::string().swap(*codestream);
  Result<std::string> photometric =
      DecodedPhotometric(declared, decoded->colour_transformed, frame);
  if (!photometric.ok()) return photometric.error();
  Result<std::unique_ptr<DcmPixelData>> pixels =
      NativePixelData(*decoded->image, declared.bits_allocated);
  if (!pixels.ok()) return pixels.error();
  decoded->image.reset();

  DcmDataset& native = frames_.FrameAttributes();
  const bool ok =
      native.putAndInsertString(DCM_PhotometricInterpretation, photometric->c_str()).good() &&
      (declared.samples == 1 || native.putAndInsertUint16(DCM_PlanarConfiguration, 0).good()) &&
      native.insert(pixels->get(), OFTrue).good();
  if (!ok) return Internal("cannot build a decoded frame");
  (void)pixels->release();  // owned by `native` now
  return &native;
}

}  // namespace pacsport::dicom
