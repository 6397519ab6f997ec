#include "storage/local_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>

namespace pacsport {
namespace fs = std::filesystem;
namespace {

Error IoError(const std::string& what) {
  return Unavailable("store: " + what + ": " + std::strerror(errno));
}

// Writes all of `bytes` to `fd`, retrying short writes.
bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool FsyncDirectory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

std::string TemporaryName() {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 random{std::random_device{}()};
  return std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
         std::to_string(random()) + ".part";
}

}  // namespace

Result<std::unique_ptr<LocalStore>> LocalStore::Open(const fs::path& root) {
  std::error_code ec;
  fs::create_directories(root / "tmp", ec);
  if (ec) return Unavailable("store: cannot create " + root.string() + ": " + ec.message());
  for (const auto& stale : fs::directory_iterator(root / "tmp", ec)) {
    fs::remove(stale.path(), ec);
  }
  return std::unique_ptr<LocalStore>(new LocalStore(root));
}

Result<fs::path> LocalStore::PathOf(const std::string& sha256) const {
  const bool hex = sha256.size() == 64 &&
                   sha256.find_first_not_of("0123456789abcdef") == std::string::npos;
  if (!hex) return InvalidInput("store: malformed key");
  return root_ / sha256.substr(0, 2) / sha256.substr(2, 2) / sha256;
}

bool LocalStore::Contains(const std::string& sha256) const {
  const auto path = PathOf(sha256);
  std::error_code ec;
  return path.ok() && fs::exists(*path, ec);
}

Status LocalStore::Put(const std::string& sha256, std::string_view bytes) {
  return PutChunks(sha256, [bytes](const ChunkConsumer& consume) { return consume(bytes); });
}

Status LocalStore::PutChunks(const std::string& sha256, const ChunkProducer& produce) {
  auto final_path = PathOf(sha256);
  if (!final_path.ok()) return final_path.error();
  std::error_code ec;
  if (fs::exists(*final_path, ec)) return Status::Ok();
  const fs::path dir = final_path->parent_path();
  fs::create_directories(dir, ec);
  if (ec) return Unavailable("store: cannot create directory: " + ec.message());

  const fs::path temp = root_ / "tmp" / TemporaryName();
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return IoError("cannot create temporary file");
  Status produced = produce([fd](std::string_view chunk) {
    return WriteAll(fd, chunk) ? Status::Ok() : Status(IoError("cannot write file"));
  });
  if (produced.ok() && ::fsync(fd) != 0) produced = IoError("cannot write file");
  if (::close(fd) != 0 && produced.ok()) produced = IoError("cannot write file");
  if (!produced.ok()) {
    fs::remove(temp, ec);
    return produced;
  }
  if (::rename(temp.c_str(), final_path->c_str()) != 0) {
    const Error rename_failure = IoError("cannot rename into place");
    fs::remove(temp, ec);
    return rename_failure;
  }
  if (!FsyncDirectory(dir)) return IoError("cannot sync directory");
  return Status::Ok();
}

Status LocalStore::CheckReachable() {
  if (::access(root_.c_str(), R_OK | X_OK) != 0) {
    return Unavailable("the local store " + root_.string() + " cannot be read: " +
                       std::strerror(errno));
  }
  return Status::Ok();
}

Status LocalStore::Remove(const std::string& sha256) {
  auto path = PathOf(sha256);
  if (!path.ok()) return path.error();
  std::error_code ec;
  fs::remove(*path, ec);
  if (ec) return Unavailable("store: cannot remove file: " + ec.message());
  return Status::Ok();
}

Result<int> LocalStore::OpenObject(const InstanceLocation& location) const {
  auto path = PathOf(location.key);
  if (!path.ok()) return path.error();
  const int fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) return fd;
  if (errno == ENOENT) return NotFound("store: object " + location.key + " is missing");
  return IoError("cannot open object " + location.key);
}

Result<std::string> LocalStore::Read(const InstanceLocation& location) {
  std::string bytes;
  Status status = ReadChunked(location, size_t{1} << 20, [&bytes](std::string_view chunk) {
    bytes.append(chunk);
    return Status::Ok();
  });
  if (!status.ok()) return status.error();
  return bytes;
}

Status LocalStore::ReadChunked(const InstanceLocation& location, size_t chunk_size,
                               const ChunkConsumer& consume) {
  auto fd = OpenObject(location);
  if (!fd.ok()) return fd.error();
  struct stat info {};
  std::string buffer;
  Status status;
  if (::fstat(*fd, &info) == 0) {
    buffer.resize(std::min(chunk_size, static_cast<size_t>(info.st_size) + 1));
  }
  if (buffer.empty()) buffer.resize(1);
  for (;;) {
    const ssize_t n = ::read(*fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      status = IoError("cannot read object " + location.key);
      break;
    }
    if (n == 0) break;
    status = consume(std::string_view(buffer.data(), static_cast<size_t>(n)));
    if (!status.ok()) break;
  }
  ::close(*fd);
  return status;
}

}  // namespace pacsport
