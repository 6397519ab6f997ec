#include "auth/jwt.h"

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/base64url.h"

namespace pacsport::auth {
namespace {

using nlohmann::json;
using std::chrono::seconds;

const std::string kSecret = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz";
constexpr std::int64_t kNowSeconds = 1'800'000'000;
const SystemTime kNow{seconds(kNowSeconds)};

// base64url written here with OpenSSL, independent of the code under test.
std::string TestBase64Url(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  std::replace(out.begin(), out.end(), '+', '-');
  std::replace(out.begin(), out.end(), '/', '_');
  out.erase(out.find_last_not_of('=') + 1);
  return out;
}

std::string TestHmac(const EVP_MD* md, std::string_view key, std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(md, key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &length);
  return std::string(reinterpret_cast<const char*>(mac), length);
}

// A real token built by hand: raw header and payload text, HMAC with `md` under `key`.
std::string HandToken(std::string_view header, std::string_view payload,
                      std::string_view key = kSecret, const EVP_MD* md = EVP_sha256()) {
  const std::string input = TestBase64Url(header) + "." + TestBase64Url(payload);
  return input + "." + TestBase64Url(TestHmac(md, key, input));
}

const seconds kMaxLifetime = std::chrono::hours(8);

json ValidPayload() {
  return {{"sub", "alice"},      {"hospital", "St. Mary"}, {"hid", 7},
          {"role", "user"},      {"iat", kNowSeconds - 60}, {"exp", kNowSeconds + 3600},
          {"jti", "token-1"}};
}

const std::string kHeader = R"({"alg":"HS256","typ":"JWT"})";

std::string SignedPayload(const json& payload) { return HandToken(kHeader, payload.dump()); }

void ExpectRejected(const Result<Claims>& result, std::string_view reason) {
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code(), ErrorCode::kUnauthenticated);
  EXPECT_NE(result.error().message().find(reason), std::string::npos)
      << "reason was: " << result.error().message();
}

std::vector<std::string> Split(const std::string& token) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = token.find('.', start)) != std::string::npos; start = dot + 1) {
    parts.push_back(token.substr(start, dot - start));
  }
  parts.push_back(token.substr(start));
  return parts;
}

// Runs testdata/jwt_hs256.py (Python's hmac/base64/json) with inputs in the environment.
struct PythonResult {
  int exit_code;
  std::string output;
};
PythonResult RunPython(const std::string& mode, const std::string& secret,
                       const std::string& payload, const std::string& token) {
  setenv("JWT_MODE", mode.c_str(), 1);
  setenv("JWT_SECRET", secret.c_str(), 1);
  setenv("JWT_PAYLOAD", payload.c_str(), 1);
  setenv("JWT_TOKEN", token.c_str(), 1);
  const char* root = std::getenv("PACSPORT_SOURCE_DIR");
  const std::string command = "/usr/bin/python3 " + std::string(root ? root : ".") +
                              "/src/auth/testdata/jwt_hs256.py";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed");
  std::string output;
  char buffer[512];
  for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) output.append(buffer, n);
  const int status = pclose(pipe);
  while (!output.empty() && output.back() == '\n') output.pop_back();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

TEST(JwtCodecTest, RoundTripKeepsEveryClaim) {
  const JwtCodec codec(kSecret, kMaxLifetime);
  const Claims claims{.username = "bob",
                      .hospital = "Hôpital Nord",
                      .hospital_id = 42,
                      .role = Role::kAdmin,
                      .issued_at = kNowSeconds,
                      .expires_at = kNowSeconds + 900,
                      .token_id = "abc"};
  const Result<Claims> verified = codec.Verify(codec.Issue(claims), kNow);
  ASSERT_TRUE(verified.ok()) << verified.error().message();
  EXPECT_EQ(verified->username, "bob");
  EXPECT_EQ(verified->hospital, "Hôpital Nord");
  EXPECT_EQ(verified->hospital_id, 42);
  EXPECT_EQ(verified->role, Role::kAdmin);
  EXPECT_EQ(verified->issued_at, kNowSeconds);
  EXPECT_EQ(verified->expires_at, kNowSeconds + 900);
  EXPECT_EQ(verified->token_id, "abc");

  const Principal principal = ToPrincipal(*verified);
  EXPECT_EQ(principal.username, "bob");
  EXPECT_EQ(principal.hospital_id, 42);
  EXPECT_EQ(principal.hospital_name, "Hôpital Nord");
  EXPECT_EQ(principal.role, Role::kAdmin);
}

