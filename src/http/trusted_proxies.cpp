#include "http/trusted_proxies.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <optional>

namespace pacsport::http {
namespace {

using Bytes = std::array<std::uint8_t, 16>;
constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
constexpr int kMappedPrefixBits = 96;

// `text` as 16 bytes, an IPv4 address in its IPv4-mapped IPv6 form. Parsed by the C
// library's inet_pton, never by hand: exactly the plain textual forms it accepts, so
// no port, zone, brackets or surrounding space.
std::optional<Bytes> ParseAddress(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
  const std::string terminated(text);  // inet_pton reads up to the first NUL
  if (terminated.find('\0') != std::string::npos) return std::nullopt;
  Bytes bytes{};
  std::array<std::uint8_t, 4> ipv4{};
  if (::inet_pton(AF_INET, terminated.c_str(), ipv4.data()) == 1) {
    std::copy(kMappedPrefix.begin(), kMappedPrefix.end(), bytes.begin());
    std::copy(ipv4.begin(), ipv4.end(), bytes.begin() + kMappedPrefix.size());
    return bytes;
  }
  if (::inet_pton(AF_INET6, terminated.c_str(), bytes.data()) == 1) return bytes;
  return std::nullopt;
}

bool IsMappedIpv4(const Bytes& bytes) {
  return std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), bytes.begin());
}

// The canonical text of `bytes`: dotted IPv4 for a mapped address, else RFC 5952 IPv6.
std::string AddressText(const Bytes& bytes) {
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (IsMappedIpv4(bytes)) {
    ::inet_ntop(AF_INET, bytes.data() + kMappedPrefix.size(), text.data(), text.size());
  } else {
    ::inet_ntop(AF_INET6, bytes.data(), text.data(), text.size());
  }
  return text.data();
}

// `bytes` with every bit beyond the first `bits` cleared.
Bytes Masked(Bytes bytes, int bits) {
  const auto whole = static_cast<std::size_t>(bits / 8);
  if (whole == bytes.size()) return bytes;
  bytes[whole] &= static_cast<std::uint8_t>(0xff << (8 - bits % 8));
  std::fill(bytes.begin() + whole + 1, bytes.end(), 0);
  return bytes;
}

// `text` without the spaces and tabs around it.
std::string_view Trimmed(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

}  // namespace

Result<TrustedProxies> TrustedProxies::Parse(const std::vector<std::string>& entries) {
  TrustedProxies proxies;
  for (const std::string& entry : entries) {
    const auto refuse = [&entry](const std::string& why) {
      return InvalidInput("\"" + entry + "\" " + why);
    };
    const std::size_t slash = entry.find('/');
    const auto address = ParseAddress(std::string_view(entry).substr(0, slash));
    if (!address) return refuse("is not an IPv4 or IPv6 address or CIDR range");
    const bool ipv4 = IsMappedIpv4(*address) && entry.find(':') == std::string::npos;
    const int max_bits = ipv4 ? 32 : 128;
    int bits = max_bits;
    if (slash != std::string::npos) {
      const char* begin = entry.data() + slash + 1;
      const char* end = entry.data() + entry.size();
      const auto [stop, ec] = std::from_chars(begin, end, bits);
      if (begin == end || ec != std::errc() || stop != end || bits < 0 || bits > max_bits) {
        return refuse("has a prefix length that is not 0-" + std::to_string(max_bits));
      }
    }
    const Range range{*address, ipv4 ? bits + kMappedPrefixBits : bits};
    if (Masked(range.network, range.prefix_bits) != range.network) {
      return refuse("has bits set beyond its /" + std::to_string(bits) + " prefix");
    }
    proxies.ranges_.push_back(range);
  }
  return proxies;
}

std::vector<std::string> TrustedProxies::Ranges() const {
  std::vector<std::string> texts;
  for (const Range& range : ranges_) {
    const bool ipv4 = IsMappedIpv4(range.network) && range.prefix_bits >= kMappedPrefixBits;
    const int bits = ipv4 ? range.prefix_bits - kMappedPrefixBits : range.prefix_bits;
    texts.push_back(AddressText(range.network) + "/" + std::to_string(bits));
  }
  return texts;
}

bool TrustedProxies::Trusts(const AddressBytes& address) const {
  return std::any_of(ranges_.begin(), ranges_.end(), [&address](const Range& range) {
    return Masked(address, range.prefix_bits) == range.network;
  });
}

bool TrustedProxies::Trusts(std::string_view address) const {
  const auto bytes = ParseAddress(address);
  return bytes && Trusts(*bytes);
}

std::string TrustedProxies::ClientAddress(const std::string& remote_addr,
                                          std::string_view forwarded_for) const {
  auto hop = ParseAddress(remote_addr);
  if (!hop) return remote_addr;
  // Invariant: *hop handed the request on; while it is trusted, the entry at the end
  // of what is left of `forwarded_for` is who handed it the request.
  std::string_view rest = forwarded_for;
  while (Trusts(*hop) && !rest.empty()) {
    const std::size_t comma = rest.rfind(',');
    const std::size_t start = comma == std::string_view::npos ? 0 : comma + 1;
    const auto previous = ParseAddress(Trimmed(rest.substr(start)));
    if (!previous) break;
    hop = previous;
    rest = rest.substr(0, comma == std::string_view::npos ? 0 : comma);
  }
  return AddressText(*hop);
}

}  // namespace pacsport::http
