// Deterministic payloads for the ZIP tests: compressible text and incompressible bytes.
#pragma once

#include <random>
#include <string>

namespace pacsport::zip::ziptest {

// DICOM-flavoured words: deflate shrinks this a lot.
inline std::string Text(size_t size, unsigned seed) {
  static const char* const kWords[] = {"patient ", "study ", "series ",  "instance ",
                                       "MR ",      "CT ",    "1.2.840.", "\n"};
  std::mt19937 rng(seed);
  std::string out;
  while (out.size() < size) out += kWords[rng() % 8];
  out.resize(size);
  return out;
}

// Uniform random bytes: deflate cannot shrink these.
inline std::string RandomBytes(size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

}  // namespace pacsport::zip::ziptest
