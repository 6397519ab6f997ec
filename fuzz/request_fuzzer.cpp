// What a request's target carries, decoded as the HTTP layer decodes it. The input is
// "SEGMENT?QUERY": SEGMENT the percent-encoded path segment that names a study or a
// patient (/api/studies/SEGMENT, /api/export/patient/SEGMENT), QUERY the query string.
// Checked properties:
//   - a segment accepted as a Study UID is digits and dots, at most 64 of them, and
//     names a ZIP folder as it is;
//   - the sanitized name of any segment is one safe path component (non-empty, at most
//     128 bytes of valid UTF-8, no separator or control character, no leading dot or
//     space), and sanitizing it again changes nothing;
//   - the Content-Disposition made from it has no control character and nothing that
//     ends its quoted filename early;
//   - every query parameter the routes read is refused with kInvalidInput or parsed
//     to a value within its range.
#include <httplib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/names.h"
#include "fuzz_check.h"
#include "http/request_parsing.h"

namespace {

using pacsport::fuzz::Check;

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7f; }

bool IsValidUtf8(const std::string& text) {
  try {
    (void)nlohmann::json(text).dump();  // throws on invalid UTF-8
    return true;
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
}

void CheckPathSegment(const std::string& segment) {
  if (pacsport::IsValidUid(segment)) {
    Check(segment.size() <= 64 && segment.find_first_not_of("0123456789.") == std::string::npos,
          "a valid UID is at most 64 digits and dots");
    Check(pacsport::SanitizePathComponent(segment) == segment,
          "a valid UID is a safe path component as it is");
  }
  const std::string safe = pacsport::SanitizePathComponent(segment);
  Check(!safe.empty() && safe.size() <= 128 && IsValidUtf8(safe),
        "a sanitized name is 1-128 bytes of UTF-8");
  Check(std::none_of(safe.begin(), safe.end(),
                     [](unsigned char c) { return c == '/' || c == '\\' || IsControl(c); }),
        "a sanitized name has no separator or control character");
  Check(safe.front() != '.' && safe.front() != ' ', "a sanitized name starts with no dot or space");
  Check(pacsport::SanitizePathComponent(safe) == safe, "sanitizing is idempotent");

  const std::string disposition = pacsport::ContentDisposition(segment);
  Check(std::none_of(disposition.begin(), disposition.end(),
                     [](unsigned char c) { return IsControl(c); }),
        "Content-Disposition has no control character");
  constexpr std::string_view kPrefix = "attachment; filename=\"";
  Check(disposition.starts_with(kPrefix), "Content-Disposition starts with the quoted name");
  const size_t closing = disposition.find('"', kPrefix.size());
  Check(closing != std::string::npos, "Content-Disposition's quoted name is closed");
  constexpr std::string_view kExtended = "; filename*=UTF-8''";
  const std::string_view after = std::string_view(disposition).substr(closing + 1);
  Check(after.empty() || (after.starts_with(kExtended) &&
                          after.find_first_of("\"\\ ", kExtended.size()) == std::string::npos),
        "Content-Disposition's quoted name ends where it should");
}

void CheckIntParam(const httplib::Request& req, const char* name, int64_t min, int64_t max) {
  const auto value = pacsport::http::IntParam(req, name, min, min, max);
  Check(value.ok() ? *value >= min && *value <= max
                   : value.error().code() == pacsport::ErrorCode::kInvalidInput,
        "an integer parameter is in range or refused as invalid input");
}

void CheckQuery(const std::string& query) {
  httplib::Request req;
  httplib::detail::parse_query_text(query, req.params);
  for (const char* name : {"includeImages", "previews"}) {
    const auto value = pacsport::http::BoolParam(req, name, true);
    Check(value.ok() || value.error().code() == pacsport::ErrorCode::kInvalidInput,
          "a boolean parameter is parsed or refused as invalid input");
  }
  CheckIntParam(req, "compression", 0, 9);
  CheckIntParam(req, "previewSize", 0, 65535);
  const auto page = pacsport::http::PageParams(req);
  Check(page.ok() ? page->offset >= 0 && page->limit >= 1 && page->limit <= 1000
                  : page.error().code() == pacsport::ErrorCode::kInvalidInput,
        "offset and limit are in range or refused as invalid input");
  (void)pacsport::http::TextParam(req, "search");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view target(reinterpret_cast<const char*>(data), size);
  const size_t question = target.find('?');
  CheckPathSegment(httplib::detail::decode_url(std::string(target.substr(0, question)), false));
  if (question != std::string_view::npos) CheckQuery(std::string(target.substr(question + 1)));
  return 0;
}
