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
    ::unsetenv("PACSPORT_MAX_EXPORTS_PER_USER");
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

TEST_F(ConfigTest, MetricsBearerTokenIsLongOrNone) {
  EXPECT_TRUE(LoadConfig(std::nullopt)->http.metrics_bearer_token.empty());
  auto config = LoadConfig(Write("[metrics]\nbearer_token = \"scrape-0123456789ab\"\n"));
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->http.metrics_bearer_token, "scrape-0123456789ab");
  auto short_token = LoadConfig(Write("[metrics]\nbearer_token = \"short\"\n"));
  ASSERT_FALSE(short_token.ok());
  EXPECT_NE(short_token.error().message().find("metrics.bearer_token"), std::string::npos);
}

TEST_F(ConfigTest, TrustedProxiesFromTheFileOrTheEnvironment) {
  EXPECT_TRUE(LoadConfig(std::nullopt)->http.trusted_proxies.Ranges().empty());
  auto file =
      LoadConfig(Write("[server]\ntrusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\", \"::1\"]\n"));
  ASSERT_TRUE(file.ok()) << file.error().message();
  EXPECT_EQ(file->http.trusted_proxies.Ranges(),
            (std::vector<std::string>{"127.0.0.1/32", "10.0.0.0/8", "::1/128"}));
  EXPECT_TRUE(file->http.trusted_proxies.Trusts("10.1.2.3"));
  EXPECT_TRUE(file->http.trusted_proxies.Trusts("::1"));
  EXPECT_FALSE(file->http.trusted_proxies.Trusts("192.0.2.1"));
  ::setenv("PACSPORT_TRUSTED_PROXIES", "192.0.2.0/24, fd00::/8", 1);
  auto env = LoadConfig(Write("[server]\ntrusted_proxies = [\"127.0.0.1\"]\n"));
  ::setenv("PACSPORT_TRUSTED_PROXIES", "192.0.2.0/24,,fd00::/8", 1);
  auto empty_item = LoadConfig(std::nullopt);
  ::unsetenv("PACSPORT_TRUSTED_PROXIES");
  ASSERT_TRUE(env.ok()) << env.error().message();
  EXPECT_TRUE(env->http.trusted_proxies.Trusts("192.0.2.1"));
  EXPECT_FALSE(env->http.trusted_proxies.Trusts("127.0.0.1"));
  EXPECT_FALSE(empty_item.ok());

  for (const auto& [toml, named] : std::vector<std::pair<std::string, std::string>>{
           {"trusted_proxies = [\"127.0.0.1\", \"10.0.0.0/33\"]", "\"10.0.0.0/33\""},
           {"trusted_proxies = [\"proxy.example.org\"]", "\"proxy.example.org\""},
           {"trusted_proxies = \"127.0.0.1\"", "array of strings"},
           {"trusted_proxies = [\"127.0.0.1\", 8]", "array of strings"}}) {
    auto refused = LoadConfig(Write("[server]\n" + toml + "\n"));
    ASSERT_FALSE(refused.ok()) << toml;
    EXPECT_NE(refused.error().message().find("server.trusted_proxies"), std::string::npos);
    EXPECT_NE(refused.error().message().find(named), std::string::npos)
        << refused.error().message();
  }
}

TEST_F(ConfigTest, RefusesKeysNoSettingReads) {
  for (const char* text : {"[server]\nworker_threads = 16\n", "[export]\nmax_per_usr = 1\n",
                           "[nonsense]\nkey = 1\n", "top_level = 1\n"}) {
    auto refused = LoadConfig(Write(text));
    ASSERT_FALSE(refused.ok()) << text;
    EXPECT_NE(refused.error().message().find("unknown configuration key"), std::string::npos)
        << refused.error().message();
  }
  auto old_key = LoadConfig(Write("[server]\nworker_threads = 16\n"));
  EXPECT_NE(old_key.error().message().find("server.worker_threads"), std::string::npos);
  auto known =
      LoadConfig(Write("[export]\nmax_per_user = 1\n[export.hospital_max_export_mb]\n"
                       "\"H\" = 10\n"));
  EXPECT_TRUE(known.ok()) << known.error().message();
}

