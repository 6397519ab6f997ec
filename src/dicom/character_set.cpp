#include "dicom/character_set.h"

#include <cctype>
#include <utility>

namespace pacsport::dicom {
namespace {

// A term reduced to what tells terms apart: upper case, no spaces, '_' or '-'.
std::string Key(std::string_view term) {
  std::string key;
  for (const char c : term) {
    if (c == ' ' || c == '_' || c == '-') continue;
    key += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return key;
}

// The defined terms, and the names of the character sets they stand for.
constexpr std::pair<std::string_view, std::string_view> kTerms[] = {
    {"ISO_IR 6", "ISO_IR 6"},
    {"ISO_IR 100", "ISO_IR 100"},
    {"ISO_IR 101", "ISO_IR 101"},
    {"ISO_IR 109", "ISO_IR 109"},
    {"ISO_IR 110", "ISO_IR 110"},
    {"ISO_IR 144", "ISO_IR 144"},
    {"ISO_IR 127", "ISO_IR 127"},
    {"ISO_IR 126", "ISO_IR 126"},
    {"ISO_IR 138", "ISO_IR 138"},
    {"ISO_IR 148", "ISO_IR 148"},
    {"ISO_IR 203", "ISO_IR 203"},
    {"ISO_IR 13", "ISO_IR 13"},
    {"ISO_IR 166", "ISO_IR 166"},
    {"ISO_IR 192", "ISO_IR 192"},
    {"GB18030", "GB18030"},
    {"GBK", "GBK"},
    {"ISO 2022 IR 6", "ISO 2022 IR 6"},
    {"ISO 2022 IR 100", "ISO 2022 IR 100"},
    {"ISO 2022 IR 101", "ISO 2022 IR 101"},
    {"ISO 2022 IR 109", "ISO 2022 IR 109"},
    {"ISO 2022 IR 110", "ISO 2022 IR 110"},
    {"ISO 2022 IR 144", "ISO 2022 IR 144"},
    {"ISO 2022 IR 127", "ISO 2022 IR 127"},
    {"ISO 2022 IR 126", "ISO 2022 IR 126"},
    {"ISO 2022 IR 138", "ISO 2022 IR 138"},
    {"ISO 2022 IR 148", "ISO 2022 IR 148"},
    {"ISO 2022 IR 203", "ISO 2022 IR 203"},
    {"ISO 2022 IR 13", "ISO 2022 IR 13"},
    {"ISO 2022 IR 166", "ISO 2022 IR 166"},
    {"ISO 2022 IR 87", "ISO 2022 IR 87"},
    {"ISO 2022 IR 159", "ISO 2022 IR 159"},
    {"ISO 2022 IR 149", "ISO 2022 IR 149"},
    {"ISO 2022 IR 58", "ISO 2022 IR 58"},
    // What a writer means by the name of the character set itself.
    {"ISO 8859-1", "ISO_IR 100"},
    {"ISO 8859-2", "ISO_IR 101"},
    {"ISO 8859-3", "ISO_IR 109"},
    {"ISO 8859-4", "ISO_IR 110"},
    {"ISO 8859-5", "ISO_IR 144"},
    {"ISO 8859-6", "ISO_IR 127"},
    {"ISO 8859-7", "ISO_IR 126"},
    {"ISO 8859-8", "ISO_IR 138"},
    {"ISO 8859-9", "ISO_IR 148"},
    {"ISO 8859-11", "ISO_IR 166"},
    {"ISO 8859-15", "ISO_IR 203"},
    {"LATIN1", "ISO_IR 100"},
    {"UTF-8", "ISO_IR 192"},
};

std::string_view Trim(std::string_view term) {
  const size_t begin = term.find_first_not_of(' ');
  if (begin == std::string_view::npos) return {};
  return term.substr(begin, term.find_last_not_of(' ') - begin + 1);
}

std::string NormalizeTerm(std::string_view term) {
  term = Trim(term);
  const std::string key = Key(term);
  for (const auto& [spelling, defined] : kTerms) {
    if (Key(spelling) == key) return std::string(defined);
  }
  return std::string(term);
}

}  // namespace

std::string NormalizeSpecificCharacterSet(std::string_view value) {
  std::string normalized;
  for (size_t start = 0;;) {
    const size_t end = value.find('\\', start);
    normalized += NormalizeTerm(value.substr(start, end - start));
    if (end == std::string_view::npos) return normalized;
    normalized += '\\';
    start = end + 1;
  }
}

}  // namespace pacsport::dicom
