// Validation of ZIP entry names: the writer's last line of defence against entries
// that would escape the extraction folder or confuse readers.
//
// Names are made safe and portable upstream (zip/portable_names.h); these checks only
// refuse, they never rewrite. Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "core/error.h"

namespace pacsport::zip {

// Ok when `name` is a relative '/'-separated path of well-formed UTF-8, at most
// 65,535 bytes, whose components are all non-empty and none is "." or "..", with no
// backslash, no control character (NUL included) and no drive prefix such as "C:".
// Dots inside a component ("1..dcm") are allowed. Every component must also be
// portable (IsPortableComponent). Otherwise kInvalidInput, with a message that does
// not repeat the name (it may hold patient data).
Status CheckEntryName(std::string_view name);

// True when `component`, one path component, extracts under its own name on Windows,
// macOS and Linux: it does not end in '.' or ' ' (Windows drops them) and is not a
// Windows device name (CON, PRN, AUX, NUL, CONIN$, CONOUT$, COM0-COM9, LPT0-LPT9, and
// COM/LPT with a superscript 1, 2 or 3), in any case, alone or before an extension ("con.dcm",
// "LPT1.txt", "nul .x"). "." and ".." end in a dot, so they are not portable either.
bool IsPortableComponent(std::string_view component);

// True when every byte is below 0x80: such names need no UTF-8 flag (bit 11).
bool IsPlainAscii(std::string_view name);

}  // namespace pacsport::zip
