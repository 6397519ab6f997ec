#include "delivery/cron_schedule.h"

#include <gtest/gtest.h>

#include <ctime>

namespace pacsport::delivery {
namespace {

// "2026-03-29T01:00:00Z" as a SystemTime.
SystemTime Utc(const char* text) {
  std::tm tm{};
  EXPECT_NE(::strptime(text, "%Y-%m-%dT%H:%M:%S", &tm), nullptr) << text;
  return SystemTime(std::chrono::seconds(::timegm(&tm)));
}

// The next firing of `cron` in `zone` after `after`, as ISO 8601 UTC.
std::string Next(const char* cron, const char* zone, const char* after) {
  auto schedule = CronSchedule::Parse(cron);
  EXPECT_TRUE(schedule.ok()) << cron << ": " << schedule.error().message();
  auto next = schedule->NextAfter(Utc(after), zone);
  EXPECT_TRUE(next.ok()) << next.error().message();
  return Iso8601(*next);
}

std::string ParseError(const char* cron) {
  auto schedule = CronSchedule::Parse(cron);
  EXPECT_FALSE(schedule.ok()) << cron;
  return schedule.ok() ? "" : schedule.error().message();
}

TEST(CronSchedule, FieldsListsRangesStepsAndNames) {
  EXPECT_EQ(Next("0 2 * * *", "UTC", "2030-01-01T01:00:00"), "2030-01-01T02:00:00.000Z");
  EXPECT_EQ(Next("0 2 * * *", "UTC", "2030-01-01T02:00:00"), "2030-01-02T02:00:00.000Z");
  EXPECT_EQ(Next("*/20 * * * *", "UTC", "2030-01-01T10:41:10"), "2030-01-01T11:00:00.000Z");
  EXPECT_EQ(Next("5,35 9-17/4 * * *", "UTC", "2030-01-01T09:40:00"), "2030-01-01T13:05:00.000Z");
  EXPECT_EQ(Next("10/25 * * * *", "UTC", "2030-01-01T10:36:00"), "2030-01-01T11:10:00.000Z");
  EXPECT_EQ(Next("10/25 * * * *", "UTC", "2030-01-01T10:11:00"), "2030-01-01T10:35:00.000Z");
  // 2030-01-01 is a Tuesday.
  EXPECT_EQ(Next("0 8 * * MON-FRI", "UTC", "2030-01-04T09:00:00"), "2030-01-07T08:00:00.000Z");
  EXPECT_EQ(Next("0 8 * * sat,SUN", "UTC", "2030-01-01T00:00:00"), "2030-01-05T08:00:00.000Z");
  EXPECT_EQ(Next("0 8 * * 7", "UTC", "2030-01-01T00:00:00"), "2030-01-06T08:00:00.000Z");
  EXPECT_EQ(Next("0 0 1 jun-aug/2 *", "UTC", "2030-01-01T00:00:00"), "2030-06-01T00:00:00.000Z");
  EXPECT_EQ(Next("0 0 1 jun-aug/2 *", "UTC", "2030-06-01T00:00:00"), "2030-08-01T00:00:00.000Z");
  EXPECT_EQ(Next("  30   4 1 1 *  ", "UTC", "2030-01-01T00:00:00"), "2030-01-01T04:30:00.000Z");
}

TEST(CronSchedule, DayOfMonthOrDayOfWeek) {
  // Both restricted: the 13th or any Friday. 2030-09-06 is a Friday, 2030-09-13 too.
  EXPECT_EQ(Next("0 0 13 * 5", "UTC", "2030-09-01T00:00:00"), "2030-09-06T00:00:00.000Z");
  EXPECT_EQ(Next("0 0 10 * 5", "UTC", "2030-09-07T00:00:00"), "2030-09-10T00:00:00.000Z");
  // One starts with "*": only the other restricts (here every 2nd day AND Friday).
  EXPECT_EQ(Next("0 0 */2 * 5", "UTC", "2030-09-01T00:00:00"), "2030-09-13T00:00:00.000Z");
  EXPECT_EQ(Next("0 0 13 * *", "UTC", "2030-09-01T00:00:00"), "2030-09-13T00:00:00.000Z");
}

TEST(CronSchedule, LeapDay) {
  EXPECT_EQ(Next("0 12 29 2 *", "UTC", "2029-03-01T00:00:00"), "2032-02-29T12:00:00.000Z");
  // Around 2100, which is no leap year, the next 29 February is 8 years on.
  EXPECT_EQ(Next("0 0 29 feb *", "UTC", "2096-03-01T00:00:00"), "2104-02-29T00:00:00.000Z");
  EXPECT_NE(ParseError("0 0 30 2 *").find("never fires"), std::string::npos);
  EXPECT_NE(ParseError("0 0 31 4,6 *").find("never fires"), std::string::npos);
}

TEST(CronSchedule, BerlinSpringForwardGapFiresAtItsEnd) {
  // 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00Z).
  EXPECT_EQ(Next("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00"),
            "2026-03-29T01:00:00.000Z");  // 03:00 CEST, once
  EXPECT_EQ(Next("30 2 * * *", "Europe/Berlin", "2026-03-29T01:00:00"),
            "2026-03-30T00:30:00.000Z");  // 02:30 CEST the next day
  EXPECT_EQ(Next("*/15 * * * *", "Europe/Berlin", "2026-03-29T00:50:00"),
            "2026-03-29T01:00:00.000Z");
  EXPECT_EQ(Next("*/15 * * * *", "Europe/Berlin", "2026-03-29T01:00:00"),
            "2026-03-29T01:15:00.000Z");
  EXPECT_EQ(Next("0 3 * * *", "Europe/Berlin", "2026-03-28T12:00:00"), "2026-03-29T01:00:00.000Z");
}

TEST(CronSchedule, BerlinFallBackRepeatFiresOnce) {
  // 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00Z); 02:30 happens at 00:30Z and 01:30Z.
  EXPECT_EQ(Next("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00"), "2026-10-25T00:30:00.000Z");
  EXPECT_EQ(Next("30 2 * * *", "Europe/Berlin", "2026-10-25T00:30:00"), "2026-10-26T01:30:00.000Z");
  // Every 15 minutes: not again for the repeated hour's second pass.
  EXPECT_EQ(Next("*/15 * * * *", "Europe/Berlin", "2026-10-25T00:45:00"),
            "2026-10-25T02:00:00.000Z");  // 03:00 CET
  EXPECT_EQ(Next("0 * * * *", "Europe/Berlin", "2026-10-25T01:10:00"), "2026-10-25T02:00:00.000Z");
}

TEST(CronSchedule, NewYorkAcrossBothChanges) {
  // 2026-03-08: 02:00 EST becomes 03:00 EDT (07:00Z).
  EXPECT_EQ(Next("30 2 * * *", "America/New_York", "2026-03-07T12:00:00"),
            "2026-03-08T07:00:00.000Z");
  EXPECT_EQ(Next("0 9 * * *", "America/New_York", "2026-03-07T15:00:00"),
            "2026-03-08T13:00:00.000Z");  // 09:00 EDT
  // 2026-11-01: 02:00 EDT becomes 01:00 EST (06:00Z); 01:30 happens twice.
  EXPECT_EQ(Next("30 1 * * *", "America/New_York", "2026-10-31T12:00:00"),
            "2026-11-01T05:30:00.000Z");
  EXPECT_EQ(Next("30 1 * * *", "America/New_York", "2026-11-01T05:30:00"),
            "2026-11-02T06:30:00.000Z");
}

TEST(CronSchedule, ParseErrorsNameTheField) {
  EXPECT_NE(ParseError("0 2 * *").find("needs 5 fields"), std::string::npos);
  EXPECT_NE(ParseError("0 2 * * * *").find("found 6"), std::string::npos);
  EXPECT_EQ(ParseError("60 * * * *"), "cron: minute: 60 is out of range 0-59");
  EXPECT_EQ(ParseError("0 24 * * *"), "cron: hour: 24 is out of range 0-23");
  EXPECT_EQ(ParseError("0 0 0 * *"), "cron: day of month: 0 is out of range 1-31");
  EXPECT_EQ(ParseError("0 0 * 13 *"), "cron: month: 13 is out of range 1-12");
  EXPECT_EQ(ParseError("0 0 * * 8"), "cron: day of week: 8 is out of range 0-7");
  EXPECT_EQ(ParseError("0 0 * * FRI-MON"), "cron: day of week: range FRI-MON runs backwards");
  EXPECT_NE(ParseError("*/0 * * * *").find("minute: step"), std::string::npos);
  EXPECT_NE(ParseError("0 0 * JANUARY *").find("month: \"JANUARY\" is not a number or name"),
            std::string::npos);
  EXPECT_NE(ParseError("1,,2 * * * *").find("an empty list item"), std::string::npos);
  EXPECT_NE(ParseError("a * * * *").find("minute: \"a\" is not a number"), std::string::npos);
  EXPECT_NE(ParseError("0 MON * * *").find("hour"), std::string::npos);
}

TEST(CronSchedule, TimeZones) {
  EXPECT_TRUE(CheckTimeZone("Europe/Berlin").ok());
  EXPECT_TRUE(CheckTimeZone("America/New_York").ok());
  EXPECT_TRUE(CheckTimeZone("UTC").ok());
  for (const char* bad : {"Mars/Olympus", "", "../../etc/passwd", "/etc/localtime", "Europe/../UTC",
                          "Europe//Berlin"}) {
    const Status status = CheckTimeZone(bad);
    ASSERT_FALSE(status.ok()) << bad;
    EXPECT_EQ(status.error().code(), ErrorCode::kInvalidInput);
    EXPECT_NE(status.error().message().find("timeZone"), std::string::npos);
  }
  auto schedule = CronSchedule::Parse("0 2 * * *");
  ASSERT_TRUE(schedule.ok());
  EXPECT_FALSE(schedule->NextAfter(Utc("2030-01-01T00:00:00"), "Nowhere/Atlantis").ok());
}

}  // namespace
}  // namespace pacsport::delivery
