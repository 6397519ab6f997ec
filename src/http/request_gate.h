// RequestGate: what every request passes once its headers are read, before its body is
// read or a handler runs. Cheap by design: no database, no audit, no disk.
//
// In order, the first failure wins:
//   1. shape: a path free of control characters and valid UTF-8, no query parameter
//      given twice or carrying control characters or invalid UTF-8, at most one
//      Authorization and one Content-Length header, no Transfer-Encoding (a body must
//      declare its length) — 400;
//   2. route: an /api path that no route serves — 404; a body on a route that takes
//      none — 400; a Content-Length over the route's limit — 413;
//   3. caller: a request without a valid Bearer JWT (anonymous routes and failed
//      tokens alike) takes a token from its address's bucket, one with a valid JWT from
//      its user's bucket — 429 with Retry-After when empty; a route that takes a body
//      and a JWT refuses a missing or invalid one here — 401 — so no anonymous body is
//      ever read.
// Handlers still authenticate fully (the user must exist with that hospital and role);
// the gate only verifies the token's signature and lifetime. Thread-safe.
#pragma once

#include <httplib.h>

#include <chrono>
#include <optional>

#include "auth/jwt.h"
#include "core/error.h"
#include "http/rate_limiter.h"
#include "http/router.h"

namespace pacsport::http {

struct GateSettings {
  size_t max_upload_bytes = size_t{1} << 30;  // Body::kDicom
  size_t max_json_bytes = size_t{1} << 20;    // Body::kJson
  RateLimit anonymous{10, 40};                // per client address
  RateLimit per_user{50, 200};                // per authenticated user
};

struct Refusal {
  Error error;
  std::optional<std::chrono::seconds> retry_after;
  bool body_unread;  // the connection must close after the answer
};

class RequestGate {
 public:
  // `router` and `jwt` are borrowed and must outlive the gate.
  RequestGate(const Router& router, const auth::JwtCodec& jwt, GateSettings settings);

  // Nothing when the request may go on; otherwise what to answer. `client_address` is
  // the request's client (http/client_address.h), whose bucket an anonymous request takes.
  std::optional<Refusal> Check(const httplib::Request& req, const std::string& client_address);

 private:
  const Router& router_;
  const auth::JwtCodec& jwt_;
  const GateSettings settings_;
  RateLimiter anonymous_;
  RateLimiter users_;
};

// The first reason `req` is malformed (step 1 above), or nothing.
std::optional<Error> MalformedRequest(const httplib::Request& req);

}  // namespace pacsport::http
