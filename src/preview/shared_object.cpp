#include "preview/shared_object.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace pacsport::preview {

namespace {

Error SystemError(const std::string& what) {
  return Unavailable(what + ": " + std::strerror(errno));
}

Status WriteAll(int fd, std::string_view bytes) {
  for (size_t written = 0; written < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return SystemError("cannot write an object file");
    written += static_cast<size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

Result<SharedObject> SharedObject::Copy(std::string_view bytes) {
  const int fd = ::memfd_create("pacsport-object", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return SystemError("cannot create an object file");
  SharedObject object(fd, bytes.size());
  if (Status s = WriteAll(fd, bytes); !s.ok()) return s.error();
  if (::fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW) != 0) {
    return SystemError("cannot seal an object file");
  }
  return object;
}

SharedObject::SharedObject(SharedObject&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), size_(other.size_) {}

SharedObject::~SharedObject() {
  if (fd_ >= 0) ::close(fd_);
}

Result<SharedObjectWriter> SharedObjectWriter::Create(const std::filesystem::path& directory) {
  const int fd = ::open(directory.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return SystemError("cannot create a temporary file in " + directory.string());
  return SharedObjectWriter(fd);
}

SharedObjectWriter::SharedObjectWriter(SharedObjectWriter&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), size_(other.size_) {}

SharedObjectWriter::~SharedObjectWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status SharedObjectWriter::Append(std::string_view chunk) {
  if (Status s = WriteAll(fd_, chunk); !s.ok()) return s;
  size_ += chunk.size();
  return Status::Ok();
}

Result<SharedObject> SharedObjectWriter::Finish() {
  // A read-only descriptor of the same file, so that a worker cannot change it.
  const std::string self = "/proc/self/fd/" + std::to_string(fd_);
  const int read_only = ::open(self.c_str(), O_RDONLY | O_CLOEXEC);
  if (read_only < 0) return SystemError("cannot reopen a temporary file");
  ::close(std::exchange(fd_, -1));
  return SharedObject(read_only, size_);
}

Result<MappedObject> MappedObject::Map(int fd, uint64_t size) {
  void* data = nullptr;
  if (size > 0) {
    data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  }
  ::close(fd);
  if (data == MAP_FAILED) return Unavailable("cannot map the object");
  return MappedObject(data, size);
}

MappedObject::MappedObject(MappedObject&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(other.size_) {}

MappedObject::~MappedObject() {
  if (data_ != nullptr) ::munmap(data_, size_);
}

}  // namespace pacsport::preview
