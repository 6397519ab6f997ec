// The TOML configuration: LoadConfig on a file holding the fuzzed bytes (a memory
// file, named by its /proc/self/fd path), with no PACSPORT_* variable set. It must
// return a configuration or kInvalidInput, never crash or throw, and an accepted
// configuration keeps its values within the ranges README.md documents.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "app/config.h"
#include "fuzz_check.h"

extern char** environ;

using pacsport::fuzz::Check;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::vector<std::string> names;
  for (char** variable = environ; *variable != nullptr; ++variable) {
    const std::string_view entry(*variable);
    if (entry.starts_with("PACSPORT_")) names.emplace_back(entry.substr(0, entry.find('=')));
  }
  for (const std::string& name : names) ::unsetenv(name.c_str());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int fd = ::memfd_create("fuzz-config.toml", MFD_CLOEXEC);
  Check(fd != -1 && ::write(fd, data, size) == ssize_t(size), "a memory file holds the input");
  const auto config = pacsport::LoadConfig("/proc/self/fd/" + std::to_string(fd));
  ::close(fd);
  if (!config.ok()) {
    Check(config.error().code() == pacsport::ErrorCode::kInvalidInput,
          "a refused configuration is kInvalidInput");
    return 0;
  }
  const pacsport::HttpSettings& http = config->http;
  Check(http.port >= 0 && http.port <= 65535, "server.listen has a port");
  Check(http.default_compression_level >= 0 && http.default_compression_level <= 9,
        "export.compression_level in range");
  Check(config->exports.shares.max_concurrent >= 1 && config->exports.shares.max_concurrent <= 1024,
        "export.max_concurrent in range");
  std::set<std::string> names;
  for (const pacsport::OrthancSettings& source : config->orthanc_sources) {
    Check(names.insert(source.name).second, "source names are unique");
    Check(source.url.starts_with("http://") || source.url.starts_with("https://"),
          "a source's url is http or https");
    Check(!source.hospital.empty(), "a source names its hospital");
  }
  return 0;
}
