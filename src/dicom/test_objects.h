// Test support for dicom_test: small DICOM objects built byte by byte, for the
// inputs no real file provides (hostile nesting, absurd sizes, deflate, enhanced
// multi-frame images with functional groups). Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pacsport::testing {

inline constexpr std::string_view kExplicitLittleEndian = "1.2.840.10008.1.2.1";
inline constexpr std::string_view kDeflatedExplicitLittleEndian = "1.2.840.10008.1.2.1.99";

// One explicit VR little endian element; the value is padded to even length
// (with a NUL for UI, a space otherwise, a zero byte for binary VRs).
std::string Element(uint16_t group, uint16_t element, std::string_view vr, std::string_view value);
std::string UInt16Element(uint16_t group, uint16_t element, uint16_t value);
// Just the header of one, announcing `length` bytes (0xFFFFFFFF: undefined).
std::string ElementHeader(uint16_t group, uint16_t element, std::string_view vr, uint32_t length);
// An item (0xE000), item delimiter (0xE00D) or sequence delimiter (0xE0DD) tag.
std::string ItemHeader(uint16_t element, uint32_t length);

// A sequence of `items` (each the encoded elements of one item), with undefined
// lengths and delimiters.
std::string Sequence(uint16_t group, uint16_t element, const std::vector<std::string>& items);

// Study, series and SOP instance UIDs and a patient ID, in tag order.
std::string IdentityElements();

// A Content Sequence nesting `depth` levels of sequences, each item holding the
// next sequence; with undefined lengths and delimiters, or with explicit lengths.
enum class Lengths { kUndefined, kDefined };
std::string NestedSequences(int depth, Lengths lengths);

// The functional group macros that carry a frame's rescale and window.
struct RescaleValues {  // Pixel Value Transformation Sequence
  double slope = 1;
  double intercept = 0;
};
struct WindowValues {  // Frame VOI LUT Sequence
  double center = 0;
  double width = 0;
  std::string function;  // VOI LUT Function; empty: none
};
struct FunctionalGroup {  // one item of the Shared or Per-Frame Functional Groups
  std::optional<RescaleValues> rescale;
  std::optional<WindowValues> window;
};

// A 16-bit signed monochrome Enhanced CT image.
struct EnhancedImage {
  std::string photometric = "MONOCHROME2";
  uint16_t rows = 0;
  uint16_t columns = 0;
  std::vector<std::vector<int16_t>> frames;  // rows x columns stored values each
  std::optional<WindowValues> top_window;    // Window Center/Width at the top level
  std::optional<FunctionalGroup> shared;
  std::vector<FunctionalGroup> per_frame;  // empty: no Per-Frame Functional Groups
  // When not empty: encapsulated Pixel Data, one fragment per frame, in place of
  // the native `frames` (which then only say what the fragments hold).
  std::vector<std::string> fragments;
};
// Its dataset (put it in Part10File with the fragments' transfer syntax).
std::string EnhancedImageDataset(const EnhancedImage& image);

// A Part 10 file: preamble, "DICM", meta header naming `transfer_syntax`, then
// `dataset`, raw-deflated when the syntax is the deflated one.
std::string Part10File(std::string_view dataset,
                       std::string_view transfer_syntax = kExplicitLittleEndian);

// A deflated Part 10 file whose dataset is the identity elements, then `values`
// private OB values of `value_bytes` zeros each: a deflate bomb, built in chunks so
// that making it never holds the inflated dataset (a GiB costs about a MiB).
std::string DeflateBomb(uint32_t values, uint32_t value_bytes);

}  // namespace pacsport::testing
