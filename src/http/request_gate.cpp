#include "http/request_gate.h"

#include <charconv>
#include <set>
#include <string_view>

#include "core/utf8.h"

namespace pacsport::http {
namespace {

// Well-formed UTF-8 with no C0 control character and no DEL.
bool IsCleanText(std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return false;
  }
  return IsWellFormedUtf8(text);
}

std::optional<Refusal> Refuse(Error error, bool body_unread,
                              std::optional<std::chrono::seconds> retry_after = std::nullopt) {
  return Refusal{std::move(error), retry_after, body_unread};
}

}  // namespace

std::optional<Error> MalformedRequest(const httplib::Request& req) {
  if (!IsCleanText(req.path)) {
    return InvalidInput("the path holds control characters or is not valid UTF-8");
  }
  std::set<std::string_view> seen;
  for (const auto& [name, value] : req.params) {
    if (!seen.insert(name).second) {
      return InvalidInput("query parameter " + name + " is given more than once");
    }
    if (!IsCleanText(name) || !IsCleanText(value)) {
      return InvalidInput("a query parameter holds control characters or is not valid UTF-8");
    }
  }
  if (req.get_header_value_count("Authorization") > 1) {
    return InvalidInput("more than one Authorization header");
  }
  if (req.get_header_value_count("Content-Length") > 1) {
    return InvalidInput("more than one Content-Length header");
  }
  if (req.has_header("Transfer-Encoding")) {
    return InvalidInput("send a request body with a Content-Length, not a Transfer-Encoding");
  }
  return std::nullopt;
}

RequestGate::RequestGate(const Router& router, const auth::JwtCodec& jwt, GateSettings settings)
    : router_(router),
      jwt_(jwt),
      settings_(settings),
      anonymous_(settings.anonymous),
      users_(settings.per_user) {}

std::optional<Refusal> RequestGate::Check(const httplib::Request& req,
                                          const std::string& client_address) {
  // Until the body's length is known to be acceptable, assume it is there and unread.
  const bool may_have_body =
      req.has_header("Content-Length") || req.has_header("Transfer-Encoding");
  if (auto malformed = MalformedRequest(req)) return Refuse(*malformed, may_have_body);

  std::uint64_t length = 0;
  if (req.has_header("Content-Length")) {
    const std::string value = req.get_header_value("Content-Length");
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
    if (ec != std::errc() || end != value.data() + value.size()) {
      return Refuse(InvalidInput("Content-Length is not a number"), true);
    }
  }
  const bool has_body = length > 0;

  const Route* route = router_.Find(req.method, req.path);
  if (route == nullptr) {
    // Not an API route: the browser UI's files, for GET and HEAD without a body.
    const bool ui_file =
        (req.method == "GET" || req.method == "HEAD") && !req.path.starts_with("/api/");
    if (ui_file && !has_body) return std::nullopt;
    return Refuse(NotFound("no such route"), has_body);
  }
  if (route->body == Body::kNone && has_body) {
    return Refuse(InvalidInput("this route takes no request body"), true);
  }
  const size_t limit =
      route->body == Body::kDicom ? settings_.max_upload_bytes : settings_.max_json_bytes;
  if (length > limit) {
    return Refuse(Error(ErrorCode::kPayloadTooLarge,
                        "the request body is " + std::to_string(length) +
                            " bytes; this route takes at most " + std::to_string(limit)),
                  true);
  }
  if (route->access == Access::kOpen) return std::nullopt;

  std::optional<auth::Claims> claims;
  const std::string header = req.get_header_value("Authorization");
  constexpr std::string_view kScheme = "Bearer ";
  if (route->access == Access::kToken && header.starts_with(kScheme)) {
    auto verified = jwt_.Verify(std::string_view(header).substr(kScheme.size()),
                                std::chrono::system_clock::now());
    if (verified.ok()) claims = std::move(verified).value();
  }
  const auto wait = claims
                        ? users_.Take(std::to_string(claims->hospital_id) + "/" + claims->username)
                        : anonymous_.Take(client_address);
  if (wait) {
    return Refuse(Error(ErrorCode::kTooManyRequests, "too many requests; retry later"), has_body,
                  *wait);
  }
  if (route->access == Access::kToken && !claims && has_body) {
    return Refuse(Unauthenticated("missing or invalid Bearer token"), true);
  }
  return std::nullopt;
}

}  // namespace pacsport::http