TEST(JwtCodecTest, IssueDrawsARandomTokenIdWhenEmpty) {
  const JwtCodec codec(kSecret, kMaxLifetime);
  const Claims claims{.username = "bob", .hospital = "H", .hospital_id = 1, .role = Role::kAi,
                      .issued_at = kNowSeconds, .expires_at = kNowSeconds + 60, .token_id = ""};
  const Result<Claims> first = codec.Verify(codec.Issue(claims), kNow);
  const Result<Claims> second = codec.Verify(codec.Issue(claims), kNow);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->role, Role::kAi);
  EXPECT_GE(first->token_id.size(), 22u);  // 16 random bytes
  EXPECT_NE(first->token_id, second->token_id);
}

TEST(JwtCodecTest, IssueRefusesIncompleteClaims) {
  const JwtCodec codec(kSecret, kMaxLifetime);
  const Claims good{.username = "bob", .hospital = "H", .hospital_id = 1, .role = Role::kUser,
                    .issued_at = kNowSeconds, .expires_at = kNowSeconds + 60, .token_id = ""};
  Claims no_user = good;
  no_user.username.clear();
  Claims no_hospital_id = good;
  no_hospital_id.hospital_id = 0;
  Claims expired_at_birth = good;
  expired_at_birth.expires_at = good.issued_at;
  Claims bad_utf8 = good;
  bad_utf8.hospital = "\xff\xfe";
  for (const Claims& claims : {no_user, no_hospital_id, expired_at_birth, bad_utf8}) {
    try {
      (void)codec.Issue(claims);
      ADD_FAILURE() << "Issue accepted incomplete claims";
    } catch (const ErrorException& e) {
      EXPECT_EQ(e.error().code(), ErrorCode::kInternal);
    }
  }
}

TEST(JwtCodecTest, ConstructorRefusesWeakConfiguration) {
  EXPECT_THROW(JwtCodec(std::string(31, 'k'), kMaxLifetime), std::invalid_argument);
  EXPECT_THROW(JwtCodec("", kMaxLifetime), std::invalid_argument);
  EXPECT_NO_THROW(JwtCodec(std::string(32, 'k'), kMaxLifetime));
  EXPECT_THROW(JwtCodec(kSecret, kMaxLifetime, seconds(-1)), std::invalid_argument);
  EXPECT_THROW(JwtCodec(kSecret, kMaxLifetime, seconds(3601)), std::invalid_argument);
  EXPECT_THROW(JwtCodec(kSecret, seconds(0)), std::invalid_argument);
}

TEST(JwtCodecTest, AcceptsAnIndependentlySignedToken) {
  // The control for every forgery below: the same hand-built path, honestly signed.
  const Result<Claims> verified =
      JwtCodec(kSecret, kMaxLifetime).Verify(SignedPayload(ValidPayload()), kNow);
  ASSERT_TRUE(verified.ok()) << verified.error().message();
  EXPECT_EQ(verified->username, "alice");
  EXPECT_EQ(verified->hospital, "St. Mary");
  EXPECT_EQ(verified->hospital_id, 7);
  EXPECT_EQ(verified->role, Role::kUser);
  EXPECT_EQ(verified->token_id, "token-1");
}

TEST(JwtCodecTest, AcceptsATokenWithoutJti) {
  json payload = ValidPayload();
  payload.erase("jti");
  const Result<Claims> verified =
      JwtCodec(kSecret, kMaxLifetime).Verify(SignedPayload(payload), kNow);
  ASSERT_TRUE(verified.ok()) << verified.error().message();
  EXPECT_EQ(verified->token_id, "");
}

TEST(JwtCodecTest, RejectsATokenWithoutIat) {
  // Without iat nothing bounds how long the token was meant to live.
  json payload = ValidPayload();
  payload.erase("iat");
  ExpectRejected(JwtCodec(kSecret, kMaxLifetime).Verify(SignedPayload(payload), kNow), "iat");
}

