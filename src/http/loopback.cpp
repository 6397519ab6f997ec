#include "http/loopback.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdint>

namespace pacsport::http {

bool IsLoopbackAddress(const std::string& address) {
  std::array<std::uint8_t, 16> bytes{};
  if (::inet_pton(AF_INET, address.c_str(), bytes.data()) == 1) return bytes[0] == 127;
  if (::inet_pton(AF_INET6, address.c_str(), bytes.data()) != 1) return false;
  constexpr std::array<std::uint8_t, 16> kLoopback6 = {0, 0, 0, 0, 0, 0, 0, 0,
                                                       0, 0, 0, 0, 0, 0, 0, 1};
  constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  const bool mapped = std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), bytes.begin());
  return bytes == kLoopback6 || (mapped && bytes[12] == 127);
}

}  // namespace pacsport::http
