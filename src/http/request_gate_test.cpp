#include "http/request_gate.h"

#include <gtest/gtest.h>

namespace pacsport::http {
namespace {

constexpr char kSecret[] = "a-test-secret-that-is-at-least-32-bytes-long";

class RequestGateTest : public ::testing::Test {
 protected:
  RequestGateTest() : router_(server_), jwt_(kSecret, std::chrono::hours(8)) {
    const Handler none = [](const httplib::Request&, httplib::Response&) {};
    router_.Get("/api/health", "/api/health", none, Access::kOpen);
    router_.Post("/api/auth/login", "/api/auth/login", none, Body::kJson, Access::kAnonymous);
    router_.Get("/api/studies", "/api/studies", none);
    router_.Post("/api/instances", "/api/instances", none, Body::kDicom);
    GateSettings settings;
    settings.max_upload_bytes = 1000;
    settings.max_json_bytes = 100;
    settings.anonymous = RateLimit{1, 3};
    settings.per_user = RateLimit{1, 5};
    gate_.emplace(router_, jwt_, settings);
  }

  static httplib::Request Request(std::string method, std::string path) {
    httplib::Request req;
    req.method = std::move(method);
    req.path = std::move(path);
    req.remote_addr = "192.0.2.7";
    return req;
  }

  std::string Token(const std::string& user) const {
    auth::Claims claims;
    claims.username = user;
    claims.hospital = "North";
    claims.hospital_id = 1;
    const auto now = std::chrono::system_clock::now();
    claims.issued_at =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    claims.expires_at = claims.issued_at + 600;
    return "Bearer " + jwt_.Issue(claims);
  }

  std::optional<ErrorCode> Refused(const httplib::Request& req) {
    const auto refusal = gate_->Check(req, req.remote_addr);
    return refusal ? std::optional(refusal->error.code()) : std::nullopt;
  }

  httplib::Server server_;
  Router router_;
  auth::JwtCodec jwt_;
  std::optional<RequestGate> gate_;
};

TEST_F(RequestGateTest, MalformedRequestsAreRefusedWhateverTheRoute) {
  auto control = Request("GET", "/api/studies/1.2\n3");
  EXPECT_EQ(Refused(control), ErrorCode::kInvalidInput);
  auto bad_utf8 = Request("GET", "/api/patients/\xc3\x28");
  EXPECT_EQ(Refused(bad_utf8), ErrorCode::kInvalidInput);
  auto overlong = Request("GET", "/api/patients/\xc0\xaf");
  EXPECT_EQ(Refused(overlong), ErrorCode::kInvalidInput);
  auto twice = Request("GET", "/api/studies");
  twice.params.emplace("limit", "1");
  twice.params.emplace("limit", "1000");
  EXPECT_EQ(Refused(twice), ErrorCode::kInvalidInput);
  auto two_tokens = Request("GET", "/api/studies");
  two_tokens.headers.emplace("Authorization", Token("ann"));
  two_tokens.headers.emplace("authorization", Token("bob"));
  EXPECT_EQ(Refused(two_tokens), ErrorCode::kInvalidInput);
  auto chunked = Request("POST", "/api/instances");
  chunked.headers.emplace("Transfer-Encoding", "chunked");
  const auto refusal = gate_->Check(chunked, chunked.remote_addr);
  ASSERT_TRUE(refusal);
  EXPECT_TRUE(refusal->body_unread);
}

TEST_F(RequestGateTest, NonAsciiTextIsFine) {
  auto name = Request("GET", "/api/studies");
  name.params.emplace("patientName", "M\xc3\xbcller^J\xc3\xb6rg");
  name.headers.emplace("Authorization", Token("ann"));
  EXPECT_EQ(Refused(name), std::nullopt);
}

TEST_F(RequestGateTest, BodiesAreRefusedBeforeReadingUnlessTheRouteTakesOne) {
  auto get_with_body = Request("GET", "/api/studies");
  get_with_body.headers.emplace("Authorization", Token("ann"));
  get_with_body.headers.emplace("Content-Length", "10");
  EXPECT_EQ(Refused(get_with_body), ErrorCode::kInvalidInput);

  auto unknown = Request("POST", "/api/nothing-here");
  unknown.headers.emplace("Content-Length", "10");
  const auto refusal = gate_->Check(unknown, unknown.remote_addr);
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->error.code(), ErrorCode::kNotFound);
  EXPECT_TRUE(refusal->body_unread);