TEST(JwtCodecTest, RejectsALifetimeBeyondTheMaximumWhateverTheTokenClaims) {
  const JwtCodec codec(kSecret, seconds(3600), seconds(30));
  auto with_lifetime = [](std::int64_t issued_at, std::int64_t lifetime) {
    json payload = ValidPayload();
    payload["iat"] = issued_at;
    payload["exp"] = issued_at + lifetime;
    return SignedPayload(payload);
  };
  EXPECT_TRUE(codec.Verify(with_lifetime(kNowSeconds, 3600), kNow).ok());
  EXPECT_TRUE(codec.Verify(with_lifetime(kNowSeconds - 3000, 3600), kNow).ok());
  ExpectRejected(codec.Verify(with_lifetime(kNowSeconds, 3601), kNow), "lifetime");
  ExpectRejected(codec.Verify(with_lifetime(kNowSeconds - 60, 365 * 86400), kNow), "lifetime");
  // An old iat cannot buy a long exp, and extreme values do not overflow.
  ExpectRejected(
      codec.Verify(with_lifetime(std::numeric_limits<std::int64_t>::min() / 2,
                                 std::numeric_limits<std::int64_t>::max() / 2 + kNowSeconds),
                   kNow),
      "lifetime");
  json payload = ValidPayload();
  payload["iat"] = std::numeric_limits<std::int64_t>::min();
  ExpectRejected(codec.Verify(SignedPayload(payload), kNow), "lifetime");
}

TEST(JwtCodecTest, IssueRefusesALifetimeBeyondTheMaximum) {
  const JwtCodec codec(kSecret, seconds(3600));
  Claims claims{.username = "bob",
                .hospital = "H",
                .hospital_id = 1,
                .role = Role::kUser,
                .issued_at = kNowSeconds,
                .expires_at = kNowSeconds + 3600,
                .token_id = ""};
  EXPECT_TRUE(codec.Verify(codec.Issue(claims), kNow).ok());
  claims.expires_at += 1;
  try {
    (void)codec.Issue(claims);
    ADD_FAILURE() << "Issue accepted a lifetime beyond the maximum";
  } catch (const ErrorException& e) {
    EXPECT_EQ(e.error().code(), ErrorCode::kInternal);
  }
}

TEST(JwtCodecTest, InteropAcceptsPythonSignedToken) {
  const json payload = ValidPayload();
  const PythonResult python = RunPython("sign", kSecret, payload.dump(), "");
  ASSERT_EQ(python.exit_code, 0) << python.output;
  EXPECT_NE(python.output.find('.'), std::string::npos);
  const Result<Claims> verified = JwtCodec(kSecret, kMaxLifetime).Verify(python.output, kNow);
  ASSERT_TRUE(verified.ok()) << verified.error().message();
  EXPECT_EQ(verified->username, "alice");
  EXPECT_EQ(verified->hospital_id, 7);
  // And the same Python token under another key is refused.
  ExpectRejected(JwtCodec(kSecret + "x", kMaxLifetime).Verify(python.output, kNow), "signature");
}

TEST(JwtCodecTest, InteropPythonVerifiesOurToken) {
  const JwtCodec codec(kSecret, kMaxLifetime);
  const Claims claims{.username = "carol", .hospital = "H", .hospital_id = 3,
                      .role = Role::kUser, .issued_at = kNowSeconds,
                      .expires_at = kNowSeconds + 60, .token_id = "jti-9"};
  const std::string token = codec.Issue(claims);
  const PythonResult python = RunPython("verify", kSecret, "", token);
  ASSERT_EQ(python.exit_code, 0) << python.output;
  const json payload = json::parse(python.output);
  EXPECT_EQ(payload["sub"], "carol");
  EXPECT_EQ(payload["hid"], 3);
  EXPECT_EQ(payload["role"], "user");
  EXPECT_EQ(payload["exp"], kNowSeconds + 60);
  EXPECT_EQ(payload["jti"], "jti-9");
  EXPECT_EQ(RunPython("verify", kSecret + "x", "", token).exit_code, 1);
}

