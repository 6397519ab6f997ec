#include "ingest/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>

namespace pacsport {

Result<MappedFile> MappedFile::Open(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Unavailable("cannot open");
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    return InvalidInput("not a regular file");
  }
  const auto size = static_cast<std::uint64_t>(info.st_size);
  void* data = nullptr;
  if (size > 0) {
    data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) {
      ::close(fd);
      return Unavailable("cannot map");
    }
  }
  return MappedFile(fd, data, size);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      data_(std::exchange(other.data_, nullptr)),
      size_(other.size_) {}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(data_, size_);
  if (fd_ >= 0) ::close(fd_);
}

Status MappedFile::ReadChunks(const DicomSource::ChunkConsumer& consume) const {
  constexpr std::uint64_t kChunkBytes = std::uint64_t{1} << 20;
  std::string buffer(std::min(kChunkBytes, std::max<std::uint64_t>(size_, 1)), '\0');
  std::uint64_t offset = 0;
  while (offset < size_) {
    const ssize_t n =
        ::pread(fd_, buffer.data(), std::min<std::uint64_t>(buffer.size(), size_ - offset),
                static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Unavailable("cannot read");
    if (n == 0) return Unavailable("the file shrank while it was read");
    if (Status s = consume(std::string_view(buffer.data(), static_cast<size_t>(n))); !s.ok()) {
      return s;
    }
    offset += static_cast<std::uint64_t>(n);
  }
  return Status::Ok();
}

}  // namespace pacsport
