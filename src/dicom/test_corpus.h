// Test support for dicom_test: the pydicom corpus, the pydicom oracle
// (testdata/pydicom_oracle.py), PNG decoding and external tools.
// Single-threaded test use only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/temp_dir.h"

namespace pacsport::testing {

// The directory of CorpusFile (tests/support/temp_dir.h): pydicom's test files.
std::filesystem::path CorpusDir();
// pydicom's character set test files, beside them.
std::filesystem::path CharsetDir();
// Every *.dcm directly in `dir`, sorted by name.
std::vector<std::filesystem::path> DcmFiles(const std::filesystem::path& dir);

void WriteFile(const std::filesystem::path& path, std::string_view bytes);

// src/dicom/testdata in the source tree (the repository root is the working
// directory, or PACSPORT_SOURCE_DIR names it).
std::filesystem::path TestDataDir();

// `text` quoted for the shell.
std::string ShellQuote(const std::string& text);

// Runs pydicom_oracle.py with `arguments` and parses its JSON output.
nlohmann::json RunOracle(const std::vector<std::string>& arguments);

// Runs a shell command line; returns its exit status.
int Run(const std::string& command_line);

struct DecodedPng {
  uint32_t width = 0;
  uint32_t height = 0;
  int channels = 0;  // 1 grey, 3 RGB (8 bits each)
  std::vector<uint8_t> pixels;
};
// Decodes an 8-bit grey or RGB PNG; fails the current test on anything else.
DecodedPng DecodePng(std::string_view png);

// Decodes a binary PGM (P5) or PPM (P6) with maxval 255; fails the current test on
// anything else.
DecodedPng DecodePnm(std::string_view pnm);

// pydicom's rendering of every frame of `file`, by testdata/pydicom_reference.py;
// fails the current test when the script fails.
std::vector<DecodedPng> PydicomRendering(const std::filesystem::path& file);

// Mean absolute difference of two equally sized images, in grey levels.
double MeanAbsoluteDifference(const DecodedPng& a, const DecodedPng& b);

}  // namespace pacsport::testing
