#include "export/media_stage.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace pacsport {
namespace {

Error SystemFailure(const std::string& what) {
  return Unavailable("cannot stage the disc: " + what + ": " + std::strerror(errno));
}

}  // namespace

Result<std::unique_ptr<MediaStage>> MediaStage::Create(const std::filesystem::path& parent) {
  std::string pattern = (parent / "pacsport-media-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return SystemFailure("mkdtemp " + pattern);
  return std::unique_ptr<MediaStage>(new MediaStage(pattern));
}

MediaStage::~MediaStage() {
  std::error_code ignored;  // nothing more can be done; the folder is private (0700)
  std::filesystem::remove_all(root_, ignored);
}

MediaStage::File::File(File&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

MediaStage::File::~File() {
  if (fd_ >= 0) ::close(fd_);
}

Status MediaStage::File::Append(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return SystemFailure("write");
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::Ok();
}

Result<MediaStage::File> MediaStage::Open(const std::string& relative) {
  const std::filesystem::path path = root_ / relative;
  std::error_code error;
  std::filesystem::create_directories(path.parent_path(), error);
  if (error) return Unavailable("cannot stage the disc: " + error.message());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return SystemFailure("open " + relative);
  return File(fd);
}

Status MediaStage::Put(const std::string& relative, std::string_view bytes) {
  auto file = Open(relative);
  if (!file.ok()) return file.error();
  return file->Append(bytes);
}

}  // namespace pacsport
