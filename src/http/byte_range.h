// The byte range a GET asks for of a stored representation (RFC 9110 §14), and the
// one mechanism by which a route declines ranges.
//
// cpp-httplib parses the Range header before routing and, unless told otherwise,
// answers 206 with any response, even a streamed one it cannot cut (no
// Content-Range, the whole body: a resuming client then appends a second archive to
// its partial one). Every route that does not serve ranges calls IgnoreRange; the
// one that does computes the range here and serves it itself.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <string_view>

namespace pacsport::http {

struct ByteRange {
  enum class Kind { kWhole, kPart, kUnsatisfiable };
  Kind kind = Kind::kWhole;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;  // of the part; the whole size for kWhole
};

// What to serve of `size` bytes whose strong ETag is `etag`: the whole (no Range, a
// Range of several parts, or an If-Range that names another version), one part, or
// nothing (416). Clears the request's parsed ranges, so that cpp-httplib leaves the
// response as the route makes it.
ByteRange RequestedRange(const httplib::Request& req, std::uint64_t size, std::string_view etag);

// Makes cpp-httplib serve this request's response whole, whatever its Range header.
void IgnoreRange(const httplib::Request& req);

}  // namespace pacsport::http