TEST_F(ConfigTest, RejectsBadValuesByName) {
  auto level = LoadConfig(Write("[export]\ncompression_level = 12\n"));
  ASSERT_FALSE(level.ok());
  EXPECT_NE(level.error().message().find("export.compression_level"), std::string::npos);

  auto type = LoadConfig(Write("[server]\nlisten = 8080\n"));
  ASSERT_FALSE(type.ok());
  EXPECT_NE(type.error().message().find("server.listen"), std::string::npos);

  // A float is not an integer, however large (fuzz/regressions/config).
  auto huge = LoadConfig(Write("[server]\ntoken_ttl_seconds = 73e50\n"));
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error().message().find("server.token_ttl_seconds must be an integer"),
            std::string::npos);

  auto syntax = LoadConfig(Write("[server\n"));
  ASSERT_FALSE(syntax.ok());

  ::setenv("PACSPORT_LISTEN", "nohost", 1);
  auto env = LoadConfig(std::nullopt);
  ASSERT_FALSE(env.ok());
}

TEST_F(ConfigTest, MaxInflatedSize) {
  EXPECT_EQ(LoadConfig(std::nullopt)->parse_limits.max_inflated_bytes, std::uint64_t{1024} << 20);
  auto file = LoadConfig(Write("[ingest]\nmax_inflated_mb = 64\n"));
  ASSERT_TRUE(file.ok()) << file.error().message();
  EXPECT_EQ(file->parse_limits.max_inflated_bytes, std::uint64_t{64} << 20);
  ::setenv("PACSPORT_MAX_INFLATED_MB", "8", 1);
  auto env = LoadConfig(Write("[ingest]\nmax_inflated_mb = 64\n"));
  ::unsetenv("PACSPORT_MAX_INFLATED_MB");
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->parse_limits.max_inflated_bytes, std::uint64_t{8} << 20);
  for (const char* bad : {"0", "-1", "1048577"}) {
    auto refused = LoadConfig(Write(std::string("[ingest]\nmax_inflated_mb = ") + bad + "\n"));
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_NE(refused.error().message().find("ingest.max_inflated_mb"), std::string::npos);
  }
}

TEST_F(ConfigTest, IndexUrlFromTheFileOrTheEnvironment) {
  EXPECT_EQ(LoadConfig(std::nullopt)->index_url, "");
  auto file = LoadConfig(Write("[index]\nurl = \"postgresql://app@db:5432/pacs\"\n"));
  ASSERT_TRUE(file.ok()) << file.error().message();
  EXPECT_EQ(file->index_url, "postgresql://app@db:5432/pacs");
  ::setenv("PACSPORT_INDEX_URL", "postgresql://app@other/pacs", 1);
  auto env = LoadConfig(Write("[index]\nurl = \"postgresql://app@db:5432/pacs\"\n"));
  ::setenv("PACSPORT_INDEX_URL", "mysql://app:secret@db/pacs", 1);
  auto refused = LoadConfig(std::nullopt);
  ::unsetenv("PACSPORT_INDEX_URL");
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->index_url, "postgresql://app@other/pacs");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("index.url"), std::string::npos);
  EXPECT_EQ(refused.error().message().find("secret"), std::string::npos);
}

