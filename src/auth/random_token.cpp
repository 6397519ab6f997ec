#include "auth/random_token.h"

#include <sodium.h>

#include "auth/base64url.h"
#include "auth/sodium_init.h"

namespace pacsport::auth {

std::string RandomBase64Url(size_t bytes) {
  InitSodium();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  return Base64UrlEncode(raw);
}

}  // namespace pacsport::auth
