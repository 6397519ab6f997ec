#include "auth/password.h"
#include "core/clock.h"
#include "http/client_address.h"
#include "http/request_parsing.h"
#include "http/responses.h"
#include "http/routes.h"

namespace pacsport::http {
namespace {

// As `pacsport user add` allows; longer names are refused before they are counted, so
// that the limiter's tables stay small.
constexpr std::size_t kMaxUsernameBytes = 64;

// Verifying against this when the user does not exist keeps the answer time the same
// for unknown users and wrong passwords.
const std::string& DecoyHash() {
  static const std::string hash = auth::HashPassword("decoy password, never valid");
  return hash;
}

}  // namespace

void RegisterAuthRoutes(Router& router, const HttpServices& services,
                        const HttpSettings& settings) {
  DecoyHash();  // computed now, so that the first login is not slower than the others
  router.Post(
      R"(/api/auth/login)", "/api/auth/login",
      [&services, ttl = settings.token_ttl](const httplib::Request& req, httplib::Response& res) {
        auto body = JsonObjectBody(req).ValueOrThrow();
        const auto username = body.find("username");
        const auto password = body.find("password");
        if (username == body.end() || !username->is_string() || password == body.end() ||
            !password->is_string()) {
          return SendError(res, InvalidInput("username and password are required strings"));
        }
        const std::string name = username->get<std::string>();
        if (name.size() > kMaxUsernameBytes) {
          return SendError(res, InvalidInput("username is longer than 64 bytes"));
        }
        // Counted as a failure from here on: concurrent guesses cannot all get past this.
        const std::string address = CurrentClientAddress();
        const auto now = std::chrono::system_clock::now();
        if (auto wait = services.login_limiter.Admit(name, address, now).ValueOrThrow()) {
          res.set_header("Retry-After", std::to_string(wait->count()));
          return SendError(
              res, Error(ErrorCode::kTooManyRequests, "too many failed logins; try again later"));
        }
        auto user = services.index.FindUser(name);
        if (!user.ok() && user.error().code() != ErrorCode::kNotFound)
          throw ErrorException(user.error());
        const bool valid = auth::VerifyPassword(user.ok() ? user->password_hash : DecoyHash(),
                                                password->get<std::string>()) &&
                           user.ok();
        if (!valid) return SendError(res, Unauthenticated("invalid username or password"));
        services.login_limiter.RecordSuccess(name, address).ThrowIfError();
        auth::Claims claims;
        claims.username = user->username;
        claims.hospital = user->hospital_name;
        claims.hospital_id = user->hospital_id;
        claims.role = user->role;
        claims.issued_at = UnixSeconds(now);
        claims.expires_at = claims.issued_at + ttl.count();
        SendJson(res, {{"token", services.jwt.Issue(claims)},
                       {"expiresAt", Iso8601(now + ttl)},
                       {"user",
                        {{"username", user->username},
                         {"hospital", user->hospital_name},
                         {"role", RoleName(user->role)}}}});
      },
      Body::kJson, Access::kAnonymous);
}

}  // namespace pacsport::http
