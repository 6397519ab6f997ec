#include "app/local_file.h"

#include <fstream>

namespace pacsport {

Result<std::string> ReadLocalFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unavailable("cannot open");
  std::string bytes;
  std::error_code ec;  // a size known up front saves regrowing; pipes have none
  if (const auto size = std::filesystem::file_size(path, ec); !ec) bytes.reserve(size);
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk), in.gcount() > 0) bytes.append(chunk, in.gcount());
  if (in.bad()) return Unavailable("cannot read");
  return bytes;
}

Status WriteLocalFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return Unavailable("cannot write");
  return Status::Ok();
}

}  // namespace pacsport
