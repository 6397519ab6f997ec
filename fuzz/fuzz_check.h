// What the harnesses share: a property check that fails the run the way a crash does,
// so libFuzzer keeps the input and scripts/fuzz.sh fails.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace pacsport::fuzz {

// Aborts, naming the broken property, unless `holds`.
inline void Check(bool holds, const char* property) {
  if (holds) return;
  std::fprintf(stderr, "fuzz property violated: %s\n", property);
  std::abort();
}

}  // namespace pacsport::fuzz
