#include "index/name_search.h"

namespace pacsport {
namespace {

// The ASCII base of each letter from U+00C0 to U+017F, 32 code points a line.
// Capitals stand for two letters (A: "ae", T: "th", S: "ss", J: "ij", O: "oe"); '*'
// for a character that is not a letter (U+00D7 '×', U+00F7 '÷'), which is kept.
constexpr std::string_view kLatinBases =
    "aaaaaaAceeeeiiiidnooooo*ouuuuyTS"   // U+00C0
    "aaaaaaAceeeeiiiidnooooo*ouuuuyTy"   // U+00E0
    "aaaaaaccccccccddddeeeeeeeeeegggg"   // U+0100
    "gggghhhhiiiiiiiiiiJJjjkkqlllllll"   // U+0120
    "lllnnnnnnnnnooooooOOrrrrrrssssss"   // U+0140
    "ssttttttuuuuuuuuuuuuwwyyyzzzzzzs";  // U+0160
constexpr char32_t kFirstFolded = 0xC0;

std::string_view ExpandBase(const char& base) {
  switch (base) {
    case 'A':
      return "ae";
    case 'T':
      return "th";
    case 'S':
      return "ss";
    case 'J':
      return "ij";
    case 'O':
      return "oe";
    default:
      return {&base, 1};
  }
}

bool IsSeparator(char c) {
  return c == '^' || c == '=' || c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

}  // namespace

std::string FoldForSearch(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    // Every code point of U+00C0..U+017F is a two-byte sequence led by 0xC3..0xC5.
    if (byte >= 0xC3 && byte <= 0xC5 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if ((next & 0xC0) == 0x80) {
        const char32_t code = (char32_t{byte} & 0x1F) << 6 | (next & 0x3F);
        const char& base = kLatinBases[code - kFirstFolded];
        if (base != '*') {
          out += ExpandBase(base);
          ++i;
          continue;
        }
      }
    }
    out += (byte >= 'A' && byte <= 'Z') ? static_cast<char>(byte - 'A' + 'a') : text[i];
  }
  return out;
}

std::vector<std::string> SearchWords(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (!IsSeparator(c)) {
      word += c;
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

std::string NameSearchKey(std::string_view person_name) {
  std::string key;
  for (const std::string& word : SearchWords(FoldForSearch(person_name))) {
    if (!key.empty()) key += ' ';
    key += word;
  }
  return key;
}

}  // namespace pacsport
