#include "deid/pseudonyms.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace pacsport::deid {

Key256 Pseudonyms::Mac(std::string_view purpose, std::string_view value) const {
  std::string message(purpose);
  message.push_back('\0');
  message.append(value);
  return HmacSha256(key_, message);
}

std::string Pseudonyms::PatientId(std::string_view original_patient_id) const {
  static constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const auto mac = Mac("patient-id", original_patient_id);
  std::string id = "ANON-";
  // 10 bytes, 80 bits, as 16 groups of 5 bits (RFC 4648 alphabet).
  std::uint64_t bits = 0;
  int held = 0;
  for (int i = 0; i < 10; ++i) {
    bits = (bits << 8) | mac[i];
    held += 8;
    while (held >= 5) {
      held -= 5;
      id.push_back(kBase32[(bits >> held) & 31]);
    }
  }
  return id;
}

std::string Pseudonyms::Uid(std::string_view original_uid) const {
  const auto mac = Mac("uid", original_uid);
  unsigned __int128 value = 0;
  for (int i = 0; i < 16; ++i) value = (value << 8) | mac[i];
  std::string digits;
  do {
    digits.push_back(static_cast<char>('0' + static_cast<int>(value % 10)));
    value /= 10;
  } while (value != 0);
  std::reverse(digits.begin(), digits.end());
  return "2.25." + digits;
}

int Pseudonyms::DateShiftDays(std::string_view original_patient_id) const {
  const auto mac = Mac("date-shift", original_patient_id);
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | mac[i];
  return 1 + static_cast<int>(value % 3650);
}

std::string ShiftDate(const std::string& date, int days) {
  if (date.size() != 8 ||
      !std::all_of(date.begin(), date.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return "";
  }
  using namespace std::chrono;
  const year_month_day day{year{std::stoi(date.substr(0, 4))},
                           month{static_cast<unsigned>(std::stoi(date.substr(4, 2)))},
                           std::chrono::day{static_cast<unsigned>(std::stoi(date.substr(6, 2)))}};
  if (!day.ok()) return "";
  const year_month_day shifted{sys_days{day} - std::chrono::days{days}};
  char text[16];
  std::snprintf(text, sizeof text, "%04d%02u%02u", static_cast<int>(shifted.year()),
                static_cast<unsigned>(shifted.month()), static_cast<unsigned>(shifted.day()));
  return text;
}

}  // namespace pacsport::deid