TEST(JwtCodecTest, RejectsAlgNone) {
  const JwtCodec codec(kSecret, kMaxLifetime);
  const std::string payload = TestBase64Url(ValidPayload().dump());
  ExpectRejected(codec.Verify(TestBase64Url(R"({"alg":"none","typ":"JWT"})") + "." + payload +
                                  ".",
                              kNow),
                 "algorithm");
  // alg "none" with a valid HS256 signature over the same input is still refused.
  ExpectRejected(codec.Verify(HandToken(R"({"alg":"none"})", ValidPayload().dump()), kNow),
                 "algorithm");
  // An HS256 header with the signature stripped.
  ExpectRejected(codec.Verify(TestBase64Url(kHeader) + "." + payload + ".", kNow), "signature");
}

TEST(JwtCodecTest, RejectsOtherAlgorithmsAndMissingAlg) {
  const JwtCodec codec(kSecret, kMaxLifetime);
  const std::string payload = ValidPayload().dump();
  for (const char* header :
       {R"({"alg":"hs256"})", R"({"alg":"Hs256"})", R"({"alg":"HS256 "})", R"({"alg":"RS256"})",
        R"({"alg":"HS512"})", R"({"alg":"ES256"})", R"({"typ":"JWT"})", R"({"alg":256})",
        R"({"alg":null})", R"({"alg":["HS256"]})"}) {
    SCOPED_TRACE(header);
    ExpectRejected(codec.Verify(HandToken(header, payload), kNow), "algorithm");
  }
}

TEST(JwtCodecTest, RejectsHs512BySameKey) {
  const JwtCodec codec(kSecret, kMaxLifetime);
  const std::string payload = ValidPayload().dump();
  ExpectRejected(codec.Verify(HandToken(R"({"alg":"HS512","typ":"JWT"})", payload, kSecret,
                                        EVP_sha512()),
                              kNow),
                 "algorithm");
  // An HS512 signature under a header that claims HS256.
  ExpectRejected(codec.Verify(HandToken(kHeader, payload, kSecret, EVP_sha512()), kNow),
                 "signature");
}

TEST(JwtCodecTest, RejectsCriticalHeader) {
  ExpectRejected(
      JwtCodec(kSecret, kMaxLifetime)
          .Verify(HandToken(R"({"alg":"HS256","crit":["exp"],"exp":1})", ValidPayload().dump()),
                  kNow),
      "critical");
}

TEST(JwtCodecTest, RejectsWrongKey) {
  ExpectRejected(JwtCodec(kSecret, kMaxLifetime)
                     .Verify(HandToken(kHeader, ValidPayload().dump(), std::string(40, 'w')), kNow),
                 "signature");
}

TEST(JwtCodecTest, RejectsTamperedPayload) {
  const JwtCodec codec(kSecret, kMaxLifetime);
  const std::vector<std::string> parts = Split(SignedPayload(ValidPayload()));
  json escalated = ValidPayload();
  escalated["role"] = "admin";
  const std::string tampered = parts[0] + "." + TestBase64Url(escalated.dump()) + "." + parts[2];
  ExpectRejected(codec.Verify(tampered, kNow), "signature");
  json other_hospital = ValidPayload();
  other_hospital["hid"] = 8;
  ExpectRejected(
      codec.Verify(parts[0] + "." + TestBase64Url(other_hospital.dump()) + "." + parts[2], kNow),
      "signature");
}

TEST(JwtCodecTest, RejectsTamperedHeader) {
  const std::vector<std::string> parts = Split(SignedPayload(ValidPayload()));
  const std::string header = TestBase64Url(R"({"alg":"HS256","typ":"JWT","kid":"1"})");
  ExpectRejected(
      JwtCodec(kSecret, kMaxLifetime).Verify(header + "." + parts[1] + "." + parts[2], kNow),
      "signature");
}

TEST(JwtCodecTest, RejectsWrongSegmentCount) {
  const JwtCodec codec(kSecret, kMaxLifetime);
  const std::string token = SignedPayload(ValidPayload());
  const std::vector<std::string> parts = Split(token);
  for (const std::string& bad :
       {std::string(), std::string("."), std::string(".."), std::string("..."),
        parts[0] + "." + parts[1], token + ".", token + "." + parts[2], "." + token,
        parts[0] + "." + parts[1] + "." + parts[1] + "." + parts[2]}) {
    SCOPED_TRACE(bad);
    ExpectRejected(codec.Verify(bad, kNow), "malformed");
  }
}

