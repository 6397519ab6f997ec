#include "delivery/cron_schedule.h"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <span>
#include <vector>

namespace pacsport::delivery {

struct CronSchedule::Zone {
  cctz::time_zone zone;
};

namespace {

constexpr std::array<std::string_view, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kWeekdayNames = {"sun", "mon", "tue", "wed",
                                                           "thu", "fri", "sat"};

struct FieldSpec {
  std::string_view name;
  int min;
  int max;
  int first_name_value;                     // the value of names[0]
  std::span<const std::string_view> names;  // empty: numbers only
};

constexpr FieldSpec kFields[] = {
    {"minute", 0, 59, 0, {}},
    {"hour", 0, 23, 0, {}},
    {"day of month", 1, 31, 0, {}},
    {"month", 1, 12, 1, kMonthNames},
    {"day of week", 0, 7, 0, kWeekdayNames},  // 7 is Sunday too
};

// 8 years of days: long enough to reach a 29 February (at most 8 years apart, as
// around 2100) whatever weekday restricts it.
constexpr int kSearchDays = 8 * 366;

Error Fault(const FieldSpec& field, const std::string& message) {
  return InvalidInput("cron: " + std::string(field.name) + ": " + message);
}

Result<int> Value(const FieldSpec& field, std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::size_t i = 0; i < field.names.size(); ++i) {
    if (lower == field.names[i]) return field.first_name_value + static_cast<int>(i);
  }
  int value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return Fault(field, "\"" + std::string(text) + "\" is not a " +
                            (field.names.empty() ? "number" : "number or name"));
  }
  if (value < field.min || value > field.max) {
    return Fault(field, std::to_string(value) + " is out of range " + std::to_string(field.min) +
                            "-" + std::to_string(field.max));
  }
  return value;
}

// The values one field's text names, as a list of flags indexed by value.
Result<std::vector<bool>> ParseField(const FieldSpec& field, std::string_view text) {
  std::vector<bool> values(static_cast<std::size_t>(field.max + 1), false);
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string_view item = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (item.empty()) return Fault(field, "an empty list item");
    const std::size_t slash = item.find('/');
    const std::string_view base = item.substr(0, slash);
    int step = 1;
    if (slash != std::string_view::npos) {
      const std::string_view step_text = item.substr(slash + 1);
      const auto [end, error] =
          std::from_chars(step_text.data(), step_text.data() + step_text.size(), step);
      if (step_text.empty() || error != std::errc() || end != step_text.data() + step_text.size() ||
          step < 1 || step > field.max) {
        return Fault(field, "step \"" + std::string(step_text) + "\" must be a number from 1 to " +
                                std::to_string(field.max));
      }
    }
    int low = field.min;
    int high = field.max;
    if (base != "*") {
      const std::size_t dash = base.find('-');
      auto first = Value(field, base.substr(0, dash));
      if (!first.ok()) return first.error();
      low = *first;
      if (dash != std::string_view::npos) {
        auto last = Value(field, base.substr(dash + 1));
        if (!last.ok()) return last.error();
        high = *last;
        if (high < low) {
          return Fault(field, "range " + std::string(base) + " runs backwards");
        }
      } else if (slash == std::string_view::npos) {
        high = low;
      }
    }
    for (int v = low; v <= high; v += step) values[static_cast<std::size_t>(v)] = true;
    if (comma == std::string_view::npos) return values;
    start = comma + 1;
  }
}

template <std::size_t N>
void Assign(std::bitset<N>& bits, const std::vector<bool>& values) {
  for (std::size_t v = 0; v < N && v < values.size(); ++v) bits[v] = values[v];
}

std::vector<std::string_view> SplitBlanks(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t at = 0;
  while (at < text.size()) {
    while (at < text.size() && (text[at] == ' ' || text[at] == '\t')) ++at;
    const std::size_t end = text.find_first_of(" \t", at);
    if (at < text.size()) fields.push_back(text.substr(at, end - at));
    at = end == std::string_view::npos ? text.size() : end;
  }
  return fields;
}

bool ValidZoneName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '/' || name.back() == '/') return false;
  if (name.find("//") != std::string_view::npos) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '+' ||
           c == '/';
  });
}

