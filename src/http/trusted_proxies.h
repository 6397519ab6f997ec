// TrustedProxies: the reverse proxies whose X-Forwarded-For pacsport believes
// ([server] trusted_proxies, decision 0028), and the client address of a request that
// reached pacsport through them.
//
// A request's client is its connection's address unless that address is a trusted
// proxy; then X-Forwarded-For is read from the right, each trusted hop passing the
// question on to the hop before it, and the first untrusted address is the client.
// Entries left of it are what the client itself claimed and are never believed. An
// entry that is not an address ends the walk at the last good hop. With no proxies
// (the default) X-Forwarded-For is ignored.
//
// Addresses are compared as 16 bytes, an IPv4 address as its IPv4-mapped IPv6 form,
// so "127.0.0.1" matches a connection from "::ffff:127.0.0.1". Immutable after Parse;
// thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace pacsport::http {

class TrustedProxies {
 public:
  // Trusts nobody.
  TrustedProxies() = default;

  // Each entry an IPv4 or IPv6 address ("10.0.0.7", "::1") or a CIDR range
  // ("10.0.0.0/8", "fd00::/8", with no bits set beyond the prefix). kInvalidInput
  // naming the first entry that is none of these.
  static Result<TrustedProxies> Parse(const std::vector<std::string>& entries);

  // The trusted ranges in canonical CIDR form ("10.0.0.0/8", "::1/128"), in the order
  // given; none when nobody is trusted.
  std::vector<std::string> Ranges() const;

  // Whether `address` (text, as in remote_addr or X-Forwarded-For) is a trusted proxy;
  // false when it is not an address.
  bool Trusts(std::string_view address) const;

  // The client of a request from `remote_addr` carrying `forwarded_for`: the values of
  // its X-Forwarded-For headers joined by commas in order ("" when none). An address in
  // its canonical text (IPv4-mapped IPv6 written as IPv4); a `remote_addr` that is not
  // an address is returned as it is.
  std::string ClientAddress(const std::string& remote_addr, std::string_view forwarded_for) const;

 private:
  using AddressBytes = std::array<std::uint8_t, 16>;
  struct Range {
    AddressBytes network;  // no bit set beyond prefix_bits
    int prefix_bits;       // 0-128, of the IPv6 (or IPv4-mapped) form
  };

  bool Trusts(const AddressBytes& address) const;

  std::vector<Range> ranges_;
};

}  // namespace pacsport::http