TEST_F(ConfigTest, MaxTokenLifetimeDefaultsToTheLoginTtlAndIsNeverBelowIt) {
  auto defaults = LoadConfig(Write("[server]\ntoken_ttl_seconds = 600\n"));
  ASSERT_TRUE(defaults.ok()) << defaults.error().message();
  EXPECT_EQ(MaxTokenLifetime(*defaults), std::chrono::seconds(600));

  ::setenv("PACSPORT_MAX_TOKEN_LIFETIME_SECONDS", "86400", 1);
  auto longer = LoadConfig(Write("[security]\nmax_token_lifetime_seconds = 3600\n"));
  ::unsetenv("PACSPORT_MAX_TOKEN_LIFETIME_SECONDS");
  ASSERT_TRUE(longer.ok()) << longer.error().message();
  EXPECT_EQ(MaxTokenLifetime(*longer), std::chrono::seconds(86400));

  auto below_ttl = LoadConfig(
      Write("[server]\ntoken_ttl_seconds = 7200\n[security]\nmax_token_lifetime_seconds = 3600\n"));
  ASSERT_FALSE(below_ttl.ok());
  EXPECT_NE(below_ttl.error().message().find("security.max_token_lifetime_seconds"),
            std::string::npos);
  auto out_of_range = LoadConfig(Write("[security]\nmax_token_lifetime_seconds = 59\n"));
  ASSERT_FALSE(out_of_range.ok());
  EXPECT_NE(out_of_range.error().message().find("security.max_token_lifetime_seconds"),
            std::string::npos);
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

TEST_F(ConfigTest, OrthancSources) {
  const auto file = Write(
      "[[sources]]\nname = \"pacs-a\"\nkind = \"orthanc\"\nurl = \"http://10.0.0.5:8042/\"\n"
      "hospital = \"North\"\nusername = \"u\"\npassword = \"p\"\nmax_in_flight = 8\n"
      "connect_timeout_ms = 500\nread_timeout_seconds = 7\nretries = 0\n"
      "poll_interval_seconds = 2\nreconcile_interval_seconds = 60\npage_size = 3\n"
      "[[sources]]\nname = \"pacs-b\"\nkind = \"orthanc\"\nurl = \"https://pacs.example\"\n"
      "hospital = \"South\"\n");
  auto config = LoadConfig(file);
  ASSERT_TRUE(config.ok()) << config.error().message();
  ASSERT_EQ(config->orthanc_sources.size(), 2u);
  const OrthancSettings& a = config->orthanc_sources[0];
  EXPECT_EQ(a.name, "pacs-a");
  EXPECT_EQ(a.url, "http://10.0.0.5:8042");  // without the trailing slash
  EXPECT_EQ(a.hospital, "North");
  EXPECT_EQ(a.username, "u");
  EXPECT_EQ(a.password, "p");
  EXPECT_EQ(a.max_in_flight, 8);
  EXPECT_EQ(a.connect_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(a.read_timeout, std::chrono::seconds(7));
  EXPECT_EQ(a.retries, 0);
  EXPECT_EQ(a.poll_interval, std::chrono::seconds(2));
  EXPECT_EQ(a.reconcile_interval, std::chrono::seconds(60));
  EXPECT_EQ(a.page_size, 3);
  const OrthancSettings& b = config->orthanc_sources[1];
  EXPECT_EQ(b.max_in_flight, OrthancSettings{}.max_in_flight);
  EXPECT_TRUE(b.username.empty());
}

TEST_F(ConfigTest, BadSourcesNameTheKey) {
  const std::string valid =
      "name = \"a\"\nkind = \"orthanc\"\nurl = \"http://h\"\nhospital = \"H\"\n";
  const std::pair<std::string, std::string> cases[] = {
      {"[[sources]]\nkind = \"orthanc\"\nurl = \"http://h\"\nhospital = \"H\"\n",
       "sources[0].name"},
      {"[[sources]]\n" + valid + "[[sources]]\n" + valid, "sources[1].name"},
      {"[[sources]]\nname = \"local\"\nkind = \"orthanc\"\nurl = \"http://h\"\nhospital = \"H\"\n",
       "sources[0].name"},
      {"[[sources]]\nname = \"a\"\nkind = \"dicomweb\"\nurl = \"http://h\"\nhospital = \"H\"\n",
       "sources[0].kind"},
      {"[[sources]]\nname = \"a\"\nkind = \"orthanc\"\nurl = \"file:///etc\"\nhospital = \"H\"\n",
       "sources[0].url"},
      {"[[sources]]\n" + valid + "max_in_flight = 0\n", "sources[0].max_in_flight"},
      {"[[sources]]\n" + valid + "page_size = 0\n", "sources[0].page_size"},
      {"[[sources]]\n" + valid + "retires = 2\n", "sources[0].retires"},
      {"sources = 3\n", "sources"},
  };
  for (const auto& [toml, key] : cases) {
    auto config = LoadConfig(Write(toml));
    ASSERT_FALSE(config.ok()) << toml;
    EXPECT_EQ(config.error().code(), ErrorCode::kInvalidInput);
    EXPECT_NE(config.error().message().find(key), std::string::npos)
        << config.error().message() << " should name " << key;
  }
}

TEST_F(ConfigTest, ExportSharesStallAndSizeLimits) {
  auto defaults = LoadConfig(std::nullopt);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->exports.shares.max_concurrent, 4);
  EXPECT_EQ(defaults->exports.shares.max_per_hospital, 3);
  EXPECT_EQ(defaults->exports.shares.max_per_user, 2);
  EXPECT_EQ(defaults->http.client_stall, std::chrono::seconds(20));
  EXPECT_EQ(defaults->exports.size.default_max_bytes, 0);

  const auto file = Write(
      "[export]\nmax_concurrent = 8\nmax_per_hospital = 4\nmax_per_user = 3\n"
      "client_stall_seconds = 5\nmax_export_mb = 2048\n"
      "[export.hospital_max_export_mb]\n\"St. Mary's\" = 100\nNorth = 0\n");
  ::setenv("PACSPORT_MAX_EXPORTS_PER_USER", "1", 1);
  auto config = LoadConfig(file);
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->exports.shares.max_concurrent, 8);
  EXPECT_EQ(config->exports.shares.max_per_hospital, 4);
  EXPECT_EQ(config->exports.shares.max_per_user, 1);
  EXPECT_EQ(config->http.client_stall, std::chrono::seconds(5));
  EXPECT_EQ(config->exports.size.For("South"), std::int64_t{2048} << 20);
  EXPECT_EQ(config->exports.size.For("St. Mary's"), std::int64_t{100} << 20);
  EXPECT_EQ(config->exports.size.For("North"), 0);
}

