// JWT verification with a fixed key. The first input byte chooses what the rest is:
//   even: a token as a client would present it (forged, mangled, oversized...);
//   odd:  a header and a payload (JSON text, split at the first newline) that this
//         harness signs with the key, so that what lies behind the signature check
//         (claims parsing, time checks) is reached as well.
// Verify must never crash or throw; a token it accepts must survive a round trip
// through Issue with the same claims.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/base64url.h"
#include "auth/jwt.h"
#include "fuzz_check.h"

namespace {

using pacsport::auth::Base64UrlEncode;
using pacsport::fuzz::Check;

constexpr std::string_view kKey = "pacsport-fuzz-key-0123456789abcdef";
// 2026-01-01T00:00:00Z: the seed tokens are valid then.
constexpr pacsport::SystemTime kNow{std::chrono::seconds(1'767'225'600)};

std::string SignedToken(std::string_view header_and_payload) {
  const size_t newline = header_and_payload.find('\n');
  std::string token =
      Base64UrlEncode(header_and_payload.substr(0, newline)) + "." +
      Base64UrlEncode(newline == std::string_view::npos ? std::string_view()
                                                        : header_and_payload.substr(newline + 1));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  Check(HMAC(EVP_sha256(), kKey.data(), static_cast<int>(kKey.size()),
             reinterpret_cast<const unsigned char*>(token.data()), token.size(), mac,
             &mac_length) != nullptr,
        "HMAC-SHA256 works");
  return token + "." +
         Base64UrlEncode({reinterpret_cast<const char*>(mac), static_cast<size_t>(mac_length)});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const pacsport::auth::JwtCodec codec{std::string(kKey), std::chrono::hours(8)};
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string token = data[0] % 2 == 0 ? std::string(rest) : SignedToken(rest);

  const auto claims = codec.Verify(token, kNow);
  if (!claims.ok()) {
    Check(claims.error().code() == pacsport::ErrorCode::kUnauthenticated,
          "a refused token is kUnauthenticated");
    return 0;
  }
  Check(!claims->username.empty() && !claims->hospital.empty() && claims->hospital_id > 0,
        "an accepted token names a user and a hospital");
  if (claims->expires_at <= claims->issued_at || claims->token_id.empty()) return 0;
  const auto again = codec.Verify(codec.Issue(*claims), kNow);
  Check(again.ok() && again->username == claims->username && again->hospital == claims->hospital &&
            again->hospital_id == claims->hospital_id && again->role == claims->role &&
            again->expires_at == claims->expires_at && again->issued_at == claims->issued_at &&
            again->token_id == claims->token_id,
        "an accepted token's claims survive Issue and Verify");
  return 0;
}
