#include "app/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "tests/support/temp_dir.h"

namespace pacsport {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void TearDown() override {
    ::unsetenv("PACSPORT_LISTEN");
    ::unsetenv("PACSPORT_COMPRESSION_LEVEL");
  }
  std::filesystem::path Write(const std::string& toml) {
    const auto path = dir_.path() / "pacsport.toml";
    std::ofstream(path) << toml;
    return path;
  }
  testing::TempDir dir_;
};

TEST_F(ConfigTest, DefaultsWithoutFile) {
  auto config = LoadConfig(std::nullopt);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->http.host, "127.0.0.1");
  EXPECT_EQ(config->http.port, 8080);
  EXPECT_EQ(config->http.default_compression_level, 9);
  EXPECT_TRUE(config->jwt_secret.empty());
}

TEST_F(ConfigTest, FileThenEnvironmentOverride) {
  const auto file = Write(
      "[server]\nlisten = \"0.0.0.0:9000\"\ntoken_ttl_seconds = 600\n"
      "[security]\njwt_secret = \"0123456789abcdef0123456789abcdef\"\n"
      "[export]\ncompression_level = 6\n");
  ::setenv("PACSPORT_COMPRESSION_LEVEL", "1", 1);
  auto config = LoadConfig(file);
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->http.host, "0.0.0.0");
  EXPECT_EQ(config->http.port, 9000);
  EXPECT_EQ(config->http.token_ttl, std::chrono::seconds(600));
  EXPECT_EQ(config->jwt_secret, "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(config->http.default_compression_level, 1);
}

TEST_F(ConfigTest, RejectsBadValuesByName) {
  auto level = LoadConfig(Write("[export]\ncompression_level = 12\n"));
  ASSERT_FALSE(level.ok());
  EXPECT_NE(level.error().message().find("export.compression_level"), std::string::npos);

  auto type = LoadConfig(Write("[server]\nlisten = 8080\n"));
  ASSERT_FALSE(type.ok());
  EXPECT_NE(type.error().message().find("server.listen"), std::string::npos);

  auto syntax = LoadConfig(Write("[server\n"));
  ASSERT_FALSE(syntax.ok());

  ::setenv("PACSPORT_LISTEN", "nohost", 1);
  auto env = LoadConfig(std::nullopt);
  ASSERT_FALSE(env.ok());
}

TEST_F(ConfigTest, ParseListenAcceptsIpv6AndRejectsBadPorts) {
  HttpSettings http;
  ASSERT_TRUE(ParseListen("[::1]:8443", http).ok());
  EXPECT_EQ(http.host, "::1");
  EXPECT_EQ(http.port, 8443);
  EXPECT_FALSE(ParseListen("host:99999", http).ok());
  EXPECT_FALSE(ParseListen("host:", http).ok());
  EXPECT_FALSE(ParseListen(":80", http).ok());
}

}  // namespace
}  // namespace pacsport
