// The connection string SOCI's PostgreSQL backend is opened with, from an index URL.
// Internal to src/index (and its tests). Pure; thread-safe.
#pragma once

#include <string>

#include "core/error.h"

namespace pacsport {

// The libpq keyword/value string of `url` (SOCI's backend takes no URIs), with the
// index's session options (a lock timeout) unless the URL sets options of its own.
// kInvalidInput when libpq cannot parse it; the message never quotes the URL.
Result<std::string> PostgresConnectionString(const std::string& url);

}  // namespace pacsport
