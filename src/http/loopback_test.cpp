#include "http/loopback.h"

#include <gtest/gtest.h>

namespace pacsport::http {
namespace {

TEST(LoopbackTest, KnowsLoopbackAddresses) {
  for (const char* address : {"127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(IsLoopbackAddress(address)) << address;
  }
  for (const char* address : {"192.0.2.2", "10.0.0.1", "128.0.0.1", "::", "::2", "fd00::2",
                              "::ffff:192.0.2.2", "localhost", "", "127.0.0.1 ", "127.1"}) {
    EXPECT_FALSE(IsLoopbackAddress(address)) << address;
  }
}

}  // namespace
}  // namespace pacsport::http
