#include "auth/signing_key.h"

#include <sodium.h>

#include <nlohmann/json.hpp>

#include "auth/key_file.h"
#include "auth/sodium_init.h"
#include "core/digest.h"

namespace pacsport::auth {
namespace {

namespace fs = std::filesystem;
constexpr std::string_view kSecretPrefix = "ed25519 ";

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t length = 0;
  const char* end = nullptr;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &length, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(length);
  return out;
}

PublicKey::PublicKey(const std::array<unsigned char, 32>& bytes) : bytes_(bytes) {
  id_ = Sha256Hex(std::string_view(reinterpret_cast<const char*>(bytes_.data()), bytes_.size()))
            .substr(0, 16);
}

Result<PublicKey> PublicKey::Parse(std::string_view text) {
  std::string encoded = TrimmedKeyText(text);
  if (!encoded.empty() && encoded.front() == '{') {
    const auto document = nlohmann::json::parse(encoded, nullptr, false);
    if (!document.is_object() || !document.contains("publicKey") ||
        !document["publicKey"].is_string()) {
      return InvalidInput("a public key document has a string \"publicKey\"");
    }
    encoded = document["publicKey"].get<std::string>();
  }
  const auto bytes = Base64Decode(encoded);
  if (!bytes || bytes->size() != crypto_sign_PUBLICKEYBYTES) {
    return InvalidInput("a public key is the base64 of 32 bytes");
  }
  std::array<unsigned char, 32> raw;
  std::copy(bytes->begin(), bytes->end(), raw.begin());
  return PublicKey(raw);
}

Result<PublicKey> PublicKey::ReadFile(const fs::path& path) {
  auto text = ReadKeyLine(path);
  if (!text.ok()) return text.error();
  return Parse(*text);
}

bool PublicKey::Verify(std::string_view message, std::string_view signature_base64) const {
  InitSodium();
  const auto signature = Base64Decode(signature_base64);
  if (!signature || signature->size() != crypto_sign_BYTES) return false;
  return crypto_sign_verify_detached(reinterpret_cast<const unsigned char*>(signature->data()),
                                     reinterpret_cast<const unsigned char*>(message.data()),
                                     message.size(), bytes_.data()) == 0;
}

std::string PublicKey::Base64() const {
  return Base64Encode(
      std::string_view(reinterpret_cast<const char*>(bytes_.data()), bytes_.size()));
}

SigningKey::SigningKey(const std::array<unsigned char, 64>& secret, PublicKey public_key)
    : secret_(secret), public_key_(std::move(public_key)) {}

Result<SigningKey> SigningKey::Load(const fs::path& path) {
  InitSodium();
  auto read = ReadKeyLine(path);
  if (!read.ok()) return read.error();
  const std::string& line = *read;
  const auto seed = line.starts_with(kSecretPrefix)
                        ? Base64Decode(std::string_view(line).substr(kSecretPrefix.size()))
                        : std::nullopt;
  if (!seed || seed->size() != crypto_sign_SEEDBYTES) {
    return InvalidInput(path.string() + " is not an Ed25519 signing key");
  }
  std::array<unsigned char, 32> public_bytes;
  std::array<unsigned char, 64> secret;
  crypto_sign_seed_keypair(public_bytes.data(), secret.data(),
                           reinterpret_cast<const unsigned char*>(seed->data()));
  return SigningKey(secret, PublicKey(public_bytes));
}

Result<SigningKey> SigningKey::LoadOrCreate(const fs::path& path) {
  InitSodium();
  if (std::error_code ec; fs::exists(path, ec)) return Load(path);
  std::array<unsigned char, crypto_sign_SEEDBYTES> seed;
  randombytes_buf(seed.data(), seed.size());
  const std::string line =
      std::string(kSecretPrefix) +
      Base64Encode(std::string_view(reinterpret_cast<const char*>(seed.data()), seed.size()));
  sodium_memzero(seed.data(), seed.size());
  if (Status created = CreateKeyFile(path, line); !created.ok()) return created.error();
  return Load(path);
}

std::string SigningKey::Sign(std::string_view message) const {
  std::array<unsigned char, crypto_sign_BYTES> signature;
  crypto_sign_detached(signature.data(), nullptr,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                       secret_.data());
  return Base64Encode(
      std::string_view(reinterpret_cast<const char*>(signature.data()), signature.size()));
}

}  // namespace pacsport::auth
