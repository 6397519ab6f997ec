// Reading what a request carries: its Bearer token, query parameters and JSON body,
// each validated into a value or a 4xx Error. Internal to src/http. Thread-safe.
#pragma once

#include <httplib.h>

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>

#include "auth/jwt.h"
#include "core/error.h"
#include "core/records.h"
#include "index/index.h"

namespace pacsport::http {

// The caller, from "Authorization: Bearer <JWT>". The token must verify and its user
// must still exist with the same hospital and role (a deleted or re-assigned user's
// tokens stop working at once). kUnauthenticated otherwise.
Result<Principal> Authenticate(const httplib::Request& req, const auth::JwtCodec& jwt,
                               Index& index);
// kForbidden unless the principal has one of `roles`.
Status RequireRole(const Principal& principal, std::initializer_list<Role> roles);

// "true" or "false" (also "1"/"0"); `fallback` when absent; kInvalidInput otherwise.
Result<bool> BoolParam(const httplib::Request& req, const std::string& name, bool fallback);
// A decimal integer in [min, max]; `fallback` when absent; kInvalidInput otherwise.
Result<std::int64_t> IntParam(const httplib::Request& req, const std::string& name,
                              std::int64_t fallback, std::int64_t min, std::int64_t max);
// offset (>= 0) and limit (1-1000, default 50).
Result<PageRequest> PageParams(const httplib::Request& req);
// The parameter's value, or "" when absent.
std::string TextParam(const httplib::Request& req, const std::string& name);

// True when the request's Content-Type is exactly `media_type` (parameters after ';'
// and letter case aside): "application/dicom+json" is not "application/dicom".
bool HasMediaType(const httplib::Request& req, std::string_view media_type);

// True when the client asks for HTML (a browser navigating to the URL), so that a
// refusal is answered with a short page rather than JSON.
bool WantsHtml(const httplib::Request& req);

// The body as a JSON object; kUnsupportedMediaType unless Content-Type is
// application/json, kInvalidInput when it does not parse to an object.
Result<nlohmann::ordered_json> JsonObjectBody(const httplib::Request& req);

}  // namespace pacsport::http
