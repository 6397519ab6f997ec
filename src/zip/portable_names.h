// Folder names for data-derived identifiers (Patient IDs, Study UIDs) that extract as
// distinct folders on Windows, macOS and Linux alike.
//
// A name is the identifier sanitized (core/names.h: no separators or control
// characters, no leading dots or spaces, no trailing dots or spaces, at most 128 bytes,
// "unknown" when nothing is left, so ".", ".." and "..." become "unknown"), then made
// portable: a Windows device name gets a '_' prefix ("CON" -> "_CON", "lpt1.txt" ->
// "_lpt1.txt"). FolderNames then keeps the names it hands out distinct as
// case-insensitive file systems (NTFS, APFS by default) compare them: a name equal to
// an earlier one when ASCII letters are folded gets "_2", "_3", ... ("ab", then "AB"
// -> "AB_2"). Letters beyond ASCII are compared as they are, so two IDs differing only
// in the case of a non-ASCII letter ("é", "É") may still share a folder on such
// systems. The real identifiers stay in the metadata document, beside each folder.
//
// PortableFolderName is pure and thread-safe; a FolderNames is not thread-safe.
#pragma once

#include <set>
#include <string>
#include <string_view>

namespace pacsport::zip {

// The sanitized, portable name of `id` (see above). Never empty; always passes
// IsPortableComponent (zip/entry_name.h).
std::string PortableFolderName(std::string_view id);

// Hands out names for the folders of one parent folder.
class FolderNames {
 public:
  // PortableFolderName(id), suffixed with "_N" (the smallest N >= 2 that makes it so)
  // when it would otherwise equal, ignoring ASCII case, a name returned before.
  std::string Take(std::string_view id);

 private:
  std::set<std::string> taken_;  // the names returned so far, ASCII letters lower-cased
};

}  // namespace pacsport::zip
