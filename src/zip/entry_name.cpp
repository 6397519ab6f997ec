#include "zip/entry_name.h"

#include <algorithm>
#include <cstdint>

#include "core/utf8.h"

namespace pacsport::zip {
namespace {

constexpr size_t kMaxNameBytes = 0xFFFF;  // the name length field has 16 bits

bool HasDrivePrefix(std::string_view name) {
  const auto is_letter = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
  return name.size() >= 2 && is_letter(name[0]) && name[1] == ':';
}

char AsciiUpper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

// The part of a component Windows compares with its device names: up to the first
// dot, without trailing spaces.
std::string_view DeviceStem(std::string_view component) {
  std::string_view stem = component.substr(0, component.find('.'));
  while (!stem.empty() && stem.back() == ' ') stem.remove_suffix(1);
  return stem;
}

bool IsWindowsDeviceName(std::string_view stem) {
  const auto prefix_is = [&](std::string_view word) {
    if (stem.size() < word.size()) return false;
    for (size_t i = 0; i < word.size(); ++i) {
      if (AsciiUpper(stem[i]) != word[i]) return false;
    }
    return true;
  };
  for (std::string_view word : {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}) {
    if (stem.size() == word.size() && prefix_is(word)) return true;
  }
  if (!prefix_is("COM") && !prefix_is("LPT")) return false;
  const std::string_view number = stem.substr(3);
  if (number.size() == 1) return number[0] >= '0' && number[0] <= '9';
  // Superscript one, two and three in UTF-8 (U+00B9, U+00B2, U+00B3).
  return number == "\xC2\xB9" || number == "\xC2\xB2" || number == "\xC2\xB3";
}

}  // namespace

bool IsPortableComponent(std::string_view component) {
  if (component.empty() || component.back() == '.' || component.back() == ' ') return false;
  return !IsWindowsDeviceName(DeviceStem(component));
}

Status CheckEntryName(std::string_view name) {
  if (name.empty()) return InvalidInput("ZIP entry name is empty");
  if (name.size() > kMaxNameBytes) return InvalidInput("ZIP entry name is longer than 65535 bytes");
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return InvalidInput("ZIP entry name contains a control character");
    if (c == '\\') return InvalidInput("ZIP entry name contains a backslash");
  }
  if (!IsWellFormedUtf8(name)) return InvalidInput("ZIP entry name is not valid UTF-8");
  if (name.front() == '/' || HasDrivePrefix(name))
    return InvalidInput("ZIP entry name is absolute");
  size_t start = 0;
  while (start <= name.size()) {
    const size_t end = std::min(name.find('/', start), name.size());
    const std::string_view component = name.substr(start, end - start);
    if (component.empty()) return InvalidInput("ZIP entry name has an empty path component");
    if (component == "." || component == "..") {
      return InvalidInput("ZIP entry name has a '.' or '..' path component");
    }
    if (!IsPortableComponent(component)) {
      return InvalidInput(
          "ZIP entry name has a component Windows cannot create (a device name, or a "
          "trailing dot or space)");
    }
    start = end + 1;
  }
  return Status::Ok();
}

bool IsPlainAscii(std::string_view name) {
  for (char c : name) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace pacsport::zip
