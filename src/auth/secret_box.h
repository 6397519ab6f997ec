// SecretBox: credentials encrypted at rest (libsodium's XChaCha20-Poly1305 AEAD), for
// the secrets of delivery destinations kept in the index.
//
// The key is 32 random bytes, given as base64 (PACSPORT_SECRETS_KEY) or in a key file
// holding "secretbox " and that base64. A sealed text is "sb1:" and the base64 of a
// random 24-byte nonce followed by the ciphertext. Each seal is bound to a context
// (authenticated, not stored): opened under another context, or altered in any byte,
// or opened with another key, it fails. Thread-safe: an immutable value.
#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.h"

namespace pacsport::auth {

class SecretBox {
 public:
  // kInvalidInput unless `base64` is 32 bytes of standard base64.
  static Result<SecretBox> FromBase64(std::string_view base64);
  // Reads the key file at `path`, creating it with a new key (mode 0600) when absent.
  static Result<SecretBox> LoadOrCreate(const std::filesystem::path& path);

  std::string Seal(std::string_view plaintext, std::string_view context) const;
  // kInvalidInput when `sealed` is not a seal of this key under `context`.
  Result<std::string> Open(std::string_view sealed, std::string_view context) const;

 private:
  explicit SecretBox(const std::array<unsigned char, 32>& key) : key_(key) {}
  std::array<unsigned char, 32> key_;
};

}  // namespace pacsport::auth