TEST(JwtCodecTest, RejectsGarbageBase64) {
  const JwtCodec codec(kSecret, kMaxLifetime);
  const std::string token = SignedPayload(ValidPayload());
  const std::vector<std::string> parts = Split(token);
  for (const std::string& bad :
       {std::string("!!!.@@@.###"), "e30=." + parts[1] + "." + parts[2],
        parts[0] + "." + parts[1] + "." + parts[2] + "=",
        parts[0] + " ." + parts[1] + "." + parts[2],
        parts[0] + "." + parts[1] + "." + parts[2] + "AA",  // 45 chars: 1 mod 4
        "e+J." + parts[1] + "." + parts[2], parts[0] + "." + parts[1] + "." + parts[2] + "/"}) {
    SCOPED_TRACE(bad);
    ExpectRejected(codec.Verify(bad, kNow), "malformed");
  }
}

TEST(JwtCodecTest, RejectsNonCanonicalSignatureEncoding) {
  // 32 signature bytes take 43 characters whose last one has 2 unused bits; a lenient
  // decoder maps both spellings to the same bytes, a strict one accepts only one.
  const std::string token = SignedPayload(ValidPayload());
  std::string twin = token;
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  twin.back() = alphabet[alphabet.find(twin.back()) ^ 1];
  ASSERT_NE(twin, token);
  ASSERT_TRUE(JwtCodec(kSecret, kMaxLifetime).Verify(token, kNow).ok());
  ExpectRejected(JwtCodec(kSecret, kMaxLifetime).Verify(twin, kNow), "malformed");
}

TEST(JwtCodecTest, RejectsNonObjectJsonEvenWhenSigned) {
  const JwtCodec codec(kSecret, kMaxLifetime);
  ExpectRejected(codec.Verify(HandToken("[]", ValidPayload().dump()), kNow), "header");
  ExpectRejected(codec.Verify(HandToken(R"("HS256")", ValidPayload().dump()), kNow), "header");
  ExpectRejected(codec.Verify(HandToken(R"({"alg":"HS256")", ValidPayload().dump()), kNow),
                 "header");
  ExpectRejected(codec.Verify(HandToken(kHeader, R"(["sub"])"), kNow), "payload");
  ExpectRejected(codec.Verify(HandToken(kHeader, R"({"sub":"alice",)"), kNow), "payload");
  ExpectRejected(codec.Verify(HandToken(kHeader, "\xff\xfe{}"), kNow), "payload");
}

TEST(JwtCodecTest, ExpiryHonoursLeeway) {
  const JwtCodec codec(kSecret, kMaxLifetime, seconds(30));
  auto with_exp = [](std::int64_t exp) {
    json payload = ValidPayload();
    payload["exp"] = exp;
    return SignedPayload(payload);
  };
  ExpectRejected(codec.Verify(with_exp(kNowSeconds - 31), kNow), "expired");
  ExpectRejected(codec.Verify(with_exp(kNowSeconds - 86400), kNow), "expired");
  ExpectRejected(codec.Verify(with_exp(std::numeric_limits<std::int64_t>::min()), kNow),
                 "expired");
  EXPECT_TRUE(codec.Verify(with_exp(kNowSeconds - 30), kNow).ok());
  EXPECT_TRUE(codec.Verify(with_exp(kNowSeconds - 1), kNow).ok());
  ExpectRejected(codec.Verify(with_exp(std::numeric_limits<std::int64_t>::max()), kNow),
                 "lifetime");
  // Without leeway, one second late is too late.
  ExpectRejected(
      JwtCodec(kSecret, kMaxLifetime, seconds(0)).Verify(with_exp(kNowSeconds - 1), kNow),
      "expired");
  // The same token, verified at different times.
  const std::string token = with_exp(kNowSeconds);
  EXPECT_TRUE(codec.Verify(token, kNow + seconds(30)).ok());
  ExpectRejected(codec.Verify(token, kNow + seconds(31)), "expired");
}

