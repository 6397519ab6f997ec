#include "http/request_id.h"

#include "auth/random_token.h"

namespace pacsport::http {
namespace {

thread_local std::string current_id;

bool IsAcceptableId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (const char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

void BeginRequestId(const httplib::Request& req) {
  const std::string offered = req.get_header_value("X-Request-Id");
  current_id = IsAcceptableId(offered) ? offered : auth::RandomBase64Url(12);
}

const std::string& CurrentRequestId() {
  if (current_id.empty()) current_id = auth::RandomBase64Url(12);
  return current_id;
}

void EndRequestId() { current_id.clear(); }

}  // namespace pacsport::http
