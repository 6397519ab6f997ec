#include "http/byte_range.h"

namespace pacsport::http {

void IgnoreRange(const httplib::Request& req) {
  // cpp-httplib hands handlers a const reference to the Request it owns and will
  // consult its ranges after the handler; the object itself is not const.
  const_cast<httplib::Request&>(req).ranges.clear();
}

ByteRange RequestedRange(const httplib::Request& req, std::uint64_t size, std::string_view etag) {
  const httplib::Ranges ranges = req.ranges;
  IgnoreRange(req);
  ByteRange whole{ByteRange::Kind::kWhole, 0, size};
  if (ranges.size() != 1) return whole;
  if (req.has_header("If-Range") && req.get_header_value("If-Range") != etag) return whole;
  const auto [first, last] = ranges.front();  // -1 where the header leaves it open
  if (first < 0) {                            // the last `last` bytes
    if (last <= 0 || size == 0) return {ByteRange::Kind::kUnsatisfiable, 0, 0};
    const std::uint64_t length = std::min<std::uint64_t>(static_cast<std::uint64_t>(last), size);
    return {ByteRange::Kind::kPart, size - length, length};
  }
  const auto offset = static_cast<std::uint64_t>(first);
  if (offset >= size) return {ByteRange::Kind::kUnsatisfiable, 0, 0};
  const std::uint64_t end =
      last < 0 ? size - 1 : std::min<std::uint64_t>(static_cast<std::uint64_t>(last), size - 1);
  if (end < offset) return {ByteRange::Kind::kUnsatisfiable, 0, 0};
  return {ByteRange::Kind::kPart, offset, end - offset + 1};
}

}  // namespace pacsport::http
