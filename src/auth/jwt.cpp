#include "auth/jwt.h"

#include <array>
#include <limits>
#include <optional>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "auth/base64url.h"
#include "auth/random_token.h"
#include "auth/sodium_init.h"

namespace pacsport::auth {
namespace {

using nlohmann::json;

constexpr size_t kMinSecretBytes = 32;
constexpr std::chrono::seconds kMaxLeeway = std::chrono::hours(1);
// Far above any token we issue; bounds the work an unauthenticated caller can cause.
constexpr size_t kMaxTokenBytes = 8192;
constexpr size_t kTokenIdBytes = 16;
constexpr size_t kSecretBytes = 32;
constexpr size_t kSignatureBytes = 32;  // SHA-256

Error Reject(std::string reason) { return Unauthenticated(std::move(reason)); }

// Parses base64url-encoded JSON that must be an object; nullopt otherwise.
std::optional<json> DecodeJsonObject(std::string_view segment) {
  const std::optional<std::string> text = Base64UrlDecode(segment);
  if (!text) return std::nullopt;
  json value = json::parse(*text, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (!value.is_object()) return std::nullopt;  // also true for a parse error (discarded)
  return value;
}

// An integer claim that fits in int64. Floats, booleans and strings are not integers.
enum class Presence { kAbsent, kInvalid, kPresent };
Presence ReadInt64(const json& payload, const char* key, std::int64_t* out) {
  const auto it = payload.find(key);
  if (it == payload.end()) return Presence::kAbsent;
  if (it->is_number_unsigned()) {
    const auto value = it->get<std::uint64_t>();
    if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return Presence::kInvalid;
    }
    *out = static_cast<std::int64_t>(value);
    return Presence::kPresent;
  }
  if (!it->is_number_integer()) return Presence::kInvalid;
  *out = it->get<std::int64_t>();
  return Presence::kPresent;
}

// A non-empty string claim.
bool ReadString(const json& payload, const char* key, std::string* out) {
  const auto it = payload.find(key);
  if (it == payload.end() || !it->is_string()) return false;
  *out = it->get<std::string>();
  return !out->empty();
}

const std::string& EncodedHeader() {
  static const std::string header = Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})");
  return header;
}

}  // namespace

Principal ToPrincipal(const Claims& claims) {
  return Principal{.username = claims.username,
                   .hospital_id = claims.hospital_id,
                   .hospital_name = claims.hospital,
                   .role = claims.role};
}

JwtCodec::JwtCodec(std::string secret, std::chrono::seconds max_lifetime,
                   std::chrono::seconds leeway)
    : secret_(std::move(secret)),
      max_lifetime_seconds_(max_lifetime.count()),
      leeway_seconds_(leeway.count()) {
  if (secret_.size() < kMinSecretBytes) {
    throw std::invalid_argument("JWT secret must be at least 32 bytes");
  }
  if (max_lifetime <= std::chrono::seconds(0)) {
    throw std::invalid_argument("JWT maximum lifetime must be positive");
  }
  if (leeway < std::chrono::seconds(0) || leeway > kMaxLeeway) {
    throw std::invalid_argument("JWT leeway must be between 0 and 3600 seconds");
  }
}

std::string JwtCodec::Sign(std::string_view signing_input) const {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_length = 0;
  if (HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
           reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(),
           mac.data(), &mac_length) == nullptr ||
      mac_length != kSignatureBytes) {
    throw ErrorException(Internal("HMAC-SHA256 failed"));
  }
  return std::string(reinterpret_cast<const char*>(mac.data()), mac_length);
}

