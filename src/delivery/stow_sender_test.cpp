// The dicomweb destination's settings and secrets: every documented key accepted, any
// other refused naming it (its sending is tested against a real Orthanc in
// tests/integration/test_push_dicomweb.py).
#include "delivery/stow_sender.h"

#include <gtest/gtest.h>

namespace pacsport::delivery {
namespace {

// The message of MakeStowSender's kInvalidInput, or "ok".
std::string Refusal(const nlohmann::json& settings, const nlohmann::json& secrets) {
  auto sender = MakeStowSender(settings, secrets, SenderContext{});
  if (sender.ok()) return "ok";
  EXPECT_EQ(sender.error().code(), ErrorCode::kInvalidInput);
  return sender.error().message();
}

const nlohmann::json kUrl = {{"url", "http://127.0.0.1:8042/dicom-web/"}};

TEST(StowSettings, AcceptsEveryDocumentedKeyAndNamesThePeerWithoutItsSecrets) {
  EXPECT_EQ(Refusal(kUrl, nlohmann::json::object()), "ok");
  EXPECT_EQ(Refusal({{"url", "https://pacs.example.org/dicomweb"},
                     {"auth", "basic"},
                     {"batchInstances", 1000},
                     {"batchBytes", 1}},
                    {{"username", "pacsport"}, {"password", "s3cret:with colon"}}),
            "ok");
  EXPECT_EQ(Refusal({{"url", "https://pacs.example.org/"}, {"auth", "bearer"}},
                    {{"token", "eyJhbGciOi.J9"}}),
            "ok");
  auto sender = MakeStowSender({{"url", "http://127.0.0.1:8042/dicom-web/"}, {"auth", "basic"}},
                               {{"username", "u"}, {"password", "the-password"}}, SenderContext{});
  ASSERT_TRUE(sender.ok());
  EXPECT_EQ((*sender)->Where().dump(),
            R"({"kind":"dicomweb","url":"http://127.0.0.1:8042/dicom-web"})");
}

TEST(StowSettings, RefusesBadSettingsNamingTheKey) {
  const auto with = [](const char* key, nlohmann::json value) {
    nlohmann::json settings = kUrl;
    if (value.is_null()) {
      settings.erase(key);
    } else {
      settings[key] = value;
    }
    return Refusal(settings, nlohmann::json::object());
  };
  EXPECT_EQ(with("url", nullptr), "settings.url is required");
  EXPECT_EQ(with("url", 8042), "settings.url must be a string");
  for (const char* url :
       {"ftp://pacs/dicom-web", "pacs:8042/dicom-web", "http://user:secret@pacs/dicom-web",
        "http://pacs/dicom-web?x=1", "http://pacs/dicom web"}) {
    EXPECT_EQ(with("url", url),
              "settings.url must be an http:// or https:// URL without credentials, query or "
              "fragment")
        << url;
  }
  EXPECT_EQ(with("auth", "digest"), "settings.auth must be \"none\", \"basic\" or \"bearer\"");
  EXPECT_EQ(with("batchInstances", 0), "settings.batchInstances must be an integer from 1 to 1000");
  EXPECT_EQ(with("batchInstances", 1001),
            "settings.batchInstances must be an integer from 1 to 1000");
  EXPECT_EQ(with("batchBytes", 0), "settings.batchBytes must be an integer from 1 to 1073741824");
  EXPECT_EQ(with("batchSize", 10), "settings.batchSize is not a known key");
  EXPECT_EQ(Refusal("http://pacs", nlohmann::json::object()), "settings must be a JSON object");
}

TEST(StowSettings, SecretsAreExactlyThoseTheAuthNeeds) {
  const nlohmann::json basic = {{"url", "http://pacs/dicom-web"}, {"auth", "basic"}};
  const nlohmann::json bearer = {{"url", "http://pacs/dicom-web"}, {"auth", "bearer"}};
  EXPECT_EQ(Refusal(basic, {{"username", "u"}}), "secrets.password is required");
  EXPECT_EQ(Refusal(basic, {{"password", "p"}}), "secrets.username is required");
  EXPECT_EQ(Refusal(basic, {{"username", "a:b"}, {"password", "p"}}),
            "secrets.username must not contain ':' (HTTP basic authentication)");
  EXPECT_EQ(Refusal(basic, {{"username", "u"}, {"password", "p"}, {"token", "t"}}),
            "secrets.token is not a known key");
  EXPECT_EQ(Refusal(bearer, nlohmann::json::object()), "secrets.token is required");
  EXPECT_EQ(Refusal(bearer, {{"token", "a\r\nX-Injected: 1"}}),
            "secrets.token must not contain spaces or line breaks");
  EXPECT_EQ(Refusal(kUrl, {{"password", "p"}}), "secrets.password is not a known key");
}

}  // namespace
}  // namespace pacsport::delivery
