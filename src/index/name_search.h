// How names are searched the way PACS users type them: "Doe, Peter", "peter doe" and
// "Doé^Peter" all find DOE^PETER. A search is split into words at the DICOM Person
// Name separators ('^' between components, '=' between groups) and at commas and
// white space; each word must occur, in any order, in the patient's name search key
// (patients.name_key), which holds the name's words folded the same way.
// Folding lower-cases ASCII and strips the accents of Latin-1 Supplement and Latin
// Extended-A letters ("Müller" → "muller", "Łukasz" → "lukasz", "ß" → "ss"); other
// characters are kept as they are. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pacsport {

// `text` lower-cased and without accents, as described above. Invalid UTF-8 bytes
// are kept as they are.
std::string FoldForSearch(std::string_view text);

// The words of `text`: its pieces between separators ('^', '=', ',' and white
// space), in order, empty pieces left out. Not folded.
std::vector<std::string> SearchWords(std::string_view text);

// The search key of a DICOM Person Name: its folded words joined by single spaces,
// e.g. "Doé^Peter^^Dr." → "doe peter dr.". Empty for an empty name.
std::string NameSearchKey(std::string_view person_name);

}  // namespace pacsport
