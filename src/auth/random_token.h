// Unguessable tokens from libsodium's random source. Thread-safe.
#pragma once

#include <cstddef>
#include <string>

namespace pacsport::auth {

// `bytes` random bytes, base64url-encoded without padding.
std::string RandomBase64Url(size_t bytes);

}  // namespace pacsport::auth
