// Whether a client address is this machine's loopback: 127.0.0.0/8, ::1, or an
// IPv4-mapped loopback address (::ffff:127.x.y.z), as cpp-httplib writes remote_addr.
// Anything that does not parse as an address is not loopback. Thread-safe.
#pragma once

#include <string>

namespace pacsport::http {

bool IsLoopbackAddress(const std::string& address);

}  // namespace pacsport::http
