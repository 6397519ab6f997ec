#include "dicom/test_corpus.h"

#include <gtest/gtest.h>
#include <spng.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>

namespace pacsport::testing {

namespace fs = std::filesystem;

namespace {

fs::path SourceDir() {
  const char* dir = std::getenv("PACSPORT_SOURCE_DIR");
  return dir != nullptr ? fs::path(dir) : fs::current_path();
}

// What pydicom_reference.py names the rendering of frame `k`.
std::string FrameName(size_t k) { return "frame_" + std::to_string(k) + ".pnm"; }

}  // namespace

fs::path TestDataDir() { return SourceDir() / "src/dicom/testdata"; }

std::string ShellQuote(const std::string& text) {
  std::string quoted = "'";
  for (const char c : text) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

fs::path CorpusDir() { return CorpusFile("README.txt").parent_path(); }
fs::path CharsetDir() { return CorpusDir().parent_path() / "charset_files"; }

std::vector<fs::path> DcmFiles(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".dcm")
      files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

void WriteFile(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  EXPECT_TRUE(out.good()) << path;
}

nlohmann::json RunOracle(const std::vector<std::string>& arguments) {
  std::string command =
      "/usr/bin/python3 " + ShellQuote((TestDataDir() / "pydicom_oracle.py").string());
  for (const std::string& argument : arguments) command += " " + ShellQuote(argument);
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) {
    ADD_FAILURE() << "cannot run " << command;
    return nullptr;
  }
  std::string output;
  std::array<char, 65536> buffer;
  size_t count = 0;
  while ((count = fread(buffer.data(), 1, buffer.size(), pipe.get())) > 0)
    output.append(buffer.data(), count);
  const int status = pclose(pipe.release());
  EXPECT_EQ(status, 0) << command;
  return nlohmann::json::parse(output);
}

int Run(const std::string& command_line) { return std::system(command_line.c_str()); }

DecodedPng DecodePng(std::string_view png) {
  DecodedPng decoded;
  std::unique_ptr<spng_ctx, void (*)(spng_ctx*)> context(spng_ctx_new(0), spng_ctx_free);
  spng_ihdr header{};
  size_t size = 0;
  if (spng_set_png_buffer(context.get(), png.data(), png.size()) != 0 ||
      spng_get_ihdr(context.get(), &header) != 0 || header.bit_depth != 8 ||
      (header.color_type != SPNG_COLOR_TYPE_GRAYSCALE &&
       header.color_type != SPNG_COLOR_TYPE_TRUECOLOR) ||
      spng_decoded_image_size(context.get(), SPNG_FMT_PNG, &size) != 0) {
    ADD_FAILURE() << "not an 8-bit grey or RGB PNG";
    return decoded;
  }
  decoded.pixels.resize(size);
  if (spng_decode_image(context.get(), decoded.pixels.data(), size, SPNG_FMT_PNG, 0) != 0) {
    ADD_FAILURE() << "PNG does not decode";
    return decoded;
  }
  decoded.width = header.width;
  decoded.height = header.height;
  decoded.channels = header.color_type == SPNG_COLOR_TYPE_TRUECOLOR ? 3 : 1;
  return decoded;
}

DecodedPng DecodePnm(std::string_view pnm) {
  DecodedPng decoded;
  std::istringstream in{std::string(pnm)};
  std::string magic;
  int maxval = 0;
  in >> magic >> decoded.width >> decoded.height >> maxval;
  if (!in || (magic != "P5" && magic != "P6") || maxval != 255 || in.get() == EOF) {
    ADD_FAILURE() << "not an 8-bit binary PGM or PPM";
    return {};
  }
  decoded.channels = magic == "P6" ? 3 : 1;
  const size_t header = static_cast<size_t>(in.tellg());
  const size_t size = size_t{decoded.width} * decoded.height * decoded.channels;
  if (pnm.size() != header + size) {
    ADD_FAILURE() << "PGM/PPM of the wrong size";
    return {};
  }
  decoded.pixels.assign(pnm.begin() + static_cast<std::ptrdiff_t>(header), pnm.end());
  return decoded;
}

std::vector<DecodedPng> PydicomRendering(const std::filesystem::path& file) {
  const TempDir temp;
  const std::string command = "/usr/bin/python3 " +
                              ShellQuote((TestDataDir() / "pydicom_reference.py").string()) + " " +
                              ShellQuote(file.string()) + " " + ShellQuote(temp.path().string());
  if (Run(command) != 0) {
    ADD_FAILURE() << "failed: " << command;
    return {};
  }
  std::vector<DecodedPng> frames;
  for (size_t k = 0; std::filesystem::exists(temp.path() / FrameName(k)); ++k)
    frames.push_back(DecodePnm(ReadFile(temp.path() / FrameName(k))));
  return frames;
}

double MeanAbsoluteDifference(const DecodedPng& a, const DecodedPng& b) {
  EXPECT_EQ(a.pixels.size(), b.pixels.size());
  if (a.pixels.empty() || a.pixels.size() != b.pixels.size()) return 1e9;
  double sum = 0;
  for (size_t i = 0; i < a.pixels.size(); ++i) sum += std::abs(int{a.pixels[i]} - int{b.pixels[i]});
  return sum / static_cast<double>(a.pixels.size());
}

}  // namespace pacsport::testing