  auto too_big = Request("POST", "/api/instances");
  too_big.headers.emplace("Authorization", Token("ann"));
  too_big.headers.emplace("Content-Length", "1001");
  EXPECT_EQ(Refused(too_big), ErrorCode::kPayloadTooLarge);
  auto huge_login = Request("POST", "/api/auth/login");
  huge_login.headers.emplace("Content-Length", "18446744073709551615");
  EXPECT_EQ(Refused(huge_login), ErrorCode::kPayloadTooLarge);

  auto anonymous_upload = Request("POST", "/api/instances");
  anonymous_upload.headers.emplace("Content-Length", "10");
  EXPECT_EQ(Refused(anonymous_upload), ErrorCode::kUnauthenticated);
  auto forged_upload = Request("POST", "/api/instances");
  forged_upload.headers.emplace("Authorization", "Bearer not.a.token");
  forged_upload.headers.emplace("Content-Length", "10");
  EXPECT_EQ(Refused(forged_upload), ErrorCode::kUnauthenticated);

  auto upload = Request("POST", "/api/instances");
  upload.headers.emplace("Authorization", Token("ann"));
  upload.headers.emplace("Content-Length", "1000");
  EXPECT_EQ(Refused(upload), std::nullopt);
}

TEST_F(RequestGateTest, UiFilesPassAndUnknownApiRoutesAre404) {
  EXPECT_EQ(Refused(Request("GET", "/assets/index.js")), std::nullopt);
  EXPECT_EQ(Refused(Request("GET", "/api/nothing-here")), ErrorCode::kNotFound);
  EXPECT_EQ(Refused(Request("DELETE", "/assets/index.js")), ErrorCode::kNotFound);
}

TEST_F(RequestGateTest, CallersWithoutAValidTokenAreThrottledPerAddress) {
  // A burst of three, then 429; health checks are never counted.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Refused(Request("GET", "/api/studies")), std::nullopt);
  const auto refusal = gate_->Check(Request("POST", "/api/auth/login"), "192.0.2.7");
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->error.code(), ErrorCode::kTooManyRequests);
  ASSERT_TRUE(refusal->retry_after);
  EXPECT_GE(refusal->retry_after->count(), 1);
  EXPECT_EQ(Refused(Request("GET", "/api/health")), std::nullopt);
  // Another address has its own bucket; a valid token its user's.
  auto elsewhere = Request("GET", "/api/studies");
  elsewhere.remote_addr = "192.0.2.8";
  EXPECT_EQ(Refused(elsewhere), std::nullopt);
  auto signed_in = Request("GET", "/api/studies");
  signed_in.headers.emplace("Authorization", Token("ann"));
  EXPECT_EQ(Refused(signed_in), std::nullopt);
}

TEST_F(RequestGateTest, TheBucketIsTheClientAddressNotTheConnections) {
  // Through one proxy: each forwarded client has its own bucket, the proxy none.
  const auto login = Request("POST", "/api/auth/login");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(gate_->Check(login, "203.0.113.9"), std::nullopt);
  const auto refusal = gate_->Check(login, "203.0.113.9");
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->error.code(), ErrorCode::kTooManyRequests);
  EXPECT_EQ(gate_->Check(login, "203.0.113.10"), std::nullopt);
  EXPECT_EQ(gate_->Check(login, login.remote_addr), std::nullopt);
}

TEST_F(RequestGateTest, EachUserHasARequestRate) {
  auto ann = Request("GET", "/api/studies");
  ann.headers.emplace("Authorization", Token("ann"));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Refused(ann), std::nullopt) << i;
  EXPECT_EQ(Refused(ann), ErrorCode::kTooManyRequests);
  auto bob = Request("GET", "/api/studies");
  bob.headers.emplace("Authorization", Token("bob"));
  EXPECT_EQ(Refused(bob), std::nullopt);
}

}  // namespace
}  // namespace pacsport::http
