#include "delivery/settings_reader.h"

#include <gtest/gtest.h>

#include "delivery/retry.h"

namespace pacsport::delivery {
namespace {

using json = nlohmann::json;

TEST(SettingsReaderTest, ReadsKnownKeysAndRefusesUnknownOnes) {
  const json settings = {{"bucket", "b"}, {"partSizeMiB", 16}, {"to", {"a@x", "b@x"}},
                         {"virtual", true}};
  SettingsReader reader(settings, "settings");
  EXPECT_EQ(reader.RequiredString("bucket"), "b");
  EXPECT_EQ(reader.TakeInt("partSizeMiB", 5, 5120), 16);
  EXPECT_EQ(reader.TakeStrings("to")->size(), 2u);
  EXPECT_EQ(reader.TakeBool("virtual"), true);
  EXPECT_FALSE(reader.TakeString("prefix").has_value());
  EXPECT_TRUE(reader.Finish().ok());

  SettingsReader partial(settings, "settings");
  partial.RequiredString("bucket");
  const Status unread = partial.Finish();
  ASSERT_FALSE(unread.ok());
  EXPECT_EQ(unread.error().code(), ErrorCode::kInvalidInput);
  EXPECT_NE(unread.error().message().find("settings."), std::string::npos);
}

TEST(SettingsReaderTest, NamesTheFirstBadKey) {
  const json settings = {{"bucket", 3}, {"partSizeMiB", 4}, {"to", json::array()}};
  SettingsReader reader(settings, "settings");
  reader.TakeString("bucket");
  reader.TakeInt("partSizeMiB", 5, 5120);
  reader.TakeStrings("to");
  EXPECT_EQ(reader.Finish().error().message(), "settings.bucket must be a string");

  SettingsReader range(settings, "settings");
  range.TakeInt("partSizeMiB", 5, 5120);
  range.TakeString("bucket");
  range.TakeStrings("to");
  EXPECT_EQ(range.Finish().error().message(),
            "settings.partSizeMiB must be an integer from 5 to 5120");

  SettingsReader missing(json::object(), "secrets");
  missing.RequiredString("secretAccessKey");
  EXPECT_EQ(missing.Finish().error().message(), "secrets.secretAccessKey is required");

  SettingsReader not_object(json::array(), "settings");
  EXPECT_EQ(not_object.Finish().error().message(), "settings must be a JSON object");
}

TEST(RetryTest, RetriesOnlyWhatMayPassAndStopsWhenAsked) {
  const RetryPolicy quick{4, std::chrono::milliseconds(1), std::chrono::milliseconds(4)};
  std::stop_source stop;
  int calls = 0;
  Status outcome = Retry(quick, stop.get_token(), [&] {
    ++calls;
    return Status(Unavailable("down"));
  });
  EXPECT_FALSE(outcome.ok());
  EXPECT_EQ(calls, 4);

  calls = 0;
  outcome = Retry(quick, stop.get_token(), [&] {
    ++calls;
    return Status(Forbidden("bad key"));
  });
  EXPECT_EQ(calls, 1);

  calls = 0;
  auto value = Retry(quick, stop.get_token(), [&]() -> Result<int> {
    if (++calls < 3) return Unavailable("down");
    return 42;
  });
  EXPECT_EQ(*value, 42);

  calls = 0;
  stop.request_stop();
  outcome = Retry(quick, stop.get_token(), [&] {
    ++calls;
    return Status(Unavailable("down"));
  });
  EXPECT_EQ(calls, 1);
}

TEST(RetryTest, PausesGrowWithinTheirBoundsAndJitter) {
  const RetryPolicy policy{10, std::chrono::milliseconds(100), std::chrono::milliseconds(800)};
  for (int retry = 1; retry <= 8; ++retry) {
    const auto base = std::min(std::chrono::milliseconds(100 << (retry - 1)), policy.max_pause);
    const auto pause = PauseBefore(policy, retry);
    EXPECT_GE(pause, base);
    EXPECT_LE(pause, base + base / 4);
  }
}

}  // namespace
}  // namespace pacsport::delivery
