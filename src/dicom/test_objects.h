// Test support for dicom_test: small DICOM objects built byte by byte, for the
// inputs no real file provides (hostile nesting, absurd sizes, deflate).
// Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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

// Study, series and SOP instance UIDs and a patient ID, in tag order.
std::string IdentityElements();

// A Content Sequence nesting `depth` levels of sequences, each item holding the
// next sequence; with undefined lengths and delimiters, or with explicit lengths.
enum class Lengths { kUndefined, kDefined };
std::string NestedSequences(int depth, Lengths lengths);

// A Part 10 file: preamble, "DICM", meta header naming `transfer_syntax`, then
// `dataset`, raw-deflated when the syntax is the deflated one.
std::string Part10File(std::string_view dataset,
                       std::string_view transfer_syntax = kExplicitLittleEndian);

}  // namespace pacsport::testing
