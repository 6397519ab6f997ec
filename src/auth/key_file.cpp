#include "auth/key_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

#include "auth/random_token.h"

namespace pacsport::auth {

std::string TrimmedKeyText(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

Result<std::string> ReadKeyLine(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unavailable("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return TrimmedKeyText(text.str());
}

Status CreateKeyFile(const std::filesystem::path& path, std::string_view line) {
  const std::string text = std::string(line) + "\n";
  const std::filesystem::path temporary = path.string() + "." + RandomBase64Url(9) + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  const bool written = fd >= 0 &&
                       ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  const bool linked = written && (::link(temporary.c_str(), path.c_str()) == 0 || errno == EEXIST);
  ::unlink(temporary.c_str());
  if (!linked) return Unavailable("cannot write the key file " + path.string());
  return Status::Ok();
}

}  // namespace pacsport::auth
