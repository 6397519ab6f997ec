#include "core/names.h"

#include <algorithm>
#include <cstdint>

namespace pacsport {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is invalid.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t length = 0;
  uint32_t min = 0;
  uint32_t cp = 0;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) { length = 2; min = 0x80; cp = c & 0x1F; }
  else if ((c & 0xF0) == 0xE0) { length = 3; min = 0x800; cp = c & 0x0F; }
  else if ((c & 0xF8) == 0xF0) { length = 4; min = 0x10000; cp = c & 0x07; }
  else return 0;
  if (i + length > s.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  // C1 controls (U+0080..U+009F) and line/paragraph separators are not name material.
  if ((cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029) return 0;
  return length;
}

bool IsForbiddenAscii(unsigned char c) {
  return c < 0x20 || c == 0x7F || c == '/' || c == '\\' || c == ':' || c == '*' ||
         c == '?' || c == '"' || c == '<' || c == '>' || c == '|';
}

}  // namespace

bool IsValidUid(std::string_view uid) {
  return !uid.empty() && uid.size() <= 64 && uid.front() != '.' && uid.back() != '.' &&
         uid.find_first_not_of("0123456789.") == std::string_view::npos;
}

bool IsValidPatientId(std::string_view id) {
  size_t characters = 0;
  for (size_t i = 0; i < id.size(); ++characters) {
    i += std::max<size_t>(1, Utf8SequenceLength(id, i));
  }
  return characters <= 64;
}

std::string SanitizePathComponent(std::string_view raw) {
  constexpr size_t kMaxBytes = 128;
  std::string out;
  for (size_t i = 0; i < raw.size();) {
    const size_t length = Utf8SequenceLength(raw, i);
    std::string_view piece;
    if (length == 0) {
      piece = "_";
      i += 1;
    } else if (length == 1 && IsForbiddenAscii(static_cast<unsigned char>(raw[i]))) {
      piece = "_";
      i += 1;
    } else {
      piece = raw.substr(i, length);
      i += length;
    }
    if (out.size() + piece.size() > kMaxBytes) break;
    out.append(piece);
  }
  // Leading dots would make ".", "..", or hidden files; trailing dots and spaces
  // are stripped by Windows and would alias other names.
  size_t begin = 0;
  while (begin < out.size() && (out[begin] == '.' || out[begin] == ' ')) ++begin;
  size_t end = out.size();
  while (end > begin && (out[end - 1] == '.' || out[end - 1] == ' ')) --end;
  out = out.substr(begin, end - begin);
  return out.empty() ? "unknown" : out;
}

std::string ContentDisposition(std::string_view filename) {
  const std::string safe = SanitizePathComponent(filename);
  std::string ascii;
  bool plain = true;
  for (unsigned char c : safe) {
    if (c >= 0x80) {
      plain = false;
      ascii += '_';
    } else if (c == '"' || c == '\\' || c == '%' || c == ';') {
      ascii += '_';
    } else {
      ascii += static_cast<char>(c);
    }
  }
  std::string value = "attachment; filename=\"" + ascii + "\"";
  if (!plain || ascii != safe) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string encoded;
    for (unsigned char c : safe) {
      const bool attr_char = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                             (c >= '0' && c <= '9') || c == '!' || c == '#' || c == '$' ||
                             c == '&' || c == '+' || c == '-' || c == '.' || c == '^' ||
                             c == '_' || c == '`' || c == '|' || c == '~';
      if (attr_char) {
        encoded += static_cast<char>(c);
      } else {
        encoded += '%';
        encoded += kHex[c >> 4];
        encoded += kHex[c & 0xF];
      }
    }
    value += "; filename*=UTF-8''" + encoded;
  }
  return value;
}

}  // namespace pacsport
