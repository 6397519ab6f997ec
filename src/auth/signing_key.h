// The server's Ed25519 key (libsodium): it signs the audit chain's seals and the
// receipts of exports, so that a third party holding the public key can check them.
//
// The secret key file holds one line, "ed25519 " and the base64 of the 32-byte seed;
// it is created with mode 0600 and never leaves the server. A public key is given as
// the base64 of its 32 bytes, alone or as the "publicKey" of the JSON object
// GET /api/audit/public-key answers. A key's id is the first 16 hex digits of the
// SHA-256 of its public key. Signatures are base64 (standard alphabet, padded).
// Thread-safe: both classes are immutable values.
#pragma once

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/message_signer.h"

namespace pacsport::auth {

class PublicKey final : public SignatureChecker {
 public:
  // kInvalidInput when `text` is neither form above.
  static Result<PublicKey> Parse(std::string_view text);
  static Result<PublicKey> ReadFile(const std::filesystem::path& path);

  bool Verify(std::string_view message, std::string_view signature_base64) const override;
  std::string Base64() const;
  const std::string& id() const override { return id_; }

 private:
  friend class SigningKey;
  explicit PublicKey(const std::array<unsigned char, 32>& bytes);
  std::array<unsigned char, 32> bytes_;
  std::string id_;
};

class SigningKey final : public MessageSigner {
 public:
  // Reads the key at `path`, creating it when absent (two processes creating it at
  // once agree on one). kUnavailable when it cannot be read or written,
  // kInvalidInput when the file is not a key.
  static Result<SigningKey> LoadOrCreate(const std::filesystem::path& path);
  static Result<SigningKey> Load(const std::filesystem::path& path);

  const PublicKey& public_key() const { return public_key_; }
  std::string key_id() const override { return public_key_.id(); }
  std::string Sign(std::string_view message) const override;

 private:
  SigningKey(const std::array<unsigned char, 64>& secret, PublicKey public_key);
  std::array<unsigned char, 64> secret_;
  PublicKey public_key_;
};

// Standard base64 (padded), as signatures and keys are written.
std::string Base64Encode(std::string_view bytes);
// nullopt unless `text` is standard padded base64.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace pacsport::auth