Result<cctz::time_zone> LoadZone(std::string_view name) {
  cctz::time_zone zone;
  if (!ValidZoneName(name) || !cctz::load_time_zone(std::string(name), &zone)) {
    return InvalidInput("timeZone: \"" + std::string(name) + "\" is not a known IANA time zone");
  }
  return zone;
}

int SundayBasedWeekday(const cctz::civil_day& day) {
  // cctz counts from Monday.
  return (static_cast<int>(cctz::get_weekday(day)) + 1) % 7;
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view expression) {
  const std::vector<std::string_view> fields = SplitBlanks(expression);
  if (fields.size() != 5) {
    return InvalidInput(
        "cron: needs 5 fields (minute hour day-of-month month day-of-week), found " +
        std::to_string(fields.size()));
  }
  CronSchedule schedule;
  std::vector<bool> values[5];
  for (std::size_t i = 0; i < 5; ++i) {
    auto parsed = ParseField(kFields[i], fields[i]);
    if (!parsed.ok()) return parsed.error();
    values[i] = std::move(*parsed);
  }
  Assign(schedule.minutes_, values[0]);
  Assign(schedule.hours_, values[1]);
  Assign(schedule.days_, values[2]);
  Assign(schedule.months_, values[3]);
  Assign(schedule.weekdays_, values[4]);
  if (values[4][7]) schedule.weekdays_[0] = true;
  schedule.day_restricted_ = fields[2].front() != '*';
  schedule.weekday_restricted_ = fields[4].front() != '*';
  const Zone utc{cctz::utc_time_zone()};
  if (!schedule.Next(std::chrono::system_clock::now(), utc)) {
    return InvalidInput("cron: \"" + std::string(expression) + "\" never fires");
  }
  return schedule;
}

bool CronSchedule::MatchesDay(int month, int day, int weekday) const {
  if (!months_[static_cast<std::size_t>(month)]) return false;
  const bool day_matches = days_[static_cast<std::size_t>(day)];
  const bool weekday_matches = weekdays_[static_cast<std::size_t>(weekday)];
  if (day_restricted_ && weekday_restricted_) return day_matches || weekday_matches;
  return day_matches && weekday_matches;
}

std::optional<SystemTime> CronSchedule::Next(SystemTime after, const Zone& zone) const {
  const auto after_seconds = std::chrono::time_point_cast<cctz::seconds>(after);
  // The local minute after the one `after` falls in.
  const cctz::civil_minute first = cctz::civil_minute(cctz::convert(after_seconds, zone.zone)) + 1;
  cctz::civil_day day(first);
  for (int days = 0; days < kSearchDays; ++days, ++day) {
    if (!MatchesDay(day.month(), day.day(), SundayBasedWeekday(day))) continue;
    for (int hour = 0; hour < 24; ++hour) {
      if (!hours_[static_cast<std::size_t>(hour)]) continue;
      for (int minute = 0; minute < 60; ++minute) {
        if (!minutes_[static_cast<std::size_t>(minute)]) continue;
        const cctz::civil_minute local(day.year(), day.month(), day.day(), hour, minute);
        if (local < first) continue;
        const auto found = zone.zone.lookup(cctz::civil_second(local));
        // SKIPPED: the gap's end; REPEATED: the first occurrence (see the header).
        const auto instant =
            found.kind == cctz::time_zone::civil_lookup::SKIPPED ? found.trans : found.pre;
        if (instant > after_seconds) return SystemTime(instant);
      }
    }
  }
  return std::nullopt;
}

Result<SystemTime> CronSchedule::NextAfter(SystemTime after, std::string_view time_zone) const {
  auto zone = LoadZone(time_zone);
  if (!zone.ok()) return zone.error();
  const auto next = Next(after, Zone{*zone});
  // Parse checked that the schedule fires within the search window, which starts
  // again from every instant, so this holds; a defect otherwise.
  if (!next) return Internal("cron: no firing found");
  return *next;
}

Status CheckTimeZone(std::string_view name) {
  auto zone = LoadZone(name);
  if (!zone.ok()) return zone.error();
  return Status::Ok();
}

}  // namespace pacsport::delivery
