#include "auth/secret_box.h"

#include <sodium.h>

#include "auth/key_file.h"
#include "auth/signing_key.h"
#include "auth/sodium_init.h"

namespace pacsport::auth {
namespace {

constexpr std::string_view kKeyPrefix = "secretbox ";
constexpr std::string_view kSealPrefix = "sb1:";
constexpr size_t kNonceBytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTagBytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;

const unsigned char* Bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

}  // namespace

Result<SecretBox> SecretBox::FromBase64(std::string_view base64) {
  InitSodium();
  const auto bytes = Base64Decode(base64);
  if (!bytes || bytes->size() != crypto_aead_xchacha20poly1305_ietf_KEYBYTES) {
    return InvalidInput("the secrets key must be 32 bytes in standard base64");
  }
  std::array<unsigned char, 32> key;
  std::copy(bytes->begin(), bytes->end(), key.begin());
  return SecretBox(key);
}

Result<SecretBox> SecretBox::LoadOrCreate(const std::filesystem::path& path) {
  InitSodium();
  if (std::error_code ec; !std::filesystem::exists(path, ec)) {
    std::array<unsigned char, 32> key;
    crypto_aead_xchacha20poly1305_ietf_keygen(key.data());
    const std::string line =
        std::string(kKeyPrefix) +
        Base64Encode(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
    sodium_memzero(key.data(), key.size());
    if (Status created = CreateKeyFile(path, line); !created.ok()) return created.error();
  }
  auto line = ReadKeyLine(path);
  if (!line.ok()) return line.error();
  if (!line->starts_with(kKeyPrefix)) return InvalidInput(path.string() + " is not a secrets key");
  return FromBase64(std::string_view(*line).substr(kKeyPrefix.size()));
}

std::string SecretBox::Seal(std::string_view plaintext, std::string_view context) const {
  std::string sealed(kNonceBytes + plaintext.size() + kTagBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  randombytes_buf(out, kNonceBytes);
  crypto_aead_xchacha20poly1305_ietf_encrypt(out + kNonceBytes, nullptr, Bytes(plaintext),
                                             plaintext.size(), Bytes(context), context.size(),
                                             nullptr, out, key_.data());
  return std::string(kSealPrefix) + Base64Encode(sealed);
}

Result<std::string> SecretBox::Open(std::string_view sealed, std::string_view context) const {
  const Error refused = InvalidInput("the secrets cannot be opened with this key");
  if (!sealed.starts_with(kSealPrefix)) return refused;
  const auto bytes = Base64Decode(sealed.substr(kSealPrefix.size()));
  if (!bytes || bytes->size() < kNonceBytes + kTagBytes) return refused;
  const auto* in = Bytes(*bytes);
  std::string plaintext(bytes->size() - kNonceBytes - kTagBytes, '\0');
  unsigned long long length = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plaintext.data()), &length, nullptr, in + kNonceBytes,
          bytes->size() - kNonceBytes, Bytes(context), context.size(), in, key_.data()) != 0) {
    return refused;
  }
  plaintext.resize(length);
  return plaintext;
}

}  // namespace pacsport::auth
