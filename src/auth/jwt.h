// JSON Web Tokens (RFC 7519) signed with HMAC-SHA-256, the session credential of the
// HTTP API: a login issues one, every other request presents it as a Bearer token.
//
// The algorithm is pinned: a token is accepted only when its header says exactly
// "alg":"HS256" and its signature verifies (constant-time compare) under the server's
// secret. "none", other HMAC sizes, asymmetric algorithms, a missing alg and any "crit"
// header are refused, so an attacker can never choose how a token is checked.
//
// Claims on the wire: "sub" username, "hospital" hospital name, "hid" hospital row id,
// "role" ("user" | "admin" | "ai"), "iat" issued-at and "exp" expiry (both required),
// optional "nbf", and "jti" a random token id for the audit trail. Times are integer
// unix seconds. Whatever a token claims, it lives at most the codec's maximum lifetime:
// one whose exp - iat exceeds it is refused, so a leaked secret or a careless issuer
// cannot mint a credential that outlives the server's policy by more than that.
//
// JwtCodec is immutable after construction and thread-safe. It owns a copy of the
// secret. Expected failures (any bad token) are returned as kUnauthenticated with a
// short reason that never echoes the token; only internal faults throw.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"
#include "core/records.h"

namespace pacsport::auth {

struct Claims {
  std::string username;          // "sub"
  std::string hospital;          // "hospital", the hospital's name
  std::int64_t hospital_id = 0;  // "hid"
  Role role = Role::kUser;       // "role"
  std::int64_t issued_at = 0;    // "iat", unix seconds
  std::int64_t expires_at = 0;   // "exp", unix seconds
  std::string token_id;          // "jti"; Issue() draws a random one when empty
};

// The request principal a verified token stands for.
Principal ToPrincipal(const Claims& claims);

class JwtCodec {
 public:
  // The bytes of `secret` are the HMAC key, used as given (a GenerateSecret() string
  // works as is). Requires at least 32 bytes, max_lifetime > 0 and 0 <= leeway <= 1
  // hour, else throws std::invalid_argument: the server refuses to start with a weak
  // configuration. `leeway` absorbs clock skew between replicas for exp, nbf and iat.
  JwtCodec(std::string secret, std::chrono::seconds max_lifetime,
           std::chrono::seconds leeway = std::chrono::seconds(30));

  // A signed compact token for `claims`. Requires non-empty username and hospital,
  // hospital_id > 0, issued_at < expires_at <= issued_at + max lifetime and valid UTF-8
  // strings; a violation is a caller bug and throws ErrorException(kInternal).
  std::string Issue(const Claims& claims) const;

  // The claims of `token` if it is a well-formed HS256 token signed with this secret,
  // valid at `now` (within the leeway: not expired, iat and nbf not in the future) and
  // issued for at most the maximum lifetime; otherwise kUnauthenticated. The signature
  // is checked before the payload is parsed.
  Result<Claims> Verify(std::string_view token, SystemTime now) const;

  std::chrono::seconds max_lifetime() const { return std::chrono::seconds(max_lifetime_seconds_); }

 private:
  std::string Sign(std::string_view signing_input) const;

  std::string secret_;
  std::int64_t max_lifetime_seconds_;
  std::int64_t leeway_seconds_;
};

// A fresh secret for --demo mode: 32 random bytes from libsodium, base64url (43 chars).
std::string GenerateSecret();

}  // namespace pacsport::auth
