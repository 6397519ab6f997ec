#include "preview/sealed_object.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace pacsport::preview {

Result<SealedObject> SealedObject::Create(std::string_view bytes) {
  const int fd = ::memfd_create("pacsport-object", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return Unavailable(std::string("cannot create an object file: ") + std::strerror(errno));
  SealedObject object(fd, bytes.size());
  for (size_t written = 0; written < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Unavailable(std::string("cannot fill an object file: ") + std::strerror(errno));
    written += static_cast<size_t>(n);
  }
  if (::fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW) != 0) {
    return Unavailable(std::string("cannot seal an object file: ") + std::strerror(errno));
  }
  return object;
}

SealedObject::SealedObject(SealedObject&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), size_(other.size_) {}

SealedObject::~SealedObject() {
  if (fd_ >= 0) ::close(fd_);
}

Result<MappedObject> MappedObject::Map(int fd, uint64_t size) {
  void* data = nullptr;
  if (size > 0) {
    data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  }
  ::close(fd);
  if (data == MAP_FAILED) return InvalidInput("cannot map the object");
  return MappedObject(data, size);
}

MappedObject::MappedObject(MappedObject&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(other.size_) {}

MappedObject::~MappedObject() {
  if (data_ != nullptr) ::munmap(data_, size_);
}

}  // namespace pacsport::preview
