// Private attributes a de-identified object keeps: a short safe list, every other
// private attribute (odd group) is removed (PS3.15 Table E.1-1, "Private Attributes":
// X). Each entry is a numeric acquisition parameter that diffusion research needs and
// that identifies no one, listed as safe in PS3.15 Table E.3.10-1 "Safe Private
// Attributes". Thread-safe: immutable.
#pragma once

#include <cstdint>
#include <string_view>

namespace pacsport::deid {

// Whether the private element (group, element) of the block reserved by `creator`
// (the Private Creator's value) is kept. `element` is the full element number,
// e.g. 0x100C for offset 0x0C of the block at 0x10.
bool IsSafePrivate(std::string_view creator, std::uint16_t group, std::uint16_t element);

// Whether a block reserved by `creator` in `group` holds any safe element, so that
// its Private Creator (gggg,00xx) is kept with them.
bool IsSafeCreator(std::string_view creator, std::uint16_t group);

}  // namespace pacsport::deid
