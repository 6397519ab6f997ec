// RestClient against an in-process HTTP server that misbehaves on purpose.
#include "orthanc/rest_client.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

namespace pacsport {
namespace {

class RestClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get("/body", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(Body(), "application/octet-stream");
    });
    server_.Get("/flaky", [this](const httplib::Request&, httplib::Response& res) {
      if (++requests_ <= failures_before_success_) {
        res.status = 503;
        return;
      }
      res.set_content("finally", "text/plain");
    });
    server_.Get("/missing", [this](const httplib::Request&, httplib::Response& res) {
      ++requests_;
      res.status = 404;
    });
    server_.Get("/private", [](const httplib::Request& req, httplib::Response& res) {
      // "user:secret" in base64.
      if (req.get_header_value("Authorization") != "Basic dXNlcjpzZWNyZXQ=") {
        res.status = 401;
        return;
      }
      res.set_content("welcome", "text/plain");
    });
    server_.Get("/slow", [](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(std::chrono::seconds(3));
      res.set_content("late", "text/plain");
    });
    server_.Get("/busy", [this](const httplib::Request&, httplib::Response& res) {
      const int now = ++in_flight_;
      int seen = max_in_flight_seen_.load();
      while (now > seen && !max_in_flight_seen_.compare_exchange_weak(seen, now)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      --in_flight_;
      res.set_content("done", "text/plain");
    });
    // Half the body, then the connection drops.
    server_.Get("/cut", [this](const httplib::Request&, httplib::Response& res) {
      ++requests_;
      res.set_content_provider(20000, "application/octet-stream",
                               [](size_t offset, size_t, httplib::DataSink& sink) {
                                 if (offset >= 10000) return false;
                                 const std::string half(10000, 'x');
                                 sink.write(half.data(), half.size());
                                 return true;
                               });
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    settings_.name = "test";
    settings_.url = "http://127.0.0.1:" + std::to_string(port_);
    settings_.read_timeout = std::chrono::seconds(1);
  }
  void TearDown() override {
    server_.stop();
    thread_.join();
  }

  static std::string Body() {
    std::string body;
    for (int i = 0; body.size() < 10'500; ++i) body += std::to_string(i) + ",";
    return body;
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  OrthancSettings settings_;
  std::atomic<int> requests_{0};
  int failures_before_success_ = 0;
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_in_flight_seen_{0};
};

TEST_F(RestClientTest, WholeAndChunkedBodies) {
  RestClient client(settings_);
  auto whole = client.Get("/body");
  ASSERT_TRUE(whole.ok()) << whole.error().message();
  EXPECT_EQ(*whole, Body());

  std::vector<size_t> sizes;
  std::string joined;
  Status status = client.GetChunked("/body", 1000, [&](std::string_view piece) {
    sizes.push_back(piece.size());
    joined.append(piece);
    return Status::Ok();
  });
  ASSERT_TRUE(status.ok()) << status.error().message();
  EXPECT_EQ(joined, Body());
  ASSERT_EQ(sizes.size(), (Body().size() + 999) / 1000);
  for (size_t i = 0; i + 1 < sizes.size(); ++i) EXPECT_EQ(sizes[i], 1000u);
}

TEST_F(RestClientTest, RetriesServerErrorsUpToTheLimit) {
  failures_before_success_ = 2;
  settings_.retries = 2;
  EXPECT_EQ(*RestClient(settings_).Get("/flaky"), "finally");
  EXPECT_EQ(requests_, 3);

  requests_ = 0;
  settings_.retries = 1;
  auto refused = RestClient(settings_).Get("/flaky");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(refused.error().message().find("GET /flaky: HTTP 503"), std::string::npos);
  EXPECT_EQ(requests_, 2);
}

TEST_F(RestClientTest, NotFoundIsNotRetried) {
  settings_.retries = 3;
  auto missing = RestClient(settings_).Get("/missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(requests_, 1);
}

TEST_F(RestClientTest, SendsCredentialsAndReportsRefusal) {
  auto anonymous = RestClient(settings_).Get("/private");
  ASSERT_FALSE(anonymous.ok());
  EXPECT_EQ(anonymous.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(anonymous.error().message().find("credentials"), std::string::npos);
  settings_.username = "user";
  settings_.password = "secret";
  EXPECT_EQ(*RestClient(settings_).Get("/private"), "welcome");
  // The message never carries the password.
  settings_.password = "wrong";
  auto wrong = RestClient(settings_).Get("/private");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message().find("wrong"), std::string::npos);
}

TEST_F(RestClientTest, ReadTimeoutAndRefusedConnection) {
  settings_.retries = 0;
  auto slow = RestClient(settings_).Get("/slow");
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.error().code(), ErrorCode::kUnavailable);

  OrthancSettings closed = settings_;
  httplib::Server unused;
  const int free_port = unused.bind_to_any_port("127.0.0.1");
  unused.stop();
  closed.url = "http://127.0.0.1:" + std::to_string(free_port);
  auto refused = RestClient(closed).Get("/body");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), ErrorCode::kUnavailable);
}

TEST_F(RestClientTest, BoundsRequestsInFlight) {
  settings_.max_in_flight = 2;
  RestClient client(settings_);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] { ok += client.Get("/busy").ok() ? 1 : 0; });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok, 8);
  EXPECT_EQ(max_in_flight_seen_, 2);
}

TEST_F(RestClientTest, ACutBodyIsRetriedOnlyWhenNothingWasHandedOn) {
  settings_.retries = 2;
  RestClient client(settings_);
  size_t received = 0;
  Status streamed = client.GetChunked("/cut", 4096, [&](std::string_view piece) {
    received += piece.size();
    return Status::Ok();
  });
  ASSERT_FALSE(streamed.ok());
  EXPECT_EQ(streamed.error().code(), ErrorCode::kUnavailable);
  EXPECT_GT(received, 0u);
  EXPECT_EQ(requests_, 1);  // bytes were handed on: no second attempt

  requests_ = 0;
  EXPECT_FALSE(client.Get("/cut").ok());
  EXPECT_EQ(requests_, 3);  // a whole read restarts from scratch
}

TEST_F(RestClientTest, AConsumerErrorStopsTheTransferAsIs) {
  RestClient client(settings_);
  Status status = client.GetChunked(
      "/body", 100, [](std::string_view) { return Status(InvalidInput("enough")); });
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code(), ErrorCode::kInvalidInput);
  EXPECT_EQ(status.error().message(), "enough");
}

}  // namespace
}  // namespace pacsport
