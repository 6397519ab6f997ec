// Percent-encoding of URL path segments and query values (RFC 3986 section 2.1): every
// byte but the unreserved characters (letters, digits, '-', '.', '_', '~') becomes %XX,
// with '/' kept when asked (an object name's folders).
#pragma once

#include <string>
#include <string_view>

namespace pacsport::delivery {

enum class Slashes { kKeep, kEncode };

std::string PercentEncode(std::string_view text, Slashes slashes);

}  // namespace pacsport::delivery
