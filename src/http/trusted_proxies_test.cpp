#include "http/trusted_proxies.h"

#include <gtest/gtest.h>

#include "http/client_address.h"

namespace pacsport::http {
namespace {

TrustedProxies Trusting(const std::vector<std::string>& entries) {
  auto proxies = TrustedProxies::Parse(entries);
  EXPECT_TRUE(proxies.ok()) << proxies.error().message();
  return std::move(proxies).value();
}

TEST(TrustedProxiesTest, ParsesAddressesAndRanges) {
  const TrustedProxies proxies = Trusting({"127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8"});
  for (const char* address : {"127.0.0.1", "::ffff:127.0.0.1", "10.0.0.0", "10.255.255.255", "::1",
                              "fd00::1", "fdff:ffff::9"}) {
    EXPECT_TRUE(proxies.Trusts(address)) << address;
  }
  for (const char* address : {"127.0.0.2", "11.0.0.0", "9.255.255.255", "::2", "fe00::1",
                              "::ffff:10.0.0.1:80", "localhost", "", " 127.0.0.1"}) {
    EXPECT_FALSE(proxies.Trusts(address)) << address;
  }
  EXPECT_EQ(proxies.Ranges(),
            (std::vector<std::string>{"127.0.0.1/32", "10.0.0.0/8", "::1/128", "fd00::/8"}));
  EXPECT_EQ(Trusting({"::FFFF:10.0.0.0/104", "2001:DB8:0::/32"}).Ranges(),
            (std::vector<std::string>{"10.0.0.0/8", "2001:db8::/32"}));
  EXPECT_TRUE(TrustedProxies().Ranges().empty());
  EXPECT_FALSE(TrustedProxies().Trusts("127.0.0.1"));
}

TEST(TrustedProxiesTest, PrefixEdges) {
  const TrustedProxies everything4 = Trusting({"0.0.0.0/0"});
  EXPECT_TRUE(everything4.Trusts("255.255.255.255"));
  EXPECT_TRUE(everything4.Trusts("::ffff:1.2.3.4"));
  EXPECT_FALSE(everything4.Trusts("2001:db8::1"));  // /0 of IPv4 is IPv4 only
  EXPECT_TRUE(Trusting({"::/0"}).Trusts("2001:db8::1"));

  const TrustedProxies one4 = Trusting({"192.0.2.1/32"});
  EXPECT_TRUE(one4.Trusts("192.0.2.1"));
  EXPECT_FALSE(one4.Trusts("192.0.2.0"));
  EXPECT_FALSE(one4.Trusts("192.0.2.2"));

  const TrustedProxies one6 = Trusting({"2001:db8::1/128"});
  EXPECT_TRUE(one6.Trusts("2001:0db8:0:0::1"));
  EXPECT_FALSE(one6.Trusts("2001:db8::"));
  EXPECT_FALSE(one6.Trusts("2001:db8::2"));

  const TrustedProxies odd = Trusting({"192.0.2.128/25", "2001:db8::/33"});
  EXPECT_TRUE(odd.Trusts("192.0.2.255"));
  EXPECT_FALSE(odd.Trusts("192.0.2.127"));
  EXPECT_TRUE(odd.Trusts("2001:db8:7fff::1"));
  EXPECT_FALSE(odd.Trusts("2001:db8:8000::1"));
}

TEST(TrustedProxiesTest, RefusesMalformedEntriesNamingThem) {
  for (const char* entry :
       {"", "localhost", "10.0.0.300", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/",
        "10.0.0.0/8x", "10.0.0.1/8", "fd00::1/8", "[::1]", "127.0.0.1:80", " 127.0.0.1"}) {
    const auto proxies = TrustedProxies::Parse({"127.0.0.1", entry});
    ASSERT_FALSE(proxies.ok()) << entry;
    EXPECT_EQ(proxies.error().code(), ErrorCode::kInvalidInput);
    EXPECT_NE(proxies.error().message().find("\"" + std::string(entry) + "\""), std::string::npos)
        << proxies.error().message();
  }
}

TEST(TrustedProxiesTest, AnUntrustedConnectionIsTheClientWhateverItForwards) {
  const TrustedProxies proxies = Trusting({"10.0.0.0/8"});
  EXPECT_EQ(proxies.ClientAddress("192.0.2.7", "203.0.113.9"), "192.0.2.7");
  EXPECT_EQ(TrustedProxies().ClientAddress("127.0.0.1", "203.0.113.9"), "127.0.0.1");
}

TEST(TrustedProxiesTest, TheClientIsTheRightmostUntrustedHop) {
  const TrustedProxies proxies = Trusting({"10.0.0.0/8", "127.0.0.1"});
  EXPECT_EQ(proxies.ClientAddress("127.0.0.1", "203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(proxies.ClientAddress("127.0.0.1", "203.0.113.9, 10.1.2.3"), "203.0.113.9");
  EXPECT_EQ(proxies.ClientAddress("127.0.0.1", " 203.0.113.9 ,\t10.1.2.3\t"), "203.0.113.9");
  // What the client wrote itself, left of the first untrusted hop, is never believed.
  EXPECT_EQ(proxies.ClientAddress("127.0.0.1", "127.0.0.1, 198.51.100.1, 203.0.113.9, 10.1.2.3"),
            "203.0.113.9");
  // No header: the proxy itself.
  EXPECT_EQ(proxies.ClientAddress("127.0.0.1", ""), "127.0.0.1");
}

TEST(TrustedProxiesTest, AnAllTrustedChainGivesItsLeftmostHop) {
  const TrustedProxies proxies = Trusting({"10.0.0.0/8", "127.0.0.1"});
  EXPECT_EQ(proxies.ClientAddress("127.0.0.1", "10.0.0.1, 10.0.0.2"), "10.0.0.1");
}

TEST(TrustedProxiesTest, AMalformedHopEndsTheWalkAtTheLastGoodOne) {
  const TrustedProxies proxies = Trusting({"10.0.0.0/8", "127.0.0.1"});
  EXPECT_EQ(proxies.ClientAddress("127.0.0.1", "203.0.113.9, unknown"), "127.0.0.1");
  EXPECT_EQ(proxies.ClientAddress("127.0.0.1", "203.0.113.9, junk, 10.0.0.5"), "10.0.0.5");
  EXPECT_EQ(proxies.ClientAddress("127.0.0.1", "203.0.113.9:4711"), "127.0.0.1");
  EXPECT_EQ(proxies.ClientAddress("127.0.0.1", "203.0.113.9,"), "127.0.0.1");
  EXPECT_EQ(proxies.ClientAddress("127.0.0.1", std::string("203.0.113.9\0", 12)), "127.0.0.1");
  // A malformed entry left of the client is never reached.
  EXPECT_EQ(proxies.ClientAddress("127.0.0.1", "junk, 203.0.113.9"), "203.0.113.9");
  // A connection address that is none is kept as it is.
  EXPECT_EQ(proxies.ClientAddress("", "203.0.113.9"), "");
}

TEST(TrustedProxiesTest, Ipv6AndMappedIpv4AreCanonical) {
  const TrustedProxies proxies = Trusting({"::1", "127.0.0.1", "fd00::/8"});
  EXPECT_EQ(proxies.ClientAddress("::1", "2001:DB8:0:0::9, fd00::7"), "2001:db8::9");
  EXPECT_EQ(proxies.ClientAddress("::ffff:127.0.0.1", "203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(proxies.ClientAddress("::1", "::ffff:203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(proxies.ClientAddress("::ffff:192.0.2.7", "203.0.113.9"), "192.0.2.7");
}

TEST(ClientAddressTest, JoinsSeveralForwardedForHeadersInOrder) {
  const TrustedProxies proxies = Trusting({"127.0.0.1", "10.0.0.0/8"});
  httplib::Request req;
  req.remote_addr = "127.0.0.1";
  req.headers.emplace("X-Forwarded-For", "198.51.100.1, 203.0.113.9");
  req.headers.emplace("X-Forwarded-For", "10.0.0.1");
  BeginClientAddress(req, proxies);
  EXPECT_EQ(CurrentClientAddress(), "203.0.113.9");
  EndClientAddress();
  EXPECT_EQ(CurrentClientAddress(), "");
}

}  // namespace
}  // namespace pacsport::http
