// Shared Key signing of Blob service requests and the azure-blob settings' validation.
// The expected strings were written by hand from Microsoft's documented algorithm (see
// azure_shared_key.h); the expected signature was computed from that string apart
// from this code, with Python's hmac:
//   base64(hmac.new(b"pacsport-test-key-0123456789", string_to_sign, sha256).digest())
#include "delivery/azure_blob_sender.h"

#include <gtest/gtest.h>

#include "delivery/azure_shared_key.h"

namespace pacsport::delivery {
namespace {

const std::string kTestKey = "pacsport-test-key-0123456789";

TEST(AzureSharedKey, PutBlockSignsSortedHeadersTheEncodedPathAndSortedQuery) {
  AzureSignedParts parts;
  parts.method = "PUT";
  parts.account = "devstoreaccount1";
  parts.path = "/devstoreaccount1/exports/job%201/a.zip";
  parts.query = {{"comp", "block"}, {"blockid", "YmxvY2stMDAwMDAx"}};
  parts.headers = {{"X-MS-Version", " 2023-11-03 "},
                   {"Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="},
                   {"x-ms-date", "Thu, 03 Dec 2026 20:00:00 GMT"},
                   {"Expect", ""}};
  parts.content_length = 1048576;
  EXPECT_EQ(SharedKeyStringToSign(parts),
            "PUT\n"
            "\n"                          // Content-Encoding
            "\n"                          // Content-Language
            "1048576\n"                   // Content-Length
            "1B2M2Y8AsgTpgAmY7PhCfg==\n"  // Content-MD5
            "\n\n\n\n\n\n\n"              // Content-Type, Date, If-*, Range
            "x-ms-date:Thu, 03 Dec 2026 20:00:00 GMT\n"
            "x-ms-version:2023-11-03\n"
            "/devstoreaccount1/devstoreaccount1/exports/job%201/a.zip\n"
            "blockid:YmxvY2stMDAwMDAx\n"
            "comp:block");
}

TEST(AzureSharedKey, EmptyBodySignsAnEmptyContentLengthAndRepeatedParametersJoin) {
  AzureSignedParts parts;
  parts.method = "GET";
  parts.account = "myaccount";
  parts.path = "/mycontainer";
  parts.query = {{"restype", "container"}, {"Include", "metadata"}, {"include", "deleted"}};
  EXPECT_EQ(SharedKeyStringToSign(parts),
            "GET\n\n\n\n\n\n\n\n\n\n\n\n"
            "/myaccount/mycontainer\n"
            "include:deleted,metadata\n"
            "restype:container");
}

TEST(AzureSharedKey, SignatureIsHmacSha256OfTheStringUnderTheKey) {
  AzureSignedParts parts;
  parts.method = "GET";
  parts.account = "myaccount";
  parts.path = "/mycontainer";
  parts.query = {{"restype", "container"}, {"comp", "list"}};
  parts.headers = {{"x-ms-version", "2023-11-03"}, {"x-ms-date", "Thu, 03 Dec 2026 20:00:00 GMT"}};
  EXPECT_EQ(SharedKeyAuthorization(parts, kTestKey),
            "Authorization: SharedKey myaccount:WNYjLkbXZJtAqC4iuk0W7XyvhatLYPIGel7hs6cSLLU=");
  parts.headers[0].second = "2021-08-06";
  EXPECT_NE(SharedKeyAuthorization(parts, kTestKey),
            "Authorization: SharedKey myaccount:WNYjLkbXZJtAqC4iuk0W7XyvhatLYPIGel7hs6cSLLU=");
}

TEST(AzureSharedKey, Base64IsStandardPaddedAndStrict) {
  EXPECT_EQ(Base64Encode(kTestKey), "cGFjc3BvcnQtdGVzdC1rZXktMDEyMzQ1Njc4OQ==");
  EXPECT_EQ(Base64Decode("cGFjc3BvcnQtdGVzdC1rZXktMDEyMzQ1Njc4OQ=="), kTestKey);
  EXPECT_EQ(Base64Decode(""), "");
  EXPECT_EQ(Base64Decode("/+8="), "\xff\xef");
  for (const char* bad : {"cGFjc3BvcnQ", "cGFj c3Bv", "-_8=", "/+9=", "a===", "=aaa"}) {
    EXPECT_FALSE(Base64Decode(bad).has_value()) << bad;
  }
}

TEST(AzureSharedKey, HttpDateIsRfc1123InGmt) {
  EXPECT_EQ(HttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(HttpDate(1796328000), "Thu, 03 Dec 2026 20:00:00 GMT");
}

nlohmann::json ValidSettings() {
  return {{"endpoint", "http://127.0.0.1:10000/devstoreaccount1"},
          {"account", "devstoreaccount1"},
          {"container", "exports"}};
}
const nlohmann::json kKey = {{"accountKey", "cGFjc3BvcnQtdGVzdC1rZXktMDEyMzQ1Njc4OQ=="}};

// The message of MakeAzureBlobSender's kInvalidInput, or "ok".
std::string Refusal(const nlohmann::json& settings, const nlohmann::json& secrets) {
  auto sender = MakeAzureBlobSender(settings, secrets, SenderContext{});
  if (sender.ok()) return "ok";
  EXPECT_EQ(sender.error().code(), ErrorCode::kInvalidInput);
  return sender.error().message();
}

TEST(AzureBlobSettings, AcceptsEitherCredentialAndEveryOptionalKey) {
  EXPECT_EQ(Refusal(ValidSettings(), kKey), "ok");
  nlohmann::json settings = ValidSettings();
  settings["prefix"] = "pacs/";
  settings["blockSizeMiB"] = 4000;
  settings["endpoint"] = "https://myaccount.blob.core.windows.net/";
  EXPECT_EQ(Refusal(settings, kKey), "ok");
  settings.erase("account");
  EXPECT_EQ(Refusal(settings, {{"sasToken", "?sv=2023-11-03&sr=c&sp=cwdl&sig=abc%2B"}}), "ok");
}

TEST(AzureBlobSettings, RefusesBadSettingsNamingTheKey) {
  const auto with = [](const char* key, nlohmann::json value) {
    nlohmann::json settings = ValidSettings();
    if (value.is_null()) {
      settings.erase(key);
    } else {
      settings[key] = value;
    }
    return Refusal(settings, kKey);
  };
  EXPECT_EQ(with("container", nullptr), "settings.container is required");
  for (const char* name : {"ab", "Exports", "ex--ports", "-exports", "exports-", "ex_ports",
                           "a123456789012345678901234567890123456789012345678901234567890123"}) {
    EXPECT_NE(with("container", name).find("settings.container must be 3 to 63"), std::string::npos)
        << name;
  }
  EXPECT_EQ(with("endpoint", nullptr), "settings.endpoint is required");
  for (const char* endpoint :
       {"ftp://host", "http://host/?sv=1", "127.0.0.1:10000", "http://u@host"}) {
    EXPECT_NE(with("endpoint", endpoint).find("settings.endpoint must be"), std::string::npos)
        << endpoint;
  }
  EXPECT_NE(with("blockSizeMiB", 0).find("settings.blockSizeMiB must be an integer from 1 to 4000"),
            std::string::npos);
  EXPECT_NE(with("blockSizeMiB", 4001).find("settings.blockSizeMiB"), std::string::npos);
  EXPECT_NE(with("account", "Dev_Account").find("settings.account"), std::string::npos);
  EXPECT_EQ(with("bucket", "x"), "settings.bucket is not a known key");
}

TEST(AzureBlobSettings, RefusesBadSecretsWithoutQuotingThem) {
  const std::string neither_or_both =
      "secrets.accountKey or secrets.sasToken is required, not both";
  EXPECT_EQ(Refusal(ValidSettings(), nlohmann::json::object()), neither_or_both);
  EXPECT_EQ(
      Refusal(ValidSettings(), {{"accountKey", kKey["accountKey"]}, {"sasToken", "sv=1&sig=x"}}),
      neither_or_both);
  const std::string bad_key = Refusal(ValidSettings(), {{"accountKey", "not base64!"}});
  EXPECT_EQ(bad_key, "secrets.accountKey must be the account's base64 key");
  nlohmann::json no_account = ValidSettings();
  no_account.erase("account");
  EXPECT_EQ(Refusal(no_account, kKey), "secrets.accountKey needs settings.account");
  EXPECT_EQ(Refusal(ValidSettings(), {{"sasToken", "sv=2023-11-03&sp=cw"}}),
            "secrets.sasToken must be a shared access signature query string (with sig=)");
  EXPECT_EQ(Refusal(ValidSettings(), {{"accountKey", kKey["accountKey"]}, {"password", "x"}}),
            "secrets.password is not a known key");
}

}  // namespace
}  // namespace pacsport::delivery
