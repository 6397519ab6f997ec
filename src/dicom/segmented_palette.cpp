#include "dicom/segmented_palette.h"

#include <cmath>
#include <optional>
#include <string>

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcitem.h"
#include "dicom/object_facts.h"

namespace pacsport::dicom {

namespace {

enum Opcode : uint16_t { kDiscrete = 0, kLinear = 1, kIndirect = 2 };

// Segments a crafted table may make the expansion visit, counting repeats.
constexpr size_t kMaxSegmentVisits = size_t{1} << 20;

Error Invalid(const std::string& reason) { return InvalidInput("segmented palette: " + reason); }

// The state of one colour's expansion.
class Expansion {
 public:
  Expansion(std::span<const uint16_t> words, uint32_t entries, int bits)
      : words_(words), entries_(entries), bits_(bits) {}

  // Expands the segments from word `position` on: to the end of the data, or only
  // `copies` of them for an indirect segment.
  Status Expand(size_t position, std::optional<uint32_t> copies) {
    uint32_t done = 0;
    // A lone last word is padding: every segment is longer.
    for (; position + 1 < words_.size() && (!copies || done < *copies); ++done) {
      if (++visits_ > kMaxSegmentVisits) return Invalid("too many segments");
      const uint16_t opcode = words_[position];
      const uint32_t length = words_[position + 1];
      position += 2;
      Status expanded = opcode == kDiscrete ? Discrete(position, length)
                        : opcode == kLinear ? Linear(position, length)
                        : opcode == kIndirect
                            ? Indirect(position, length, copies.has_value())
                            : Status(Invalid("unknown segment type " + std::to_string(opcode)));
      if (!expanded.ok()) return expanded;
    }
    if (copies && done < *copies) return Invalid("indirect segment runs past the data");
    return Status::Ok();
  }

  // The expanded table; requires a successful Expand.
  Result<std::vector<uint16_t>> Entries() && {
    if (out_.size() != entries_) return Invalid("fewer entries than its descriptor");
    return std::move(out_);
  }

 private:
  // Requires `count` more entries to fit.
  Status Reserve(uint64_t count) {
    if (out_.size() + count > entries_) return Invalid("more entries than its descriptor");
    return Status::Ok();
  }

  Status Discrete(size_t& position, uint32_t length) {
    if (position + length > words_.size()) return Invalid("discrete segment runs past the data");
    if (Status fits = Reserve(length); !fits.ok()) return fits;
    const std::span<const uint16_t> entries = words_.subspan(position, length);
    out_.insert(out_.end(), entries.begin(), entries.end());
    position += length;
    return Status::Ok();
  }

  // From the previous entry (x0, y0) to (x0 + length, y1), y1 included.
  Status Linear(size_t& position, uint32_t length) {
    if (out_.empty()) return Invalid("linear segment first");
    if (position >= words_.size()) return Invalid("linear segment runs past the data");
    if (Status fits = Reserve(length); !fits.ok()) return fits;
    const double y0 = out_.back(), y1 = words_[position++];
    for (uint32_t k = 1; k <= length; ++k)
      out_.push_back(static_cast<uint16_t>(std::nearbyint(y0 + (y1 - y0) * k / length)));
    return Status::Ok();
  }

  // Repeats `count` segments from a byte offset: two 16-bit words (the low one first),
  // or for 8-bit entries four bytes (little endian).
  Status Indirect(size_t& position, uint32_t count, bool nested) {
    if (out_.empty()) return Invalid("indirect segment first");
    if (nested) return Invalid("indirect segment within an indirect segment");
    const size_t offset_words = bits_ == 8 ? 4 : 2;
    if (position + offset_words > words_.size())
      return Invalid("indirect segment runs past the data");
    uint64_t offset = 0;
    for (size_t i = offset_words; i-- > 0;)
      offset = offset << (bits_ == 8 ? 8 : 16) | words_[position + i];
    position += offset_words;
    const uint64_t bytes_per_word = bits_ == 8 ? 1 : 2;
    if (offset % bytes_per_word != 0 || offset / bytes_per_word >= words_.size())
      return Invalid("indirect segment points outside the data");
    return Expand(static_cast<size_t>(offset / bytes_per_word), count);
  }