TEST_F(ConfigTest, DeidentifyRolesAndKey) {
  auto defaults = LoadConfig(std::nullopt);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->exports.deidentify_policy.For("North"), std::set<Role>{Role::kResearcher});
  auto config =
      LoadConfig(Write("[deidentify]\nroles = \"researcher, user\"\nkey_file = \"/tmp/k\"\n"
                       "[deidentify.hospital_roles]\nSouth = \"\"\n"));
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->exports.deidentify_policy.For("North"),
            (std::set<Role>{Role::kUser, Role::kResearcher}));
  EXPECT_TRUE(config->exports.deidentify_policy.For("South").empty());
  EXPECT_EQ(config->deidentify.key_file, "/tmp/k");
  for (const auto& [toml, key] : std::vector<std::pair<std::string, std::string>>{
           {"[deidentify]\nroles = \"boss\"\n", "deidentify.roles"},
           {"[deidentify.hospital_roles]\nNorth = 3\n", "deidentify.hospital_roles.\"North\""},
           {"[deidentify.hospital_roles]\nNorth = \"chief\"\n",
            "deidentify.hospital_roles.\"North\""}}) {
    auto refused = LoadConfig(Write(toml));
    ASSERT_FALSE(refused.ok()) << toml;
    EXPECT_NE(refused.error().message().find(key), std::string::npos) << refused.error().message();
  }
}

TEST_F(ConfigTest, BadExportLimitsNameTheKey) {
  const std::pair<std::string, std::string> cases[] = {
      {"[export]\nmax_per_user = 0\n", "export.max_per_user"},
      {"[export]\nmax_per_hospital = 2000\n", "export.max_per_hospital"},
      {"[export]\nclient_stall_seconds = 0\n", "export.client_stall_seconds"},
      {"[export]\nmax_export_mb = -1\n", "export.max_export_mb"},
      {"[export]\nhospital_max_export_mb = 5\n", "export.hospital_max_export_mb"},
      {"[export.hospital_max_export_mb]\nNorth = \"big\"\n",
       "export.hospital_max_export_mb.\"North\""},
      {"[export.hospital_max_export_mb]\nNorth = -5\n", "export.hospital_max_export_mb.\"North\""},
  };
  for (const auto& [toml, key] : cases) {
    auto config = LoadConfig(Write(toml));
    ASSERT_FALSE(config.ok()) << toml;
    EXPECT_EQ(config.error().code(), ErrorCode::kInvalidInput);
    EXPECT_NE(config.error().message().find(key), std::string::npos)
        << config.error().message() << " should name " << key;
  }
}

