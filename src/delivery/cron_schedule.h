// CronSchedule: a 5-field cron expression, and when it next fires in an IANA time zone.
//
//   minute hour day-of-month month day-of-week
//   0-59   0-23 1-31         1-12  0-7 (0 and 7 are Sunday)
//
// Each field is a comma-separated list of items: "*", a value, a range "a-b", each
// optionally followed by "/step" ("a/step" means from a to the field's maximum).
// Months and weekdays may also be named by their English three-letter abbreviations,
// in any case (JAN-DEC, SUN-SAT), in ranges too ("MON-FRI").
// Day of month and day of week: when both are restricted (neither starts with "*"), a
// day matches if either does (Vixie cron's rule: "0 0 13 * FRI" fires on every 13th
// and every Friday); when one starts with "*", only the other restricts.
//
// Times are wall-clock times of the schedule's time zone (read from the system's
// zoneinfo through cctz, tzdata). Across a change of the UTC offset:
// - a wall-clock time that does not exist (clocks turned forward: 02:30 on the last
//   Sunday of March in Europe/Berlin) fires at the instant the gap ends (03:00), once
//   however many of its minutes match;
// - a wall-clock time that occurs twice (clocks turned back: 02:30 on the last Sunday
//   of October) fires once, at its first occurrence.
// So a daily job fires exactly once on every day, and "*/15 * * * *" skips the
// repeated hour's second pass rather than firing twice for the same wall-clock time.
//
// Values; thread-safe.
#pragma once

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"

namespace pacsport::delivery {

class CronSchedule {
 public:
  // kInvalidInput naming the field and the fault, e.g. "cron: day of month: 32 is
  // out of range 1-31", for anything but 5 valid fields separated by blanks, and for
  // an expression that can never fire ("0 0 30 2 *").
  static Result<CronSchedule> Parse(std::string_view expression);

  // The first instant strictly after `after` at which the schedule fires in
  // `time_zone` (whole minutes); kInvalidInput for an unknown zone (CheckTimeZone).
  Result<SystemTime> NextAfter(SystemTime after, std::string_view time_zone) const;

 private:
  CronSchedule() = default;
  // Whether the schedule fires on this local calendar day (weekday 0 = Sunday).
  bool MatchesDay(int month, int day, int weekday) const;
  struct Zone;  // a loaded time zone (cctz), defined in the .cpp
  // The first firing after `after`, searched up to about 8 years ahead (enough for
  // any leap day); nullopt when none.
  std::optional<SystemTime> Next(SystemTime after, const Zone& zone) const;

  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;             // 1-31
  std::bitset<13> months_;           // 1-12
  std::bitset<7> weekdays_;          // 0-6, Sunday 0
  bool day_restricted_ = false;      // the day-of-month field does not start with "*"
  bool weekday_restricted_ = false;  // nor the day-of-week field
};

// Ok when `name` is a time zone of the system's zoneinfo ("Europe/Berlin", "UTC");
// kInvalidInput naming timeZone otherwise. Names are IANA names only (letters,
// digits, "_", "-", "+", "/"; no "." so no path outside the zoneinfo).
Status CheckTimeZone(std::string_view name);

}  // namespace pacsport::delivery