TEST(JwtCodecTest, RejectsMissingOrNonIntegerExp) {
  const JwtCodec codec(kSecret, kMaxLifetime);
  json missing = ValidPayload();
  missing.erase("exp");
  ExpectRejected(codec.Verify(SignedPayload(missing), kNow), "exp");
  for (const json& exp : {json(std::to_string(kNowSeconds + 3600)), json(kNowSeconds + 3600.5),
                          json(1.9e9), json(true), json(nullptr), json::array({kNowSeconds}),
                          json(std::numeric_limits<std::uint64_t>::max())}) {
    SCOPED_TRACE(exp.dump());
    json payload = ValidPayload();
    payload["exp"] = exp;
    ExpectRejected(codec.Verify(SignedPayload(payload), kNow), "exp");
  }
}

TEST(JwtCodecTest, RejectsTokensFromTheFuture) {
  const JwtCodec codec(kSecret, kMaxLifetime, seconds(30));
  auto with = [](const char* key, json value) {
    json payload = ValidPayload();
    payload[key] = std::move(value);
    return SignedPayload(payload);
  };
  ExpectRejected(codec.Verify(with("nbf", kNowSeconds + 31), kNow), "not yet valid");
  ExpectRejected(codec.Verify(with("iat", kNowSeconds + 31), kNow), "not yet valid");
  ExpectRejected(codec.Verify(with("iat", std::numeric_limits<std::int64_t>::max()), kNow),
                 "not yet valid");
  EXPECT_TRUE(codec.Verify(with("nbf", kNowSeconds + 30), kNow).ok());
  EXPECT_TRUE(codec.Verify(with("iat", kNowSeconds + 30), kNow).ok());
  EXPECT_TRUE(codec.Verify(with("nbf", kNowSeconds - 100), kNow).ok());
  ExpectRejected(codec.Verify(with("nbf", "soon"), kNow), "nbf");
  ExpectRejected(codec.Verify(with("iat", 1.5), kNow), "iat");
}

TEST(JwtCodecTest, RejectsMissingOrInvalidIdentityClaims) {
  const JwtCodec codec(kSecret, kMaxLifetime);
  for (const char* key : {"sub", "hospital", "hid", "role"}) {
    SCOPED_TRACE(key);
    json payload = ValidPayload();
    payload.erase(key);
    ExpectRejected(codec.Verify(SignedPayload(payload), kNow), "identity");
  }
  const std::vector<std::pair<const char*, json>> invalid = {
      {"sub", ""},          {"sub", 5},      {"hospital", ""},     {"hospital", json::array()},
      {"hid", "7"},         {"hid", 7.0},    {"hid", 0},           {"hid", -7},
      {"role", "Admin"},    {"role", "root"}, {"role", ""},        {"role", 1}};
  for (const auto& [key, value] : invalid) {
    SCOPED_TRACE(std::string(key) + "=" + value.dump());
    json payload = ValidPayload();
    payload[key] = value;
    ExpectRejected(codec.Verify(SignedPayload(payload), kNow), "identity");
  }
  json payload = ValidPayload();
  payload["jti"] = 12;
  ExpectRejected(codec.Verify(SignedPayload(payload), kNow), "jti");
}

TEST(JwtCodecTest, RejectsOversizedToken) {
  json payload = ValidPayload();
  payload["padding"] = std::string(9000, 'x');
  const std::string token = SignedPayload(payload);
  ExpectRejected(JwtCodec(kSecret, kMaxLifetime).Verify(token, kNow), "too long");
}

TEST(GenerateSecretTest, ThirtyTwoRandomBytesInBase64Url) {
  const std::string first = GenerateSecret();
  const std::string second = GenerateSecret();
  EXPECT_EQ(first.size(), 43u);
  EXPECT_NE(first, second);
  const std::optional<std::string> raw = Base64UrlDecode(first);
  ASSERT_TRUE(raw.has_value());
  EXPECT_EQ(raw->size(), 32u);
  const JwtCodec codec(first, kMaxLifetime);
  const Claims claims{.username = "demo", .hospital = "Demo", .hospital_id = 1,
                      .role = Role::kAdmin, .issued_at = kNowSeconds,
                      .expires_at = kNowSeconds + 60, .token_id = ""};
  EXPECT_TRUE(codec.Verify(codec.Issue(claims), kNow).ok());
  ExpectRejected(JwtCodec(second, kMaxLifetime).Verify(codec.Issue(claims), kNow), "signature");
}

}  // namespace
}  // namespace pacsport::auth
