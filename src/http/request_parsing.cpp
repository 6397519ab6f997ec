#include "http/request_parsing.h"

#include <cctype>
#include <charconv>

namespace pacsport::http {

Result<Principal> Authenticate(const httplib::Request& req, const auth::JwtCodec& jwt,
                               Index& index) {
  const std::string header = req.get_header_value("Authorization");
  constexpr std::string_view kScheme = "Bearer ";
  if (header.size() <= kScheme.size() || header.compare(0, kScheme.size(), kScheme) != 0) {
    return Unauthenticated("missing Bearer token");
  }
  auto claims =
      jwt.Verify(std::string_view(header).substr(kScheme.size()), std::chrono::system_clock::now());
  if (!claims.ok()) return claims.error();
  auto user = index.FindUser(claims->username);
  if (!user.ok()) {
    if (user.error().code() == ErrorCode::kNotFound) return Unauthenticated("unknown user");
    return user.error();
  }
  if (user->hospital_id != claims->hospital_id || user->role != claims->role) {
    return Unauthenticated("token no longer matches the user's hospital or role");
  }
  return auth::ToPrincipal(*claims);
}

Status RequireRole(const Principal& principal, std::initializer_list<Role> roles) {
  for (Role role : roles) {
    if (principal.role == role) return Status::Ok();
  }
  return Forbidden("this action requires another role");
}

Result<bool> BoolParam(const httplib::Request& req, const std::string& name, bool fallback) {
  if (!req.has_param(name.c_str())) return fallback;
  const std::string value = req.get_param_value(name.c_str());
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  return InvalidInput(name + " must be true or false");
}

Result<std::int64_t> IntParam(const httplib::Request& req, const std::string& name,
                              std::int64_t fallback, std::int64_t min, std::int64_t max) {
  if (!req.has_param(name.c_str())) return fallback;
  const std::string value = req.get_param_value(name.c_str());
  std::int64_t parsed = 0;
  const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
  if (ec != std::errc() || end != value.data() + value.size() || parsed < min || parsed > max) {
    return InvalidInput(name + " must be an integer from " + std::to_string(min) + " to " +
                        std::to_string(max));
  }
  return parsed;
}

Result<PageRequest> PageParams(const httplib::Request& req) {
  auto offset = IntParam(req, "offset", 0, 0, std::int64_t{1} << 40);
  if (!offset.ok()) return offset.error();
  auto limit = IntParam(req, "limit", 50, 1, 1000);
  if (!limit.ok()) return limit.error();
  return PageRequest{*offset, *limit};
}

std::string TextParam(const httplib::Request& req, const std::string& name) {
  return req.has_param(name.c_str()) ? req.get_param_value(name.c_str()) : "";
}

bool WantsHtml(const httplib::Request& req) {
  return req.get_header_value("Accept").find("text/html") != std::string::npos;
}

bool HasMediaType(const httplib::Request& req, std::string_view media_type) {
  std::string type = req.get_header_value("Content-Type");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
  if (type.size() != media_type.size()) return false;
  for (size_t i = 0; i < type.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(type[i])) != media_type[i]) return false;
  }
  return true;
}

Result<nlohmann::ordered_json> JsonObjectBody(const httplib::Request& req) {
  if (!HasMediaType(req, "application/json")) {
    return Error(ErrorCode::kUnsupportedMediaType, "the body must be application/json");
  }
  auto body = nlohmann::ordered_json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return InvalidInput("the body must be a JSON object");
  }
  return body;
}

}  // namespace pacsport::http
