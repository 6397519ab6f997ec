#include "auth/base64url.h"

#include <sodium.h>

#include "auth/sodium_init.h"

namespace pacsport::auth {
namespace {

constexpr int kVariant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

}  // namespace

std::string Base64UrlEncode(std::string_view bytes) {
  InitSodium();
  // sodium_base64_ENCODED_LEN counts the terminating NUL that bin2base64 writes.
  std::string text(sodium_base64_ENCODED_LEN(bytes.size(), kVariant), '\0');
  sodium_bin2base64(text.data(), text.size(),
                    reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), kVariant);
  text.pop_back();
  return text;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  InitSodium();
  std::string bytes(text.size() / 4 * 3 + 2, '\0');
  size_t length = 0;
  // No ignore set and no end pointer: any character that is not part of the encoding
  // (padding included) makes the call fail instead of stopping early.
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), text.data(),
                        text.size(), /*ignore=*/nullptr, &length, /*b64_end=*/nullptr,
                        kVariant) != 0) {
    return std::nullopt;
  }
  bytes.resize(length);
  return bytes;
}

}  // namespace pacsport::auth