TEST_F(ConfigTest, PreviewLimits) {
  auto defaults = LoadConfig(std::nullopt);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->preview.max_frames_per_instance, 10000);
  EXPECT_EQ(defaults->preview.max_bytes_per_instance, std::uint64_t{128} << 20);
  EXPECT_EQ(defaults->preview.max_bytes_per_export, std::uint64_t{2048} << 20);

  const auto file = Write(
      "[preview]\nmax_frames_per_instance = 50\nmax_bytes_per_instance_mb = 8\n"
      "max_bytes_per_export_mb = 100\n");
  ::setenv("PACSPORT_PREVIEW_MAX_BYTES_PER_EXPORT_MB", "64", 1);
  auto config = LoadConfig(file);
  ::unsetenv("PACSPORT_PREVIEW_MAX_BYTES_PER_EXPORT_MB");
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->preview.max_frames_per_instance, 50);
  EXPECT_EQ(config->preview.max_bytes_per_instance, std::uint64_t{8} << 20);
  EXPECT_EQ(config->preview.max_bytes_per_export, std::uint64_t{64} << 20);

  for (const char* key :
       {"max_frames_per_instance", "max_bytes_per_instance_mb", "max_bytes_per_export_mb"}) {
    auto zero = LoadConfig(Write(std::string("[preview]\n") + key + " = 0\n"));
    ASSERT_FALSE(zero.ok()) << key;
    EXPECT_NE(zero.error().message().find(std::string("preview.") + key), std::string::npos);
  }
}

TEST_F(ConfigTest, AuditSyslogRepository) {
  auto defaults = LoadConfig(std::nullopt);
  ASSERT_TRUE(defaults.ok());
  EXPECT_TRUE(defaults->audit_syslog.url.empty());
  EXPECT_TRUE(defaults->audit_source_id.empty());

  const auto file = Write(
      "[audit.syslog]\nurl = \"tls://audit.example:6514\"\nca_file = \"/etc/ca.pem\"\n"
      "cert_file = \"/etc/c.pem\"\nkey_file = \"/etc/k.pem\"\nsource_id = \"pacs-1\"\n");
  ::setenv("PACSPORT_AUDIT_SYSLOG_URL", "udp://[::1]:514", 1);
  auto config = LoadConfig(file);
  ::unsetenv("PACSPORT_AUDIT_SYSLOG_URL");
  ASSERT_TRUE(config.ok()) << config.error().message();
  EXPECT_EQ(config->audit_syslog.url, "udp://[::1]:514");
  EXPECT_EQ(config->audit_syslog.ca_file, "/etc/ca.pem");
  EXPECT_EQ(config->audit_syslog.cert_file, "/etc/c.pem");
  EXPECT_EQ(config->audit_syslog.key_file, "/etc/k.pem");
  EXPECT_EQ(config->audit_source_id, "pacs-1");

  auto scheme = LoadConfig(Write("[audit.syslog]\nurl = \"https://audit.example\"\n"));
  ASSERT_FALSE(scheme.ok());
  EXPECT_NE(scheme.error().message().find("audit.syslog.url"), std::string::npos);
  auto misspelt = LoadConfig(Write("[audit.syslog]\nca = \"/etc/ca.pem\"\n"));
  ASSERT_FALSE(misspelt.ok());
  EXPECT_NE(misspelt.error().message().find("unknown configuration key audit.syslog.ca"),
            std::string::npos);
}

}  // namespace
}  // namespace pacsport
