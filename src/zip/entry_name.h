// Validation of ZIP entry names: the writer's last line of defence against entries
// that would escape the extraction folder or confuse readers.
//
// Names are sanitized upstream (core/names.h); these checks only refuse, they never
// rewrite. Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "core/error.h"

namespace pacsport::zip {

// Ok when `name` is a relative '/'-separated path of well-formed UTF-8, at most
// 65,535 bytes, whose components are all non-empty and none is "." or "..", with no
// backslash, no control character (NUL included) and no drive prefix such as "C:".
// Dots inside a component ("1..dcm") are allowed. Otherwise kInvalidInput, with a
// message that does not repeat the name (it may hold patient data).
Status CheckEntryName(std::string_view name);

// True when every byte is below 0x80: such names need no UTF-8 flag (bit 11).
bool IsPlainAscii(std::string_view name);

}  // namespace pacsport::zip
