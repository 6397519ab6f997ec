#include "dicom/test_objects.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <utility>

namespace pacsport::testing {

namespace {

void AppendLE16(std::string& out, uint32_t value) {
  out += static_cast<char>(value & 0xFF);
  out += static_cast<char>((value >> 8) & 0xFF);
}

void AppendLE32(std::string& out, uint32_t value) {
  AppendLE16(out, value & 0xFFFF);
  AppendLE16(out, value >> 16);
}

bool HasLongLength(std::string_view vr) {
  for (std::string_view long_vr :
       {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "UC", "UN", "UR", "UT"}) {
    if (vr == long_vr) return true;
  }
  return false;
}

// Raw deflate (no zlib header, as PS3.5 A.5 wants), fed piece by piece.
class RawDeflater {
 public:
  RawDeflater() {
    EXPECT_EQ(deflateInit2(&stream_, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
  }
  ~RawDeflater() { deflateEnd(&stream_); }

  // Z_FULL_FLUSH ends the output so far on a byte boundary and resets the compressor:
  // what follows refers to nothing before.
  void Add(std::string_view data, int flush = Z_NO_FLUSH) {
    stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream_.avail_in = static_cast<uInt>(data.size());
    int status = Z_OK;
    do {
      char buffer[1 << 16];
      stream_.next_out = reinterpret_cast<Bytef*>(buffer);
      stream_.avail_out = sizeof buffer;
      status = deflate(&stream_, flush);
      out_.append(buffer, sizeof buffer - stream_.avail_out);
    } while (stream_.avail_out == 0 || (flush == Z_FINISH && status != Z_STREAM_END));
  }
  // The output so far, taken.
  std::string Take() { return std::exchange(out_, {}); }

 private:
  z_stream stream_{};
  std::string out_;
};

std::string RawDeflate(std::string_view data) {
  RawDeflater deflater;
  deflater.Add(data, Z_FINISH);
  return deflater.Take();
}

constexpr uint32_t kUndefinedLength = 0xFFFFFFFF;

std::string DecimalString(uint16_t group, uint16_t element, double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.10g", value);
  return Element(group, element, "DS", text);
}

std::string WindowElements(const WindowValues& window) {
  return DecimalString(0x0028, 0x1050, window.center) +
         DecimalString(0x0028, 0x1051, window.width) +
         (window.function.empty() ? "" : Element(0x0028, 0x1056, "CS", window.function));
}

std::string FunctionalGroupItem(const FunctionalGroup& group) {
  std::string item;
  if (group.window) item += Sequence(0x0028, 0x9132, {WindowElements(*group.window)});
  if (group.rescale) {
    item += Sequence(0x0028, 0x9145,
                     {DecimalString(0x0028, 0x1052, group.rescale->intercept) +
                      DecimalString(0x0028, 0x1053, group.rescale->slope) +
                      Element(0x0028, 0x1054, "LO", "US")});
  }
  return item;
}

}  // namespace

std::string ElementHeader(uint16_t group, uint16_t element, std::string_view vr, uint32_t length) {
  std::string out;
  AppendLE16(out, group);
  AppendLE16(out, element);
  out += vr;
  if (HasLongLength(vr)) {
    AppendLE16(out, 0);
    AppendLE32(out, length);
  } else {
    AppendLE16(out, length);
  }
  return out;
}

std::string ItemHeader(uint16_t element, uint32_t length) {
  std::string out;
  AppendLE16(out, 0xFFFE);
  AppendLE16(out, element);
  AppendLE32(out, length);
  return out;
}

std::string Element(uint16_t group, uint16_t element, std::string_view vr, std::string_view value) {
  std::string padded(value);
  if (padded.size() % 2 != 0) {
    const bool binary = vr == "OB" || vr == "OW" || vr == "UN";
    padded += vr == "UI" || binary ? '\0' : ' ';
  }
  return ElementHeader(group, element, vr, static_cast<uint32_t>(padded.size())) + padded;
}

std::string UInt16Element(uint16_t group, uint16_t element, uint16_t value) {
  std::string bytes;
  AppendLE16(bytes, value);
  return Element(group, element, "US", bytes);
}

std::string Sequence(uint16_t group, uint16_t element, const std::vector<std::string>& items) {
  std::string out = ElementHeader(group, element, "SQ", kUndefinedLength);
  for (const std::string& item : items)
    out += ItemHeader(0xE000, kUndefinedLength) + item + ItemHeader(0xE00D, 0);
  return out + ItemHeader(0xE0DD, 0);
}

std::string IdentityElements() {
  return Element(0x0008, 0x0018, "UI", "1.2.3.4.5.6.3") + Element(0x0010, 0x0020, "LO", "NEST") +
         Element(0x0020, 0x000D, "UI", "1.2.3.4.5.6.1") +
         Element(0x0020, 0x000E, "UI", "1.2.3.4.5.6.2");
}

std::string NestedSequences(int depth, Lengths lengths) {
  // Headers from the outside in, then the innermost item's one text element, then
  // the delimiters from the inside out (linear: depths run to hundreds of thousands).
  const std::string leaf = Element(0x0040, 0xA160, "UT", "leaf");
  constexpr uint32_t kLevelHeaderSize = 12 + 8;  // SQ header + item header
  std::string out;
  for (int level = depth; level > 0; --level) {
    const uint32_t item_length =
        static_cast<uint32_t>(leaf.size()) + (level - 1) * kLevelHeaderSize;
    const bool defined = lengths == Lengths::kDefined;
    out += ElementHeader(0x0040, 0xA730, "SQ", defined ? item_length + 8 : kUndefinedLength);
    out += ItemHeader(0xE000, defined ? item_length : kUndefinedLength);
  }
  out += leaf;
  if (lengths == Lengths::kUndefined) {
    for (int level = 0; level < depth; ++level)
      out += ItemHeader(0xE00D, 0) + ItemHeader(0xE0DD, 0);
  }
  return out;
}

std::string EnhancedImageDataset(const EnhancedImage& image) {
  std::string dataset =
      Element(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.2.1") + IdentityElements() +
      UInt16Element(0x0028, 0x0002, 1) + Element(0x0028, 0x0004, "CS", image.photometric) +
      Element(0x0028, 0x0008, "IS", std::to_string(image.frames.size())) +
      UInt16Element(0x0028, 0x0010, image.rows) + UInt16Element(0x0028, 0x0011, image.columns) +
      UInt16Element(0x0028, 0x0100, 16) + UInt16Element(0x0028, 0x0101, 16) +
      UInt16Element(0x0028, 0x0102, 15) + UInt16Element(0x0028, 0x0103, 1);
  if (image.top_window) dataset += WindowElements(*image.top_window);
  if (image.shared) dataset += Sequence(0x5200, 0x9229, {FunctionalGroupItem(*image.shared)});
  if (!image.per_frame.empty()) {
    std::vector<std::string> items;
    for (const FunctionalGroup& group : image.per_frame)
      items.push_back(FunctionalGroupItem(group));
    dataset += Sequence(0x5200, 0x9230, items);
  }
  if (!image.fragments.empty()) {
    dataset += ElementHeader(0x7FE0, 0x0010, "OB", kUndefinedLength) + ItemHeader(0xE000, 0);
    for (std::string fragment : image.fragments) {
      if (fragment.size() % 2 != 0) fragment += '\0';
      dataset += ItemHeader(0xE000, static_cast<uint32_t>(fragment.size())) + fragment;
    }
    return dataset + ItemHeader(0xE0DD, 0);
  }
  std::string samples;
  for (const std::vector<int16_t>& frame : image.frames) {
    EXPECT_EQ(frame.size(), size_t{image.rows} * image.columns);
    for (int16_t value : frame) AppendLE16(samples, static_cast<uint16_t>(value));
  }
  return dataset + Element(0x7FE0, 0x0010, "OW", samples);
}

namespace {

// Preamble, "DICM" and the meta header naming `transfer_syntax`.
std::string Part10Header(std::string_view transfer_syntax) {
  const std::string meta_elements = Element(0x0002, 0x0001, "OB", std::string("\0\1", 2)) +
                                    Element(0x0002, 0x0002, "UI", "1.2.840.10008.5.1.4.1.1.7") +
                                    Element(0x0002, 0x0003, "UI", "1.2.3.4.5.6.3") +
                                    Element(0x0002, 0x0010, "UI", transfer_syntax) +
                                    Element(0x0002, 0x0012, "UI", "1.2.3.4");
  std::string group_length;
  AppendLE32(group_length, static_cast<uint32_t>(meta_elements.size()));
  std::string file(128, '\0');
  file += "DICM";
  return file + Element(0x0002, 0x0000, "UL", group_length) + meta_elements;
}

}  // namespace

std::string Part10File(std::string_view dataset, std::string_view transfer_syntax) {
  return Part10Header(transfer_syntax) + (transfer_syntax == kDeflatedExplicitLittleEndian
                                              ? RawDeflate(dataset)
                                              : std::string(dataset));
}

std::string DeflateBomb(uint32_t values, uint32_t value_bytes) {
  // A MiB of zeros deflated from a reset compressor, repeated as often as needed.
  constexpr uint32_t kBlockBytes = 1 << 20;
  RawDeflater zeros;
  zeros.Add(std::string(kBlockBytes, '\0'), Z_FULL_FLUSH);
  const std::string block = zeros.Take();

  std::string file = Part10Header(kDeflatedExplicitLittleEndian);
  RawDeflater deflater;
  deflater.Add(IdentityElements());
  for (uint32_t i = 0; i < values; ++i) {
    deflater.Add(ElementHeader(0x0029, static_cast<uint16_t>(0x1000 + i), "OB", value_bytes),
                 Z_FULL_FLUSH);
    file += deflater.Take();
    for (uint32_t n = 0; n < value_bytes / kBlockBytes; ++n) file += block;
    deflater.Add(std::string(value_bytes % kBlockBytes, '\0'));
  }
  deflater.Add({}, Z_FINISH);
  return file + deflater.Take();
}

}  // namespace pacsport::testing
