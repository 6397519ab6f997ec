#include "core/clock.h"

#include <cstdio>
#include <ctime>
#include <string_view>

namespace pacsport {
namespace {

std::tm ToUtc(SystemTime t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return utc;
}

}  // namespace

std::string Iso8601(SystemTime t) {
  const std::tm utc = ToUtc(t);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  char seconds[32];
  std::strftime(seconds, sizeof seconds, "%Y-%m-%dT%H:%M:%S", &utc);
  char fraction[8];
  std::snprintf(fraction, sizeof fraction, ".%03dZ", static_cast<int>(millis));
  return std::string(seconds) + fraction;
}

std::string CompactUtcTimestamp(SystemTime t) {
  const std::tm utc = ToUtc(t);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y%m%dT%H%M%SZ", &utc);
  return buffer;
}

std::int64_t UnixSeconds(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::optional<SystemTime> ParseIso8601(const std::string& text) {
  std::tm utc{};
  const char* rest = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &utc);
  if (rest == nullptr) return std::nullopt;
  int millis = 0;
  int used = 0;
  if (*rest == '.' && (std::sscanf(rest, ".%3d%n", &millis, &used) != 1 || used != 4)) {
    return std::nullopt;
  }
  if (std::string_view(rest + used) != "Z") return std::nullopt;
  return SystemTime(std::chrono::seconds(::timegm(&utc)) + std::chrono::milliseconds(millis));
}

}  // namespace pacsport
