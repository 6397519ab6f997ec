// HMAC-SHA256 (OpenSSL) of a message under a 32-byte key. Thread-safe.
#pragma once

#include <array>
#include <string_view>

namespace pacsport::deid {

using Key256 = std::array<unsigned char, 32>;

// Throws std::runtime_error only when OpenSSL cannot compute it (a broken install).
Key256 HmacSha256(const Key256& key, std::string_view message);

}  // namespace pacsport::deid