  std::span<const uint16_t> words_;
  uint32_t entries_;
  int bits_;
  std::vector<uint16_t> out_;
  size_t visits_ = 0;
};

// The descriptor of one colour: entries (0 means 65536) and bits per entry.
struct Descriptor {
  uint32_t entries = 0;
  int bits = 0;
};

std::optional<Descriptor> ReadDescriptor(DcmItem& dataset, const DcmTagKey& tag) {
  Uint16 entries = 0, bits = 0;
  if (dataset.findAndGetUint16(tag, entries, 0).bad() ||
      dataset.findAndGetUint16(tag, bits, 2).bad() || (bits != 8 && bits != 16)) {
    return std::nullopt;
  }
  return Descriptor{entries == 0 ? 65536u : entries, bits};
}

// One colour's tags.
struct Colour {
  DcmTagKey descriptor, plain, segmented;
};

// The segment words of `tag` as ExpandSegments takes them: the element's 16-bit
// values, or for 8-bit entries their bytes, the low one of each value first, as DCMTK
// reads plain tables of 8-bit entries packed two a word (so that the order does not
// depend on the byte order of the transfer syntax).
std::vector<uint16_t> SegmentWords(DcmItem& dataset, const DcmTagKey& tag, int bits) {
  const Uint16* values = nullptr;
  unsigned long count = 0;
  if (dataset.findAndGetUint16Array(tag, values, &count).bad() || values == nullptr) return {};
  if (bits == 16) return {values, values + count};
  std::vector<uint16_t> bytes;
  bytes.reserve(count * 2);
  for (unsigned long i = 0; i < count; ++i)
    bytes.insert(bytes.end(),
                 {static_cast<uint16_t>(values[i] & 0xFF), static_cast<uint16_t>(values[i] >> 8)});
  return bytes;
}

}  // namespace

Result<std::vector<uint16_t>> ExpandSegments(std::span<const uint16_t> words, uint32_t entries,
                                             int bits) {
  Expansion expansion(words, entries, bits);
  if (Status expanded = expansion.Expand(0, std::nullopt); !expanded.ok()) return expanded.error();
  return std::move(expansion).Entries();
}

Status ExpandSegmentedPalettes(DcmItem& dataset) {
  OFString photometric;
  (void)dataset.findAndGetOFString(DCM_PhotometricInterpretation, photometric);
  if (TrimPadding(photometric.c_str(), /*trim_leading=*/true) != "PALETTE COLOR")
    return Status::Ok();
  for (const Colour& colour :
       {Colour{DCM_RedPaletteColorLookupTableDescriptor, DCM_RedPaletteColorLookupTableData,
               DCM_SegmentedRedPaletteColorLookupTableData},
        Colour{DCM_GreenPaletteColorLookupTableDescriptor, DCM_GreenPaletteColorLookupTableData,
               DCM_SegmentedGreenPaletteColorLookupTableData},
        Colour{DCM_BluePaletteColorLookupTableDescriptor, DCM_BluePaletteColorLookupTableData,
               DCM_SegmentedBluePaletteColorLookupTableData}}) {
    if (!dataset.tagExists(colour.segmented) || dataset.tagExists(colour.plain)) continue;
    const std::optional<Descriptor> descriptor = ReadDescriptor(dataset, colour.descriptor);
    if (!descriptor) return InvalidInput("segmented palette without a valid descriptor");
    const std::vector<uint16_t> words = SegmentWords(dataset, colour.segmented, descriptor->bits);
    Result<std::vector<uint16_t>> table =
        ExpandSegments(words, descriptor->entries, descriptor->bits);
    if (!table.ok()) return table.error();
    if (dataset.putAndInsertUint16Array(colour.plain, table->data(), table->size()).bad())
      return Internal("cannot store an expanded palette");
  }
  return Status::Ok();
}

}  // namespace pacsport::dicom
