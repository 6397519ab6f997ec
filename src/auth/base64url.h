// base64url (RFC 4648 section 5) without padding, as JSON Web Tokens use it.
//
// Decoding is strict: it rejects padding, whitespace, characters outside the URL-safe
// alphabet, an impossible length (1 mod 4) and non-zero unused trailing bits, so each
// byte string has exactly one accepted encoding (no signature malleability).
// Thread-safe: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pacsport::auth {

std::string Base64UrlEncode(std::string_view bytes);
// The decoded bytes, or nullopt when `text` is not canonical unpadded base64url.
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace pacsport::auth
