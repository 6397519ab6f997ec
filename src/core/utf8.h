// Well-formed UTF-8: no truncated or overlong sequence, no surrogate, nothing beyond
// U+10FFFF. Thread-safe.
#pragma once

#include <string_view>

namespace pacsport {

bool IsWellFormedUtf8(std::string_view s);

}  // namespace pacsport