std::string JwtCodec::Issue(const Claims& claims) const {
  if (claims.username.empty() || claims.hospital.empty() || claims.hospital_id <= 0 ||
      claims.expires_at <= claims.issued_at ||
      static_cast<std::uint64_t>(claims.expires_at) - static_cast<std::uint64_t>(claims.issued_at) >
          static_cast<std::uint64_t>(max_lifetime_seconds_)) {
    throw ErrorException(Internal("refusing to issue a token with incomplete claims"));
  }
  const json payload = {
      {"sub", claims.username},
      {"hospital", claims.hospital},
      {"hid", claims.hospital_id},
      {"role", RoleName(claims.role)},
      {"iat", claims.issued_at},
      {"exp", claims.expires_at},
      {"jti", claims.token_id.empty() ? RandomBase64Url(kTokenIdBytes) : claims.token_id},
  };
  std::string payload_text;
  try {
    payload_text = payload.dump();  // strict: throws on invalid UTF-8
  } catch (const json::exception&) {
    throw ErrorException(Internal("refusing to issue a token with non-UTF-8 claims"));
  }
  std::string token = EncodedHeader() + "." + Base64UrlEncode(payload_text);
  const std::string signature = Sign(token);
  token += ".";
  token += Base64UrlEncode(signature);
  return token;
}

Result<Claims> JwtCodec::Verify(std::string_view token, SystemTime now) const {
  if (token.size() > kMaxTokenBytes) return Reject("malformed token: too long");
  const size_t first_dot = token.find('.');
  const size_t second_dot =
      first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      token.find('.', second_dot + 1) != std::string_view::npos) {
    return Reject("malformed token: expected three segments");
  }
  const std::string_view header_segment = token.substr(0, first_dot);
  const std::string_view payload_segment =
      token.substr(first_dot + 1, second_dot - first_dot - 1);
  const std::string_view signature_segment = token.substr(second_dot + 1);

  const std::optional<json> header = DecodeJsonObject(header_segment);
  if (!header) return Reject("malformed token: bad header");
  const auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string() || alg->get<std::string>() != "HS256") {
    return Reject("unsupported token algorithm");
  }
  if (header->contains("crit")) return Reject("unsupported critical token header");

  const std::optional<std::string> signature = Base64UrlDecode(signature_segment);
  if (!signature) return Reject("malformed token: bad signature encoding");
  const std::string expected = Sign(token.substr(0, second_dot));
  if (signature->size() != expected.size() ||
      CRYPTO_memcmp(signature->data(), expected.data(), expected.size()) != 0) {
    return Reject("invalid token signature");
  }

  const std::optional<json> payload = DecodeJsonObject(payload_segment);
  if (!payload) return Reject("malformed token: bad payload");

  Claims claims;
  if (ReadInt64(*payload, "exp", &claims.expires_at) != Presence::kPresent) {
    return Reject("token has no valid exp claim");
  }
  if (ReadInt64(*payload, "iat", &claims.issued_at) != Presence::kPresent) {
    return Reject("token has no valid iat claim");
  }
  std::int64_t not_before = 0;
  const Presence nbf = ReadInt64(*payload, "nbf", &not_before);
  if (nbf == Presence::kInvalid) return Reject("token has an invalid nbf claim");

  // Written so that no claim value, however large, can overflow.
  const std::int64_t now_seconds = UnixSeconds(now);
  if (claims.expires_at < now_seconds - leeway_seconds_) return Reject("token expired");
  if (claims.issued_at > now_seconds + leeway_seconds_ ||
      (nbf == Presence::kPresent && not_before > now_seconds + leeway_seconds_)) {
    return Reject("token not yet valid");
  }
  // iat is at most now + leeway here, so the sum cannot overflow.
  if (claims.expires_at > claims.issued_at + max_lifetime_seconds_) {
    return Reject("token lifetime exceeds the maximum");
  }

  std::string role_name;
  std::optional<Role> role;
  if (ReadString(*payload, "role", &role_name)) role = ParseRole(role_name);
  if (!ReadString(*payload, "sub", &claims.username) ||
      !ReadString(*payload, "hospital", &claims.hospital) ||
      ReadInt64(*payload, "hid", &claims.hospital_id) != Presence::kPresent ||
      claims.hospital_id <= 0 || !role) {
    return Reject("token has missing or invalid identity claims");
  }
  claims.role = *role;
  if (const auto jti = payload->find("jti"); jti != payload->end()) {
    if (!jti->is_string()) return Reject("token has an invalid jti claim");
    claims.token_id = jti->get<std::string>();
  }
  return claims;
}

std::string GenerateSecret() { return RandomBase64Url(kSecretBytes); }

}  // namespace pacsport::auth
