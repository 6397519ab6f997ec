// The S3 sender's settings and its failures without a store; its conversation with a
// real store is tested against moto_server (tests/integration/test_delivery_s3.py).
#include "delivery/s3_sender.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace pacsport::delivery {
namespace {

using nlohmann::json;

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

json Settings() {
  return {{"endpoint", "http://127.0.0.1:9"},
          {"region", "eu-west-1"},
          {"bucket", "exports"},
          {"accessKeyId", "AKIAEXAMPLE"}};
}
json Secrets() { return {{"secretAccessKey", kSecret}}; }

std::string Refusal(const json& settings, const json& secrets = Secrets()) {
  auto sender = MakeSender(DestinationKind::kS3, settings, secrets, SenderContext{});
  if (sender.ok()) return "accepted";
  EXPECT_EQ(sender.error().code(), ErrorCode::kInvalidInput);
  return sender.error().message();
}

json With(json settings, const std::string& key, json value) {
  settings[key] = std::move(value);
  return settings;
}

TEST(S3SenderTest, AcceptsMinimalAndFullSettings) {
  EXPECT_EQ(Refusal({{"region", "us-east-1"}, {"bucket", "exports"}, {"accessKeyId", "AK"}}),
            "accepted");
  json full = Settings();
  full["prefix"] = "backups/";
  full["addressing"] = "virtual";
  full["partSizeMiB"] = 5;
  EXPECT_EQ(Refusal(full, {{"secretAccessKey", kSecret}, {"sessionToken", "FwoGZXIvYXdzEJr"}}),
            "accepted");
}

TEST(S3SenderTest, RefusalsNameTheSetting) {
  json no_bucket = Settings();
  no_bucket.erase("bucket");
  EXPECT_EQ(Refusal(no_bucket), "settings.bucket is required");
  json no_region = Settings();
  no_region.erase("region");
  EXPECT_EQ(Refusal(no_region), "settings.region is required");
  EXPECT_EQ(Refusal(With(Settings(), "bucket", "Exports")),
            "settings.bucket may hold only lower-case letters, digits, '.' and '-'");
  EXPECT_EQ(Refusal(With(Settings(), "region", "eu:west")),
            "settings.region must be a region name such as eu-west-1");
  EXPECT_EQ(Refusal(With(Settings(), "endpoint", "s3.example.org")),
            "settings.endpoint must start with http:// or https://");
  EXPECT_EQ(Refusal(With(Settings(), "addressing", "host")),
            "settings.addressing must be \"path\" or \"virtual\"");
  EXPECT_EQ(Refusal(With(Settings(), "partSizeMiB", 4)),
            "settings.partSizeMiB must be an integer from 5 to 5120");
  EXPECT_EQ(Refusal(With(Settings(), "partSizeMiB", 5121)),
            "settings.partSizeMiB must be an integer from 5 to 5120");
  EXPECT_EQ(Refusal(With(Settings(), "prefix", "/backups/")),
            "settings.prefix must not start with '/', hold control characters or exceed 512 bytes");
  EXPECT_EQ(Refusal(With(Settings(), "accessKeyId", "AK:X")),
            "settings.accessKeyId must be printable ASCII without ':' or spaces");
  EXPECT_EQ(Refusal(With(Settings(), "secretAccessKey", kSecret)),
            "settings.secretAccessKey is not a known key");
  EXPECT_EQ(Refusal(Settings(), json::object()), "secrets.secretAccessKey is required");
  EXPECT_EQ(Refusal(Settings(), {{"secretAccessKey", kSecret}, {"token", "x"}}),
            "secrets.token is not a known key");
  EXPECT_EQ(Refusal(Settings(), {{"secretAccessKey", kSecret}, {"sessionToken", "a\r\nb"}}),
            "secrets.sessionToken must be printable ASCII without spaces");
}

// A loopback port that refuses connections.
int ClosedPort() {
  const int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(address);
  EXPECT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&address), size), 0);
  EXPECT_EQ(::getsockname(s, reinterpret_cast<sockaddr*>(&address), &size), 0);
  ::close(s);
  return ntohs(address.sin_port);
}

TEST(S3SenderTest, AnUnreachableStoreIsUnavailableAndNoMessageNamesTheSecretOrKey) {
  SenderContext context;
  context.retry.attempts = 2;
  context.retry.first_pause = std::chrono::milliseconds(1);
  const json settings =
      With(Settings(), "endpoint", "http://127.0.0.1:" + std::to_string(ClosedPort()));
  auto sender = MakeSender(DestinationKind::kS3, settings, Secrets(), context);
  ASSERT_TRUE(sender.ok());

  const Status checked = (*sender)->Check(std::stop_token());
  ASSERT_FALSE(checked.ok());
  EXPECT_EQ(checked.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(checked.error().message().find("S3 ListObjectsV2 at " +
                                           settings["endpoint"].get<std::string>() +
                                           " in bucket exports: "),
            std::string::npos)
      << checked.error().message();

  const auto path = std::filesystem::temp_directory_path() / "s3_sender_test_archive.zip";
  std::ofstream(path) << "PK archive";
  OutgoingArchive archive;
  archive.path = path;
  archive.size = 10;
  archive.name = "patient_SECRET-ID_export.zip";
  archive.job_id = "job1";
  std::atomic<std::uint64_t> bytes_sent{0};
  auto sent = (*sender)->Send(archive, std::stop_token(), bytes_sent);
  std::filesystem::remove(path);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(bytes_sent.load(), 0u);
  for (const std::string& message : {checked.error().message(), sent.error().message()}) {
    EXPECT_EQ(message.find(kSecret), std::string::npos) << message;
    EXPECT_EQ(message.find("SECRET-ID"), std::string::npos) << message;
  }
}

TEST(S3SenderTest, AMissingArchiveIsAnInternalError) {
  auto sender = MakeSender(DestinationKind::kS3, Settings(), Secrets(), SenderContext{});
  ASSERT_TRUE(sender.ok());
  OutgoingArchive archive;
  archive.path = "/nonexistent/archive.zip";
  archive.size = 1;
  archive.job_id = "job2";
  std::atomic<std::uint64_t> bytes_sent{0};
  auto sent = (*sender)->Send(archive, std::stop_token(), bytes_sent);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.error().code(), ErrorCode::kInternal);
}

}  // namespace
}  // namespace pacsport::delivery
