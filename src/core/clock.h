// Time formatting in UTC. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace pacsport {

using SystemTime = std::chrono::system_clock::time_point;

// "2026-11-28T04:12:16.123Z"
std::string Iso8601(SystemTime t);
// "20261128T041216Z", safe in file names.
std::string CompactUtcTimestamp(SystemTime t);
std::int64_t UnixSeconds(SystemTime t);
// The time Iso8601 wrote (milliseconds optional); nothing when `text` is not such a time.
std::optional<SystemTime> ParseIso8601(const std::string& text);

}  // namespace pacsport
